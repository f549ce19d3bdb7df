# SPDX-License-Identifier: GPL-2.0-or-later
# swdflashd: build, test, benchmark, install.  Plain make + pkg-config.
#
#   make run     install missing build packages, build, start the daemon
#   make check   install missing packages, build with ASan+UBSan, run every suite
#                (in parallel: TEST_JOBS=N at a time, TEST_TIMEOUT=S each; see tests/run.sh)
#   make bench   optimised build, print the figures, write bench/results.json
#   make fuzz    libFuzzer harnesses (clang, ASan+UBSan), FUZZ_SECONDS each
#   make         build only (never installs packages: that is make deps)
#   make install PREFIX=/usr DESTDIR=...   (dpkg-buildpackage -b uses it)
#   make check-cross   arm64/armhf cross-build + unit suites under qemu-user

.DEFAULT_GOAL := all

PREFIX ?= /usr/local
DESTDIR ?=
BINDIR ?= $(PREFIX)/bin
CC ?= cc
PKG_CONFIG ?= pkg-config
# systemd units and udev rules: with PREFIX=/usr where this system's systemd
# and udev want them (pkg-config: /lib/... on Debian 12, /usr/lib/... on 13),
# otherwise under PREFIX.
pc_dir = $(or $(shell $(PKG_CONFIG) --variable=$(2) $(1) 2>/dev/null),$(3))
# Without udev.pc (Debian 12 ships it in udev, not in systemd): next to the
# systemd units (/lib/udev when they are in /lib/systemd).
SYS_UNITDIR := $(call pc_dir,systemd,systemdsystemunitdir,/usr/lib/systemd/system)
SYSTEMDUNITDIR ?= $(if $(filter /usr,$(PREFIX)),$(SYS_UNITDIR),$(PREFIX)/lib/systemd/system)
UDEVRULESDIR ?= $(if $(filter /usr,$(PREFIX)),$(call pc_dir,udev,udevdir,$(SYS_UNITDIR:%/systemd/system=%/udev))/rules.d,$(PREFIX)/lib/udev/rules.d)
# The daemon looks for SYSCONFDIR/swdflashd/swdflashd.conf (compiled in).
SYSCONFDIR ?= /etc
DOCDIR ?= $(PREFIX)/share/doc/swdflashd
MANDIR ?= $(PREFIX)/share/man

# Distribution flags (dpkg-buildflags, ...) go into the optimised build, the
# one that is run and installed: CPPFLAGS and CFLAGS on every compile,
# LDFLAGS on every link.
CFLAGS ?= -O2 -g
CPPFLAGS ?=
LDFLAGS ?=

# Debian packages needed to build, and the extra ones the test suite uses.
DEB_BUILD := pkg-config gcc make libc6-dev libgpiod-dev libmicrohttpd-dev libunicorn-dev \
	libjansson-dev libinih-dev libsystemd-dev
# The ST-Link driver (swd/stlink_usb.c) needs libusb-1.0: a hard requirement.
DEB_BUILD += libusb-1.0-0-dev
# ... and what `make run` needs to show itself (its printed examples use curl).
DEB_RUN := curl
DEB_CHECK := check curl sigrok-cli libsigrokdecode4 openocd \
	binutils-arm-none-eabi srecord gpiod python3 gdb-multiarch stlink-tools \
	chromium nodejs prometheus python3-prometheus-client \
	clang libclang-rt-dev
# Debian ships npm apart from nodejs; a NodeSource nodejs brings its own and
# conflicts with Debian's npm package, so ask for it only when it is missing.
DEB_CHECK += $(if $(shell command -v npm 2>/dev/null),,npm)

# ... and the load generator the benchmark uses.
DEB_BENCH := wrk valgrind

# libgpiod: v1 (Debian 12) or v2, chosen by pkg-config.  Point
# GPIOD_PKG_CONFIG_PATH at another prefix to build against libgpiod v2.
GPIOD_PKG_CONFIG_PATH ?=
GPIOD_PC = PKG_CONFIG_PATH=$(GPIOD_PKG_CONFIG_PATH)$${PKG_CONFIG_PATH:+:$$PKG_CONFIG_PATH} $(PKG_CONFIG)

