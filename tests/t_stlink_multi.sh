#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Several ST-Links attached (tests/stlink_emu/: STLINK_EMU and STLINK_EMU_SIM
# hold one spec per dongle, separated by ';'), through the real libusb:
#  - `swdflash probes` lists every one with model, firmware and serial;
#  - `--probe stlink` with no serial refuses (exit 2), naming all of them;
#  - `--probe stlink:serial=S` opens that one: the second dongle's chip is
#    flashed and the first dongle's chip is untouched (both chips read back
#    through the sim probe and through their own dongle);
#  - an unknown serial is refused (exit 4) listing those attached;
#  - OpenOCD's `adapter serial` picks each dongle (and its own chip);
#  - stlink-tools' `st-info --probe` finds them all;
#  - the daemon on `stlink:serial=<second>` survives the second being
#    unplugged and replugged while the first stays, and never takes the first.
cd "$(dirname "$0")/.." || exit 1
. tests/lib.sh
[ -x "$SWDFLASH" ] || die "$SWDFLASH missing"
need_stlink_emu
need objcopy "binutils"
need python3 "make deps-check"

S1=0123456789ABCDEF01234567
S2=76543210FEDCBA9876543210
S3=00000000000000000000ABCD
A=$T/a.state B=$T/b.state
SIM2="part=nrf52840,state=$A;part=nrf52832,state=$B"
EMU2="model=v2,fw=J34,serial=$S1;model=v3,serial=$S2"

# Two images, one for each chip.
python3 -c "import os,sys; sys.stdout.buffer.write(os.urandom(8192))" >"$T/a.bin"
python3 -c "import os,sys; sys.stdout.buffer.write(os.urandom(12288 + 100))" >"$T/b.bin"
objcopy -I binary -O ihex --change-addresses 0x4000 "$T/a.bin" "$T/a.hex"
objcopy -I binary -O ihex --change-addresses 0x4000 "$T/b.bin" "$T/b.hex"

# 1. The listing: every dongle, model, firmware and serial, own bus address.
stl "$SIM2;part=nrf52840" "$EMU2;model=v2-1,fw=J37,serial=$S3" "" $SWDFLASH probes \
	>"$T/probes.out" 2>&1
line=$(grep '^stlink' "$T/probes.out")
echo "probes: $line"
check "probes: the V2" sh -c "echo '$line' | grep -q 'ST-Link/V2 V2J34S7 serial $S1 (bus 001 device'"
check "probes: the V3" sh -c "echo '$line' | grep -q 'STLINK-V3S V3J7M[0-9]* serial $S2 (bus 001 device'"
check "probes: the V2-1" sh -c "echo '$line' | grep -q 'ST-Link/V2-1 V2J37M[0-9]* serial $S3 (bus 001 device'"
ndev=$(echo "$line" | grep -o 'device [0-9]*' | sort -u | wc -l)
check "probes: three distinct device numbers ($ndev)" [ "$ndev" -eq 3 ]

# 2. No serial, two attached: refused, naming both (model, firmware, serial).
stl "$SIM2" "$EMU2" "" $SWDFLASH --probe stlink info >"$T/two.out" 2>&1
rc=$?
cat "$T/two.out"
check "two attached, no serial: exit 2 ($rc)" [ $rc -eq 2 ]
check "two attached: says so" grep -q '2 ST-Links are attached' "$T/two.out"
check "two attached: names the first (model, firmware, serial)" \
	grep -q "ST-Link/V2 V2J34S7 serial $S1" "$T/two.out"
check "two attached: names the second" grep -q "STLINK-V3S V3J7M[0-9]* serial $S2" "$T/two.out"
check "two attached: says how to choose" grep -q 'stlink:serial=' "$T/two.out"

