#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# make bench, part "gpiod": OpenOCD 0.12 with its defaults (linuxgpiod,
# unmodified target/nrf52.cfg: its 16 KiB work area, so its flash loader
# and its on-target CRC run on the simulated core; `program IMG verify`)
# against `swdflash --probe gpiod flash IMG` (its own on-target CRC and
# writer) on the same emulated Raspberry Pi GPIO chip and simulated
# nRF52840. Three jobs, each from a chip that holds other data: the S140
# 6.1.1 SoftDevice and a 256 KiB random image over 1 MiB of other data, and
# a re-flash of the S140 with one page changed over the S140. OpenOCD with
# `set WORKAREASIZE 0` (its slow path) is kept as a labelled extra row.
# Figures: GPIO ioctls and SWCLK cycles per KiB, wall seconds here, and
# predicted seconds on a Raspberry Pi 4 from a per-call cost, against the
# NVMC floor.
#
#   sh bench/gpiod_vs_openocd.sh OUT.json
#
# Writes {"gpiod_vs_openocd_default": {...}} to OUT.json, prints a table.
cd "$(dirname "$0")/.." || exit 1
out=${1:?usage: gpiod_vs_openocd.sh OUT.json}
. tests/lib.sh
make --no-print-directory build/gpiochip_emu.so build/rel/swdflash >/dev/null || exit 1
command -v openocd >/dev/null || { echo "openocd missing"; exit 1; }
# SWCLK period of the simulated chip: 2 us, about what ~2.5 GPIO calls per
# cycle at 0.8 us each give on a Pi (see the cost model below). Both tools
# sleep while the NVMC erases (OpenOCD usleep, swdflash's driver nanosleep),
# so simulated time also follows the wall clock (wallclock=1), as it would
# on hardware.
PERIOD=2000
SW_V1=build/rel/swdflash
OCD_DEFAULT=$OCD_CFG      # tests/lib.sh: unmodified target/nrf52.cfg
OCD_WA0=$OCD_CFG_NOWA     # ... with set WORKAREASIZE 0
# Seconds one OpenOCD job may take; BENCH_GPIOD_TOOLS picks the rows
# (default all three).
OCD_TIMEOUT=${OCD_TIMEOUT:-600}
TOOLS=${BENCH_GPIOD_TOOLS:-openocd_default swdflash openocd_wa0}

python3 - "$T" <<'EOF'
import random, sys
r = random.Random(20240904)
open(sys.argv[1] + "/random256k.bin", "wb").write(bytes(r.getrandbits(8) for _ in range(256 * 1024)))
r = random.Random(7)
open(sys.argv[1] + "/prefill.bin", "wb").write(bytes(r.getrandbits(8) for _ in range(1024 * 1024)))
EOF
# The starting chip: 1 MiB of other data, so every page of either image
# needs erasing (flashed by the in-process simulator, not measured).
$SW_V1 --probe "sim:part=nrf52840,state=$T/prefill.state" flash "$T/prefill.bin" --base 0 \
	>/dev/null 2>&1 || { echo "prefill failed"; exit 1; }

# The re-flash: the S140 over the S140, one 4 KiB page changed.
cp "$T/prefill.state" "$T/s140chip.state"
$SW_V1 --probe "sim:part=nrf52840,state=$T/s140chip.state" flash "$FIX/s140_nrf52_6.1.1_softdevice.hex" \
	>/dev/null 2>&1 || { echo "S140 prefill failed"; exit 1; }
python3 - "$FIX/s140_nrf52_6.1.1_softdevice.hex" "$T/reflash.hex" <<'EOF'
import sys
out, ext = [], 0
for line in open(sys.argv[1]):
    line = line.strip()
    if line.startswith(":") and line[7:9] == "04":
        ext = int(line[9:13], 16) << 16
    if line.startswith(":") and line[7:9] == "00":
        n, a = int(line[1:3], 16), ext + int(line[3:7], 16)
        b = bytearray.fromhex(line[9:9 + 2 * n])
        if 0x10000 <= a < 0x11000:
            b = bytearray((x ^ 0x5A) for x in b)
        rec = bytearray.fromhex(line[1:9]) + b
        line = ":" + rec.hex().upper() + "%02X" % ((-sum(rec)) & 0xFF)
    out.append(line)
open(sys.argv[2], "w").write("\n".join(out) + "\n")
EOF

