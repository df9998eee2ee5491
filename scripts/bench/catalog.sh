#!/usr/bin/env bash
# The catalog's cost per record as it grows (issue 8: flat from 1,000 to
# 1,000,000 records, ingest and status).
#
#   scripts/bench/catalog.sh [--sizes "1000 10000 100000 1000000"]
#                            [--batch N] [--keep DIR]
#
# A catalog of each size is made from a real one: kho-genscans makes 20
# small records, `kho run` takes them from inbox to warehouse, and SQL
# copies every row of theirs (records, originals, pages, plans, jobs,
# outputs, events, publications, warehouse members) under new record ids
# and hashes until the catalog holds the size's records, as nights of
# kho run would have left it.  Then, in that work root:
#   - kho run with nothing to do and the whole-catalog check due, as a
#     night's first command has it (the check then counts for a day);
#   - kho status and kho status --json;
#   - kho ingest of one fixed batch (--batch records of small generated
#     pages, 40 by default), the same pages at every size;
#   - kho run, which takes that batch on to the warehouse and ends as a
#     run does (recovery, the summary, the coverage snapshot);
#   - kho run with nothing to do: a command's own cost.
# Prints, for each size, the catalog's size on disk, the wall and CPU
# time of each command, and the CPU per record: status's over the
# catalog's records, ingest's and run's over the batch's.  Flat means
# the per-record figures do not grow with the catalog.  A catalog of a
# million records takes about 9 GB of disk here, in --keep or $TMPDIR.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

sizes="1000 10000 100000 1000000" batch=40 keep=""
while [ $# -gt 0 ]; do
	case $1 in
	--sizes) sizes=$2; shift 2 ;;
	--batch) batch=$2; shift 2 ;;
	--keep) keep=$2; shift 2 ;;
	*) echo "usage: $0 [--sizes \"1000 10000 ...\"] [--batch N] [--keep DIR]" >&2
	   exit 2 ;;
	esac
done
bench_need "apt-get install sqlite3 python3" sqlite3 python3
bench_build
GEN=$build/kho-genscans
bench_workdir "$keep" catalog

# timed LABEL CMD...: CMD's wall and CPU seconds (user + system, its
# workers included) appended to $W/times as "LABEL wall cpu".
timed() {
	local label=$1 rc=0
	shift
	local TIMEFORMAT='%R %U %S'
	{ time "$@" >"$W/last.out" 2>"$W/last.err"; } 2>"$W/last.time" || rc=$?
	if [ $rc -ne 0 ]; then
		echo "catalog.sh: '$*' exited $rc" >&2
		tail -5 "$W/last.err" >&2
		exit 1
	fi
	read -r wall user sys <"$W/last.time"
	echo "$label $wall $(awk -v u="$user" -v s="$sys" 'BEGIN { print u + s }')" >>"$W/times"
}

echo "the template (20 records) and the batch ($batch records)..." >&2
"$GEN" --out "$W/tgen" --quick --records 20 --seed 11 --no-damaged >/dev/null
"$GEN" --out "$W/bgen" --quick --records "$batch" --seed 12 --no-damaged >/dev/null
"$KHO" init "$W/template" >/dev/null
"$KHO" run --root "$W/template" --inbox "$W/tgen/inbox" -j 2 --nice 0 \
	>/dev/null 2>&1
tcount=$(sqlite3 "$W/template/catalog.db" "SELECT count(*) FROM records;")
bpages=$(find "$W/bgen/inbox" -type f ! -name '*.csv' | wc -l)
: >"$W/times"

for n in $sizes; do
	copies=$(( (n + tcount - 1) / tcount - 1 ))
	root=$W/root-$n
	rm -rf "$root"
	cp -a "$W/template" "$root"
	echo "catalog of $n records: filling..." >&2
	t0=$(date +%s.%N)
	sqlite3 "$root/catalog.db" >/dev/null <<SQL
