#!/usr/bin/env bash
# Normalize on real pages turned by known angles, where the generator has
# no say: text pages of ../shared/realdata (tesseract's 8087_054.3B and
# eurotext, unpaper's imgsrc002 and goldenA2) are turned by ImageMagick on
# a dark scanner bed, by angles up to 13 degrees, blurred and JPEG'd,
# faded, or pale as faded print (strokes 40 levels below the paper, no
# ink as normalize counts it); each is also stored at a quarter and a half
# turn; and unpaper's goldenC1 (an A5 sheet) lies crooked on a black bed
# three times its size, and made a card, on one 25 times its size.
# Leptonica's pixFindSkew (scripts/peers/lept_ref) reads the same pages
# in the same run.
#
#   scripts/bench/realpages.sh [--realdata DIR] [--keep DIR]
#
# A page's true skew is the angle it was turned by plus the skew it had
# as scanned, which each reader gives by reading the page made the same
# way at 0 degrees: so both are judged on how well they follow the turn.
# Prints per reader the mean, median and worst error and the share within
# 0.1 degree; kho's orientation at the quarter and half turns; whether
# the crop keeps everything printed on the page (its content's box, turned
# the same way, inside the crop), and the small sheet's and the card's
# crop against their size.  Needs: scripts/deps.sh --bench (ImageMagick,
# Leptonica).
set -euo pipefail

realdata="" keep=""
while [ $# -gt 0 ]; do
	case $1 in
	--realdata) realdata=$2; shift 2 ;;
	--keep) keep=$2; shift 2 ;;
	*) echo "usage: $0 [--realdata DIR] [--keep DIR]" >&2; exit 2 ;;
	esac
done

. "$(dirname "$0")/lib.sh"
R=${realdata:-$src/../shared/realdata}
[ -d "$R" ] || { echo "realpages.sh: $R is absent" >&2; exit 1; }
bench_need "scripts/deps.sh --bench" convert python3 sqlite3
bench_build
bench_peers

bench_workdir "$keep" realpages
mkdir -p "$W/in"

sources=(tesseract-test/8087_054.3B.tif unpaper/source_images/imgsrc002.png
	 tesseract-test/eurotext.tif unpaper/golden_images/goldenA2.pbm)
angles=(0 -11.7 -4.4 -1.3 0.8 2.6 6.1 13.3)

# A page's content box, as WIDTH HEIGHT X0 Y0 X1 Y1 of its image: what is
# printed, 20 pixels in from the edges (a scan's own edge specks left out).
box() {
	convert "$1" -format '%w %h ' info:
	convert "$1" -shave 20x20 -format '%@' info: |
		sed 's/^\([0-9]*\)x\([0-9]*\)+\([0-9]*\)+\([0-9]*\)$/\3 \4 \1 \2/' |
		awk '{ printf "%d %d %d %d\n", $1 + 20, $2 + 20, $1 + 20 + $3, $2 + 20 + $4 }'
}

# make ID SOURCE ANGLE TURN LOOK: the page turned by TURN (a quarter turn
# or none) then ANGLE degrees on a bed of grey 30, then made LOOK.
n=0
make() {
	local id=$1 file=$2 angle=$3 turn=$4 look=$5 ops
	case $look in
	blur) ops=(-blur 0x1.2 -quality 60) ;;
	faded) ops=(+level 27%,75% -quality 75) ;;
	pale) ops=(+level 70%,86% -quality 85) ;;
	esac
	convert "$R/$file" -colorspace gray -depth 8 -bordercolor white \
		-border 40 -rotate "$turn" -background 'gray(30)' \
		-rotate "$angle" -bordercolor 'gray(30)' -border 30 "${ops[@]}" \
		-seed 1 -attenuate 0.4 +noise Gaussian -density 300 -units PixelsPerInch \
		"$W/in/$id.jpg"
}

