// SPDX-License-Identifier: GPL-2.0-or-later
/* stlink_emu: an ST-Link V2 / V2-1 / V3 firmware model on top of sim/.
 *
 * The model is the dongle: it takes the 16-byte commands a host sends on
 * the bulk OUT endpoint (and their data phase), runs its own SWD engine
 * against a simulated nRF52 on the wire (sim_seq_out/sim_seq_in, as the
 * dongle's MCU bit-bangs), and queues the reply the selected firmware
 * gives for the bulk IN endpoint. Facts and sources: ../shared/STLINK.md
 * (§2 protocol, §2.5 firmware thresholds, §3.1 WAIT/FAULT, §6 clones).
 *
 * It is test code, loaded into unmodified programs by the LD_PRELOAD shim
 * (stlink_shim.c) and linked into Check suites; like sim/ it includes
 * nothing of the project's and keeps sim/'s error convention: 0 or -1
 * (NULL for constructors) with a message in (char *err, size_t errlen);
 * the transfer calls return a byte count or a negative errno, as a USB
 * stack would.
 *
 * Configuration string (STLINK_EMU for the shim and tests/with-stlink),
 * every key optional:
 *   model=v2|v2-1|v3        V2 0483:3748 (EPs 0x02/0x81/0x83, full speed,
 *                           64 B), V2-1 0483:374B (0x01/0x81/0x82), V3
 *                           0483:374F (0x01/0x81/0x82, high speed, 512 B)
 *   pid=0xNNNN              another PID of the same family (0x3752, 0x374E,
 *                           0x3753, 0x3754)
 *   fw=J37                  the JTAG/SWD firmware version "J" (V3: the
 *                           V3 "J"); default V2 J37, V3 J7. swim=7, msd=...
 *   serial=HEX24            the serial (24 hex digits; default derived)
 *   serial_form=hex|raw     raw = old firmware: 12 raw UID bytes (bLength 26)
 *   rst=0|1                 1: RST pin wired to nRESET (default); 0: a clone
 *                           whose pin is SWIM_RST, DRIVE_NRST moves nothing
 *   vtarget_mv=3300         target voltage reported (0 = a clone: 0 V)
 *   ap_check=auto|none|st   refuse APs that are not ARM's with BAD_AP (st),
 *                           never (none), or as the firmware does (auto:
 *                           V2 >= J37 refuses, STLINK.md §6 pyOCD#918)
 *   unplug_after=N          the dongle vanishes after N commands
 *   stall=0xEP              that endpoint is halted (transfers -EPIPE)
 *   cmd_us=160              the time model's cost of one command (below)
 *   mode=dfu|mass|debug|swim  the mode at power-up (default dfu, V2 J37
 *                           answers GET_CURRENT_MODE 0 before EXIT_DFU)
 *
 * Firmware model (V2 "J" thresholds as OpenOCD computes them, STLINK.md
 * §2.5; V3 has all of these):
 *   < J13 no GET_TARGET_VOLTAGE   < J15 no GETLASTRWSTATUS2
 *   < J22 no SWD_SET_FREQ         < J24 no READ/WRITE_DAP_REG (dapdirect)
 *   J24..J27: DAP registers, AP 0 only   < J26 no 16-bit memory commands
 *   >= J28 INIT_AP/CLOSE_AP, APs 0..3    >= J32 RW_MISC, CSW, APs 0..7
 * Unsupported commands get STLINK_EMU_ST_UNKNOWN_CMD (0x42) where a status
 * byte is expected; an AP above the limit gets BAD_AP (0x1D).
 * Memory commands: WAIT retried 4 times, the fifth reported (0x10); a
 * FAULT reported (0x11) with STICKYERR left set (the next memory command
 * clears it, DAP-register hosts see it in CTRL/STAT); GETLASTRWSTATUS2's
 * address is the word a WAIT refused, or the access a bus error came
 * from [U: what real firmware reports]. The locked nRF52's AHB-AP (IDR 0)
 * gives 0x05 to INIT_AP(0) and to memory commands.
 */
#ifndef STLINK_EMU_H
#define STLINK_EMU_H

#include <stddef.h>
#include <stdint.h>

struct sim_chip;

enum stlink_emu_model { STLINK_EMU_V2, STLINK_EMU_V2_1, STLINK_EMU_V3 };

