#!/usr/bin/env bash
# The warehouse kept honest: bags in tar and zip volumes that an
# independent BagIt validator accepts; kho verify finds every checksum
# good, and names a flipped byte anywhere in a volume, a missing volume
# and a stray file; kho extract gives back byte-identical files, never
# overwrites, and refuses a volume whose member was altered.
. "$(dirname "$0")/lib.sh"
validate="python3 $KHO_SOURCE_DIR/tests/tools/bagit_validate.py"

gen sample --seed 41 --records 3 --quick --no-damaged
"$KHO" init root >/dev/null
sed -i 's/^tiff_master = no/tiff_master = yes/' root/kho.conf
expect_exit 0 run --root root --inbox sample/inbox
# the same records again, in a zip volume
for rec in $(sql root "SELECT DISTINCT record_id FROM archive;"); do
	expect_exit 0 retry --root root pack --record "$rec"
done
expect_exit 0 run --root root --volume-format zip
ls root/warehouse >vols.txt
[ "$(cat vols.txt)" = "$(printf 'vol-000001.tar\nvol-000002.zip')" ] ||
	{ cat vols.txt; fail "one tar and one zip volume expected"; }
$validate root/warehouse/* >"$T/bagit.out" || { cat "$T/bagit.out"; fail "BagIt validation"; }
expect_in "$T/bagit.out" "6 bag(s), 0 invalid"

expect_exit 0 verify --root root
expect_in out "vol-000001.tar: ok"
expect_in out "vol-000002.zip: ok"
expect_in out "2 volume(s), 6 bag(s)"
expect_in out "every checksum recomputes"
expect_exit 0 verify --root root --volume vol-000002.zip
expect_not_in out "vol-000001.tar"
expect_exit 0 verify --root root --sample 50
expect_in out "1 volume(s) (a sample)"
expect_exit 2 verify --root root --sample 0
expect_exit 2 verify --root root --volume vol-000009.tar

# ---- a flipped byte anywhere is named ----
# Positions: in every member's header and data and just before its data,
# after the last member, at both ends, and at random; each flip is undone
# after its check.  kho verify must exit 1 and name the volume, and the
# member when the byte is in its data.
chmod u+w root/warehouse/*
python3 - "$KHO" root <<'PY' || fail "a flipped byte went unnamed"
import os, random, sqlite3, subprocess, sys
kho, root = sys.argv[1], sys.argv[2]
db = sqlite3.connect(root + "/catalog.db")
random.seed(41)
tried = 0
for (vol,) in db.execute("SELECT name FROM volumes ORDER BY name").fetchall():
    path = f"{root}/warehouse/{vol}"
    size = os.path.getsize(path)
    rows = db.execute("SELECT a.member, a.offset, a.size FROM archive a JOIN volumes v "
                      "ON v.id = a.volume WHERE v.name = ? ORDER BY a.offset", (vol,)).fetchall()
    pos = {0, size - 1, rows[-1][1] + rows[-1][2] + 1}
    for _, off, n in rows:
        pos |= {off - 1, off - 300, off + n // 2}
    pos |= {random.randrange(size) for _ in range(15)}
    with open(path, "r+b") as f:
        for p in sorted(x for x in pos if 0 <= x < size):
            f.seek(p); b = f.read(1); f.seek(p); f.write(bytes([b[0] ^ 0x04])); f.flush()
            r = subprocess.run([kho, "verify", "--root", root, "--volume", vol],
                               capture_output=True, text=True)
            f.seek(p); f.write(b); f.flush()
            inside = [m for m, off, n in rows if off <= p < off + n]
            ok = r.returncode == 1 and r.stdout.startswith(vol + ": ")
            if inside:
                ok = ok and f"{vol}: altered: {inside[0]}: " in r.stdout
            if not ok:
                sys.exit(f"byte {p} of {vol} ({inside or 'outside the data'}): "
                         f"exit {r.returncode}\n{r.stdout}{r.stderr}")
            tried += 1
assert tried > 150, tried
print(f"{tried} flipped bytes named")
PY
expect_exit 0 verify --root root

# ---- extract: byte-identical, never over a file ----
rec=$(sql root "SELECT record_id FROM records ORDER BY record_id LIMIT 1;")
for version in 1 2; do
	expect_exit 0 extract --root root "$rec" "out$version" --version $version
	expect_in out "$rec version $version"
	[ -f "out$version/result.pdf" ] && [ -f "out$version/metadata.json" ] &&
		[ -f "out$version/master.tif" ] && ls out$version/originals/001.* >/dev/null ||
		{ find "out$version"; fail "extract of version $version is incomplete"; }
	mkdir "bag$version"
	tar -xf "root/warehouse/vol-00000$version."* -C "bag$version" 2>/dev/null ||
		python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])' \
			root/warehouse/vol-00000$version.zip "bag$version"
	diff -r "out$version" "bag$version/$rec.$version/data/$rec" ||
		fail "extract of version $version differs from the bag"
done
for f in result.pdf metadata.json master.tif; do
	cmp -s "out2/$f" "$(sql root "SELECT 'root/store/' || substr(o.sha256, 1, 2) || '/' || o.sha256 FROM outputs o JOIN records r ON r.id = o.record WHERE r.record_id = '$rec' AND r.current = 1 AND o.name = '$f';")" ||
		fail "extracted $f is not the store's"
done
expect_exit 0 extract --root root "$rec" out3
expect_in out "$rec version 2"
expect_exit 1 extract --root root "$rec" out1 --version 1
expect_in err "exists: kho extract never overwrites a file"
expect_exit 1 extract --root root NO-SUCH-1 out4
expect_in err "record 'NO-SUCH-1' is not in the warehouse"
expect_exit 1 extract --root root "$rec" out4 --version 7
expect_exit 2 extract --root root "../x" out4

# an altered member: refused, nothing written
pos=$(sql root "SELECT offset + size / 2 FROM archive WHERE record_id = '$rec' AND version = 2 AND member LIKE '%/result.pdf';")
flip() { # FILE POS
	python3 -c 'import sys; f = open(sys.argv[1], "r+b"); f.seek(int(sys.argv[2])); b = f.read(1); f.seek(int(sys.argv[2])); f.write(bytes([b[0] ^ 0x04]))' "$1" "$2"
}
flip root/warehouse/vol-000002.zip "$pos"
expect_exit 1 extract --root root "$rec" out5
expect_in err "result.pdf' of 'vol-000002.zip' is altered"
[ -z "$(find out5 -type f 2>/dev/null)" ] || fail "extract wrote files from an altered volume"
expect_exit 1 verify --root root
expect_in out "vol-000002.zip: altered: $rec.2/data/$rec/result.pdf"
expect_in out "vol-000001.tar: ok"
flip root/warehouse/vol-000002.zip "$pos"

# a missing volume and a stray file are named too
mv root/warehouse/vol-000001.tar vol.tar
echo stray >root/warehouse/notes.txt
expect_exit 1 verify --root root
expect_in out "vol-000001.tar: missing: the index has it, the warehouse does not"
expect_in out "notes.txt: extra: a file that is not a volume"
mv vol.tar root/warehouse/vol-000001.tar
rm root/warehouse/notes.txt
chmod a-w root/warehouse/*
expect_exit 0 verify --root root

# ---- the originals' SHA-512: taken by ingest, used by pack ----
# Every original has in the catalog the SHA-512 of its bytes; originals
# ingested by a kho before that (none in the catalog) are hashed by pack,
# and every bag's manifests recompute either way.
gen sample2 --seed 43 --records 2 --quick --no-damaged
"$KHO" init root2 >/dev/null
expect_exit 0 ingest --root root2 sample2/inbox
[ "$(sql root2 "SELECT count(*) FROM originals WHERE sha512 IS NULL;")" = 0 ] ||
	fail "an original without its SHA-512"
mapfile -t digests < <(sql root2 "SELECT sha256 || ' ' || sha512 FROM originals;")
[ "${#digests[@]}" -gt 1 ] || fail "originals expected"
for line in "${digests[@]}"; do
	s256=${line% *} s512=${line#* }
	[ "$(sha512sum "root2/store/${s256:0:2}/$s256" | cut -d' ' -f1)" = "$s512" ] ||
		fail "the catalog's SHA-512 of $s256 is not its bytes'"
done
# the first record's originals as a kho before them left them, the
# other's SHA-512 not one (a hand-edited catalog): both hashed as packed
first=$(sql root2 "SELECT min(record) FROM originals;")
sql root2 "UPDATE originals SET sha512 = NULL WHERE record = $first;"
sql root2 "UPDATE originals SET sha512 = 'not-a-digest' WHERE record != $first;"
expect_exit 0 run --root root2
$validate root2/warehouse/* >"$T/bagit.out" || { cat "$T/bagit.out"; fail "BagIt validation"; }
expect_in "$T/bagit.out" "2 bag(s), 0 invalid"
for vol in root2/warehouse/*.tar; do
	tar -xOf "$vol" --wildcards '*/manifest-sha512.txt'
done >m512.txt
for line in "${digests[@]}"; do
	grep -q "^${line#* }  data/" m512.txt || fail "a bag's manifest lacks the SHA-512 ${line#* }"
done
expect_exit 0 verify --root root2
echo ok
