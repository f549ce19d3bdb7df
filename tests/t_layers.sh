#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Every #include "..." follows the layer table (tools/check_layers.py), and
# the checker itself refuses a tree that breaks it.
cd "$(dirname "$0")/.." || exit 1
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/common" "$tmp/swd" "$tmp/web" "$tmp/nrf52"
echo '#include "../nrf52/x.h"' > "$tmp/web/a.c"
: > "$tmp/nrf52/x.h"
echo '#include "dap.h"' > "$tmp/swd/link.c"
: > "$tmp/swd/dap.h"
if out=$(python3 tools/check_layers.py "$tmp"); then
	echo "FAIL: the checker passed a tree that breaks the layers:"; echo "$out"; exit 1
fi
for want in "web/a.c:1: web/ may not include nrf52/x.h" \
	"swd/link.c:1: swd/link.c is below swd/dap.h"; do
	case "$out" in
	*"$want"*) ;;
	*) echo "FAIL: the checker did not say '$want':"; echo "$out"; exit 1 ;;
	esac
done
python3 tools/check_layers.py .