echo "making the pages with ImageMagick..." >&2
: >"$W/pages.txt"
for file in "${sources[@]}"; do
	[ -f "$R/$file" ] || { echo "realpages.sh: $R/$file is absent" >&2; exit 1; }
	echo "$file $(box "$R/$file")" >>"$W/boxes.txt"
	for look in blur faded pale; do
		for a in "${angles[@]}"; do
			n=$((n + 1))
			id=$(printf 'RP-2021-%05d' "$n")
			echo "$id $file $a 0 $look" >>"$W/pages.txt"
			make "$id" "$file" "$a" 0 "$look" &
			[ $((n % $(nproc))) -eq 0 ] && wait
		done
		for turn in 90 180 270; do
			n=$((n + 1))
			id=$(printf 'RP-2021-%05d' "$n")
			echo "$id $file 1.5 $turn $look" >>"$W/pages.txt"
			make "$id" "$file" 1.5 "$turn" "$look" &
			[ $((n % $(nproc))) -eq 0 ] && wait
		done
	done
done
# The A5 sheet on a black A4 bed, crooked; and the same made a card (a
# sheet of 496 x 702 pixels, 4% of the bed).
for a in 0 -3.3 2.1 7.5; do
	for what in sheet card; do
		n=$((n + 1))
		id=$(printf 'RP-2021-%05d' "$n")
		echo "$id $what $a 0 black" >>"$W/pages.txt"
		size=()
		[ $what = card ] && size=(-resize 40% -gravity center
			-background black -extent 2480x3508)
		convert "$R/unpaper/golden_images/goldenC1.pbm" -colorspace \
			gray -depth 8 "${size[@]}" -background black \
			-rotate "$a" -seed 1 -attenuate 0.3 +noise Gaussian \
			-density 300 -units PixelsPerInch -quality 85 \
			"$W/in/$id.jpg" &
	done
done
wait

echo "kho ingest (its analysis makes the plans) and Leptonica on $n pages..." >&2
"$KHO" init "$W/root" >/dev/null
"$KHO" ingest --root "$W/root" -j "$(nproc)" --nice 0 "$W/in" \
	>"$W/ingest.out" 2>"$W/ingest.err" ||
	{ cat "$W/ingest.err" >&2; exit 1; }
