#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The seed's own command on the vendor images: unmodified OpenOCD 0.12
# `-f interface/stlink.cfg -f target/nrf52.cfg` (HLA) through the real
# libusb on the emulated ST-Link V2:
#  - `program` the PCA10056 bootloader + S140 SoftDevice image with
#    `verify`; every data range of the hex read back by OpenOCD equals what
#    srec_cat says the image holds, and swdflash reads the same bytes from
#    the chip (the sim state file);
#  - the reverse: swdflash flashes the S132 SoftDevice, OpenOCD halts the
#    core swdflash left running and its verify_image through the ST-Link
#    accepts it.
# OpenOCD runs with target/nrf52.cfg's defaults (a 16 KiB work area): its
# flash loader and CRC algorithm run on the simulated core, and each check
# asserts there was no fallback to host-side writes or reads
# (ocd_used_algorithms).
cd "$(dirname "$0")/.." || exit 1
. tests/lib.sh
need_fixtures
need_stlink_emu
command -v openocd >/dev/null || skip "openocd missing (Debian package openocd)"
command -v srec_cat >/dev/null || skip "srec_cat missing (Debian package srecord)"
[ -x "$SWDFLASH" ] || die "$SWDFLASH missing"
log() { echo "--- $1"; tail -n 30 "$1"; }

BL=$FIX/pca10056_bootloader_s140_6.1.0r0.hex
S=$T/bl.state
dumps=
for r in $(hex_ranges "$BL" | tr ' ' ':'); do
	s=${r%:*} e=${r#*:}
	dumps="$dumps -c \"dump_image $T/ocd.$s.bin $s $((e - s))\""
done
eval stlink_ocd "\"part=nrf52840,state=$S\"" '""' "\"$T/bl.json\"" "\"$T/bl.log\"" stlink \
	-c init -c "\"program $BL verify\"" $dumps -c shutdown ||
	{ log "$T/bl.log"; die "openocd program $BL"; }
check "OpenOCD HLA program $(basename "$BL") verify: Verified OK" \
	grep -q '\*\* Verified OK \*\*' "$T/bl.log"
check "OpenOCD HLA program $(basename "$BL"): its flash loader and CRC algorithm ran (no fallback)" \
	ocd_used_algorithms "$T/bl.log"
n=0 good=0
for r in $(hex_ranges "$BL" | tr ' ' ':'); do
	s=${r%:*} e=${r#*:}
	n=$((n + 1))
	srec_cat "$BL" -Intel -crop "$s" "$e" -offset "-$s" -o "$T/ref.$s.bin" -Binary || continue
	$SWDFLASH --probe "sim:part=nrf52840,state=$S" read "$s" $((e - s)) -o "$T/sw.$s.bin" \
		>/dev/null 2>&1 || continue
	if cmp -s "$T/ref.$s.bin" "$T/ocd.$s.bin" && cmp -s "$T/ref.$s.bin" "$T/sw.$s.bin"; then
		good=$((good + 1))
	else
		printf 'range 0x%X..0x%X: %s / %s\n' "$s" "$e" "$(cmp "$T/ref.$s.bin" "$T/ocd.$s.bin" 2>&1)" \
			"$(cmp "$T/ref.$s.bin" "$T/sw.$s.bin" 2>&1)"
	fi
done
assert "all $n ranges read back by OpenOCD through the ST-Link and by swdflash equal srec_cat's bytes ($(json "$T/bl.json" stlink.commands) USB commands, $(json "$T/bl.json" sim.nvmc_writes) words)" \
	'[ $n -ge 3 ] && [ $good = $n ]'

# The reverse: swdflash writes, OpenOCD checks through the ST-Link.
SD=$FIX/s132_nrf52_6.1.1_softdevice.hex
S=$T/sd.state
$SWDFLASH --probe "sim:part=nrf52832,state=$S" flash "$SD" >"$T/sd.out" 2>&1 ||
	{ cat "$T/sd.out"; die "swdflash flash $SD"; }
# swdflash reset into the SoftDevice: OpenOCD's CRC algorithm needs a
# halted core (as on silicon), so halt first.
stlink_ocd "part=nrf52832,state=$S" "" "" "$T/sd.log" stlink -c init -c halt -c "verify_image $SD" \
	-c shutdown || { log "$T/sd.log"; die "openocd verify_image"; }
check "swdflash flashed $(basename "$SD"); OpenOCD HLA verify_image through the ST-Link agrees" \
	grep -q '^verified [0-9]* bytes' "$T/sd.log"
check "OpenOCD HLA verify_image ran its CRC algorithm on the halted core (no fallback)" \
	ocd_used_algorithms "$T/sd.log"
finish
