#!/usr/bin/env bash
# kho run --shard I/N and the commands that take --roots, without a
# scheduler: the same inbox run on one work root and as 2 and as 4 shards,
# one shard after another.  Each shard takes only the records whose id
# hashes to it (checked against an independent computation in Python),
# names its volumes after it, remembers its shard and refuses another;
# the shards' combined report (text, CSV, JSON, HTML, the missing list),
# status, verify, extract and lookup equal one machine's; roots that are
# not the shards of one batch are refused; shards may share one warehouse
# folder.  tests/slurm/test_slurm.sh does the same under Slurm.
. "$(dirname "$0")/lib.sh"

gen sample --seed 31 --records 16 --quick --orphans 2
# An inbox entry that names no record: one machine reports it once, and
# so do the shards together (shard 1 keeps it).
echo "notes" >"sample/inbox/read me.txt"
INBOX=(--inbox sample/inbox --inbox sample/damaged)

run_root() { # ROOT [--shard I/N]
	local root=$1
	shift
	"$KHO" init "$root" >/dev/null
	expect_exit 0 register import sample/register.csv --root "$root"
	run_kho run --root "$root" "${INBOX[@]}" -j 2 "$@"
	[ "$rc" = 0 ] || [ "$rc" = 1 ] || { cat "$T/out" "$T/err"; fail "kho run $root $*: exit $rc"; }
	cp "$T/out" "$T/$(echo "$root" | tr / _).run"
}

run_root one
for n in 2 4; do
	for i in $(seq 1 "$n"); do
		run_root "n$n/s$i" --shard "$i/$n"
		expect_in "$T/n${n}_s$i.run" "work root '$T/n$n/s$i' is shard $i/$n"
	done
done

# ---- each shard took its records, and only them ----
ids() { # ROOT: the record ids archived in sealed volumes
	sql "$1" "SELECT DISTINCT a.record_id FROM archive a JOIN volumes v
		ON v.id = a.volume AND v.state = 'sealed' ORDER BY 1;"
}
ids one >one.ids
[ "$(wc -l <one.ids)" = 16 ] || fail "one machine archived $(wc -l <one.ids) records"
for n in 2 4; do
	for i in $(seq 1 "$n"); do
		ids "n$n/s$i" >"n$n.s$i.ids"
		ls "n$n/s$i/warehouse" >"n$n.s$i.vols"
		grep -Evq "^vol-s0${i}of0$n-[0-9]{6}\.tar$" "n$n.s$i.vols" &&
			fail "n$n/s$i: a volume not named for its shard: $(cat "n$n.s$i.vols")"
		[ "$(sql "n$n/s$i" "SELECT shard || '/' || shards || ' ' || hash FROM shard;")" = \
			"$i/$n sha256-be64-mod" ] || fail "n$n/s$i does not remember its shard"
	done
	python3 - "$n" one.ids n$n.s*.ids <<'PY' || fail "the $n shards did not split the records by their hash"
import hashlib, sys
n = int(sys.argv[1])
single = set(open(sys.argv[2]).read().split())
seen = {}
for path in sys.argv[3:]:
    shard = int(path.split(".s")[1].split(".")[0])
    for rid in open(path).read().split():
        want = int.from_bytes(hashlib.sha256(rid.encode()).digest()[:8], "big") % n + 1
        assert want == shard, (rid, "archived by shard", shard, "hashes to", want)
        assert rid not in seen, (rid, "archived by shards", seen[rid], shard)
        seen[rid] = shard
assert set(seen) == single, (sorted(set(seen) ^ single))
assert len(set(seen.values())) > 1, "every record in one shard"
PY
	# a shard never even looked at the other shards' entries
	for i in $(seq 1 "$n"); do
		sql "n$n/s$i" "SELECT detail FROM events WHERE type = 'inbox-scan';" >scan.txt
		expect_in scan.txt "shard $i/$n: "
	done
done

