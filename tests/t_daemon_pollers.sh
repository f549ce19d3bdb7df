#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Readers must not slow the flash worker (issue 10, item 8; the figure is
# bench/poll_bench.sh's): the threads that serve clients run at a lower
# priority than the worker (10 nice steps below it, at most nice 19: also
# when the suite runs under nice), and the job list, which shares the
# snapshots of ended jobs between readers, still says exactly what each
# job's own page says, before and after the history trims the list.
cd "$(dirname "$0")/.." || exit 1
. tests/lib.sh
need_daemon

printf '[jobs]\nhistory_max = 5\n' >"$T/p.conf"
dstart p --config "$T/p.conf" --probe "sim:part=nrf52840,state=$T/p.chip" || die "no daemon"

# a connection held open keeps its thread: find it and its nice value
python3 - "$PORT" "$DPID" >"$T/nice.out" <<'PY'
import os, socket, sys, time
port, pid = int(sys.argv[1]), sys.argv[2]
s = socket.create_connection(("127.0.0.1", port), timeout=10)
s.sendall(b"GET /api/v1/jobs HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
buf = b""
while b"\r\n\r\n" not in buf:
    buf += s.recv(4096)
nices = []
for tid in os.listdir("/proc/%s/task" % pid):
    try:
        st = open("/proc/%s/task/%s/stat" % (pid, tid)).read()
    except OSError:
        continue
    nices.append(int(st.rsplit(")", 1)[1].split()[16]))
# the process's nice (its main thread's) is the worker's
base = int(open("/proc/%s/stat" % pid).read().rsplit(")", 1)[1].split()[16])
print(base, min(base + 10, 19), " ".join(map(str, sorted(nices))))
s.close()
PY
read -r base low nices <"$T/nice.out"
assert "a client's thread runs at nice $low, the worker at $base (threads: $nices)" \
	'case " $nices " in *" $base "*" $low "*) true ;; *) false ;; esac'

head -c 4096 /dev/urandom >"$T/a.bin"
i=0 differ=0
while [ $i -lt 7 ]; do
	req POST "/api/v1/flash?format=bin&wait=1&name=j$i" --data-binary "@$T/a.bin"
	[ "$ST" = 200 ] || die "flash $i: $ST $(cat "$T/body")"
	i=$((i + 1))
	# each time: every listed job equals its own page (twice: the second
	# listing serves the shared snapshots)
	for pass in 1 2; do
		req GET /api/v1/jobs
		cp "$T/body" "$T/list.json"
		for id in $(jget "$T/list.json" 'tuple(j["id"] for j in d["jobs"])'); do
			req GET "/api/v1/jobs/$id"
			same=$(python3 -c 'import json,sys
l=[j for j in json.load(open(sys.argv[1]))["jobs"] if j["id"]==int(sys.argv[3])][0]
print(int(l==json.load(open(sys.argv[2]))))' "$T/list.json" "$T/body" "$id")
			if [ "$same" != 1 ]; then
				echo "after flash $i, listing $pass: job $id in the list differs from its page"
				differ=$((differ + 1))
			fi
		done
	done
done
n=$(jget "$T/list.json" 'len(d["jobs"])')
check "the list holds history_max (5) jobs after 7, got $n" [ "$n" = 5 ]
names=$(jget "$T/list.json" 'tuple(j["image"]["name"] for j in d["jobs"])')
check "newest first: $names" [ "$names" = "j6 j5 j4 j3 j2" ]
check "every listed job equals its own page (7 flashes, 2 listings each; $differ differ)" [ "$differ" = 0 ]
check "daemon stops cleanly" dstop
finish
