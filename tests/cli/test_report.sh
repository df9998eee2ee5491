#!/usr/bin/env bash
# kho report: coverage of a generated register after kho run, where the
# truth is known (scanned records archived, damaged ones failed, the rest
# not yet scanned, orphans left out of the register), per year, agency and
# field, against the targets; consistent with kho status; text that fits
# 80 columns, CSV, JSON, the missing list, the morning report, the trend
# from the snapshots of each run; the HTML parsed as XML and, where
# Debian's chromium is installed, opened headless for screenshots (a
# desktop and a phone) and printed to an A4 PDF.
. "$(dirname "$0")/lib.sh"

gen sample --seed 31 --records 16 --quick --orphans 2
"$KHO" init root >/dev/null

# Before anything: an empty register, no run.
expect_exit 0 report --root root
expect_in out "register: empty (kho register import FILE.csv loads it)"
expect_exit 2 report --root root --morning
expect_in err "no kho run in this work root yet"

expect_exit 0 register import sample/register.csv --root root
expect_exit 1 run --root root --inbox sample/inbox --inbox sample/damaged -j 2
expect_exit 0 status --root root --json
cp out status.json

# ---- the numbers, against the generator's truth ----
expect_exit 0 report --root root --format json
cp out report.json
python3 - sample status.json report.json <<'PY' || fail "coverage differs from the truth"
import csv, json, math, os, sys
d, status, rep = sys.argv[1], json.load(open(sys.argv[2])), json.load(open(sys.argv[3]))
reg = list(csv.DictReader(open(os.path.join(d, "register.csv"), encoding="utf-8")))
scanned = {r["record"] for r in csv.DictReader(open(os.path.join(d, "truth.csv")))}
damaged = {r["record"] for r in csv.DictReader(open(os.path.join(d, "damaged/expect.csv")))}
ids = {r["id"] for r in reg}
assert len(ids) == len(reg)

def state(rid):
    return "archived" if rid in scanned else "failed" if rid in damaged else "not_scanned"

def target(year):
    return 90 if 2020 <= year <= 2022 else 100 if year > 2022 else None

def expect(rows):
    c = {"registered": 0, "archived": 0, "in_progress": 0, "failed": 0, "not_scanned": 0}
    by_year = {}
    for r in rows:
        s = state(r["id"])
        c["registered"] += 1
        c[s] += 1
        y = by_year.setdefault(int(r["year"]), [0, 0])
        y[0] += 1
        y[1] += s == "archived"
    needed = gap = 0
    for year, (n, a) in by_year.items():
        t = target(year)
        if t is not None:
            need = math.ceil(t * n / 100)
            needed += need
            gap += max(0, need - a)
    c["needed"], c["gap"] = needed, gap
    return c

def check(got, rows, what):
    want = expect(rows)
    for k, v in want.items():
        assert got[k] == v, (what, k, got[k], v)
    pct = 100 * want["archived"] / want["registered"]
    assert abs(got["coverage_pct"] - pct) < 0.011, (what, got["coverage_pct"], pct)

check(rep["total"], reg, "total")
check(rep["backlog"], [r for r in reg if 2020 <= int(r["year"]) <= 2022], "backlog")
check(rep["new"], [r for r in reg if int(r["year"]) > 2022], "new")
for key, col in (("by_year", "year"), ("by_agency", "agency"), ("by_field", "field")):
    groups = sorted({r[col] for r in reg})
    got = rep[key]
    assert [str(g[col]) for g in got] == sorted(groups), (key, got)
    for g in got:
        check(g, [r for r in reg if r[col] == str(g[col])], (key, g[col]))
for g in rep["groups"]:
    check(g, [r for r in reg if (int(r["year"]), r["agency"], r["field"]) ==
              (g["year"], g["agency"], g["field"])], ("group", g["year"]))
assert sum(g["registered"] for g in rep["groups"]) == len(reg)

