# Shared by the benchmarks in scripts/bench/: sourced, never run.
#
# Sets src (the project) and build (KHO_BUILD_DIR, else build/).

src=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=${KHO_BUILD_DIR:-$src/build}

# bench_need HINT TOOL...: every TOOL is there, or the benchmark stops
# naming the first one missing and HINT (how to install it).
bench_need() {
	local hint=$1 tool
	shift
	for tool; do
		command -v "$tool" >/dev/null || {
			echo "$(basename "$0"): '$tool' is missing ($hint)" >&2
			exit 1
		}
	done
}

# bench_build: $build brought up to date with the working tree (configured
# Release where it is new), so that the figures are those of the sources
# as they are; then build is absolute (some peers run from other folders)
# and KHO names kho.
bench_build() {
	if [ ! -f "$build/CMakeCache.txt" ]; then
		cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
	fi
	cmake --build "$build" -j"$(nproc)" >/dev/null
	build=$(cd "$build" && pwd)
	KHO=$build/kho
}

# bench_peers: the peer programs (scripts/peers/build.sh) in peers
# (KHO_PEERS_DIR, else $build/peers), built when one is missing or older
# than its source.
bench_peers() {
	peers=${KHO_PEERS_DIR:-$build/peers}
	local p
	for p in lept_ref floor_ref; do
		if [ ! -x "$peers/$p" ] ||
			[ "$src/scripts/peers/$p.c" -nt "$peers/$p" ]; then
			KHO_PEERS_DIR=$peers "$src/scripts/peers/build.sh" >/dev/null
			return
		fi
	done
}

# bench_workdir KEEP NAME: W is the folder KEEP, emptied, when one is
# given (to look at afterwards), else a new one under $TMPDIR, removed on
# exit.
bench_workdir() {
	if [ -n "$1" ]; then
		W=$1
		rm -rf "$W"
		mkdir -p "$W"
	else
		W=$(mktemp -d "${TMPDIR:-/tmp}/kho-bench-$2-XXXXXX")
		trap 'rm -rf "$W"' EXIT
	fi
}

# bench_a4_pages TRUTH N_TEXT N_COLOUR: from a kho-genscans truth.csv,
# the first N_TEXT grey and N_COLOUR colour pages that are A4 at 300 dpi,
# upright, not blank and first in their file, a line each: "text" or
# "colour", the file (inbox-relative) and its true skew, tab apart.
bench_a4_pages() {
	python3 - "$1" "$2" "$3" <<'EOF'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
want = {"text": int(sys.argv[2]), "colour": int(sys.argv[3])}
got = {"text": 0, "colour": 0}
for r in rows:
    w, h = int(r["width"]), int(r["height"])
    if not (2300 <= w <= 2900 and 3300 <= h <= 4000):
        continue
    if r["rotation"] != "0" or r["blank"] != "0" or r["file_page"] != "1":
        continue
    kind = "colour" if r["mode"] == "colour" else "text" if r["mode"] == "grey" else None
    if kind and got[kind] < want[kind]:
        got[kind] += 1
        print(f"{kind}\t{r['file']}\t{r['skew_deg']}")
EOF
}
