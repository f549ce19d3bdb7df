#!/bin/sh
# Locked chips through swdflash. Every swdflash run powers the simulated
# chip on (the state file keeps flash and UICR), like plugging a board in.
#  legacy:   locked -> flash refused (exit 5) -> flash --recover -> verify;
#            UICR.APPROTECT stays 0xFFFFFFFF (0x5A would lock a legacy part)
#  hardened: recover writes UICR.APPROTECT=0x5A and says the firmware must
#            write APPROTECT.DISABLE; with firmware that does (fw_approtect=1)
#            the chip is open after reset and power-on, without it locked.
set -u
. tests/cli_lib.sh
img=$FIX/s132_nrf52_6.1.1_softdevice.hex
img40=$FIX/s140_nrf52_6.1.1_softdevice.hex
[ -e "$img" ] && [ -e "$img40" ] || { echo "fixtures missing in $FIX"; exit 77; }

approtect() { # SPEC: UICR.APPROTECT as 8 hex digits (little-endian bytes)
	"$BIN" --probe "$1" read 0x10001208 4 -o "$tmp/ap.bin" >/dev/null 2>&1 || { echo "unreadable"; return; }
	od -An -tx4 "$tmp/ap.bin" | tr -d ' \n'
}

# locked=1 makes a new chip start with UICR.APPROTECT=0; the state file
# keeps the lock (and, after a recover, the unlock).

# ---- legacy nRF52832
L="sim:part=nrf52832,rev=legacy,state=$tmp/legacy"
expect 0 "$BIN" --probe "$L,locked=1" --json info
[ "$(jget "$tmp/out" "j['locked'], j['part']")" = "True None" ] || fail "legacy: not reported locked"
expect 5 "$BIN" --probe "$L" flash "$img"
grep -q "recover" "$tmp/err" || fail "locked message does not mention recover"
expect 5 "$BIN" --probe "$L" read 0 16 -o "$tmp/x.bin"
expect 0 "$BIN" --probe "$L" flash "$img" --recover
grep -q "legacy" "$tmp/err" || fail "legacy recover note missing"
expect 0 "$BIN" --probe "$L" verify "$img"
expect 0 "$BIN" --probe "$L" --json info
[ "$(jget "$tmp/out" "j['locked']")" = "False" ] || fail "legacy: locked after recover+flash"
[ "$(approtect "$L")" = "ffffffff" ] || fail "legacy: UICR.APPROTECT is $(approtect "$L")"
echo "ok legacy: locked, refused, recovered, flashed, verified, open"

# ---- hardened nRF52840 whose firmware writes APPROTECT.DISABLE
H="sim:part=nrf52840,rev=hardened,fw_approtect=1,state=$tmp/hard1"
expect 0 "$BIN" --probe "$H,locked=1" --json info
[ "$(jget "$tmp/out" "j['locked']")" = "True" ] || fail "hardened: not locked at first"
expect 0 "$BIN" --probe "$H" recover
grep -q "APPROTECT.DISABLE" "$tmp/err" || { fail "hardened: no firmware note"; cat "$tmp/err"; }
[ "$(approtect "$H")" = "0000005a" ] || fail "hardened: UICR.APPROTECT is $(approtect "$H")"
expect 0 "$BIN" --probe "$H" --json reset
[ "$(jget "$tmp/out" "j['locked']")" = "False" ] || fail "hardened+fw: locked after reset"
expect 0 "$BIN" --probe "$H" flash "$img40"
expect 0 "$BIN" --probe "$H" verify "$img40"
expect 0 "$BIN" --probe "$H" --json info
[ "$(jget "$tmp/out" "j['locked'], j['hardened_approtect']")" = "False True" ] ||
	fail "hardened+fw: not open at power-on"
# erase --chip keeps HwDisabled on a hardened part (and says so)
expect 0 "$BIN" --probe "$H" erase --chip
grep -q "0x5A" "$tmp/err" || fail "erase --chip did not say it kept APPROTECT"
[ "$(approtect "$H")" = "0000005a" ] || fail "erase --chip lost UICR.APPROTECT=0x5A"
echo "ok hardened with firmware disable: recover, reset, flash, verify, still open"

# ---- hardened nRF52840 whose firmware does not
N="sim:part=nrf52840,rev=hardened,fw_approtect=0,state=$tmp/hard0"
expect 0 "$BIN" --probe "$N,locked=1" recover
[ "$(approtect "$N")" = "unreadable" ] || fail "hardened without fw: UICR readable after a power-on"
expect 0 "$BIN" --probe "$N" --json info
[ "$(jget "$tmp/out" "j['locked']")" = "True" ] || fail "hardened without fw: open after power-on"
expect 5 "$BIN" --probe "$N" flash "$img40"
expect 0 "$BIN" --probe "$N" flash "$img40" --recover --no-reset
expect 0 "$BIN" --probe "$N" --json flash "$img40" --recover
[ "$(jget "$tmp/out" "j['target']['locked']")" = "True" ] || fail "hardened without fw: open after flash+reset"
grep -q "locked again" "$tmp/out" || fail "no 'locked again' note"
echo "ok hardened without firmware disable: locks again at every reset"

[ $fails -eq 0 ] || { echo "$fails failure(s)"; exit 1; }
echo "locked chips: all checks passed"
