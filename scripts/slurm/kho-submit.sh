#!/usr/bin/env bash
# Submits one night's batch to Slurm as a job array of N shards
# (scripts/slurm/kho-night.sbatch; docs/SLURM.md), after checking what a
# night needs, so that a mistake is said here and now rather than in N
# logs in the morning:
#   - sbatch and kho run;
#   - every inbox is a readable folder that holds something;
#   - the register is a readable CSV with the columns kho needs;
#   - ROOTS holds the work roots of this split (ROOTS/s01of04 ...), made
#     here when missing, each of them its own shard, none of another split;
#   - the register is imported into every root (describe and the report
#     need it there; an import refuses what kho register import refuses).
#
# usage: scripts/slurm/kho-submit.sh --roots DIR --shards N --inbox DIR
#            [--inbox DIR...] --register FILE.csv
#            [--until HH:MM | --for DURATION] [--cpus N] [--kho PATH]
#            [--logs DIR] [--report DIR] [--wait] [-- SBATCH-OPTION...]
#
#   --roots DIR       the folder of the shards' work roots, on a file system
#                     every node sees
#   --shards N        how many shards (array tasks); keep N from night to night
#   --inbox DIR       an inbox (absolute or relative to here); again for more
#   --register FILE   the register export (CSV)
#   --until, --for    the night window of kho run; the tasks' time limit is
#                     the window and 30 minutes
#   --cpus N          CPUs per task, kho run -j N (default 1)
#   --kho PATH        the kho program every node runs (default: kho on the
#                     PATH, else build/kho of this tree)
#   --logs DIR        one log per task, kho-night-JOB_I.out (default ROOTS/logs)
#   --report DIR      also submit kho-report.sbatch after the array: the
#                     combined coverage report and status into DIR
#   --wait            wait for the jobs to end; the exit status is then the
#                     highest of the tasks' (0, 1 some records failed, 2, 3)
#   -- ...            anything more for sbatch (--partition, --account, ...)
# Exit status without --wait: 0 submitted; 2 usage; 1 a check failed.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
die() { echo "kho-submit: $*" >&2; exit 1; }
usage() { echo "kho-submit: $*" >&2; sed -n '/^# usage:/,/^#            \[--logs/p' "$0" | sed 's/^# //' >&2; exit 2; }

roots="" shards="" register="" window=() cpus=1 kho="" logs="" report="" wait=0
inboxes=() extra=()
while [ $# -gt 0 ]; do
	case "$1" in
	--roots | --shards | --inbox | --register | --until | --for | --cpus | --kho | --logs | --report)
		[ $# -ge 2 ] || usage "option '$1' needs a value"
		case "$1" in
		--roots) roots=$2 ;;
		--shards) shards=$2 ;;
		--inbox) inboxes+=("$2") ;;
		--register) register=$2 ;;
		--until | --for)
			[ ${#window[@]} -eq 0 ] || usage "give --until or --for, once"
			window=("$1" "$2") ;;
		--cpus) cpus=$2 ;;
		--kho) kho=$2 ;;
		--logs) logs=$2 ;;
		--report) report=$2 ;;
		esac
		shift 2 ;;
	--wait) wait=1; shift ;;
	--) shift; extra=("$@"); break ;;
	-h | --help) sed -n '2,/^set -uo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) usage "unknown argument '$1'" ;;
	esac
