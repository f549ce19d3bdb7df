// SPDX-License-Identifier: GPL-2.0-or-later
/* progress: see progress.h. */
#include "progress.h"

#include <stdlib.h>
#include <string.h>

#include "../common/clock.h"

#define PROGRESS_BAR 24
#define PROGRESS_REDRAW_NS 100000000LL  /* at most 10 redraws a second */
#define PROGRESS_PLAIN_MIN 65536U

struct progress {
	FILE *out;
	int tty;
	char phase[16];
	int64_t t_start, t_drawn;
	int last_quarter;   /* plain mode: last 25 % step printed */
	int open_line;      /* tty: a bar line is on screen */
	uint64_t done, total;
};

struct progress *progress_new(FILE *out, int tty)
{
	struct progress *p = calloc(1, sizeof(*p));

	if (p) {
		p->out = out;
		p->tty = tty;
	}
	return p;
}

void progress_free(struct progress *p)
{
	if (p) {
		progress_end(p);
		free(p);
	}
}

static void progress_rate(const struct progress *p, int64_t now, double *kibs, double *eta)
{
	double s = (double)(now - p->t_start) / 1e9;

	*kibs = s > 0.05 ? (double)p->done / 1024.0 / s : 0;
	*eta = (*kibs > 0 && p->total > p->done) ? (double)(p->total - p->done) / 1024.0 / *kibs
						 : -1;
}

static void progress_draw(struct progress *p, int64_t now)
{
	char bar[PROGRESS_BAR + 1], eta_s[16] = "--:--";
	unsigned pct = p->total ? (unsigned)(p->done * 100 / p->total) : 0;
	unsigned fill = p->total ? (unsigned)(p->done * PROGRESS_BAR / p->total) : 0;
	double kibs, eta;

	progress_rate(p, now, &kibs, &eta);
	for (unsigned i = 0; i < PROGRESS_BAR; i++)
		bar[i] = i < fill ? '#' : '-';
	bar[PROGRESS_BAR] = '\0';
	if (eta >= 0)
		snprintf(eta_s, sizeof(eta_s), "%d:%02d", (int)eta / 60, (int)eta % 60);
	else if (p->total && p->done >= p->total)
		snprintf(eta_s, sizeof(eta_s), "0:00");
	fprintf(p->out, "\r\033[K%-8s [%s] %3u%%  %7.1f KiB/s  ETA %s", p->phase, bar, pct, kibs,
		eta_s);
	fflush(p->out);
	p->open_line = 1;
	p->t_drawn = now;
}

void progress_end(struct progress *p)
{
	if (p && p->tty && p->open_line) {
		progress_draw(p, clock_mono_ns());
		fputc('\n', p->out);
		fflush(p->out);
		p->open_line = 0;
	}
}

void progress_update(struct progress *p, const char *phase, uint64_t done, uint64_t total)
{
	int64_t now = clock_mono_ns();
	int new_phase = strncmp(p->phase, phase, sizeof(p->phase) - 1) != 0;

	if (new_phase) {
		progress_end(p);
		snprintf(p->phase, sizeof(p->phase), "%s", phase);
		p->t_start = now;
		p->t_drawn = 0;
		p->last_quarter = -1;
	}
	p->done = done;
	p->total = total;
	if (p->tty) {
		if (new_phase || done >= total || now - p->t_drawn >= PROGRESS_REDRAW_NS)
			progress_draw(p, now);
		return;
	}
	/* plain lines: short jobs are not worth a log line per quarter */
	if (total > 1 && total < PROGRESS_PLAIN_MIN)
		return;
	{
		int q = total ? (int)(done * 4 / total) : 4;
		double kibs, eta;

		if (q == p->last_quarter)
			return;
		p->last_quarter = q;
		progress_rate(p, now, &kibs, &eta);
		if (total > 1 && done >= total && kibs > 0)
			fprintf(p->out, "%s: 100%% (%llu bytes, %.1f KiB/s)\n", phase,
				(unsigned long long)total, kibs);
		else if (total > 1)
			fprintf(p->out, "%s: %3u%% (%llu of %llu bytes)\n", phase,
				(unsigned)(done * 100 / total), (unsigned long long)done,
				(unsigned long long)total);
		else if (done >= total)
			fprintf(p->out, "%s: done\n", phase);
		else
			fprintf(p->out, "%s...\n", phase);
		fflush(p->out);
	}
}