PKGS := libmicrohttpd jansson inih libsystemd
PKGS += libusb-1.0
# libgpiod's major version (0 when missing) under the pkg-config path $(1).
gpiod_major = $(firstword $(subst ., ,$(shell PKG_CONFIG_PATH=$(1)$${PKG_CONFIG_PATH:+:$$PKG_CONFIG_PATH} $(PKG_CONFIG) --modversion libgpiod 2>/dev/null) 0))
PKG_CFLAGS = $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null) \
	$(shell $(GPIOD_PC) --cflags libgpiod 2>/dev/null) \
	-DSWD_GPIOD_VERSION_MAJOR=$(call gpiod_major,$(GPIOD_PKG_CONFIG_PATH))
PKG_LIBS = $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null) \
	$(shell $(GPIOD_PC) --libs libgpiod 2>/dev/null)

WARN := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wno-unused-parameter
ifdef WERROR
WARN += -Werror
endif
# 64-bit off_t and time_t on 32-bit systems too (armhf; no-ops on 64-bit):
# otherwise stat/readdir fail with EOVERFLOW on large inode numbers and dates
# after 2038 wrap (no library we use has off_t or time_t in its API).
BASE_CFLAGS := -std=c11 -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 -D_TIME_BITS=64 $(WARN) -I. -pthread \
	-DSWDFLASHD_SYSCONFDIR='"$(SYSCONFDIR)"'

# Two flavours: rel (optimised: run, bench, install) and check (sanitizers).
REL_CFLAGS := $(BASE_CFLAGS) $(CPPFLAGS) $(CFLAGS)
CHK_CFLAGS := $(BASE_CFLAGS) -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
	-fno-sanitize-recover=undefined
CHK_LDFLAGS := -fsanitize=address,undefined

