#!/usr/bin/env bash
# Runs kho's libFuzzer targets (tests/fuzz) for a while under ASan and UBSan.
#   scripts/fuzz.sh                  every target, 600 s each
#   scripts/fuzz.sh 3600 tiff png    those targets, an hour each
#   FUZZ_JOBS=2 scripts/fuzz.sh ...  two targets at a time
#   scripts/fuzz.sh --build          only install and build (scripts/test.sh)
#
# Installs clang and libclang-rt-14-dev when missing, builds build-fuzz/
# (KHO_FUZZ=ON), and runs each target on its seed corpus
# (tests/fuzz/corpus/<target>) plus what earlier runs found
# (build-fuzz/fuzz-corpus/<target>), going on after a crash, a hang over
# 5 s or a memory blow-up.  Every input that failed is copied into
# testdata/fuzz-regressions/<target>/, which ctest replays (label fuzz):
# fix the bug, keep the file, commit both.  Exit status 1 when a target
# failed.
set -euo pipefail
cd "$(dirname "$0")/.."

build_only=0
if [ "${1:-}" = --build ]; then
	build_only=1
	shift
fi
seconds=${1:-600}
[ $# -gt 0 ] && shift
all=(tiff jpeg png manifest register_csv conf plan)
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=("${all[@]}")
for t in "${targets[@]}"; do
	[ -f "tests/fuzz/fuzz_$t.c" ] || {
		echo "scripts/fuzz.sh: no target '$t' (${all[*]})" >&2
		exit 2
	}
done
case $seconds in
'' | *[!0-9]*)
	echo "usage: scripts/fuzz.sh [SECONDS] [TARGET...]" >&2
	exit 2
	;;
esac

scripts/deps.sh
missing=()
for p in clang libclang-rt-14-dev; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "installing: ${missing[*]}"
	sudo=""
	[ "$(id -u)" -ne 0 ] && sudo=sudo
	export DEBIAN_FRONTEND=noninteractive
	$sudo apt-get update -qq
	$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

CC=clang cmake -S . -B build-fuzz -DKHO_FUZZ=ON -DKHO_BUILD_TESTS=OFF \
	-DCMAKE_BUILD_TYPE=Debug ${KHO_FUZZ_SECONDS:+-DKHO_FUZZ_SECONDS=$KHO_FUZZ_SECONDS} >/dev/null
cmake --build build-fuzz -j"$(nproc 2>/dev/null || echo 2)" --target fuzzers
if [ "$build_only" = 1 ]; then exit 0; fi

run_one() {
	local t=$1
	# Fork mode starts the program again for every job: run a copy, so
	# that a rebuild meanwhile (another fuzz.sh, scripts/test.sh) does not
	# pull the file from under it.
	local bin=$bindir/fuzz_$t
	cp "build-fuzz/tests/fuzz/fuzz_$t" "$bin"
	local work=build-fuzz/fuzz-corpus/$t
	local art=build-fuzz/fuzz-artifacts/$t
	local log=build-fuzz/fuzz-logs/$t.log
	local dict=()
	mkdir -p "$work" "$art" "$(dirname "$log")"
	[ -f "tests/fuzz/dict/$t.dict" ] && dict=("-dict=tests/fuzz/dict/$t.dict")
	# Fork mode goes on after a failure and keeps every failing input.
	"$bin" -fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 \
		-max_total_time="$seconds" -timeout=5 -rss_limit_mb=2048 \
		-max_len=65536 "${dict[@]}" -artifact_prefix="$art/" \
		"$work" "tests/fuzz/corpus/$t" >"$log" 2>&1 || true
	local execs
	execs=$(grep -oE '^#[0-9]+' "$log" | tail -1 | tr -d '#')
	echo "$t: ${execs:-0} executions in $seconds s (log: $log)"
}

stamp=$(mktemp)
bindir=$(mktemp -d)
trap 'rm -rf "$stamp" "$bindir"' EXIT
pids=()
for t in "${targets[@]}"; do
	run_one "$t" &
	pids+=($!)
	if [ ${#pids[@]} -ge "${FUZZ_JOBS:-1}" ]; then
		wait "${pids[0]}"
		pids=("${pids[@]:1}")
	fi
done
for p in "${pids[@]}"; do wait "$p"; done

status=0
for t in "${targets[@]}"; do
	for f in build-fuzz/fuzz-artifacts/"$t"/*; do
		[ -f "$f" ] && [ "$f" -nt "$stamp" ] || continue
		dest=testdata/fuzz-regressions/$t
		mkdir -p "$dest"
		if [ ! -e "$dest/$(basename "$f")" ]; then
			cp "$f" "$dest/"
			echo "$t: new failing input: $dest/$(basename "$f")"
		fi
		status=1
	done
done
[ $status -eq 0 ] && echo "no target failed"
exit $status
