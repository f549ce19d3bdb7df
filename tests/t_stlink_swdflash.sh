#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# swdflash --probe stlink through the real libusb 1.0.26 and the emulated
# ST-Link (tests/stlink_emu/, LD_PRELOAD), wired to the simulated nRF52:
#  - no ST-Link attached: a clear message; `swdflash probes` lists the
#    dongle with model, firmware and serial; the old 12-raw-byte serial;
#  - a project-made image and (with the vendor images) every fixture
#    flashed at the dongle's top clock and read back equal to
#    objcopy/srec_cat; erase;
#  - a locked chip answering 0x05: recovered through the CTRL-AP (OpenOCD's
#    HLA ST-Link driver cannot reach it), then flashed;
#  - firmware reality: V2J22 (memory only: flash works, recover refused
#    naming V2J28), V2J37 refusing the CTRL-AP (BAD_AP), a clone whose RST
#    moves nothing (software reset instead), a clone reporting 0 V;
#  - unplugged mid-job: exit naming it, nothing claims success;
#  - OpenOCD (HLA, -f interface/stlink.cfg) flashes through the same
#    emulated dongle and swdflash verifies, and the reverse; OpenOCD's
#    dapdirect (stlink-dap.cfg) recovers a locked chip, swdflash flashes it.
cd "$(dirname "$0")/.." || exit 1
. tests/lib.sh
[ -x "$SWDFLASH" ] || die "$SWDFLASH missing"
need_stlink_emu
need objcopy "binutils"
need python3 "make deps-check"

V2=model=v2,fw=J34
S=$T/chip.state
SIM="part=nrf52840,wallclock=1,state=$S"

# 1. Nothing attached (no shim): exit 4 and what was looked for.
$SWDFLASH --probe stlink info >"$T/none.out" 2>&1
rc=$?
check "no ST-Link: exit 4 ($rc)" [ $rc -eq 4 ]
check "no ST-Link: says so" grep -q 'no ST-Link is attached' "$T/none.out"

# 2. The listing: model, firmware, serial.
stl "$SIM" "$V2,serial=0123456789ABCDEF01234567" "" $SWDFLASH probes >"$T/probes.out" 2>&1
check "probes lists the dongle: $(grep stlink "$T/probes.out" | head -n 1)" \
	grep -q '^stlink   yes ST-Link/V2 V2J34S7 serial 0123456789ABCDEF01234567' "$T/probes.out"
stl "$SIM" "model=v2-1,fw=J37" "" $SWDFLASH probes >"$T/probes21.out" 2>&1
check "probes: a V2-1 ($(grep '^stlink' "$T/probes21.out"))" \
	grep -q '^stlink   yes ST-Link/V2-1 V2J37M' "$T/probes21.out"
# old firmware: 12 raw bytes, shown and matched as 24 hex digits
stl "$SIM" "$V2,serial_form=raw,serial=066DFF485550755187121030" "" $SWDFLASH --json \
	--probe stlink:serial=066dff485550755187121030 info >"$T/raw.json" 2>"$T/raw.err"
check "raw serial: opened by its hex form" [ "$(json "$T/raw.json" part 2>/dev/null)" = nRF52840 ]
check "raw serial: described" grep -q 'serial 066DFF485550755187121030' "$T/raw.json"
stl "$SIM" "$V2" "" $SWDFLASH --probe stlink:serial=FFFF info >"$T/ws.out" 2>&1
rc=$?
check "wrong serial: exit 4 ($rc)" [ $rc -eq 4 ]
check "wrong serial: named" grep -q 'no ST-Link with serial FFFF' "$T/ws.out"

# 3. info: probe kind, model, firmware, serial, clock, voltage.
stl "$SIM" "$V2" "" $SWDFLASH --json --probe stlink info >"$T/info.json" 2>"$T/info.err"
d=$(json "$T/info.json" probe.description 2>/dev/null)
echo "info: $d"
check "info: the description" sh -c "echo '$d' | grep -q 'ST-Link/V2 V2J34S7 serial [0-9A-F]\{24\}, SWD 4000 kHz, target 3\.[0-9][0-9] V'"
check "info: kind stlink" [ "$(json "$T/info.json" probe.kind 2>/dev/null)" = stlink ]

