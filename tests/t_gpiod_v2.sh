#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# libgpiod v2: the driver built against libgpiod 2.x from bookworm-backports
# (tests/gpiod-v2.sh unpacks it into build/gpiod-v2/, never system-wide) and
# tested through that library on the emulated Raspberry Pi GPIO chip:
#  - the v2 tools (gpiodetect, gpioinfo) accept the emulated chip;
#  - check_gpiod built against v2 (2 GPIO calls per host cycle, 3 per
#    target cycle, direction by reconfigure, SWD to the simulated chip);
#  - the v2-built swdflash: info, flash, verify on the simulated chip, and
#    the in-process simulator reads the same bytes.
#  - edge events through the v2 uAPI (the v2 gpiomon), and the v2-built
#    daemon's bench I/O: tests/t_bench_gpio.sh and t_bench_gpio_edges.sh
#    run with SWDFLASHD=build/gpiodv2/swdflashd.
# Skips (77) only when bookworm-backports cannot be reached.
cd "$(dirname "$0")/.." || exit 1
. tests/lib.sh
need_fixtures

sh tests/gpiod-v2.sh build >"$T/build.log" 2>&1
rc=$?
if [ $rc -eq 77 ]; then
	cat "$T/build.log"
	skip "libgpiod v2 not tested: $(tail -n 1 "$T/build.log")"
fi
[ $rc -eq 0 ] || { tail -n 40 "$T/build.log"; die "libgpiod v2 fetch/build (exit $rc)"; }
grep 'unpacked' "$T/build.log"
need_emu
LIB=$(dirname "$(find "$TOP/build/gpiod-v2/root" -name 'libgpiod.so.3' | head -n 1)")
[ -d "$LIB" ] || die "no libgpiod.so.3 in build/gpiod-v2/root"
BIN=$TOP/build/gpiod-v2/root/usr/bin
export LD_LIBRARY_PATH="$LIB${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"

# The v2 command-line tools on the emulated chip.
out=$(emu none "" "$BIN/gpiodetect") || die "v2 gpiodetect: $out"
[ "$out" = "gpiochip0 [pinctrl-bcm2711] (58 lines)" ] || die "v2 gpiodetect: $out"
emu none "" "$BIN/gpioinfo" >"$T/info" 2>&1 || die "v2 gpioinfo: $(cat "$T/info")"
grep -q 'line  42:[[:space:]]*"STATUS_LED_G_CLK"[[:space:]]*output consumer="ACT"' "$T/info" ||
	die "v2 gpioinfo: line 42"
echo "v2 tools: $out"

# Edge events through the v2 uAPI: a waveform seen first at the request
# (tests/t_gpiochip_events.sh does the same with the v1 gpiomon).
echo "17=1/200,0/5,1/7,0" >"$T/pins"
GPIOCHIP_EMU_PINS=$T/pins emu none "" timeout 30 "$BIN/gpiomon" -c gpiochip0 -b pull-up -l -n 3 17 \
	>"$T/mon" 2>&1 || die "v2 gpiomon: $(cat "$T/mon")"
ev=$(python3 -c 'import re,sys
ev = [(m.group(2), int(m.group(1).replace(".", ""))) for m in
      re.finditer(r"^(\d+\.\d{9})\s+(rising|falling)\s+gpiochip0 17\b", open(sys.argv[1]).read(), re.M)]
print(" ".join([ev[0][0]] + ["%g,%s" % ((b[1] - a[1]) / 1e6, b[0]) for a, b in zip(ev, ev[1:])]))' "$T/mon")
[ "$ev" = "rising 5,falling 7,rising" ] || { cat "$T/mon"; die "v2 gpiomon events: $ev"; }
ok "v2 edge events (active low): $ev ms apart"

# The driver's Check suite, built against v2.
build/gpiodv2/tests/check_gpiod >"$T/check.log" 2>&1
rc=$?
cat "$T/check.log"
[ $rc -eq 0 ] || die "check_gpiod (libgpiod v2)"
grep -q 'gpiod v2 (libgpiod 2\.' "$T/check.log" || die "check_gpiod did not use libgpiod v2"

# The v2-built swdflash.
SW=build/gpiodv2/swdflash
if [ ! -x "$SW" ]; then
	[ -f cli/swdflash.c ] && die "$SW was not built"
	echo "swdflash does not exist yet: v2 CLI not tested"
	exit 0
fi
ldd "$SW" | grep -q "libgpiod.so.3 => $LIB/" || die "$SW does not use the unpacked libgpiod.so.3"
S=$T/v2.state
SD=$FIX/s140_nrf52_6.1.1_softdevice.hex
emu "part=nrf52840,state=$S" "" $SW --json --probe gpiod info >"$T/info.json" ||
	{ cat "$T/info.json"; die "v2 swdflash info"; }
json "$T/info.json" probe.description | grep -q '^gpiod v2 (libgpiod 2\..*/dev/gpiochip0 \[pinctrl-bcm2711\]' ||
	die "v2 description: $(json "$T/info.json" probe.description)"
emu "part=nrf52840,state=$S" "$T/flash.json" $SW --probe gpiod flash "$SD" >"$T/flash.out" 2>&1 ||
	{ cat "$T/flash.out"; die "v2 swdflash flash"; }
emu "part=nrf52840,state=$S" "" $SW --probe gpiod verify "$SD" >/dev/null 2>&1 || die "v2 verify"
build/check/swdflash --probe "sim:part=nrf52840,state=$S" verify "$SD" >/dev/null 2>&1 ||
	die "the in-process simulator does not verify what v2 swdflash flashed"
emu "part=nrf52840,state=$S" "" $SW --probe gpiod read 0 0x1000 -o "$T/v2.bin" >/dev/null 2>&1
build/check/swdflash --probe "sim:part=nrf52840,state=$S" read 0 0x1000 -o "$T/sim.bin" >/dev/null
cmp "$T/v2.bin" "$T/sim.bin" || die "v2 read differs from the simulator's"
i=$(json "$T/flash.json" ioctls_total)
c=$(json "$T/flash.json" sim.cycles)
ok "v2 swdflash flashed $(basename "$SD"): $i GPIO ioctls, $c SWCLK cycles" \
	"($(python3 -c "print(round($i/$c, 3))") per cycle); verify and read agree with the simulator"

# The v2-built daemon's bench I/O (START by v2 edge events, the lamps).
D=build/gpiodv2/swdflashd
[ -x "$D" ] || die "$D was not built"
for t in t_bench_gpio t_bench_gpio_edges; do
	SWDFLASHD=$D sh tests/$t.sh >"$T/$t.log" 2>&1
	rc=$?
	cat "$T/$t.log"
	check "$t with the libgpiod v2 daemon" [ $rc = 0 ]
done
finish
