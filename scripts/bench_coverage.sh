#!/usr/bin/env bash
# Benchmark of the coverage capability (a benchmark, not a test): imports a
# generated register of 1,000,000 rows, fills the catalog with archived,
# failed and in-progress records by SQL (as if kho run had made them),
# then times kho report in every format, the missing list, the snapshot a
# run takes, and the import of a newer export that changes 1% of the rows.
# Targets (issue 6): import under 20 s, report under 5 s, on 2 cores.
#
#   scripts/bench_coverage.sh [--rows N] [--build DIR] [--keep DIR]
#
# --build: the build folder with kho (default build/, made when missing);
# --keep: work there and leave it (default: a temporary folder, removed).
set -euo pipefail
cd "$(dirname "$0")/.."
src=$(pwd)

rows=1000000
build=build
keep=
while [ $# -gt 0 ]; do
	case $1 in
	--rows) rows=$2; shift 2 ;;
	--build) build=$2; shift 2 ;;
	--keep) keep=$2; shift 2 ;;
	-h|--help) sed -n '2,13p' "$0"; exit 0 ;;
	*) echo "bench_coverage.sh: unknown argument '$1'" >&2; exit 2 ;;
	esac
done
if [ ! -x "$build/kho" ]; then
	cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
	cmake --build "$build" -j"$(nproc)" --target kho >/dev/null
fi
KHO=$(cd "$build" && pwd)/kho
for tool in python3 sqlite3; do
	command -v $tool >/dev/null || { echo "bench_coverage.sh: needs $tool" >&2; exit 1; }
done

if [ -n "$keep" ]; then
	mkdir -p "$keep"
	T=$(cd "$keep" && pwd)
else
	T=$(mktemp -d "${TMPDIR:-/tmp}/kho-bench-XXXXXX")
	trap 'rm -rf "$T"' EXIT
fi
cd "$T"
rm -rf root register.csv register-2.csv

now() { date +%s.%N; }
# timed LABEL CMD...: runs CMD (output in $T/last.out) and prints its wall
# time and its CPU time (user + system): on a shared machine the second
# is the one to compare with the targets.
timed() {
	local label=$1 rc=0
	shift
	local TIMEFORMAT='%R %U %S'
	{ time "$@" >"$T/last.out" 2>"$T/last.err"; } 2>"$T/last.time" || rc=$?
	if [ $rc -ne 0 ] && [ $rc -ne 1 ]; then
		cat "$T/last.err" >&2
		exit $rc
	fi
	read -r wall user sys <"$T/last.time"
	awk -v l="$label" -v w="$wall" -v u="$user" -v s="$sys" \
		'BEGIN { printf "%-46s %7.2f s %7.2f s\n", l, w, u + s }'
}

echo "kho $("$KHO" --version | cut -d' ' -f2), $(nproc) CPU(s), load $(cut -d' ' -f1-3 /proc/loadavg), $rows register rows, in $T"
printf '%-46s %9s %9s\n' "" "wall" "CPU"

# The register: agencies and fields as a city's export has them, titles
# with commas (quoted), a byte-order mark; the second export changes 1%.
python3 - "$rows" <<'PY'
import csv, sys
n = int(sys.argv[1])
agencies = ["UBND phường Hải Châu I", "UBND phường Thạch Thang",
            "UBND phường An Khê", "UBND phường Mân Thái", "UBND phường Khuê Mỹ",
            "UBND phường Hòa Khánh Bắc", "UBND quận Sơn Trà", "UBND quận Hải Châu",
            "UBND quận Thanh Khê", "Sở Tài nguyên và Môi trường thành phố Đà Nẵng",
            "Văn phòng Đăng ký đất đai thành phố Đà Nẵng",
            "Sở Xây dựng thành phố Đà Nẵng",
            "Sở Kế hoạch và Đầu tư thành phố Đà Nẵng",
            "Phòng Tài chính - Kế hoạch quận Cẩm Lệ"]