orphans = sorted(scanned - ids)
assert len(orphans) == 2, orphans
assert rep["orphans"]["count"] == 2 and rep["orphans"]["archived"] == 2, rep["orphans"]
assert [o["record"] for o in rep["orphans"]["records"]] == orphans
assert rep["scanned_twice"]["count"] == 0
assert rep["total"]["not_scanned"] > 0 and rep["total"]["failed"] > 0

# consistent with kho status
s = status["records"]
assert s["archived"] == rep["total"]["archived"] + rep["orphans"]["archived"], (s, rep["total"])
assert rep["status"]["archived"] == s["archived"] and rep["status"]["current"] == s["current"]
assert rep["register"]["records"] == len(reg)
assert rep["register"]["last_import"]["taken"] == len(reg)
assert rep["targets"] == {"backlog_from": 2020, "backlog_to": 2022, "backlog_pct": 90,
                          "new_pct": 100, "target_date": rep["targets"]["target_date"]}
# the run left a snapshot: the trend has today
days = rep["trend"]["days"]
assert len(days) == 1 and days[0]["kind"] == "run" and days[0]["archived"] == rep["total"]["archived"], days
open("not_scanned", "w").write("\n".join(sorted(r["id"] for r in reg if state(r["id"]) == "not_scanned")) + "\n")
PY

# ---- text: 80 columns ----
expect_exit 0 report --root root
cp out report.txt
python3 - report.txt <<'PY' || fail "the text report is wider than 80 columns"
import sys, unicodedata
for line in open(sys.argv[1], encoding="utf-8"):
    line = line.rstrip("\n")
    width = sum(1 for ch in line if not unicodedata.combining(ch))
    assert width <= 79, (width, line)
PY
total=$(python3 -c 'import json; t = json.load(open("report.json"))["total"]; print(t["registered"], t["archived"], t["gap"])')
read -r registered archived gap <<<"$total"
grep -Eq "^all +$registered +$archived +0 +[0-9]+ +[0-9]+ +[0-9.]+% +[0-9.]+% +$gap\$" report.txt ||
	fail "the text's all row: $(grep '^all' report.txt)"
for heading in "year " "agency " "field " "orphans, in the catalog but not in the register: 2 (2 archived)" \
	"trend (the last snapshot of each day)" "record(s) short of the targets" \
	"kho status counts"; do
	expect_in report.txt "$heading"
done

# ---- CSV ----
expect_exit 0 report --root root --format csv
python3 - "$T/out" report.json <<'PY' || fail "CSV report"
import csv, json, sys
rows = list(csv.DictReader(open(sys.argv[1], encoding="utf-8-sig", newline="")))
rep = json.load(open(sys.argv[2]))
levels = [r["level"] for r in rows]
for level in ("total", "backlog", "new", "year", "agency", "field", "group"):
    assert level in levels, level
total = rows[0]
assert total["level"] == "total"
for k in ("registered", "archived", "in_progress", "failed", "not_scanned", "needed", "gap"):
    assert int(total[k]) == rep["total"][k], k
assert len([r for r in rows if r["level"] == "group"]) == len(rep["groups"])
assert len([r for r in rows if r["level"] == "agency"]) == len(rep["by_agency"])
PY
head -c 3 "$T/out" | od -An -tx1 | grep -q "ef bb bf" || fail "the CSV has no byte-order mark"

# ---- the missing list for the desk ----
expect_exit 0 report --root root --missing -o missing.csv
expect_in out "kho report: 'missing.csv': $(wc -l <not_scanned) record(s) not yet scanned"
python3 - missing.csv not_scanned sample/register.csv <<'PY' || fail "missing list"
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], encoding="utf-8-sig", newline="")))
want = open(sys.argv[2]).read().split()
assert sorted(r["id"] for r in rows) == sorted(want), (rows, want)
keys = [(int(r["year"]), r["agency"], r["field"], r["id"]) for r in rows]
assert keys == sorted(keys), keys
reg = {r["id"]: r for r in csv.DictReader(open(sys.argv[3], encoding="utf-8"))}
for r in rows:
    assert r == {k: reg[r["id"]][k] for k in r}, r
