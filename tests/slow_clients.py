#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Slow clients for the black-box tests and the bench: N connections each
send one GET and then read at most the status line, with a small receive
buffer, so the daemon's reply stays queued on its side.

    slow_clients.py PORT PATH N STATUS_FILE GO_FILE [DEADLINE_S]

Writes "STATUS STATUS ..." (one per client, in order; 0 when no status line
arrived before the deadline) to STATUS_FILE once every client has its status
line, then holds the connections until GO_FILE exists (DEADLINE_S at most,
default 120) and closes them all."""
import os
import socket
import sys
import time

port, path, n, status_file, go_file = (int(sys.argv[1]), sys.argv[2], int(sys.argv[3]),
                                       sys.argv[4], sys.argv[5])
deadline = time.monotonic() + (float(sys.argv[6]) if len(sys.argv) > 6 else 120.0)
socks = []
for _ in range(n):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.settimeout(max(1.0, deadline - time.monotonic()))
    s.connect(("127.0.0.1", port))
    s.sendall(("GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" % path).encode())
    socks.append(s)
status = []
for s in socks:
    line = b""
    try:
        s.settimeout(max(0.1, deadline - time.monotonic()))
        while b"\r\n" not in line and len(line) < 64:
            c = s.recv(1)   # one byte at a time: never more than the status line
            if not c:
                break
            line += c
    except OSError:
        pass
    parts = line.split()
    status.append(parts[1].decode() if len(parts) > 1 and parts[1].isdigit() else "0")
with open(status_file + ".tmp", "w") as f:
    f.write(" ".join(status) + "\n")
os.rename(status_file + ".tmp", status_file)
while not os.path.exists(go_file) and time.monotonic() < deadline:
    time.sleep(0.05)
for s in socks:
    s.close()
