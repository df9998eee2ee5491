#!/usr/bin/env bash
# kho's benchmarks, each with the peers run on the same pages in the same
# run.  Figures, never pass/fail: the tests check behaviour.
#
#   scripts/bench.sh pipeline [ARGS]    inbox to warehouse: CPU per stage, -j scaling,
#                                       memory, bytes; the floor, Leptonica, ImageMagick, unpaper
#   scripts/bench.sh normalize [ARGS]   page analysis vs Leptonica's pixFindSkew
#   scripts/bench.sh compress [ARGS]    rendering and the PDF vs Leptonica, ImageMagick, the floor
#   scripts/bench.sh coverage [ARGS]    register import and report on a million records
#   scripts/bench.sh catalog [ARGS]     status, ingest and run on catalogs of 1,000 to 1,000,000
#                                       records: the cost per record as the catalog grows
#   scripts/bench.sh rendered [ARGS]    the skew left in kho's result pages, read by Leptonica
#   scripts/bench.sh realpages [ARGS]   normalize on ../shared/realdata's pages turned by known
#                                       angles, on a bed, blurred or faded; Leptonica beside it
#   scripts/bench.sh legibility [ARGS]  tesseract reads real pages of known text made into scans 17
#                                       ways: the scan, kho's result, Leptonica's output;
#                                       --turned SEED lays them crooked on a bed first
#   scripts/bench.sh blank [ARGS]       blank or not on sheets ImageMagick draws (grain, shadow,
#                                       gutter, dust; a page number, punch holes, a stamp ...)
#   scripts/bench.sh probe [ARGS]       pages from a second, independent generator through
#                                       normalize and compress, judged against its truth
#   scripts/bench.sh scaling [ARGS]     kho run -j 1, 2, 4 ... up to the cores: the speed-up curve
#   scripts/bench.sh inner [ARGS]       normalize's and compress's steps timed in one process,
#                                       --against REV for a before and after
#   scripts/bench.sh all                each of them but scaling with its defaults
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
what=${1:-all}
[ $# -gt 0 ] && shift
case $what in
pipeline) exec "$here/bench/pipeline.sh" "$@" ;;
normalize) exec "$here/bench/normalize.sh" "$@" ;;
compress) exec "$here/bench/compress.sh" "$@" ;;
coverage) exec "$here/bench_coverage.sh" "$@" ;;
catalog) exec "$here/bench/catalog.sh" "$@" ;;
rendered) exec "$here/bench/rendered.sh" "$@" ;;
realpages) exec "$here/bench/realpages.sh" "$@" ;;
legibility) exec "$here/bench/legibility.sh" "$@" ;;
blank) exec "$here/bench/blankpages.sh" "$@" ;;
probe) exec "$here/bench/probe.sh" "$@" ;;
scaling) exec "$here/bench/scaling.sh" "$@" ;;
inner) exec "$here/bench/inner.sh" "$@" ;;
all)
	for b in pipeline normalize compress coverage rendered realpages legibility blank inner; do
		echo "== $b"
		"$0" "$b"
		echo
	done
	;;
*)
	sed -n '2,/^set/p' "$0" | sed 's/^# \{0,1\}//;/^set/d' >&2
	exit 2
	;;
esac
