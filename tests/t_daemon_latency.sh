#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# HTTP threads never wait for SWD: while a 1 MiB flash runs, a status
# request (GET /api/v1/target and GET /api/v1/jobs/{id}, alternating) every
# 10 ms is answered from the worker's cached state. The slowest answer must
# be far below the flash duration (at most 1/4 of it, and under 500 ms even
# on this loaded, sanitizer-built machine). A handler that waited for the
# flash would take about the whole flash duration. The simulated chip runs
# in real time (realtime=1, SWCLK 8 MHz) so the flash lasts what it would
# on silicon (about 12 s), whatever this machine's speed.
cd "$(dirname "$0")/.." || exit 1
. tests/lib.sh
need_daemon

head -c 1048576 /dev/urandom >"$T/big.bin"
dstart l --probe "sim:part=nrf52840,realtime=1,period_ns=125,state=$T/l.chip" || { bad start; finish; }
python3 - "$URL" "$T/big.bin" >"$T/lat.txt" <<'PY'
import http.client, json, sys, time
url, f = sys.argv[1], sys.argv[2]
host, port = url[len("http://"):].split(":")
lat, states, t0 = [], set(), time.monotonic()
conn = http.client.HTTPConnection(host, int(port), timeout=30)
conn.request("POST", "/api/v1/flash?format=bin&erase=chip", body=open(f, "rb").read())
r = conn.getresponse()
jid = str(json.loads(r.read())["id"])
if r.status != 202:
    print("POST status", r.status); sys.exit(1)
i = 0
end = t0 + 600
while time.monotonic() < end:
    path = "/api/v1/target" if i % 2 else "/api/v1/jobs/" + jid
    a = time.monotonic()
    conn.request("GET", path)
    r = conn.getresponse(); body = r.read()
    b = time.monotonic()
    lat.append(b - a)
    if r.status != 200:
        print("status", r.status); sys.exit(1)
    if i % 2 == 0:
        st = json.loads(body)["state"]
        states.add(st)
        if st not in ("queued", "running"):
            break
    i += 1
    time.sleep(max(0.0, 0.010 - (time.monotonic() - a)))
job = json.loads(body)
print(len(lat), max(lat) * 1000, sorted(lat)[len(lat) * 99 // 100] * 1000,
      job["duration_ms"], job["state"], "running" in states)
PY
read -r n max p99 dur state sawrun <"$T/lat.txt"
echo "requests $n, max latency ${max} ms, p99 ${p99} ms, flash ${dur} ms, state $state"
check "job succeeded" [ "$state" = succeeded ]
check "polled while it ran" [ "$sawrun" = True ]
check "$n requests, at least 20" [ "$n" -ge 20 ]
check "max status latency ${max} ms <= flash ${dur} ms / 4 and < 500 ms" \
	python3 -c "import sys; sys.exit(not ($max * 4 <= $dur and $max < 500))"
check "clean exit" dstop
finish
