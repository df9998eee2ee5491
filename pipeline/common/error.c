#include "kho/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int kho_error_set(kho_error *err, int code, const char *fmt, ...)
{
	if (!err)
		return code;
	/* Formatted apart first: a caller may pass err->msg itself as an
	 * argument ("cannot read '%s': %s", name, err->msg). */
	char msg[KHO_ERROR_MSG_MAX];
	msg[0] = '\0';
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	memcpy(err->msg, msg, strlen(msg) + 1);
	err->code = code;
	return code;
}

int kho_error_prefix(kho_error *err, const char *fmt, ...)
{
	if (!err)
		return KHO_FAIL;
	char prefix[KHO_ERROR_MSG_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);

	/* Room for both, then cut to the message size. */
	char joined[2 * KHO_ERROR_MSG_MAX + 2];
	snprintf(joined, sizeof(joined), "%s: %s", prefix, err->msg);
	snprintf(err->msg, sizeof(err->msg), "%.*s", KHO_ERROR_MSG_MAX - 1,
		 joined);
	return err->code;
}

void kho_error_clear(kho_error *err)
{
	if (!err)
		return;
	err->code = KHO_OK;
	err->msg[0] = '\0';
}

int kho_exit_code(int code)
{
	switch (code) {
	case KHO_OK:
		return 0;
	case KHO_FAIL:
		return 1;
	case KHO_USAGE:
		return 2;
	default:
		return 3;
	}
}
