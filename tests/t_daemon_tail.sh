#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# A job's tail: after a job's end is published (a wait=1 client gets its
# reply, the job reads "succeeded") the worker still refreshes the target.
# A client told the job ended must not be refused "probe busy" by its very
# next request: the request waits for the tail. (wait=1 replies come after
# the tail; a client that polls the job sees its end first.) The chip runs in real time
# at 200 kHz, so the refresh after each job takes tens of milliseconds and
# a request sent at once on the same connection lands inside it.
cd "$(dirname "$0")/.." || exit 1
. tests/lib.sh
need_daemon

head -c 4096 /dev/urandom >"$T/a.bin"
dstart t --probe "sim:part=nrf52840,realtime=1,period_ns=5000" || { bad start; finish; }
python3 - "$URL" "$T/a.bin" >"$T/t.out" <<'PY'
import http.client, json, sys, time
url, f = sys.argv[1], sys.argv[2]
host, port = url[len("http://"):].split(":")
body = open(f, "rb").read()
c = http.client.HTTPConnection(host, int(port), timeout=120)
def call(m, p, b=None, raw=False):
    c.request(m, p, body=b); r = c.getresponse(); d = r.read()
    return r.status, None if raw or not d else json.loads(d)
out = {"flash": [], "next": [], "read": []}
def flash_polled(base):
    # a poller, not wait=1: it sees the job's end as soon as it is published
    st, j = call("POST", "/api/v1/flash?format=bin&base=0x%x" % base, body)
    if st != 202:
        return [st, None]
    dl = time.monotonic() + 60
    while j["state"] in ("queued", "running") and time.monotonic() < dl:
        st, j = call("GET", "/api/v1/jobs/%d" % j["id"])
    return [st, j["state"]]
for i in range(8):
    base = 0x10000 * (i + 1)
    out["flash"].append(flash_polled(base))
    # at once, on the same connection: a target operation
    st, j = call("POST", "/api/v1/target/reset?wait=1")
    out["next"].append([st, (j.get("error") or {}).get("message") if j else None])
    flash_polled(base)
    # ... or a memory read
    st, _ = call("GET", "/api/v1/target/memory?address=0x%x&length=4096&format=bin" % base, raw=True)
    out["read"].append(st)
json.dump(out, sys.stdout)
PY
cat "$T/t.out"; echo
check "every flash succeeded" [ "$(jget "$T/t.out" 'all(x == [200, "succeeded"] for x in d["flash"])')" = True ]
check "the reset sent at once after each was run, not refused busy" \
	[ "$(jget "$T/t.out" 'all(x[0] == 200 for x in d["next"])')" = True ]
check "the memory read sent at once after each was served" \
	[ "$(jget "$T/t.out" 'all(x == 200 for x in d["read"])')" = True ]
check "clean exit" dstop
finish
