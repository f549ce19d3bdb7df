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
[ -f bench/gpiod_vs_openocd.sh ] && part gpiod sh bench/gpiod_vs_openocd.sh
[ -f bench/http_bench.sh ] && part http sh bench/http_bench.sh
[ -f bench/poll_bench.sh ] && part pollers sh bench/poll_bench.sh
part callgrind sh bench/callgrind.sh
python3 - "$out" bench/results.json <<'PY'
import json, os, sys, datetime
merged = {"generated": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")}
for name in sorted(os.listdir(sys.argv[1])):
    with open(os.path.join(sys.argv[1], name)) as f:
        merged.update(json.load(f))
with open(sys.argv[2], "w") as f:
    json.dump(merged, f, indent=2, sort_keys=True)
print("wrote", sys.argv[2])
PY
exit $status
