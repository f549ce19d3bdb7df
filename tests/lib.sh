# SPDX-License-Identifier: GPL-2.0-or-later
# tests/lib.sh: the one helper library of the black-box scripts
# (tests/t_*.sh). Source it from the repository root:
#
#	cd "$(dirname "$0")/.." || exit 1
#	. tests/lib.sh
#
# Sourcing it makes a private temporary directory $T and installs a trap
# that, however the script ends (exit, failure, SIGTERM from tests/run.sh's
# timeout), kills every process the script started and removes $T.
#
# Results (one convention for every script; tests/run.sh reads the status):
#   ok DESC             a passed check
#   fail DESC           a failed check; the script goes on (bad: old name)
#   check DESC CMD...   runs CMD (one simple command): ok if it succeeds.
#                       `check D [ a ] && [ b ]` checks only [ a ]: for a
#                       combined condition use assert (tests/t_lint.sh
#                       refuses the other shape)
#   assert DESC COND    evaluates the shell condition string COND here
#                       (variables and functions visible): ok if true
#   die MSG             a failure after which nothing else makes sense:
#                       prints it and the summary, exit 1
#   skip REASON         exit 77, REASON on the last line
#   finish [MSG]        summary "N checks, N failed" (and MSG when all
#                       passed); exit 0 or 1. Also fails on a sanitizer
#                       report in any log of a daemon started by dlaunch.
#
# Waiting: wait_until SECONDS COND polls COND every 50 ms until it holds,
# false after SECONDS. Never a fixed sleep.
#
# The daemon: need_daemon; dlaunch NAME ARGS (random port, fresh log),
# dstart NAME ARGS (also waits for the target), dstop; req, job_wait, jget,
# header, readmem, chip_matches_hex, rss, hwm.
# The CLI: need_cli; expect CODE CMD... (stdout in $T/out, stderr $T/err).
# The emulated GPIO chip: need_emu; emu, ocd, json.

TOP=$(pwd)
FIX=${SWDFLASH_FIXTURES:-../shared/fixtures}
SWDFLASHD=${SWDFLASHD:-build/check/swdflashd}
SWDFLASH=${SWDFLASH_BIN:-build/check/swdflash}
EMU_SO=${GPIOCHIP_EMU_SO:-$TOP/build/gpiochip_emu.so}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

T=$(mktemp -d "${TMPDIR:-/tmp}/swdflash-test.XXXXXX") || { echo "mktemp failed"; exit 1; }
# where swdflash keeps the bytes outside an image across an erase
# (daemon/pagekeep.h): per test, so no test restores another's pages
export SWDFLASH_KEEP_DIR="$T/cli-keep"
DPID=
checks=0 fails=0

# ---- cleanup ----

# The descendants of process $1, each before its own children.
lib_descendants() {
	for _c in $(ps -o pid= --ppid "$1" 2>/dev/null); do
		echo "$_c"
		lib_descendants "$_c"
	done
}

lib_cleanup() {
	trap - EXIT HUP INT TERM
	# Everything this script started and that still runs: daemons, the
	# helpers of a failed step, their children.
	_pids=$(lib_descendants $$)
	[ -n "$_pids" ] && kill -9 $_pids 2>/dev/null
	for _p in $_pids; do wait "$_p" 2>/dev/null; done
	rm -rf "$T"
}
trap lib_cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

# ---- results ----

ok() { checks=$((checks + 1)); echo "ok   $*"; }
fail() { checks=$((checks + 1)); fails=$((fails + 1)); echo "FAIL $*"; }
bad() { fail "$@"; }
check() { # DESC CMD...
	_d=$1; shift
	if "$@"; then ok "$_d"; else fail "$_d"; fi
}
assert() { # DESC CONDITION
	if eval "$2"; then ok "$1"; else fail "$1"; fi
}
skip() { echo "$*"; exit 77; }
die() { fail "$*"; finish; }