done
[ -n "$roots" ] || usage "give --roots DIR"
[ -n "$shards" ] || usage "give --shards N"
[ ${#inboxes[@]} -gt 0 ] || usage "give at least one --inbox DIR"
[ -n "$register" ] || usage "give --register FILE.csv"
[[ "$shards" =~ ^[1-9][0-9]{0,2}$ ]] || usage "--shards '$shards' is not a number from 1 to 999"
[[ "$cpus" =~ ^[1-9][0-9]*$ ]] || usage "--cpus '$cpus' is not a number of CPUs"
time_limit=()
if [ ${#window[@]} -gt 0 ]; then
	# The tasks' time limit: the window, and 30 minutes for what runs
	# when it closes (Slurm's SIGTERM then stops kho run cleanly).
	minutes=0
	if [ "${window[0]}" = --until ]; then
		[[ "${window[1]}" =~ ^([01]?[0-9]|2[0-3]):([0-5][0-9])$ ]] ||
			usage "--until '${window[1]}' is not a time HH:MM"
		now=$(date +%s)
		at=$(date -d "${window[1]}" +%s) || usage "--until '${window[1]}'"
		[ "$at" -le "$now" ] && at=$(date -d "tomorrow ${window[1]}" +%s)
		minutes=$(((at - now + 59) / 60))
	else
		[[ "${window[1]}" =~ ^([0-9]+[hms])+$ ]] ||
			usage "--for '${window[1]}' is not a duration such as 6h, 90m or 1h30m"
		rest=${window[1]} seconds=0
		while [[ "$rest" =~ ^([0-9]+)([hms])(.*)$ ]]; do
			case "${BASH_REMATCH[2]}" in
			h) seconds=$((seconds + BASH_REMATCH[1] * 3600)) ;;
			m) seconds=$((seconds + BASH_REMATCH[1] * 60)) ;;
			s) seconds=$((seconds + BASH_REMATCH[1])) ;;
			esac
			rest=${BASH_REMATCH[3]}
		done
		minutes=$(((seconds + 59) / 60))
	fi
	time_limit=(--time=$((minutes + 30)))
fi

# ---- the programs ----
command -v sbatch >/dev/null ||
	die "sbatch is not here: run this on a Slurm login node (Debian: slurm-client)"
if [ -z "$kho" ]; then
	kho=$(command -v kho || true)
	[ -n "$kho" ] || kho="$here/../../build/kho"
fi
[ -x "$kho" ] || die "kho program '$kho' is not there or not executable (--kho PATH)"
kho=$(realpath "$kho")
"$kho" --version >/dev/null 2>&1 || die "'$kho' does not run here"

# ---- the inboxes and the register ----
abs_inboxes=()
for inbox in "${inboxes[@]}"; do
	[ -e "$inbox" ] || die "inbox '$inbox' does not exist (is the scans' file system mounted?)"
	[ -d "$inbox" ] || die "inbox '$inbox' is not a folder"
	[ -r "$inbox" ] && [ -x "$inbox" ] || die "inbox '$inbox' cannot be read"
	[ -n "$(ls -A "$inbox" 2>/dev/null)" ] ||
		die "inbox '$inbox' is empty: nothing to do tonight (is the right folder mounted?)"
	abs_inboxes+=(--inbox "$(realpath "$inbox")")
done
[ -e "$register" ] || die "register '$register' does not exist"
[ -f "$register" ] && [ -r "$register" ] || die "register '$register' is not a readable file"
[ -s "$register" ] || die "register '$register' is empty"
header=$(head -n 1 "$register" | sed 's/^\xEF\xBB\xBF//' | tr -d '\r' | tr 'A-Z' 'a-z' | tr -d ' "')
for col in year agency field; do
	case ",$header," in
	*",$col,"*) ;;
	*) die "register '$register' has no '$col' column in its first line (id,year,agency,field,...): is it the case system's CSV export?" ;;
	esac
done
case ",$header," in
*",id,"* | *",record_id,"* | *",record,"*) ;;
*) die "register '$register' has no 'id' column in its first line" ;;
esac
register=$(realpath "$register")

# ---- the work roots ----
mkdir -p "$roots" 2>/dev/null || die "cannot make the roots folder '$roots'"
[ -w "$roots" ] || die "the roots folder '$roots' cannot be written"
roots=$(realpath "$roots")
w=${#shards}
[ "$w" -lt 2 ] && w=2
suffix=$(printf 'of%0*d' "$w" "$shards")
for other in "$roots"/s*of*; do
	[ -e "$other" ] || continue
	case "$(basename "$other")" in
	s*"$suffix") ;;
	*) die "'$roots' holds '$(basename "$other")', a root of another split: a batch keeps its number of shards (their records would be archived again); give another --roots folder" ;;
	esac
