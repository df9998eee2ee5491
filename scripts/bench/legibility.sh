#!/usr/bin/env bash
# Is the text of kho's result pages as legible as the scan's?  Real pages
# whose text is known (tesseract's test pages 8071_093.3B, 8087_054.3B,
# eurotext and phototest, with their ground truth, in ../shared/realdata)
# are made into grey scans by ImageMagick the ways a scanning desk makes
# them: clean, faded, pale as faded print, dark (underexposed), on tinted
# paper, typed in blue, in shadow (a page that did not lie flat), with a
# book's gutter, lit unevenly (a vignette), at 200 and 150 dpi, noisy, as
# a JPEG at quality 30, stained, stamped with a red seal over the text,
# with the back's print showing through, and at low contrast.
#
#   scripts/bench/legibility.sh [--realdata DIR] [--keep DIR] [--looks L,L]
#                               [--turned SEED]
#
# Each page goes through `kho run` (inbox to warehouse); its result.pdf is
# rendered at 300 dpi (pdftoppm) without the QR band, and read by tesseract
# -l eng.  On the same pages in the same run, tesseract also reads the
# scan itself and Leptonica's deskew + Sauvola output (scripts/peers/
# lept_ref --full).  A reading's error is by words, whatever their order
# (a page's columns can be read in another order): the words missing
# from it plus the words it has beyond the truth, over the truth's words.
# Prints, per look and over all pages, the mean error of each, kho's modes,
# and the pages where kho's result reads worse than the scan by more than
# two points.
#
# With --turned, each page is also laid crooked on a dark scanner bed
# before its look is made: a quarter turn (0, 90, 180 or 270 degrees) and
# a skew of up to 12 degrees, drawn from SEED.  The scan tesseract reads
# is then the same look laid straight (what a careful desk would have
# scanned); kho and Leptonica get the crooked one.  A judge that is not
# kho (Leptonica's pixFindSkew) reads the skew left in kho's page, and
# kho's quarter turn is checked against the one the page was laid at.
# Needs: scripts/deps.sh --bench (ImageMagick, Leptonica),
# tesseract-ocr (its eng data), poppler-utils.
set -euo pipefail

realdata="" keep="" looks="" turned=""
while [ $# -gt 0 ]; do
	case $1 in
	--realdata) realdata=$2; shift 2 ;;
	--keep) keep=$2; shift 2 ;;
	--looks) looks=$2; shift 2 ;;
	--turned) turned=$2; shift 2 ;;
	*) echo "usage: $0 [--realdata DIR] [--keep DIR] [--looks L,L] [--turned SEED]" >&2
		exit 2 ;;
	esac
done

. "$(dirname "$0")/lib.sh"
R=${realdata:-$src/../shared/realdata}/tesseract-test
[ -d "$R" ] || { echo "legibility.sh: $R is absent" >&2; exit 1; }
bench_need "apt-get install imagemagick tesseract-ocr poppler-utils python3 sqlite3" \
	convert tesseract pdftoppm python3 sqlite3
bench_build
bench_peers

bench_workdir "$keep" legibility
mkdir -p "$W/in" "$W/out" "$W/straight" "$W/laid"
export OMP_THREAD_LIMIT=1 # tesseract: one core a reading

sources=(8071_093.3B 8087_054.3B eurotext phototest)
all_looks=(clean faded pale dark tint blue shadow gutter vignette dpi200
	dpi150 noisy q30 stain seal bleed lowcontrast)
if [ -n "$looks" ]; then IFS=, read -r -a all_looks <<<"$looks"; fi

