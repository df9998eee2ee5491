#!/usr/bin/env bash
# normalize decides right on generated scans of known truth, and on real
# pages: orientation (tags and content), border, skew, crop, mode, blank.
. "$(dirname "$0")/lib.sh"

gen sample --seed 61 --records 24 --quick --no-damaged
"$KHO" init root >/dev/null
expect_exit 0 ingest --root root sample/inbox
expect_exit 0 normalize --root root
sqlite3 -csv -header root/catalog.db "SELECT r.record_id AS record,
	p.page_no AS page, p.orientation, pl.rotation, pl.mirror, pl.skew,
	pl.skew_confidence, pl.crop_x, pl.crop_y, pl.crop_w, pl.crop_h,
	p.width, p.height, pl.mode, pl.blank, pl.flags
	FROM plans pl JOIN pages p ON p.id = pl.page
	JOIN records r ON r.id = p.record WHERE r.current = 1" >plans.csv
python3 - sample/truth.csv plans.csv <<'PY' || fail "normalize against the truth"
import csv, sys
truth = {(r["record"], r["page"]): r for r in csv.DictReader(open(sys.argv[1], encoding="utf-8"))}
plans = {(r["record"], r["page"]): r for r in csv.DictReader(open(sys.argv[2]))}
assert set(truth) == set(plans), "pages differ"
TAG = {1: 0, 2: 0, 3: 180, 4: 180, 5: 270, 6: 90, 7: 90, 8: 270}
n = oriented = 0
errs = []
border_hit = border_missed = border_false = 0
problems = []
for key, t in truth.items():
    p = plans[key]
    n += 1
    content = (int(p["rotation"]) - TAG[int(p["orientation"])]) % 360
    want = (360 - int(t["rotation"])) % 360
    if content == want:
        oriented += 1
    elif t["print"] == "text":
        problems.append(f"{key}: turned {content}, should be {want}")
    if t["print"] == "text" and content == want:
        errs.append(abs(float(p["skew"]) - float(t["skew_deg"])))
    flags = p["flags"].split(",")
    bordered = t["border"] != "-"
    if bordered and "border" in flags:
        border_hit += 1
        # the crop is a real part of the page, inside it
        W, H = (int(p["height"]), int(p["width"])) if int(p["rotation"]) % 180 else (int(p["width"]), int(p["height"]))
        x, y, w, h = (int(p[k]) for k in ("crop_x", "crop_y", "crop_w", "crop_h"))
        if not (x >= 0 and y >= 0 and x + w <= W and y + h <= H and w * h < W * H):
            problems.append(f"{key}: crop {x},{y},{w},{h} of {W}x{H}")
    elif bordered:
        border_missed += 1
    elif "border" in flags:
        border_false += 1
    if int(p["blank"]) != int(t["blank"]):
        problems.append(f"{key}: blank {p['blank']}, truth {t['blank']}")
    coloured = p["mode"] in ("colour", "mixed")
    if coloured != (t["mode"] == "colour"):
        problems.append(f"{key}: mode {p['mode']}, truth {t['mode']}")
within = sum(1 for e in errs if e <= 0.1) / len(errs)
mean = sum(errs) / len(errs)
print(f"{n} pages; orientation {oriented}/{n}; skew on {len(errs)} text pages: "
      f"mean error {mean:.3f}, within 0.1: {within:.1%}; border found "
      f"{border_hit}, missed {border_missed}, false {border_false}")
for p in problems:
    print("  " + p)
assert oriented >= 0.97 * n, "orientation"
assert within >= 0.95 and mean <= 0.05, "skew"
assert border_missed == 0 and border_false <= 1, "border"
assert not problems, "see above"
PY

# kho show tells what was decided and why.
rec=$(sqlite3 root/catalog.db "SELECT r.record_id FROM plans pl JOIN pages p ON p.id=pl.page JOIN records r ON r.id=p.record WHERE pl.flags LIKE '%border%' LIMIT 1;")
expect_exit 0 show --root root "$rec"
expect_in out "flags: border"
expect_in out '"skew_source":"text"'
expect_in out '"mode_reason":'
# and what faint marks read, where the ink placed no lines (0 lines else)
expect_in out '"faint_lines":'
expect_in out '"faint_upright":'
expect_in out '"faint_ends":'

# A page scanned at 150 dpi, below the standard: flagged; in grey, made
# bitonal at twice its resolution (its strokes' edges lie between its
# pixels); 1-bit, at the standard's 200 (it has no such edges).
mkdir low
python3 - low <<'PY'
import os, struct, sys, zlib
def png(path, bits):
    w, h = 1240, 1754
    rows = []
    for y in range(h):
        line = [235] * w
        if 100 < y < 1600 and y % 30 < 12:
            for x in range(80, 1160):
                if x % 7 < 2 and (x // 60) % 5 != 4:
                    line[x] = 25
        if bits == 1:
            packed = bytearray((w + 7) // 8)
            for x, v in enumerate(line):
                if v > 128:
                    packed[x >> 3] |= 0x80 >> (x & 7)
            rows.append(b"\0" + bytes(packed))
        else:
            rows.append(b"\0" + bytes(line))
    def chunk(kind, body):
        return (struct.pack(">I", len(body)) + kind + body +
                struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF))
    ppm = round(150 / 0.0254)
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n")
        f.write(chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, bits, 0, 0, 0, 0)))
        f.write(chunk(b"pHYs", struct.pack(">IIB", ppm, ppm, 1)))
        f.write(chunk(b"IDAT", zlib.compress(b"".join(rows), 6)))
        f.write(chunk(b"IEND", b""))
