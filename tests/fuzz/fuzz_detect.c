// SPDX-License-Identifier: GPL-2.0-or-later
/* Format detection (img_detect, img_parse with IMG_AUTO): the image
 * contract; AUTO parses exactly as the detected format does; content that
 * is detected as nothing is refused (never a raw binary); and a raw binary
 * asked for holds the input at its base. */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct img a, b;
	struct sf_err ea = { 0 }, eb = { 0 };
	enum img_format f = img_detect(data, size);
	int ra, rb;

	memset(&a, 0, sizeof(a));
	ra = img_parse(data, size, IMG_AUTO, 0, &a, &ea);
	fz_check_img(ra, &a, &ea, data, size);
	FZ_ASSERT(ra || a.format != IMG_BIN, "unknown content parsed as a raw binary");
	if (f == IMG_AUTO) {
		FZ_ASSERT(ra != 0, "content detected as nothing parsed as %s",
			  img_format_name(a.format));
	} else {
		memset(&b, 0, sizeof(b));
		rb = img_parse(data, size, f, 0, &b, &eb);
		FZ_ASSERT(ra == rb, "auto %d, %s %d", ra, img_format_name(f), rb);
		FZ_ASSERT(ra || (a.format == f && fz_img_equal(&a, &b)),
			  "auto and %s give other images", img_format_name(f));
		img_free(&b);
	}
	img_free(&a);

	/* raw binary at a base taken from the input */
	uint32_t base = 0;
	if (size >= 4)
		memcpy(&base, data, 4);
	memset(&b, 0, sizeof(b));
	rb = img_parse(data, size, IMG_BIN, base, &b, &eb);
	fz_check_img(rb, &b, &eb, data, size);
	if (!rb && size) {
		FZ_ASSERT((uint64_t)base + size <= 0x100000000ULL, "raw binary past 4 GiB accepted");
		FZ_ASSERT(b.nseg == 1 && b.seg[0].addr == base && b.seg[0].len == size &&
			  !memcmp(b.seg[0].data, data, size), "raw binary is not the input at base");
	}
	img_free(&b);
	return 0;
}
