#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# `make check-cross-ARCH`: tools/check-cross.sh ARCH QEMU TRIPLET SUITE...
# Runs each cross-built Check suite under qemu-user (QEMU, e.g.
# qemu-arm-static) with the target's loader (-L /usr/TRIPLET) and its
# multiarch libraries, then the cross-built swdflash against the simulated
# chip (flash, verify and read back the demo firmware). Logs in
# build/ARCH/test-logs/; one line per suite and a summary.
arch=$1 qemu=$2 triplet=$3
shift 3
command -v "$qemu" >/dev/null 2>&1 || { echo "check-cross: $qemu not installed (qemu-user-static)" >&2; exit 1; }
logs=build/$arch/test-logs
mkdir -p "$logs"
run() { # BINARY ARGS...: under qemu, as on the target
	"$qemu" -L "/usr/$triplet" -E "LD_LIBRARY_PATH=/usr/lib/$triplet:/lib/$triplet" "$@"
}
# Check's per-test timeouts, for an emulated CPU on a shared machine
export CK_TIMEOUT_MULTIPLIER=${CK_TIMEOUT_MULTIPLIER:-10}
# Check forks each test; under qemu-user 7.2 (Debian 12) a forked child
# spins and never reports back. One process per suite instead (a crash
# still fails the suite).
export CK_FORK=no
t0=$(date +%s) n=0 failed=
for t in "$@"; do
	n=$((n + 1))
	s=$(date +%s)
	name=$(basename "$t")
	if timeout "${TEST_TIMEOUT:-1200}" "$qemu" -L "/usr/$triplet" \
		-E "LD_LIBRARY_PATH=/usr/lib/$triplet:/lib/$triplet" "$t" >"$logs/$name.log" 2>&1; then
		echo "pass $arch $name ($(($(date +%s) - s)) s): $(grep -m1 '^[0-9]*%' "$logs/$name.log")"
	else
		echo "FAIL $arch $name ($(($(date +%s) - s)) s), log $logs/$name.log:"
		grep -v ':P:' "$logs/$name.log" | tail -n 15 | sed 's/^/    /'
		failed="$failed $name"
	fi
done

# the CLI itself, on the simulated chip (its state file in build/ARCH/)
n=$((n + 1))
chip=build/$arch/cross-chip.bin
rm -f "$chip" "$chip.read"
if run "build/$arch/swdflash" --probe "sim:state=$chip" flash demo/blinky.hex >"$logs/swdflash.log" 2>&1 &&
	run "build/$arch/swdflash" --probe "sim:state=$chip" verify demo/blinky.hex >>"$logs/swdflash.log" 2>&1 &&
	run "build/$arch/swdflash" --probe "sim:state=$chip" --json info >>"$logs/swdflash.log" 2>&1; then
	echo "pass $arch swdflash flash/verify/info of demo/blinky.hex on the simulated chip"
else
	echo "FAIL $arch swdflash on the simulated chip, log $logs/swdflash.log:"
	tail -n 15 "$logs/swdflash.log" | sed 's/^/    /'
	failed="$failed swdflash"
fi
echo "check-cross $arch ($(run "build/$arch/swdflash" --version 2>&1), $(readelf -h "build/$arch/swdflash" | sed -n 's/.*Machine: *//p')):" \
	"$n checks, $(echo $failed | wc -w) failed${failed:+:$failed}, $(($(date +%s) - t0)) s"
[ -z "$failed" ]