finish() {
	for _l in "$T"/dlog/*.log; do
		[ -e "$_l" ] || continue
		if grep -q 'Sanitizer\|runtime error:' "$_l"; then
			fail "sanitizer report in the daemon log $(basename "$_l"):"
			sed -n '/Sanitizer\|runtime error/,$p' "$_l" | head -n 60
		fi
	done
	echo "$checks checks, $fails failed"
	if [ "$fails" -ne 0 ]; then
		exit 1
	fi
	[ $# -gt 0 ] && echo "$*"
	exit 0
}

# need TOOL HINT: skip unless TOOL is installed.
# need_fixtures: skip when the vendor firmware images (not ours to ship,
# so a plain clone has none) are missing.
need_fixtures() {
	[ -d "$FIX" ] || skip "no vendor firmware images in $FIX: set SWDFLASH_FIXTURES to the folder that holds them"
}

need() {
	command -v "$1" >/dev/null 2>&1 || skip "$1 not installed ($2)"
}

# ---- waiting ----

now_ms() { date +%s%3N; }

# wait_until SECONDS CONDITION: true as soon as the shell condition string
# holds (polled every 50 ms), false once SECONDS have passed without. (Not
# reentrant: CONDITION must not call wait_until.)
wait_until() {
	_wu_end=$(($(now_ms) + $1 * 1000))
	while ! eval "$2"; do
		[ "$(now_ms)" -lt "$_wu_end" ] || return 1
		sleep 0.05
	done
}

# alive PID: the process runs (a zombie that waits to be reaped does not).
alive() {
	case $(ps -o stat= -p "$1" 2>/dev/null) in
	'' | Z*) return 1 ;;
	esac
}

# term_wait PID [SECONDS]: SIGTERM, then wait for PID (a child of this
# shell) to end, 60 s at most (then SIGKILL, status 1); its exit status.
term_wait() {
	_tw_pid=$1
	kill -TERM "$_tw_pid" 2>/dev/null
	if ! wait_until "${2:-60}" '! alive "$_tw_pid"'; then
		echo "process $_tw_pid still running ${2:-60} s after SIGTERM: killed"
		kill -9 "$_tw_pid" 2>/dev/null; wait "$_tw_pid" 2>/dev/null
		return 1
	fi
	wait "$_tw_pid"
}

# ---- the daemon ----

need_daemon() {
	[ -x "$SWDFLASHD" ] || skip "$SWDFLASHD is not built"
	need curl "make deps-check"
	need python3 "make deps-check"
}

# Deadlines for the daemon (ASan build, loaded machine): start, first
# identify, stop after SIGTERM.
DSTART_S=${DSTART_S:-60}
DSTOP_S=${DSTOP_S:-60}

lib_port() {
	PORT=$(sed -n 's|.*listening on http://127\.0\.0\.1:\([0-9]*\)/.*|\1|p' "$DLOG" | head -n 1)
	[ -n "$PORT" ] && return 0
	alive "$DPID" || return 0   # gone: stop waiting
	return 1
}

# dlaunch NAME [daemon args...]: start a daemon on a random loopback port
# (args may override --listen) with state dir $T/NAME and a new log file
# $DLOG under $T/dlog/ for every start, so a restart never reads the
# previous daemon's lines. Sets DPID, PORT, URL, DLOG; waits until the
# daemon says where it listens.
dlaunch() {
	_name=$1; shift
	mkdir -p "$T/dlog"
	DLOG=$(mktemp --suffix=.log "$T/dlog/$_name.XXXXXX")
	"$SWDFLASHD" --foreground --listen 127.0.0.1:0 --state-dir "$T/$_name" "$@" 2>"$DLOG" &
	DPID=$!
	PORT= URL=
	if ! wait_until "$DSTART_S" lib_port; then
		echo "daemon not listening after $DSTART_S s:"; cat "$DLOG"; return 1
	fi
	if [ -z "$PORT" ]; then
		wait "$DPID"
		echo "daemon exited (status $?) before listening:"; cat "$DLOG"; DPID=; return 1
	fi
	URL=http://127.0.0.1:$PORT
}

lib_connected() {
	curl -s --max-time 10 "$URL/api/v1/target" -H "Authorization: Bearer ${TOKEN:-}" \
		-o "$T/tgt.json" 2>/dev/null &&
		[ "$(jget "$T/tgt.json" 'd["connected"]')" = True ]
}

# dstart NAME [daemon args...]: dlaunch, then wait until the target has
# been identified once.
dstart() {
	dlaunch "$@" || return 1
	rm -f "$T/tgt.json"
	wait_until "$DSTART_S" lib_connected && return 0
	echo "target not connected after $DSTART_S s:"; cat "$T/tgt.json"; return 1
}

# dstop: SIGTERM, wait (with a deadline); fails when the exit status is not
# 0 or the log holds a sanitizer report.
dstop() {
	[ -n "$DPID" ] || return 1
	term_wait "$DPID" "$DSTOP_S"
	_rc=$?
	DPID=
	if grep -q 'Sanitizer\|runtime error:' "$DLOG"; then
		echo "sanitizer report in $DLOG:"; sed -n '/Sanitizer\|runtime error/,$p' "$DLOG" | head -n 60
		return 1
	fi
	[ $_rc -eq 0 ] || { echo "daemon exit status $_rc"; tail -n 20 "$DLOG"; }
	return $_rc
}

# req METHOD PATH [curl args...]: body in $T/body, status in $ST, headers
# in $T/hdr. Adds the token when $TOKEN is set and NOAUTH is not.
req() {
	_m=$1; _p=$2; shift 2
	if [ -n "${TOKEN:-}" ] && [ -z "${NOAUTH:-}" ]; then
		set -- -H "Authorization: Bearer $TOKEN" "$@"
	fi
	ST=$(curl -s --max-time "${REQ_S:-300}" -X "$_m" -D "$T/hdr" -o "$T/body" -w '%{http_code}' "$@" "$URL$_p")
}

# job_wait PATH [SECONDS]: poll the job at PATH (/api/v1/jobs/ID) until it
# has ended, 300 s at most; its last answer in $T/body, its state in $JSTATE.
lib_job_ended() {
	req GET "$_jw_path"
	JSTATE=$(jget "$T/body" 'd["state"]')
	case $JSTATE in '' | queued | running) return 1 ;; esac
}
job_wait() {
	_jw_path=$1
	wait_until "${2:-300}" lib_job_ended
}

# jget FILE EXPR: the Python expression EXPR on the parsed JSON d; a tuple
# prints as its items separated by spaces. Nothing on a parse error.
jget() {
	python3 -c 'import json,sys
d=json.load(open(sys.argv[1]))
v=eval(sys.argv[2])
print(*v) if isinstance(v, tuple) else print(v)' "$1" "$2" 2>/dev/null
}

# json FILE KEY.KEY...: one value of a JSON file ("sim.cycles").
json() {
	python3 -c 'import json,sys
v = json.load(open(sys.argv[1]))
for k in sys.argv[2].split("."):
    v = v[k]
print(v)' "$1" "$2"
}

# header NAME: value of a response header of the last req.
header() {
	tr -d '\r' <"$T/hdr" | awk -v n="$1" 'tolower($0) ~ "^" tolower(n) ":" {sub(/^[^:]*: */,""); print; exit}'
}

