#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# swdflash commands, --json output and documented exit codes, against the
# simulated chip persisted in a state file (--probe sim:state=FILE).
set -u
cd "$(dirname "$0")/.." || exit 1
. tests/lib.sh
need_cli
need srec_cat "Debian srecord"

P="sim:part=nrf52840,state=$T/chip"


# --- usage errors: exit 2, message on stderr
expect 2 "$SWDFLASH" --probe "$P"
expect 2 "$SWDFLASH" --probe "$P" frobnicate
expect 2 "$SWDFLASH" --probe "$P" info --bogus
expect 2 "$SWDFLASH" --probe "$P" info --halt        # option of another command
expect 2 "$SWDFLASH" --probe "$P" flash              # missing FILE
expect 2 "$SWDFLASH" --probe "$P" read 0 16          # missing -o
expect 2 "$SWDFLASH" --probe "$P" erase --chip --uicr
expect 2 "$SWDFLASH" --probe "$P" erase --range 0x2000:0x1000
expect 2 "$SWDFLASH" --probe "$P" flash x.hex --erase sometimes
expect 2 "$SWDFLASH" --probe "sim:part=nrf52999" info
expect 2 "$SWDFLASH" --probe "$P" reset --kind hard
grep -q "^swdflash: " "$T/err" || fail "usage errors do not start with 'swdflash: '"
expect 0 "$SWDFLASH" --help
grep -q "exit codes" "$T/out" || fail "--help does not document the exit codes"

# --- the command table: usage errors name the problem, COMMAND --help, --version
# usage_msg TEXT ARGS...: exit 2 and stderr says TEXT (fixed string)
usage_msg() {
	msg=$1; shift
	expect 2 "$SWDFLASH" "$@"
	grep -qF -- "$msg" "$T/err" || { fail "'$*': stderr lacks \"$msg\""; sed 's/^/  /' "$T/err"; }
}
usage_msg "unknown option '--bogus'" --probe "$P" info --bogus
usage_msg "unknown option '--bogus'" --probe "$P" info --bogus=1
usage_msg "unknown option '-x'" --probe "$P" info -x
usage_msg "ambiguous option '--no'" --probe "$P" flash x.hex --no
usage_msg "option --json takes no value" --probe "$P" info --json=yes
usage_msg "option --format needs a value" --probe "$P" flash x.hex --format
usage_msg "option -o needs a value" --probe "$P" read 0 16 -o
usage_msg "option --halt does not apply to 'info'" --probe "$P" info --halt
usage_msg "option -o does not apply to 'flash'" --probe "$P" flash x.hex -o y
usage_msg "unknown command 'frobnicate'" --probe "$P" frobnicate
usage_msg "missing argument: FILE" --probe "$P" verify
usage_msg "too many arguments: 'extra'" --probe "$P" info extra
usage_msg "read needs -o FILE" --probe "$P" read 0 16
usage_msg "use one of --chip, --uicr, --range" --probe "$P" erase --uicr --range 0:1
usage_msg "bad --erase 'sometimes' (auto, chip or none)" --probe "$P" flash x.hex --erase sometimes
usage_msg "unknown image format 'srec' (auto, hex, uf2, elf or bin)" --probe "$P" flash x.hex --format srec
# ... and with --json (anywhere) as the JSON error object
expect 2 "$SWDFLASH" --probe "$P" info --bogus --json
[ "$(jget "$T/out" "d['ok'], d['error']['code'], d['error']['exit_code'], d['error']['message']")" = \
  "False bad_argument 2 unknown option '--bogus'" ] || { fail "--json usage error object"; cat "$T/out"; }
# COMMAND --help: that command's usage and options only, exit 0, stdout
for cmd in info flash verify erase recover reset read; do
	expect 0 "$SWDFLASH" "$cmd" --help
	grep -q "^usage: swdflash .* $cmd" "$T/out" || fail "$cmd --help: no usage line for $cmd"
	[ ! -s "$T/err" ] || fail "$cmd --help wrote to stderr"
done
expect 0 "$SWDFLASH" flash --help
for o in --format --base --erase --no-verify --no-reset --full --recover --probe --json; do
	grep -q -- "^  $o" "$T/out" || fail "flash --help does not list $o"
