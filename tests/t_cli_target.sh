#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The engine's on-target routines through swdflash and the daemon's API:
# compare and verify by CRC-32 on a core that runs code, --verify read
# (API verify=read) reading back instead, a hanging core falling back to
# the wire path (and --debug saying so), and a wrong image never passing
# verify. Images made here; no fixtures needed.
set -u
cd "$(dirname "$0")/.." || exit 1
. tests/lib.sh
[ -x "$SWDFLASH" ] || skip "$SWDFLASH is not built"
need python3 "make deps-check"

python3 - "$T" <<'PY'
import random, sys
r = random.Random(12)
a = bytearray(r.getrandbits(8) for _ in range(5 * 4096 + 300))
open(sys.argv[1] + "/a.bin", "wb").write(a)
a[3 * 4096 + 7] ^= 0x21
open(sys.argv[1] + "/b.bin", "wb").write(a)
PY
P="sim:part=nrf52840,state=$T/chip"
tc() { jget "$T/out" "d['stats']['target_code']['$1']"; }

expect 0 "$SWDFLASH" --probe "$P" --json --debug flash "$T/a.bin" --base 0x4000
if grep -q "on-target CRC routine runs" "$T/err"; then
	ok "--debug says the on-target CRC ran"
	assert "the compare pass asked the target for 6 page CRCs" '[ "$(tc pages_crc)" = 6 ]'
	assert "verify by CRC covered every byte" '[ "$(tc bytes_crc_verified)" = 20780 ]'
	# the same image again: nothing written, nothing read back page by page
	expect 0 "$SWDFLASH" --probe "$P" --json flash "$T/a.bin" --base 0x4000
	assert "an unchanged image is skipped by CRC" \
		'[ "$(jget "$T/out" "d[\"stats\"][\"pages_skipped\"]")" = 6 ]'
	# one byte changed: one page written
	expect 0 "$SWDFLASH" --probe "$P" --json flash "$T/b.bin" --base 0x4000
	assert "one changed page is the only one written" \
		'[ "$(jget "$T/out" "d[\"stats\"][\"pages_written\"]")" = 1 ]'
	expect 0 "$SWDFLASH" --probe "$P" --json --verify read flash "$T/a.bin" --base 0x4000
	assert "--verify read: no CRC" '[ "$(tc bytes_crc_verified)" = 0 ] && [ "$(tc pages_crc)" = 0 ]'
else
	echo "note: the simulated core does not execute here ($(grep debug: "$T/err" | head -n 1))"
	check "without an executing core --debug says the wire path ran" \
		grep -q "on-target routines off, using the wire path" "$T/err"
	expect 0 "$SWDFLASH" --probe "$P" flash "$T/a.bin" --base 0x4000
fi
# a wrong image never verifies: the CRC differs, the readback names the byte
expect 6 "$SWDFLASH" --probe "$P" verify "$T/b.bin" --base 0x4000
check "the mismatch is named by address" grep -q "0x00007007" "$T/err"
expect 6 "$SWDFLASH" --probe "$P" verify "$T/b.bin" --base 0x4000 --verify read
expect 0 "$SWDFLASH" --probe "$P" verify "$T/a.bin" --base 0x4000
expect 2 "$SWDFLASH" --probe "$P" verify "$T/a.bin" --base 0x4000 --verify sometimes

# a core that hangs: the job still succeeds, on the wire, and says so
H="sim:part=nrf52840,state=$T/hang,core=hang"
expect 0 "$SWDFLASH" --probe "$H" --json --debug flash "$T/a.bin" --base 0x4000
check "a hanging core: --debug says the wire path took over" \
	grep -q "on-target routines off, using the wire path" "$T/err"
assert "a hanging core: the fallback is in the stats" '[ "$(tc fallback)" = True ]'
expect 0 "$SWDFLASH" --probe "sim:part=nrf52840,state=$T/hang" verify "$T/a.bin" --base 0x4000 --verify read

# the API: verify=read is accepted and recorded, a bad value refused
if [ -x "$SWDFLASHD" ]; then
	dstart api --probe "sim:part=nrf52840,state=$T/dchip" || die "daemon did not start"
	req POST "/api/v1/flash?format=bin&base=0x4000&verify=read&wait=1" --data-binary "@$T/a.bin"
	assert "POST flash verify=read: 200 ($ST)" '[ "$ST" = 200 ]'
	assert "the job records verify_mode read" \
		'[ "$(jget "$T/body" "d[\"options\"][\"verify_mode\"]")" = read ]'
	req POST "/api/v1/flash?format=bin&base=0x4000&verify=sometimes" --data-binary "@$T/a.bin"
	assert "verify=sometimes: 400 ($ST)" '[ "$ST" = 400 ]'
	check "the daemon stops cleanly" dstop
fi
finish
