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

# Not firmware at all (issue 10): refused naming what it looks like, never
# flashed as a raw binary at 0x0 (exit 3, the chip untouched)
python3 - "$FIX/mbr_nrf52_2.4.1_mbr.hex" "$uf2" "$T" <<'PY'
import base64, gzip, struct, sys
h = open(sys.argv[1], 'rb').read()
u = bytearray(open(sys.argv[2], 'rb').read())
t = sys.argv[3]
def w(n, d): open(t + '/' + n, 'wb').write(d)
w('page.hex', b'<!DOCTYPE html>\n<html><body>404 Not Found</body></html>\n')
w('err.hex', b'{"message": "Not Found"}')
w('app.hex.gz', gzip.compress(h))
w('b64.hex', base64.encodebytes(h))
w('u16.hex', h.decode().encode('utf-16'))
w('garbage.dat', bytes((i * 31 + 7) & 0xFF for i in range(8192)))
w('app.bin', bytes((i * 31 + 7) & 0xFF for i in range(8192)))
b = bytearray(u); b[1] ^= 0x10; w('magic-auto.uf2', b)
for i in range(len(u) // 512):
    if struct.unpack_from('<I', u, i * 512 + 8)[0] & 0x2000:
        struct.pack_into('<I', u, i * 512 + 28, 0x621E937A)
w('fam833.uf2', u)
w('bom.hex', b'\xef\xbb\xbf\n ' + h)
PY
refuse page.hex 'looks like HTML'
refuse err.hex 'looks like JSON'
refuse app.hex.gz 'gzip data: decompress it first'
refuse b64.hex 'base64'
refuse u16.hex 'UTF-16'
refuse garbage.dat 'raw binary is flashed only when asked for'
refuse app.bin 'raw binary is flashed only when asked for'
refuse magic-auto.uf2 'block 0: bad magic'
refuse fam833.uf2 'UF2 family ID 0x621E937A.*nRF52840'
expect 2 "$SWDFLASH" --probe "$P" flash "$FIX/mbr_nrf52_2.4.1_mbr.hex" --base 0x1000
check "--base with a HEX: usage error naming base" grep -q 'base applies to raw binary' "$T/err"
cmp -s "$T/chip.ref" "$T/chip" || fail "--base with a HEX changed the chip"

# memory bounded by the part, not the file: 100 MB of garbage is refused
# from its start (auto) or its size (--format bin) without being read in
{ head -c 4096 /dev/urandom; head -c $((100 * 1024 * 1024 - 4096)) /dev/zero; } >"$T/huge.dat"
for fmt in auto bin; do
	peak=$(python3 - "$SWDFLASH" "$P" "$T/huge.dat" "$fmt" <<'PY'
import resource, subprocess, sys
exe, probe, f, fmt = sys.argv[1:]
cmd = [exe, '--probe', probe, 'flash', f] + ([] if fmt == 'auto' else ['--format', fmt])
r = subprocess.run(cmd, capture_output=True)
print(r.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
PY
)
	rc=${peak% *}; kib=${peak#* }
	assert "100 MB garbage, format $fmt: exit 3 with peak RSS $kib KiB < 64 MiB" "[ $rc = 3 ] && [ $kib -lt 65536 ]"
done

# Outside the part: names the range and the part's limits
printf ':020000040020DA\n:0400000001020304F2\n:00000001FF\n' >"$T/far.hex"
refuse far.hex '0x00200000-0x00200003.*nRF52840.*0x000fffff'
printf ':020000042000DA\n:0400000001020304F2\n:00000001FF\n' >"$T/ram.hex"
refuse ram.hex 'outside the nRF52840'
head -c 100 /dev/zero >"$T/edge.bin"
refuse edge.bin 'outside' --format bin --base 0xFFFC0

# a HEX with a BOM and leading blanks is a HEX (and is flashed)
expect 0 "$SWDFLASH" --probe "$P" flash "$T/bom.hex"
check "BOM HEX flashed as hex" grep -q 'bom.hex: hex' "$T/err"
# NAME.bin with --base is a raw binary
expect 0 "$SWDFLASH" --probe "$P" flash "$T/app.bin" --base 0x40000
check "app.bin with --base flashed as bin" grep -q 'app.bin: bin' "$T/err"

finish "every malformed image refused, chip untouched"
