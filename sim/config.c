// SPDX-License-Identifier: GPL-2.0-or-later
/* config: spec parsing, chip lifetime, persistence and time.
 *
 * State file (little-endian): "SWDSIM01", u32 INFO.PART, u32 flash size,
 * u32 UICR size, u32 PID of the process that holds it (informational, for
 * the message a second one gets; 0 once it let go), then flash and UICR
 * bytes.
 *
 * Non-volatile like the flash it models: the file is mapped MAP_SHARED and
 * the chip's flash and UICR live in that mapping, so every NVMC write and
 * erase is in the file (the kernel's page cache) the moment the simulated
 * NVMC does it, and a kill -9 of whatever holds the chip loses nothing.
 * sim_chip_save() and a clean exit add an msync (durable across a power
 * loss of the host too). A new file is written whole (blank chip) as a
 * temporary file, fsynced and linked into place, never replacing one that
 * exists.
 *
 * One holder: the file is flock(2)ed (exclusive, non-blocking) while a
 * chip uses it, so a second process on the same file is refused, naming
 * the first; the lock dies with its holder, so a crashed one blocks
 * nothing. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
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
	size_t used = 0;  /* of strbuf: state= and bench= paths */
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
		} else if (KEY("locked") || KEY("wallclock") ||
			   KEY("realtime") || KEY("absent")) {
			int b;
			if (parse_bool(v, vlen, &b)) {
				seterr(err, errlen, "sim: %.*s must be 0 or 1, not '%.*s'",
				       (int)klen, p, (int)vlen, v);
				return -1;
			}
			if (KEY("locked"))
				cfg->locked = b;
			else if (KEY("realtime"))
				cfg->realtime = b;
			else if (KEY("absent"))
				cfg->absent = b;
			else
				cfg->wallclock = b;
		} else if (KEY("core")) {
			if (vlen == 4 && !strncmp(v, "hang", 4)) {
				cfg->core_hang = 1;
			} else if (vlen == 5 && !strncmp(v, "fault", 5)) {
				cfg->core_fault = 1;
			} else {
				seterr(err, errlen, "sim: core must be hang or fault, not '%.*s'",
				       (int)vlen, v);
				return -1;
			}
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
		} else if (KEY("power_loss_at_write")) {
			uint64_t n;
			if (parse_u64(v, vlen, &n)) {
				seterr(err, errlen, "sim: power_loss_at_write must be a number, not '%.*s'",
				       (int)vlen, v);
				return -1;
			}
			cfg->power_loss_at_write = n;
		} else if (KEY("state") || KEY("bench")) {
			if (vlen == 0) {
				seterr(err, errlen, "sim: %.*s= needs a path", (int)klen, p);
				return -1;
			}
			if (!strbuf || used + vlen + 1 > strbuf_len) {
				seterr(err, errlen, "sim: %.*s path too long", (int)klen, p);
				return -1;
			}
			memcpy(strbuf + used, v, vlen);
			strbuf[used + vlen] = 0;
			if (KEY("state"))
				cfg->state_path = strbuf + used;
			else
				cfg->bench_dir = strbuf + used;
			used += vlen + 1;
		} else {
			seterr(err, errlen, "sim: unknown key '%.*s' (part, rev, locked, "
			       "state, period_ns, device_id, wallclock, realtime, absent, core, bench, "
			       "power_loss_at_write)",
			       (int)klen, p);
			return -1;
		}
