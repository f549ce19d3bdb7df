// SPDX-License-Identifier: GPL-2.0-or-later
/* Intel HEX parser (nrf52/image_hex.c): the image contract, and what it
 * parsed written back as HEX (img_write_ihex) parses to the same bytes. */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct img img, again;
	struct sf_err err = { 0 }, err2 = { 0 };
	int rc;

	memset(&img, 0, sizeof(img));
	rc = img_parse(data, size, IMG_HEX, 0, &img, &err);
	fz_check_img(rc, &img, &err, data, size);
	if (rc)
		return 0;
	FZ_ASSERT(img.format == IMG_HEX, "format %d", img.format);
	/* each segment written back (one region and an EOF record per call)
	 * parses to that segment */
	for (size_t i = 0; i < img.nseg && img.total <= 1 << 16; i++) {
		char *out = NULL;
		size_t olen = 0;
		FILE *f = open_memstream(&out, &olen);
		struct img one = { .nseg = 1, .total = img.seg[i].len, .seg = &img.seg[i] };

		FZ_ASSERT(f, "open_memstream");
		FZ_ASSERT(!img_write_ihex(f, img.seg[i].addr, img.seg[i].data, img.seg[i].len),
			  "img_write_ihex segment %zu", i);
		fclose(f);
		memset(&again, 0, sizeof(again));
		rc = img_parse((const uint8_t *)out, olen, IMG_HEX, 0, &again, &err2);
		FZ_ASSERT(rc == 0, "segment %zu written back does not parse: %s", i, err2.msg);
		FZ_ASSERT(fz_img_equal(&one, &again), "segment %zu written back holds other bytes",
			  i);
		img_free(&again);
		free(out);
	}
	img_free(&img);
	return 0;
}
