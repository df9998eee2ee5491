#!/usr/bin/env bash
# Installs the Debian 12 packages kho needs that are missing.
#   scripts/deps.sh          what building and running kho needs
#   scripts/deps.sh --test   also what the tests use to check outputs
#   scripts/deps.sh --bench  also the peers the benchmarks run (Leptonica,
#                            ImageMagick, tesseract) and GNU time
set -euo pipefail

build=(build-essential cmake pkg-config
       libtiff-dev libturbojpeg0-dev zlib1g-dev libarchive-dev
       libsqlite3-dev libssl-dev libpng-dev libqrencode-dev liblcms2-dev
       libjansson-dev
       # the test-scan generator draws text with FreeType and DejaVu
       libfreetype-dev fonts-dejavu-core)
tests=(libcmocka-dev python3 sqlite3 poppler-utils qpdf zbar-tools
       libtiff-tools
       # the coverage report's HTML page is opened and screenshot
       chromium
       # tests/slurm/ starts a single-node Slurm of its own, on localhost
       slurmctld slurmd slurm-client munge)
bench=(libleptonica-dev imagemagick unpaper tesseract-ocr tesseract-ocr-vie time valgrind
       python3 poppler-utils python3-pil python3-numpy fonts-liberation2
       # ImageMagick's Helvetica (blankpages.sh draws its digits with it)
       gsfonts)

want=("${build[@]}")
case "${1:-}" in
--test) want+=("${tests[@]}") ;;
--bench) want+=("${bench[@]}") ;;
esac

missing=()
for p in "${want[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "installing: ${missing[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then
	command -v sudo >/dev/null || {
		echo "scripts/deps.sh: need root or sudo to install: ${missing[*]}" >&2
		exit 1
	}
	sudo=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
