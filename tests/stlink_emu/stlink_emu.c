// SPDX-License-Identifier: GPL-2.0-or-later
/* stlink_emu: the ST-Link firmware model (see stlink_emu.h).
 *
 * Its SWD engine is its own, written from ADIv5 (ARM IHI 0031) and the
 * sim's framing (sim/sim.h), not shared with swd/link.c: the dongle's MCU
 * is a separate implementation, and our driver is tested against it. What
 * it does the way the firmware does (STLINK.md §3.1, §8):
 *   - a WAIT ACK is retried 4 times, the fifth WAIT in a row is reported
 *     (SWD_AP_WAIT 0x10 / SWD_DP_WAIT 0x14);
 *   - a FAULT is reported (SWD_AP_FAULT 0x11 / SWD_DP_FAULT 0x15) and the
 *     sticky flag is left set in CTRL/STAT for a DAP-level host to see and
 *     clear; the memory commands (the HLA API, whose hosts cannot reach
 *     ABORT) clear it themselves before their next access;
 *   - memory commands re-arm TAR at every 1 KiB boundary, keep the status
 *     and fault address for GETLASTRWSTATUS2, answer an 8-bit read of 1
 *     byte with 2;
 *   - an AP whose IDR reads 0 (the locked nRF52's AHB-AP) makes INIT_AP
 *     and memory commands answer JTAG_NO_DEVICE_CONNECTED (0x05), as seen
 *     through real ST-Links (heystack-nrf5x#9, probe-rs PR #65); the exact
 *     trigger inside the firmware is not known [U].
 * The mode after EXIT (MASS) and the reply of an unknown command (a
 * 2-byte UNKNOWN_CMD status) are assumptions [U]. */
#include "stlink_emu.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../sim/sim.h"

#define VID 0x0483u

/* GET_CURRENT_MODE values (STLINK.md §2.2). */
#define MODE_DFU 0
#define MODE_MASS 1
#define MODE_DEBUG 2
#define MODE_SWIM 3

#define DATA_MAX 8192u /* the largest data phase: 6144 B (V2) / RW_MISC on V3 */

/* ADIv5 DP registers (A[3:2]) and CTRL/STAT bits. */
#define DP_ABORT 0u
#define DP_IDR 0u
#define DP_CS 1u
#define DP_SELECT 2u
#define DP_RDBUFF 3u
#define CS_STICKYERR (1u << 5)
#define CS_STICKYORUN (1u << 1)
#define CS_WDATAERR (1u << 7)
#define ABORT_CLR_ALL 0x1Eu

#define ACK_OK 1u
#define ACK_WAIT 2u
#define ACK_FAULT 4u

#define ARM_DESIGNER 0x23Bu /* IDR[27:17], JEP106 ARM (ADIv5.2 C1.3) */

#define DHCSR 0xE000EDF0u
#define DCRSR 0xE000EDF4u
#define DCRDR 0xE000EDF8u
#define AIRCR 0xE000ED0Cu

struct stlink_emu {
	struct stlink_emu_config cfg;
	struct sim_chip *chip;
	int own_chip;
	int mode;
	int unplugged;
	uint8_t halted[2]; /* endpoints halted by a stall */
	uint32_t khz;
	int nreset;

	uint8_t cmd[16];
	size_t data_want, data_have;
	uint8_t data[DATA_MAX];

	uint8_t reply[DATA_MAX];
	size_t reply_len, reply_off;

	/* RW_MISC results for 0x52 */
	uint8_t misc[DATA_MAX];
	size_t misc_len;

	uint16_t lrw_status;
	uint32_t lrw_addr;
	int mem_sticky;   /* a memory command left STICKYERR set */

	int select_valid;
	uint32_t select;
	uint32_t ap_idr[256];
	uint8_t ap_idr_valid[256];
	uint32_t csw[256];       /* the CSW last written per AP (firmware cache) */
	uint8_t csw_valid[256];

	struct stlink_emu_counters cnt;
};

/* ---- configuration ---- */

static void seterr(char *err, size_t errlen, const char *fmt, const char *a)
{
	if (err && errlen)
		snprintf(err, errlen, fmt, a);
}

static int hexnibble(int ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

static int parse_u(const char *v, unsigned long long *out)
{
	char *end;

	if (!*v)
		return -1;
	errno = 0;
	*out = strtoull(v, &end, 0);
	return errno || *end ? -1 : 0;
}

int stlink_emu_config_parse(struct stlink_emu_config *cfg, const char *spec, char *err,
			    size_t errlen)
{
	char buf[512], *save = NULL;
	int fw_set = 0, apc = -1;

	memset(cfg, 0, sizeof(*cfg));
	cfg->model = STLINK_EMU_V2;
	cfg->fw_s = 7;
	cfg->fw_m = 0;
	/* The serial a V2 from the field shows (STLINK.md §5.4). */
	snprintf(cfg->serial, sizeof(cfg->serial), "066DFF485550755187121030");
	cfg->rst_wired = 1;
	cfg->vtarget_mv = 3300;
	cfg->cmd_ns = STLINK_EMU_CMD_NS;
	cfg->start_mode = MODE_DFU;
	if (!spec)
		spec = "";
	if (strlen(spec) >= sizeof(buf)) {
		seterr(err, errlen, "stlink_emu: spec too long%s", "");
		return -1;
	}
	snprintf(buf, sizeof(buf), "%s", spec);
	for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		char *v = strchr(t, '=');
		unsigned long long n;

		if (!v) {
			seterr(err, errlen, "stlink_emu: '%s' is not key=value", t);
			return -1;
		}
		*v++ = '\0';
		if (!strcmp(t, "model")) {
			if (!strcmp(v, "v2"))
				cfg->model = STLINK_EMU_V2;
			else if (!strcmp(v, "v2-1") || !strcmp(v, "v21"))
				cfg->model = STLINK_EMU_V2_1;
			else if (!strcmp(v, "v3"))
				cfg->model = STLINK_EMU_V3;
			else {
				seterr(err, errlen, "stlink_emu: model '%s' (want v2, v2-1, v3)", v);
				return -1;
			}
		} else if (!strcmp(t, "fw")) {
			const char *p = v;

			if (*p == 'J' || *p == 'j')
				p++;
			if (parse_u(p, &n) || n > 63) {
				seterr(err, errlen, "stlink_emu: fw '%s' (want J0..J63)", v);
				return -1;
			}
			cfg->fw_j = (unsigned)n;
			fw_set = 1;
		} else if (!strcmp(t, "swim") || !strcmp(t, "msd") || !strcmp(t, "pid") ||
			   !strcmp(t, "vtarget_mv") || !strcmp(t, "unplug_after") ||
			   !strcmp(t, "stall") || !strcmp(t, "rst") || !strcmp(t, "cmd_us")) {
			if (parse_u(v, &n)) {
				seterr(err, errlen, "stlink_emu: '%s' is not a number", v);
				return -1;
			}
			if (!strcmp(t, "swim"))
				cfg->fw_s = (unsigned)n & 63;
			else if (!strcmp(t, "msd"))
				cfg->fw_m = (unsigned)n & 63;
			else if (!strcmp(t, "pid"))
				cfg->pid = (uint16_t)n;
			else if (!strcmp(t, "vtarget_mv"))
				cfg->vtarget_mv = (unsigned)n;
			else if (!strcmp(t, "unplug_after"))
				cfg->unplug_after = n;
			else if (!strcmp(t, "stall"))
				cfg->stall_ep = (uint8_t)n;
			else if (!strcmp(t, "cmd_us")) {
				if (n < 1 || n > 100000) {
					seterr(err, errlen, "stlink_emu: cmd_us '%s' (want 1..100000)", v);
					return -1;
				}
				cfg->cmd_ns = (uint32_t)n * 1000U;
			}
			else
				cfg->rst_wired = n != 0;
		} else if (!strcmp(t, "serial")) {
			if (strlen(v) != 24) {
				seterr(err, errlen, "stlink_emu: serial '%s' (want 24 hex digits)", v);
				return -1;
			}
			for (int i = 0; i < 24; i++)
				if (hexnibble(v[i]) < 0) {
					seterr(err, errlen, "stlink_emu: serial '%s' (want 24 hex digits)", v);
					return -1;
				}
			snprintf(cfg->serial, sizeof(cfg->serial), "%s", v);
			for (int i = 0; i < 24; i++)
				if (cfg->serial[i] >= 'a')
					cfg->serial[i] = (char)(cfg->serial[i] - 'a' + 'A');
		} else if (!strcmp(t, "serial_form")) {
			if (!strcmp(v, "hex"))
				cfg->serial_raw = 0;
			else if (!strcmp(v, "raw"))
				cfg->serial_raw = 1;
			else {
				seterr(err, errlen, "stlink_emu: serial_form '%s' (want hex, raw)", v);
				return -1;
			}
		} else if (!strcmp(t, "ap_check")) {
			if (!strcmp(v, "auto"))
				apc = -1;
			else if (!strcmp(v, "none"))
				apc = 0;
			else if (!strcmp(v, "st"))
				apc = 1;
			else {
				seterr(err, errlen, "stlink_emu: ap_check '%s' (want auto, none, st)", v);
				return -1;
			}
		} else if (!strcmp(t, "mode")) {
			if (!strcmp(v, "dfu"))
				cfg->start_mode = MODE_DFU;
			else if (!strcmp(v, "mass"))
				cfg->start_mode = MODE_MASS;
			else if (!strcmp(v, "debug"))
				cfg->start_mode = MODE_DEBUG;
			else if (!strcmp(v, "swim"))
				cfg->start_mode = MODE_SWIM;
			else {
				seterr(err, errlen, "stlink_emu: mode '%s' (want dfu, mass, debug, swim)", v);
				return -1;
			}
		} else {
			seterr(err, errlen,
			       "stlink_emu: unknown key '%s' (model, pid, fw, swim, msd, serial, "
			       "serial_form, rst, vtarget_mv, ap_check, unplug_after, stall, cmd_us, mode)",
			       t);
			return -1;
		}
	}
	if (!fw_set)
		cfg->fw_j = cfg->model == STLINK_EMU_V3 ? 7 : 37;
	if (cfg->model == STLINK_EMU_V2_1 && !cfg->fw_m)
		cfg->fw_m = 25; /* V2J37M25: mass storage version (x=J, y=M) */
	if (cfg->model == STLINK_EMU_V3 && !cfg->fw_m)
		cfg->fw_m = 7;
	/* pyOCD#918 (J37S7 BAD_AP on nRF52832), probe-rs PR #3451 (latest V2
	 * refuses nRF52840), STLINK.md §6: V2 from J37 and V3 check the AP. */
	cfg->ap_check = apc >= 0 ? apc : (cfg->model == STLINK_EMU_V3 || cfg->fw_j >= 37);
	if (!cfg->pid)
		cfg->pid = cfg->model == STLINK_EMU_V2 ? 0x3748 :
			   cfg->model == STLINK_EMU_V2_1 ? 0x374B : 0x374F;
	return 0;
}

