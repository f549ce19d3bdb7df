// SPDX-License-Identifier: GPL-2.0-or-later
#include "instance.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "dlog.h"

/* The name of process pid (/proc/PID/comm), or "" when it is gone. */
static void proc_name(long pid, char *buf, size_t len)
{
	char p[64];
	FILE *f;

	buf[0] = '\0';
	snprintf(p, sizeof(p), "/proc/%ld/comm", pid);
	f = fopen(p, "re");
	if (!f)
		return;
	if (fgets(buf, (int)len, f))
		buf[strcspn(buf, "\n")] = '\0';
	fclose(f);
}

int instance_lock(const char *dir, const char *what, int *fd, struct sf_err *err)
{
	char path[1024], text[32], name[64];
	int lfd;
	ssize_t n;

	*fd = -1;
	snprintf(path, sizeof(path), "%s/swdflashd.lock", dir);
	lfd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
	if (lfd < 0)
		return sf_err_set(err, SF_E_IO, "%s: %s", path, strerror(errno));
	if (flock(lfd, LOCK_EX | LOCK_NB)) {
		int e = errno;
		long pid = 0;

		if (e != EWOULDBLOCK) {
			close(lfd);
			return sf_err_set(err, SF_E_IO, "locking %s: %s", path, strerror(e));
		}
		n = pread(lfd, text, sizeof(text) - 1, 0);
		close(lfd);
		text[n > 0 ? n : 0] = '\0';
		pid = strtol(text, NULL, 10);
		if (pid <= 0)
			return sf_err_set(err, SF_E_BUSY, "state directory %s is in use by another %s "
					  "(lock %s)", dir, what, path);
		proc_name(pid, name, sizeof(name));
		return sf_err_set(err, SF_E_BUSY, "state directory %s is in use by %s process %ld%s%s%s "
				  "(lock %s): one %s per state directory", dir, what, pid,
				  name[0] ? " (" : "", name, name[0] ? ")" : "", path, what);
	}
	/* over the old PID, then cut: no block freed first, so a full disk
	 * does not keep the daemon from starting; if even that fails the lock
	 * holds and only the name in it is missing */
	n = snprintf(text, sizeof(text), "%ld\n", (long)getpid());
	if (pwrite(lfd, text, (size_t)n, 0) != n || ftruncate(lfd, n))
		dlog(DLOG_WARNING, "%s: cannot write this process's id into it: %s", path,
		     strerror(errno));
	*fd = lfd;
	return 0;
}

void instance_unlock(int fd)
{
	if (fd >= 0)
		close(fd);  /* releases the lock; the file stays */
}

/* The inode of the socket listening on port in /proc/net/tcp or tcp6. */
static unsigned long listen_inode(const char *table, unsigned port)
{
	FILE *f = fopen(table, "re");
	char line[512];
	unsigned long ino = 0;

	if (!f)
		return 0;
	if (!fgets(line, sizeof(line), f)) {  /* the header */
		fclose(f);
		return 0;
	}
	while (!ino && fgets(line, sizeof(line), f)) {
		char local[64], remote[64];
		unsigned st, lport;
		unsigned long inode;
		const char *colon;

		/* sl local rem st tx:rx tr:when retrnsmt uid timeout inode */
		if (sscanf(line, "%*s %63s %63s %x %*s %*s %*s %*s %*s %lu", local, remote, &st,
			   &inode) != 4)
			continue;
		colon = strrchr(local, ':');
		if (!colon || sscanf(colon + 1, "%x", &lport) != 1)
			continue;
		if (st == 0x0A /* TCP_LISTEN */ && lport == port && inode)
			ino = inode;
	}
	fclose(f);
	return ino;
}

int instance_port_holder(unsigned port, char *buf, size_t len)
{
	unsigned long ino = listen_inode("/proc/net/tcp", port);
	char want[64], p[300], link[64], name[64];
	DIR *d;
	struct dirent *e;
	long found = 0;

	if (!ino)
		ino = listen_inode("/proc/net/tcp6", port);
	if (!ino)
		return -1;
	snprintf(want, sizeof(want), "socket:[%lu]", ino);
	d = opendir("/proc");
	if (!d)
		return -1;
	while (!found && (e = readdir(d))) {
		char *end;
		long pid = strtol(e->d_name, &end, 10);
		DIR *fds;
		struct dirent *fe;

		if (*end || pid <= 0)
			continue;
		snprintf(p, sizeof(p), "/proc/%ld/fd", pid);
		fds = opendir(p);
		if (!fds)
			continue;
		while (!found && (fe = readdir(fds))) {
			ssize_t n;
			if (fe->d_name[0] == '.')
				continue;
			snprintf(p, sizeof(p), "/proc/%ld/fd/%.200s", pid, fe->d_name);
			n = readlink(p, link, sizeof(link) - 1);
			if (n <= 0)
				continue;
			link[n] = '\0';
			if (!strcmp(link, want))
				found = pid;
		}
		closedir(fds);
	}
	closedir(d);
	if (!found)
		return -1;
	proc_name(found, name, sizeof(name));
	snprintf(buf, len, "process %ld%s%s%s", found, name[0] ? " (" : "", name,
		 name[0] ? ")" : "");
	return 0;
}
