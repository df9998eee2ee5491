#!/usr/bin/env bash
# pack with several workers: volumes written side by side, named in an
# unbroken sequence, each record archived once; a damaged store object
# fails its own record only; a pack worker that dies stops the stage with
# a message naming its volume, and the next run archives everything.
. "$(dirname "$0")/lib.sh"

gen sample --seed 23 --records 8 --quick --no-damaged
ready() { # ROOT: every record through describe
	"$KHO" init "$1" >/dev/null
	"$KHO" ingest --root "$1" sample/inbox >/dev/null 2>&1
	for stage in normalize compress describe; do
		"$KHO" $stage --root "$1" -j 2 >/dev/null 2>&1
	done
}
archived_once() { # ROOT COUNT
	[ "$(sql "$1" "SELECT count(DISTINCT record_id) FROM archive;")" = "$2" ] ||
		fail "$1: $(sql "$1" "SELECT count(DISTINCT record_id) FROM archive;") records archived, expected $2"
	[ -z "$(sql "$1" "SELECT record_id FROM archive GROUP BY record_id HAVING count(DISTINCT bag) > 1;")" ] ||
		fail "$1: a record archived twice"
	[ -z "$(ls "$1/warehouse" | grep -v '^vol-[0-9]*\.tar$')" ] ||
		fail "$1: left in the warehouse: $(ls "$1/warehouse")"
	# vol-000001 ... vol-00000N, no gap, each in the index once, sealed
	local n
	n=$(ls "$1/warehouse" | wc -l)
	[ "$(ls "$1/warehouse" | tr '\n' ' ')" = "$(seq -f 'vol-%06g.tar' 1 "$n" | tr '\n' ' ')" ] ||
		fail "$1: volume names: $(ls "$1/warehouse")"
	[ "$(sql "$1" "SELECT count(*) FROM volumes WHERE state='sealed';")" = "$n" ] ||
		fail "$1: index and warehouse differ"
	check_bags "$1"
	check_integrity "$1"
	expect_exit 0 verify --root "$1"
}

# A small volume_size: about one record a volume, three written at once.
ready par
expect_exit 0 pack --root par -j 3 --volume_size 1M
[ "$(ls par/warehouse | wc -l)" -ge 4 ] ||
	fail "expected several volumes, got: $(ls par/warehouse)"
archived_once par 8
# The same records in one worker make the same bags, the same members
# and the same originals (result.pdf holds the root's own times).
ready one
expect_exit 0 pack --root one -j 1 --volume_size 1M
archived_once one 8
bags() {
	sql "$1" "SELECT group_concat(bag || ' ' || member || ' ' || CASE WHEN member LIKE '%/originals/%' THEN sha256 ELSE '' END, ',') FROM (SELECT * FROM archive ORDER BY bag, member);"
}
[ "$(bags par)" = "$(bags one)" ] || fail "-j 3 and -j 1 archived different bags"

# A damaged store object fails its record; the others are archived, and
# the volume that would have held it is written without it.
ready bad
rec=$(sql bad "SELECT record_id FROM records ORDER BY record_id LIMIT 1 OFFSET 2;")
sha=$(sql bad "SELECT o.sha256 FROM outputs o JOIN records r ON r.id = o.record WHERE r.record_id = '$rec' AND o.name = 'result.pdf';")
obj=$(find bad/store -type f -name "$sha*" | head -1)
[ -n "$obj" ] || fail "no store object for $rec's result.pdf"
chmod u+w "$obj" "$(dirname "$obj")"
printf 'X' | dd of="$obj" bs=1 seek=100 conv=notrunc 2>/dev/null
expect_exit 1 pack --root bad -j 3 --volume_size 1M
expect_in out "is damaged: it hashes to"
expect_in out "$rec"
[ "$(sql bad "SELECT state FROM jobs j JOIN records r ON r.id = j.record WHERE r.record_id = '$rec' AND j.stage = 'pack';")" = failed ] ||
	fail "$rec's pack job did not fail"
[ -z "$(sql bad "SELECT bag FROM archive WHERE record_id = '$rec';")" ] ||
	fail "$rec was archived from a damaged object"
archived_once bad 7

# A pack worker killed once its volume is written: the stage stops, says
# which volume, leaves no partial file behind, and the next run packs all.
ready kill
KHO_FAULT=pack:worker expect_exit 3 pack --root kill -j 2 --volume_size 1M
expect_in err "the pack worker writing vol-0000"
expect_in err "was killed by signal 9"
[ -z "$(ls kill/warehouse)" ] || fail "left after the killed workers: $(ls kill/warehouse)"
[ "$(sql kill "SELECT count(*) FROM jobs WHERE stage = 'pack' AND state = 'pending';")" = 8 ] ||
	fail "the records were not given back to the queue"
expect_exit 0 run --root kill -j 2
archived_once kill 8

# ^C once: the volumes being written are finished; twice: the workers are
# stopped (here they would never finish), their parts removed, and the
# records go back to the queue for the next run.
ready stop
KHO_FAULT=pack:worker-hang "$KHO" pack --root stop -j 2 --volume_size 1M \
	>stop.out 2>stop.err &
pid=$!
for _ in $(seq 100); do
	[ "$(ls stop/warehouse | grep -c '\.part$')" -ge 2 ] && break
	sleep 0.1
done
[ "$(ls stop/warehouse | grep -c '\.part$')" -ge 2 ] ||
	fail "the pack workers did not start: $(ls stop/warehouse)"
# No worker holds the read end of a sibling's report pipe (it would keep
# the sibling from seeing its reader gone).
for w in $(pgrep -P $pid); do
	ends=$(ls -l /proc/$w/fd/ | awk '$1 ~ /^lr/ && $NF ~ /^pipe:/' | wc -l)
	[ "$ends" = 0 ] || fail "pack worker $w reads $ends pipes: $(ls -l /proc/$w/fd/)"
done
kill -INT $pid
sleep 0.5
kill -0 $pid 2>/dev/null || fail "one ^C stopped the volumes being written"
kill -INT $pid
rc=0
wait $pid || rc=$?
[ $rc = 0 ] || { cat stop.err; fail "kho pack exited $rc after two ^C"; }
expect_in stop.out "interrupted"
[ -z "$(ls stop/warehouse)" ] || fail "left after two ^C: $(ls stop/warehouse)"
[ "$(sql stop "SELECT count(*) FROM jobs WHERE stage = 'pack' AND state = 'pending';")" = 8 ] ||
	fail "the records were not given back after two ^C"
expect_exit 0 pack --root stop -j 2 --volume_size 1M
archived_once stop 8
echo ok
