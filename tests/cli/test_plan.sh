#!/usr/bin/env bash
# kho plan: an archivist's override is validated, kept across re-runs of
# normalize, recorded as an event, and the record is rendered again.
. "$(dirname "$0")/lib.sh"

gen sample --seed 21 --records 3 --quick --no-damaged
rec=$(cut -d, -f1 sample/truth.csv | sed -n 2p)
"$KHO" init root >/dev/null
expect_exit 0 run --root root --inbox sample/inbox

expect_exit 2 plan --root root "$rec" 1 rotate=45
expect_in err "rotate must be 0, 90, 180 or 270"
expect_exit 2 plan --root root "$rec" 1 tilt=3
expect_in err "unknown plan key 'tilt'"
expect_exit 2 plan --root root "$rec" 99 rotate=90
expect_in err "not 99"
expect_exit 2 plan --root root NO-SUCH 1 rotate=90
expect_in err "no record 'NO-SUCH'"
# Nothing was kept from the refused ones.
[ "$(sql root "SELECT count(*) FROM overrides;")" = 0 ] || fail "a refused override was kept"

w=$(sql root "SELECT pl.crop_w FROM plans pl JOIN pages p ON p.id=pl.page JOIN records r ON r.id=p.record WHERE r.record_id='$rec' AND r.current=1 AND p.page_no=1;")
h=$(sql root "SELECT pl.crop_h FROM plans pl JOIN pages p ON p.id=pl.page JOIN records r ON r.id=p.record WHERE r.record_id='$rec' AND r.current=1 AND p.page_no=1;")
expect_exit 0 plan --root root "$rec" 1 rotate=90 skew=1.5 mode=grey "crop=0,0,$h,$w"
expect_in out "compress queued again"
expect_exit 0 show --root root "$rec"
expect_in out "plan: rotate 90, skew 1.50"
expect_in out 'set by an archivist: {"crop":'
expect_in out "plan-override"

# normalize again: the override stays.
expect_exit 0 retry --root root normalize --record "$rec"
expect_exit 0 run --root root
[ "$(sql root "SELECT pl.rotation || ' ' || pl.skew || ' ' || pl.mode FROM plans pl JOIN pages p ON p.id=pl.page JOIN records r ON r.id=p.record WHERE r.record_id='$rec' AND r.current=1 AND p.page_no=1;")" = "90 1.5 grey" ] ||
	fail "the override did not survive normalize"

# A turn alone takes the measured crop with the page, here a half turn:
# the box's corner moves to the opposite one; and so again once the page
# is measured afresh.
rec2=$(cut -d, -f1 sample/truth.csv | sed -n 3p)
[ "$rec2" != "$rec" ] || fail "the sample has one record"
plan2() {
	sql root "SELECT pl.rotation || ' ' || pl.crop_x || ' ' || pl.crop_y || ' ' || pl.crop_w || ' ' || pl.crop_h || ' ' || p.width || ' ' || p.height FROM plans pl JOIN pages p ON p.id=pl.page JOIN records r ON r.id=p.record WHERE r.record_id='$rec2' AND r.current=1 AND p.page_no=1;"
}
read -r r0 x0 y0 w0 h0 pw ph <<<"$(plan2)"
[ "$r0" = 0 ] || fail "$rec2 page 1 is measured at rotate $r0; the test wants 0"
want="180 $((pw - x0 - w0)) $((ph - y0 - h0)) $w0 $h0 $pw $ph"
expect_exit 0 plan --root root "$rec2" 1 rotate=180
[ "$(plan2)" = "$want" ] || fail "rotate=180: plan $(plan2), want $want"
expect_exit 0 retry --root root normalize --record "$rec2"
expect_exit 0 run --root root
[ "$(plan2)" = "$want" ] || fail "rotate=180 measured again: plan $(plan2), want $want"

# The rendered page is turned: its first page is now landscape.
mkdir x
tar xf root/warehouse/vol-000002.tar -C x
pdf=$(ls x/$rec.*/data/$rec/result.pdf)
size=$(pdfinfo -f 1 -l 1 "$pdf" | awk '/^Page    1 size:/ {print $4, $6}')
set -- $size
awk -v w="$1" -v h="$2" 'BEGIN { exit !(w > h) }' || fail "page 1 is not landscape after rotate=90: $size"
check_bags root
echo ok
