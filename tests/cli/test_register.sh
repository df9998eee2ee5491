#!/usr/bin/env bash
# kho register import: the generator's register taken whole; an export
# with every edge case (BOM, CRLF, header in any order and case, quoted
# commas, quotes and line breaks, extra columns, blank lines) where each
# refused row is listed with its line and reason and the exit status is 1;
# a newer export updating rows with a record of each change; files that
# are not exports refused (exit 2) with the catalog left as it was.
. "$(dirname "$0")/lib.sh"

"$KHO" init root >/dev/null

# ---- the generator's register: every row taken ----
gen sample --seed 21 --records 14 --quick --no-damaged
rows=$(python3 -c 'import csv,sys; print(sum(1 for _ in csv.DictReader(open(sys.argv[1], encoding="utf-8"))))' sample/register.csv)
expect_exit 0 register import sample/register.csv --root root
expect_in out "kho register import: 'sample/register.csv': $rows row(s)"
expect_in out "$rows taken, 0 refused"
expect_in out "$rows added, 0 changed (0 field(s)), 0 unchanged"
expect_in out "the register now holds $rows record(s) (import 1)"
[ "$(sql root 'SELECT count(*) FROM register;')" = "$rows" ] || fail "register rows"
# Every field as the file has it (titles with commas included).
python3 - sample/register.csv root/catalog.db <<'PY' || fail "register differs from the file"
import csv, sqlite3, sys
want = {r["id"]: r for r in csv.DictReader(open(sys.argv[1], encoding="utf-8"))}
db = sqlite3.connect(sys.argv[2])
got = {r[0]: r for r in db.execute(
    "SELECT record_id, year, agency, field, procedure_code, title, number, issue_date FROM register")}
assert set(got) == set(want), set(got) ^ set(want)
for rid, w in want.items():
    g = got[rid]
    assert (str(g[1]), g[2], g[3], g[4], g[5], g[6], g[7]) == (
        w["year"], w["agency"], w["field"], w["procedure_code"], w["title"],
        w["number"], w["issue_date"]), (g, w)
PY
# An import leaves a snapshot of the coverage, for the trend.
[ "$(sql root "SELECT count(*) FROM snapshots WHERE kind = 'import';")" = 1 ] ||
	fail "no snapshot after the import"
# The same file again changes nothing, and leaves no other snapshot.
expect_exit 0 register import sample/register.csv --root root
expect_in out "0 added, 0 changed (0 field(s)), $rows unchanged"
[ "$(sql root "SELECT count(*) FROM snapshots;")" = 1 ] ||
	fail "an import that changed nothing left a snapshot"

# ---- an export with every edge case ----
"$KHO" init edge >/dev/null
python3 - <<'PY'
rows = [
    "\ufeffID,Agency,YEAR,Field,Title,Number,Desk note",      # 1 BOM, any order
    'HT-2021-00001,UBND phường An Khê,2021,Hộ tịch,"Giấy khai sinh, bản sao",12/2021,',
    'DD-2020-00002,Sở Tài nguyên và Môi trường,2020,Đất đai,"Giấy chứng nhận ""đỏ""',
    'trang 2",CS 1,kệ 4',                                     # 3-4 one row
    '',                                                       # 5 blank
    ',UBND phường An Khê,2021,Hộ tịch,no id,1,',              # 6
    'XD 2022 3,UBND quận Hải Châu,2022,Xây dựng,bad id,1,',   # 7
    'XD-2022-00004,UBND quận Hải Châu,22,Xây dựng,bad year,1,',  # 8
    'HT-2021-00001,UBND phường An Khê,2021,Hộ tịch,twice,1,',  # 9
    'KD-2023-00005,Sở Kế hoạch và Đầu tư,2023,Đăng ký kinh doanh,a,b,c,d',  # 10
    'KD-2023-00006,,2023,Đăng ký kinh doanh,no agency,1,',    # 11
    '  KD-2024-00007 , Sở Kế hoạch và Đầu tư , 2024 ,Đăng ký kinh doanh,trimmed,7,',  # 12
]
with open("edge.csv", "w", encoding="utf-8", newline="") as f:
    f.write("\r\n".join(rows) + "\r\n")
PY
expect_exit 1 register import edge.csv --root edge
expect_in out "9 row(s)"
expect_in out "3 taken, 6 refused"
expect_in out "  line 6: missing id"
expect_in out "  line 7: id 'XD 2022 3' is not a record id"
expect_in out "  line 8: bad year '22' (four digits, 1900 to 2100)"
expect_in out "  line 9: duplicate id 'HT-2021-00001': line 2 has it already"
expect_in out "  line 10: 8 field(s) where the header has 7"
expect_in out "  line 11: missing agency"
expect_in out "all 6 refused row(s) with line and reason:"
refused=$(ls edge/reports/register-import-1-refused.csv)
python3 - "$refused" <<'PY' || fail "refused rows file"
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], encoding="utf-8")))
assert [r["line"] for r in rows] == ["6", "7", "8", "9", "10", "11"], rows
assert rows[3]["id"] == "HT-2021-00001" and "duplicate" in rows[3]["reason"], rows[3]
PY
[ "$(sql edge "SELECT title FROM register WHERE record_id = 'DD-2020-00002';")" = \
  "$(printf 'Giấy chứng nhận "đỏ"\r\ntrang 2')" ] || fail "a quoted field with a line break"
