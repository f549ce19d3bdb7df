// SPDX-License-Identifier: GPL-2.0-or-later
/* stlink: ST-Link command protocol and the DAP seam (see stlink.h).
 *
 * Every command is one 16-byte bulk OUT, then an optional OUT data phase or
 * an IN reply of a known length (STLINK.md 2.1). Memory commands carry no
 * status: GETLASTRWSTATUS2 (J15+) gives it with the fault address, sent in
 * the same batch as the command so that one USB round trip covers both.
 * Memory runs are cut at the firmware's size limits and at 1 KiB TAR
 * blocks (ADIv5 guarantees auto-increment only within TAR[9:0]). */
#include "stlink.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- opcodes, STLINK.md 2.2 / 2.3 ---- */
#define STLINK_GET_VERSION 0xF1U
#define STLINK_DEBUG 0xF2U
#define STLINK_DFU 0xF3U
#define STLINK_DFU_EXIT 0x07U
#define STLINK_SWIM 0xF4U
#define STLINK_SWIM_EXIT 0x01U
#define STLINK_GET_CURRENT_MODE 0xF5U
#define STLINK_GET_TARGET_VOLTAGE 0xF7U
#define STLINK_GET_VERSION_EX 0xFBU

#define STLINK_MODE_DFU 0x00U
#define STLINK_MODE_DEBUG 0x02U
#define STLINK_MODE_SWIM 0x03U

#define DBG_READMEM_32 0x07U
#define DBG_WRITEMEM_32 0x08U
#define DBG_READMEM_8 0x0CU
#define DBG_WRITEMEM_8 0x0DU
#define DBG_EXIT 0x21U
#define DBG_ENTER 0x30U
#define DBG_ENTER_SWD 0xA3U
#define DBG_READ_IDCODES 0x31U
#define DBG_GETLASTRWSTATUS 0x3BU
#define DBG_DRIVE_NRST 0x3CU
#define DBG_GETLASTRWSTATUS2 0x3EU
#define DBG_SWD_SET_FREQ 0x43U
#define DBG_READ_DAP_REG 0x45U
#define DBG_WRITE_DAP_REG 0x46U
#define DBG_READMEM_16 0x47U
#define DBG_WRITEMEM_16 0x48U
#define DBG_INIT_AP 0x4BU
#define DBG_CLOSE_AP 0x4CU
#define DBG_SET_COM_FREQ 0x61U
#define DBG_GET_COM_FREQ 0x62U
#define STLINK_DP_PORT 0xFFFFU /* READ/WRITE_DAP_REG port for the DP */

/* ---- status codes, STLINK.md 2.4 ---- */
#define ST_OK 0x80U
#define ST_FAULT 0x81U
#define ST_UNKNOWN_ERROR 0x01U
#define ST_NO_DEVICE 0x05U
#define ST_GET_IDCODE_ERROR 0x09U
#define ST_DBG_POWER_ERROR 0x0BU
#define ST_WRITE_VERIF_ERROR 0x0DU
#define ST_AP_WAIT 0x10U
#define ST_AP_FAULT 0x11U
#define ST_AP_ERROR 0x12U
#define ST_AP_PARITY 0x13U
#define ST_DP_WAIT 0x14U
#define ST_DP_FAULT 0x15U
#define ST_DP_ERROR 0x16U
#define ST_DP_PARITY 0x17U
#define ST_AP_WDATA 0x18U
#define ST_AP_STICKY 0x19U
#define ST_AP_STICKYORUN 0x1AU
#define ST_BAD_AP 0x1DU
#define ST_FREQ_NOT_SUPPORTED 0x41U
#define ST_UNKNOWN_CMD 0x42U

/* ---- firmware features, STLINK.md 2.5 (OpenOCD stlink_usb_version) ---- */
enum {
	F_VOLT = 1U << 0,     /* GET_TARGET_VOLTAGE: V2 J13+ */
	F_RW2 = 1U << 1,      /* GETLASTRWSTATUS2 with fault address: J15+ */
	F_SWD_FREQ = 1U << 2, /* SWD_SET_FREQ divisors: V2 J22+ */
	F_DAP_REG = 1U << 3,  /* READ/WRITE_DAP_REG: J24+ */
	F_MEM16 = 1U << 4,    /* 16-bit memory commands: J26+ */
	F_AP_INIT = 1U << 5,  /* INIT_AP, needed before AP access: J28+ */
	F_FIX_CLOSE = 1U << 6, /* CLOSE_AP_DBG status is real: J29+ */
	F_RW8_512 = 1U << 7,  /* 8-bit transfers up to 512 bytes: V3 J6+ */
	F_COM_FREQ = 1U << 8, /* V3 SET/GET_COM_FREQ */
};

/* Size limits (STLINK.md 2.3): 32-bit transfers up to 6144 bytes
 * (OpenOCD STLINK_DATA_SIZE); 8-bit up to the USB packet (64) or 512 on V3
 * J6+; 16-bit: we keep to the 8-bit limit, which every host uses. */
#define STLINK_MAX_RW32 6144U
#define STLINK_TAR_BLOCK 1024U
#define STLINK_TIMEOUT_MS 3000U /* per batch; stlink-tools uses 3000 ms */
/* WAIT reported by the dongle (after its own retries, STLINK.md 3.1):
 * retry from where it stopped, backing off 50 us << n up to 6.4 ms, for
 * as long as STLINK_WAIT_LIMIT_US passes without progress. */
#define STLINK_WAIT_BACKOFF_US 50U
#define STLINK_WAIT_BACKOFF_MAX 7U
#define STLINK_WAIT_LIMIT_US 500000U
#define STLINK_POWERUP_TIMEOUT_US 100000U
/* Reads are pipelined: this many 1 KiB commands (with their status) go in
 * one batch. Writes are not: a WAIT stops a block, and what was queued
 * behind it must not be written past the hole. */
#define STLINK_READ_PIPELINE 8U
#define STLINK_MAX_SPEEDS 12U
/* Pacing: the dongle retries a WAIT only 4 times (STLINK.md 3.1), about
 * 20 us at 4 MHz, while an nRF52 flash word takes 41-68 us, so a fast
 * block write into flash stops at nearly every word and each stop costs
 * USB round trips. After STLINK_PACE_STOPS stops in one write, the clock
 * steps down (never below STLINK_PACE_MIN_KHZ) until the dongle's own
 * retries cover the stall; it is restored when the write ends. Later
 * writes into the same 16 MiB region start at that clock. */
#define STLINK_PACE_STOPS 2U
#define STLINK_PACE_MIN_KHZ 480U
/* A genuine V2 measures the target's VDD on pin 1; below this it warns
 * (OpenOCD stlink_usb_init_mode: < 1.5 V). */
#define STLINK_LOW_MV 1500

