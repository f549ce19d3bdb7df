#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# OpenOCD 0.12 with unmodified target/nrf52.cfg and its defaults (16 KiB
# work area) and swdflash on the same simulated chip (the sim state file is
# the chip between runs):
#  - OpenOCD `program FILE verify` through linuxgpiod on the emulated Pi GPIO
#    writes every fixture through its flash loader and checks it with its
#    CRC algorithm, both running on the simulated Cortex-M4 (the log shows
#    no fallback to host-side writes or reads); its dump equals srec_cat's
#    reference, and swdflash verifies and reads the same bytes;
#  - swdflash flashes through libgpiod on the emulated GPIO (bootloader +
#    SoftDevice + UICR), OpenOCD's verify_image accepts it and reads the
#    same flash and UICR; one corrupted word makes verify_image fail;
#  - the fallback detector itself fires on a WORKAREASIZE 0 run, and a
#    wrong image is caught (so the comparisons can die).
cd "$(dirname "$0")/.." || exit 1
. tests/lib.sh
need_fixtures
need_emu
need_openocd_driver linuxgpiod
command -v srec_cat >/dev/null || skip "srec_cat missing (Debian package srecord)"
[ -x "$SWDFLASH" ] || die "$SWDFLASH missing"
log() { echo "--- $1"; tail -n 30 "$1"; }

# 1. OpenOCD programs every fixture with its defaults; swdflash checks.
MBR=$FIX/mbr_nrf52_2.4.1_mbr.hex
S=$T/a.state
ocd "part=nrf52840,state=$S,wallclock=1" "$T/a.json" "$T/a.log" -c init \
	-c "program $MBR verify" -c "dump_image $T/a.ocd.bin 0x0 0x2000" -c shutdown ||
	{ log "$T/a.log"; die "openocd program $MBR"; }
grep -q '\*\* Verified OK \*\*' "$T/a.log" || { log "$T/a.log"; die "OpenOCD verify"; }
ocd_used_algorithms "$T/a.log" || { log "$T/a.log"; die "OpenOCD fell back to host-side writes/reads"; }
srec_cat "$MBR" -intel -fill 0xFF 0 0x2000 -o "$T/a.ref.bin" -binary
cmp "$T/a.ref.bin" "$T/a.ocd.bin" || die "OpenOCD's dump differs from srec_cat's image"
$SWDFLASH --probe "sim:part=nrf52840,state=$S" verify "$MBR" || die "swdflash verify after OpenOCD"
$SWDFLASH --probe "sim:part=nrf52840,state=$S" read 0 0x2000 -o "$T/a.sw.bin" >/dev/null ||
	die "swdflash read"
cmp "$T/a.ocd.bin" "$T/a.sw.bin" || die "OpenOCD and swdflash read different flash"
ok "OpenOCD (defaults) programmed $(basename "$MBR") with its loader and CRC:" \
	"swdflash verifies it, reads equal ($(json "$T/a.json" ioctls_total) GPIO ioctls," \
	"$(json "$T/a.json" sim.nvmc_writes) words)"

# The comparison can die: another image does not verify (exit 6).
$SWDFLASH --probe "sim:part=nrf52840,state=$S" verify "$FIX/s132_nrf52_6.1.1_softdevice.hex" \
	>"$T/bad.out" 2>&1
rc=$?
[ $rc -eq 6 ] || { cat "$T/bad.out"; die "verify of a different image gave exit $rc, want 6"; }

# The detector can die: WORKAREASIZE 0 makes OpenOCD say it falls back.
ocd_nowa "part=nrf52840,state=$T/nowa.state,wallclock=1" "" "$T/nowa.log" -c init \
	-c "program $MBR verify" -c shutdown || { log "$T/nowa.log"; die "openocd WORKAREASIZE 0"; }
ocd_used_algorithms "$T/nowa.log" && { log "$T/nowa.log"; die "fallback not detected"; }
ok "the fallback detector fires on a WORKAREASIZE 0 run"

