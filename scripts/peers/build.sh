#!/usr/bin/env bash
# Builds the peer programs of the benchmarks into build/peers/ (or
# $KHO_PEERS_DIR): lept_ref (Leptonica: skew, deskew, Sauvola, G4) and
# floor_ref (decode and encode with kho's own libraries and nothing else).
#   scripts/peers/build.sh
# Needs gcc, pkg-config and libleptonica-dev, libturbojpeg0-dev,
# libtiff-dev, libpng-dev (Debian 12).
set -euo pipefail
src=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$src/../.." && pwd)
out=${KHO_PEERS_DIR:-$root/build/peers}
mkdir -p "$out"
cflags=(-std=c17 -O2 -D_GNU_SOURCE -Wall -Wextra)

for pc in lept libturbojpeg libtiff-4 libpng; do
	pkg-config --exists "$pc" || {
		echo "scripts/peers/build.sh: pkg-config finds no '$pc'" \
			"(apt-get install libleptonica-dev libturbojpeg0-dev libtiff-dev libpng-dev)" >&2
		exit 1
	}
done

# shellcheck disable=SC2046 # pkg-config output is meant to split
gcc "${cflags[@]}" -o "$out/lept_ref" "$src/lept_ref.c" \
	$(pkg-config --cflags --libs lept) -lm
if [ -f "$src/floor_ref.c" ]; then
	# shellcheck disable=SC2046
	gcc "${cflags[@]}" -o "$out/floor_ref" "$src/floor_ref.c" \
		$(pkg-config --cflags --libs libturbojpeg libtiff-4 libpng) -lm
fi
echo "$out"
