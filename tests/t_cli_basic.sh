#!/bin/sh
# swdflash commands, --json output and documented exit codes, against the
# simulated chip persisted in a state file (--probe sim:state=FILE).
set -u
. tests/cli_lib.sh
command -v srec_cat >/dev/null || { echo "srec_cat missing (Debian srecord)"; exit 77; }

P="sim:part=nrf52840,state=$tmp/chip"


# --- usage errors: exit 2, message on stderr
expect 2 "$BIN" --probe "$P"
expect 2 "$BIN" --probe "$P" frobnicate
expect 2 "$BIN" --probe "$P" info --bogus
expect 2 "$BIN" --probe "$P" info --halt        # option of another command
expect 2 "$BIN" --probe "$P" flash              # missing FILE
expect 2 "$BIN" --probe "$P" read 0 16          # missing -o
expect 2 "$BIN" --probe "$P" erase --chip --uicr
expect 2 "$BIN" --probe "$P" erase --range 0x2000:0x1000
expect 2 "$BIN" --probe "$P" flash x.hex --erase sometimes
expect 2 "$BIN" --probe "sim:part=nrf52999" info
expect 2 "$BIN" --probe "$P" reset --kind hard
grep -q "^swdflash: " "$tmp/err" || fail "usage errors do not start with 'swdflash: '"
expect 0 "$BIN" --help
grep -q "exit codes" "$tmp/out" || fail "--help does not document the exit codes"

# --- info, text and JSON
expect 0 "$BIN" --probe "$P" info
grep -q "nRF52840" "$tmp/out" || fail "info text lacks the part"
expect 0 "$BIN" --probe "$P" --json info
cp "$tmp/out" "$tmp/info.json"
[ "$(jget "$tmp/info.json" "j['part'], j['flash_size'], j['ram_size'], j['page_size'], j['locked'], j['ok']")" = \
  "nRF52840 1048576 262144 4096 False True" ] || { fail "info --json fields"; cat "$tmp/info.json"; }
id=$(jget "$tmp/info.json" "j['device_id']")
echo "$id" | grep -Eq '^[0-9A-F]{16}$' || fail "device_id '$id' is not 16 hex digits"
jget "$tmp/info.json" "j['variant']" | grep -Eq '^[A-Z0-9]{4}$' || fail "variant"
# SWDFLASH_PROBE is the default probe; --json works after the command too
SWDFLASH_PROBE="$P" expect 0 "$BIN" info --json
[ "$(jget "$tmp/out" "j['device_id']")" = "$id" ] || fail "SWDFLASH_PROBE not used"

# --- flash a raw binary, read it back as binary and as Intel HEX
head -c 10000 /dev/urandom >"$tmp/a.bin"
expect 0 "$BIN" --probe "$P" flash "$tmp/a.bin" --format bin --base 0x3000 --no-reset
expect 0 "$BIN" --probe "$P" read 0x3000 10000 -o "$tmp/back.bin"
cmp "$tmp/a.bin" "$tmp/back.bin" || fail "read back differs"
expect 0 "$BIN" --probe "$P" read 0x3000 10000 -o "$tmp/back.hex"
srec_cat "$tmp/back.hex" -intel -offset -0x3000 -o "$tmp/back2.bin" -binary || fail "srec_cat on our HEX"
cmp "$tmp/a.bin" "$tmp/back2.bin" || fail "Intel HEX read back differs (srec_cat)"
expect 0 "$BIN" --probe "$P" read 0x3001 7 -o "$tmp/odd.bin" --format bin
dd if="$tmp/a.bin" bs=1 skip=1 count=7 2>/dev/null | cmp - "$tmp/odd.bin" || fail "unaligned read"
expect 0 "$BIN" --probe "$P" verify "$tmp/a.bin" --format bin --base 0x3000

# --- skip unchanged: the same image again writes nothing
expect 0 "$BIN" --probe "$P" --json flash "$tmp/a.bin" --format bin --base 0x3000 --no-reset
[ "$(jget "$tmp/out" "j['stats']['pages_written'], j['stats']['pages_erased'], j['stats']['bytes_written'], j['stats']['pages_skipped']")" = "0 0 0 3" ] ||
	{ fail "second flash was not skipped"; cat "$tmp/out"; }
# ... unless --full
expect 0 "$BIN" --probe "$P" --json flash "$tmp/a.bin" --format bin --base 0x3000 --no-reset --full
[ "$(jget "$tmp/out" "j['stats']['pages_written']")" = "3" ] || fail "--full did not rewrite"

# --- verify mismatch: exit 6, names the address
head -c 10000 /dev/urandom >"$tmp/b.bin"
expect 6 "$BIN" --probe "$P" verify "$tmp/b.bin" --format bin --base 0x3000
grep -q "verify failed at 0x0000300" "$tmp/err" || { fail "verify message"; cat "$tmp/err"; }
expect 6 "$BIN" --probe "$P" --json verify "$tmp/b.bin" --format bin --base 0x3000
[ "$(jget "$tmp/out" "j['ok'], j['error']['code'], j['error']['exit_code']")" = "False verify_mismatch 6" ] ||
	fail "verify --json error object"