# 3. The first chip holds image a (written through the sim probe); then the
#    second dongle (by serial, in lower case) flashes image b on its chip.
$SWDFLASH --probe "sim:part=nrf52840,state=$A" flash "$T/a.hex" >"$T/fa.out" 2>&1
check "chip 1 holds image a (sim probe)" [ $? -eq 0 ]
s2lc=$(echo "$S2" | tr 'A-F' 'a-f')
stl "$SIM2" "$EMU2" "$T/st.json" $SWDFLASH --json --probe "stlink:serial=$s2lc" info \
	>"$T/i2.json" 2>/dev/null
d=$(json "$T/i2.json" probe.description 2>/dev/null)
check "serial=second: the second dongle ($d)" sh -c "echo '$d' | grep -q 'STLINK-V3S .*serial $S2'"
check "serial=second: its chip (nRF52832)" [ "$(json "$T/i2.json" part 2>/dev/null)" = nRF52832 ]
rm -f "$T/st.json" "$T/st.json.2"
stl "$SIM2" "$EMU2" "$T/st.json" $SWDFLASH --probe "stlink:serial=$S2" flash "$T/b.hex" \
	>"$T/fb.out" 2>&1
check "serial=second: flash ($(tail -n 1 "$T/fb.out"))" [ $? -eq 0 ]
# Dongle 1 was opened for its serial (a control transfer) but given no command.
c1=$(json "$T/st.json" stlink.commands 2>/dev/null) c2=$(json "$T/st.json.2" stlink.commands 2>/dev/null)
echo "USB commands: dongle 1 $c1, dongle 2 $c2"
check "the second dongle did the job ($c2 commands)" [ "${c2:-0}" -gt 100 ]
check "the first dongle got no command ($c1)" [ "$c1" = 0 ]
$SWDFLASH --probe "sim:part=nrf52832,state=$B" verify "$T/b.hex" >/dev/null 2>&1
check "chip 2 holds image b (sim probe verify)" [ $? -eq 0 ]
$SWDFLASH --probe "sim:part=nrf52840,state=$A" verify "$T/a.hex" >/dev/null 2>&1
check "chip 1 still holds image a (sim probe verify)" [ $? -eq 0 ]
stl "$SIM2" "$EMU2" "" $SWDFLASH --probe "stlink:serial=$S1" read 0x4000 8192 -o "$T/a.back" \
	>/dev/null 2>&1
check "chip 1 through its own dongle: image a" cmp -s "$T/a.bin" "$T/a.back"
stl "$SIM2" "$EMU2" "" $SWDFLASH --probe "stlink:serial=$S2" read 0x4000 12388 -o "$T/b.back" \
	>/dev/null 2>&1
check "chip 2 through its own dongle: image b" cmp -s "$T/b.bin" "$T/b.back"

# 4. An unknown serial: refused, listing those attached.
stl "$SIM2" "$EMU2" "" $SWDFLASH --probe stlink:serial=FFFF0000 info >"$T/ws.out" 2>&1
rc=$?
cat "$T/ws.out"
check "unknown serial: exit 4 ($rc)" [ $rc -eq 4 ]
check "unknown serial: named" grep -q 'no ST-Link with serial FFFF0000' "$T/ws.out"
check "unknown serial: lists the first" grep -q "attached: .*serial $S1" "$T/ws.out"
check "unknown serial: lists the second" grep -q "attached: .*serial $S2" "$T/ws.out"

