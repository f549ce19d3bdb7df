#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The emulated ST-Link behind the stlink-server TCP protocol on loopback
# (build/stlink_server; STLINK.md §4): unmodified OpenOCD 0.12 reaches it
# with no USB emulation at all.
#  - HLA, `hla_stlink_backend tcp PORT`: "stlink-server API v2", the
#    version line, the Cortex-M4, then `program IMG 0x0 verify` of an image
#    made here through OpenOCD's flash loader and CRC algorithm (no
#    fallback: ocd_used_algorithms), read back equal by swdflash from the
#    server's chip;
#  - dapdirect, `st-link backend tcp PORT`, V2J32: `nrf52_recover` unlocks
#    and erases a locked chip.
# OpenOCD runs with target/nrf52.cfg's defaults (a 16 KiB work area).
cd "$(dirname "$0")/.." || exit 1
. tests/lib.sh
command -v openocd >/dev/null || skip "openocd missing (Debian package openocd)"
[ -x build/stlink_server ] || die "build/stlink_server missing (make tests-extra)"
[ -x "$SWDFLASH" ] || die "$SWDFLASH missing"
log() { echo "--- $1"; tail -n 30 "$1"; }
OCD_BASE='gdb_port disabled; tcl_port disabled; telnet_port disabled'

# server SIMSPEC EMUSPEC NAME: start one; sets SPID and SPORT.
server() {
	rm -f "$T/$3.port"
	STLINK_EMU_SIM=$1 STLINK_EMU=$2 STLINK_EMU_STATS=$T/$3.json build/stlink_server \
		--port-file "$T/$3.port" >"$T/$3.srv" 2>&1 &
	SPID=$! SFILE=$T/$3.port
	wait_until 30 '[ -s "$SFILE" ] || ! alive $SPID' || return 1
	SPORT=$(cat "$SFILE")
	[ -n "$SPORT" ]
}

# 1. HLA over TCP.
python3 -c 'import random,sys; r=random.Random(5); sys.stdout.buffer.write(bytes(r.getrandbits(8) for _ in range(8192)))' >"$T/img.bin"
S=$T/hla.state
server "part=nrf52840,state=$S" "" hla || { cat "$T/hla.srv"; die "stlink_server did not start"; }
timeout -k 10 600 openocd -c "$OCD_BASE" -f interface/stlink.cfg -c "hla_stlink_backend tcp $SPORT" \
	-f target/nrf52.cfg -c init -c "program $T/img.bin 0x0 verify" \
	-c shutdown >"$T/hla.log" 2>&1 || log "$T/hla.log"
term_wait $SPID 30 || fail "stlink_server exit status"
$SWDFLASH --probe "sim:part=nrf52840,state=$S" read 0 8192 -o "$T/hla.sw" >/dev/null 2>&1 ||
	die "swdflash read"
assert "OpenOCD HLA over stlink-server TCP: API v2, V2J37S7, Cortex-M4, program+verify through the loader and CRC, swdflash reads the image back ($(json "$T/hla.json" stlink.commands) commands)" \
	'grep -q "stlink-server API v2, version 2.1.0" "$T/hla.log" && ocd_used_algorithms "$T/hla.log" &&
	 grep -q "STLINK V2J37S7 (API v2) VID:PID 0483:3748" "$T/hla.log" &&
	 grep -q "Cortex-M4 r0p1 processor detected" "$T/hla.log" &&
	 grep -q "\*\* Verified OK \*\*" "$T/hla.log" && cmp -s "$T/img.bin" "$T/hla.sw"'

# A client that speaks nonsense is dropped; the next one is served.
S=$T/bad.state
server "part=nrf52840,state=$S" "" bad || { cat "$T/bad.srv"; die "stlink_server did not start"; }
python3 - "$SPORT" >"$T/bad.out" 2>&1 <<'PY'
import socket, struct, sys
port = int(sys.argv[1])
s = socket.create_connection(("127.0.0.1", port), timeout=10)
s.sendall(b"\x99\x00\x00\x00")
try:
    r = s.recv(16)
except ConnectionResetError:
    r = b""
print("dropped" if r == b"" else "answered")
s = socket.create_connection(("127.0.0.1", port), timeout=10)
s.sendall(b"\x06\x01\x00\x00")
api, major, minor, build = struct.unpack("<4I", s.recv(16))
s.sendall(b"\x03\x00\x00\x00" + struct.pack("<I", 0x12345678))  # not the device's id
ss, cid = struct.unpack("<2I", s.recv(8))
print("api", api, "open_bad", hex(ss))
PY
term_wait $SPID 30 || fail "stlink_server exit status"
assert "stlink_server drops a client sending an unknown request, serves the next (API v2), refuses a wrong device id" \
	'grep -q "^dropped" "$T/bad.out" && grep -q "^api 2 open_bad 0x1003" "$T/bad.out"'

# 2. dapdirect over TCP: recover a locked chip.
S=$T/dap.state
server "part=nrf52840,locked=1,state=$S,wallclock=1" "fw=J32" dap ||
	{ cat "$T/dap.srv"; die "stlink_server did not start"; }
timeout -k 10 600 openocd -c "$OCD_BASE" -f interface/stlink-dap.cfg -c "st-link backend tcp $SPORT" \
	-f target/nrf52.cfg -c init -c nrf52_recover -c "mdw 0x10001208 1" \
	-c shutdown >"$T/dap.log" 2>&1 || log "$T/dap.log"
term_wait $SPID 30 || fail "stlink_server exit status"
$SWDFLASH --json --probe "sim:part=nrf52840,state=$S" info >"$T/dap.info" || die "swdflash info"
assert "OpenOCD dapdirect over stlink-server TCP (V2J32): nrf52_recover unlocked and erased the chip" \
	'grep -q "successfully erased and unlocked" "$T/dap.log" &&
	 grep -q "0x10001208: ffffffff" "$T/dap.log" &&
	 [ "$(json "$T/dap.json" sim.ctrlap_erase_alls)" = 1 ] &&
	 [ "$(json "$T/dap.info" locked)" = False ]'
finish
