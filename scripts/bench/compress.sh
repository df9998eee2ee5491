#!/usr/bin/env bash
# The compress benchmark (issue 4): kho's normalize + compress against a
# small Leptonica program (scripts/peers/lept_ref: deskew, Sauvola, G4),
# ImageMagick (-deskew 40% +repage -threshold 50% -compress Group4: without
# +repage its TIFF writer refuses the grown canvas) and the floor
# (scripts/peers/floor_ref: decode + encode with kho's libraries and
# nothing else), on the same generated A4 300 dpi pages in the same run.
#
#   scripts/bench/compress.sh [--seed N] [--records N] [--text N]
#                             [--colour N] [--ocr N] [--long N] [--keep DIR]
#
# Text pages get the plan mode=bitonal, colour pages mode=mixed (the skew
# and crop stay as normalize measured them).  Prints one table; --keep
# leaves the work folder (inputs, outputs, logs) in DIR.
#
# Legibility: the generator writes no text truth, so the reference is
# tesseract -l vie's reading of the original turned upright by its true
# skew (ImageMagick -rotate, no threshold): CER is how far the reading of
# kho's page, Leptonica's and the original as scanned are from it; the
# mean word confidence is given for each too (higher reads better).
#
# Needs: a kho build (KHO_BUILD_DIR, default build/; brought up to date
# with the working tree, configured Release where new),
# scripts/peers/build.sh's needs, imagemagick, tesseract-ocr,
# tesseract-ocr-vie, poppler-utils, python3, GNU time (/usr/bin/time).
set -euo pipefail

seed=7 records=16 n_text=6 n_colour=4 n_ocr=3 n_long=200 keep=""
while [ $# -gt 0 ]; do
	case $1 in
	--seed) seed=$2; shift 2 ;;
	--records) records=$2; shift 2 ;;
	--text) n_text=$2; shift 2 ;;
	--colour) n_colour=$2; shift 2 ;;
	--ocr) n_ocr=$2; shift 2 ;;
	--long) n_long=$2; shift 2 ;;
	--keep) keep=$2; shift 2 ;;
	*) echo "usage: $0 [--seed N] [--records N] [--text N] [--colour N] [--ocr N] [--long N] [--keep DIR]" >&2
	   exit 2 ;;
	esac
done

. "$(dirname "$0")/lib.sh"
metrics="python3 $src/scripts/bench/compress_metrics.py"
bench_need "apt-get install imagemagick tesseract-ocr tesseract-ocr-vie poppler-utils time python3" \
	/usr/bin/convert tesseract pdftoppm /usr/bin/time python3
bench_build
bench_peers

if [ -n "$keep" ]; then
	mkdir -p "$keep"
	W=$(cd "$keep" && pwd)
else
	W=$(mktemp -d "${TMPDIR:-/tmp}/kho-bench-compress-XXXXXX")
	trap 'rm -rf "$W"' EXIT
fi
export OMP_THREAD_LIMIT=1 # tesseract: one core, as each peer gets

ms_now() { date +%s%N | cut -c1-13; }

# ---- pages ----
"$build/kho-genscans" --out "$W/gen" --seed "$seed" --records "$records" \
	--dpi-mix 300 --no-damaged --manifest no >/dev/null
mkdir -p "$W/inbox" "$W/orig"
# A4 at 300 dpi, upright, not blank: text pages (grey) and colour pages.
bench_a4_pages "$W/gen/truth.csv" "$n_text" "$n_colour" >"$W/pages.tsv"
i=0
while IFS=$'\t' read -r kind file skew; do
	i=$((i + 1))
	rec=$([ "$kind" = text ] && echo BT || echo CL)-$(printf %03d $i)
	mkdir -p "$W/inbox/$rec"
	# Scanning desks hand over JPEG: every page as a 300 dpi JPEG (q 90).
	case $file in
	*.jpg) cp "$W/gen/inbox/$file" "$W/orig/$rec.jpg" ;;
	*) /usr/bin/convert "$W/gen/inbox/$file[0]" -quality 90 -density 300 \
		-units PixelsPerInch "$W/orig/$rec.jpg" ;;
	esac
	cp "$W/orig/$rec.jpg" "$W/inbox/$rec/page-001.jpg"
	printf '%s\t%s\t%s\n' "$rec" "$kind" "$skew" >>"$W/records.tsv"
done <"$W/pages.tsv"
n_pages=$(wc -l <"$W/records.tsv")
[ "$n_pages" -gt 0 ] || { echo "compress.sh: no A4 page generated" >&2; exit 1; }

