#!/usr/bin/env bash
# The pipeline benchmark (issue 8): kho from inbox to warehouse on a
# fixed, seeded mix of pages, and on the same pages in the same run the
# floor (scripts/peers/floor_ref: decode and encode with the same
# libraries, nothing else), a small Leptonica program (lept_ref --full:
# deskew, Sauvola, G4), ImageMagick (-deskew 40% +repage -threshold 50%
# -compress Group4) and unpaper (defaults; it reads and writes PNM, so its
# input is converted first, outside its time).
#
#   scripts/bench/pipeline.sh [--seed N] [--each N] [--jobs N] [--keep DIR]
#                             [--no-peers]
#
# The mix, --each of every kind (default 4): 300 dpi A4 grey JPEG, 300 dpi
# colour JPEG with a seal, 600 dpi LZW TIFF, 200 dpi bitonal G4 TIFF, and
# --each/2 multi-page records (a 4-page JPEG-compressed TIFF at 300 dpi).
#
# Prints: CPU ms per page of each stage (kho STAGE -j 1, user + system,
# children included; then the whole again on the single-page files alone,
# the peers' pages, which the ratios to the peers use), wall pages per
# second of kho run with -j 1 and
# -j N, peak RSS of a worker, bytes per page (result.pdf, and all the
# warehouse holds with the originals), and the peers' ms per page with
# each ratio to kho (--no-peers: kho alone, for a quick look at how -j
# scales on a bigger --each).  The peers' ms are wall time of a process
# per page; then the floor and the Leptonica program again in one process
# each over all the pages (their CPU per page, without a process start
# and fresh buffers a page), with the floor's decode alone: what any
# program that decodes each page whole must spend.  Needs:
# scripts/deps.sh --bench.
set -euo pipefail

seed=8 each=4 jobs=$(nproc 2>/dev/null || echo 2) keep="" peers_too=1
while [ $# -gt 0 ]; do
	case $1 in
	--seed) seed=$2; shift 2 ;;
	--each) each=$2; shift 2 ;;
	--jobs) jobs=$2; shift 2 ;;
	--keep) keep=$2; shift 2 ;;
	--no-peers) peers_too=0; shift ;;
	*) echo "usage: $0 [--seed N] [--each N] [--jobs N] [--keep DIR] [--no-peers]" >&2; exit 2 ;;
	esac
done

. "$(dirname "$0")/lib.sh"
bench_need "scripts/deps.sh --bench" /usr/bin/convert /usr/bin/time unpaper \
	tiffcp python3
bench_build
bench_peers

W=${keep:-$(mktemp -d "${TMPDIR:-/tmp}/kho-bench-pipeline-XXXXXX")}
[ -n "$keep" ] || trap 'rm -rf "$W"' EXIT
rm -rf "$W/in" "$W/gen300" "$W/gen600" "$W/gen200" "$W/peers"
mkdir -p "$W/in" "$W/peers"

echo "making the mix ($each of each kind, seed $seed)..." >&2
n_multi=$(( (each + 1) / 2 ))
"$build/kho-genscans" --out "$W/gen300" --seed "$seed" \
	--records $((each * 3 + n_multi * 4)) --dpi-mix 300 --no-damaged \
	--manifest no >/dev/null
"$build/kho-genscans" --out "$W/gen600" --seed $((seed + 1)) \
	--records "$each" --dpi-mix 600 --no-damaged --manifest no >/dev/null
"$build/kho-genscans" --out "$W/gen200" --seed $((seed + 2)) \
	--records "$each" --dpi-mix 200 --no-damaged --manifest no >/dev/null

# One upright text page per generated record, as the decoder shows it:
# "record,file" of the first page whose print is text.
pick() { # DIR MODE-FILTER
	python3 - "$1/truth.csv" "$2" <<'PY'
import csv, sys
seen = set()
for r in csv.DictReader(open(sys.argv[1], encoding="utf-8")):
    if r["record"] in seen or r["print"] != "text" or r["rotation"] != "0":
        continue
    if sys.argv[2] == "colour" and r["mode"] != "colour":
        continue
    if sys.argv[2] == "plain" and r["mode"] == "colour":
        continue
    seen.add(r["record"])
    print(r["file"], r["file_page"], sep=",")
PY
}
kind() { # NAME OUTFILE-EXT CONVERT-ARGS...: from stdin "file,page" lines
	local name=$1 ext=$2 dir=$3 count=$4
	shift 4
	local i=0
	while IFS=, read -r file page && [ $i -lt "$count" ]; do
		i=$((i + 1))
		local id
		id=$(printf 'B%s-%03d' "$name" $i)
		/usr/bin/convert "$dir/inbox/$file[$((page - 1))]" "$@" \
			"$W/in/$id.$ext"
	done
}
pick "$W/gen300" plain | kind G jpg "$W/gen300" "$each" -colorspace gray \
	-quality 85 -density 300 -units PixelsPerInch
pick "$W/gen300" colour | kind C jpg "$W/gen300" "$each" -quality 85 \
	-density 300 -units PixelsPerInch
