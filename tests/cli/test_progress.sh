#!/usr/bin/env bash
# The progress log line (stderr not a terminal): kho run, which works every
# stage in one pool, counts each record once, when it is through them all
# or has failed, out of the records it began with, and each page once (the
# pages of the records that got through), never a count per stage; a
# single stage (kho ingest, normalize, compress) counts its own jobs and
# pages, as it always did.
. "$(dirname "$0")/lib.sh"

gen sample --seed 3 --records 8 --no-damaged --manifest no --quick
records=$(cut -d, -f1 sample/truth.csv | tail -n +2 | sort -u | wc -l)
pages=$(tail -n +2 sample/truth.csv | wc -l)
[ "$records" -gt 1 ] && [ "$pages" -ge "$records" ] || fail "sample: $records records, $pages pages"

# final_line STAGE FILE: the last progress line of STAGE in FILE.
final_line() {
	grep -E "^$1: [0-9]+/[0-9]+ records, " "$2" | tail -n 1
}

# expect_final STAGE FILE DONE TOTAL PAGES
expect_final() {
	local line
	line=$(final_line "$1" "$2")
	case "$line" in
	"$1: $3/$4 records, $5 pages, "*" pages/s, 0s left") ;;
	*) cat "$2"; fail "$1: final progress line '$line', expected $3/$4 records, $5 pages" ;;
	esac
}

# No progress line counts more records than the total.
expect_bounded() {
	grep -E "^$1: [0-9]+/[0-9]+ records, " "$2" | while read -r _ frac _; do
		[ "${frac%/*}" -le "${frac#*/}" ] || { cat "$2"; fail "$1: $frac records"; }
	done
}

# ---- kho run: each record and each page once ----
"$KHO" init root >/dev/null
expect_exit 0 run --root root --inbox sample/inbox -j 2 --nice 0
expect_in "$T/err" "run: working $records record(s)"
expect_final run "$T/err" "$records" "$records" "$pages"
expect_bounded run "$T/err"

# ---- a record that fails is through; its pages are not counted ----
bad=$(cut -d, -f1 sample/truth.csv | tail -n +2 | sort -u | head -n 1)
bad_pages=$(grep -c "^$bad," sample/truth.csv)
"$KHO" init failing >/dev/null
KHO_FAULT="compress:$bad:segv:1" run_kho run --root failing --inbox sample/inbox -j 2 --nice 0
[ "$rc" = 1 ] || { cat "$T/out" "$T/err"; fail "kho run with a failing record: exit $rc"; }
expect_final run "$T/err" "$records" "$records" $((pages - bad_pages))
expect_bounded run "$T/err"

# ---- one stage at a time: its own jobs and pages, as before ----
"$KHO" init staged >/dev/null
expect_exit 0 ingest --root staged -j 2 --nice 0 sample/inbox
expect_final ingest "$T/err" "$records" "$records" "$pages"
for stage in normalize compress; do
	expect_exit 0 "$stage" --root staged -j 2 --nice 0
	expect_final "$stage" "$T/err" "$records" "$records" "$pages"
done
