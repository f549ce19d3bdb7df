#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# A locked chip through the API (the policy in daemon/flashreq.c): a flash
# without recover=1 is refused with 409 target_locked and the advice, and
# nothing is queued; a bad image is still the parser's 422 first; with
# recover=1 the job recovers, flashes and leaves the chip open.
cd "$(dirname "$0")/.." || exit 1
. tests/lib.sh
need_daemon
img=$FIX/mbr_nrf52_2.4.1_mbr.hex
[ -e "$img" ] || skip "fixtures missing in $FIX (set SWDFLASH_FIXTURES)"

dstart l --probe "sim:part=nrf52832,rev=legacy,locked=1,state=$T/chip" || { bad "daemon start"; finish; }
req GET /api/v1/target
check "target: locked" [ "$(jget "$T/body" 'd["locked"]')" = True ]

req POST "/api/v1/flash?wait=1" --data-binary @"$img"
check "flash a locked chip: 409 ($ST)" [ "$ST" = 409 ]
check "error code target_locked" [ "$(jget "$T/body" 'd["error"]["code"]')" = target_locked ]
check "the message says how to recover" \
	grep -q 'target is locked (APPROTECT): add recover=1 to erase and unlock it first' "$T/body"

printf ':0400000001020304F0\n:00000001FF\n' >"$T/bad.hex"
req POST "/api/v1/flash?wait=1" --data-binary @"$T/bad.hex"
check "a bad image on a locked chip: 422 first ($ST)" [ "$ST" = 422 ]
req GET /api/v1/jobs
check "nothing was queued" [ "$(jget "$T/body" 'len(d["jobs"])')" = 0 ]

req POST "/api/v1/flash?wait=1&recover=1" --data-binary @"$img"
check "flash with recover=1: 200 ($ST)" [ "$ST" = 200 ]
check "the job succeeded" [ "$(jget "$T/body" 'd["state"]')" = succeeded ]
target_open() {
	req GET /api/v1/target
	[ "$(jget "$T/body" 'd["locked"]')" = False ]
}
wait_until 30 target_open
check "target: open after recover + flash" [ "$(jget "$T/body" 'd["locked"]')" = False ]
check "SIGTERM: clean exit, no sanitizer report" dstop
finish