done
list=()
for i in $(seq 1 "$shards"); do
	root=$(printf '%s/s%0*d%s' "$roots" "$w" "$i" "$suffix")
	list+=("$root")
	if [ ! -e "$root/kho.conf" ]; then
		"$kho" init "$root" >/dev/null || die "cannot make work root '$root'"
	fi
	shard=$("$kho" status --root "$root" --json 2>&1 |
		sed -n 's/^  "shard": \(null\|"\([0-9\/]*\)"\),\{0,1\}$/\2/p')
	if [ -n "$shard" ] && [ "$shard" != "$i/$shards" ]; then
		die "work root '$root' is shard $shard, not $i/$shards"
	fi
	out=$("$kho" register import "$register" --root "$root" 2>&1)
	rc=$?
	if [ "$rc" -ge 2 ]; then
		echo "$out" >&2
		die "the register cannot be imported into '$root' (exit $rc): nothing submitted"
	fi
	if [ "$i" = 1 ]; then
		echo "$out" | sed 's/^/kho-submit: /'
		[ "$rc" = 1 ] && echo "kho-submit: some register rows were refused (listed above): the night goes on without them" >&2
	fi
done

# ---- submit ----
[ -n "$logs" ] || logs="$roots/logs"
mkdir -p "$logs" || die "cannot make the logs folder '$logs'"
logs=$(realpath "$logs")
args=(--roots "$roots" --shards "$shards" --kho "$kho" "${abs_inboxes[@]}" "${window[@]}")
wait_array=()
[ "$wait" = 1 ] && [ -z "$report" ] && wait_array=(--wait)
job=$(sbatch --parsable --array="1-$shards" --cpus-per-task="$cpus" \
	--output="$logs/kho-night-%A_%a.out" "${time_limit[@]}" "${wait_array[@]}" \
	"${extra[@]}" "$here/kho-night.sbatch" "${args[@]}")
rc=$?
job=${job%%;*}
if [ -z "$job" ]; then
	die "sbatch did not take the array (exit $rc)"
fi
echo "kho-submit: job array $job: $shards shard(s) of $((${#abs_inboxes[@]} / 2)) inbox(es) into $roots, logs in $logs/kho-night-${job}_I.out"
if [ -n "$report" ]; then
	mkdir -p "$report" || die "cannot make the report folder '$report'"
	report=$(realpath "$report")
	wait_report=()
	[ "$wait" = 1 ] && wait_report=(--wait)
	rjob=$(sbatch --parsable --dependency="afterany:$job" \
		--output="$logs/kho-report-%j.out" "${wait_report[@]}" "${extra[@]}" \
		"$here/kho-report.sbatch" --roots "$roots" --shards "$shards" \
		--out "$report" --kho "$kho")
	rrc=$?
	rjob=${rjob%%;*}
	[ -n "$rjob" ] || die "sbatch did not take the report job (exit $rrc)"
	echo "kho-submit: report job $rjob after it: coverage into $report"
fi
echo "kho-submit: the shards together: $kho report --roots $roots/s*$suffix"
[ "$wait" = 1 ] || exit 0

# --wait: the highest exit status of the array's tasks, from their logs.
worst=0
for i in $(seq 1 "$shards"); do
	log="$logs/kho-night-${job}_$i.out"
	line=$(grep -h "^kho-night: shard $i/$shards: kho run exited " "$log" 2>/dev/null | tail -1)
	if [ -z "$line" ]; then
		echo "kho-submit: shard $i/$shards did not end normally (see $log)" >&2
		worst=3
		continue
	fi
	st=${line##*exited }
	st=${st%%,*}
	echo "kho-submit: shard $i/$shards: kho run exited $st"
	[ "$st" -gt "$worst" ] && worst=$st
done
if [ -n "$report" ] && [ "${rrc:-0}" -ne 0 ]; then
	echo "kho-submit: the report job exited $rrc (see $logs/kho-report-$rjob.out)" >&2
	[ "$rrc" -gt "$worst" ] && worst=$rrc
fi
exit "$worst"
