#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Soak (issue 10): SOAK_JOBS (default 1000) flash jobs back to back on a
# simulated nRF52840 at full simulated speed, two small images in turn (so
# every job erases and writes), with SOAK_POLLERS (default 8) clients
# polling the running job's status as fast as they can and SOAK_STREAMS
# (default 4) event-stream clients reading /api/v1/events. Reports the
# daemon's RSS at the start, after 100 jobs and at the end, the latency of
# the status requests while jobs run (p50, p99, max), and whether every job
# succeeded and every stream saw every job end.
# Writes {"soak": {...}} to $1 (bench/run.sh merges it into bench/results.json).
cd "$(dirname "$0")/.." || exit 1
OUT=${1:-build/soak.json}
BIN=${SWDFLASHD:-build/rel/swdflashd}
JOBS=${SOAK_JOBS:-1000}
POLLERS=${SOAK_POLLERS:-8}
STREAMS=${SOAK_STREAMS:-4}
HISTORY=${SOAK_HISTORY:-100}
[ -x "$BIN" ] || { echo "soak: $BIN is not built" >&2; exit 1; }
T=$(mktemp -d) || exit 1
PID=
trap '[ -n "$PID" ] && kill -9 $PID 2>/dev/null; rm -rf "$T"' EXIT

# the history holds SOAK_HISTORY jobs (default 100): once it is full, the
# daemon's memory should stay flat, so growth after 100 jobs is a leak
printf '[jobs]\nqueue_length = 16\nhistory_max = %s\n' "$HISTORY" >"$T/s.conf"
"$BIN" --foreground --config "$T/s.conf" --listen 127.0.0.1:0 --state-dir "$T/state" \
	--probe "sim:part=nrf52840,state=$T/chip.bin" 2>"$T/log" &
PID=$!
i=0
while [ $i -lt 200 ] && ! grep -q 'listening on' "$T/log"; do sleep 0.05; i=$((i + 1)); done
PORT=$(sed -n 's|.*listening on http://127\.0\.0\.1:\([0-9]*\)/.*|\1|p' "$T/log" | head -n 1)
[ -n "$PORT" ] || { echo "soak: daemon did not start" >&2; cat "$T/log" >&2; exit 1; }

python3 - "$PORT" "$PID" "$OUT" "$JOBS" "$POLLERS" "$STREAMS" "$HISTORY" <<'PY'
import http.client, json, multiprocessing as mp, os, socket, sys, time

port, pid, out = int(sys.argv[1]), sys.argv[2], sys.argv[3]
jobs, npollers, nstreams, history = (int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]),
                                     int(sys.argv[7]))

def rss_kib():
    for line in open("/proc/%s/status" % pid):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])

def conn():
    return http.client.HTTPConnection("127.0.0.1", port, timeout=120)

def call(c, method, path, body=None):
    c.request(method, path, body=body)
    r = c.getresponse()
    return r.status, json.loads(r.read())

def poller(current, stop, q):
    """GET the running job's status as fast as it answers; latencies in ms."""
    c, lat = conn(), []
    while not stop.is_set():
        jid = current.value
        if not jid:
            time.sleep(0.001)
            continue
        t0 = time.perf_counter()
        st, _ = call(c, "GET", "/api/v1/jobs/%d" % jid)
        lat.append((time.perf_counter() - t0) * 1000.0)
        assert st == 200, st
    q.put(lat)

def stream(stop, q):
    """Read the event stream; count the job ends it announces."""
    s = socket.create_connection(("127.0.0.1", port), timeout=2)
    s.sendall(b"GET /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n")
    buf, ends = b"", set()
    while not stop.is_set():
        try:
            d = s.recv(65536)
        except socket.timeout:
            continue
        if not d:
            break
        buf += d
        *lines, buf = buf.split(b"\n")
        for ln in lines:
            if ln.startswith(b"data:") and b'"succeeded"' in ln:
                try:
                    j = json.loads(ln[5:])
                except ValueError:
                    continue
                job = j.get("job", j)
                if isinstance(job, dict) and job.get("state") == "succeeded" and "id" in job:
                    ends.add(job["id"])
    q.put(len(ends))

c = conn()
deadline = time.time() + 60
while call(c, "GET", "/api/v1/target")[1].get("connected") is not True:
    assert time.time() < deadline, "the simulated chip never answered"
    time.sleep(0.05)
imgs = [os.urandom(4096), os.urandom(4096)]
current, stop = mp.Value("q", 0), mp.Event()
q = mp.Queue()
procs = [mp.Process(target=poller, args=(current, stop, q)) for _ in range(npollers)]
procs += [mp.Process(target=stream, args=(stop, q)) for _ in range(nstreams)]
for p in procs:
    p.start()
time.sleep(0.5)  # the streams connect
rss = {"start": rss_kib()}
t_start = time.time()
failed = 0
for n in range(1, jobs + 1):
    st, j = call(c, "POST", "/api/v1/flash?format=bin&base=0x10000", imgs[n % 2])
    assert st == 202, (st, j)
    current.value = j["id"]
    while j["state"] in ("queued", "running"):
        time.sleep(0.002)
        st, j = call(c, "GET", "/api/v1/jobs/%d" % j["id"])
    failed += j["state"] != "succeeded"
    if n == 100:
        rss["after_100"] = rss_kib()
current.value = 0
rss["after_%d" % jobs] = rss_kib()
elapsed = time.time() - t_start
time.sleep(1.0)  # the last ends reach the streams
stop.set()
lat, seen = [], []
for p in procs:
    v = q.get(timeout=60)
    (lat.extend if isinstance(v, list) else seen.append)(v)
for p in procs:
    p.join(timeout=30)
lat.sort()
pct = lambda f: round(lat[min(len(lat) - 1, int(f * len(lat)))], 2) if lat else None
res = {
    "jobs": jobs, "jobs_failed": failed, "seconds": round(elapsed, 1),
    "pollers": npollers, "event_streams": nstreams, "history_max": history,
    "rss_kib": rss,
    "rss_growth_100_to_end_kib": rss["after_%d" % jobs] - rss["after_100"],
    "status_requests": len(lat),
    "status_ms": {"p50": pct(0.50), "p99": pct(0.99), "max": round(lat[-1], 2) if lat else None},
    "job_ends_seen_per_stream": seen,
}
print("soak: %d jobs in %.1f s (%d failed), %d pollers, %d event streams" %
      (jobs, elapsed, failed, npollers, nstreams))
print("  RSS KiB: start %d, after 100 jobs %d, after %d jobs %d" %
      (rss["start"], rss["after_100"], jobs, rss["after_%d" % jobs]))
print("  status requests while flashing: %d, p50 %s ms, p99 %s ms, max %s ms" %
      (len(lat), res["status_ms"]["p50"], res["status_ms"]["p99"], res["status_ms"]["max"]))
print("  job ends seen by each event stream: %s of %d" % (seen, jobs))
json.dump({"soak": res}, open(out, "w"), indent=2)
sys.exit(1 if failed or any(s != jobs for s in seen) else 0)
PY
rc=$?
# a clean stop (with the sanitizer build: its leak report is in the log)
kill -TERM $PID
i=0
while [ $i -lt 600 ] && kill -0 $PID 2>/dev/null; do sleep 0.05; i=$((i + 1)); done
wait $PID
src=$?
PID=
if grep -q 'Sanitizer' "$T/log"; then
	echo "soak: sanitizer report:" >&2
	sed -n '/Sanitizer/,$p' "$T/log" | head -n 80 >&2
	rc=1
fi
[ $src = 0 ] || { echo "soak: the daemon exited with status $src" >&2; rc=1; }
exit $rc
