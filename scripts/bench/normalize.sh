#!/usr/bin/env bash
# The normalize benchmark (issue 3): kho's page analysis against the
# generator's ground truth, and a small Leptonica program
# (scripts/peers/lept_ref --find-skew: pixConvertTo1 at 130, then
# pixFindSkew, as pixDeskew does) on the same pages in the same run.
#
#   scripts/bench/normalize.sh [--seed N] [--records N] [--keep DIR]
#
# Prints kho's mean, median and worst skew error, the share within 0.1
# degree, orientation accuracy, blank precision and recall, the mode
# confusion and ms per page (decode included), and beside them
# Leptonica's skew error and time on the pages it can read the same way
# (single-page files, stored upright: Leptonica finds no orientation, and
# pixRead takes only a file's first page).
#
# Needs a kho build (KHO_BUILD_DIR, default build/, brought up to date
# with the working tree, configured Release where new), libleptonica-dev (scripts/peers/build.sh), python3.
set -euo pipefail

seed=303 records=60 keep=""
while [ $# -gt 0 ]; do
	case $1 in
	--seed) seed=$2; shift 2 ;;
	--records) records=$2; shift 2 ;;
	--keep) keep=$2; shift 2 ;;
	*) echo "usage: $0 [--seed N] [--records N] [--keep DIR]" >&2; exit 2 ;;
	esac
done

. "$(dirname "$0")/lib.sh"
bench_build # build absolute: the peers run from inside the inbox
bench_peers

work=${keep:-$(mktemp -d "${TMPDIR:-/tmp}/kho-bench-normalize-XXXXXX")}
[ -n "$keep" ] || trap 'rm -rf "$work"' EXIT
mkdir -p "$work"

# The evaluation program: the same analysis calls the stage makes.
# shellcheck disable=SC2046 # pkg-config output is meant to split
gcc -std=c17 -O2 -D_GNU_SOURCE -DKHO_INTERNAL -I"$src/include" \
	-I"$src/pipeline" -I"$build" "$src/scripts/bench/normalize_eval.c" \
	"$build/libkho.a" $(pkg-config --libs libtiff-4 libturbojpeg libpng \
	zlib libarchive sqlite3 libcrypto libqrencode lcms2 jansson) -lm \
	-o "$work/normalize_eval"

echo "generating $records records (seed $seed)..." >&2
rm -rf "$work/sample"
"$build/kho-genscans" --out "$work/sample" --seed "$seed" \
	--records "$records" --no-damaged >/dev/null

echo "kho..." >&2
"$work/normalize_eval" "$work/sample" --csv "$work/kho.csv" >"$work/kho.txt"

echo "Leptonica..." >&2
python3 - "$work/sample/truth.csv" >"$work/lept-files.txt" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], encoding="utf-8")))
files = {}
for r in rows:
    files.setdefault(r["file"], []).append(r)
for f, pages in files.items():
    if len(pages) == 1:
        print(f)
PY
(cd "$work/sample/inbox" && xargs -d '\n' "$peers/lept_ref" --find-skew \
	<"$work/lept-files.txt" >"$work/lept.tsv" 2>"$work/lept.err") || true

python3 - "$work/sample/truth.csv" "$work/kho.csv" "$work/lept.tsv" \
	"$work/kho.txt" <<'PY'
import csv, statistics, sys
truth = list(csv.DictReader(open(sys.argv[1], encoding="utf-8")))
kho = {(r["record"], r["page"]): r for r in csv.DictReader(open(sys.argv[2]))}
lept = {}
for line in open(sys.argv[3]):
    if line.startswith("#") or not line.strip():
        continue
    name, skew, conf, ms, dec, status = line.rstrip("\n").split("\t")[:6]
    lept[name] = (float(skew) if status == "ok" else None, float(ms), status)

print(open(sys.argv[4]).read().rstrip())
print()
# The same pages for both: single-page files, stored upright, with text.
errs_k, errs_l, ms_k, ms_l, fails = [], [], [], [], 0
for t in truth:
    key = (t["record"], t["page"])
    if t["rotation"] != "0" or t.get("print", "text") != "text":
        continue
    if t["file"] not in lept or key not in kho:
        continue
    sk, ms, status = lept[t["file"]]
    k = kho[key]
    if k["rotation"] != "0":
        continue
    errs_k.append(abs(float(k["skew"]) - float(t["skew_deg"])))
    ms_k.append(float(k["ms"]))
    ms_l.append(ms)
    if sk is None:
        fails += 1
        errs_l.append(float("inf"))
    else:
        errs_l.append(abs(sk - float(t["skew_deg"])))

def line(name, e, ms):
    fin = [x for x in e if x != float("inf")]
    within = sum(1 for x in e if x <= 0.1) / len(e) * 100
    return (f"{name:<10} {len(e):5d} {statistics.mean(fin):9.3f} "
            f"{statistics.median(fin):8.3f} {max(fin):7.3f} {within:8.1f}% "
            f"{statistics.mean(ms):9.1f} {statistics.median(ms):9.1f}")

if errs_k:
    print("same pages (single-page files, upright, with text):")
    print(f"{'':<10} {'pages':>5} {'mean err':>9} {'median':>8} {'worst':>7} "
          f"{'<=0.1deg':>9} {'ms mean':>9} {'ms median':>9}")
    print(line("kho", errs_k, ms_k))
    print(line("leptonica", errs_l, ms_l))
    if fails:
        print(f"leptonica could not find a skew on {fails} page(s)")
    print(f"kho / leptonica time per page: "
          f"{statistics.mean(ms_k) / statistics.mean(ms_l):.2f}")
PY
