#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# make bench, part "gpiod": OpenOCD 0.12 (linuxgpiod, `program IMG verify`)
# against `swdflash --probe gpiod flash IMG` on the same emulated Raspberry Pi
# GPIO chip and the same simulated nRF52840, same images: the S140 6.1.1
# SoftDevice and a 256 KiB pseudo-random image. Each run starts from the
# same chip, pre-filled with other data, so both tools erase, program and
# verify. Figures: GPIO ioctls per KiB, SWCLK cycles per KiB, wall seconds
# here, and predicted seconds on a Raspberry Pi 4 from a per-call cost.
#
#   sh bench/gpiod_vs_openocd.sh OUT.json
#
# Writes {"gpiod_vs_openocd": {...}} to OUT.json and prints a table.
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
SW_V2=
if sh tests/gpiod-v2.sh build >"$T/v2.log" 2>&1 && [ -x build/gpiodv2/swdflash ]; then
	SW_V2=build/gpiodv2/swdflash
	V2LIB=$(dirname "$(find "$TOP/build/gpiod-v2/root" -name 'libgpiod.so.3' | head -n 1)")
fi

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

run() { # tool image label
	tool=$1 img=$2 name=$3
	S=$T/$name.$tool.state
	cp "$T/prefill.state" "$S"
	st=$T/$name.$tool.json
	t0=$(date +%s%N)
	case $tool in
	openocd)
		base=; case $img in *.bin) base=0x0 ;; esac
		ocd_nowa "part=nrf52840,period_ns=$PERIOD,state=$S,wallclock=1" "$st" "$T/$name.ocd.log" \
			-c init -c "program $img $base verify" -c shutdown &&
			grep -q 'Verified OK' "$T/$name.ocd.log" ||
			{ tail -n 20 "$T/$name.ocd.log"; echo "openocd $name failed"; return 1; } ;;
	swdflash_v1)
		set -- ; case $img in *.bin) set -- --base 0 ;; esac
		emu "part=nrf52840,period_ns=$PERIOD,state=$S,wallclock=1" "$st" $SW_V1 --probe gpiod flash "$img" "$@" \
			>"$T/$name.sw.log" 2>&1 || { cat "$T/$name.sw.log"; return 1; } ;;
	swdflash_v2)
		set -- ; case $img in *.bin) set -- --base 0 ;; esac
		LD_LIBRARY_PATH=$V2LIB emu "part=nrf52840,period_ns=$PERIOD,state=$S,wallclock=1" "$st" $SW_V2 \
			--probe gpiod flash "$img" "$@" >"$T/$name.sw2.log" 2>&1 ||
			{ cat "$T/$name.sw2.log"; return 1; } ;;
	esac
	echo $(( $(date +%s%N) - t0 )) >"$T/$name.$tool.wall"
	# Both must leave the image on the chip.
	set -- ; case $img in *.bin) set -- --base 0 ;; esac
	$SW_V1 --probe "sim:part=nrf52840,state=$S" verify "$img" "$@" >/dev/null 2>&1 ||
		{ echo "$tool $name: image not on the chip afterwards"; return 1; }
}

status=0
tools="openocd swdflash_v1"
[ -n "$SW_V2" ] && tools="$tools swdflash_v2"
for tool in $tools; do
	run $tool "$FIX/s140_nrf52_6.1.1_softdevice.hex" s140 || status=1
	run $tool "$T/random256k.bin" random256k || status=1
done
[ $status -eq 0 ] || exit 1