PY
agency=$(python3 -c 'import csv; print(next(csv.DictReader(open("missing.csv", encoding="utf-8-sig")))["agency"])')
year=$(python3 -c 'import csv; print(next(csv.DictReader(open("missing.csv", encoding="utf-8-sig")))["year"])')
expect_exit 0 report --root root --missing --agency "$agency" --year "$year"
python3 - "$T/out" "$agency" "$year" <<'PY' || fail "missing list of one agency and year"
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], encoding="utf-8-sig", newline="")))
assert rows and all(r["agency"] == sys.argv[2] and r["year"] == sys.argv[3] for r in rows), rows
PY

# ---- the morning report ----
expect_exit 0 report --root root --morning
cp out morning.txt
expect_in morning.txt "run 1 (kho run):"
expect_in morning.txt "archived: $(sql root "SELECT count(*) FROM jobs WHERE stage = 'pack' AND state = 'done';") record(s)"
ingest_failed=$(python3 -c 'import json; print(json.load(open("status.json"))["records"]["ingest_failed"])')
expect_in morning.txt "failed: $ingest_failed, for"
expect_in morning.txt "cannot decode '…': premature end of JPEG file"
expect_in morning.txt "coverage of the register"
expect_in morning.txt "0.0% -> "
python3 - morning.txt <<'PY' || fail "the morning report is wider than 80 columns"
import sys, unicodedata
import re
for line in open(sys.argv[1], encoding="utf-8"):
    line = line.rstrip("\n")
    # a failure's reason is the message as it is; everything else fits
    if re.match(r"^ *[0-9]+  [a-z]+ ", line):
        continue
    width = sum(1 for ch in line if not unicodedata.combining(ch))
    assert width <= 79, (width, line)
PY
expect_exit 0 report --root root --morning --format json
python3 - "$T/out" report.json <<'PY' || fail "morning JSON"
import json, sys
m, rep = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
assert m["schema"] == "kho-morning/1" and m["run"]["id"] == 1 and m["run"]["outcome"] == "ok"
assert m["coverage"]["before"]["all"]["archived"] == 0
assert m["coverage"]["after"]["all"]["archived"] == rep["total"]["archived"]
assert m["archived"]["records"] == m["stages"]["pack"]["done"]
assert sum(g["count"] for g in m["failures"]["groups"]) == m["failures"]["count"]
assert all(len(g["records"]) <= g["count"] for g in m["failures"]["groups"])
PY
# The pages to look at: those the run normalized whose plan has a flag
# docs/PLAN.md marks so, each flag's pages and records as the catalog has
# them, the first twelve records by id with their pages.
python3 - "$T/out" root/catalog.db <<'PY' || fail "morning JSON: the pages to look at"
import json, sqlite3, sys
m = json.load(open(sys.argv[1]))
db = sqlite3.connect(sys.argv[2])
rows = db.execute("""SELECT r.record_id, p.page_no, pl.flags FROM records r
    JOIN pages p ON p.record = r.id JOIN plans pl ON pl.page = p.id
    WHERE r.current = 1 AND r.id IN (SELECT record FROM jobs
      WHERE run = 1 AND stage = 'normalize' AND state = 'done')
    ORDER BY r.record_id, p.page_no""").fetchall()
want = []
for flag in ("skew-uncertain", "orientation-uncertain", "below-standard-dpi"):
    pages = {}
    for rid, page, flags in rows:
        if flag in flags.split(","):
            pages.setdefault(rid, []).append(page)
    if not pages:
        continue
    items = []
    for rid in sorted(pages)[:12]:
        ps, runs = pages[rid], []
        for p in ps:
            if runs and runs[-1][1] + 1 == p:
                runs[-1][1] = p
            else:
                runs.append([p, p])
        text = ", ".join(str(a) if a == b else "%d-%d" % (a, b) for a, b in runs)
        items.append("%s page%s %s" % (rid, "s" if len(ps) > 1 else "", text))
    want.append({"flag": flag, "pages": sum(len(v) for v in pages.values()),
                 "records": len(pages), "items": items})