/* ---- firmware features (STLINK.md §2.5) ---- */

static int is_v3(const struct stlink_emu *e) { return e->cfg.model == STLINK_EMU_V3; }
static int fw_ge(const struct stlink_emu *e, unsigned v2j, unsigned v3j)
{
	return is_v3(e) ? e->cfg.fw_j >= v3j : e->cfg.fw_j >= v2j;
}
#define HAS_VOLT(e) fw_ge(e, 13, 0)
#define HAS_LRW2(e) fw_ge(e, 15, 0)
#define HAS_SWD_FREQ(e) (!is_v3(e) && (e)->cfg.fw_j >= 22)
#define HAS_DAP_REG(e) fw_ge(e, 24, 0)
#define HAS_MEM16(e) fw_ge(e, 26, 0)
#define HAS_AP_INIT(e) fw_ge(e, 28, 0)
#define HAS_CSW(e) fw_ge(e, 32, 2)

static unsigned max_ap(const struct stlink_emu *e)
{
	/* openocd.texi: "V2J29 has 3 as maximum AP number, while V2J32 has 8". */
	if (is_v3(e) || e->cfg.fw_j >= 32)
		return 7;
	if (e->cfg.fw_j >= 28)
		return 3;
	return 0;
}

/* ---- the SWD engine ---- */

static unsigned parity32(uint32_t v) { return (unsigned)__builtin_parity(v); }

static void swd_line_reset(struct stlink_emu *e)
{
	sim_seq_out(e->chip, 0xFFFFFFFFu, 32);
	sim_seq_out(e->chip, 0xFFFFFFFFu, 28);
	sim_seq_out(e->chip, 0, 4);
}

/* One packet: request, turnaround, ACK, data phase. Returns the ACK (7 =
 * no answer); a read with bad parity returns 8. */
static unsigned swd_packet(struct stlink_emu *e, int ap, int rnw, unsigned a, uint32_t *data)
{
	unsigned b = (unsigned)ap | (unsigned)rnw << 1 | (a & 3u) << 2;
	uint8_t req = (uint8_t)(1u | b << 1 | parity32(b) << 5 | 1u << 7);
	unsigned ack;

	e->cnt.swd_transfers++;
	if (!e->chip)
		return 7;
	sim_seq_out(e->chip, req, 8);
	sim_seq_in(e->chip, 1);
	ack = sim_seq_in(e->chip, 3);
	if (ack == ACK_OK && rnw) {
		uint32_t d = sim_seq_in(e->chip, 32);
		unsigned p = sim_seq_in(e->chip, 1);

		sim_seq_in(e->chip, 1);
		sim_seq_out(e->chip, 0, 2);
		*data = d;
		return p == parity32(d) ? ACK_OK : 8;
	}
	sim_seq_in(e->chip, 1);
	if (ack == ACK_OK) {
		sim_seq_out(e->chip, *data, 32);
		sim_seq_out(e->chip, parity32(*data), 1);
	}
	sim_seq_out(e->chip, 0, 2);
	return ack;
}

/* A transfer as the firmware does it: WAIT retried 4 times. Returns an
 * ST-Link status. */
static int swd_xfer(struct stlink_emu *e, int ap, int rnw, unsigned a, uint32_t *data)
{
	unsigned ack = 0;

	for (int i = 0; i < 5; i++) {
		ack = swd_packet(e, ap, rnw, a, data);
		if (ack != ACK_WAIT)
			break;
		if (i < 4)
			e->cnt.swd_wait_retries++;
	}
	switch (ack) {
	case ACK_OK:
		return STLINK_EMU_ST_OK;
	case ACK_WAIT:
		e->cnt.swd_waits_reported++;
		return ap ? STLINK_EMU_ST_SWD_AP_WAIT : STLINK_EMU_ST_SWD_DP_WAIT;
	case ACK_FAULT:
		e->cnt.swd_faults++;
		return ap ? STLINK_EMU_ST_SWD_AP_FAULT : STLINK_EMU_ST_SWD_DP_FAULT;
	case 8:
		return ap ? STLINK_EMU_ST_SWD_AP_PARITY : STLINK_EMU_ST_SWD_DP_PARITY;
	default:
		/* No answer: line reset so the next command finds the wire sane. */
		if (e->chip)
			swd_line_reset(e);
		return ap ? STLINK_EMU_ST_SWD_AP_ERROR : STLINK_EMU_ST_SWD_DP_ERROR;
	}
}

