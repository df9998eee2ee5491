#!/usr/bin/env bash
# pack killed at each step of writing a volume: the next run finishes or
# undoes the volume, and every record is archived exactly once.
. "$(dirname "$0")/../cli/lib.sh"

gen sample --seed 41 --records 4 --quick --no-damaged
for point in after-part after-intent after-rename; do
	"$KHO" init "$point" >/dev/null
	"$KHO" ingest --root "$point" sample/inbox >/dev/null 2>&1
	for stage in normalize compress describe; do
		"$KHO" $stage --root "$point" >/dev/null 2>&1
	done
	KHO_FAULT="pack:$point" expect_exit 137 pack --root "$point"
	case $point in
	after-part)   want_vol=0 ; want_part=1 ;;
	after-intent) want_vol=0 ; want_part=1 ;;
	after-rename) want_vol=1 ; want_part=0 ;;
	esac
	[ "$(ls "$point/warehouse" | grep -c '\.tar$')" = $want_vol ] ||
		fail "$point: volumes after the kill: $(ls "$point/warehouse")"
	[ "$(ls "$point/warehouse" | grep -c '\.part$')" = $want_part ] ||
		fail "$point: partial files after the kill: $(ls "$point/warehouse")"
	expect_exit 0 run --root "$point"
	[ -z "$(ls "$point/warehouse" | grep -v '^vol-[0-9]*\.tar$')" ] ||
		fail "$point: left in the warehouse: $(ls "$point/warehouse")"
	[ "$(sql "$point" "SELECT count(DISTINCT record_id) FROM archive;")" = 4 ] ||
		fail "$point: not all archived"
	[ -z "$(sql "$point" "SELECT record_id FROM archive GROUP BY record_id HAVING count(DISTINCT bag) > 1;")" ] ||
		fail "$point: a record archived twice"
	[ "$(sql "$point" "SELECT count(*) FROM volumes WHERE state='sealed';")" = \
	  "$(ls "$point/warehouse" | wc -l)" ] || fail "$point: index and warehouse differ"
	check_bags "$point"
	check_integrity "$point"
done
echo ok
