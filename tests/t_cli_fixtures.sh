#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Every fixture flashed into the simulated chip with swdflash and read back
# over SWD equals a reference made by tools nobody here wrote: srec_cat
# (Debian srecord) for the HEX files, arm-none-eabi-objcopy for the ELF.
# The S140 UF2 gives the same bytes as the S140 HEX and writes nothing
# past its real data; the bootloader HEX ends with the right UICR words.
set -u
cd "$(dirname "$0")/.." || exit 1
. tests/lib.sh
need_cli
need srec_cat "Debian srecord"
need arm-none-eabi-objcopy "Debian binutils-arm-none-eabi"


part_of() {
	case "$1" in
	*s132*) echo nrf52832 ;;
	*52833*) echo nrf52833 ;;
	*) echo nrf52840 ;;
	esac
}

# highest address + 1 of the data below 0x10000000 (flash), in decimal
flash_end() {
	srec_info "$1" -intel | awk '
		/[0-9A-Fa-f]+ - [0-9A-Fa-f]+/ {
			hi = $NF; v = 0
			for (i = 1; i <= length(hi); i++)
				v = v * 16 + index("0123456789ABCDEF", toupper(substr(hi, i, 1))) - 1
			if (v < 268435456 && v + 1 > end) end = v + 1
		}
		END { print end + 0 }'
}

# compare_chip SPEC REFHEX LABEL: whole flash span and UICR, holes = 0xFF
compare_chip() {
	spec=$1 ref=$2 label=$3
	end=$(flash_end "$ref")
	[ "$end" -gt 0 ] || { fail "$label: no flash data in the reference"; return; }
	srec_cat "$ref" -intel -crop 0 "$end" -fill 0xFF 0 "$end" -o "$T/ref_flash.bin" -binary ||
		{ fail "$label: srec_cat"; return; }
	"$SWDFLASH" --probe "$spec" read 0 "$end" -o "$T/chip_flash.bin" >/dev/null ||
		{ fail "$label: read flash"; return; }
	cmp "$T/ref_flash.bin" "$T/chip_flash.bin" ||
		fail "$label: flash 0x0-$(printf 0x%x "$end") differs from the reference"
	srec_cat "$ref" -intel -crop 0x10001000 0x10001400 -offset -0x10001000 \
		-fill 0xFF 0 0x400 -o "$T/ref_uicr.bin" -binary || { fail "$label: srec_cat uicr"; return; }
	"$SWDFLASH" --probe "$spec" read 0x10001000 0x400 -o "$T/chip_uicr.bin" >/dev/null ||
		{ fail "$label: read UICR"; return; }
	# Every swdflash run powers the chip on and the simulated core boots
	# the firmware: the nRF5 SDK's SystemInit (CONFIG_GPIO_AS_PINRESET, in
	# the bootloader) programs UICR.PSELRESET[0..1] = P0.18 when they are
	# erased, as it does on silicon. Those two words may differ that way.
	python3 - "$T/ref_uicr.bin" "$T/chip_uicr.bin" <<'PY' || fail "$label: UICR differs from the reference"
import sys
ref, chip = (bytearray(open(f, "rb").read()) for f in sys.argv[1:3])
if ref[0x200:0x208] == b"\xff" * 8 and chip[0x200:0x208] == bytes([18, 0, 0, 0]) * 2:
    print("UICR.PSELRESET[0..1] = 18: written by the firmware's SystemInit at boot")
    chip[0x200:0x208] = ref[0x200:0x208]
sys.exit(0 if ref == chip else 1)
PY
}

