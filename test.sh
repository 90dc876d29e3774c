#!/usr/bin/env bash
# The whole test suite: installs libtorch if missing, then builds and runs every test (release).
# Extra arguments go to `cargo test`, e.g. ./test.sh -p kd-stats
set -euo pipefail
cd "$(dirname "$0")"
scripts/libtorch.sh
exec cargo test --release --workspace --no-fail-fast "$@"
