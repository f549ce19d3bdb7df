# Shared helpers for the tests/t_cli_*.sh scripts: the swdflash under test,
# the fixtures, a scratch directory, and small assertions. Source it from
# the repository root after `set -u`.

BIN=${SWDFLASH_BIN:-build/check/swdflash}
FIX=${SWDFLASH_FIXTURES:-../shared/fixtures}
[ -x "$BIN" ] || { echo "$BIN is not built"; exit 77; }
[ -d "$FIX" ] || { echo "no fixtures in $FIX"; exit 77; }
command -v python3 >/dev/null || { echo "python3 missing"; exit 77; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

# expect CODE CMD...: run with stdout in $tmp/out and stderr in $tmp/err,
# compare the exit code
expect() {
	want=$1; shift
	"$@" >"$tmp/out" 2>"$tmp/err"
	got=$?
	[ "$got" -eq "$want" ] || { fail "exit $got, expected $want: $*"; sed 's/^/  /' "$tmp/err"; }
}

# jget FILE EXPR: evaluate a python expression on the parsed JSON (j)
jget() { python3 -c "import json,sys; j=json.load(open(sys.argv[1])); print($2)" "$1"; }
