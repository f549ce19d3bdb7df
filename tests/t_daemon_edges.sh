#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The gaps issue 10 left after its first pass, each at its mechanism:
# - every endpoint validates its query options, the page, /healthz and
#   /metrics too: an unknown one is a 400 that names it;
# - a form with two firmware parts is a 400 however empty they are;
# - a client that trickles its body forever gets 408 after
#   [server] request_timeout (connection_timeout only closes idle ones),
#   and nothing is stored;
# - a config token holding " ;" (libinih's inline comment) is refused at
#   start, never cut.
cd "$(dirname "$0")/.." || exit 1
. tests/lib.sh
need_daemon

printf '[server]\nrequest_timeout = 3\n' >"$T/e.conf"
if ! dstart e --config "$T/e.conf" --probe "sim:part=nrf52840,state=$T/e.chip"; then
	# the old daemon does not know request_timeout: the rest still runs
	fail "daemon with request_timeout = 3 starts"
	dstart e2 --probe "sim:part=nrf52840,state=$T/e2.chip" || die "no daemon"
fi

# ---- unknown options, on every GET route ----
for p in /healthz /metrics / /index.html /static/app.js /api/v1/jobs /api/v1/target \
	/api/v1/images /api/v1/events; do
	req GET "$p?bogus=1"
	msg=$(jget "$T/body" 'd["error"]["message"]')
	assert "GET $p?bogus=1: 400 naming the option ($ST: $msg)" \
		'[ "$ST" = 400 ] && case "$msg" in *bogus*) true ;; *) false ;; esac'
done
req GET /healthz
check "GET /healthz without options: 200 ($ST)" [ "$ST" = 200 ]
req GET /static/app.js
check "GET /static/app.js without options: 200 ($ST)" [ "$ST" = 200 ]

# ---- two firmware parts, empty or not ----
: >"$T/empty.bin"
printf 'abcd' >"$T/a4.bin"
for parts in "empty empty" "empty a4" "a4 empty" "none none"; do
	set -- $parts
	f1="firmware=@$T/$1.bin" f2="firmware=@$T/$2.bin"
	[ "$1" = none ] && f1="firmware=" f2="firmware="
	req POST "/api/v1/flash?format=bin&base=0x10000" -F "$f1" -F "$f2"
	msg=$(jget "$T/body" 'd["error"]["message"]')
	assert "two firmware parts ($parts): 400 saying so ($ST: $msg)" \
		'[ "$ST" = 400 ] && case "$msg" in *firmware*part*) true ;; *) false ;; esac'
done
req GET /api/v1/jobs
n=$(jget "$T/body" 'len(d["jobs"])')
check "none of them queued a job ($n jobs)" [ "$n" = 0 ]
req POST "/api/v1/flash?format=bin&base=0x10000&wait=1" -F "firmware=@$T/a4.bin"
check "one firmware part is flashed ($ST)" [ "$ST" = 200 ]

# ---- a body trickled forever ----
python3 - "$PORT" >"$T/trickle.out" <<'PY'
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
s.sendall(b"POST /api/v1/flash?format=bin&base=0x10000 HTTP/1.1\r\nHost: 127.0.0.1\r\n"
          b"Content-Type: application/octet-stream\r\nContent-Length: 1000000\r\n\r\n")
t0 = time.monotonic()
got = b""
s.settimeout(0.2)
closed = False
# one byte every 0.2 s: never idle, never done; 30 s at most
while time.monotonic() - t0 < 30 and not closed:
    try:
        s.send(b"\xff")
    except OSError:
        pass
    try:
        d = s.recv(4096)
        got += d
        closed = not d
    except socket.timeout:
        pass
    except OSError:
        closed = True
line = got.split(b"\r\n")[0].decode(errors="replace")
body = got.split(b"\r\n\r\n", 1)[-1].decode(errors="replace")
print("%.1f|%s|%s|%d" % (time.monotonic() - t0, line, body.strip(), closed))
PY
IFS='|' read -r secs line body closed <"$T/trickle.out"
echo "trickle: after $secs s: $line $body (closed: $closed)"
assert "a trickled body: 408 ($line)" 'case "$line" in *" 408 "*) true ;; *) false ;; esac'
assert "with a JSON message naming request_timeout ($body)" \
	'case "$body" in *request_timeout*) true ;; *) false ;; esac'
assert "and the connection is closed, within 10 s ($secs s, closed $closed)" \
	'[ "$closed" = 1 ] && [ "${secs%.*}" -lt 10 ]'
wait_until 10 '[ -z "$(ls "$T/e/tmp" 2>/dev/null)" ]'
check "nothing left in the upload directory ($(ls "$T/e/tmp" 2>/dev/null))" \
	[ -z "$(ls "$T/e/tmp" 2>/dev/null)" ]
req GET /healthz
check "the daemon still answers ($ST)" [ "$ST" = 200 ]
check "daemon stops cleanly" dstop

# ---- a token with " ;" in the config file ----
printf '[auth]\ntoken = abcd1234abcd1234 ;efgh5678\n' >"$T/tok.conf"
"$SWDFLASHD" --foreground --config "$T/tok.conf" --listen 127.0.0.1:0 --state-dir "$T/tok" \
	--probe "sim:state=$T/tok.chip" 2>"$T/tok.err" &
tpid=$!
wait_until 30 '! alive $tpid || grep -q "listening on" "$T/tok.err"'
if alive $tpid; then
	kill $tpid
	wait $tpid
	fail "a config token with ' ;' is refused at start (the daemon started: $(head -c 300 "$T/tok.err"))"
else
	wait $tpid
	trc=$?
	assert "a config token with ' ;' is refused at start (status $trc: $(head -c 300 "$T/tok.err"))" \
		'[ $trc != 0 ] && grep -q "token_file" "$T/tok.err"'
fi
finish
