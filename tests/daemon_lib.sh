# Shared helpers for the tests/t_daemon_*.sh black-box tests: start the real
# daemon (build/check/swdflashd, ASan+UBSan) on a random loopback port with
# --probe sim, talk to it with curl, read JSON with python3. Source it from
# the repository root.

SWDFLASHD=${SWDFLASHD:-build/check/swdflashd}
FIX=${SWDFLASH_FIXTURES:-../shared/fixtures}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

[ -x "$SWDFLASHD" ] || { echo "$SWDFLASHD is not built"; exit 77; }
for tool in curl python3; do
	command -v "$tool" >/dev/null 2>&1 || { echo "$tool not installed (make deps-check)"; exit 77; }
done

T=$(mktemp -d) || exit 1
DPID=
fails=0 checks=0
cleanup() {
	[ -n "$DPID" ] && kill -9 "$DPID" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
ok() { checks=$((checks + 1)); echo "ok   $*"; }
bad() { checks=$((checks + 1)); fails=$((fails + 1)); echo "FAIL $*"; }
check() { # DESCRIPTION COMMAND...
	d=$1; shift
	if "$@"; then ok "$d"; else bad "$d"; fi
}
finish() {
	echo "$checks checks, $fails failed"
	[ "$fails" -eq 0 ]
	exit $?
}

# dstart NAME [daemon args...]: start a daemon with state dir $T/NAME, log
# $T/NAME.log; sets DPID, PORT, URL, DLOG. Waits until it listens and the
# target has been identified once.
dstart() {
	name=$1; shift
	DLOG=$T/$name.log
	"$SWDFLASHD" --foreground --listen 127.0.0.1:0 --state-dir "$T/$name" "$@" \
		2>"$DLOG" &
	DPID=$!
	PORT=
	i=0
	while [ $i -lt 300 ]; do
		PORT=$(sed -n 's|.*listening on http://127\.0\.0\.1:\([0-9]*\)/.*|\1|p' "$DLOG" | head -n 1)
		[ -n "$PORT" ] && break
		kill -0 "$DPID" 2>/dev/null || break
		sleep 0.05
		i=$((i + 1))
	done
	if [ -z "$PORT" ]; then
		echo "daemon did not start:"; cat "$DLOG"; DPID=; return 1
	fi
	URL=http://127.0.0.1:$PORT
	i=0
	while [ $i -lt 200 ]; do
		curl -s "$URL/api/v1/target" -H "Authorization: Bearer ${TOKEN:-}" -o "$T/tgt.json" 2>/dev/null &&
			[ "$(jget "$T/tgt.json" 'd["connected"]')" = True ] && return 0
		sleep 0.05
		i=$((i + 1))
	done
	echo "target never connected:"; cat "$T/tgt.json"; return 1
}

# dstop: SIGTERM, wait; fails when the exit status is not 0 or the log holds
# a sanitizer report.
dstop() {
	[ -n "$DPID" ] || return 1
	kill -TERM "$DPID"
	wait "$DPID"
	rc=$?
	DPID=
	if grep -q 'Sanitizer\|runtime error:' "$DLOG"; then
		echo "sanitizer report in $DLOG:"; sed -n '/Sanitizer\|runtime error/,$p' "$DLOG" | head -n 60
		return 1
	fi
	[ $rc -eq 0 ] || { echo "daemon exit status $rc"; tail -n 20 "$DLOG"; }
	return $rc
}

# req METHOD PATH [curl args...]: body in $T/body, status in $ST, headers
# in $T/hdr. Adds the token when $TOKEN is set and NOAUTH is not.
req() {
	m=$1; p=$2; shift 2
	if [ -n "${TOKEN:-}" ] && [ -z "${NOAUTH:-}" ]; then
		set -- -H "Authorization: Bearer $TOKEN" "$@"
	fi
	ST=$(curl -s -X "$m" -D "$T/hdr" -o "$T/body" -w '%{http_code}' "$@" "$URL$p")
}

# jget FILE EXPR: evaluate EXPR on the parsed JSON d and print it.
jget() {
	python3 -c 'import json,sys
d=json.load(open(sys.argv[1]))
print(eval(sys.argv[2]))' "$1" "$2" 2>/dev/null
}

# header NAME: value of a response header of the last req.
header() {
	tr -d '\r' <"$T/hdr" | awk -v n="$1" 'BEGIN{IGNORECASE=1} tolower($0) ~ "^" tolower(n) ":" {sub(/^[^:]*: */,""); print; exit}'
}

# readmem ADDR LEN OUT: memory through the API.
readmem() {
	curl -sf -o "$3" ${TOKEN:+-H "Authorization: Bearer $TOKEN"} \
		"$URL/api/v1/target/memory?address=$1&length=$2&format=bin"
}

# hex_ranges HEX: "START END" lines (END exclusive) from srec_info.
hex_ranges() {
	srec_info "$1" -Intel | awk '
		/^Data:/ { sub(/^Data:/, "") }
		/^[ \t]*[0-9A-Fa-f]+ - [0-9A-Fa-f]+[ \t]*$/ { print $1, $3 }' |
	while read -r s e; do
		printf '%d %d\n' $((0x$s)) $((0x$e + 1))
	done
}

# chip_matches_hex HEX LABEL: every data range of HEX, read back through
# the API, equals srec_cat's bytes.
chip_matches_hex() {
	hx=$1; label=$2; n=0 good=1
	for r in $(hex_ranges "$hx" | tr ' ' ':'); do
		s=${r%:*}; e=${r#*:}
		srec_cat "$hx" -Intel -crop "$s" "$e" -offset "-$s" -o "$T/ref.bin" -Binary || good=0
		readmem "$s" $((e - s)) "$T/got.bin" || { echo "read $s failed"; good=0; break; }
		if ! cmp -s "$T/ref.bin" "$T/got.bin"; then
			printf '%s: range 0x%X..0x%X differs: %s\n' "$label" "$s" "$e" "$(cmp "$T/ref.bin" "$T/got.bin" 2>&1 | head -n 1)"
			good=0
		fi
		n=$((n + 1))
	done
	[ $n -gt 0 ] && [ $good = 1 ]
}

# rss PID: VmRSS in KiB; hwm PID: VmHWM in KiB.
rss() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
hwm() { awk '/^VmHWM:/ {print $2}' "/proc/$1/status"; }
