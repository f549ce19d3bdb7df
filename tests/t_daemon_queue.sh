#!/bin/sh
# Job queue of the real daemon: two uploads at once both run, in order (the
# second starts after the first ended); with queue_length = 1 a third upload
# while one runs and one waits is answered 429 with Retry-After; DELETE
# cancels a queued job (cancelled, never started) and aborts a running one
# at a safe point (cancelled); target operations while busy are 409.
cd "$(dirname "$0")/.." || exit 1
. tests/lib.sh
need_daemon

printf '[jobs]\nqueue_length = 1\n' >"$T/q.conf"
# The chip runs in real time (realtime=1, SWCLK 8 MHz): a 256 KiB job takes
# about 3 s as on silicon, so the windows polled for below are wide on any
# machine.
head -c 262144 /dev/urandom >"$T/a.bin"
head -c 262144 /dev/urandom >"$T/b.bin"
head -c 65536 /dev/urandom >"$T/c.bin"
dstart q --config "$T/q.conf" --probe "sim:part=nrf52840,realtime=1,period_ns=125,state=$T/q.chip" || { bad start; finish; }

# two at once (both wait=1): the second is sent while the first runs; then
# a third while one runs and one waits. Timed by polling, not by sleeping.
python3 - "$URL" "$T" >"$T/q.out" <<'PY'
import http.client, json, sys, threading, time
url, T = sys.argv[1], sys.argv[2]
host, port = url[len("http://"):].split(":")
def post(path, f, out):
    c = http.client.HTTPConnection(host, int(port), timeout=120)
    c.request("POST", path, body=open(f, "rb").read())
    r = c.getresponse(); body = r.read()
    out.update(status=r.status, body=body, retry=r.getheader("Retry-After"))
def get(path):
    c = http.client.HTTPConnection(host, int(port), timeout=30)
    c.request("GET", path); r = c.getresponse(); return r.status, r.read()
r1, r2, r3 = {}, {}, {}
t1 = threading.Thread(target=post, args=("/api/v1/flash?wait=1&format=bin&erase=chip&name=first", T + "/a.bin", r1))
t1.start()
def target():
    return json.loads(get("/api/v1/target")[1])
dl = time.monotonic() + 30
while target()["running_job"] is None and time.monotonic() < dl:
    time.sleep(0.002)
t2 = threading.Thread(target=post, args=("/api/v1/flash?wait=1&format=bin&name=second", T + "/b.bin", r2))
t2.start()
while target()["queued_jobs"] < 1 and time.monotonic() < dl:
    time.sleep(0.002)
tg = target()
post("/api/v1/flash?format=bin", T + "/c.bin", r3)
st_reset = get("/api/v1/target/memory?address=0&length=4")[0]
t1.join(); t2.join()
json.dump({"busy": tg, "r1": json.loads(r1["body"]), "s1": r1["status"],
           "r2": json.loads(r2["body"]), "s2": r2["status"],
           "s3": r3["status"], "retry3": r3["retry"], "r3": json.loads(r3["body"]),
           "mem_busy": st_reset}, sys.stdout)
