#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# HTTP benchmark of swdflashd (issue 5, section 6), on loopback, optimised
# build, simulated nRF52840:
#   - requests/s and latency percentiles (p50, p99) of GET /api/v1/target and
#     GET /api/v1/jobs/{id} measured with wrk while 1 MiB flash jobs run
#     back to back (erase=chip, so each really programs 1 MiB);
#   - daemon RSS idle and peak RSS while the jobs run;
#   - time from the start of a 1 MiB upload to the job's start (idle daemon).
# Goals: p99 under 5 ms during a flash, idle RSS under 8 MiB.
# Writes {"http": {...}} to $1 (bench/run.sh merges it into bench/results.json).
cd "$(dirname "$0")/.." || exit 1
OUT=${1:-build/http_bench.json}
BIN=${SWDFLASHD:-build/rel/swdflashd}
DUR=${HTTP_BENCH_SECONDS:-3}
[ -x "$BIN" ] || { echo "http_bench: $BIN is not built" >&2; exit 1; }
command -v wrk >/dev/null 2>&1 || { echo "http_bench: wrk is not installed (apt-get install wrk)" >&2; exit 1; }
T=$(mktemp -d) || exit 1
PID=
trap '[ -n "$PID" ] && kill -9 $PID 2>/dev/null; rm -rf "$T"' EXIT

printf '[jobs]\nqueue_length = 64\n' >"$T/b.conf"
"$BIN" --foreground --config "$T/b.conf" --listen 127.0.0.1:0 --state-dir "$T/state" \
	--probe "sim:part=nrf52840,state=$T/chip.bin" 2>"$T/log" &
PID=$!
i=0
while [ $i -lt 100 ] && ! grep -q 'listening on' "$T/log"; do sleep 0.05; i=$((i + 1)); done
PORT=$(sed -n 's|.*listening on http://127\.0\.0\.1:\([0-9]*\)/.*|\1|p' "$T/log" | head -n 1)
[ -n "$PORT" ] || { echo "http_bench: daemon did not start" >&2; cat "$T/log" >&2; exit 1; }
URL=http://127.0.0.1:$PORT
sleep 1
head -c 1048576 /dev/urandom >"$T/img.bin"

python3 - "$URL" "$PID" "$T" "$DUR" "$OUT" <<'PY'
import http.client, json, os, re, statistics, subprocess, sys, threading, time
url, pid, T, dur, out = sys.argv[1], int(sys.argv[2]), sys.argv[3], float(sys.argv[4]), sys.argv[5]
host, port = url[len("http://"):].split(":")
img = open(T + "/img.bin", "rb").read()

def rss_kib():
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])

def call(method, path, body=None):
    c = http.client.HTTPConnection(host, int(port), timeout=120)
    c.request(method, path, body=body)
    r = c.getresponse()
    return r.status, json.loads(r.read())

def get_job(jid):
    return call("GET", "/api/v1/jobs/%d" % jid)[1]

# identify result cached, nothing running: idle RSS
time.sleep(0.5)
rss_idle = rss_kib()

# upload -> job start, idle daemon, 1 MiB, 5 times
starts, created = [], []
for _ in range(5):
    t0 = time.time() * 1000
    st, j = call("POST", "/api/v1/flash?format=bin&erase=chip", img)
    assert st == 202, (st, j)
    while True:
        j = get_job(j["id"])
        if j["state"] not in ("queued", "running"):
            break
        time.sleep(0.005)
    assert j["state"] == "succeeded", j
    starts.append(j["started_ms"] - t0)
    created.append(j["started_ms"] - j["created_ms"])
flash_ms = j["duration_ms"]

# queue enough 1 MiB jobs to cover two wrk runs
need = int((2 * dur + 2) * 1000 / max(flash_ms, 1)) + 2
ids = []
for _ in range(need):
    st, j = call("POST", "/api/v1/flash?format=bin&erase=chip", img)
    assert st == 202, (st, j)
    ids.append(j["id"])
