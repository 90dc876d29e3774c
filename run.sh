#!/usr/bin/env bash
# The main job: installs libtorch if missing, builds kdbench (release), then runs it.
#   ./run.sh                 runs the smoke suite (shipped data) and prints its leaderboard
#   ./run.sh ARGS...         runs `kdbench ARGS...`, e.g. ./run.sh run --suite vision
set -euo pipefail
cd "$(dirname "$0")"
scripts/libtorch.sh
cargo build --release --quiet --bin kdbench
if [ $# -eq 0 ]; then
  # The default job resumes results/smoke. If that folder holds runs of an older
  # configuration (kdbench refuses to mix configs, exit 2), move it aside and start afresh.
  status=0
  target/release/kdbench run --suite smoke --resume || status=$?
  if [ "$status" -eq 2 ] && [ -d results/smoke ]; then
    stale="results/smoke.stale-$(date +%Y%m%d-%H%M%S)"
    mv results/smoke "$stale"
    echo "run.sh: moved the old results to $stale; running the smoke suite afresh" >&2
    exec target/release/kdbench run --suite smoke --resume
  fi
  exit "$status"
fi
exec target/release/kdbench "$@"
