#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# `make cross-deps` ARCHS DEV_PACKAGES HOST_PACKAGES...: the dpkg foreign
# architectures ARCHS and, for each, the multiarch DEV_PACKAGES, plus the
# cross compilers and qemu-user-static. Changes the machine's dpkg
# architectures, so only `make check-cross` (a maintainer target) calls it.
# As a normal user: prints the commands and fails.
archs=$1 dev=$2
shift 2
add=
for a in $archs; do
	dpkg --print-foreign-architectures | grep -qx "$a" || add="$add $a"
done
pkgs="$*"
for a in $archs; do
	for p in $dev; do pkgs="$pkgs $p:$a"; done
done
if [ -n "$add" ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "check-cross: the dpkg architectures$add are missing; run:" >&2
		for a in $add; do echo "  sudo dpkg --add-architecture $a" >&2; done
		echo "  sudo apt-get update" >&2
		echo "  sudo apt-get install -y --no-install-recommends $pkgs" >&2
		exit 1
	fi
	for a in $add; do
		echo "check-cross: dpkg --add-architecture $a"
		dpkg --add-architecture "$a" || exit 1
	done
	apt-get update -q >/dev/null || exit 1
fi
exec sh "$(dirname "$0")/deps.sh" $pkgs
