#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The CLI keeps the bytes outside its image across an erase too (issue 10,
# item 13; the daemon's case is t_daemon_keep.sh): swdflash is killed
# (kill -9) in the program phase, after the erase of a page the image
# covers in part; the next run on that chip writes the kept bytes back
# and says so, and every byte outside the image is as before the first
# run. The pages are kept in $SWDFLASH_KEEP_DIR (default
# $XDG_STATE_HOME/swdflash/keep).
cd "$(dirname "$0")/.." || exit 1
. tests/lib.sh
[ -x "$SWDFLASH" ] || skip "$SWDFLASH is not built"
need python3 "make deps-check"

CHIP="$T/c.chip"
OLD_LO=$((0x10000)) OLD_LEN=$((128 * 1024))
IMG_LO=$((0x10800)) IMG_LEN=$((124 * 1024))
head -c $OLD_LEN /dev/urandom >"$T/old.bin"
head -c $IMG_LEN /dev/urandom >"$T/img.bin"
expect 0 "$SWDFLASH" --probe "sim:part=nrf52840,state=$CHIP" flash --format bin --base $OLD_LO \
	--no-reset "$T/old.bin"
expect 0 "$SWDFLASH" --probe "sim:part=nrf52840,state=$CHIP" read $OLD_LO $OLD_LEN \
	--format bin -o "$T/before.bin"
check "the old contents are on the chip" cmp -s "$T/old.bin" "$T/before.bin"

# the state file holds the flash at offset 24: the run is killed once the
# last page (0x2F000) reads erased and the program phase has begun
# (0x10800 holds the image's first bytes)
"$SWDFLASH" --probe "sim:part=nrf52840,realtime=1,period_ns=2000,state=$CHIP" flash \
	--format bin --base $IMG_LO "$T/img.bin" >"$T/run1.out" 2>"$T/run1.err" &
cpid=$!
in_program() {
	python3 - "$CHIP" "$T/img.bin" <<'PY'
import sys
c = open(sys.argv[1], "rb").read()
img = open(sys.argv[2], "rb").read()
last = c[24 + 0x2F800:24 + 0x30000]
first = c[24 + 0x10800:24 + 0x10810]
sys.exit(0 if last == b"\xff" * len(last) and first == img[:16] else 1)
PY
}
if wait_until 120 in_program; then
	kill -9 $cpid
	wait $cpid 2>/dev/null
	ok "swdflash killed in the program phase"
else
	wait $cpid
	die "the first run never reached the program phase: $(cat "$T/run1.err")"
fi
nkept=$(ls "$SWDFLASH_KEEP_DIR" 2>/dev/null | grep -c '\.page$')
check "pages were kept before their erase ($nkept in \$SWDFLASH_KEEP_DIR)" [ "$nkept" -ge 1 ]

expect 0 "$SWDFLASH" --probe "sim:part=nrf52840,state=$CHIP" flash --format bin --base $IMG_LO \
	"$T/img.bin"
grep -q "restoring .* bytes outside the image" "$T/err"
check "the next run says it restores the kept bytes" [ $? = 0 ]
grep -q "restored the bytes outside the image in" "$T/out"
check "and its summary too" [ $? = 0 ]
expect 0 "$SWDFLASH" --probe "sim:part=nrf52840,state=$CHIP" read $OLD_LO $OLD_LEN \
	--format bin -o "$T/after.bin"
python3 - "$T/before.bin" "$T/after.bin" "$T/img.bin" $((IMG_LO - OLD_LO)) >"$T/cmp.out" <<'PY'
import sys
before, after, img = (open(p, "rb").read() for p in sys.argv[1:4])
off = int(sys.argv[4])
out = [i for i in range(len(before)) if not (off <= i < off + len(img)) and before[i] != after[i]]
print(len(out), "0x%X" % (0x10000 + out[0]) if out else "-", int(after[off:off + len(img)] == img))
PY
read -r nlost first ins <"$T/cmp.out"
check "every byte outside the image is as before the first run ($nlost differ, first at $first)" \
	[ "$nlost" = 0 ]
check "the image is on the chip" [ "$ins" = 1 ]
nkept=$(ls "$SWDFLASH_KEEP_DIR" 2>/dev/null | grep -c '\.page$')
check "the kept copies are gone ($nkept left)" [ "$nkept" = 0 ]

# killed again; then the chip is erased on purpose: what was kept for it
# must not come back with a later flash
expect 0 "$SWDFLASH" --probe "sim:part=nrf52840,state=$CHIP" flash --format bin --base $OLD_LO \
	--no-reset "$T/old.bin"
"$SWDFLASH" --probe "sim:part=nrf52840,realtime=1,period_ns=2000,state=$CHIP" flash \
	--format bin --base $IMG_LO "$T/img.bin" >"$T/run2.out" 2>"$T/run2.err" &
cpid=$!
if wait_until 120 in_program; then
	kill -9 $cpid
	wait $cpid 2>/dev/null
else
	wait $cpid
	die "the third run never reached the program phase: $(cat "$T/run2.err")"
fi
nkept=$(ls "$SWDFLASH_KEEP_DIR" 2>/dev/null | grep -c '\.page$')
check "killed again: pages kept ($nkept)" [ "$nkept" -ge 1 ]
expect 0 "$SWDFLASH" --probe "sim:part=nrf52840,state=$CHIP" erase --chip
grep -q "dropped $nkept page(s)" "$T/err"
check "an erase of the chip drops them and says so ($(cat "$T/err"))" [ $? = 0 ]
nkept=$(ls "$SWDFLASH_KEEP_DIR" 2>/dev/null | grep -c '\.page$')
check "none left ($nkept)" [ "$nkept" = 0 ]
finish
