#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Every firmware image in the fixtures directory, parsed by our library
# (build/check/tests/imgdump), against references made by tools nobody here
# wrote: srec_cat/srec_info (Debian srecord) for Intel HEX,
# arm-none-eabi-objcopy/readelf (Debian binutils-arm-none-eabi) for the ELF,
# coreutils sha256sum for the identities. Also: the fixtures README's table
# of data ranges, the S140 UF2 against the S140 HEX, and our Intel HEX
# writer read back by srec_cat.
cd "$(dirname "$0")/.." || exit 1
. tests/lib.sh
DUMP=build/check/tests/imgdump

[ -x "$DUMP" ] || skip "imgdump is not built (make tests-extra)"
[ -d "$FIX" ] || skip "no fixtures directory at $FIX"
for tool in srec_cat srec_info arm-none-eabi-objcopy arm-none-eabi-readelf sha256sum cmp awk; do
	need "$tool" "make deps-check installs srecord and binutils-arm-none-eabi"
done

# "segment 0x00001000 0x00025DE8" lines (end exclusive) of FILE, as parsed by us.
segments() { "$DUMP" "$1" | grep '^segment '; }

# srec_info's data ranges of a HEX file, in the same form.
srec_ranges() {
	srec_info "$1" -Intel | awk '
		/^Data:/ { sub(/^Data:/, "") }
		/^[ \t]*[0-9A-Fa-f]+ - [0-9A-Fa-f]+[ \t]*$/ { print $1, $3 }' |
	while read -r s e; do
		printf 'segment 0x%08X 0x%08X\n' $((0x$s)) $((0x$e + 1))
	done
}

