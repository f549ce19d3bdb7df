#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# swdflashd API black-box test: the real daemon (ASan build) on a random
# loopback port with --probe sim, driven by curl.
#   /healthz; 404 and 405 as JSON; 401 without or with a wrong token;
#   GET /api/v1/target from the worker's cache; a flash with 202 + Location
#   and polling; wait=1 failure statuses; bad images 422 with the parser's
#   message and the chip untouched (all flash + UICR read back before and
#   after); unknown format 415; oversized bodies 413 without the daemon's
#   memory growing by the body size; jobs list/limit/get/delete; images;
#   flash by sha256 reference; target erase/reset/recover; memory as Intel
#   HEX checked by srec_cat; config file + flags; SIGHUP token reload;
#   refusing a non-loopback listen without a token; clean SIGTERM exit.
cd "$(dirname "$0")/.." || exit 1
. tests/lib.sh
need_daemon
for tool in srec_cat srec_info; do
	need "$tool" "make deps-check"
done
[ -d "$FIX" ] || skip "no fixtures directory at $FIX"

# ---- refusing a public address without a token ----
if timeout 60 "$SWDFLASHD" --foreground --listen 0.0.0.0:0 --probe sim --state-dir "$T/refuse" \
	2>"$T/refuse.log"; then
	bad "non-loopback listen without a token refused"
else
	check "non-loopback listen without a token refused, with instructions" \
		grep -q 'refusing to listen on 0.0.0.0:0 without a token.*urandom' "$T/refuse.log"
fi

# ---- the shipped example configuration parses ----
dstart example --config systemd/swdflashd.conf.example --probe sim || bad "example config"
check "daemon runs with systemd/swdflashd.conf.example" dstop

# ---- config file, flags override it ----
head -c 24 /dev/urandom | base64 | tr -d '=+/' >"$T/token"
TOKEN=$(cat "$T/token")
cat >"$T/swdflashd.conf" <<CONF
; test configuration
[server]
listen = 127.0.0.1:1
name = bench-7
max_body_bytes = 1M
max_header_bytes = 16K
connection_timeout = 2
[probe]
spec = gpiod:chip=/nonexistent
refresh_ms = 500
[jobs]
queue_length = 4
history_max = 50
[auth]
token_file = $T/token
CONF
dstart a --config "$T/swdflashd.conf" --probe "sim:part=nrf52840,state=$T/chip.bin" ||
	{ bad "daemon start"; finish; }
ok "daemon started with --config; --listen and --probe flags override the file"

req GET /healthz
check "GET /healthz 200" [ "$ST" = 200 ]
check "/healthz says ok" [ "$(jget "$T/body" 'd["status"]')" = ok ]

# ---- target ----
req GET /api/v1/target
check "GET /api/v1/target 200" [ "$ST" = 200 ]
check "target: station name from the config" [ "$(jget "$T/body" 'd["station"]')" = bench-7 ]
check "target: probe kind sim" [ "$(jget "$T/body" 'd["probe"]["kind"]')" = sim ]
check "target: connected" [ "$(jget "$T/body" 'd["connected"]')" = True ]
check "target: part nRF52840" [ "$(jget "$T/body" 'd["part"]')" = nRF52840 ]
check "target: flash 1 MiB" [ "$(jget "$T/body" 'd["flash_size"]')" = 1048576 ]
check "target: RAM 256 KiB" [ "$(jget "$T/body" 'd["ram_size"]')" = 262144 ]
check "target: not locked" [ "$(jget "$T/body" 'd["locked"]')" = False ]
check "target: 16-digit device id" [ "$(jget "$T/body" 'len(d["device_id"])')" = 16 ]
check "target: variant present" [ -n "$(jget "$T/body" 'd["variant"]')" ]

# ---- 404 / 405 ----
req GET /api/v1/nonexistent
check "unknown route 404" [ "$ST" = 404 ]
check "404 body is JSON error" [ "$(jget "$T/body" 'd["error"]["code"]')" = not_found ]
req GET /api/v1/jobs/999999
check "unknown job 404" [ "$ST" = 404 ]
check "unknown job: JSON error not_found" [ "$(jget "$T/body" 'd["error"]["code"]')" = not_found ]
req PUT /api/v1/flash
check "wrong method 405" [ "$ST" = 405 ]
check "405 with Allow: POST" [ "$(header Allow)" = POST ]