# 5. OpenOCD picks a dongle by serial (`adapter serial`), each with its
#    own chip: FICR INFO.PART says which.
if command -v openocd >/dev/null 2>&1; then
	for p in "$S1:00052840" "$S2:00052832"; do
		sn=${p%:*} part=${p#*:}
		stlink_ocd "$SIM2" "$EMU2" "" "$T/ocd.log" stlink -c "adapter serial $sn" -c init \
			-c "mdw 0x10000100" -c shutdown
		got=$(sed -n 's/^0x10000100: \([0-9a-f]*\).*/\1/p' "$T/ocd.log")
		check "OpenOCD adapter serial $sn: INFO.PART $got" [ "$got" = "$part" ]
	done
else
	echo "openocd not installed: step 5 skipped"
fi

# 6. stlink-tools sees every dongle.
if command -v st-info >/dev/null 2>&1; then
	stl "$SIM2" "$EMU2" "" timeout 60 st-info --probe >"$T/st.out" 2>&1
	cat "$T/st.out"
	check "st-info: found 2" grep -q 'Found 2 stlink programmers' "$T/st.out"
	check "st-info: the first serial" grep -q "serial: *$S1" "$T/st.out"
	check "st-info: the second serial" grep -q "serial: *$S2" "$T/st.out"
else
	echo "st-info (stlink-tools) not installed: step 6 skipped"
fi
# 7. The daemon on the second dongle (by serial) while the first stays
#    attached: the second is unplugged mid-flash, the job fails; once it is
#    back (a new device number, announced to libusb's hot-plug: the refresh
#    interval is an hour) the daemon picks up the second again, not the
#    first, and flashes its chip; the first chip is untouched.
if [ -x "$SWDFLASHD" ] && command -v curl >/dev/null 2>&1; then
	REAL=$SWDFLASHD
	cat >"$T/d.sh" <<EOS
#!/bin/sh
export STLINK_EMU="model=v2,fw=J34,serial=$S1;model=v2,fw=J34,serial=$S2,unplug_after=400"
export STLINK_EMU_REPLUG_MS=1500
export STLINK_EMU_SIM="part=nrf52840,wallclock=1,state=$A;part=nrf52832,wallclock=1,state=$B"
export ASAN_OPTIONS="\${ASAN_OPTIONS:+\$ASAN_OPTIONS:}verify_asan_link_order=0"
export LD_PRELOAD="$STLINK_SO"
exec "$TOP/$REAL" "\$@"
EOS
	chmod +x "$T/d.sh"
	printf '[probe]\nspec = stlink:serial=%s\nrefresh_ms = 3600000\n' "$S2" >"$T/d.conf"
	SWDFLASHD=$T/d.sh
	if dstart s --config "$T/d.conf"; then
		req GET /api/v1/target
		check "daemon: on the second dongle ($(jget "$T/body" 'd["probe"]["serial"]'))" \
			[ "$(jget "$T/body" 'd["probe"]["serial"]')" = "$S2" ]
		check "daemon: its chip ($(jget "$T/body" 'd.get("part")'))" \
			[ "$(jget "$T/body" 'd["part"]')" = nRF52832 ]
		python3 -c "import os,sys; sys.stdout.buffer.write(os.urandom(262144))" >"$T/c.bin"
		objcopy -I binary -O ihex --change-addresses 0x10000 "$T/c.bin" "$T/c.hex"
		req POST "/api/v1/flash?wait=1" --data-binary "@$T/c.hex"
		check "daemon: the second unplugged mid-flash: probe_disconnected ($(jget "$T/body" 'd["error"]["code"]'))" \
			[ "$(jget "$T/body" 'd["error"]["code"]')" = probe_disconnected ]
		rm -f "$T/tgt.json"
		check "daemon: picked the second up again after the replug" wait_until 60 lib_connected
		check "daemon: still the second ($(jget "$T/tgt.json" 'd["probe"]["serial"]'))" \
			[ "$(jget "$T/tgt.json" 'd["probe"]["serial"]')" = "$S2" ]
		req POST "/api/v1/flash?wait=1" --data-binary "@$T/c.hex"
		check "daemon: flash after the replug ($(jget "$T/body" 'd.get("state")'))" \
			[ "$(jget "$T/body" 'd["state"]')" = succeeded ]
		check "daemon: SIGTERM, clean exit" dstop
		$SWDFLASH --probe "sim:part=nrf52832,state=$B" verify "$T/c.hex" >/dev/null 2>&1
		check "chip 2 holds the daemon's image" [ $? -eq 0 ]
		$SWDFLASH --probe "sim:part=nrf52840,state=$A" verify "$T/a.hex" >/dev/null 2>&1
		check "chip 1 still holds image a" [ $? -eq 0 ]
	else
		bad "daemon did not start"
	fi
else
	echo "swdflashd or curl missing: step 7 skipped"
fi
finish
