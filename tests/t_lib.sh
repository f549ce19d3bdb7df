#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/lib.sh itself: its checks can fail (and the shape t_lint refuses
# really hides a failure), skip and die say what tests/run.sh expects, the
# trap kills what a script started and removes its directory when it fails
# or is stopped, wait_until keeps its deadline, and every daemon start gets
# a new log file (a restart never reads the previous daemon's port).
cd "$(dirname "$0")/.." || exit 1
. tests/lib.sh

# sub BODY: run BODY as a script that sourced tests/lib.sh; output in
# $T/sub.out, exit status in $rc.
sub() {
	printf '. tests/lib.sh\n%s\n' "$1" >"$T/sub.sh"
	sh "$T/sub.sh" >"$T/sub.out" 2>&1
	rc=$?
}
said() { grep -q -- "$1" "$T/sub.out"; }

sub 'assert "both" "[ 1 = 1 ] && [ 1 = 2 ]"; finish'
assert "assert fails on a false combined condition" '[ $rc -eq 1 ] && said "^FAIL both"'
sub 'check "both" [ 1 = 1 ] && [ 1 = 2 ]; finish'
assert "the refused shape check D [ a ] && [ b ] passes although b is false" \
	'[ $rc -eq 0 ] && said "^ok   both"'
sub 's=cancelled; check "either" [ "$s" = succeeded ] || [ "$s" = cancelled ]; finish'
assert "the refused shape check D [ a ] || [ b ] fails although b is true" \
	'[ $rc -eq 1 ] && said "^FAIL either"'
sub 's=cancelled; assert "either" "[ \"\$s\" = succeeded ] || [ \"\$s\" = cancelled ]"; finish'
assert "assert accepts either" '[ $rc -eq 0 ] && said "^ok   either"'
sub 'check "a command that fails" false; ok "one"; finish'
assert "check fails on a failing command; finish counts" \
	'[ $rc -eq 1 ] && said "^FAIL a command that fails" && said "^2 checks, 1 failed$"'
sub 'ok "one"; finish "all good"'
assert "finish: exit 0 and the message last" '[ $rc -eq 0 ] && [ "$(tail -n 1 "$T/sub.out")" = "all good" ]'
sub 'skip "frobnicator not installed"; ok "never"'
assert "skip: exit 77, the reason on the last line" \
	'[ $rc -eq 77 ] && [ "$(tail -n 1 "$T/sub.out")" = "frobnicator not installed" ]'
sub 'die "setup failed"; ok "never"'
assert "die: exit 1 at once" '[ $rc -eq 1 ] && said "^FAIL setup failed" && ! said "never"'

# The trap: a failing script's background processes (and theirs) are
# killed, its directory removed.
cat >"$T/sub1.sh" <<EOF
. tests/lib.sh
sleep 300 &
echo "\$!" >"$T/pids"
sh -c 'sleep 300 & echo "\$!" >>"$T/pids"; wait' &
echo "\$!" >>"$T/pids"
echo "\$T" >"$T/dir"
wait_until 10 '[ \$(wc -l <"$T/pids") -eq 3 ]'
exit 1
EOF
sh "$T/sub1.sh" >"$T/sub.out" 2>&1
rc=$?
gone() { for p in $(cat "$T/pids"); do ! kill -0 "$p" 2>/dev/null || return 1; done; }
assert "a failing script exits with its status" '[ $rc -eq 1 ]'
assert "it had started 3 processes" '[ "$(wc -l <"$T/pids")" -eq 3 ]'
check "they are gone, the grandchild too" wait_until 10 gone
check "its temporary directory is removed" [ ! -e "$(cat "$T/dir")" ]

# ... and when it is stopped with SIGTERM (tests/run.sh's time limit).
cat >"$T/sub2.sh" <<EOF
. tests/lib.sh
sleep 300 &
echo "\$!" >"$T/pids2"
wait
EOF
sh "$T/sub2.sh" &
spid=$!
wait_until 10 '[ -s "$T/pids2" ]'
kill -TERM "$spid"
wait "$spid"
rc=$?
assert "a stopped script exits 143" '[ $rc -eq 143 ]'
check "its background process is gone" wait_until 10 '! kill -0 "$(cat "$T/pids2")" 2>/dev/null'

# wait_until: at once when true, false after its deadline and not much later.
t0=$(now_ms)
check "wait_until: true condition" wait_until 5 true
t1=$(now_ms)
wait_until 1 false
rc=$?
t2=$(now_ms)
assert "wait_until: a true condition returns at once ($((t1 - t0)) ms)" '[ $((t1 - t0)) -lt 1000 ]'
assert "wait_until: false after 1 s ($((t2 - t1)) ms)" '[ $rc -ne 0 ] && [ $((t2 - t1)) -ge 1000 ] && [ $((t2 - t1)) -lt 5000 ]'

# Two starts of the same daemon name: two log files, each start reads the
# port from its own.
if [ -x "$SWDFLASHD" ] && command -v curl >/dev/null 2>&1; then
	dstart r --probe "sim:state=$T/r.chip" || fail "first start"
	log1=$DLOG port1=$PORT
	check "first daemon stops" dstop
	dstart r --probe "sim:state=$T/r.chip" || fail "second start"
	assert "a new log file for the second start" '[ "$DLOG" != "$log1" ] && [ -s "$log1" ]'
	check "the second port ($PORT, first $port1) is the one in the second log" \
		grep -q "listening on http://127.0.0.1:$PORT/" "$DLOG"
	req GET /healthz
	check "the second daemon answers on that port" [ "$ST" = 200 ]
	check "second daemon stops" dstop
else
	echo "info: $SWDFLASHD not built or no curl: daemon starts not tried"
fi
finish
