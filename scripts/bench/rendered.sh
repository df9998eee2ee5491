#!/usr/bin/env bash
# What is left in the pages kho renders, read by a judge that is not kho:
# generated scans of a seed kho's tests never use go through `kho run`;
# every page of every result.pdf is rendered back with pdftoppm (300 dpi,
# grey) and Leptonica's pixFindSkew (scripts/peers/lept_ref --find-skew)
# reads the skew left in it.  The same judge reads the original scans,
# whose skew the generator wrote down, so that its own error is known.
#
#   scripts/bench/rendered.sh [--seed N] [--records N] [--keep DIR]
#
# Prints: pages rendered against pages scanned (none lost, none added),
# the residual skew the judge reads on the text pages it is sure of (mean,
# median, worst, share within 0.1 degree), and the judge's own error on
# the originals.  Needs: scripts/deps.sh --bench (Leptonica, poppler-utils).
set -euo pipefail

seed=9001 records=30 keep=""
while [ $# -gt 0 ]; do
	case $1 in
	--seed) seed=$2; shift 2 ;;
	--records) records=$2; shift 2 ;;
	--keep) keep=$2; shift 2 ;;
	*) echo "usage: $0 [--seed N] [--records N] [--keep DIR]" >&2; exit 2 ;;
	esac
done

. "$(dirname "$0")/lib.sh"
bench_need "scripts/deps.sh --bench" pdftoppm pdfinfo python3
bench_build
bench_peers

bench_workdir "$keep" rendered

"$build/kho-genscans" --out "$W/gen" --seed "$seed" --records "$records" \
	--no-damaged >/dev/null
"$KHO" init "$W/root" >/dev/null
echo "kho run on $records generated records (seed $seed)..." >&2
rc=0
"$KHO" run --root "$W/root" --inbox "$W/gen/inbox" -j "$(nproc)" --nice 0 \
	>"$W/run.out" 2>"$W/run.err" || rc=$?
[ $rc -le 1 ] || { cat "$W/run.err" >&2; exit 1; }

# Each record's published result.pdf, out of the store, page by page.
mkdir -p "$W/pages"
sqlite3 -separator ' ' "$W/root/catalog.db" "
	SELECT r.record_id, o.sha256 FROM outputs o JOIN records r ON r.id = o.record
	WHERE o.name = 'result.pdf' AND r.current = 1 AND o.stage = 'describe';" |
	while read -r id sha; do
		pdf="$W/root/store/${sha:0:2}/$sha"
		pdftoppm -r 300 -gray "$pdf" "$W/pages/$id"
	done
echo "the judge on the rendered pages and on the originals..." >&2
"$peers/lept_ref" --find-skew "$W"/pages/*.pgm >"$W/judge-rendered.txt" 2>/dev/null || true
# The upright single-page originals of text, named by record and page.
mkdir -p "$W/orig"
python3 - "$W/gen/truth.csv" <<'PY' | while IFS=, read -r file name; do
import csv, os, sys
for r in csv.DictReader(open(sys.argv[1], encoding="utf-8")):
    if r["print"] == "text" and r["rotation"] == "0" and \
       r["file"].endswith((".jpg", ".png")):
        ext = os.path.splitext(r["file"])[1]
        print(f'{r["file"]},{r["record"]}-{r["page"]}{ext}')
PY
	ln -s "$W/gen/inbox/$file" "$W/orig/$name"
done
"$peers/lept_ref" --find-skew "$W"/orig/* >"$W/judge-originals.txt" 2>/dev/null || true

python3 - "$W" <<'PY'
import csv, glob, os, re, statistics, sys
W = sys.argv[1]
truth = list(csv.DictReader(open(f"{W}/gen/truth.csv", encoding="utf-8")))
by_page = {(r["record"], int(r["page"])): r for r in truth}
scanned = {}
for r in truth:
    scanned[r["record"]] = scanned.get(r["record"], 0) + 1

def judged(path):
    """file -> (skew in kho's convention, confidence): the valid readings"""
    out = {}
    for line in open(path):
        f = line.rstrip("\n").split("\t")
        if line.startswith("#") or len(f) < 6 or f[5] != "ok":
            continue
        out[os.path.basename(f[0])] = (float(f[1]), float(f[2]))
    return out

rendered = judged(f"{W}/judge-rendered.txt")
pages = {}
for p in glob.glob(f"{W}/pages/*.pgm"):
    m = re.match(r"(.+)-(\d+)\.pgm$", os.path.basename(p))
    pages.setdefault(m.group(1), []).append(int(m.group(2)))
lost = sum(1 for rec, n in scanned.items() if len(pages.get(rec, [])) != n)
print(f"records {len(scanned)}, archived and rendered {len(pages)}; pages scanned "
      f"{sum(scanned.values())}, rendered {sum(len(v) for v in pages.values())}; "
      f"records whose page count differs: {lost}")

def summary(label, errs):
    if not errs:
        print(f"{label}: no page")
        return
    errs = sorted(errs)
    within = sum(1 for e in errs if e <= 0.1) / len(errs)
    print(f"{label}: {len(errs)} pages, mean {statistics.mean(errs):.3f}, "
          f"median {statistics.median(errs):.3f}, worst {errs[-1]:.3f} degree, "
          f"{100 * within:.0f}% within 0.1")

# Text pages the judge is sure of (Leptonica's confidence at least 3).
res = []
for path, (angle, conf) in rendered.items():
    m = re.match(r"(.+)-(\d+)\.pgm$", path)
    t = by_page.get((m.group(1), int(m.group(2))))
    if t and t["print"] == "text" and t["blank"] == "0" and conf >= 3:
        res.append(abs(angle))
summary("residual skew in kho's rendered text pages, as the judge reads it", res)

orig = judged(f"{W}/judge-originals.txt")
errs = []
for f, (angle, conf) in orig.items():
    m = re.match(r"(.+)-(\d+)\.\w+$", f)
    t = by_page.get((m.group(1), int(m.group(2))))
    if t and conf >= 3 and abs(float(t["skew_deg"])) <= 7:
        errs.append(abs(angle - float(t["skew_deg"])))
summary("the judge's own error on the original scans (skew within its 7 degree sweep)", errs)
PY