done
grep -q "auto, chip or none" "$T/out" || fail "flash --help does not list the erase modes"
! grep -q -- "--halt\|--range\|--output" "$T/out" || fail "flash --help lists other commands' options"
cp "$T/out" "$T/flash-help"
expect 0 "$SWDFLASH" --help flash
cmp -s "$T/out" "$T/flash-help" || fail "--help flash differs from flash --help"
expect 0 "$SWDFLASH" read -h
grep -q -- "-o, --output FILE" "$T/out" || fail "read -h does not list -o, --output"
# --help wins over a usage error
expect 0 "$SWDFLASH" info --bogus --help
# options before or after the command, --opt=value, -oFILE, -- before a file name
expect 0 "$SWDFLASH" info --probe="$P"
expect 0 "$SWDFLASH" --probe "$P" read 0 4 -o"$T/o1.bin"
[ "$(cat "$T/o1.bin" 2>/dev/null | wc -c)" -eq 4 ] || fail "-oFILE did not write 4 bytes"
printf '\001\002\003\004' >"$T/-data.bin"
abs=$(cd "$(dirname "$SWDFLASH")" && pwd)/$(basename "$SWDFLASH")
indir() { (cd "$T" && "$@"); }
expect 2 indir "$abs" --probe "$P" flash --format bin --base 0x7000 --no-reset -data.bin
expect 0 indir "$abs" --probe "$P" flash --format bin --base 0x7000 --no-reset -- -data.bin
expect 0 "$SWDFLASH" --probe "$P" read 0x7000 4 -o "$T/o2.bin"
cmp -s "$T/-data.bin" "$T/o2.bin" || fail "flash -- -data.bin did not write it"
# --version: one version for both programs
D=${SWDFLASHD_BIN:-$(dirname "$SWDFLASH")/swdflashd}
expect 0 "$SWDFLASH" --version
grep -Eq '^swdflash [0-9]+\.[0-9]+' "$T/out" || fail "swdflash --version: '$(cat "$T/out")'"
v_cli=$(awk '{print $2}' "$T/out")
if [ -x "$D" ]; then
	expect 0 "$D" --version
	[ "$(cat "$T/out")" = "swdflashd $v_cli" ] || fail "swdflashd --version '$(cat "$T/out")' is not $v_cli"
	for a in --bogus --bogus=1 --foreground=1 --listen extra; do
		expect 2 "$D" $a
		grep -q "^swdflashd: .*(see swdflashd --help)" "$T/err" || { fail "swdflashd $a: message"; cat "$T/err"; }
	done
	grep -q "unexpected argument 'extra'" "$T/err" || fail "swdflashd extra: message"
	expect 2 "$D" --bogus
	grep -q "unknown option '--bogus'" "$T/err" || fail "swdflashd --bogus: message"
	expect 2 "$D" --listen
	grep -q "option --listen needs a value" "$T/err" || fail "swdflashd --listen: message"
	# a flag value that does not fit is refused, never cut (a cut path names
	# another directory)
	long=/tmp/$(printf '%0600d' 0)
	expect 2 "$D" --foreground --probe sim --state-dir "$long"
	grep -q -- "--state-dir: value of 605 characters is too long (at most 511)" "$T/err" ||
		{ fail "swdflashd --state-dir too long: message"; cat "$T/err"; }
	[ ! -e "$long" ] || fail "swdflashd created the over-long state dir"
	expect 2 "$D" --foreground --probe ''
	grep -q -- "--probe: value is empty" "$T/err" || fail "swdflashd --probe '': message"
else
	fail "$D is not built"
fi

# --- info, text and JSON
expect 0 "$SWDFLASH" --probe "$P" info
grep -q "nRF52840" "$T/out" || fail "info text lacks the part"
expect 0 "$SWDFLASH" --probe "$P" --json info
cp "$T/out" "$T/info.json"
[ "$(jget "$T/info.json" "d['part'], d['flash_size'], d['ram_size'], d['page_size'], d['locked'], d['ok']")" = \
  "nRF52840 1048576 262144 4096 False True" ] || { fail "info --json fields"; cat "$T/info.json"; }
