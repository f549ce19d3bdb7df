// SPDX-License-Identifier: GPL-2.0-or-later
#include "err.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int sf_err_set(struct sf_err *err, int code, const char *fmt, ...)
{
	if (err) {
		va_list ap;
		err->code = code;
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
	}
	return code;
}

int sf_err_prefix(struct sf_err *err, const char *fmt, ...)
{
	char pre[160], old[sizeof(err->msg)];
	va_list ap;

	if (!err)
		return 0;
	va_start(ap, fmt);
	vsnprintf(pre, sizeof(pre), fmt, ap);
	va_end(ap);
	memcpy(old, err->msg, sizeof(old));
	/* pre + ": " + old, cut to fit */
	size_t n = strlen(pre), cap = sizeof(err->msg) - 1;
	if (n > cap - 2)
		n = cap - 2;
	memcpy(err->msg, pre, n);
	memcpy(err->msg + n, ": ", 2);
	n += 2;
	size_t m = strnlen(old, sizeof(old));
	if (m > cap - n)
		m = cap - n;
	memcpy(err->msg + n, old, m);
	err->msg[n + m] = '\0';
	return err->code;
}

void sf_err_clear(struct sf_err *err)
{
	if (err) {
		err->code = 0;
		err->msg[0] = '\0';
	}
}

int sf_err_io_code(int errnum)
{
	return errnum == ENOSPC || errnum == EDQUOT ? SF_E_NOSPACE : SF_E_IO;
}
