/* errmap: the one table from engine error codes (enum sf_errcode) to
 * swdflash exit codes and HTTP statuses.
 *
 * swdflash exit codes (documented in the README and `swdflash --help`):
 *   0  success
 *   1  other failure (I/O, out of memory, cancelled, busy)
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

/* code: 0 or a negative enum sf_errcode. */
int errmap_exit_code(int code);
/* HTTP status for a failed request or job: 400 bad argument, 409 busy or
 * locked or cancelled or a failed precondition (erase=none), 415 unknown format, 422 bad image or out of range,
 * 500 out of memory or I/O, 501 unsupported part, 502 SWD failure or
 * verify mismatch (the target answered wrongly), 503 no target, 504 a
 * poll deadline expired (NVMC, ERASEALL); 200 for 0. */
int errmap_http_status(int code);

#endif
