#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The demo firmware and `make run` (tools/run.sh): demo/blinky.hex is what
# `make demo` assembles from demo/blinky.S, byte for byte; run.sh prints its
# examples only once the daemon listens, and the printed flash command
# flashes the demo into the simulated chip; a busy port is reported and no
# example is printed.
cd "$(dirname "$0")/.." || exit 1
. tests/lib.sh
unset MAKEFLAGS MFLAGS MAKELEVEL

# ---- the committed image is the source's ----
if command -v arm-none-eabi-as >/dev/null 2>&1; then
	make --no-print-directory -s -B build/demo/blinky.hex >"$T/demo.log" 2>&1
	check "make demo assembles demo/blinky.S" [ $? -eq 0 ]
	check "demo/blinky.hex is what demo/blinky.S builds to" cmp demo/blinky.hex build/demo/blinky.hex
else
	echo "arm-none-eabi-as not installed (binutils-arm-none-eabi): demo/blinky.hex not rebuilt"
fi
check "demo/blinky.hex: vector table at 0, reset vector in Thumb state" \
	grep -q '^:1000000000000120410000' demo/blinky.hex

[ -x build/rel/swdflashd ] || skip "build/rel/swdflashd is not built"
need curl "make deps"
need python3 "make deps-check"
for tool in srec_cat srec_info; do
	need "$tool" "make deps-check"
done
freeport() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# ---- a busy port: the daemon's message, no examples ----
P=$(freeport)
python3 -c 'import socket,sys,time
s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(); open(sys.argv[2], "w").close(); time.sleep(600)' \
	"$P" "$T/held" &
HOLDER=$!
wait_until 30 '[ -e "$T/held" ]' || fail "port holder did not start"
SWDFLASHD_LISTEN=127.0.0.1:$P SWDFLASHD_STATE_DIR=$T/busy SWDFLASHD_PROBE=sim \
	timeout 120 sh tools/run.sh >"$T/busy.out" 2>&1
rc=$?
assert "run.sh on a busy port fails, not hangs ($rc)" '[ "$rc" -ne 0 ] && [ "$rc" -ne 124 ]'
check "... saying the port is in use" grep -q "port $P is in use" "$T/busy.out"
check "... printing no example" sh -c "! grep -q 'try\|curl' '$T/busy.out'"
kill "$HOLDER"
wait "$HOLDER" 2>/dev/null

# ---- the printed examples work ----
P=$(freeport)
SWDFLASHD_LISTEN=127.0.0.1:$P SWDFLASHD_STATE_DIR=$T/run SWDFLASHD_PROBE="sim:state=$T/run-chip.bin" \
	sh tools/run.sh >"$T/run.out" 2>&1 &
RUN=$!
wait_until 60 "grep -q 'Ctrl-C stops' '$T/run.out' || ! alive $RUN"
check "run.sh prints its examples" grep -q 'Ctrl-C stops' "$T/run.out"
check "... after the daemon's listening line" \
	awk '/ listening on http:/ { l = NR } /^run.sh: try/ { t = NR } END { exit !(l && t > l) }' "$T/run.out"
check "... flashing the demo firmware" grep -q "data-binary @$TOP/demo/blinky.hex" "$T/run.out"
# the printed flash command, as a user would paste it
sed -n '/^  curl -sf/,/flash?wait=1/p' "$T/run.out" >"$T/flash.sh"
sh "$T/flash.sh" >"$T/flash.json" 2>&1
check "the printed flash command succeeds" [ $? -eq 0 ]
check "... and the job succeeded" [ "$(jget "$T/flash.json" 'd["state"]')" = succeeded ]
URL=http://127.0.0.1:$P TOKEN=$(cat "$T/run/token")
check "the chip holds the demo firmware" chip_matches_hex demo/blinky.hex demo
D=
for p in $(lib_descendants "$RUN"); do
	[ "$(ps -o comm= -p "$p")" = swdflashd ] && D=$p
done
if [ -n "$D" ]; then
	kill -INT "$D"
	wait_until 60 "! alive $RUN"
	wait "$RUN"
	check "Ctrl-C (SIGINT to the daemon): run.sh ends with status 0" [ $? -eq 0 ]
	check "... after the daemon's clean stop" grep -q 'stopped' "$T/run.out"
else
	fail "no swdflashd under run.sh"
	ps -o pid,ppid,cmd --ppid "$RUN"
fi
finish
