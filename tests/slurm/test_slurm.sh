#!/usr/bin/env bash
# A night's batch under a real Slurm: this test starts munged, slurmctld
# and slurmd on this machine (Debian 12's slurmctld, slurmd, slurm-client
# and munge, installed with apt-get when missing) with a minimal
# slurm.conf of its own, all on localhost and on free ports, and stops
# every daemon it started when it ends.  It submits the same generated
# inbox through scripts/slurm/kho-submit.sh as arrays of 4, 2 and 1
# shards and checks against one machine's kho run: the same coverage
# report (text, CSV, JSON, HTML, the missing list), the same archived
# record ids, each archived once, by the shard its id hashes to, every
# volume verifying; one log per task, the night window passed through,
# the report job after the array.  It skips, saying why, where it is not
# root or the packages cannot be installed or the daemons do not start.
. "$(dirname "$0")/../cli/lib.sh"

[ "$(id -u)" = 0 ] || skip "not root: the test starts munged, slurmctld and slurmd as root"
need() {
	for p in /usr/sbin/munged /usr/bin/munge /usr/sbin/slurmctld /usr/sbin/slurmd \
		sbatch squeue sinfo scancel; do
		command -v "$p" >/dev/null || return 1
	done
}
if ! need; then
	[ "${KHO_NO_INSTALL:-0}" = 1 ] && skip "Slurm or munge is not installed (KHO_NO_INSTALL=1)"
	command -v apt-get >/dev/null || skip "Slurm or munge is not installed, and there is no apt-get"
	echo "installing slurmctld slurmd slurm-client munge"
	DEBIAN_FRONTEND=noninteractive timeout 600 apt-get install -y -qq \
		--no-install-recommends slurmctld slurmd slurm-client munge >"$T/apt.log" 2>&1 ||
		{ tail -5 "$T/apt.log"; skip "the Slurm packages cannot be installed (apt-get failed)"; }
	need || skip "the Slurm packages are installed but their programs are not found"
fi
[ -x "$GEN" ] || skip "kho-genscans was not built (FreeType missing?)"

# ---- the daemons ----
S="$T/slurm"
mkdir -p "$S/run" "$S/log" "$S/state" "$S/spool"
chmod 755 "$T" "$S" "$S/run"
stop_daemons() {
	local p pid
	if [ -n "${SLURM_CONF:-}" ]; then
		scancel --quiet --user=root >/dev/null 2>&1 || true
	fi
	for p in slurmd slurmctld munged; do
		pid=$(cat "$S/run/$p.pid" 2>/dev/null) || continue
		kill "$pid" 2>/dev/null || continue
		for _ in $(seq 50); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -9 "$pid" 2>/dev/null || true
	done
}
trap 'stop_daemons; chmod -R u+w "$T" 2>/dev/null; rm -rf "$T"' EXIT

dd if=/dev/urandom of="$S/munge.key" bs=1024 count=1 status=none
chmod 400 "$S/munge.key"
/usr/sbin/munged --force --socket="$S/run/munge.sock" --key-file="$S/munge.key" \
	--log-file="$S/log/munged.log" --pid-file="$S/run/munged.pid" \
	--seed-file="$S/run/munged.seed" 2>"$S/log/munged.err" ||
	skip "munged does not start: $(tail -1 "$S/log/munged.err")"
