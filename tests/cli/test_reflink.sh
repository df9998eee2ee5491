#!/usr/bin/env bash
# Where the file system shares blocks between files (XFS, Btrfs), ingest
# keeps each original as a clone of the inbox file: nothing is written,
# the store object hashes to its name, and a change to the inbox file
# afterwards leaves the store's copy as it was.  Elsewhere it skips (the
# copy is what every other test exercises); run it with TMPDIR on such a
# file system.
. "$(dirname "$0")/lib.sh"

echo probe >probe
cp --reflink=always probe probe.clone 2>/dev/null ||
	skip "no reflink on the file system of $T (set TMPDIR to an XFS or Btrfs folder)"
command -v filefrag >/dev/null || skip "no filefrag (e2fsprogs)"

gen sample --seed 29 --records 4 --quick --no-damaged
"$KHO" init root >/dev/null
expect_exit 0 ingest --root root sample/inbox
n=0
while read -r sha; do
	obj=$(find root/store -type f -name "$sha")
	[ -n "$obj" ] || fail "no store object $sha"
	# an object above one block: its extents shared with the inbox file
	if [ "$(stat -c %s "$obj")" -gt 4096 ]; then
		filefrag -v "$obj" | grep -q shared ||
			fail "$obj was copied, not cloned: $(filefrag -v "$obj")"
		n=$((n + 1))
	fi
	[ "$(sha256sum <"$obj" | cut -d' ' -f1)" = "$sha" ] ||
		fail "$obj does not hash to its name"
done < <(sql root "SELECT sha256 FROM originals;")
[ "$n" -gt 0 ] || fail "no original large enough to look at"

# The inbox file changed in place: the clone keeps the bytes it had.
f=$(find sample/inbox -type f -size +8k | head -1)
sha=$(sha256sum <"$f" | cut -d' ' -f1)
obj=$(find root/store -type f -name "$sha")
[ -n "$obj" ] || fail "$f is not in the store"
printf 'XXXXXXXX' | dd of="$f" bs=1 seek=4096 conv=notrunc 2>/dev/null
[ "$(sha256sum <"$obj" | cut -d' ' -f1)" = "$sha" ] ||
	fail "a change to the inbox file reached the store"
# It reads as a new scan of that record; the rest goes on to the warehouse.
expect_exit 0 run --root root
expect_exit 0 verify --root root
check_bags root
echo ok
