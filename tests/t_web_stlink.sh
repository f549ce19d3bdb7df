#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The status page with an ST-Link, in a real browser (Debian's chromium,
# headless, driven by playwright-core as in tests/t_web_browser.sh): the
# daemon with `spec = stlink` and the emulated ST-Link through the real
# libusb (as tests/t_stlink_daemon.sh starts it). tests/web/stlink.mjs
# checks that the page shows the probe kind, the dongle's model, firmware,
# serial and measured voltage; that after the dongle is unplugged in the
# middle of a flash (unplug_after) it shows the probe disconnected; and
# that once it is plugged back in (STLINK_EMU_REPLUG_MS) it is shown again.
# Needs no vendor images. Screenshots: build/screenshots/stlink-*.png.
cd "$(dirname "$0")/.." || exit 1
. tests/lib.sh
need_daemon
need objcopy "binutils"
STL_SO=${STLINK_EMU_SO:-$TOP/build/stlink_emu.so}
[ -f "$STL_SO" ] || die "$STL_SO missing (make tests-extra)"
need_playwright
SHOTS=$(pwd)/build/screenshots
mkdir -p "$SHOTS"
rm -f "$SHOTS"/stlink-*.png

# The dongle: a V2 on J34 with its own serial, 3.0 V on its target pin,
# gone after 400 USB commands (identify takes fewer than 200, the flash of
# 256 KiB more than 1000: t_stlink_daemon.sh), back 3 s later.
SERIAL=0123456789ABCDEF01234567
REAL=$SWDFLASHD
cat >"$T/d.sh" <<EOS
#!/bin/sh
export STLINK_EMU="model=v2,fw=J34,serial=$SERIAL,vtarget_mv=3000,unplug_after=400"
export STLINK_EMU_REPLUG_MS=3000
export STLINK_EMU_SIM="part=nrf52840,wallclock=1,state=$T/chip.state"
export ASAN_OPTIONS="\${ASAN_OPTIONS:+\$ASAN_OPTIONS:}verify_asan_link_order=0"
export LD_PRELOAD="$STL_SO"
exec "$TOP/$REAL" "\$@"
EOS
chmod +x "$T/d.sh"
printf '[probe]\nspec = stlink\nrefresh_ms = 3600000\n' >"$T/d.conf"
SWDFLASHD=$T/d.sh
dstart s --config "$T/d.conf" || { bad "daemon did not start"; finish; }

req GET /api/v1/target
mv=$(jget "$T/body" 'd["probe"]["voltage_mv"]')
assert "the API reports about 3.0 V ($mv mV)" '[ "${mv:-0}" -gt 2900 ] && [ "${mv:-0}" -lt 3100 ]'
volt=$(python3 -c "print('%.2f' % ($mv / 1000))")
python3 -c "import os,sys; sys.stdout.buffer.write(os.urandom(262144))" >"$T/img.bin"
objcopy -I binary -O ihex --change-addresses 0x10000 "$T/img.bin" "$T/img.hex"

URL=$URL PROFILE=$T/profile SHOTS=$SHOTS CHROMIUM=$CHROMIUM \
PLAYWRIGHT_FROM=$NODEDIR/package.json MODEL=ST-Link/V2 FIRMWARE=V2J34S7 SERIAL=$SERIAL \
VOLT=$volt IMAGE=$T/img.hex \
	timeout 300 node tests/web/stlink.mjs
rc=$?
check "the browser's checks (tests/web/stlink.mjs)" [ $rc -eq 0 ]
check "SIGTERM: clean exit, no sanitizer report" dstop
finish