static int dp_write(struct stlink_emu *e, unsigned a, uint32_t v)
{
	int st = swd_xfer(e, 0, 0, a, &v);

	if (a == DP_SELECT) {
		e->select_valid = st == STLINK_EMU_ST_OK;
		e->select = v;
	}
	return st;
}

static int dp_read(struct stlink_emu *e, unsigned a, uint32_t *v)
{
	return swd_xfer(e, 0, 1, a, v);
}

static int ap_select(struct stlink_emu *e, unsigned apsel, unsigned bank)
{
	uint32_t sel = (uint32_t)apsel << 24 | (bank & 0xFu) << 4;

	if (e->select_valid && (e->select & 0xFF0000F0u) == sel)
		return STLINK_EMU_ST_OK;
	return dp_write(e, DP_SELECT, sel | (e->select_valid ? e->select & 0xFu : 0));
}

/* AP register read (posted: AP read, then RDBUFF). */
static int ap_read(struct stlink_emu *e, unsigned apsel, unsigned reg, uint32_t *v)
{
	int st = ap_select(e, apsel, reg >> 4);

	if (st == STLINK_EMU_ST_OK)
		st = swd_xfer(e, 1, 1, (reg >> 2) & 3u, v);
	if (st == STLINK_EMU_ST_OK)
		st = dp_read(e, DP_RDBUFF, v);
	return st;
}

static int ap_write(struct stlink_emu *e, unsigned apsel, unsigned reg, uint32_t v)
{
	int st = ap_select(e, apsel, reg >> 4);

	if (st == STLINK_EMU_ST_OK)
		st = swd_xfer(e, 1, 0, (reg >> 2) & 3u, &v);
	return st;
}

static void clear_sticky(struct stlink_emu *e)
{
	dp_write(e, DP_ABORT, ABORT_CLR_ALL);
	e->mem_sticky = 0;
}

static void forget_aps(struct stlink_emu *e)
{
	memset(e->ap_idr_valid, 0, sizeof(e->ap_idr_valid));
	memset(e->csw_valid, 0, sizeof(e->csw_valid));
}

/* Connect: line reset, JTAG-to-SWD, line reset, DPIDR, clear errors, power
 * up (ADIv5.2 B4.3.3, B2.2.1). */
static int swd_connect(struct stlink_emu *e)
{
	uint32_t id = 0, cs = 0;
	int st;

	if (!e->chip)
		return STLINK_EMU_ST_NO_DEVICE;
	e->select_valid = 0;
	forget_aps(e);
	swd_line_reset(e);
	sim_seq_out(e->chip, 0xE79Eu, 16);
	swd_line_reset(e);
	st = dp_read(e, DP_IDR, &id);
	if (st != STLINK_EMU_ST_OK)
		return STLINK_EMU_ST_NO_DEVICE;
	clear_sticky(e);
	st = dp_write(e, DP_CS, 0x50000000u);
	for (int i = 0; st == STLINK_EMU_ST_OK && i < 100; i++) {
		st = dp_read(e, DP_CS, &cs);
		if ((cs & 0xA0000000u) == 0xA0000000u)
			return STLINK_EMU_ST_OK;
	}
	return st == STLINK_EMU_ST_OK ? STLINK_EMU_ST_NO_DEVICE : st;
}

/* The IDR of an AP, cached until the next connect or reset; 0 (absent or a
 * locked AHB-AP) is not cached. */
static int ap_idr(struct stlink_emu *e, unsigned apsel, uint32_t *idr)
{
	int st;

	if (e->ap_idr_valid[apsel]) {
		*idr = e->ap_idr[apsel];
		return STLINK_EMU_ST_OK;
	}
	st = ap_read(e, apsel, 0xFC, idr);
	if (st == STLINK_EMU_ST_OK && *idr) {
		e->ap_idr[apsel] = *idr;
		e->ap_idr_valid[apsel] = 1;
	}
	return st;
}

/* Whether this firmware lets the host at AP apsel: its AP limit, the
 * designer check of newer firmware. */
static int ap_allowed(struct stlink_emu *e, unsigned apsel)
{
	uint32_t idr = 0;
	int st;

	if (apsel > max_ap(e))
		return STLINK_EMU_ST_BAD_AP;
	if (!e->cfg.ap_check || apsel == 0)
		return STLINK_EMU_ST_OK;
	st = ap_idr(e, apsel, &idr);
	if (st != STLINK_EMU_ST_OK)
		return st;
	if (((idr >> 17) & 0x7FFu) != ARM_DESIGNER)
		return STLINK_EMU_ST_BAD_AP;
	return STLINK_EMU_ST_OK;
}

/* A MEM-AP that answers: IDR not 0 (else the locked-nRF52 0x05). */
static int mem_ap_ready(struct stlink_emu *e, unsigned apsel)
{
	uint32_t idr = 0;
	int st = ap_allowed(e, apsel);

	if (st != STLINK_EMU_ST_OK)
		return st;
	st = ap_idr(e, apsel, &idr);
	if (st != STLINK_EMU_ST_OK)
		return st;
	return idr ? STLINK_EMU_ST_OK : STLINK_EMU_ST_NO_DEVICE;
}

/* ---- memory commands ---- */

#define CSW_DEFAULT 0x23000000u /* HPROT1 | MasterType, as a Cortex-M AHB-AP resets */

static uint32_t mem_csw(const struct stlink_emu *e, const uint8_t *c, unsigned size, int inc)
{
	uint32_t hi = HAS_CSW(e) ? (uint32_t)c[9] << 8 | (uint32_t)c[10] << 16 | (uint32_t)c[11] << 24 : 0;

	if (!hi)
		hi = CSW_DEFAULT;
	return (hi & 0xFFFFFF00u) | (inc ? 0x10u : 0) | size;
}

/* Read or write len bytes of width w (1, 2, 4) at addr through AP apsel.
 * Sets the last-RW status; data is filled (read) or consumed (write). */
static void mem_access(struct stlink_emu *e, const uint8_t *c, int write, unsigned w,
		       uint32_t addr, size_t len, unsigned apsel, int inc, uint8_t *data)
{
	unsigned size = w == 1 ? 0 : w == 2 ? 1 : 2;
	uint32_t csw = mem_csw(e, c, size, inc);
	size_t i = 0;
	int st;

	e->cnt.mem_commands++;
	e->lrw_addr = 0;
	if (e->mem_sticky)
		clear_sticky(e);
	st = mem_ap_ready(e, apsel);
	/* CSW only when it changes: the firmware keeps what it wrote [U]. */
	if (st == STLINK_EMU_ST_OK && (!e->csw_valid[apsel] || e->csw[apsel] != csw)) {
		st = ap_write(e, apsel, 0x00, csw);
		e->csw[apsel] = csw;
		e->csw_valid[apsel] = st == STLINK_EMU_ST_OK;
	}
	while (st == STLINK_EMU_ST_OK && i < len) {
		uint32_t a = addr + (uint32_t)i;
		/* Up to the next 1 KiB boundary (TAR auto-increment, ADIv5 C2.2.2). */
		size_t n = inc ? 0x400u - (a & 0x3FFu) : len - i;
		int pending = 0;

		if (n > len - i)
			n = len - i;
		st = ap_write(e, apsel, 0x04, a);
		if (st != STLINK_EMU_ST_OK) /* refused before a data access */
			e->lrw_addr = i && st != STLINK_EMU_ST_SWD_AP_WAIT ? a - w : a;
		for (size_t k = 0; st == STLINK_EMU_ST_OK && k < n; k += w) {
			uint32_t v = 0, lane = ((a + (uint32_t)k) & 3u) * 8u;

			if (write) {
				memcpy(&v, data + i + k, w);
				v <<= lane;
				st = swd_xfer(e, 1, 0, 3, &v);
			} else {
				st = swd_xfer(e, 1, 1, 3, &v);
				if (st == STLINK_EMU_ST_OK && pending) {
					uint32_t pa = a + (uint32_t)k - w;

					v >>= (pa & 3u) * 8u;
					memcpy(data + i + k - w, &v, w);
				}
				pending = 1;
			}
			/* The fault address: for WAIT the access refused; a bus
			 * error shows on the access after the one that caused
			 * it (the sim completes it with STICKYERR), so that
			 * one. What real firmware reports is not known [U]. */
			if (st == STLINK_EMU_ST_SWD_AP_WAIT)
				e->lrw_addr = a + (uint32_t)k;
			else if (st != STLINK_EMU_ST_OK)
				e->lrw_addr = a + (uint32_t)k - (k ? w : 0);
		}
		if (st == STLINK_EMU_ST_OK && pending) {
			uint32_t v = 0, pa = a + (uint32_t)n - w;

			st = dp_read(e, DP_RDBUFF, &v);
			v >>= (pa & 3u) * 8u;
			memcpy(data + i + n - w, &v, w);
			if (st != STLINK_EMU_ST_OK)
				e->lrw_addr = pa;
		}
		if (st == STLINK_EMU_ST_OK)
			i += n;
	}
	/* The sticky flag stays for the host; the next memory command clears it. */
	if (st == STLINK_EMU_ST_SWD_AP_FAULT || st == STLINK_EMU_ST_SWD_DP_FAULT)
		e->mem_sticky = 1;
	if (st == STLINK_EMU_ST_OK && len) {
		/* The last access's bus error has no later access to show on:
		 * CTRL/STAT tells. */
		uint32_t cs = 0;

		st = dp_read(e, DP_CS, &cs);
		if (st == STLINK_EMU_ST_OK && (cs & CS_STICKYERR)) {
			st = STLINK_EMU_ST_SWD_AP_FAULT;
			e->lrw_addr = addr + (uint32_t)len - w;
			e->mem_sticky = 1;
			e->cnt.swd_faults++;
		}
	}
	e->lrw_status = (uint16_t)st;
	if (st != STLINK_EMU_ST_OK)
		e->cnt.bad_status++;
}