PRAGMA journal_mode = OFF;
PRAGMA synchronous = OFF;
PRAGMA cache_size = -262144;
BEGIN;
CREATE TEMP TABLE k (k INTEGER PRIMARY KEY);
INSERT INTO k WITH RECURSIVE c(v) AS (SELECT 1 UNION ALL SELECT v + 1 FROM c WHERE v < $copies)
  SELECT v FROM c WHERE $copies > 0;
CREATE TEMP TABLE m AS SELECT
  (SELECT max(id) FROM records) AS rec, (SELECT max(id) FROM originals) AS ori,
  (SELECT max(id) FROM pages) AS pag, (SELECT max(id) FROM jobs) AS job,
  (SELECT max(id) FROM events) AS ev, (SELECT max(id) FROM archive) AS arc;
-- A copy's record id: 'C<k>-' and the template's; its hashes end in k.
INSERT INTO records (id, record_id, version, batch, desk, source, fingerprint, ingested_at, current)
  SELECT id + k * m.rec, 'C' || k || '-' || record_id, version, batch, desk, source,
         fingerprint || '-' || k, ingested_at, current
  FROM k, m, main.records ORDER BY k, id;
INSERT INTO originals (id, record, seq, name, sha256, size, format, pages)
  SELECT id + k * m.ori, record + k * m.rec, seq, name,
         substr(sha256, 1, 52) || printf('%012x', k), size, format, pages
  FROM k, m, main.originals ORDER BY k, id;
INSERT INTO pages (id, record, page_no, original, file_page, width, height, channels, bits,
                   orientation, xdpi, ydpi, dpi_source, description)
  SELECT id + k * m.pag, record + k * m.rec, page_no, original + k * m.ori, file_page,
         width, height, channels, bits, orientation, xdpi, ydpi, dpi_source, description
  FROM k, m, main.pages ORDER BY k, id;
INSERT INTO plans
  SELECT page + k * m.pag, rotation, mirror, skew, skew_confidence, crop_x, crop_y,
         crop_w, crop_h, mode, dpi, source_dpi, blank_score, blank, flags,
         measurements, decided_at
  FROM k, m, main.plans ORDER BY k, page;
INSERT INTO jobs (id, stage, record_id, record, state, attempts, worker, run, input,
                  fingerprint, queued_at, started_at, finished_at, error, detail)
  SELECT id + k * m.job, stage, 'C' || k || '-' || record_id, record + k * m.rec, state,
         attempts, worker, run, input,
         CASE WHEN fingerprint IS NULL THEN NULL ELSE fingerprint || '-' || k END,
         queued_at, started_at, finished_at, error, detail
  FROM k, m, main.jobs ORDER BY k, id;
INSERT INTO outputs
  SELECT record + k * m.rec, name, substr(sha256, 1, 52) || printf('%012x', k), size,
         stage, made_at
  FROM k, m, main.outputs ORDER BY k, record, name;
INSERT INTO events (id, at, run, record, record_id, stage, type, outcome, detail, program, version)
  SELECT id + k * m.ev, at, run, record + k * m.rec, 'C' || k || '-' || record_id, stage,
         type, outcome, detail, program, version
  FROM k, m, main.events WHERE record IS NOT NULL ORDER BY k, id;
INSERT INTO publications
  SELECT record + k * m.rec, 'C' || k || '-' || record_id, published_at, code, payload,
         described_at
  FROM k, m, main.publications ORDER BY k, record;
INSERT INTO archive (id, record, record_id, version, volume, bag, member, offset, size, sha256)
  SELECT id + k * m.arc, record + k * m.rec, 'C' || k || '-' || record_id, version, volume,
         'C' || k || '-' || bag, 'C' || k || '-' || member, offset, size,
         substr(sha256, 1, 52) || printf('%012x', k)
  FROM k, m, main.archive ORDER BY k, id;
