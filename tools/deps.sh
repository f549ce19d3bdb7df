#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Install the Debian packages named on the command line that are missing.
# As root: apt-get install them.  Otherwise: print the exact command and fail.
missing=
for p in "$@"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if ! command -v apt-get >/dev/null 2>&1; then
	echo "swdflashd: missing packages:$missing (this is not a Debian system; install them by hand)" >&2
	exit 1
fi
if [ "$(id -u)" != 0 ]; then
	echo "swdflashd: missing packages:$missing" >&2
	echo "run:  sudo apt-get install -y --no-install-recommends$missing" >&2
	exit 1
fi
echo "swdflashd: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -q --no-install-recommends $missing >/dev/null 2>&1 ||
	{ apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends $missing; }