struct stlink {
	struct stlink_xport xp;
	struct dap *dap;
	struct stlink_info info;
	unsigned feat;
	uint32_t ap_open;      /* INIT_AP done since the last connect, bit per AP */
	uint32_t ap_refused;   /* BAD_AP seen, bit per AP */
	int gone;              /* unplugged: every call fails at once */
	uint64_t commands, retries;
	char note[320];        /* why caps are missing, for dap->note */
	unsigned speeds[STLINK_MAX_SPEEDS], nspeeds; /* offered SWD clocks, fastest first */
	unsigned cur_khz;      /* set now (info.khz is the configured one) */
	unsigned pace_khz;     /* learned: block writes at this clock do not stop on WAIT */
	uint32_t slow[8];      /* 16 MiB regions (addr >> 24) whose writes stall: paced */
	uint64_t wait_stops;   /* block writes the dongle stopped with WAIT */
};

/* ---- clock ---- */

static uint64_t mono_us(void *ctx)
{
	struct timespec ts;

	(void)ctx;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000U + (uint64_t)ts.tv_nsec / 1000U;
}

static void mono_sleep(void *ctx, uint32_t us)
{
	struct timespec ts = { us / 1000000U, (long)(us % 1000000U) * 1000L };

	(void)ctx;
	while (nanosleep(&ts, &ts))
		;
}

const struct swd_clock_ops stlink_clock_ops = {
	.now_us = mono_us,
	.sleep_us = mono_sleep,
};

/* ---- commands ---- */

static void put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v);
	put16(p + 2, v >> 16);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static const char *status_name(unsigned st)
{
	switch (st) {
	case ST_FAULT: return "DEBUG_ERR_FAULT";
	case ST_UNKNOWN_ERROR: return "JTAG_UNKNOWN_ERROR";
	case 0x04: return "JTAG_UNKNOWN_JTAG_CHAIN";
	case ST_NO_DEVICE: return "JTAG_NO_DEVICE_CONNECTED";
	case 0x07: return "JTAG_CMD_WAIT";
	case 0x08: return "JTAG_CMD_ERROR";
	case ST_GET_IDCODE_ERROR: return "GET_IDCODE_ERROR";
	case 0x0A: return "ALIGNMENT_ERROR";
	case ST_DBG_POWER_ERROR: return "DBG_POWER_ERROR";
	case 0x0C: return "WRITE_ERROR";
	case 0x0E: return "ALREADY_OPENED_IN_OTHER_MODE";
	case ST_AP_WAIT: return "SWD_AP_WAIT";
	case ST_AP_FAULT: return "SWD_AP_FAULT";
	case ST_AP_ERROR: return "SWD_AP_ERROR";
	case ST_AP_PARITY: return "SWD_AP_PARITY_ERROR";
	case ST_DP_WAIT: return "SWD_DP_WAIT";
	case ST_DP_FAULT: return "SWD_DP_FAULT";
	case ST_DP_ERROR: return "SWD_DP_ERROR";
	case ST_DP_PARITY: return "SWD_DP_PARITY_ERROR";
	case ST_AP_WDATA: return "SWD_AP_WDATA_ERROR";
	case ST_AP_STICKY: return "SWD_AP_STICKY_ERROR";
	case ST_AP_STICKYORUN: return "SWD_AP_STICKYORUN_ERROR";
	case ST_BAD_AP: return "BAD_AP";
	case 0x20: return "SWV_NOT_AVAILABLE";
	case 0x40: return "CONF_CHANGED";
	case ST_FREQ_NOT_SUPPORTED: return "FREQ_NOT_SUPPORTED";
	case ST_UNKNOWN_CMD: return "UNKNOWN_CMD";
	}
	return "unknown status";
}

/* The SF_E_* code of a firmware status. */
static int status_code(unsigned st)
{
	switch (st) {
	case ST_OK:
	case ST_WRITE_VERIF_ERROR: /* OpenOCD treats it as OK */
		return 0;
	case ST_AP_WAIT:
	case ST_DP_WAIT:
	case 0x07:
		return SF_E_WAIT;
	case ST_FAULT:
	case ST_UNKNOWN_ERROR: /* old firmware's memory fault (pyOCD) */
	case ST_AP_FAULT:
	case ST_DP_FAULT:
	case ST_AP_WDATA:
	case ST_AP_STICKY:
	case ST_AP_STICKYORUN:
		return SF_E_FAULT;
	case ST_AP_ERROR:
	case ST_AP_PARITY:
	case ST_DP_ERROR:
	case ST_DP_PARITY:
		return SF_E_PROTOCOL;
	case 0x04:
	case ST_NO_DEVICE:
	case ST_GET_IDCODE_ERROR:
	case ST_DBG_POWER_ERROR:
		return SF_E_NOTARGET;
	case ST_BAD_AP:
	case ST_FREQ_NOT_SUPPORTED:
	case ST_UNKNOWN_CMD:
		return SF_E_UNSUPPORTED;
	}
	return SF_E_IO;
}

static int status_err(struct stlink *s, unsigned st, struct sf_err *err, const char *what)
{
	(void)s;
	return sf_err_set(err, status_code(st), "%s: ST-Link status 0x%02X (%s)", what, st,
			   status_name(st));
}

/* Run a batch and count its commands. */
static int run(struct stlink *s, struct stlink_io *io, size_t n, unsigned ncmds,
	       struct sf_err *err)
{
	int rc;

	if (s->gone)
		return sf_err_set(err, SF_E_DISCONNECTED, "the ST-Link %s was unplugged",
				   s->info.serial);
	s->commands += ncmds;
	rc = s->xp.ops->run(s->xp.ctx, io, n, STLINK_TIMEOUT_MS, err);
	if (rc == SF_E_DISCONNECTED) {
		s->gone = 1;
		sf_err_set(err, SF_E_DISCONNECTED, "the ST-Link %s (%s) was unplugged",
			   s->info.serial, s->info.model);
	}
	return rc;
}

/* One command; reply (if any) of rlen bytes; *got (may be NULL: then a
 * shorter reply is an error) says how many came. */
static int cmd_got(struct stlink *s, const uint8_t c[16], const void *out, size_t olen,
		   void *reply, size_t rlen, size_t *got, struct sf_err *err)
{
	struct stlink_io io[2] = { { c, NULL, 16, 0 } };
	size_t n = 1;
	int rc;

	if (out && olen) {
		io[n].out = out;
		io[n++].len = olen;
	} else if (reply && rlen) {
		io[n].in = reply;
		io[n++].len = rlen;
	}
	rc = run(s, io, n, 1, err);
	if (rc)
		return rc;
	if (got)
		*got = reply && rlen ? io[1].got : 0;
	else if (reply && rlen && io[1].got < rlen)
		return sf_err_set(err, SF_E_IO, "ST-Link command 0x%02X 0x%02X: %zu-byte reply, "
				   "expected %zu", c[0], c[1], io[1].got, rlen);
	return 0;
}

static int cmd(struct stlink *s, const uint8_t c[16], const void *out, size_t olen, void *reply,
	       size_t rlen, struct sf_err *err)
{
	return cmd_got(s, c, out, olen, reply, rlen, NULL, err);
}

