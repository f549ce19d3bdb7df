#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The emulated Raspberry Pi 4 GPIO chip as Debian's own libgpiod tools
# (package gpiod: 1.6 in Debian 12, 2.2 in Debian 13, whose options and
# gpioinfo format differ) see it: gpiodetect, gpioinfo, gpioget, gpioset, a
# busy line, and the Pi 5 naming (pinctrl-rp1 as gpiochip4).
cd "$(dirname "$0")/.." || exit 1
. tests/lib.sh
need_emu
command -v gpiodetect >/dev/null || skip "gpiodetect missing (Debian package gpiod)"

out=$(emu none "" gpiodetect) || die "gpiodetect failed: $out"
echo "$out"
[ "$out" = "gpiochip0 [pinctrl-bcm2711] (58 lines)" ] || die "gpiodetect: $out"

# v1: gpioget CHIP LINE, gpioset CHIP LINE=V (exits at once), consumers
# quoted after the name, "[used]"; v2: -c CHIP, gpioset -t 0 (exit after
# setting), consumer="..." after the direction, no "unused"
case $(gpioinfo --version 2>/dev/null | head -n 1) in
*" v1."*)
	V=1 CHIP="gpiochip0" GET="gpioget gpiochip0" SET="gpioset gpiochip0" REQ=linehandle_v1
	L0='"ID_SDA"[[:space:]]*unused[[:space:]]*input'
	L42='"STATUS_LED_G_CLK"[[:space:]]*"ACT"[[:space:]]*output.*\[used\]'
	L25='"GPIO25"[[:space:]]*"other-tool"' ;;
*" v2."*)
	V=2 CHIP="-c gpiochip0" GET="gpioget --numeric -c gpiochip0" SET="gpioset -t 0 -c gpiochip0"
	REQ=line_request_v2
	L0='"ID_SDA"[[:space:]]*input$'
	L42='"STATUS_LED_G_CLK"[[:space:]]*output consumer="ACT"'
	L25='"GPIO25"[[:space:]]*input consumer="other-tool"' ;;
*) skip "gpioinfo --version names neither libgpiod v1 nor v2: $(gpioinfo --version 2>&1 | head -n 1)" ;;
esac
echo "libgpiod v$V tools"

emu none "" gpioinfo >"$T/info" 2>&1 || die "gpioinfo failed: $(cat "$T/info")"
head -n 3 "$T/info"
[ "$(grep -c '^[[:space:]]*line ' "$T/info")" -eq 58 ] || die "gpioinfo: not 58 lines"
grep -q "line   0:[[:space:]]*$L0" "$T/info" || die "line 0"
grep -q 'line  24:[[:space:]]*"GPIO24"' "$T/info" || die "line 24"
grep -q 'line  25:[[:space:]]*"GPIO25"' "$T/info" || die "line 25"
grep -q "line  42:[[:space:]]*$L42" "$T/info" || die "line 42 (ACT LED)"
grep -q 'line  57:[[:space:]]*"RGMII_TXD3"' "$T/info" || die "line 57"

# SWDIO with nobody driving it reads high (the nRF52's pull-up), a line
# set by gpioset is an output at that level afterwards.
v=$(emu "part=nrf52840" "" $GET 24) || die "gpioget failed"
[ "$v" = 1 ] || die "gpioget SWDIO (undriven) = $v, want 1"
emu "part=nrf52840" "$T/s.json" $SET 25=1 || die "gpioset failed"
[ "$(json "$T/s.json" swclk_rising_edges)" = 1 ] || die "gpioset 25=1: no SWCLK edge"
[ "$(json "$T/s.json" ioctls.$REQ)" = 1 ] || die "gpioset: not one line request ($REQ)"

# A line someone else holds.
if GPIOCHIP_EMU_TAKEN=25=other-tool emu none "" $SET 25=1 >"$T/busy" 2>&1; then
	die "gpioset on a taken line succeeded"
fi
grep -q 'busy' "$T/busy" || die "busy line: $(cat "$T/busy")"
GPIOCHIP_EMU_TAKEN=25=other-tool emu none "" gpioinfo $CHIP >"$T/info2" 2>&1
grep -q "line  25:[[:space:]]*$L25" "$T/info2" || die "consumer not shown"

# Pi 5 with an older kernel: the RP1 header controller as gpiochip4.
out=$(GPIOCHIP_EMU_CHIP=gpiochip4 GPIOCHIP_EMU_LABEL=pinctrl-rp1 emu none "" gpiodetect)
[ "$out" = "gpiochip4 [pinctrl-rp1] (58 lines)" ] || die "gpiochip4: $out"
ok "the libgpiod v$V tools see the emulated chip as a Raspberry Pi's"
finish