pick "$W/gen600" plain | kind L tif "$W/gen600" "$each" -compress LZW \
	-density 600 -units PixelsPerInch
pick "$W/gen200" plain | kind F tif "$W/gen200" "$each" -colorspace gray \
	-threshold 55% -type bilevel -compress Group4 -density 200 \
	-units PixelsPerInch
# Multi-page records: four pages in one JPEG-compressed TIFF.
mapfile -t multi < <(pick "$W/gen300" all | tail -n $((n_multi * 4)))
for r in $(seq 1 "$n_multi"); do
	pages=()
	for k in 0 1 2 3; do
		IFS=, read -r file page <<<"${multi[$(( (r - 1) * 4 + k ))]}"
		/usr/bin/convert "$W/gen300/inbox/$file[$((page - 1))]" \
			-quality 85 -compress JPEG -density 300 \
			-units PixelsPerInch "$W/peers/m$r-$k.tif"
		pages+=("$W/peers/m$r-$k.tif")
	done
	tiffcp "${pages[@]}" "$W/in/$(printf 'BM-%03d' "$r").tif"
done
single=$(ls "$W/in" | grep -v '^BM-' | wc -l)
pages=$((single + n_multi * 4))
echo "$pages pages in $(ls "$W/in" | wc -l) records" >&2

# --- kho, one stage at a time, -j 1: CPU per page of each stage ---
timed() { # LABEL CMD...: appends "LABEL user sys maxrss_kb wall" to $W/times
	local label=$1
	shift
	local rc=0
	/usr/bin/time -f "$label %U %S %M %e" -a -o "$W/times" "$@" \
		>"$W/$label.out" 2>"$W/$label.err" || rc=$?
	if [ $rc -gt 1 ]; then
		cat "$W/$label.err" >&2
		exit 1
	fi
}
: >"$W/times"
rm -rf "$W/r1" "$W/rn" "$W/rs"
"$KHO" init "$W/rs" >/dev/null
echo "kho, stage by stage..." >&2
timed ingest "$KHO" ingest --root "$W/rs" -j 1 --nice 0 "$W/in"
for st in normalize compress describe pack; do
	timed "$st" "$KHO" "$st" --root "$W/rs" -j 1 --nice 0
done
# ... and again on the single-page files alone, the pages the peers run
# on, so that each ratio to kho is over the same pages.
mkdir -p "$W/in1"
cp "$W"/in/B[GCLF]-* "$W/in1/"
rm -rf "$W/rs1"
"$KHO" init "$W/rs1" >/dev/null
timed single-ingest "$KHO" ingest --root "$W/rs1" -j 1 --nice 0 "$W/in1"
for st in normalize compress describe pack; do
	timed "single-$st" "$KHO" "$st" --root "$W/rs1" -j 1 --nice 0
done
echo "kho run -j 1 and -j $jobs..." >&2
"$KHO" init "$W/r1" >/dev/null
timed run-j1 "$KHO" run --root "$W/r1" -j 1 --nice 0 --inbox "$W/in"
"$KHO" init "$W/rn" >/dev/null
timed "run-j$jobs" "$KHO" run --root "$W/rn" -j "$jobs" --nice 0 \
	--inbox "$W/in"
pdf_bytes=$(sqlite3 "$W/rs/catalog.db" \
	"SELECT sum(size) FROM outputs WHERE name = 'result.pdf';")
wh_bytes=$(sqlite3 "$W/rs/catalog.db" "SELECT sum(size) FROM volumes;")
archived=$(sqlite3 "$W/rs/catalog.db" \
	"SELECT count(*) FROM jobs WHERE stage='pack' AND state='done';")

# --- the peers, on the single-page files ---
: >"$W/peer-times"
[ $peers_too = 1 ] && echo "the peers..." >&2
for f in "$W"/in/B[GCLF]-*; do
	[ $peers_too = 1 ] || break
	b=$(basename "$f")
	case $b in BC-*) mode=colour ;; *) mode=bitonal ;; esac
	ext=g4
	[ $mode = colour ] && ext=jpg
	t0=$(date +%s%N)
	"$peers/floor_ref" "$mode" "$f" "$W/peers/$b.floor.$ext" >/dev/null 2>&1 || true
	t1=$(date +%s%N)
	"$peers/lept_ref" --full "$f" "$W/peers/$b.lept.tif" >/dev/null 2>&1 || true
	t2=$(date +%s%N)
	timeout 300 /usr/bin/convert "$f" -deskew 40% +repage -threshold 50% \
		-compress Group4 "$W/peers/$b.im.tif" >/dev/null 2>&1 || true
	t3=$(date +%s%N)
	/usr/bin/convert "$f" -colorspace gray "$W/peers/$b.pgm"
	t4=$(date +%s%N)
	timeout 300 unpaper --overwrite "$W/peers/$b.pgm" "$W/peers/$b.unpaper.pgm" \
		>/dev/null 2>&1 || true
	t5=$(date +%s%N)
	echo "$b $(( (t1 - t0) / 1000000 )) $(( (t2 - t1) / 1000000 )) $(( (t3 - t2) / 1000000 )) $(( (t5 - t4) / 1000000 ))" >>"$W/peer-times"
