#!/usr/bin/env bash
# Builds kho-genscans (the test-scan generator) if needed and runs it:
#   scripts/genscans.sh --seed 1 --out /tmp/scans --records 30 --quick
# The build goes to $KHO_BUILD_DIR (default: build/). Build output goes to
# stderr, so stdout carries only the generator's one-line summary.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${KHO_BUILD_DIR:-$root/build}"

if [ ! -f "$build/CMakeCache.txt" ]; then
	cmake -S "$root" -B "$build" >&2
fi
if ! cmake --build "$build" --target kho-genscans >&2; then
	echo "genscans.sh: cannot build kho-genscans: it needs FreeType" \
		"(Debian: libfreetype-dev) besides kho's own libraries" >&2
	exit 1
fi
exec "$build/kho-genscans" "$@"
