// SPDX-License-Identifier: GPL-2.0-or-later
/* benchio's back end on libgpiod 1.x (benchio_be.h). */
#if SWD_GPIOD_VERSION_MAJOR < 2
#include "benchio_be.h"

#include <errno.h>
#include <gpiod.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct benchio_be {
	struct gpiod_chip *chip;
	struct gpiod_line *line[IO_N];
};

static const char *const be_names[IO_N] = { "start", "pass", "fail", "busy", "buzzer" };

void benchio_be_close(struct benchio_be *be)
{
	if (!be)
		return;
	for (int i = 0; i < IO_N; i++)
		if (be->line[i])
			gpiod_line_release(be->line[i]);
	if (be->chip)
		gpiod_chip_close(be->chip);
	free(be);
}

int benchio_be_open(struct benchio_be **out, const char *chip, const int off[IO_N],
		    int start_active_high, struct sf_err *err)
{
	struct benchio_be *be = calloc(1, sizeof(*be));

	*out = NULL;
	if (!be)
		return sf_err_set(err, SF_E_NOMEM, "out of memory");
	be->chip = gpiod_chip_open_lookup(chip);
	if (!be->chip) {
		int e = errno;

		benchio_be_close(be);
		return sf_err_set(err, SF_E_IO, "bench gpio: cannot open %s: %s", chip, strerror(e));
	}
	for (int i = 0; i < IO_N; i++) {
		if (off[i] < 0)
			continue;
		struct gpiod_line *l = gpiod_chip_get_line(be->chip, (unsigned)off[i]);
		int rc = !l ? -1
			: i == IO_START ? gpiod_line_request_both_edges_events_flags(l, BENCHIO_CONSUMER,
				start_active_high ? GPIOD_LINE_REQUEST_FLAG_BIAS_PULL_DOWN
				: GPIOD_LINE_REQUEST_FLAG_BIAS_PULL_UP | GPIOD_LINE_REQUEST_FLAG_ACTIVE_LOW)
			: gpiod_line_request_output(l, BENCHIO_CONSUMER, 0);
		if (rc) {
			int e = errno;

			benchio_be_close(be);
			return sf_err_set(err, e == EBUSY ? SF_E_BUSY : SF_E_IO, "bench gpio: %s line %d "
					  "of %s: %s", be_names[i], off[i], chip, strerror(e));
		}
		be->line[i] = l;
	}
	*out = be;
	return 0;
}

int benchio_be_set(struct benchio_be *be, int io, int on)
{
	return be->line[io] ? gpiod_line_set_value(be->line[io], on) : 0;
}

int benchio_be_pressed(struct benchio_be *be)
{
	return be->line[IO_START] ? gpiod_line_get_value(be->line[IO_START]) : 0;
}

int benchio_be_wait(struct benchio_be *be, int64_t timeout_ns)
{
	struct timespec ts = { .tv_sec = timeout_ns / 1000000000, .tv_nsec = timeout_ns % 1000000000 };

	return gpiod_line_event_wait(be->line[IO_START], &ts);
}

int benchio_be_read(struct benchio_be *be, struct benchio_edge *ev, int max)
{
	struct gpiod_line_event raw[16];
	int n = gpiod_line_event_read_multiple(be->line[IO_START], raw,
					       max < 16 ? (unsigned)max : 16U);

	for (int i = 0; i < n; i++) {
		ev[i].ts_ns = (int64_t)raw[i].ts.tv_sec * 1000000000 + raw[i].ts.tv_nsec;
		ev[i].pressed = raw[i].event_type == GPIOD_LINE_EVENT_RISING_EDGE;
	}
	return n;
}

const char *benchio_be_version(void)
{
	static char v[32];

	snprintf(v, sizeof(v), "libgpiod %s", gpiod_version_string());
	return v;
}
#endif
