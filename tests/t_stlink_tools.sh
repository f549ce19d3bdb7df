#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# stlink-tools 1.7.0 (Debian 12) or 1.8.0 (Debian 13), unmodified, through
# the real libusb on the emulated ST-Link, and the dongle's USB identity as a
# second client sees it:
#  - `st-info --probe` finds the V2 / V2-1 / V3, prints its version and
#    serial, and resets the chip on the way (nRESET pulse + RESETSYS,
#    STLINK.md §7.1);
#  - old firmware's serial (12 raw bytes, bLength 26): st-info prints the
#    24-hex form, OpenOCD matches `adapter serial` given in that form and
#    refuses another serial;
#  - `st-flash read` on an nRF52 stops with "Failed to connect to target"
#    (no STM32 chip id, STLINK.md §7.2) and leaves the flash as it was;
#  - the faults: unplugged after N commands (LIBUSB_ERROR_NO_DEVICE), a
#    stalled IN endpoint (LIBUSB_ERROR_PIPE); neither tool claims success.
cd "$(dirname "$0")/.." || exit 1
. tests/lib.sh
need_stlink_emu
command -v st-info >/dev/null || skip "st-info missing (Debian package stlink-tools)"
[ -x "$SWDFLASH" ] || die "$SWDFLASH missing"

# 1. st-info --probe on each model.
for m in v2:V2J37S7 v2-1:V2J37S25 v3:V3J7; do
	model=${m%%:*} want=${m#*:}
	stl "" "model=$model,serial=0668FF535155878281123456" "$T/$model.json" \
		timeout 60 st-info --probe >"$T/$model.out" 2>&1
	rc=$?
	O=$T/$model.out
	assert "st-info --probe finds the emulated $model: version $want, its serial, status 0" \
		'[ $rc = 0 ] && grep -q "^Found 1 stlink programmers" "$O" &&
		 grep -q "version: *$want\$" "$O" &&
		 grep -q "serial: *0668FF535155878281123456\$" "$O"'
	[ $rc = 0 ] || cat "$O"
done
# (stlink-tools reads V2-1's mass-storage version as "S": its own decoding.)
assert "st-info --probe reset the chip: nRESET pulsed once, a system reset seen" \
	'[ "$(json "$T/v2.json" stlink.nrst_pulses)" = 1 ] &&
	 [ "$(json "$T/v2.json" sim.resets)" -ge 1 ]'

# 2. The old-firmware serial: 12 raw bytes in the descriptor.
stl "" "serial_form=raw,serial=0123456789ABCDEF01234567" "" timeout 60 st-info --probe \
	>"$T/raw.out" 2>&1
check "raw serial: st-info prints it as 24 hex digits" \
	grep -q "serial: *0123456789ABCDEF01234567\$" "$T/raw.out"
stl "" "serial_form=raw,serial=0123456789ABCDEF01234567" "" timeout 60 st-info --serial \
	>"$T/raw.ser" 2>&1
check "raw serial: st-info --serial prints it as 24 hex digits" \
	grep -qx "0123456789ABCDEF01234567" "$T/raw.ser"
stlink_ocd "" "serial_form=raw,serial=0123456789ABCDEF01234567" "" "$T/raw.ocd" stlink \
	-c "adapter serial 0123456789ABCDEF01234567" -c init -c "mdw 0x10000100 1" -c shutdown
rc=$?
assert "raw serial: OpenOCD HLA matches 'adapter serial' in the hex form" \
	'[ $rc = 0 ] && grep -q "0x10000100: 00052840" "$T/raw.ocd"'
stlink_ocd "" "serial_form=raw,serial=0123456789ABCDEF01234567" "" "$T/raw2.ocd" stlink \
	-c "adapter serial 0123456789ABCDEF0123FFFF" -c init -c shutdown
rc=$?
assert "raw serial: OpenOCD refuses a different serial" \
	'[ $rc != 0 ] && ! grep -q "processor detected" "$T/raw2.ocd"'

# 3. st-flash on an nRF52: no STM32 chip id, nothing written.
S=$T/stf.state
$SWDFLASH --probe "sim:part=nrf52840,state=$S" info >/dev/null || die "swdflash info"
$SWDFLASH --probe "sim:part=nrf52840,state=$S" read 0 0x1000 -o "$T/stf.before" >/dev/null ||
	die "swdflash read"
head -c 256 /dev/zero >"$T/zero.bin"
stl "part=nrf52840,state=$S" "" "" timeout 60 st-flash write "$T/zero.bin" 0x0 >"$T/stf.out" 2>&1
rc=$?
$SWDFLASH --probe "sim:part=nrf52840,state=$S" read 0 0x1000 -o "$T/stf.after" >/dev/null ||
	die "swdflash read"
assert "st-flash write on an nRF52: 'Failed to connect to target', non-zero, flash unchanged" \
	'[ $rc != 0 ] && grep -q "Failed to connect to target" "$T/stf.out" &&
	 cmp -s "$T/stf.before" "$T/stf.after"'

# 4. Faults: neither tool claims success.
stl "" "unplug_after=3" "$T/unplug.json" timeout 60 st-info --probe >"$T/unplug.out" 2>&1
# (st-info still prints what it got before, and exits 0: it ignores the
# errors of its later commands; that is stlink-tools' behaviour. 1.7.0
# names libusb's error; 1.8.0 says only "Failed to enter SWD mode", which a
# working probe of the emulated dongle never prints.)
FAULT='send request failed: LIBUSB_ERROR_NO_DEVICE\|Failed to enter SWD mode'
assert "unplugged after 3 commands: the dongle took 3, st-info reports the failure of the next ($(grep -o "$FAULT" "$T/unplug.out" | head -n 1))" \
	'[ "$(json "$T/unplug.json" stlink.commands)" = 3 ] &&
	 grep -q "$FAULT" "$T/unplug.out" &&
	 grep -q "chipid: *0x00*\$" "$T/unplug.out"'
stl "" "stall=0x81" "" timeout 60 st-info --probe >"$T/stall.out" 2>&1
assert "stalled IN endpoint: st-info reports it ($(grep -o 'LIBUSB_ERROR_PIPE\|Failed to enter SWD mode' "$T/stall.out" | head -n 1)), no version line" \
	'grep -q "LIBUSB_ERROR_PIPE\|Failed to enter SWD mode" "$T/stall.out" &&
	 ! grep -q "version: *V2J37" "$T/stall.out"'
stlink_ocd "" "unplug_after=40" "" "$T/unplug.ocd" stlink -c init -c "mdw 0x10000100 1" -c shutdown
rc=$?
assert "unplugged during OpenOCD's examine: it fails, never prints the memory" \
	'[ $rc != 0 ] && ! grep -q "0x10000100: 00052840" "$T/unplug.ocd"'
finish
