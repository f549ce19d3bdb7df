#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# OpenOCD 0.12 (Debian, unmodified) with `adapter driver linuxgpiod` on the
# emulated Raspberry Pi 4 GPIO chip, wired to the simulated nRF52:
#  - it examines each part (DPIDR, Cortex-M4, FPB/DWT counts) and reads FICR;
#  - what it reads equals what swdflash reads from the same simulated chip;
#  - on a locked chip it reports the AP lock, `nrf52_recover` unlocks it, and
#    the chip stays open afterwards (for OpenOCD and for swdflash).
cd "$(dirname "$0")/.." || exit 1
. tests/lib.sh
need_emu
need_openocd_driver linuxgpiod
[ -x "$SWDFLASH" ] || die "$SWDFLASH missing"
log() { echo "--- $1"; cat "$1"; }

for part in nrf52832 nrf52833 nrf52840; do
	S=$T/$part.state
	ocd "part=$part,state=$S" "$T/$part.json" "$T/$part.log" -c init \
		-c "mdw 0x10000100 1" -c "dump_image $T/$part.ficr.bin 0x10000000 0x400" \
		-c shutdown || { log "$T/$part.log"; die "openocd on $part"; }
	grep -q 'SWD DPIDR 0x2ba01477' "$T/$part.log" || { log "$T/$part.log"; die "$part DPIDR"; }
	grep -q 'Cortex-M4 r0p1 processor detected' "$T/$part.log" || die "$part: no Cortex-M4"
	grep -q '6 breakpoints, 4 watchpoints' "$T/$part.log" || die "$part: FPB/DWT"
	want=$(echo "$part" | sed 's/nrf/000/')
	grep -q "0x10000100: $want" "$T/$part.log" || { log "$T/$part.log"; die "$part INFO.PART"; }
	# The same FICR bytes through swdflash's own stack.
	$SWDFLASH --probe "sim:part=$part,state=$S" read 0x10000000 0x400 -o "$T/$part.sw.bin" \
		>/dev/null || die "swdflash read FICR ($part)"
	cmp "$T/$part.ficr.bin" "$T/$part.sw.bin" || die "$part: OpenOCD and swdflash read different FICR"
	# OpenOCD's traffic is clean as the simulated SW-DP sees it.
	[ "$(json "$T/$part.json" sim.protocol_errors)" = 0 ] || die "$part: protocol errors"
	[ "$(json "$T/$part.json" sim.acks_fault)" = 0 ] || die "$part: FAULT answers"
	ok "$part: examined, FICR equal ($(json "$T/$part.json" ioctls_total) GPIO ioctls," \
		"$(json "$T/$part.json" sim.cycles) SWCLK cycles)"
done

# A locked chip: OpenOCD's examine-die handler, then nrf52_recover.
S=$T/locked.state
ocd "part=nrf52840,locked=1,state=$S,wallclock=1" "$T/rec.json" "$T/rec.log" -c init \
	-c nrf52_recover -c "mdw 0x0 2" -c shutdown || { log "$T/rec.log"; die "openocd recover"; }
grep -q 'AP lock engaged' "$T/rec.log" || { log "$T/rec.log"; die "lock not reported"; }
grep -q 'successfully erased and unlocked' "$T/rec.log" || { log "$T/rec.log"; die "recover"; }
grep -q '0x00000000: ffffffff ffffffff' "$T/rec.log" || { log "$T/rec.log"; die "flash not blank"; }
[ "$(json "$T/rec.json" sim.ctrlap_erase_alls)" = 1 ] || die "no CTRL-AP ERASEALL seen"
# Unlocked for good (legacy revision): OpenOCD and swdflash both see it open.
ocd "part=nrf52840,state=$S" "" "$T/after.log" -c init -c "mdw 0x10001208 1" -c shutdown ||
	{ log "$T/after.log"; die "openocd after recover"; }
grep -q 'AP lock engaged' "$T/after.log" && die "still locked after nrf52_recover"
grep -q '0x10001208: ffffffff' "$T/after.log" || { log "$T/after.log"; die "UICR.APPROTECT"; }
$SWDFLASH --json --probe "sim:part=nrf52840,state=$S" info >"$T/info.json" || die "swdflash info"
[ "$(json "$T/info.json" locked)" = False ] || die "swdflash sees the chip locked"
ok "locked nRF52840: reported, recovered by nrf52_recover, open for swdflash"
finish