# ---- header size and idle-connection limits ----
req GET /healthz -H "X-Big: $(head -c 40000 /dev/zero | tr '\0' a)"
check "40 KB of headers over max_header_bytes: 431" [ "$ST" = 431 ]
check "idle connection closed after connection_timeout (2 s)" python3 -c '
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
t = time.monotonic(); s.settimeout(10)
d = s.recv(1)
sys.exit(not (d == b"" and 1.5 < time.monotonic() - t < 6))' "$PORT"

# ---- 401 ----
NOAUTH=1 req POST "/api/v1/flash" --data-binary @"$FIX/mbr_nrf52_2.4.1_mbr.hex"
check "POST without token 401" [ "$ST" = 401 ]
check "401 body is JSON error unauthorized" [ "$(jget "$T/body" 'd["error"]["code"]')" = unauthorized ]
NOAUTH=1 req POST "/api/v1/flash" -H "Authorization: Bearer wrong$TOKEN" \
	--data-binary @"$FIX/mbr_nrf52_2.4.1_mbr.hex"
check "POST with a wrong token 401" [ "$ST" = 401 ]
NOAUTH=1 req DELETE /api/v1/jobs/1
check "DELETE without token 401" [ "$ST" = 401 ]
NOAUTH=1 req POST /api/v1/target/erase
check "target erase without token 401" [ "$ST" = 401 ]
NOAUTH=1 req GET /api/v1/jobs
check "reads are open by default (200 without token)" [ "$ST" = 200 ]
req GET /api/v1/jobs
check "no jobs yet" [ "$(jget "$T/body" 'len(d["jobs"])')" = 0 ]

# ---- whole chip before any bad image ----
readmem 0 1048576 "$T/flash0.bin" && readmem 0x10001000 1024 "$T/uicr0.bin"
check "read 1 MiB flash + UICR through the API" [ "$(wc -c <"$T/flash0.bin")" = 1048576 ]

# ---- a good flash: 202, Location, poll ----
req POST "/api/v1/flash?name=mbr.hex" --data-binary @"$FIX/mbr_nrf52_2.4.1_mbr.hex"
check "POST flash without wait: 202" [ "$ST" = 202 ]
LOC=$(header Location)
ID=$(jget "$T/body" 'd["id"]')
check "Location header names the job" [ "$LOC" = "/api/v1/jobs/$ID" ]
check "202 body is the job, queued" [ "$(jget "$T/body" 'd["state"]')" = queued ]
for k in id state phase bytes_done bytes_total image options target created_at started_at finished_at duration_ms; do
	check "job object has '$k'" [ "$(jget "$T/body" "'$k' in d")" = True ]
done
check "job image name and format" [ "$(jget "$T/body" 'd["image"]["name"] + "/" + d["image"]["format"]')" = mbr.hex/hex ]
check "job image sha256 = sha256sum" [ "$(jget "$T/body" 'd["image"]["sha256"]')" = "$(sha256sum <"$FIX/mbr_nrf52_2.4.1_mbr.hex" | cut -d' ' -f1)" ]
check "job options echoed" [ "$(jget "$T/body" 'd["options"]["erase"] + str(d["options"]["verify"])')" = autoTrue ]
job_wait "$LOC"
check "job polled to succeeded" [ "$JSTATE" = succeeded ]
check "finished job has target part and device id" \
	[ "$(jget "$T/body" 'd["target"]["part"]')" = nRF52840 ]
check "finished job has duration_ms" [ "$(jget "$T/body" 'd["duration_ms"] >= 0')" = True ]
check "MBR read back equals srec_cat's bytes" chip_matches_hex "$FIX/mbr_nrf52_2.4.1_mbr.hex" mbr
readmem 0 1048576 "$T/flash0.bin" && readmem 0x10001000 1024 "$T/uicr0.bin"

# ---- bad images: 422, parser message, chip untouched ----
printf ':10000000FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF01\n:00000001FF\n' >"$T/badsum.hex"
printf ':100000000102030405060708090A0B0C0D0E0F1068\n:0400000AFFFFFFFFFA\n:00000001FF\n' >"$T/badtype.hex"
printf ':02000000GG0012\n:00000001FF\n' >"$T/nonhex.hex"
: >"$T/empty.bin"
printf ':020000040020DA\n:10000000000102030405060708090A0B0C0D0E0F78\n:00000001FF\n' >"$T/outside.hex"
for f in badsum badtype nonhex outside; do
	req POST "/api/v1/flash?wait=1" --data-binary @"$T/$f.hex"
	msg=$(jget "$T/body" 'd["error"]["message"]')
	check "$f.hex: 422 ($ST: $msg)" [ "$ST" = 422 ]
	check "$f.hex: error code is bad_image or out_of_range" \
		[ "$(jget "$T/body" 'd["error"]["code"] in ("bad_image", "out_of_range")')" = True ]