"$peers/lept_ref" --find-skew "$W"/in/*.jpg >"$W/lept.txt" 2>/dev/null || true

python3 - "$W" <<'PY'
import math, os, re, sqlite3, statistics, sys
W = sys.argv[1]
pages = {}
for line in open(os.path.join(W, "pages.txt")):
    pid, file, angle, turn, look = line.split()
    pages[pid] = (file, float(angle), int(turn), look)
boxes = {}
for line in open(os.path.join(W, "boxes.txt")):
    f = line.split()
    boxes[f[0]] = tuple(int(v) for v in f[1:])
db = sqlite3.connect(os.path.join(W, "root", "catalog.db"))
kho = {}
for rid, rot, skew, conf, cx, cy, cw, ch, flags, w, h in db.execute(
        "SELECT r.record_id, pl.rotation, pl.skew, pl.skew_confidence,"
        " pl.crop_x, pl.crop_y, pl.crop_w, pl.crop_h, pl.flags, p.width, p.height"
        " FROM plans pl JOIN pages p ON p.id = pl.page"
        " JOIN records r ON r.id = p.record"):
    kho[rid] = dict(rot=rot, skew=skew, conf=conf, crop=(cx, cy, cw, ch),
                    flags=flags, size=(w, h))
lept = {}
for line in open(os.path.join(W, "lept.txt")):
    if line.startswith("#"):
        continue
    f = line.rstrip("\n").split("\t")
    m = re.search(r"(RP-\d{4}-\d{5})", f[0])
    if m and f[-1] == "ok":
        lept[m.group(1)] = float(f[1])
missing = [p for p in pages if p not in kho]
print(f"pages: {len(pages)} made, {len(kho)} planned by kho"
      + (f"; missing {' '.join(missing)}" if missing else ""))

def errors(read, most=90):
    """|reading - (angle + the page's own skew)| of the upright pages
    turned by at most most degrees."""
    base, out = {}, []
    for pid, (file, a, turn, look) in pages.items():
        if turn == 0 and a == 0 and file in boxes and pid in read:
            base[(file, look)] = read[pid]
    for pid, (file, a, turn, look) in pages.items():
        if turn or file not in boxes or a == 0 or abs(a) > most:
            continue
        if pid not in read or (file, look) not in base:
            out.append((float("inf"), pid))  # no reading: a failure
            continue
        out.append((abs(read[pid] - base[(file, look)] - a), pid))
    return out

def line(name, errs):
    """The errors of the pages read; within 0.1 of all of them."""
    e = sorted(x for x, _ in errs if math.isfinite(x))
    if not e:
        return f"{name:10s} no pages"
    within = sum(x <= 0.1 for x in e) / len(errs)
    worst = max((x, p) for x, p in errs if math.isfinite(x))
    return (f"{name:10s} {len(e):4d}/{len(errs):<4d} {statistics.mean(e):9.3f}"
            f" {statistics.median(e):9.3f} {worst[0]:9.3f} {100 * within:8.1f}%"
            f"   worst {worst[1]}")

print("\nskew of the upright pages turned by -11.7 to 13.3 degrees"
      " (error in degrees):")
print(f"{'reader':10s} {'read':>9s} {'mean':>9s} {'median':>9s} {'worst':>9s}"
      f" {'<=0.1':>9s}")
ours = {p: k["skew"] for p, k in kho.items()}
print(line("kho", errors(ours)))
print(line("Leptonica", errors(lept)))
print("the pages turned by at most 7 degrees (Leptonica's sweep):")
print(line("kho", errors(ours, 7)))
print(line("Leptonica", errors(lept, 7)))

def wrong(ps):
    return " ".join(f"{p}({pages[p][0].split('/')[-1]} {pages[p][2]}:"
                    f" {kho[p]['rot'] if p in kho else '-'})" for p in ps)
def back(ps):
    return [p for p in ps if p in kho and kho[p]["rot"] == (360 - pages[p][2]) % 360]
turned = [p for p, v in pages.items() if v[2] and v[3] != "pale"]
right = back(turned)
print(f"\norientation: {len(right)}/{len(turned)} pages stored at a quarter"
      " or half turn turned back by kho"
      + ("" if len(right) == len(turned) else
         "; wrong: " + wrong(p for p in turned if p not in right)))
# Pale pages (faded print): their way up read from their faint lines;
# one not read is left as it is, a quarter turn flagged.
pale = [p for p, v in pages.items() if v[2] and v[3] == "pale"]
pale_right = back(pale)
flagged = [p for p in pale if p not in pale_right and pages[p][2] % 180 and
           kho[p]["rot"] == 0 and "orientation-uncertain" in kho[p]["flags"]]
left = [p for p in pale if p not in pale_right and p not in flagged]
print(f"pale pages at a quarter or half turn: {len(pale_right)}/{len(pale)}"
      f" turned back, {len(flagged)} left unturned and flagged"
      f" orientation-uncertain, {len(left)} otherwise"
      + ("; " + wrong(left) if left else ""))

# The content box, turned as the page was about its centre, in the
# straight page kho crops: turned back by kho's skew.
cut = []
for pid, (file, a, turn, look) in pages.items():
    if turn or file not in boxes or pid not in kho:
        continue
    w, h, x0, y0, x1, y1 = boxes[file]
    k = kho[pid]
    W2, H2 = k["size"][0] / 2, k["size"][1] / 2
    t = math.radians(a - k["skew"])
    c, s = math.cos(t), math.sin(t)
    pts = [((x - w / 2) * c - (y - h / 2) * s + W2,
            (x - w / 2) * s + (y - h / 2) * c + H2)
           for x in (x0, x1) for y in (y0, y1)]
    cx, cy, cw, ch = k["crop"]
    over = max(cx - min(p[0] for p in pts), cy - min(p[1] for p in pts),
               max(p[0] for p in pts) - cx - cw, max(p[1] for p in pts) - cy - ch)
    if over > 3:
        cut.append(f"{pid} by {over:.0f} px")
checked = sum(1 for v in pages.values() if not v[2] and v[0] in boxes)
print(f"crop: {checked - len(cut)}/{checked} upright pages keep all their"
      " content" + ("" if not cut else "; cut: " + ", ".join(cut)))

for what, w, h in (("sheet", 1240, 1754), ("card", 496, 702)):
    sheets = [p for p, v in pages.items() if v[0] == what]
    good = []
    for p in sheets:
        k = kho.get(p)
        if not k:
            continue
        cw, ch = k["crop"][2], k["crop"][3]
        err = abs(k["skew"] - pages[p][1])
        if "border" in k["flags"] and abs(cw - w) <= 40 and abs(ch - h) <= 40 \
                and err <= 0.1:
            good.append(p)
    print(f"{what} on a black bed: {len(good)}/{len(sheets)} found, cropped to"
          f" it ({w} x {h}, within 40 px) and straightened within 0.1 degree")
PY