/* ---- replies ---- */

static void reply_set(struct stlink_emu *e, const void *buf, size_t len)
{
	memcpy(e->reply, buf, len);
	e->reply_len = len;
	e->reply_off = 0;
}

static void reply_status(struct stlink_emu *e, int st, size_t len)
{
	uint8_t r[16] = { (uint8_t)st };

	if (st != STLINK_EMU_ST_OK)
		e->cnt.bad_status++;
	reply_set(e, r, len);
}

static void reply_u32(struct stlink_emu *e, int st, uint32_t v)
{
	uint8_t r[8] = { (uint8_t)st, 0, 0, 0, (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16),
			 (uint8_t)(v >> 24) };

	if (st != STLINK_EMU_ST_OK)
		e->cnt.bad_status++;
	reply_set(e, r, 8);
}

static void unknown(struct stlink_emu *e)
{
	e->cnt.unknown_commands++;
	reply_status(e, STLINK_EMU_ST_UNKNOWN_CMD, 2);
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint16_t le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/* V2 SWD_SET_FREQ divisors (OpenOCD stlink_khz_to_speed_map_swd). */
static const struct { uint16_t div; uint16_t khz; } swd_div[] = {
	{ 0, 4000 }, { 1, 1800 }, { 2, 1200 }, { 3, 950 }, { 7, 480 }, { 15, 240 },
	{ 31, 125 }, { 40, 100 }, { 79, 50 }, { 158, 25 }, { 265, 15 }, { 798, 5 },
};
/* V3 SWD frequencies [U: the list a V3 answers to GET_COM_FREQ]. */
static const uint32_t v3_khz[] = { 24000, 8000, 3300, 1000, 200, 50, 5 };

static void set_khz(struct stlink_emu *e, uint32_t khz)
{
	e->khz = khz ? khz : 1;
	if (e->chip)
		sim_set_period_ns(e->chip, 1000000u / e->khz);
}

/* Core register through DCRSR/DCRDR (ARMv7-M C1.6.3). */
static int core_reg(struct stlink_emu *e, unsigned regsel, int write, uint32_t *v)
{
	uint32_t d = 0;
	int st;

	if (write) {
		uint8_t c[16] = { 0 };
		uint8_t buf[4];

		put32(buf, *v);
		mem_access(e, c, 1, 4, DCRDR, 4, 0, 1, buf);
		st = e->lrw_status;
		if (st == STLINK_EMU_ST_OK) {
			put32(buf, regsel | 1u << 16);
			mem_access(e, c, 1, 4, DCRSR, 4, 0, 1, buf);
			st = e->lrw_status;
		}
	} else {
		uint8_t c[16] = { 0 };
		uint8_t buf[4];

		put32(buf, regsel);
		mem_access(e, c, 1, 4, DCRSR, 4, 0, 1, buf);
		st = e->lrw_status;
		if (st == STLINK_EMU_ST_OK) {
			mem_access(e, c, 0, 4, DCRDR, 4, 0, 1, buf);
			st = e->lrw_status;
			d = le32(buf);
		}
		*v = d;
	}
	return st;
}

static void debug_cmd(struct stlink_emu *e, const uint8_t *c)
{
	uint8_t sub = c[1];
	uint8_t r[96];
	uint32_t v = 0;
	int st;

	e->cnt.by_debug[sub]++;
	memset(r, 0, sizeof(r));
	switch (sub) {
	case 0x30: /* APIV2_ENTER */
		if (c[2] != 0xA3) { /* JTAG: no JTAG target here */
			reply_status(e, STLINK_EMU_ST_NO_DEVICE, 2);
			return;
		}
		st = swd_connect(e);
		if (st == STLINK_EMU_ST_OK)
			e->mode = MODE_DEBUG;
		reply_status(e, st, 2);
		return;
	case 0x20: /* API v1 enter: not on V2 firmware */
		unknown(e);
		return;
	case 0x21: /* EXIT: no reply */
		e->mode = MODE_MASS;
		e->reply_len = e->reply_off = 0;
		return;
	case 0x31: { /* READ_IDCODES */
		uint32_t id = 0;

		st = e->mode == MODE_DEBUG ? dp_read(e, DP_IDR, &id) : STLINK_EMU_ST_NO_DEVICE;
		r[0] = (uint8_t)st;
		put32(r + 4, st == STLINK_EMU_ST_OK ? id : 0);
		if (st != STLINK_EMU_ST_OK)
			e->cnt.bad_status++;
		reply_set(e, r, 12);
		return;
	}
	case 0x32: { /* RESETSYS: AIRCR SYSRESETREQ [U: the firmware's exact action] */
		uint8_t z[16] = { 0 }, buf[4];

		put32(buf, 0x05FA0004u);
		mem_access(e, z, 1, 4, AIRCR, 4, 0, 1, buf);
		forget_aps(e);
		reply_status(e, e->lrw_status, 2);
		return;
	}
	case 0x33: /* READREG */
		st = core_reg(e, c[2], 0, &v);
		reply_u32(e, st, v);
		return;
	case 0x34: /* WRITEREG */
		v = le32(c + 3);
		st = core_reg(e, c[2], 1, &v);
		reply_status(e, st, 2);
		return;
	case 0x35: { /* WRITEDEBUGREG */
		uint8_t z[16] = { 0 };

		mem_access(e, z, 1, 4, le32(c + 2), 4, 0, 1, (uint8_t *)c + 6);
		if (le32(c + 2) == AIRCR)
			forget_aps(e);
		reply_status(e, e->lrw_status, 2);
		return;
	}
	case 0x36: { /* READDEBUGREG */
		uint8_t z[16] = { 0 }, buf[4] = { 0 };

		mem_access(e, z, 0, 4, le32(c + 2), 4, 0, 1, buf);
		reply_u32(e, e->lrw_status, le32(buf));
		return;
	}
	case 0x3A: /* READALLREGS: status u32 + 21 registers */
		st = STLINK_EMU_ST_OK;
		for (unsigned i = 0; i < 21 && st == STLINK_EMU_ST_OK; i++) {
			st = core_reg(e, i, 0, &v);
			put32(r + 4 + 4 * i, v);
		}
		r[0] = (uint8_t)st;
		reply_set(e, r, 88);
		return;
	case 0x3B: /* GETLASTRWSTATUS */
		reply_status(e, e->lrw_status, 2);
		return;
	case 0x3E: /* GETLASTRWSTATUS2 */
		if (!HAS_LRW2(e)) {
			unknown(e);
			return;
		}
		r[0] = (uint8_t)e->lrw_status;
		r[1] = (uint8_t)(e->lrw_status >> 8);
		put32(r + 4, e->lrw_addr);
		reply_set(e, r, 12);
		return;
	case 0x3C: /* DRIVE_NRST: 0 low, 1 high, 2 pulse */
		if (c[2] > 2) {
			reply_status(e, STLINK_EMU_ST_UNKNOWN_ERROR, 2);
			return;
		}
		if (e->cfg.rst_wired && e->chip) {
			if (c[2] == 0 || c[2] == 2) {
				sim_nreset(e->chip, 0);
				e->nreset = 0;
			}
			if (c[2] == 1 || c[2] == 2) {
				if (!e->nreset)
					e->cnt.nrst_pulses++;
				sim_nreset(e->chip, 1);
				e->nreset = 1;
			}
			forget_aps(e);
		}
		reply_status(e, STLINK_EMU_ST_OK, 2);
		return;
	case 0x40: /* trace start / stop */
	case 0x41:
		if (!fw_ge(e, 13, 0)) {
			unknown(e);
			return;
		}
		reply_status(e, STLINK_EMU_ST_OK, 2);
		return;
	case 0x42: /* trace count: nothing captured */
		reply_set(e, r, 2);
		return;
	case 0x43: { /* SWD_SET_FREQ */
		uint16_t div = le16(c + 2);
		uint32_t khz = 0;

		if (!HAS_SWD_FREQ(e)) {
			unknown(e);
			return;
		}
		for (size_t i = 0; i < sizeof(swd_div) / sizeof(swd_div[0]); i++)
			if (swd_div[i].div == div)
				khz = swd_div[i].khz;
		if (!khz)
			khz = 3600u / (div + 1u); /* between table entries [U] */
		set_khz(e, khz ? khz : 1);
		reply_status(e, STLINK_EMU_ST_OK, 2);
		return;
	}
	case 0x44: /* JTAG_SET_FREQ */
		if (!HAS_DAP_REG(e) || is_v3(e)) {
			unknown(e);
			return;
		}
		reply_status(e, STLINK_EMU_ST_OK, 2);
		return;
	case 0x45: /* READ_DAP_REG */
	case 0x46: { /* WRITE_DAP_REG */
		uint16_t port = le16(c + 2), addr = le16(c + 4);

		if (!HAS_DAP_REG(e)) {
			unknown(e);
			return;
		}
		if (port == 0xFFFF) {
			unsigned bank = (addr >> 4) & 0xFu;

			st = STLINK_EMU_ST_OK;
			if (bank && (addr & 0xC) == 4) {
				/* DPBANKSEL (SELECT[3:0]) for a banked register (J32+) */
				if (!HAS_CSW(e)) {
					reply_status(e, STLINK_EMU_ST_UNKNOWN_ERROR, sub == 0x45 ? 8 : 2);
					return;
				}
				st = dp_write(e, DP_SELECT, (e->select_valid ? e->select & 0xFFFFFFF0u : 0) | bank);
			}
			if (st == STLINK_EMU_ST_OK) {
				if (sub == 0x45)
					st = dp_read(e, (addr >> 2) & 3u, &v);
				else
					st = dp_write(e, (addr >> 2) & 3u, le32(c + 6));
			}
			if (sub == 0x46 && (addr & 0xC) == 0)
				e->mem_sticky = 0; /* ABORT written by the host */
		} else {
			st = port > 255 ? STLINK_EMU_ST_BAD_AP : ap_allowed(e, port);
			if (st == STLINK_EMU_ST_OK) {
				if (sub == 0x45)
					st = ap_read(e, port, addr & 0xFC, &v);
				else
					st = ap_write(e, port, addr & 0xFC, le32(c + 6));
			}
			if (sub == 0x46)
				forget_aps(e);
		}
		if (sub == 0x45)
			reply_u32(e, st, v);
		else
			reply_status(e, st, 2);
		return;
	}
	case 0x4B: { /* INIT_AP */
		if (!HAS_AP_INIT(e)) {
			unknown(e);
			return;
		}
		st = ap_allowed(e, c[2]);
		if (st == STLINK_EMU_ST_OK && c[2] == 0)
			st = mem_ap_ready(e, 0);
		reply_status(e, st, 2);
		return;
	}
	case 0x4C: /* CLOSE_AP_DBG: before J29 the status is bogus */
		if (!HAS_AP_INIT(e)) {
			unknown(e);
			return;
		}
		reply_status(e, fw_ge(e, 29, 0) ? STLINK_EMU_ST_OK : 0x00, 2);
		return;
	case 0x62: /* V3 GET_COM_FREQ */
		if (!is_v3(e)) {
			unknown(e);
			return;
		}
		r[0] = STLINK_EMU_ST_OK;
		r[8] = (uint8_t)(sizeof(v3_khz) / sizeof(v3_khz[0]));
		for (size_t i = 0; i < sizeof(v3_khz) / sizeof(v3_khz[0]); i++)
			put32(r + 12 + 4 * i, v3_khz[i]);
		reply_set(e, r, 52);
		return;
	case 0x61: { /* V3 SET_COM_FREQ: the fastest entry <= the request */
		uint32_t want = le32(c + 4), got = v3_khz[6];

		if (!is_v3(e)) {
			unknown(e);
			return;
		}
		for (size_t i = 0; i < sizeof(v3_khz) / sizeof(v3_khz[0]); i++)
			if (v3_khz[i] <= want) {
				got = v3_khz[i];
				break;
			}
		if (c[2] == 0)
			set_khz(e, got);
		r[0] = STLINK_EMU_ST_OK;
		put32(r + 4, got);
		reply_set(e, r, 8);
		return;
	}
	case 0x52: /* RW_MISC_IN: the results of the last RW_MISC_OUT */
		if (!HAS_CSW(e)) {
			unknown(e);
			return;
		}
		reply_set(e, e->misc, e->misc_len);
		return;
	default:
		unknown(e);
		return;
	}
}

/* Memory commands: 0x07/0x08 (32), 0x0C/0x0D (8), 0x47/0x48 (16), 0x50
 * (write 32 no increment), 0x54 (read 32 no increment). */
static int mem_op(uint8_t sub, int *write, unsigned *w, int *inc)
{
	*inc = 1;
	switch (sub) {
	case 0x07: *write = 0; *w = 4; return 1;
	case 0x08: *write = 1; *w = 4; return 1;
	case 0x0C: *write = 0; *w = 1; return 1;
	case 0x0D: *write = 1; *w = 1; return 1;
	case 0x47: *write = 0; *w = 2; return 1;
	case 0x48: *write = 1; *w = 2; return 1;
	case 0x50: *write = 1; *w = 4; *inc = 0; return 1;
	case 0x54: *write = 0; *w = 4; *inc = 0; return 1;
	default: return 0;
	}
}

/* A memory command's checks; 0 = go, else the status to leave. */
static int mem_check(const struct stlink_emu *e, uint8_t sub, unsigned w, uint32_t addr, size_t len)
{
	size_t max8 = is_v3(e) && e->cfg.fw_j >= 6 ? 512 : 64;

	if ((sub == 0x47 || sub == 0x48 || sub == 0x50) && !HAS_MEM16(e))
		return -1;
	if (sub == 0x54 && !HAS_CSW(e))
		return -1;
	if (w == 1 && len > max8)
		return STLINK_EMU_ST_UNKNOWN_ERROR;
	if (len > 6144 || addr % w || len % w)
		return 0x0A; /* ALIGNMENT_ERROR */
	return 0;
}

static void mem_cmd(struct stlink_emu *e, const uint8_t *c, const uint8_t *data)
{
	int write, inc, chk;
	unsigned w;
	uint32_t addr = le32(c + 2);
	size_t len = le16(c + 6);
	unsigned apsel = HAS_CSW(e) ? c[8] : 0;

	if (!mem_op(c[1], &write, &w, &inc))
		return; /* exec_cmd calls this for memory commands only */
	chk = mem_check(e, c[1], w, addr, len);
	if (chk > 0) {
		e->lrw_status = (uint16_t)chk;
		e->lrw_addr = addr;
		e->cnt.bad_status++;
		if (!write) {
			memset(e->reply, 0, len);
			e->reply_len = len;
			e->reply_off = 0;
		}
		return;
	}
	if (write) {
		mem_access(e, c, 1, w, addr, len, apsel, inc, (uint8_t *)data);
		e->reply_len = e->reply_off = 0;
	} else {
		size_t out = len;

		memset(e->reply, 0, len + 2);
		mem_access(e, c, 0, w, addr, len, apsel, inc, e->reply);
		if (w == 1 && len == 1)
			out = 2; /* OpenOCD: "fix read length for single bytes" */
		e->reply_len = out;
		e->reply_off = 0;
	}
}

/* RW_MISC_OUT (0x51): a list of 32-bit memory ops (STLINK.md §2.3;
 * OpenOCD stlink_usb_misc_rw_segment): APNUM selects the AP, READ reads
 * the word at the address it carries, ADDRESS sets the address of the
 * WRITE that follows. Results for RW_MISC_IN (0x52): items x u32 values,
 * then items x u32 statuses. */
static void rw_misc(struct stlink_emu *e, const uint8_t *c, const uint8_t *data)
{
	uint32_t items = le32(c + 2), addr = 0;
	size_t ops = (items + 3u) & ~3u;
	unsigned apsel = 0;
	uint8_t z[16] = { 0 };

	(void)c;
	for (uint32_t i = 0; i < items; i++) {
		uint32_t val = le32(data + ops + 4 * i), res = 0;
		uint8_t buf[4];
		int st = STLINK_EMU_ST_OK;

		switch (data[i]) {
		case 5: /* APNUM */
			apsel = val & 0xFFu;
			st = ap_allowed(e, apsel);
			break;
		case 1: /* ADDRESS */
			addr = val;
			break;
		case 2: /* WRITE: the word at the last ADDRESS */
			put32(buf, val);
			z[8] = (uint8_t)apsel;
			mem_access(e, z, 1, 4, addr, 4, apsel, 1, buf);
			st = e->lrw_status;
			break;
		case 3: /* READ: the word at the address carried */
			z[8] = (uint8_t)apsel;
			mem_access(e, z, 0, 4, val, 4, apsel, 1, buf);
			st = e->lrw_status;
			res = le32(buf);
			break;
		default:
			st = STLINK_EMU_ST_UNKNOWN_ERROR;
		}
		put32(e->misc + 4 * i, res);
		put32(e->misc + 4 * items + 4 * i, (uint32_t)st);
	}
	e->misc_len = 8u * items;
}

/* Length of the data phase a command announces (0 = none). */
static size_t data_phase(const struct stlink_emu *e, const uint8_t *c)
{
	int write, inc;
	unsigned w;

	if (c[0] != 0xF2)
		return 0;
	if (c[1] == 0x51 && HAS_CSW(e)) {
		uint32_t items = le32(c + 2);

		if (items > (is_v3(e) ? 1227u : 64u))
			return 0;
		return ((items + 3u) & ~3u) + 4u * items;
	}
	if (mem_op(c[1], &write, &w, &inc) && write && mem_check(e, c[1], w, le32(c + 2),
								 le16(c + 6)) >= 0)
		return le16(c + 6) <= 6144 ? le16(c + 6) : 0;
	return 0;
}

static void exec_cmd(struct stlink_emu *e, const uint8_t *c, const uint8_t *data, size_t dlen)
{
	uint8_t r[16];
	uint64_t t0 = e->chip ? sim_time_ns(e->chip) : 0, usb;
	unsigned pkt = stlink_emu_max_packet(e);
	size_t extra;
	int write, inc;
	unsigned w;

	memset(r, 0, sizeof(r));
	e->cnt.by_op[c[0]]++;
	switch (c[0]) {
	case 0xF1: { /* GET_VERSION */
		unsigned x = e->cfg.fw_j, y = is_v3(e) ? 0 : e->cfg.model == STLINK_EMU_V2_1 ?
						  e->cfg.fw_m : e->cfg.fw_s;
		unsigned v = is_v3(e) ? 3u << 12 : 2u << 12 | (x & 63u) << 6 | (y & 63u);

		r[0] = (uint8_t)(v >> 8);
		r[1] = (uint8_t)v;
		r[2] = (uint8_t)VID;
		r[3] = (uint8_t)(VID >> 8);
		r[4] = (uint8_t)e->cfg.pid;
		r[5] = (uint8_t)(e->cfg.pid >> 8);
		reply_set(e, r, 6);
		break;
	}
	case 0xFB: /* APIV3_GET_VERSION_EX */
		if (!is_v3(e)) {
			unknown(e);
			break;
		}
		r[0] = 3;
		r[1] = 0;
		r[2] = (uint8_t)e->cfg.fw_j;
		r[3] = (uint8_t)e->cfg.fw_m;
		r[4] = 0;
		r[8] = (uint8_t)VID;
		r[9] = (uint8_t)(VID >> 8);
		r[10] = (uint8_t)e->cfg.pid;
		r[11] = (uint8_t)(e->cfg.pid >> 8);
		reply_set(e, r, 12);
		break;
	case 0xF5: /* GET_CURRENT_MODE */
		r[0] = (uint8_t)e->mode;
		reply_set(e, r, 2);
		break;
	case 0xF3: /* DFU_COMMAND: 07 = exit, no reply */
		if (c[1] == 0x07 && e->mode == MODE_DFU)
			e->mode = MODE_MASS;
		e->reply_len = e->reply_off = 0;
		break;
	case 0xF4: /* SWIM: 01 = exit, no reply */
		if (c[1] == 0x01 && e->mode == MODE_SWIM)
			e->mode = MODE_MASS;
		e->reply_len = e->reply_off = 0;
		break;
	case 0xF7: { /* GET_TARGET_VOLTAGE: V = 2 * target * 1.2 / ref */
		uint32_t ref = 1500, tgt = (uint32_t)((uint64_t)e->cfg.vtarget_mv * ref / 2400u);

		if (!HAS_VOLT(e)) {
			unknown(e);
			break;
		}
		put32(r, ref);
		put32(r + 4, tgt);
		reply_set(e, r, 8);
		break;
	}
	case 0xF2:
		if (mem_op(c[1], &write, &w, &inc)) {
			e->cnt.by_debug[c[1]]++;
			if (mem_check(e, c[1], w, 0, 0) < 0)
				unknown(e);
			else
				mem_cmd(e, c, data);
		} else if (c[1] == 0x51) {
			e->cnt.by_debug[c[1]]++;
			if (!HAS_CSW(e) || !data)
				unknown(e);
			else {
				rw_misc(e, c, data);
				e->reply_len = e->reply_off = 0;
			}
		} else {
			debug_cmd(e, c);
		}
		break;
	default:
		unknown(e);
		break;
	}
	/* The time model (stlink_emu.h). */
	extra = dlen + (e->reply_len > e->reply_off ? e->reply_len : 0);
	usb = e->cfg.cmd_ns;
	if (extra > pkt)
		usb += (uint64_t)((extra + pkt - 1) / pkt - 1) *
		       (is_v3(e) ? STLINK_EMU_PKT_NS_HS : STLINK_EMU_PKT_NS);
	e->cnt.usb_ns += usb;
	if (e->chip) {
		e->cnt.swd_ns += sim_time_ns(e->chip) - t0;
		sim_delay_ns(e->chip, usb);
	}
	e->cnt.modelled_ns = e->cnt.usb_ns + e->cnt.swd_ns;
}

/* ---- the USB side ---- */

static int ep_index(const struct stlink_emu *e, uint8_t ep)
{
	if (ep == stlink_emu_ep_out(e))
		return 0;
	if (ep == stlink_emu_ep_in(e) || ep == stlink_emu_ep_trace(e))
		return 1;
	return -1;
}

int stlink_emu_bulk_out(struct stlink_emu *e, uint8_t ep, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	if (e->unplugged)
		return -ENODEV;
	if (ep != stlink_emu_ep_out(e))
		return -EINVAL;
	if (e->halted[0])
		return -EPIPE;
	e->cnt.bulk_out++;
	e->cnt.bytes_out += len;
	if (e->data_want) {
		size_t n = len < e->data_want - e->data_have ? len : e->data_want - e->data_have;

		memcpy(e->data + e->data_have, p, n);
		e->data_have += n;
		if (e->data_have == e->data_want) {
			size_t dl = e->data_want;

			e->data_want = e->data_have = 0;
			exec_cmd(e, e->cmd, e->data, dl);
		}
		return (int)len;
	}
	if (len < 1) /* a zero-length packet: nothing to do */
		return 0;
	if (e->cfg.unplug_after && e->cnt.commands >= e->cfg.unplug_after) {
		e->unplugged = 1; /* gone before the command after the Nth */
		return -ENODEV;
	}
	memset(e->cmd, 0, sizeof(e->cmd));
	memcpy(e->cmd, p, len < 16 ? len : 16);
	e->cnt.commands++;
	/* A new command drops an unread reply (the firmware overwrites it). */
	e->reply_len = e->reply_off = 0;
	e->data_want = data_phase(e, e->cmd);
	if (e->data_want) {
		/* The data may come in the same transfer (stlink-server frames do). */
		if (len > 16) {
			e->cnt.bulk_out--;
			e->cnt.bytes_out -= len - 16;
			return 16 + stlink_emu_bulk_out(e, ep, p + 16, len - 16);
		}
		return (int)len;
	}
	exec_cmd(e, e->cmd, NULL, 0);
	return (int)len;
}

int stlink_emu_bulk_in(struct stlink_emu *e, uint8_t ep, void *buf, size_t len)
{
	size_t left, n;

	if (e->unplugged)
		return -ENODEV;
	if (ep_index(e, ep) != 1 || ep == stlink_emu_ep_out(e))
		return -EINVAL;
	if (e->halted[1])
		return -EPIPE;
	if (ep == stlink_emu_ep_trace(e))
		return -EAGAIN; /* no trace data */
	left = e->reply_len - e->reply_off;
	if (!left)
		return -EAGAIN;
	if (left <= len) {
		n = left;
	} else if (len % stlink_emu_max_packet(e) == 0) {
		n = len;
	} else {
		e->reply_len = e->reply_off = 0;
		return -EOVERFLOW;
	}
	memcpy(buf, e->reply + e->reply_off, n);
	e->reply_off += n;
	if (e->reply_off == e->reply_len)
		e->reply_len = e->reply_off = 0;
	e->cnt.bulk_in++;
	e->cnt.bytes_in += n;
	return (int)n;
}

size_t stlink_emu_in_pending(const struct stlink_emu *e, uint8_t ep)
{
	if (e->unplugged || ep != stlink_emu_ep_in(e))
		return 0;
	return e->reply_len - e->reply_off;
}

/* ---- descriptors ---- */

static const char *const str_mfr = "STMicroelectronics";

static const char *str_product(const struct stlink_emu *e)
{
	return e->cfg.model == STLINK_EMU_V2 ? "STM32 STLink" :
	       e->cfg.model == STLINK_EMU_V2_1 ? "STM32 STLink" : "STLINK-V3";
}

int stlink_emu_descriptors(const struct stlink_emu *e, uint8_t *buf, size_t len)
{
	unsigned mp = stlink_emu_max_packet(e);
	uint8_t eps[3] = { stlink_emu_ep_in(e), stlink_emu_ep_out(e), stlink_emu_ep_trace(e) };
	uint8_t d[18 + 9 + 9 + 21];
	size_t n = 0;

	/* Device (V2: lsusb in stlink-org/stlink#7; STLINK.md §1.2). */
	const uint8_t dev[18] = { 18, 1, 0x00, 0x02, 0, 0, 0, 64, (uint8_t)VID, (uint8_t)(VID >> 8),
				  (uint8_t)e->cfg.pid, (uint8_t)(e->cfg.pid >> 8), 0x00, 0x01, 1, 2,
				  3, 1 };
	memcpy(d, dev, 18);
	n = 18;
	/* Configuration: wTotalLength 39, one interface, 3 endpoints. */
	const uint8_t cfgd[9] = { 9, 2, 39, 0, 1, 1, 0, 0x80, 50 };
	memcpy(d + n, cfgd, 9);
	n += 9;
	const uint8_t itf[9] = { 9, 4, 0, 0, 3, 0xFF, 0xFF, 0xFF, 4 };
	memcpy(d + n, itf, 9);
	n += 9;
	for (int i = 0; i < 3; i++) {
		uint8_t epd[7] = { 7, 5, eps[i], 2, (uint8_t)mp, (uint8_t)(mp >> 8), 0 };

		memcpy(d + n, epd, 7);
		n += 7;
	}
	if (len < n)
		return -1;
	memcpy(buf, d, n);
	return (int)n;
}

static int string_desc(const struct stlink_emu *e, unsigned idx, uint8_t *out, size_t max)
{
	uint8_t d[256];
	size_t n = 2;

	if (idx == 0) {
		d[2] = 0x09;
		d[3] = 0x04; /* en-US */
		n = 4;
	} else if (idx == 3 && e->cfg.serial_raw) {
		/* Old firmware: the 12 UID bytes, one per UTF-16 code unit. */
		for (int i = 0; i < 12; i++) {
			d[n++] = (uint8_t)(hexnibble(e->cfg.serial[2 * i]) << 4 |
					   hexnibble(e->cfg.serial[2 * i + 1]));
			d[n++] = 0;
		}
	} else {
		const char *s = idx == 1 ? str_mfr : idx == 2 ? str_product(e) : idx == 3 ?
			       e->cfg.serial : idx == 4 ? "ST-Link Debug" : NULL;

		if (!s)
			return -EPIPE;
		for (; *s && n < 254; s++) {
			d[n++] = (uint8_t)*s;
			d[n++] = 0;
		}
	}
	d[0] = (uint8_t)n;
	d[1] = 3;
	if (n > max)
		n = max;
	memcpy(out, d, n);
	return (int)n;
}

int stlink_emu_control(struct stlink_emu *e, const uint8_t s[8], uint8_t *data)
{
	uint8_t type = s[0], req = s[1];
	uint16_t val = le16(s + 2), idx = le16(s + 4), wlen = le16(s + 6);
	uint8_t buf[128];
	int n;

	(void)idx;
	if (e->unplugged)
		return -ENODEV;
	e->cnt.control++;
	if (type == 0x80 && req == 6) { /* GET_DESCRIPTOR */
		switch (val >> 8) {
		case 1:
		case 2:
			n = stlink_emu_descriptors(e, buf, sizeof(buf));
			if (val >> 8 == 1) {
				n = 18;
			} else {
				memmove(buf, buf + 18, (size_t)n - 18);
				n -= 18;
			}
			if (n > wlen)
				n = wlen;
			memcpy(data, buf, (size_t)n);
			return n;
		case 3:
			return string_desc(e, val & 0xFFu, data, wlen);
		default:
			return -EPIPE;
		}
	}
	if (type == 0x80 && req == 8) { /* GET_CONFIGURATION */
		if (wlen)
			data[0] = 1;
		return wlen ? 1 : 0;
	}
	if (type == 0x80 && req == 0) { /* GET_STATUS */
		if (wlen >= 2)
			data[0] = data[1] = 0;
		return wlen >= 2 ? 2 : 0;
	}
	if (type == 0x00 && req == 9) /* SET_CONFIGURATION */
		return 0;
	if (type == 0x02 && req == 1 && val == 0) { /* CLEAR_FEATURE(ENDPOINT_HALT) */
		stlink_emu_stall(e, (uint8_t)idx, 0);
		return 0;
	}
	return -EPIPE;
}

/* ---- lifetime, identity, state ---- */

struct stlink_emu *stlink_emu_new(const struct stlink_emu_config *cfg, struct sim_chip *chip,
				  char *err, size_t errlen)
{
	struct stlink_emu *e = calloc(1, sizeof(*e));

	if (!e) {
		seterr(err, errlen, "stlink_emu: %s", "out of memory");
		return NULL;
	}
	e->cfg = *cfg;
	e->chip = chip;
	e->nreset = 1;
	stlink_emu_replug(e);
	e->cfg.unplug_after = cfg->unplug_after;
	if (cfg->stall_ep)
		stlink_emu_stall(e, cfg->stall_ep, 1);
	return e;
}

struct stlink_emu *stlink_emu_new_spec(const char *emuspec, const char *simspec, char *err,
				       size_t errlen)
{
	struct stlink_emu_config cfg;
	struct sim_config sc;
	struct sim_chip *chip = NULL;
	struct stlink_emu *e;
	char sb[512];

	if (stlink_emu_config_parse(&cfg, emuspec, err, errlen))
		return NULL;
	if (!simspec || strcmp(simspec, "none")) {
		if (sim_config_parse(&sc, simspec ? simspec : "", sb, sizeof(sb), err, errlen))
			return NULL;
		chip = sim_chip_new(&sc, err, errlen);
		if (!chip)
			return NULL;
	}
	e = stlink_emu_new(&cfg, chip, err, errlen);
	if (!e) {
		if (chip)
			sim_chip_free(chip);
		return NULL;
	}
	e->own_chip = 1;
	return e;
}

void stlink_emu_free(struct stlink_emu *e)
{
	if (!e)
		return;
	if (e->own_chip && e->chip)
		sim_chip_free(e->chip);
	free(e);
}

struct sim_chip *stlink_emu_chip(struct stlink_emu *e) { return e->chip; }
const struct stlink_emu_config *stlink_emu_config(const struct stlink_emu *e) { return &e->cfg; }
uint16_t stlink_emu_pid(const struct stlink_emu *e) { return e->cfg.pid; }
uint8_t stlink_emu_ep_out(const struct stlink_emu *e)
{
	return e->cfg.model == STLINK_EMU_V2 ? 0x02 : 0x01;
}
uint8_t stlink_emu_ep_in(const struct stlink_emu *e) { (void)e; return 0x81; }
uint8_t stlink_emu_ep_trace(const struct stlink_emu *e)
{
	return e->cfg.model == STLINK_EMU_V2 ? 0x83 : 0x82;
}
unsigned stlink_emu_max_packet(const struct stlink_emu *e) { return is_v3(e) ? 512 : 64; }
unsigned stlink_emu_speed_mbps(const struct stlink_emu *e) { return is_v3(e) ? 480 : 12; }

const struct stlink_emu_counters *stlink_emu_counters(const struct stlink_emu *e)
{
	return &e->cnt;
}

void stlink_emu_counters_reset(struct stlink_emu *e) { memset(&e->cnt, 0, sizeof(e->cnt)); }

int stlink_emu_counters_json(const struct stlink_emu *e, char *buf, size_t len)
{
	const struct stlink_emu_counters *c = &e->cnt;

	return snprintf(buf, len,
			"{\"commands\": %llu, \"bulk_out\": %llu, \"bulk_in\": %llu, "
			"\"bulk_transfers\": %llu, \"bytes_out\": %llu, \"bytes_in\": %llu, "
			"\"control\": %llu, \"mem_commands\": %llu, \"bad_status\": %llu, "
			"\"unknown_commands\": %llu, \"swd_transfers\": %llu, "
			"\"swd_wait_retries\": %llu, \"swd_waits_reported\": %llu, "
			"\"swd_faults\": %llu, \"nrst_pulses\": %llu, \"usb_ns\": %llu, "
			"\"swd_ns\": %llu, \"modelled_ns\": %llu, \"swd_khz\": %u, "
			"\"cmd_ns\": %u, \"pkt_ns\": %u}",
			(unsigned long long)c->commands, (unsigned long long)c->bulk_out,
			(unsigned long long)c->bulk_in,
			(unsigned long long)(c->bulk_out + c->bulk_in),
			(unsigned long long)c->bytes_out, (unsigned long long)c->bytes_in,
			(unsigned long long)c->control, (unsigned long long)c->mem_commands,
			(unsigned long long)c->bad_status, (unsigned long long)c->unknown_commands,
			(unsigned long long)c->swd_transfers,
			(unsigned long long)c->swd_wait_retries,
			(unsigned long long)c->swd_waits_reported, (unsigned long long)c->swd_faults,
			(unsigned long long)c->nrst_pulses, (unsigned long long)c->usb_ns,
			(unsigned long long)c->swd_ns, (unsigned long long)c->modelled_ns,
			(unsigned)e->khz, e->cfg.cmd_ns,
			is_v3(e) ? STLINK_EMU_PKT_NS_HS : STLINK_EMU_PKT_NS);
}

uint32_t stlink_emu_swd_khz(const struct stlink_emu *e) { return e->khz; }
int stlink_emu_mode(const struct stlink_emu *e) { return e->mode; }
int stlink_emu_nreset(const struct stlink_emu *e) { return e->nreset; }
void stlink_emu_unplug(struct stlink_emu *e) { e->unplugged = 1; }
void stlink_emu_unplug_after(struct stlink_emu *e, uint64_t n)
{
	e->cfg.unplug_after = n ? e->cnt.commands + n : 0;
}

void stlink_emu_replug(struct stlink_emu *e)
{
	e->unplugged = 0;
	e->mode = e->cfg.start_mode;
	e->data_want = e->data_have = 0;
	e->reply_len = e->reply_off = 0;
	e->lrw_status = STLINK_EMU_ST_OK;
	e->lrw_addr = 0;
	e->mem_sticky = 0;
	e->select_valid = 0;
	e->halted[0] = e->halted[1] = 0;
	e->cfg.unplug_after = 0;
	forget_aps(e);
	set_khz(e, is_v3(e) ? 1000 : 1800);
	if (e->nreset == 0 && e->chip)
		sim_nreset(e->chip, 1);
	e->nreset = 1;
}

int stlink_emu_unplugged(const struct stlink_emu *e) { return e->unplugged; }

void stlink_emu_stall(struct stlink_emu *e, uint8_t ep, int halted)
{
	int i = ep_index(e, ep);

	if (i >= 0)
		e->halted[i] = (uint8_t)(halted != 0);
}

int stlink_emu_stalled(const struct stlink_emu *e, uint8_t ep)
{
	int i = ep_index(e, ep);

	return i >= 0 && e->halted[i];
}
