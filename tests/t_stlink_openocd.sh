#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Unmodified OpenOCD 0.12 through the real libusb on the emulated ST-Link
# (tests/with-stlink), images the project makes itself (runs in a plain
# clone):
#  - HLA (`-f interface/stlink.cfg -f target/nrf52.cfg`, the seed's own
#    command) on a V2, a V2-1 and a V3: the version line, the voltage, the
#    Cortex-M4, FICR equal to what swdflash reads from the same chip;
#  - HLA `program IMG 0x0 verify` of a pseudo-random image, then its dump
#    equals the image and swdflash reads the same flash; OpenOCD's flash
#    loader and CRC algorithm ran on the simulated core (no fallback to
#    host-side writes or reads: ocd_used_algorithms), and the detector
#    fires on a WORKAREASIZE 0 run through the same dongle;
#  - dapdirect V2J32 `program IMG 0x0 verify`, through the loader too;
#  - dapdirect (`-f interface/stlink-dap.cfg`) `nrf52_recover` on a locked
#    chip with V2J32 firmware: the chip ends unlocked and erased, and
#    swdflash flashes it; with V2J37 (refuses the non-ARM CTRL-AP: BAD_AP,
#    STLINK.md §6) the recovery fails and the chip stays locked.
# OpenOCD runs with target/nrf52.cfg's defaults (a 16 KiB work area), except
# the one labelled WORKAREASIZE 0 run that shows the fallback detector fires.
cd "$(dirname "$0")/.." || exit 1
. tests/lib.sh
need_stlink_emu
command -v openocd >/dev/null || skip "openocd missing (Debian package openocd)"
[ -x "$SWDFLASH" ] || die "$SWDFLASH missing"
log() { echo "--- $1"; tail -n 40 "$1"; }
# failed_log LOG: show LOG when the check just before failed.
f0=0
mark() { f0=$fails; }
failed_log() { [ "$fails" = "$f0" ] || log "$1"; }

