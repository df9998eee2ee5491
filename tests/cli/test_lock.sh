#!/usr/bin/env bash
# One kho run at a time on a root; a catalog that is not kho's, or is
# damaged, is refused with exit 3 and left as it is; a read-only root says so.
. "$(dirname "$0")/lib.sh"

gen sample --seed 9 --records 3 --quick --no-damaged
first=$(cut -d, -f1 sample/truth.csv | sed -n 2p)
"$KHO" init root >/dev/null

# A run held up on a page keeps the lock; a second run is refused.
KHO_FAULT="ingest:$first:hang:1" "$KHO" run --root root --inbox sample/inbox \
	--page-timeout 60 -j 1 >run1.out 2>&1 &
pid=$!
for _ in $(seq 1 100); do
	[ -s root/kho.lock ] && break
	sleep 0.1
done
expect_exit 3 run --root root
expect_in err "is locked by a running kho"
expect_in err "pid $pid"
expect_exit 3 ingest --root root
# Reading is fine meanwhile.
expect_exit 0 status --root root
kill -TERM $pid
# The first ^C (TERM) lets running records finish; the hang would not, so a
# second signal stops the worker at once and its record goes back.
sleep 0.5
kill -INT $pid
wait $pid || true
expect_in run1.out "stopped on request"
[ "$(sql root "SELECT count(*) FROM jobs WHERE state='running';")" = 0 ] ||
	fail "a job was left running after the run stopped"
expect_exit 0 run --root root
[ "$(sql root "SELECT count(*) FROM jobs WHERE stage='pack' AND state='done';")" = 3 ] ||
	fail "the next run did not finish the batch"

# Not a kho catalog: refused and untouched.
"$KHO" init other >/dev/null
rm other/catalog.db*
sqlite3 other/catalog.db "CREATE TABLE t(x); INSERT INTO t VALUES (1);"
sum=$(sha256sum other/catalog.db)
expect_exit 3 run --root other
expect_in err "is not a kho catalog"
[ "$sum" = "$(sha256sum other/catalog.db)" ] || fail "a foreign catalog was changed"
expect_exit 3 status --root other

# Damaged: refused and untouched.
head -c 8192 /dev/urandom >other/catalog.db
sum=$(sha256sum other/catalog.db)
expect_exit 3 run --root other
[ "$sum" = "$(sha256sum other/catalog.db)" ] || fail "a damaged catalog was changed"

# A damaged page inside a real catalog: quick_check refuses the run.
"$KHO" init hurt >/dev/null
"$KHO" run --root hurt --inbox sample/inbox >/dev/null 2>&1
sqlite3 hurt/catalog.db "PRAGMA wal_checkpoint(TRUNCATE);" >/dev/null
# the b-tree pages after the schema's: page headers become nonsense
head -c 4000 /dev/urandom | dd of=hurt/catalog.db bs=1 seek=$((4096 * 3)) \
	conv=notrunc status=none
expect_exit 3 run --root hurt
expect_in err "catalog"

# A catalog whose check takes long (a large one) is checked once in 20
# hours, and always after a command that did not end.
checks() { sql daily "SELECT count(*) FROM checks;"; }
"$KHO" init daily >/dev/null
"$KHO" run --root daily --inbox sample/inbox >/dev/null 2>&1
[ "$(checks)" = 1 ] || fail "the first run made $(checks) checks"
expect_exit 0 run --root daily
[ "$(checks)" = 2 ] || fail "a catalog quick to check was not checked again"
sqlite3 daily/catalog.db "UPDATE checks SET ms = 60000;"
expect_exit 0 run --root daily
expect_exit 0 compress --root daily
[ "$(checks)" = 2 ] || fail "a costly check was made again within the day"
# A run that started and never ended (killed): the next command checks.
sqlite3 daily/catalog.db "INSERT INTO runs (command, pid, started_at)
	VALUES ('kho run', 1, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));"
expect_exit 0 run --root daily
[ "$(checks)" = 3 ] || fail "no check after a run that did not end"
# A day later: checked; and damage found then stops the run.
sqlite3 daily/catalog.db "UPDATE checks SET ms = 60000,
	at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-21 hours');
	PRAGMA wal_checkpoint(TRUNCATE);" >/dev/null
head -c 4000 /dev/urandom | dd of=daily/catalog.db bs=1 seek=$((4096 * 3)) \
	conv=notrunc status=none
expect_exit 3 run --root daily
expect_in err "catalog"

# Read-only root (as root the kernel lets us write anyway: then skip).
"$KHO" init ro >/dev/null
chmod -R a-w ro
if touch ro/probe 2>/dev/null; then
	rm -f ro/probe
	chmod -R u+w ro
	# As root: a read-only bind mount, where mounting is allowed.
	mkdir romnt
	if mount --bind ro romnt 2>/dev/null &&
	   mount -o remount,bind,ro romnt 2>/dev/null; then
		expect_exit 3 run --root romnt
		expect_in err "read-only"
		expect_exit 0 status --root romnt
		umount romnt
	else
		umount romnt 2>/dev/null || true
		echo "note: running as root where mounts are refused, the read-only case is not checked"
	fi
else
	expect_exit 3 run --root ro
	expect_in err "read-only"
	chmod -R u+w ro
fi
echo ok
