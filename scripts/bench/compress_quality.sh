#!/usr/bin/env bash
# How the default jpeg_quality was chosen (docs/COMPRESS.md): the same
# generated A4 300 dpi pages compressed at several qualities, grey pages
# in mode grey, colour pages in mode colour and mode mixed; for each
# quality the JPEG bytes per page, the PSNR against quality 100, and
# tesseract -l vie's mean word confidence on the grey pages.
#
#   scripts/bench/compress_quality.sh [--seed N] [--qualities "40 60 80"]
#
# Needs what scripts/bench/compress.sh needs.
set -euo pipefail
seed=7 qualities="30 40 50 60 70 75 80 85 90 95" ocr_q="30 50 70 80 90"
while [ $# -gt 0 ]; do
	case $1 in
	--seed) seed=$2; shift 2 ;;
	--qualities) qualities=$2; shift 2 ;;
	--ocr) ocr_q=$2; shift 2 ;;
	*) echo "usage: $0 [--seed N] [--qualities \"Q...\"] [--ocr \"Q...\"]" >&2; exit 2 ;;
	esac
done
. "$(dirname "$0")/lib.sh"
bench_build
W=$(mktemp -d "${TMPDIR:-/tmp}/kho-bench-quality-XXXXXX")
trap 'rm -rf "$W"' EXIT
export OMP_THREAD_LIMIT=1

"$build/kho-genscans" --out "$W/gen" --seed "$seed" --records 12 \
	--dpi-mix 300 --no-damaged --manifest no >/dev/null
mkdir -p "$W/inbox"
# Two grey text pages and two colour pages, A4, upright, as JPEG q 90.
python3 - "$W/gen/truth.csv" >"$W/pages.tsv" <<'EOF'
import csv, sys
got = {"grey": 0, "colour": 0}
for r in csv.DictReader(open(sys.argv[1])):
    w, h = int(r["width"]), int(r["height"])
    if (2300 <= w <= 2900 and 3300 <= h <= 4000 and r["rotation"] == "0"
            and r["blank"] == "0" and r["file_page"] == "1"
            and r["mode"] in got and got[r["mode"]] < 2):
        got[r["mode"]] += 1
        print(f"{r['mode']}\t{r['file']}")
EOF
i=0
while IFS=$'\t' read -r mode file; do
	i=$((i + 1))
	for m in $([ "$mode" = grey ] && echo grey || echo "colour mixed"); do
		rec=$(echo "$m" | tr a-z A-Z | cut -c1-2)-$i
		mkdir -p "$W/inbox/$rec"
		/usr/bin/convert "$W/gen/inbox/$file[0]" -quality 90 -density 300 \
			-units PixelsPerInch "$W/inbox/$rec/page-001.jpg"
		printf '%s\t%s\n' "$rec" "$m" >>"$W/records.tsv"
	done
done <"$W/pages.tsv"

"$KHO" init "$W/root" >/dev/null
"$KHO" ingest --root "$W/root" "$W/inbox" >/dev/null 2>&1
"$KHO" normalize --root "$W/root" >/dev/null 2>&1
while IFS=$'\t' read -r rec mode; do
	"$KHO" plan --root "$W/root" "$rec" 1 mode="$mode" >/dev/null
done <"$W/records.tsv"
pdf_of() {
	local s
	s=$(sqlite3 "$W/root/catalog.db" "SELECT o.sha256 FROM outputs o JOIN records r ON r.id=o.record WHERE r.record_id='$1' AND r.current=1 AND o.name='result.pdf';")
	echo "$W/root/store/${s:0:2}/$s"
}
compress_at() { # Q DIR: every page at quality Q, its JPEG into DIR/REC.jpg
	local rec
	mkdir -p "$2"
	sed -i "s/^#* *jpeg_quality = .*/jpeg_quality = $1/" "$W/root/kho.conf"
	# shellcheck disable=SC2046
	"$KHO" retry --root "$W/root" compress $(cut -f1 "$W/records.tsv" | sed 's/^/--record /') >/dev/null
	"$KHO" compress --root "$W/root" >/dev/null 2>&1
	for rec in $(cut -f1 "$W/records.tsv"); do
		pdfimages -j "$(pdf_of "$rec")" "$2/$rec" >/dev/null
		mv "$(ls "$2/$rec"-*.jpg | head -1)" "$2/$rec.jpg"
		rm -f "$2/$rec"-*
		cp "$(pdf_of "$rec")" "$2/$rec.pdf"
	done
}
compress_at 100 "$W/q100"
printf '%-8s %14s %14s %14s %12s %12s %12s %10s\n' quality "grey KB" "colour KB" \
	"mixed bg KB" "PSNR grey" "PSNR colour" "PSNR mixed" "OCR conf"
for q in $qualities; do
	compress_at "$q" "$W/q$q"
	declare -A kb=() psnr=() n=()
	while IFS=$'\t' read -r rec mode; do
		b=$(stat -c %s "$W/q$q/$rec.jpg")
		p=$(/usr/bin/compare -metric PSNR "$W/q100/$rec.jpg" "$W/q$q/$rec.jpg" null: 2>&1 || true)
		kb[$mode]=$(python3 -c "print(${kb[$mode]:-0} + $b / 1024)")
		psnr[$mode]=$(python3 -c "print(${psnr[$mode]:-0} + float('$p'.split()[0]))")
		n[$mode]=$((${n[$mode]:-0} + 1))
	done <"$W/records.tsv"
	conf=-
	case " $ocr_q " in *" $q "*)
		conf=0
		for rec in $(awk -F'\t' '$2 == "grey" {print $1}' "$W/records.tsv"); do
			pdftoppm -r 300 -gray -singlefile "$W/q$q/$rec.pdf" "$W/q$q/$rec.ocr"
			tesseract "$W/q$q/$rec.ocr.pgm" "$W/q$q/$rec.ocr" -l vie tsv >/dev/null 2>&1
			conf=$(python3 -c "print($conf + $(python3 "$src/scripts/bench/compress_metrics.py" conf "$W/q$q/$rec.ocr.tsv") / 2)")
		done
		conf=$(printf '%.1f' "$conf") ;;
	esac
	avg() { python3 -c "print(f'{$1 / max($2, 1):.1f}')"; }
	printf '%-8s %14s %14s %14s %12s %12s %12s %10s\n' "$q" \
		"$(avg "${kb[grey]:-0}" "${n[grey]:-0}")" "$(avg "${kb[colour]:-0}" "${n[colour]:-0}")" \
		"$(avg "${kb[mixed]:-0}" "${n[mixed]:-0}")" "$(avg "${psnr[grey]:-0}" "${n[grey]:-0}")" \
		"$(avg "${psnr[colour]:-0}" "${n[colour]:-0}")" "$(avg "${psnr[mixed]:-0}" "${n[mixed]:-0}")" "$conf"
	unset kb psnr n
done
