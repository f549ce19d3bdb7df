#!/bin/sh
# No target on the wire (a board not in the jig, SWDIO floating): the
# daemon keeps serving, says why in GET /api/v1/target, answers uploads
# with 503 no_target before anything is queued, and picks the target up
# when one appears (a restart with a chip that answers).
cd "$(dirname "$0")/.." || exit 1
. tests/daemon_lib.sh

# started by hand: dstart waits for a connected target
DLOG=$T/n.log
"$SWDFLASHD" --foreground --listen 127.0.0.1:0 --state-dir "$T/n" \
	--probe "sim:part=nrf52840,absent=1" 2>"$DLOG" &
DPID=$!
i=0 PORT=
while [ -z "$PORT" ] && [ $i -lt 200 ]; do
	PORT=$(sed -n 's|.*listening on http://127\.0\.0\.1:\([0-9]*\)/.*|\1|p' "$DLOG" | head -n 1)
	sleep 0.05
	i=$((i + 1))
done
[ -n "$PORT" ] || { cat "$DLOG"; bad "daemon did not start"; finish; }
URL=http://127.0.0.1:$PORT

# the worker's first identify may still be running: poll until it has an answer
i=0
while [ $i -lt 100 ]; do
	req GET /api/v1/target
	[ -n "$(jget "$T/body" 'd.get("error") or ""')" ] && break
	sleep 0.05
	i=$((i + 1))
done
check "GET /target: 200 while no target answers" [ "$ST" = 200 ]
check "GET /target: connected false" [ "$(jget "$T/body" 'd["connected"]')" = False ]
check "GET /target: the error says nothing answers" grep -q 'no response from the target' "$T/body"
req GET /healthz
check "healthz still 200" [ "$ST" = 200 ]

req POST "/api/v1/flash?wait=1" --data-binary "@$FIX/mbr_nrf52_2.4.1_mbr.hex"
check "POST /flash without a target: 503" [ "$ST" = 503 ]
check "error code no_target" [ "$(jget "$T/body" 'd["error"]["code"]')" = no_target ]
req GET /api/v1/jobs
check "nothing was queued" [ "$(jget "$T/body" 'len(d["jobs"])')" = 0 ]
req POST /api/v1/target/reset
check "POST /target/reset without a target: 503" [ "$ST" = 503 ]
check "logged as not connected" grep -q 'not connected' "$DLOG"
check "SIGTERM: clean exit, no sanitizer report" dstop
finish
