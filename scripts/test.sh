#!/usr/bin/env bash
# Installs what is missing, builds kho twice (Release, and Sanitize with
# AddressSanitizer and UndefinedBehaviorSanitizer) with warnings as errors,
# and runs every test under ctest in both builds; then builds the libFuzzer
# targets (build-fuzz, clang, ASan + UBSan) and runs each for
# KHO_FUZZ_SECONDS (20) and every file of testdata/fuzz-regressions once.
# The Sanitize build's run leaves the Slurm test out and kills 20 runs in
# the kill soak, not 50 (below).
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

# The Sanitize build looks for memory and undefined-behaviour errors in
# kho's own code, which runs about three times slower under it.  There
# the kill soak kills 20 runs instead of 50 (every recovery path is still
# taken; the Release build kills 50), and the Slurm test is left out: it
# checks the submit scripts against a real Slurm, and the kho code it
# runs (kho run --shard, --roots) is what cli.test_shard runs in both
# builds.  Together they were 430 of the Sanitize run's 1,220 test-seconds.
status=0
for dir in build build-san build-fuzz; do
	echo "== tests: $dir"
	extra=()
	soak=${KHO_SOAK_KILLS:-50}
	if [ "$dir" = build-san ]; then
		extra=(-LE slurm)
		soak=${KHO_SOAK_KILLS:-20}
	fi
	KHO_SOAK_KILLS=$soak ctest --test-dir "$dir" --output-on-failure \
		-j"$jobs" "${extra[@]}" "$@" || status=1
done

# The README's first command, on the Release build just made: it runs to
# its end (the coverage report and its HTML page).
if [ $# -eq 0 ]; then
	echo "== scripts/demo.sh"
	mkdir -p out
	if scripts/demo.sh >out/demo.log 2>&1 &&
		grep -q "coverage of the register" out/demo.log &&
		[ -s out/demo/coverage.html ]; then
		echo "demo: ok (out/demo.log)"
	else
		tail -20 out/demo.log
		echo "demo: failed (out/demo.log)"
		status=1
	fi
fi
exit $status
