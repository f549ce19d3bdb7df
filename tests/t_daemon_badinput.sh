#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Bad content never reaches the chip (issue 10, items 1-6 and 17): the
# real daemon (ASan build) with --probe sim, driven by curl and python3.
#   format detection: HTML, JSON, gzip, zip, UTF-16, base64, a damaged UF2,
#   unknown binary refused (415/422, naming what was seen), a HEX with a
#   BOM or leading blanks flashed as HEX; a stored raw binary re-flashed
#   at its own base; multipart: unterminated, two firmware parts, base64
#   parts refused with nothing stored or queued; every option validated
#   (erase scope of the wrong JSON type, unknown or repeated options,
#   "010" is ten); UF2 family against the part; text that is not UTF-8
#   gives valid JSON and no orphaned file; the event stream has one
#   Cache-Control; the target view has no file system path; a SIGTERM
#   during verify says what is true of the chip.
cd "$(dirname "$0")/.." || exit 1
. tests/lib.sh
need_daemon
[ -d "$FIX" ] || skip "no fixtures directory at $FIX"
HEX=$FIX/mbr_nrf52_2.4.1_mbr.hex
UF2=$FIX/s140_nrf52_6.1.1_softdevice.uf2

dstart b --probe "sim:part=nrf52840,state=$T/chip.bin" || { bad "daemon start"; finish; }

# valid_json FILE: the reply parses as JSON
valid_json() { python3 -c 'import json,sys; json.load(open(sys.argv[1], encoding="utf-8", errors="strict"))' "$1" 2>/dev/null; }
njobs() { req GET /api/v1/jobs; jget "$T/body" 'len(d["jobs"])'; }
nimages() { req GET /api/v1/images; jget "$T/body" 'len(d["images"])'; }

readmem 0 1048576 "$T/flash0.bin" || bad "read the chip"
J0=$(njobs)

