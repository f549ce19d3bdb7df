// SPDX-License-Identifier: GPL-2.0-or-later
/* config: spec parsing, chip lifetime, persistence and time.
 *
 * State file (little-endian): "SWDSIM01", u32 INFO.PART, u32 flash size,
 * u32 UICR size, u32 0, then flash and UICR bytes. Written to a temporary
 * file in the same directory, fsynced and renamed over the old one. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sim_internal.h"

#define STATE_MAGIC "SWDSIM01"
#define STATE_HDR 24u

static void seterr(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
	if (!err || !errlen)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static int parse_u64(const char *s, size_t n, uint64_t *out)
{
	char buf[32];
	if (n == 0 || n >= sizeof buf)
		return -1;
	memcpy(buf, s, n);
	buf[n] = 0;
	if (buf[0] == '-')
		return -1;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(buf, &end, 0);
	if (errno || *end)
		return -1;
	*out = v;
	return 0;
}

static int parse_bool(const char *s, size_t n, int *out)
{
	if (n == 1 && (s[0] == '0' || s[0] == '1')) {
		*out = s[0] == '1';
		return 0;
	}
	return -1;
}

int sim_config_parse(struct sim_config *cfg, const char *spec,
		     char *strbuf, size_t strbuf_len, char *err, size_t errlen)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->part = SIM_NRF52840;
	cfg->rev = SIM_REV_LEGACY;
	cfg->swclk_period_ns = 1000;
	if (!spec)
		return 0;
	const char *p = spec;
	while (*p) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		const char *eq = memchr(p, '=', len);
		if (len == 0) {
			p += end ? 1 : 0;
			if (!end)
				break;
			continue;
		}
		if (!eq) {
			seterr(err, errlen, "sim: '%.*s' is not key=value", (int)len, p);
			return -1;
		}
		size_t klen = (size_t)(eq - p);
		const char *v = eq + 1;
		size_t vlen = len - klen - 1;
#define KEY(k) (klen == strlen(k) && !strncmp(p, k, klen))
		if (KEY("part")) {
			char name[16];
			const struct sim_part_info *pi = NULL;
			if (vlen < sizeof name) {
				memcpy(name, v, vlen);
				name[vlen] = 0;
				pi = sim_part_by_name(name);
			}
			if (!pi) {
				seterr(err, errlen, "sim: unknown part '%.*s' (nrf52832, nrf52833, nrf52840)",
				       (int)vlen, v);
				return -1;
			}
			cfg->part = pi->part;
		} else if (KEY("rev")) {
			if (vlen == 6 && !strncmp(v, "legacy", 6)) {
				cfg->rev = SIM_REV_LEGACY;
			} else if (vlen == 8 && !strncmp(v, "hardened", 8)) {
				cfg->rev = SIM_REV_HARDENED;
			} else {
				seterr(err, errlen, "sim: unknown rev '%.*s' (legacy, hardened)", (int)vlen, v);
				return -1;
			}
		} else if (KEY("locked") || KEY("fw_approtect") || KEY("wallclock") ||
			   KEY("realtime") || KEY("absent")) {
			int b;
			if (parse_bool(v, vlen, &b)) {
				seterr(err, errlen, "sim: %.*s must be 0 or 1, not '%.*s'",
				       (int)klen, p, (int)vlen, v);
				return -1;
			}
			if (KEY("locked"))
				cfg->locked = b;
			else if (KEY("fw_approtect"))
				cfg->fw_disables_approtect = b;
			else if (KEY("realtime"))
				cfg->realtime = b;
			else if (KEY("absent"))
				cfg->absent = b;
			else
				cfg->wallclock = b;
		} else if (KEY("period_ns")) {
			uint64_t n;
			if (parse_u64(v, vlen, &n) || n == 0 || n > 1000000000u) {
				seterr(err, errlen, "sim: period_ns must be 1..1000000000, not '%.*s'",
				       (int)vlen, v);
				return -1;
			}
			cfg->swclk_period_ns = (uint32_t)n;
		} else if (KEY("device_id")) {
			uint64_t n;
			if (parse_u64(v, vlen, &n) || n == 0) {
				seterr(err, errlen, "sim: device_id must be a non-zero number, not '%.*s'",
				       (int)vlen, v);
				return -1;
			}
			cfg->device_id = n;
		} else if (KEY("state")) {
			if (vlen == 0) {
				seterr(err, errlen, "sim: state= needs a path");
				return -1;
			}
			if (!strbuf || vlen + 1 > strbuf_len) {
				seterr(err, errlen, "sim: state path too long");
				return -1;
			}
			memcpy(strbuf, v, vlen);
			strbuf[vlen] = 0;
			cfg->state_path = strbuf;
		} else {
			seterr(err, errlen, "sim: unknown key '%.*s' (part, rev, locked, fw_approtect, "
			       "state, period_ns, device_id, wallclock, realtime, absent)", (int)klen, p);
			return -1;
		}
#undef KEY
		if (!end)
			break;
		p = end + 1;
	}
	return 0;
}

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* stdio, not open(2): glibc's fopen does not go through an interposed
 * open(), so the simulator also works inside an LD_PRELOAD shim that
 * wraps open() (tests/gpiochip_emu). */