# ---- the combined report equals one machine's ----
mask() { # what differs by design: times, the roots, the trend's run ids
	sed -E -e 's/[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9:.]+(Z| UTC)/<TIME>/g' \
		-e "s#$T/[a-z0-9/]+#<ROOT>#g" \
		-e 's/[0-9]+ work roots \(shards 1-[0-9]+ of [0-9]+\)/<ROOT>/' \
		-e 's/work root <code><ROOT><\/code>/<ROOT>/'
}
for n in 2 4; do
	roots=(n$n/s*)
	for f in text csv html; do
		expect_exit 0 report --root one --format "$f"
		mask <out >one.$f
		expect_exit 0 report --roots "${roots[@]}" --format "$f"
		mask <out >n$n.$f
		diff -u one.$f n$n.$f || fail "the $f report of $n shards differs from one machine's"
	done
	expect_exit 0 report --root one --format json
	cp out one.json
	expect_exit 0 report --format json --roots "${roots[@]}"
	cp out n$n.json
	python3 - one.json n$n.json "$n" "$T" <<'PY' || fail "the JSON report of $n shards differs"
import json, sys
one, many = (json.load(open(p)) for p in sys.argv[1:3])
n, t = int(sys.argv[3]), sys.argv[4]
assert one["root"] == t + "/one" and one["roots"] == [one["root"]], one["root"]
assert many["root"] is None, many["root"]
assert many["roots"] == ["%s/n%d/s%d" % (t, n, i) for i in range(1, n + 1)], many["roots"]
def strip(d):
    for k in ("root", "roots", "generated_at"):
        d.pop(k)
    for k in ("id", "imported_at"):
        d["register"]["last_import"].pop(k)
    for day in d["trend"]["days"]:
        day.pop("taken_at")
        assert day.pop("run") in (None, 1, 2), day
    return d
a, b = strip(one), strip(many)
assert a == b, [k for k in a if a[k] != b[k]]
assert a["orphans"]["count"] == 2 and a["total"]["failed"] > 0 and a["total"]["not_scanned"] > 0
PY
	# the morning report: each shard's run, added up
	expect_exit 0 report --root one --morning --format json
	cp out one.morning
	expect_exit 0 report --roots "${roots[@]}" --morning --format json
	cp out n$n.morning
	python3 - one.morning n$n.morning "$n" <<'PY' || fail "the morning report of $n shards differs"
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
n = int(sys.argv[3])
assert b["root"] is None and len(b["roots"]) == n and b["run"]["id"] is None
assert all(r["run"] == 1 and r["outcome"] == "ok" for r in b["roots"]), b["roots"]
assert sum(r["archived"] for r in b["roots"]) == a["archived"]["records"] == 16
for k in ("records", "pages", "by_year", "by_agency"):
    assert a["archived"][k] == b["archived"][k], (k, a["archived"][k], b["archived"][k])
assert a["stages"] == b["stages"], (a["stages"], b["stages"])
assert a["failures"] == b["failures"], (a["failures"], b["failures"])
assert a["flagged"] and a["flagged"] == b["flagged"], (a["flagged"], b["flagged"])
for k in ("before", "after"):
    x, y = a["coverage"][k], b["coverage"][k]
    x.pop("taken_at"); y.pop("taken_at")
    assert x == y, (k, x, y)
