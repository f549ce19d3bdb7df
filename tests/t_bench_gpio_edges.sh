#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The START button through edge events and the debounce by their time
# stamps, on the emulated GPIO chip (GPIOCHIP_EMU_PINS plays a waveform
# with exact step times, so a loaded machine cannot turn a bounce into a
# press or a press into a bounce). START (line 17, active low) gets, in
# one waveform: three bounces of 5, 5 and 3 ms, a press held for 150 ms,
# a 4 ms bounce on release and a 2 ms one before a final press held down.
# With debounce_ms = 40 that is exactly two presses and five bounces that
# are not; the emulator's counters show the daemon asked for edge events
# and got every edge. Not armed, so a press is the daemon's "START button:
# hands-free mode is not armed". Then a button to 3.3 V (start_active=high),
# events that come late (GPIOCHIP_EMU_EVENT_DELAY_MS) and a bad
# start_active. SWDFLASHD may name another build (the libgpiod v2
# one: tests/t_gpiod_v2.sh).
cd "$(dirname "$0")/.." || exit 1
. tests/lib.sh
need_daemon
need_emu

pins() { echo "$1" >"$T/pins.tmp" && mv "$T/pins.tmp" "$T/pins"; }
presses() { [ "$(grep -c 'START button' "$DLOG")" -ge "$1" ]; }
pins "17=1"
cat >"$T/conf" <<CONF
[bench]
gpio = chip=gpiochip0,start=17,pass=22
debounce_ms = 40
CONF
export GPIOCHIP_EMU_PINS="$T/pins" GPIOCHIP_EMU_STATS="$T/stats.json"
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
LD_PRELOAD="$EMU_SO" GPIOCHIP_EMU_SIM=none dstart e --config "$T/conf" --probe "sim:part=nrf52840" ||
	die "daemon start"
grep 'bench gpio on' "$DLOG"
check "START is taken from edge events" grep -q 'start 17 (active low, edge events' "$DLOG"
pins "17=0/5,1/5,0/5,1/60,0/3,1/3,0/150,1/4,0/4,1/60,0/2,1/2,0"
check "the held presses are seen" wait_until 20 'presses 2'
n=$(grep -c 'START button' "$DLOG")
check "exactly two presses (the held ones), got $n" [ "$n" = 2 ]
n=$(grep -c 'START: .* ms pressed, under debounce_ms 40: not a press' "$DLOG")
check "the five bounces are edges that are not presses, got $n" [ "$n" = 5 ]
grep 'not a press' "$DLOG"
pins "17=1"
dstop || fail "daemon stop"
# 13 edges of the waveform and the release.
check "the emulator sent 14 edge events" [ "$(json "$T/stats.json" edge_events)" = 14 ]
check "... and dropped none" [ "$(json "$T/stats.json" edge_events_dropped)" = 0 ]

# A button to 3.3 V: start_active=high, a pull-down, pressed is high.
pins "17=0"
sed -i 's/^gpio = .*/gpio = chip=gpiochip0,start=17,start_active=high/' "$T/conf"
LD_PRELOAD="$EMU_SO" GPIOCHIP_EMU_SIM=none dstart h --config "$T/conf" --probe "sim:part=nrf52840" ||
	die "daemon start (active high)"
check "active high is taken" grep -q 'start 17 (active high, edge events' "$DLOG"
pins "17=1/3,0/3,1"
check "active high: the held press is seen" wait_until 20 'presses 1'
check "... once" [ "$(grep -c 'START button' "$DLOG")" = 1 ]
check "... after a 3 ms bounce that is not a press" grep -q 'START: 3.0 ms pressed, under' "$DLOG"
dstop || fail "daemon stop (active high)"

# A busy machine: the events come 300 ms after their time stamps (the
# levels change at once). A 100 ms press is still a press (its release's
# time stamp says so), a 5 ms bounce still is not.
pins "17=1"
sed -i 's/^gpio = .*/gpio = chip=gpiochip0,start=17/' "$T/conf"
LD_PRELOAD="$EMU_SO" GPIOCHIP_EMU_SIM=none GPIOCHIP_EMU_EVENT_DELAY_MS=300 \
	dstart l --config "$T/conf" --probe "sim:part=nrf52840" || die "daemon start (late events)"
pins "17=0/100,1/100,0/5,1"
check "late events: the bounce after the press is seen" wait_until 20 \
	'grep -q "START: 5.0 ms pressed, under" "$DLOG"'
check "... the 100 ms press was one press" [ "$(grep -c 'START button' "$DLOG")" = 1 ]
check "... and not taken for a bounce" [ "$(grep -c 'not a press' "$DLOG")" = 1 ]
dstop || fail "daemon stop (late events)"

# Bad input: a specific message and a non-zero status.
sed -i 's/^gpio = .*/gpio = start=17,start_active=sideways/' "$T/conf"
timeout 60 "$SWDFLASHD" --foreground --listen 127.0.0.1:0 --state-dir "$T/bad" --config "$T/conf" \
	--probe sim >"$T/bad.log" 2>&1
rc=$?
cat "$T/bad.log"
check "start_active=sideways: refused at start (status $rc)" [ $rc -ne 0 ]
check "... and says why" grep -q 'start_active=sideways (low or high)' "$T/bad.log"
finish