/* 1 loaded, 0 no file (blank chip), -1 error. */
static int load_state(struct sim_chip *c, char *err, size_t errlen)
{
	FILE *f = fopen(c->state_path, "rbe");
	if (!f) {
		if (errno == ENOENT)
			return 0;
		seterr(err, errlen, "sim: cannot open %s: %s", c->state_path, strerror(errno));
		return -1;
	}
	uint8_t h[STATE_HDR];
	int rc = -1;
	if (fread(h, 1, sizeof h, f) != sizeof h || memcmp(h, STATE_MAGIC, 8)) {
		seterr(err, errlen, "sim: %s is not a simulator state file", c->state_path);
		goto out;
	}
	uint32_t part = get32(h + 8), fsz = get32(h + 12), usz = get32(h + 16);
	if (part != c->pi->info_part) {
		seterr(err, errlen, "sim: %s holds an nRF%" PRIx32 ", not an %s",
		       c->state_path, part, c->pi->name);
		goto out;
	}
	if (fsz != c->pi->flash_size || usz != SIM_UICR_SIZE) {
		seterr(err, errlen, "sim: %s has the wrong sizes", c->state_path);
		goto out;
	}
	if (fread(c->flash, 1, fsz, f) != fsz || fread(c->uicr, 1, usz, f) != usz) {
		seterr(err, errlen, "sim: %s is truncated", c->state_path);
		goto out;
	}
	rc = 1;
out:
	fclose(f);
	return rc;
}

