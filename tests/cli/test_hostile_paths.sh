#!/usr/bin/env bash
# Hostile names in an inbox, beyond what test_inbox.sh covers: record ids
# and manifest entries with '..', control characters, NUL bytes, 300-byte
# names, Cyrillic look-alikes, links out of the inbox through folders and
# from inside record folders, link loops.  Nothing outside the inbox is
# read, nothing hangs, every refusal names what it refused in printable
# form, and the warehouse holds only member names kho builds.
. "$(dirname "$0")/lib.sh"

S="$KHO_SOURCE_DIR/testdata/scans"
PNG="$S/blank-a5-100dpi.png"
PNG2="$S/page-number-only-a5-100dpi.png"
# The secret is an image no inbox file equals, so that its hash in the
# store would show it was read.
SECRET="$KHO_SOURCE_DIR/tests/fuzz/corpus/png/grey8-trns.png"
mkdir -p in outside/deep
cp "$SECRET" outside/secret.png
cp "$SECRET" outside/deep/secret.png

# Records that must be archived.
mkdir in/REC-OK
cp "$PNG" in/REC-OK/page-1.png
cp "$PNG2" "in/REC-OK/page 2 é.png"          # any page name is fine
cp "$PNG" in/REC-DOTS..png                    # stem REC-DOTS
# Hidden folders ('.' first) are no records; the manifest and links may
# still name what they hold.
mkdir -p in/.pages/inner in/.store
cp "$PNG2" in/.pages/inner/scan.png
ln -s ../../REC-OK/page-1.png in/.pages/inner/rel.png
cp "$PNG" in/.store/p1.png
ln -s .store in/REC-DIRLINK                   # a folder link inside: followed
mkdir in/REC-INLINK
ln -s ../.pages/inner/scan.png in/REC-INLINK/p1.png # a page link inside
long=$(printf 'd%.0s' $(seq 1 140))
mkdir -p "in/$long/$long"
cp "$PNG" "in/$long/$long/p.png"              # a 286-byte manifest path
id64=$(printf 'A%.0s' $(seq 1 64))
cp "$PNG2" "in/$id64.png"                     # the longest record id

# Records that must fail, each with its reason.
ln -s ../outside in/REC-OUTDIR                # a folder link out
mkdir in/REC-PAGEOUT
cp "$PNG" in/REC-PAGEOUT/p1.png
ln -s ../../outside/secret.png in/REC-PAGEOUT/p2.png  # a page link out
ln -s "$T/outside/secret.png" in/REC-ABSLINK.png      # absolute, out
ln -s REC-SELF.png in/REC-SELF.png                    # a link to itself
ln -s REC-LOOPB in/REC-LOOPA
ln -s REC-LOOPA in/REC-LOOPB                          # a folder link loop
mkdir in/REC-UP
cp "$PNG" in/REC-UP/p1.png
ln -s .. in/REC-UP/parent                     # a link up to the inbox
ln -s . in/REC-UP/self                        # a link to its own folder

# Entries that name no record.
mkdir in/REC..X "in/НТ-2021-00042" "in/REC$(printf '\033')[31mRED"
cp "$PNG" in/REC..X/p.png
cp "$PNG" "in/НТ-2021-00042/p.png"            # Cyrillic Н and Т
cp "$PNG" "in/REC$(printf '\033')[31mRED/p.png"
cp "$PNG" "in/$(printf 'REC\nNL').png"
name255=$(printf 'B%.0s' $(seq 1 251)).png
cp "$PNG" "in/$name255"                       # a 255-byte name
id65=$(printf 'C%.0s' $(seq 1 65))
cp "$PNG" "in/$id65.png"                      # one byte too long for an id

# The manifest: hostile entries, then a NUL byte; the rows after it are
# not read.
{
	printf 'file,record,page\n'
	printf '.pages/inner/scan.png,REC-MAN,1\n'
	printf '.pages/inner/rel.png,REC-MAN,2\n'
	printf '%s/%s/p.png,REC-LONG,1\n' "$long" "$long"
	printf '.pages/../../outside/secret.png,REC-M1,1\n'
	printf '.pages/./inner/scan.png,REC-M2,1\n'
	printf 'REC-OUTDIR/secret.png,REC-M3,1\n'
	printf '%s/outside/secret.png,REC-M4,1\n' "$T"
	printf '".pages/inner/\033[2Jscan.png",REC-M5,1\n'
	printf '.pages/inner/scan.png,../../etc,1\n'
	printf '.pages/inner/scan.png,REC/X,1\n'
	printf '.pages/inner/scan.png,%s,1\n' "$(printf 'D%.0s' $(seq 1 300))"
	printf '.pages/inner/scan.png,НТ-2021-00042,1\n'
	printf '.pages/inner/scan.png,REC-\tTAB,1\n'
	printf '.pages//inner/scan.png,REC-M6,1\n'
	printf '.pages/inner/scan.png,REC-NUL\0X,1\n'
	printf '.pages/inner/scan.png,REC-AFTER-NUL,1\n'
} >in/manifest.csv

find in outside -exec stat -c '%n %s %Y' {} + 2>/dev/null | sort >before.lst
"$KHO" init root >/dev/null
# A link loop or a deep name must not hang the scan.
set +e
timeout 600 "$KHO" run --root root --inbox in >"$T/out" 2>"$T/err"
rc=$?
set -e
[ $rc = 1 ] || { cat "$T/err"; fail "kho run exited $rc, expected 1 (some records fail)"; }
find in outside -exec stat -c '%n %s %Y' {} + 2>/dev/null | sort >after.lst
cmp -s before.lst after.lst || fail "kho changed the inbox or what lies outside it"

