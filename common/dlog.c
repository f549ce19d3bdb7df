// SPDX-License-Identifier: GPL-2.0-or-later
#include "dlog.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

void dlog(int prio, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n;
	size_t len;

	n = snprintf(line, sizeof(line), "<%d>", prio);
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	len = strlen(line);
	/* one record per line: fold embedded newlines */
	for (size_t i = (size_t)n; i < len; i++)
		if (line[i] == '\n' || line[i] == '\r')
			line[i] = ' ';
	line[len++] = '\n';
	while (len > 0) {
		ssize_t w = write(STDERR_FILENO, line, len);
		if (w <= 0)
			break;
		len -= (size_t)w;
	}
}
