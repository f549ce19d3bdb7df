// SPDX-License-Identifier: GPL-2.0-or-later
/* The config file (daemon/config.c, dcfg_load through libinih): on error a
 * code and a message naming the file; on success every string field is
 * terminated inside its buffer and loading the same file again gives the
 * same settings. */
#include "fuzz.h"
#include "../../daemon/config.h"

#define TERMINATED(f) (memchr((f), 0, sizeof(f)) != NULL)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dcfg c, d;
	struct sf_err err = { 0 };
	char path[64];
	int rc;

	fz_memfile(data, size, path, sizeof(path));
	dcfg_defaults(&c);
	rc = dcfg_load(&c, path, 1, &err);
	if (rc) {
		fz_check_err(rc, &err);
		FZ_ASSERT(strstr(err.msg, path) != NULL, "message does not name the file: %s",
			  err.msg);
		return 0;
	}
	FZ_ASSERT(TERMINATED(c.listen) && TERMINATED(c.name) && TERMINATED(c.state_dir) &&
		  TERMINATED(c.probe) && TERMINATED(c.token_file) && TERMINATED(c.token),
		  "a string field is not terminated");
	dcfg_defaults(&d);
	FZ_ASSERT(dcfg_load(&d, path, 1, &err) == 0, "second load failed: %s", err.msg);
	FZ_ASSERT(!strcmp(c.listen, d.listen) && c.max_body_bytes == d.max_body_bytes &&
		  c.queue_length == d.queue_length && !strcmp(c.token, d.token),
		  "loading twice gives other settings");
	return 0;
}