fields = [("HT", "Hộ tịch", "Giấy khai sinh"),
          ("DD", "Đất đai", "Giấy chứng nhận quyền sử dụng đất, quyền sở hữu nhà ở"),
          ("XD", "Xây dựng", "Giấy phép xây dựng"),
          ("KD", "Đăng ký kinh doanh", "Giấy chứng nhận đăng ký hộ kinh doanh")]
for name, changed in (("register.csv", False), ("register-2.csv", True)):
    with open(name, "w", newline="", encoding="utf-8-sig") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["id", "year", "agency", "field", "procedure_code",
                    "title", "number", "issue_date", "desk_note"])
        for i in range(n):
            prefix, field, title = fields[i % 4]
            year = 2020 + (i // 4) % 6
            agency = agencies[(i * 7) % len(agencies)]
            number = f"{i % 9973}/{year}"
            if changed and i % 100 == 37:
                number += "-BS"
            w.writerow([f"{prefix}-{year}-{i:07d}", year, agency, field,
                        f"1.00{i % 4000:04d}", title, number,
                        f"{year}-{1 + i % 12:02d}-{1 + i % 28:02d}",
                        "" if i % 3 else "shelf A"])
PY
printf '%-46s %9s\n' "register.csv" "$(du -h register.csv | cut -f1)"

"$KHO" init root >/dev/null
timed "register import ($rows rows, new)" "$KHO" register import register.csv --root root
grep -E "taken|register now" "$T/last.out" | sed 's/^/    /'

# The catalog as nights of kho run would leave it: 65% of the register
# scanned (63% archived, 1% failed at compress, 1% waiting at describe),
# plus orphans (1 in 1000 of the scanned ids mistyped) and re-scans
# (version 2 of 1 in 200); the last night (run 2) did 2% of it.
t0=$(now)
sqlite3 root/catalog.db <<'SQL'
PRAGMA synchronous = OFF;
BEGIN;
CREATE TEMP TABLE pick AS
  SELECT CASE WHEN n % 1000 = 501 THEN record_id || 'X' ELSE record_id END
         AS record_id, n
  FROM (SELECT record_id, CAST(substr(record_id, 9) AS INTEGER) AS n FROM register)
  WHERE n % 100 < 65;
CREATE INDEX temp.pick_id ON pick(record_id);
INSERT INTO records (record_id, version, batch, source, fingerprint, ingested_at, current)
  SELECT record_id, 1, 'bench', 'bench', 'x', '2026-11-01T00:00:00.000Z', n % 200 <> 7
  FROM pick;
INSERT INTO records (record_id, version, batch, source, fingerprint, ingested_at)
  SELECT record_id, 2, 'bench', 'bench', 'y', '2026-11-02T00:00:00.000Z'
  FROM pick WHERE n % 200 = 7;
INSERT INTO jobs (stage, record_id, state, queued_at, finished_at, run, fingerprint)
  SELECT 'ingest', record_id, 'done', '2026-11-01T00:00:00.000Z',
         '2026-11-01T00:10:00.000Z', 1, 'fp-' || n
  FROM pick;
CREATE TEMP TABLE st (stage TEXT, rank INTEGER);
INSERT INTO st VALUES ('normalize', 1), ('compress', 2), ('describe', 3), ('pack', 4);
INSERT INTO jobs (stage, record_id, record, state, queued_at, finished_at, run)
  SELECT st.stage, r.record_id, r.id,
         CASE WHEN p.n % 100 = 63 AND st.rank = 2 THEN 'failed'
              WHEN p.n % 100 = 64 AND st.rank = 3 THEN 'pending'
              ELSE 'done' END,
         '2026-11-01T00:00:00.000Z', '2026-11-01T01:00:00.000Z',
         CASE WHEN p.n % 50 = 0 THEN 2 ELSE 1 END
  FROM records r JOIN pick p ON p.record_id = r.record_id
  JOIN st ON st.rank <= CASE p.n % 100 WHEN 63 THEN 2 WHEN 64 THEN 3 ELSE 4 END;
UPDATE jobs SET error = 'cannot decode ''page-001.jpg'': premature end of JPEG file'
  WHERE state = 'failed';
INSERT INTO volumes (name, state, size, sha256, members, created_at)
  SELECT printf('vol-%06d.tar', v), 'sealed', 4294967296, 'x', 2000, '2026-11-01T02:00:00.000Z'
  FROM (WITH RECURSIVE c(v) AS (SELECT 1 UNION ALL SELECT v + 1 FROM c WHERE v < 700) SELECT v FROM c);
INSERT INTO archive (record, record_id, version, volume, bag, member, offset, size, sha256)
  SELECT j.record, j.record_id, r.version, 1 + j.record % 700,
         j.record_id || '.' || r.version,
         j.record_id || '.' || r.version || '/data/' || m.name, 0, 1000, 'x'
  FROM jobs j JOIN records r ON r.id = j.record,
       (SELECT 'result.pdf' AS name UNION ALL SELECT 'metadata.json') m
  WHERE j.stage = 'pack' AND j.state = 'done';
-- Last night's run (2) did 2% of them, with their pages (3 each).
INSERT INTO runs (id, command, pid, started_at, ended_at, outcome)
  VALUES (1, 'kho run', 1, '2026-10-01T00:00:00.000Z',
          '2026-10-31T06:00:00.000Z', 'ok'),
         (2, 'kho run', 1, '2026-11-01T00:00:00.000Z',
          '2026-11-01T06:00:00.000Z', 'ok');
INSERT INTO pages (record, page_no, original, file_page, width, height,
                   channels, bits, orientation, xdpi, ydpi, dpi_source, description)
  SELECT j.record, k.k, 0, k.k, 2480, 3508, 1, 8, 1, 300, 300, 'file', ''
  FROM jobs j, (SELECT 1 AS k UNION ALL SELECT 2 UNION ALL SELECT 3) k
  WHERE j.run = 2 AND j.stage = 'pack' AND j.state = 'done';
COMMIT;
SQL
t1=$(now)
awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%-46s %7.2f s\n", "catalog filled by SQL (not kho)", b - a }'
sqlite3 root/catalog.db "SELECT '    records ' || count(*) || ', jobs ' || (SELECT count(*) FROM jobs) || ', archive rows ' || (SELECT count(*) FROM archive) FROM records;"

timed "report, text" "$KHO" report --root root
grep -E "^all |kho status counts" "$T/last.out" | sed 's/^/    /'
timed "report, json" "$KHO" report --root root --format json -o report.json
timed "report, csv" "$KHO" report --root root --format csv -o report.csv
timed "report, html" "$KHO" report --root root -o report.html
printf '%-46s %9s\n' "    report.html" "$(du -h report.html | cut -f1)"
timed "missing list (csv)" "$KHO" report --root root --missing -o missing.csv
printf '%-46s %9s\n' "    missing.csv" "$(wc -l <missing.csv) lines"
timed "register import (newer export, 1% changed)" "$KHO" register import register-2.csv --root root
grep -E "changed|register now" "$T/last.out" | head -2 | sed 's/^/    /'
timed "register import (same file again)" "$KHO" register import register-2.csv --root root
timed "report --morning" "$KHO" report --root root --morning
grep -E "^archived|^failed" "$T/last.out" | sed 's/^/    /'
# kho run ends with a snapshot of the coverage; with nothing else to do
# (the waiting records made failed first) that is most of its time.
sqlite3 root/catalog.db "UPDATE jobs SET state = 'failed' WHERE state = 'pending';"
timed "kho run, nothing to do (recovery + snapshot)" "$KHO" run --root root -j 2
