#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# One step of tools/fresh-debian.sh, run inside the fresh root file system
# as root: setup, user-run, root-run, root-check, user-check, deb,
# deb-install. Root's clone is /root/swdflashd, the user tester's
# /home/tester/swdflashd.
set -u
export DEBIAN_FRONTEND=noninteractive
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export PATH
as_user() { # COMMAND: a login-like shell of tester in its clone
	setpriv --reuid=tester --regid=tester --init-groups \
		env -i HOME=/home/tester USER=tester LOGNAME=tester PATH=/usr/local/bin:/usr/bin:/bin \
		sh -c "cd /home/tester/swdflashd && $1"
}
as_root() {
	env -i HOME=/root USER=root LOGNAME=root PATH="$PATH" sh -c "cd /root/swdflashd && $1"
}
pids_of() { # NAME: the processes called NAME (no procps on a minimal system)
	for p in /proc/[0-9]*; do
		[ "$(cat "$p/comm" 2>/dev/null)" = "$1" ] && echo "${p#/proc/}"
	done
}
# wait_for SECONDS COND: poll COND every second until it holds
wait_for() {
	_end=$(($(date +%s) + $1))
	while ! eval "$2"; do
		[ "$(date +%s)" -lt "$_end" ] || return 1
		sleep 1
	done
}

case $1 in
setup)
	# the README's line for a minimal Debian
	apt-get update -q && apt-get install -y -q --no-install-recommends make git || exit 1
	echo "$(cat /etc/debian_version): $(dpkg-query -W -f='${Status}\n' | grep -c 'ok installed') packages"
	;;
user-run)
	as_user 'make run' >/fresh/log/user-run.out 2>&1
	rc=$?
	cat /fresh/log/user-run.out
	echo "make run as tester: status $rc"
	[ "$rc" -ne 0 ] && grep -q '^run:  sudo apt-get install -y --no-install-recommends ' /fresh/log/user-run.out
	;;
root-run)
	as_root 'make run' >/fresh/log/run.out 2>&1 &
	RUN=$!
	wait_for 3000 "grep -q 'Ctrl-C stops' /fresh/log/run.out || ! kill -0 $RUN 2>/dev/null"
	cat /fresh/log/run.out
	grep -q 'Ctrl-C stops' /fresh/log/run.out || { echo "make run did not start the daemon"; exit 1; }
	echo "\$ curl -s .../api/v1/target"
	as_root "$(sed -n 's/^  \(curl -s http.*target\)$/\1/p' /fresh/log/run.out)"
	echo
	echo "\$ the printed flash command:"
	sed -n '/^  curl -sf/,/flash?wait=1/p' /fresh/log/run.out >/fresh/flash.sh
	as_root 'sh /fresh/flash.sh' >/fresh/log/flash.json
	frc=$?
	head -c 300 /fresh/log/flash.json; echo
	for p in $(pids_of swdflashd); do kill -INT "$p"; done
	wait "$RUN"
	rrc=$?
	echo "flash example: status $frc; make run after Ctrl-C: status $rrc"
	[ "$frc" = 0 ] && grep -q '"state":"succeeded"' /fresh/log/flash.json && [ "$rrc" = 0 ]
	;;
root-check)
	# the logs are kept: the deb step's package build runs make clean
	as_root 'make check; rc=$?; cp -r build/test-logs /fresh/log/root-check-logs; exit $rc'
	;;
user-check)
	as_user 'make check; rc=$?; cp -r build/test-logs /fresh/log/user-check-logs; exit $rc'
	;;
deb)
	as_root 'apt-get install -y -q --no-install-recommends dpkg-dev debhelper lintian fakeroot &&
		apt-get build-dep -y -q ./' >/fresh/log/deb-deps.log 2>&1 || { tail -n 30 /fresh/log/deb-deps.log; exit 1; }
	as_root 'dpkg-buildpackage -b -us -uc' >/fresh/log/deb-build.log 2>&1 || { tail -n 40 /fresh/log/deb-build.log; exit 1; }
	grep -i 'dpkg-deb: building' /fresh/log/deb-build.log
	echo "\$ lintian"
	as_root 'lintian --info ../swdflashd_*.changes'
	echo "lintian: status $?"
	;;
deb-install)
	cd /root/swdflashd || exit 1
	SWDFLASHD_DEB=$(ls /fresh/debs/swdflashd_*.deb | head -n 1) sh tests/t_deb.sh
	;;
esac
