#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The bench's buttons and lamps through the emulated GPIO chip and the
# real libgpiod: hands-free in button mode, a board is programmed only
# once START (line 17, to ground) is pressed; BUSY (27) while it runs,
# then PASS (22); a board of the wrong part lights FAIL (23) and sounds
# the buzzer (5) for buzzer_ms, then the buzzer stops by itself. Boards
# are swapped without an empty fixture in between (the device ID tells).
cd "$(dirname "$0")/.." || exit 1
. tests/lib.sh
need_daemon
need_emu

B=$T/bench
mkdir -p "$B"
echo "part=nrf52840,device_id=0x5C2A7C4000000001" >"$B/up.board"
echo "part=nrf52840,device_id=0x1000000000000001" >"$B/good.board"
echo "part=nrf52832,device_id=0x1000000000000002" >"$B/wrong.board"
plug() { echo "$1" >"$B/slot.tmp" && mv "$B/slot.tmp" "$B/slot"; }
pins() { echo "$1" >"$T/pins.tmp" && mv "$T/pins.tmp" "$T/pins"; }
lamp() { grep -q "^$1=$2\$" "$T/pins.out" 2>/dev/null; }
pins "17=1"
plug up
python3 -c 'import sys; d=bytes(range(256))*16
out=[]
for o in range(0, len(d), 16):
    rec=[16, o >> 8, o & 255, 0] + list(d[o:o+16]); out.append(":" + "".join("%02X" % b for b in rec) + "%02X" % (-sum(rec) & 255))
open(sys.argv[1], "w").write("\n".join(out + [":00000001FF"]) + "\n")' "$T/a.hex"
cat >"$T/conf" <<CONF
[bench]
gpio = chip=gpiochip0,start=17,pass=22,fail=23,busy=27,buzzer=5
debounce_ms = 30
buzzer_ms = 1500
CONF
export GPIOCHIP_EMU_PINS="$T/pins"
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
LD_PRELOAD="$EMU_SO" GPIOCHIP_EMU_SIM=none dstart g --config "$T/conf" --probe "sim:bench=$B" || die "daemon start"
req POST "/api/v1/flash?wait=1" --data-binary @"$T/a.hex"
SHA=$(jget "$T/body" 'd["image"]["sha256"]')
plug ""
req POST /api/v1/recipes --data '{"name":"g","part":"nrf52840","images":["'"$SHA"'"],"lock":false,"fields":[{"kind":"serial","width":4}]}'
check "recipe saved: 201" [ "$ST" = 201 ]
req POST /api/v1/recipes/g/activate
req POST "/api/v1/bench/arm?mode=button"
check "armed in button mode" [ "$(jget "$T/body" 'd["mode"]')" = button ]
check "lamps are requested as outputs, off" wait_until 10 'lamp 22 0 && lamp 23 0 && lamp 27 0 && lamp 5 0'
bench_state() { req GET /api/v1/bench; [ "$(jget "$T/body" 'd["handsfree"]["state"]')" = "$1" ]; }
devices() { req GET /api/v1/devices; [ "$(jget "$T/body" 'len(d["devices"])')" = "$1" ]; }
plug good
check "a board in the fixture waits for START" wait_until 20 'bench_state ready'
check "... and nothing is programmed without it" devices 0
pins "17=0"
check "START pressed: the board's record appears" wait_until 30 'devices 1'
pins "17=1"
check "PASS lamp on, FAIL and BUSY off" wait_until 10 'lamp 22 1 && lamp 23 0 && lamp 27 0'
check "the record says PASS" [ "$(jget "$T/body" 'd["devices"][0]["verdict"]')" = PASS ]
plug wrong
check "the next board waits for START" wait_until 20 'bench_state ready'
pins "17=0"
check "START again: its record appears" wait_until 30 'devices 2'
pins "17=1"
check "FAIL lamp on, PASS off" wait_until 10 'lamp 23 1 && lamp 22 0'
check "the buzzer sounds on FAIL ..." wait_until 10 'lamp 5 1'
check "... and stops by itself after buzzer_ms" wait_until 10 'lamp 5 0'
check "the record says FAIL, wrong part" [ "$(jget "$T/body" 'd["devices"][1]["reason"][:25]')" = "part failed: wrong part: " ]
dstop
finish
