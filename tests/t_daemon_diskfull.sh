#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# A full disk (issue 10 item 11), on a 2 MiB tmpfs that holds the state
# directory: an upload is 507 no_space with a clear message (nothing left
# in tmp), a job is either succeeded with its record on disk or 507 (never
# 500, never succeeded without a record), the history never holds a torn
# or glued line, and once space returns the station works again by itself;
# after a restart every job the client was told succeeded still is.
# Needs root (mount); skips where a tmpfs cannot be mounted.
cd "$(dirname "$0")/.." || exit 1
. tests/lib.sh
need_daemon

[ "$(id -u)" = 0 ] || skip "needs root to mount a 2 MiB tmpfs (mount -t tmpfs)"
mkdir "$T/fs" || die "mkdir"
mount -t tmpfs -o size=2m tmpfs "$T/fs" 2>"$T/mount.err" ||
	skip "cannot mount a tmpfs here: $(cat "$T/mount.err")"
# lazy: a daemon still inside it cannot keep it mounted
trap 'umount -l "$T/fs" 2>/dev/null; lib_cleanup' EXIT

# the chip runs in real time: the big job is still programming when the
# disk fills up
SIM="sim:part=nrf52840,realtime=1,period_ns=125,state=$T/d.chip"
mkdir "$T/fs/s" && ln -s fs/s "$T/s" || die "state directory on the tmpfs"
printf '[jobs]\nqueue_length = 32\n' >"$T/d.conf"
dstart s --config "$T/d.conf" --probe "$SIM" || die "start"
head -c 4096 /dev/urandom >"$T/small.bin"
req POST "/api/v1/flash?format=bin&base=0x10000&wait=1" --data-binary @"$T/small.bin"
check "a first upload while there is space: 200" [ "$ST" = 200 ]
SHA=$(jget "$T/body" 'd["image"]["sha256"]')
: >"$T/told_ok"
jget "$T/body" 'd["id"]' >>"$T/told_ok"

# A job that succeeds after the disk filled up: start a 512 KiB flash, fill
# the disk while it programs, queue small jobs until even a "queued" record
# does not fit (so its larger final record cannot fit either).
head -c 524288 /dev/urandom >"$T/big.bin"
req POST "/api/v1/flash?format=bin&base=0x40000" --data-binary @"$T/big.bin"
check "the big job is queued (202)" [ "$ST" = 202 ]
BIG=$(jget "$T/body" 'd["id"]')
lib_big_programming() {
	req GET "/api/v1/jobs/$BIG"
	[ "$(jget "$T/body" 'd["state"], d["phase"]')" = "running program" ]
}
wait_until 60 lib_big_programming
check "job $BIG programs" [ "$(jget "$T/body" 'd["phase"]')" = program ]
# fill the file system (dd stops at ENOSPC)
dd if=/dev/zero of="$T/fs/filler" bs=4096 >/dev/null 2>&1
check "the file system is full" [ "$(df -P "$T/fs" | awk 'NR == 2 {print $4}')" = 0 ]
: >"$T/queued"
n=0
while [ $n -lt 30 ]; do
	n=$((n + 1))
	req POST /api/v1/flash -H 'Content-Type: application/json' --data "{\"image\":\"sha256:$SHA\"}"
	[ "$ST" = 202 ] || break
	jget "$T/body" 'd["id"]' >>"$T/queued"
done
check "once not even a queued record fits: 507 (got $ST after $(wc -l <"$T/queued") queued)" [ "$ST" = 507 ]
job_wait "/api/v1/jobs/$BIG"
check "job $BIG, whose final record does not fit, is not succeeded: failed" [ "$JSTATE" = failed ]
check "job $BIG: no_space" [ "$(jget "$T/body" 'd["error"]["code"]')" = no_space ]
MSG=$(jget "$T/body" 'd["error"]["message"]')
assert "job $BIG: the message says what happened ($MSG)" \
	'case $MSG in *"finished, but its record could not be written"*"No space left"*) true ;; *) false ;; esac'
others=
for id in $(cat "$T/queued"); do
	job_wait "/api/v1/jobs/$id"
	[ "$JSTATE/$(jget "$T/body" 'd["error"]["code"]')" = failed/no_space ] || others="$others $id:$JSTATE"