done
req POST "/api/v1/flash?wait=1" --data-binary @"$T/badsum.hex"
check "bad checksum message names the line" sh -c "grep -qi 'line 1' '$T/body' && grep -qi checksum '$T/body'"
req POST "/api/v1/flash?wait=1" --data-binary @"$T/outside.hex"
check "out-of-range message names 0x00200000 and the part" sh -c "grep -qi 0x00200000 '$T/body' && grep -q nRF52840 '$T/body'"
req POST "/api/v1/flash?wait=1" -F "firmware=@$T/badsum.hex"
check "multipart bad image: 422" [ "$ST" = 422 ]
req POST "/api/v1/flash?wait=1&format=elf" --data-binary @"$FIX/mbr_nrf52_2.4.1_mbr.hex"
check "HEX forced as ELF: 422 ($(jget "$T/body" 'd["error"]["message"]'))" [ "$ST" = 422 ]
req POST "/api/v1/flash?format=srec" --data-binary @"$FIX/mbr_nrf52_2.4.1_mbr.hex"
check "unknown format: 415" [ "$ST" = 415 ]
req POST "/api/v1/flash?erase=sometimes" --data-binary @"$FIX/mbr_nrf52_2.4.1_mbr.hex"
check "bad erase option: 400" [ "$ST" = 400 ]
check "bad erase option: error bad_argument" [ "$(jget "$T/body" 'd["error"]["code"]')" = bad_argument ]
req POST "/api/v1/flash" -F "other=@$FIX/mbr_nrf52_2.4.1_mbr.hex"
check "multipart without 'firmware': 400" [ "$ST" = 400 ]
req POST "/api/v1/flash" -H 'Content-Type: application/json' --data '{"image":"sha256:0000000000000000000000000000000000000000000000000000000000000000"}'
check "unknown image reference: 404" [ "$ST" = 404 ]
req GET /api/v1/jobs
check "rejected images created no jobs" [ "$(jget "$T/body" 'len(d["jobs"])')" = 1 ]
readmem 0 1048576 "$T/flash1.bin" && readmem 0x10001000 1024 "$T/uicr1.bin"
check "bad images: flash untouched" cmp -s "$T/flash0.bin" "$T/flash1.bin"
check "bad images: UICR untouched" cmp -s "$T/uicr0.bin" "$T/uicr1.bin"

# ---- 413 without memory growth ----
PID=$DPID
r0=$(rss $PID); h0=$(hwm $PID)
head -c $((64 * 1024 * 1024)) /dev/zero >"$T/big.bin"
req POST "/api/v1/flash" --data-binary @"$T/big.bin"
check "64 MiB raw body with Content-Length: 413" [ "$ST" = 413 ]
check "413 body is JSON too_large" [ "$(jget "$T/body" 'd["error"]["code"]')" = too_large ]
req POST "/api/v1/flash" -H 'Transfer-Encoding: chunked' --data-binary @"$T/big.bin"
check "64 MiB chunked body (no length): 413" [ "$ST" = 413 ]
req POST "/api/v1/flash" -F "firmware=@$T/big.bin"
check "64 MiB multipart: 413" [ "$ST" = 413 ]
r1=$(rss $PID); h1=$(hwm $PID)
echo "RSS before ${r0} KiB after ${r1} KiB; peak before ${h0} KiB after ${h1} KiB"
check "peak RSS grew by less than 8 MiB for 3 x 64 MiB bodies" [ $((h1 - h0)) -lt 8192 ]
check "no upload left in the temporary directory" [ -z "$(ls "$T/a/tmp")" ]