/* A debug command whose reply starts with a status byte. */
static int dbg(struct stlink *s, uint8_t *c, uint8_t *reply, size_t rlen, const char *what,
	       struct sf_err *err)
{
	size_t got = 0;
	int rc = cmd_got(s, c, NULL, 0, reply, rlen, &got, err);

	if (rc)
		return sf_err_prefix(err, "%s", what);
	/* a refusal (UNKNOWN_CMD, BAD_AP) may come shorter than the reply */
	if (got >= 1 && status_code(reply[0]))
		return status_err(s, reply[0], err, what);
	if (got < rlen)
		return sf_err_set(err, SF_E_IO, "%s: %zu-byte reply from the ST-Link, expected %zu",
				   what, got, rlen);
	return 0;
}

/* A register-style command, repeated on WAIT with a short backoff. */
static int dbg_retry(struct stlink *s, uint8_t *c, uint8_t *reply, size_t rlen,
		     const char *what, struct sf_err *err)
{
	for (unsigned n = 0;; n++) {
		int rc = dbg(s, c, reply, rlen, what, err);

		if (rc != SF_E_WAIT || n >= 10)
			return rc;
		s->retries++;
		mono_sleep(NULL, STLINK_WAIT_BACKOFF_US << (n < STLINK_WAIT_BACKOFF_MAX ? n :
							       STLINK_WAIT_BACKOFF_MAX));
	}
}

/* ---- version, mode, voltage, clock (STLINK.md 2.2, 2.3) ---- */

static void decode_version(struct stlink *s, const uint8_t r[6])
{
	unsigned ver = (unsigned)r[0] << 8 | r[1]; /* big-endian, the one exception */
	unsigned x = (ver >> 6) & 0x3FU, y = ver & 0x3FU;
	struct stlink_info *in = &s->info;

	in->hw = ver >> 12;
	in->pid = (uint16_t)(r[4] | r[5] << 8);
	if (in->hw == 2 && (in->pid == 0x374B || in->pid == 0x3752 || in->pid == 0x374A)) {
		/* V2-1: an STM8 board reports MSD in x and SWIM in y */
		if ((x <= 22 && y == 7) || (x >= 25 && y >= 7 && y <= 12)) {
			in->msd = x;
			in->swim = y;
		} else {
			in->jtag = x;
			in->msd = y;
		}
	} else {
		in->jtag = x;
		in->swim = y;
	}
}

static void format_firmware(struct stlink_info *in)
{
	char *p = in->firmware;
	size_t room = sizeof(in->firmware);
	int n = snprintf(p, room, "V%u", in->hw);

#define FW_PART(v, ch) \
	if ((v) && n > 0 && (size_t)n < room) \
		n += snprintf(p + n, room - (size_t)n, "%c%u", ch, v)
	FW_PART(in->jtag, 'J');
	FW_PART(in->msd, 'M');
	FW_PART(in->bridge, 'B');
	FW_PART(in->swim, 'S');
#undef FW_PART
}

static void set_features(struct stlink *s)
{
	unsigned j = s->info.jtag;

	if (s->info.hw >= 3) {
		s->feat = F_VOLT | F_RW2 | F_DAP_REG | F_MEM16 | F_AP_INIT | F_FIX_CLOSE |
			  F_COM_FREQ;
		if (j >= 6)
			s->feat |= F_RW8_512;
		return;
	}
	s->feat = 0;
	if (j >= 13)
		s->feat |= F_VOLT;
	if (j >= 15)
		s->feat |= F_RW2;
	if (j >= 22)
		s->feat |= F_SWD_FREQ;
	if (j >= 24)
		s->feat |= F_DAP_REG;
	if (j >= 26)
		s->feat |= F_MEM16;
	if (j >= 28)
		s->feat |= F_AP_INIT;
	if (j >= 29)
		s->feat |= F_FIX_CLOSE;
}

static int get_version(struct stlink *s, struct sf_err *err)
{
	uint8_t c[16] = { STLINK_GET_VERSION }, r[12];
	int rc = cmd(s, c, NULL, 0, r, 6, err);

	if (rc)
		return sf_err_prefix(err, "GET_VERSION");
	decode_version(s, r);
	if (s->info.hw == 3) {
		/* V3 reports 3.0.0 here; the real numbers come from GET_VERSION_EX */
		memset(c, 0, sizeof(c));
		c[0] = STLINK_GET_VERSION_EX;
		rc = cmd(s, c, NULL, 0, r, 12, err);
		if (rc)
			return sf_err_prefix(err, "GET_VERSION_EX");
		s->info.hw = r[0];
		s->info.swim = r[1];
		s->info.jtag = r[2];
		s->info.msd = r[3];
		s->info.bridge = r[4];
		s->info.pid = (uint16_t)(r[10] | r[11] << 8);
	}
	if (s->info.hw < 2)
		return sf_err_set(err, SF_E_UNSUPPORTED, "ST-Link hardware version %u (V1) is not "
				   "supported: it speaks SCSI, not the V2 protocol", s->info.hw);
	format_firmware(&s->info);
	set_features(s);
	return 0;
}

/* Leave DFU, SWIM or a debug session someone left open (OpenOCD
 * stlink_usb_exit_mode): none of these commands has a reply. */
static int leave_mode(struct stlink *s, struct sf_err *err)
{
	uint8_t c[16] = { STLINK_GET_CURRENT_MODE }, r[2];
	int rc = cmd(s, c, NULL, 0, r, 2, err);

	if (rc)
		return sf_err_prefix(err, "GET_CURRENT_MODE");
	memset(c, 0, sizeof(c));
	switch (r[0]) {
	case STLINK_MODE_DFU:
		c[0] = STLINK_DFU;
		c[1] = STLINK_DFU_EXIT;
		break;
	case STLINK_MODE_DEBUG:
		c[0] = STLINK_DEBUG;
		c[1] = DBG_EXIT;
		break;
	case STLINK_MODE_SWIM:
		c[0] = STLINK_SWIM;
		c[1] = STLINK_SWIM_EXIT;
		break;
	default: /* mass storage, boot loader: nothing to leave */
		return 0;
	}
	rc = cmd(s, c, NULL, 0, NULL, 0, err);
	return rc ? sf_err_prefix(err, "leaving mode %u", r[0]) : 0;
}

