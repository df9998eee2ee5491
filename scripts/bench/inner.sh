#!/usr/bin/env bash
# The inner benchmark: normalize's and compress's steps timed inside one
# process (scripts/bench/inner_time.c) on the compress benchmark's pages
# (generated A4 300 dpi JPEG, text pages rendered bitonal and colour pages
# with a seal rendered mixed), so that a change of a tenth shows on this
# busy machine, where a whole run's time moves by more.  With --against
# REV, the same program built on REV (a git worktree, Release) runs in
# turn with this tree's, round by round, for a before and after.
#
#   scripts/bench/inner.sh [--seed N] [--rounds N] [--runs N] [--against REV]
#
# Prints ms a page for each step (decode at the analysis scale, the
# analysis, the render with its full-size decode, the G4 of the text
# layer), text and colour pages apart: the least of --runs runs, each the
# fastest of --rounds rounds.  Figures for comparing builds; the pipeline
# and compress benchmarks give the whole with the peers beside it.
#
# Needs a kho build (KHO_BUILD_DIR, default build/, brought up to date
# with the working tree), gcc, pkg-config, python3, ImageMagick (convert)
# and git for --against.
set -euo pipefail

seed=7 rounds=5 runs=3 against=""
while [ $# -gt 0 ]; do
	case $1 in
	--seed) seed=$2; shift 2 ;;
	--rounds) rounds=$2; shift 2 ;;
	--runs) runs=$2; shift 2 ;;
	--against) against=$2; shift 2 ;;
	*) echo "usage: $0 [--seed N] [--rounds N] [--runs N] [--against REV]" >&2
	   exit 2 ;;
	esac
done

# shellcheck source=lib.sh disable=SC2154 # lib.sh sets src and build
. "$(dirname "$0")/lib.sh"
bench_need "apt-get install imagemagick gcc pkg-config python3" /usr/bin/convert gcc pkg-config python3
bench_build
bench_workdir "" inner

# inner_prog SRC BUILD OUT: inner_time.c of this tree built on SRC's
# headers and BUILD's libkho.a.
inner_prog() {
	# shellcheck disable=SC2046 # pkg-config output is meant to split
	gcc -std=c17 -O2 -D_GNU_SOURCE -DKHO_INTERNAL -I"$1/include" \
		-I"$1/pipeline" -I"$2" "$src/scripts/bench/inner_time.c" \
		"$2/libkho.a" $(pkg-config --libs libtiff-4 libturbojpeg libpng \
		zlib libarchive sqlite3 libcrypto libqrencode lcms2 jansson) -lm \
		-o "$3"
}
inner_prog "$src" "$build" "$W/inner_now"
progs=("$W/inner_now")
names=("this tree")
if [ -n "$against" ]; then
	rev=$(git -C "$src" rev-parse --short "$against")
	git -C "$src" worktree add --detach "$W/rev" "$rev" >/dev/null 2>&1
	trap 'git -C "$src" worktree remove --force "$W/rev" >/dev/null 2>&1 || :; rm -rf "$W"' EXIT
	echo "building $rev..." >&2
	cmake -S "$W/rev" -B "$W/rev/build" -DCMAKE_BUILD_TYPE=Release >/dev/null
	cmake --build "$W/rev/build" -j"$(nproc)" --target kho_lib >/dev/null
	inner_prog "$W/rev" "$W/rev/build" "$W/inner_rev"
	progs+=("$W/inner_rev")
	names+=("$rev")
fi

# The pages: as the compress benchmark picks them (A4 at 300 dpi,
# upright, not blank, first pages), every one a 300 dpi JPEG.
"$build/kho-genscans" --out "$W/gen" --seed "$seed" --records 16 \
	--dpi-mix 300 --no-damaged --manifest no >/dev/null
text=() colour=()
while IFS=$'\t' read -r kind file _; do
	out=$W/page-$((${#text[@]} + ${#colour[@]})).jpg
	case $file in
	*.jpg) cp "$W/gen/inbox/$file" "$out" ;;
	*) /usr/bin/convert "$W/gen/inbox/${file}[0]" -quality 90 -density 300 \
		-units PixelsPerInch "$out" ;;
	esac
	if [ "$kind" = text ]; then text+=("$out:bitonal"); else colour+=("$out:mixed"); fi
done < <(bench_a4_pages "$W/gen/truth.csv" 6 4)
if [ ${#text[@]} -eq 0 ] || [ ${#colour[@]} -eq 0 ]; then
	echo "inner.sh: no A4 text or colour page generated" >&2
	exit 1
fi

# Runs in turn (this tree, REV, this tree ...); each step's least.
for ((r = 0; r < runs; r++)); do
	for p in "${!progs[@]}"; do
		"${progs[$p]}" --rounds "$rounds" "${text[@]}" | sed "s/^/$p text /"
		"${progs[$p]}" --rounds "$rounds" "${colour[@]}" | sed "s/^/$p colour /"
	done
done >"$W/all.txt"

echo
echo "inner benchmark: seed $seed; ${#text[@]} text pages (bitonal), ${#colour[@]} colour pages (mixed); ms a page, the least of $runs runs of $rounds rounds"
awk -v names="$(IFS='|'; echo "${names[*]}")" '
	BEGIN { np = split(names, name, "|") }
	{ key = $2 " " $3; v = $4 + 0
	  if (!(key in seen)) { seen[key] = 1; order[++n] = key }
	  k = key SUBSEP $1
	  if (!(k in best) || v < best[k]) best[k] = v }
	END {
		printf "%-24s", "step"
		for (p = 1; p <= np; p++) printf " %12s", name[p]
		if (np == 2) printf " %10s", "ratio"
		printf "\n"
		for (i = 1; i <= n; i++) {
			printf "%-24s", order[i]
			for (p = 1; p <= np; p++) printf " %12.2f", best[order[i] SUBSEP (p - 1)]
			if (np == 2) printf " %10.3f", best[order[i] SUBSEP 0] / best[order[i] SUBSEP 1]
			printf "\n"
		}
	}' "$W/all.txt"
