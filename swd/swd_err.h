/* swd_err: the one error channel of every layer.
 *
 * Functions return 0 on success or a negative enum swd_errcode; the detail
 * ("ACK FAULT reading AP1 0x0C: STICKYERR") goes into a struct swd_err the
 * caller owns and can print. The daemon maps codes to HTTP statuses and the
 * CLI maps them to exit codes (daemon/errmap.c). */
#ifndef SWD_ERR_H
#define SWD_ERR_H

#include <stddef.h>

enum swd_errcode {
	SWD_OK = 0,
	SWD_E_ARG = -1,          /* bad argument or option */
	SWD_E_NOMEM = -2,
	SWD_E_IO = -3,           /* file or device I/O, driver failure */
	SWD_E_NOTARGET = -4,     /* nothing answers on the wire */
	SWD_E_PROTOCOL = -5,     /* malformed ACK, parity error */
	SWD_E_WAIT = -6,         /* WAIT answers past the time limit */
	SWD_E_FAULT = -7,        /* FAULT answer / sticky error / bus error */
	SWD_E_TIMEOUT = -8,      /* a poll deadline expired (NVMC, ERASEALL) */
	SWD_E_LOCKED = -9,       /* APPROTECT blocks the AHB-AP */
	SWD_E_UNSUPPORTED = -10, /* unknown part, missing capability */
	SWD_E_IMAGE = -11,       /* malformed firmware image */
	SWD_E_RANGE = -12,       /* image or address outside the part's memory */
	SWD_E_VERIFY = -13,      /* read back differs from what was written */
	SWD_E_CANCELLED = -14,   /* the caller asked to stop */
	SWD_E_BUSY = -15,        /* resource in use (line taken, probe busy) */
	SWD_E_FORMAT = -16,      /* unknown image format */
};

struct swd_err {
	int code;
	char msg[320];
};

/* Record code and a printf-style message; returns code so that
 * `return swd_err_set(err, SWD_E_IO, "...")` reads naturally.
 * err may be NULL. */
int swd_err_set(struct swd_err *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Prepend context to an existing message ("programming 0x1000: ..."). */
int swd_err_prefix(struct swd_err *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

void swd_err_clear(struct swd_err *err);

/* Stable lower-case identifier for a code, e.g. "not_found"; used in JSON. */
const char *swd_err_name(int code);

#endif
