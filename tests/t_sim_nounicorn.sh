#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The simulated core without Unicorn: a machine without Debian's libunicorn2
# still runs the simulator (the core does not execute code, as before issue
# 12) and says so once; the engine's on-target routines cannot run there, so
# a flash takes the wire path and verifies. dlopen of libunicorn.so.2 is
# made to fail by a preloaded library built here, which forwards every other
# dlopen.
cd "$(dirname "$0")/.." || exit 1
. tests/lib.sh
SW=${SWDFLASH_REL:-build/rel/swdflash}
[ -x "$SW" ] || skip "$SW is not built"
need cc "make deps-check"
need objcopy "make deps-check"

cat >"$T/nouc.c" <<'C'
#define _GNU_SOURCE
#include <dlfcn.h>
#include <string.h>
void *dlopen(const char *name, int flags)
{
	static void *(*real)(const char *, int);
	if (name && strstr(name, "libunicorn"))
		return NULL;
	if (!real)
		*(void **)&real = dlsym(RTLD_NEXT, "dlopen");
	return real(name, flags);
}
C
cc -shared -fPIC -o "$T/nouc.so" "$T/nouc.c" -ldl || die "cannot build the dlopen shim"
head -c 8192 /dev/urandom >"$T/a.bin"
objcopy -I binary -O ihex --change-addresses 0x20000 "$T/a.bin" "$T/a.hex"
SPEC="sim:part=nrf52840,state=$T/chip"

LD_PRELOAD=$T/nouc.so "$SW" --probe "$SPEC" --debug flash "$T/a.hex" >"$T/out" 2>"$T/err"
rc=$?
head -n 20 "$T/err"
check "flash without Unicorn exits 0 ($rc)" [ "$rc" = 0 ]
check "it says the core does not execute code, why, and what to install" \
	grep -q "sim: libunicorn.so.2.*does not execute code (install Debian's libunicorn2)" "$T/err"
check "... once" [ "$(grep -c 'does not execute code' "$T/err")" = 1 ]
"$SW" --probe "$SPEC" read 0x20000 8192 -o "$T/back.bin" >/dev/null 2>&1
check "the chip holds the image" cmp -s "$T/a.bin" "$T/back.bin"
LD_PRELOAD=$T/nouc.so "$SW" --probe "$SPEC" verify "$T/a.hex" >"$T/out" 2>"$T/err2"
rc=$?
check "verify without Unicorn agrees ($rc)" [ "$rc" = 0 ]
# with Unicorn (where the machine has it) the same flash uses the routines
if ldconfig -p 2>/dev/null | grep -q libunicorn.so.2; then
	"$SW" --probe "$SPEC" --debug flash --full "$T/a.hex" >"$T/out" 2>"$T/err3"
	check "with Unicorn no such message" sh -c "! grep -q 'does not execute code' '$T/err3'"
	check "... and the on-target routines ran" sh -c "! grep -q 'routines off' '$T/err3'"
fi
finish