# make ID FILE LOOK OUT: the page FILE as a grey (or colour) JPEG scan OUT.
make() {
	local id=$1 file=$2 look=$3 out=$4 w h d ops
	read -r w h d < <(identify -format '%w %h %x\n' "$file" | awk '{ printf "%d %d %d\n", $1, $2, $3 }')
	local cx=$((w * 55 / 100)) cy=$((h * 35 / 100)) r=$((h * 12 / 100))
	case $look in
	clean) ops=() ;;
	faded) ops=(+level 27%,75%) ;;
	pale) ops=(+level 70%,86%) ;;
	dark) ops=(+level 2%,16%) ;;
	tint) ops=(-colorspace sRGB +level-colors 'rgb(25,20,40)','rgb(238,222,178)') ;;
	blue) ops=(-colorspace sRGB +level-colors 'rgb(35,45,160)','rgb(245,245,240)') ;;
	shadow) ops=(\( +clone -sparse-color barycentric "0,0 gray(45%) $((w - 1)),0 white" \)
		-compose multiply -composite) ;;
	gutter) ops=(\( -size "${w}x1" xc: -fx '1-0.75*exp(-i/(0.07*w))' -scale "${w}x${h}!" \)
		-compose multiply -composite) ;;
	vignette) ops=(\( -size "${w}x${h}" radial-gradient:white-'gray(50%)' \)
		-compose multiply -composite) ;;
	dpi200) ops=(-resize 66.667%); d=$((d * 2 / 3)) ;;
	dpi150) ops=(-resize 50%); d=$((d / 2)) ;;
	noisy) ops=(-seed 3 -attenuate 1.5 +noise Gaussian) ;;
	q30) ops=(-quality 30) ;;
	stain) ops=(-colorspace sRGB \( +clone -fill white -colorize 100
		-fill 'rgb(205,165,95)' -draw "circle $cx,$cy $((cx + r)),$cy" -blur 0x12 \)
		-compose multiply -composite) ;;
	seal) ops=(-colorspace sRGB \( +clone -fill white -colorize 100 -fill none
		-stroke 'rgb(215,35,35)' -strokewidth $((r / 12 + 1))
		-draw "circle $cx,$cy $((cx + r)),$cy" \) -compose multiply -composite) ;;
	bleed) ops=(\( +clone -flop -level -250%,100% \) -compose multiply -composite) ;;
	lowcontrast) ops=(+level 35%,65% -seed 4 -attenuate 0.8 +noise Gaussian) ;;
	*) echo "legibility.sh: no look '$look'" >&2; return 1 ;;
	esac
	local q=85
	[ "$look" = q30 ] && q=30
	convert "$file" -colorspace gray -depth 8 -blur 0x0.7 "${ops[@]}" \
		-quality "$q" -density "$d" -units PixelsPerInch "$out"
}

# lay ID SOURCE TURN ANGLE LOOK: the page laid TURN then ANGLE degrees on
# a bed of grey 30, then made LOOK (the light, the noise and the JPEG fall
# on the bed as on the paper); and the same look laid straight.
lay() {
	local id=$1 file=$R/$2.tif turn=$3 angle=$4 look=$5
	convert "$file" -colorspace gray -depth 8 -bordercolor white -border 40 \
		-rotate "$turn" -background 'gray(30)' -rotate "$angle" \
		-bordercolor 'gray(30)' -border 30 +repage "$W/laid/$id.tif"
	make "$id" "$W/laid/$id.tif" "$look" "$W/in/$id.jpg"
	make "$id" "$file" "$look" "$W/straight/$id.jpg"
	rm -f "$W/laid/$id.tif"
}

# At most one job a core.
throttle() {
	while [ "$(jobs -rp | wc -l)" -ge "$(nproc)" ]; do wait -n; done
}

echo "making the pages with ImageMagick..." >&2
n=0
: >"$W/pages.txt"
for s in "${sources[@]}"; do
	[ -f "$R/$s.tif" ] || { echo "legibility.sh: $R/$s.tif is absent" >&2; exit 1; }
	for look in "${all_looks[@]}"; do
		n=$((n + 1))
		id=$(printf 'LG-2021-%05d' "$n")
		throttle
		if [ -n "$turned" ]; then
			read -r turn angle < <(awk -v s="$turned" -v n="$n" 'BEGIN {
				srand(s * 7919 + n); t = int(rand() * 4) * 90
				printf "%d %.2f\n", t, rand() * 24 - 12 }')
			echo "$id $s $look $turn $angle" >>"$W/pages.txt"
			lay "$id" "$s" "$turn" "$angle" "$look" &
		else
			echo "$id $s $look 0 0" >>"$W/pages.txt"
			make "$id" "$R/$s.tif" "$look" "$W/in/$id.jpg" &
		fi
	done
