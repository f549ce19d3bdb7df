#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tools/fresh-debian.sh SUITE [STEP...]: the README's promise on a fresh
# Debian. Makes a minimal root file system (debootstrap --variant=minbase,
# from this machine's configured Debian mirror), puts a git clone of the
# current commit into it (no ../shared: vendor-image tests must skip) for
# root and for a normal user, and runs in it, as the README says:
#
#   setup       apt-get install --no-install-recommends make git   (as root)
#   user-run    make run as the user: must stop, printing the apt-get line
#   root-run    make run as root: installs, builds, serves; the printed
#               flash example is run (the demo firmware), then Ctrl-C
#   root-check  make check as root
#   user-check  make check as the user (packages installed by now)
#   deb         dpkg-buildpackage -b, then tests/t_deb.sh installs the
#               package into a second fresh root file system, runs it
#               against the simulated chip, removes and purges it
#
# Default steps: setup user-run root-run root-check user-check. Prints each
# step's closing lines and time. Needs root and debootstrap. Environment:
# FRESH_DIR (work folder, default /var/tmp/swdflashd-fresh; the base root
# file system SUITE-base is kept there and reused), FRESH_MIRROR (default:
# from /etc/apt/sources.list*), FRESH_STEP_TIMEOUT (s, default 3600).
# Nothing of the chroot survives a step's end: it runs in its own mount
# and PID namespace (every process it started is killed with it).
set -u
usage() { echo "usage: tools/fresh-debian.sh bookworm|trixie [setup user-run root-run root-check user-check deb]" >&2; exit 2; }
[ $# -ge 1 ] || usage
SUITE=$1; shift
case $SUITE in bookworm | trixie) ;; *) usage ;; esac
STEPS=${*:-setup user-run root-run root-check user-check}
for s in $STEPS; do
	case $s in setup | user-run | root-run | root-check | user-check | deb) ;; *) usage ;; esac
done
[ "$(id -u)" = 0 ] || { echo "fresh-debian.sh: needs root (debootstrap, chroot)" >&2; exit 1; }
command -v debootstrap >/dev/null 2>&1 || { echo "fresh-debian.sh: apt-get install debootstrap" >&2; exit 1; }
cd "$(dirname "$0")/.." || exit 1
REPO=$(pwd)
COMMIT=$(git rev-parse HEAD) || exit 1
[ -z "$(git status --porcelain --untracked-files=no)" ] ||
	echo "fresh-debian.sh: uncommitted changes are not in the clone (it is of $COMMIT)"
WORK=${FRESH_DIR:-/var/tmp/swdflashd-fresh}
STEP_TIMEOUT=${FRESH_STEP_TIMEOUT:-3600}

