#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The status page in a real browser: Debian's chromium, headless, driven by
# playwright-core from npm (installed into build/node/ when missing), against
# the real daemon with --probe sim. tests/web/browser.mjs does the clicking;
# this script owns the daemon (start, restart on request) and the fixtures.
# Screenshots: build/screenshots/*.png.
cd "$(dirname "$0")/.." || exit 1
. tests/lib.sh
need_fixtures
need_daemon

need_playwright

SHOTS=$(pwd)/build/screenshots
mkdir -p "$SHOTS"
rm -f "$SHOTS"/0[0-9]-*.png  # its own; the other browser tests keep theirs

STATION="Bench 3 (test)"
TOKEN=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
printf '%s\n' "$TOKEN" >"$T/token"
cat >"$T/conf" <<EOF
[server]
name = $STATION
EOF
STATE=$T/chip.bin
# realtime: the simulated chip takes as long as silicon (SWCLK 8 MHz, so the
# NVMC sets the pace), which makes the running job watchable on any machine
PROBE="sim:part=nrf52840,realtime=1,period_ns=125,state=$STATE"

# fixtures: a good image, another one that needs an erase over the first,
# a 256 KiB random image (about 3 s to program: long enough to watch), a
# malformed HEX
cp "$FIX/s140_nrf52_6.1.1_softdevice.hex" "$T/s140_nrf52_6.1.1_softdevice.hex"
cp "$FIX/s132_nrf52_6.1.1_softdevice.hex" "$T/s132_nrf52_6.1.1_softdevice.hex"
head -c 262144 /dev/urandom >"$T/app-256KiB.bin"
# line 3 ends in checksum 0x50: make it 0x51
sed '3s/50\(\r*\)$/51\1/' "$FIX/mbr_nrf52_2.4.1_mbr.hex" >"$T/broken-checksum.hex"
cmp -s "$FIX/mbr_nrf52_2.4.1_mbr.hex" "$T/broken-checksum.hex" && die "could not break the checksum"
FIXTURE_SHA=$(sha256sum "$T/s140_nrf52_6.1.1_softdevice.hex" | cut -c1-64)

dstart d1 --probe "$PROBE" --token-file "$T/token" --config "$T/conf" || die "daemon start"
# what the API itself says about the bad image
req POST "/api/v1/flash" --data-binary @"$T/broken-checksum.hex"
[ "$ST" = 422 ] || { cat "$T/body"; die "bad image answered $ST, expected 422"; }
BAD_MESSAGE=$(jget "$T/body" 'd["error"]["message"]')
echo "parser message: $BAD_MESSAGE"

# the restart helper: browser.mjs writes $T/restart.req, we stop the
# daemon; once the page has shown that it lost the daemon, browser.mjs
# writes $T/restart.req.noticed and we start it again on the same port and
# write $T/restart.done; then $T/restart.req.flash asks for a job queued
# with curl. Every wait has a deadline (the browser's own is 300 s).
(
	trap - EXIT
	wait_until 300 '[ -e "$T/restart.req" ]' || { echo "no restart request"; exit 1; }
	echo "restart requested"
	term_wait "$DPID" >/dev/null 2>&1
	wait_until 120 '[ -e "$T/restart.req.noticed" ]' || echo "the page did not say it noticed"
	dstart d1 --probe "$PROBE" --token-file "$T/token" --config "$T/conf" --listen "127.0.0.1:$PORT" ||
		{ echo "restart failed"; exit 1; }
	echo "$DPID" >"$T/dpid2"
	touch "$T/restart.done"
	wait_until 300 '[ -e "$T/restart.req.flash" ]' || exit 1
	curl -s -o /dev/null --max-time 120 -H "Authorization: Bearer $TOKEN" \
		--data-binary @"$FIX/mbr_nrf52_2.4.1_mbr.hex" "$URL/api/v1/flash?name=after-restart&wait=1"
	# until the test stops the daemon (or the script ends and its trap does)
	wait "$DPID"
) &
HELPER=$!

URL=$URL TOKEN=$TOKEN STATION=$STATION SHOTS=$SHOTS PROFILE=$T/profile \
FIXTURE=$T/s140_nrf52_6.1.1_softdevice.hex FIXTURE_SHA=$FIXTURE_SHA \
FIXTURE_OTHER=$T/s132_nrf52_6.1.1_softdevice.hex BIG=$T/app-256KiB.bin \
BAD=$T/broken-checksum.hex BAD_MESSAGE=$BAD_MESSAGE \
RESTART_REQ=$T/restart.req RESTART_DONE=$T/restart.done CHROMIUM=$CHROMIUM \
PLAYWRIGHT_FROM=$NODEDIR/package.json \
	timeout 300 node tests/web/browser.mjs
rc=$?

# stop whichever daemon runs now; the helper exits with it
[ -f "$T/dpid2" ] && kill -TERM "$(cat "$T/dpid2")" 2>/dev/null
wait_until 60 '! alive "$HELPER"'
term_wait "$HELPER" >/dev/null
term_wait "$DPID" >/dev/null 2>&1
DPID=
ls -l "$SHOTS"
check "the browser's checks (tests/web/browser.mjs)" [ $rc -eq 0 ]
# finish fails on a sanitizer report in either daemon's log
finish "browser test passed"