done
wait

echo "kho run on $n pages, Leptonica beside it..." >&2
"$KHO" init "$W/root" >/dev/null
"$KHO" run --root "$W/root" --inbox "$W/in" -j "$(nproc)" --nice 0 \
	>"$W/run.out" 2>"$W/run.err" || { cat "$W/run.err" >&2; exit 1; }
sqlite3 -separator ' ' "$W/root/catalog.db" "SELECT r.record_id, pl.mode,
	pl.crop_h, pl.source_dpi, pl.rotation, pl.skew, pl.flags FROM plans pl JOIN pages p ON p.id = pl.page
	JOIN records r ON r.id = p.record WHERE r.current = 1" >"$W/plans.txt"

echo "tesseract reads the scans, kho's pages and Leptonica's..." >&2
read_page() { # ID SOURCE
	local id=$1 o=$W/out/$1
	local scan=$W/in/$id.jpg
	[ -n "$turned" ] && scan=$W/straight/$id.jpg
	tesseract "$scan" "$o.scan" -l eng >/dev/null 2>&1 || : >"$o.scan.txt"
	"$KHO" extract --root "$W/root" "$id" "$o.x" >/dev/null
	local pdf
	pdf=$(find "$o.x" -name result.pdf | head -1)
	pdftoppm -r 300 -gray -singlefile "$pdf" "$o.kho"
	# the page without the QR band above it: its rows at 300 dpi
	local rows
	rows=$(awk -v id="$id" '$1 == id { printf "%d", $3 * 300 / $4 }' "$W/plans.txt")
	convert "$o.kho.pgm" -gravity south -crop "x$rows+0+0" +repage "$o.kho.png"
	tesseract "$o.kho.png" "$o.kho" -l eng >/dev/null 2>&1 || : >"$o.kho.txt"
	if "$peers/lept_ref" --full "$W/in/$id.jpg" "$o.lept.tif" >/dev/null 2>&1; then
		tesseract "$o.lept.tif" "$o.lept" -l eng >/dev/null 2>&1 || : >"$o.lept.txt"
	else
		: >"$o.lept.txt"
	fi
	rm -rf "$o.x" "$o.kho.pgm"
}
while read -r id s look turn angle; do
	throttle
	read_page "$id" "$s" &
