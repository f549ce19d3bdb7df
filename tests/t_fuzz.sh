#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The libFuzzer harnesses (tests/fuzz/fuzz_*.c, built into build/fuzz/ by
# check-build when clang has its fuzzer runtime): each runs FUZZ_SECONDS
# (default 10 here, 60 from `make fuzz`) from its seeds (tests/fuzz/seeds/
# and, for the image parsers, the fixtures). A crash, a broken contract
# (abort), a leak or a slow input (FUZZ_TIMEOUT s, default 10) fails it and
# keeps the input in build/fuzz/artifacts/. Prints each one's executions,
# executions per second and coverage (libFuzzer's cov/ft).
#
#   sh tests/t_fuzz.sh [TARGET...]   only these (hex uf2 ...)
cd "$(dirname "$0")/.." || exit 1
. tests/lib.sh
secs=${FUZZ_SECONDS:-10}
limit=${FUZZ_TIMEOUT:-10}
maxlen=${FUZZ_MAX_LEN:-65536}
case "$secs$limit$maxlen" in
*[!0-9]*) die "FUZZ_SECONDS, FUZZ_TIMEOUT and FUZZ_MAX_LEN are whole numbers" ;;
esac
rt=$(${FUZZ_CC:-clang} -print-file-name=libclang_rt.fuzzer-$(uname -m).a 2>/dev/null)
[ -f "$rt" ] || skip "clang's libFuzzer runtime is missing (apt-get install clang libclang-rt-dev, on Debian 12 libclang-rt-14-dev)"
targets=$*
[ -n "$targets" ] || targets=$(ls tests/fuzz/fuzz_*.c | sed 's|.*/fuzz_||; s|\.c$||')
ART=build/fuzz/artifacts
mkdir -p "$ART"
for t in $targets; do
	bin=build/fuzz/fuzz_$t
	[ -x "$bin" ] || die "$bin is missing: run make check-build (or make fuzz-build)"
	seeds=tests/fuzz/seeds/$t
	[ -d "$seeds" ] || die "no seeds in $seeds"
	# the vendor images seed the image parsers, each where its format fits
	fix=$T/fix-$t
	mkdir -p "$fix"
	case $t in
	hex) pat='*.hex' ;; uf2) pat='*.uf2' ;; elf) pat='*.elf' ;; detect) pat='*.*' ;; *) pat= ;;
	esac
	if [ -n "$pat" ] && [ -d "$FIX" ]; then
		for f in "$FIX"/$pat; do
			case $f in *.md) continue ;; esac
			[ -f "$f" ] && ln -s "$(cd "$(dirname "$f")" && pwd)/$(basename "$f")" "$fix/"
		done
	fi
	log=$T/$t.log
	# each seed whole, once; then the mutations, FUZZ_MAX_LEN bytes at
	# most (the fixtures are 0.3-2 MB: whole, they run at a few per second)
	if ! "$bin" -runs=0 -timeout="$limit" -rss_limit_mb=2048 \
		-artifact_prefix="$ART/$t-" "$seeds" "$fix" >"$log" 2>&1; then
		grep -E 'ERROR|SUMMARY|contract broken|runtime error|Test unit written' "$log" | head -n 20
		fail "fuzz_$t fails on a seed (the input is in $ART/)"
		continue
	fi
	corpus=$T/corpus-$t
	mkdir -p "$corpus"
	# detection parses each input three ways (sanitized SHA-256 each time)
	ml=$maxlen
	[ "$t" = detect ] && [ "$ml" -gt 16384 ] && ml=16384
	"$bin" -max_total_time="$secs" -timeout="$limit" -rss_limit_mb=2048 -max_len="$ml" \
		-print_final_stats=1 -artifact_prefix="$ART/$t-" "$corpus" "$seeds" "$fix" \
		>"$log" 2>&1
	rc=$?
	last=$(grep -E '^#[0-9]+' "$log" | tail -n 1)
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	eps=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
	cov=$(echo "$last" | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
	ft=$(echo "$last" | sed -n 's/.* ft: \([0-9]*\).*/\1/p')
	echo "fuzz_$t: ${runs:-?} runs in $secs s, ${eps:-?} exec/s, cov ${cov:-?} ft ${ft:-?}"
	if [ "$rc" -ne 0 ]; then
		grep -E 'ERROR|SUMMARY|contract broken|runtime error|Test unit written' "$log" | head -n 20
		fail "fuzz_$t found a problem (exit $rc; the input is in $ART/)"
		continue
	fi
	assert "fuzz_$t ran inputs and finished cleanly" '[ "${runs:-0}" -gt 0 ] && grep -q "^Done" "$log"'
done
finish
