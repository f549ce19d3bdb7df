// SPDX-License-Identifier: GPL-2.0-or-later
/* errmap: see errmap.h. One row per code, so the CLI and the daemon can
 * never disagree about what a failure is called or what it means. */
#include "errmap.h"

#include "err.h"

static const struct errmap_entry errmap_rows[] = {
	{ SF_OK, "ok", ERRMAP_EXIT_OK, 200 },
	{ SF_E_ARG, "bad_argument", ERRMAP_EXIT_USAGE, 400 },
	{ SF_E_NOMEM, "out_of_memory", ERRMAP_EXIT_FAILURE, 500 },
	{ SF_E_IO, "io_error", ERRMAP_EXIT_FAILURE, 500 },
	{ SF_E_NOTARGET, "no_target", ERRMAP_EXIT_NOTARGET, 503 },
	{ SF_E_PROTOCOL, "swd_protocol_error", ERRMAP_EXIT_SWD, 502 },
	{ SF_E_WAIT, "swd_wait_timeout", ERRMAP_EXIT_SWD, 502 },
	{ SF_E_FAULT, "swd_fault", ERRMAP_EXIT_SWD, 502 },
	{ SF_E_TIMEOUT, "timeout", ERRMAP_EXIT_SWD, 504 },
	{ SF_E_LOCKED, "target_locked", ERRMAP_EXIT_LOCKED, 409 },
	{ SF_E_UNSUPPORTED, "unsupported", ERRMAP_EXIT_UNSUPPORTED, 501 },
	{ SF_E_IMAGE, "bad_image", ERRMAP_EXIT_IMAGE, 422 },
	{ SF_E_RANGE, "out_of_range", ERRMAP_EXIT_IMAGE, 422 },
	{ SF_E_VERIFY, "verify_mismatch", ERRMAP_EXIT_VERIFY, 502 },
	{ SF_E_CANCELLED, "cancelled", ERRMAP_EXIT_FAILURE, 409 },
	{ SF_E_BUSY, "busy", ERRMAP_EXIT_FAILURE, 409 },
	{ SF_E_FORMAT, "unknown_format", ERRMAP_EXIT_IMAGE, 415 },
	{ SF_E_NOTFOUND, "not_found", ERRMAP_EXIT_FAILURE, 404 },
	{ SF_E_AUTH, "unauthorized", ERRMAP_EXIT_FAILURE, 401 },
	{ SF_E_METHOD, "method_not_allowed", ERRMAP_EXIT_FAILURE, 405 },
	{ SF_E_TOOLARGE, "too_large", ERRMAP_EXIT_FAILURE, 413 },
	{ SF_E_QUEUEFULL, "queue_full", ERRMAP_EXIT_FAILURE, 429 },
	{ SF_E_UNAVAILABLE, "unavailable", ERRMAP_EXIT_FAILURE, 503 },
	{ SF_E_ENDED, "job_finished", ERRMAP_EXIT_FAILURE, 409 },
	{ SF_E_INTERRUPTED, "interrupted", ERRMAP_EXIT_FAILURE, 500 },
	{ SF_E_PRECONDITION, "precondition_failed", ERRMAP_EXIT_PRECONDITION, 409 },
	{ SF_E_NOSPACE, "no_space", ERRMAP_EXIT_FAILURE, 507 },
	{ SF_E_FORBIDDEN, "forbidden", ERRMAP_EXIT_FAILURE, 403 },
	{ SF_E_MISDIRECTED, "misdirected_request", ERRMAP_EXIT_FAILURE, 421 },
	{ SF_E_RATELIMITED, "rate_limited", ERRMAP_EXIT_FAILURE, 429 },
	{ SF_E_DISCONNECTED, "probe_disconnected", ERRMAP_EXIT_NOTARGET, 503 },
	{ SF_E_REQTIMEOUT, "request_timeout", ERRMAP_EXIT_FAILURE, 408 },
};

const struct errmap_entry *errmap_lookup(int code)
{
	for (unsigned i = 0; i < sizeof(errmap_rows) / sizeof(errmap_rows[0]); i++)
		if (errmap_rows[i].code == code)
			return &errmap_rows[i];
	return NULL;
}

const char *sf_err_name(int code)
{
	const struct errmap_entry *r = errmap_lookup(code);

	return r ? r->name : "unknown_error";
}

int errmap_exit_code(int code)
{
	const struct errmap_entry *r = errmap_lookup(code);

	return r ? r->exit_code : ERRMAP_EXIT_FAILURE;
}

int errmap_http_status(int code)
{
	const struct errmap_entry *r = errmap_lookup(code);

	return r ? r->http_status : 500;
}
