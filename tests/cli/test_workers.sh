#!/usr/bin/env bash
# A worker that crashes, aborts or hangs fails only its own record, with a
# message that says what it was doing; the stage goes on; kho retry puts
# the record back and the next run archives it.
. "$(dirname "$0")/lib.sh"
# Under AddressSanitizer a SIGSEGV would be reported and turned into exit
# status 1; the test wants the signal itself.
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}handle_segv=0

gen sample --seed 5 --records 6 --quick --no-damaged
ids=($(cut -d, -f1 sample/truth.csv | tail -n +2 | sort -u))
multi=$(cut -d, -f1 sample/truth.csv | tail -n +2 | sort | uniq -d | head -1)
[ -n "$multi" ] || fail "the generated set has no multi-page record"
"$KHO" init root >/dev/null

# The other records must all be archived: a per-page limit that a loaded
# machine (the test suite at -j 2 beside it) can pass would fail one more.
KHO_FAULT="compress:$multi:segv:2" expect_exit 1 run --root root \
	--inbox sample/inbox -j 2 --page-timeout 60
expect_in out "compress  $multi"
expect_in out "worker killed by signal 11 (Segmentation fault) while decoding page 2"
n=${#ids[@]}
[ "$(sql root "SELECT count(*) FROM jobs WHERE stage='pack' AND state='done';")" = $((n - 1)) ] ||
	fail "the other records were not all archived"

# Retry puts it back; without the fault it is archived.
expect_exit 0 retry --root root compress --failed
expect_in out "1 compress job(s) queued again"
expect_exit 0 run --root root
[ "$(sql root "SELECT count(*) FROM jobs WHERE stage='pack' AND state='done';")" = "$n" ] ||
	fail "the retried record was not archived"

# A hang is killed after the per-page limit; abort is a crash too.
"$KHO" init root2 >/dev/null
KHO_FAULT="compress:${ids[0]}:hang:1" expect_exit 1 run --root root2 \
	--inbox sample/inbox -j 2 --page-timeout 2
expect_in out "worker killed after exceeding the per-page time limit of 2 s (page_timeout) while decoding page 1"
"$KHO" init root3 >/dev/null
KHO_FAULT="ingest:${ids[1]}:abort:1" expect_exit 1 run --root root3 \
	--inbox sample/inbox -j 1
expect_in out "worker killed by signal 6 (Aborted) while reading page 1"
[ "$(sql root3 "SELECT count(*) FROM jobs WHERE stage='pack' AND state='done';")" = $((n - 1)) ] ||
	fail "with -j 1 the batch did not go on after a crash"
check_integrity root3
expect_exit 0 show --root root3 "${ids[1]}"
expect_in out "worker killed by signal 6"

# A worker killed while it decodes an original leaves no copy of it in
# the store: the copy is an unnamed file until it is committed (where the
# file system has O_TMPFILE; elsewhere the next run removes it).
"$KHO" init root4 >/dev/null
KHO_FAULT="ingest:$multi:segv:2" expect_exit 1 run --root root4 \
	--inbox sample/inbox -j 1
expect_in out "worker killed by signal 11 (Segmentation fault) while decoding page 2"
if python3 -c 'import os, sys; os.close(os.open(sys.argv[1], os.O_TMPFILE | os.O_RDWR, 0o600))' \
	root4/store/tmp 2>/dev/null; then
	[ -z "$(ls -A root4/store/tmp)" ] ||
		fail "a killed ingest worker left in store/tmp: $(ls -A root4/store/tmp)"
else
	echo "note: no O_TMPFILE here; the next run cleans store/tmp"
fi
[ "$(sql root4 "SELECT count(*) FROM jobs WHERE stage='pack' AND state='done';")" = $((n - 1)) ] ||
	fail "the batch did not go on after the ingest worker's crash"

# A crash as the job starts (page 0, before any page) fails that job in
# this run; it is not left running for the next run to take back.
"$KHO" init root5 >/dev/null
KHO_FAULT="describe:${ids[0]}:segv:0" expect_exit 1 run --root root5 \
	--inbox sample/inbox -j 2
expect_in out "worker killed by signal 11 (Segmentation fault)"
[ "$(sql root5 "SELECT j.state FROM jobs j JOIN records r ON r.id=j.record WHERE r.record_id='${ids[0]}' AND j.stage='describe';")" = failed ] ||
	fail "the job whose worker crashed as it started is not failed"
[ "$(sql root5 "SELECT count(*) FROM jobs WHERE state='running';")" = 0 ] ||
	fail "a job was left running"

# --record puts back one record, and the later stages follow.
expect_exit 0 retry --root root normalize --record "${ids[2]}"
expect_in out "1 normalize job(s) queued again"
[ "$(sql root "SELECT count(*) FROM jobs j JOIN records r ON r.id=j.record WHERE r.record_id='${ids[2]}' AND r.current=1 AND j.stage IN ('compress','describe','pack');")" = 0 ] ||
	fail "retry left the later stages' jobs"
expect_exit 0 run --root root
[ "$(sql root "SELECT count(*) FROM archive WHERE record_id='${ids[2]}' AND member LIKE '%result.pdf';")" = 2 ] ||
	fail "the retried record was not archived again as a new version"
check_bags root
expect_exit 2 retry --root root pack --record NO-SUCH
expect_in err "record 'NO-SUCH' has no pack job to retry"
echo ok
