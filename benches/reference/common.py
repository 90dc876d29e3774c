# Shared by the reference scripts of `kdbench bench` (prepended to each one by kdbench, which runs
# them with `python -c`). The configuration arrives as one JSON argument; the result leaves as one
# JSON line on stdout: {"per_unit_s": best seconds per unit over the rounds, "reference": "..."}.
import json
import sys
import time

CONFIG = json.loads(sys.argv[1])


def best_per_unit(run_round, units, rounds, warmup=None):
    """Runs `warmup()` (if given) and then `rounds` timed rounds of `run_round()`, each doing
    `units` units of work; returns the fastest round's seconds per unit."""
    if warmup is not None:
        warmup()
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        run_round()
        best = min(best, time.perf_counter() - start)
    return best / units


def report(per_unit_s, reference):
    print(json.dumps({"per_unit_s": per_unit_s, "reference": reference}), flush=True)
