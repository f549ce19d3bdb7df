#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# No target on the wire (a board not in the jig, SWDIO floating): the
# daemon keeps serving, says why in GET /api/v1/target, answers uploads
# with 503 no_target before anything is queued, and picks the target up
# when one appears (a restart with a chip that answers).
cd "$(dirname "$0")/.." || exit 1
. tests/lib.sh
need_daemon

# dlaunch, not dstart: dstart waits for a connected target
dlaunch n --probe "sim:part=nrf52840,absent=1" || { bad "daemon did not start"; finish; }

# the worker's first identify may still be running: poll until it has an answer
target_error() {
	req GET /api/v1/target
	[ -n "$(jget "$T/body" 'd.get("error") or ""')" ]
}
wait_until 60 target_error
check "GET /target: 200 while no target answers" [ "$ST" = 200 ]
check "GET /target: connected false" [ "$(jget "$T/body" 'd["connected"]')" = False ]
check "GET /target: the error says nothing answers" grep -q 'no response from the target' "$T/body"
req GET /healthz
check "healthz still 200" [ "$ST" = 200 ]

req POST "/api/v1/flash?wait=1" --data-binary @demo/blinky.hex
check "POST /flash without a target: 503" [ "$ST" = 503 ]
check "error code no_target" [ "$(jget "$T/body" 'd["error"]["code"]')" = no_target ]
req GET /api/v1/jobs
check "nothing was queued" [ "$(jget "$T/body" 'len(d["jobs"])')" = 0 ]
req POST /api/v1/target/reset
check "POST /target/reset without a target: 503" [ "$ST" = 503 ]
check "logged as not connected" grep -q 'not connected' "$DLOG"
check "SIGTERM: clean exit, no sanitizer report" dstop
finish
