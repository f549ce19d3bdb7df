#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Time per production board on the simulated chip: the S140 SoftDevice
# through a recipe (program + verify + serial/device ID in UICR), with and
# without the lock, at 1 and 4 MHz SWCLK; and the self-test step with the
# RTT firmware of tests/fw (a small image) followed by the lock. The figures are the board
# record's duration_ms, which is the probe's clock: simulated time.
# Usage: sh bench/board_bench.sh (needs the vendor fixtures, build/rel).
cd "$(dirname "$0")/.." || exit 1
FIX=${SWDFLASH_FIXTURES:-../shared/fixtures}
S140=$FIX/s140_nrf52_6.1.1_softdevice.hex
D=${SWDFLASHD:-build/rel/swdflashd}
[ -f "$S140" ] || { echo "no $S140: skipped"; exit 77; }
T=$(mktemp -d)
trap 'kill $P 2>/dev/null; wait $P 2>/dev/null; rm -rf "$T"' EXIT
for hz in 1000 250; do
	B=$T/b$hz; mkdir -p "$B"
	for n in 1 2 3; do echo "part=nrf52840,device_id=0x$hz$n" >"$B/x$n.board"; done
	echo "part=nrf52840,device_id=0x77" >"$B/up.board"; echo up >"$B/slot"
	"$D" --foreground --listen 127.0.0.1:0 --state-dir "$T/s$hz" --probe "sim:bench=$B,period_ns=$hz" 2>"$T/log$hz" &
	P=$!
	for i in $(seq 100); do PORT=$(sed -n 's|.*listening on http://127\.0\.0\.1:\([0-9]*\)/.*|\1|p' "$T/log$hz" | head -n 1); [ -n "$PORT" ] && break; sleep 0.1; done
	U=http://127.0.0.1:$PORT
	SHA=$(curl -s --data-binary @"$S140" "$U/api/v1/flash?wait=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["image"]["sha256"])')
	RTT=$(curl -s --data-binary @tests/fw/rtt_selftest.hex "$U/api/v1/flash?wait=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["image"]["sha256"])')
	for lock in false true selftest; do
		if [ $lock = selftest ]; then
			# the RTT self-test firmware (tests/fw, runs in the simulated core), then the lock
			curl -s -o /dev/null --data '{"name":"s140selftest","part":"nrf52840","images":["'$RTT'"],"lock":true,"fields":[{"kind":"serial","width":6,"prefix":"SN"}],"selftest":{"pass":"SELFTEST PASS"}}' "$U/api/v1/recipes"
		else
			curl -s -o /dev/null --data '{"name":"s140'$lock'","part":"nrf52840","images":["'$SHA'"],"lock":'$lock',"fields":[{"kind":"serial","width":6,"prefix":"SN"},{"kind":"device_id","address":"0x10001090"}]}' "$U/api/v1/recipes"
		fi
		curl -s -o /dev/null -X POST "$U/api/v1/recipes/s140$lock/activate"
		n=$([ $lock = true ] && echo 2 || { [ $lock = selftest ] && echo 3 || echo 1; })
		echo "" >"$B/slot"; curl -s -o /dev/null -X POST "$U/api/v1/bench/arm"
		echo "x$n" >"$B/slot"
		for i in $(seq 600); do
			c=$(curl -s "$U/api/v1/devices?recipe=s140$lock&format=jsonl" | grep -c .)
			[ "$c" -ge 1 ] && break; sleep 0.1
		done
		curl -s "$U/api/v1/devices?recipe=s140$lock&format=jsonl" | python3 -c '
import json,sys
r=json.loads(sys.stdin.readline())
print(("S140 board" if sys.argv[2] != "selftest" else "RTT self-test firmware + lock") + ", SWCLK %s MHz, lock %-5s: %s %6d ms simulated (%s)" % (sys.argv[1], sys.argv[2], r["verdict"], r["duration_ms"], ", ".join("%s %d" % (s["step"], s["ms"]) for s in r["steps"])))' $((1000 / hz)) $lock
		curl -s -o /dev/null -X POST "$U/api/v1/bench/disarm"
	done
	kill $P; wait $P 2>/dev/null
done
