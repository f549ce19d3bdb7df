#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Malformed images and images outside the part are refused with a specific
# message and exit code 3, and the chip is untouched: the simulated chip's
# state file is byte-for-byte the same before and after.
set -u
cd "$(dirname "$0")/.." || exit 1
. tests/lib.sh
need_cli
elf=$FIX/nRF52833_xxAA_systick.elf
uf2=$FIX/s140_nrf52_6.1.1_softdevice.uf2
[ -e "$elf" ] || skip "$elf missing"
[ -e "$uf2" ] || skip "$uf2 missing"

P="sim:part=nrf52840,state=$T/chip"

# a chip with something on it
"$SWDFLASH" --probe "$P" flash "$FIX/mbr_nrf52_2.4.1_mbr.hex" >/dev/null 2>&1 || die "setup flash failed"
cp "$T/chip" "$T/chip.ref"

# refuse NAME REGEX [FLASH OPTIONS]: flash $T/NAME, expect exit 3, a
# message matching REGEX (grep -Ei), and an unchanged chip
refuse() {
	f=$1 re=$2; shift 2
	f0=$fails
	"$SWDFLASH" --probe "$P" flash "$T/$f" "$@" >"$T/out" 2>"$T/err"
	rc=$?
	[ $rc -eq 3 ] || fail "$f: exit $rc, expected 3"
	# match the message, not the file name in front of it
	sed "s|$T/$f||g" "$T/err" | grep -Eqi "$re" || { fail "$f: message does not match /$re/"; sed 's/^/  /' "$T/err"; }
	cmp -s "$T/chip.ref" "$T/chip" || { fail "$f: the chip changed"; cp "$T/chip.ref" "$T/chip"; }
	[ $fails -eq $f0 ] && ok "$f: $(grep '^swdflash' "$T/err" | head -n 1)"
}

# Intel HEX
printf ':10000000000102030405060708090A0B0C0D0E0F78\n:0400100001020304E0\n:00000001FF\n' >"$T/checksum.hex"
refuse checksum.hex 'line 2.*checksum'
printf ':0400000001020304F\n:00000001FF\n' >"$T/odd.hex"
refuse odd.hex 'line 1.*odd'
printf ':040000\n:00000001FF\n' >"$T/short.hex"
refuse short.hex 'line 1.*truncated'
printf ':0400000001020G04F2\n:00000001FF\n' >"$T/nonhex.hex"
refuse nonhex.hex 'line 1.*non-hex'
printf ':040000000102030405F2\n:00000001FF\n' >"$T/length.hex"
refuse length.hex 'line 1.*length'
printf ':0400000601020304EC\n:00000001FF\n' >"$T/type.hex"
refuse type.hex 'line 1.*unknown record type'
printf ':02000004FFFFFC\n:04FFFE0001020304F5\n:00000001FF\n' >"$T/wrap.hex"
refuse wrap.hex 'line 2.*wrap past 4 GiB'
printf ':0400000001020304F2\n:0400000001020305F1\n:00000001FF\n' >"$T/overlap.hex"
refuse overlap.hex 'overlap'
: >"$T/empty.hex"
refuse empty.hex 'empty'
printf ':0400000001020304F2\n' >"$T/noeof.hex"
refuse noeof.hex 'end-of-file|truncated'

# UF2: bad magic, a family that is not an nRF52 (RP2040), truncated
python3 - "$uf2" "$T" <<'PY'
import struct, sys
d = bytearray(open(sys.argv[1], 'rb').read())
t = sys.argv[2]
b = bytearray(d); b[0:4] = b'XXXX'; open(t + '/magic.uf2', 'wb').write(b)
b = bytearray(d)
for i in range(len(b) // 512):
    b[i*512+28:i*512+32] = struct.pack('<I', 0xE48BFF56)
open(t + '/family.uf2', 'wb').write(b)
open(t + '/short.uf2', 'wb').write(d[:512 * 3 + 100])
PY
refuse magic.uf2 'magic' --format uf2
refuse family.uf2 'family'
refuse short.uf2 'truncated|missing' --format uf2

# ELF: truncated, 64-bit, big-endian, not ARM
python3 - "$elf" "$T" <<'PY'
import sys
d = bytearray(open(sys.argv[1], 'rb').read())
t = sys.argv[2]
open(t + '/trunc.elf', 'wb').write(d[:40])
b = bytearray(d); b[4] = 2; open(t + '/class64.elf', 'wb').write(b)
b = bytearray(d); b[5] = 2; open(t + '/bigend.elf', 'wb').write(b)
b = bytearray(d); b[18:20] = (62).to_bytes(2, 'little'); open(t + '/x86.elf', 'wb').write(b)
PY
refuse trunc.elf 'truncated' --format elf
refuse class64.elf '64-bit'
refuse bigend.elf 'big-endian'
refuse x86.elf 'not an ARM'

# Outside the part: names the range and the part's limits
printf ':020000040020DA\n:0400000001020304F2\n:00000001FF\n' >"$T/far.hex"
refuse far.hex '0x00200000-0x00200003.*nRF52840.*0x000fffff'
printf ':020000042000DA\n:0400000001020304F2\n:00000001FF\n' >"$T/ram.hex"
refuse ram.hex 'outside the nRF52840'
head -c 100 /dev/zero >"$T/edge.bin"
refuse edge.bin 'outside' --format bin --base 0xFFFC0

finish "every malformed image refused, chip untouched"