#undef KEY
		if (!end)
			break;
		p = end + 1;
	}
	if (cfg->bench_dir && cfg->state_path) {
		seterr(err, errlen, "sim: bench= and state= exclude each other (each board of a "
		       "bench has its own state file)");
		return -1;
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

static void put_header(uint8_t *h, const struct sim_chip *c, uint32_t pid)
{
	memcpy(h, STATE_MAGIC, 8);
	put32(h + 8, c->pi->info_part);
	put32(h + 12, c->pi->flash_size);
	put32(h + 16, SIM_UICR_SIZE);
	put32(h + 20, pid);
}

/* A blank chip (UICR.APPROTECT enabled when locked) written whole to a
 * temporary file and linked to the state path: a state file is never
 * seen half written, and one that exists (another process was quicker)
 * is never replaced. 0 (made or already there) or -1 with errno. */
static int create_state(struct sim_chip *c)
{
	size_t n = strlen(c->state_path);
	char *tmp = malloc(n + 32);
	uint8_t h[STATE_HDR], *blank;
	int bad, e;

	if (!tmp)
		return -1;
	blank = malloc(c->pi->flash_size);
	if (!blank) {
		free(tmp);
		return -1;
	}
	memset(blank, 0xFF, c->pi->flash_size);
	snprintf(tmp, n + 32, "%s.tmp.%ld", c->state_path, (long)getpid());
	FILE *f = fopen(tmp, "wbe");
	if (!f) {
		e = errno;
		free(blank);
		free(tmp);
		errno = e;
		return -1;
	}
	put_header(h, c, 0);
	bad = fwrite(h, 1, sizeof h, f) != sizeof h ||
		fwrite(blank, 1, c->pi->flash_size, f) != c->pi->flash_size;
	memset(blank, 0xFF, SIM_UICR_SIZE);
	if (c->cfg.locked) {
		/* a chip that leaves the factory locked: UICR.APPROTECT = 0x00
		 * (Enabled); one loaded from its file keeps its UICR, so a
		 * recover is not undone at the next start */
		memset(blank + SIM_UICR_APPROTECT, 0, 4);
	}
	bad = bad || fwrite(blank, 1, SIM_UICR_SIZE, f) != SIM_UICR_SIZE ||
		fflush(f) || fsync(fileno(f));
	e = errno;
	if (fclose(f) && !bad) {
		bad = 1;
		e = errno;
	}
	free(blank);
	if (!bad && link(tmp, c->state_path) && errno != EEXIST) {
		bad = 1;
		e = errno;
	}
	unlink(tmp);
	free(tmp);
	errno = e;
	return bad ? -1 : 0;
}

/* Open (creating a blank chip if there is none), lock and map the state
 * file; flash and UICR then point into it. 0 or -1 with a message. */
static int open_state(struct sim_chip *c, char *err, size_t errlen)
{
	const char *path = c->state_path;
	size_t want = STATE_HDR + (size_t)c->pi->flash_size + SIM_UICR_SIZE;
	uint8_t h[STATE_HDR];
	struct stat st;
	FILE *f = NULL;
	void *map;

	for (int tries = 0; !f && tries < 2; tries++) {
		f = fopen(path, "r+be");
		if (f || errno != ENOENT)
			break;
		if (create_state(c)) {
			seterr(err, errlen, "sim: cannot create the state file %s: %s", path,
			       strerror(errno));
			return -1;
		}
	}
	if (!f) {
		seterr(err, errlen, "sim: cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	if (flock(fileno(f), LOCK_EX | LOCK_NB)) {
		int e = errno;
		if (e == EWOULDBLOCK && fread(h, 1, sizeof h, f) == sizeof h && get32(h + 20))
			seterr(err, errlen, "sim: %s is in use by process %" PRIu32 " (one "
			       "process per simulated chip)", path, get32(h + 20));
		else if (e == EWOULDBLOCK)
			seterr(err, errlen, "sim: %s is in use by another process (one process "
			       "per simulated chip)", path);
		else
			seterr(err, errlen, "sim: cannot lock %s: %s", path, strerror(e));
		fclose(f);
		errno = e == EWOULDBLOCK ? EBUSY : e;  /* swd/probe.c: SF_E_BUSY */
		return -1;
	}
	if (fread(h, 1, sizeof h, f) != sizeof h || memcmp(h, STATE_MAGIC, 8)) {
		seterr(err, errlen, "sim: %s is not a simulator state file", path);
		goto fail;
	}
	uint32_t part = get32(h + 8), fsz = get32(h + 12), usz = get32(h + 16);
	if (part != c->pi->info_part) {
		seterr(err, errlen, "sim: %s holds an nRF%" PRIx32 ", not an %s",
		       path, part, c->pi->name);
		goto fail;
	}
	if (fsz != c->pi->flash_size || usz != SIM_UICR_SIZE) {
		seterr(err, errlen, "sim: %s has the wrong sizes", path);
		goto fail;
	}
	if (fstat(fileno(f), &st) || (uint64_t)st.st_size < want) {
		seterr(err, errlen, "sim: %s is truncated", path);
		goto fail;
	}
	map = mmap(NULL, want, PROT_READ | PROT_WRITE, MAP_SHARED, fileno(f), 0);
	if (map == MAP_FAILED) {
		seterr(err, errlen, "sim: cannot map %s: %s", path, strerror(errno));
		goto fail;
	}
	c->state_f = f;
	c->state_map = map;
	c->state_len = want;
	c->flash = c->state_map + STATE_HDR;
	c->uicr = c->flash + fsz;
	put32(c->state_map + 20, (uint32_t)getpid());
	return 0;
fail:
	fclose(f);
	return -1;
}

int sim_chip_save(struct sim_chip *c)
{
	/* every write is in the file already; this makes it durable */
	if (!c->state_map)
		return 0;
	return msync(c->state_map, c->state_len, MS_SYNC);
}

static void close_state(struct sim_chip *c)
{
	if (!c->state_map)
		return;
	put32(c->state_map + 20, 0);  /* nobody holds it: the file is as it was */
	if (sim_chip_save(c) < 0)
		fprintf(stderr, "sim: cannot save %s: %s\n", c->state_path, strerror(errno));
	munmap(c->state_map, c->state_len);
	c->state_map = NULL;
	fclose(c->state_f);  /* releases the lock */
	c->state_f = NULL;
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
	c->ram = calloc(1, pi->ram_size);
	if (cfg->state_path)
		c->state_path = strdup(cfg->state_path);
	else if (!cfg->bench_dir)
		c->flash = malloc(pi->flash_size);
	if ((!c->flash && !c->state_path && !cfg->bench_dir) || !c->ram || (cfg->state_path && !c->state_path)) {
		seterr(err, errlen, "sim: out of memory");
		goto fail;
	}
	c->cfg.state_path = c->state_path;
	if (cfg->bench_dir) {
		c->cfg.bench_dir = strdup(cfg->bench_dir);
		c->bench_blank = malloc(SIM_BENCH_FLASH_MAX);
		c->flash = c->bench_blank;
		if (!c->cfg.bench_dir || !c->bench_blank) {
			seterr(err, errlen, "sim: out of memory");
			goto fail;
		}
		memset(c->bench_blank, 0xFF, SIM_BENCH_FLASH_MAX);
	}
	c->period_ns = cfg->swclk_period_ns ? cfg->swclk_period_ns : 1000;
	c->cfg.swclk_period_ns = c->period_ns;
	c->wall0_ns = mono_ns();
	c->next_event = UINT64_MAX;
	if (c->state_path) {
		/* flash and UICR live in the file (locked=1 applies to a new one) */
		if (open_state(c, err, errlen) < 0)
			goto fail;
	} else {
		c->uicr = c->uicr_mem;
		memset(c->flash, 0xFF, pi->flash_size);
		memset(c->uicr, 0xFF, SIM_UICR_SIZE);
		if (cfg->locked)
			c->uicr[SIM_UICR_APPROTECT] = 0;  /* leaves the factory locked */
	}
	sim_ficr_init(c);
	c->rng = c->ficr[0x060 / 4] ^ 0x5DEECE66Dull;
	sim_system_reset(c, SIM_RST_POWER);
	memset(&c->cnt, 0, sizeof c->cnt);
	if (cfg->absent || cfg->bench_dir)
		sim_fault_absent(c, 1);
	if (cfg->power_loss_at_write)
		sim_fault_power_loss_at_write(c, cfg->power_loss_at_write);
	if (cfg->bench_dir)
		sim_bench_poll(c);
	return c;
fail:;
	int e = errno;  /* EBUSY: the state file is in use */
	if (!c->state_path && !c->bench_blank)
		free(c->flash);
	free(c->bench_blank);
	free((char *)c->cfg.bench_dir);
	free(c->ram);
	free(c->state_path);
	free(c);
	errno = e;
	return NULL;
}

void sim_chip_free(struct sim_chip *c)
{
	if (!c)
		return;
	sim_core_free(c);
	if (c->state_path)
		close_state(c);
	else if (!c->bench_blank)
		free(c->flash);
	free(c->bench_blank);
	free((char *)c->cfg.bench_dir);
	free(c->ram);
	free(c->state_path);
	free(c);
}

/* ---- bench ---- */

const char *sim_bench_board(const struct sim_chip *c)
{
	return c->bench_board;
}

/* The board named in DIR/slot into name ("" for none or a bad name);
 * bad: the slot's text when it is not a board name. */
static void bench_read_slot(const char *dir, char *name, size_t len, char *bad, size_t badlen)
{
	char path[4200], line[128];
	FILE *f;

	name[0] = 0;
	bad[0] = 0;
	snprintf(path, sizeof path, "%s/slot", dir);
	f = fopen(path, "re");
	if (!f)
		return;
	if (fgets(line, sizeof line, f)) {
		size_t n = strcspn(line, " \t\r\n");
		line[n] = 0;
		int ok = n > 0 && n < len;
		for (size_t i = 0; ok && i < n; i++)
			ok = (line[i] >= 'a' && line[i] <= 'z') || (line[i] >= 'A' && line[i] <= 'Z') ||
			     (line[i] >= '0' && line[i] <= '9') || strchr("_.-", line[i]);
		if (ok && line[0] != '.')
			memcpy(name, line, n + 1);
		else if (n)
			snprintf(bad, badlen, "%.63s", line);
	}
	fclose(f);
}

/* Pull the board out: its state file is synced and released. */
static void bench_pull(struct sim_chip *c)
{
	sim_core_free(c);  /* it maps this board's flash and RAM; made again on use */
	if (c->state_path) {
		close_state(c);
		free(c->state_path);
		c->state_path = NULL;
		c->cfg.state_path = NULL;
	}
	c->flash = c->bench_blank;
	c->uicr = c->uicr_mem;
	c->bench_board[0] = 0;
	sim_fault_absent(c, 1);
}

/* Plug board name in: its spec, then its state file, then power on. */
static int bench_plug(struct sim_chip *c, const char *name, int quiet)
{
	char path[4200], line[512], strbuf[8], msg[256];
	struct sim_config bc;
	FILE *f;

	snprintf(path, sizeof path, "%s/%s.board", c->cfg.bench_dir, name);
	f = fopen(path, "re");
	if (!f) {
		if (!quiet)
			fprintf(stderr, "sim: bench board %s: %s: %s\n", name, path, strerror(errno));
		return -1;
	}
	if (!fgets(line, sizeof line, f))
		line[0] = 0;
	fclose(f);
	line[strcspn(line, "\r\n")] = 0;
	if (sim_config_parse(&bc, line, strbuf, sizeof strbuf, msg, sizeof msg)) {
		if (!quiet)
			fprintf(stderr, "sim: bench board %s: %s\n", name, msg);
		return -1;
	}
	const struct sim_part_info *pi = sim_part_lookup(bc.part);
	uint8_t *ram = calloc(1, pi->ram_size);
	snprintf(path, sizeof path, "%s/%s.chip", c->cfg.bench_dir, name);
	char *sp = strdup(path);
	if (!ram || !sp) {
		free(ram);
		free(sp);
		return -1;
	}
	sim_core_free(c);
	free(c->ram);
	c->ram = ram;
	c->pi = pi;
	c->cfg.part = bc.part;
	c->cfg.rev = bc.rev;
	c->cfg.locked = bc.locked;
	c->cfg.device_id = bc.device_id;
	c->state_path = sp;
	c->cfg.state_path = sp;
	if (open_state(c, msg, sizeof msg) < 0) {
		if (!quiet)
			fprintf(stderr, "sim: bench board %s: %s\n", name, msg);
		free(c->state_path);
		c->state_path = NULL;
		c->cfg.state_path = NULL;
		c->flash = c->bench_blank;
		c->uicr = c->uicr_mem;
		return -1;
	}
	snprintf(c->bench_board, sizeof c->bench_board, "%s", name);
	sim_ficr_init(c);
	c->lost = 0;
	c->lose_at = 0;
	sim_fault_absent(c, 0);
	sim_system_reset(c, SIM_RST_POWER);
	c->power_loss_at_write = 0;
	if (bc.power_loss_at_write)
		sim_fault_power_loss_at_write(c, bc.power_loss_at_write);
	return 0;
}

void sim_bench_poll(struct sim_chip *c)
{
	char name[sizeof c->bench_board], bad[sizeof c->bench_bad];

	c->bench_xfers = c->xfers;
	bench_read_slot(c->cfg.bench_dir, name, sizeof name, bad, sizeof bad);
	if (bad[0] && strcmp(bad, c->bench_bad))
		fprintf(stderr, "sim: bench slot names a bad board '%s'\n", bad);
	if (!strcmp(name, c->bench_board)) {
		if (!name[0])
			snprintf(c->bench_bad, sizeof c->bench_bad, "%s", bad);
		return;
	}
	if (c->bench_board[0])
		bench_pull(c);
	/* a board that cannot be plugged in is tried again at every look (its
	 * files may be fixed) and said once */
	if (name[0] && bench_plug(c, name, !strcmp(name, c->bench_bad)))
		snprintf(c->bench_bad, sizeof c->bench_bad, "%s", name);
	else
		snprintf(c->bench_bad, sizeof c->bench_bad, "%s", bad);
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