# readmem ADDR LEN OUT: memory through the API.
readmem() {
	curl -sf --max-time "${REQ_S:-300}" -o "$3" ${TOKEN:+-H "Authorization: Bearer $TOKEN"} \
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
	_hx=$1; _label=$2; _n=0 _good=1
	for _r in $(hex_ranges "$_hx" | tr ' ' ':'); do
		_s=${_r%:*}; _e=${_r#*:}
		srec_cat "$_hx" -Intel -crop "$_s" "$_e" -offset "-$_s" -o "$T/ref.bin" -Binary || _good=0
		readmem "$_s" $((_e - _s)) "$T/got.bin" || { echo "read $_s failed"; _good=0; break; }
		if ! cmp -s "$T/ref.bin" "$T/got.bin"; then
			printf '%s: range 0x%X..0x%X differs: %s\n' "$_label" "$_s" "$_e" \
				"$(cmp "$T/ref.bin" "$T/got.bin" 2>&1 | head -n 1)"
			_good=0
		fi
		_n=$((_n + 1))
	done
	[ $_n -gt 0 ] && [ $_good = 1 ]
}

# rss PID: VmRSS in KiB; hwm PID: VmHWM in KiB.
rss() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
hwm() { awk '/^VmHWM:/ {print $2}' "/proc/$1/status"; }

# ---- the CLI ----

need_cli() {
	[ -x "$SWDFLASH" ] || skip "$SWDFLASH is not built"
	[ -d "$FIX" ] || skip "no fixtures in $FIX"
	need python3 "make deps-check"
}

# expect CODE CMD...: run CMD with stdout in $T/out and stderr in $T/err;
# a check that it exits with CODE.
expect() {
	_want=$1; shift
	"$@" >"$T/out" 2>"$T/err"
	_got=$?
	if [ "$_got" -eq "$_want" ]; then
		ok "exit $_want: $*"
	else
		fail "exit $_got, expected $_want: $*"
		sed 's/^/  /' "$T/err"
	fi
}

# ---- unmodified programs on the emulated Raspberry Pi GPIO chip ----
#   emu SIMSPEC STATS CMD...   CMD with build/gpiochip_emu.so preloaded;
#                              SIMSPEC is GPIOCHIP_EMU_SIM
#                              ("part=nrf52840,state=PATH"), STATS the JSON
#                              counter file ("" = none; read it with json)
#   ocd SIMSPEC STATS LOG CMDS OpenOCD 0.12 through libgpiod v1 on it

need_emu() {
	[ -f "$EMU_SO" ] || die "$EMU_SO missing (make tests-extra)"
}

emu() {
	_spec=$1 _stats=$2
	shift 2
	env GPIOCHIP_EMU_SIM="$_spec" GPIOCHIP_EMU_STATS="$_stats" \
		ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
		LD_PRELOAD="$EMU_SO" "$@"
}

# The blog post's configuration (linuxgpiod, GPIO25/24) with unmodified
# target/nrf52.cfg and its defaults: a 16 KiB work area, so OpenOCD runs its
# flash loader and its CRC algorithm on the simulated core (sim/core.c).
OCD_BASE='gdb_port disabled; tcl_port disabled; telnet_port disabled; adapter driver linuxgpiod; adapter gpio swclk 25 -chip 0; adapter gpio swdio 24 -chip 0; transport select swd'
OCD_CFG="$OCD_BASE; source [find target/nrf52.cfg]"
# WORKAREASIZE 0: a handicapped OpenOCD (no flash loader, no on-target CRC),
# kept only for the labelled extra row of bench/gpiod_vs_openocd.sh.
OCD_CFG_NOWA="$OCD_BASE; set WORKAREASIZE 0; source [find target/nrf52.cfg]"

# need_openocd_driver NAME: skip unless OpenOCD is installed and has the
# adapter driver NAME (Debian 13's openocd 0.12.0-3 has no linuxgpiod: its
# libgpiod is v2, which OpenOCD 0.12's driver predates)
need_openocd_driver() {
	command -v openocd >/dev/null || skip "openocd missing (Debian package openocd)"
	timeout 60 openocd -c 'echo [adapter list]; shutdown' >"$T/ocd-drivers" 2>&1
	grep -q "^[0-9]*: $1\$" "$T/ocd-drivers" ||
		skip "this OpenOCD ($(head -n 1 "$T/ocd-drivers")) has no '$1' adapter driver (openocd -c 'echo [adapter list]' lists those it has; Debian 13's is built without linuxgpiod)"
}

ocd() { # SIMSPEC STATS LOG COMMANDS...
	_spec=$1 _stats=$2 _log=$3
	shift 3
	set -- -c "${OCD_CONFIG:-$OCD_CFG}" "$@"
	emu "$_spec" "$_stats" timeout -k 10 600 openocd "$@" >"$_log" 2>&1
}

# ---- unmodified programs on the emulated ST-Link (tests/stlink_emu/) ----
#   stl SIMSPEC EMUSPEC STATS CMD...    CMD with an emulated ST-Link plugged in
#                                       (tests/with-stlink); STATS: the JSON
#                                       counter file ("" = none)
#   stlink_ocd SIMSPEC EMUSPEC STATS LOG IFACE CMDS...
#                                       OpenOCD 0.12 with -f interface/IFACE.cfg
#                                       (stlink = HLA, stlink-dap = dapdirect)
#                                       -f target/nrf52.cfg and its defaults
#                                       (16 KiB work area: the flash loader
#                                       and the CRC algorithm run on the
#                                       simulated core; ocd_used_algorithms)
#   stlink_ocd_nowa ...                 the same with `set WORKAREASIZE 0`
#                                       (the detector's negative control and
#                                       the labelled extra bench row only)
STLINK_SO=${STLINK_EMU_SO:-$TOP/build/stlink_emu.so}

need_stlink_emu() {
	[ -f "$STLINK_SO" ] || die "$STLINK_SO missing (make tests-extra)"
}

stl() { # SIMSPEC EMUSPEC STATS CMD...
	_ss=$1 _se=$2 _st=$3
	shift 3
	STLINK_EMU_SO=$STLINK_SO STLINK_EMU_STATS=$_st "$TOP/tests/with-stlink" "$_ss" "$_se" -- "$@"
}

lib_stlink_ocd() { # PRE SIMSPEC EMUSPEC STATS LOG IFACE COMMANDS...
	_pre=$1 _ss=$2 _se=$3 _st=$4 _log=$5 _if=$6
	shift 6
	set -- -f target/nrf52.cfg "$@"
	if [ -n "$_pre" ]; then set -- -c "$_pre" "$@"; fi
	stl "$_ss" "$_se" "$_st" timeout -k 10 600 openocd \
		-c 'gdb_port disabled; tcl_port disabled; telnet_port disabled' \
		-f "interface/$_if.cfg" "$@" >"$_log" 2>&1
}
stlink_ocd() { lib_stlink_ocd '' "$@"; }
stlink_ocd_nowa() { lib_stlink_ocd 'set WORKAREASIZE 0' "$@"; }

ocd_nowa() { # SIMSPEC STATS LOG COMMANDS...: ocd with WORKAREASIZE 0
	OCD_CONFIG=$OCD_CFG_NOWA ocd "$@"
}

# ocd_used_algorithms LOG: OpenOCD wrote through its flash loader and
# checked with its CRC algorithm: none of the messages it prints when it
# falls back to host-side writes or reads.
ocd_used_algorithms() {
	! grep -q -i -e 'falling back to slow memory writes' -e 'no working area available' \
		-e 'timed out while waiting for target halted' \
		-e 'error waiting for target flash write algorithm' \
		-e 'error executing .*crc algorithm' "$1"
}

# ---- the browser tests: Debian's chromium driven by playwright-core ----
# need_playwright: skips without chromium, node or (for the first install)
# npm; sets CHROMIUM and NODEDIR (build/node, shared by every browser test).
# Pinned: the newest playwright-core whose engines field accepts Debian 12's
# nodejs 18 (1.62 and later need Node 20); tested with nodejs 18.19 (Debian
# 12), 20 and 22 (Debian 13) and Debian's chromium. playwright-core brings
# no browser of its own: it drives /usr/bin/chromium. The install holds a
# lock, so browser tests run in parallel never install into one folder at
# once.
PLAYWRIGHT=1.61.1
need_playwright() {
	CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
	[ -x "$CHROMIUM" ] || skip "chromium not installed (make deps-check)"
	need node "make deps-check"
	NODEDIR=$TOP/build/node
	mkdir -p "$NODEDIR"
	exec 8>"$NODEDIR/.install.lock"
	flock -w 300 8 || skip "another test held $NODEDIR/.install.lock for 300 s"
	_have=$(node -p "require('$NODEDIR/node_modules/playwright-core/package.json').version" 2>/dev/null)
	if [ "$_have" != "$PLAYWRIGHT" ]; then
		command -v npm >/dev/null 2>&1 || skip "npm not installed: cannot fetch playwright-core"
		[ -f "$NODEDIR/package.json" ] || echo '{"private": true}' >"$NODEDIR/package.json"
		echo "installing playwright-core $PLAYWRIGHT into $NODEDIR"
		(cd "$NODEDIR" && npm install --no-audit --no-fund --loglevel=error "playwright-core@$PLAYWRIGHT") ||
			skip "npm install playwright-core failed (no registry?)"
	fi
	exec 8>&-
}