n=0
for f in "$FIX"/*.hex "$FIX"/*.elf; do
	[ -e "$f" ] || continue
	name=$(basename "$f")
	part=$(part_of "$name")
	spec="sim:part=$part,state=$T/$name.chip"
	f0=$fails
	case "$f" in
	*.elf) arm-none-eabi-objcopy -O ihex "$f" "$T/$name.ref.hex" || { fail "$name: objcopy"; continue; }
	       ref="$T/$name.ref.hex" ;;
	*) ref=$f ;;
	esac
	if ! "$SWDFLASH" --probe "$spec" flash "$f" --no-reset >"$T/out" 2>&1; then
		fail "$name: flash failed"; cat "$T/out"; continue
	fi
	compare_chip "$spec" "$ref" "$name"
	[ $fails -eq $f0 ] && ok "$name on $part"
	n=$((n + 1))
done
[ $n -ge 5 ] || fail "only $n fixtures found in $FIX"

# The ELF: .data loads at its physical address 0x8460, not in RAM.
elf=$FIX/nRF52833_xxAA_systick.elf
if [ -e "$elf" ]; then
	arm-none-eabi-objcopy -O binary --only-section=.data "$elf" "$T/data.bin"
	"$SWDFLASH" --probe "sim:part=nrf52833,state=$T/nRF52833_xxAA_systick.elf.chip" \
		read 0x8460 "$(wc -c <"$T/data.bin")" -o "$T/chip_data.bin" >/dev/null &&
		cmp "$T/data.bin" "$T/chip_data.bin" || fail "ELF .data is not at its load address 0x8460"
fi

# The bootloader HEX ends with the right UICR words (NRFFW[0] bootloader
# address, NRFFW[1] MBR parameter page), as srec_cat reads them.
boot=$FIX/pca10056_bootloader_s140_6.1.0r0.hex
if [ -e "$boot" ]; then
	srec_cat "$boot" -intel -crop 0x10001014 0x1000101C -offset -0x10001014 -o "$T/uicr_ref.bin" -binary
	"$SWDFLASH" --probe "sim:part=nrf52840,state=$T/$(basename "$boot").chip" \
		read 0x10001014 8 -o "$T/uicr_chip.bin" >/dev/null
	cmp "$T/uicr_ref.bin" "$T/uicr_chip.bin" || fail "bootloader UICR words differ"
	words=$(od -An -tx4 "$T/uicr_chip.bin" | tr -s ' ')
	echo "bootloader UICR NRFFW[0..1]:$words"
	[ "$words" = " 000f4000 000fe000" ] || fail "UICR NRFFW words are '$words'"
fi

# S140 as UF2 and as HEX: identical bytes over the HEX's data.
uf2=$FIX/s140_nrf52_6.1.1_softdevice.uf2
hex=$FIX/s140_nrf52_6.1.1_softdevice.hex
if [ -e "$uf2" ] && [ -e "$hex" ]; then
	# the HEX chip was flashed above; flash the UF2 into a new chip
	"$SWDFLASH" --probe "sim:part=nrf52840,state=$T/uf2.chip" flash "$uf2" --no-reset >/dev/null 2>&1 ||
		fail "UF2 flash failed"
	srec_info "$hex" -intel | awk '/[0-9A-Fa-f]+ - [0-9A-Fa-f]+/ { print $(NF-2), $NF }' |
	while read -r lo hi; do
		len=$((0x$hi - 0x$lo + 1))
		"$SWDFLASH" --probe "sim:part=nrf52840,state=$T/uf2.chip" read "0x$lo" "$len" -o "$T/a.bin" >/dev/null
		"$SWDFLASH" --probe "sim:part=nrf52840,state=$T/$(basename "$hex").chip" read "0x$lo" "$len" -o "$T/b.bin" >/dev/null
		cmp "$T/a.bin" "$T/b.bin" || { echo "FAIL: UF2 and HEX differ in 0x$lo-0x$hi"; exit 1; }
		echo "ok UF2 = HEX over 0x$lo-0x$hi"
	done || fail "UF2 and HEX differ"
	# The UF2's last block pads 0x25DE8..0x25E00: padding must not be
	# written over existing flash. Put zeros there first, then flash the UF2.
	head -c 24 /dev/zero >"$T/zeros.bin"
	"$SWDFLASH" --probe "sim:part=nrf52840,state=$T/pad.chip" flash "$T/zeros.bin" --format bin \
		--base 0x25DE8 --no-reset >/dev/null 2>&1 || fail "flash zeros"
	"$SWDFLASH" --probe "sim:part=nrf52840,state=$T/pad.chip" flash "$uf2" --no-reset >/dev/null 2>&1 ||
		fail "UF2 flash over zeros failed"
	"$SWDFLASH" --probe "sim:part=nrf52840,state=$T/pad.chip" read 0x25DE8 24 -o "$T/pad.bin" >/dev/null
	cmp "$T/zeros.bin" "$T/pad.bin" || fail "UF2 padding was written over 0x25DE8-0x25DFF"
fi

finish "all fixtures flashed and read back equal"
