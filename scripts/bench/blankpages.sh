#!/usr/bin/env bash
# Blank or not, on pages the generator does not make: ImageMagick draws
# A4 sheets at 300 dpi that hold nothing (fine and coarse grain, a JPEG
# at quality 40, cream and recycled paper, a shadow, a book's gutter, a
# vignette, specks of dust or of white, a sheet askew on a white lid) and
# sheets that hold one small thing (a page number, two punch holes, dark
# or showing a white lid, a red stamp, a signature, a pencil note, the
# print of the back showing through).  kho ingest + normalize decide, and
# the benchmark prints each page's truth, kho's flag and score, the
# precision and recall of the blank flag, and the paper's grain kho
# measured.  No peer decides blank pages (Leptonica and unpaper have no
# such test), so none runs beside it.
#
#   scripts/bench/blankpages.sh [--keep DIR]
#
# Needs: ImageMagick (scripts/deps.sh --bench), sqlite3.
set -euo pipefail

keep=""
while [ $# -gt 0 ]; do
	case $1 in
	--keep) keep=$2; shift 2 ;;
	*) echo "usage: $0 [--keep DIR]" >&2; exit 2 ;;
	esac
done

. "$(dirname "$0")/lib.sh"
bench_need "scripts/deps.sh --bench" convert sqlite3
bench_build
bench_workdir "$keep" blankpages
mkdir -p "$W/in"

w=2480 h=3508 n=0
: >"$W/truth.txt"
# page BLANK NAME CONVERT-ARGS...: one sheet, grey unless its args colour
# it, as a JPEG at 300 dpi.
page() {
	local blank=$1 name=$2 id
	shift 2
	n=$((n + 1))
	id=$(printf 'BP-2021-%05d' "$n")
	echo "$id $blank $name" >>"$W/truth.txt"
	if ! convert "$@" -density 300 -units PixelsPerInch "$W/in/$id.jpg" \
		2>"$W/convert.err"; then
		echo "blankpages.sh: ImageMagick could not draw sheet $id" \
			"($name):" >&2
		sed 's/^/  /' "$W/convert.err" >&2
		echo "  (scripts/deps.sh --bench installs its fonts, gsfonts)" >&2
		exit 1
	fi
}
paper=(-size "${w}x${h}" xc:'gray(96%)')
grain() { echo -seed "$1" -attenuate "$2" +noise Gaussian -colorspace gray; }

echo "drawing the sheets with ImageMagick..." >&2
for a in 0.1 0.3 0.6 1.0; do
	page 1 "grain $a" "${paper[@]}" $(grain 5 "$a") -quality 85
done
page 1 "JPEG quality 40" "${paper[@]}" $(grain 6 0.5) -quality 40
page 1 "cream paper" -size "${w}x${h}" xc:'rgb(242,232,205)' -seed 7 \
	-attenuate 0.4 +noise Gaussian -quality 85
page 1 "recycled paper" -size "${w}x${h}" xc:'gray(85%)' $(grain 8 2) \
	-blur 0x1.5 -quality 85
page 1 "shadow" "${paper[@]}" $(grain 9 0.4) \( +clone -sparse-color \
	barycentric "0,0 gray(50%) $((w - 1)),0 white" \) -compose multiply \
	-composite -quality 85
page 1 "gutter" "${paper[@]}" $(grain 10 0.4) \( -size "${w}x1" xc: -fx \
	'1-0.7*exp(-(w-1-i)/(0.06*w))' -scale "${w}x${h}!" \) -compose multiply \
	-composite -quality 85
page 1 "vignette" "${paper[@]}" $(grain 11 0.4) \( -size "${w}x${h}" \
	radial-gradient:white-'gray(60%)' \) -compose multiply -composite -quality 85
page 1 "dust" "${paper[@]}" $(grain 12 0.4) -fill black -draw "point 500,700" \
	-draw "circle 1500,2000 1501,2001" -draw "point 900,3000" -quality 85