static void note_warning(struct stlink *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void note_warning(struct stlink *s, const char *fmt, ...)
{
	size_t l = strlen(s->info.warning);
	va_list ap;

	if (l && l + 2 < sizeof(s->info.warning)) {
		memcpy(s->info.warning + l, "; ", 3);
		l += 2;
	}
	if (l + 1 >= sizeof(s->info.warning))
		return;
	va_start(ap, fmt);
	vsnprintf(s->info.warning + l, sizeof(s->info.warning) - l, fmt, ap);
	va_end(ap);
}

/* V = 2 * adc_target * 1.2 V / adc_ref (OpenOCD stlink_usb_check_voltage). */
static int read_voltage(struct stlink *s, struct sf_err *err)
{
	uint8_t c[16] = { STLINK_GET_TARGET_VOLTAGE }, r[8];
	uint32_t ref, tgt;
	int rc;

	s->info.voltage_mv = -1;
	if (!(s->feat & F_VOLT))
		return 0;
	rc = cmd(s, c, NULL, 0, r, 8, err);
	if (rc)
		return sf_err_prefix(err, "GET_TARGET_VOLTAGE");
	ref = get32(r);
	tgt = get32(r + 4);
	s->info.voltage_mv = ref ? (int)((uint64_t)tgt * 2400U / ref) : 0;
	if (s->info.voltage_mv < STLINK_LOW_MV)
		note_warning(s, "the ST-Link measures %d mV on its target-voltage pin: a genuine "
			     "V2 needs the target's VDD on pin 1 or 2 (VAPP) to drive its level "
			     "shifters, while clones have no such input and always report 0 V; "
			     "carrying on", s->info.voltage_mv);
	return 0;
}

/* SWD_SET_FREQ divisors (OpenOCD stlink_khz_to_speed_map_swd). */
static const struct { unsigned khz, div; } v2_speeds[] = {
	{ 4000, 0 }, { 1800, 1 }, { 1200, 2 }, { 950, 3 }, { 480, 7 }, { 240, 15 },
	{ 125, 31 }, { 100, 40 }, { 50, 79 }, { 25, 158 }, { 15, 265 }, { 5, 798 },
};
#define STLINK_DEFAULT_KHZ 4000U /* nRF52 SWD is good to 8 MHz; V2 tops out at 4 */
#define STLINK_V2_FW_DEFAULT_KHZ 1800U

/* The SWD clocks this dongle offers, fastest first: the V2 divider table
 * or the V3's own list (GET_COM_FREQ). */
static int load_speeds(struct stlink *s, struct sf_err *err)
{
	s->nspeeds = 0;
	if (s->feat & F_COM_FREQ) {
		uint8_t c[16] = { STLINK_DEBUG, DBG_GET_COM_FREQ, 0 /* SWD */ }, r[52];
		int rc = dbg(s, c, r, sizeof(r), "GET_COM_FREQ", err);

		if (rc)
			return rc;
		for (unsigned i = 0; i < r[8] && i < STLINK_MAX_SPEEDS; i++) {
			unsigned k = get32(r + 12 + 4 * i), j = s->nspeeds;

			if (!k)
				continue;
			while (j > 0 && s->speeds[j - 1] < k) { /* keep them sorted, fastest first */
				s->speeds[j] = s->speeds[j - 1];
				j--;
			}
			s->speeds[j] = k;
			s->nspeeds++;
		}
	} else if (s->feat & F_SWD_FREQ) {
		for (size_t i = 0; i < sizeof(v2_speeds) / sizeof(v2_speeds[0]); i++)
			s->speeds[s->nspeeds++] = v2_speeds[i].khz;
	}
	return 0;
}

/* Set one of the offered clocks. */
static int apply_khz(struct stlink *s, unsigned khz, struct sf_err *err)
{
	uint8_t c[16] = { STLINK_DEBUG }, r[8];
	int rc;

	if (s->feat & F_COM_FREQ) {
		c[1] = DBG_SET_COM_FREQ;
		put32(c + 4, khz);
		rc = dbg(s, c, r, 8, "SET_COM_FREQ", err);
	} else {
		size_t i = 0;

		while (i + 1 < sizeof(v2_speeds) / sizeof(v2_speeds[0]) && v2_speeds[i].khz != khz)
			i++;
		c[1] = DBG_SWD_SET_FREQ;
		put16(c + 2, v2_speeds[i].div);
		rc = dbg(s, c, r, 2, "SWD_SET_FREQ", err);
	}
	if (!rc)
		s->cur_khz = khz;
	return rc;
}

static int set_speed(struct stlink *s, unsigned want, struct sf_err *err)
{
	unsigned best = 0;
	int rc;

	if (!want)
		want = STLINK_DEFAULT_KHZ;
	rc = load_speeds(s, err);
	if (rc)
		return rc;
	if (!s->nspeeds) {
		s->info.khz = s->cur_khz = STLINK_V2_FW_DEFAULT_KHZ;
		s->info.khz_fixed = 1;
		if (want != STLINK_V2_FW_DEFAULT_KHZ)
			note_warning(s, "firmware %s cannot set the SWD clock (V2J22 adds it): "
				     "running at its default %u kHz", s->info.firmware,
				     STLINK_V2_FW_DEFAULT_KHZ);
		return 0;
	}
	/* the fastest offered at or below the request, else the slowest */
	for (unsigned i = 0; i < s->nspeeds && !best; i++)
		if (s->speeds[i] <= want)
			best = s->speeds[i];
	if (!best)
		best = s->speeds[s->nspeeds - 1];
	rc = apply_khz(s, best, err);
	if (rc)
		return rc;
	s->info.khz = best;
	if (best != want)
		note_warning(s, "SWD clock %u kHz (the nearest the dongle offers to %u kHz)", best,
			     want);
	return 0;
}

static int enter_swd(struct stlink *s, struct sf_err *err)
{
	uint8_t c[16] = { STLINK_DEBUG, DBG_ENTER, DBG_ENTER_SWD }, r[2];

	return dbg_retry(s, c, r, 2, "entering SWD mode", err);
}

/* ---- DP/AP registers ---- */

static int need_dap_reg(struct stlink *s, const char *what, struct sf_err *err)
{
	if (s->feat & F_DAP_REG)
		return 0;
	return sf_err_set(err, SF_E_UNSUPPORTED, "%s: ST-Link firmware %s has no DAP register "
			   "commands (V2J24 adds them, V2J28 access to every AP)", what,
			   s->info.firmware);
}

static int reg_read(struct stlink *s, unsigned port, unsigned reg, uint32_t *val,
		    const char *what, struct sf_err *err)
{
	uint8_t c[16] = { STLINK_DEBUG, DBG_READ_DAP_REG }, r[8];
	int rc;

	put16(c + 2, port);
	put16(c + 4, reg);
	rc = dbg_retry(s, c, r, 8, what, err);
	if (!rc)
		*val = get32(r + 4);
	return rc;
}

static int reg_write(struct stlink *s, unsigned port, unsigned reg, uint32_t val,
		     const char *what, struct sf_err *err)
{
	uint8_t c[16] = { STLINK_DEBUG, DBG_WRITE_DAP_REG }, r[2];

	put16(c + 2, port);
	put16(c + 4, reg);
	put32(c + 6, val);
	return dbg_retry(s, c, r, 2, what, err);
}

/* Some firmware refuses APs of chips that are not ST's (BAD_AP: V2J37 on
 * an nRF52, pyOCD#918, probe-rs PR 3451). Say what to do, and stop
 * claiming access to every AP. */
static int refused_ap(struct stlink *s, unsigned ap, struct sf_err *err)
{
	s->ap_refused |= 1U << (ap & 31);
	if (ap != 0 && s->dap) {
		s->dap->caps &= ~(unsigned)DAP_CAP_ANY_AP;
		snprintf(s->note, sizeof(s->note), " (ST-Link firmware %s refuses AP %u with BAD_AP; "
			 "firmware V2J34 and earlier reach it, or use a GPIO probe)",
			 s->info.firmware, ap);
		s->dap->note = s->note;
	}
	return sf_err_set(err, SF_E_UNSUPPORTED, "ST-Link firmware %s refuses AP %u (status 0x1D "
			   "BAD_AP: this firmware serves only ST's own access ports); recover "
			   "and the CTRL-AP need another firmware (V2J34 and earlier work, "
			   "pyOCD#918) or a GPIO probe", s->info.firmware, ap);
}

/* J28+: an AP must be opened before its registers (other than IDR) or
 * memory are used (OpenOCD STLINK_F_HAS_AP_INIT). */
static int open_ap(struct stlink *s, unsigned ap, struct sf_err *err)
{
	uint8_t c[16] = { STLINK_DEBUG, DBG_INIT_AP }, r[2];
	int rc;

	if (ap > 255)
		return sf_err_set(err, SF_E_ARG, "AP %u does not exist (APSEL is 8 bits)", ap);
	if (!(s->feat & F_AP_INIT) || (ap < 32 && (s->ap_open & (1U << ap))))
		return 0;
	c[2] = (uint8_t)ap;
	rc = cmd(s, c, NULL, 0, r, 2, err);
	if (rc)
		return sf_err_prefix(err, "INIT_AP %u", ap);
	if (r[0] == ST_BAD_AP)
		return refused_ap(s, ap, err);
	if (r[0] == ST_NO_DEVICE)
		return sf_err_set(err, SF_E_FAULT, "INIT_AP %u: ST-Link status 0x05 (no device) "
				   "while the DP answers: the AP is disabled (on an nRF52, AP 0 is "
				   "closed by APPROTECT: a locked chip)", ap);
	if (status_code(r[0]))
		return status_err(s, r[0], err, "INIT_AP");
	if (ap < 32)
		s->ap_open |= 1U << ap;
	return 0;
}

static int need_ap(struct stlink *s, unsigned ap, unsigned reg, struct sf_err *err)
{
	int rc = need_dap_reg(s, "AP register access", err);

	if (rc)
		return rc;
	if (ap != 0 && !(s->feat & F_AP_INIT))
		return sf_err_set(err, SF_E_UNSUPPORTED, "AP %u: ST-Link firmware %s reaches AP 0 "
				   "only (V2J28 adds the others)", ap, s->info.firmware);
	/* IDR is readable before INIT_AP (OpenOCD dapdirect reads it first) */
	return reg == DAP_AP_IDR ? 0 : open_ap(s, ap, err);
}

static int st_dp_read(void *ctx, unsigned reg, uint32_t *val, struct sf_err *err)
{
	struct stlink *s = ctx;
	int rc = need_dap_reg(s, "DP register access", err);

	return rc ? rc : reg_read(s, STLINK_DP_PORT, reg, val, "reading a DP register", err);
}

static int st_dp_write(void *ctx, unsigned reg, uint32_t val, struct sf_err *err)
{
	struct stlink *s = ctx;
	int rc = need_dap_reg(s, "DP register access", err);

	return rc ? rc : reg_write(s, STLINK_DP_PORT, reg, val, "writing a DP register", err);
}

static int ap_status(struct stlink *s, unsigned ap, int rc, struct sf_err *err)
{
	if (rc == SF_E_UNSUPPORTED && strstr(err->msg, "BAD_AP"))
		return refused_ap(s, ap, err);
	return rc;
}

static int st_ap_read(void *ctx, unsigned ap, unsigned reg, uint32_t *val, struct sf_err *err)
{
	struct stlink *s = ctx;
	int rc = need_ap(s, ap, reg, err);

	if (!rc)
		rc = ap_status(s, ap, reg_read(s, ap, reg, val, "reading an AP register", err), err);
	return rc ? sf_err_prefix(err, "AP%u register 0x%02X", ap, reg) : 0;
}

static int st_ap_write(void *ctx, unsigned ap, unsigned reg, uint32_t val, struct sf_err *err)
{
	struct stlink *s = ctx;
	int rc = need_ap(s, ap, reg, err);

	if (!rc)
		rc = ap_status(s, ap, reg_write(s, ap, reg, val, "writing an AP register", err),
			       err);
	return rc ? sf_err_prefix(err, "AP%u register 0x%02X", ap, reg) : 0;
}

/* Enter SWD again (the dongle does the line reset and reads DPIDR), clear
 * sticky flags and power the debug domain up where the firmware lets us. */
static int st_connect(void *ctx, uint32_t *dpidr, struct sf_err *err)
{
	struct stlink *s = ctx;
	uint8_t c[16] = { STLINK_DEBUG, DBG_READ_IDCODES }, r[12];
	const uint32_t want = DAP_CTRL_CDBGPWRUPACK | DAP_CTRL_CSYSPWRUPACK;
	uint32_t cs = 0;
	int rc;

	s->ap_open = 0;
	rc = enter_swd(s, err);
	if (!rc)
		rc = dbg_retry(s, c, r, 12, "reading DPIDR", err);
	if (rc == SF_E_NOTARGET)
		return sf_err_prefix(err, "no target answers on SWD (check SWDIO, SWCLK, GND and "
				      "the target's power; the ST-Link measures %d mV)",
				      s->info.voltage_mv);
	if (rc)
		return sf_err_prefix(err, "connect");
	if (dpidr)
		*dpidr = get32(r + 4);
	if (!(s->feat & F_DAP_REG))
		return 0; /* the firmware powered the DP up when it entered SWD */
	rc = reg_write(s, STLINK_DP_PORT, DAP_DP_ABORT, DAP_ABORT_CLEAR_ALL, "clearing sticky "
		       "flags", err);
	if (!rc)
		rc = reg_write(s, STLINK_DP_PORT, DAP_DP_CTRLSTAT,
			       DAP_CTRL_CDBGPWRUPREQ | DAP_CTRL_CSYSPWRUPREQ, "power-up request", err);
	if (rc)
		return rc;
	uint64_t deadline = mono_us(NULL) + STLINK_POWERUP_TIMEOUT_US;
	for (;;) {
		rc = reg_read(s, STLINK_DP_PORT, DAP_DP_CTRLSTAT, &cs, "power-up", err);
		if (rc)
			return rc;
		if ((cs & want) == want)
			return 0;
		if (mono_us(NULL) > deadline)
			return sf_err_set(err, SF_E_TIMEOUT,
					   "debug power-up not acknowledged (CTRL/STAT 0x%08X)", cs);
		mono_sleep(NULL, 100);
	}
}

/* ---- memory ---- */

static int check_args(uint32_t addr, size_t len, unsigned size, struct sf_err *err)
{
	if ((size != 1 && size != 2 && size != 4) || (addr % size) || (len % size))
		return sf_err_set(err, SF_E_ARG,
				   "unaligned memory access: %zu bytes at 0x%08X in %u-byte units",
				   len, addr, size);
	if (len && (uint64_t)addr + len - 1 > 0xFFFFFFFFULL)
		return sf_err_set(err, SF_E_ARG, "memory access wraps past 4 GiB");
	return 0;
}

static uint32_t max_run(const struct stlink *s, unsigned size)
{
	if (size == 4)
		return STLINK_MAX_RW32;
	return (s->feat & F_RW8_512) ? 512U : 64U;
}

/* The bytes of the next run from addr: the firmware's limit, the 1 KiB
 * TAR block, what is left. */
static uint32_t run_len(const struct stlink *s, uint32_t addr, size_t left, unsigned size)
{
	uint32_t n = STLINK_TAR_BLOCK - (addr & (STLINK_TAR_BLOCK - 1)), lim = max_run(s, size);

	if (n > lim)
		n = lim;
	if (n > left)
		n = (uint32_t)left;
	return n;
}

static void mem_cmd(uint8_t c[16], int write, unsigned size, uint32_t addr, uint32_t len)
{
	memset(c, 0, 16);
	c[0] = STLINK_DEBUG;
	c[1] = size == 4 ? (write ? DBG_WRITEMEM_32 : DBG_READMEM_32)
	     : size == 2 ? (write ? DBG_WRITEMEM_16 : DBG_READMEM_16)
			 : (write ? DBG_WRITEMEM_8 : DBG_READMEM_8);
	put32(c + 2, addr);
	put16(c + 6, len);
	/* [8] APSEL 0, [9..11] CSW 0: the firmware's own MEM-AP setup */
}

static void status_cmd(const struct stlink *s, uint8_t c[16], size_t *rlen)
{
	memset(c, 0, 16);
	c[0] = STLINK_DEBUG;
	c[1] = (s->feat & F_RW2) ? DBG_GETLASTRWSTATUS2 : DBG_GETLASTRWSTATUS;
	*rlen = (s->feat & F_RW2) ? 12 : 2;
}

/* After a fault the firmware leaves the sticky flags to the host
 * (STLINK.md 3.1, pyOCD clears them): clear them so the next access works. */
static void clear_sticky(struct stlink *s)
{
	struct sf_err tmp;

	if (s->feat & F_DAP_REG)
		reg_write(s, STLINK_DP_PORT, DAP_DP_ABORT, DAP_ABORT_CLEAR_ALL, "ABORT", &tmp);
}

/* What a memory status means; *fault is the fault address (or ~0). */
static int mem_status(struct stlink *s, const uint8_t *r, uint32_t *fault)
{
	unsigned st = (s->feat & F_RW2) ? (unsigned)(r[0] | r[1] << 8) : r[0];

	*fault = (s->feat & F_RW2) ? get32(r + 4) : ~0U;
	return (int)st;
}

static int mem_fail(struct stlink *s, int write, unsigned st, uint32_t addr, size_t len,
		    uint32_t fault, struct sf_err *err)
{
	int code = status_code(st);

	if (st == ST_NO_DEVICE)
		code = SF_E_FAULT; /* the DP answered: the AP is closed (APPROTECT) */
	if (code == SF_E_FAULT || code == SF_E_PROTOCOL)
		clear_sticky(s);
	if (fault != ~0U && fault >= addr && fault - addr < len)
		return sf_err_set(err, code, "%s 0x%08X..0x%08X (at or before 0x%08X): ST-Link "
				   "status 0x%02X (%s) at 0x%08X%s", write ? "writing" : "reading",
				   addr, (uint32_t)(addr + len - 1), fault, st, status_name(st), fault,
				   st == ST_NO_DEVICE ? "; on an nRF52 that is APPROTECT" : "");
	return sf_err_set(err, code, "%s 0x%08X..0x%08X (at or before 0x%08X): ST-Link status "
			   "0x%02X (%s)%s", write ? "writing" : "reading", addr,
			   (uint32_t)(addr + len - 1), addr, st, status_name(st),
			   st == ST_NO_DEVICE ? "; on an nRF52 that is APPROTECT" : "");
}

/* WAIT backoff: the dongle gave up after its own retries; wait a little
 * (the nRF52 NVMC needs 41-68 us a word) and go on where it stopped. */
struct waiter {
	uint64_t since;
	unsigned n;
};

static int wait_more(struct stlink *s, struct waiter *w, int progress)
{
	uint64_t now = mono_us(NULL);

	if (progress || !w->since) {
		w->since = now;
		w->n = 0;
	}
	if (now - w->since > STLINK_WAIT_LIMIT_US)
		return 0;
	s->retries++;
	mono_sleep(NULL, STLINK_WAIT_BACKOFF_US << (w->n < STLINK_WAIT_BACKOFF_MAX ? w->n :
						    STLINK_WAIT_BACKOFF_MAX));
	w->n++;
	return 1;
}

static int mem_read_runs(struct stlink *s, uint32_t addr, uint8_t *buf, size_t len,
			 unsigned size, struct sf_err *err)
{
	struct waiter w = { 0, 0 };

	while (len) {
		uint8_t c[STLINK_READ_PIPELINE][2][16];
		uint8_t r[STLINK_READ_PIPELINE][12], one[2];
		struct stlink_io io[STLINK_READ_PIPELINE * 4];
		uint32_t at[STLINK_READ_PIPELINE], n[STLINK_READ_PIPELINE];
		size_t k = 0, nio = 0, rlen, left = len;
		uint32_t a = addr;

		for (; k < STLINK_READ_PIPELINE && left; k++) {
			n[k] = run_len(s, a, left, size);
			at[k] = a;
			mem_cmd(c[k][0], 0, size, a, n[k]);
			status_cmd(s, c[k][1], &rlen);
			io[nio++] = (struct stlink_io){ c[k][0], NULL, 16, 0 };
			/* an 8-bit read of one byte answers two (OpenOCD) */
			if (size == 1 && n[k] == 1)
				io[nio++] = (struct stlink_io){ NULL, one, 2, 0 };
			else
				io[nio++] = (struct stlink_io){ NULL, buf + (a - addr), n[k], 0 };
			io[nio++] = (struct stlink_io){ c[k][1], NULL, 16, 0 };
			io[nio++] = (struct stlink_io){ NULL, r[k], rlen, 0 };
			a += n[k];
			left -= n[k];
		}
		int rc = run(s, io, nio, (unsigned)(2 * k), err);
		if (rc)
			return sf_err_prefix(err, "reading 0x%08X..0x%08X", addr,
					      (uint32_t)(addr + len - 1));
		for (size_t i = 0; i < k; i++) {
			uint32_t fault;
			unsigned st;

			if (io[4 * i + 3].got < rlen || io[4 * i + 1].got < io[4 * i + 1].len)
				return sf_err_set(err, SF_E_IO, "reading 0x%08X: short reply from the "
						   "ST-Link (%zu of %zu bytes)", at[i],
						   io[4 * i + 1].got, io[4 * i + 1].len);
			st = (unsigned)mem_status(s, r[i], &fault);
			if (status_code(st) == SF_E_WAIT) {
				if (!wait_more(s, &w, i > 0))
					return mem_fail(s, 0, st, at[i], n[i], fault, err);
				break;
			}
			if (status_code(st))
				return mem_fail(s, 0, st, at[i], n[i], fault, err);
			if (size == 1 && n[i] == 1)
				memcpy(buf + (at[i] - addr), one, 1);
			uint32_t step = at[i] + n[i] - addr;
			buf += step;
			len -= step;
			addr += step;
			w.since = 0;
		}
	}
	return 0;
}

/* After a WAIT stop: does the word at addr already hold what we wrote?
 * Firmware differs on whether the fault address names the last word the
 * AP took or the first it refused [U]; the word itself tells, once the
 * memory is ready again (a read stalls, and is retried, while it is busy).
 * Only 32-bit runs are settled this way; *held = 0 when unsure. */
static int word_held(struct stlink *s, uint32_t addr, const uint8_t *want, unsigned size,
		     int *held, struct sf_err *err)
{
	uint8_t c[16] = { STLINK_DEBUG, 0x36 }, r[8];
	struct waiter w = { 0, 0 };

	*held = 0;
	if (size != 4)
		return 0;
	put32(c + 2, addr);
	for (;;) {
		int rc = cmd(s, c, NULL, 0, r, 8, err);

		if (rc)
			return rc;
		if (r[0] == ST_OK) {
			*held = !memcmp(r + 4, want, 4);
			return 0;
		}
		if (status_code(r[0]) != SF_E_WAIT || !wait_more(s, &w, 0))
			return mem_fail(s, 0, r[0], addr, 4, ~0U, err);
	}
}

/* The next slower clock the dongle offers, or 0. */
static unsigned slower(const struct stlink *s)
{
	for (unsigned i = 0; i < s->nspeeds; i++)
		if (s->speeds[i] < s->cur_khz)
			return s->speeds[i] >= STLINK_PACE_MIN_KHZ ? s->speeds[i] : 0;
	return 0;
}

/* Writes go one run at a time, each with its status in the same batch: a
 * WAIT that outlasts the dongle's own retries stops the run at the fault
 * address, and the next run starts at the first word not yet written, so
 * no word is written twice. */
static int write_runs(struct stlink *s, uint32_t addr, const uint8_t *buf, size_t len,
		      unsigned size, struct sf_err *err)
{
	struct waiter w = { 0, 0 };
	unsigned stops = 0;
	const uint32_t start = addr;

	while (len) {
		uint8_t c[2][16], r[12];
		uint32_t n = run_len(s, addr, len, size), fault;
		size_t rlen;
		unsigned st;
		int rc;

		mem_cmd(c[0], 1, size, addr, n);
		status_cmd(s, c[1], &rlen);
		struct stlink_io io[4] = {
			{ c[0], NULL, 16, 0 }, { buf, NULL, n, 0 },
			{ c[1], NULL, 16, 0 }, { NULL, r, rlen, 0 },
		};
		rc = run(s, io, 4, 2, err);
		if (rc)
			return sf_err_prefix(err, "writing 0x%08X..0x%08X (at or before 0x%08X)",
					      start, (uint32_t)(addr + len - 1), addr);
		if (io[3].got < rlen)
			return sf_err_set(err, SF_E_IO, "writing 0x%08X: short status reply (%zu "
					   "bytes)", addr, io[3].got);
		st = (unsigned)mem_status(s, r, &fault);
		if (status_code(st) == SF_E_WAIT && (s->feat & F_RW2)) {
			/* a fault address outside the run: the WAIT came before any
			 * data word (on the CSW or TAR write) */
			int inside = fault >= addr && fault - addr < n && !((fault - addr) % size);
			uint32_t done = inside ? fault - addr : 0;
			int held = 0;

			s->wait_stops++;
			if (inside) {
				rc = word_held(s, fault, buf + done, size, &held, err);
				if (rc)
					return sf_err_prefix(err, "after a WAIT writing 0x%08X", fault);
			}
			if (held)
				done += size;
			if (!wait_more(s, &w, done > 0))
				return mem_fail(s, 1, st, addr, n, fault, err);
			addr += done;
			buf += done;
			len -= done;
			/* stopping again and again: let the dongle's own retries cover it */
			if (++stops >= STLINK_PACE_STOPS && len) {
				unsigned k = s->pace_khz && s->pace_khz < s->cur_khz ? s->pace_khz
										  : slower(s);
				if (k && !apply_khz(s, k, err)) {
					s->pace_khz = k;
					s->slow[addr >> 29] |= 1U << ((addr >> 24) & 31);
					stops = 0;
				}
			}
			continue;
		}
		if (status_code(st))
			return mem_fail(s, 1, st, addr, n, fault, err);
		addr += n;
		buf += n;
		len -= n;
		w.since = 0;
	}
	return 0;
}

static int mem_write_runs(struct stlink *s, uint32_t addr, const uint8_t *buf, size_t len,
			  unsigned size, struct sf_err *err)
{
	unsigned khz = s->cur_khz;
	int rc = 0;

	/* memory that stalled a write before (flash) starts at the pace clock */
	if (s->pace_khz && s->pace_khz < khz && len > 4 * size &&
	    (s->slow[addr >> 29] & (1U << ((addr >> 24) & 31))))
		rc = apply_khz(s, s->pace_khz, err);
	if (!rc)
		rc = write_runs(s, addr, buf, len, size, err);

	if (s->cur_khz != khz && !s->gone) {
		struct sf_err tmp;
		int r2 = apply_khz(s, khz, rc ? &tmp : err);

		if (!rc)
			rc = r2;
	}
	return rc;
}

static int mem_prepare(struct stlink *s, unsigned size, struct sf_err *err)
{
	if (size == 2 && !(s->feat & F_MEM16))
		return sf_err_set(err, SF_E_UNSUPPORTED, "16-bit memory access: ST-Link firmware "
				   "%s lacks it (V2J26 adds it)", s->info.firmware);
	return open_ap(s, 0, err);
}

/* A single word read: READDEBUGREG carries its own status (one command
 * instead of two). */
static int read_word(struct stlink *s, uint32_t addr, void *buf, struct sf_err *err)
{
	uint8_t c[16] = { STLINK_DEBUG, 0x36 }, r[8];
	int rc;

	put32(c + 2, addr);
	rc = cmd(s, c, NULL, 0, r, 8, err);
	if (rc)
		return sf_err_prefix(err, "reading 0x%08X", addr);
	if (r[0] == ST_AP_WAIT || r[0] == ST_DP_WAIT)
		return 1; /* the caller takes the block path, which retries */
	if (status_code(r[0]))
		return mem_fail(s, 0, r[0], addr, 4, ~0U, err);
	memcpy(buf, r + 4, 4);
	return 0;
}

static int st_mem_read(void *ctx, uint32_t addr, void *buf, size_t len, unsigned size,
		       struct sf_err *err)
{
	struct stlink *s = ctx;
	int rc = check_args(addr, len, size, err);

	if (rc || !len)
		return rc;
	rc = mem_prepare(s, size, err);
	if (rc)
		return sf_err_prefix(err, "reading 0x%08X..0x%08X", addr, (uint32_t)(addr + len - 1));
	if (size == 4 && len == 4 && (rc = read_word(s, addr, buf, err)) <= 0)
		return rc;
	return mem_read_runs(s, addr, buf, len, size, err);
}

static int st_mem_write(void *ctx, uint32_t addr, const void *buf, size_t len, unsigned size,
			struct sf_err *err)
{
	struct stlink *s = ctx;
	int rc = check_args(addr, len, size, err);

	if (rc || !len)
		return rc;
	rc = mem_prepare(s, size, err);
	if (rc)
		return sf_err_prefix(err, "writing 0x%08X..0x%08X", addr, (uint32_t)(addr + len - 1));
	return mem_write_runs(s, addr, buf, len, size, err);
}

/* ---- the rest of the seam ---- */

static int st_reset_pin(void *ctx, int level, struct sf_err *err)
{
	struct stlink *s = ctx;
	uint8_t c[16] = { STLINK_DEBUG, DBG_DRIVE_NRST, level ? 1 : 0 }, r[2];

	return dbg(s, c, r, 2, level ? "releasing nRESET" : "asserting nRESET", err);
}

static void st_get_stats(void *ctx, struct dap_stats *st)
{
	struct stlink *s = ctx;

	memset(st, 0, sizeof(*st));
	/* the dongle does the wire: we know our USB commands, not its WAITs */
	st->valid = DAP_STAT_TRANSPORT;
	st->commands = s->commands;
	st->retries = s->retries;
}

static void st_target_reset(void *ctx)
{
	((struct stlink *)ctx)->ap_open = 0;
}

static void st_free(void *ctx)
{
	struct stlink *s = ctx;
	struct sf_err tmp;

	if (!s->gone && s->xp.ops) {
		uint8_t c[16] = { STLINK_DEBUG, DBG_EXIT };

		/* release the APs we opened (J28+), leave debug mode */
		for (unsigned ap = 0; ap < 32 && (s->feat & F_AP_INIT); ap++) {
			uint8_t ca[16] = { STLINK_DEBUG, DBG_CLOSE_AP, (uint8_t)ap }, r[2];

			if (s->ap_open & (1U << ap))
				cmd(s, ca, NULL, 0, r, 2, &tmp); /* pre-J29 status is bogus */
		}
		cmd(s, c, NULL, 0, NULL, 0, &tmp);
	}
	if (s->xp.ops && s->xp.ops->free)
		s->xp.ops->free(s->xp.ctx);
	free(s);
}

static const struct dap_ops stlink_dap_ops = {
	.connect = st_connect,
	.dp_read = st_dp_read,
	.dp_write = st_dp_write,
	.ap_read = st_ap_read,
	.ap_write = st_ap_write,
	.mem_read = st_mem_read,
	.mem_write = st_mem_write,
	.reset_pin = st_reset_pin,
	.flush = NULL,
	.get_stats = st_get_stats,
	.target_reset = st_target_reset,
	.free = st_free,
};

static void set_caps(struct stlink *s, struct dap *dap)
{
	dap->caps = DAP_CAP_MEM8 | DAP_CAP_RESET_PIN;
	if (s->feat & F_MEM16)
		dap->caps |= DAP_CAP_MEM16;
	/* AP 1 and up need INIT_AP (V2J28) on top of the DAP commands (V2J24) */
	if ((s->feat & F_DAP_REG) && (s->feat & F_AP_INIT))
		dap->caps |= DAP_CAP_ANY_AP;
	else
		snprintf(s->note, sizeof(s->note), " (ST-Link firmware %s gives memory access "
			 "only: flashing works, but the CTRL-AP needs V2J28 or later; update it "
			 "with ST's STSW-LINK007, or use a GPIO probe)", s->info.firmware);
	/* The fault address of GETLASTRWSTATUS2 says where a WAIT stopped a
	 * block, so a block write resumes at the first word not taken. */
	if (s->feat & F_RW2)
		dap->caps |= DAP_CAP_WAIT_PACED;
	dap->note = s->note[0] ? s->note : NULL;
}

int stlink_open(struct stlink_xport *xp, const struct stlink_model *model, const char *serial,
		int serial_raw, unsigned speed_khz, struct dap *dap, struct stlink_info *info,
		struct sf_err *err)
{
	struct stlink *s = calloc(1, sizeof(*s));
	int rc;

	if (!s) {
		if (xp->ops->free)
			xp->ops->free(xp->ctx);
		return sf_err_set(err, SF_E_NOMEM, "out of memory");
	}
	s->xp = *xp;
	snprintf(s->info.serial, sizeof(s->info.serial), "%s", serial ? serial : "");
	s->info.serial_raw = serial_raw;
	s->info.voltage_mv = -1;
	s->info.model = model ? model->name : "ST-Link";
	rc = get_version(s, err);
	if (!rc && !model) {
		const struct stlink_model *m = stlink_model_of(s->info.pid);
		s->info.model = m ? m->name : "ST-Link";
	}
	if (!rc)
		rc = leave_mode(s, err);
	if (!rc)
		rc = read_voltage(s, err);
	if (!rc)
		rc = set_speed(s, speed_khz, err);
	if (!rc)
		rc = enter_swd(s, err);
	if (!rc && serial_raw)
		note_warning(s, "the dongle reports its serial as 12 raw bytes (old firmware; "
			     "OpenOCD's docs recommend V2J21S4 or later)");
	if (rc) {
		sf_err_prefix(err, "%s %s", s->info.model, s->info.serial);
		st_free(s);
		return rc;
	}
	s->dap = dap;
	dap->ops = &stlink_dap_ops;
	dap->ctx = s;
	/* about 160 us per command on a full-speed V2 (OpenOCD 0.9 + V2J23
	 * writing word by word, ../shared/STLINK.md 3.3); a V3's high-speed
	 * round trip is shorter but not zero [U] */
	dap->call_us = 160;
	set_caps(s, dap);
	*info = s->info;
	return 0;
}

int stlink_query(struct stlink_xport *xp, struct stlink_info *info, struct sf_err *err)
{
	struct stlink s;
	int rc;

	memset(&s, 0, sizeof(s));
	s.xp = *xp;
	s.info.voltage_mv = -1;
	rc = get_version(&s, err);
	*info = s.info;
	if (xp->ops->free)
		xp->ops->free(xp->ctx);
	return rc;
}
