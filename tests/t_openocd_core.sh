#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The simulated Cortex-M4 as OpenOCD 0.12 (unmodified target/nrf52.cfg,
# defaults) drives it: after swdflash programs the MBR, OpenOCD's `reset
# halt` (DEMCR VC_CORERESET + AIRCR SYSRESETREQ) stops the core at the reset
# vector with SP and PC loaded from the vector table that swdflash wrote,
# `step` executes the first instruction of the MBR, a core register written
# through DCRSR/DCRDR reads back, `reg` lists the whole register file, and
# halt/resume/reset run show in DHCSR as on silicon.
cd "$(dirname "$0")/.." || exit 1
. tests/lib.sh
need_fixtures
need_emu
need_openocd_driver linuxgpiod
[ -x "$SWDFLASH" ] || die "$SWDFLASH missing"
log() { echo "--- $1"; cat "$1"; }
S=$T/core.state

$SWDFLASH --probe "sim:part=nrf52840,state=$S" flash "$FIX/mbr_nrf52_2.4.1_mbr.hex" --no-reset \
	>/dev/null 2>&1 || die "swdflash flash MBR"
# the vector table as swdflash reads it back: initial SP, reset handler
set -- $($SWDFLASH --probe "sim:part=nrf52840,state=$S" read 0 8 -o - | od -An -tx4)
sp=$1 pc=$(printf '%08x' $((0x$2 & ~1)))
# where one step from there goes: the next halfword, or the one after a
# 32-bit instruction (first halfword 0b11101, 0b11110, 0b11111)
set -- $($SWDFLASH --probe "sim:part=nrf52840,state=$S" read $((0x$pc)) 2 -o - | od -An -tu2)
case $(( $1 >> 11 )) in 29|30|31) n=4 ;; *) n=2 ;; esac
pc2=$(printf '%08x' $((0x$pc + n)))

ocd "part=nrf52840,state=$S,wallclock=1" "$T/c.json" "$T/c.log" -c init \
	-c "reset halt" -c "reg pc" -c "reg msp" -c step -c "echo STEPPED" -c "reg pc" \
	-c "reg r0 0x12345678" -c "reg r0" -c "reg r7 0xcafef00d" -c "reg r7" -c reg \
	-c "mdw 0xE000EDF0 1" -c resume -c "mdw 0xE000EDF0 1" -c halt -c "mdw 0xE000EDF0 1" \
	-c "reset run" -c "mdw 0xE000EDF0 1" -c shutdown || { log "$T/c.log"; die "openocd"; }
grep -q "halted due to debug-request" "$T/c.log" || { log "$T/c.log"; die "reset halt did not halt"; }
grep -q "^pc (/32): 0x$pc" "$T/c.log" || { log "$T/c.log"; die "PC after reset halt is not the reset vector 0x$pc"; }
grep -q "^msp (/32): 0x$sp" "$T/c.log" || { log "$T/c.log"; die "MSP after reset halt is not 0x$sp"; }
sed -n '/^STEPPED/,$p' "$T/c.log" | grep -q "^pc (/32): 0x$pc2" ||
	{ log "$T/c.log"; die "PC after one step is not 0x$pc2"; }
for r in r12 sp lr xPSR msp psp primask basepri faultmask control d15 fpscr; do
	grep -q "^([0-9]*) $r (/" "$T/c.log" || { log "$T/c.log"; die "reg does not list $r"; }
done
grep -q "^r0 (/32): 0x12345678" "$T/c.log" || { log "$T/c.log"; die "r0 written through DCRSR/DCRDR"; }
grep -q "^r7 (/32): 0xcafef00d" "$T/c.log" || { log "$T/c.log"; die "r7 written through DCRSR/DCRDR"; }
# DHCSR after: reset halt (S_HALT, C_HALT), resume (S_HALT clear), halt,
# reset run (running, C_DEBUGEN kept)
dhcsr=$(grep '^0xe000edf0:' "$T/c.log" | awk '{print $2}' | tr '\n' ' ')
set -- $dhcsr
[ $# -eq 4 ] || { log "$T/c.log"; die "expected 4 DHCSR reads, got: $dhcsr"; }
halted() { [ $(( 0x$1 & 0x20003 )) -eq $(( 0x20003 )) ]; }  # S_HALT, C_HALT, C_DEBUGEN
running() { [ $(( 0x$1 & 0x20002 )) -eq 0 ] && [ $(( 0x$1 & 1 )) -eq 1 ]; }
halted "$1" || die "DHCSR after reset halt: 0x$1"
running "$2" || die "DHCSR after resume: 0x$2"
halted "$3" || die "DHCSR after halt: 0x$3"
running "$4" || die "DHCSR after reset run: 0x$4"
[ "$(json "$T/c.json" sim.protocol_errors)" = 0 ] || die "protocol errors"
[ "$(json "$T/c.json" sim.acks_fault)" = 0 ] || die "FAULT answers"
ok "OpenOCD reset halt at 0x$pc with SP 0x$sp, step to 0x$pc2, registers through" \
	"DCRSR/DCRDR, reg lists them all, DHCSR $dhcsr"
finish
