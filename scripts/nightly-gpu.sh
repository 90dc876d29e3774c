#!/usr/bin/env bash
# The nightly regression run (what .github/workflows/nightly-gpu.yml calls): runs the
# nightly-gpu suite into a fresh results folder, writes its leaderboard and figures, then
# gates its scores against the committed reference with `kdbench gate --metric main` (each
# task on its main metric) and writes the gate report to OUT/gate.txt.
#
# Usage: scripts/nightly-gpu.sh [kdbench run options...]   e.g. --data-dir /data/kdbench --jobs 2
# Environment:
#   KDBENCH    the binary (default target/release/kdbench)
#   DEVICE     --device of the run (default cuda)
#   OUT        the results folder, removed first (default results/nightly-gpu)
#   REFERENCE  the reference scores (default results/reference/nightly-gpu/scores.csv)
#   MIN_DROP   gate --min-drop (default 0)
#   REFRESH=1  make this run the new reference instead of gating: copy its scores.csv,
#              runs.csv and leaderboard.md next to REFERENCE; refused if a run did not end
#              `ok` (ALLOW_SKIPPED=1 accepts `skipped` runs)
#   CPU_SMOKE=1  the same path on CPU in a minute or two: DEVICE=cpu, seeds 0 and 1, tiny
#              budgets (1 epoch; 400 RL steps), REFERENCE results/reference/nightly-gpu/cpu-smoke/
#              scores.csv, MIN_DROP 100 (RL returns vary across CPU types at this budget);
#              tasks without data (CIFAR-100, GLUE) are `skipped`
# Exit status: 0 no regression; 1 a regression, a missing reference pair, a failed run or no
# reference; 2 bad input.
set -uo pipefail
cd "$(dirname "$0")/.."
KDBENCH=${KDBENCH:-target/release/kdbench}
EXTRA=()
if [ "${CPU_SMOKE:-}" = 1 ]; then
  DEVICE=${DEVICE:-cpu}
  REFERENCE=${REFERENCE:-results/reference/nightly-gpu/cpu-smoke/scores.csv}
  OUT=${OUT:-results/nightly-gpu-cpu-smoke}
  MIN_DROP=${MIN_DROP:-100}
  EXTRA=(--seeds 0,1 --set epochs=1 --set total_steps=400 --set warmup_steps=200
         --set eval_every=200 --set eval_episodes=1 --set teacher_steps=400
         --set batch_size=32 --set 'hidden=[16]')
fi
DEVICE=${DEVICE:-cuda}
OUT=${OUT:-results/nightly-gpu}
REFERENCE=${REFERENCE:-results/reference/nightly-gpu/scores.csv}
MIN_DROP=${MIN_DROP:-0}

rm -rf "$OUT"
run_status=0
"$KDBENCH" run --suite nightly-gpu --device "$DEVICE" --out "$OUT" "${EXTRA[@]}" "$@" || run_status=$?
if [ "$run_status" -gt 1 ]; then exit "$run_status"; fi   # bad input: nothing ran
[ -f "$OUT/scores.csv" ] || { echo "nightly: no $OUT/scores.csv" >&2; exit 1; }

if [ "${REFRESH:-}" = 1 ]; then
  # runs.csv column 6 is the status; a reference must not silently lack pairs.
  bad=$(awk -F, -v skipped_ok="${ALLOW_SKIPPED:-}" \
    'NR > 1 && $6 != "ok" && !($6 == "skipped" && skipped_ok == "1") { print $3 "/" $4 "/" $5 ": " $6 }' \
    "$OUT/runs.csv")
  if [ -n "$bad" ] || [ "$run_status" != 0 ]; then
    printf 'nightly: not refreshing the reference, these runs did not end ok:\n%s\n' "$bad" >&2
    exit 1
  fi
  dir=$(dirname "$REFERENCE")
  mkdir -p "$dir"
  cp "$OUT/scores.csv" "$REFERENCE"
  cp "$OUT/runs.csv" "$OUT/leaderboard.md" "$dir/"
  echo "nightly: refreshed $REFERENCE from $OUT ($(($(wc -l < "$REFERENCE") - 1)) scores); review and commit $dir"
  exit 0
fi

if [ ! -f "$REFERENCE" ]; then
  echo "nightly: no reference scores at $REFERENCE: make them from a trusted run with" \
       "REFRESH=1 scripts/nightly-gpu.sh (see the guide, GPUs and clusters), then commit them" >&2
  exit 1
fi
gate_status=0
"$KDBENCH" gate --metric main --min-drop "$MIN_DROP" --current "$OUT/scores.csv" \
  --reference "$REFERENCE" > "$OUT/gate.txt" || gate_status=$?
cat "$OUT/gate.txt"
if [ "$gate_status" != 0 ]; then exit "$gate_status"; fi
if [ "$run_status" != 0 ]; then echo "nightly: some runs failed (see $OUT/runs.csv)" >&2; fi
exit "$run_status"
