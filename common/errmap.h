// SPDX-License-Identifier: GPL-2.0-or-later
/* errmap: the one table of error codes (enum sf_errcode): the name that
 * reaches the API and `swdflash --json` (sf_err_name), the swdflash exit
 * code and the HTTP status. Nothing else spells a code.
 *
 * swdflash exit codes (documented in the README and `swdflash --help`):
 *   0  success
 *   1  other failure (I/O, no space left, out of memory, cancelled, busy)
 *   2  usage error (bad option or argument)
 *   3  bad image (malformed, unknown format, outside the part's memory)
 *   4  target not found (nothing answers on the wire)
 *   5  target locked (APPROTECT; recover needed)
 *   6  verify mismatch
 *   7  SWD failure (protocol error, WAIT or FAULT, timeout)
 *   8  unsupported part or probe capability
 *   9  precondition failed (the target's state forbids the operation as
 *      asked: erase=none where an erase is needed); nothing was written
 */
#ifndef COMMON_ERRMAP_H
#define COMMON_ERRMAP_H

#define ERRMAP_EXIT_OK 0
#define ERRMAP_EXIT_FAILURE 1
#define ERRMAP_EXIT_USAGE 2
#define ERRMAP_EXIT_IMAGE 3
#define ERRMAP_EXIT_NOTARGET 4
#define ERRMAP_EXIT_LOCKED 5
#define ERRMAP_EXIT_VERIFY 6
#define ERRMAP_EXIT_SWD 7
#define ERRMAP_EXIT_UNSUPPORTED 8
#define ERRMAP_EXIT_PRECONDITION 9

struct errmap_entry {
	int code;          /* enum sf_errcode */
	const char *name;  /* "bad_argument" */
	int exit_code;     /* ERRMAP_EXIT_* */
	int http_status;   /* 400 */
};

/* The row of code, or NULL when code is not an enum sf_errcode. */
const struct errmap_entry *errmap_lookup(int code);

/* code: 0 or a negative enum sf_errcode (1 for anything else). */
int errmap_exit_code(int code);
/* HTTP status for a failed request or job: 400 bad argument, 409 busy or
 * locked or cancelled or a failed precondition (erase=none), 415 unknown format, 422 bad image or out of range,
 * 500 out of memory or I/O, 507 no space left on the station's disk,
 * 501 unsupported part, 502 SWD failure or verify mismatch (the target answered wrongly), 503 no target, 504 a
 * poll deadline expired (NVMC, ERASEALL); the API's own refusals: 401
 * unauthorized, 404 not found, 405 method, 409 job already ended, 413 too
 * large, 429 queue full, 503 unavailable; 200 for 0, 500 for anything
 * that is not a code. */
int errmap_http_status(int code);

#endif