run() { # tool image label [start state]
	tool=$1 img=$2 name=$3 from=${4:-$T/prefill.state}
	S=$T/$name.$tool.state
	cp "$from" "$S"
	st=$T/$name.$tool.json
	t0=$(date +%s%N)
	case $tool in
	openocd_default|openocd_wa0)
		base=; case $img in *.bin) base=0x0 ;; esac
		cfg=$OCD_DEFAULT; [ $tool = openocd_wa0 ] && cfg=$OCD_WA0
		emu "part=nrf52840,period_ns=$PERIOD,state=$S,wallclock=1" "$st" \
			timeout "$OCD_TIMEOUT" openocd -c "$cfg" -c init -c "program $img $base verify" \
			-c shutdown >"$T/$name.$tool.log" 2>&1 &&
			grep -q 'Verified OK' "$T/$name.$tool.log" ||
			{ tail -n 20 "$T/$name.$tool.log"; echo "$tool $name failed"; return 1; }
		if [ $tool = openocd_default ] && grep -q 'falling back to slow memory writes' "$T/$name.$tool.log"; then
			echo "$tool $name: OpenOCD did not run its flash loader"; return 1
		fi ;;
	swdflash)
		set -- ; case $img in *.bin) set -- --base 0 ;; esac
		emu "part=nrf52840,period_ns=$PERIOD,state=$S,wallclock=1" "$st" $SW_V1 --probe gpiod --debug \
			flash "$img" "$@" >"$T/$name.sw.log" 2>&1 || { cat "$T/$name.sw.log"; return 1; }
		grep -q 'on-target CRC routine runs' "$T/$name.sw.log" ||
			echo "note: swdflash $name took the wire path: $(grep debug: "$T/$name.sw.log" | head -n 1)" ;;
	esac
	echo $(( $(date +%s%N) - t0 )) >"$T/$name.$tool.wall"
	set -- ; case $img in *.bin) set -- --base 0 ;; esac
	$SW_V1 --probe "sim:part=nrf52840,state=$S" verify "$img" "$@" --verify read >/dev/null 2>&1 ||
		{ echo "$tool $name: image not on the chip afterwards"; return 1; }
}

status=0
done_tools=
for tool in $TOOLS; do
	ok=1
	run $tool "$FIX/s140_nrf52_6.1.1_softdevice.hex" s140 || ok=0
	run $tool "$T/random256k.bin" random256k || ok=0
	run $tool "$T/reflash.hex" reflash "$T/s140chip.state" || ok=0
	if [ $ok = 1 ]; then done_tools="$done_tools $tool"; else status=1; fi
done
case " $done_tools " in *" swdflash "*) ;; *) exit 1 ;; esac

python3 - "$T" "$out" "$FIX/s140_nrf52_6.1.1_softdevice.hex" "$done_tools" "$PERIOD" <<'EOF'
import json, sys
T, out, s140, tools, period = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4].split(), int(sys.argv[5])
# Bytes each image programs: the data records of the Intel HEX.
def image_bytes(path):
    n = 0
    for line in open(path):
        line = line.strip()
        if line.startswith(":") and line[7:9] == "00":
            n += int(line[1:3], 16)
    return n
sizes = {"s140": image_bytes(s140), "random256k": 256 * 1024, "reflash": image_bytes(s140)}
IMAGES = ("s140", "random256k", "reflash")
# Per-call costs (cited in ../shared/PEERS.md section 2). No Pi 4 figure was
# found: the Pi 5 C figure stands in for it.
IOCTL_US = 0.8        # libgpiod set-value loop in C, ~1.25 MHz toggles, Pi 5 (sombriks/node-libgpiod #19)
REREQUEST_US = 72.5   # v1 release + re-request of a line, 59-86 us on a Pi 3 (brgl/libgpiod #41)
T_WRITE_US, T_ERASEPAGE_US = 41.0, 85000.0  # nRF52840 (../shared/NRF52.md: EMDS default, nrf-hal)
res = {"setup": "emulated Pi 4 gpiochip (LD_PRELOAD, real libgpiod v1) + simulated nRF52840 whose core executes code, "
                "SWCLK period %d ns, simulated time also follows the wall clock; s140 and random256k start from 1 MiB of other "
                "data, reflash is the S140 with one 4 KiB page changed over the S140. openocd_default: OpenOCD 0.12 linuxgpiod, "
                "unmodified target/nrf52.cfg (16 KiB work area: its nrf5 flash loader and on-target CRC), `program IMG verify`; "
                "openocd_wa0: the same with `set WORKAREASIZE 0` (its slow path; an extra row, not the comparison); "
                "swdflash: --probe gpiod flash (erase auto, verify auto: on-target CRC-32)" % period,
       "pi4_cost_model": {"ioctl_us": IOCTL_US, "line_rerequest_us": REREQUEST_US,
                          "source": "PEERS.md: libgpiod C set-value loop ~1.25 MHz on Pi 5 "
                                    "(sombriks/node-libgpiod #19); v1 release+re-request 59-86 us "
                                    "on Pi 3 (brgl/libgpiod #41); no Pi 4 figure published",
                          "formula": "max(ioctls*ioctl_us + line_requests*line_rerequest_us, nvmc_floor_s)",
                          "nvmc_floor": "nvmc_writes*41us + page_erases*85ms"},
       "command": "sh bench/gpiod_vs_openocd.sh OUT.json (part of make bench)"}
