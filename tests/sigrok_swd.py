#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""sigrok_swd.py RAW OUT: sigrok-cli's SWD decoder annotations (RAW, lines
"swd-1: ...") as one transfer a line in OUT ("R AP4 OK 0x12345678"), the
form tests/xfer_trace.h writes for the transfers issued, so the two files
compare with cmp. Exit non-zero naming anything unexpected."""
import sys

out, cur = [], None
for line in open(sys.argv[1]):
    line = line.strip()
    if not line.startswith("swd-1: "):
        sys.exit("unexpected sigrok output: " + line)
    v = line[7:]
    if v in ("OK", "WAIT", "FAULT", "NOREPLY", "ERROR") or v.startswith("0x"):
        if cur is None:
            sys.exit("answer without a request: " + v)
        cur.append(v)
    elif v.startswith(("R ", "W ")) or v in ("IDCODE", "RESEND", "RDBUFF"):
        cur = [v]
        out.append(cur)
    elif v in ("LINERESET", "JTAG->SWD"):
        pass
    else:
        sys.exit("decoder reports: " + v)
open(sys.argv[2], "w").write("".join(" ".join(x) + "\n" for x in out))