page 0 "page number" "${paper[@]}" $(grain 13 0.4) -fill black -pointsize 30 \
	-annotate +1220+3350 '7' -quality 85
page 0 "punch holes" "${paper[@]}" $(grain 14 0.4) -fill 'gray(15%)' \
	-draw "circle 120,1400 155,1400" -draw "circle 120,2100 155,2100" -quality 85
page 0 "punch holes showing a white lid" -size "${w}x${h}" xc:'gray(93%)' \
	$(grain 19 0.4) -fill white -draw "circle 120,1400 155,1400" \
	-draw "circle 120,2100 155,2100" -quality 85
page 1 "a sheet askew on a white lid" -size "${w}x${h}" xc:white \( \
	-size "$((w - 160))x$((h - 160))" xc:'gray(93%)' $(grain 20 0.4) \
	-background white -rotate 2 \) -gravity center -composite -quality 85
page 1 "white specks" "${paper[@]}" $(grain 21 0.4) -fill white \
	-draw "point 500,700" -draw "circle 1500,2000 1502,2002" -quality 85
page 0 "red stamp" -size "${w}x${h}" xc:'rgb(245,245,245)' -seed 15 \
	-attenuate 0.4 +noise Gaussian -fill none -stroke 'rgb(210,40,40)' \
	-strokewidth 10 -draw "circle 1700,2800 1900,2800" -quality 85
page 0 "signature" "${paper[@]}" $(grain 16 0.4) -fill none -stroke 'gray(20%)' \
	-strokewidth 4 -draw "bezier 1500,2900 1600,2700 1700,3000 1850,2800" -quality 85
page 0 "pencil note" "${paper[@]}" $(grain 17 0.4) -fill 'gray(75%)' -pointsize 60 \
	-annotate +400+800 'ghi chu bang but chi' -quality 85
page 0 "the back's print showing through" "${paper[@]}" $(grain 18 0.4) -fill \
	'gray(88%)' -pointsize 40 -annotate +300+600 \
	"$(printf 'van ban mat sau %.0s' $(seq 1 8))" -flop -quality 85

echo "kho ingest and normalize on $n sheets..." >&2
"$KHO" init "$W/root" >/dev/null
"$KHO" ingest --root "$W/root" -j "$(nproc)" --nice 0 "$W/in" >/dev/null 2>"$W/ingest.err" ||
	{ cat "$W/ingest.err" >&2; exit 1; }
"$KHO" normalize --root "$W/root" -j "$(nproc)" --nice 0 >/dev/null 2>"$W/normalize.err" ||
	{ cat "$W/normalize.err" >&2; exit 1; }
sqlite3 -separator ' ' "$W/root/catalog.db" "SELECT r.record_id, pl.blank,
	printf('%.3f', pl.blank_score), json_extract(pl.measurements, '$.grain')
	FROM plans pl JOIN pages p ON p.id = pl.page JOIN records r ON r.id = p.record
	WHERE r.current = 1 ORDER BY 1" >"$W/kho.txt"

awk 'NR == FNR { blank[$1] = $2; score[$1] = $3; grain[$1] = $4; next }
{
	id = $1; want = $2; name = $3
	for (i = 4; i <= NF; i++) name = name " " $i
	got = blank[id]
	mark = got == want ? "" : "   <== wrong"
	printf "%-14s %-34s truth %-9s kho %-9s score %s grain %s%s\n", id, name,
		want ? "blank" : "not", got ? "blank" : "not", score[id], grain[id], mark
	tp += want && got; fp += !want && got; fn += want && !got; all++
	right += got == want
}
END {
	printf "\n%d of %d sheets right; blank flag: precision %.2f, recall %.2f\n",
		right, all, tp + fp ? tp / (tp + fp) : 1, tp + fn ? tp / (tp + fn) : 1
}' "$W/kho.txt" "$W/truth.txt"