id=$(jget "$T/info.json" "d['device_id']")
echo "$id" | grep -Eq '^[0-9A-F]{16}$' || fail "device_id '$id' is not 16 hex digits"
jget "$T/info.json" "d['variant']" | grep -Eq '^[A-Z0-9]{4}$' || fail "variant"
# SWDFLASH_PROBE is the default probe; --json works after the command too
SWDFLASH_PROBE="$P" expect 0 "$SWDFLASH" info --json
[ "$(jget "$T/out" "d['device_id']")" = "$id" ] || fail "SWDFLASH_PROBE not used"

# --- flash a raw binary, read it back as binary and as Intel HEX
head -c 10000 /dev/urandom >"$T/a.bin"
expect 0 "$SWDFLASH" --probe "$P" flash "$T/a.bin" --format bin --base 0x3000 --no-reset
expect 0 "$SWDFLASH" --probe "$P" read 0x3000 10000 -o "$T/back.bin"
cmp "$T/a.bin" "$T/back.bin" || fail "read back differs"
expect 0 "$SWDFLASH" --probe "$P" read 0x3000 10000 -o "$T/back.hex"
srec_cat "$T/back.hex" -intel -offset -0x3000 -o "$T/back2.bin" -binary || fail "srec_cat on our HEX"
cmp "$T/a.bin" "$T/back2.bin" || fail "Intel HEX read back differs (srec_cat)"
expect 0 "$SWDFLASH" --probe "$P" read 0x3001 7 -o "$T/odd.bin" --format bin
dd if="$T/a.bin" bs=1 skip=1 count=7 2>/dev/null | cmp - "$T/odd.bin" || fail "unaligned read"
expect 0 "$SWDFLASH" --probe "$P" verify "$T/a.bin" --format bin --base 0x3000

# --- skip unchanged: the same image again writes nothing
expect 0 "$SWDFLASH" --probe "$P" --json flash "$T/a.bin" --format bin --base 0x3000 --no-reset
[ "$(jget "$T/out" "d['stats']['pages_written'], d['stats']['pages_erased'], d['stats']['bytes_written'], d['stats']['pages_skipped']")" = "0 0 0 3" ] ||
	{ fail "second flash was not skipped"; cat "$T/out"; }
# ... unless --full
expect 0 "$SWDFLASH" --probe "$P" --json flash "$T/a.bin" --format bin --base 0x3000 --no-reset --full
[ "$(jget "$T/out" "d['stats']['pages_written']")" = "3" ] || fail "--full did not rewrite"

# --- verify mismatch: exit 6, names the address
head -c 10000 /dev/urandom >"$T/b.bin"
expect 6 "$SWDFLASH" --probe "$P" verify "$T/b.bin" --format bin --base 0x3000
grep -q "verify failed at 0x0000300" "$T/err" || { fail "verify message"; cat "$T/err"; }
expect 6 "$SWDFLASH" --probe "$P" --json verify "$T/b.bin" --format bin --base 0x3000
[ "$(jget "$T/out" "d['ok'], d['error']['code'], d['error']['exit_code']")" = "False verify_mismatch 6" ] ||
	fail "verify --json error object"

# --- erase=none refuses when bits must go 0->1: a precondition, not a mismatch
expect 9 "$SWDFLASH" --probe "$P" flash "$T/b.bin" --format bin --base 0x3000 --erase none --no-reset
expect 9 "$SWDFLASH" --probe "$P" --json flash "$T/b.bin" --format bin --base 0x3000 --erase none --no-reset
[ "$(jget "$T/out" "d['error']['code'], d['error']['exit_code']")" = "precondition_failed 9" ] ||
	fail "erase=none --json error object"
expect 0 "$SWDFLASH" --probe "$P" verify "$T/a.bin" --format bin --base 0x3000