state() { sql root "SELECT state FROM jobs WHERE stage='ingest' AND record_id='$1';"; }
error() { sql root "SELECT error FROM jobs WHERE stage='ingest' AND record_id='$1';"; }
archived() { sql root "SELECT count(*) FROM archive WHERE record_id='$1';"; }
for rec in REC-OK REC-DOTS REC-DIRLINK REC-INLINK REC-MAN REC-LONG "$id64"; do
	[ "$(state "$rec")" = done ] || fail "$rec was not ingested: $(error "$rec")"
	[ "$(archived "$rec")" -gt 0 ] || fail "$rec was not archived"
done
[ "$(sql root "SELECT count(*) FROM pages p JOIN records r ON r.id=p.record WHERE r.record_id='REC-OK';")" = 2 ] ||
	fail "REC-OK lost a page"
[ "$(sql root "SELECT count(*) FROM pages p JOIN records r ON r.id=p.record WHERE r.record_id='REC-MAN';")" = 2 ] ||
	fail "REC-MAN lost a page"

expect_error() { # RECORD TEXT
	case "$(error "$1")" in
	*"$2"*) ;;
	*) fail "$1: expected '$2' in: $(error "$1")" ;;
	esac
}
expect_error REC-OUTDIR "outside the inbox"
expect_error REC-PAGEOUT "outside the inbox"
expect_error REC-ABSLINK "outside the inbox"
expect_error REC-SELF "Too many levels of symbolic links"
expect_error REC-LOOPA "Too many levels of symbolic links"
expect_error REC-LOOPB "Too many levels of symbolic links"
expect_error REC-UP "'REC-UP/"
# A record that failed is not half-kept: no page of REC-PAGEOUT was taken.
[ -z "$(sql root "SELECT 1 FROM records WHERE record_id IN ('REC-OUTDIR','REC-PAGEOUT','REC-ABSLINK','REC-SELF','REC-LOOPA','REC-LOOPB','REC-UP');")" ] ||
	fail "a record with a link out of the inbox was recorded"
# No byte from outside the inbox reached the store: the secret's hash.
secret=$(sha256sum outside/secret.png | cut -d' ' -f1)
[ ! -e "root/store/${secret:0:2}/$secret" ] || fail "a file outside the inbox was copied into the store"

sql root "SELECT error FROM jobs WHERE stage='ingest' AND record_id IS NULL ORDER BY error;" >problems.txt
expect_in problems.txt "'REC..X' does not name a record"
expect_in problems.txt "'НТ-2021-00042' does not name a record"
expect_in problems.txt "'REC\\x1B[31mRED' does not name a record"
expect_in problems.txt "'REC\\x0ANL.png' does not name a record"
expect_in problems.txt "'$id65.png' does not name a record"
expect_in problems.txt "does not name a record"
expect_in problems.txt "'.pages/../../outside/secret.png': the file name holds '.' or '..'"
expect_in problems.txt "'.pages/./inner/scan.png': the file name holds '.' or '..'"
expect_in problems.txt "the file name is an absolute path"
expect_in problems.txt "'.pages/inner/\\x1B[2Jscan.png': the file name holds control characters"
expect_in problems.txt "'../../etc' is not a valid record id"
expect_in problems.txt "'REC/X' is not a valid record id"
expect_in problems.txt "'НТ-2021-00042' is not a valid record id"
expect_in problems.txt "'REC-\\x09TAB' is not a valid record id"
expect_in problems.txt "'.pages//inner/scan.png': the file name holds an empty path part"
expect_in problems.txt "a NUL byte; the rows after it are not read"
# A 300-byte id is cut in the message, not printed whole.
expect_in problems.txt "DDDD..."
[ "$(grep -c "$(printf 'D%.0s' $(seq 1 200))" problems.txt)" = 0 ] ||
	fail "a 300-byte record id is printed whole"
# A manifest entry through a folder link out of the inbox fails its record.
expect_error REC-M3 "outside the inbox"
[ -z "$(sql root "SELECT 1 FROM jobs WHERE record_id IN ('REC-M1','REC-M2','REC-M4','REC-M5','REC-M6','REC-AFTER-NUL');")" ] ||
	fail "a refused manifest row made a record"

# What people read carries no raw control character: names are quoted.
run_kho status --root root
cat "$T/out" "$T/err" root/log/*.jsonl >shown.txt
if LC_ALL=C grep -q "$(printf '\033')" shown.txt; then
	fail "an escape character from a file name reached the status or the log"
fi

# The warehouse holds only member names kho makes: <ID>.<n>/ then the tag
# files, or data/<ID>/ and result.pdf, metadata.json, originals/NNN.ext.
idre='[A-Za-z0-9][A-Za-z0-9_-]{0,63}'
for vol in root/warehouse/*.tar; do
	tar -tf "$vol"
done >members.txt
[ -s members.txt ] || fail "no member in the warehouse"
bad=$(grep -vE "^($idre)\.[0-9]+/((bagit|bag-info|manifest-sha256|manifest-sha512|tagmanifest-sha256|tagmanifest-sha512)\.txt|data/\1/(result\.pdf|metadata\.json|originals/[0-9]{3}\.(tif|jpg|png)))$" members.txt || true)
[ -z "$bad" ] || fail "members kho did not name: $bad"
expect_not_in members.txt "page"
expect_not_in members.txt "scan"
expect_not_in members.txt ".."
check_bags root
check_integrity root
echo ok