png(os.path.join(sys.argv[1], "LO-2021-00001.png"), 8)
png(os.path.join(sys.argv[1], "LO-2021-00002.png"), 1)
PY
"$KHO" init lroot >/dev/null
expect_exit 0 ingest --root lroot low
expect_exit 0 normalize --root lroot
low() {
	sqlite3 lroot/catalog.db "SELECT pl.mode || ' ' || pl.dpi || ' ' || pl.flags FROM plans pl JOIN pages p ON p.id=pl.page JOIN records r ON r.id=p.record WHERE r.record_id='$1';"
}
case "$(low LO-2021-00001)" in
"bitonal 300 "*below-standard-dpi*) ;;
*) fail "a grey page at 150 dpi: $(low LO-2021-00001)" ;;
esac
case "$(low LO-2021-00002)" in
"bitonal 200 "*below-standard-dpi*) ;;
*) fail "a 1-bit page at 150 dpi: $(low LO-2021-00002)" ;;
esac

R=${KHO_REALDATA:-$KHO_SOURCE_DIR/../shared/realdata}
[ -d "$R" ] || skip "$R is absent: the real pages are not checked"
mkdir real
cp "$R/tesseract-test/phototest.tif" real/PT-0.tif
cp "$R/tesseract-test/phototest-rotated-L.png" real/PT-L.png
cp "$R/tesseract-test/phototest-rotated-R.png" real/PT-R.png
cp "$R/tesseract-test/phototest-rotated-180.png" real/PT-180.png
cp "$R/tesseract-test/phototest_2.tif" real/PT-2.tif
cp "$R/tesseract-test/devatest.png" real/DV-0.png
cp "$R/tesseract-test/devatest-rotated-270.png" real/DV-270.png
for i in 1 2 3 4 5 6 7 8; do
	cp "$R/pillow-malformed/g4_orientation_$i.tif" "real/G4-$i.tif"
done
cp "$R/unpaper/source_images/imgsrc001.png" real/UP-1.png
cp "$R/unpaper/source_images/imgsrc005.png" real/UP-5.png
cp "$R/libtiff/test_images/testfax4.tiff" real/FX-4.tif
cp "$R/libtiff/test_images/ojpeg_zackthecat_subsamp22_single_strip.tiff" real/CAT.tif
cp "$R/tesseract-test/8071_093.3B.tif" real/MG-1.tif
python3 "$KHO_SOURCE_DIR/tests/tools/pbm_to_png.py" \
	"$R/unpaper/golden_images/goldenC1.pbm" real/GC-1.png
"$KHO" init rroot >/dev/null
expect_exit 0 ingest --root rroot real
expect_exit 0 normalize --root rroot
plan() {
	sqlite3 rroot/catalog.db "SELECT pl.rotation || ' ' || pl.mirror FROM plans pl JOIN pages p ON p.id=pl.page JOIN records r ON r.id=p.record WHERE r.record_id='$1';"
}
# The same page stored four ways: each turned upright.
[ "$(plan PT-0)" = "0 0" ] || fail "phototest: $(plan PT-0)"
[ "$(plan PT-L)" = "90 0" ] || fail "phototest turned left: $(plan PT-L)"
[ "$(plan PT-R)" = "270 0" ] || fail "phototest turned right: $(plan PT-R)"
[ "$(plan PT-180)" = "180 0" ] || fail "phototest upside down: $(plan PT-180)"
# Large sans-serif type (phototest_2): its strokes are as wide as a
# filled area's inside, and its lines were read in fragments that did not
# say which way up it is (the page was flagged); read again with wide
# strokes kept, it reads upright, unflagged, like phototest itself.
pflags() {
	sqlite3 rroot/catalog.db "SELECT pl.rotation || ' ' || pl.flags FROM plans pl JOIN pages p ON p.id=pl.page JOIN records r ON r.id=p.record WHERE r.record_id='$1';"
}
case "$(pflags PT-2)" in
"0 "*orientation*) fail "phototest_2: $(pflags PT-2)" ;;
"0 "*) ;;
*) fail "phototest_2: $(pflags PT-2)" ;;
esac
case "$(pflags PT-0)" in
*orientation-uncertain*) fail "phototest: $(pflags PT-0)" ;;
esac
# A colour photo of a cat, no print on it: its fur's faint marks place a
# few lines (5), too few to be print where the photo's ink outweighs
# them; it is neither turned nor straightened by them.
case "$(pflags CAT)" in
"0 "*skew-uncertain*) ;;
*) fail "a photo of a cat: $(pflags CAT)" ;;
esac
# Three words a hand drew 30 mm high, upright: the letters' strokes down
# the page read as three lines along it, 0.48 one way, and turned it a
# quarter; they hold 3% of its ink, no print, and it is left as
# it lies.
case "$(pflags UP-5)" in
"0 "*) ;;
*) fail "imgsrc005, hand-drawn words: $(pflags UP-5)" ;;
esac
# A form on a fax, upright: its columns' rules run down the whole page
# (the up/down reading takes them off), and the rules its lines are
# written on are no headlines.
[ "$(plan FX-4)" = "0 0" ] || fail "testfax4: $(plan FX-4)"
# Devanagari, hung from its headline: upright, and turned a quarter.
[ "$(plan DV-0)" = "0 0" ] || fail "devatest: $(plan DV-0)"
[ "$(plan DV-270)" = "90 0" ] || fail "devatest turned by 270: $(plan DV-270)"
# The TIFF Orientation tag, 1 to 8: mirror and turn as the tag says.
want=("" "0 0" "0 1" "180 0" "180 1" "270 1" "90 0" "90 1" "270 0")
for i in 1 2 3 4 5 6 7 8; do
	[ "$(plan G4-$i)" = "${want[$i]}" ] || fail "g4_orientation_$i: $(plan G4-$i), want ${want[$i]}"
