#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The test scripts themselves (tests/lint_tests.py): no result helper
# followed by && or || (`check D [ a ] && [ b ]` checks only [ a ]), no
# sleep outside a polling loop, all on tests/lib.sh. First the linter must
# refuse sample bad lines and accept the good shapes, so that this check
# can fail.
cd "$(dirname "$0")/.." || exit 1
. tests/lib.sh
need python3 "make deps-check"
LINT="python3 tests/lint_tests.py"

# Each bad sample is one file: the linter must name it at line 2.
n=0
while IFS= read -r line; do
	n=$((n + 1))
	printf '#!/bin/sh\n%s\n' "$line" | sed 's/\\n/\n/g' >"$T/bad$n.sh"
	out=$($LINT "$T/bad$n.sh")
	rc=$?
	assert "refused: $line" '[ $rc -ne 0 ] && case "$out" in "$T/bad$n.sh:2: "*) true ;; *) false ;; esac'
done <<'EOF'
check "unknown job" [ "$ST" = 404 ] && [ "$(jget "$T/body" 'd["x"]')" = y ]
check "ended cleanly" [ "$s" = succeeded ] || [ "$s" = cancelled ]
check "Type=notify" grep -q '^Type=notify' "$UNIT" && grep -q '^WatchdogSec=' "$UNIT"
	check "indented, continued" [ "$a" = 1 ] \\n		&& [ "$b" = 2 ]
[ -e x ] && check "after a guard" [ "$a" = 1 ] && [ "$b" = 2 ]
ok "ok, then" && echo more
assert "assert, then" '[ a ]' || echo other
expect 0 "$SWDFLASH" info && echo more
for i in 1 2; do :; done; sleep 1
sleep 0.5   # long enough
EOF
assert "$n bad samples tried" '[ $n -eq 10 ]'

cat >"$T/good.sh" <<'EOF'
#!/bin/sh
check "both" sh -c '[ a ] && [ b ]'
check "both, in a string with || too" sh -c "[ -e '$T/x' ] || [ -e '$T/y' ]"
assert "both" '[ "$ST" = 200 ] && [ "$(jget "$T/body" "d[\"state\"]")" = ok ]'
[ -e "$T/x" ] && check "guarded" [ -s "$T/x" ]
[ "$fmt" = hex ] || fail "detected as $fmt"
check "a substitution with && inside $(a && b)" [ "$(x || y)" = z ]
# check "a comment" [ a ] && [ b ]
python3 - <<'PY'
check("in a here-document", a and b) && never || shell
PY
while ! [ -e "$T/flag" ]; do sleep 0.05; done
dstart d --probe sim || { fail start; finish; }
EOF
out=$($LINT "$T/good.sh")
rc=$?
assert "good shapes accepted" '[ $rc -eq 0 ] && [ -z "$out" ]'
[ -n "$out" ] && echo "$out"

# One helper library: every script sources tests/lib.sh and defines none
# of its result helpers itself.
uses_lib() {
	grep -q '^\. tests/lib\.sh$' "$1" && ! grep -Eq '^(ok|fail|bad|check|assert|skip|die|finish)\(\)' "$1"
}
printf '#!/bin/sh\n. tests/daemon_lib.sh\n' >"$T/old1.sh"
printf '#!/bin/sh\n. tests/lib.sh\nok() { echo ok; }\n' >"$T/old2.sh"
assert "refused: a script on another library, one with its own ok()" '! uses_lib "$T/old1.sh" && ! uses_lib "$T/old2.sh"'
f0=$fails
for f in tests/t_*.sh; do
	uses_lib "$f" || fail "$f does not use tests/lib.sh alone"
done
[ $fails -eq $f0 ] && ok "every tests/t_*.sh uses tests/lib.sh"

# The real scripts.
$LINT tests/*.sh >"$T/lint.out"
rc=$?
cat "$T/lint.out"
check "tests/*.sh: no helper followed by && or ||, no sleep outside a loop" [ $rc -eq 0 ]
finish
