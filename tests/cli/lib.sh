# Shared by the command-line tests: sourced, never run.
#
# Each test runs in its own temporary folder ($T), removed at the end.
# KHO_BIN_DIR is the build folder (ctest sets it).  Expected outputs live
# in tests/cli/expected/; KHO_REGEN=1 rewrites them from this build.
set -euo pipefail

: "${KHO_BIN_DIR:?run through ctest (KHO_BIN_DIR is the build folder)}"
: "${KHO_SOURCE_DIR:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
KHO="$KHO_BIN_DIR/kho"
# In the sanitizer build a report ends the process with 86, which no kho
# exit status uses, so that no test takes it for "some records failed".
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}exitcode=86"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}exitcode=86:print_stacktrace=1"
GEN="$KHO_BIN_DIR/kho-genscans"
T=$(mktemp -d "${TMPDIR:-/tmp}/kho-cli-XXXXXX")
trap 'chmod -R u+w "$T" 2>/dev/null; rm -rf "$T"' EXIT
cd "$T"

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

skip() {
	echo "skipped: $*"
	exit 0
}

# kho with its exit status in $rc, output in $T/out and $T/err.
run_kho() {
	set +e
	"$KHO" "$@" >"$T/out" 2>"$T/err"
	rc=$?
	set -e
}

# expect_exit N ARGS...: kho ARGS must exit with N.
expect_exit() {
	local want=$1
	shift
	run_kho "$@"
	if [ "$rc" != "$want" ]; then
		echo "--- stdout"; cat "$T/out"; echo "--- stderr"; cat "$T/err"
		fail "kho $* exited $rc, expected $want"
	fi
}

# expect_in FILE TEXT: TEXT (a fixed string) must be in FILE.
expect_in() {
	grep -qF -- "$2" "$1" || {
		echo "--- $1"; cat "$1"
		fail "'$2' not in $1"
	}
}

expect_not_in() {
	if grep -qF -- "$2" "$1"; then
		echo "--- $1"; cat "$1"
		fail "'$2' unexpectedly in $1"
	fi
}

# sql ROOT QUERY: one value from a catalog.
sql() {
	sqlite3 "$1/catalog.db" "$2"
}

# Output with what changes from run to run replaced: times, durations,
# rates, the temporary folder.
normalize() {
	sed -E -e "s#$T#<T>#g" \
		-e 's/[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z/<TIME>/g' \
		-e 's/after [0-9.]+ s/after <S> s/g' \
		-e 's/[0-9.]+ pages\/s/<R> pages\/s/g' \
		-e 's/[0-9.]+ MB/<N> MB/g'
}

# compare NAME FILE: FILE (normalized) must equal expected/NAME.out.
compare() {
	local want="$KHO_SOURCE_DIR/tests/cli/expected/$1.out"
	normalize <"$2" >"$T/$1.got"
	if [ "${KHO_REGEN:-0}" = 1 ]; then
		cp "$T/$1.got" "$want"
		echo "regenerated $want"
		return
	fi
	diff -u "$want" "$T/$1.got" || fail "output of $1 differs (KHO_REGEN=1 rewrites it)"
}

# gen DIR ARGS...: a generated inbox (deterministic from its seed).
gen() {
	[ -x "$GEN" ] || skip "kho-genscans was not built (FreeType missing?)"
	"$GEN" --out "$@" >/dev/null
}

# The catalog must pass SQLite's own check.
check_integrity() {
	local ok
	ok=$(sql "$1" "PRAGMA integrity_check;")
	[ "$ok" = ok ] || fail "integrity_check of $1: $ok"
}

# Every volume in the warehouse must be valid BagIt bags.
check_bags() {
	local vols=("$1"/warehouse/*.tar)
	[ -e "${vols[0]}" ] || fail "no volume in $1/warehouse"
	python3 "$KHO_SOURCE_DIR/tests/tools/bagit_validate.py" "${vols[@]}" >"$T/bagit.out" ||
		{ cat "$T/bagit.out"; fail "BagIt validation"; }
}