done <"$W/pages.txt"
wait
: >"$W/judge.txt"
if [ -n "$turned" ]; then
	"$peers/lept_ref" --find-skew "$W"/out/*.kho.png >"$W/judge.txt" 2>/dev/null || true
fi

python3 - "$W" "$R" <<'PY'
import os, re, sys
from collections import Counter, defaultdict
W, R = sys.argv[1], sys.argv[2]
def words(text):
    return Counter(re.findall(r"\w+", text))
def error(text, truth):
    got, want = words(text), words(truth)
    return (sum((want - got).values()) + sum((got - want).values())) / sum(want.values())
truth = {}
for s in ("8071_093.3B", "8087_054.3B", "eurotext", "phototest"):
    name = "phototest.gold.txt" if s == "phototest" else s + ".txt"
    truth[s] = open(os.path.join(R, name), encoding="utf-8", errors="replace").read()
modes, plans = {}, {}
for line in open(os.path.join(W, "plans.txt")):
    f = line.split()
    modes[f[0]] = f[1]
    plans[f[0]] = (int(f[4]), float(f[5]), f[6] if len(f) > 6 else "")
judge = {}
for line in open(os.path.join(W, "judge.txt")):
    f = line.rstrip("\n").split("\t")
    if len(f) >= 6 and not f[0].startswith("#") and f[5] == "ok":
        judge[os.path.basename(f[0]).split(".")[0]] = (float(f[1]), float(f[2]))
readers = ("scan", "kho", "lept")
by_look, worse, rows, laid = defaultdict(list), [], [], {}
for line in open(os.path.join(W, "pages.txt")):
    pid, s, look, turn, angle = line.split()
    laid[pid] = (s, look, int(turn), float(angle))
    e = []
    for r in readers:
        p = os.path.join(W, "out", f"{pid}.{r}.txt")
        text = open(p, encoding="utf-8", errors="replace").read() if os.path.exists(p) else ""
        e.append(error(text, truth[s]))
    by_look[look].append((e, modes.get(pid, "?")))
    rows.append(e)
    if e[1] > e[0] + 0.02:
        worse.append(f"{pid} ({s}, {look}, {modes.get(pid, '?')}"
                     + (f", laid {turn}+{angle}" if judge else "")
                     + f"): scan {e[0]:.3f}, kho {e[1]:.3f}, Leptonica {e[2]:.3f}")
print(f"Word error of tesseract -l eng's reading, {len(rows)} pages "
      f"({len(by_look)} looks of 4 real pages); lower is better")
if judge:
    print("The pages were laid crooked on a scanner bed; the scan read is the"
          " same look laid straight")
print()
print("| look | the scan | kho | Leptonica | kho's modes |")
print("| --- | ---: | ---: | ---: | --- |")
for look, v in by_look.items():
    m = [sum(x[0][k] for x in v) / len(v) for k in range(3)]
    kinds = Counter(x[1] for x in v)
    print(f"| {look} | {m[0]:.3f} | {m[1]:.3f} | {m[2]:.3f} | "
          + ", ".join(f"{k} {c}" for k, c in sorted(kinds.items())) + " |")
m = [sum(e[k] for e in rows) / len(rows) for k in range(3)]
print(f"| all | {m[0]:.3f} | {m[1]:.3f} | {m[2]:.3f} | |")
print()
better = sum(1 for e in rows if e[1] <= e[0] + 0.02)
print(f"kho's page reads as well as the scan (within 2 points) or better: {better}/{len(rows)}")
print(f"kho's page reads as well as Leptonica's (within 2 points) or better: "
      f"{sum(1 for e in rows if e[1] <= e[2] + 0.02)}/{len(rows)}")
for w in worse:
    print("  worse than the scan: " + w)
if judge:
    # The quarter turn: kho must turn the page back by the turn it was laid at.
    right = [p for p, v in laid.items() if p in plans and plans[p][0] == (360 - v[2]) % 360]
    print(f"\nquarter turns undone: {len(right)}/{len(laid)}")
    for p, v in laid.items():
        if p not in right:
            pl = plans.get(p, (None, 0, ""))
            print(f"  {p} ({v[0]}, {v[1]}, laid {v[2]}+{v[3]}): kho turned {pl[0]},"
                  f" flags {pl[2] or '-'}")
    # The skew left in kho's page, as the judge reads it where it is sure.
    left = sorted((abs(j[0]), p) for p, j in judge.items() if j[1] >= 3)
    if left:
        a = [x for x, _ in left]
        print(f"skew left in kho's pages (Leptonica's pixFindSkew, {len(a)} of"
              f" {len(judge)} pages it is sure of): mean {sum(a) / len(a):.3f},"
              f" median {a[len(a) // 2]:.3f}, worst {a[-1]:.3f},"
              f" within 0.1 degree {sum(1 for x in a if x <= 0.1)}/{len(a)}")
        for x, p in left:
            if x > 0.1:
                v = laid[p]
                print(f"  {p} ({v[0]}, {v[1]}, laid {v[2]}+{v[3]}): {x:.2f} left,"
                      f" kho's skew {plans.get(p, (0, 0.0))[1]:.2f}")
PY
