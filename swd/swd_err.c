#include "swd_err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int swd_err_set(struct swd_err *err, int code, const char *fmt, ...)
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

int swd_err_prefix(struct swd_err *err, const char *fmt, ...)
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

void swd_err_clear(struct swd_err *err)
{
	if (err) {
		err->code = 0;
		err->msg[0] = '\0';
	}
}

const char *swd_err_name(int code)
{
	switch (code) {
	case SWD_OK: return "ok";
	case SWD_E_ARG: return "bad_argument";
	case SWD_E_NOMEM: return "out_of_memory";
	case SWD_E_IO: return "io_error";
	case SWD_E_NOTARGET: return "no_target";
	case SWD_E_PROTOCOL: return "swd_protocol_error";
	case SWD_E_WAIT: return "swd_wait_timeout";
	case SWD_E_FAULT: return "swd_fault";
	case SWD_E_TIMEOUT: return "timeout";
	case SWD_E_LOCKED: return "target_locked";
	case SWD_E_UNSUPPORTED: return "unsupported";
	case SWD_E_IMAGE: return "bad_image";
	case SWD_E_RANGE: return "out_of_range";
	case SWD_E_VERIFY: return "verify_mismatch";
	case SWD_E_CANCELLED: return "cancelled";
	case SWD_E_BUSY: return "busy";
	case SWD_E_FORMAT: return "unknown_format";
	}
	return "unknown_error";
}
