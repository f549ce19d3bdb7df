// SPDX-License-Identifier: GPL-2.0-or-later
/* fsutil: durable file replacement (write a temporary file, fsync it,
 * rename it over the destination, fsync the directory), so a crash or a
 * kill -9 leaves either the old file or the new one, never a torn one. */
#ifndef COMMON_FSUTIL_H
#define COMMON_FSUTIL_H

#include <stddef.h>

#include "err.h"

/* fsync and close fd (the temporary file tmp), rename tmp to dst and fsync
 * dst's directory. fd is always closed; on failure tmp is unlinked and the
 * error names the step and the path (SF_E_NOSPACE when the file system is
 * full, common/err.h's sf_err_io_code). */
int fsutil_commit(int fd, const char *tmp, const char *dst, struct sf_err *err);

/* fsync the directory that holds path (path itself when it is a
 * directory), so a rename or create in it survives a power loss. */
int fsutil_fsync_dir(const char *path, struct sf_err *err);

/* Write len bytes as the whole content of path, durably: a temporary file
 * beside it (path.tmp.PID), fsync, rename, directory fsync (as
 * fsutil_commit). On failure the old content is left as it was. */
int fsutil_write_file(const char *path, const void *data, size_t len, struct sf_err *err);

#endif
