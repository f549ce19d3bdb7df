#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# `make run`: start swdflashd in the foreground.
#
# On a Raspberry Pi (a GPIO chip labelled pinctrl-bcm2835/-bcm2711/-rp1) it
# drives the real GPIO probe; anywhere else it runs against the SIMULATED
# nRF52840 (whose flash persists in the state directory) and says so.
# Environment: SWDFLASHD_STATE_DIR (default build/run-state),
# SWDFLASHD_LISTEN (default 127.0.0.1:8080), SWDFLASHD_PROBE (override).
cd "$(dirname "$0")/.." || exit 1
BIN=build/rel/swdflashd
STATE=${SWDFLASHD_STATE_DIR:-$PWD/build/run-state}
LISTEN=${SWDFLASHD_LISTEN:-127.0.0.1:8080}
[ -x "$BIN" ] || { echo "run.sh: $BIN is not built (make all)" >&2; exit 1; }
mkdir -p "$STATE" || exit 1

is_pi() {
	for d in /sys/bus/gpio/devices/gpiochip* /sys/class/gpio/gpiochip*; do
		[ -r "$d/label" ] || continue
		case "$(cat "$d/label")" in pinctrl-bcm2835|pinctrl-bcm2711|pinctrl-rp1) return 0 ;; esac
	done
	if command -v gpiodetect >/dev/null 2>&1; then
		gpiodetect 2>/dev/null | grep -Eq 'pinctrl-(bcm2835|bcm2711|rp1)' && return 0
	fi
	return 1
}

if [ -n "${SWDFLASHD_PROBE:-}" ]; then
	PROBE=$SWDFLASHD_PROBE
	echo "run.sh: probe $PROBE (from SWDFLASHD_PROBE)"
elif is_pi; then
	PROBE=gpiod:chip=auto
	echo "run.sh: Raspberry Pi GPIO found: using the real probe $PROBE (SWCLK GPIO25, SWDIO GPIO24)"
else
	# realtime=1: the simulated chip at a 1 MHz SWCLK takes as long as
	# silicon would, so the page's progress and KiB/s are believable.
	PROBE="sim:part=nrf52840,realtime=1,state=$STATE/sim-chip.bin"
	echo "run.sh: ******************************************************************"
	echo "run.sh: no Raspberry Pi GPIO chip here: using a SIMULATED nRF52840"
	echo "run.sh: (its flash is kept in $STATE/sim-chip.bin; it runs in real time"
	echo "run.sh: at a 1 MHz SWCLK). Nothing real is flashed."
	echo "run.sh: ******************************************************************"
fi

# a token so that the demo is not an open door; printed for the curl examples
if [ ! -s "$STATE/token" ]; then
	(umask 077 && head -c 24 /dev/urandom | base64 | tr -d '=+/' >"$STATE/token") || exit 1
fi
TOKEN=$(cat "$STATE/token")
PORT=${LISTEN##*:}
case $LISTEN in
'*:'* | 0.0.0.0:* | '[::]:'*) HOST=127.0.0.1 ;;
*) HOST=${LISTEN%:*} ;;
esac
DEMO=$PWD/demo/blinky.hex
examples() {
	cat <<MSG
run.sh: state directory $STATE
run.sh: token (in $STATE/token): $TOKEN
run.sh: try (demo/blinky.hex is the demo firmware; it blinks LED1 of an nRF52 DK):
  curl -s http://$HOST:$PORT/api/v1/target
  curl -sf -H "Authorization: Bearer $TOKEN" --data-binary @$DEMO \\
       'http://$HOST:$PORT/api/v1/flash?wait=1'
  curl -s http://$HOST:$PORT/api/v1/jobs
run.sh: and open http://$HOST:$PORT/ in a browser. Ctrl-C stops the daemon.
MSG
}

# The examples come after the daemon's own "listening on" line, never
# before a failure to listen (a busy port: SWDFLASHD_LISTEN picks another).
# Ctrl-C (SIGINT to the whole group) stops only the daemon: the shells wait
# for it (trap :, so the daemon keeps the default action) and the filter
# ignores it, so the daemon's clean stop is still shown.
RC=$STATE/.run-rc
rm -f "$RC"
trap : INT
{
	trap : INT
	"$BIN" --foreground --listen "$LISTEN" --probe "$PROBE" --state-dir "$STATE" \
		--token-file "$STATE/token" ${SWDFLASHD_CONFIG:+--config "$SWDFLASHD_CONFIG"} 2>&1
	echo $? >"$RC"
} | {
	trap '' INT
	while IFS= read -r line; do
		printf '%s\n' "$line"
		case $line in *" listening on http://"*) examples ;; esac
	done
}
rc=$(cat "$RC" 2>/dev/null)
rm -f "$RC"
case $rc in
0) exit 0 ;;
'') exit 1 ;;
esac
echo "run.sh: swdflashd exited with status $rc" >&2
exit "$rc"
