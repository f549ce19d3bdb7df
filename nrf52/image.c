// SPDX-License-Identifier: GPL-2.0-or-later
/* image: the segment model shared by every format, format detection, raw
 * binary, file loading and the Intel HEX writer. The format parsers are in
 * image_hex.c, image_uf2.c and image_elf.c. */
#include "image.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/sha256.h"
#include "../common/utf8.h"
#include "image_internal.h"

/* Largest file img_load_file reads: four times the biggest nRF52 flash
 * even as an ELF with debug sections is plenty; anything bigger is not a
 * firmware image for this station. */
#define IMG_MAX_FILE (256u * 1024 * 1024)

void img_build_init(struct img_build *b, enum img_origin_kind kind)
{
	memset(b, 0, sizeof(*b));
	b->kind = kind;
}

void img_build_free(struct img_build *b)
{
	free(b->p);
	free(b->arena);
	memset(b, 0, sizeof(*b));
}

int img_build_add(struct img_build *b, uint32_t addr, const uint8_t *data, size_t len,
		  uint32_t origin, struct sf_err *err)
{
	if (len == 0)
		return 0;
	if (b->n == b->cap) {
		size_t ncap = b->cap ? b->cap * 2 : 256;
		struct img_piece *np = realloc(b->p, ncap * sizeof(*np));
		if (!np)
			return sf_err_set(err, SF_E_NOMEM, "out of memory (%zu image pieces)", ncap);
		b->p = np;
		b->cap = ncap;
	}
	if (b->alen + len > b->acap) {
		size_t ncap = b->acap ? b->acap : 4096;
		uint8_t *na;
		while (ncap < b->alen + len)
			ncap *= 2;
		na = realloc(b->arena, ncap);
		if (!na)
			return sf_err_set(err, SF_E_NOMEM, "out of memory (%zu image bytes)", ncap);
		b->arena = na;
		b->acap = ncap;
	}
	memcpy(b->arena + b->alen, data, len);
	b->p[b->n] = (struct img_piece){ .addr = addr, .len = (uint32_t)len, .off = b->alen,
					 .seq = b->n, .origin = origin };
	b->alen += len;
	b->n++;
	return 0;
}

