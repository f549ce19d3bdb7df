#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Durability: kill -9 the daemon while a job runs: every word the
# simulated NVMC finished is in the chip's state file (flash is
# non-volatile, and so is the simulator's file). Start it again: the job
# is 'interrupted' (never lost, never shown as running), every earlier
# history record is unchanged, stored images are intact (their file names
# are their SHA-256). History stays bounded (history_max) and keeps the
# newest records. The chip runs in real time (realtime=1), so the job to be
# killed is still programming when the poller sees it, on any machine.
cd "$(dirname "$0")/.." || exit 1
. tests/lib.sh
need_fixtures
need_daemon

SIM="sim:part=nrf52840,realtime=1,period_ns=125,state=$T/k.chip"
head -c 1048576 /dev/urandom >"$T/big.bin"
dstart k --probe "$SIM" || { bad start; finish; }
for f in mbr_nrf52_2.4.1_mbr.hex s140_nrf52_6.1.1_softdevice.hex; do
	req POST "/api/v1/flash?wait=1" --data-binary @"$FIX/$f"
	check "earlier job $f: 200" [ "$ST" = 200 ]
done
req GET /api/v1/jobs
python3 -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1]))["jobs"], sort_keys=True))' "$T/body" >"$T/before.json"
# post the 1 MiB job, watch it start, kill -9 the daemon while it runs
python3 - "$URL" "$DPID" "$T/big.bin" >"$T/body" <<'PY'
import http.client, json, os, signal, sys, time
url, pid, f = sys.argv[1], int(sys.argv[2]), sys.argv[3]
host, port = url[len("http://"):].split(":")
c = http.client.HTTPConnection(host, int(port), timeout=30)
c.request("POST", "/api/v1/flash?format=bin&erase=chip", body=open(f, "rb").read())
jid = str(json.loads(c.getresponse().read())["id"])
dl = time.monotonic() + 30
while time.monotonic() < dl:
    c.request("GET", "/api/v1/jobs/" + jid); j = json.loads(c.getresponse().read())
    if j["state"] not in ("queued", "running"):
        break
    if j["state"] == "running" and j["phase"] in ("program", "verify") and j["bytes_done"] >= 65536:
        break
if j["state"] == "running":
    os.kill(pid, signal.SIGKILL)
print(json.dumps(j))
PY
KID=$(jget "$T/body" 'd["id"]')
check "job $KID was running when killed ($(jget "$T/body" 'd["phase"]') $(jget "$T/body" 'd["bytes_done"]'))" \
	[ "$(jget "$T/body" 'd["state"]')" = running ]
kill -9 "$DPID" 2>/dev/null; wait "$DPID" 2>/dev/null; DPID=
ok "kill -9 during job $KID"
# the pages reported programmed before the kill (the whole image once in
# verify), read from the state file (24-byte header, then flash)
python3 - "$T/body" "$T/k.chip" "$T/big.bin" >"$T/nv" <<'PY'
import json, sys
j = json.load(open(sys.argv[1])); img = open(sys.argv[3], "rb").read()
n = j["bytes_done"] if j["phase"] == "program" else len(img)
chip = open(sys.argv[2], "rb").read()[24:24 + len(img)]
# the reported pages are there; past them each word is the image's or erased
bad = next((i for i in range(0, len(img), 4) if chip[i:i + 4] != img[i:i + 4] and
            (i < n or chip[i:i + 4] != b"\xff" * 4)), None)
have = sum(chip[i:i + 4] == img[i:i + 4] for i in range(0, len(img), 4)) * 4
print("%d bytes, %d reported" % (have, n) if bad is None else
      "difference at 0x%X (%d bytes reported)" % (bad, n))
PY
check "after kill -9 the state file holds every word programmed ($(cat "$T/nv"))" grep -q '^[0-9]* bytes, [0-9]* reported$' "$T/nv"
(cd "$T/k/images" && for f in $(ls | grep -v json); do
	[ "$(sha256sum <"$f" | cut -d' ' -f1)" = "$f" ] || echo "BAD $f"; done) >"$T/imgcheck"
check "images intact after kill -9 (sha256 = name)" [ ! -s "$T/imgcheck" ]
check "3 images stored" [ "$(ls "$T/k/images" | grep -vc json)" = 3 ]

dstart k --probe "$SIM" || { bad restart; finish; }
req GET "/api/v1/jobs/$KID"
check "after restart job $KID is interrupted" [ "$(jget "$T/body" 'd["state"]')" = interrupted ]
check "interrupted job has an error message" [ -n "$(jget "$T/body" 'd["error"]["message"]')" ]
req GET /api/v1/jobs
check "no job shown as running or queued" \
	[ "$(jget "$T/body" 'sum(j["state"] in ("running", "queued") for j in d["jobs"])')" = 0 ]
python3 -c 'import json,sys; print(json.dumps([j for j in json.load(open(sys.argv[1]))["jobs"] if j["id"] != int(sys.argv[2])], sort_keys=True))' "$T/body" "$KID" >"$T/after.json"
check "all earlier history records intact" cmp -s "$T/before.json" "$T/after.json"
req GET /api/v1/images
check "image list intact (3 images)" [ "$(jget "$T/body" 'len(d["images"])')" = 3 ]
req POST "/api/v1/flash?wait=1&format=bin" --data-binary @"$T/big.bin"
check "flash after restart works" [ "$ST" = 200 ]
check "new job id continues after the old ones" [ "$(jget "$T/body" 'd["id"]')" -gt "$KID" ]
check "clean exit" dstop

# bounded history: history_max = 5, then 8 more jobs
printf '[jobs]\nhistory_max = 5\n' >"$T/h.conf"
dstart k --config "$T/h.conf" --probe "$SIM" || { bad restart; finish; }
n=0
while [ $n -lt 8 ]; do
	req POST /api/v1/target/reset; n=$((n + 1))
done
req GET /api/v1/jobs
check "history bounded to 5 jobs" [ "$(jget "$T/body" 'len(d["jobs"])')" = 5 ]
LAST=$(jget "$T/body" 'd["jobs"][0]["id"]')
check "the newest are kept" [ "$(jget "$T/body" '[j["id"] for j in d["jobs"]] == list(range(d["jobs"][0]["id"], d["jobs"][0]["id"] - 5, -1))')" = True ]
check "clean exit" dstop
check "history file bounded (<= 2 x 5 + 16 lines)" [ "$(wc -l <"$T/k/history.jsonl")" -le 26 ]
dstart k --config "$T/h.conf" --probe "$SIM" || { bad restart; finish; }
req GET /api/v1/jobs
check "after restart: 5 jobs" [ "$(jget "$T/body" 'len(d["jobs"])')" = 5 ]
check "after restart: newest $LAST first" [ "$(jget "$T/body" 'd["jobs"][0]["id"]')" = "$LAST" ]
check "clean exit" dstop
finish
