#!/usr/bin/env bash
# Crash soak of the results store: runs a real suite, kills `kdbench run` with SIGKILL at
# random moments at least KILLS times, resumes after each kill, and checks at the end that
# every run is present exactly once, that no CSV row is torn, and that the scores equal
# those of an uninterrupted run with the same seeds.
#
#   scripts/kill-soak.sh [KILLS] [WORKDIR]      (defaults: 20, a fresh temporary folder)
#
# Needs a built kdbench (target/release/kdbench; `./run.sh` builds it) and python3.
set -euo pipefail
KILLS="${1:-20}"
WORK="${2:-$(mktemp -d)}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BIN="${KDBENCH_BIN:-$ROOT/target/release/kdbench}"
[ -x "$BIN" ] || { echo "kill-soak: $BIN not found; build first (./run.sh or cargo build --release)" >&2; exit 2; }
# The digits suite with more seeds and epochs than `smoke`, so that there is time to kill.
ARGS=(run --suite smoke --seeds 0..6 --set epochs=120 --jobs 2 --threads 2)

mkdir -p "$WORK"
echo "kill-soak: reference run (uninterrupted) in $WORK/reference"
"$BIN" "${ARGS[@]}" --out "$WORK/reference" >/dev/null 2>"$WORK/reference.log"

kills=0
attempts=0
while :; do
    attempts=$((attempts + 1))
    "$BIN" "${ARGS[@]}" --out "$WORK/soak" --resume >/dev/null 2>>"$WORK/soak.log" &
    pid=$!
    if [ "$kills" -lt "$KILLS" ]; then
        # A random moment between 0.2 and 2.5 seconds into the run.
        sleep "$(python3 -c 'import random; print(round(random.uniform(0.2, 2.5), 2))')"
        if kill -9 "$pid" 2>/dev/null; then
            wait "$pid" 2>/dev/null || true
            kills=$((kills + 1))
            echo "kill-soak: kill $kills of $KILLS"
            continue
        fi
    fi
    if wait "$pid"; then
        if [ "$kills" -ge "$KILLS" ]; then break; fi
        # The suite finished before enough kills: start over in a fresh folder.
        echo "kill-soak: the suite finished after $kills kills; starting a fresh soak folder"
        rm -rf "$WORK/soak"
    else
        echo "kill-soak: a resumed run failed; see $WORK/soak.log" >&2
        exit 1
    fi
done

python3 - "$WORK/reference" "$WORK/soak" "$kills" <<'PY'
import csv, sys
ref, soak, kills = sys.argv[1], sys.argv[2], int(sys.argv[3])

def rows(folder, name):
    with open(f"{folder}/{name}", newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        body = list(reader)
    torn = [r for r in body if len(r) != len(header)]
    assert not torn, f"{folder}/{name}: {len(torn)} torn rows, e.g. {torn[0]}"
    return header, body

_, runs = rows(soak, "runs.csv")
keys = [(r[2], r[3], r[4]) for r in runs]
assert len(keys) == len(set(keys)), "a run is recorded twice"
_, ref_runs = rows(ref, "runs.csv")
assert sorted(keys) == sorted((r[2], r[3], r[4]) for r in ref_runs), "runs differ"
assert all(r[5] == "ok" for r in runs), "a run is not ok"
_, scores = rows(soak, "scores.csv")
_, ref_scores = rows(ref, "scores.csv")
assert sorted(scores) == sorted(ref_scores), "scores differ from the uninterrupted run"
rows(soak, "curves.csv")
print(f"kill-soak: survived {kills} SIGKILLs: {len(runs)} runs, each once, no torn rows, "
      f"scores identical to the uninterrupted run")
PY
