#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The Debian package, installed into a throw-away root file system: run by
# `tools/fresh-debian.sh SUITE deb` with SWDFLASHD_DEB=the .deb (skips
# otherwise: it installs and purges a package, so never on a working
# machine). Installs it with apt-get, checks the files, the conffile
# (loopback only), the system user and its groups, the state directory, the
# token, the hardening of the binaries; starts swdflashd from the installed
# files as the service user (its token handed over like LoadCredential=)
# against the simulated chip, flashes the demo firmware with curl; removes
# (conffile kept) and purges (nothing left).
cd "$(dirname "$0")/.." || exit 1
. tests/lib.sh
[ -n "${SWDFLASHD_DEB:-}" ] || skip "SWDFLASHD_DEB not set (run by tools/fresh-debian.sh SUITE deb in a throw-away root)"
[ "$(id -u)" = 0 ] || skip "needs root (apt-get install)"
[ -f "$SWDFLASHD_DEB" ] || die "no package at $SWDFLASHD_DEB"
export DEBIAN_FRONTEND=noninteractive

apt-get update -q >"$T/apt.log" 2>&1
apt-get install -y -q --no-install-recommends "$SWDFLASHD_DEB" curl binutils procps >>"$T/apt.log" 2>&1
rc=$?
check "apt-get install $(basename "$SWDFLASHD_DEB")" [ "$rc" -eq 0 ]
[ "$rc" -eq 0 ] || { tail -n 30 "$T/apt.log"; finish; }
dpkg -L swdflashd >"$T/files"
for f in /usr/bin/swdflashd /usr/bin/swdflash swdflashd.service swdflashd.socket \
	swdflashd.service.d/debian.conf rules.d/60-swdflashd-stlink.rules /usr/lib/sysusers.d/swdflashd.conf \
	/usr/share/man/man1/swdflash.1.gz /usr/share/man/man8/swdflashd.8.gz \
	/usr/share/doc/swdflashd/examples/swdflashd.conf.example /etc/swdflashd/swdflashd.conf; do
	check "package has $f" grep -q -- "$f\$" "$T/files"
done
check "the configuration is a conffile" sh -c \
	"dpkg-query -W -f='\${Conffiles}' swdflashd | grep -q '/etc/swdflashd/swdflashd.conf '"
check "... listening on loopback only" grep -q '^listen = 127\.0\.0\.1:' /etc/swdflashd/swdflashd.conf

# ---- the service user, state directory, token ----
check "system user swdflashd" getent passwd swdflashd
groups=$(id -nG swdflashd)
echo "swdflashd's groups: $groups"
for g in gpio plugdev; do
	check "... in group $g" sh -c "id -nG swdflashd | tr ' ' '\n' | grep -qx $g"
done
check "state directory /var/lib/swdflashd owned by swdflashd, mode 750" \
	[ "$(stat -c '%U %a' /var/lib/swdflashd)" = "swdflashd 750" ]
check "a token made at install, root only" [ "$(stat -c '%U %a' /etc/swdflashd/token)" = "root 600" ]

# ---- hardening (dpkg-buildflags hardening=+all) ----
for b in /usr/bin/swdflashd /usr/bin/swdflash; do
	readelf -lhdW "$b" >"$T/elf" 2>&1
	check "$b: position independent (PIE)" grep -q 'Type: *DYN' "$T/elf"
	check "$b: RELRO" grep -q GNU_RELRO "$T/elf"
	check "$b: BIND_NOW" grep -q 'BIND_NOW' "$T/elf"
	readelf -sW --dyn-syms "$b" >"$T/syms" 2>&1
	check "$b: stack protector" grep -q __stack_chk_fail "$T/syms"
	check "$b: fortified calls" grep -q '__[a-z]*_chk@' "$T/syms"
done

# ---- run it from the installed files, as the service user ----
CRED=$T/cred
mkdir -p "$CRED"
cp /etc/swdflashd/token "$CRED/token"
chown -R swdflashd "$CRED"
chmod 755 "$T"
LOG=$T/daemon.log
setpriv --reuid=swdflashd --regid=swdflashd --init-groups env CREDENTIALS_DIRECTORY="$CRED" \
	/usr/bin/swdflashd --foreground --listen 127.0.0.1:0 \
	--probe sim:state=/var/lib/swdflashd/sim-chip.bin 2>"$LOG" &
D=$!
port() { sed -n 's|.*listening on http://127\.0\.0\.1:\([0-9]*\)/.*|\1|p' "$LOG" | head -n 1; }
wait_until 60 '[ -n "$(port)" ] || ! alive $D'
P=$(port)
check "installed swdflashd listens (config /etc/swdflashd/swdflashd.conf, token from the credential)" [ -n "$P" ]
cat "$LOG"
if [ -n "$P" ]; then
	TOKEN=$(cat /etc/swdflashd/token)
	curl -s --max-time 300 -H "Authorization: Bearer $TOKEN" --data-binary @demo/blinky.hex \
		"http://127.0.0.1:$P/api/v1/flash?wait=1" >"$T/flash.json"
	check "curl flashes the demo firmware" grep -q '"state":"succeeded"' "$T/flash.json"
	head -c 200 "$T/flash.json"; echo
	code=$(curl -s -o /dev/null -w '%{http_code}' --data-binary @demo/blinky.hex "http://127.0.0.1:$P/api/v1/flash")
	check "... and refuses an upload without the token (401)" [ "$code" = 401 ]
	check "the job history is in the state directory" [ -s /var/lib/swdflashd/history.jsonl ]
fi
term_wait "$D"
check "stops cleanly on SIGTERM" [ $? -eq 0 ]
swdflash --probe sim:state=/var/lib/swdflashd/sim-chip.bin verify demo/blinky.hex >"$T/verify" 2>&1
check "installed swdflash verifies the chip holds the demo" [ $? -eq 0 ]

# ---- remove, then purge ----
apt-get remove -y -q swdflashd >"$T/rm.log" 2>&1
check "apt-get remove" [ $? -eq 0 ]
check "... the programs are gone" [ ! -e /usr/bin/swdflashd ]
check "... the conffile stays" [ -f /etc/swdflashd/swdflashd.conf ]
apt-get purge -y -q swdflashd >>"$T/rm.log" 2>&1
check "apt-get purge" [ $? -eq 0 ]
check "... dpkg forgets the package" sh -c "! dpkg -s swdflashd >/dev/null 2>&1"
left=
while IFS= read -r f; do
	[ -d "$f" ] && continue
	[ -e "$f" ] && left="$left $f"
done <"$T/files"
for f in /etc/swdflashd /var/lib/swdflashd; do
	[ -e "$f" ] && left="$left $f"
done
check "... nothing of it left (files, config, token, state)${left:+:$left}" [ -z "$left" ]
finish
