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
cat <<MSG
run.sh: state directory $STATE, listening on http://$LISTEN/
run.sh: token (in $STATE/token): $TOKEN
run.sh: try:
  curl -s http://127.0.0.1:$PORT/api/v1/target
  curl -sf -H "Authorization: Bearer $TOKEN" --data-binary @../shared/fixtures/s140_nrf52_6.1.1_softdevice.hex \\
       'http://127.0.0.1:$PORT/api/v1/flash?wait=1'
  curl -s http://127.0.0.1:$PORT/api/v1/jobs
run.sh: Ctrl-C stops the daemon.
MSG
exec "$BIN" --foreground --listen "$LISTEN" --probe "$PROBE" --state-dir "$STATE" \
	--token-file "$STATE/token" ${SWDFLASHD_CONFIG:+--config "$SWDFLASHD_CONFIG"}