assert want, "the sample has no page to look at: the test would check nothing"
assert m["flagged"] == want, (m["flagged"], want)
PY
expect_in morning.txt "pages to look at, by their plan's flag"
expect_in morning.txt "below-standard-dpi, page(s) of"

# ---- a second run: another snapshot ----
expect_exit 0 run --root root -j 2
[ "$(sql root "SELECT count(*) FROM snapshots WHERE kind = 'run';")" = 2 ] ||
	fail "every kho run leaves a snapshot"
[ "$(sql root "SELECT run FROM snapshots ORDER BY id DESC LIMIT 1;")" = 2 ] ||
	fail "the snapshot names its run"
expect_exit 0 report --root root --morning
expect_in out "run 2 (kho run):"
expect_in out "nothing failed in this run"
grep -q "pages to look at" "$T/out" && fail "run 2 normalized nothing, yet lists pages to look at"
# A stage on its own leaves none.
expect_exit 0 pack --root root
[ "$(sql root "SELECT count(*) FROM snapshots WHERE kind = 'run';")" = 2 ] ||
	fail "kho pack left a snapshot"

# ---- files, formats, usage ----
mkdir out-dir
expect_exit 0 report --root root -o out-dir/r.json
python3 -c 'import json,sys; json.load(open(sys.argv[1]))' out-dir/r.json || fail "-o r.json is not JSON"
[ "$(stat -c %a out-dir/r.json)" = 644 ] || fail "report file mode"
[ "$(ls -A out-dir)" = r.json ] || fail "a temporary file was left: $(ls -A out-dir)"
expect_exit 2 report --root root -o no-such-dir/r.html
expect_in err "no-such-dir"
[ ! -e no-such-dir ] || fail "report made a folder"
expect_exit 2 report --root root --format pdf
expect_in err "unknown format 'pdf'"
expect_exit 2 report --root root --morning --format html
expect_exit 2 report --root root --missing --format json
expect_exit 2 report --root root --agency X
expect_exit 2 report --root root --missing --year 20x0
expect_exit 2 report --root root --morning --missing
expect_exit 2 report --root root extra
expect_exit 2 report --root root --morning --run 99
expect_in err "no run 99 in this work root"
expect_exit 2 report --root root --backlog-from 2023 --backlog-to 2022
expect_in err "backlog_from (2023) is after backlog_to (2022)"
expect_exit 2 report --root root --target-date 2026-02-30
expect_in err "target_date '2026-02-30' is not a date"
# Other targets, from the command line as from kho.conf.
expect_exit 0 report --root root --format json --backlog-target 50 --new-target 60 --target-date 2030-01-01
python3 - "$T/out" <<'PY' || fail "targets from the settings"
import json, sys
t = json.load(open(sys.argv[1]))["targets"]
assert (t["backlog_pct"], t["new_pct"], t["target_date"]) == (50, 60, "2030-01-01"), t
PY
expect_exit 0 report --help
expect_in out "--morning"

# ---- the HTML page ----
expect_exit 0 report --root root -o report.html
expect_in out "kho report: 'report.html': coverage, html"
python3 - report.html <<'PY' || fail "the HTML page"
import sys, xml.etree.ElementTree as ET
text = open(sys.argv[1], encoding="utf-8").read()
root = ET.fromstring(text.split("\n", 1)[1])        # after <!DOCTYPE html>
assert root.tag == "html", root.tag
SVG = "{http://www.w3.org/2000/svg}"
charts = [e for e in root.iter(SVG + "svg") if e.get("class") == "chart"]
assert len(charts) == 4, len(charts)
for svg in charts:
    assert svg.get("viewBox") and svg.find(SVG + "title") is not None
    assert len(list(svg.iter(SVG + "rect"))) + len(list(svg.iter(SVG + "polyline"))) + \
        len(list(svg.iter(SVG + "line"))) > 3
    ET.fromstring(ET.tostring(svg))                    # each stands alone
