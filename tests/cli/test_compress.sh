#!/usr/bin/env bash
# compress: a page planned bitonal becomes one G4 image, a page planned
# mixed a colour JPEG under a G4 mask that keeps the seal red; the page
# size follows the crop and the dpi; every PDF passes qpdf --check; the
# same plan gives the same bytes; tiff_master = yes adds master.tif to the
# bag; dark sheets and shadows keep their words; a fax's pixels are made
# square, and a page recorded at another size is refused.
. "$(dirname "$0")/lib.sh"
command -v qpdf >/dev/null && command -v pdftoppm >/dev/null &&
	command -v pdfimages >/dev/null || skip "qpdf and poppler-utils are needed"
metrics="python3 $KHO_SOURCE_DIR/scripts/bench/compress_metrics.py"

# Seed 32: KD-2021-02020 has a grey page 1 and a colour page 2 (the seal).
gen sample --seed 32 --records 2 --quick --no-damaged
rec=KD-2021-02020
grep -q "^$rec,2,.*,colour," sample/truth.csv || fail "the sample changed: $rec page 2 is not colour"
"$KHO" init root >/dev/null
expect_exit 0 run --root root --inbox sample/inbox

plan() { # PAGE COLUMN
	sql root "SELECT pl.$2 FROM plans pl JOIN pages p ON p.id=pl.page JOIN records r ON r.id=p.record WHERE r.record_id='$rec' AND r.current=1 AND p.page_no=$1;"
}
pdf_sha() {
	sql root "SELECT o.sha256 FROM outputs o JOIN records r ON r.id=o.record WHERE r.record_id='$rec' AND r.current=1 AND o.name='$1';"
}
stored() { local s; s=$(pdf_sha "$1"); echo "root/store/${s:0:2}/$s"; }

# Page 1 bitonal and cropped to its top half, page 2 mixed.
w=$(sql root "SELECT width FROM pages p JOIN records r ON r.id=p.record WHERE r.record_id='$rec' AND r.current=1 AND p.page_no=1;")
h=$(sql root "SELECT height FROM pages p JOIN records r ON r.id=p.record WHERE r.record_id='$rec' AND r.current=1 AND p.page_no=1;")
expect_exit 0 plan --root root "$rec" 1 mode=bitonal "crop=0,0,$w,$((h / 2))"
expect_exit 0 plan --root root "$rec" 2 mode=mixed skew=4.18
# compress alone: describe then adds a band with the QR code above page 1.
expect_exit 0 compress --root root
pdf=$(stored result.pdf)
[ -f "$pdf" ] || fail "no result.pdf for $rec"

# Every PDF compress made passes qpdf --check.
for s in $(sql root "SELECT sha256 FROM outputs WHERE name='result.pdf';"); do
	qpdf --check "root/store/${s:0:2}/$s" >"$T/qpdf.out" 2>&1 ||
		{ cat "$T/qpdf.out"; fail "qpdf --check $s"; }
done

# Pages and their size: the crop at the output dpi, in points.
pdfinfo -f 1 -l 2 "$pdf" >"$T/info"
grep -Eq "^Pages: +2$" "$T/info" || fail "not 2 pages"
grep -Eq "^PDF version: +1.7$" "$T/info" || fail "not PDF 1.7"
for page in 1 2; do
	cw=$(plan $page crop_w) ch=$(plan $page crop_h) dpi=$(plan $page dpi)
	src=$(plan $page source_dpi)
	if [ "$cw" = 0 ]; then
		cw=$(sql root "SELECT width FROM pages p JOIN records r ON r.id=p.record WHERE r.record_id='$rec' AND r.current=1 AND p.page_no=$page;")
		ch=$(sql root "SELECT height FROM pages p JOIN records r ON r.id=p.record WHERE r.record_id='$rec' AND r.current=1 AND p.page_no=$page;")
	fi
	got=$(awk -v p="$page" '$1 == "Page" && $2 == p && $3 == "size:" {print $4, $6}' "$T/info")
	python3 - "$cw" "$ch" "$dpi" "$src" $got <<'PY' || fail "page $page: size $got pts"
import sys
cw, ch, dpi, src, gw, gh = map(float, sys.argv[1:])
want = [round(v * dpi / src) * 72 / dpi for v in (cw, ch)]
sys.exit(0 if abs(want[0] - gw) < 0.01 and abs(want[1] - gh) < 0.01 else 1)
PY
done

# The images, as encoded: one G4 image on page 1; a JPEG and a G4 mask
# (stencil) on page 2.
pdfimages -list "$pdf" | awk 'NR > 2 {print $1, $3, $8, $9}' >"$T/images"
expect_in "$T/images" "1 image 1 ccitt"
expect_in "$T/images" "2 image 8 jpeg"
expect_in "$T/images" "2 stencil 1 ccitt"
[ "$(wc -l <"$T/images")" = 3 ] || { cat "$T/images"; fail "3 images expected"; }

