#!/usr/bin/env bash
# Every file in ../shared/realdata goes through ingest: it is ingested or
# refused with a message that names it and the reason; none crashes a
# worker (under the sanitizer build a sanitizer report does that), none
# takes longer than 5 seconds (the per-page limit kills it and says so).
. "$(dirname "$0")/../cli/lib.sh"

R=${KHO_REALDATA:-$KHO_SOURCE_DIR/../shared/realdata}
[ -d "$R" ] || skip "$R is absent: the real-data tests need ../shared/realdata"

# One record per file, mapped by manifest.csv so that any file name works.
mkdir inbox
echo "file,record,page" >inbox/manifest.csv
n=0
while IFS= read -r f; do
	n=$((n + 1))
	name=$(printf 'f%04d-%s' "$n" "$(basename "$f" | tr -c 'A-Za-z0-9._\n-' '_')")
	cp "$f" "inbox/$name"
	printf '%s,R%04d,1\n' "$name" "$n" >>inbox/manifest.csv
	printf 'R%04d %s\n' "$n" "$name" >>map.txt
done < <(find "$R" -type f | sort)

"$KHO" init root >/dev/null
run_kho ingest --root root inbox --page-timeout 5 -j 2
[ "$rc" = 0 ] || [ "$rc" = 1 ] || { cat "$T/err"; fail "kho ingest exited $rc"; }

ingested=0
refused=0
while read -r rec name; do
	state=$(sql root "SELECT state FROM jobs WHERE stage='ingest' AND record_id='$rec';")
	error=$(sql root "SELECT coalesce(error, '') FROM jobs WHERE stage='ingest' AND record_id='$rec';")
	case "$state" in
	done) ingested=$((ingested + 1)) ;;
	failed)
		refused=$((refused + 1))
		case "$error" in *"'$name'"*) ;; *) fail "$name: the message does not name the file: $error" ;; esac
		case "$error" in *worker*) fail "$name: $error" ;; esac
		;;
	*) fail "$name: ingest state '$state'" ;;
	esac
	printf '%-6s %-60s %s\n' "$state" "$name" "$error" >>outcomes.txt
done <map.txt
cat outcomes.txt
echo "$n files: $ingested ingested, $refused refused"
[ $((ingested + refused)) = "$n" ] || fail "not every file has an outcome"

# Known outcomes.
want() {
	grep -E "^$1 +f[0-9]{4}-$2 " outcomes.txt >/dev/null || fail "$2 is not $1"
}
want done testorig.jpg
want done pport_g4.tif
want done multipage.tiff
want done phototest.tif
want done imgsrc001.png
want failed truncated_jpeg.jpg
want failed truncated_image.png
want failed truncated_end_chunk.png
want failed monkey12.jpg
want failed test_ifd_loop_to_self.tif
want failed libtiff_segfault.tif
for i in 1 2 3 4 5 6 7 8; do want done "g4_orientation_$i.tif"; done
[ "$(sql root "SELECT count(*) FROM pages p JOIN originals o ON o.id=p.original WHERE o.name LIKE '%total-pages-zero.tif';")" = 3 ] ||
	fail "total-pages-zero.tif is not 3 pages"
# Its pages are a fax's, 1728 x 2156 pixels at 204 x 196 dpi: made
# square, a US Letter page at 204 dpi.
fax=$(sql root "SELECT DISTINCT p.width || ' ' || p.height || ' ' || p.xdpi || ' ' || p.ydpi FROM pages p JOIN originals o ON o.id=p.original WHERE o.name LIKE '%total-pages-zero.tif';")
[ "$fax" = "1728 2244 204.0 204.0" ] || fail "total-pages-zero.tif's fax pages: $fax"
for i in 1 2 3 4 5 6 7 8; do
	o=$(sql root "SELECT p.orientation FROM pages p JOIN originals o ON o.id=p.original WHERE o.name LIKE '%g4_orientation_$i.tif';")
	[ "$o" = "$i" ] || fail "g4_orientation_$i.tif: orientation $o"
done

# The rest of the pipeline takes what ingest took.
run_kho run --root root --page-timeout 30 -j 2
[ "$rc" = 0 ] || [ "$rc" = 1 ] || { cat "$T/err"; fail "kho run exited $rc"; }
expect_not_in out "worker"
[ "$(sql root "SELECT count(*) FROM jobs WHERE stage='pack' AND state='done';")" = "$ingested" ] ||
	fail "not every ingested file was archived: $(cat out)"
check_bags root
echo ok
