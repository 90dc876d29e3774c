#!/usr/bin/env bash
# Fuzzes kdbench's file parsers for a bounded time with cargo fuzz (libFuzzer + AddressSanitizer).
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]      default: 60 s for every target
# Targets are the files in fuzz/fuzz_targets/. Seeds come from fuzz/corpus/<target>/ (read
# only); inputs found on the way go to a scratch corpus. A crashing input is copied to
# fuzz/regressions/<target>/ (replayed from then on by `cargo test -p kd-fuzz`) and the
# script exits 1 after the remaining targets ran.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
scripts/libtorch.sh
if ! command -v cargo-fuzz >/dev/null; then
  cargo install cargo-fuzz --locked --version 0.13.2
fi
# cargo fuzz passes -Z flags to rustc; the stable toolchain takes them with RUSTC_BOOTSTRAP.
export RUSTC_BOOTSTRAP=1
export LD_LIBRARY_PATH="$PWD/.libtorch/torch/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
# libtorch is not instrumented: keep ASan from stopping on its allocator's habits.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=0:alloc_dealloc_mismatch=0}"
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=($(ls fuzz/fuzz_targets | sed 's/\.rs$//'))
fi
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
failed=()
for target in "${targets[@]}"; do
  echo "== fuzz $target for ${seconds}s" >&2
  mkdir -p "$scratch/$target" "fuzz/regressions/$target"
  if ! cargo fuzz run --fuzz-dir fuzz "$target" "$scratch/$target" "fuzz/corpus/$target" -- \
      -max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 -max_len=65536 \
      -print_final_stats=1; then
    failed+=("$target")
  fi
  for crash in fuzz/artifacts/"$target"/*; do
    [ -f "$crash" ] || continue
    cp "$crash" "fuzz/regressions/$target/"
    echo "kept $(basename "$crash") in fuzz/regressions/$target/" >&2
  done
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: ${failed[*]} failed: a crash (input kept in fuzz/regressions/) or a build error (above)" >&2
  exit 1
fi
echo "fuzz: no crash in ${targets[*]} (${seconds}s each)" >&2