# --- erase=none refuses when bits must go 0->1: a precondition, not a mismatch
expect 9 "$BIN" --probe "$P" flash "$tmp/b.bin" --format bin --base 0x3000 --erase none --no-reset
expect 9 "$BIN" --probe "$P" --json flash "$tmp/b.bin" --format bin --base 0x3000 --erase none --no-reset
[ "$(jget "$tmp/out" "j['error']['code'], j['error']['exit_code']")" = "precondition_failed 9" ] ||
	fail "erase=none --json error object"
expect 0 "$BIN" --probe "$P" verify "$tmp/a.bin" --format bin --base 0x3000

# --- erase --range / --uicr / --chip
expect 0 "$BIN" --probe "$P" erase --range 0x4000:0x4001
expect 0 "$BIN" --probe "$P" read 0x4000 4096 -o "$tmp/pg.bin"
[ "$(od -An -tx1 -v "$tmp/pg.bin" | tr -d ' \n' | tr -d f)" = "" ] || fail "page 0x4000 not erased"
expect 0 "$BIN" --probe "$P" read 0x3000 4096 -o "$tmp/pg0.bin"
head -c 4096 "$tmp/a.bin" | cmp - "$tmp/pg0.bin" || fail "erase --range touched page 0x3000"
printf '\170\126\064\022' >"$tmp/cust.bin"
expect 0 "$BIN" --probe "$P" flash "$tmp/cust.bin" --format bin --base 0x10001080 --no-reset
expect 0 "$BIN" --probe "$P" read 0x10001080 4 -o "$tmp/c.bin"
cmp "$tmp/cust.bin" "$tmp/c.bin" || fail "UICR CUSTOMER[0] not written"
expect 0 "$BIN" --probe "$P" erase --uicr
expect 0 "$BIN" --probe "$P" read 0x10001080 4 -o "$tmp/c.bin"
[ "$(od -An -tx1 "$tmp/c.bin" | tr -d ' \n')" = "ffffffff" ] || fail "erase --uicr"
expect 0 "$BIN" --probe "$P" erase
expect 0 "$BIN" --probe "$P" read 0x3000 16 -o "$tmp/e.bin"
[ "$(od -An -tx1 "$tmp/e.bin" | tr -d ' \n' | tr -d f)" = "" ] || fail "erase (chip)"

# --- a bad image and an image outside the part: exit 3, chip untouched
printf ':0400000001020304F0\n:00000001FF\n' >"$tmp/bad.hex"   # checksum should be F2
cp "$tmp/chip" "$tmp/chip.before"
expect 3 "$BIN" --probe "$P" flash "$tmp/bad.hex"
grep -qi "checksum" "$tmp/err" || { fail "bad checksum message"; cat "$tmp/err"; }
printf ':020000040020DA\n:0400000001020304F2\n:00000001FF\n' >"$tmp/far.hex"  # 0x00200000
expect 3 "$BIN" --probe "$P" flash "$tmp/far.hex"
grep -q "outside the nRF52840" "$tmp/err" || { fail "range message"; cat "$tmp/err"; }
cmp "$tmp/chip.before" "$tmp/chip" || fail "a refused image changed the chip"
expect 1 "$BIN" --probe "$P" flash "$tmp/does-not-exist.hex"

# --- reset kinds
expect 0 "$BIN" --probe "$P" reset
expect 0 "$BIN" --probe "$P" --json reset --halt --kind ctrlap
[ "$(jget "$tmp/out" "j['halted'], j['locked']")" = "True False" ] || fail "reset --halt json"
expect 8 "$BIN" --probe "$P" reset --kind pin   # PSELRESET not programmed: refused
grep -q PSELRESET "$tmp/err" || fail "pin reset message"
printf '\022\000\000\000\022\000\000\000' >"$tmp/psel.bin"
expect 0 "$BIN" --probe "$P" flash "$tmp/psel.bin" --format bin --base 0x10001200 --no-reset
expect 0 "$BIN" --probe "$P" reset --kind pin

# --- a fixture end to end, with progress lines when not on a terminal
s140=$FIX/s140_nrf52_6.1.1_softdevice.hex
if [ -e "$s140" ]; then
	expect 0 "$BIN" --probe "$P" flash "$s140"
	grep -q "^program: 100%" "$tmp/err" || { fail "no plain progress lines"; cat "$tmp/err"; }
	grep -q "^flashed 153832 bytes" "$tmp/out" || { fail "flash summary"; cat "$tmp/out"; }
	expect 0 "$BIN" --probe "$P" verify "$s140"
fi

# --- nothing on the wire: exit 4, and the message says what to check
expect 4 "$BIN" --probe "sim:absent=1" info
grep -q "no response from the target" "$tmp/err" || fail "no-target message: $(cat "$tmp/err")"
grep -q "ground" "$tmp/err" || fail "no-target message does not mention the ground"
expect 4 "$BIN" --probe "sim:absent=1" --json flash "$FIX/mbr_nrf52_2.4.1_mbr.hex"
[ "$(jget "$tmp/out" "j['error']['code']")" = no_target ] || fail "--json no-target code"

[ $fails -eq 0 ] || { echo "$fails failure(s)"; exit 1; }
echo "swdflash CLI: all checks passed"
