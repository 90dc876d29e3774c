#!/usr/bin/env bash
# End-to-end test of `kdbench slurm` on a real, throwaway single-node Slurm (Debian's
# slurm-wlm): starts slurmctld and slurmd on loopback with their own SLURM_CONF in a mktemp
# folder, submits the smoke suite (2 seeds, 2 epochs) in 3 shards with `kdbench slurm
# --submit`, waits for the dependent merge job, checks that the merged scores equal an
# unsharded run's, and tears everything down. Where `unshare --net` works, the whole test runs
# in a private network namespace (only lo exists, so nothing can leave and no port clashes);
# otherwise the daemons bind 127.0.0.1 only. The recipe is /work/shared/SLURM.md's.
#
# Usage: scripts/slurm-test.sh [KDBENCH]   (default: $KDBENCH, else target/release/kdbench)
# Environment: SLURM_TEST_PORT (default 16817; uses it and the next one), SLURM_TEST_OUT (keep
# the results there: OUT/slurm/{shard-I,merged,logs} and OUT/whole), SLURM_TEST_NETNS=0 (never
# use a network namespace).
# Exit status: 0 passed, 1 failed, 77 skipped (the reason is printed as "skip: ...").
set -euo pipefail
SELF=$(readlink -f "$0")
cd "$(dirname "$SELF")/.."
KDBENCH=${1:-${KDBENCH:-target/release/kdbench}}
KDBENCH=$(readlink -f "$KDBENCH")
skip() { echo "skip: $*" >&2; exit 77; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

[ -x "$KDBENCH" ] || { echo "slurm-test: no kdbench at $KDBENCH (cargo build --release)" >&2; exit 1; }
[ "$(id -u)" = 0 ] || skip "needs root (the test cluster's daemons run as root with auth/none)"
for cmd in slurmctld slurmd sbatch squeue sinfo scontrol scancel; do
  command -v "$cmd" >/dev/null ||
    skip "$cmd not found: install Slurm with apt-get install --no-install-recommends slurm-wlm"
done
[ -n "$(find /usr/lib /usr/lib64 -name auth_none.so 2>/dev/null | head -n 1)" ] ||
  skip "this Slurm has no auth/none plugin (Debian's slurm-wlm 22.05 has it)"

# Re-run in a private network namespace where possible (needs 192.0.2.1 on lo: see SLURM.md).
if [ -z "${IN_NETNS:-}" ] && [ "${SLURM_TEST_NETNS:-1}" != 0 ] &&
   unshare --net true 2>/dev/null && command -v ip >/dev/null; then
  exec unshare --net bash -c 'ip link set lo up && ip addr add 192.0.2.1/32 dev lo &&
                              IN_NETNS=1 exec "$0" "$@"' "$SELF" "$KDBENCH"
fi

started=$(now)
PORT=${SLURM_TEST_PORT:-16817}            # uses PORT and PORT+1
if [ -n "$(ss -Htln "( sport = :$PORT or sport = :$((PORT+1)) )" 2>/dev/null)" ]; then
  skip "port $PORT or $((PORT+1)) is busy; pick another SLURM_TEST_PORT"
fi
if [ -n "${IN_NETNS:-}" ]; then
  COMM=                                   # only lo exists here
  where="in a private network namespace"
else
  getent ahostsv4 "$(hostname -s)" | grep -q '^127\.' ||
    skip "hostname $(hostname -s) must resolve to 127.x from the hosts file"
  COMM=CommunicationParameters=NoInAddrAny,NoCtldInAddrAny   # bind 127.0.0.1, not 0.0.0.0
  where="on 127.0.0.1"
fi
TMP=$(mktemp -d)
export SLURM_CONF=$TMP/slurm.conf         # before any Slurm command: no DNS SRV lookup
mkdir -p "$TMP"/{state,spool,log}
cat > "$SLURM_CONF" <<EOF
ClusterName=kdbenchtest
SlurmctldHost=localhost
SlurmctldPort=$PORT
SlurmdPort=$((PORT+1))
$COMM
SlurmUser=root
SlurmdUser=root
AuthType=auth/none
CredType=cred/none
StateSaveLocation=$TMP/state
SlurmdSpoolDir=$TMP/spool
SlurmctldPidFile=$TMP/slurmctld.pid
SlurmdPidFile=$TMP/slurmd.pid
SlurmctldLogFile=$TMP/log/slurmctld.log
SlurmdLogFile=$TMP/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
SchedulerParameters=batch_sched_delay=0,sched_min_interval=100000
MpiDefault=none
ReturnToService=2
InactiveLimit=0
MinJobAge=300
KillWait=2
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$(nproc) State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
EOF

if [ -n "${SLURM_TEST_OUT:-}" ]; then
  mkdir -p "$SLURM_TEST_OUT"; OUT=$(readlink -f "$SLURM_TEST_OUT"); KEEP=1
else
  OUT=$(mktemp -d); KEEP=
fi
rm -rf "$OUT/slurm" "$OUT/whole"

slurmctld -D -c -f "$SLURM_CONF"              >"$TMP/log/ctld.out"   2>&1 & CTLD=$!
slurmd    -D    -f "$SLURM_CONF" -N localhost >"$TMP/log/slurmd.out" 2>&1 & SLURMD=$!
stop() {
  set +e
  if kill -0 "$CTLD" 2>/dev/null && kill -0 "$SLURMD" 2>/dev/null; then
    scancel --partition=debug 2>/dev/null   # else slurmstepd and job processes outlive slurmd
    for _ in $(seq 100); do [ -z "$(squeue -h 2>/dev/null)" ] && break; sleep 0.2; done
  fi
  kill -TERM "$SLURMD" "$CTLD" 2>/dev/null; wait "$SLURMD" "$CTLD" 2>/dev/null
  rm -rf "$TMP"
}
clean() { stop; [ -n "$KEEP" ] || rm -rf "$OUT"; }
trap clean EXIT
logs() { tail -n 20 "$TMP"/log/*.out "$TMP"/log/*.log "$OUT"/slurm/logs/* 2>/dev/null >&2 || true; }

for _ in $(seq 150); do
  kill -0 "$CTLD" 2>/dev/null && kill -0 "$SLURMD" 2>/dev/null || break
  [ "$(sinfo -h -n localhost -o %T 2>/dev/null)" = idle ] && break; sleep 0.2
done
if [ "$(sinfo -h -n localhost -o %T 2>/dev/null)" != idle ]; then
  logs; skip "slurmctld/slurmd did not come up on $where (logs above)"
fi
up=$(since "$started")

# The suite in 3 shards: 6 runs (teacher, student, kd x 2 seeds), 2 runs per shard.
RUN=(--seeds 0..2 --set epochs=2)
submitted=$(now)
ids=$("$KDBENCH" slurm --suite smoke --shards 3 --time 10 --out "$OUT/slurm" "${RUN[@]}" --submit)
echo "$ids"
merge_job=$(sed -n 's/^merge_job=//p' <<<"$ids")
[ -n "$merge_job" ] || { echo "slurm-test: no merge_job=ID in the output of kdbench slurm" >&2; exit 1; }
state=
for _ in $(seq 1500); do                  # 300 s at most
  state=$(scontrol -o show job "$merge_job" | grep -o 'JobState=[A-Z_]*' | cut -d= -f2)
  case $state in PENDING|CONFIGURING|RUNNING|COMPLETING|'') sleep 0.2;; *) break;; esac
done
jobs_took=$(since "$submitted")
if [ "$state" != COMPLETED ]; then
  echo "slurm-test: the merge job ended $state, not COMPLETED" >&2
  squeue -a >&2 || true; logs; exit 1
fi
stop; trap '[ -n "$KEEP" ] || rm -rf "$OUT"' EXIT
cluster_took=$(since "$started")

# The same runs unsharded, then the merged scores must equal them (same rows, any order).
unsharded=$(now)
"$KDBENCH" run --suite smoke "${RUN[@]}" --threads 1 --out "$OUT/whole" >/dev/null
for file in scores.csv leaderboard.csv; do
  if ! diff <(sort "$OUT/whole/$file") <(sort "$OUT/slurm/merged/$file") >&2; then
    echo "slurm-test: merged $file differs from the unsharded run's (diff above)" >&2; exit 1
  fi
done
rows=$(($(wc -l < "$OUT/slurm/merged/runs.csv") - 1))
[ "$rows" = 6 ] || { echo "slurm-test: merged runs.csv has $rows runs, expected 6" >&2; exit 1; }
[ "$(grep -c ',ok,' "$OUT/slurm/merged/runs.csv")" = 6 ] ||
  { echo "slurm-test: not every merged run is ok" >&2; exit 1; }
echo "slurm-test: passed $where: cluster up in $up s; 3 shards + merge in $jobs_took s" \
     "(submit to merge COMPLETED); cluster part $cluster_took s; unsharded run $(since "$unsharded") s;" \
     "total $(since "$started") s"
