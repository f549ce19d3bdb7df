#!/bin/sh
# Run every test program and script; print one summary line at the end.
# Check suites are build/check/tests/check_*; scripts are tests/t_*.sh.
# A script exits 0 (pass), 77 (skipped: it says why) or anything else (fail).
cd "$(dirname "$0")/.." || exit 1
pass=0 fail=0 skip=0 failed=
mkdir -p build/test-logs
for t in build/check/tests/check_* tests/t_*.sh; do
	[ -e "$t" ] || continue
	case "$t" in *.o|*.d) continue ;; esac
	name=$(basename "$t" .sh)
	log=build/test-logs/$name.log
	case "$t" in
	*.sh) sh "$t" >"$log" 2>&1 ;;
	*) CK_DEFAULT_TIMEOUT=${CK_DEFAULT_TIMEOUT:-120} "$t" >"$log" 2>&1 ;;
	esac
	rc=$?
	if [ $rc -eq 0 ]; then
		pass=$((pass + 1)); echo "PASS $name"
		grep -E '^[0-9]+%: Checks' "$log" | sed 's/^/     /'
	elif [ $rc -eq 77 ]; then
		skip=$((skip + 1)); echo "SKIP $name: $(tail -n 1 "$log")"
	else
		fail=$((fail + 1)); failed="$failed $name"; echo "FAIL $name (exit $rc)"
		tail -n 40 "$log" | sed 's/^/     /'
	fi
done
echo
[ -n "$failed" ] && echo "failed:$failed"
echo "$pass passed, $fail failed, $skip skipped"
[ $fail -eq 0 ]
