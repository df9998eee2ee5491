#!/usr/bin/env bash
# describe: metadata.json valid against docs/metadata.schema.json, with the
# register's Vietnamese text intact, every page's plan and images, the
# provenance events and the SHA-256 of every original and output; the
# PDF's XMP and Info carry the same facts; page 1 grows by a band whose QR
# code (zbarimg on a pdftoppm rendering) decodes to the payload; kho
# lookup confirms it and refuses it with one character changed; the same
# facts give the same bytes.
. "$(dirname "$0")/lib.sh"
for t in qpdf pdfinfo pdftoppm pdfimages zbarimg; do
	command -v $t >/dev/null || skip "$t is needed (poppler-utils, qpdf, zbar-tools)"
done
schema="$KHO_SOURCE_DIR/docs/metadata.schema.json"
check_schema="python3 $KHO_SOURCE_DIR/tests/tools/json_schema_check.py $schema"

# Seed 32: KD-2021-02020 (2 pages, in the register with an identification
# code, validity and scope) and XD-2023-02919 (left out of the register).
gen sample --seed 32 --records 2 --quick --no-damaged
reg=KD-2021-02020 noreg=XD-2023-02919
python3 - sample/register.csv register.csv <<'PY'
import csv, sys
rows = [r for r in csv.DictReader(open(sys.argv[1], encoding="utf-8"))
        if r["id"] == "KD-2021-02020"]
assert rows, "the sample changed"
cols = list(rows[0]) + ["identification_code", "valid_from", "scope"]
rows[0].update(identification_code="048090000123", valid_from="2021-05-20",
               scope="Thành phố Đà Nẵng")
w = csv.DictWriter(open(sys.argv[2], "w", encoding="utf-8", newline=""), cols)
w.writeheader()
w.writerows(rows)
PY
"$KHO" init root >/dev/null
sed -i 's/^publisher = .*/publisher = Kho kết quả số hoá Đà Nẵng/' root/kho.conf
expect_exit 0 register import register.csv --root root
expect_exit 0 run --root root --inbox sample/inbox

out() { # RECORD NAME: the stored output of the current version
	local s
	s=$(sql root "SELECT o.sha256 FROM outputs o JOIN records r ON r.id=o.record WHERE r.record_id='$1' AND r.current=1 AND o.name='$2';")
	[ -n "$s" ] || fail "$1 has no $2"
	echo "root/store/${s:0:2}/$s"
}
for rec in $reg $noreg; do
	mkdir "x-$rec"
	expect_exit 0 extract --root root "$rec" "x-$rec"
done
pdf=x-$reg/result.pdf meta=x-$reg/metadata.json
cmp -s "$pdf" "$(out $reg result.pdf)" || fail "the bag's result.pdf is not the catalog's"

# ---- metadata.json ----
$check_schema x-*/metadata.json >"$T/schema.out" || { cat "$T/schema.out"; fail "metadata.json does not follow the schema"; }
# a second, independent validator where npm can fetch it
if command -v npm >/dev/null &&
	timeout 120 npm install --prefix "$T/ajv" --no-audit --no-fund ajv-cli@5 >/dev/null 2>&1; then
	for m in x-*/metadata.json; do
		"$T/ajv/node_modules/.bin/ajv" validate --spec=draft2020 -s "$schema" -d "$m" >"$T/ajv.out" 2>&1 ||
			{ cat "$T/ajv.out"; fail "ajv: $m does not follow the schema"; }
	done
else
	echo "note: ajv-cli not available (no npm or no registry): metadata.json checked by json_schema_check.py only"
fi
python3 - "$meta" "x-$noreg/metadata.json" root <<'PY' || fail "metadata.json"
import hashlib, json, sqlite3, sys
m = json.load(open(sys.argv[1], encoding="utf-8"))
db = sqlite3.connect(sys.argv[3] + "/catalog.db")
sha = lambda p: hashlib.sha256(open(p, "rb").read()).hexdigest()
reg = m["register"]
assert reg["agency"] == "Sở Kế hoạch và Đầu tư thành phố Đà Nẵng", reg
assert reg["title"] == "Giấy chứng nhận đăng ký hộ kinh doanh", reg
assert reg["field"] == "Đăng ký kinh doanh" and reg["year"] == 2021, reg
assert reg["procedure_code"] == "2.000575" and reg["issue_date"] == "2021-05-20", reg
assert reg["extra"]["scope"] == "Thành phố Đà Nẵng", reg
rec = m["record"]
assert rec["id"] == "KD-2021-02020" and rec["batch"] == "inbox", rec
# every page with its plan, its measurements and its images
pages = db.execute("SELECT count(*) FROM pages p JOIN records r ON r.id=p.record "
                   "WHERE r.record_id='KD-2021-02020' AND r.current=1").fetchone()[0]
assert len(m["pages"]) == pages == 2, m["pages"]
for p in m["pages"]:
    assert p["plan"]["measurements"] and p["plan"]["mode"], p
    assert p["pdf"]["layers"], p
