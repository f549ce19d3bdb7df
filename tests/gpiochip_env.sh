# Sourced by tests/t_gpiochip_*.sh, tests/t_openocd_*.sh, tests/t_gpiod_v2.sh
# and bench/gpiod_vs_openocd.sh: run unmodified programs on the emulated
# Raspberry Pi 4 GPIO chip (build/gpiochip_emu.so) wired to a simulated nRF52.
#
#   emu SIMSPEC STATS CMD...   run CMD with the emulator preloaded; SIMSPEC is
#                              GPIOCHIP_EMU_SIM ("part=nrf52840,state=PATH"),
#                              STATS the JSON counter file ("" = none)
#   json FILE KEY              a number from a stats file ("ioctls_total",
#                              "sim.cycles", "ioctls.linehandle_v1")
#   skip/fail MSG              exit 77 / 1 with MSG on the last line

top=$(pwd)
EMU_SO=${GPIOCHIP_EMU_SO:-$top/build/gpiochip_emu.so}
FIX=${SWDFLASH_FIXTURES:-../shared/fixtures}

skip() { echo "$*"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }

need_emu() {
	[ -f "$EMU_SO" ] || fail "$EMU_SO missing (make tests-extra)"
}

emu() {
	_spec=$1 _stats=$2
	shift 2
	env GPIOCHIP_EMU_SIM="$_spec" GPIOCHIP_EMU_STATS="$_stats" \
		ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
		LD_PRELOAD="$EMU_SO" "$@"
}

json() {
	python3 -c 'import json,sys
v = json.load(open(sys.argv[1]))
for k in sys.argv[2].split("."):
    v = v[k]
print(v)' "$1" "$2"
}

# OpenOCD 0.12 through libgpiod v1 on the emulated chip, the blog post's
# configuration (linuxgpiod, GPIO25/24, target/nrf52.cfg, no work area).
OCD_CFG='gdb_port disabled; tcl_port disabled; telnet_port disabled; adapter driver linuxgpiod; adapter gpio swclk 25 -chip 0; adapter gpio swdio 24 -chip 0; transport select swd; set WORKAREASIZE 0; source [find target/nrf52.cfg]'

ocd() { # SIMSPEC STATS LOG COMMANDS...
	_spec=$1 _stats=$2 _log=$3
	shift 3
	set -- -c "$OCD_CFG" "$@"
	emu "$_spec" "$_stats" timeout 600 openocd "$@" >"$_log" 2>&1
}