int sim_chip_save(struct sim_chip *c)
{
	if (!c->state_path)
		return 0;
	size_t n = strlen(c->state_path);
	char *tmp = malloc(n + 32);
	if (!tmp)
		return -1;
	snprintf(tmp, n + 32, "%s.tmp.%ld", c->state_path, (long)getpid());
	FILE *f = fopen(tmp, "wbe");
	if (!f) {
		free(tmp);
		return -1;
	}
	uint8_t h[STATE_HDR];
	memcpy(h, STATE_MAGIC, 8);
	put32(h + 8, c->pi->info_part);
	put32(h + 12, c->pi->flash_size);
	put32(h + 16, SIM_UICR_SIZE);
	put32(h + 20, 0);
	int bad = fwrite(h, 1, sizeof h, f) != sizeof h ||
		fwrite(c->flash, 1, c->pi->flash_size, f) != c->pi->flash_size ||
		fwrite(c->uicr, 1, SIM_UICR_SIZE, f) != SIM_UICR_SIZE ||
		fflush(f) || fsync(fileno(f));
	if (fclose(f))
		bad = 1;
	if (bad || rename(tmp, c->state_path)) {
		int e = errno;
		unlink(tmp);
		free(tmp);
		errno = e;
		return -1;
	}
	free(tmp);
	return 0;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

struct sim_chip *sim_chip_new(const struct sim_config *cfg, char *err, size_t errlen)
{
	const struct sim_part_info *pi = sim_part_lookup(cfg->part);
	if (!pi) {
		seterr(err, errlen, "sim: unknown part %d", (int)cfg->part);
		return NULL;
	}
	if (cfg->rev != SIM_REV_LEGACY && cfg->rev != SIM_REV_HARDENED) {
		seterr(err, errlen, "sim: unknown revision %d", (int)cfg->rev);
		return NULL;
	}
	struct sim_chip *c = calloc(1, sizeof *c);
	if (!c) {
		seterr(err, errlen, "sim: out of memory");
		return NULL;
	}
	c->cfg = *cfg;
	c->pi = pi;
	c->flash = malloc(pi->flash_size);
	c->ram = calloc(1, pi->ram_size);
	if (cfg->state_path)
		c->state_path = strdup(cfg->state_path);
	if (!c->flash || !c->ram || (cfg->state_path && !c->state_path)) {
		seterr(err, errlen, "sim: out of memory");
		goto fail;
	}
	c->cfg.state_path = c->state_path;
	c->period_ns = cfg->swclk_period_ns ? cfg->swclk_period_ns : 1000;
	c->cfg.swclk_period_ns = c->period_ns;
	c->wall0_ns = mono_ns();
	c->next_event = UINT64_MAX;
	memset(c->flash, 0xFF, pi->flash_size);
	memset(c->uicr, 0xFF, SIM_UICR_SIZE);
	int loaded = 0;
	if (c->state_path && (loaded = load_state(c, err, errlen)) < 0)
		goto fail;
	if (cfg->locked && !loaded) {
		/* A chip that leaves the factory locked: UICR.APPROTECT = 0x00
		 * (Enabled). A chip loaded from its state file keeps its UICR,
		 * so a recover is not undone at the next start. */
		c->uicr[SIM_UICR_APPROTECT] = 0;
	}
	sim_ficr_init(c);
	c->rng = c->ficr[0x060 / 4] ^ 0x5DEECE66Dull;
	sim_system_reset(c, SIM_RST_POWER);
	memset(&c->cnt, 0, sizeof c->cnt);
	if (cfg->absent)
		sim_fault_absent(c, 1);
	/* A new chip is written out now, so that an unusable state path is an
	 * error here rather than a lost chip at exit. */
	if (c->state_path && !loaded && sim_chip_save(c) < 0) {
		seterr(err, errlen, "sim: cannot create the state file %s: %s", c->state_path,
		       strerror(errno));
		goto fail;
	}
	return c;
fail:
	free(c->flash);
	free(c->ram);
	free(c->state_path);
	free(c);
	return NULL;
}

void sim_chip_free(struct sim_chip *c)
{
	if (!c)
		return;
	if (c->state_path && sim_chip_save(c) < 0)
		fprintf(stderr, "sim: cannot save %s: %s\n", c->state_path, strerror(errno));
	free(c->flash);
	free(c->ram);
	free(c->state_path);
	free(c);
}

/* ---- time ---- */

void sim_delay_ns(struct sim_chip *c, uint64_t ns)
{
	sim_now(c);
	c->t_ns += ns;
}

uint64_t sim_time_ns(const struct sim_chip *c)
{
	uint64_t t = c->t_ns;
	if (c->cfg.wallclock || c->cfg.realtime) {
		uint64_t w = mono_ns() - c->wall0_ns;
		if (w > t)
			t = w;
	}
	return t;
}

void sim_set_period_ns(struct sim_chip *c, uint32_t ns)
{
	c->period_ns = ns ? ns : 1000;
}
