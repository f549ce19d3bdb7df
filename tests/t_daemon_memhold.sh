#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Unread replies must not pin memory (issue 10, item 9). 60 clients ask for
# 1 MiB of chip memory as Intel HEX and read nothing: the daemon streams
# the text (it holds the 1 MiB read, never its 2.8 MiB of text), refuses
# what would pass [server] max_client_memory with 503 and Retry-After,
# and once the clients are gone (closed, or timed out) its RSS is back
# within a few MiB of where it was. Twice, so what a first burst leaves
# behind would show. Against the optimised build: the sanitizers' own
# allocator says nothing about glibc's.
cd "$(dirname "$0")/.." || exit 1
. tests/lib.sh
SWDFLASHD=${SWDFLASHD_REL:-build/rel/swdflashd}
need_daemon
need srec_cat "make deps-check"

N=60 LEN=1048576
BUDGET_MIB=16        # the default max_client_memory
SLACK_MIB=8          # threads, libmicrohttpd's per-connection pools
AFTER_MIB=4          # "within a few MiB"
MEM="/api/v1/target/memory?address=0&length=$LEN&format=hex"

printf '[server]\nconnection_timeout = 20\n' >"$T/m.conf"
dstart m --config "$T/m.conf" --probe "sim:part=nrf52840,state=$T/m.chip" || die "no daemon"

# something to read that is not all 0xFF
head -c 65536 /dev/urandom >"$T/r.bin"
req POST "/api/v1/flash?format=bin&base=0x10000&wait=1" --data-binary @"$T/r.bin"
[ "$ST" = 200 ] || die "flash: $ST $(cat "$T/body")"

# a streamed dump is the same bytes, and says its length
req GET "$MEM"
check "a 1 MiB HEX read: 200 ($ST)" [ "$ST" = 200 ]
cl=$(header Content-Length) size=$(wc -c <"$T/body")
check "its Content-Length ($cl) is its size ($size)" [ "$cl" = "$size" ]
cp "$T/body" "$T/m.hex"
readmem 0 $LEN "$T/m.bin" || die "bin read"
srec_cat "$T/m.hex" -Intel -o "$T/m2.bin" -Binary 2>"$T/srec.err"
check "the HEX text is the binary read's bytes (srec_cat)" cmp -s "$T/m.bin" "$T/m2.bin"
check "the binary read holds what was flashed" \
	cmp -s "$T/r.bin" "$T/m.bin" --ignore-initial=0:65536 --bytes=65536

base=$(rss "$DPID") threads=$(ls "/proc/$DPID/task" | wc -l)
echo "RSS at the start: $base KiB, $threads threads"

# round 1: the clients close; round 2: they stay until the daemon's
# connection_timeout (20 s without progress) drops them
for round in 1 2; do
	rm -f "$T/st$round" "$T/go$round"
	python3 tests/slow_clients.py "$PORT" "$MEM" $N "$T/st$round" "$T/go$round" 120 &
	cpid=$!
	if ! wait_until 120 '[ -f "$T/st$round" ]'; then
		fail "round $round: the $N clients got no status line within 120 s"
		kill "$cpid" 2>/dev/null
		break
	fi
	during=$(rss "$DPID")
	n200=$(tr ' ' '\n' <"$T/st$round" | grep -c '^200$')
	n503=$(tr ' ' '\n' <"$T/st$round" | grep -c '^503$')
	echo "round $round: $n200 answered 200, $n503 answered 503; RSS $during KiB"
	assert "round $round: every client got 200 or 503 ($n200 + $n503 of $N)" \
		'[ $((n200 + n503)) = $N ]'
	assert "round $round: the budget lets some through and refuses the rest (200: $n200, 503: $n503)" \
		'[ "$n200" -ge 4 ] && [ "$n503" -ge 1 ]'
	# one more, as a client that reads: refused with a reason while held
	req GET "$MEM"
	check "round $round: a read over the budget is 503 ($ST)" [ "$ST" = 503 ]
	ra=$(header Retry-After)
	check "round $round: with Retry-After ($ra)" [ -n "$ra" ]
	msg=$(jget "$T/body" 'd["error"]["message"]')
	assert "round $round: the message names max_client_memory ($msg)" \
		'case "$msg" in *max_client_memory*) true ;; *) false ;; esac'
	req GET /healthz
	check "round $round: /healthz still answers ($ST)" [ "$ST" = 200 ]
	grow=$(((during - base) / 1024))
	assert "round $round: RSS while they hold: +$grow MiB (budget $BUDGET_MIB + $SLACK_MIB)" \
		'[ $grow -le $((BUDGET_MIB + SLACK_MIB)) ]'
	[ $round = 1 ] && touch "$T/go$round"
	# the connections' threads gone, then a moment for the last frees
	wait_until 60 '[ "$(ls "/proc/$DPID/task" | wc -l)" -le "$threads" ]' ||
		echo "round $round: still $(ls "/proc/$DPID/task" | wc -l) threads after 60 s"
	wait_until 5 '[ $(($(rss "$DPID") - base)) -le 1024 ]'
	after=$(rss "$DPID")
	echo "round $round: RSS after: $after KiB"
	assert "round $round: RSS back within $AFTER_MIB MiB of the start (+$(((after - base))) KiB)" \
		'[ $((after - base)) -le $((AFTER_MIB * 1024)) ]'
	touch "$T/go$round"
	wait "$cpid"
	req GET "$MEM"
	check "round $round: afterwards a read is answered again ($ST)" [ "$ST" = 200 ]
done
check "daemon stops cleanly" dstop

# a budget below the largest read could never answer it: refused at start
printf '[server]\nmax_client_memory = 1M\n[jobs]\nmax_read_bytes = 4M\n' >"$T/bad.conf"
"$SWDFLASHD" --foreground --config "$T/bad.conf" --listen 127.0.0.1:0 --state-dir "$T/bad" \
	--probe "sim:state=$T/bad.chip" 2>"$T/bad.err" &
bpid=$!
wait_until 30 '! alive $bpid'
wait "$bpid"
brc=$?
assert "max_client_memory below max_read_bytes: refused at start (status $brc: $(head -c 200 "$T/bad.err"))" \
	'[ $brc != 0 ] && grep -q max_client_memory "$T/bad.err"'
finish
