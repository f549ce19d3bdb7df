// SPDX-License-Identifier: GPL-2.0-or-later
/* benchio's back end on libgpiod 2.x (benchio_be.h): one request per line,
 * so that a busy line is named. */
#if SWD_GPIOD_VERSION_MAJOR >= 2
#include "benchio_be.h"

#include <errno.h>
#include <gpiod.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct benchio_be {
	struct gpiod_chip *chip;
	struct gpiod_line_request *req[IO_N];
	unsigned off[IO_N];
	struct gpiod_edge_event_buffer *buf;
};

static const char *const be_names[IO_N] = { "start", "pass", "fail", "busy", "buzzer" };

void benchio_be_close(struct benchio_be *be)
{
	if (!be)
		return;
	for (int i = 0; i < IO_N; i++)
		if (be->req[i])
			gpiod_line_request_release(be->req[i]);
	if (be->buf)
		gpiod_edge_event_buffer_free(be->buf);
	if (be->chip)
		gpiod_chip_close(be->chip);
	free(be);
}

/* One line's request: START an input with both edges, else an output at 0. */
static struct gpiod_line_request *be_request(struct benchio_be *be, int i, int active_high)
{
	struct gpiod_line_settings *s = gpiod_line_settings_new();
	struct gpiod_line_config *lc = gpiod_line_config_new();
	struct gpiod_request_config *rc = gpiod_request_config_new();
	struct gpiod_line_request *r = NULL;
	int bad = !s || !lc || !rc;

	if (!bad && i == IO_START)
		bad = gpiod_line_settings_set_direction(s, GPIOD_LINE_DIRECTION_INPUT) ||
		      gpiod_line_settings_set_edge_detection(s, GPIOD_LINE_EDGE_BOTH) ||
		      gpiod_line_settings_set_bias(s, active_high ? GPIOD_LINE_BIAS_PULL_DOWN
						       : GPIOD_LINE_BIAS_PULL_UP) ||
		      gpiod_line_settings_set_event_clock(s, GPIOD_LINE_CLOCK_MONOTONIC);
	else if (!bad)
		bad = gpiod_line_settings_set_direction(s, GPIOD_LINE_DIRECTION_OUTPUT) ||
		      gpiod_line_settings_set_output_value(s, GPIOD_LINE_VALUE_INACTIVE);
	if (!bad) {
		if (i == IO_START)
			gpiod_line_settings_set_active_low(s, !active_high);
		gpiod_request_config_set_consumer(rc, BENCHIO_CONSUMER);
		if (!gpiod_line_config_add_line_settings(lc, &be->off[i], 1, s))
			r = gpiod_chip_request_lines(be->chip, rc, lc);
	} else {
		errno = errno ? errno : ENOMEM;
	}
	int e = errno;
	gpiod_request_config_free(rc);
	gpiod_line_config_free(lc);
	gpiod_line_settings_free(s);
	errno = e;
	return r;
}

int benchio_be_open(struct benchio_be **out, const char *chip, const int off[IO_N],
		    int start_active_high, struct sf_err *err)
{
	struct benchio_be *be = calloc(1, sizeof(*be));
	char path[300];

	*out = NULL;
	if (!be)
		return sf_err_set(err, SF_E_NOMEM, "out of memory");
	/* libgpiod 2 opens a path: "gpiochip0" and "0" mean /dev/gpiochip0. */
	if (chip[0] == '/')
		snprintf(path, sizeof(path), "%s", chip);
	else if (strspn(chip, "0123456789") == strlen(chip))
		snprintf(path, sizeof(path), "/dev/gpiochip%s", chip);
	else
		snprintf(path, sizeof(path), "/dev/%s", chip);
	be->chip = gpiod_chip_open(path);
	be->buf = gpiod_edge_event_buffer_new(16);
	if (!be->chip || !be->buf) {
		int e = errno;

		benchio_be_close(be);
		return sf_err_set(err, SF_E_IO, "bench gpio: cannot open %s: %s", path, strerror(e));
	}
	for (int i = 0; i < IO_N; i++) {
		if (off[i] < 0)
			continue;
		be->off[i] = (unsigned)off[i];
		be->req[i] = be_request(be, i, start_active_high);
		if (!be->req[i]) {
			int e = errno;

			benchio_be_close(be);
			return sf_err_set(err, e == EBUSY ? SF_E_BUSY : SF_E_IO, "bench gpio: %s line %d "
					  "of %s: %s", be_names[i], off[i], path, strerror(e));
		}
	}
	*out = be;
	return 0;
}

int benchio_be_set(struct benchio_be *be, int io, int on)
{
	return be->req[io] ? gpiod_line_request_set_value(be->req[io], be->off[io],
		on ? GPIOD_LINE_VALUE_ACTIVE : GPIOD_LINE_VALUE_INACTIVE) : 0;
}

int benchio_be_pressed(struct benchio_be *be)
{
	if (!be->req[IO_START])
		return 0;
	enum gpiod_line_value v = gpiod_line_request_get_value(be->req[IO_START], be->off[IO_START]);
	return v == GPIOD_LINE_VALUE_ERROR ? -1 : v == GPIOD_LINE_VALUE_ACTIVE;
}

int benchio_be_wait(struct benchio_be *be, int64_t timeout_ns)
{
	return gpiod_line_request_wait_edge_events(be->req[IO_START], timeout_ns);
}

int benchio_be_read(struct benchio_be *be, struct benchio_edge *ev, int max)
{
	int n = gpiod_line_request_read_edge_events(be->req[IO_START], be->buf,
						    max < 16 ? (size_t)max : 16U);

	for (int i = 0; i < n; i++) {
		struct gpiod_edge_event *e = gpiod_edge_event_buffer_get_event(be->buf, (unsigned long)i);

		ev[i].ts_ns = (int64_t)gpiod_edge_event_get_timestamp_ns(e);
		ev[i].pressed = gpiod_edge_event_get_event_type(e) == GPIOD_EDGE_EVENT_RISING_EDGE;
	}
	return n;
}

const char *benchio_be_version(void)
{
	static char v[32];

	snprintf(v, sizeof(v), "libgpiod %s", gpiod_api_version());
	return v;
}
#endif