# ---- 1. content that is not firmware: refused, named, never flashed ----
python3 - "$HEX" "$UF2" "$T" <<'PY'
import base64, gzip, io, struct, sys, zipfile
hexf, uf2f, t = sys.argv[1:]
h = open(hexf, 'rb').read()
u = bytearray(open(uf2f, 'rb').read())
def w(name, data): open(t + '/' + name, 'wb').write(data)
w('page.html', b'<!DOCTYPE html>\n<html><head><title>404 Not Found</title></head><body>nope</body></html>\n')
w('page2.html', b'\r\n  <html>\n<body>Login required</body></html>')
w('err.json', b'{"errors":[{"status":"404","detail":"artifact not found"}]}\n')
w('hex.gz', gzip.compress(h))
z = io.BytesIO()
with zipfile.ZipFile(z, 'w') as zf: zf.writestr('app.hex', h)
w('hex.zip', z.getvalue())
w('utf16le.hex', h.decode().encode('utf-16'))
w('utf16be.hex', h.decode().encode('utf-16-be'))
w('hex.b64', base64.encodebytes(h))
b = bytearray(u); b[0] ^= 0x40; w('magic0.uf2', b)
b = bytearray(u); b[0:8] = b'\0' * 8; w('magic01.uf2', b)
w('random.dat', bytes((i * 37 + 11) & 0xFF for i in range(4096)))
w('text.txt', b'version=1.2.3\nbuild=ok\n')
# HEX variants that are parsed as HEX
w('bom.hex', b'\xef\xbb\xbf' + h)
w('blank.hex', b'\r\n\n' + h)
w('space.hex', b'  ' + h)
# family of another nRF52 (nRF52832's "NRF52") on an nRF52840
b = bytearray(u)
for i in range(len(b) // 512):
    if struct.unpack_from('<I', b, i * 512 + 8)[0] & 0x2000:
        struct.pack_into('<I', b, i * 512 + 28, 0x1B57745F)
w('fam832.uf2', b)
PY
# refuse FILE STATUS REGEX: raw body without format
refuse() {
	req POST "/api/v1/flash?wait=1" --data-binary @"$T/$1"
	msg=$(jget "$T/body" 'd["error"]["message"]')
	assert "$1: $2 ($ST: $msg)" "[ '$ST' = '$2' ] && printf '%s' \"\$msg\" | grep -Eqi '$3'"
}
refuse page.html 415 'looks like HTML'
refuse page2.html 415 'looks like HTML'
refuse err.json 415 'looks like JSON'
refuse hex.gz 415 'gzip data: decompress it first'
refuse hex.zip 415 'zip archive'
refuse utf16le.hex 415 'UTF-16'
refuse utf16be.hex 415 'UTF-16'
refuse hex.b64 415 'base64'
refuse magic0.uf2 422 'block 0: bad magic'
refuse magic01.uf2 422 'block 0: bad magic'
refuse random.dat 415 'raw binary is flashed only when asked for'
refuse text.txt 415 'not Intel HEX'
refuse fam832.uf2 422 'UF2 family ID 0x1B57745F.*nRF52840'
req POST "/api/v1/flash?wait=1" -F "firmware=@$T/page.html"
check "multipart HTML: 415" [ "$ST" = 415 ]
req POST "/api/v1/flash?wait=1&name=random.bin" --data-binary @"$T/random.dat"
check "a .bin name without a base is not enough: 415" [ "$ST" = 415 ]
req POST "/api/v1/flash?wait=1&base=0x1000" --data-binary @"$HEX"
check "base with a HEX: 400 naming base ($(jget "$T/body" 'd["error"]["message"]'))" \
	grep -q 'base applies to raw binary' "$T/body"
check "refused content created no job" [ "$(njobs)" = "$J0" ]
check "refused content stored nothing" [ "$(nimages)" = 0 ]
readmem 0 1048576 "$T/flash1.bin"
check "refused content: flash untouched" cmp -s "$T/flash0.bin" "$T/flash1.bin"

for f in bom blank space; do
	req POST "/api/v1/flash?wait=1&erase=chip" --data-binary @"$T/$f.hex"
	check "$f.hex flashed as HEX: 200 ($ST $(jget "$T/body" 'd.get("image", {}).get("format")'))" \
		[ "$ST:$(jget "$T/body" 'd["image"]["format"]')" = 200:hex ]
done
check "the BOM HEX is on the chip as the HEX says" chip_matches_hex "$HEX" bom
req POST "/api/v1/flash?wait=1&name=r.bin&base=0x80000" --data-binary @"$T/random.dat"
check "NAME.bin with base: flashed raw at the base ($ST)" [ "$ST:$(jget "$T/body" 'd["options"]["base"]')" = 200:0x00080000 ]

# ---- 2. a stored raw binary keeps its base ----
head -c 4096 /dev/urandom >"$T/app.bin"
req POST "/api/v1/flash?wait=1&format=bin&base=0x27000" --data-binary @"$T/app.bin"
check "raw upload at 0x27000: 200" [ "$ST" = 200 ]
SHA=$(sha256sum <"$T/app.bin" | cut -d' ' -f1)
req GET /api/v1/images
check "the store lists the base" [ "$(jget "$T/body" '[i["base"] for i in d["images"] if i["sha256"] == "'"$SHA"'"][0]')" = 0x00027000 ]
req POST /api/v1/target/erase -H 'Content-Type: application/json' --data '{"scope":"chip"}'
req POST "/api/v1/flash?wait=1" -H 'Content-Type: application/json' --data "{\"image\":\"sha256:$SHA\"}"
check "re-flash by sha256: 200 ($ST)" [ "$ST" = 200 ]
readmem 0x27000 4096 "$T/back.bin"
check "re-flash wrote the bytes at 0x27000" cmp -s "$T/app.bin" "$T/back.bin"
readmem 0 4096 "$T/zero.bin"
check "... and not at 0x0" [ "$(od -An -v -tx1 "$T/zero.bin" | tr -d ' \nf')" = "" ]
req POST "/api/v1/flash?wait=1&base=0x30000" -H 'Content-Type: application/json' --data "{\"image\":\"sha256:$SHA\"}"
check "re-flash with another base: 400 naming both" sh -c "[ '$ST' = 400 ] && grep -q 'base 0x00027000' '$T/body'"
req POST "/api/v1/flash?wait=1&base=0x27000" -H 'Content-Type: application/json' --data "{\"image\":\"sha256:$SHA\"}"
check "re-flash with its own base: 200" [ "$ST" = 200 ]
req POST "/api/v1/flash" -H 'Content-Type: application/json' --data "{\"image\":\"sha256:$SHA\",\"base\":1}"
check "JSON body with an unknown key: 400" [ "$ST" = 400 ]

# ---- 3. multipart: exactly one complete firmware part ----
J1=$(njobs); I1=$(nimages)
python3 - "$T" <<'PY'
import os, sys
t = sys.argv[1]
data = bytes((i * 7 + 3) & 0xFF for i in range(4096))
head = (b'--XyZ\r\nContent-Disposition: form-data; name="firmware"; filename="a.bin"\r\n'
        b'Content-Type: application/octet-stream\r\n\r\n')
open(t + '/mp_cut', 'wb').write(head + data)
open(t + '/mp_cut2', 'wb').write(head + data + b'\r\n--XyZ')
open(t + '/mp_ok', 'wb').write(head + data + b'\r\n--XyZ--\r\n')
open(t + '/mp_b64', 'wb').write(b'--XyZ\r\nContent-Disposition: form-data; name="firmware"; filename="a.hex"\r\n'
    b'Content-Transfer-Encoding: base64\r\n\r\nOjAwMDAwMDAxRkYK\r\n--XyZ--\r\n')
open(t + '/mp.bin', 'wb').write(data)
PY
for f in mp_cut mp_cut2; do
	req POST "/api/v1/flash?wait=1&format=bin&base=0x80000" -H 'Content-Type: multipart/form-data; boundary=XyZ' --data-binary @"$T/$f"
	check "$f (no closing boundary): 400 ($(jget "$T/body" 'd["error"]["message"]'))" \
		sh -c "[ '$ST' = 400 ] && grep -q 'closing boundary' '$T/body'"
done
req POST "/api/v1/flash?wait=1" -H 'Content-Type: multipart/form-data; boundary=XyZ' --data-binary @"$T/mp_b64"
check "base64 part: 400 naming the encoding" sh -c "[ '$ST' = 400 ] && grep -q 'Content-Transfer-Encoding' '$T/body'"
req POST "/api/v1/flash?wait=1&format=bin&base=0x80000" -F "firmware=@$T/mp.bin" -F "firmware=@$T/mp.bin"
check "two firmware parts: 400 ($(jget "$T/body" 'd["error"]["message"]'))" \
	sh -c "[ '$ST' = 400 ] && grep -q 'more than one' '$T/body'"
req POST "/api/v1/flash?wait=1&base=0x80000" -F "firmware=@$T/mp.bin" -F "format=bin" -F "format=bin"
check "a form field twice: 400" [ "$ST" = 400 ]
check "bad multipart: no job" [ "$(njobs)" = "$J1" ]
check "bad multipart: nothing stored" [ "$(nimages)" = "$I1" ]
check "bad multipart: no temporary file left" [ -z "$(ls "$T/b/tmp")" ]
req POST "/api/v1/flash?wait=1&format=bin&base=0x80000" -H 'Content-Type: multipart/form-data; boundary=XyZ' --data-binary @"$T/mp_ok"
check "the same part, terminated: 200 with all 4096 bytes" \
	[ "$ST:$(jget "$T/body" 'd["bytes_total"]')" = 200:4096 ]

# ---- 4. every option validated ----
for body in '{"scope":["chip"]}' '{"scope":1}' '{"scope":null}' '{"scope":{}}' '{"scope":true}' '{"scope":"Chip"}' '{"scope":"chip","x":1}' '[]' '"chip"'; do
	req POST /api/v1/target/erase -H 'Content-Type: application/json' --data "$body"
	check "erase $body: 400" [ "$ST" = 400 ]
done
req POST "/api/v1/target/erase?scope=uicr" -H 'Content-Type: application/json' --data '{"scope":"chip"}'
check "scope in query and body: 400" [ "$ST" = 400 ]
for q in "reset?halt=2" "reset?hlat=1" "recover?force=1" "erase?wait=maybe"; do
	req POST "/api/v1/target/$q"
	check "target/$q: 400 ($(jget "$T/body" 'd["error"]["message"]'))" [ "$ST" = 400 ]
done
req POST /api/v1/target/reset -H 'Content-Type: application/json' --data '{"halt":"yes"}'
check "reset halt as a string: 400" [ "$ST" = 400 ]
for q in "verfy=0" "format=bin&format=hex" "wait=1&wait=1" "base=0x" "base=-1" "base=1e3" "erase=" "verify=2" "reset=on"; do
	req POST "/api/v1/flash?$q" --data-binary @"$HEX"
	check "flash?$q: 400 ($(jget "$T/body" 'd["error"]["message"]'))" [ "$ST" = 400 ]
done
req GET "/api/v1/jobs?limit=1&offset=2"
check "jobs?offset: 400 naming it" sh -c "[ '$ST' = 400 ] && grep -q offset '$T/body'"
req GET "/api/v1/target/memory?address=0&length=4&fmt=hex"
check "memory?fmt: 400" [ "$ST" = 400 ]
req GET "/api/v1/images?all=1"
check "images?all: 400" [ "$ST" = 400 ]
# numbers are decimal with a leading zero, hex with 0x
req POST "/api/v1/flash?wait=1&format=bin&base=0100000" --data-binary @"$T/mp.bin"
check "base=0100000 is decimal 100000 (0x000186A0)" [ "$ST:$(jget "$T/body" 'd["options"]["base"]')" = 200:0x000186A0 ]
ID=$(jget "$T/body" 'd["id"]')
req GET "/api/v1/jobs/0$ID"
check "job id with a leading zero is decimal" [ "$ST:$(jget "$T/body" 'd["id"]')" = "200:$ID" ]
req GET "/api/v1/jobs/+$ID"
check "job id with a sign: 404" [ "$ST" = 404 ]

# ---- 6. text that is not UTF-8 ----
req POST "/api/v1/flash?wait=1&name=%FFapp%C3.hex" --data-binary @"$HEX"
check "name=%FF...%C3: 200 with valid JSON ($ST)" [ "$ST" = 200 ]
check "name=%FF: the reply is valid UTF-8 JSON" valid_json "$T/body"
check "name=%FF: U+FFFD in the name" [ "$(jget "$T/body" 'd["image"]["name"]')" = "$(printf '\357\277\275app\357\277\275.hex')" ]
printf -- '--XyZ\r\nContent-Disposition: form-data; name="firmware"; filename="caf\351.hex"\r\n\r\n' >"$T/latin1"
cat "$HEX" >>"$T/latin1"; printf '\r\n--XyZ--\r\n' >>"$T/latin1"
req POST "/api/v1/flash?wait=1" -H 'Content-Type: multipart/form-data; boundary=XyZ' --data-binary @"$T/latin1"
check "Latin-1 file name in multipart: 200 ($ST)" [ "$ST" = 200 ]
check "Latin-1 file name: valid JSON" valid_json "$T/body"
req GET /api/v1/jobs
check "job list with those names: valid JSON" valid_json "$T/body"
I2=$(nimages)
req GET /api/v1/jobs/%C3
check "/api/v1/jobs/%C3: 404 as valid JSON" sh -c "[ '$ST' = 404 ] && python3 -c 'import json,sys; json.load(open(sys.argv[1]))' '$T/body'"
req POST "/api/v1/flash?format=%FF%FE" --data-binary @"$HEX"
check "format=%FF%FE: 415 as valid JSON naming the bytes" sh -c "[ '$ST' = 415 ] && grep -q 'xFF' '$T/body'"
req POST "/api/v1/flash?wait=1&%C3=1" --data-binary @"$HEX"
check "an option named %C3: 400 as valid JSON" sh -c "[ '$ST' = 400 ] && python3 -c 'import json,sys; json.load(open(sys.argv[1]))' '$T/body'"
req POST "/api/v1/flash?wait=1" --data-binary @"$T/page.html"
check "no orphaned image after refusals" [ "$(nimages)" = "$I2" ]

# ---- 17. one Cache-Control; no path in the target view ----
curl -s -N --max-time 2 -D "$T/sse.hdr" -o /dev/null "$URL/api/v1/events"
check "event stream: one Cache-Control header" [ "$(grep -ci '^cache-control:' "$T/sse.hdr")" = 1 ]
req GET "/api/v1/events?since=0"
check "events with an unknown option: 400" [ "$ST" = 400 ]
req GET /healthz
check "a JSON reply: one Cache-Control header" [ "$(grep -ci '^cache-control:' "$T/hdr")" = 1 ]
req GET /api/v1/target
check "target description has no file system path" sh -c "! grep -q '$T' '$T/body' && grep -q 'SIMULATED' '$T/body'"
check "SIGTERM: clean exit" dstop

# a SIGTERM while the verify runs: the job says the chip was programmed
head -c 262144 /dev/urandom >"$T/v.bin"
printf '[jobs]\nstop_timeout = 0\n' >"$T/stop.conf"
dstart v --config "$T/stop.conf" --probe "sim:part=nrf52840,state=$T/v.chip,realtime=1" || { bad "start"; finish; }
# (verify=read: a readback verify lasts long enough to be caught; the
# on-target CRC takes milliseconds)
req POST "/api/v1/flash?format=bin&erase=chip&verify=read" --data-binary @"$T/v.bin"
VID=$(jget "$T/body" 'd["id"]')
in_verify() { req GET "/api/v1/jobs/$VID"; [ "$(jget "$T/body" 'd["phase"]')" = verify ]; }
if wait_until 120 in_verify; then
	check "SIGTERM during verify: clean exit" dstop
	dstart v --config "$T/stop.conf" --probe "sim:part=nrf52840,state=$T/v.chip" || { bad "restart"; finish; }
	req GET "/api/v1/jobs/$VID"
	msg=$(jget "$T/body" 'd["error"]["message"]')
	assert "stopped in verify: cancelled, 'fully programmed', never 'partly programmed' ($msg)" \
		"[ '$(jget "$T/body" 'd["state"]')' = cancelled ] && printf '%s' \"\$msg\" | grep -q 'fully programmed' && ! printf '%s' \"\$msg\" | grep -q 'partly'"
	check "restart: clean exit" dstop
else
	bad "the job never reached verify"
fi
finish