# --- erase --range / --uicr / --chip
expect 0 "$SWDFLASH" --probe "$P" erase --range 0x4000:0x4001
expect 0 "$SWDFLASH" --probe "$P" read 0x4000 4096 -o "$T/pg.bin"
[ "$(od -An -tx1 -v "$T/pg.bin" | tr -d ' \n' | tr -d f)" = "" ] || fail "page 0x4000 not erased"
expect 0 "$SWDFLASH" --probe "$P" read 0x3000 4096 -o "$T/pg0.bin"
head -c 4096 "$T/a.bin" | cmp - "$T/pg0.bin" || fail "erase --range touched page 0x3000"
printf '\170\126\064\022' >"$T/cust.bin"
expect 0 "$SWDFLASH" --probe "$P" flash "$T/cust.bin" --format bin --base 0x10001080 --no-reset
expect 0 "$SWDFLASH" --probe "$P" read 0x10001080 4 -o "$T/c.bin"
cmp "$T/cust.bin" "$T/c.bin" || fail "UICR CUSTOMER[0] not written"
expect 0 "$SWDFLASH" --probe "$P" erase --uicr
expect 0 "$SWDFLASH" --probe "$P" read 0x10001080 4 -o "$T/c.bin"
[ "$(od -An -tx1 "$T/c.bin" | tr -d ' \n')" = "ffffffff" ] || fail "erase --uicr"
expect 0 "$SWDFLASH" --probe "$P" erase
expect 0 "$SWDFLASH" --probe "$P" read 0x3000 16 -o "$T/e.bin"
[ "$(od -An -tx1 "$T/e.bin" | tr -d ' \n' | tr -d f)" = "" ] || fail "erase (chip)"

# --- a bad image and an image outside the part: exit 3, chip untouched
printf ':0400000001020304F0\n:00000001FF\n' >"$T/bad.hex"   # checksum should be F2
cp "$T/chip" "$T/chip.before"
expect 3 "$SWDFLASH" --probe "$P" flash "$T/bad.hex"
grep -qi "checksum" "$T/err" || { fail "bad checksum message"; cat "$T/err"; }
printf ':020000040020DA\n:0400000001020304F2\n:00000001FF\n' >"$T/far.hex"  # 0x00200000
expect 3 "$SWDFLASH" --probe "$P" flash "$T/far.hex"
grep -q "outside the nRF52840" "$T/err" || { fail "range message"; cat "$T/err"; }
cmp "$T/chip.before" "$T/chip" || fail "a refused image changed the chip"
expect 1 "$SWDFLASH" --probe "$P" flash "$T/does-not-exist.hex"

# --- reset kinds
expect 0 "$SWDFLASH" --probe "$P" reset
expect 0 "$SWDFLASH" --probe "$P" --json reset --halt --kind ctrlap
[ "$(jget "$T/out" "d['halted'], d['locked']")" = "True False" ] || fail "reset --halt json"
expect 8 "$SWDFLASH" --probe "$P" reset --kind pin   # PSELRESET not programmed: refused
grep -q PSELRESET "$T/err" || fail "pin reset message"
printf '\022\000\000\000\022\000\000\000' >"$T/psel.bin"
expect 0 "$SWDFLASH" --probe "$P" flash "$T/psel.bin" --format bin --base 0x10001200 --no-reset
expect 0 "$SWDFLASH" --probe "$P" reset --kind pin

# --- a fixture end to end, with progress lines when not on a terminal
s140=$FIX/s140_nrf52_6.1.1_softdevice.hex
if [ -e "$s140" ]; then
	expect 0 "$SWDFLASH" --probe "$P" flash "$s140"
	grep -q "^program: 100%" "$T/err" || { fail "no plain progress lines"; cat "$T/err"; }
	grep -q "^flashed 153832 bytes" "$T/out" || { fail "flash summary"; cat "$T/out"; }
	expect 0 "$SWDFLASH" --probe "$P" verify "$s140"
fi

# --- nothing on the wire: exit 4, and the message says what to check
expect 4 "$SWDFLASH" --probe "sim:absent=1" info
grep -q "no response from the target" "$T/err" || fail "no-target message: $(cat "$T/err")"
grep -q "ground" "$T/err" || fail "no-target message does not mention the ground"
expect 4 "$SWDFLASH" --probe "sim:absent=1" --json flash "$FIX/mbr_nrf52_2.4.1_mbr.hex"
[ "$(jget "$T/out" "d['error']['code']")" = no_target ] || fail "--json no-target code"

finish "swdflash CLI: all checks passed"