# ---- kho: text pages and colour pages in two work roots, timed apart ----
# kho_run ROOT KIND MODE: ingest, normalize (timed), plan mode=MODE on each
# record, compress -j 1 (timed, peak RSS); sets norm_ms and comp_ms per page.
# Ingest measures the pages on the decode that proves them whole and
# normalize keeps those plans; so that normalize's figure is the whole
# analysis, decode included, as Leptonica's is, the records are put back
# in normalize's queue first (a retry measures again from the original).
kho_run() {
	local root=$W/root-$2 n t0 t1 t2 t3
	mkdir -p "$W/inbox-$2"
	awk -F'\t' -v k="$2" '$2 == k {print $1}' "$W/records.tsv" |
		while read -r rec; do cp -r "$W/inbox/$rec" "$W/inbox-$2/"; done
	n=$(awk -F'\t' -v k="$2" '$2 == k' "$W/records.tsv" | wc -l)
	[ "$n" -gt 0 ] || { norm_ms=0; comp_ms=0; return; }
	"$KHO" init "$root" >/dev/null
	"$KHO" ingest --root "$root" "$W/inbox-$2" -j 1 >/dev/null 2>&1
	"$KHO" normalize --root "$root" -j 1 >/dev/null 2>&1
	"$KHO" retry normalize --root "$root" \
		$(ls "$W/inbox-$2" | sed 's/^/--record /') >/dev/null 2>&1
	t0=$(ms_now)
	"$KHO" normalize --root "$root" -j 1 >/dev/null 2>&1
	t1=$(ms_now)
	for rec in $(ls "$W/inbox-$2"); do
		"$KHO" plan --root "$root" "$rec" 1 mode="$3" >/dev/null
	done
	t2=$(ms_now)
	/usr/bin/time -v -o "$W/time-$2.txt" "$KHO" compress --root "$root" \
		-j 1 >/dev/null 2>&1
	t3=$(ms_now)
	norm_ms=$(((t1 - t0) / n))
	comp_ms=$(((t3 - t2) / n))
}
kho_run text text bitonal
text_norm_ms=$norm_ms text_comp_ms=$comp_ms
kho_run colour colour mixed
colour_norm_ms=$norm_ms colour_comp_ms=$comp_ms
quality=$("$KHO" config --root "$W/root-text" 2>/dev/null |
	awk -F' = ' '$1 == "jpeg_quality" {print $2}')
pdf_of() { # RECORD KIND
	local sha
	sha=$(sqlite3 "$W/root-$2/catalog.db" "SELECT o.sha256 FROM outputs o JOIN records r ON r.id=o.record WHERE r.record_id='$1' AND r.current=1 AND o.name='result.pdf';")
	echo "$W/root-$2/store/${sha:0:2}/$sha"
}

# ---- peers, page by page ----
mkdir -p "$W/out"
lept_ms=0 im_ms=0 im_fail=0
while IFS=$'\t' read -r rec kind skew; do
	in=$W/orig/$rec.jpg
	cp "$(pdf_of "$rec" "$kind")" "$W/out/$rec.kho.pdf"
	if [ "$kind" = text ]; then
		line=$("$peers/lept_ref" --full "$in" "$W/out/$rec.lept.tif")
		ms=$(echo "$line" | sed -E 's/.*total ([0-9.]+).*/\1/')
		lept_ms=$(python3 -c "print($lept_ms + $ms)")
		a=$(ms_now)
		if timeout 120 /usr/bin/convert "$in" -deskew 40% +repage -threshold 50% \
			-compress Group4 "$W/out/$rec.im.tif" 2>/dev/null; then :; else
			im_fail=$((im_fail + 1))
		fi
		im_ms=$((im_ms + $(ms_now) - a))
		line=$("$peers/floor_ref" bitonal "$in" "$W/out/$rec.floor.tif")
	else
		line=$("$peers/floor_ref" colour "$in" "$W/out/$rec.floor.jpg" "${quality:-80}")
	fi
	ms=$(echo "$line" | sed -E 's/.*total ([0-9.]+).*/\1/')
	printf '%s\t%s\t%s\n' "$rec" "$kind" "$ms" >>"$W/floor.tsv"
done <"$W/records.tsv"