static int piece_cmp(const void *a, const void *b)
{
	const struct img_piece *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static const char *origin_word(enum img_origin_kind k)
{
	switch (k) {
	case IMG_ORIGIN_LINE: return "line";
	case IMG_ORIGIN_BLOCK: return "block";
	case IMG_ORIGIN_PHDR: return "program header";
	case IMG_ORIGIN_FILE: return "offset";
	}
	return "piece";
}

/* Overlap with different bytes: name the address, both values and both
 * origins ("line 7" and "line 12"). */
static int overlap_error(const struct img_build *b, size_t first, size_t k, uint32_t addr,
			 uint8_t had, struct sf_err *err)
{
	const struct img_piece *cur = &b->p[k];
	uint8_t now = b->arena[cur->off + (addr - cur->addr)];
	uint32_t prev_origin = 0;
	size_t j;

	/* The earlier piece that holds addr (the last one placed wins). */
	for (j = first; j < k; j++) {
		const struct img_piece *q = &b->p[j];
		if (addr >= q->addr && (uint64_t)addr < (uint64_t)q->addr + q->len &&
		    b->arena[q->off + (addr - q->addr)] == had)
			prev_origin = q->origin;
	}
	return sf_err_set(err, SF_E_IMAGE,
			   "overlapping data with different values at 0x%08X: 0x%02X from %s %u, "
			   "0x%02X from %s %u",
			   (unsigned)addr, had, origin_word(b->kind), (unsigned)prev_origin, now,
			   origin_word(b->kind), (unsigned)cur->origin);
}

int img_build_finish(struct img_build *b, struct img *out, struct sf_err *err)
{
	struct img_segment *seg = NULL;
	size_t nseg = 0, cap = 0, i = 0, k;
	uint64_t total = 0;
	int rc;

	if (b->n == 0)
		return sf_err_set(err, SF_E_IMAGE, "image contains no data");
	qsort(b->p, b->n, sizeof(b->p[0]), piece_cmp);

	while (i < b->n) {
		uint64_t start = b->p[i].addr, end = start + b->p[i].len, written;
		size_t j = i + 1;
		uint8_t *data;

		/* A segment is a maximal run of overlapping or touching pieces. */
		while (j < b->n && b->p[j].addr <= end) {
			uint64_t e = (uint64_t)b->p[j].addr + b->p[j].len;
			if (e > end)
				end = e;
			j++;
		}
		if (end - start > UINT32_MAX) {
			rc = sf_err_set(err, SF_E_IMAGE, "image covers the whole 4 GiB address space");
			goto fail;
		}
		data = malloc((size_t)(end - start));
		if (!data) {
			rc = sf_err_set(err, SF_E_NOMEM, "out of memory (segment of %llu bytes)",
				    (unsigned long long)(end - start));
			goto fail;
		}
		if (nseg == cap) {
			size_t ncap = cap ? cap * 2 : 8;
			struct img_segment *ns = realloc(seg, ncap * sizeof(*ns));
			if (!ns) {
				free(data);
				rc = sf_err_set(err, SF_E_NOMEM, "out of memory (%zu segments)", ncap);
				goto fail;
			}
			seg = ns;
			cap = ncap;
		}
		seg[nseg++] = (struct img_segment){ .addr = (uint32_t)start,
						    .len = (uint32_t)(end - start), .data = data };

		/* Sorted by address, every byte in [start, written) has been placed,
		 * so a piece overlaps exactly its part below `written`. */
		written = start;
		for (k = i; k < j; k++) {
			const struct img_piece *q = &b->p[k];
			const uint8_t *src = b->arena + q->off;
			uint64_t a = q->addr, e = a + q->len, ov = e < written ? e : written, x;

			for (x = a; x < ov; x++) {
				uint8_t had = data[x - start];
				if (had != src[x - a]) {
					rc = overlap_error(b, i, k, (uint32_t)x, had, err);
					goto fail;
				}
			}
			if (e > written) {
				uint64_t from = a > written ? a : written;
				memcpy(data + (from - start), src + (from - a), (size_t)(e - from));
				written = e;
			}
		}
		total += end - start;
		i = j;
	}
	out->seg = seg;
	out->nseg = nseg;
	out->total = total;
	return 0;
fail:
	for (k = 0; k < nseg; k++)
		free(seg[k].data);
	free(seg);
	return rc;
}

void img_free(struct img *img)
{
	size_t i;

	if (!img)
		return;
	for (i = 0; i < img->nseg; i++)
		free(img->seg[i].data);
	free(img->seg);
	img->seg = NULL;
	img->nseg = 0;
	img->total = 0;
	img->has_entry = 0;
	img->entry = 0;
	img->has_family = 0;
	img->family = 0;
}

/* Bytes of a UTF-8 byte order mark and white space (space, tab, CR, LF)
 * before the first record of a HEX file (image_hex.c skips the same). */
size_t img_text_start(const uint8_t *buf, size_t len)
{
	size_t i = 0;

	if (len >= 3 && buf[0] == 0xEF && buf[1] == 0xBB && buf[2] == 0xBF)
		i = 3;
	while (i < len && (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\r' || buf[i] == '\n'))
		i++;
	return i;
}

/* A UF2 file whose first magic words were damaged: one of the three magic
 * words of its first block, or the start magic of a later block, is still
 * there. The UF2 parser then names the block and the bad word. */
static int uf2_damaged(const uint8_t *buf, size_t len)
{
	if (len < 512)
		return len >= 8 && (img_le32(buf) == UF2_MAGIC0 || img_le32(buf + 4) == UF2_MAGIC1);
	if (img_le32(buf) == UF2_MAGIC0 || img_le32(buf + 4) == UF2_MAGIC1 ||
	    img_le32(buf + 508) == UF2_MAGIC_END)
		return 1;
	for (size_t off = 512; off + 8 <= len && off <= 8 * 512; off += 512)
		if (img_le32(buf + off) == UF2_MAGIC0 && img_le32(buf + off + 4) == UF2_MAGIC1)
			return 1;
	return 0;
}

enum img_format img_detect(const uint8_t *buf, size_t len)
{
	size_t t;

	/* Magic numbers first: they cannot be mistaken for text. A truncated
	 * or damaged UF2 and any ELF are detected as such so that their
	 * parser refuses them with the reason. */
	if (len >= 8 && img_le32(buf) == UF2_MAGIC0 && img_le32(buf + 4) == UF2_MAGIC1)
		return IMG_UF2;
	if (len >= 4 && memcmp(buf, "\x7f" "ELF", 4) == 0)
		return IMG_ELF;
	if (uf2_damaged(buf, len))
		return IMG_UF2;
	/* ':' starts every HEX record; a BOM and white space may come first */
	t = img_text_start(buf, len);
	if (t < len && buf[t] == ':')
		return IMG_HEX;
	return IMG_AUTO; /* nothing this station flashes without being told */
}

static int has_prefix(const uint8_t *p, size_t n, const char *magic, size_t mlen)
{
	return n >= mlen && memcmp(p, magic, mlen) == 0;
}

/* Case-insensitive: does the first kilobyte contain word? */
static int text_contains(const uint8_t *p, size_t n, const char *word)
{
	size_t w = strlen(word);

	if (n > 1024)
		n = 1024;
	for (size_t i = 0; i + w <= n; i++) {
		size_t k = 0;
		while (k < w && (p[i + k] | 0x20) == (word[k] | 0x20))
			k++;
		if (k == w)
			return 1;
	}
	return 0;
}

/* 1 when the first 4 KiB are text: valid UTF-8 without control characters
 * other than tab, CR, LF (a sequence cut by the 4 KiB window is fine). */
static int looks_text(const uint8_t *p, size_t n)
{
	size_t lim = n > 4096 ? 4096 : n, i = 0;

	while (i < lim) {
		size_t k = utf8_seq_len(p + i, n - i);
		if (!k)
			return 0;
		if (p[i] < 0x20 && p[i] != '\t' && p[i] != '\r' && p[i] != '\n')
			return 0;
		if (p[i] == 0x7F)
			return 0;
		i += k;
	}
	return 1;
}

/* Base64 (RFC 4648 section 4) text: only its alphabet, '=' padding and line
 * breaks, at least 16 characters. */
static int looks_base64(const uint8_t *p, size_t n)
{
	size_t lim = n > 4096 ? 4096 : n, chars = 0;

	for (size_t i = 0; i < lim; i++) {
		uint8_t c = p[i];
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '+' || c == '/' || c == '=' || c == '-' || c == '_')
			chars++;
		else if (c != '\r' && c != '\n')
			return 0;
	}
	return chars >= 16;
}

/* UTF-16 text: a byte order mark, or ASCII with every other byte zero. */
static int looks_utf16(const uint8_t *p, size_t n, int *be)
{
	size_t lim = n > 64 ? 64 : n, zeros_even = 0, zeros_odd = 0, i;

	if (n >= 2 && ((p[0] == 0xFF && p[1] == 0xFE) || (p[0] == 0xFE && p[1] == 0xFF))) {
		*be = p[0] == 0xFE;
		return 1;
	}
	if (lim < 4)
		return 0;
	lim &= ~(size_t)1;
	for (i = 0; i < lim; i += 2) {
		zeros_even += p[i] == 0 && p[i + 1] >= 0x09 && p[i + 1] < 0x7F;
		zeros_odd += p[i + 1] == 0 && p[i] >= 0x09 && p[i] < 0x7F;
	}
	*be = zeros_even > zeros_odd;
	return zeros_even * 2 == lim || zeros_odd * 2 == lim;
}

/* The first line of text, printable ASCII only, at most 40 characters. */
static void first_line(const uint8_t *p, size_t n, char *out, size_t outn)
{
	size_t w = 0;

	for (size_t i = 0; i < n && p[i] != '\n' && p[i] != '\r' && w + 1 < outn && w < 40; i++)
		out[w++] = p[i] >= 0x20 && p[i] < 0x7F ? (char)p[i] : '?';
	out[w] = '\0';
}

/* Why content that img_detect does not know is not flashed: what it looks
 * like, and what to do about it. Returns SF_E_FORMAT, or SF_E_IMAGE for
 * input with no content at all. */
static int img_refuse_unknown(const uint8_t *buf, size_t len, struct sf_err *err)
{
	size_t t = img_text_start(buf, len);
	const uint8_t *p = buf + t;
	size_t n = len - t;
	char line[48];
	int be = 0;

	if (n == 0)
		return sf_err_set(err, SF_E_IMAGE, "empty file (%zu bytes of white space only)", len);
	if (has_prefix(buf, len, "\x1f\x8b", 2))
		return sf_err_set(err, SF_E_FORMAT, "gzip data: decompress it first");
	if (has_prefix(buf, len, "PK\x03\x04", 4) || has_prefix(buf, len, "PK\x05\x06", 4))
		return sf_err_set(err, SF_E_FORMAT,
				  "zip archive: unpack it and send the firmware file inside");
	if (has_prefix(buf, len, "BZh", 3) || has_prefix(buf, len, "\xfd" "7zXZ", 5) ||
	    has_prefix(buf, len, "\x28\xb5\x2f\xfd", 4) || has_prefix(buf, len, "7z\xbc\xaf", 4))
		return sf_err_set(err, SF_E_FORMAT,
				  "compressed data (bzip2, xz, zstd or 7z): decompress it first");
	if (looks_utf16(buf, len, &be))
		return sf_err_set(err, SF_E_FORMAT,
				  "UTF-16%s text: save it as ASCII or UTF-8 (an Intel HEX file "
				  "is plain ASCII)", be ? "BE" : "LE");
	if (has_prefix(buf, len, "%PDF", 4))
		return sf_err_set(err, SF_E_FORMAT, "a PDF document, not firmware");
	if (has_prefix(buf, len, "MZ", 2) && len >= 64)
		return sf_err_set(err, SF_E_FORMAT, "a Windows executable, not nRF52 firmware");
	if (p[0] == '<') {
		first_line(p, n, line, sizeof(line));
		if (text_contains(p, n, "<html") || text_contains(p, n, "<!doctype html") ||
		    text_contains(p, n, "<head") || text_contains(p, n, "<body"))
			return sf_err_set(err, SF_E_FORMAT,
					  "looks like HTML (a web server's error or login page?), "
					  "not firmware: '%s'", line);
		return sf_err_set(err, SF_E_FORMAT, "looks like XML or HTML, not firmware: '%s'",
				  line);
	}
	if ((p[0] == '{' || p[0] == '[') && looks_text(p, n)) {
		first_line(p, n, line, sizeof(line));
		return sf_err_set(err, SF_E_FORMAT,
				  "looks like JSON (an error response from a server?), not "
				  "firmware: '%s'", line);
	}
	if (n >= 4 && p[0] == 'S' && p[1] >= '0' && p[1] <= '9' && looks_text(p, n))
		return sf_err_set(err, SF_E_FORMAT,
				  "looks like a Motorola S-record file: convert it to Intel HEX "
				  "(srec_cat FILE -o OUT.hex -Intel)");
	if (looks_base64(p, n))
		return sf_err_set(err, SF_E_FORMAT, "looks like base64 text: decode it first");
	if (has_prefix(p, n, "#!", 2))
		return sf_err_set(err, SF_E_FORMAT, "a script ('#!'), not firmware");
	if (looks_text(buf, len)) {
		first_line(p, n, line, sizeof(line));
		return sf_err_set(err, SF_E_FORMAT,
				  "text that is not Intel HEX (no ':' record at the start): '%s'",
				  line);
	}
	return sf_err_set(err, SF_E_FORMAT,
			  "not Intel HEX, UF2 or ELF (binary data starting %02X %02X %02X %02X): "
			  "a raw binary is flashed only when asked for, as format bin with a base "
			  "address", buf[0], len > 1 ? buf[1] : 0, len > 2 ? buf[2] : 0,
			  len > 3 ? buf[3] : 0);
}

const char *img_format_name(enum img_format f)
{
	switch (f) {
	case IMG_AUTO: return "auto";
	case IMG_HEX: return "hex";
	case IMG_UF2: return "uf2";
	case IMG_ELF: return "elf";
	case IMG_BIN: return "bin";
	}
	return "unknown";
}

int img_format_from_name(const char *name)
{
	static const struct { const char *name; enum img_format f; } names[] = {
		{ "auto", IMG_AUTO }, { "hex", IMG_HEX }, { "ihex", IMG_HEX },
		{ "uf2", IMG_UF2 }, { "elf", IMG_ELF }, { "bin", IMG_BIN },
	};
	size_t i;

	if (!name)
		return -1;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(name, names[i].name) == 0)
			return (int)names[i].f;
	return -1;
}

static int parse_bin(const uint8_t *buf, size_t len, uint32_t base, struct img_build *b,
		     struct sf_err *err)
{
	if ((uint64_t)base + len > IMG_ADDR_LIMIT)
		return sf_err_set(err, SF_E_IMAGE,
				   "address wrap past 4 GiB: %zu bytes at base 0x%08X end beyond 0xFFFFFFFF",
				   len, (unsigned)base);
	return img_build_add(b, base, buf, len, 0, err);
}

int img_parse(const uint8_t *buf, size_t len, enum img_format fmt, uint32_t base,
	      struct img *out, struct sf_err *err)
{
	struct img_build b;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!buf && len)
		return sf_err_set(err, SF_E_ARG, "no image buffer");
	if (len == 0)
		return sf_err_set(err, SF_E_IMAGE, "empty file");
	if (fmt == IMG_AUTO)
		fmt = img_detect(buf, len);
	if (fmt == IMG_AUTO)
		return img_refuse_unknown(buf, len, err);

	switch (fmt) {
	case IMG_HEX:
		img_build_init(&b, IMG_ORIGIN_LINE);
		rc = img_parse_hex(buf, len, &b, out, err);
		break;
	case IMG_UF2:
		img_build_init(&b, IMG_ORIGIN_BLOCK);
		rc = img_parse_uf2(buf, len, &b, out, err);
		break;
	case IMG_ELF:
		img_build_init(&b, IMG_ORIGIN_PHDR);
		rc = img_parse_elf(buf, len, &b, out, err);
		break;
	case IMG_BIN:
		img_build_init(&b, IMG_ORIGIN_FILE);
		rc = parse_bin(buf, len, base, &b, err);
		break;
	default:
		return sf_err_set(err, SF_E_FORMAT, "unknown image format %d", (int)fmt);
	}
	if (rc == 0)
		rc = img_build_finish(&b, out, err);
	img_build_free(&b);
	if (rc) {
		memset(out, 0, sizeof(*out));
		return rc;
	}
	out->format = fmt;
	sha256_buf(buf, len, out->sha256, out->sha256_hex);
	return 0;
}

