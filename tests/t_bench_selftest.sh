#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The post-flash self-test with firmware that runs in the simulated core
# (tests/fw/rtt_selftest.hex prints "SELFTEST PASS" through SEGGER RTT):
# the board is reset into it, the RTT line is read from its RAM, then it
# is locked. A recipe whose pass line never comes fails on the timeout,
# naming it, the board is not locked and its serial is burned.
cd "$(dirname "$0")/.." || exit 1
. tests/lib.sh
need_daemon
[ -f tests/fw/rtt_selftest.hex ] || skip "no tests/fw/rtt_selftest.hex"

B=$T/bench
mkdir -p "$B"
echo "part=nrf52840,device_id=0x5C2A7C4000000001" >"$B/up.board"
echo "part=nrf52840,device_id=0x1000000000000E01" >"$B/s1.board"
echo "part=nrf52840,device_id=0x1000000000000E02" >"$B/s2.board"
echo up >"$B/slot"
plug() { echo "$1" >"$B/slot.tmp" && mv "$B/slot.tmp" "$B/slot"; }
dstart st --probe "sim:bench=$B" || die "daemon start"
req POST "/api/v1/flash?wait=1&reset=0" --data-binary @tests/fw/rtt_selftest.hex
check "the self-test firmware is stored" [ "$ST" = 200 ]
SHA=$(jget "$T/body" 'd["image"]["sha256"]')
plug ""
r() { printf '{"name":"%s","part":"nrf52840","images":["%s"],"lock":true,"fields":[{"kind":"serial","address":"0x10001080","width":4}],"selftest":{"pass":"%s","fail":"SELFTEST FAIL","timeout_ms":%s}}' "$1" "$SHA" "$2" "$3"; }
req POST /api/v1/recipes --data "$(r st-ok 'SELFTEST PASS' 2000)"
check "a recipe with a self-test is saved" [ "$ST" = 201 ]
req POST /api/v1/recipes --data "$(r st-never 'SELFTEST OK' 300)"
n() { req GET /api/v1/devices; [ "$(jget "$T/body" 'len(d["devices"])')" = "$1" ]; }
req POST /api/v1/recipes/st-ok/activate
req POST /api/v1/bench/arm
plug s1
check "board 1 is done" wait_until 60 'n 1'
check "it passed" [ "$(jget "$T/body" 'd["devices"][0]["verdict"]')" = PASS ]
check "the RTT line is in its record" [ "$(jget "$T/body" 'd["devices"][0]["fields"]["selftest"]')" = "SELFTEST PASS" ]
check "the self-test ran before the lock" \
	[ "$(jget "$T/body" '",".join(s["step"] for s in d["devices"][0]["steps"])')" = "connect,part,program,fields,selftest,lock" ]
check "and it was locked" [ "$(jget "$T/body" 'd["devices"][0]["locked"]')" = True ]
ST_MS=$(jget "$T/body" '[s["ms"] for s in d["devices"][0]["steps"] if s["step"] == "selftest"][0]')
echo "self-test step: $ST_MS ms simulated"
# board 1 (locked now: no device ID) swapped for board 2 without an empty
# fixture in between: its lock state tells it is another board
req POST /api/v1/recipes/st-never/activate
plug s2
check "board 2 is done" wait_until 60 'n 2'
check "no PASS line: FAIL" [ "$(jget "$T/body" 'd["devices"][1]["verdict"]')" = FAIL ]
check "... saying the self-test timed out" grep -q 'selftest failed: self-test: no PASS line from the firmware within 300 ms' "$T/body"
check "... and the board is not locked" [ "$(jget "$T/body" 'd["devices"][1]["locked"]')" = False ]
check "... its serial burned (written, then the board failed)" [ "$(jget "$T/body" 'd["devices"][1]["serial_state"]')" = burned ]
plug ""
dstop
finish
