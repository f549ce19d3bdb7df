#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Every #include "..." follows the layer table (tools/check_layers.py), and
# the checker itself refuses a tree that breaks it.
cd "$(dirname "$0")/.." || exit 1
. tests/lib.sh
mkdir -p "$T/common" "$T/swd" "$T/web" "$T/nrf52"
echo '#include "../nrf52/x.h"' > "$T/web/a.c"
printf 'static void f(void)\n{\n\timg_parse(0, 0);\n}\n' > "$T/web/b.c"
: > "$T/nrf52/x.h"
echo '#include "dap.h"' > "$T/swd/link.c"
: > "$T/swd/dap.h"
if out=$(python3 tools/check_layers.py "$T"); then
	die "the checker passed a tree that breaks the layers: $out"
fi
for want in "web/a.c:1: web/ may not include nrf52/x.h" \
	"web/b.c:3: web/ calls img_parse() of a layer it may not use" \
	"swd/link.c:1: swd/link.c is below swd/dap.h"; do
	case "$out" in
	*"$want"*) ok "the checker refuses: $want" ;;
	*) fail "the checker did not say '$want': $out" ;;
	esac
done
check "this tree follows the layer table" python3 tools/check_layers.py .
finish
