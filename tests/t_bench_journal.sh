#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The end-of-board journal entry carries DEVICE_ID=, SERIAL=,
# IMAGE_SHA256=, RECIPE= and VERDICT= as structured fields
# (journalctl DEVICE_ID=... finds the board). There is no journald here:
# the daemon runs in a private mount namespace whose /run holds a socket
# at /run/systemd/journal/socket that this test reads, so real libsystemd
# sends its native protocol to it.
cd "$(dirname "$0")/.." || exit 1
. tests/lib.sh
need_daemon
command -v unshare >/dev/null 2>&1 || skip "unshare not installed"
unshare -m true 2>/dev/null || skip "no mount namespaces here (needs root)"

B=$T/bench
mkdir -p "$B"
echo "part=nrf52840,device_id=0x5C2A7C4000000001" >"$B/up.board"
echo "part=nrf52840,device_id=0x10000000000J0001" | tr J 0 >"$B/j1.board"
echo up >"$B/slot"
cat >"$T/listen.py" <<'PY'
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("/run/systemd/journal/socket")
s.settimeout(0.2)
parent = os.getppid()  # the daemon, once the wrapper has exec'ed it
open(sys.argv[2], "w").close()
with open(sys.argv[1], "ab", buffering=0) as f:
    while os.getppid() == parent:  # ends with the daemon
        try:
            f.write(s.recv(65536) + b"\n--\n")
        except socket.timeout:
            pass
PY
cat >"$T/wrap.sh" <<WRAP
#!/bin/sh
exec unshare -m sh -c 'mount -t tmpfs none /run && mkdir -p /run/systemd/journal &&
	{ python3 "$T/listen.py" "$T/journal" "$T/listening" >/dev/null 2>&1 & } &&
	i=0; while [ ! -e "$T/listening" ] && [ \$i -lt 200 ]; do sleep 0.05; i=\$((i + 1)); done;
	exec "$TOP/$SWDFLASHD" "\$@"' sh "\$@"
WRAP
chmod +x "$T/wrap.sh"
printf ':10000000000102030405060708090A0B0C0D0E0F78\n:00000001FF\n' >"$T/a.hex"
SWDFLASHD=$T/wrap.sh dstart j --probe "sim:bench=$B" || die "daemon start"
req POST "/api/v1/flash?wait=1" --data-binary @"$T/a.hex"
SHA=$(jget "$T/body" 'd["image"]["sha256"]')
echo "" >"$B/slot"
req POST /api/v1/recipes --data '{"name":"jr","part":"nrf52840","images":["'"$SHA"'"],"lock":false,"fields":[{"kind":"serial","prefix":"J","width":4}]}'
req POST /api/v1/recipes/jr/activate
req POST /api/v1/bench/arm
echo j1 >"$B/slot"
check "the board's journal entry arrives" wait_until 60 'grep -q "^VERDICT=PASS$" "$T/journal" 2>/dev/null'
check "DEVICE_ID= names the board" grep -q '^DEVICE_ID=1000000000000001$' "$T/journal"
check "SERIAL= its serial number" grep -q '^SERIAL=J0001$' "$T/journal"
check "IMAGE_SHA256= the image" grep -q "^IMAGE_SHA256=$SHA\$" "$T/journal"
check "RECIPE= the recipe" grep -q '^RECIPE=jr$' "$T/journal"
check "MESSAGE= says it in words" grep -q '^MESSAGE=board 1000000000000001: PASS serial J0001 recipe jr$' "$T/journal"
dstop
check "the listener ended with the daemon" wait_until 10 '! pgrep -f "$T/listen.py" >/dev/null'
finish