[ "$(sql edge "SELECT title FROM register WHERE record_id = 'HT-2021-00001';")" = \
  "Giấy khai sinh, bản sao" ] || fail "the first of two rows with one id is the one taken"
[ "$(sql edge "SELECT agency || '|' || year FROM register WHERE record_id = 'KD-2024-00007';")" = \
  "Sở Kế hoạch và Đầu tư|2024" ] || fail "blanks around fields are not trimmed"
[ "$(sql edge "SELECT extra FROM register WHERE record_id = 'DD-2020-00002';")" = \
  '{"Desk note":"kệ 4"}' ] || fail "an extra column is not kept"
[ "$(sql edge "SELECT count(*) FROM register_refused;")" = 6 ] || fail "refusals in the catalog"

# The line numbers hold with a byte-order mark and LF line ends too, and
# an invalid UTF-8 row is refused without stopping the import.
printf '\xef\xbb\xbfid,year,agency,field\nA-1,2020,X,Y\nA-2,2020,X\xc3\x28,Y\nA-3,2020,X,Y\n' >latin.csv
expect_exit 1 register import latin.csv --root edge
expect_in out "  line 3: field 3 is not valid UTF-8"
expect_in out "2 taken, 1 refused"

# ---- a newer export ----
python3 - <<'PY'
import csv
src = list(csv.DictReader(open("sample/register.csv", encoding="utf-8")))
# the first row: another number; the second: another year and agency;
# the last left out; one new row.
src[0]["number"] += "-BS"
src[1]["year"] = str(int(src[1]["year"]) + 1)
src[1]["agency"] = "UBND quận Cẩm Lệ"
gone = src.pop()
src.append(dict(src[0], id="HT-2025-99999", number="1"))
with open("newer.csv", "w", encoding="utf-8", newline="") as f:
    w = csv.DictWriter(f, fieldnames=list(src[0]))
    w.writeheader()
    w.writerows(src)
open("first_id", "w").write(src[0]["id"])
open("second_id", "w").write(src[1]["id"])
open("gone_id", "w").write(gone["id"])
PY
expect_exit 0 register import newer.csv --root root
expect_in out "1 added, 2 changed (3 field(s)), $((rows - 3)) unchanged"
expect_in out "1 record(s) of the register are not in this file: kept"
expect_in out "the register now holds $((rows + 1)) record(s) (import 3)"
expect_in out "$(cat second_id)"
[ "$(sql root "SELECT count(*) FROM register WHERE record_id = '$(cat gone_id)';")" = 1 ] ||
	fail "a row missing from a newer export was dropped"
[ "$(sql root "SELECT group_concat(col, ',') FROM (SELECT col FROM register_changes WHERE import = 3 AND record_id = '$(cat second_id)' ORDER BY id);")" = "year,agency" ] ||
	fail "the changes of a row"
[ "$(sql root "SELECT new FROM register_changes WHERE import = 3 AND record_id = '$(cat first_id)' AND col = 'number';")" = \
  "$(sql root "SELECT number FROM register WHERE record_id = '$(cat first_id)';")" ] ||
	fail "the change's new value"
[ "$(sql root "SELECT changed_by FROM register WHERE record_id = '$(cat first_id)';")" = 3 ] ||
	fail "changed_by"

# ---- what is not an export ----
cp root/catalog.db before.db
printf 'name,value\na,b\n' >wrong.csv
expect_exit 2 register import wrong.csv --root root
expect_in err "kho register: 'wrong.csv': the header has no 'id' column"
printf '\xff\xfei\x00d\x00\n\x00' >utf16.csv
expect_exit 2 register import utf16.csv --root root
expect_in err "is UTF-16 text: export it as CSV UTF-8"
: >empty.csv
expect_exit 2 register import empty.csv --root root
expect_in err "'empty.csv' is empty"
expect_exit 2 register import no-such.csv --root root
expect_in err "cannot open 'no-such.csv'"
expect_exit 2 register import --root root
expect_in err "usage: kho register import FILE.csv"
expect_exit 2 register export x.csv --root root
expect_exit 0 register --help
expect_in out "usage: kho register import FILE.csv"
[ "$(sql root 'SELECT count(*) FROM register_imports;')" = 3 ] || fail "a refused file left an import"
check_integrity root
check_integrity edge
