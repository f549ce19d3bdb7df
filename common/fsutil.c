// SPDX-License-Identifier: GPL-2.0-or-later
#include "fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int fsutil_fsync_dir(const char *path, struct sf_err *err)
{
	char dir[1024];
	struct stat st;
	int fd, rc = 0;

	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
		snprintf(dir, sizeof(dir), "%s", path);
	} else {
		const char *slash = strrchr(path, '/');
		if (!slash)
			snprintf(dir, sizeof(dir), ".");
		else if (slash == path)
			snprintf(dir, sizeof(dir), "/");
		else
			snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	}
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return sf_err_set(err, SF_E_IO, "opening directory %s: %s", dir, strerror(errno));
	if (fsync(fd))
		rc = sf_err_set(err, SF_E_IO, "fsync directory %s: %s", dir, strerror(errno));
	close(fd);
	return rc;
}

int fsutil_commit(int fd, const char *tmp, const char *dst, struct sf_err *err)
{
	if (fsync(fd)) {
		int e = errno;
		close(fd);
		unlink(tmp);
		return sf_err_set(err, sf_err_io_code(e), "fsync %s: %s", tmp, strerror(e));
	}
	if (close(fd)) {
		int e = errno;
		unlink(tmp);
		return sf_err_set(err, sf_err_io_code(e), "closing %s: %s", tmp, strerror(e));
	}
	if (rename(tmp, dst)) {
		int e = errno;
		unlink(tmp);
		return sf_err_set(err, sf_err_io_code(e), "renaming %s to %s: %s", tmp, dst,
				  strerror(e));
	}
	return fsutil_fsync_dir(dst, err);
}

int fsutil_write_file(const char *path, const void *data, size_t len, struct sf_err *err)
{
	char tmp[1100];
	const char *p = data;
	int fd;

	snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (fd < 0)
		return sf_err_set(err, sf_err_io_code(errno), "creating %s: %s", tmp, strerror(errno));
	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int e = n < 0 ? errno : ENOSPC;
			close(fd);
			unlink(tmp);
			return sf_err_set(err, sf_err_io_code(e), "writing %s: %s", tmp, strerror(e));
		}
		p += n;
		len -= (size_t)n;
	}
	return fsutil_commit(fd, tmp, path, err);
}
