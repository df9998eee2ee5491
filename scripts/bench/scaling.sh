#!/usr/bin/env bash
# How `kho run -j N` scales with cores (issue 8): one seeded batch of
# generated scans (kho-genscans, its default mix of 200, 300 and 600 dpi
# pages, single- and multi-page records), worked from inbox to warehouse
# by `kho run` once for every N, each time into a fresh work root.
#
#   scripts/bench/scaling.sh [--records N] [--seed N] [--jobs "1 2 4 8"]
#                            [--volume-size SIZE] [--keep DIR]
#
# The batch is a slice of a night: a night's results fill many volumes
# (4G each by default), which pack writes side by side, one per worker.
# So that the slice does the same, its volumes are --volume-size (128M by
# default: about 20 for 240 records); "4G" packs it into one volume, one
# worker writing it while the others wait.
#
# Prints, for every N: the wall time, pages per second, the speed-up
# over -j 1 and its share of N (the efficiency), and the CPU seconds the
# run spent per page (user + system, children included).  Every run must
# archive every record, else the script fails.  Needs no peers and no
# python: only bash, awk and the two programs, so that it also runs on a
# bare borrowed machine (KHO and KHO_GENSCANS name the programs,
# KHO_FONT_DIR the DejaVu fonts, where they are not in their usual place).
set -euo pipefail

records=96 seed=16 jobs="" keep="" volume_size=128M
while [ $# -gt 0 ]; do
	case $1 in
	--records) records=$2; shift 2 ;;
	--seed) seed=$2; shift 2 ;;
	--jobs) jobs=$2; shift 2 ;;
	--keep) keep=$2; shift 2 ;;
	--volume-size) volume_size=$2; shift 2 ;;
	*) echo "usage: $0 [--records N] [--seed N] [--jobs \"1 2 4 8\"] [--volume-size SIZE] [--keep DIR]" >&2
	   exit 2 ;;
	esac
done
cores=$(nproc 2>/dev/null || echo 2)
if [ -z "$jobs" ]; then
	jobs="1"
	for n in 2 4 8 12 16 24 32 48 64; do
		[ "$n" -le "$cores" ] && jobs="$jobs $n"
	done
fi

src=$(cd "$(dirname "$0")/../.." && pwd)
build=${KHO_BUILD_DIR:-$src/build}
KHO=${KHO:-$build/kho}
GEN=${KHO_GENSCANS:-$build/kho-genscans}
# KHO and KHO_GENSCANS may be command lines ("ld.so --library-path L kho").
read -r -a kho <<<"$KHO"
read -r -a gen <<<"$GEN"
if [ ! -x "${kho[0]}" ] || [ ! -x "${gen[0]}" ]; then
	cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
	cmake --build "$build" -j"$cores" >/dev/null
fi
font_args=()
[ -n "${KHO_FONT_DIR:-}" ] && font_args=(--font-dir "$KHO_FONT_DIR")

W=${keep:-$(mktemp -d "${TMPDIR:-/tmp}/kho-bench-scaling-XXXXXX")}
[ -n "$keep" ] || trap 'rm -rf "$W"' EXIT
rm -rf "$W/gen" "$W/root"
mkdir -p "$W"

model=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || true)
echo "machine: $cores CPUs${model:+ ($model)}"
echo "making $records records (seed $seed)..." >&2
"${gen[@]}" --out "$W/gen" --seed "$seed" --records "$records" \
	--no-damaged --manifest no --jobs "$cores" "${font_args[@]}" >/dev/null
pages=$(($(wc -l <"$W/gen/truth.csv") - 1))
mb=$(du -sm "$W/gen/inbox" | cut -f1)
echo "batch: $records records, $pages pages, $mb MB of scans; volumes of $volume_size"
echo
# "stages s": ingest to describe, in the workers, from
# the pages and the rate kho prints for them; "rest s": the remainder of
# the wall time (the inbox scan, pack, starting and ending).
printf '%5s %9s %9s %9s %11s %14s %9s %9s\n' "-j" "wall s" "pages/s" \
	"speed-up" "efficiency" "CPU ms/page" "stages s" "rest s"

base=""
TIMEFORMAT='%R %U %S'
for n in $jobs; do
	rm -rf "$W/root"
	"${kho[@]}" init "$W/root" >/dev/null
	echo "kho run -j $n..." >&2
	rc=0
	{ time "${kho[@]}" run --root "$W/root" -j "$n" --nice 0 \
		--volume_size "$volume_size" \
		--inbox "$W/gen/inbox" >"$W/run-j$n.out" 2>"$W/run-j$n.err"; } \
		2>"$W/time-j$n" || rc=$?
	if [ $rc -gt 1 ]; then
		echo "kho run -j $n exited $rc:" >&2
		tail -20 "$W/run-j$n.err" >&2
		exit 1
	fi
	archived=$("${kho[@]}" status --root "$W/root" 2>/dev/null |
		awk '/^records:/ { for (i = 1; i <= NF; i++)
			if ($(i + 1) ~ /^archived/) { print $i + 0; exit } }')
	if [ "${archived:-0}" -ne "$records" ]; then
		echo "kho run -j $n archived ${archived:-0} of $records records" >&2
		tail -20 "$W/run-j$n.err" >&2
		exit 1
	fi
	read -r wall user sys <"$W/time-j$n"
	[ -n "$base" ] || base=$wall
	rate=$(sed -n 's/^ *compress .* pages, \([0-9.]*\) pages\/s.*/\1/p' \
		"$W/run-j$n.out")
	awk -v n="$n" -v w="$wall" -v u="$user" -v s="$sys" -v p="$pages" \
		-v b="$base" -v r="${rate:-0}" 'BEGIN {
		st = r > 0 ? p / r : 0
		printf "%5d %9.1f %9.2f %9.2f %10.0f%% %14.0f %9.1f %9.1f\n",
			n, w, p / w, b / w, 100 * b / w / n, (u + s) * 1000 / p,
			st, w - st }'
done
