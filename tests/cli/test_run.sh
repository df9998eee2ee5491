#!/usr/bin/env bash
# kho run from an inbox to the warehouse: every page accounted for, valid
# PDFs, valid bags, a status that adds up; damaged files fail their record
# with a message naming the file and the batch goes on.
. "$(dirname "$0")/lib.sh"

gen sample --seed 11 --records 10 --quick
"$KHO" init root >/dev/null
expect_exit 1 run --root root --inbox sample/inbox --inbox sample/damaged -j 2
compare run_summary out

records=$(cut -d, -f1 sample/truth.csv | tail -n +2 | sort -u | wc -l)
archived=$(sql root "SELECT count(DISTINCT record_id) FROM archive;")
[ "$archived" = "$records" ] || fail "$archived archived, $records scanned"

# Every damaged file fails its own record, and the message names it.
tail -n +2 sample/damaged/expect.csv | while IFS=, read -r file record failure detail; do
	err=$(sql root "SELECT error FROM jobs WHERE stage='ingest' AND record_id='$record';")
	[ -n "$err" ] || fail "damaged $file: no failure for $record"
	case "$err" in *"'$file'"*) ;; *) fail "message for $file does not name it: $err" ;; esac
done

# Pages: every scanned page is a page of its result.pdf, in order.
mkdir x
for vol in root/warehouse/*.tar; do tar xf "$vol" -C x; done
for rec in $(cut -d, -f1 sample/truth.csv | tail -n +2 | sort -u); do
	pdf=$(ls x/$rec.*/data/$rec/result.pdf)
	qpdf --check "$pdf" >/dev/null || fail "qpdf --check $pdf"
	want=$(grep -c "^$rec," sample/truth.csv)
	got=$(pdfinfo "$pdf" | awk '/^Pages:/ {print $2}')
	[ "$got" = "$want" ] || fail "$rec: $got pages in result.pdf, $want scanned"
	grep -q '"schema": "kho-metadata/1"' x/$rec.*/data/$rec/metadata.json ||
		fail "$rec: metadata.json"
done
check_bags root
check_integrity root

# status adds up: archived + in progress + failed = current records.
expect_exit 0 status --root root --json
python3 - "$T/out" <<'PY' || fail "status does not add up"
import json, sys
d = json.load(open(sys.argv[1]))
r = d["records"]
assert r["archived"] + r["in_progress"] + r["failed"] == r["current"], r
assert d["stages"]["pack"]["done"] == r["archived"], d
assert r["ingest_failed"] == 7, r
assert len(d["failures"]) == 7, d["failures"]
assert d["warehouse"]["bags"] == r["archived"], d
PY
expect_exit 0 status --root root
compare status_text out

# Ingesting the same inbox again adds nothing.
before=$(sql root "SELECT count(*) FROM records;")
expect_exit 0 run --root root --inbox sample/inbox
after=$(sql root "SELECT count(*) FROM records;")
[ "$before" = "$after" ] || fail "a second ingest of the same inbox added records"
[ "$(ls root/warehouse | wc -l)" = 1 ] || fail "a second run wrote a volume"

# Touching a file without changing it adds nothing either.
rec=$(ls -d sample/inbox/*/ | head -1 | xargs basename)
touch sample/inbox/$rec/*
expect_exit 0 run --root root --inbox sample/inbox
[ "$(sql root "SELECT max(version) FROM records WHERE record_id='$rec';")" = 1 ] ||
	fail "an unchanged file made a new version"
expect_in out "1 done"

# A re-scanned page makes version 2, archived in a new volume; version 1
# stays in the index.
page=$(ls sample/inbox/$rec | head -1)
cp "$KHO_SOURCE_DIR/testdata/scans/blank-a5-100dpi.png" "sample/inbox/$rec/$page.new"
mv "sample/inbox/$rec/$page.new" "sample/inbox/$rec/zz-extra.png"
expect_exit 0 run --root root --inbox sample/inbox
[ "$(sql root "SELECT max(version) FROM records WHERE record_id='$rec';")" = 2 ] ||
	fail "a re-scan did not make version 2"
[ "$(sql root "SELECT count(DISTINCT version) FROM archive WHERE record_id='$rec';")" = 2 ] ||
	fail "the index does not keep both versions of $rec"
[ "$(ls root/warehouse | wc -l)" = 2 ] || fail "version 2 is not in a new volume"
check_bags root

# kho show tells the whole story of a record.
expect_exit 0 show --root root "$rec"
expect_in out "record $rec, version 2 (re-scanned)"
expect_in out "zz-extra.png"
expect_in out "version 2: bag $rec.2 in vol-000002.tar"
expect_in out "plan: rotate"
bad=$(tail -n +2 sample/damaged/expect.csv | head -1 | cut -d, -f2)
expect_exit 0 show --root root "$bad"
expect_in out "record $bad: not ingested"
expect_in out "failed"
expect_exit 1 show --root root NO-SUCH-1
expect_in err "no record 'NO-SUCH-1'"
echo ok
