#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# One station per state (issue 10 item 12): a second daemon on the same
# port, on the same state directory, or on the same simulated chip's state
# file refuses to start and names the process of the first; the first is
# left alone (its history untouched). A daemon killed with -9 blocks
# nothing: the next one starts on the same port, directory and chip.
cd "$(dirname "$0")/.." || exit 1
. tests/lib.sh
need_daemon

SIM="sim:part=nrf52840,state=$T/one.chip"
dstart a --probe "$SIM" || die "first daemon"
APID=$DPID APORT=$PORT
req POST /api/v1/target/reset
check "first daemon runs a job" [ "$ST" = 200 ]
cp "$T/a/history.jsonl" "$T/hist.before"

# second NAME EXPECT ARGS...: start a second daemon; it must exit 1 within
# the deadline, and its log must hold EXPECT.
second() {
	_n=$1 _want=$2; shift 2
	"$SWDFLASHD" --foreground --state-dir "$T/$_n" "$@" 2>"$T/$_n.log" &
	_pid=$!
	if ! wait_until 30 '! alive "$_pid"'; then
		fail "$_n: a second daemon started ($*)"
		kill -9 "$_pid" 2>/dev/null; wait "$_pid" 2>/dev/null
		return
	fi
	wait "$_pid"
	check "$_n: exit status 1" [ $? = 1 ]
	if grep -qF "$_want" "$T/$_n.log"; then
		ok "$_n: names the first: $(grep -F "$_want" "$T/$_n.log" | head -n 1)"
	else
		fail "$_n: log does not say '$_want':"; cat "$T/$_n.log"
	fi
}

# the same port (no SO_REUSEPORT), another directory and chip
second port "port $APORT is in use by process $APID" \
	--listen "127.0.0.1:$APORT" --probe "sim:part=nrf52840"
# the same state directory, another port and chip
second a "is in use by swdflashd process $APID" \
	--listen 127.0.0.1:0 --probe "sim:part=nrf52840"
# the same simulated chip, another port and directory
second chip "one.chip is in use by process $APID" \
	--listen 127.0.0.1:0 --probe "$SIM"
check "the first daemon's history untouched" cmp -s "$T/hist.before" "$T/a/history.jsonl"
req GET /healthz
check "the first daemon still answers" [ "$ST" = 200 ]

kill -9 "$APID"; wait "$APID" 2>/dev/null; DPID=
ok "kill -9 the first daemon"
dstart a --listen "127.0.0.1:$APORT" --probe "$SIM" || die "restart after kill -9"
ok "a new daemon starts on the same port, directory and chip"
check "its lock names it" [ "$(cat "$T/a/swdflashd.lock")" = "$DPID" ]
check "clean exit" dstop
finish
