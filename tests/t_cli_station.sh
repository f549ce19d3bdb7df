#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# swdflash's station commands (recipe, bench, devices) against a running
# daemon over its API: the token is needed to change anything, a recipe
# the daemon refuses gives its message and a non-zero status, a list and
# a CSV export come out on stdout.
cd "$(dirname "$0")/.." || exit 1
. tests/lib.sh
need_daemon
[ -x "$SWDFLASH" ] || skip "$SWDFLASH is not built"

B=$T/bench
mkdir -p "$B"
echo "part=nrf52840,device_id=0x5C2A7C4000000001" >"$B/up.board"
echo "part=nrf52840,device_id=0x1000000000000C01" >"$B/c1.board"
echo up >"$B/slot"
head -c 24 /dev/urandom | base64 >"$T/token"
TOKEN=$(cat "$T/token")
printf ':10000000000102030405060708090A0B0C0D0E0F78\n:00000001FF\n' >"$T/a.hex"
dstart c --probe "sim:bench=$B" --token-file "$T/token" || die "daemon start"
req POST "/api/v1/flash?wait=1" --data-binary @"$T/a.hex"
SHA=$(jget "$T/body" 'd["image"]["sha256"]')
echo "" >"$B/slot"
export SWDFLASH_STATION=$URL
printf '{"name":"cl","part":"nrf52840","images":["%s"],"lock":false,"fields":[{"kind":"serial","width":3}]}' "$SHA" >"$T/r.json"
printf '{"name":"cl","part":"nrf52840","images":["%s"],"lock":false,"fields":[{"kind":"serial","address":"0x0","size":16}]}' "$SHA" >"$T/bad.json"
expect 1 "$SWDFLASH" recipe save "$T/r.json"
check "save without the token: refused, 401 named" grep -q '401 unauthorized' "$T/err"
expect 0 "$SWDFLASH" --token-file "$T/token" recipe save "$T/r.json"
check "save with --token-file: version 1" [ "$(jget "$T/out" 'd["version"]')" = 1 ]
SWDFLASH_TOKEN=$TOKEN expect 3 "$SWDFLASH" recipe save "$T/bad.json"
check "a field over the image is refused with the daemon's message" grep -q 'overlaps image data' "$T/err"
expect 0 "$SWDFLASH" recipe list
check "recipe list: cl" [ "$(jget "$T/out" '[r["name"] for r in d["recipes"]]')" = "['cl']" ]
expect 0 "$SWDFLASH" recipe show cl 1
check "recipe show NAME VERSION" [ "$(jget "$T/out" 'd["version"]')" = 1 ]
expect 1 "$SWDFLASH" recipe show nosuch
check "an unknown recipe: 404 named" grep -q '404 not_found' "$T/err"
expect 0 "$SWDFLASH" --token-file "$T/token" recipe activate cl
expect 0 "$SWDFLASH" --token-file "$T/token" bench arm auto
check "bench arm: armed" [ "$(jget "$T/out" 'd["armed"]')" = True ]
echo c1 >"$B/slot"
has_record() { "$SWDFLASH" devices --format jsonl >"$T/dv" 2>/dev/null && [ "$(grep -c . "$T/dv")" = 1 ]; }
check "the board is programmed" wait_until 60 has_record
expect 0 "$SWDFLASH" devices --format csv --verdict pass --device-id 1000000000000C01
check "devices --format csv: header and one row" [ "$(grep -c . "$T/out")" = 2 ]
check "... with the serial" grep -q ',001,written,cl,1,' "$T/out"
expect 2 "$SWDFLASH" bench fly
check "an unknown bench command: usage error" grep -q "bench 'fly'" "$T/err"
dstop
finish