done
# unpaper's test page: a skewed page on a black border.
flags=$(sqlite3 rroot/catalog.db "SELECT pl.flags || ' ' || round(pl.skew, 1) FROM plans pl JOIN pages p ON p.id=pl.page JOIN records r ON r.id=p.record WHERE r.record_id='UP-1';")
case "$flags" in *border*) ;; *) fail "imgsrc001: no border found ($flags)" ;; esac
# Its border is a strip along the top of the left side, the paper beside
# it below: the crop leaves the strip out (it reaches about 300 pixels in
# once the page is straight) and not the text (from about 440).
cx=$(sqlite3 rroot/catalog.db "SELECT CAST(pl.crop_x AS INTEGER) FROM plans pl JOIN pages p ON p.id=pl.page JOIN records r ON r.id=p.record WHERE r.record_id='UP-1';")
[ "$cx" -ge 280 ] && [ "$cx" -le 430 ] || fail "imgsrc001: the crop starts at x $cx"
# unpaper's goldenC1: an A5 sheet in the middle of a black A4 bed, which
# covers three quarters of the scan.  The sheet is found (1240 x 1754
# pixels at 623, 877), the page cropped to it and its text measured.
gc=$(sqlite3 rroot/catalog.db "SELECT pl.flags || ' ' || CAST(pl.crop_x AS INTEGER) || ' ' || CAST(pl.crop_y AS INTEGER) || ' ' || CAST(pl.crop_w AS INTEGER) || ' ' || CAST(pl.crop_h AS INTEGER) || ' ' || (pl.skew_confidence >= 0.5) FROM plans pl JOIN pages p ON p.id=pl.page JOIN records r ON r.id=p.record WHERE r.record_id='GC-1';")
read -r gflags gx gy gw gh gsure <<<"$gc"
case "$gflags" in *border*) ;; *) fail "goldenC1: no border found ($gc)" ;; esac
[ "$gsure" = 1 ] || fail "goldenC1: the skew is not measured ($gc)"
[ "$gx" -ge 600 ] && [ "$gx" -le 640 ] && [ "$gy" -ge 855 ] && [ "$gy" -le 895 ] &&
	[ "$gw" -ge 1200 ] && [ "$gw" -le 1280 ] && [ "$gh" -ge 1710 ] && [ "$gh" -le 1790 ] ||
	fail "goldenC1: the crop is not the sheet ($gc)"
# Was a bug, fixed: 8071_093.3B, a magazine's page in a 1-bit scan, has
# a black frame along its right side (from x 3246) and its bottom (from y
# 2231 to 2263), and outside it a column or two of white down the
# image's very edge, which made the sheet reach the image's edge down
# both sides: the crop was the whole image, frame and all.  It ends at
# the frame now, and keeps the text (to x 3200) and the page number and
# photo credit (to y 2134).
mg=$(sqlite3 rroot/catalog.db "SELECT CAST(pl.crop_x + pl.crop_w AS INTEGER) || ' ' || CAST(pl.crop_y + pl.crop_h AS INTEGER) FROM plans pl JOIN pages p ON p.id=pl.page JOIN records r ON r.id=p.record WHERE r.record_id='MG-1';")
read -r mright mbottom <<<"$mg"
[ "$mright" -ge 3200 ] && [ "$mright" -le 3262 ] && [ "$mbottom" -ge 2140 ] &&
	[ "$mbottom" -le 2275 ] || fail "8071_093.3B: the crop ends at $mg"
echo ok
