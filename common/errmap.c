/* errmap: see errmap.h. One row per engine code, so the CLI and the daemon
 * can never disagree about what a failure means. */
#include "errmap.h"

#include "err.h"

struct errmap_row {
	int code;
	int exit_code;
	int http;
};

static const struct errmap_row errmap_rows[] = {
	{ SF_OK, ERRMAP_EXIT_OK, 200 },
	{ SF_E_ARG, ERRMAP_EXIT_USAGE, 400 },
	{ SF_E_NOMEM, ERRMAP_EXIT_FAILURE, 500 },
	{ SF_E_IO, ERRMAP_EXIT_FAILURE, 500 },
	{ SF_E_NOTARGET, ERRMAP_EXIT_NOTARGET, 503 },
	{ SF_E_PROTOCOL, ERRMAP_EXIT_SWD, 502 },
	{ SF_E_WAIT, ERRMAP_EXIT_SWD, 502 },
	{ SF_E_FAULT, ERRMAP_EXIT_SWD, 502 },
	{ SF_E_TIMEOUT, ERRMAP_EXIT_SWD, 504 },
	{ SF_E_LOCKED, ERRMAP_EXIT_LOCKED, 409 },
	{ SF_E_UNSUPPORTED, ERRMAP_EXIT_UNSUPPORTED, 501 },
	{ SF_E_IMAGE, ERRMAP_EXIT_IMAGE, 422 },
	{ SF_E_RANGE, ERRMAP_EXIT_IMAGE, 422 },
	{ SF_E_VERIFY, ERRMAP_EXIT_VERIFY, 502 },
	{ SF_E_CANCELLED, ERRMAP_EXIT_FAILURE, 409 },
	{ SF_E_BUSY, ERRMAP_EXIT_FAILURE, 409 },
	{ SF_E_FORMAT, ERRMAP_EXIT_IMAGE, 415 },
	{ SF_E_PRECONDITION, ERRMAP_EXIT_PRECONDITION, 409 },
};

static const struct errmap_row *errmap_find(int code)
{
	for (unsigned i = 0; i < sizeof(errmap_rows) / sizeof(errmap_rows[0]); i++)
		if (errmap_rows[i].code == code)
			return &errmap_rows[i];
	return NULL;
}

int errmap_exit_code(int code)
{
	const struct errmap_row *r = errmap_find(code);

	return r ? r->exit_code : ERRMAP_EXIT_FAILURE;
}

int errmap_http_status(int code)
{
	const struct errmap_row *r = errmap_find(code);

	return r ? r->http : 500;
}
