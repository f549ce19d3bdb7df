#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Edge events of the emulated GPIO chip through libgpiod v1's gpiomon (uAPI
# v1 event requests; the v2 tool is tests/t_gpiod_v2.sh's): a waveform in
# GPIOCHIP_EMU_PINS, seen first when gpiomon requests the line, so its
# steps come while gpiomon listens. The events come in order with the
# waveform's step times as their time stamps (to the nanosecond), swapped
# for an active-low request, and only the requested edges.
cd "$(dirname "$0")/.." || exit 1
. tests/lib.sh
need_emu
need gpiomon "apt-get install gpiod"
# libgpiod 2's gpiomon (Debian 13) takes other options (-c CHIP, -e EDGE)
case $(gpiomon --version 2>/dev/null | head -n 1) in
*" v1."*) ;;
*) skip "this test drives libgpiod v1's gpiomon; this one is $(gpiomon --version 2>&1 | head -n 1)" ;;
esac

export GPIOCHIP_EMU_PINS="$T/pins"
# mon EXPECTED WAVEFORM GPIOMON-ARGS...: the kinds and the gaps in ms.
mon() {
	_want=$1 _wave=$2
	shift 2
	echo "17=$_wave" >"$T/pins"
	emu none "" timeout 30 gpiomon "$@" gpiochip0 17 >"$T/mon" 2>&1 || { cat "$T/mon"; return 1; }
	_got=$(python3 -c 'import re,sys
ev = [(m.group(1), int(m.group(2)) * 10**9 + int(m.group(3)))
      for m in re.finditer(r"(RISING|FALLING) EDGE offset: 17 timestamp: \[ *(\d+)\.(\d+)\]", open(sys.argv[1]).read())]
print(" ".join([ev[0][0]] + ["%g,%s" % ((b[1] - a[1]) / 1e6, b[0]) for a, b in zip(ev, ev[1:])]))' "$T/mon")
	echo "gpiomon $*: $_got"
	[ "$_got" = "$_want" ] || { cat "$T/mon"; return 1; }
}
check "both edges, in order, 5 and 7 ms apart" \
	mon "FALLING 5,RISING 7,FALLING" "1/200,0/5,1/7,0" -B pull-up -n 3
check "active low: the edges swap" \
	mon "RISING 5,FALLING 7,RISING" "1/200,0/5,1/7,0" -B pull-up -l -n 3
check "rising edges only" \
	mon "RISING 10,RISING" "1/200,0/5,1/5,0/5,1" -B pull-up -r -n 2
check "the level at the request is no event" \
	mon "RISING" "0/3,1" -B pull-up -n 1
finish
