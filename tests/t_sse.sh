#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Server-Sent Events (GET /api/v1/events) against the real daemon with a
# locked simulated nRF52840: see tests/web/sse.py for what is checked.
cd "$(dirname "$0")/.." || exit 1
. tests/lib.sh
need_daemon

cat >"$T/conf" <<EOF
[server]
name = SSE bench
EOF
head -c 1048576 /dev/urandom >"$T/big.bin"
PROBE="sim:part=nrf52840,locked=1,state=$T/chip.bin"

dstart s --probe "$PROBE" --config "$T/conf" || { bad "daemon start"; finish; }
/usr/bin/python3 tests/web/sse.py "$URL" "" "$T/big.bin" demo/blinky.hex first "$T/sse.json"
check "events: hello, ids, target, progress, resume, many and stuck clients" [ $? -eq 0 ]
curl -s --max-time 60 "$URL/metrics" | grep '^swdflashd_event' | sed 's/^/     /'
curl -s -N --max-time 2 -D "$T/sse.hdr" -o /dev/null "$URL/api/v1/events"
check "the event stream sends one Cache-Control header (no-cache)" \
	[ "$(tr -d '\r' <"$T/sse.hdr" | grep -i '^cache-control:')" = "Cache-Control: no-cache" ]
dstop || bad "daemon stopped cleanly"

# the same chip, now in real time so that a job lasts as long as on silicon
dstart s --probe "$PROBE,realtime=1" --config "$T/conf" --listen "127.0.0.1:$PORT" || { bad "daemon restart"; finish; }
/usr/bin/python3 tests/web/sse.py "$URL" "" "$T/big.bin" demo/blinky.hex second "$T/sse.json"
check "events after a restart" [ $? -eq 0 ]
dstop || bad "daemon stopped cleanly"
finish