PY
echo "$(cat "$T/q.out")" | cut -c1-600
check "third upload while one runs and one waits: 429" [ "$(jget "$T/q.out" 'd["s3"]')" = 429 ]
check "429 has Retry-After" [ "$(jget "$T/q.out" 'd["retry3"]')" != None ]
check "429 body: queue_full error" [ "$(jget "$T/q.out" 'd["r3"]["error"]["code"]')" = queue_full ]
check "memory read while busy: 409" [ "$(jget "$T/q.out" 'd["mem_busy"]')" = 409 ]
check "while busy: one running, one queued" [ "$(jget "$T/q.out" 'str(d["busy"]["queued_jobs"]) + str(d["busy"]["running_job"] is not None)')" = 1True ]
jget "$T/q.out" 'json.dumps(d["r1"])' >"$T/r1.json"
jget "$T/q.out" 'json.dumps(d["r2"])' >"$T/r2.json"
echo "$(jget "$T/q.out" 'd["s1"]')" >"$T/s1"
echo "$(jget "$T/q.out" 'd["s2"]')" >"$T/s2"
check "first upload: 200" [ "$(cat "$T/s1")" = 200 ]
check "second upload: 200" [ "$(cat "$T/s2")" = 200 ]
id1=$(jget "$T/r1.json" 'd["id"]'); id2=$(jget "$T/r2.json" 'd["id"]')
check "in order: first id < second id" [ "$id1" -lt "$id2" ]
check "in order: second started after first finished" \
	[ "$(python3 -c 'import json,sys
a=json.load(open(sys.argv[1])); b=json.load(open(sys.argv[2]))
print(b["started_ms"] >= a["finished_ms"])' "$T/r1.json" "$T/r2.json")" = True ]
readmem 0 262144 "$T/got.bin"
check "chip holds the second image" cmp -s "$T/got.bin" "$T/b.bin"

# cancel a queued job, abort a running one (python: no shell delays)
python3 - "$URL" "$T" >"$T/c.out" <<'PY'
import http.client, json, sys, time
url, T = sys.argv[1], sys.argv[2]
host, port = url[len("http://"):].split(":")
c = http.client.HTTPConnection(host, int(port), timeout=60)
def call(m, p, body=None):
    c.request(m, p, body=body); r = c.getresponse(); return r.status, json.loads(r.read())
_, run = call("POST", "/api/v1/flash?format=bin&erase=chip", open(T + "/a.bin", "rb").read())
dl = time.monotonic() + 60
while call("GET", "/api/v1/jobs/%d" % run["id"])[1]["state"] == "queued" and time.monotonic() < dl:
    time.sleep(0.001)
_, q = call("POST", "/api/v1/flash?format=bin", open(T + "/c.bin", "rb").read())
qstate = q["state"]
dq, jq = call("DELETE", "/api/v1/jobs/%d" % q["id"])
rid = "/api/v1/jobs/%d" % run["id"]
dl = time.monotonic() + 30
while time.monotonic() < dl:
    st, j = call("GET", rid)
    if j["state"] != "queued" and (j["state"] != "running" or j["bytes_done"] > 0):
        break
    time.sleep(0.001)
seen = (j["state"], j["phase"])
dr, jr = call("DELETE", rid)
while time.monotonic() < dl:
    _, j = call("GET", rid)
    if j["state"] != "running":
        break
    time.sleep(0.01)
_, jq2 = call("GET", "/api/v1/jobs/%d" % q["id"])
json.dump({"qstate": qstate, "dq": dq, "jq": jq, "seen": seen, "dr": dr, "run": j, "jq2": jq2}, sys.stdout)
PY
cut -c1-600 "$T/c.out"; echo
check "second job queued" [ "$(jget "$T/c.out" 'd["qstate"]')" = queued ]
check "DELETE queued job: 200 cancelled" [ "$(jget "$T/c.out" 'str(d["dq"]) + d["jq"]["state"]')" = 200cancelled ]
check "DELETE running job (seen $(jget "$T/c.out" 'd["seen"]')): 202 (abort requested)" [ "$(jget "$T/c.out" 'd["dr"]')" = 202 ]
jget "$T/c.out" 'json.dumps(d["run"])' >"$T/body"
check "running job ended as cancelled" [ "$(jget "$T/body" 'd["state"]')" = cancelled ]
check "cancelled job has error code cancelled" [ "$(jget "$T/body" 'd["error"]["code"]')" = cancelled ]
check "cancelled queued job never started" [ "$(jget "$T/c.out" 'd["jq2"]["started_at"]')" = None ]
req POST "/api/v1/flash?wait=1&format=bin" --data-binary @"$T/c.bin"
check "the probe works after an abort" [ "$ST" = 200 ]
check "clean exit" dstop
finish