done

# The floor and the Leptonica program again, each in one process over
# every single-page file: no process start and no first touch of fresh
# buffers for each page, as kho's workers have none.  CPU time.
: >"$W/floor1.time"
: >"$W/lept1.time"
if [ $peers_too = 1 ]; then
	mkdir -p "$W/peers1"
	/usr/bin/time -f "%U %S" -o "$W/floor1.time" "$peers/floor_ref" --each \
		"$W/peers1" "$W"/in/B[GCLF]-* >"$W/floor1.out" 2>/dev/null || true
	/usr/bin/time -f "%U %S" -o "$W/lept1.time" "$peers/lept_ref" \
		--full-each "$W/peers1" "$W"/in/B[GCLF]-* >"$W/lept1.out" \
		2>/dev/null || true
fi

python3 - "$W/times" "$W/peer-times" "$pages" "$single" "$jobs" \
	"$pdf_bytes" "$wh_bytes" "$archived" "$(ls "$W/in" | wc -l)" \
	"$W/floor1.time" "$W/floor1.out" "$W/lept1.time" <<'PY'
import sys
times = {}
for line in open(sys.argv[1]):
    label, user, system, rss, wall = line.split()
    times[label] = (float(user) + float(system), int(rss), float(wall))
pages, single, jobs = int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
pdf, wh, archived, records = int(sys.argv[6] or 0), int(sys.argv[7] or 0), int(sys.argv[8]), int(sys.argv[9])
peer = [l.split() for l in open(sys.argv[2]) if l.strip()]
print(f"pages: {pages} ({single} single-page files, the rest in multi-page TIFFs); "
      f"records archived {archived} of {records}")
print()
print(f"{'kho stage (-j 1)':<20} {'CPU ms/page':>12} {'peak RSS MB':>12}")
total = 0
for st in ("ingest", "normalize", "compress", "describe", "pack"):
    cpu, rss, _ = times[st]
    total += cpu
    print(f"{st:<20} {cpu * 1000 / pages:12.1f} {rss / 1024:12.1f}")
print(f"{'whole pipeline':<20} {total * 1000 / pages:12.1f}")
print()
w1 = times["run-j1"][2]
wn = times[f"run-j{jobs}"][2]
print(f"kho run -j 1:  {pages / w1:6.2f} pages/s ({w1:.1f} s)")
print(f"kho run -j {jobs}:  {pages / wn:6.2f} pages/s ({wn:.1f} s), "
      f"{w1 / wn:.2f} x -j 1")
print(f"bytes per page: result.pdf {pdf / pages / 1024:.0f} KB; the warehouse "
      f"(bags with the originals) {wh / pages / 1024:.0f} KB")
print()
def mean(col):
    v = [int(p[col]) for p in peer]
    return sum(v) / len(v) if v else 0
# kho over the single-page files alone: the peers' pages
kho_ms = sum(times["single-" + st][0] for st in
             ("ingest", "normalize", "compress", "describe", "pack")) * 1000 / single
print(f"kho on the {single} single-page files alone: {kho_ms:.1f} CPU ms per page, "
      f"the whole pipeline")
if not peer:
    sys.exit(0)
print()
print(f"on the {len(peer)} single-page files, ms per page (kho: the whole "
      f"pipeline's CPU per page on them, {kho_ms:.0f}):")
print(f"{'peer':<22} {'ms/page':>9} {'peer / kho':>11}")
for name, col in (("floor (decode+encode)", 1), ("Leptonica (lept_ref)", 2),
                  ("ImageMagick", 3), ("unpaper", 4)):
    m = mean(col)
    print(f"{name:<22} {m:9.0f} {m / kho_ms:11.2f}")
print(f"kho / floor: {kho_ms / mean(1):.2f}")

def cpu_ms(path):
    parts = open(path).read().split()
    return (float(parts[-2]) + float(parts[-1])) * 1000 if len(parts) >= 2 else 0
floor1, lept1 = cpu_ms(sys.argv[10]), cpu_ms(sys.argv[12])
if floor1 and lept1:
    n = len(peer)
    decode = [float(l.split("\t")[1].split()[1]) for l in open(sys.argv[11])
              if "\tdecode " in l]
    print()
    print(f"in one process each, CPU ms per page on the same {n} files:")
    print(f"{'floor (decode+encode)':<22} {floor1 / n:9.0f} {floor1 / n / kho_ms:11.2f}"
          f"   (its decode alone {sum(decode) / max(1, len(decode)):.0f} ms wall)")
    print(f"{'Leptonica (lept_ref)':<22} {lept1 / n:9.0f} {lept1 / n / kho_ms:11.2f}")
    dec = sum(decode) / max(1, len(decode))
    print(f"kho / floor: {kho_ms * n / floor1:.2f}; Leptonica / floor: "
          f"{lept1 / floor1:.2f}; Leptonica / the decode alone: "
          f"{lept1 / n / dec:.2f} (no program that decodes each page whole "
          f"can be more times faster than the Leptonica program)")
PY