# Rendered back: ink inside the crop on page 1, the seal red on page 2.
pdftoppm -r 60 -f 1 -l 1 -singlefile "$pdf" "$T/p1"
pdftoppm -r 60 -f 2 -l 2 -singlefile "$pdf" "$T/p2"
python3 - "$T/p1.ppm" <<'PY' || fail "page 1 has no ink"
import re, sys
d = open(sys.argv[1], "rb").read()
m = re.match(rb"P6\s+(\d+)\s+(\d+)\s+(\d+)\s", d)
px = d[m.end():]
dark = sum(1 for i in range(0, len(px), 3) if px[i] < 100)
sys.exit(0 if dark > 0.002 * len(px) / 3 else 1)
PY
red=$($metrics red "$T/p2.ppm")
[ "$red" -gt 30 ] || fail "page 2 lost its seal's red: $red red pixels"

# The same plans give the same bytes, also once described.
expect_exit 0 run --root root
before=$(pdf_sha result.pdf)
expect_exit 0 retry --root root compress --record "$rec"
expect_exit 0 run --root root
[ "$(pdf_sha result.pdf)" = "$before" ] || fail "compress again gave other bytes"

# tiff_master = yes: master.tif beside result.pdf, in the bag.
sed -i 's/^tiff_master = no/tiff_master = yes/' root/kho.conf
expect_exit 0 retry --root root compress --record "$rec"
expect_exit 0 run --root root
tif=$(stored master.tif)
[ -f "$tif" ] || fail "no master.tif"
[ "$(pdf_sha result.pdf)" = "$before" ] || fail "the PDF changed with the master"
if command -v tiffinfo >/dev/null; then
	tiffinfo "$tif" >"$T/tiffinfo" 2>&1
	[ "$(grep -c 'TIFF Directory' "$T/tiffinfo")" = 2 ] || fail "master.tif: not 2 pages"
	expect_in "$T/tiffinfo" "CCITT Group 4"
	expect_in "$T/tiffinfo" "Compression Scheme: JPEG"
	expect_in "$T/tiffinfo" "DocumentName: $rec"
