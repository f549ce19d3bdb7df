#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The gpiomem pins driver (register writes through /dev/gpiomem) without a
# Pi: the same driver code on the register model (tests/gm_model.c) wired
# to the simulated nRF52, at every SoC model (BCM2835, BCM2711, RP1):
#  - the vendor fixtures flashed through it, read back equal to srec_cat's
#    bytes of each image;
#  - a VCD of the modelled pins during a flash job, decoded by sigrok's SWD
#    decoder, equals the transfers the link issued (with WAITs);
#  - the real swdflash on this machine (no Pi): --probe gpiomem fails with
#    a clear message, and a busy line is reported as gpiod reports it.
cd "$(dirname "$0")/.." || exit 1
. tests/lib.sh
GF=build/check/tests/gpiomem_flash
[ -x "$GF" ] || die "$GF missing (make tests-extra)"
need_emu

# 1. swdflash --probe gpiomem on this machine (not a Pi), through the
#    emulated gpiochip so the lines can be held: the SoC cannot be told,
#    or /dev/gpiomem is missing. Either way exit 1 naming gpiomem. Not on
#    a real Pi: there the driver would write the real registers.
if ls /dev/gpiomem /dev/gpiomem0 >/dev/null 2>&1; then
	echo "this machine has /dev/gpiomem*: the off-a-Pi check is skipped"
else
	emu "part=nrf52840" "" $SWDFLASH --probe gpiomem info >"$T/nopi.out" 2>&1
	rc=$?
	assert "gpiomem off a Pi: exit 1 (got $rc: $(cat "$T/nopi.out"))" "[ $rc -eq 1 ]"
	check "gpiomem off a Pi: the message names the probe and the way out" \
		grep -q 'probe gpiomem: .*use --probe gpiod' "$T/nopi.out"
fi
GPIOCHIP_EMU_TAKEN=24=openocd emu none "" $SWDFLASH --probe gpiomem info >"$T/busy.out" 2>&1
check "gpiomem: a busy SWDIO is reported with its consumer, as gpiod does" \
	grep -q 'SWDIO line 24 ("GPIO24") of /dev/gpiochip0 is in use by "openocd"' "$T/busy.out"

[ -d "$FIX" ] || skip "no fixtures in $FIX (set SWDFLASH_FIXTURES): the flash checks need them"
command -v srec_cat >/dev/null || skip "srec_cat missing (Debian package srecord)"

# 2. The fixtures through the driver, compared with srec_cat.
for soc in bcm2835 bcm2711 rp1; do
	for img in s140_nrf52_6.1.1_softdevice.hex s132_nrf52_6.1.1_softdevice.hex \
		pca10056_bootloader_s140_6.1.0r0.hex; do
		part=nrf52840; case $img in s132*) part=nrf52832 ;; esac
		rb=$T/rb.$soc.$img
		if ! $GF $soc "part=$part,period_ns=1" "$FIX/$img" "$rb" >"$T/gf.out" 2>&1; then
			fail "$soc $img: $(cat "$T/gf.out")"
			continue
		fi
		good=1 n=0
		for r in $(hex_ranges "$FIX/$img" | tr ' ' ':'); do
			s=${r%:*} e=${r#*:}
			srec_cat "$FIX/$img" -Intel -crop "$s" "$e" -offset "-$s" -o "$T/ref.bin" -Binary || good=0
			cmp -s "$T/ref.bin" "$rb.$s.bin" || { good=0; echo "$soc $img: 0x$(printf %X "$s") differs"; }
			n=$((n + 1))
		done
		assert "$soc: $img flashed through gpiomem, $n ranges read back equal to srec_cat ($(cat "$T/gf.out"))" \
			"[ $n -gt 0 ] && [ $good = 1 ]"
	done
done

# 3. The waveform at the modelled pins, decoded by sigrok.
command -v sigrok-cli >/dev/null || skip "sigrok-cli missing"
for soc in bcm2835 bcm2711 rp1; do
	$GF $soc "part=nrf52840,period_ns=1" "$FIX/mbr_nrf52_2.4.1_mbr.hex" "$T/w" \
		"$T/issued.$soc" "$T/w.$soc.vcd" >/dev/null 2>&1 || { fail "$soc: trace job"; continue; }
	sigrok-cli -I vcd -i "$T/w.$soc.vcd" -P swd:swclk=swclk:swdio=swdio -A swd >"$T/dec.raw" 2>&1 ||
		{ tail "$T/dec.raw"; fail "$soc: sigrok-cli"; continue; }
	python3 tests/sigrok_swd.py "$T/dec.raw" "$T/decoded.$soc" || { fail "$soc: sigrok decode"; continue; }
	n=$(wc -l <"$T/issued.$soc")
	waits=$(grep -c ' WAIT$' "$T/issued.$soc")
	assert "$soc: trace has $n transfers, $waits WAIT" "[ $n -gt 1000 ] && [ $waits -gt 0 ]"
	check "$soc: sigrok decoded the modelled pins exactly as the $n transfers issued" \
		cmp -s "$T/issued.$soc" "$T/decoded.$soc"
done
finish