/* The most file bytes a format needs to carry max_data bytes of flash
 * data: raw binary 1:1; Intel HEX 2.8x with 16-byte records (45 characters
 * and CRLF for 16 bytes), 4x leaves room for 8-byte records; UF2 2x with
 * uf2conv's 256-byte payloads, 4x for smaller ones; ELF files also carry
 * symbols and debug sections that are never read (the file is mapped,
 * not copied), so they are bounded by IMG_MAX_FILE only. */
static uint64_t file_bound(enum img_format f, uint64_t max_data)
{
	switch (f) {
	case IMG_BIN: return max_data;
	case IMG_HEX: return 4 * max_data + 65536;
	case IMG_UF2: return 4 * max_data + 65536;
	case IMG_ELF: case IMG_AUTO: break;
	}
	return IMG_MAX_FILE;
}

int img_load_file_max(const char *path, enum img_format fmt, uint32_t base, uint64_t max_data,
		      struct img *out, struct sf_err *err)
{
	struct stat st;
	const uint8_t *map = NULL;
	size_t len = 0;
	uint64_t bound;
	int fd, rc;

	memset(out, 0, sizeof(*out));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return sf_err_set(err, SF_E_IO, "%s: %s", path, strerror(errno));
	if (fstat(fd, &st) != 0) {
		rc = sf_err_set(err, SF_E_IO, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = sf_err_set(err, SF_E_IO, "%s: not a regular file", path);
		goto out;
	}
	if ((unsigned long long)st.st_size > IMG_MAX_FILE) {
		rc = sf_err_set(err, SF_E_IMAGE, "%s: %lld bytes is too big for a firmware image "
				 "(limit %u MiB)", path, (long long)st.st_size, IMG_MAX_FILE >> 20);
		goto out;
	}
	len = (size_t)st.st_size;
	if (len == 0) {
		rc = img_parse((const uint8_t *)"", 0, fmt, base, out, err);
		sf_err_prefix(err, "%s", path);
		goto out;
	}
	/* mapped, never copied: memory follows what the parser reads */
	map = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
	if (map == MAP_FAILED) {
		map = NULL;
		rc = sf_err_set(err, SF_E_IO, "%s: mmap: %s", path, strerror(errno));
		goto out;
	}
	if (fmt == IMG_AUTO) {
		/* detection looks at the start only; unknown content is refused
		 * before the rest of the file is read */
		fmt = img_detect(map, len);
		if (fmt == IMG_AUTO) {
			rc = img_refuse_unknown(map, len, err);
			sf_err_prefix(err, "%s", path);
			goto out;
		}
	}
	bound = max_data ? file_bound(fmt, max_data) : IMG_MAX_FILE;
	if (len > bound) {
		rc = sf_err_set(err, SF_E_IMAGE,
				"%s: %zu bytes is more than %s image for an nRF52 can need (at most "
				"%llu bytes for %llu bytes of flash and UICR)", path, len,
				fmt == IMG_HEX ? "an Intel HEX" : fmt == IMG_UF2 ? "a UF2" : "a raw binary",
				(unsigned long long)bound, (unsigned long long)max_data);
		goto out;
	}
	rc = img_parse(map, len, fmt, base, out, err);
	if (rc)
		sf_err_prefix(err, "%s", path);
out:
	if (map)
		munmap((void *)map, len);
	close(fd);
	return rc;
}

int img_load_file(const char *path, enum img_format fmt, uint32_t base, struct img *out,
		  struct sf_err *err)
{
	return img_load_file_max(path, fmt, base, 0, out, err);
}

/* One record, ":LLAAAATT<data>CC\n", at out (IMG_IHEX_RECORD_MAX bytes
 * of room); returns its length. */
static size_t ihex_record(char *out, uint8_t type, uint16_t off, const uint8_t *data, size_t n)
{
	static const char hx[] = "0123456789ABCDEF";
	unsigned sum = (unsigned)n + (off >> 8) + (off & 0xFF) + type;
	uint8_t head[4] = { (uint8_t)n, (uint8_t)(off >> 8), (uint8_t)off, type };
	size_t w = 0;

	out[w++] = ':';
	for (size_t i = 0; i < 4 + n; i++) {
		uint8_t b = i < 4 ? head[i] : data[i - 4];
		if (i >= 4)
			sum += b;
		out[w++] = hx[b >> 4];
		out[w++] = hx[b & 15];
	}
	sum = -sum & 0xFF;
	out[w++] = hx[sum >> 4];
	out[w++] = hx[sum & 15];
	out[w++] = '\n';
	return w;
}

int img_ihex_writer_init(struct img_ihex_writer *w, uint32_t addr, const uint8_t *buf,
			 size_t len)
{
	memset(w, 0, sizeof(*w));
	if ((uint64_t)addr + len > IMG_ADDR_LIMIT || (!buf && len))
		return SF_E_ARG;
	w->buf = buf;
	w->addr = addr;
	w->a = addr;
	w->end = (uint64_t)addr + len;
	return 0;
}

/* The next record: its type (0x04, 0x00, 0x01) and data length, without
 * writing it; -1 when the EOF record is out. */
static int ihex_next(const struct img_ihex_writer *w, size_t *n)
{
	if (w->done)
		return -1;
	if (w->a >= w->end) {
		*n = 0;
		return 0x01;
	}
	/* 16 bytes a line, never across a 64 KiB boundary, so every record
	 * sits wholly under its extended linear address */
	uint64_t left = w->end - w->a, room = 0x10000 - (w->a & 0xFFFF);
	if (!w->have_upper || (uint32_t)(w->a >> 16) != w->upper) {
		*n = 2;
		return 0x04;
	}
	*n = (size_t)(left < 16 ? left : 16);
	if (*n > room)
		*n = (size_t)room;
	return 0x00;
}

static void ihex_advance(struct img_ihex_writer *w, int type, size_t n)
{
	if (type == 0x01)
		w->done = 1;
	else if (type == 0x04) {
		w->upper = (uint32_t)(w->a >> 16);
		w->have_upper = 1;
	} else
		w->a += n;
}

size_t img_ihex_writer_next(struct img_ihex_writer *w, char *out, size_t cap)
{
	size_t used = 0, n;
	int type;

	while (cap - used >= IMG_IHEX_RECORD_MAX && (type = ihex_next(w, &n)) >= 0) {
		if (type == 0x04) {
			uint8_t ula[2] = { (uint8_t)(w->a >> 24), (uint8_t)(w->a >> 16) };
			used += ihex_record(out + used, 0x04, 0, ula, 2);
		} else {
			uint16_t off = type ? 0 : (uint16_t)(w->a & 0xFFFF);
			used += ihex_record(out + used, (uint8_t)type, off,
					    type ? NULL : w->buf + (w->a - w->addr), n);
		}
		ihex_advance(w, type, n);
	}
	return used;
}

uint64_t img_ihex_size(uint32_t addr, size_t len)
{
	struct img_ihex_writer w;
	uint64_t total = 0;
	size_t n;
	int type;

	/* the records without their bytes: only the lengths are needed */
	static const uint8_t zero;
	if (img_ihex_writer_init(&w, addr, len ? &zero : NULL, len))
		return 0;
	while ((type = ihex_next(&w, &n)) >= 0) {
		total += 12 + 2 * (uint64_t)n;  /* ':' LL AAAA TT data CC '\n' */
		ihex_advance(&w, type, n);
	}
	return total;
}

int img_write_ihex(FILE *f, uint32_t addr, const uint8_t *buf, size_t len)
{
	struct img_ihex_writer w;
	char out[4096];
	size_t n;

	if (img_ihex_writer_init(&w, addr, buf, len))
		return SF_E_ARG;
	while ((n = img_ihex_writer_next(&w, out, sizeof(out))) > 0)
		if (fwrite(out, 1, n, f) != n)
			return SF_E_IO;
	if (fflush(f) != 0 || ferror(f))
		return SF_E_IO;
	return 0;
}
