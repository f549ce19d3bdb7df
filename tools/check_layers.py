#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Check every #include "..." in the tree against the allowed layer edges.

Layers, bottom to top: common, sim, swd, nrf52, daemon, web, and the two
program roots (cli/ for swdflash, app/ for swdflashd).  A folder may
include itself and the folders (or single headers) listed for it below;
anything else is a layering error.  sim/ includes nothing of ours: it
builds alone into the LD_PRELOAD emulators.  tests/ and bench/ may
include anything.  Exit 1 and name each offending line."""
import os
import re
import sys

ALLOWED = {
    "common": [],
    "sim": [],
    "swd": ["common", "sim/sim.h"],
    "nrf52": ["common", "swd/dap.h", "swd/adiv5.h"],
    "daemon": ["common", "nrf52", "swd/probe.h"],
    "web": ["common", "daemon"],
    "cli": ["common", "nrf52", "swd/probe.h", "daemon"],
    "app": ["common", "daemon", "web"],
}
# Inside swd/ the sub-layers go pins -> link -> DAP -> probe: a file whose
# name starts with the first string may not include the headers listed.
FORBIDDEN = [
    ("swd/pins", ["swd/link.h", "swd/dap.h", "swd/dap_swd.h", "swd/probe.h"]),
    ("swd/link", ["swd/dap.h", "swd/dap_swd.h", "swd/probe.h"]),
    ("swd/dap", ["swd/probe.h"]),
]
# Calls that name a layer a folder may not include, even when a header it
# may include brings the declaration in (web/ sees nrf52/image.h through
# daemon/job.h, but must not parse or format images itself).
CALLS = {
    "web": re.compile(r"\b(?:nrf52|img|dap|swd|sim)_[a-z0-9_]+\s*\("),
}
UNCHECKED = {"tests", "bench", "tools"}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')


def resolve(root, src, name):
    """The tree-relative path an include names: beside the file, else -I."""
    for base in (os.path.dirname(src), root):
        p = os.path.normpath(os.path.join(base, name))
        if os.path.exists(p):
            return os.path.relpath(p, root)
    return None


def allowed(layer, target):
    top = target.split("/", 1)[0]
    if top == layer:
        return True
    return any(target == a or top == a for a in ALLOWED[layer])


def forbidden(src, target):
    return any(src.startswith(pre) and target in hdrs for pre, hdrs in FORBIDDEN)


def main(root):
    bad = 0
    checked = 0
    for dirpath, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d != "build")
        rel = os.path.relpath(dirpath, root)
        layer = rel.split(os.sep, 1)[0]
        if rel == "." or layer in UNCHECKED:
            continue
        for f in sorted(files):
            if not f.endswith((".c", ".h")):
                continue
            src = os.path.join(dirpath, f)
            if layer not in ALLOWED:
                print(f"{os.path.relpath(src, root)}: folder '{layer}' is not in the layer table")
                bad += 1
                continue
            with open(src, encoding="utf-8", errors="replace") as fh:
                for n, line in enumerate(fh, 1):
                    call = CALLS.get(layer)
                    hit = call.search(line.split("//")[0]) if call else None
                    if hit:
                        print(f"{os.path.relpath(src, root)}:{n}: {layer}/ calls "
                              f"{hit.group(0).rstrip('( ')}() of a layer it may not use")
                        bad += 1
                    m = INCLUDE.match(line)
                    if not m:
                        continue
                    checked += 1
                    tgt = resolve(root, src, m.group(1))
                    where = f"{os.path.relpath(src, root)}:{n}"
                    if tgt is None:
                        print(f'{where}: #include "{m.group(1)}" names no file in the tree')
                        bad += 1
                    elif tgt.startswith(".."):
                        print(f'{where}: #include "{m.group(1)}" leaves the tree')
                        bad += 1
                    elif forbidden(os.path.relpath(src, root), tgt):
                        print(f"{where}: {os.path.relpath(src, root)} is below {tgt} "
                              "and may not include it")
                        bad += 1
                    elif not allowed(layer, tgt.replace(os.sep, "/")):
                        print(f'{where}: {layer}/ may not include {tgt} '
                              f'(allowed: {layer}, {", ".join(ALLOWED[layer]) or "nothing else"})')
                        bad += 1
    print(f"{checked} includes checked, {bad} layering errors")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "."))
