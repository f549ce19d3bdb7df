#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""GET /api/v1/events against the real daemon (started by tests/t_sse.sh).

usage: sse.py URL TOKEN BIG_IMAGE SMALL_IMAGE PHASE(first|second) STATEFILE

first:  a locked simulated chip; the stream's hello, job/progress/target
        events with ids, progress throttling, Last-Event-ID resume, many
        clients at once, clients that never read do not slow a flash.
second: after a restart, an id from the earlier run replays this run; on
        a chip running in real time, progress arrives in steps.
"""
import http.client
import json
import socket
import sys
import threading
import time
import urllib.parse
import urllib.request

URL, TOKEN, BIG, SMALL, PHASE, STATEFILE = sys.argv[1:7]
u = urllib.parse.urlparse(URL)
HOST, PORT = u.hostname, u.port
fails = 0


def check(desc, cond, detail=""):
    global fails
    print(("ok   " if cond else "FAIL ") + desc + ("" if cond else f": {detail}"), flush=True)
    if not cond:
        fails += 1


class Stream(threading.Thread):
    """One SSE client: parses events into self.events (time, id, name, data)."""

    def __init__(self, last_id=None):
        super().__init__(daemon=True)
        self.events, self.raw, self.last_id = [], [], last_id
        self.status = None
        self.ctype = None
        self.opened = threading.Event()
        self.stop = False

    def run(self):
        c = http.client.HTTPConnection(HOST, PORT, timeout=60)
        h = {"Accept": "text/event-stream"}
        if self.last_id:
            h["Last-Event-ID"] = self.last_id
        c.request("GET", "/api/v1/events", headers=h)
        r = c.getresponse()
        self.status, self.ctype = r.status, r.getheader("Content-Type")
        self.opened.set()
        ev = {"id": None, "event": "message", "data": []}
        while not self.stop:
            try:
                line = r.fp.readline()
            except (OSError, ValueError):
                break
            if not line:
                break
            line = line.decode().rstrip("\r\n")
            self.raw.append(line)
            if line == "":
                if ev["data"]:
                    self.events.append((time.monotonic(), ev["id"], ev["event"], "\n".join(ev["data"])))
                ev = {"id": None, "event": "message", "data": []}
            elif line.startswith(":"):
                continue
            else:
                k, _, v = line.partition(":")
                v = v[1:] if v.startswith(" ") else v
                if k == "data":
                    ev["data"].append(v)
                elif k in ("id", "event"):
                    ev[k] = v
        c.close()

    def named(self, name):
        return [e for e in self.events if e[2] == name]


def post(path, body=None, ctype=None):
    req = urllib.request.Request(URL + path, data=body, method="POST")
    if TOKEN:
        req.add_header("Authorization", "Bearer " + TOKEN)
    if ctype:
        req.add_header("Content-Type", ctype)
    try:
        with urllib.request.urlopen(req, timeout=120) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def wait_for(cond, timeout=30):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(0.02)
    return False


def event_clients():
    with urllib.request.urlopen(URL + "/metrics", timeout=10) as r:
        for line in r.read().decode().splitlines():
            if line.startswith("swdflashd_event_clients "):
                return float(line.split()[1])
    return 0


def job_of(data):
    return json.loads(data)


def ended(stream, job_id):
    return any(e[2] == "job" and job_of(e[3])["id"] == job_id and
               job_of(e[3])["state"] not in ("queued", "running") for e in stream.events)


if PHASE == "first":
    a = Stream()
    a.start()
    a.opened.wait(10)
    check("200 text/event-stream", a.status == 200 and (a.ctype or "").startswith("text/event-stream"),
          (a.status, a.ctype))
    check("hello first", wait_for(lambda: a.events) and a.events[0][2] == "hello", a.events[:1])
    hello = json.loads(a.events[0][3])
    check("hello names the station and the locked target",
          hello.get("name") == "SSE bench" and hello["target"]["locked"] is True, hello)
    check("a retry: hint for reconnecting browsers", any(l.startswith("retry:") for l in a.raw[:3]), a.raw[:3])

    # target: recover unlocks it -> a target event "unlocked"
    st, body = post("/api/v1/target/recover?wait=1")
    check("recover", st in (200, 202), (st, body))
    check("target event: unlocked", wait_for(lambda: any(
        json.loads(e[3]).get("change") == "unlocked" and json.loads(e[3])["locked"] is False
        for e in a.named("target")), 20), [e[3][:120] for e in a.named("target")])

    # baseline flash time without extra clients
    st, j0 = post("/api/v1/flash?wait=1&format=bin&base=0&erase=chip&name=base", open(BIG, "rb").read())
    check("baseline 1 MiB flash", st == 200, (st, j0))
    base_ms = j0["duration_ms"]

    # 20 more readers, and 4 clients that never read a byte
    many = [Stream() for _ in range(20)]
    for s in many:
        s.start()
    for s in many:
        s.opened.wait(10)
    check("20 more streams open at once", all(s.status == 200 for s in many), [s.status for s in many])
    stuck = []
    for _ in range(4):
        k = socket.socket()
        k.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)
        k.connect((HOST, PORT))
        k.sendall(b"GET /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        stuck.append(k)
    # until the daemon counts all 25 streams (or 10 s: the flash then shows it)
    wait_for(lambda: event_clients() >= 25, 10)
    st, j1 = post("/api/v1/flash?wait=1&format=bin&base=0&erase=chip&name=loaded", open(BIG, "rb").read())
    check("1 MiB flash with 21 readers and 4 stuck clients", st == 200, (st, j1))
    loaded_ms = j1["duration_ms"]
    print(f"     flash: {base_ms} ms alone, {loaded_ms} ms with 25 event clients", flush=True)
    # 25 clients share this machine's two cores with the flash, so some
    # slowdown is CPU contention; a worker that waited on a stuck client
    # would stall for seconds (until the client is dropped), far above this
    check("clients do not slow the flash (< 2x + 500 ms)", loaded_ms < base_ms * 2 + 500, (base_ms, loaded_ms))
    jid = j1["id"]
    check("every reader got the job's end", wait_for(lambda: all(ended(s, jid) for s in many), 10),
          [ended(s, jid) for s in many])

    # the event sequence of the loaded job, as reader A saw it
    wait_for(lambda: ended(a, jid), 10)
    evs = [e for e in a.events if e[2] in ("job", "progress") and job_of(e[3])["id"] == jid]
    states = [job_of(e[3])["state"] for e in evs if e[2] == "job"]
    check("job events: queued, running, succeeded", states == ["queued", "running", "succeeded"], states)
    boot = a.events[1][1].rsplit("-", 1)[0] if len(a.events) > 1 and a.events[1][1] else None
    ids = [e[1] for e in a.events if e[1]]
    seqs = [int(i.rsplit("-", 1)[1]) for i in ids]
    check("every event has an id BOOT-N, N strictly increasing by 1",
          all(i.rsplit("-", 1)[0] == boot for i in ids) and seqs == list(range(seqs[0], seqs[0] + len(seqs))),
          ids[:5])
    check("hello has no id (a resumed stream keeps its place)", a.events[0][1] is None)
    prog = [job_of(e[3]) for e in evs if e[2] == "progress"]
    phases = []
    for p in prog:
        if not phases or phases[-1] != p["phase"]:
            phases.append(p["phase"])
    check("progress goes through connect, erase, program, verify, reset",
          [x for x in phases if x in ("connect", "erase", "program", "verify", "reset")] ==
          ["connect", "erase", "program", "verify", "reset"], phases)
    # throttle: at most 5 a second per job, plus the first and last of each phase
    limit = loaded_ms / 1000.0 * 5 + 2 * len(phases) + 2
    check(f"progress throttled ({len(prog)} events in {loaded_ms} ms, limit {limit:.0f})", len(prog) <= limit)

    # Last-Event-ID: resume after the k-th event, get exactly the rest
    k = len(a.events) // 2
    b = Stream(last_id=a.events[k][1])
    b.start()
    b.opened.wait(10)
    want = [e[1] for e in a.events[k + 1:] if e[1]]
    check("resume replays exactly what came after Last-Event-ID",
          wait_for(lambda: [e[1] for e in b.events if e[1]][:len(want)] == want, 10),
          ([e[1] for e in b.events if e[1]][:5], want[:5]))
    check("resumed stream starts with hello", b.events and b.events[0][2] == "hello")

    # the stuck clients are still connected but the daemon serves on
    with urllib.request.urlopen(URL + "/healthz", timeout=5) as r:
        check("daemon healthy with stuck clients", r.status == 200)
    for k2 in stuck:
        k2.close()
    for s in many + [a, b]:
        s.stop = True
    json.dump({"last_id": a.events[-1][1], "boot": boot}, open(STATEFILE, "w"))

else:
    prev = json.load(open(STATEFILE))
    c = Stream(last_id=prev["last_id"])
    c.start()
    c.opened.wait(10)
    check("after a restart: hello", wait_for(lambda: c.events) and c.events[0][2] == "hello")
    hello = json.loads(c.events[0][3])
    check("new boot id", hello["boot"] != prev["boot"], (hello["boot"], prev["boot"]))
    ids = [e[1] for e in c.events if e[1]]
    check("an id from the earlier run replays this run from its first event",
          wait_for(lambda: any(e[1] for e in c.events)) and
          [e[1] for e in c.events if e[1]][0] == hello["boot"] + "-1",
          [e[1] for e in c.events][:4])
    st, j = post("/api/v1/flash?wait=1&recover=1&name=after", open(SMALL, "rb").read())
    check("a job after the restart streams live", st == 200 and wait_for(lambda: ended(c, j["id"]), 10), (st, j))
    # this daemon's chip runs in real time (t_sse.sh: realtime=1), so a
    # 128 KiB program phase lasts over a second: progress arrives in steps
    img = bytes((i * 2654435761 >> 13) & 0xFF for i in range(128 * 1024))
    st, j = post("/api/v1/flash?wait=1&format=bin&base=0x40000&name=paced", img)
    check("paced 128 KiB flash", st == 200 and wait_for(lambda: ended(c, j["id"]), 10), (st, j))
    prog = [job_of(e[3]) for e in c.events
            if e[2] == "progress" and job_of(e[3])["id"] == j.get("id")]
    mid = [p for p in prog if p["phase"] == "program" and 0 < p["bytes_done"] < p["bytes_total"]]
    check("program progress has intermediate values", len(mid) >= 2,
          [(p["phase"], p["bytes_done"]) for p in prog])
    c.stop = True

sys.exit(1 if fails else 0)
