#!/usr/bin/env bash
# kho run killed with SIGKILL at random moments (the whole run, and every
# third time one of its workers only), then run to the end: every record
# archived exactly once, every volume valid, the catalog intact, no
# partial file in the store or the warehouse.
. "$(dirname "$0")/../cli/lib.sh"

KILLS=${KHO_SOAK_KILLS:-50}
# A try may come too late to kill anything: up to twice as many tries.
TRIES=$((KILLS * 2))
RANDOM=${KHO_SOAK_SEED:-4242}
gen sample --seed 31 --records $((TRIES * 2)) --quick --no-damaged --manifest no
records=$(cut -d, -f1 sample/truth.csv | tail -n +2 | sort -u | wc -l)
"$KHO" init root >/dev/null
# Small volumes, so that a kill can fall between volumes too.
conf=(--root "$T/root" --inbox inbox -j 2 --volume-size 2M)
# New records arrive before every run, so that every run has work in every
# stage when it is killed.
mkdir inbox
arrivals=(sample/inbox/*)
per=$(( (${#arrivals[@]} + TRIES - 1) / TRIES ))

killed=0
workers_killed=0
for i in $(seq 1 "$TRIES"); do
	[ $((killed + workers_killed)) -ge "$KILLS" ] && break
	for f in "${arrivals[@]:$(( (i - 1) * per )):$per}"; do
		mv "$f" inbox/
	done
	delay=$(printf '0.%03d' $((RANDOM % 700)))
	"$KHO" run "${conf[@]}" >"run$i.out" 2>&1 &
	pid=$!
	sleep "$delay"
	if [ $((i % 3)) = 0 ]; then
		# One worker only: its record fails, the run goes on.
		w=$(pgrep -P "$pid" | head -1 || true)
		if [ -n "$w" ] && kill -9 "$w" 2>/dev/null; then
			workers_killed=$((workers_killed + 1))
		fi
		wait "$pid" 2>/dev/null || true
		continue
	fi
	if kill -9 "$pid" 2>/dev/null; then
		killed=$((killed + 1))
	fi
	wait "$pid" 2>/dev/null || true
	# Workers die with their supervisor (PR_SET_PDEATHSIG).
	for _ in $(seq 1 50); do
		pgrep -f "kho run --root $T/root" >/dev/null || break
		sleep 0.1
	done
	pgrep -f "kho run --root $T/root" >/dev/null && fail "workers outlived a killed run"
	# The catalog is consistent at every point.
	check_integrity root
	echo "kill $i after ${delay}s: $(sql root "SELECT group_concat(stage || ' ' || state || ' ' || n, ', ') FROM (SELECT stage, state, count(*) n FROM jobs GROUP BY 1, 2);"); volumes: $(sql root "SELECT group_concat(name || ' ' || state) FROM volumes;")"
done
echo "killed $killed runs and $workers_killed workers in $i tries"
[ $((killed + workers_killed)) -ge "$KILLS" ] ||
	echo "note: only $((killed + workers_killed)) kills landed (the runs were quicker than the tries)"

mv sample/inbox/* inbox/ 2>/dev/null || true
# What a killed worker failed goes back, stage by stage, and the run ends.
run_kho run "${conf[@]}"
for stage in ingest normalize compress describe pack; do
	run_kho retry --root root "$stage" --failed
done
expect_exit 0 run "${conf[@]}"
expect_exit 0 status --root root --json
python3 - "$T/out" "$records" <<'PY' || fail "status after the soak"
import json, sys
d = json.load(open(sys.argv[1]))
r = d["records"]
assert r["current"] == int(sys.argv[2]), r
assert r["archived"] == r["current"], r
assert not d["failures"], d["failures"]
PY
[ "$(sql root "SELECT count(DISTINCT record_id) FROM archive;")" = "$records" ] ||
	fail "not every record is archived"
twice=$(sql root "SELECT record_id FROM archive GROUP BY record_id HAVING count(DISTINCT bag) > 1;")
[ -z "$twice" ] || fail "archived more than once: $twice"
[ "$(sql root "SELECT count(*) FROM volumes WHERE state <> 'sealed';")" = 0 ] ||
	fail "a volume is not sealed"
[ "$(ls root/warehouse | grep -c '\.tar$')" = "$(sql root "SELECT count(*) FROM volumes;")" ] ||
	fail "the warehouse and the index disagree: $(ls root/warehouse)"
ls root/warehouse | grep -v '^vol-[0-9]*\.tar$' && fail "something else in the warehouse"
[ -z "$(ls -A root/store/tmp)" ] || fail "temporary files left in the store: $(ls -A root/store/tmp)"
check_integrity root
check_bags root
# Every bag in the volumes is in the index once, and the other way round.
for v in root/warehouse/*.tar; do tar tf "$v"; done | cut -d/ -f1 | sort -u >bags.txt
sql root "SELECT DISTINCT bag FROM archive ORDER BY bag;" | sort >index.txt
diff bags.txt index.txt || fail "bags in the volumes differ from the index"
echo ok