COMMIT;
SQL
	t1=$(date +%s.%N)
	# The fill's writes on the disk before anything is timed: else the
	# first command's fsync would wait for gigabytes of them.
	sync "$root/catalog.db"
	records=$(sqlite3 "$root/catalog.db" "SELECT count(*) FROM records;")
	mb=$(du -m "$root/catalog.db" | cut -f1)
	echo "fill-$n $(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }') $records $mb" >>"$W/fills"
	# Read once so that every size starts with its catalog in the page
	# cache, as a machine that works on it nightly has it.
	cat "$root/catalog.db" >/dev/null
	echo "catalog of $records records ($mb MB): status, ingest, run..." >&2
	# First the night's check of the whole catalog (due: the copy's is
	# the template's), which the commands after it rely on as a day's
	# commands do.
	sqlite3 "$root/catalog.db" "UPDATE checks SET at = '2000-01-01T00:00:00.000Z';"
	timed "check-$n" "$KHO" run --root "$root" -j 1 --nice 0
	timed "status-$n" "$KHO" status --root "$root"
	timed "json-$n" "$KHO" status --root "$root" --json
	timed "ingest-$n" "$KHO" ingest --root "$root" --inbox "$W/bgen/inbox" -j 1 --nice 0
	timed "run-$n" "$KHO" run --root "$root" -j 1 --nice 0
	# With nothing left to do: a command's own cost.
	timed "idle-$n" "$KHO" run --root "$root" -j 1 --nice 0
	archived=$(sqlite3 "$root/catalog.db" \
		"SELECT count(*) FROM jobs WHERE stage = 'pack' AND state = 'done';")
	if [ "$archived" -ne $((records + batch)) ]; then
		echo "catalog.sh: $archived of $((records + batch)) records archived at size $n" >&2
		exit 1
	fi
	# And kho status says so, from its own counts.
	said=$("$KHO" status --root "$root" --json |
		python3 -c 'import json, sys; r = json.load(sys.stdin)["records"]; print(r["current"], r["archived"], r["in_progress"], r["failed"])')
	if [ "$said" != "$((records + batch)) $((records + batch)) 0 0" ]; then
		echo "catalog.sh: kho status counts '$said' (current, archived, in progress, failed) at size $n" >&2
		exit 1
	fi
	[ -n "$keep" ] || rm -rf "$root"
done

echo
echo "kho $("$KHO" --version | cut -d' ' -f2), $(nproc) CPU(s), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "batch: $batch records, $bpages files.  Seconds, wall / CPU (user + system):"
echo "check is kho run with nothing to do and the whole-catalog check due (as"
echo "once a day); ingest and run take the batch in; idle is kho run with"
echo "nothing to do."
echo
printf '%9s %6s %6s | %11s %11s | %11s %11s | %11s %11s\n' \
	records MB fill status "status --json" "ingest" run idle check
for n in $sizes; do
	read -r _ fill records mb < <(grep "^fill-$n " "$W/fills")
	line=$(printf '%9d %6d %6.1f' "$records" "$mb" "$fill")
	for t in status json ingest run idle check; do
		read -r _ wall cpu < <(grep "^$t-$n " "$W/times")
		line+=$(awk -v w="$wall" -v c="$cpu" -v t=$t 'BEGIN {
			printf "%s%5.2f/%5.2f", (t == "status" || t == "ingest" || t == "idle") ? " | " : " ", w, c }')
	done
	echo "$line"
done
echo
echo "CPU per record: status over the catalog's records, ingest and run over the batch's"
printf '%9s | %12s %12s | %12s %12s\n' records "status us" "--json us" "ingest ms" "run ms"
for n in $sizes; do
	read -r _ _ records _ < <(grep "^fill-$n " "$W/fills")
	read -r _ _ sc < <(grep "^status-$n " "$W/times")
	read -r _ _ jc < <(grep "^json-$n " "$W/times")
	read -r _ _ ic < <(grep "^ingest-$n " "$W/times")
	read -r _ _ rc < <(grep "^run-$n " "$W/times")
	awk -v n="$records" -v sc="$sc" -v jc="$jc" -v ic="$ic" -v rc="$rc" \
		-v b="$batch" 'BEGIN {
		printf "%9d | %12.2f %12.2f | %12.1f %12.1f\n",
			n, sc * 1e6 / n, jc * 1e6 / n, ic * 1e3 / b, rc * 1e3 / b }'
done