# ---- sizes ----
text_n=0 colour_n=0 kho_g4=0 lept_g4=0 im_g4=0 kho_col=0 kho_col_pdf=0
while IFS=$'\t' read -r rec kind skew; do
	streams=$($metrics pdfstreams "$W/out/$rec.kho.pdf")
	g4=$(echo "$streams" | sed -nE 's/.*CCITTFaxDecode=([0-9]+).*/\1/p')
	dct=$(echo "$streams" | sed -nE 's/.*DCTDecode=([0-9]+).*/\1/p')
	if [ "$kind" = text ]; then
		text_n=$((text_n + 1))
		kho_g4=$((kho_g4 + ${g4:-0}))
		lept_g4=$((lept_g4 + $($metrics tiffstrips "$W/out/$rec.lept.tif")))
		[ -f "$W/out/$rec.im.tif" ] &&
			im_g4=$((im_g4 + $($metrics tiffstrips "$W/out/$rec.im.tif")))
	else
		colour_n=$((colour_n + 1))
		kho_col=$((kho_col + ${g4:-0} + ${dct:-0}))
		kho_col_pdf=$((kho_col_pdf + $(stat -c %s "$W/out/$rec.kho.pdf")))
	fi
done <"$W/records.tsv"

# ---- legibility: tesseract on the original and on each output ----
ocr() { # IN OUTBASE
	tesseract "$1" "$2" -l vie txt tsv >/dev/null 2>&1 || : >"$2.txt"
}
ocr_n=0
: >"$W/ocr.tsv"
while IFS=$'\t' read -r rec kind skew; do
	[ "$kind" = text ] || continue
	[ "$ocr_n" -lt "$n_ocr" ] || break
	ocr_n=$((ocr_n + 1))
	pdftoppm -r 300 -gray -singlefile "$W/out/$rec.kho.pdf" "$W/out/$rec.kho"
	# The reference: the original turned upright by its true skew
	# (ImageMagick's -rotate turns clockwise), read at its best.
	/usr/bin/convert "$W/orig/$rec.jpg" -background white \
		-rotate "$(python3 -c "print(-($skew))")" "$W/out/$rec.ref.png"
	ocr "$W/out/$rec.ref.png" "$W/out/$rec.ref.ocr"
	ocr "$W/orig/$rec.jpg" "$W/out/$rec.orig.ocr"
	ocr "$W/out/$rec.kho.pgm" "$W/out/$rec.kho.ocr"
	ocr "$W/out/$rec.lept.tif" "$W/out/$rec.lept.ocr"
	ref=$W/out/$rec.ref.ocr.txt
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$rec" \
		"$($metrics conf "$W/out/$rec.orig.ocr.tsv")" \
		"$($metrics conf "$W/out/$rec.kho.ocr.tsv")" \
		"$($metrics conf "$W/out/$rec.lept.ocr.tsv")" \
		"$($metrics cer "$ref" "$W/out/$rec.kho.ocr.txt")" \
		"$($metrics cer "$ref" "$W/out/$rec.lept.ocr.txt")" \
		"$($metrics cer "$ref" "$W/out/$rec.orig.ocr.txt")" \
		>>"$W/ocr.tsv"
done <"$W/records.tsv"

# ---- the seal: red pixels at 100 dpi, original against kho's page ----
: >"$W/seal.tsv"
while IFS=$'\t' read -r rec kind skew; do
	[ "$kind" = colour ] || continue
	/usr/bin/convert "$W/orig/$rec.jpg" -resize 33.333% "$W/out/$rec.orig.ppm"
	pdftoppm -r 100 -singlefile "$W/out/$rec.kho.pdf" "$W/out/$rec.kho100"
	printf '%s\t%s\t%s\n' "$rec" "$($metrics red "$W/out/$rec.orig.ppm")" \
		"$($metrics red "$W/out/$rec.kho100.ppm")" >>"$W/seal.tsv"
done <"$W/records.tsv"