/* Status codes (STLINK.md §2.4). */
#define STLINK_EMU_ST_OK 0x80
#define STLINK_EMU_ST_FAULT 0x81
#define STLINK_EMU_ST_UNKNOWN_ERROR 0x01
#define STLINK_EMU_ST_NO_DEVICE 0x05
#define STLINK_EMU_ST_SWD_AP_WAIT 0x10
#define STLINK_EMU_ST_SWD_AP_FAULT 0x11
#define STLINK_EMU_ST_SWD_AP_ERROR 0x12
#define STLINK_EMU_ST_SWD_AP_PARITY 0x13
#define STLINK_EMU_ST_SWD_DP_WAIT 0x14
#define STLINK_EMU_ST_SWD_DP_FAULT 0x15
#define STLINK_EMU_ST_SWD_DP_ERROR 0x16
#define STLINK_EMU_ST_SWD_DP_PARITY 0x17
#define STLINK_EMU_ST_BAD_AP 0x1D
#define STLINK_EMU_ST_FREQ_NOT_SUPPORTED 0x41
#define STLINK_EMU_ST_UNKNOWN_CMD 0x42

struct stlink_emu_config {
	enum stlink_emu_model model;
	uint16_t pid;           /* 0 = the model's default */
	unsigned fw_j;          /* JTAG/SWD version ("J") */
	unsigned fw_s;          /* SWIM (V2) */
	unsigned fw_m;          /* mass storage (V2-1, V3) */
	char serial[25];        /* 24 hex digits */
	int serial_raw;         /* old form: 12 raw bytes in the descriptor */
	int rst_wired;
	unsigned vtarget_mv;
	int ap_check;           /* 0 none, 1 refuse non-ARM APs */
	uint64_t unplug_after;  /* 0 = never */
	uint8_t stall_ep;       /* 0 = none */
	int start_mode;         /* GET_CURRENT_MODE value at power-up */
	uint32_t cmd_ns;        /* the time model's cost of a command (spec cmd_us) */
};

/* Fills cfg with defaults, then applies spec (may be NULL/""). */
int stlink_emu_config_parse(struct stlink_emu_config *cfg, const char *spec, char *err,
			    size_t errlen);

struct stlink_emu;

/* A dongle wired to chip (borrowed: the caller frees it after the dongle;
 * NULL = nothing on the wire, SWDIO floats). */
struct stlink_emu *stlink_emu_new(const struct stlink_emu_config *cfg, struct sim_chip *chip,
				  char *err, size_t errlen);
/* Same from two strings: the emulator spec and a sim_config_parse spec
 * (the chip is created and owned by the dongle). */
struct stlink_emu *stlink_emu_new_spec(const char *emuspec, const char *simspec, char *err,
				       size_t errlen);
void stlink_emu_free(struct stlink_emu *emu);
struct sim_chip *stlink_emu_chip(struct stlink_emu *emu);
const struct stlink_emu_config *stlink_emu_config(const struct stlink_emu *emu);

/* ---- USB identity ---- */
uint16_t stlink_emu_pid(const struct stlink_emu *emu);
uint8_t stlink_emu_ep_out(const struct stlink_emu *emu);   /* 0x02 or 0x01 */
uint8_t stlink_emu_ep_in(const struct stlink_emu *emu);    /* 0x81 */
uint8_t stlink_emu_ep_trace(const struct stlink_emu *emu); /* 0x83 or 0x82 */
unsigned stlink_emu_max_packet(const struct stlink_emu *emu); /* 64 or 512 */
unsigned stlink_emu_speed_mbps(const struct stlink_emu *emu); /* 12 or 480 */
/* Device descriptor then the configuration descriptor (as the sysfs
 * "descriptors" file holds them); returns the length or -1 if too small. */
int stlink_emu_descriptors(const struct stlink_emu *emu, uint8_t *buf, size_t len);
/* A standard control request (GET_DESCRIPTOR device/config/string,
 * GET_CONFIGURATION, GET_STATUS...). setup: the 8-byte setup packet; data:
 * wLength bytes. Returns the IN length, or a negative errno (-EPIPE =
 * stall, -ENODEV = unplugged). */
int stlink_emu_control(struct stlink_emu *emu, const uint8_t setup[8], uint8_t *data);

/* ---- bulk transfers ----
 * bulk_out: a command (16 bytes) or the data phase the last command
 * announced. Returns len or -ENODEV (unplugged), -EPIPE (stalled),
 * -EINVAL (wrong endpoint). A data phase shorter than announced waits for
 * the rest.
 * bulk_in: up to len bytes of the pending reply (a shorter reply ends with
 * a short packet). -EAGAIN: nothing to send (the device NAKs, a host
 * times out); -EOVERFLOW: the reply is longer than len and len is not a
 * multiple of the packet size; -ENODEV, -EPIPE as above. */