rows = []
for img in IMAGES:
    res[img] = {"bytes": sizes[img]}
    kib = sizes[img] / 1024.0
    for tool in tools:
        st = json.load(open("%s/%s.%s.json" % (T, img, tool)))
        wall = int(open("%s/%s.%s.wall" % (T, img, tool)).read()) / 1e9
        io = st["ioctls_total"]
        req = st["ioctls"]["linehandle_v1"] + st["ioctls"]["line_request_v2"]
        cyc = st["sim"]["cycles"]
        gpio_s = (io * IOCTL_US + req * REREQUEST_US) / 1e6
        nvmc_s = (st["sim"]["nvmc_writes"] * T_WRITE_US + st["sim"]["nvmc_page_erases"] * T_ERASEPAGE_US) / 1e6
        pred = max(gpio_s, nvmc_s)
        r = {"ioctls": io, "ioctls_per_kib": round(io / kib), "line_requests": req,
             "swclk_cycles": cyc, "swclk_cycles_per_kib": round(cyc / kib),
             "ioctls_per_cycle": round(io / cyc, 3), "wall_s": round(wall, 2),
             "nvmc_writes": st["sim"]["nvmc_writes"], "page_erases": st["sim"]["nvmc_page_erases"],
             "nvmc_floor_s": round(nvmc_s, 3), "predicted_pi4_s": round(pred, 2),
             "predicted_pi4_vs_floor": round(pred / nvmc_s, 2) if nvmc_s else None}
        res[img][tool] = r
        rows.append((tool, img, kib, r))
for img in IMAGES:
    for other, pre in (("openocd_default", "ratio_ioctls_"), ("openocd_wa0", "wa0_ratio_ioctls_")):
        if other in tools and "swdflash" in tools:
            res[pre + img] = round(res[img][other]["ioctls"] / res[img]["swdflash"]["ioctls"], 2)
res["goals"] = {"ratio_ioctls_s140": 2.0, "ratio_ioctls_reflash": 10.0}
if "openocd_default" not in tools:
    res["openocd_default_missing"] = "OpenOCD with its defaults did not complete on the simulated chip in this run"
json.dump({"gpiod_vs_openocd_default": res}, open(out, "w"), indent=2)
print("%-16s %-11s %7s %12s %12s %9s %8s %9s %8s" % ("tool", "image", "KiB", "ioctls/KiB",
      "cycles/KiB", "ioctl/cyc", "wall s", "Pi 4 s", "x floor"))
for tool, img, kib, r in rows:
    print("%-16s %-11s %7.1f %12d %12d %9.3f %8.2f %9.2f %8s" % (tool, img, kib, r["ioctls_per_kib"],
          r["swclk_cycles_per_kib"], r["ioctls_per_cycle"], r["wall_s"], r["predicted_pi4_s"],
          r["predicted_pi4_vs_floor"]))
for img in IMAGES:
    if "ratio_ioctls_" + img in res:
        print("OpenOCD defaults / swdflash GPIO ioctls, %s: %.2fx" % (img, res["ratio_ioctls_" + img]))
    if "wa0_ratio_ioctls_" + img in res:
        print("  (extra row) OpenOCD WORKAREASIZE 0 / swdflash, %s: %.2fx" % (img, res["wa0_ratio_ioctls_" + img]))
print("Pi 4 prediction: %.1f us per GPIO ioctl, %.1f us per line re-request (PEERS.md)" % (IOCTL_US, REREQUEST_US))
EOF
exit $status