# ---- memory: one worker, a 1-page and an N-page record, colour mode ----
rss_of() { awk -F': ' '/Maximum resident set size/ {print $2}' "$1"; }
# rss_run NAME PAGES: a record of PAGES colour pages, compress -j 1.
rss_run() {
	local root=$W/root-$1 k c
	mkdir -p "$W/inbox-$1/$1"
	for k in $(seq 1 "$2"); do
		c=${colours[$(((k - 1) % ${#colours[@]}))]}
		cp "$W/orig/$c.jpg" "$W/inbox-$1/$1/page-$(printf %03d "$k").jpg"
	done
	"$KHO" init "$root" >/dev/null
	"$KHO" ingest --root "$root" "$W/inbox-$1" -j 1 >/dev/null 2>&1
	"$KHO" normalize --root "$root" -j 1 >/dev/null 2>&1
	for k in $(seq 1 "$2"); do
		"$KHO" plan --root "$root" "$1" "$k" mode=colour >/dev/null
	done
	/usr/bin/time -v -o "$W/time-$1.txt" "$KHO" compress --root "$root" \
		-j 1 >/dev/null 2>&1
	rss_of "$W/time-$1.txt"
}
mapfile -t colours < <(awk -F'\t' '$2 == "colour" {print $1}' "$W/records.tsv")
rss1="" rssn=""
if [ ${#colours[@]} -gt 0 ] && [ "$n_long" -gt 0 ]; then
	rss1=$(rss_run ONE 1)
	rssn=$(rss_run LONG "$n_long")
fi

# ---- the table ----
avg() { python3 -c "import sys; v=[float(x) for x in sys.argv[1:]]; print(f'{sum(v)/len(v):.3f}' if v else '-')" "$@"; }
per() { python3 -c "print(f'{$1 / max($2, 1):.0f}')"; }
floor_text=$(avg $(awk -F'\t' '$2 == "text" {print $3}' "$W/floor.tsv"))
floor_colour=$(avg $(awk -F'\t' '$2 == "colour" {print $3}' "$W/floor.tsv"))
row() { printf '%-44s %14s %12s %12s %12s\n' "$@"; }
echo
echo "compress benchmark: seed $seed; $text_n text page(s) planned bitonal, $colour_n colour page(s) planned mixed; A4 300 dpi JPEG; jpeg_quality ${quality:-?}"
row "measure" "kho" "Leptonica" "ImageMagick" "floor"
row "bytes per bitonal page (G4 data)" "$(per "$kho_g4" "$text_n")" \
	"$(per "$lept_g4" "$text_n")" \
	"$([ "$im_g4" -gt 0 ] && per "$im_g4" $((text_n - im_fail)) || echo -)" "-"
row "tesseract word confidence, $ocr_n page(s)" \
	"$(avg $(cut -f3 "$W/ocr.tsv"))" "$(avg $(cut -f4 "$W/ocr.tsv"))" "-" \
	"orig $(avg $(cut -f2 "$W/ocr.tsv"))"
row "CER vs the upright original's reading" \
	"$(avg $(cut -f5 "$W/ocr.tsv"))" "$(avg $(cut -f6 "$W/ocr.tsv"))" "-" \
	"orig $(avg $(cut -f7 "$W/ocr.tsv"))"
row "KB per colour page, mixed (images/PDF)" \
	"$((kho_col / 1024 / (colour_n ? colour_n : 1)))/$((kho_col_pdf / 1024 / (colour_n ? colour_n : 1)))" "-" "-" "-"
row "seal red pixels kept at 100 dpi" \
	"$(awk -F'\t' '{o+=$2; k+=$3} END {if (o) printf "%.2f", k/o; else print "-"}' "$W/seal.tsv")" "-" "-" "-"
row "ms per text page (kho: normalize+compress)" \
	"$((text_norm_ms + text_comp_ms))" "$(per "$lept_ms" "$text_n")" \
	"$(per "$im_ms" "$text_n")" "$floor_text"
row "  kho normalize + compress" "$text_norm_ms+$text_comp_ms" "" "" ""
row "ms per colour page, mixed" "$((colour_norm_ms + colour_comp_ms))" "-" "-" "$floor_colour"
row "  kho normalize + compress" "$colour_norm_ms+$colour_comp_ms" "" "" ""
row "ImageMagick pages that failed" "" "" "$im_fail of $text_n" ""
row "peak RSS KB, compress -j 1, text run" "$(rss_of "$W/time-text.txt")" "" "" ""
row "peak RSS KB, compress -j 1, mixed run" "$(rss_of "$W/time-colour.txt" 2>/dev/null)" "" "" ""
row "peak RSS KB, colour, 1-page record" "${rss1:--}" "" "" ""
row "peak RSS KB, colour, $n_long-page record" "${rssn:--}" "" "" ""
echo
echo "per page, floor ms:"; cat "$W/floor.tsv"
echo "per text page: word confidence orig/kho/lept, CER kho/lept/orig:"; cat "$W/ocr.tsv"
echo "per colour page: red pixels orig/kho:"; cat "$W/seal.tsv"
