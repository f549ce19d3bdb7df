#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Run every test program and script; print one summary line at the end.
# Check suites are build/check/tests/check_*; scripts are tests/t_*.sh.
# A script exits 0 (pass), 77 (skipped: it says why on its last line) or
# anything else (fail).
#
# They run in parallel (each uses its own temporary directory and random
# ports), TEST_JOBS at a time (default: the number of CPUs, at least 2, at
# most 4), the ones that took longest last time first. Each one's output
# goes to build/test-logs/NAME.log, and one that runs longer than
# TEST_TIMEOUT seconds (default 1200) is stopped and fails. The summary
# comes in name order whatever the order of finishing.
#
#   sh tests/run.sh [NAME...]    only these (check_link t_sse ...)
cd "$(dirname "$0")/.." || exit 1
LOGS=build/test-logs
mkdir -p "$LOGS"
ncpu=$(nproc 2>/dev/null || echo 2)
[ "$ncpu" -lt 2 ] && ncpu=2
[ "$ncpu" -gt 4 ] && ncpu=4
jobs=${TEST_JOBS:-$ncpu}
limit=${TEST_TIMEOUT:-1200}
case "$jobs$limit" in
*[!0-9]*) echo "run.sh: TEST_JOBS and TEST_TIMEOUT are whole numbers" >&2; exit 2 ;;
esac
[ "$jobs" -ge 1 ] || jobs=1

# The list, in summary order: Check suites, then scripts, each by name.
list=
for t in build/check/tests/check_* tests/t_*.sh; do
	[ -e "$t" ] || continue
	case "$t" in *.o|*.d) continue ;; esac
	name=$(basename "$t" .sh)
	# a suite whose source is gone (renamed or split) is a stale binary
	case "$t" in build/*) [ -f "tests/$name.c" ] || continue ;; esac
	if [ $# -gt 0 ]; then
		want=0
		for a in "$@"; do [ "$a" = "$name" ] && want=1; done
		[ $want = 1 ] || continue
	fi
	list="$list $t"
done
[ -n "$list" ] || { echo "run.sh: nothing to run"; exit 1; }

# Start order: longest first by the last run's durations (unknown ones
# first of all), so that a long test does not start last.
order() {
	for t in $list; do
		n=$(basename "$t" .sh)
		d=$(awk -v n="$n" '$1 == n { print $2 }' "$LOGS/durations" 2>/dev/null)
		echo "${d:-999999} $t"
	done | sort -k1,1nr -k2 | cut -d' ' -f2
}

# run_one PATH NAME: run it under the time limit, status and seconds in
# $LOGS/NAME.rc.
run_one() {
	log=$LOGS/$2.log
	s=$(date +%s)
	case "$1" in
	*.sh) set -- "$2" sh "$1" ;;
	*) set -- "$2" env CK_DEFAULT_TIMEOUT="${CK_DEFAULT_TIMEOUT:-120}" "$1" ;;
	esac
	n=$1; shift
	# timeout runs the test in a process group of its own and signals the
	# whole group (the test's daemons too): TERM, then KILL 10 s later.
	timeout -k 10 "$limit" "$@" </dev/null >"$log" 2>&1 3>&- &
	echo $! >"$LOGS/$n.pid"
	wait $!
	rc=$?
	rm -f "$LOGS/$n.pid"
	case $rc in
	124 | 137) echo "run.sh: stopped after $limit s (TEST_TIMEOUT)" >>"$log" ;;
	esac
	echo "$rc $(($(date +%s) - s))" >"$LOGS/$n.rc"
}

stop_all() {
	for f in "$LOGS"/*.pid; do
		[ -e "$f" ] && kill -TERM "$(cat "$f")" 2>/dev/null
	done
	exit 130
}
trap stop_all INT TERM HUP

t0=$(date +%s)
total=0
for t in $list; do
	n=$(basename "$t" .sh)
	rm -f "$LOGS/$n.log" "$LOGS/$n.rc" "$LOGS/$n.pid"
	total=$((total + 1))
done

# The pool: a job writes its name into the FIFO when it ends; reading one
# line waits for a free slot.
fifo=$LOGS/.pool.$$
rm -f "$fifo"
mkfifo "$fifo" || exit 1
exec 3<>"$fifo"
rm -f "$fifo"
running=0 ended=0
reap() {
	read -r n <&3
	running=$((running - 1)); ended=$((ended + 1))
	read -r rc secs <"$LOGS/$n.rc"
	case $rc in
	0) r=pass ;; 77) r=skip ;; 124 | 137) r="FAIL (timed out)" ;; *) r="FAIL (exit $rc)" ;;
	esac
	echo "[$ended/$total] $n: $r, $secs s"
}
for t in $(order); do
	[ $running -lt "$jobs" ] || reap
	n=$(basename "$t" .sh)
	(run_one "$t" "$n"; echo "$n" >&3) &
	running=$((running + 1))
done
while [ $running -gt 0 ]; do reap; done
wait
exec 3>&-

# The summary, in list order.
pass=0 fail=0 skip=0 failed=
: >"$LOGS/durations.new"
for t in $list; do
	name=$(basename "$t" .sh)
	log=$LOGS/$name.log
	read -r rc secs <"$LOGS/$name.rc"
	echo "$name $secs" >>"$LOGS/durations.new"
	if [ "$rc" -eq 0 ]; then
		pass=$((pass + 1)); echo "PASS $name"
		grep -E '^[0-9]+%: Checks' "$log" | sed 's/^/     /'
	elif [ "$rc" -eq 77 ]; then
		skip=$((skip + 1)); echo "SKIP $name: $(tail -n 1 "$log")"
	else
		case $rc in
		124 | 137) why="timed out after $limit s" ;; *) why="exit $rc" ;;
		esac
		fail=$((fail + 1)); failed="$failed $name"; echo "FAIL $name ($why)"
		tail -n 40 "$log" | sed 's/^/     /'
	fi
done
# keep the durations of the tests not run this time
[ -f "$LOGS/durations" ] && awk 'NR == FNR { seen[$1] = 1; next } !($1 in seen)' \
	"$LOGS/durations.new" "$LOGS/durations" >>"$LOGS/durations.new"
mv "$LOGS/durations.new" "$LOGS/durations"
echo
echo "wall time $(($(date +%s) - t0)) s, $jobs at a time"
[ -n "$failed" ] && echo "failed:$failed"
echo "$pass passed, $fail failed, $skip skipped"
[ $fail -eq 0 ]
