#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# gdb (Debian gdb-multiarch) through OpenOCD's GDB server (unmodified
# target/nrf52.cfg, defaults) on the emulated Pi GPIO and the simulated
# nRF52833: `load` writes probe-rs's nRF52833 Rust test program (its .data
# loads at 0x8460) through OpenOCD's flash loader, the firmware boots from
# the vector table, starts the HF clock and SysTick, and gdb's breakpoint
# on the SysTick handler (an FPB comparator: flash) stops it twice. The
# firmware keeps no tick count of its own (its handler is a `bkpt`), so the
# counter read at each stop is the core's cycle counter (DWT_CYCCNT): it
# advances by one SysTick period, RVR + 1 cycles, between the two stops.
cd "$(dirname "$0")/.." || exit 1
. tests/lib.sh
need_fixtures
need_emu
need_openocd_driver linuxgpiod
command -v gdb-multiarch >/dev/null || skip "gdb-multiarch missing (Debian package gdb-multiarch)"
ELF=$FIX/nRF52833_xxAA_systick.elf
[ -f "$ELF" ] || skip "$ELF missing"
log() { echo "--- $1"; tail -n 40 "$1"; }

PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
: >"$T/ocd.log"
CFG=$(echo "$OCD_CFG" | sed "s/gdb_port disabled/gdb_port $PORT/")
emu "part=nrf52833,state=$T/g.state,wallclock=1" "" timeout -k 10 600 openocd -c "$CFG" -c init \
	>"$T/ocd.log" 2>&1 &
lib_listening() { grep -q "Listening on port $PORT for gdb" "$T/ocd.log"; }
wait_until 60 lib_listening || { log "$T/ocd.log"; die "OpenOCD's GDB server did not start"; }

timeout 600 gdb-multiarch -batch -nx \
	-ex "set pagination off" -ex "set confirm off" -ex "set mem inaccessible-by-default off" \
	-ex "set language c" \
	-ex "target extended-remote 127.0.0.1:$PORT" \
	-ex "monitor reset halt" -ex "load" -ex "monitor reset halt" \
	-ex "monitor mww 0xE0001000 1" \
	-ex "break *SysTick" -ex "continue" \
	-ex 'printf "STOP1 pc=0x%x ipsr=%u cyc=%u rvr=%u\n", $pc, $xPSR & 0x1ff, *(unsigned *)0xE0001004, *(unsigned *)0xE000E014' \
	-ex "continue" \
	-ex 'printf "BKPT pc=0x%x insn=0x%x\n", $pc, *(unsigned short *)$pc' \
	-ex "continue" \
	-ex 'printf "STOP2 pc=0x%x ipsr=%u cyc=%u\n", $pc, $xPSR & 0x1ff, *(unsigned *)0xE0001004' \
	-ex "monitor shutdown" "$ELF" >"$T/gdb.out" 2>&1
grep -q "Start address 0x0*101\|Transfer rate" "$T/gdb.out" || { log "$T/gdb.out"; die "gdb load"; }
ocd_used_algorithms "$T/ocd.log" || { log "$T/ocd.log"; die "OpenOCD fell back to host-side writes"; }
sysaddr=$(arm-none-eabi-nm "$ELF" 2>/dev/null | awk '$3 == "SysTick" {print $1}')
[ -n "$sysaddr" ] || sysaddr=000004e4
s1=$(sed -n 's/^STOP1 //p' "$T/gdb.out") s2=$(sed -n 's/^STOP2 //p' "$T/gdb.out")
b=$(sed -n 's/^BKPT //p' "$T/gdb.out")
[ -n "$s1" ] && [ -n "$s2" ] && [ -n "$b" ] || { cp "$T/gdb.out" "$T/ocd.log" /tmp/o1/ 2>/dev/null; log "$T/gdb.out"; log "$T/ocd.log"; die "gdb did not stop three times"; }
v() { echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }
pc1=$(v "$s1" pc) pc2=$(v "$s2" pc)
i1=$(v "$s1" ipsr) i2=$(v "$s2" ipsr)
assert "first stop at the SysTick handler (0x$sysaddr) in handler mode 15 ($s1)" \
	"[ $((pc1)) -eq $((0x$sysaddr)) ] && [ '$i1' = 15 ]"
assert "second stop at the SysTick handler in handler mode 15 ($s2)" \
	"[ $((pc2)) -eq $((0x$sysaddr)) ] && [ '$i2' = 15 ]"
check "between them the handler's own bkpt stopped the core ($b)" \
	[ $(( $(v "$b" insn) & 0xff00 )) -eq $((0xbe00)) ]
c1=$(v "$s1" cyc) c2=$(v "$s2" cyc) rvr=$(v "$s1" rvr)
d=$((c2 - c1))
check "the cycle counter advanced by one SysTick period between the stops (RVR $rvr + 1 = $((rvr + 1)) cycles; counted $d)" \
	[ "$d" -eq $((rvr + 1)) ]
finish
