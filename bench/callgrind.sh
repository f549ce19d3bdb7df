#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# make bench, part "callgrind": host CPU instructions per KiB of a whole
# `swdflash flash` job (256 KiB random image, erase chip, program, verify)
# on the in-process simulated nRF52840, counted by valgrind's callgrind:
# repeatable whatever else the machine does. The simulator's own share
# (sim_seq_out, sim_seq_in, sim_wire, inclusive) is reported apart, since
# on a Raspberry Pi that work is done by the chip.
#
#   sh bench/callgrind.sh OUT.json
cd "$(dirname "$0")/.." || exit 1
out=${1:?usage: callgrind.sh OUT.json}
command -v valgrind >/dev/null || { echo "valgrind missing"; exit 1; }
BIN=build/rel/swdflash
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
KIB=256
python3 -c "import random,sys; r=random.Random(5); sys.stdout.buffer.write(bytes(r.getrandbits(8) for _ in range($KIB*1024)))" >"$T/img.bin"
valgrind --tool=callgrind --callgrind-out-file="$T/cg.out" \
	$BIN --probe "sim:part=nrf52840,state=$T/chip" flash "$T/img.bin" --base 0 --erase chip \
	>"$T/run.log" 2>&1 || { tail "$T/run.log"; echo "swdflash under callgrind failed"; exit 1; }
callgrind_annotate --inclusive=yes "$T/cg.out" >"$T/ann.txt" 2>/dev/null
python3 - "$T/ann.txt" "$KIB" "$out" <<'PY'
import json, re, sys
ann, kib, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
total, sim = 0, 0
for line in open(ann):
    m = re.match(r"\s*([\d,]+) \(\s*[\d.]+%\)\s+(\S+)", line)
    if not m:
        continue
    n = int(m.group(1).replace(",", ""))
    if m.group(2) == "PROGRAM":
        total = n
    elif m.group(2) != "=>" and re.search(r":(sim_seq_out|sim_seq_in|sim_wire) \[", line):
        sim += n  # a function's inclusive total, not a call line
host = total - sim
print(f"{'swdflash flash, 256 KiB (callgrind)':40s} {'instr/KiB':>12s}")
print(f"{'host code (image, engine, DAP, link)':40s} {host / kib:12.0f}")
print(f"{'simulated chip':40s} {sim / kib:12.0f}")
print(f"{'total':40s} {total / kib:12.0f}")
json.dump({"host": {"instructions_per_kib": round(host / kib),
                    "sim_instructions_per_kib": round(sim / kib),
                    "total_instructions_per_kib": round(total / kib),
                    "how": "valgrind --tool=callgrind: swdflash flash 256 KiB random image, erase=chip, "
                           "program, verify on sim:part=nrf52840; sim = inclusive cost of "
                           "sim_seq_out + sim_seq_in + sim_wire"}},
          open(out, "w"), indent=1)
PY
