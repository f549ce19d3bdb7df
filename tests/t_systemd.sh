#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# systemd integration: the units pass `systemd-analyze verify`; `make install
# DESTDIR=` puts every file where the unit expects it (and uninstall removes
# them); sd_notify READY/WATCHDOG/STATUS/STOPPING on a NOTIFY_SOCKET this test
# owns (tests/web/notify.py); socket activation with systemd-socket-activate.
cd "$(dirname "$0")/.." || exit 1
. tests/lib.sh
need_daemon

for tool in systemd-analyze; do
	need "$tool" "Debian systemd"
done

# ---- make install DESTDIR=... ----
D=$T/root
# where this system's systemd and udev want the files (pkg-config)
make --no-print-directory -s print-install-dirs PREFIX=/usr >"$T/dirs" && . "$T/dirs"
make --no-print-directory -s install DESTDIR="$D" PREFIX=/usr >"$T/install.log" 2>&1
check "make install DESTDIR=... PREFIX=/usr" [ $? -eq 0 ]
UNIT=$D$SYSTEMDUNITDIR/swdflashd.service
EXAMPLE=$DOCDIR/examples/swdflashd.conf.example
for f in "$BINDIR/swdflashd" "$BINDIR/swdflash" "$SYSTEMDUNITDIR/swdflashd.service" \
	"$SYSTEMDUNITDIR/swdflashd.socket" "$UDEVRULESDIR/60-swdflashd-stlink.rules" "$EXAMPLE"; do
	check "installed $f" [ -f "$D$f" ]
done
EXEC=$(sed -n 's/^ExecStart=\([^ ]*\).*/\1/p' "$UNIT")
check "ExecStart= ($EXEC) is the installed binary" [ -x "$D$EXEC" ]
check "ExecStart= runs in the foreground (Type=notify, no fork)" grep -q '^ExecStart=.* --foreground' "$UNIT"
check "Type=notify" grep -q '^Type=notify' "$UNIT"
check "with a watchdog" grep -q '^WatchdogSec=' "$UNIT"
# StateDirectory=swdflashd is /var/lib/swdflashd: the daemon's default state dir
check "StateDirectory= matches the daemon's default state dir" \
	sh -c "grep -q '^StateDirectory=swdflashd\$' '$UNIT' && '$D$EXEC' --help | grep -q 'default /var/lib/swdflashd'"
# ConfigurationDirectory=swdflashd is where the daemon looks for its config
# and LoadCredential= for the token; the unit names the installed example
check "ConfigurationDirectory=swdflashd" grep -q '^ConfigurationDirectory=swdflashd$' "$UNIT"
check "Documentation= names the installed example config" grep -q "^Documentation=file:$EXAMPLE\$" "$UNIT"
check "the daemon's default config is in that directory" \
	sh -c "'$D$EXEC' --help | grep -q '/etc/swdflashd/swdflashd.conf'"
check "LoadCredential=token: from the configuration directory" grep -q '^LoadCredential=token:/etc/swdflashd/' "$UNIT"
for k in ProtectSystem=strict ProtectHome= PrivateTmp= NoNewPrivileges= DevicePolicy=closed DeviceAllow= \
	RestrictAddressFamilies= SystemCallFilter=@system-service CapabilityBoundingSet= Restart=on-failure \
	SupplementaryGroups=; do
	check "unit sets $k" grep -q "^$k" "$UNIT"
done
check "udev rules name every ST-Link product id" sh -c \
	"for id in 3748 374b 374a 3752 374e 374f 3753 3754; do grep -q \"idProduct}==\\\"\$id\\\".*GROUP=\\\"plugdev\\\"\" '$D$UDEVRULESDIR/60-swdflashd-stlink.rules' || exit 1; done"

# ---- systemd-analyze verify (ExecStart pointed at the DESTDIR binary) ----
V=$T/verify
mkdir -p "$V"
sed "s|^ExecStart=$EXEC|ExecStart=$D$EXEC|" "$UNIT" >"$V/swdflashd.service"
cp "$D$SYSTEMDUNITDIR/swdflashd.socket" "$V/"
SYSTEMD_LOG_LEVEL=notice systemd-analyze verify "$V/swdflashd.service" "$V/swdflashd.socket" >"$T/verify.log" 2>&1
rc=$?
check "systemd-analyze verify: no error" [ $rc -eq 0 ]
check "systemd-analyze verify: no warning" [ ! -s "$T/verify.log" ]
cat "$T/verify.log"
if systemd-analyze security --help 2>/dev/null | grep -q -- '--offline'; then
	systemd-analyze security --offline=yes "$V/swdflashd.service" >"$T/security.log" 2>&1
	score=$(sed -n 's/.*Overall exposure level for swdflashd.service: \([0-9.]*\).*/\1/p' "$T/security.log")
	echo "systemd-analyze security: exposure $score"
	check "systemd-analyze security: exposure below 2.5 ($score)" \
		awk -v s="$score" 'BEGIN { exit !(s != "" && s + 0 < 2.5) }'
