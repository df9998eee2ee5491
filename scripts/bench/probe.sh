#!/usr/bin/env bash
# The independent probe (issue 3's "pages kho's team has never seen"):
# pages from a second generator, written apart from kho and its own
# (scripts/bench/probe/gen.py: PIL and the Liberation fonts; certificates
# with seals and identity photos, forms with rules near the edge, page
# numbers and stamps near a corner, letters of a few lines, landscape
# tables, colour photos, pencil, blanks with punch holes or bleed-through;
# G4, LZW, JPEG and PNG at 150 to 400 dpi; turned by content only; dark
# beds on about half), run through ingest, normalize and compress, then
# judged against its truth (probe/eval.py): skew, orientation, content cut
# by the crop, bed left in it, mode, blank, and the rendered pages read
# back (pdftoppm; tesseract's orientation check as a second opinion).
#
#   scripts/bench/probe.sh [--seeds "1 2"] [--pages N] [--keep DIR]
#
# Prints the summary (probe/summarize.py) over all the seeds' pages.
# Needs a kho build (KHO_BUILD_DIR, default build/, brought up to date),
# Debian's python3 with python3-pil and python3-numpy, fonts-liberation2,
# poppler-utils and tesseract-ocr (scripts/deps.sh --bench).
set -euo pipefail

seeds="1 2" pages=30 keep=""
while [ $# -gt 0 ]; do
	case $1 in
	--seeds) seeds=$2; shift 2 ;;
	--pages) pages=$2; shift 2 ;;
	--keep) keep=$2; shift 2 ;;
	*) echo "usage: $0 [--seeds \"1 2\"] [--pages N] [--keep DIR]" >&2; exit 2 ;;
	esac
done

. "$(dirname "$0")/lib.sh"
py=/usr/bin/python3
bench_need "apt-get install python3 poppler-utils tesseract-ocr" $py pdftoppm tesseract
$py -c 'import PIL, numpy' 2>/dev/null || {
	echo "$(basename "$0"): Debian's python3 lacks PIL or numpy (apt-get install python3-pil python3-numpy)" >&2
	exit 1
}
[ -f /usr/share/fonts/truetype/liberation2/LiberationSans-Regular.ttf ] || {
	echo "$(basename "$0"): the Liberation fonts are missing (apt-get install fonts-liberation2)" >&2
	exit 1
}
bench_build
bench_workdir "$keep" probe
here=$src/scripts/bench/probe

sets=()
for seed in $seeds; do
	set_dir=$W/seed$seed
	echo "seed $seed: generating $pages pages..."
	$py "$here/gen.py" "$set_dir" "$seed" "$pages" >/dev/null
	root=$W/root$seed
	"$KHO" init "$root" >/dev/null
	# Failed records are the probe's findings, not the script's.
	"$KHO" ingest --root "$root" --inbox "$set_dir/inbox" >/dev/null 2>&1 || true
	"$KHO" normalize --root "$root" >/dev/null 2>&1 || true
	"$KHO" compress --root "$root" >/dev/null 2>&1 || true
	echo "seed $seed: judging..."
	KHO=$KHO $py "$here/eval.py" "$set_dir" "$root" >"$set_dir/eval.txt" 2>&1
	sets+=("$set_dir")
done
$py "$here/summarize.py" "${sets[@]}"
