#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# swdflashd with `spec = stlink` through the real libusb and the emulated
# ST-Link (LD_PRELOAD): /api/v1/target shows the probe's kind, model,
# firmware, serial and voltage, /metrics its USB command counts (and no
# wire counters); the dongle unplugged in the middle of a flash job: the
# job fails naming it (probe_disconnected), nothing claims success, the
# daemon keeps serving and shows the probe disconnected, and picks the
# dongle up again once it is plugged back in: through libusb's hot-plug
# event (the refresh interval is an hour here, so nothing else could).
cd "$(dirname "$0")/.." || exit 1
. tests/lib.sh
need_daemon
need objcopy "binutils"
STL_SO=${STLINK_EMU_SO:-$TOP/build/stlink_emu.so}
[ -f "$STL_SO" ] || die "$STL_SO missing (make tests-extra)"

# The daemon with the dongle attached; it is unplugged after 400 commands
# (the first identify and a few refreshes take fewer than 200; a 256 KiB
# flash of random data takes over 1000, also through the engine's on-target
# writer, which needs far fewer commands than the wire path) and plugged
# back in 1.5 s later.
REAL=$SWDFLASHD
cat >"$T/d.sh" <<EOS
#!/bin/sh
export STLINK_EMU="model=v2,fw=J34,unplug_after=400" STLINK_EMU_REPLUG_MS=1500
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
check "target: probe kind stlink" [ "$(jget "$T/body" 'd["probe"]["kind"]')" = stlink ]
check "target: model, firmware, serial ($(jget "$T/body" 'd["probe"]["model"], d["probe"]["firmware"], d["probe"]["serial"]'))" \
	[ "$(jget "$T/body" 'd["probe"]["model"] + " " + d["probe"]["firmware"]')" = "ST-Link/V2 V2J34S7" ]
sn=$(jget "$T/body" 'd["probe"]["serial"]')
check "target: serial of 24 hex digits ($sn)" sh -c "echo '$sn' | grep -qx '[0-9A-F]\{24\}'"
v=$(jget "$T/body" 'd["probe"]["voltage_mv"]')
check "target: measured voltage ($v mV)" [ "${v:-0}" -gt 3000 ]
req GET /metrics
check "metrics: USB commands counted" grep -q '^swdflashd_probe_commands_total [1-9]' "$T/body"
check "metrics: USB retries published" grep -q '^swdflashd_probe_retries_total ' "$T/body"
check "metrics: no wire counters the dongle cannot know" sh -c "! grep -q '^swdflashd_swd_transfers_total\|^swdflashd_swd_waits_total' '$T/body'"
check "metrics: target voltage" grep -q '^swdflashd_probe_target_voltage_volts 3\.' "$T/body"

python3 -c "import os,sys; sys.stdout.buffer.write(os.urandom(262144))" >"$T/img.bin"
objcopy -I binary -O ihex --change-addresses 0x10000 "$T/img.bin" "$T/img.hex"
req POST "/api/v1/flash?wait=1" --data-binary "@$T/img.hex"
check "flash while the dongle is unplugged: the job failed ($(jget "$T/body" 'd.get("state")'))" \
	[ "$(jget "$T/body" 'd["state"]')" = failed ]
check "error code probe_disconnected ($(jget "$T/body" 'd["error"]["code"]'))" \
	[ "$(jget "$T/body" 'd["error"]["code"]')" = probe_disconnected ]
check "the message says unplugged" grep -q 'unplugged' "$T/body"
req GET /healthz
check "the daemon keeps serving" [ "$ST" = 200 ]
check "the target was shown disconnected (log)" grep -q 'not connected: .*unplugged' "$DLOG"
# plugged back in: picked up again at a refresh, and a job works
rm -f "$T/tgt.json"
check "picked up again after the replug" wait_until 60 lib_connected
req POST "/api/v1/flash?wait=1" --data-binary "@$T/img.hex"
check "flash after the replug succeeds ($(jget "$T/body" 'd.get("state")'))" \
	[ "$(jget "$T/body" 'd["state"]')" = succeeded ]
check "SIGTERM: clean exit, no sanitizer report" dstop
finish
