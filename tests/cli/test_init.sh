#!/usr/bin/env bash
# kho init, kho.conf, kho config, usage errors, --help of every command.
. "$(dirname "$0")/lib.sh"

expect_exit 0 init root
expect_in out "made work root 'root'"
for f in kho.conf catalog.db; do [ -f root/$f ] || fail "no root/$f"; done
for d in store warehouse reports log; do [ -d root/$d ] || fail "no root/$d/"; done
[ "$(sql root 'PRAGMA journal_mode;')" = wal ] || fail "catalog not in WAL mode"
[ "$(sql root 'PRAGMA application_id;')" = 1802006321 ] || fail "application_id"
[ "$(sql root 'PRAGMA user_version;')" -ge 1 ] || fail "no schema version"

# A second init leaves the root as it is.
cp root/catalog.db before.db
expect_exit 3 init root
expect_in err "is a kho work root already"
cmp -s before.db root/catalog.db || fail "kho init changed an existing catalog"

# The kho.conf kho writes loads back to the defaults: kho config prints them.
expect_exit 0 config --root root
expect_in out "jpeg_quality = 70"
expect_in out "target_dpi = 300"
expect_in out "min_dpi = 200"
# Every key is also a flag, and the flag wins.
expect_exit 0 config --root root --jpeg-quality 55 --target_dpi=400
expect_in out "jpeg_quality = 55"
expect_in out "target_dpi = 400"
KHO_ROOT=root expect_exit 0 config
expect_in out "volume_size = 4294967296"

# Settings errors are exit 2 and name the place.
expect_exit 2 config --root root --jpeg-quality 500
expect_in err "jpeg_quality must be from 20 to 100, not 500"
expect_exit 2 config --root root --no-such-setting 1
expect_in err "unknown option '--no-such-setting'"
cp root/kho.conf good.conf
printf '\n[compress]\njpeg_qualty = 70\n' >>root/kho.conf
expect_exit 2 status --root root
expect_in err "kho.conf:"
expect_in err "unknown setting 'jpeg_qualty' in [compress]"
cp good.conf root/kho.conf

# Usage errors are exit 2.
expect_exit 2 frobnicate
expect_in err "unknown command 'frobnicate'"
expect_exit 2 show --root root
expect_exit 2 retry --root root compress
expect_in err "give either --record ID... or --failed"
expect_exit 2 retry --root root polish --failed
expect_in err "unknown stage 'polish'"
expect_exit 2 plan --root root X 1
expect_exit 2 status --root root --bogus

# Not a work root: exit 3 with a clear message.
mkdir empty
expect_exit 3 status --root empty
expect_in err "is not a kho work root"
expect_exit 3 status --root missing
expect_in err "does not exist"

# Every command answers --help with exit 0.
for c in init run status show retry plan config ingest normalize compress \
	describe pack; do
	expect_exit 0 "$c" --help
	expect_in out "usage: kho"
done
for p in kho-ingest kho-normalize kho-compress kho-describe kho-pack; do
	"$KHO_BIN_DIR/$p" --help >out || fail "$p --help"
	expect_in out "usage: kho"
done
expect_exit 0 --version
expect_in out "kho 0."
echo ok