# The README table's "data ranges" column for a fixture ("as above" = the
# row before), or nothing when the row names none.
readme_ranges() {
	awk -F'|' -v name="\`$1\`" '
		/^\| `/ {
			r = $4; gsub(/^ +| +$/, "", r)
			if (r != "as above") last = r
			if ($2 ~ name) { print last; exit }
		}' "$FIX/README.md" | tr ',' '\n' | awk -F- 'NF == 2 {
			gsub(/ /, ""); print $1, $2 }' |
	while read -r s e; do
		printf 'segment 0x%08X 0x%08X\n' $((s)) $((e))
	done
}

# Compare our bytes of FILE over [S, E) with srec_cat's reading of HEX.
cmp_range_srec() { # FILE HEX S E label
	"$DUMP" -o "$T/got.bin" -r "$3:$4" "$1" || { bad "$5: imgdump failed"; return; }
	srec_cat "$2" -Intel -crop "$3" "$4" -offset "-$3" -o "$T/ref.bin" -Binary ||
		{ bad "$5: srec_cat failed"; return; }
	if cmp -s "$T/got.bin" "$T/ref.bin" && [ -s "$T/ref.bin" ]; then
		ok "$5: bytes $3..$4 equal srec_cat's"
	else
		bad "$5: bytes $3..$4 differ from srec_cat's: $(cmp "$T/got.bin" "$T/ref.bin" 2>&1)"
	fi
}

check_sha() { # FILE
	want=$(sha256sum "$1" | cut -d' ' -f1)
	got=$("$DUMP" "$1" | awk '/^sha256 / { print $2 }')
	if [ "$got" = "$want" ]; then ok "$(basename "$1"): sha256 $got"; else bad "$(basename "$1"): sha256 $got, sha256sum says $want"; fi
}

check_readme() { # FILE
	name=$(basename "$1")
	readme_ranges "$name" > "$T/readme.txt"
	if [ ! -s "$T/readme.txt" ]; then
		echo "info $name: the README gives no ranges"
		return
	fi
	segments "$1" > "$T/ours.txt"
	if cmp -s "$T/ours.txt" "$T/readme.txt"; then
		ok "$name: segments match the fixtures README ($(wc -l < "$T/ours.txt") ranges)"
	else
		bad "$name: segments differ from the README table:"; diff "$T/ours.txt" "$T/readme.txt"
	fi
}

nfiles=0
for f in "$FIX"/*.hex; do
	[ -e "$f" ] || continue
	nfiles=$((nfiles + 1))
	name=$(basename "$f")
	fmt=$("$DUMP" "$f" | awk '/^format / { print $2 }')
	check "$name: detected as hex (not '$fmt')" [ "$fmt" = hex ]
	check_sha "$f"
	segments "$f" > "$T/ours.txt"
	srec_ranges "$f" > "$T/srec.txt"
	if [ -s "$T/ours.txt" ] && cmp -s "$T/ours.txt" "$T/srec.txt"; then
		ok "$name: segments equal srec_info's ($(tr '\n' ' ' < "$T/ours.txt"))"
	else
		bad "$name: segments differ from srec_info's:"; diff "$T/ours.txt" "$T/srec.txt"
	fi
	check_readme "$f"
	# each segment's bytes, then the whole code flash as one flat file
	# (srec_cat -Binary starts at 0 and fills holes with zeros)
	while read -r _ s e; do
		cmp_range_srec "$f" "$f" "$s" "$e" "$name"
	done < "$T/ours.txt"
	flash_end=$(while read -r _ s e; do [ $((s)) -lt $((0x10000000)) ] && echo "$e"; done < "$T/ours.txt" | tail -n 1)
	if [ -n "$flash_end" ]; then
		"$DUMP" -o "$T/got.bin" -r "0:$flash_end" "$f"
		srec_cat "$f" -Intel -crop 0 0x10000000 -o "$T/ref.bin" -Binary
		if cmp -s "$T/got.bin" "$T/ref.bin"; then
			ok "$name: code flash 0..$flash_end (holes as 0x00) equals srec_cat -Binary"
		else
			bad "$name: code flash image differs: $(cmp "$T/got.bin" "$T/ref.bin" 2>&1)"
		fi
	fi
	# our Intel HEX writer, read back by srec_cat (each segment)
	while read -r _ s e; do
		"$DUMP" -x "$T/w.hex" -r "$s:$e" "$f" && "$DUMP" -o "$T/got.bin" -r "$s:$e" "$f" &&
			srec_cat "$T/w.hex" -Intel -offset "-$s" -o "$T/ref.bin" -Binary
		if cmp -s "$T/got.bin" "$T/ref.bin"; then
			ok "$name: img_write_ihex of $s..$e read back by srec_cat"
		else
			bad "$name: img_write_ihex of $s..$e not read back equal by srec_cat"
		fi
	done < "$T/ours.txt"
done

# The bootloader HEX writes UICR: NRFFW[0] (0x10001014) and NRFFW[1].
f="$FIX/pca10056_bootloader_s140_6.1.0r0.hex"
if [ -e "$f" ]; then
	if segments "$f" | grep -qx 'segment 0x10001014 0x1000101C'; then
		ok "$(basename "$f"): UICR words 0x10001014..0x1000101B present"
	else
		bad "$(basename "$f"): no UICR segment 0x10001014..0x1000101C"
	fi
fi

# UF2: the S140 UF2 gives exactly the S140 HEX's segments and bytes.
for f in "$FIX"/*.uf2; do
	[ -e "$f" ] || continue
	nfiles=$((nfiles + 1))
	name=$(basename "$f")
	fmt=$("$DUMP" "$f" | awk '/^format / { print $2 }')
	check "$name: detected as uf2 (not '$fmt')" [ "$fmt" = uf2 ]
	check_sha "$f"
	check_readme "$f"
	hex="${f%.uf2}.hex"
	[ -e "$hex" ] || { echo "info $name: no HEX of the same name to compare with"; continue; }
	segments "$f" > "$T/uf2.txt"
	segments "$hex" > "$T/hex.txt"
	if cmp -s "$T/uf2.txt" "$T/hex.txt"; then
		ok "$name: same segments as $(basename "$hex") (the last block's padding is not data)"
	else
		bad "$name: segments differ from $(basename "$hex"):"; diff "$T/uf2.txt" "$T/hex.txt"
	fi
	while read -r _ s e; do
		cmp_range_srec "$f" "$hex" "$s" "$e" "$name vs srec_cat $(basename "$hex")"
	done < "$T/hex.txt"
done

# ELF: PT_LOAD contents at the load address, as objcopy places them.
for f in "$FIX"/*.elf; do
	[ -e "$f" ] || continue
	nfiles=$((nfiles + 1))
	name=$(basename "$f")
	fmt=$("$DUMP" "$f" | awk '/^format / { print $2 }')
	check "$name: detected as elf (not '$fmt')" [ "$fmt" = elf ]
	check_sha "$f"
	segments "$f" > "$T/ours.txt"
	# readelf's PT_LOAD headers with file contents, merged where they touch
	arm-none-eabi-readelf -lW "$f" | awk '$1 == "LOAD" { print $4, $5 }' |
	while read -r pa fs; do
		[ $((fs)) -gt 0 ] && printf '%d %d\n' $((pa)) $((pa + fs))
	done | sort -n | awk '
		NR == 1 { s = $1; e = $2; next }
		$1 <= e { if ($2 > e) e = $2; next }
		{ printf "segment 0x%08X 0x%08X\n", s, e; s = $1; e = $2 }
		END { if (NR) printf "segment 0x%08X 0x%08X\n", s, e }' > "$T/readelf.txt"
	if [ -s "$T/ours.txt" ] && cmp -s "$T/ours.txt" "$T/readelf.txt"; then
		ok "$name: segments equal readelf's PT_LOAD (PhysAddr, FileSiz): $(tr '\n' ' ' < "$T/ours.txt")"
	else
		bad "$name: segments differ from readelf's PT_LOAD:"; diff "$T/ours.txt" "$T/readelf.txt"
	fi
	if grep -q '^segment 0x2' "$T/ours.txt"; then
		bad "$name: something is placed in RAM (0x2xxxxxxx): $(grep '^segment 0x2' "$T/ours.txt")"
	else
		ok "$name: nothing placed at a RAM run address"
	fi
	arm-none-eabi-objcopy -O binary "$f" "$T/ref.bin"
	"$DUMP" -o "$T/got.bin" "$f"
	if [ -s "$T/ref.bin" ] && cmp -s "$T/got.bin" "$T/ref.bin"; then
		ok "$name: flat bytes equal arm-none-eabi-objcopy -O binary ($(wc -c < "$T/ref.bin") bytes)"
	else
		bad "$name: flat bytes differ from objcopy -O binary: $(cmp "$T/got.bin" "$T/ref.bin" 2>&1)"
	fi
	arm-none-eabi-objcopy -O ihex "$f" "$T/ref.hex"
	segments "$T/ref.hex" > "$T/refhex.txt"
	e1=$("$DUMP" "$f" | grep '^entry')
	e2=$("$DUMP" "$T/ref.hex" | grep '^entry')
	if cmp -s "$T/ours.txt" "$T/refhex.txt" && [ -n "$e1" ] && [ "$e1" = "$e2" ]; then
		ok "$name: same segments and $e1 as objcopy -O ihex read by our HEX parser"
	else
		bad "$name: objcopy -O ihex gives other segments/entry ($e1 / $e2)"; diff "$T/ours.txt" "$T/refhex.txt"
	fi
	while read -r _ s e; do
		cmp_range_srec "$f" "$T/ref.hex" "$s" "$e" "$name vs srec_cat of objcopy -O ihex"
	done < "$T/ours.txt"
done

[ "$nfiles" -gt 0 ] || skip "no .hex/.uf2/.elf fixtures in $FIX"
finish "$nfiles images"