python3 - "$T" "$out" "$FIX/s140_nrf52_6.1.1_softdevice.hex" "$tools" "$PERIOD" <<'EOF'
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
sizes = {"s140": image_bytes(s140), "random256k": 256 * 1024}
# Per-call costs (cited in ../shared/PEERS.md section 2). No Pi 4 figure was
# found: the Pi 5 C figure stands in for it.
IOCTL_US = 0.8        # libgpiod set-value loop in C, ~1.25 MHz toggles, Pi 5 (sombriks/node-libgpiod #19)
REREQUEST_US = 72.5   # v1 release + re-request of a line, 59-86 us on a Pi 3 (brgl/libgpiod #41)
T_WRITE_US, T_ERASEPAGE_US = 41.0, 85000.0  # nRF52840 (../shared/NRF52.md: EMDS default, nrf-hal)
res = {"setup": "emulated Pi 4 gpiochip (LD_PRELOAD, real libgpiod) + simulated nRF52840, "
                "SWCLK period %d ns, simulated time also follows the wall clock; chip pre-filled with other data so both erase; "
                "OpenOCD 0.12 linuxgpiod `program IMG verify` (WORKAREASIZE 0) vs "
                "swdflash --probe gpiod flash (erase auto, verify)" % period,
       "pi4_cost_model": {"ioctl_us": IOCTL_US, "line_rerequest_us": REREQUEST_US,
                          "source": "PEERS.md: libgpiod C set-value loop ~1.25 MHz on Pi 5 "
                                    "(sombriks/node-libgpiod #19); v1 release+re-request 59-86 us "
                                    "on Pi 3 (brgl/libgpiod #41); no Pi 4 figure published",
                          "formula": "max(ioctls*ioctl_us + line_requests*line_rerequest_us, "
                                     "nvmc_writes*41us + page_erases*85ms)"}}
rows = []
tot = {}
for img in ("s140", "random256k"):
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
        r = {"ioctls": io, "ioctls_per_kib": round(io / kib), "line_requests": req,
             "swclk_cycles": cyc, "swclk_cycles_per_kib": round(cyc / kib),
             "ioctls_per_cycle": round(io / cyc, 3), "wall_s": round(wall, 2),
             "nvmc_writes": st["sim"]["nvmc_writes"], "page_erases": st["sim"]["nvmc_page_erases"],
             "predicted_pi4_s": round(max(gpio_s, nvmc_s), 2)}
        res[img][tool] = r
        t = tot.setdefault(tool, [0, 0.0])
        t[0] += io; t[1] += kib
        rows.append((tool, img, kib, r))
for tool in tools:
    res.setdefault("total", {})[tool] = {"ioctls_per_kib": round(tot[tool][0] / tot[tool][1])}
def ratio(tool):
    return round((tot["openocd"][0] / tot["openocd"][1]) / (tot[tool][0] / tot[tool][1]), 2)
res["openocd_ratio_ioctls_per_kib"] = ratio("swdflash_v1")
if "swdflash_v2" in tools:
    res["openocd_ratio_ioctls_per_kib_v2"] = ratio("swdflash_v2")
    for img in ("s140", "random256k"):
        res[img]["openocd_ratio_ioctls_per_kib_v2"] = round(
            res[img]["openocd"]["ioctls"] / res[img]["swdflash_v2"]["ioctls"], 2)
for img in ("s140", "random256k"):
    res[img]["openocd_ratio_ioctls_per_kib"] = round(
        res[img]["openocd"]["ioctls"] / res[img]["swdflash_v1"]["ioctls"], 2)
json.dump({"gpiod_vs_openocd": res}, open(out, "w"), indent=2)
print("%-12s %-11s %7s %12s %12s %9s %8s %10s" % ("tool", "image", "KiB", "ioctls/KiB",
      "cycles/KiB", "ioctl/cyc", "wall s", "Pi 4 s"))
for tool, img, kib, r in rows:
    print("%-12s %-11s %7.1f %12d %12d %9.3f %8.2f %10.2f" % (tool, img, kib, r["ioctls_per_kib"],
          r["swclk_cycles_per_kib"], r["ioctls_per_cycle"], r["wall_s"], r["predicted_pi4_s"]))
print("OpenOCD / swdflash GPIO ioctls per KiB (whole job, both images): %.2fx (libgpiod v1)%s"
      % (res["openocd_ratio_ioctls_per_kib"],
         ", %.2fx (libgpiod v2)" % res["openocd_ratio_ioctls_per_kib_v2"] if "swdflash_v2" in tools else ""))
print("Pi 4 prediction: %.1f us per GPIO ioctl, %.1f us per line re-request (PEERS.md)" % (IOCTL_US, REREQUEST_US))
EOF
