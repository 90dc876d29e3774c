#!/usr/bin/env bash
# The main job: installs libtorch if missing, builds kdbench (release), then runs it.
#   ./run.sh                 runs the smoke suite (shipped data) and prints its leaderboard
#   ./run.sh ARGS...         runs `kdbench ARGS...`, e.g. ./run.sh run --suite vision
set -euo pipefail
cd "$(dirname "$0")"
scripts/libtorch.sh
cargo build --release --quiet --bin kdbench
if [ $# -eq 0 ]; then
  set -- run --suite smoke --resume
fi
exec target/release/kdbench "$@"