# ---- images list, flash by reference ----
req GET /api/v1/images
check "images: one stored" [ "$(jget "$T/body" 'len(d["images"])')" = 1 ]
SHA=$(jget "$T/body" 'd["images"][0]["sha256"]')
check "images: sha256, size, format, addresses, time" [ "$(jget "$T/body" 'd["images"][0]["format"] + d["images"][0]["first_address"] + d["images"][0]["last_address"] + str(d["images"][0]["size"]) + str("uploaded_at" in d["images"][0])')" = "hex0x000000000x00000AFF$(wc -c <"$FIX/mbr_nrf52_2.4.1_mbr.hex")True" ]
check "image file stored as images/<sha256>" cmp -s "$T/a/images/$SHA" "$FIX/mbr_nrf52_2.4.1_mbr.hex"
req POST /api/v1/target/erase -H 'Content-Type: application/json' --data '{"scope":"chip"}'
check "POST /target/erase chip: 200 (waits)" [ "$ST" = 200 ]
check "erase job succeeded" [ "$(jget "$T/body" 'd["kind"] + d["state"]')" = erasesucceeded ]
readmem 0 4096 "$T/e.bin"
check "chip erased (first page 0xFF)" [ "$(od -An -v -tx1 "$T/e.bin" | tr -d ' \n' | tr -d f)" = "" ]
req POST "/api/v1/flash?wait=1" -H 'Content-Type: application/json' --data "{\"image\":\"sha256:$SHA\"}"
check "flash by image reference, wait=1: 200" [ "$ST" = 200 ]
check "flash by image reference: succeeded" [ "$(jget "$T/body" 'd["state"]')" = succeeded ]
check "referenced image keeps its name" [ "$(jget "$T/body" 'd["image"]["name"]')" = mbr.hex ]
check "MBR back on the chip" chip_matches_hex "$FIX/mbr_nrf52_2.4.1_mbr.hex" mbr-ref

# ---- wait=1 failure: a status that makes curl -f fail ----
head -c 4096 /dev/urandom >"$T/r1.bin"; head -c 4096 /dev/urandom >"$T/r2.bin"
req POST "/api/v1/flash?wait=1&format=bin&base=0x80000" --data-binary @"$T/r1.bin"
check "random 4 KiB at 0x80000: 200" [ "$ST" = 200 ]
req POST "/api/v1/flash?wait=1&format=bin&base=0x80000&erase=none" --data-binary @"$T/r2.bin"
check "erase=none over programmed flash fails: status >= 400 ($ST)" [ "$ST" -ge 400 ]
check "failed job body: state failed with error code and message" \
	[ "$(jget "$T/body" 'd["state"] + str(bool(d["error"]["code"]) and bool(d["error"]["message"]))')" = failedTrue ]
# a precondition (the chip's contents forbid erase=none), not a mismatch
check "erase=none refusal: 409 precondition_failed ($ST $(jget "$T/body" 'd["error"]["code"]'))" \
	[ "$ST:$(jget "$T/body" 'd["error"]["code"]')" = 409:precondition_failed ]
# the internal enum value never reaches the API or the history file
check "failed job has no error_status_code" [ "$(jget "$T/body" '"error_status_code" in d')" = False ]
FID=$(jget "$T/body" 'd["id"]')
req GET "/api/v1/jobs/$FID"
check "GET failed job: no error_status_code" [ "$(jget "$T/body" 'd["state"] + str("error_status_code" in d)')" = failedFalse ]
check "history file written, without error_status_code" python3 -c 'import sys
s = open(sys.argv[1]).read(); sys.exit(not (s and "error_status_code" not in s))' "$T/a/history.jsonl"
if curl -sf --max-time 300 -o /dev/null -H "Authorization: Bearer $TOKEN" --data-binary @"$T/r2.bin" \
	"$URL/api/v1/flash?wait=1&erase=none&format=bin&base=0x80000"; then bad "curl -f fails on a failed flash"; else ok "curl -f fails on a failed flash"; fi

# ---- jobs list, limit, delete ----
req GET "/api/v1/jobs?limit=2"
check "jobs?limit=2 gives 2" [ "$(jget "$T/body" 'len(d["jobs"])')" = 2 ]
check "jobs newest first" [ "$(jget "$T/body" 'd["jobs"][0]["id"] > d["jobs"][1]["id"]')" = True ]
req GET "/api/v1/jobs?limit=x"
check "jobs?limit=x: 400" [ "$ST" = 400 ]
req DELETE "/api/v1/jobs/$ID"
check "DELETE a finished job: 409" [ "$ST" = 409 ]
req DELETE /api/v1/jobs/424242
check "DELETE unknown job: 404" [ "$ST" = 404 ]

