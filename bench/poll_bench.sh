#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Pollers against a flash (issue 10, item 8): how much 50 clients that poll
# GET /api/v1/jobs as fast as they can (wrk -c50) slow a 1 MiB flash on a
# real-time simulated nRF52840 (sim:realtime=1), with a full job history
# (POLL_BENCH_HISTORY reset jobs first, default 100, the list's limit).
# Goal: loaded / unloaded flash time at most 1.1.
# Writes {"pollers": {...}} to $1 (bench/run.sh merges it into bench/results.json).
#   POLL_BENCH_KIB (image size, default 1024), POLL_BENCH_CLIENTS (default 50)
cd "$(dirname "$0")/.." || exit 1
OUT=${1:-build/poll_bench.json}
BIN=${SWDFLASHD:-build/rel/swdflashd}
KIB=${POLL_BENCH_KIB:-1024}
CLIENTS=${POLL_BENCH_CLIENTS:-50}
HIST=${POLL_BENCH_HISTORY:-100}
[ -x "$BIN" ] || { echo "poll_bench: $BIN is not built" >&2; exit 1; }
command -v wrk >/dev/null 2>&1 || { echo "poll_bench: wrk is not installed (apt-get install wrk)" >&2; exit 1; }
T=$(mktemp -d) || exit 1
PID=
trap '[ -n "$PID" ] && kill -9 $PID 2>/dev/null; rm -rf "$T"' EXIT

printf '[jobs]\nqueue_length = 64\nhistory_max = %s\n' "$((HIST + 10))" >"$T/b.conf"
"$BIN" --foreground --config "$T/b.conf" --listen 127.0.0.1:0 --state-dir "$T/state" \
	--probe "sim:part=nrf52840,realtime=1,state=$T/chip.bin" 2>"$T/log" &
PID=$!
i=0
while [ $i -lt 200 ] && ! grep -q 'listening on' "$T/log"; do sleep 0.05; i=$((i + 1)); done
PORT=$(sed -n 's|.*listening on http://127\.0\.0\.1:\([0-9]*\)/.*|\1|p' "$T/log" | head -n 1)
[ -n "$PORT" ] || { echo "poll_bench: daemon did not start" >&2; cat "$T/log" >&2; exit 1; }
head -c $((KIB * 1024)) /dev/urandom >"$T/img.bin"

python3 - "http://127.0.0.1:$PORT" "$T" "$OUT" "$CLIENTS" "$HIST" "$KIB" <<'PY'
import http.client, json, subprocess, sys, time
url, T, out, clients, hist, kib = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
host, port = url[len("http://"):].split(":")
img = open(T + "/img.bin", "rb").read()

def call(method, path, body=None):
    c = http.client.HTTPConnection(host, int(port), timeout=600)
    c.request(method, path, body=body)
    r = c.getresponse()
    return r.status, json.loads(r.read())

deadline = time.time() + 30
while call("GET", "/api/v1/target")[1].get("connected") is not True:
    assert time.time() < deadline, "the simulated chip never answered"
    time.sleep(0.05)
for _ in range(hist):
    st, j = call("POST", "/api/v1/target/reset")
    assert st == 200 and j["state"] == "succeeded", (st, j)

def flash():
    st, j = call("POST", "/api/v1/flash?format=bin&erase=chip&wait=0", img)
    assert st == 202, (st, j)
    while j["state"] in ("queued", "running"):
        time.sleep(0.02)
        j = call("GET", "/api/v1/jobs/%d" % j["id"])[1]
    assert j["state"] == "succeeded", j
    return j["duration_ms"]

unloaded = flash()
w = subprocess.Popen(["wrk", "-t2", "-c%d" % clients, "-d600s", url + "/api/v1/jobs"],
                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
time.sleep(1)   # let the pollers get going before the flash starts
loaded = flash()
w.send_signal(2)
txt = w.communicate(timeout=60)[0]
import re
m = re.search(r"Requests/sec:\s+([\d.]+)", txt)
rps = float(m.group(1)) if m else None
ratio = loaded / unloaded
r = {"pollers": {
    "flash_kib": kib, "history_jobs": hist, "pollers": clients,
    "flash_unloaded_ms": unloaded, "flash_with_pollers_ms": loaded,
    "ratio": round(ratio, 3), "job_list_requests_per_second": rps,
    "setup": "wrk -t2 -c%d GET /api/v1/jobs, sim:realtime=1 nRF52840, optimised build" % clients,
    "goal_ratio_at_most_1_1": ratio <= 1.1,
}}
with open(out, "w") as f:
    json.dump(r, f, indent=2)
print("%-44s %10s %10s %8s %10s" % ("1 MiB flash, %d pollers of /api/v1/jobs" % clients,
      "idle ms", "polled ms", "ratio", "list/s"))
print("%-44s %10d %10d %8.3f %10s" % ("%d KiB, %d jobs in the list" % (kib, hist), unloaded, loaded,
      ratio, "%.0f" % rps if rps else "?"))
PY
