#include "err.h"

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

const char *sf_err_name(int code)
{
	switch (code) {
	case SF_OK: return "ok";
	case SF_E_ARG: return "bad_argument";
	case SF_E_NOMEM: return "out_of_memory";
	case SF_E_IO: return "io_error";
	case SF_E_NOTARGET: return "no_target";
	case SF_E_PROTOCOL: return "swd_protocol_error";
	case SF_E_WAIT: return "swd_wait_timeout";
	case SF_E_FAULT: return "swd_fault";
	case SF_E_TIMEOUT: return "timeout";
	case SF_E_LOCKED: return "target_locked";
	case SF_E_UNSUPPORTED: return "unsupported";
	case SF_E_IMAGE: return "bad_image";
	case SF_E_RANGE: return "out_of_range";
	case SF_E_VERIFY: return "verify_mismatch";
	case SF_E_CANCELLED: return "cancelled";
	case SF_E_BUSY: return "busy";
	case SF_E_FORMAT: return "unknown_format";
	case SF_E_PRECONDITION: return "precondition_failed";
	}
	return "unknown_error";
}
