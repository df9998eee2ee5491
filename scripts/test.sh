#!/usr/bin/env bash
# Installs what is missing, builds kho twice (Release, and Sanitize with
# AddressSanitizer and UndefinedBehaviorSanitizer) with warnings as errors,
# and runs every test under ctest in both builds; then builds the libFuzzer
# targets (build-fuzz, clang, ASan + UBSan) and runs each for
# KHO_FUZZ_SECONDS (20) and every file of testdata/fuzz-regressions once.
#   scripts/test.sh            everything
#   scripts/test.sh -L unit    only the tests with a ctest label (fuzz: the
#                              fuzz targets only)
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/deps.sh --test

jobs=$(nproc 2>/dev/null || echo 2)
for type in Release Sanitize; do
	dir=build
	[ "$type" = Sanitize ] && dir=build-san
	cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE="$type" -DKHO_WERROR=ON >/dev/null
	cmake --build "$dir" -j"$jobs"
done

if [ ! -d ../shared/realdata ]; then
	echo "note: ../shared/realdata is absent: the realdata tests skip"
fi

KHO_FUZZ_SECONDS=${KHO_FUZZ_SECONDS:-20} scripts/fuzz.sh --build >/dev/null

status=0
for dir in build build-san build-fuzz; do
	echo "== tests: $dir"
	ctest --test-dir "$dir" --output-on-failure -j"$jobs" "$@" || status=1
done
exit $status
