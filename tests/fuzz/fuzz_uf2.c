// SPDX-License-Identifier: GPL-2.0-or-later
/* UF2 parser (nrf52/image_uf2.c): the image contract, and every payload
 * byte comes from the file (each segment byte is found in the input). */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct img img;
	struct sf_err err = { 0 };
	int rc;

	memset(&img, 0, sizeof(img));
	rc = img_parse(data, size, IMG_UF2, 0, &img, &err);
	fz_check_img(rc, &img, &err, data, size);
	if (rc)
		return 0;
	FZ_ASSERT(img.format == IMG_UF2, "format %d", img.format);
	/* 512-byte blocks carry at most 476 bytes each */
	FZ_ASSERT(img.total <= (uint64_t)(size / 512) * 476, "%llu bytes from %zu blocks",
		  (unsigned long long)img.total, size / 512);
	img_free(&img);
	return 0;
}
