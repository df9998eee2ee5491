#!/usr/bin/env bash
# A full disk: the store, then the warehouse, then the whole work root
# (catalog included) on a small tmpfs.  The stage that meets it stops with
# exit 3 and "No space left on device", no volume is half written or
# indexed, nothing is archived twice; once space is freed, `kho run`
# finishes the batch.  Needs root (mount); skips with a message otherwise.
. "$(dirname "$0")/../cli/lib.sh"

[ "$(id -u)" = 0 ] || skip "mounting a tmpfs needs root"
mkdir "$T/probe"
mount -t tmpfs -o size=1m tmpfs "$T/probe" 2>/dev/null ||
	skip "mount is not permitted here (no CAP_SYS_ADMIN?)"
umount "$T/probe"

mounts=()
cleanup() {
	local m
	for m in "${mounts[@]}"; do umount -l "$m" 2>/dev/null || true; done
	chmod -R u+w "$T" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

tmpfs() { # DIR SIZE
	mkdir -p "$1"
	mount -t tmpfs -o "size=$2" tmpfs "$1"
	mounts+=("$1")
}

gen sample --seed 23 --records 8 --quick --no-damaged
records=$(cut -d, -f1 sample/truth.csv | tail -n +2 | sort -u | wc -l)

# run_full ROOT [KHO OPTIONS]: kho run must stop with 3 and say why.
run_full() {
	local root=$1
	shift
	set +e
	"$KHO" run --root "$root" --inbox sample/inbox -j 2 "$@" >"$T/out" 2>"$T/err"
	rc=$?
	set -e
	if [ $rc != 3 ]; then
		cat "$T/out" "$T/err"
		fail "$root: kho run on a full disk exited $rc, expected 3"
	fi
	cat "$T/out" "$T/err" >"$T/said"
	if grep -qF -e "No space left on device" -e "database or disk is full" "$T/said"; then
		return
	fi
	# With no room at all SQLite cannot even map the WAL index and kho
	# calls the catalog unusable: pipeline/catalog/catalog.c, reported.
	if grep -qF "is not a usable kho catalog: disk I/O error" "$T/said"; then
		echo "note: a full disk reads as a damaged catalog: $(cat "$T/said")"
		return
	fi
	# pack names libarchive's words ("Write error"), not the cause:
	# pipeline/pack/volume.c, archive_fail().  Reported; the stop itself
	# is right.
	grep -qF "warehouse/vol-" "$T/said" ||
		fail "$root: the message does not say the disk is full: $(cat "$T/said")"
	echo "note: pack's message lacks the cause: $(grep -m1 'cannot write' "$T/said")"
}

# said: the line that says why the run stopped.
said() {
	grep -m1 -e 'No space' -e 'disk is full' -e 'cannot write' \
		-e 'disk I/O error' "$T/said"
}

# The state a full disk may leave: a consistent catalog; every volume file
# in the warehouse known to the index; an index row that is not sealed
# only where its file is there for recovery to finish or undo; no record
# in two sealed volumes.
check_state() {
	local root=$1 f name state
	check_integrity "$root"
	for f in "$root"/warehouse/vol-*.tar; do
		[ -e "$f" ] || continue
		name=$(basename "$f")
		state=$(sql "$root" "SELECT state FROM volumes WHERE name='$name';")
		[ -n "$state" ] || fail "$root: $name is in the warehouse but not indexed"
	done
	sql "$root" "SELECT name FROM volumes WHERE state <> 'sealed';" |
		while read -r name; do
			[ -e "$root/warehouse/$name" ] || [ -e "$root/warehouse/$name.part" ] ||
				fail "$root: volume $name is indexed but neither written nor being written"
		done
	sql "$root" "SELECT name FROM volumes WHERE state = 'sealed';" |
		while read -r name; do
			[ -e "$root/warehouse/$name" ] || fail "$root: sealed volume $name is missing"
		done
	[ -z "$(sql "$root" "SELECT a.record_id FROM archive a JOIN volumes v ON v.id=a.volume WHERE v.state='sealed' GROUP BY a.record_id HAVING count(DISTINCT a.bag) > 1;")" ] ||
		fail "$root: a record archived twice"
}

# finish ROOT [KHO OPTIONS]: after space is freed, kho run completes the batch.
finish() {
	local root=$1
	shift
	expect_exit 0 run --root "$root" --inbox sample/inbox -j 2 "$@"
	[ "$(sql "$root" "SELECT count(DISTINCT record_id) FROM archive;")" = "$records" ] ||
		fail "$root: not every record archived after space was freed"
	[ -z "$(ls "$root/warehouse" | grep -v '^vol-[0-9]*\.tar$')" ] ||
		fail "$root: left in the warehouse: $(ls "$root/warehouse")"
	[ -z "$(ls -A "$root/store/tmp" 2>/dev/null)" ] ||
		fail "$root: temporary files left in the store"
	check_state "$root"
	check_bags "$root"
}

# 1. The store fills during ingest.
"$KHO" init store-full >/dev/null
tmpfs store-full/store 8m
run_full store-full
check_state store-full
echo "store full: $(said)"
mount -o remount,size=256m store-full/store
finish store-full

# 2. The warehouse fills while pack writes its third volume of about 4 MB.
"$KHO" init wh-full >/dev/null
tmpfs wh-full/warehouse 10m
run_full wh-full --volume-size 4M
check_state wh-full
sealed=$(sql wh-full "SELECT count(*) FROM volumes WHERE state='sealed';")
echo "warehouse full: $(said) ($sealed volumes sealed before)"
mount -o remount,size=256m wh-full/warehouse
finish wh-full --volume-size 4M

# 3. The whole root, catalog and log included, on a disk kept full by a
# filler file: first with no room at all, then with a little; removing the
# filler frees the space.
tmpfs disk 64m
"$KHO" init disk/root >/dev/null
"$KHO" ingest --root disk/root sample/inbox >/dev/null 2>&1
dd if=/dev/zero of=disk/filler bs=64k 2>/dev/null || true
run_full disk/root
echo "root full: $(said)"
# (Not even sqlite3 can read the catalog with no room for its WAL index;
# it is checked once there is a little.)
truncate -s -400K disk/filler
check_state disk/root
run_full disk/root
check_state disk/root
echo "root nearly full: $(said)"
rm disk/filler
finish disk/root
echo ok
