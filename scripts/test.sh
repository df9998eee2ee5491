#!/usr/bin/env bash
# Installs what is missing, builds kho twice (Release, and Sanitize with
# AddressSanitizer and UndefinedBehaviorSanitizer) with warnings as errors,
# and runs every test under ctest in both builds.
#   scripts/test.sh            everything
#   scripts/test.sh -L unit    only the tests with a ctest label
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

status=0
for dir in build build-san; do
	echo "== tests: $dir"
	ctest --test-dir "$dir" --output-on-failure -j"$jobs" "$@" || status=1
done
exit $status
