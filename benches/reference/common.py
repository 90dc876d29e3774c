# Shared by the reference scripts of `kdbench bench` (prepended to each one by kdbench, which runs
# them with `python -c`). The configuration arrives as one JSON argument. After its warm-up a
# script prints {"ready": true, "reference": "<what runs, with versions>"}; then, for each line
# "round" on stdin, it times one round and prints {"seconds": ...}, until "done" or end of input.
# kdbench alternates these rounds with its own, so both sides see the same machine load.
import json
import sys
import time

CONFIG = json.loads(sys.argv[1])


def serve(run_round, reference, warmup=None):
    """Runs `warmup()` (if given), then times `run_round()` once per "round" request."""
    if warmup is not None:
        warmup()
    print(json.dumps({"ready": True, "reference": reference}), flush=True)
    for line in sys.stdin:
        if line.strip() != "round":
            break
        start = time.perf_counter()
        run_round()
        print(json.dumps({"seconds": time.perf_counter() - start}), flush=True)
