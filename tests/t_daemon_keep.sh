#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# A failed job never destroys the bytes outside its image (issue 10, item
# 13). The chip holds old contents; an image covers its first and last
# pages only in part and needs every page erased. The daemon is killed
# (kill -9) in the program phase: the erased last page's old bytes were
# only in its memory. They were kept in STATE_DIR/keep before the erase;
# after a restart, the next flash of that chip writes them back (its
# messages say so), every byte outside the image is what it was before the
# first attempt, and the kept copies are gone.
cd "$(dirname "$0")/.." || exit 1
. tests/lib.sh
need_daemon

CHIP="$T/k.chip"
OLD_LO=$((0x10000)) OLD_LEN=$((128 * 1024))
IMG_LO=$((0x10800)) IMG_LEN=$((124 * 1024))   # ends at 0x2F800, inside the last page

# the old contents, whole pages, on a fast simulated chip
head -c $OLD_LEN /dev/urandom >"$T/old.bin"
head -c $IMG_LEN /dev/urandom >"$T/img.bin"
dstart k1 --probe "sim:part=nrf52840,state=$CHIP" || die "no daemon"
req POST "/api/v1/flash?format=bin&base=$OLD_LO&wait=1" --data-binary @"$T/old.bin"
[ "$ST" = 200 ] || die "old contents: $ST $(cat "$T/body")"
readmem $OLD_LO $OLD_LEN "$T/before.bin" || die "read before"
check "the old contents are on the chip" cmp -s "$T/old.bin" "$T/before.bin"
check "first daemon stops" dstop

# the same chip in real time (SWCLK 500 kHz): the program phase lasts seconds
dstart k2 --state-dir "$T/k" --probe "sim:part=nrf52840,realtime=1,period_ns=2000,state=$CHIP" ||
	die "no real-time daemon"
req POST "/api/v1/flash?format=bin&base=$IMG_LO" --data-binary @"$T/img.bin"
[ "$ST" = 202 ] || die "flash: $ST $(cat "$T/body")"
id=$(jget "$T/body" 'd["id"]')
in_program() {
	req GET "/api/v1/jobs/$id"
	[ "$(jget "$T/body" 'd["phase"]')" = program ] &&
		[ "$(jget "$T/body" 'd["bytes_done"]')" -gt 8192 ]
}
wait_until 120 in_program || die "job $id never reached the program phase: $(cat "$T/body")"
kill -9 "$DPID"
wait "$DPID" 2>/dev/null
DPID=
echo "killed in the program phase: $(cat "$T/body")"
nkept=$(ls "$T/k/keep" 2>/dev/null | grep -c '\.page$')
check "pages were kept before their erase ($nkept in STATE_DIR/keep)" [ "$nkept" -ge 1 ]

# the next attempt, on a fast chip again
dstart k3 --state-dir "$T/k" --probe "sim:part=nrf52840,state=$CHIP" || die "no daemon after the kill"
grep -q "were kept by a job that did not finish" "$DLOG"
check "the restarted daemon says pages are kept" [ $? = 0 ]
req POST "/api/v1/flash?format=bin&base=$IMG_LO&wait=1" --data-binary @"$T/img.bin"
check "the next flash succeeds ($ST)" [ "$ST" = 200 ]
restored=$(jget "$T/body" 'd["stats"]["pages_restored"]')
msgs=$(jget "$T/body" '" | ".join(d.get("messages", []))')
check "its result counts the restored pages ($restored)" [ "${restored:-0}" -ge 1 ]
assert "its messages say so ($msgs)" 'case "$msgs" in *restoring*earlier\ attempt*) true ;; *) false ;; esac'
readmem $OLD_LO $OLD_LEN "$T/after.bin" || die "read after"
python3 - "$T/before.bin" "$T/after.bin" "$T/img.bin" $((IMG_LO - OLD_LO)) >"$T/cmp.out" <<'PY'
import sys
before, after, img = (open(p, "rb").read() for p in sys.argv[1:4])
off = int(sys.argv[4])
out = [i for i in range(len(before)) if not (off <= i < off + len(img)) and before[i] != after[i]]
ins = after[off:off + len(img)] == img
print(len(out), "0x%X" % (0x10000 + out[0]) if out else "-", int(ins))
PY
read -r nlost first ins <"$T/cmp.out"
check "every byte outside the image is as before the first attempt ($nlost differ, first at $first)" \
	[ "$nlost" = 0 ]
check "the image is on the chip" [ "$ins" = 1 ]
nkept=$(ls "$T/k/keep" 2>/dev/null | grep -c '\.page$')
check "the kept copies are gone ($nkept left)" [ "$nkept" = 0 ]
check "daemon stops cleanly" dstop
finish