# libswdflash: the layers below the daemon (common, sim, swd, nrf52);
# libswdflashd: daemon and web. The program roots are cli/ and app/.
# The gpiod pins driver's back end (swd/pins_gpiod_v1.c or _v2.c) is added
# per flavour, for the libgpiod that flavour builds against.
GPIOD_BACKENDS := $(wildcard swd/pins_gpiod_v*.c)
LIB_SRCS := $(sort $(filter-out $(GPIOD_BACKENDS),$(wildcard common/*.c swd/*.c sim/*.c nrf52/*.c)))
APP_SRCS := $(sort $(wildcard daemon/*.c web/*.c))
CLI_SRCS := $(sort $(wildcard cli/*.c))
WEB_ASSETS := $(sort $(wildcard web/static/*))
TEST_SRCS := $(sort $(wildcard tests/check_*.c))
BENCH_SRCS := $(sort $(wildcard bench/*.c))

# $(call flavour,NAME,CFLAGS,LDFLAGS,GPIOD_PKG_CONFIG_PATH)
define flavour
$(1)_LIB := build/$(1)/libswdflash.a
$(1)_APP := build/$(1)/libswdflashd.a
$(1)_GPIOD := $$(filter swd/pins_gpiod_v$$(call gpiod_major,$(4)).c,$$(GPIOD_BACKENDS))
$(1)_LIB_OBJS := $$(patsubst %.c,build/$(1)/%.o,$$(sort $$(LIB_SRCS) $$($(1)_GPIOD)))
$(1)_APP_OBJS := $$(APP_SRCS:%.c=build/$(1)/%.o) $$(if $$(WEB_ASSETS),build/$(1)/web/assets.o)

build/$(1)/%.o: %.c | build-config
	@mkdir -p $$(dir $$@)
	$$(CC) $$($(2)) $$(PKG_CFLAGS) -MMD -MP -c $$< -o $$@

build/$(1)/web/assets.o: build/web_assets.c
	@mkdir -p $$(dir $$@)
	$$(CC) $$($(2)) -c $$< -o $$@

$$($(1)_LIB): $$($(1)_LIB_OBJS)
	@rm -f $$@
	ar rcs $$@ $$^

$$($(1)_APP): $$($(1)_APP_OBJS)
	@rm -f $$@
	ar rcs $$@ $$^

build/$(1)/swdflash: $$(CLI_SRCS:%.c=build/$(1)/%.o) $$($(1)_APP) $$($(1)_LIB)
	$$(CC) $$($(3)) -pthread -o $$@ $$^ $$(PKG_LIBS) -lm

build/$(1)/swdflashd: build/$(1)/app/swdflashd.o $$($(1)_APP) $$($(1)_LIB)
	$$(CC) $$($(3)) -pthread -o $$@ $$^ $$(PKG_LIBS) -lm
endef

REL_LD := $(LDFLAGS)
$(eval $(call flavour,rel,REL_CFLAGS,REL_LD,$(GPIOD_PKG_CONFIG_PATH)))
$(eval $(call flavour,check,CHK_CFLAGS,CHK_LDFLAGS,$(GPIOD_PKG_CONFIG_PATH)))

CHECK_TESTS := $(TEST_SRCS:tests/%.c=build/check/tests/%)
# Objects reached only through the pattern rules below are intermediate: make
# would delete them, and the next run (which reads their .d files) rebuild them.
.SECONDARY: $(CHECK_TESTS:%=%.o) $(BENCH_SRCS:bench/%.c=build/rel/bench/%.o)
build/check/tests/%: build/check/tests/%.o $(check_APP) $(check_LIB)
	$(CC) $(CHK_LDFLAGS) -pthread -o $@ $^ $$($(PKG_CONFIG) --libs check) $(PKG_LIBS) -lm
# The GPIO register model (tests/gm_model.c) behind the gpiomem driver's
# suite, its black-box helper and its benchmark; test-only code.
build/check/tests/check_gpiomem: build/check/tests/check_gpiomem.o build/check/tests/gm_model.o $(check_APP) $(check_LIB)
	$(CC) $(CHK_LDFLAGS) -pthread -o $@ $^ $$($(PKG_CONFIG) --libs check) $(PKG_LIBS) -lm

BENCH_BINS := $(BENCH_SRCS:bench/%.c=build/rel/bench/%)
build/rel/bench/gpiomem_bench: build/rel/bench/gpiomem_bench.o build/rel/tests/gm_model.o $(rel_APP) $(rel_LIB)
	$(CC) $(REL_LD) -pthread -o $@ $^ $(PKG_LIBS) -lm
# The ST-Link driver's program phase on the emulated dongle (its C API).
build/rel/bench/stlink_phases: build/rel/bench/stlink_phases.o \
		build/rel/tests/stlink_emu/stlink_emu.o $(rel_APP) $(rel_LIB)
	$(CC) $(REL_LD) -pthread -o $@ $^ $(PKG_LIBS) -lm
build/rel/bench/%: build/rel/bench/%.o $(rel_APP) $(rel_LIB)
	$(CC) $(REL_LD) -pthread -o $@ $^ $(PKG_LIBS) -lm

# The status page, embedded as a generated constant.
build/web_assets.c: $(WEB_ASSETS) web/embed.sh
	@mkdir -p build
	sh web/embed.sh $(WEB_ASSETS) > $@.tmp && mv $@.tmp $@

-include $(shell find build -name '*.d' 2>/dev/null)

BINS := swdflash swdflashd

# libFuzzer harnesses (tests/fuzz/fuzz_*.c): the same sources built by clang
# with ASan+UBSan and fuzzer coverage (a flavour of their own, build/fuzz/).
# Built by check-build when clang has the fuzzer runtime (libclang-rt-*-dev);
# tests/t_fuzz.sh runs each briefly, `make fuzz` for FUZZ_SECONDS each.
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 60
FUZZ_SRCS := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS := $(FUZZ_SRCS:tests/fuzz/%.c=build/fuzz/%)
FUZZ_CFLAGS := $(BASE_CFLAGS) -O1 -g -fno-omit-frame-pointer \
	-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined
FUZZ_LD :=
FUZZ_OK := $(shell f=$$($(FUZZ_CC) -print-file-name=libclang_rt.fuzzer-$$(uname -m).a 2>/dev/null) && [ -f "$$f" ] && echo 1)
$(eval $(call flavour,fuzz,FUZZ_CFLAGS,FUZZ_LD,$(GPIOD_PKG_CONFIG_PATH)))
build/fuzz/%: CC := $(FUZZ_CC)
build/fuzz/fuzz_%: build/fuzz/tests/fuzz/fuzz_%.o $(fuzz_APP) $(fuzz_LIB)
	$(FUZZ_CC) -fsanitize=fuzzer,address,undefined -pthread -o $@ $^ $(PKG_LIBS) -lm
.PHONY: fuzz-build fuzz
fuzz-build: $(FUZZ_BINS)
.SECONDARY: $(FUZZ_SRCS:tests/fuzz/%.c=build/fuzz/tests/fuzz/%.o)
ifeq ($(FUZZ_OK),1)
tests-extra: fuzz-build
endif
fuzz: deps-check fuzz-build
	FUZZ_SECONDS=$(FUZZ_SECONDS) sh tests/t_fuzz.sh

.PHONY: all deps deps-check deps-bench build-config check run bench install uninstall clean
# Building never installs anything (fakeroot, chroots, package builds):
# provisioning is `make deps`, which `make run` and `make check` call.
all: $(rel_LIB) $(BINS:%=build/rel/%)

# Tell the user what is missing; install it when we are root.
deps:
	@sh tools/deps.sh $(DEB_BUILD) $(DEB_RUN)
deps-check:
	@sh tools/deps.sh $(DEB_BUILD) $(DEB_CHECK)
deps-bench:
	@sh tools/deps.sh $(DEB_BUILD) $(DEB_CHECK) $(DEB_BENCH)

# Every library is required: a missing one stops the build here, by name,
# not a program at run time (pkg-config module, then its Debian package).
PKG_DEB := libmicrohttpd:libmicrohttpd-dev jansson:libjansson-dev inih:libinih-dev \
	libsystemd:libsystemd-dev libgpiod:libgpiod-dev libusb-1.0:libusb-1.0-0-dev
build-config:
	@command -v $(PKG_CONFIG) >/dev/null 2>&1 || { echo "swdflashd: $(PKG_CONFIG) not found (Debian: pkg-config); run 'make deps'" >&2; exit 1; }
	@miss=; for m in $(PKGS); do $(PKG_CONFIG) --exists $$m || miss="$$miss $$m"; done; \
	$(GPIOD_PC) --exists libgpiod || miss="$$miss libgpiod"; \
	[ -z "$$miss" ] || { for m in $$miss; do deb=; for e in $(PKG_DEB); do [ "$${e%%:*}" = $$m ] && deb=$${e#*:}; done; \
		echo "swdflashd: library $$m not found by pkg-config (Debian package: $${deb:-?})" >&2; done; \
		echo "swdflashd: run 'make deps' (as root) or install them, then make again" >&2; exit 1; }

check: deps-check
	$(MAKE) --no-print-directory check-build
	sh tests/run.sh

.PHONY: check-build
check-build: $(check_LIB) $(BINS:%=build/check/%) $(CHECK_TESTS) $(BINS:%=build/rel/%) tests-extra

# Extra artefacts that tests need (emulated gpiochip, ...); extended below.
.PHONY: tests-extra
tests-extra:

# imgdump: prints/flattens images with the library for tests/t_image_fixtures.sh.
tests-extra: build/check/tests/imgdump
build/check/tests/imgdump: build/check/tests/imgdump.o $(check_LIB)
	$(CC) $(CHK_LDFLAGS) -o $@ $^

# gpiochip_emu: an LD_PRELOAD Raspberry Pi GPIO chip wired to sim/, for
# tests/t_gpiochip_*.sh and tests/t_openocd_*.sh. Loaded into unmodified
# programs, so no sanitizers; sim/ is compiled into it position-independent.
EMU_SRCS := tests/gpiochip_emu/gpiochip_emu.c $(sort $(wildcard sim/*.c))
tests-extra: build/gpiochip_emu.so
build/gpiochip_emu.so: $(EMU_SRCS) $(wildcard sim/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(EMU_CFLAGS) -fPIC -fvisibility=hidden -shared -o $@ $(EMU_SRCS) -ldl -lpthread -lm
# It (and build/stlink_emu.so) defines open and open64 (and the like) itself: without the 64-bit
# off_t/time_t switches, which make glibc 2.41 (Debian 13) rename open to open64.
EMU_CFLAGS = $(filter-out -D_FILE_OFFSET_BITS=64 -D_TIME_BITS=64,$(REL_CFLAGS))
tests-extra: build/check/tests/gpiod_trace build/check/tests/gpiomem_flash
build/check/tests/gpiomem_flash: build/check/tests/gpiomem_flash.o build/check/tests/gm_model.o $(check_APP) $(check_LIB)
	$(CC) $(CHK_LDFLAGS) -pthread -o $@ $^ $(PKG_LIBS) -lm
build/check/tests/gpiod_trace: build/check/tests/gpiod_trace.o $(check_APP) $(check_LIB)
	$(CC) $(CHK_LDFLAGS) -pthread -o $@ $^ $(PKG_LIBS) -lm

# stlink_emu: the emulated ST-Link (tests/stlink_emu/): a firmware model on
# sim/ for tests/check_stlink_emu.c, and an LD_PRELOAD library presenting it
# to the real libusb in unmodified programs (tests/with-stlink, t_stlink_*).
STLINK_EMU_SRCS := tests/stlink_emu/stlink_emu.c
STLINK_SHIM_SRCS := tests/stlink_emu/stlink_shim.c $(STLINK_EMU_SRCS) $(sort $(wildcard sim/*.c))
tests-extra: build/stlink_emu.so build/check/tests/check_stlink_emu
# Its second half drives the dongle through the real libusb (the shim preloaded).
build/check/tests/check_stlink_emu: PKG_LIBS += -lusb-1.0 -ldl
build/stlink_emu.so: $(STLINK_SHIM_SRCS) tests/stlink_emu/stlink_emu.h $(wildcard sim/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(EMU_CFLAGS) -fPIC -fvisibility=hidden -shared -o $@ $(STLINK_SHIM_SRCS) -ldl -lpthread -lm
# The same dongle behind stlink-server's TCP protocol (OpenOCD's tcp backend).
tests-extra: build/stlink_server
build/stlink_server: tests/stlink_emu/stlink_server.c $(STLINK_EMU_SRCS) tests/stlink_emu/stlink_emu.h \
		$(sort $(wildcard sim/*.c)) $(wildcard sim/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(REL_CFLAGS) -o $@ tests/stlink_emu/stlink_server.c $(STLINK_EMU_SRCS) \
		$(sort $(wildcard sim/*.c)) -lm
build/check/tests/check_stlink_emu: build/check/tests/check_stlink_emu.o \
		build/check/tests/stlink_emu/stlink_emu.o $(check_APP) $(check_LIB)
	$(CC) $(CHK_LDFLAGS) -pthread -o $@ $^ $$($(PKG_CONFIG) --libs check) $(PKG_LIBS) -lm
# check_stlink: the ST-Link driver's protocol layer and the engine on it,
# against the same model through its C API.
build/check/tests/check_stlink: build/check/tests/check_stlink.o \
		build/check/tests/stlink_emu/stlink_emu.o $(check_APP) $(check_LIB)
	$(CC) $(CHK_LDFLAGS) -pthread -o $@ $^ $$($(PKG_CONFIG) --libs check) $(PKG_LIBS) -lm

# The libgpiod v2 build: tests/gpiod-v2.sh unpacks bookworm-backports'
# libgpiod-dev/libgpiod3 into build/gpiod-v2/ and builds build/gpiodv2/swdflash.
GPIODV2_PC := $(CURDIR)/build/gpiod-v2/pkgconfig
$(eval $(call flavour,gpiodv2,REL_CFLAGS,REL_LD,$(GPIODV2_PC)))
build/gpiodv2/%: GPIOD_PKG_CONFIG_PATH = $(GPIODV2_PC)
build/gpiodv2/tests/check_gpiod: build/gpiodv2/tests/check_gpiod.o $(gpiodv2_APP) $(gpiodv2_LIB)
	$(CC) -pthread -o $@ $^ $$($(PKG_CONFIG) --libs check) $(PKG_LIBS) -ldl -lm

run: deps
	$(MAKE) --no-print-directory all
	sh tools/run.sh

bench: deps-bench $(rel_LIB) $(BINS:%=build/rel/%) $(BENCH_BINS)
	@mkdir -p bench
	sh bench/run.sh

# Installed files, by kind: every systemd/*.rules and man/*.N is picked up, so
# a new one needs no change here (nor in debian/).
UDEV_RULES := $(sort $(wildcard systemd/*.rules))
MAN_PAGES := $(sort $(wildcard man/*.[1-8]))
UNITS := swdflashd.service swdflashd.socket
# The units name the installed binary, configuration directory and example.
UNIT_SED := -e 's|/usr/local/bin/swdflashd|$(BINDIR)/swdflashd|g' \
	-e 's|file:/etc/swdflashd/swdflashd.conf.example|file:$(DOCDIR)/examples/swdflashd.conf.example|g' \
	-e 's|/etc/swdflashd/|$(SYSCONFDIR)/swdflashd/|g'
INSTALLED := $(BINS:%=$(BINDIR)/%) $(UNITS:%=$(SYSTEMDUNITDIR)/%) \
	$(UDEV_RULES:systemd/%=$(UDEVRULESDIR)/%) $(DOCDIR)/examples/swdflashd.conf.example \
	$(foreach m,$(MAN_PAGES),$(MANDIR)/man$(subst .,,$(suffix $(m)))/$(notdir $(m)))

# For tests/t_build.sh: debian/control must build-depend on these.
.PHONY: print-deb-build
print-deb-build:
	@echo $(filter-out gcc make libc6-dev,$(DEB_BUILD))

.PHONY: print-install-dirs
print-install-dirs:
	@echo BINDIR=$(BINDIR) SYSTEMDUNITDIR=$(SYSTEMDUNITDIR) UDEVRULESDIR=$(UDEVRULESDIR) \
		SYSCONFDIR=$(SYSCONFDIR) DOCDIR=$(DOCDIR) MANDIR=$(MANDIR)

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SYSTEMDUNITDIR) $(DESTDIR)$(UDEVRULESDIR) \
		$(DESTDIR)$(DOCDIR)/examples $(DESTDIR)$(SYSCONFDIR)/swdflashd
	install -m 0755 $(BINS:%=build/rel/%) $(DESTDIR)$(BINDIR)/
	for u in $(UNITS); do sed $(UNIT_SED) systemd/$$u >$(DESTDIR)$(SYSTEMDUNITDIR)/$$u && \
		chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/$$u || exit 1; done
	$(if $(UDEV_RULES),install -m 0644 $(UDEV_RULES) $(DESTDIR)$(UDEVRULESDIR)/)
	install -m 0644 systemd/swdflashd.conf.example $(DESTDIR)$(DOCDIR)/examples/
	for m in $(MAN_PAGES); do s=$${m##*.}; d=$(DESTDIR)$(MANDIR)/man$$s/$${m##*/}; \
		install -d $${d%/*} && sed -e 's|/usr/share/doc/swdflashd|$(DOCDIR)|g' \
		-e 's|/etc/swdflashd/|$(SYSCONFDIR)/swdflashd/|g' $$m >$$d && chmod 0644 $$d || exit 1; done

uninstall:
	rm -f $(INSTALLED:%=$(DESTDIR)%)
	-rmdir $(DESTDIR)$(DOCDIR)/examples $(DESTDIR)$(DOCDIR) $(DESTDIR)$(SYSCONFDIR)/swdflashd 2>/dev/null

clean:
	rm -rf build

# The demo firmware (demo/*.S, ours): `make demo` assembles it with
# binutils-arm-none-eabi into build/demo/; demo/*.hex are the committed
# copies (make run's examples flash them), checked by tests/t_demo.sh.
# `make demo-update` replaces them after a change of the source.
ARM_PREFIX ?= arm-none-eabi-
DEMO_SRCS := $(sort $(wildcard demo/*.S))
DEMO_HEX := $(DEMO_SRCS:demo/%.S=build/demo/%.hex)
build/demo/%.elf: demo/%.S demo/demo.ld
	@mkdir -p $(dir $@)
	$(ARM_PREFIX)as -o $(@:.elf=.o) $<
	$(ARM_PREFIX)ld -T demo/demo.ld -o $@ $(@:.elf=.o)
build/demo/%.hex: build/demo/%.elf
	$(ARM_PREFIX)objcopy -O ihex $< $@
.PHONY: demo demo-update
demo: $(DEMO_HEX)
demo-update: demo
	cp $(DEMO_HEX) demo/

# ARM: cross-built with Debian's cross compilers against the multiarch -dev
# packages (`make cross-deps` adds the dpkg architectures and installs them:
# a maintainer step, never part of `make check`), warnings as errors; the
# Check suites then run under qemu-user-static (no binfmt: the binaries are
# started through qemu with the target's loader and multiarch libraries).
#   make check-cross            arm64 and armhf
#   make check-cross CROSS_ARCHS=armhf
CROSS_ARCHS ?= arm64 armhf
CROSS_TRIPLET_arm64 := aarch64-linux-gnu
CROSS_TRIPLET_armhf := arm-linux-gnueabihf
CROSS_QEMU_arm64 := qemu-aarch64-static
CROSS_QEMU_armhf := qemu-arm-static
CROSS_DEV := libgpiod-dev libmicrohttpd-dev libjansson-dev libinih-dev libsystemd-dev libusb-1.0-0-dev \
	libunicorn-dev check
CROSS_CFLAGS := $(BASE_CFLAGS) -O2 -g -Werror
CROSS_LD :=
# Suites that stay native: check_gpiod re-executes itself with the host's
# emulated GPIO chip preloaded; check_sim_config forks a chip holder to
# kill -9 it, and a forked child never gets going under qemu-user 7.2 (the
# same reason the suites run with CK_FORK=no there, tools/check-cross.sh);
# check_stlink_emu's second half preloads the host's libusb shim.
CROSS_SKIP ?= check_gpiod check_sim_config check_stlink_emu
CROSS_TESTS = $(filter-out $(CROSS_SKIP),$(TEST_SRCS:tests/%.c=%))
# $(call cross,ARCH)
define cross
$(eval $(call flavour,$(1),CROSS_CFLAGS,CROSS_LD,))
build/$(1)/%: CC := $(CROSS_TRIPLET_$(1))-gcc
build/$(1)/%: PKG_CONFIG := env PKG_CONFIG_LIBDIR=/usr/lib/$(CROSS_TRIPLET_$(1))/pkgconfig:/usr/share/pkgconfig pkg-config
build/$(1)/tests/check_gpiomem: build/$(1)/tests/check_gpiomem.o build/$(1)/tests/gm_model.o $$($(1)_APP) $$($(1)_LIB)
	$$(CC) -pthread -o $$@ $$^ $$$$($$(PKG_CONFIG) --libs check) $$(PKG_LIBS) -lm
build/$(1)/tests/check_stlink: build/$(1)/tests/check_stlink.o build/$(1)/tests/stlink_emu/stlink_emu.o $$($(1)_APP) $$($(1)_LIB)
	$$(CC) -pthread -o $$@ $$^ $$$$($$(PKG_CONFIG) --libs check) $$(PKG_LIBS) -lm
build/$(1)/tests/check_%: build/$(1)/tests/check_%.o $$($(1)_APP) $$($(1)_LIB)
	$$(CC) -pthread -o $$@ $$^ $$$$($$(PKG_CONFIG) --libs check) $$(PKG_LIBS) -lm
.SECONDARY: $$(TEST_SRCS:tests/%.c=build/$(1)/tests/%.o)
.PHONY: cross-build-$(1) check-cross-$(1)
cross-build-$(1): $$(CROSS_TESTS:%=build/$(1)/tests/%) build/$(1)/swdflash build/$(1)/swdflashd
check-cross-$(1): cross-build-$(1)
	sh tools/check-cross.sh $(1) $(CROSS_QEMU_$(1)) $(CROSS_TRIPLET_$(1)) $$(CROSS_TESTS:%=build/$(1)/tests/%)
endef
$(foreach a,$(CROSS_ARCHS),$(eval $(call cross,$(a))))
.PHONY: cross-deps check-cross
cross-deps:
	sh tools/cross-deps.sh "$(CROSS_ARCHS)" "$(CROSS_DEV)" \
		"$(foreach a,$(CROSS_ARCHS),gcc-$(subst _,-,$(CROSS_TRIPLET_$(a))))" qemu-user-static
check-cross: cross-deps
	$(MAKE) --no-print-directory $(CROSS_ARCHS:%=check-cross-%)