# SHA-256 of every original and output, as the store holds them
for o in m["originals"]:
    assert sha(f"{sys.argv[3]}/store/{o['sha256'][:2]}/{o['sha256']}") == o["sha256"], o
outs = {o["name"]: o for o in m["outputs"]}
assert sha("x-KD-2021-02020/result.pdf") == outs["result.pdf"]["sha256"], outs
assert outs["result.pdf"]["stage"] == "describe", outs
# provenance: every stage so far, each with its program and version
types = [e["type"] for e in m["events"]]
for t in ("ingest", "normalize", "compress", "describe"):
    assert t in types, types
assert all(e["program"] and e["version"] for e in m["events"]), m["events"]
pub = m["publication"]
assert pub["publisher"] == "Kho kết quả số hoá Đà Nẵng", pub
# the code sits above the scanned image, in the upper-left corner
q, page1 = pub["qr"], m["pages"][0]["pdf"]
assert q["y_pt"] >= page1["height_pt"] and q["x_pt"] + q["side_pt"] < page1["width_pt"] / 2, q
# not in the register: null, and the record id names the document
n = json.load(open(sys.argv[2], encoding="utf-8"))
assert n["register"] is None, n["register"]
assert "\nTEN:XD-2023-02919\n" in n["publication"]["qr_payload"], n["publication"]
PY

# ---- the PDF: structure, XMP and Info ----
for f in x-*/result.pdf; do
	qpdf --check "$f" >"$T/qpdf.out" 2>&1 || { cat "$T/qpdf.out"; fail "qpdf --check $f"; }
done
pdfinfo -meta "$pdf" >"$T/xmp"
expect_in "$T/xmp" '<dc:title><rdf:Alt><rdf:li xml:lang="x-default">Giấy chứng nhận đăng ký hộ kinh doanh</rdf:li>'
expect_in "$T/xmp" '<dc:creator><rdf:Seq><rdf:li>Sở Kế hoạch và Đầu tư thành phố Đà Nẵng</rdf:li>'
expect_in "$T/xmp" "<dc:identifier>$reg</dc:identifier>"
expect_in "$T/xmp" '<dc:date><rdf:Seq><rdf:li>2021-05-20</rdf:li>'
expect_in "$T/xmp" '<dc:publisher><rdf:Bag><rdf:li>Kho kết quả số hoá Đà Nẵng</rdf:li>'
expect_in "$T/xmp" '<pdfaid:part>2</pdfaid:part>'
expect_in "$T/xmp" '<pdfaid:conformance>B</pdfaid:conformance>'
code=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["publication"]["verification_code"])' "$meta")
expect_in "$T/xmp" "<kho:VerificationCode xmlns:kho=\"urn:kho:result:1#\">$code<"
pdfinfo -custom "$pdf" >"$T/info"
expect_in "$T/info" "Title:           Giấy chứng nhận đăng ký hộ kinh doanh"
expect_in "$T/info" "Author:          Sở Kế hoạch và Đầu tư thành phố Đà Nẵng"
grep -Eq "^KhoVerificationCode: *$code\$" "$T/info" || { cat "$T/info"; fail "Info has no KhoVerificationCode"; }
grep -Eq "^KhoProcedureCode: *2\.000575\$" "$T/info" || fail "Info has no KhoProcedureCode"
# qpdf reads the same Info dictionary (texts in UTF-16), with the payload
qpdf --json --json-key=qpdf "$pdf" >"$T/qpdf.json"
python3 - "$T/qpdf.json" "$meta" <<'PY' || fail "qpdf: the Info dictionary"
import json, sys
objs = json.load(open(sys.argv[1]))["qpdf"][1]
info = objs[objs["trailer"]["value"]["/Info"].replace(" R", " R").join(["obj:", ""])]["value"]
m = json.load(open(sys.argv[2]))
assert info["/Title"] == "u:Giấy chứng nhận đăng ký hộ kinh doanh", info
assert info["/Author"] == "u:Sở Kế hoạch và Đầu tư thành phố Đà Nẵng", info
assert info["/KhoQRPayload"] == "u:" + m["publication"]["qr_payload"], info
assert info["/CreationDate"] == "u:D:" + m["publication"]["published_at"].replace("-", "").replace(":", "").replace("T", ""), info
PY

# Page 1 grew by the band and nothing else changed: the same images as
# compress made, page 2 the same size.
pdfinfo -f 1 -l 2 "$pdf" >"$T/pages"
pdfimages -list "$pdf" | tail -n +3 | awk '{print $1, $3, $4, $5, $9}' >"$T/imgs"
python3 - "$T/pages" "$meta" <<'PY' || fail "page sizes"
import json, re, sys
sizes = {int(m[1]): (float(m[2]), float(m[3])) for m in
         re.finditer(r"Page +(\d+) size: +([\d.]+) x ([\d.]+)", open(sys.argv[1]).read())}
m = json.load(open(sys.argv[2]))
band = m["publication"]["qr"]["band_pt"]
for i, p in enumerate(m["pages"], 1):
    w, h = p["pdf"]["width_pt"], p["pdf"]["height_pt"] + (band if i == 1 else 0)
    assert abs(sizes[i][0] - w) < 0.01 and abs(sizes[i][1] - h) < 0.01, (i, sizes[i], w, h)
