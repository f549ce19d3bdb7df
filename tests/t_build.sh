#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The build as a distribution expects it: `make all` installs nothing;
# CPPFLAGS, CFLAGS and LDFLAGS reach every compile and link of the installed
# programs; a missing library stops the build by name; a second make
# rebuilds nothing; the install goes where pkg-config says and uninstall
# removes it; the man pages name every option and command --help lists.
cd "$(dirname "$0")/.." || exit 1
. tests/lib.sh
# The make commands below must not see the jobserver of a `make check`.
unset MAKEFLAGS MFLAGS MAKELEVEL
MK="make --no-print-directory"

# ---- make all provisions nothing; run and check do ----
$MK -n -B all >"$T/all.n" 2>&1
check "make all builds (dry run)" grep -q -- '-o build/rel/swdflashd' "$T/all.n"
check "make all never runs tools/deps.sh or apt-get" sh -c "! grep -q 'deps.sh\|apt-get' '$T/all.n'"
for t in run check; do
	$MK -n "$t" >"$T/$t.n" 2>&1
	check "make $t provisions first (tools/deps.sh)" grep -q 'tools/deps.sh' "$T/$t.n"
done
check "make run's provisioning includes curl (its examples use it)" grep -q 'deps.sh.* curl' "$T/run.n"
check "make check never changes the dpkg architectures (check-cross does)" \
	sh -c "! grep -q 'cross-deps\|add-architecture' '$T/check.n'"
$MK -n check-cross >"$T/cross.n" 2>&1
check "make check-cross provisions them first (tools/cross-deps.sh)" grep -q 'tools/cross-deps.sh' "$T/cross.n"

# ---- a normal user is told the exact apt-get line ----
if command -v apt-get >/dev/null 2>&1 && command -v dpkg-query >/dev/null 2>&1; then
	as=
	[ "$(id -u)" = 0 ] && as="setpriv --reuid=65534 --regid=65534 --clear-groups"
	$as sh tools/deps.sh swdflashd-no-such-package >"$T/deps.out" 2>&1
	check "tools/deps.sh as a normal user stops when a package is missing" [ $? -ne 0 ]
	check "... printing apt-get install with --no-install-recommends" \
		grep -q '^run:  sudo apt-get install -y --no-install-recommends swdflashd-no-such-package$' "$T/deps.out"
	cat "$T/deps.out"
fi

# ---- distribution flags ----
if command -v dpkg-buildflags >/dev/null 2>&1; then
	export DEB_BUILD_MAINT_OPTIONS=hardening=+all
	CF=$(dpkg-buildflags --get CFLAGS) CPF=$(dpkg-buildflags --get CPPFLAGS) LDF=$(dpkg-buildflags --get LDFLAGS)
else
	CF="-O2 -g -fstack-protector-strong" CPF="-D_FORTIFY_SOURCE=2" LDF="-Wl,-z,relro -Wl,-z,now"
fi
echo "CFLAGS=$CF"; echo "CPPFLAGS=$CPF"; echo "LDFLAGS=$LDF"
$MK -n -B build/rel/swdflash build/rel/swdflashd CFLAGS="$CF" CPPFLAGS="$CPF" LDFLAGS="$LDF" \
	SYSCONFDIR=/opt/sf-etc >"$T/flags.n" 2>&1
grep -- ' -c .* -o build/rel/' "$T/flags.n" >"$T/cc" || true
grep -- ' -o build/rel/swdflashd\? ' "$T/flags.n" >"$T/ld" || true
ncc=$(wc -l <"$T/cc") nld=$(wc -l <"$T/ld")
nocf=$(grep -cvF -- "$CF" "$T/cc") nocpf=$(grep -cvF -- "$CPF" "$T/cc") noldf=$(grep -cvF -- "$LDF" "$T/ld")
assert "CFLAGS on every compile ($ncc compiles, $nocf without)" '[ "$ncc" -gt 10 ] && [ "$nocf" -eq 0 ]'
assert "CPPFLAGS on every compile ($nocpf without)" '[ "$ncc" -gt 10 ] && [ "$nocpf" -eq 0 ]'
assert "LDFLAGS on both links ($nld links, $noldf without)" '[ "$nld" -eq 2 ] && [ "$noldf" -eq 0 ]'
check "SYSCONFDIR is compiled in (the default config path)" \
	grep -qF -- "-DSWDFLASHD_SYSCONFDIR='\"/opt/sf-etc\"' " "$T/cc"

# ---- a missing library is reported at build time ----
# pkg-config as on a machine without libgpiod-dev
cat >"$T/pkg-config" <<'PC'
#!/bin/sh
for a in "$@"; do [ "$a" = libgpiod ] && exit 1; done
exec pkg-config "$@"
PC
chmod +x "$T/pkg-config"
$MK -s all PKG_CONFIG="$T/pkg-config" >"$T/nogpiod" 2>&1
rc=$?
check "make all without libgpiod fails" [ "$rc" -ne 0 ]
check "... naming the library and its Debian package" \
	grep -q 'library libgpiod not found by pkg-config (Debian package: libgpiod-dev)' "$T/nogpiod"
