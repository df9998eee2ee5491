#!/usr/bin/env bash
# The main job on sample data: installs what is missing, builds kho, makes
# a sample inbox of simulated scans (and a few damaged files) with its
# register, runs the whole pipeline from the inbox to the warehouse, and
# prints the status and the coverage report.  Everything goes to out/demo/
# (made anew each time).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc 2>/dev/null || echo 2)" >/dev/null

demo=out/demo
rm -rf "$demo"
mkdir -p "$demo"
echo "== a sample inbox: simulated scans of administrative results"
build/kho-genscans --out "$demo/sample" --seed 2026 --records 24
echo
echo "== kho init"
build/kho init "$demo/root"
echo
echo "== kho register import: the register of issued results"
build/kho register import --root "$demo/root" "$demo/sample/register.csv"
echo
echo "== kho run (the damaged files fail their records; the batch goes on)"
set +e
build/kho run --root "$demo/root" --inbox "$demo/sample/inbox" \
	--inbox "$demo/sample/damaged"
rc=$?
set -e
if [ $rc -gt 1 ]; then
	echo "demo: kho run could not work (exit $rc)" >&2
	exit $rc
fi
echo
echo "== kho status"
build/kho status --root "$demo/root"
echo
echo "== an independent BagIt check of the warehouse"
python3 tests/tools/bagit_validate.py "$demo"/root/warehouse/*.tar | tail -1
echo
# sed, not head: head would close the pipe early, and under pipefail the
# writer's SIGPIPE would end the demo here.
first=$(ls "$demo/sample/inbox" | grep -v manifest | sed -n 1p)
first=${first%%.*}
echo "== one record: build/kho show --root $demo/root $first"
build/kho show --root "$demo/root" "$first" | sed -n 1,20p
echo "..."
echo
echo "== kho report: coverage of the register against the targets"
build/kho report --root "$demo/root"
build/kho report --root "$demo/root" --format html -o "$demo/coverage.html" >/dev/null
echo
echo "The coverage page: $demo/coverage.html.  Try also:"
echo "  build/kho status --root $demo/root --json"
echo "  build/kho report --root $demo/root --morning"