tags = {e.tag for e in root.iter()}
for banned in ("script", "link", "img", "iframe", "object", "embed"):
    assert banned not in tags, banned
for e in root.iter():
    for k, v in e.attrib.items():
        assert not v.startswith(("http:", "https:", "//")) or k == "xmlns", (e.tag, k, v)
assert "@import" not in text and "url(" not in text and "@font-face" not in text
assert "Coverage of the register" in text
PY

command -v chromium >/dev/null ||
	skip "chromium is not installed (apt-get install chromium): the HTML was checked as XML only"
shot() {
	timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-quic \
		--no-first-run --disable-background-networking \
		--disable-component-update --disable-sync \
		--user-data-dir="$(mktemp -d "$T/chromium-XXXXXX")" "$@" \
		"file://$T/report.html" >/dev/null 2>&1
}
shot --screenshot="$T/desktop.png" --window-size=1200,1600 || fail "chromium screenshot"
shot --screenshot="$T/phone.png" --window-size=390,844 || fail "chromium screenshot (phone)"
shot --print-to-pdf="$T/report.pdf" --no-pdf-header-footer || fail "chromium print to PDF"
python3 - desktop.png 1200 1600 phone.png 390 844 <<'PY' || fail "screenshots"
import struct, sys, zlib

def pixels(path):
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", path
    pos, idat = 8, b""
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        pos += 12 + n
        if kind == b"IHDR":
            w, h, depth, ctype = struct.unpack(">IIBB", body[:10])
        elif kind == b"IDAT":
            idat += body
    assert depth == 8 and ctype in (2, 6), (depth, ctype)
    bpp = 4 if ctype == 6 else 3
    raw, stride = zlib.decompress(idat), w * bpp
    prev, rows, i = bytearray(stride), [], 0
    for _ in range(h):
        f, line = raw[i], bytearray(raw[i + 1:i + 1 + stride])
        i += 1 + stride
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b, c = prev[x], prev[x - bpp] if x >= bpp else 0
            if f == 1: line[x] = (line[x] + a) & 255
            elif f == 2: line[x] = (line[x] + b) & 255
            elif f == 3: line[x] = (line[x] + ((a + b) >> 1)) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    return w, h, bpp, rows

args = sys.argv[1:]
for k in range(0, len(args), 3):
    path, want_w, want_h = args[k], int(args[k + 1]), int(args[k + 2])
    w, h, bpp, rows = pixels(path)
    assert (w, h) == (want_w, want_h), (path, w, h)
    ink = green = 0
    colours = set()
    for y in range(0, h, 2):
        row = rows[y]
        for x in range(0, w * bpp, 2 * bpp):
            r, g, b = row[x], row[x + 1], row[x + 2]
            if r + g + b < 600:
                ink += 1
            if abs(r - 0x1f) < 24 and abs(g - 0x6f) < 24 and abs(b - 0x43) < 24:
                green += 1
            colours.add((r >> 4, g >> 4, b >> 4))
    sampled = (h // 2) * (w // 2)
    assert ink > sampled * 0.02, (path, "blank?", ink, sampled)
    assert green > 50, (path, "no archived bar", green)
    assert len(colours) > 20, (path, len(colours))
PY
pdfinfo "$T/report.pdf" >pdf.txt 2>&1 || fail "the printed report is not a PDF"
grep -Eq "^Page size: +59[45](\.[0-9]+)? x 84[12](\.[0-9]+)? pts \(A4\)" pdf.txt ||
	fail "the printed report is not A4: $(grep 'Page size' pdf.txt)"
pdftotext "$T/report.pdf" pdf-text.txt
grep -q "Coverage of the register" pdf-text.txt || fail "the printed report has no text"