read -r ctld_port d_port < <(python3 -c '
import socket
s = [socket.socket() for _ in range(2)]
for x in s: x.bind(("127.0.0.1", 0))
print(*(x.getsockname()[1] for x in s))')
host=$(hostname -s)
cat >"$S/slurm.conf" <<EOF
ClusterName=khotest
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$S/run/munge.sock
CredType=cred/munge
SlurmctldPort=$ctld_port
SlurmdPort=$d_port
StateSaveLocation=$S/state
SlurmdSpoolDir=$S/spool
SlurmctldPidFile=$S/run/slurmctld.pid
SlurmdPidFile=$S/run/slurmd.pid
SlurmctldLogFile=$S/log/slurmctld.log
SlurmdLogFile=$S/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MpiDefault=none
SwitchType=switch/none
NodeName=$host NodeAddr=127.0.0.1 CPUs=$(nproc) RealMemory=500 State=UNKNOWN
PartitionName=kho Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF="$S/slurm.conf"
daemon_log() { tail -n 5 "$S"/log/*.log 2>/dev/null; }
/usr/sbin/slurmctld -f "$SLURM_CONF" -i 2>"$S/log/slurmctld.err" ||
	{ daemon_log; skip "slurmctld does not start: $(tail -1 "$S/log/slurmctld.err")"; }
/usr/sbin/slurmd -f "$SLURM_CONF" 2>"$S/log/slurmd.err" ||
	{ daemon_log; skip "slurmd does not start: $(tail -1 "$S/log/slurmd.err")"; }
up=0
for _ in $(seq 60); do
	[ "$(sinfo -h -o %t 2>/dev/null)" = idle ] && { up=1; break; }
	sleep 0.5
done
[ "$up" = 1 ] || { daemon_log; skip "the Slurm node did not come up: $(sinfo -h 2>&1 | head -1)"; }
echo "slurm: slurmctld on port $ctld_port, slurmd on $d_port, node $host, $(nproc) CPUs"

# ---- one machine ----
gen sample --seed 41 --records 12 --quick --orphans 1
echo "notes" >"sample/inbox/read me.txt"
SUBMIT="$KHO_SOURCE_DIR/scripts/slurm/kho-submit.sh"
"$KHO" init one >/dev/null
expect_exit 0 register import "$T/sample/register.csv" --root one
run_kho run --root one --inbox sample/inbox --inbox sample/damaged -j 2
[ "$rc" = 1 ] || fail "one machine: kho run exited $rc (the damaged scans fail)"
ids() { # ROOT...: the record ids archived in sealed volumes, one a line
	for r in "$@"; do
		sql "$r" "SELECT DISTINCT a.record_id FROM archive a JOIN volumes v
			ON v.id = a.volume AND v.state = 'sealed';"
	done | sort
}
ids one >one.ids
mask() {
	sed -E -e 's/[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9:.]+(Z| UTC)/<TIME>/g' \
		-e "s#$T/[a-z0-9/]+#<ROOT>#g" \
		-e 's/[0-9]+ work roots? \(shards 1-[0-9]+ of [0-9]+\)/<ROOT>/' \
		-e 's/work root <code><ROOT><\/code>/<ROOT>/'
}
for f in text csv html; do
	expect_exit 0 report --root one --format "$f"
	mask <out >one.$f
done
expect_exit 0 report --root one --format json
cp out one.json
expect_exit 0 report --root one --missing -o one.missing.csv
expect_exit 0 report --root one --morning --format json
cp out one.morning

# ---- the submission helper's checks, before anything is queued ----
expect_submit() { # RC TEXT ARGS...
	local want=$1 text=$2
	shift 2
	set +e
	"$SUBMIT" "$@" >"$T/out" 2>"$T/err"
	rc=$?
	set -e
	[ "$rc" = "$want" ] || { cat "$T/out" "$T/err"; fail "kho-submit $*: exit $rc, expected $want"; }
	expect_in "$T/err" "$text"
}
mkdir empty
echo "no,columns" >bad.csv
expect_submit 1 "inbox '$T/nowhere' does not exist" --roots rx --shards 2 --inbox "$T/nowhere" \
	--register sample/register.csv --kho "$KHO"
expect_submit 1 "inbox 'empty' is empty" --roots rx --shards 2 --inbox empty \
	--register sample/register.csv --kho "$KHO"
expect_submit 1 "register 'bad.csv' has no 'year' column" --roots rx --shards 2 \
	--inbox sample/inbox --register bad.csv --kho "$KHO"
expect_submit 2 "--for '7 hours' is not a duration" --roots rx --shards 2 \
	--inbox sample/inbox --register sample/register.csv --for "7 hours" --kho "$KHO"
expect_submit 2 "--shards '0' is not a number" --roots rx --shards 0 \
	--inbox sample/inbox --register sample/register.csv --kho "$KHO"
[ -z "$(squeue -h 2>/dev/null)" ] || fail "a refused submission queued a job"

# ---- 4, 2 and 1 shards under Slurm ----
for n in 4 2 1; do
	started=$(date +%s)
	set +e
	"$SUBMIT" --roots "r$n" --shards "$n" --inbox sample/inbox --inbox sample/damaged \
		--register sample/register.csv --for 2h --cpus 1 --kho "$KHO" \
		--logs "logs$n" --report "rep$n" --wait >"submit$n.out" 2>"submit$n.err"
	rc=$?
	set -e
	cat "submit$n.out"
	[ "$rc" = 0 ] || [ "$rc" = 1 ] || { cat "submit$n.err" logs$n/*.out; fail "$n shards: kho-submit exited $rc"; }
	echo "slurm: $n shard(s): submitted, run and reported in $(($(date +%s) - started)) s"
	w=2
	roots=()
	for i in $(seq 1 "$n"); do
		roots+=("$(printf 'r%d/s%02dof%02d' "$n" "$i" "$n")")
	done
	# one log per task, with the window passed through
	job=$(sed -n 's/^kho-submit: job array \([0-9]*\):.*/\1/p' "submit$n.out")
	[ -n "$job" ] || fail "no job id in: $(cat "submit$n.out")"
	for i in $(seq 1 "$n"); do
		log="logs$n/kho-night-${job}_$i.out"
		[ -f "$log" ] || fail "no log for task $i: $(ls "logs$n")"
		expect_in "$log" "kho-night: shard $i/$n, job ${job}_$i on "
		expect_in "$log" "run --root $T/${roots[$((i - 1))]} --shard $i/$n --inbox $T/sample/inbox --inbox $T/sample/damaged -j 1 --for 2h"
		expect_in "$log" "kho-night: shard $i/$n: kho run exited "
		expect_in "submit$n.out" "kho-submit: shard $i/$n: kho run exited "
	done
	# the same coverage as one machine
	for f in text csv html; do
		expect_exit 0 report --roots "${roots[@]}" --format "$f"
		mask <out >r$n.$f
		diff -u one.$f r$n.$f || fail "the $f report of $n shard(s) under Slurm differs from one machine's"
	done
	expect_exit 0 report --roots "${roots[@]}" --format json
	python3 - one.json out <<'PY' || fail "the JSON report of $n shard(s) under Slurm differs"
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
def strip(d):
    for k in ("root", "roots", "generated_at"):
        d.pop(k)
    for k in ("id", "imported_at"):
        d["register"]["last_import"].pop(k)
    for day in d["trend"]["days"]:
        day.pop("taken_at")
        day.pop("run")
    return d
a, b = strip(a), strip(b)
assert a == b, [k for k in a if a[k] != b[k]]
PY
	expect_exit 0 report --roots "${roots[@]}" --missing -o r$n.missing.csv
	cmp one.missing.csv r$n.missing.csv || fail "the missing list of $n shard(s) differs"
	# the report job ran after the array, on the same numbers
	day=$(date -u +%Y-%m-%d)
	[ -s "rep$n/coverage-$day.html" ] || fail "the report job wrote no HTML: $(ls "rep$n")"
	mask <"rep$n/coverage-$day.txt" >rep$n.text
	diff -u one.text rep$n.text || fail "the report job's coverage differs"
	expect_in "rep$n/status-$day.txt" "kho status: "
	expect_in "rep$n/morning-$day.txt" "kho morning report: "
	expect_exit 0 report --roots "${roots[@]}" --morning --format json
	python3 - one.morning out <<'PY' || fail "the morning report of $n shard(s) differs"
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
for k in ("records", "pages", "by_year", "by_agency"):
    assert a["archived"][k] == b["archived"][k], k
assert a["stages"] == b["stages"] and a["failures"] == b["failures"]
for k in ("before", "after"):
    a["coverage"][k].pop("taken_at"); b["coverage"][k].pop("taken_at")
    assert a["coverage"][k] == b["coverage"][k], k
PY
	# the same records, each archived once, by its shard
	ids "${roots[@]}" >r$n.ids
	diff -u one.ids r$n.ids || fail "$n shard(s) archived other records than one machine"
	for i in $(seq 1 "$n"); do
		ids "${roots[$((i - 1))]}" >"r$n.s$i.ids"
		ls "${roots[$((i - 1))]}/warehouse" | grep -Evq "^vol-s0${i}of0$n-[0-9]{6}\.tar$" &&
			fail "${roots[$((i - 1))]}: a volume not named for its shard"
		check_bags "${roots[$((i - 1))]}"
	done
	python3 - "$n" r$n.s*.ids <<'PY' || fail "$n shards did not split the records by their hash"
import hashlib, sys
n, seen = int(sys.argv[1]), {}
for path in sys.argv[2:]:
    shard = int(path.split(".s")[1].split(".")[0])
    for rid in open(path).read().split():
        want = int.from_bytes(hashlib.sha256(rid.encode()).digest()[:8], "big") % n + 1
        assert want == shard, (rid, shard, want)
        assert rid not in seen, (rid, "archived twice")
        seen[rid] = shard
PY
	expect_exit 0 verify --roots "${roots[@]}"
	expect_in out "every checksum recomputes"
	expect_exit 0 status --roots "${roots[@]}" --json
	python3 -c 'import json,sys; s=json.load(open(sys.argv[1]))
assert s["records"]["inbox_problems"] == 1, s["records"]' out || fail "the inbox problem is not counted once"
done
# A second split into the same folder of roots is refused.
expect_submit 1 "a root of another split" --roots r4 --shards 3 --inbox sample/inbox \
	--register sample/register.csv --kho "$KHO"
echo "ok: the batch under Slurm as 4, 2 and 1 shards reports as one machine"