PY
[ "$(wc -l <"$T/imgs")" = "$(python3 -c 'import json,sys; print(sum(len(p["pdf"]["layers"]) for p in json.load(open(sys.argv[1]))["pages"]))' "$meta")" ] ||
	{ cat "$T/imgs"; fail "result.pdf holds other images than its pages'"; }

# ---- the QR code: rendered, decoded, looked up ----
payload=$(sql root "SELECT payload FROM publications p JOIN records r ON r.id=p.record WHERE r.record_id='$reg' AND r.current=1;")
pdftoppm -r 150 -f 1 -l 1 -singlefile -png "$pdf" page1
zbarimg --raw -q page1.png 2>/dev/null >decoded.txt || fail "zbarimg found no code on page 1"
python3 - decoded.txt "$meta" <<'PY' || fail "the QR code does not decode to the payload"
import json, sys
got = open(sys.argv[1], encoding="utf-8").read()
want = json.load(open(sys.argv[2], encoding="utf-8"))["publication"]["qr_payload"]
assert got == want + "\n", (got, want)
for line in ("HS:KD-2021-02020", "TTHC:2.000575", "DD:048090000123",
             "TEN:Giấy chứng nhận đăng ký hộ kinh doanh",
             "HT:Kho kết quả số hoá Đà Nẵng", "HL:2021-05-20/..",
             "PV:Thành phố Đà Nẵng"):
    assert "\n" + line + "\n" in got, line
PY
expect_exit 0 lookup --root root "$(cat decoded.txt)"
expect_in out "GENUINE"
expect_in out "$reg, archive version 1"
expect_exit 0 lookup --root root --image page1.png
expect_in out "verification: $code, recomputed from the archived result.pdf"
expect_exit 0 lookup --root root --pdf "$pdf"
# one character changed anywhere: refused
python3 - "$payload" <<'PY'
import sys
p = sys.argv[1]
for n, i in enumerate((3, p.index("TEN:") + 6, p.index("TG:") + 10, len(p) - 1)):
    c = p[i]
    open(f"changed-{n}.txt", "w", encoding="utf-8").write(
        p[:i] + ("X" if c != "X" else "Y") + p[i + 1:])
PY
for f in changed-*.txt; do
	expect_exit 1 lookup --root root "$(cat "$f")"
done
expect_exit 1 lookup --root root "${payload/HS:$reg/HS:KD-2021-02021}"
expect_in out "REFUSED"
expect_in out "dossier code (HS): presented 'KD-2021-02021', published '$reg'"
expect_exit 1 lookup --root root "hello"
expect_in err "not a kho QR payload"
# a PDF changed outside its pages: the pages are known, the file is not
sed 's/kho-describe/kho-describX/' "$pdf" >edited.pdf
expect_exit 1 lookup --root root --pdf edited.pdf
expect_in out "its pages are a published result's, but the file was changed"
python3 - "$pdf" "$meta" <<'PY'
import json, sys
data = bytearray(open(sys.argv[1], "rb").read())
# a byte in the middle of the first image of page 2
layer = json.load(open(sys.argv[2]))["pages"][1]["pdf"]["layers"][0]
start = data.index(b"stream\n", data.index(b"/Width %d /Height %d" % (layer["width"], layer["height"]))) + 7
data[start + layer["bytes"] // 2] ^= 0x01
open("image-changed.pdf", "wb").write(data)
PY
expect_exit 1 lookup --root root --pdf image-changed.pdf
expect_not_in out "its pages are a published result's"

# ---- the same facts, the same bytes ----
before=$(sha256sum <"$(out $reg result.pdf)")
expect_exit 0 retry --root root describe --record $reg
expect_exit 0 run --root root
[ "$(sha256sum <"$(out $reg result.pdf)")" = "$before" ] || fail "describe again gave other bytes"
expect_exit 0 retry --root root compress --record $reg
expect_exit 0 run --root root
[ "$(sha256sum <"$(out $reg result.pdf)")" = "$before" ] || fail "compress and describe again gave other bytes"
# a register change reaches the next description (and a new archive
# version: 4, after the two above), and the older QR code is still the
# warehouse's (in version 3, the newest that holds it)
sed -i 's/Giấy chứng nhận đăng ký hộ kinh doanh/Giấy chứng nhận đăng ký hộ kinh doanh (bản sao)/' register.csv
expect_exit 0 register import register.csv --root root
expect_exit 0 retry --root root describe --record $reg
expect_exit 0 run --root root
expect_in "$(out $reg metadata.json)" '"title": "Giấy chứng nhận đăng ký hộ kinh doanh (bản sao)"'
expect_exit 0 lookup --root root "$payload"
expect_in out "$reg, archive version 3"
expect_exit 0 lookup --root root "$(sql root "SELECT payload FROM publications p JOIN records r ON r.id=p.record WHERE r.record_id='$reg' AND r.current=1;")"
expect_in out "$reg, archive version 4"
echo ok
