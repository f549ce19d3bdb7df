#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The on-target routines (nrf52/target/*.S) re-assembled with Debian's
# binutils-arm-none-eabi give exactly the bytes committed beside them
# (nrf52/target/*.h), as OpenOCD checks its loaders; and a routine whose
# source changed without its header is caught.
cd "$(dirname "$0")/.." || exit 1
. tests/lib.sh
need arm-none-eabi-as "Debian package binutils-arm-none-eabi"
need arm-none-eabi-objcopy "Debian package binutils-arm-none-eabi"
n=0
for s in nrf52/target/*.S; do
	h=${s%.S}.h
	n=$((n + 1))
	if sh tools/target_gen.sh "$s" >"$T/gen.h" 2>"$T/gen.err"; then
		check "$h holds what $s assembles to" cmp -s "$T/gen.h" "$h"
		cmp -s "$T/gen.h" "$h" || diff "$h" "$T/gen.h" | head -n 20
	else
		fail "$s does not assemble: $(cat "$T/gen.err")"
	fi
done
assert "routines found ($n)" '[ "$n" -ge 2 ]'
# The comparison can fail: one changed instruction gives other bytes.
sed 's/bkpt\t#0x15/bkpt\t#0x17/' nrf52/target/crc32.S >"$T/crc32.S"
sh tools/target_gen.sh "$T/crc32.S" >"$T/changed.h" 2>/dev/null
check "a changed routine no longer matches its header" \
	sh -c '! cmp -s "$1" "$2"' - "$T/changed.h" nrf52/target/crc32.h
finish
