#!/bin/sh
# Job queue of the real daemon: two uploads at once both run, in order (the
# second starts after the first ended); with queue_length = 1 a third upload
# while one runs and one waits is answered 429 with Retry-After; DELETE
# cancels a queued job (cancelled, never started) and aborts a running one
# at a safe point (cancelled); target operations while busy are 409.
cd "$(dirname "$0")/.." || exit 1
. tests/daemon_lib.sh

printf '[jobs]\nqueue_length = 1\n' >"$T/q.conf"
head -c 1048576 /dev/urandom >"$T/a.bin"
head -c 1048576 /dev/urandom >"$T/b.bin"
head -c 65536 /dev/urandom >"$T/c.bin"
dstart q --config "$T/q.conf" --probe "sim:part=nrf52840,state=$T/q.chip" || { bad start; finish; }

# two at once (both wait=1), started together
curl -s -o "$T/r1.json" -w '%{http_code}' --data-binary @"$T/a.bin" \
	"$URL/api/v1/flash?wait=1&format=bin&name=first" >"$T/s1" &
c1=$!
sleep 0.3
curl -s -o "$T/r2.json" -w '%{http_code}' --data-binary @"$T/b.bin" \
	"$URL/api/v1/flash?wait=1&format=bin&name=second" >"$T/s2" &
c2=$!
sleep 0.3
# now one runs and one is queued: the queue (length 1) is full
req GET /api/v1/target
echo "while busy: $(cat "$T/body")"
req POST "/api/v1/flash?format=bin" --data-binary @"$T/c.bin"
check "third upload into a full queue: 429 ($ST)" [ "$ST" = 429 ]
check "429 has Retry-After" [ -n "$(header Retry-After)" ]
check "429 body: queue_full error" [ "$(jget "$T/body" 'd["error"]["code"]')" = queue_full ]
req POST /api/v1/target/reset
check "target operation while busy: 409" [ "$ST" = 409 ]
req GET "/api/v1/target/memory?address=0&length=4"
check "memory read while busy: 409" [ "$ST" = 409 ]
wait $c1; wait $c2
check "first upload: 200" [ "$(cat "$T/s1")" = 200 ]
check "second upload: 200" [ "$(cat "$T/s2")" = 200 ]
id1=$(jget "$T/r1.json" 'd["id"]'); id2=$(jget "$T/r2.json" 'd["id"]')
check "in order: first id < second id" [ "$id1" -lt "$id2" ]
check "in order: second started after first finished" \
	[ "$(python3 -c 'import json,sys
a=json.load(open(sys.argv[1])); b=json.load(open(sys.argv[2]))
print(b["started_ms"] >= a["finished_ms"])' "$T/r1.json" "$T/r2.json")" = True ]
readmem 0 1048576 "$T/got.bin"
check "chip holds the second image" cmp -s "$T/got.bin" "$T/b.bin"

# cancel a queued job, abort a running one
req POST "/api/v1/flash?format=bin&erase=chip" --data-binary @"$T/a.bin"
run=$(jget "$T/body" 'd["id"]')
req POST "/api/v1/flash?format=bin" --data-binary @"$T/c.bin"
queued=$(jget "$T/body" 'd["id"]')
check "second job queued" [ "$(jget "$T/body" 'd["state"]')" = queued ]
req DELETE "/api/v1/jobs/$queued"
check "DELETE queued job: 200 cancelled" [ "$ST" = 200 ] && [ "$(jget "$T/body" 'd["state"]')" = cancelled ]
i=0
while [ $i -lt 200 ]; do
	req GET "/api/v1/jobs/$run"
	[ "$(jget "$T/body" 'd["state"]')" = running ] && [ "$(jget "$T/body" 'd["phase"]')" = program ] && break
	sleep 0.02; i=$((i + 1))
done
req DELETE "/api/v1/jobs/$run"
check "DELETE running job: 202 (abort requested)" [ "$ST" = 202 ]
i=0
while [ $i -lt 400 ]; do
	req GET "/api/v1/jobs/$run"
	[ "$(jget "$T/body" 'd["state"]')" != running ] && break
	sleep 0.02; i=$((i + 1))
done
check "running job ended as cancelled" [ "$(jget "$T/body" 'd["state"]')" = cancelled ]
check "cancelled job has error code cancelled" [ "$(jget "$T/body" 'd["error"]["code"]')" = cancelled ]
req GET "/api/v1/jobs/$queued"
check "cancelled queued job never started" [ "$(jget "$T/body" 'd["started_at"]')" = None ]
req POST "/api/v1/flash?wait=1&format=bin" --data-binary @"$T/c.bin"
check "the probe works after an abort" [ "$ST" = 200 ]
check "clean exit" dstop
finish
