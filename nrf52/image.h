// SPDX-License-Identifier: GPL-2.0-or-later
/* img: firmware images as sorted, non-overlapping segments.
 *
 * Parsers for Intel HEX, UF2, ELF32 (PT_LOAD at the physical address) and
 * raw binary (with a base address). The format is detected from content.
 * Every image carries the SHA-256 of the file it came from. Errors are
 * specific (line number, block number, address) and nothing is partially
 * returned. */
#ifndef NRF52_IMAGE_H
#define NRF52_IMAGE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "../common/err.h"

enum img_format { IMG_AUTO = 0, IMG_HEX, IMG_UF2, IMG_ELF, IMG_BIN };

struct img_segment {
	uint32_t addr;
	uint32_t len;
	uint8_t *data;
};

struct img {
	enum img_format format;
	struct img_segment *seg; /* sorted by addr, non-overlapping, adjacent ones merged */
	size_t nseg;
	uint64_t total;          /* bytes in all segments */
	int has_entry;
	uint32_t entry;          /* start address record / ELF e_entry */
	int has_family;          /* UF2: the blocks carry a family ID (flag 0x2000) */
	uint32_t family;         /* ... and this is it (every block agrees) */
	uint8_t sha256[32];
	char sha256_hex[65];
};

/* Parse buf. fmt IMG_AUTO detects from content; base is used by IMG_BIN
 * only. On error returns SF_E_IMAGE or SF_E_FORMAT with the message in
 * err and leaves *out empty. */
int img_parse(const uint8_t *buf, size_t len, enum img_format fmt, uint32_t base,
	      struct img *out, struct sf_err *err);
/* Read a file and parse it (messages are prefixed with the file name). */
int img_load_file(const char *path, enum img_format fmt, uint32_t base,
		  struct img *out, struct sf_err *err);
/* The same with memory bounded by the chip, not the file: max_data is the
 * most flash data the image may carry (0: no bound but the 256 MiB file
 * limit). The file is mapped, not read into memory; with IMG_AUTO only
 * its start is looked at before unknown content is refused; a file larger
 * than its format needs for max_data bytes (raw binary 1x, HEX and UF2 4x,
 * ELF unbounded: its debug sections are never read) is refused before it
 * is parsed (SF_E_IMAGE). */
int img_load_file_max(const char *path, enum img_format fmt, uint32_t base, uint64_t max_data,
		      struct img *out, struct sf_err *err);
void img_free(struct img *img);

/* Detect from content: IMG_HEX (the first thing after an optional UTF-8
 * byte order mark and white space is ':'), IMG_UF2 (its magic, or a UF2
 * whose magic is damaged but recognisable), IMG_ELF ("\x7fELF"), else
 * IMG_AUTO: unknown. A raw binary is never detected: img_parse with
 * IMG_AUTO refuses unknown content with SF_E_FORMAT and a message naming
 * what it looks like (HTML, JSON, gzip, zip, UTF-16, base64, ...), and
 * white space only with SF_E_IMAGE ("empty file"). */
enum img_format img_detect(const uint8_t *buf, size_t len);
/* Offset of the first byte after a UTF-8 BOM and white space. */
size_t img_text_start(const uint8_t *buf, size_t len);
const char *img_format_name(enum img_format f);   /* "hex", "uf2", "elf", "bin" */
/* "auto", "hex", ... -> enum; returns -1 for an unknown name. */
int img_format_from_name(const char *name);

/* Write bytes as Intel HEX (extended linear address records, 16 bytes a
 * line, EOF record). */
int img_write_ihex(FILE *f, uint32_t addr, const uint8_t *buf, size_t len);

/* The same text a piece at a time (a reply streamed to a client without
 * the whole text in memory). init: SF_E_ARG when the range passes 4 GiB;
 * buf must live until the last next(). next: whole records into out (cap
 * bytes, at least IMG_IHEX_RECORD_MAX), their length; 0 once the EOF
 * record is out. img_ihex_size: the whole text's length. */
#define IMG_IHEX_RECORD_MAX 44  /* ':' + (4 + 16 + 1) * 2 hex digits + '\n' */
struct img_ihex_writer {
	const uint8_t *buf;
	uint32_t addr, upper;
	uint64_t a, end;
	int have_upper, done;
};
int img_ihex_writer_init(struct img_ihex_writer *w, uint32_t addr, const uint8_t *buf,
			 size_t len);
size_t img_ihex_writer_next(struct img_ihex_writer *w, char *out, size_t cap);
uint64_t img_ihex_size(uint32_t addr, size_t len);

#endif
