#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# make bench: run every benchmark, print its table, merge the figures into
# bench/results.json. Each part writes a JSON object to its own file.
cd "$(dirname "$0")/.." || exit 1
out=build/bench-parts
rm -rf "$out" && mkdir -p "$out"
status=0
part() { # name command...
	name=$1; shift
	echo "== $name"
	if "$@" "$out/$name.json"; then :; else echo "bench $name failed" >&2; status=1; rm -f "$out/$name.json"; fi
	echo
}
part dap build/rel/bench/dap_bench
[ -x build/rel/bench/flash_bench ] && part flash build/rel/bench/flash_bench
[ -x build/rel/bench/gpiomem_bench ] && part gpiomem build/rel/bench/gpiomem_bench
[ -x build/rel/bench/sim_core_bench ] && part sim_core build/rel/bench/sim_core_bench
[ -f bench/gpiod_vs_openocd.sh ] && part gpiod sh bench/gpiod_vs_openocd.sh
[ -f bench/stlink_vs_openocd.sh ] && part stlink sh bench/stlink_vs_openocd.sh
[ -x build/rel/bench/stlink_phases ] && part stlink_phases build/rel/bench/stlink_phases
[ -f bench/http_bench.sh ] && part http sh bench/http_bench.sh
[ -f bench/poll_bench.sh ] && part pollers sh bench/poll_bench.sh
[ -f bench/soak.sh ] && part soak sh bench/soak.sh
part callgrind sh bench/callgrind.sh
python3 - "$out" bench/results.json <<'PY'
import json, os, sys, datetime
merged = {"generated": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")}
for name in sorted(os.listdir(sys.argv[1])):
    with open(os.path.join(sys.argv[1], name)) as f:
        merged.update(json.load(f))
# The gpiomem predictions beside libgpiod's and OpenOCD's for the same S140 job.
g, o = merged.get("gpiomem"), merged.get("gpiod_vs_openocd_default", {}).get("s140", {})
if g is not None and o:
    g["beside_s140_pi4_predicted_s"] = {
        "gpiomem": g.get("pi4_predicted_s_s140"),
        "swdflash_gpiod_v1": o.get("swdflash", {}).get("predicted_pi4_s"),
        "openocd_linuxgpiod_defaults": o.get("openocd_default", {}).get("predicted_pi4_s"),
        "openocd_bcm2835gpio": "not modelled: no published figure found for its speed on this job"}
with open(sys.argv[2], "w") as f:
    json.dump(merged, f, indent=2, sort_keys=True)
print("wrote", sys.argv[2])
PY
exit $status
