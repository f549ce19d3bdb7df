#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# OpenOCD's SEGGER RTT support (`rtt setup`, `rtt start`, `rtt server
# start`) reads what firmware running on the simulated core prints: OpenOCD
# (unmodified target/nrf52.cfg, defaults) programs tests/fw/rtt_selftest.hex
# (our own flash image: it builds an RTT control block in RAM and prints
# "SELFTEST PASS") and resets it, finds the control block by its
# "SEGGER RTT" id, and serves channel 0 on a TCP port; a client reads the
# line from it.
cd "$(dirname "$0")/.." || exit 1
. tests/lib.sh
need_emu
need_openocd_driver linuxgpiod
need python3 "make deps-check"
HEX=tests/fw/rtt_selftest.hex
log() { echo "--- $1"; tail -n 40 "$1"; }

PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
: >"$T/ocd.log"
emu "part=nrf52840,state=$T/r.state,wallclock=1" "" timeout -k 10 600 openocd -c "$OCD_CFG" -c init \
	-c "program $HEX verify reset" \
	-c 'rtt setup 0x20000000 0x1000 "SEGGER RTT"' -c "rtt start" -c "rtt server start $PORT 0" \
	>"$T/ocd.log" 2>&1 &
lib_rtt_listening() { grep -q "Listening on port $PORT for rtt connections" "$T/ocd.log"; }
wait_until 120 lib_rtt_listening || { log "$T/ocd.log"; die "OpenOCD's RTT server did not start"; }
grep -q '\*\* Verified OK \*\*' "$T/ocd.log" || { log "$T/ocd.log"; die "OpenOCD program $HEX"; }
ocd_used_algorithms "$T/ocd.log" || { log "$T/ocd.log"; die "OpenOCD fell back"; }
grep -q 'Control block found at 0x20000000' "$T/ocd.log" ||
	{ log "$T/ocd.log"; die "OpenOCD did not find the RTT control block"; }
python3 - "$PORT" >"$T/rtt.out" 2>&1 <<'EOF'
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
data, end = b"", time.monotonic() + 60
while b"SELFTEST PASS\n" not in data and time.monotonic() < end:
    try:
        chunk = s.recv(256)
    except socket.timeout:
        continue
    if not chunk:
        break
    data += chunk
sys.stdout.write(data.decode("ascii", "replace"))
EOF
check "OpenOCD's RTT server gave the firmware's line: $(cat "$T/rtt.out")" \
	grep -q '^SELFTEST PASS$' "$T/rtt.out"
finish