PY
	expect_exit 0 report --roots "${roots[@]}" --morning
	expect_in out "runs of the roots (kho run): "
	expect_in out "  s$n           run 1, "
	expect_exit 2 report --roots "${roots[@]}" --morning --run 1
	expect_in err "--run goes with one work root"

	expect_exit 0 report --root one --missing -o one.missing.csv
	expect_exit 0 report --roots "${roots[@]}" --missing -o n$n.missing.csv
	cmp one.missing.csv n$n.missing.csv || fail "the missing list of $n shards differs"
	agency=$(sed -n 2p one.missing.csv | cut -d, -f3)
	year=$(sed -n 2p one.missing.csv | cut -d, -f2)
	expect_exit 0 report --root one --missing --agency "$agency" --year "$year"
	cp out one.part.csv
	expect_exit 0 report --missing --agency "$agency" --year "$year" --roots "${roots[@]}"
	cmp one.part.csv out || fail "the missing list of one agency and year differs"

	# ---- status ----
	expect_exit 0 status --root one --json
	cp out one.status
	expect_exit 0 status --json --roots "${roots[@]}"
	cp out n$n.status
	python3 - one.status n$n.status "$n" <<'PY' || fail "the status of $n shards differs"
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
n = int(sys.argv[3])
assert a["shard"] is None and b["shard"] is None and b["root"] is None
assert [r["shard"] for r in b["roots"]] == ["%d/%d" % (i, n) for i in range(1, n + 1)]
assert a["stages"] == b["stages"] and a["records"] == b["records"], (a["records"], b["records"])
assert a["records"]["inbox_problems"] == 1, a["records"]
assert a["warehouse"]["bags"] == b["warehouse"]["bags"] == 16
assert b["warehouse"]["volumes"] == sum(r["warehouse"]["volumes"] for r in b["roots"])
assert sum(r["records"]["archived"] for r in b["roots"]) == a["records"]["archived"]
key = lambda f: (f["stage"], f["record"], f["error"])
assert [key(f) for f in a["failures"]] == [key(f) for f in b["failures"]]
PY
	expect_exit 0 status --roots "${roots[@]}"
	expect_in out "kho status: $n work roots (shards 1-$n of $n)"
	expect_in out "  shard 1/$n"
	sed -n '/^stage/,$p' out | grep -v '^warehouse' >n$n.status.txt
	expect_exit 0 status --root one
	sed -n '/^stage/,$p' out | grep -v '^warehouse' >one.status.txt
	diff -u one.status.txt n$n.status.txt || fail "the status text of $n shards differs"

	# ---- verify, extract, lookup ----
	expect_exit 0 verify --roots "${roots[@]}"
	expect_in out "kho verify: $n work roots, "
	expect_in out "every checksum recomputes"
	for r in "${roots[@]}"; do
		check_bags "$r"
		expect_exit 0 verify --root "$r"
	done
done
expect_exit 0 status --root n4/s3
expect_in out "shard 3/4: the records whose id hashes to it"

last=$(tail -1 n4.s4.ids)
expect_exit 0 extract --roots n4/s1 n4/s2 n4/s3 n4/s4 -- "$last" got
expect_in out "kho extract: $last version 1 (bag $last.1 in vol-s04of04-"
[ -s got/result.pdf ] && [ -s got/metadata.json ] || fail "extract wrote nothing"
expect_exit 0 extract "$last" got2 --roots n4/s4 n4/s3 n4/s2 n4/s1
cmp got/result.pdf got2/result.pdf || fail "two extractions differ"
expect_exit 1 extract NO-SUCH-RECORD got3 --roots n4/s1 n4/s2 n4/s3 n4/s4
expect_in err "4 work roots (shards 1-4 of 4): record 'NO-SUCH-RECORD' is not in the warehouse"
payload=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["publication"]["qr_payload"])' got/metadata.json)
expect_exit 0 lookup "$payload" --roots n4/s1 n4/s2 n4/s3 n4/s4
expect_in out "GENUINE"
expect_exit 1 lookup "$payload" --root n4/s1
expect_exit 0 lookup --pdf got/result.pdf --roots n4/s1 n4/s2 n4/s3 n4/s4
expect_in out "GENUINE"

# ---- a shard remembers its shard and refuses another ----
expect_exit 2 run --root n4/s1 --shard 2/4
expect_in err "work root '$T/n4/s1' is shard 1/4: it cannot run as shard 2/4"
expect_exit 2 run --root n4/s1 --shard 1/2
expect_exit 2 run --root one --shard 1/2
expect_in err "work root '$T/one' cannot be shard 1/2: it ran without --shard"
for bad in 0/4 5/4 1/0 x 3 1/1000 -1/4; do
	expect_exit 2 run --root n4/s1 --shard "$bad"
	expect_in err "--shard '$bad'"
done
# Without --shard, the root's own; a stage command too: nothing new.
expect_exit 0 run --root n4/s3 "${INBOX[@]}"
expect_in out "work root '$T/n4/s3' is shard 3/4"
expect_exit 0 ingest sample/inbox sample/damaged --root n4/s3
[ "$(sql n4/s3 'SELECT count(*) FROM records;')" = "$(wc -l <n4.s3.ids)" ] ||
	fail "kho ingest on a shard took other shards' records"

