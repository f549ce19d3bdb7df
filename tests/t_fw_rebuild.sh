#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The committed test-program bytes (tests/fw/fw_all.inc and the .hex flash
# images) are what their sources assemble to with Debian's
# binutils-arm-none-eabi, as OpenOCD checks its loaders.
cd "$(dirname "$0")/.." || exit 1
. tests/lib.sh
command -v arm-none-eabi-as >/dev/null || skip "arm-none-eabi-as missing (Debian binutils-arm-none-eabi)"
mkdir -p "$T/fw"
sh tests/fw/build.sh "$T/fw" || die "tests/fw/build.sh failed"
n=0
for f in "$T"/fw/*; do
	b=$(basename "$f")
	check "tests/fw/$b is what its source assembles to" cmp "$f" "tests/fw/$b"
	n=$((n + 1))
done
for f in tests/fw/*.hex; do
	[ -f "$T/fw/$(basename "$f")" ] || fail "tests/fw/$(basename "$f") has no source"
done
assert "the build made fw_all.inc and the flash images ($n files)" "[ $n -ge 2 ]"
finish
