#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# No leaks: 50 consecutive jobs (flash with wait=1, flash queued and polled,
# a referenced image, target operations, memory reads, a rejected image,
# a cancel) against the ASan/LSan build, then SIGTERM: exit status 0 and
# no LeakSanitizer (or other sanitizer) report. Then SIGTERM while a job
# runs: the job ends cleanly (succeeded or cancelled at a safe point, never
# left running) and the exit is clean too.
cd "$(dirname "$0")/.." || exit 1
. tests/lib.sh
need_fixtures
need_daemon
case "$(nm -D "$SWDFLASHD" 2>/dev/null; nm "$SWDFLASHD" 2>/dev/null)" in
*__lsan*|*__asan_init*) ;;
*) skip "$SWDFLASHD is not built with ASan/LSan" ;;
esac
export ASAN_OPTIONS=detect_leaks=1:exitcode=23

dstart leak --probe "sim:part=nrf52840,state=$T/leak.chip" || { bad start; finish; }
good=0 n=0
while [ $n -lt 50 ]; do
	case $((n % 5)) in
	0) req POST "/api/v1/flash?wait=1" --data-binary @"$FIX/mbr_nrf52_2.4.1_mbr.hex" ;;
	1) req POST "/api/v1/flash?wait=1" -F "firmware=@$FIX/s140_nrf52_6.1.1_softdevice.uf2" ;;
	2) req POST /api/v1/target/erase -H 'Content-Type: application/json' --data '{"scope":"uicr"}' ;;
	3) req POST "/api/v1/flash" --data-binary @"$FIX/mbr_nrf52_2.4.1_mbr.hex"
	   id=$(jget "$T/body" 'd["id"]')
	   job_wait "/api/v1/jobs/$id"
	   [ "$JSTATE" = succeeded ] && ST=200 ;;
	4) req POST /api/v1/target/reset ;;
	esac
	[ "$ST" = 200 ] && good=$((good + 1))
	readmem 0 4096 "$T/m.bin"
	n=$((n + 1))
done
head -n 20 "$FIX/mbr_nrf52_2.4.1_mbr.hex" >"$T/truncated.hex"
req POST "/api/v1/flash?wait=1" --data-binary @"$T/truncated.hex"
check "a rejected image on the way: 422" [ "$ST" = 422 ]
req GET "/api/v1/jobs?limit=100"
check "50 jobs ran, all succeeded ($good)" [ "$good" = 50 ]
check "50 jobs in the history" [ "$(jget "$T/body" 'len(d["jobs"])')" = 50 ]
check "50 jobs: SIGTERM exit 0, no LeakSanitizer report" dstop

head -c 1048576 /dev/urandom >"$T/big.bin"
dstart leak --probe "sim:part=nrf52840,state=$T/leak.chip" || { bad start; finish; }
req POST "/api/v1/flash?format=bin&erase=chip" --data-binary @"$T/big.bin"
id=$(jget "$T/body" 'd["id"]')
req POST "/api/v1/flash?format=bin&erase=chip" --data-binary @"$T/big.bin"
req POST "/api/v1/flash" --data-binary @"$FIX/mbr_nrf52_2.4.1_mbr.hex"
id2=$(jget "$T/body" 'd["id"]')
check "SIGTERM during a job: exit 0, no sanitizer report" dstop
check "the stop was logged" grep -q 'SIGTERM: stopping' "$DLOG"
dstart leak --probe "sim:part=nrf52840,state=$T/leak.chip" || { bad start; finish; }
req GET "/api/v1/jobs/$id"
s=$(jget "$T/body" 'd["state"]')
assert "the running job ended cleanly ($s), not interrupted" '[ "$s" = succeeded ] || [ "$s" = cancelled ]'
req GET "/api/v1/jobs/$id2"
check "the queued job was cancelled" [ "$(jget "$T/body" 'd["state"]')" = cancelled ]
check "clean exit" dstop
finish