# Every other fixture, on its part, through the loader; swdflash verifies.
for f in nrf52832:s132_nrf52_6.1.1_softdevice.hex nrf52840:s140_nrf52_6.1.1_softdevice.hex \
	nrf52840:pca10056_bootloader_s140_6.1.0r0.hex nrf52833:nRF52833_xxAA_systick.elf; do
	part=${f%%:*} img=$FIX/${f#*:} n=${f#*:}
	S=$T/$n.state
	t0=$(now_ms)
	ocd "part=$part,state=$S,wallclock=1" "$T/$n.json" "$T/$n.log" -c init \
		-c "program $img verify" -c shutdown || { log "$T/$n.log"; die "openocd program $n"; }
	t1=$(now_ms)
	grep -q '\*\* Verified OK \*\*' "$T/$n.log" || { log "$T/$n.log"; die "OpenOCD verify $n"; }
	ocd_used_algorithms "$T/$n.log" || { log "$T/$n.log"; die "$n: OpenOCD fell back"; }
	$SWDFLASH --probe "sim:part=$part,state=$S" verify "$img" >"$T/$n.sw" 2>&1 ||
		{ cat "$T/$n.sw"; die "swdflash verify $n after OpenOCD"; }
	ok "OpenOCD (defaults) programmed $n on $part in $((t1 - t0)) ms with its loader and CRC" \
		"($(json "$T/$n.json" sim.nvmc_writes) words, $(json "$T/$n.json" ioctls_total) GPIO" \
		"ioctls); swdflash verifies"
done

# 2. swdflash programs through libgpiod on the emulated GPIO, OpenOCD checks.
BL=$FIX/pca10056_bootloader_s140_6.1.0r0.hex
S=$T/b.state
emu "part=nrf52840,state=$S" "$T/b.json" $SWDFLASH --probe gpiod flash "$BL" >"$T/b.out" 2>&1 ||
	{ cat "$T/b.out"; die "swdflash --probe gpiod flash $BL"; }
# the bootloader swdflash reset into is running: OpenOCD's CRC algorithm
# needs a halted core (as on silicon), so halt first
ocd "part=nrf52840,state=$S,wallclock=1" "" "$T/c.log" -c init -c halt -c "verify_image $BL" \
	-c "dump_image $T/c.uicr.bin 0x10001000 0x100" -c "dump_image $T/c.mbr.bin 0x0 0x1000" \
	-c shutdown || { log "$T/c.log"; die "openocd verify_image after swdflash"; }
grep -q '^verified [0-9]* bytes' "$T/c.log" || { log "$T/c.log"; die "OpenOCD verify_image"; }
ocd_used_algorithms "$T/c.log" || { log "$T/c.log"; die "verify_image fell back"; }
$SWDFLASH --probe "sim:part=nrf52840,state=$S" read 0x10001000 0x100 -o "$T/c.uicr.sw" >/dev/null
$SWDFLASH --probe "sim:part=nrf52840,state=$S" read 0 0x1000 -o "$T/c.mbr.sw" >/dev/null
cmp "$T/c.uicr.bin" "$T/c.uicr.sw" || die "UICR differs between OpenOCD and swdflash"
cmp "$T/c.mbr.bin" "$T/c.mbr.sw" || die "flash differs between OpenOCD and swdflash"
# UICR as the hex says (srec_cat), bootloader address and MBR params included.
srec_cat "$BL" -intel -crop 0x10001000 0x10001100 -offset -0x10001000 -fill 0xFF 0 0x100 \
	-o "$T/c.uicr.ref" -binary
cmp "$T/c.uicr.ref" "$T/c.uicr.bin" || die "UICR differs from the image (srec_cat)"
ok "swdflash flashed $(basename "$BL") through libgpiod: OpenOCD verify_image OK, UICR" \
	"and flash read equal ($(json "$T/b.json" ioctls_total) GPIO ioctls," \
	"$(json "$T/b.json" sim.cycles) SWCLK cycles)"

# One word of the SoftDevice cleared in the chip's state file (24-byte
# header, then flash): OpenOCD's CRC compare must catch it.
python3 - "$S" <<'EOF' || die "corrupting the state file"
import sys
f = open(sys.argv[1], "r+b")
f.seek(24 + 0x12340)
f.write(b"\0\0\0\0")
EOF
ocd "part=nrf52840,state=$S,wallclock=1" "" "$T/d.log" -c init -c halt -c "verify_image $BL" -c shutdown
grep -q '^verified [0-9]* bytes' "$T/d.log" && { log "$T/d.log"; die "verify_image passed a corrupted word"; }
grep -q -i 'checksum mismatch\|contents differ\|verify failed' "$T/d.log" ||
	{ log "$T/d.log"; die "verify_image did not report the corrupted word"; }
ok "OpenOCD's verify_image (CRC algorithm) catches one corrupted word at 0x12340"
finish
