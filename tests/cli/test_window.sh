#!/usr/bin/env bash
# The night window: kho run --until / --for takes a record only when it
# would still get through in time, exits 0 with what is left, and the next
# run takes up the rest.
. "$(dirname "$0")/lib.sh"

gen sample --seed 71 --records 6 --quick --no-damaged
"$KHO" init root >/dev/null

expect_exit 2 run --root root --for soon
expect_in err "--for 'soon' is not a duration"
expect_exit 2 run --root root --until 25:00
expect_in err "--until '25:00' is not a time HH:MM"
expect_exit 2 run --root root --until 06:00 --for 6h
expect_in err "give --until or --for, not both"

# A window already over: the inbox is looked at, no record is taken.
expect_exit 0 run --root root --inbox sample/inbox --for 0s
expect_in out "the night window closed: 6 job(s) left for the next kho run (ingest 6)"
[ "$(sql root "SELECT count(*) FROM records;")" = 0 ] || fail "a record was taken after the window"

# A wide window: everything gets through.
expect_exit 0 run --root root --for 1h30m
expect_not_in out "left for the next"
[ "$(sql root "SELECT count(*) FROM jobs WHERE stage='pack' AND state='done';")" = 6 ] ||
	fail "not archived in a wide window"
# The stage programs take the window too.
expect_exit 0 normalize --root root --for 10m
check_bags root
echo ok