# 1. Examine through each model.
for m in v2:0483:3748:V2J37S7 v2-1:0483:374B:V2J37M25 v3:0483:374F:V3J7M7; do
	model=${m%%:*} rest=${m#*:}
	want_vp=${rest%:*} want_v=${rest##*:}
	S=$T/ex.$model.state
	stlink_ocd "part=nrf52840,state=$S" "model=$model" "$T/ex.$model.json" "$T/ex.$model.log" \
		stlink -c init -c "mdw 0x10000100 1" -c "dump_image $T/ex.$model.ficr 0x10000000 0x100" \
		-c shutdown || { log "$T/ex.$model.log"; fail "openocd HLA on $model"; continue; }
	$SWDFLASH --probe "sim:part=nrf52840,state=$S" read 0x10000000 0x100 -o "$T/ex.$model.sw" \
		>/dev/null || die "swdflash read FICR"
	L=$T/ex.$model.log
	mark
	assert "$model: OpenOCD HLA examined it ($want_v, $want_vp, 3.3 V, Cortex-M4, INFO.PART) and its FICR equals swdflash's" \
		'grep -q "STLINK $want_v (API v[23]) VID:PID $want_vp" "$L" &&
		 grep -q "Target voltage: 3.29" "$L" &&
		 grep -q "Cortex-M4 r0p1 processor detected" "$L" &&
		 grep -q "0x10000100: 00052840" "$L" && cmp -s "$T/ex.$model.ficr" "$T/ex.$model.sw"'
	failed_log "$L"
done

# HLA reset halt: AIRCR SYSRESETREQ then RESETSYS (STLINK.md §3.2), the
# core halts at the reset vector; DCRSR/DCRDR register reads through 0x33.
stlink_ocd "part=nrf52840" "" "$T/rst.json" "$T/rst.log" stlink -c init -c "reset halt" \
	-c "reg pc" -c "reset run" -c shutdown
mark
assert "HLA reset halt halts the core (a system reset seen, pc read back)" \
	'grep -q "halted due to debug-request" "$T/rst.log" &&
	 grep -q "^pc (/32): 0xfffffffe" "$T/rst.log" &&
	 [ "$(json "$T/rst.json" sim.resets)" -ge 1 ]'
failed_log "$T/rst.log"

# 2. HLA program + verify of an image made here.
python3 -c 'import random,sys; r=random.Random(11); sys.stdout.buffer.write(bytes(r.getrandbits(8) for _ in range(12 * 1024 + 36)))' >"$T/img.bin"
S=$T/prog.state
stlink_ocd "part=nrf52840,state=$S" "" "$T/prog.json" "$T/prog.log" stlink -c init \
	-c "program $T/img.bin 0x0 verify" -c "dump_image $T/prog.dump 0x0 $(stat -c %s "$T/img.bin")" \
	-c shutdown || { log "$T/prog.log"; die "openocd program"; }
$SWDFLASH --probe "sim:part=nrf52840,state=$S" read 0 "$(stat -c %s "$T/img.bin")" -o "$T/prog.sw" \
	>/dev/null || die "swdflash read after OpenOCD"
mark
assert "HLA program 12 KiB + 36 B verify: OpenOCD's dump and swdflash's read equal the image ($(json "$T/prog.json" stlink.commands) USB commands)" \
	'grep -q "\*\* Verified OK \*\*" "$T/prog.log" && cmp -s "$T/img.bin" "$T/prog.dump" &&
	 cmp -s "$T/img.bin" "$T/prog.sw"'
failed_log "$T/prog.log"
mark
check "HLA program: OpenOCD's flash loader and CRC algorithm ran (no fallback)" \
	ocd_used_algorithms "$T/prog.log"
failed_log "$T/prog.log"
# The detector can fail: WORKAREASIZE 0 makes OpenOCD fall back (and send
# several times the USB commands).
stlink_ocd_nowa "part=nrf52840,state=$T/nowa.state" "" "$T/nowa.json" "$T/nowa.log" stlink -c init \
	-c "program $T/img.bin 0x0 verify" -c shutdown || { log "$T/nowa.log"; die "openocd WORKAREASIZE 0"; }
mark
assert "[WORKAREASIZE 0, the detector's negative control] HLA program falls back to slow memory writes ($(json "$T/nowa.json" stlink.commands) USB commands against $(json "$T/prog.json" stlink.commands))" \
	'grep -q "\*\* Verified OK \*\*" "$T/nowa.log" && ! ocd_used_algorithms "$T/nowa.log" &&
	 [ "$(json "$T/nowa.json" stlink.commands)" -gt "$(json "$T/prog.json" stlink.commands)" ]'
failed_log "$T/nowa.log"
# The comparison can fail: a different image does not verify.
python3 -c 'import sys; sys.stdout.buffer.write(bytes(range(256)) * 4)' >"$T/other.bin"
stlink_ocd "part=nrf52840,state=$S" "" "" "$T/ver.log" stlink -c init -c halt \
	-c "verify_image $T/other.bin 0x0" -c shutdown
mark
assert "HLA verify_image of a different image fails (by the CRC algorithm)" \
	'! grep -q "^verified [0-9]* bytes" "$T/ver.log" && grep -q "checksum mismatch" "$T/ver.log" &&
	 ocd_used_algorithms "$T/ver.log"'
failed_log "$T/ver.log"

# dapdirect (V2J32: memory commands with CSW, RW_MISC) programs too.
S=$T/dprog.state
stlink_ocd "part=nrf52840,state=$S,wallclock=1" "fw=J32" "$T/dprog.json" "$T/dprog.log" stlink-dap \
	-c init -c "program $T/img.bin 0x0 verify" -c shutdown
$SWDFLASH --probe "sim:part=nrf52840,state=$S" read 0 "$(stat -c %s "$T/img.bin")" -o "$T/dprog.sw" \
	>/dev/null 2>&1
mark
assert "dapdirect V2J32 program 12 KiB + 36 B verify through the loader and CRC: swdflash reads the image back" \
	'grep -q "\*\* Verified OK \*\*" "$T/dprog.log" && ocd_used_algorithms "$T/dprog.log" &&
	 cmp -s "$T/img.bin" "$T/dprog.sw"'
failed_log "$T/dprog.log"

# 3. dapdirect nrf52_recover on a locked chip.
S=$T/rec.state
stlink_ocd "part=nrf52840,locked=1,state=$S,wallclock=1" "fw=J32" "$T/rec.json" "$T/rec.log" \
	stlink-dap -c init -c nrf52_recover -c "mdw 0x10001208 1" -c "mdw 0x0 2" -c shutdown ||
	{ log "$T/rec.log"; die "openocd dapdirect recover"; }
$SWDFLASH --json --probe "sim:part=nrf52840,state=$S" info >"$T/rec.info" || die "swdflash info"
$SWDFLASH --probe "sim:part=nrf52840,state=$S" read 0 0x1000 -o "$T/rec.flash" >/dev/null ||
	die "swdflash read after recover"
head -c 4096 /dev/zero | tr '\0' '\377' >"$T/ff.bin"
mark
assert "dapdirect V2J32: nrf52_recover erased and unlocked the locked chip (AP lock reported, CTRL-AP ERASEALL seen, swdflash sees it open and blank)" \
	'grep -q "AP lock engaged" "$T/rec.log" &&
	 grep -q "successfully erased and unlocked" "$T/rec.log" &&
	 grep -q "0x10001208: ffffffff" "$T/rec.log" &&
	 [ "$(json "$T/rec.json" sim.ctrlap_erase_alls)" = 1 ] &&
	 [ "$(json "$T/rec.info" locked)" = False ] && cmp -s "$T/rec.flash" "$T/ff.bin"'
failed_log "$T/rec.log"
flash_rec() { "$SWDFLASH" --probe "sim:part=nrf52840,state=$S" flash "$T/img.bin" --base 0 >"$T/sw.out" 2>&1; }
check "then swdflash flashes the recovered chip" flash_rec
S=$T/rec37.state
stlink_ocd "part=nrf52840,locked=1,state=$S,wallclock=1" "fw=J37" "$T/rec37.json" "$T/rec37.log" \
	stlink-dap -c init -c nrf52_recover -c shutdown
$SWDFLASH --json --probe "sim:part=nrf52840,state=$S" info >"$T/rec37.info" || die "swdflash info"
mark
assert "dapdirect V2J37 (BAD_AP on the CTRL-AP): no recovery, the chip stays locked" \
	'! grep -q "successfully erased" "$T/rec37.log" &&
	 [ "$(json "$T/rec37.info" locked)" = True ] &&
	 [ "$(json "$T/rec37.json" sim.ctrlap_erase_alls)" = 0 ]'
failed_log "$T/rec37.log"
finish
