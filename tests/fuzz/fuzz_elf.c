// SPDX-License-Identifier: GPL-2.0-or-later
/* ELF32 parser (nrf52/image_elf.c): the image contract; the file bytes
 * are the only source of data, so an image never holds more than the file
 * unless segments are zero-filled (p_memsz > p_filesz is not loaded). */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct img img;
	struct sf_err err = { 0 };
	int rc;

	memset(&img, 0, sizeof(img));
	rc = img_parse(data, size, IMG_ELF, 0, &img, &err);
	fz_check_img(rc, &img, &err, data, size);
	if (rc)
		return 0;
	FZ_ASSERT(img.format == IMG_ELF, "format %d", img.format);
	img_free(&img);
	return 0;
}
