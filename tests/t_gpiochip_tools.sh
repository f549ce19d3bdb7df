#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The emulated Raspberry Pi 4 GPIO chip as Debian's own libgpiod 1.6 tools
# (package gpiod) see it: gpiodetect, gpioinfo, gpioget, gpioset, a busy
# line, and the Pi 5 naming (pinctrl-rp1 as gpiochip4).
cd "$(dirname "$0")/.." || exit 1
. tests/lib.sh
need_emu
command -v gpiodetect >/dev/null || skip "gpiodetect missing (Debian package gpiod)"

out=$(emu none "" gpiodetect) || die "gpiodetect failed: $out"
echo "$out"
[ "$out" = "gpiochip0 [pinctrl-bcm2711] (58 lines)" ] || die "gpiodetect: $out"

emu none "" gpioinfo >"$T/info" 2>&1 || die "gpioinfo failed: $(cat "$T/info")"
head -n 3 "$T/info"
[ "$(grep -c '^[[:space:]]*line ' "$T/info")" -eq 58 ] || die "gpioinfo: not 58 lines"
grep -q 'line   0:[[:space:]]*"ID_SDA"[[:space:]]*unused[[:space:]]*input' "$T/info" || die "line 0"
grep -q 'line  24:[[:space:]]*"GPIO24"' "$T/info" || die "line 24"
grep -q 'line  25:[[:space:]]*"GPIO25"' "$T/info" || die "line 25"
grep -q 'line  42:[[:space:]]*"STATUS_LED_G_CLK"[[:space:]]*"ACT"[[:space:]]*output.*\[used\]' \
	"$T/info" || die "line 42 (ACT LED)"
grep -q 'line  57:[[:space:]]*"RGMII_TXD3"' "$T/info" || die "line 57"

# SWDIO with nobody driving it reads high (the nRF52's pull-up), a line
# set by gpioset is an output at that level afterwards.
v=$(emu "part=nrf52840" "" gpioget gpiochip0 24) || die "gpioget failed"
[ "$v" = 1 ] || die "gpioget SWDIO (undriven) = $v, want 1"
emu "part=nrf52840" "$T/s.json" gpioset gpiochip0 25=1 || die "gpioset failed"
[ "$(json "$T/s.json" swclk_rising_edges)" = 1 ] || die "gpioset 25=1: no SWCLK edge"
[ "$(json "$T/s.json" ioctls.linehandle_v1)" = 1 ] || die "gpioset: not one line request"

# A line someone else holds.
if GPIOCHIP_EMU_TAKEN=25=other-tool emu none "" gpioset gpiochip0 25=1 >"$T/busy" 2>&1; then
	die "gpioset on a taken line succeeded"
fi
grep -q 'busy' "$T/busy" || die "busy line: $(cat "$T/busy")"
GPIOCHIP_EMU_TAKEN=25=other-tool emu none "" gpioinfo gpiochip0 >"$T/info2" 2>&1
grep -q 'line  25:[[:space:]]*"GPIO25"[[:space:]]*"other-tool"' "$T/info2" || die "consumer not shown"

# Pi 5 with an older kernel: the RP1 header controller as gpiochip4.
out=$(GPIOCHIP_EMU_CHIP=gpiochip4 GPIOCHIP_EMU_LABEL=pinctrl-rp1 emu none "" gpiodetect)
[ "$out" = "gpiochip4 [pinctrl-rp1] (58 lines)" ] || die "gpiochip4: $out"
ok "the GPIO tools see the emulated chip as a Raspberry Pi's"
finish