cat "$T/nogpiod"

# ---- a second make compiles nothing ----
if [ -x build/check/tests/check_errmap ] && [ -x build/rel/swdflashd ]; then
	$MK -n check-build WERROR=1 >"$T/again.n" 2>&1
	n=$(grep -c -- ' -c ' "$T/again.n")
	assert "a second make check-build compiles nothing ($n compiles)" '[ "$n" -eq 0 ]'
	[ "$n" -eq 0 ] || grep -- ' -c ' "$T/again.n" | head -n 5
else
	echo "not built yet (make check-build): the rebuild check is not run"
fi

# ---- install and uninstall ----
D=$T/root
$MK -s print-install-dirs PREFIX=/usr >"$T/dirs" && . "$T/dirs"
echo "install dirs: $(cat "$T/dirs")"
if command -v pkg-config >/dev/null 2>&1 && pkg-config --exists systemd; then
	check "units go where systemd.pc says" [ "$SYSTEMDUNITDIR" = "$(pkg-config --variable=systemdsystemunitdir systemd)" ]
fi
check "the example config goes to /usr/share/doc/swdflashd/examples" [ "$DOCDIR" = /usr/share/doc/swdflashd ]
if [ -x build/rel/swdflashd ]; then
	$MK -s install DESTDIR="$D" PREFIX=/usr >"$T/install.log" 2>&1
	check "make install DESTDIR=... PREFIX=/usr" [ $? -eq 0 ]
	for f in "$BINDIR/swdflashd" "$BINDIR/swdflash" "$SYSTEMDUNITDIR/swdflashd.service" \
		"$SYSTEMDUNITDIR/swdflashd.socket" "$DOCDIR/examples/swdflashd.conf.example" \
		"$MANDIR/man1/swdflash.1" "$MANDIR/man8/swdflashd.8"; do
		check "installed $f" [ -f "$D$f" ]
	done
	for r in systemd/*.rules; do
		check "installed $UDEVRULESDIR/${r#systemd/}" [ -f "$D$UDEVRULESDIR/${r#systemd/}" ]
	done
	check "the unit's Documentation= names the installed example" \
		grep -q "^Documentation=file:$DOCDIR/examples/swdflashd.conf.example" "$D$SYSTEMDUNITDIR/swdflashd.service"
	$MK -s uninstall DESTDIR="$D" PREFIX=/usr >>"$T/install.log" 2>&1
	left=$(find "$D" -type f | wc -l)
	check "make uninstall removes every installed file ($left left)" [ "$left" -eq 0 ]
	find "$D" -type f
fi

# ---- debian/control follows the Makefile's build packages ----
missing=
for p in $($MK -s print-deb-build); do
	sed -n '/^Build-Depends:/,/^[A-Z]/p' debian/control | grep -q "[ ,|]$p\([ ,(]\|\$\)" || missing="$missing $p"
done
check "debian/control Build-Depends names every package of DEB_BUILD${missing:+ (missing:$missing)}" [ -z "$missing" ]

# ---- man pages: every option and command --help lists ----
opts() { grep -o -- '\(^\|[ [|]\)-\{1,2\}[a-z][a-z-]*' | sed 's/^[ [|]//' | sort -u; }
man_has() { # PAGE WORD: WORD in the page's source, groff escapes dropped
	sed 's/\\-/-/g; s/\\f[BIRP]//g' "$1" | grep -q -- "\(^\|[^a-z-]\)$2\([^a-z-]\|\$\)"
}
for prog in swdflash swdflashd; do
	bin=build/rel/$prog
	[ -x "$bin" ] || bin=build/check/$prog
	[ -x "$bin" ] || { fail "$prog is not built"; continue; }
	page=$(ls man/$prog.[1-8])
	"$bin" --help >"$T/$prog.help" 2>&1
	if [ "$prog" = swdflash ]; then
		sed -n '/^commands:/,/^$/s/^  \([a-z][a-z-]*\).*/\1/p' "$T/$prog.help" >"$T/cmds"
		check "swdflash --help lists commands" [ -s "$T/cmds" ]
		for c in $(cat "$T/cmds"); do
			"$bin" "$c" --help >>"$T/$prog.help" 2>&1
			check "$page names the command $c" man_has "$page" "$c"
		done
	fi
	n=0
	for o in $(opts <"$T/$prog.help"); do
		n=$((n + 1))
		check "$page names $o" man_has "$page" "$o"
	done
	assert "$prog --help lists options ($n)" '[ "$n" -gt 3 ]'
	if command -v groff >/dev/null 2>&1; then
		groff -man -ww -z -Tutf8 "$page" >"$T/groff" 2>&1
		check "groff renders $page without a warning" [ ! -s "$T/groff" ]
		cat "$T/groff"
	fi
done
finish
