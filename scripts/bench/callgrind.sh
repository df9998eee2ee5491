#!/usr/bin/env bash
# Instruction counts (valgrind --tool=callgrind) of kho's stages on one
# fixed page per mode: repeatable on a busy machine, where times are not.
# docs/PERFORMANCE.md keeps them with the date and commit; compare new
# figures against those.
#
#   scripts/bench/callgrind.sh [--keep DIR]
#
# Pages (made by the generator, seeded, then converted as the pipeline
# benchmark does): a 300 dpi A4 grey JPEG text page (rendered bitonal), a
# 300 dpi colour JPEG with a seal (mixed), a 200 dpi G4 TIFF (bitonal).
# Prints millions of instructions per page for ingest, normalize and
# compress, all processes of each stage summed (the workers are forked).
set -euo pipefail
keep=""
[ "${1:-}" = --keep ] && keep=$2
. "$(dirname "$0")/lib.sh"
bench_build
command -v valgrind >/dev/null || { echo "callgrind.sh: valgrind is missing" >&2; exit 1; }
W=${keep:-$(mktemp -d "${TMPDIR:-/tmp}/kho-callgrind-XXXXXX")}
[ -n "$keep" ] || trap 'rm -rf "$W"' EXIT
rm -rf "$W"/*
"$build/kho-genscans" --out "$W/g300" --seed 5 --records 8 --dpi-mix 300 \
	--no-damaged --manifest no >/dev/null
"$build/kho-genscans" --out "$W/g200" --seed 6 --records 2 --dpi-mix 200 \
	--no-damaged --manifest no >/dev/null
first() { # DIR colour|plain -> "file,page" of the first upright text page
	python3 - "$1/truth.csv" "$2" <<'PY'
import csv, sys
for r in csv.DictReader(open(sys.argv[1], encoding="utf-8")):
    if r["print"] == "text" and r["rotation"] == "0" and \
       (r["mode"] == "colour") == (sys.argv[2] == "colour"):
        print(r["file"], r["file_page"], sep=",")
        break
PY
}
mkdir -p "$W/in/grey" "$W/in/mixed" "$W/in/g4"
IFS=, read -r f p < <(first "$W/g300" plain)
/usr/bin/convert "$W/g300/inbox/$f[$((p - 1))]" -colorspace gray -quality 85 \
	-density 300 -units PixelsPerInch "$W/in/grey/CG-GREY.jpg"
IFS=, read -r f p < <(first "$W/g300" colour)
/usr/bin/convert "$W/g300/inbox/$f[$((p - 1))]" -quality 85 -density 300 \
	-units PixelsPerInch "$W/in/mixed/CG-MIXED.jpg"
IFS=, read -r f p < <(first "$W/g200" plain)
/usr/bin/convert "$W/g200/inbox/$f[$((p - 1))]" -colorspace gray -threshold 55% \
	-type bilevel -compress Group4 -density 200 -units PixelsPerInch \
	"$W/in/g4/CG-G4.tif"

# A forked child inherits its parent's counts in callgrind: dumping (and
# so zeroing) the parent's before each fork counts its work once.
count() { # OUTPREFIX CMD...: total Ir over every process
	rm -f "$1".*
	valgrind --tool=callgrind --dump-before=fork \
		--callgrind-out-file="$1.%p" "${@:2}" \
		>/dev/null 2>&1 || true
	cat "$1".* | awk '/^summary:/ { s += $2 } END { printf "%.1f", s / 1e6 }'
}
peers=${KHO_PEERS_DIR:-$build/peers}
[ -x "$peers/floor_ref" ] || KHO_PEERS_DIR=$peers "$src/scripts/peers/build.sh" >/dev/null
printf '%-8s %10s %10s %10s %10s %10s   (millions of instructions per page)\n' \
	page ingest normalize compress kho floor
for kind in grey mixed g4; do
	root="$W/root-$kind"
	"$KHO" init "$root" >/dev/null
	i=$(count "$W/cg-$kind-ingest" "$KHO" ingest --root "$root" -j 1 --nice 0 "$W/in/$kind")
	n=$(count "$W/cg-$kind-normalize" "$KHO" normalize --root "$root" -j 1 --nice 0)
	c=$(count "$W/cg-$kind-compress" "$KHO" compress --root "$root" -j 1 --nice 0)
	mode=$(sqlite3 "$root/catalog.db" "SELECT mode FROM plans;")
	fm=bitonal ext=g4
	[ "$mode" = mixed ] || [ "$mode" = colour ] && fm=colour ext=jpg
	fl=$(count "$W/cg-$kind-floor" "$peers/floor_ref" "$fm" \
		"$(ls "$W/in/$kind"/*)" "$W/floor.$ext")
	sum=$(echo "$i $n $c" | awk '{ printf "%.1f", $1 + $2 + $3 }')
	printf '%-8s %10s %10s %10s %10s %10s   (rendered %s)\n' "$kind" "$i" \
		"$n" "$c" "$sum" "$fl" "$mode"
done
