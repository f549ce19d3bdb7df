#!/bin/sh
# OpenOCD 0.12 (Debian, unmodified) with `adapter driver linuxgpiod` on the
# emulated Raspberry Pi 4 GPIO chip, wired to the simulated nRF52:
#  - it examines each part (DPIDR, Cortex-M4, FPB/DWT counts) and reads FICR;
#  - what it reads equals what swdflash reads from the same simulated chip;
#  - on a locked chip it reports the AP lock, `nrf52_recover` unlocks it, and
#    the chip stays open afterwards (for OpenOCD and for swdflash).
. tests/gpiochip_env.sh
need_emu
command -v openocd >/dev/null || skip "openocd missing (Debian package openocd)"
SWDFLASH=build/check/swdflash
[ -x "$SWDFLASH" ] || fail "$SWDFLASH missing"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
log() { echo "--- $1"; cat "$1"; }

for part in nrf52832 nrf52833 nrf52840; do
	S=$T/$part.state
	ocd "part=$part,state=$S" "$T/$part.json" "$T/$part.log" -c init \
		-c "mdw 0x10000100 1" -c "dump_image $T/$part.ficr.bin 0x10000000 0x400" \
		-c shutdown || { log "$T/$part.log"; fail "openocd on $part"; }
	grep -q 'SWD DPIDR 0x2ba01477' "$T/$part.log" || { log "$T/$part.log"; fail "$part DPIDR"; }
	grep -q 'Cortex-M4 r0p1 processor detected' "$T/$part.log" || fail "$part: no Cortex-M4"
	grep -q '6 breakpoints, 4 watchpoints' "$T/$part.log" || fail "$part: FPB/DWT"
	want=$(echo "$part" | sed 's/nrf/000/')
	grep -q "0x10000100: $want" "$T/$part.log" || { log "$T/$part.log"; fail "$part INFO.PART"; }
	# The same FICR bytes through swdflash's own stack.
	$SWDFLASH --probe "sim:part=$part,state=$S" read 0x10000000 0x400 -o "$T/$part.sw.bin" \
		>/dev/null || fail "swdflash read FICR ($part)"
	cmp "$T/$part.ficr.bin" "$T/$part.sw.bin" || fail "$part: OpenOCD and swdflash read different FICR"
	# OpenOCD's traffic is clean as the simulated SW-DP sees it.
	[ "$(json "$T/$part.json" sim.protocol_errors)" = 0 ] || fail "$part: protocol errors"
	[ "$(json "$T/$part.json" sim.acks_fault)" = 0 ] || fail "$part: FAULT answers"
	echo "$part: examined, FICR equal ($(json "$T/$part.json" ioctls_total) GPIO ioctls," \
		"$(json "$T/$part.json" sim.cycles) SWCLK cycles)"
done

# A locked chip: OpenOCD's examine-fail handler, then nrf52_recover.
S=$T/locked.state
ocd "part=nrf52840,locked=1,state=$S,wallclock=1" "$T/rec.json" "$T/rec.log" -c init \
	-c nrf52_recover -c "mdw 0x0 2" -c shutdown || { log "$T/rec.log"; fail "openocd recover"; }
grep -q 'AP lock engaged' "$T/rec.log" || { log "$T/rec.log"; fail "lock not reported"; }
grep -q 'successfully erased and unlocked' "$T/rec.log" || { log "$T/rec.log"; fail "recover"; }
grep -q '0x00000000: ffffffff ffffffff' "$T/rec.log" || { log "$T/rec.log"; fail "flash not blank"; }
[ "$(json "$T/rec.json" sim.ctrlap_erase_alls)" = 1 ] || fail "no CTRL-AP ERASEALL seen"
# Unlocked for good (legacy revision): OpenOCD and swdflash both see it open.
ocd "part=nrf52840,state=$S" "" "$T/after.log" -c init -c "mdw 0x10001208 1" -c shutdown ||
	{ log "$T/after.log"; fail "openocd after recover"; }
grep -q 'AP lock engaged' "$T/after.log" && fail "still locked after nrf52_recover"
grep -q '0x10001208: ffffffff' "$T/after.log" || { log "$T/after.log"; fail "UICR.APPROTECT"; }
$SWDFLASH --json --probe "sim:part=nrf52840,state=$S" info >"$T/info.json" || fail "swdflash info"
[ "$(json "$T/info.json" locked)" = False ] || fail "swdflash sees the chip locked"
echo "locked nRF52840: reported, recovered by nrf52_recover, open for swdflash"
