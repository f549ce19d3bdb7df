#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# swdflash --probe gpiod through the real libgpiod (the default build's,
# 1.6) on the emulated Raspberry Pi GPIO chip, wired to the simulated nRF52:
#  - without any GPIO chip: a clear message, no crash;
#  - info, the Pi 5 naming (pinctrl-rp1 as gpiochip4), a line held by
#    another program (named with its consumer);
#  - a locked chip: recover, flash, verify, and the in-process sim agrees;
#  - a GPIO ioctl failing mid-job: exit 1 naming it, not "target not found";
#  - the wire: a VCD recorded at the emulated pins during a flash job,
#    decoded by sigrok's SWD decoder, equals the transfers the link issued
#    (including WAIT answers from the stalled NVMC).
cd "$(dirname "$0")/.." || exit 1
. tests/lib.sh
need_fixtures
need_emu
TRACE=build/check/tests/gpiod_trace
[ -x "$SWDFLASH" ] || die "$SWDFLASH missing"
[ -x "$TRACE" ] || die "$TRACE missing (make tests-extra)"

# 1. No GPIO chip on this machine (skipped on a machine that has one).
if ! ls /dev/gpiochip* >/dev/null 2>&1; then
	$SWDFLASH --probe gpiod info >"$T/nochip.out" 2>&1
	rc=$?
	cat "$T/nochip.out"
	[ $rc -ne 0 ] && [ $rc -lt 128 ] || die "no chip: exit $rc"
	grep -q 'no GPIO chip' "$T/nochip.out" || die "no chip: unclear message"
fi

# 2. info through libgpiod.
S=$T/a.state
emu "part=nrf52840,state=$S" "$T/info.stats" $SWDFLASH --json --probe gpiod info >"$T/info.json" ||
	{ cat "$T/info.json"; die "swdflash --probe gpiod info"; }
[ "$(json "$T/info.json" part)" = nRF52840 ] || die "part"
[ "$(json "$T/info.json" locked)" = False ] || die "locked"
json "$T/info.json" probe.description | grep -q 'gpiod v1 (libgpiod 1\..*/dev/gpiochip0 \[pinctrl-bcm2711\]: SWCLK=GPIO25 SWDIO=GPIO24' ||
	die "description: $(json "$T/info.json" probe.description)"
echo "info: $(json "$T/info.json" probe.description)"

# 3. Raspberry Pi 5 with an older kernel: RP1 as gpiochip4, found by label.
GPIOCHIP_EMU_CHIP=gpiochip4 GPIOCHIP_EMU_LABEL=pinctrl-rp1 emu "part=nrf52833" "" \
	$SWDFLASH --json --probe gpiod info >"$T/pi5.json" || { cat "$T/pi5.json"; die "Pi 5 naming"; }
json "$T/pi5.json" probe.description | grep -q '/dev/gpiochip4 \[pinctrl-rp1\]' || die "Pi 5 chip"
[ "$(json "$T/pi5.json" part)" = nRF52833 ] || die "Pi 5: part"

# 4. SWDIO held by another program.
GPIOCHIP_EMU_TAKEN=24=openocd emu none "" $SWDFLASH --probe gpiod info >"$T/busy.out" 2>&1 &&
	die "info succeeded on a busy line"
grep -q 'SWDIO line 24 ("GPIO24") of /dev/gpiochip0 is in use by "openocd"' "$T/busy.out" ||
	die "busy: $(cat "$T/busy.out")"

# 5. A locked chip: recover, flash, verify through gpiod; the sim agrees.
S=$T/locked.state
SD=$FIX/s132_nrf52_6.1.1_softdevice.hex
emu "part=nrf52832,locked=1,state=$S" "" $SWDFLASH --json --probe gpiod info >"$T/l.json"
[ "$(json "$T/l.json" locked)" = True ] || die "locked chip not reported locked"
emu "part=nrf52832,locked=1,state=$S" "" $SWDFLASH --probe gpiod recover >"$T/rec.out" 2>&1 ||
	{ cat "$T/rec.out"; die "recover"; }
emu "part=nrf52832,state=$S" "$T/flash.stats" $SWDFLASH --probe gpiod flash "$SD" >"$T/fl.out" 2>&1 ||
	{ cat "$T/fl.out"; die "flash $SD"; }
emu "part=nrf52832,state=$S" "" $SWDFLASH --probe gpiod verify "$SD" >/dev/null 2>&1 ||
	die "gpiod verify"