# ---- memory as Intel HEX, checked by srec_cat ----
req GET "/api/v1/target/memory?address=0x100&length=300&format=hex"
check "memory format=hex: 200" [ "$ST" = 200 ]
cp "$T/body" "$T/mem.hex"
srec_cat "$T/mem.hex" -Intel -offset -0x100 -o "$T/memhex.bin" -Binary 2>/dev/null
readmem 0x100 300 "$T/membin.bin"
check "memory hex (via srec_cat) equals memory bin" cmp -s "$T/memhex.bin" "$T/membin.bin"
req GET "/api/v1/target/memory?address=0&length=0"
check "memory length=0: 400" [ "$ST" = 400 ]
req GET "/api/v1/target/memory?address=0"
check "memory without length: 400" [ "$ST" = 400 ]
req GET "/api/v1/target/memory?address=0x30000000&length=4"
check "unmapped memory: an error status ($ST)" [ "$ST" -ge 400 ]

# ---- reset, recover ----
req POST /api/v1/target/reset
check "POST /target/reset: 200" [ "$ST" = 200 ]
check "reset job succeeded" [ "$(jget "$T/body" 'd["state"]')" = succeeded ]
req POST "/api/v1/target/recover?wait=0"
check "POST /target/recover?wait=0: 202" [ "$ST" = 202 ]
check "202 has a Location" [ -n "$(header Location)" ]
RID=$(jget "$T/body" 'd["id"]')
job_wait "/api/v1/jobs/$RID"
check "recover job succeeded" [ "$JSTATE" = succeeded ]
readmem 0 4096 "$T/e.bin"
check "recover erased the chip" [ "$(od -An -v -tx1 "$T/e.bin" | tr -d ' \n' | tr -d f)" = "" ]
req POST /api/v1/target/erase --data '{"scope":"everything"}' -H 'Content-Type: application/json'
check "erase with a bad scope: 400" [ "$ST" = 400 ]

# ---- SIGHUP reloads the token ----
head -c 24 /dev/urandom | base64 | tr -d '=+/' >"$T/token"
OLD=$TOKEN
kill -HUP "$DPID"
wait_until 30 'grep -q "^<[0-9]>reload: " "$DLOG"'
TOKEN=$OLD req POST /api/v1/target/reset
check "after SIGHUP the old token is refused" [ "$ST" = 401 ]
TOKEN=$(cat "$T/token")
req POST /api/v1/target/reset
check "after SIGHUP the new token works" [ "$ST" = 200 ]
check "SIGHUP logged" grep -q '<6>SIGHUP' "$DLOG"
check "job end logged with the board's device ID and the image" \
	grep -Eq '^<6>job [0-9]+: succeeded in [0-9]+ ms \[nRF52840 [0-9A-F]{16}, image [0-9a-f]{12} ' "$DLOG"
check "log lines carry syslog priorities" sh -c "grep -q '^<6>' '$DLOG' && ! grep -v '^<[0-7]>' '$DLOG' | grep -q ."

check "SIGTERM: clean exit, no sanitizer report" dstop

# ---- history records of earlier versions carry "error_status_code": they load ----
mkdir -p "$T/old"
cat >"$T/old/history.jsonl" <<'REC'
{"id":41,"kind":"flash","state":"failed","phase":"erase","bytes_done":0,"bytes_total":4096,"image":{"sha256":"0000000000000000000000000000000000000000000000000000000000000000","name":"r2.bin","format":"bin"},"options":{"format":"bin","base":"0x00080000","erase":"none","verify":true,"reset":true,"recover":false,"full":false},"target":{"part":"nRF52840","device_id":"0123456789ABCDEF"},"created_at":"2024-01-01T00:00:00.000Z","created_ms":1704067200000,"started_at":"2024-01-01T00:00:00.100Z","started_ms":1704067200100,"finished_at":"2024-01-01T00:00:00.300Z","finished_ms":1704067200300,"duration_ms":200,"error":{"code":"verify_mismatch","message":"0x00080000 holds 0x00000000 where the image needs 0x12345678"},"error_status_code":-13}
REC
TOKEN= dstart old --probe sim || bad "start with an old history file"
TOKEN= req GET /api/v1/jobs/41
check "old record loads: failed, its error code, no error_status_code ($ST)" \
	[ "$(jget "$T/body" 'd["state"] + ":" + d["error"]["code"] + ":" + str("error_status_code" in d)')" = failed:verify_mismatch:False ]
TOKEN= req GET /api/v1/jobs
check "old history: one job listed" [ "$(jget "$T/body" 'len(d["jobs"])')" = 1 ]
check "SIGTERM with an old history: clean exit" dstop
finish
