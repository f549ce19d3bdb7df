#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The production view (web/static/bench.html) in headless chromium
# (playwright-core, as t_web_browser.sh), on the 800x480 Pi touchscreen and
# a laptop screen, against the real daemon on a simulated bench: arm with
# the token, a board comes (BUSY, then PASS with its serial), a board of
# the wrong part (FAIL naming it), the counts and yield, the last boards.
# Screenshots: build/screenshots/bench-*.png.
cd "$(dirname "$0")/.." || exit 1
. tests/lib.sh
need_daemon

need_playwright
SHOTS=$(pwd)/build/screenshots
mkdir -p "$SHOTS"
rm -f "$SHOTS"/bench-*.png

B=$T/bench
mkdir -p "$B"
echo "part=nrf52840,device_id=0x5C2A7C4000000001" >"$B/up.board"
echo "part=nrf52840,device_id=0x1000000000000A01" >"$B/good.board"
echo "part=nrf52832,device_id=0x1000000000000A02" >"$B/wrong.board"
echo up >"$B/slot"
TOKEN=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
printf '%s\n' "$TOKEN" >"$T/token"
# 64 KiB: a few hundred ms of simulated programming at realtime, so BUSY is seen
python3 -c 'import sys, random; r=random.Random(5); d=bytes(r.randrange(256) for _ in range(65536))
out=[]
for o in range(0, len(d), 16):
    if o % 65536 == 0:
        out.append(":020000040000FA")
    rec=[16, (o >> 8) & 255, o & 255, 0] + list(d[o:o+16]); out.append(":" + "".join("%02X" % b for b in rec) + "%02X" % (-sum(rec) & 255))
open(sys.argv[1], "w").write("\n".join(out + [":00000001FF"]) + "\n")' "$T/a.hex"
dstart w --probe "sim:bench=$B,realtime=1,period_ns=250" --token-file "$T/token" || die "daemon start"
req POST "/api/v1/flash?wait=1" --data-binary @"$T/a.hex"
SHA=$(jget "$T/body" 'd["image"]["sha256"]')
echo "" >"$B/slot"
req POST /api/v1/recipes --data '{"name":"line-3","part":"nrf52840","images":["'"$SHA"'"],"lock":true,"recover":true,"fields":[{"kind":"serial","prefix":"SN-","width":5}]}'
check "recipe saved: 201" [ "$ST" = 201 ]
req POST /api/v1/recipes/line-3/activate

URL=$URL TOKEN=$TOKEN SHOTS=$SHOTS PROFILE=$T/profile SLOT=$B/slot CHROMIUM=$CHROMIUM \
PLAYWRIGHT_FROM=$NODEDIR/package.json \
	timeout 300 node tests/web/bench.mjs
rc=$?
check "the browser's checks (tests/web/bench.mjs)" [ $rc -eq 0 ]
ls "$SHOTS"/bench-*.png
dstop
finish
