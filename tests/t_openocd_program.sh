#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# OpenOCD 0.12 and swdflash on the same simulated chip (the sim state file
# is the chip between runs):
#  - OpenOCD `program FILE verify` through linuxgpiod on the emulated Pi GPIO,
#    its dump equals srec_cat's reference, and swdflash verifies and reads
#    the same bytes;
#  - swdflash flashes through libgpiod on the emulated GPIO (bootloader +
#    SoftDevice + UICR), OpenOCD's verify_image accepts it and reads the
#    same flash and UICR;
#  - a wrong image is caught (so the comparisons can die).
cd "$(dirname "$0")/.." || exit 1
. tests/lib.sh
need_fixtures
need_emu
command -v openocd >/dev/null || skip "openocd missing (Debian package openocd)"
command -v srec_cat >/dev/null || skip "srec_cat missing (Debian package srecord)"
[ -x "$SWDFLASH" ] || die "$SWDFLASH missing"
log() { echo "--- $1"; tail -n 30 "$1"; }

# 1. OpenOCD programs, swdflash checks.
MBR=$FIX/mbr_nrf52_2.4.1_mbr.hex
S=$T/a.state
ocd "part=nrf52840,state=$S,wallclock=1" "$T/a.json" "$T/a.log" -c init \
	-c "program $MBR verify" -c "dump_image $T/a.ocd.bin 0x0 0x2000" -c shutdown ||
	{ log "$T/a.log"; die "openocd program $MBR"; }
grep -q '\*\* Verified OK \*\*' "$T/a.log" || { log "$T/a.log"; die "OpenOCD verify"; }
srec_cat "$MBR" -intel -fill 0xFF 0 0x2000 -o "$T/a.ref.bin" -binary
cmp "$T/a.ref.bin" "$T/a.ocd.bin" || die "OpenOCD's dump differs from srec_cat's image"
$SWDFLASH --probe "sim:part=nrf52840,state=$S" verify "$MBR" || die "swdflash verify after OpenOCD"
$SWDFLASH --probe "sim:part=nrf52840,state=$S" read 0 0x2000 -o "$T/a.sw.bin" >/dev/null ||
	die "swdflash read"
cmp "$T/a.ocd.bin" "$T/a.sw.bin" || die "OpenOCD and swdflash read different flash"
ok "OpenOCD programmed $(basename "$MBR"): swdflash verifies it, reads equal" \
	"($(json "$T/a.json" ioctls_total) GPIO ioctls, $(json "$T/a.json" sim.nvmc_writes) words)"

# The comparison can die: another image does not verify (exit 6).
$SWDFLASH --probe "sim:part=nrf52840,state=$S" verify "$FIX/s132_nrf52_6.1.1_softdevice.hex" \
	>"$T/bad.out" 2>&1
rc=$?
[ $rc -eq 6 ] || { cat "$T/bad.out"; die "verify of a different image gave exit $rc, want 6"; }

# 2. swdflash programs through libgpiod on the emulated GPIO, OpenOCD checks.
BL=$FIX/pca10056_bootloader_s140_6.1.0r0.hex
S=$T/b.state
emu "part=nrf52840,state=$S" "$T/b.json" $SWDFLASH --probe gpiod flash "$BL" >"$T/b.out" 2>&1 ||
	{ cat "$T/b.out"; die "swdflash --probe gpiod flash $BL"; }
ocd "part=nrf52840,state=$S,wallclock=1" "" "$T/c.log" -c init -c "verify_image $BL" \
	-c "dump_image $T/c.uicr.bin 0x10001000 0x100" -c "dump_image $T/c.mbr.bin 0x0 0x1000" \
	-c shutdown || { log "$T/c.log"; die "openocd verify_image after swdflash"; }
grep -q '^verified [0-9]* bytes' "$T/c.log" || { log "$T/c.log"; die "OpenOCD verify_image"; }
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
finish