fi

make --no-print-directory -s uninstall DESTDIR="$D" PREFIX=/usr >>"$T/install.log" 2>&1
left=$(find "$D" -type f | wc -l)
check "make uninstall removes every installed file ($left left)" [ "$left" -eq 0 ]

# ---- sd_notify ----
if [ -x /usr/bin/python3 ]; then
	/usr/bin/python3 tests/web/notify.py "$SWDFLASHD" "$T/notify" demo/blinky.hex
	check "sd_notify: READY after listening, WATCHDOG, STATUS, STOPPING" [ $? -eq 0 ]
	# the helper crashing half way (no such image) leaves no daemon behind
	/usr/bin/python3 tests/web/notify.py "$SWDFLASHD" "$T/crash" "$T/no-such.hex" >"$T/crash.log" 2>&1
	check "notify.py with a missing image fails" [ $? -ne 0 ]
	left() { ps -eo pid=,args= | grep -F -- "--state-dir $T/crash/st" | grep -v grep; }
	wait_until 30 '[ -z "$(left)" ]'
	check "... and leaves no daemon running" [ -z "$(left)" ]
	left
	# killed outright (tests/run.sh's timeout): the daemon goes with it
	/usr/bin/python3 tests/web/notify.py "$SWDFLASHD" "$T/kill" demo/blinky.hex >"$T/kill.log" 2>&1 &
	NPID=$!
	wait_until 60 "grep -qs 'READY=1 arrives' '$T/kill.log'"
	kill -9 "$NPID"
	wait "$NPID" 2>/dev/null
	left() { ps -eo pid=,args= | grep -F -- "--state-dir $T/kill/st" | grep -v grep; }
	wait_until 30 '[ -z "$(left)" ]'
	check "notify.py killed: no daemon left running" [ -z "$(left)" ]
else
	bad "no /usr/bin/python3 for the NOTIFY_SOCKET test"
fi

# ---- socket activation ----
if command -v systemd-socket-activate >/dev/null 2>&1; then
	P=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	systemd-socket-activate -l "127.0.0.1:$P" "$SWDFLASHD" --foreground --listen 127.0.0.1:1 \
		--probe "sim:state=$T/sa-chip.bin" --state-dir "$T/sa" 2>"$T/sa.log" &
	SAPID=$!
	# the first connection starts the daemon on the passed socket
	healthy() {
		code=$(curl -s -o "$T/sa-health" -w '%{http_code}' --max-time 5 "http://127.0.0.1:$P/healthz")
		[ "$code" = 200 ]
	}
	code=000
	wait_until 60 healthy
	check "socket activation: /healthz on the passed socket answers 200" [ "$code" = 200 ]
	check "the daemon says it uses the passed socket (not --listen)" \
		grep -q "socket activation: serving on the socket systemd passed (127.0.0.1:$P)" "$T/sa.log"
	code=$(curl -s --max-time 60 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$P/")
	check "status page served through the passed socket" [ "$code" = 200 ]
	term_wait "$SAPID"
	check "stops cleanly on SIGTERM" [ $? -eq 0 ]
	check "no sanitizer report" sh -c "! grep -q 'Sanitizer\|runtime error:' '$T/sa.log'"

	# a passed socket on every address, no token: refused like --listen *:P
	P2=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	systemd-socket-activate -l "0.0.0.0:$P2" "$SWDFLASHD" --foreground \
		--probe "sim:state=$T/sa2-chip.bin" --state-dir "$T/sa2" 2>"$T/sa2.log" &
	SAPID=$!
	# the first connection starts the daemon: knock until systemd-socket-activate
	# listens (it may not yet when this line runs) and the daemon has answered
	refused() { grep -q "refusing to listen on 0.0.0.0:$P2 without a token" "$T/sa2.log"; }
	knock() {
		refused && return 0
		curl -s -o /dev/null --max-time 3 "http://127.0.0.1:$P2/healthz"
		refused
	}
	wait_until 60 knock
	if refused; then
		ok "a non-loopback passed socket without a token is refused"
	else
		fail "a non-loopback passed socket without a token is refused"
		sed 's/^/  sa2.log: /' "$T/sa2.log"
	fi
	term_wait "$SAPID" >/dev/null
else
	echo "systemd-socket-activate not installed: socket activation not tested"
fi

finish