int stlink_emu_bulk_out(struct stlink_emu *emu, uint8_t ep, const void *buf, size_t len);
int stlink_emu_bulk_in(struct stlink_emu *emu, uint8_t ep, void *buf, size_t len);
/* Bytes the IN endpoint would return now (0 = it NAKs). */
size_t stlink_emu_in_pending(const struct stlink_emu *emu, uint8_t ep);

/* ---- counters and the time model ----
 * Modelled time on a real full-speed V2 (STLINK.md §3.3): every command
 * costs STLINK_EMU_CMD_NS (one OUT command + its data/reply transfer,
 * the 0.16 ms per command derived from OpenOCD 0.9 / V2J23 writing an
 * nRF51 word by word, devzone question 130106), plus STLINK_EMU_PKT_NS
 * for every further 64-byte packet of its data phase (1 ms frame / 19
 * bulk packets, Microchip "USB Frames"), plus the SWD time the firmware
 * spends on the wire at the SWCLK the host chose (simulated). The USB
 * part is also added to the chip's simulated time, so the NVMC sees the
 * time pass that the host's polls would take. V3 (high speed): the same
 * per command, 512-byte packets at 13 per 125 us microframe. The per-command
 * cost is the one figure with a single data point (STLINK.md §3.3 puts a
 * command's OUT/IN pair at 0.1-1 ms depending on the host controller):
 * spec key cmd_us sets another, for a sensitivity run (make bench labels
 * it). */
#define STLINK_EMU_CMD_NS 160000u
#define STLINK_EMU_PKT_NS 52632u
#define STLINK_EMU_PKT_NS_HS 9615u

struct stlink_emu_counters {
	uint64_t commands;        /* 16-byte commands taken */
	uint64_t bulk_out;        /* bulk OUT transfers (commands + data phases) */
	uint64_t bulk_in;         /* bulk IN transfers completed */
	uint64_t bytes_out, bytes_in;
	uint64_t control;         /* control transfers */
	uint64_t mem_commands;    /* READMEM/WRITEMEM of any width */
	uint64_t bad_status;      /* replies/last-RW statuses other than OK */
	uint64_t unknown_commands;
	uint64_t swd_transfers;   /* SWD packets the firmware sent */
	uint64_t swd_wait_retries;/* WAIT ACKs the firmware retried itself */
	uint64_t swd_waits_reported; /* SWD_AP_WAIT / SWD_DP_WAIT given to the host */
	uint64_t swd_faults;
	uint64_t nrst_pulses;     /* DRIVE_NRST low->high on a wired RST */
	uint64_t usb_ns;          /* modelled USB time */
	uint64_t swd_ns;          /* simulated SWD time inside commands */
	uint64_t modelled_ns;     /* usb_ns + swd_ns: the dongle's busy time; the
	                             host's sleeps are not in it (the chip's
	                             simulated time has them with wallclock=1) */
	uint64_t by_op[256];      /* commands by byte 0 (0xF2: see by_debug) */
	uint64_t by_debug[256];   /* DEBUG_COMMAND by subcommand */
};
const struct stlink_emu_counters *stlink_emu_counters(const struct stlink_emu *emu);
void stlink_emu_counters_reset(struct stlink_emu *emu);
/* The counters as one JSON object (no trailing newline); returns the length
 * snprintf would have written. */
int stlink_emu_counters_json(const struct stlink_emu *emu, char *buf, size_t len);

/* ---- state and faults ---- */
uint32_t stlink_emu_swd_khz(const struct stlink_emu *emu); /* SWCLK set now */
int stlink_emu_mode(const struct stlink_emu *emu);         /* GET_CURRENT_MODE value */
int stlink_emu_nreset(const struct stlink_emu *emu);       /* level it drives on nRESET */
void stlink_emu_unplug(struct stlink_emu *emu);            /* gone now */
void stlink_emu_unplug_after(struct stlink_emu *emu, uint64_t commands); /* 0 = off */
void stlink_emu_replug(struct stlink_emu *emu);            /* back, freshly powered */
int stlink_emu_unplugged(const struct stlink_emu *emu);
void stlink_emu_stall(struct stlink_emu *emu, uint8_t ep, int halted);
int stlink_emu_stalled(const struct stlink_emu *emu, uint8_t ep);

#endif
