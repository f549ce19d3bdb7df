/* errmap: the one table that maps engine error codes (enum swd_errcode)
 * to HTTP statuses (daemon) and exit codes (CLI). Implemented in
 * daemon/errmap.c. */
#ifndef DAEMON_ERRMAP_H
#define DAEMON_ERRMAP_H

/* HTTP status for a negative enum swd_errcode (0 -> 200). */
int errmap_http_status(int code);

#endif