peak = [rss_kib()]
stop = threading.Event()
def sampler():
    while not stop.is_set():
        try:
            peak.append(rss_kib())
        except Exception:
            pass
        time.sleep(0.01)
th = threading.Thread(target=sampler); th.start()

def busy():
    st, t = call("GET", "/api/v1/target")
    return t["running_job"] is not None

def wrk(path):
    b0 = busy()
    p = subprocess.run(["wrk", "-t2", "-c4", "-d%gs" % dur, "--latency", url + path],
                       capture_output=True, text=True)
    b1 = busy()
    txt = p.stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", txt).group(1))
    def pct(label):
        m = re.search(r"^\s+%s%%\s+([\d.]+)(us|ms|s)\s*$" % label, txt, re.M)
        v, u = float(m.group(1)), m.group(2)
        return v / 1000 if u == "us" else v * 1000 if u == "s" else v
    errs = re.search(r"Non-2xx or 3xx responses: (\d+)", txt)
    return {"requests_per_second": rps, "latency_p50_ms": pct("50"), "latency_p99_ms": pct("99"),
            "non_2xx": int(errs.group(1)) if errs else 0,
            "flash_running_at_start_and_end": b0 and b1}, txt

res_t, txt_t = wrk("/api/v1/target")
res_j, txt_j = wrk("/api/v1/jobs/%d" % ids[0])
stop.set(); th.join()
# let the queue drain, count what ran
for jid in ids:
    while get_job(jid)["state"] in ("queued", "running"):
        time.sleep(0.05)
ok = sum(get_job(jid)["state"] == "succeeded" for jid in ids)

r = {"http": {
    "target_during_flash": res_t,
    "job_during_flash": res_j,
    "wrk": "wrk -t2 -c4 -d%gs --latency, loopback, optimised build, SIMULATED nRF52840" % dur,
    "flash_1mib_job_ms": flash_ms,
    "flash_jobs_during_wrk": len(ids), "flash_jobs_succeeded": ok,
    "rss_idle_kib": rss_idle,
    "rss_peak_during_jobs_kib": max(peak),
    "upload_1mib_to_job_start_ms_median": statistics.median(starts),
    "upload_1mib_to_job_start_ms_max": max(starts),
    "job_created_to_started_ms_median": statistics.median(created),
    "goal_p99_under_5ms": res_t["latency_p99_ms"] < 5 and res_j["latency_p99_ms"] < 5,
    "goal_rss_idle_under_8mib": rss_idle < 8192,
}}
with open(out, "w") as f:
    json.dump(r, f, indent=2)
h = r["http"]
print("%-38s %12s %10s %10s" % ("swdflashd HTTP (during 1 MiB flashes)", "req/s", "p50 ms", "p99 ms"))
for name, x in (("GET /api/v1/target", res_t), ("GET /api/v1/jobs/{id}", res_j)):
    print("%-38s %12.0f %10.3f %10.3f%s" % (name, x["requests_per_second"], x["latency_p50_ms"],
          x["latency_p99_ms"], "" if x["flash_running_at_start_and_end"] else "  (flash not running throughout!)"))
print("1 MiB flash job: %d ms; %d/%d queued jobs succeeded" % (flash_ms, ok, len(ids)))
print("RSS idle %d KiB, peak during jobs %d KiB" % (rss_idle, max(peak)))
print("upload start -> job start (1 MiB, idle): median %.1f ms, max %.1f ms; created -> started %.1f ms" %
      (h["upload_1mib_to_job_start_ms_median"], h["upload_1mib_to_job_start_ms_max"], h["job_created_to_started_ms_median"]))
if not res_t["flash_running_at_start_and_end"] or not res_j["flash_running_at_start_and_end"] or res_t["non_2xx"] or res_j["non_2xx"]:
    sys.exit(1)
PY
rc=$?
kill -TERM $PID; wait $PID; PID=
exit $rc
