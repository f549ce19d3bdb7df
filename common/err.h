// SPDX-License-Identifier: GPL-2.0-or-later
/* sf_err: the one error channel of every layer.
 *
 * Functions return 0 on success or a negative enum sf_errcode; the detail
 * ("ACK FAULT reading AP1 0x0C: STICKYERR") goes into a struct sf_err the
 * caller owns and can print. The daemon maps codes to HTTP statuses and the
 * CLI maps them to exit codes (common/errmap.c). */
#ifndef COMMON_ERR_H
#define COMMON_ERR_H

#include <stddef.h>

enum sf_errcode {
	SF_OK = 0,
	SF_E_ARG = -1,          /* bad argument or option */
	SF_E_NOMEM = -2,
	SF_E_IO = -3,           /* file or device I/O, driver failure */
	SF_E_NOTARGET = -4,     /* nothing answers on the wire */
	SF_E_PROTOCOL = -5,     /* malformed ACK, parity error */
	SF_E_WAIT = -6,         /* WAIT answers past the time limit */
	SF_E_FAULT = -7,        /* FAULT answer / sticky error / bus error */
	SF_E_TIMEOUT = -8,      /* a poll deadline expired (NVMC, ERASEALL) */
	SF_E_LOCKED = -9,       /* APPROTECT blocks the AHB-AP */
	SF_E_UNSUPPORTED = -10, /* unknown part, missing capability */
	SF_E_IMAGE = -11,       /* malformed firmware image */
	SF_E_RANGE = -12,       /* image or address outside the part's memory */
	SF_E_VERIFY = -13,      /* read back differs from what was written */
	SF_E_CANCELLED = -14,   /* the caller asked to stop */
	SF_E_BUSY = -15,        /* resource in use (line taken, probe busy) */
	SF_E_FORMAT = -16,      /* unknown image format */
	/* Codes of the HTTP API's own refusals, so that every error code that
	 * reaches a client has one spelling in one table (common/errmap.c). */
	SF_E_NOTFOUND = -17,    /* no such route, job, image or file */
	SF_E_AUTH = -18,        /* no or wrong bearer token */
	SF_E_METHOD = -19,      /* the route exists, the method does not */
	SF_E_TOOLARGE = -20,    /* request body over the limit */
	SF_E_QUEUEFULL = -21,   /* job queue full; retry later */
	SF_E_UNAVAILABLE = -22, /* the daemon is stopping or at a limit */
	SF_E_ENDED = -23,       /* the job already ended */
	SF_E_INTERRUPTED = -24, /* the daemon stopped while the job was queued or running */
	SF_E_PRECONDITION = -25, /* the target's state forbids the operation as asked
				  * (erase=none where a bit must go 0->1) */
	SF_E_NOSPACE = -26,     /* no space left on the file system (ENOSPC, EDQUOT) */
	SF_E_FORBIDDEN = -27,   /* a mutation from a foreign Origin */
	SF_E_MISDIRECTED = -28, /* a Host the station does not answer to */
	SF_E_RATELIMITED = -29, /* too many wrong tokens from one address */
	SF_E_DISCONNECTED = -30, /* the probe went away (USB unplugged) mid-operation */
	SF_E_REQTIMEOUT = -31,  /* a request not received whole within request_timeout */
};

/* The last code, for tables and tests that walk them all. */
#define SF_E_LAST SF_E_REQTIMEOUT

struct sf_err {
	int code;
	char msg[320];
};

/* Record code and a printf-style message; returns code so that
 * `return sf_err_set(err, SF_E_IO, "...")` reads naturally.
 * err may be NULL. */
int sf_err_set(struct sf_err *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Prepend context to an existing message ("programming 0x1000: ..."). */
int sf_err_prefix(struct sf_err *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

void sf_err_clear(struct sf_err *err);

/* The code of a failed file write, from its errno: SF_E_NOSPACE for a full
 * file system or quota (ENOSPC, EDQUOT), SF_E_IO for anything else. */
int sf_err_io_code(int errnum);

/* Stable lower-case identifier for a code, e.g. "not_found": the
 * error.code of the API and of `swdflash --json`. Defined beside the exit
 * codes and HTTP statuses in common/errmap.c, the one table of codes;
 * "unknown_error" for a value that is not a code. */
const char *sf_err_name(int code);

#endif
