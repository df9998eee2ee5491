#!/usr/bin/env bash
# What ingest finds in an inbox: folders, files, manifest.csv, bad names,
# links out of the inbox, page order; nothing in the inbox is changed.
. "$(dirname "$0")/lib.sh"

S="$KHO_SOURCE_DIR/testdata/scans"
D="$KHO_SOURCE_DIR/testdata/damaged"
mkdir -p in/REC-A in/REC-EMPTY outside
cp "$S/page-number-only-a5-100dpi.png" in/REC-A/page-10.png
cp "$S/blank-a5-100dpi.png" in/REC-A/page-2.png
cp "$S/blank-a5-100dpi.png" in/REC-B.png
cp "$S/blank-a5-100dpi.png" "in/bad name.png"
printf 'x' >in/.hidden-temp
cp "$S/blank-a5-100dpi.png" outside/secret.png
ln -s ../outside/secret.png in/REC-LINK.png
ln -s REC-B.png in/REC-INSIDE.png
cp "$S/page-number-only-a5-100dpi.png" in/scan_0001.png
cp "$S/blank-a5-100dpi.png" in/scan_0002.png
cp "$S/blank-a5-100dpi.png" in/REC-DUP.png
mkdir in/REC-DUP
cp "$S/blank-a5-100dpi.png" in/REC-DUP/p1.png
cp "$D/scan-export.pdf" in/REC-PDF.pdf
cat >in/manifest.csv <<'CSV'
File,Record,Page
scan_0002.png,REC-M,2
scan_0001.png,REC-M,1
../outside/secret.png,REC-X,1
/etc/passwd,REC-Y,1
scan_0001.png,НТ-2021-1,1
CSV
find in -type f -exec sha256sum {} + | sort >before.sum

"$KHO" init root >/dev/null
expect_exit 1 ingest --root root in
find in -type f -exec sha256sum {} + | sort >after.sum
cmp -s before.sum after.sum || fail "ingest changed the inbox"

state() { sql root "SELECT state FROM jobs WHERE stage='ingest' AND record_id='$1';"; }
error() { sql root "SELECT error FROM jobs WHERE stage='ingest' AND record_id='$1';"; }
[ "$(state REC-A)" = done ] || fail "REC-A: $(error REC-A)"
[ "$(state REC-B)" = done ] || fail "REC-B"
[ "$(state REC-INSIDE)" = done ] || fail "a link inside the inbox is followed"
[ "$(state REC-M)" = done ] || fail "REC-M from the manifest: $(error REC-M)"
# Natural order: page-2 before page-10.
[ "$(sql root "SELECT o.name FROM pages p JOIN originals o ON o.id=p.original JOIN records r ON r.id=p.record WHERE r.record_id='REC-A' AND p.page_no=1;")" = REC-A/page-2.png ] ||
	fail "REC-A pages are not in natural order"
# The manifest's page numbers decide the order.
[ "$(sql root "SELECT o.name FROM pages p JOIN originals o ON o.id=p.original JOIN records r ON r.id=p.record WHERE r.record_id='REC-M' AND p.page_no=1;")" = scan_0001.png ] ||
	fail "REC-M pages are not in the manifest's order"
case "$(error REC-LINK)" in *"outside the inbox"*) ;; *) fail "REC-LINK: $(error REC-LINK)" ;; esac
case "$(error REC-EMPTY)" in *"holds no scans"*) ;; *) fail "REC-EMPTY: $(error REC-EMPTY)" ;; esac
case "$(error REC-DUP)" in *"more than once"*) ;; *) fail "REC-DUP: $(error REC-DUP)" ;; esac
case "$(error REC-PDF)" in *"is a PDF"*) ;; *) fail "REC-PDF: $(error REC-PDF)" ;; esac
problems=$(sql root "SELECT error FROM jobs WHERE stage='ingest' AND record_id IS NULL ORDER BY error;")
echo "$problems" >problems.txt
expect_in problems.txt "'bad name.png' does not name a record"
expect_in problems.txt "'../outside/secret.png': the file name holds '.' or '..'"
expect_in problems.txt "'/etc/passwd': the file name is an absolute path"
expect_in problems.txt "'НТ-2021-1' is not a valid record id"
expect_not_in problems.txt ".hidden-temp"
[ -z "$(sql root "SELECT 1 FROM records WHERE record_id IN ('REC-X','REC-Y','REC-LINK');")" ] ||
	fail "a record was made from outside the inbox"

# The blank page is flagged and kept; the page-number page is not blank.
[ "$(sql root "SELECT count(*) FROM pages p JOIN records r ON r.id=p.record WHERE r.record_id='REC-A';")" = 2 ] ||
	fail "REC-A lost a page"
"$KHO" run --root root >/dev/null 2>&1 || true
[ "$(sql root "SELECT pl.blank FROM plans pl JOIN pages p ON p.id=pl.page JOIN records r ON r.id=p.record WHERE r.record_id='REC-B';")" = 1 ] ||
	fail "the blank page is not flagged blank"
[ "$(sql root "SELECT pl.blank FROM plans pl JOIN pages p ON p.id=pl.page JOIN records r ON r.id=p.record WHERE r.record_id='REC-M' AND p.page_no=1;")" = 0 ] ||
	fail "a page with only a page number is flagged blank"

# Looking at the same inbox again adds no job and no problem.
jobs=$(sql root "SELECT count(*) FROM jobs;")
expect_exit 0 ingest --root root in
[ "$(sql root "SELECT count(*) FROM jobs;")" = "$jobs" ] || fail "a second look added jobs"
expect_in out "0 done"
echo ok