# ---- roots that are not the shards of one batch ----
expect_exit 2 report --roots one n4/s1
expect_in err "work root '$T/one' is not a shard (it never ran with --shard)"
expect_exit 2 report --roots n4/s1 n4/s1
expect_in err "is given twice"
expect_exit 2 status --roots n2/s1 n4/s2
expect_in err "are shards of different splits"
"$KHO" init other2 >/dev/null
expect_exit 0 register import sample/register.csv --root other2
expect_exit 0 run --root other2 --shard 2/4
expect_exit 2 report --roots n4/s1 n4/s2 other2
expect_in err "work roots '$T/n4/s2' and '$T/other2' are both shard 2/4"
expect_exit 2 report --root one --roots n4/s1
expect_in err "give --root or --roots, not both"
# A root that counts against another register.
"$KHO" init other3 >/dev/null
head -n -1 sample/register.csv >short.csv
expect_exit 0 register import short.csv --root other3
expect_exit 0 run --root other3 --shard 3/4
expect_exit 2 report --roots n4/s1 n4/s2 other3 n4/s4
expect_in err "hold different registers"
# A shard left out: said, and its records count as not yet scanned.
expect_exit 0 report --roots n4/s1 n4/s2 n4/s4 --format json
expect_in err "kho report: shard 3/4 is not among the roots given"
python3 - out n4.s3.ids <<'PY' || fail "a missing shard's records"
import json, sys
rep = json.load(open(sys.argv[1]))
assert rep["total"]["archived"] + rep["orphans"]["archived"] == 16 - len(open(sys.argv[2]).read().split())
PY
# A copy of a shard's root that claims another shard: its records are in
# two roots and in the wrong shard.
cp -a n4/s1 copy
sqlite3 copy/catalog.db "UPDATE shard SET shard = 2;"
expect_exit 2 report --roots n4/s1 copy n4/s3 n4/s4
expect_in err "is in work roots '$T/n4/s1' and '$T/copy': they are not shards of one batch"
expect_exit 1 verify --roots n4/s1 copy n4/s3 n4/s4
expect_in out "shard: record '$(head -1 n4.s1.ids)' is archived by work root '$T/copy', shard 2/4, but its id hashes to shard 1/4"
expect_in out "is archived in two work roots: '$T/n4/s1'"

# ---- shards that share one warehouse folder ----
mkdir shared
for i in 1 2; do
	"$KHO" init "w$i" >/dev/null
	rmdir "w$i/warehouse"
	ln -s ../shared "w$i/warehouse"
done
# Another shard's volume being written must survive a shard's recovery.
touch shared/vol-s02of02-000009.tar.part
run_root2() {
	expect_exit 0 register import sample/register.csv --root "w$1"
	run_kho run --root "w$1" --shard "$1/2" "${INBOX[@]}" -j 2
	[ "$rc" = 1 ] || [ "$rc" = 0 ] || fail "kho run w$1: exit $rc"
}
run_root2 1
[ -e shared/vol-s02of02-000009.tar.part ] || fail "shard 1 removed shard 2's .part"
rm shared/vol-s02of02-000009.tar.part
run_root2 2
ls shared >shared.ls
[ "$(grep -c '^vol-s01of02-' shared.ls)" -ge 1 ] && [ "$(grep -c '^vol-s02of02-' shared.ls)" -ge 1 ] ||
	fail "the shared folder: $(cat shared.ls)"
expect_exit 0 verify --root w1
expect_in out "volume(s) of other work roots (shards) left to them"
expect_exit 0 verify --roots w1 w2
expect_exit 0 report --roots w1 w2 --format csv
mask <out >w.csv
cmp one.csv w.csv || fail "the report of shards sharing a warehouse folder differs"
echo junk >shared/junk.txt
expect_exit 1 verify --roots w1 w2
expect_in out "junk.txt: extra: a file that is not a volume"
rm shared/junk.txt
cp "shared/$(grep '^vol-s02of02-' shared.ls | head -1)" shared/vol-s02of02-000099.tar
expect_exit 1 verify --roots w1 w2
expect_in out "vol-s02of02-000099.tar: extra: a volume the index does not know"
expect_exit 0 verify --root w1
echo "ok: shards split, combined and checked"
