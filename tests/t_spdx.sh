#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Every source file the project ships carries its SPDX license line near
# the top (LICENSE: GPL-2.0-or-later).
cd "$(dirname "$0")/.." || exit 1
. tests/lib.sh
command -v git >/dev/null 2>&1 && [ -d .git ] || [ -f .git ] || skip "not a git checkout"
git ls-files -- '*.c' '*.h' '*.sh' '*.py' '*.mjs' '*.js' '*.css' '*.html' '.ci/run' \
	'Makefile' 'systemd/*' >"$T/files" || die "git ls-files failed"
missing=0
while IFS= read -r f; do
	head -n 3 "$f" | grep -q 'SPDX-License-Identifier: GPL-2.0-or-later' && continue
	echo "no SPDX line in the first 3 lines: $f"
	missing=$((missing + 1))
done <"$T/files"
check "LICENSE is the GPL version 2 text" grep -q 'GNU GENERAL PUBLIC LICENSE' LICENSE
assert "every source file has an SPDX line ($(wc -l <"$T/files") files, $missing without)" \
	'[ "$missing" -eq 0 ]'
finish