done
assert "the queued jobs, whose running record does not fit, failed no_space, untouched ($others)" \
	'[ -z "$others" ]'

head -c 65536 /dev/urandom >"$T/new.bin"
req POST "/api/v1/flash?format=bin&base=0x20000&wait=1" --data-binary @"$T/new.bin"
check "an upload on a full disk: 507 (got $ST)" [ "$ST" = 507 ]
check "code no_space" [ "$(jget "$T/body" 'd["error"]["code"]')" = no_space ]
MSG=$(jget "$T/body" 'd["error"]["message"]')
assert "the message says why ($MSG)" 'case $MSG in *"No space left"*) true ;; *) false ;; esac'
check "nothing left in tmp" [ -z "$(ls "$T/fs/s/tmp")" ]

# the stored image again and again: every append fails
n=0 full=0 other=0
while [ $n -lt 30 ] && [ $full -lt 4 ]; do
	n=$((n + 1))
	req POST "/api/v1/flash?wait=1&erase=auto" -H 'Content-Type: application/json' \
		--data "{\"image\":\"sha256:$SHA\"}"
	case $ST in
	200) [ "$(jget "$T/body" 'd["state"]')" = succeeded ] || other=$((other + 1))
	     jget "$T/body" 'd["id"]' >>"$T/told_ok" ;;
	507) full=$((full + 1))
	     [ "$(jget "$T/body" 'd["error"]["code"]')" = no_space ] || other=$((other + 1)) ;;
	*) other=$((other + 1)); echo "status $ST: $(cat "$T/body")" ;;
	esac
done
check "flashes on a full disk end 507 no_space ($full of $n)" [ $full -ge 4 ]
check "never another status, never succeeded with another answer" [ $other = 0 ]
req GET /healthz
check "the daemon still answers" [ "$ST" = 200 ]
# a restart on the full disk: the history cannot be rewritten, the daemon
# starts all the same and rewrites it once there is space
check "clean exit on the full disk" dstop
dstart s --config "$T/d.conf" --probe "$SIM" || die "restart on the full disk"
ok "the daemon starts on the full disk"
req GET "/api/v1/jobs/$BIG"
check "job $BIG is known after it ($(jget "$T/body" 'd["state"]'))" [ "$ST" = 200 ]

# space returns: the station recovers by itself, no restart
rm -f "$T/fs/filler"
req POST "/api/v1/flash?format=bin&base=0x20000&wait=1" --data-binary @"$T/new.bin"
check "space again: an upload flashes (200, got $ST)" [ "$ST" = 200 ]
jget "$T/body" 'd["id"]' >>"$T/told_ok"
req POST "/api/v1/flash?wait=1" -H 'Content-Type: application/json' \
	--data "{\"image\":\"sha256:$SHA\"}"
check "and the stored image too (200)" [ "$ST" = 200 ]
jget "$T/body" 'd["id"]' >>"$T/told_ok"
python3 - "$T/fs/s/history.jsonl" >"$T/torn" <<'PY'
import json, sys
for i, line in enumerate(open(sys.argv[1], "rb"), 1):
    try:
        o = json.loads(line)
        assert isinstance(o, dict) and isinstance(o.get("id"), int) and line.endswith(b"\n")
    except Exception:
        print("line %d: %r" % (i, line[:120]))
PY
assert "every history line is one whole record ($(head -c 300 "$T/torn"))" '[ ! -s "$T/torn" ]'
check "clean exit" dstop

dstart s --config "$T/d.conf" --probe "$SIM" || die "restart"
req GET "/api/v1/jobs/$BIG"
check "after a restart job $BIG is not succeeded ($(jget "$T/body" 'd["state"]'))" \
	[ "$(jget "$T/body" 'd["state"]')" != succeeded ]
bad_ids=
for id in $(cat "$T/told_ok"); do
	req GET "/api/v1/jobs/$id"
	[ "$(jget "$T/body" 'd["state"]')" = succeeded ] || bad_ids="$bad_ids $id:$(jget "$T/body" 'd["state"]')"
done
assert "after a restart every job told succeeded still is ($(wc -l <"$T/told_ok") jobs;$bad_ids)" \
	'[ -z "$bad_ids" ]'
check "clean exit" dstop
finish