# The first Debian archive (not security) in this machine's apt sources:
# one-line (deb URI SUITE ...) or deb822 (URIs: / Suites:) format.
mirror() {
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -r "$f" ] || continue
		awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) {
			if ($i ~ /debian/ && $i !~ /security/) { print $i; exit } else break } }' "$f"
	done
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -r "$f" ] || continue
		awk 'BEGIN { RS = ""; FS = "\n" } {
			u = ""; deb = 0; on = 1
			for (i = 1; i <= NF; i++) {
				if ($i ~ /^Types:/ && $i ~ /[ \t]deb([ \t]|$)/) deb = 1
				if ($i ~ /^URIs:/) { split($i, a, /[ \t]+/); u = a[2] }
				if ($i ~ /^Enabled:[ \t]*no/) on = 0
			}
			if (deb && on && u ~ /debian/ && u !~ /security/) { print u; exit } }' "$f"
	done
}
MIRROR=${FRESH_MIRROR:-$(mirror | head -n 1)}
MIRROR=${MIRROR:-http://deb.debian.org/debian}
echo "fresh-debian.sh: $SUITE from $MIRROR, clone of $COMMIT, steps: $STEPS"

mkdir -p "$WORK" || exit 1
BASE=$WORK/$SUITE-base
if [ ! -x "$BASE/bin/sh" ]; then
	rm -rf "$BASE.tmp"
	t0=$(date +%s)
	debootstrap --variant=minbase "$SUITE" "$BASE.tmp" "$MIRROR" >"$WORK/$SUITE-debootstrap.log" 2>&1 ||
		{ tail -n 20 "$WORK/$SUITE-debootstrap.log"; echo "fresh-debian.sh: debootstrap failed" >&2; exit 1; }
	mv "$BASE.tmp" "$BASE"
	echo "fresh-debian.sh: debootstrap $SUITE: $(($(date +%s) - t0)) s"
fi

# new_root DIR: a copy of the base, ready to chroot into; the clones for
# root (/root/swdflashd) and the user tester (/home/tester/swdflashd).
new_root() {
	rm -rf "$1"
	cp -a "$BASE" "$1" || exit 1
	cp /etc/resolv.conf "$1/etc/resolv.conf"
	# services that packages install are not started inside the chroot
	printf '#!/bin/sh\nexit 101\n' >"$1/usr/sbin/policy-rc.d"
	chmod 755 "$1/usr/sbin/policy-rc.d"
	chroot "$1" useradd -m -s /bin/sh tester || exit 1
	for home in root home/tester; do
		git clone -q --no-hardlinks "$REPO" "$1/$home/swdflashd" &&
			git -C "$1/$home/swdflashd" checkout -q --detach "$COMMIT" || exit 1
	done
	chroot "$1" chown -R tester:tester /home/tester/swdflashd
	mkdir -p "$1/fresh/log" && chmod 1777 "$1/fresh/log"
	cp "$REPO/tools/fresh-steps.sh" "$1/fresh/steps.sh"
}

# in_root DIR COMMAND...: COMMAND in the chroot, in its own mount and PID
# namespaces (proc, sys, dev mounted there only; all its processes end
# with it), with a time limit.
in_root() {
	_r=$1; shift
	timeout -k 30 "$STEP_TIMEOUT" unshare --mount --pid --fork --propagation private sh -c '
		r=$1; shift
		mount -t proc proc "$r/proc" && mount --rbind /sys "$r/sys" &&
			mount --rbind /dev "$r/dev" && mount -t tmpfs tmpfs "$r/dev/shm" &&
			mount -t tmpfs tmpfs "$r/tmp" || exit 1
		exec chroot "$r" "$@"' sh "$_r" "$@"
}

ROOT=$WORK/$SUITE-root
new_root "$ROOT"
SUMMARY=$WORK/$SUITE-summary.txt
: >"$SUMMARY"
rc_all=0
for step in $STEPS; do
	[ "$step" = deb ] && continue
	t0=$(date +%s)
	in_root "$ROOT" /bin/sh /fresh/steps.sh "$step" >"$WORK/$SUITE-$step.log" 2>&1
	rc=$?
	dt=$(($(date +%s) - t0))
	[ "$rc" = 0 ] || rc_all=1
	{
		echo "== $SUITE $step: status $rc, $dt s"
		tail -n "${FRESH_TAIL:-6}" "$WORK/$SUITE-$step.log" | sed 's/^/   /'
	} | tee -a "$SUMMARY"
done

case " $STEPS " in *" deb "*)
	t0=$(date +%s)
	in_root "$ROOT" /bin/sh /fresh/steps.sh deb >"$WORK/$SUITE-deb.log" 2>&1
	rc=$?
	if [ "$rc" = 0 ]; then
		# install into a root file system that never saw the build
		PKGROOT=$WORK/$SUITE-pkgroot
		new_root "$PKGROOT"
		mkdir -p "$PKGROOT/fresh/debs"
		cp "$ROOT"/root/*.deb "$PKGROOT/fresh/debs/" && cp "$REPO/tests/t_deb.sh" "$PKGROOT/fresh/t_deb.sh"
		in_root "$PKGROOT" /bin/sh /fresh/steps.sh deb-install >>"$WORK/$SUITE-deb.log" 2>&1
		rc=$?
	fi
	dt=$(($(date +%s) - t0))
	[ "$rc" = 0 ] || rc_all=1
	{
		echo "== $SUITE deb (build, lintian, install, run, purge): status $rc, $dt s"
		tail -n "${FRESH_TAIL:-12}" "$WORK/$SUITE-deb.log" | sed 's/^/   /'
	} | tee -a "$SUMMARY"
	;;
esac
echo "fresh-debian.sh: logs in $WORK/$SUITE-*.log, summary $SUMMARY"
exit "$rc_all"