# 4. A project-made image at the top clock, read back equal to objcopy's.
python3 -c "import os,sys; sys.stdout.buffer.write(os.urandom(65536 + 1000))" >"$T/img.bin"
objcopy -I binary -O ihex --change-addresses 0x3000 "$T/img.bin" "$T/img.hex"
stl "$SIM" "$V2" "$T/flash.stats" $SWDFLASH --probe stlink flash "$T/img.hex" >"$T/fl.out" 2>&1
check "flash a made image ($(tail -n 1 "$T/fl.out"))" [ $? -eq 0 ]
stl "$SIM" "$V2" "" $SWDFLASH --probe stlink read 0x3000 66536 -o "$T/back.bin" >/dev/null 2>&1
check "read back equals objcopy's bytes" cmp -s "$T/img.bin" "$T/back.bin"
$SWDFLASH --probe "sim:part=nrf52840,state=$S" verify "$T/img.hex" >/dev/null 2>&1
check "the simulated chip agrees (sim probe verify)" [ $? -eq 0 ]
[ -f "$T/flash.stats" ] && echo "flash of 65 KiB: $(json "$T/flash.stats" stlink.commands) USB commands, $(json "$T/flash.stats" stlink.bulk_transfers) bulk transfers, modelled $(json "$T/flash.stats" stlink.modelled_ns) ns"

# 5. Erase: the image is gone.
stl "$SIM" "$V2" "" $SWDFLASH --probe stlink erase >"$T/er.out" 2>&1
check "erase ($(tail -n 1 "$T/er.out"))" [ $? -eq 0 ]
stl "$SIM" "$V2" "" $SWDFLASH --probe stlink read 0x3000 16 -o "$T/er.bin" >/dev/null 2>&1
check "erased reads 0xFF" [ "$(od -An -tx1 "$T/er.bin" | tr -d ' \n')" = ffffffffffffffffffffffffffffffff ]