fi
vol=$(ls root/warehouse/*.tar | tail -1)
tar tf "$vol" >"$T/members"
grep -q "/data/$rec/master.tif$" "$T/members" || { ls root/warehouse; cat "$T/members"; fail "master.tif is not in the bag"; }
check_bags root

# A dark sheet (an underexposed scan: paper at 30, strokes of words at 5,
# a scanner's noise) keeps its text black on white, where it used to come
# out black all over; a negative (white strokes on black) stays as it is;
# and a sheet in shadow (the light falling to 45% from its right edge to
# its left, as where a page did not lie flat) is black text on paper, not
# a photo: bitonal, its words kept in the shadow and the shadow white.
mkdir dark
python3 - dark <<'PY'
import os, random, struct, sys, zlib
def png(path, paper, ink, noise, shade=False):
    w, h = 1240, 1754
    rnd = random.Random(5)
    light = [0.45 + 0.55 * x / (w - 1) if shade else 1 for x in range(w)]
    rows = []
    for y in range(h):
        line = bytearray(rnd.randint(paper - noise, paper + noise) for _ in range(w))
        # lines of words: strokes 3 pixels wide, 24 high, in the top half
        if y < 877 and y % 48 < 24:
            for x in range(120, 1120):
                if x % 9 < 3 and (x // 90) % 4 != 3:
                    line[x] = ink
        if shade:
            line = bytearray(round(v * light[x]) for x, v in enumerate(line))
        rows.append(b"\0" + bytes(line))
    def chunk(kind, body):
        return (struct.pack(">I", len(body)) + kind + body +
                struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF))
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n")
        f.write(chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0)))
        f.write(chunk(b"IDAT", zlib.compress(b"".join(rows), 6)))
        f.write(chunk(b"IEND", b""))
png(os.path.join(sys.argv[1], "DK-2021-00001.png"), 30, 5, 3)
png(os.path.join(sys.argv[1], "DK-2021-00002.png"), 8, 230, 0)
png(os.path.join(sys.argv[1], "DK-2021-00003.png"), 240, 20, 3, shade=True)
PY
"$KHO" init droot >/dev/null
expect_exit 0 run --root droot --inbox dark
for id in DK-2021-00001 DK-2021-00002 DK-2021-00003; do
	sha=$(sql droot "SELECT o.sha256 FROM outputs o JOIN records r ON r.id=o.record WHERE r.record_id='$id' AND r.current=1 AND o.name='result.pdf' AND o.stage='describe';")
	[ "$(sql droot "SELECT pl.mode FROM plans pl JOIN pages p ON p.id=pl.page JOIN records r ON r.id=p.record WHERE r.record_id='$id';")" = bitonal ] ||
		fail "$id is not rendered bitonal"
	pdftoppm -r 50 -gray -singlefile "droot/store/${sha:0:2}/$sha" "$T/$id"
done
python3 - "$T/DK-2021-00001.pgm" "$T/DK-2021-00002.pgm" "$T/DK-2021-00003.pgm" <<'PY' || fail "dark pages"
import sys
def read(path):
    data = open(path, "rb").read()
    parts = data.split(maxsplit=4)
    w, h = int(parts[1]), int(parts[2])
    return w, h, parts[4][-w * h:]
def black(path, top, bottom, left=0.0, right=1.0):
    w, h, px = read(path)
    # the page below the QR band: its rows from top to bottom, its
    # columns from left to right (shares)
    y0, y1 = int(h * top), int(h * bottom)
    x0, x1 = int(w * left), int(w * right)
    part = [px[y * w + x] for y in range(y0, y1) for x in range(x0, x1)]
    return sum(1 for v in part if v < 128) / len(part)
# dark paper: the lower half, plain paper, white; the upper, words
plain, words = black(sys.argv[1], 0.75, 0.95), black(sys.argv[1], 0.2, 0.45)
assert plain < 0.01 and 0.05 < words < 0.5, (plain, words)
# the negative: black, but for its white strokes
neg = black(sys.argv[2], 0.75, 0.95)
assert neg > 0.95, neg
# the shadow: its plain paper white, its words kept, as in the light
for left, right in ((0.1, 0.3), (0.7, 0.9)):
    plain = black(sys.argv[3], 0.75, 0.95, left, right)
    words = black(sys.argv[3], 0.2, 0.45, left, right)
    assert plain < 0.01 and 0.05 < words < 0.5, (left, plain, words)
PY
# A fax at 204 x 98 dpi (each pixel twice as tall as it is wide), A4: its
# pixels are made square as it is decoded, and its page is A4 upright at
# 204 dpi.  Drawn a pixel to a point it came out squashed to half its
# height, wider than tall, its dpi said to be absurd.
mkdir fax
python3 - fax/FX-2021-00001.png <<'PY'
import struct, sys, zlib
w, h = 1728, 1143
rows = []
for y in range(h):
    line = bytearray([255] * w)
    # lines of words in the top two thirds
    if 100 < y < 760 and y % 24 < 12:
        for x in range(150, 1580):
            if x % 9 < 3 and (x // 90) % 4 != 3:
                line[x] = 0
    rows.append(b"\0" + bytes(line))
def chunk(kind, body):
    return (struct.pack(">I", len(body)) + kind + body +
            struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF))
with open(sys.argv[1], "wb") as f:
    f.write(b"\x89PNG\r\n\x1a\n")
    f.write(chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0)))
    # pixels per metre: 204 and 98 dpi (203.99 and 97.99)
    f.write(chunk(b"pHYs", struct.pack(">IIB", 8031, 3858, 1)))
    f.write(chunk(b"IDAT", zlib.compress(b"".join(rows), 6)))
    f.write(chunk(b"IEND", b""))
PY
"$KHO" init froot >/dev/null
expect_exit 0 run --root froot --inbox fax
got=$(sql froot "SELECT p.width || ' ' || p.height || ' ' || p.ydpi || ' ' || pl.source_dpi || ' ' || pl.flags || ' ' || p.description FROM pages p JOIN plans pl ON pl.page=p.id;")
case "$got" in
"1728 2379 203.99 203.99 "*"; 203.99 x 97.99 dpi, pixels made square") ;;
*) fail "the fax: $got" ;;
esac
case "$got" in *dpi-absurd*) fail "the fax's dpi: $got" ;; esac
sha=$(sql froot "SELECT o.sha256 FROM outputs o WHERE o.name='result.pdf';")
pdfinfo "froot/store/${sha:0:2}/$sha" >"$T/fax.info"
read -r fw fh < <(awk '$1 == "Page" && $2 == "size:" {print $3, $5}' "$T/fax.info")
python3 - "$fw" "$fh" <<'PY' || fail "the fax's page: $fw x $fh pts"
import sys
w, h = map(float, sys.argv[1:])
# A4 at 204 dpi: 1728 x 2379 pixels, 609.9 x 839.6 points (or the crop of
# it), and the band with the QR code above it
assert abs(w - 609.9) < 15 and 825 < h < 940, (w, h)
PY
# The same page as an earlier kho recorded it (its size as stored, 1728 x
# 1143, and its plan in those pixels): compress again refuses it, saying
# why, rather than crop the taller page by a plan made for the shorter.
sql froot "UPDATE pages SET height = 1143, ydpi = 98;"
expect_exit 0 retry --root froot compress --record FX-2021-00001
run_kho compress --root froot
[ "$rc" = 1 ] || fail "compress of the page recorded at another size exited $rc"
err=$(sql froot "SELECT error FROM jobs WHERE stage='compress' AND record_id='FX-2021-00001';")
case "$err" in
*"decodes to 1728 x 2379 pixels where ingest recorded 1728 x 1143"*"not rendered"*) ;;
*) fail "compress of the page recorded at another size: $err" ;;
esac
echo ok
