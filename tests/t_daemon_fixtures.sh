#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Every firmware image in the fixtures directory uploaded to the real
# daemon with curl, as a raw body and as the multipart field `firmware`,
# with wait=1: 200, and the memory read back through the API equals the
# reference bytes made by tools nobody here wrote (srec_cat for HEX,
# arm-none-eabi-objcopy -O ihex for the ELF; the S140 UF2 is compared with
# the S140 HEX, which holds the same data). Each part gets its own simulated
# chip: nRF52840 (S140, MBR, UF2, bootloader+UICR), nRF52832 (S132),
# nRF52833 (the ELF). The chip is erased between uploads so that each
# upload really writes.
cd "$(dirname "$0")/.." || exit 1
. tests/lib.sh
need_daemon
for tool in srec_cat srec_info arm-none-eabi-objcopy; do
	need "$tool" "make deps-check"
done
[ -d "$FIX" ] || skip "no fixtures directory at $FIX"

arm-none-eabi-objcopy -O ihex "$FIX/nRF52833_xxAA_systick.elf" "$T/elf-ref.hex" ||
	die "objcopy failed"

# upload MODE FILE REFHEX LABEL [query]
upload() {
	mode=$1 file=$2 ref=$3 label=$4 q=${5:-}
	req POST /api/v1/target/erase -H 'Content-Type: application/json' --data '{"scope":"chip"}'
	[ "$ST" = 200 ] || { bad "$label: erase before upload ($ST)"; return; }
	if [ "$mode" = raw ]; then
		req POST "/api/v1/flash?wait=1$q" --data-binary @"$file"
	else
		req POST "/api/v1/flash?wait=1$q" -F "firmware=@$file"
	fi
	state=$(jget "$T/body" 'd["state"]')
	if [ "$ST" = 200 ] && [ "$state" = succeeded ]; then
		ok "$label ($mode): 200 succeeded in $(jget "$T/body" 'd["duration_ms"]') ms"
	else
		bad "$label ($mode): status $ST: $(cat "$T/body")"
		return
	fi
	check "$label ($mode): job names the file and its sha256" \
		[ "$(jget "$T/body" 'd["image"]["sha256"]')" = "$(sha256sum <"$file" | cut -d' ' -f1)" ]
	check "$label ($mode): memory read back equals the reference" chip_matches_hex "$ref" "$label"
}

run_part() { # PART FILE REF LABEL ...
	part=$1; shift
	dstart "$part" --probe "sim:part=$part,state=$T/$part.chip" || { bad "start $part"; return; }
	while [ $# -ge 3 ]; do
		upload raw "$1" "$2" "$3"
		upload multipart "$1" "$2" "$3"
		shift 3
	done
	check "$part daemon: clean SIGTERM exit" dstop
}

run_part nrf52840 \
	"$FIX/mbr_nrf52_2.4.1_mbr.hex" "$FIX/mbr_nrf52_2.4.1_mbr.hex" mbr \
	"$FIX/s140_nrf52_6.1.1_softdevice.hex" "$FIX/s140_nrf52_6.1.1_softdevice.hex" s140-hex \
	"$FIX/s140_nrf52_6.1.1_softdevice.uf2" "$FIX/s140_nrf52_6.1.1_softdevice.hex" s140-uf2 \
	"$FIX/pca10056_bootloader_s140_6.1.0r0.hex" "$FIX/pca10056_bootloader_s140_6.1.0r0.hex" pca10056-bootloader-uicr
run_part nrf52832 \
	"$FIX/s132_nrf52_6.1.1_softdevice.hex" "$FIX/s132_nrf52_6.1.1_softdevice.hex" s132
run_part nrf52833 \
	"$FIX/nRF52833_xxAA_systick.elf" "$T/elf-ref.hex" elf

# the bootloader fixture writes UICR words at 0x10001014..0x1000101B
dstart uicr --probe "sim:part=nrf52840,state=$T/uicr.chip" || { bad "start"; finish; }
req POST "/api/v1/flash?wait=1" --data-binary @"$FIX/pca10056_bootloader_s140_6.1.0r0.hex"
readmem 0x10001014 8 "$T/uicr.bin"
srec_cat "$FIX/pca10056_bootloader_s140_6.1.0r0.hex" -Intel -crop 0x10001014 0x1000101C \
	-offset -0x10001014 -o "$T/uicr-ref.bin" -Binary
check "UICR words 0x10001014..0x1000101B equal srec_cat's" cmp -s "$T/uicr.bin" "$T/uicr-ref.bin"
# a raw binary with a base address
head -c 8192 /dev/urandom >"$T/r.bin"
req POST "/api/v1/flash?wait=1&format=bin&base=0x40000" --data-binary @"$T/r.bin"
check "raw bin at base=0x40000: 200" [ "$ST" = 200 ]
readmem 0x40000 8192 "$T/rb.bin"
check "raw bin read back equal" cmp -s "$T/r.bin" "$T/rb.bin"
check "clean exit" dstop
finish