# 6. Every fixture (vendor images: skipped in a plain clone).
if [ -d "$FIX" ]; then
	for f in "$FIX"/*.hex; do
		rm -f "$S"
		stl "$SIM" "$V2" "" $SWDFLASH --probe stlink flash --erase chip "$f" >"$T/fx.out" 2>&1 ||
			{ fail "flash $(basename "$f"): $(tail -n 2 "$T/fx.out")"; continue; }
		good=1 n=0
		for r in $(hex_ranges "$f" | tr ' ' ':'); do
			s=${r%:*} e=${r#*:}
			srec_cat "$f" -Intel -crop "$s" "$e" -offset "-$s" -o "$T/ref.bin" -Binary
			stl "$SIM" "$V2" "" $SWDFLASH --probe stlink read "$s" $((e - s)) -o "$T/got.bin" \
				>/dev/null 2>&1 || good=0
			cmp -s "$T/ref.bin" "$T/got.bin" || good=0
			n=$((n + 1))
		done
		assert "fixture $(basename "$f"): flashed, $n ranges read back equal to srec_cat" \
			"[ $good = 1 ] && [ $n -gt 0 ]"
	done
else
	echo "no vendor images in $FIX: the fixture loop is skipped"
fi

# 7. A locked chip (0x05 through the dongle): identified as locked,
#    recovered through the CTRL-AP, flashed.
L=$T/locked.state
stl "part=nrf52840,locked=1,wallclock=1,state=$L" "$V2" "" $SWDFLASH --json --probe stlink info \
	>"$T/l.json" 2>/dev/null
check "locked chip reported locked" [ "$(json "$T/l.json" locked 2>/dev/null)" = True ]
stl "part=nrf52840,locked=1,wallclock=1,state=$L" "$V2" "" $SWDFLASH --probe stlink flash \
	"$T/img.hex" >"$T/lf.out" 2>&1
rc=$?
check "flash on a locked chip refused (exit $rc): $(tail -n 1 "$T/lf.out")" [ $rc -ne 0 ]
stl "part=nrf52840,locked=1,wallclock=1,state=$L" "$V2" "" $SWDFLASH --probe stlink recover \
	>"$T/rec.out" 2>&1
check "recover through the CTRL-AP ($(tail -n 1 "$T/rec.out"))" [ $? -eq 0 ]
stl "part=nrf52840,wallclock=1,state=$L" "$V2" "" $SWDFLASH --probe stlink flash "$T/img.hex" \
	>"$T/lf2.out" 2>&1
check "flash after recover" [ $? -eq 0 ]

# 8. Firmware reality.
#  V2J22: no DAP commands: flash works, recover refused naming the version.
O=$T/old.state
stl "part=nrf52840,wallclock=1,state=$O" "model=v2,fw=J22" "" $SWDFLASH --probe stlink flash \
	"$T/img.hex" >"$T/old.out" 2>&1
check "V2J22: flash works" [ $? -eq 0 ]
stl "part=nrf52840,wallclock=1,state=$O" "model=v2,fw=J22" "" $SWDFLASH --probe stlink recover \
	>"$T/oldr.out" 2>&1
rc=$?
cat "$T/oldr.out"
check "V2J22: recover refused (exit $rc)" [ $rc -ne 0 ]
check "V2J22: the message names the firmware that adds it" grep -q 'V2J22.*V2J28' "$T/oldr.out"
#  V2J37 refuses the CTRL-AP with BAD_AP: info still works, recover says why.
stl "$SIM" "model=v2,fw=J37,ap_check=st" "" $SWDFLASH --probe stlink info >"$T/bad.out" 2>&1
check "BAD_AP: info works" [ $? -eq 0 ]
check "BAD_AP: said" grep -q 'BAD_AP' "$T/bad.out"
stl "$SIM" "model=v2,fw=J37,ap_check=st" "" $SWDFLASH --probe stlink recover >"$T/badr.out" 2>&1
rc=$?
check "BAD_AP: recover refused (exit $rc): $(tail -n 1 "$T/badr.out")" [ $rc -ne 0 ]
check "BAD_AP: what to do" grep -q 'V2J34 and earlier' "$T/badr.out"
#  A clone whose RST moves nothing: a pin reset falls back to SYSRESETREQ.
P=$T/pin.state
printf '\022\000\000\000\022\000\000\000' >"$T/psel.bin"
stl "part=nrf52840,wallclock=1,state=$P" "$V2" "" $SWDFLASH --probe stlink flash --format bin \
	--base 0x10001200 "$T/psel.bin" >/dev/null 2>&1
stl "part=nrf52840,wallclock=1,state=$P" "$V2,rst=0" "" $SWDFLASH --probe stlink reset --kind pin \
	>"$T/rst.out" 2>&1
check "clone RST: reset done anyway" [ $? -eq 0 ]
check "clone RST: said ($(grep -o 'not wired to nRESET[^;]*' "$T/rst.out" | head -n 1))" \
	grep -q 'not wired to nRESET' "$T/rst.out"
#  A clone that reports 0 V: a warning that explains, and the job works.
stl "$SIM" "$V2,vtarget_mv=0" "" $SWDFLASH --probe stlink info >"$T/0v.out" 2>&1
check "0 V clone: info works" [ $? -eq 0 ]
check "0 V clone: explained" grep -q '0 mV on its target-voltage pin' "$T/0v.out"

# 9. Unplugged in the middle of a flash: exit 4, named, no success claimed.
#    A blank chip (one that holds the image already needs a third of the
#    commands: only its CRCs are compared) and the unplug half way through
#    the commands the first flash took, whatever the machine's timing.
n=$(json "$T/flash.stats" stlink.commands 2>/dev/null)
half=$((${n:-0} / 2))
stl "part=nrf52840,wallclock=1,state=$T/up.state" "$V2,unplug_after=$half" "" \
	$SWDFLASH --json --probe stlink flash "$T/img.hex" >"$T/up.json" 2>"$T/up.err"
rc=$?
check "unplug mid-flash (after $half USB commands): exit 4 ($rc)" [ $rc -eq 4 ]
check "unplug mid-flash: code probe_disconnected" grep -q '"probe_disconnected"' "$T/up.json"
check "unplug mid-flash: not ok" [ "$(json "$T/up.json" ok 2>/dev/null)" != True ]

# 10. OpenOCD (HLA: -f interface/stlink.cfg -f target/nrf52.cfg) flashes
#     through the same emulated dongle with target/nrf52.cfg's defaults
#     (its flash loader and CRC algorithm on the simulated core, no
#     fallback); swdflash verifies. And the reverse.
if command -v openocd >/dev/null 2>&1; then
	X=$T/ocd.state
	python3 -c "import os,sys; sys.stdout.buffer.write(os.urandom(8192))" >"$T/o.bin"
	objcopy -I binary -O ihex --change-addresses 0x8000 "$T/o.bin" "$T/o.hex"
	stlink_ocd "part=nrf52840,wallclock=1,state=$X" "model=v2,fw=J37" "" "$T/ocd.log" stlink \
		-c "init; program $T/o.hex verify; shutdown"
	check "OpenOCD HLA programs through the emulated ST-Link" grep -q 'Verified OK' "$T/ocd.log"
	check "OpenOCD HLA used its flash loader and CRC algorithm (no fallback)" \
		ocd_used_algorithms "$T/ocd.log"
	stl "part=nrf52840,wallclock=1,state=$X" "$V2" "" $SWDFLASH --probe stlink verify "$T/o.hex" \
		>"$T/ov.out" 2>&1
	check "swdflash verifies what OpenOCD wrote" [ $? -eq 0 ]
	Y=$T/rev.state
	stl "part=nrf52840,wallclock=1,state=$Y" "$V2" "" $SWDFLASH --probe stlink flash "$T/o.hex" \
		>/dev/null 2>&1
	# swdflash left the core running: halt it for OpenOCD's CRC algorithm
	stlink_ocd "part=nrf52840,wallclock=1,state=$Y" "model=v2,fw=J37" "" "$T/ocd2.log" stlink \
		-c init -c halt \
		-c "verify_image $T/o.hex" -c "dump_image $T/od.bin 0x8000 8192" -c shutdown
	check "OpenOCD reads back what swdflash wrote (dump_image equals the bytes)" \
		cmp -s "$T/od.bin" "$T/o.bin"
	assert "OpenOCD verify_image of what swdflash wrote, by its CRC algorithm (no fallback)" \
		'grep -q "^verified 8192 bytes" "$T/ocd2.log" && ocd_used_algorithms "$T/ocd2.log"'
	# dapdirect (-f interface/stlink-dap.cfg) recovers a locked chip; then
	# swdflash flashes and verifies it through the same dongle.
	Z=$T/dap.state
	stlink_ocd "part=nrf52840,locked=1,wallclock=1,state=$Z" "model=v2,fw=J34" "" "$T/ocd3.log" \
		stlink-dap -c "init; nrf52_recover; shutdown"
	check "OpenOCD dapdirect: nrf52_recover unlocks" grep -q 'successfully erased and unlocked' "$T/ocd3.log"
	stl "part=nrf52840,wallclock=1,state=$Z" "$V2" "" $SWDFLASH --probe stlink flash "$T/o.hex" \
		>"$T/dz.out" 2>&1
	check "then swdflash flashes and verifies it ($(grep -o 'verified [0-9]* bytes' "$T/dz.out"))" \
		grep -q 'verified 8192 bytes' "$T/dz.out"
fi
finish
