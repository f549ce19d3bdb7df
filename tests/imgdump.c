// SPDX-License-Identifier: GPL-2.0-or-later
/* imgdump: test helper around the image library (nrf52/image.h).
 *
 *   imgdump [-f FORMAT] [-b BASE] FILE
 *       print format, sha256, entry and the segments ("START END", END
 *       exclusive, hex) of FILE as the library parsed it
 *   imgdump [...] -o OUT [-r START:END] [-F FILL] FILE
 *       write the flat bytes of [START, END) (default: first to last byte of
 *       the image), gaps filled with FILL (default 0x00, like objcopy and
 *       srec_cat), to OUT as raw binary
 *   imgdump [...] -x OUT [-r START:END] [-F FILL] FILE
 *       the same range written with img_write_ihex
 *
 * Exit 0 on success, 1 with the library's message on stderr otherwise. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nrf52/image.h"

static int parse_u32(const char *s, uint32_t *v)
{
	char *end;
	unsigned long long x = strtoull(s, &end, 0);

	if (!*s || *end || x > 0xFFFFFFFFull)
		return -1;
	*v = (uint32_t)x;
	return 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: imgdump [-f FORMAT] [-b BASE] [-o OUT.bin | -x OUT.hex] "
			"[-r START:END] [-F FILL] FILE\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct img img;
	struct sf_err err;
	uint32_t base = 0, start = 0, fill = 0;
	uint64_t end = 0;
	int fmt = IMG_AUTO, opt, have_range = 0, rc;
	const char *out_bin = NULL, *out_hex = NULL;
	size_t i;

	while ((opt = getopt(argc, argv, "f:b:o:x:r:F:")) != -1) {
		switch (opt) {
		case 'f':
			fmt = img_format_from_name(optarg);
			if (fmt < 0)
				usage();
			break;
		case 'b':
			if (parse_u32(optarg, &base))
				usage();
			break;
		case 'o': out_bin = optarg; break;
		case 'x': out_hex = optarg; break;
		case 'r': {
			char *colon = strchr(optarg, ':');
			uint32_t e;
			if (!colon)
				usage();
			*colon = '\0';
			if (parse_u32(optarg, &start) || parse_u32(colon + 1, &e) || e < start)
				usage();
			end = e;
			have_range = 1;
			break;
		}
		case 'F':
			if (parse_u32(optarg, &fill) || fill > 0xFF)
				usage();
			break;
		default:
			usage();
		}
	}
	if (optind + 1 != argc)
		usage();

	rc = img_load_file(argv[optind], (enum img_format)fmt, base, &img, &err);
	if (rc) {
		fprintf(stderr, "imgdump: %s (%s)\n", err.msg, sf_err_name(rc));
		return 1;
	}
	if (!out_bin && !out_hex) {
		printf("format %s\nsha256 %s\n", img_format_name(img.format), img.sha256_hex);
		if (img.has_entry)
			printf("entry 0x%08X\n", (unsigned)img.entry);
		printf("total %llu\n", (unsigned long long)img.total);
		for (i = 0; i < img.nseg; i++)
			printf("segment 0x%08X 0x%08llX\n", (unsigned)img.seg[i].addr,
			       (unsigned long long)img.seg[i].addr + img.seg[i].len);
		img_free(&img);
		return 0;
	}

	if (!have_range) {
		start = img.seg[0].addr;
		end = (uint64_t)img.seg[img.nseg - 1].addr + img.seg[img.nseg - 1].len;
	}
	{
		size_t n = (size_t)(end - start);
		uint8_t *flat = malloc(n ? n : 1);
		FILE *f;
		int bad = 0;

		if (!flat) {
			fprintf(stderr, "imgdump: out of memory\n");
			return 1;
		}
		memset(flat, (int)fill, n);
		for (i = 0; i < img.nseg; i++) {
			uint64_t a = img.seg[i].addr, e = a + img.seg[i].len;
			uint64_t lo = a > start ? a : start, hi = e < end ? e : end;
			if (lo < hi)
				memcpy(flat + (lo - start), img.seg[i].data + (lo - a), (size_t)(hi - lo));
		}
		f = fopen(out_bin ? out_bin : out_hex, "wb");
		if (!f) {
			perror(out_bin ? out_bin : out_hex);
			return 1;
		}
		if (out_bin)
			bad = fwrite(flat, 1, n, f) != n;
		else
			bad = img_write_ihex(f, start, flat, n) != 0;
		if (fclose(f) != 0)
			bad = 1;
		free(flat);
		img_free(&img);
		if (bad) {
			fprintf(stderr, "imgdump: write failed\n");
			return 1;
		}
	}
	return 0;
}
