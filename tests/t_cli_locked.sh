#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Locked chips through swdflash. Every swdflash run powers the simulated
# chip on (the state file keeps flash and UICR), like plugging a board in.
#  legacy:   locked -> flash refused (exit 5) -> flash --recover -> verify;
#            UICR.APPROTECT stays 0xFFFFFFFF (0x5A would lock a legacy part)
#  hardened: recover writes UICR.APPROTECT=0x5A and says the firmware must
#            write APPROTECT.DISABLE; with firmware that does
#            (tests/fw/approtect.hex, run by the simulated core after every
#            reset) the chip is open after reset and power-on, without it
#            (an erased chip, the S140) locked.
set -u
cd "$(dirname "$0")/.." || exit 1
. tests/lib.sh
need_cli
img=$FIX/s132_nrf52_6.1.1_softdevice.hex
img40=$FIX/s140_nrf52_6.1.1_softdevice.hex
[ -e "$img" ] || skip "$img missing"
[ -e "$img40" ] || skip "$img40 missing"

approtect() { # SPEC: UICR.APPROTECT as 8 hex digits (little-endian bytes)
	"$SWDFLASH" --probe "$1" read 0x10001208 4 -o "$T/ap.bin" >/dev/null 2>&1 || { echo "unreadable"; return; }
	od -An -tx4 "$T/ap.bin" | tr -d ' \n'
}

# locked=1 makes a new chip start with UICR.APPROTECT=0; the state file
# keeps the lock (and, after a recover, the unlock).

# ---- legacy nRF52832
f0=$fails
L="sim:part=nrf52832,rev=legacy,state=$T/legacy"
expect 0 "$SWDFLASH" --probe "$L,locked=1" --json info
[ "$(jget "$T/out" "d['locked'], d['part']")" = "True None" ] || fail "legacy: not reported locked"
expect 5 "$SWDFLASH" --probe "$L" flash "$img"
grep -q "recover" "$T/err" || fail "locked message does not mention recover"
expect 5 "$SWDFLASH" --probe "$L" read 0 16 -o "$T/x.bin"
expect 0 "$SWDFLASH" --probe "$L" flash "$img" --recover
grep -q "legacy" "$T/err" || fail "legacy recover note missing"
expect 0 "$SWDFLASH" --probe "$L" verify "$img"
expect 0 "$SWDFLASH" --probe "$L" --json info
[ "$(jget "$T/out" "d['locked']")" = "False" ] || fail "legacy: locked after recover+flash"
[ "$(approtect "$L")" = "ffffffff" ] || fail "legacy: UICR.APPROTECT is $(approtect "$L")"
[ $fails -eq $f0 ] && ok "legacy: locked, refused, recovered, flashed, verified, open"

# UICR.APPROTECT of a simulated nRF52840 read from its state file (sim/
# config.c: a 24-byte header, 1 MiB of flash, then UICR), for a chip
# whose debug port is locked
uicr_approtect_state() { # STATEFILE
	python3 -c 'import struct, sys
print("%08x" % struct.unpack_from("<I", open(sys.argv[1], "rb").read(), 24 + 0x100000 + 0x208)[0])' "$1"
}

# ---- hardened nRF52840 whose firmware writes APPROTECT.DISABLE
f0=$fails
FW=tests/fw/approtect.hex
H="sim:part=nrf52840,rev=hardened,state=$T/hard1"
expect 0 "$SWDFLASH" --probe "$H,locked=1" --json info
[ "$(jget "$T/out" "d['locked']")" = "True" ] || fail "hardened: not locked at first"
expect 0 "$SWDFLASH" --probe "$H" recover
grep -q "APPROTECT.DISABLE" "$T/err" || { fail "hardened: no firmware note"; cat "$T/err"; }
[ "$(uicr_approtect_state "$T/hard1")" = "0000005a" ] ||
	fail "hardened: UICR.APPROTECT is $(uicr_approtect_state "$T/hard1")"
# the recovered chip is blank: no firmware opens it at this power-on
expect 0 "$SWDFLASH" --probe "$H" --json info
[ "$(jget "$T/out" "d['locked']")" = "True" ] || fail "hardened, erased: open at power-on"
expect 0 "$SWDFLASH" --probe "$H" flash "$FW" --recover
expect 0 "$SWDFLASH" --probe "$H" --json reset
[ "$(jget "$T/out" "d['locked']")" = "False" ] || fail "hardened+fw: locked after reset"
expect 0 "$SWDFLASH" --probe "$H" verify "$FW"
[ "$(approtect "$H")" = "0000005a" ] || fail "hardened+fw: UICR.APPROTECT is $(approtect "$H")"
expect 0 "$SWDFLASH" --probe "$H" --json info
[ "$(jget "$T/out" "d['locked'], d['hardened_approtect']")" = "False True" ] ||
	fail "hardened+fw: not open at power-on"
# erase --chip keeps HwDisabled on a hardened part (and says so); it also
# erases the firmware, so the next power-on finds the chip locked
expect 0 "$SWDFLASH" --probe "$H" erase --chip
grep -q "0x5A" "$T/err" || fail "erase --chip did not say it kept APPROTECT"
expect 0 "$SWDFLASH" --probe "$H" --json info
[ "$(jget "$T/out" "d['locked']")" = "True" ] || fail "hardened, erased: open at power-on"
[ "$(uicr_approtect_state "$T/hard1")" = "0000005a" ] || fail "erase --chip lost UICR.APPROTECT=0x5A"
[ $fails -eq $f0 ] && ok "hardened with firmware disable: recover, flash, reset, verify, open; erased: locked"

# ---- hardened nRF52840 whose firmware does not
f0=$fails
N="sim:part=nrf52840,rev=hardened,state=$T/hard0"
expect 0 "$SWDFLASH" --probe "$N,locked=1" recover
[ "$(approtect "$N")" = "unreadable" ] || fail "hardened without fw: UICR readable after a power-on"
expect 0 "$SWDFLASH" --probe "$N" --json info
[ "$(jget "$T/out" "d['locked']")" = "True" ] || fail "hardened without fw: open after power-on"
expect 5 "$SWDFLASH" --probe "$N" flash "$img40"
expect 0 "$SWDFLASH" --probe "$N" flash "$img40" --recover --no-reset
expect 0 "$SWDFLASH" --probe "$N" --json flash "$img40" --recover
[ "$(jget "$T/out" "d['target']['locked']")" = "True" ] || fail "hardened without fw: open after flash+reset"
grep -q "locked again" "$T/out" || fail "no 'locked again' note"
[ $fails -eq $f0 ] && ok "hardened without firmware disable: locks again at every reset"

finish "locked chips: all checks passed"
