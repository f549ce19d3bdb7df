// SPDX-License-Identifier: GPL-2.0-or-later
/* The token file (daemon/auth.c): on success the token is the first line
 * with the blanks around it dropped, text only, and it is the one token
 * auth_allow lets through; on error a code and a message naming the file,
 * and no token. */
#include "fuzz.h"
#include "../../daemon/auth.h"

static int blank(char c) { return c == ' ' || c == '\t'; }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct auth *a;
	struct dcfg c;
	struct sf_err err = { 0 };
	char tok[256], src[128], hdr[300];
	size_t end, lo, hi;
	int rc;

	if (!a) {
		unsetenv("CREDENTIALS_DIRECTORY");
		a = auth_new();
	}
	dcfg_defaults(&c);
	fz_memfile(data, size, c.token_file, sizeof(c.token_file));
	memset(tok, 'x', sizeof(tok));
	rc = auth_load_token(&c, tok, sizeof(tok), src, sizeof(src), &err);
	if (rc) {
		fz_check_err(rc, &err);
		FZ_ASSERT(tok[0] == '\0', "a token is left after an error");
		FZ_ASSERT(strstr(err.msg, c.token_file) != NULL, "message does not name the file: %s",
			  err.msg);
		return 0;
	}
	for (end = 0; end < size && data[end] != '\n' && data[end] != '\r'; end++)
		;
	for (lo = 0; lo < end && blank((char)data[lo]); lo++)
		;
	for (hi = end; hi > lo && blank((char)data[hi - 1]); hi--)
		;
	FZ_ASSERT(hi > lo, "a blank first line gave a token");
	FZ_ASSERT(strlen(tok) == hi - lo && !memcmp(tok, data + lo, hi - lo),
		  "token '%s' is not the trimmed first line", tok);
	for (size_t i = 0; tok[i]; i++)
		FZ_ASSERT(((unsigned char)tok[i] >= 0x20 && tok[i] != 0x7f) || tok[i] == '\t',
			  "control byte 0x%02x in the token", (unsigned char)tok[i]);

	auth_configure(a, tok, 1, 1);
	snprintf(hdr, sizeof(hdr), "Bearer %s", tok);
	FZ_ASSERT(auth_allow(a, hdr, 1) == 1, "the loaded token is refused");
	snprintf(hdr, sizeof(hdr), "Bearer %s!", tok);
	FZ_ASSERT(auth_allow(a, hdr, 1) == 0, "another token is accepted");
	FZ_ASSERT(auth_allow(a, NULL, 1) == 0, "no token is accepted");
	return 0;
}