$SWDFLASH --probe "sim:part=nrf52832,state=$S" verify "$SD" >/dev/null 2>&1 || die "sim verify"
kib=$(python3 -c "import os; print(os.path.getsize('$SD'))")
ok "locked nRF52832: recovered, $(basename "$SD") flashed and verified:" \
	"$(json "$T/flash.stats" ioctls_total) GPIO ioctls, $(json "$T/flash.stats" sim.cycles) SWCLK cycles" \
	"($(python3 -c "print(round($(json "$T/flash.stats" ioctls_total)/$(json "$T/flash.stats" sim.cycles),3))") per cycle)"

# 6. A GPIO ioctl that fails mid-job (ENODEV: the chip went away) is the
#    driver's error: exit 1 naming the ioctl and errno, not 4 ("target not
#    found", check the wiring).
#    At points in connect, the AP scan and the FICR reads of "read".
S=$T/f.state
for n in 100 1000 2000 3000 4200; do
	GPIOCHIP_EMU_FAIL=$n:19 emu "part=nrf52840,state=$S" "" $SWDFLASH --probe gpiod \
		read 0 0x1000 -o "$T/f.bin" >"$T/f.out" 2>&1
	rc=$?
	[ $rc -eq 1 ] || fail "GPIO failure after $n ioctls: exit $rc, want 1: $(cat "$T/f.out")"
	grep -q 'of /dev/gpiochip0 failed (GPIOHANDLE_[A-Z_]*_IOCTL): No such device' "$T/f.out" ||
		fail "GPIO failure after $n ioctls: $(cat "$T/f.out")"
done
echo "GPIO failure mid-job: exit 1, $(grep -o 'gpiod: .*' "$T/f.out")"

# 7. The wire, decoded by sigrok.
command -v sigrok-cli >/dev/null || skip "sigrok-cli missing"
S=$T/w.state
GPIOCHIP_EMU_VCD=$T/w.vcd emu "part=nrf52840,period_ns=250,state=$S" "" \
	$TRACE gpiod "$T/issued.txt" "$FIX/mbr_nrf52_2.4.1_mbr.hex" || die "gpiod_trace job"
sigrok-cli -I vcd -i "$T/w.vcd" -P swd:swclk=swclk:swdio=swdio -A swd >"$T/dec.raw" 2>&1 ||
	{ tail "$T/dec.raw"; die "sigrok-cli"; }
python3 tests/sigrok_swd.py "$T/dec.raw" "$T/decoded.txt" || die "sigrok decode"
n=$(wc -l <"$T/issued.txt")
waits=$(grep -c ' WAIT$' "$T/issued.txt")
[ "$n" -gt 1000 ] && [ "$waits" -gt 0 ] || die "trace too small ($n transfers, $waits WAIT)"
diff "$T/issued.txt" "$T/decoded.txt" >"$T/diff" || { head -20 "$T/diff"; die "sigrok decode differs from the transfers issued"; }
ok "sigrok decoded all $n transfers ($waits WAIT) of a flash job exactly as issued"

# --- 7. swdflash probes: what this machine offers, without opening anything
pget() { jget "$T/probes.json" "[(p['available'], p['detail']) for p in d['probes'] if p['kind'] == '$1'][0]"; }
emu none "" $SWDFLASH --json probes >"$T/probes.json"
check "probes: four kinds listed" [ "$(jget "$T/probes.json" 'len(d["probes"])')" = 4 ]
check "probes: gpiod found on the emulated Pi 4 chip" \
	[ "$(pget gpiod)" = "True /dev/gpiochip0 [pinctrl-bcm2711] through libgpiod" ]
GPIOCHIP_EMU_CHIP=gpiochip4 GPIOCHIP_EMU_LABEL=pinctrl-rp1 emu none "" \
	$SWDFLASH --json probes >"$T/probes.json"
check "probes: gpiod found as gpiochip4 on an emulated Pi 5" \
	[ "$(pget gpiod)" = "True /dev/gpiochip4 [pinctrl-rp1] through libgpiod" ]
if [ ! -e /dev/gpiomem ] && [ ! -e /proc/device-tree/compatible ]; then
	emu none "" $SWDFLASH --json probes >"$T/probes.json"
	check "probes: gpiomem not offered without /dev/gpiomem, and says why" \
		[ "$(pget gpiomem)" = "False probe gpiomem: /dev/gpiomem: No such file or directory" ]
fi
$SWDFLASH --json probes >"$T/probes.json"
check "probes: sim is always there" [ "$(pget sim | cut -c1-4)" = True ]
finish
