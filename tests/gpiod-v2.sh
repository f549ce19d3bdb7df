#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# libgpiod v2: fetch libgpiod-dev + libgpiod3 (+ the gpiod tools) 2.x from
# Debian's bookworm-backports into build/gpiod-v2/ (never system-wide: the
# v1 and v2 -dev packages conflict), then build the v2 flavour
# (build/gpiodv2/) against it.
#
#   sh tests/gpiod-v2.sh fetch   unpack only
#   sh tests/gpiod-v2.sh build   unpack if needed, build what exists
#
# Exit 0 done, 77 backports unreachable (reason on the last line), other:
# failure. The archive is the Debian mirror apt is already configured with.
set -u
cd "$(dirname "$0")/.." || exit 1
top=$(pwd)
V2=build/gpiod-v2
ROOT=$top/$V2/root
PC=$top/$V2/pkgconfig
mode=${1:-build}

fetch() {
	[ -f "$PC/libgpiod.pc" ] && [ -d "$ROOT/usr/include" ] && return 0
	. /etc/os-release
	suite=${VERSION_CODENAME:-bookworm}-backports
	uri=$(apt-get indextargets --format '$(REPO_URI) $(RELEASE)' 2>/dev/null |
	      awk -v r="${VERSION_CODENAME:-bookworm}" '$2 == r { print $1; exit }')
	if [ -z "$uri" ]; then
		echo "no Debian archive for ${VERSION_CODENAME:-?} in the apt sources: cannot reach $suite"
		return 77
	fi
	apt=$top/$V2/apt
	rm -rf "$apt" "$V2/debs"
	mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$apt/etc/parts" \
		"$V2/debs"
	kr=/usr/share/keyrings/debian-archive-keyring.gpg
	if [ -f "$kr" ]; then
		echo "deb [signed-by=$kr] $uri $suite main" >"$apt/etc/sources.list"
	else
		echo "deb $uri $suite main" >"$apt/etc/sources.list"
	fi
	set -- -o Dir::Etc::sourcelist="$apt/etc/sources.list" \
		-o Dir::Etc::sourceparts="$apt/etc/parts" \
		-o Dir::State::Lists="$apt/lists" -o Dir::Cache="$apt/cache" \
		-o Debug::NoLocking=1 -o APT::Sandbox::User=root
	if ! apt-get "$@" update >"$apt/update.log" 2>&1 ||
	   grep -qE '^(Err|W: Failed)' "$apt/update.log"; then
		cat "$apt/update.log"
		echo "$suite unreachable (apt-get update failed, see above)"
		return 77
	fi
	# The versions from backports, whatever the main archive has.
	(cd "$V2/debs" && apt-get "$@" download libgpiod-dev/"$suite" libgpiod3/"$suite" \
		gpiod/"$suite") || { echo "apt-get download from $suite failed"; return 1; }
	rm -rf "$ROOT"
	mkdir -p "$ROOT" "$PC"
	for d in "$V2"/debs/*.deb; do
		dpkg-deb -x "$d" "$ROOT" || return 1
	done
	src=$(find "$ROOT" -name libgpiod.pc | head -n 1)
	[ -n "$src" ] || { echo "no libgpiod.pc in the unpacked packages"; return 1; }
	# The .pc says prefix=/usr: point it at the unpacked tree.
	sed "s|^prefix=.*|prefix=$ROOT/usr|" "$src" >"$PC/libgpiod.pc"
	ver=$(PKG_CONFIG_PATH=$PC pkg-config --modversion libgpiod)
	case "$ver" in
	2.*) echo "libgpiod $ver unpacked in $V2/root" ;;
	*) echo "unpacked libgpiod is $ver, not 2.x"; return 1 ;;
	esac
}

fetch
rc=$?
[ $rc -eq 0 ] || exit $rc
[ "$mode" = fetch ] && exit 0

# Build the v2 flavour: library, v2 check suite, and the CLI once it exists.
# (Not build/gpiochip_emu.so: make check-build made it, and other tests that
# run in parallel load it.)
targets="build/gpiodv2/libswdflash.a build/gpiodv2/tests/check_gpiod"
[ -f cli/swdflash.c ] && targets="$targets build/gpiodv2/swdflash"
# The daemon too: its bench I/O (daemon/benchio_gpiod_v2.c).
[ -f app/swdflashd.c ] && targets="$targets build/gpiodv2/swdflashd"
make --no-print-directory $targets || exit 1
exit 0
