#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Run swdflashd the way systemd does for Type=notify, with a NOTIFY_SOCKET
this script owns, and check what the daemon says on it.

usage: notify.py SWDFLASHD STATE_DIR FIXTURE

Checks: READY=1 arrives, and only once the HTTP port accepts connections;
WATCHDOG=1 keeps arriving at about half of WATCHDOG_USEC; STATUS= names the
running job and then the result; STOPPING=1 after SIGTERM; exit status 0.
"""
import atexit
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

swdflashd, state, fixture = sys.argv[1:4]
fails = 0


def check(desc, cond, detail=""):
    global fails
    print(("ok   " if cond else "FAIL ") + desc + ("" if cond else f": {detail}"), flush=True)
    if not cond:
        fails += 1


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def accepts(port):
    try:
        c = socket.create_connection(("127.0.0.1", port), timeout=0.5)
        c.close()
        return True
    except OSError:
        return False


sock_path = os.path.join(state, "notify.sock")
os.makedirs(state, exist_ok=True)
ns = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
ns.bind(sock_path)
ns.settimeout(0.05)

port = free_port()
WD_USEC = 400000
env = dict(os.environ, NOTIFY_SOCKET=sock_path, WATCHDOG_USEC=str(WD_USEC))
# WATCHDOG_PID must be the daemon's own pid: exec keeps the shell's pid
cmd = ["sh", "-c", 'WATCHDOG_PID=$$ exec "$0" "$@"', swdflashd, "--foreground",
       "--listen", f"127.0.0.1:{port}", "--probe", f"sim:state={state}/chip.bin",
       "--state-dir", state + "/st"]
log = open(os.path.join(state, "daemon.log"), "w")


def die_with_parent():
    """The daemon gets SIGKILL when this script ends, however it ends (even
    by SIGKILL): it is not left behind, reparented out of the test's reach."""
    import ctypes
    PR_SET_PDEATHSIG = 1
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


t0 = time.monotonic()
proc = subprocess.Popen(cmd, env=env, stderr=log, preexec_fn=die_with_parent)


def stop_daemon():
    if proc.poll() is None:
        proc.kill()
        proc.wait()


# A failing step (an uncaught exception) still stops the daemon.
atexit.register(stop_daemon)

msgs = []           # (time, text)
ready_at = None
port_open_at_ready = None
open_before_ready = False


def pump(until, done=lambda: False):
    """Collect datagrams until time `until` (monotonic) or until done()."""
    global ready_at, port_open_at_ready
    while time.monotonic() < until and not done():
        try:
            data, anc, flags, addr = ns.recvmsg(4096, 1024)
        except socket.timeout:
            continue
        now = time.monotonic()
        text = data.decode(errors="replace")
        msgs.append((now, text))
        if "READY=1" in text.split("\n") and ready_at is None:
            ready_at = now
            port_open_at_ready = accepts(port)


deadline = time.monotonic() + 30
while ready_at is None and time.monotonic() < deadline and proc.poll() is None:
    pump(time.monotonic() + 0.1)
check("READY=1 arrives", ready_at is not None, f"messages {msgs!r}")
check("the port accepts connections when READY=1 arrives", port_open_at_ready is True)
ready_msgs = [m for m in msgs if "READY=1" in m[1]]
check("READY=1 carries a STATUS=", ready_msgs and "STATUS=" in ready_msgs[0][1], ready_msgs)

# the watchdog over 2 s: WATCHDOG_USEC/2 = 200 ms
w_start = time.monotonic()
pump(w_start + 2.0)
pings = [t for t, m in msgs if "WATCHDOG=1" in m.split("\n") and t >= w_start]
gaps = [b - a for a, b in zip(pings, pings[1:])]
check(f"WATCHDOG=1 keeps arriving ({len(pings)} in 2 s)", len(pings) >= 7, len(pings))
check("no gap between pings longer than WATCHDOG_USEC",
      gaps and max(gaps) < WD_USEC / 1e6, [round(g, 3) for g in gaps])

# STATUS= follows a job
req = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/flash?wait=1&name=status-test",
                             data=open(fixture, "rb").read(), method="POST")
with urllib.request.urlopen(req, timeout=60) as r:
    check("a job flashes", r.status == 200, r.status)
# until the result is reported and a ping came after the 2 s window (10 s at most)
pump(time.monotonic() + 10, lambda: any("idle; last job 1 status-test: succeeded" in m
                                         for _, m in msgs if m.startswith("STATUS=")) and
     any("WATCHDOG=1" in m.split("\n") and t > w_start + 2.0 for t, m in msgs))
status = [m for _, m in msgs if m.startswith("STATUS=")]
check("STATUS= names the running job", any("job 1 status-test" in s for s in status), status)
check("STATUS= reports the result when idle",
      any("idle; last job 1 status-test: succeeded" in s for s in status), status)

# a watchdog ping still comes while the daemon is busy? It comes from the
# main loop, which never runs jobs: it must keep its rhythm during the job too
busy_pings = [t for t, m in msgs if "WATCHDOG=1" in m.split("\n") and t > w_start + 2.0]
check("WATCHDOG=1 continued during the job", len(busy_pings) >= 1, len(busy_pings))

proc.send_signal(signal.SIGTERM)
end = time.monotonic() + 15
while proc.poll() is None and time.monotonic() < end:
    pump(time.monotonic() + 0.1)
pump(time.monotonic() + 5, lambda: any("STOPPING=1" in m.split("\n") for _, m in msgs))
check("STOPPING=1 after SIGTERM", any("STOPPING=1" in m.split("\n") for _, m in msgs))
check("exit status 0", proc.returncode == 0, proc.returncode)
log.close()
text = open(os.path.join(state, "daemon.log")).read()
check("no sanitizer report", "Sanitizer" not in text and "runtime error:" not in text, text[-2000:])
print(f"notify: {len(msgs)} messages, first READY after {ready_at - t0:.3f} s" if ready_at else "")
sys.exit(1 if fails else 0)
