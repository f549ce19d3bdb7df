// SPDX-License-Identifier: GPL-2.0-or-later
/* image_hex: Intel HEX (Intel "Hexadecimal Object File Format
 * Specification", rev. A, 1988), record types 00 to 05.
 *
 * Choices where the specification or common practice leaves room:
 * - A UTF-8 byte order mark at the very start, and spaces or tabs before
 *   the ':' of the first record (editors and copy-paste add them), are
 *   skipped. Inside the file the rules below hold.
 * - Lines end in LF, CRLF or a lone CR. Blank lines (nothing but spaces or
 *   tabs) are ignored anywhere, so trailing blank lines are fine. Anything
 *   else outside ":LLAAAATT...CC" is an error: no trailing blanks after
 *   the checksum, no comments.
 * - The end-of-file record (01) is required. A HEX file cut at a line
 *   boundary (an interrupted upload or copy) is otherwise complete-looking
 *   and would flash a truncated firmware; srec_cat only warns, we refuse.
 *   Non-blank lines after the end-of-file record are an error as well.
 * - Extended linear address (04): the address is ULBA * 65536 + offset and
 *   a record may run across a 64 KiB boundary into the next one, as the
 *   specification's "(LBA + DRLO + DRI) MOD 4G" says. A record that would
 *   go past 0xFFFFFFFF is an error ("address wrap past 4 GiB") instead of
 *   wrapping to address 0.
 * - Extended segment address (02): the address is USBA * 16 + offset. The
 *   specification wraps the offset inside the 64 KiB segment ("(DRLO + DRI)
 *   MOD 64K"); a record that needs that wrap is refused as almost certainly
 *   a generator bug, and the 8086 1 MiB wrap is not applied (addresses up
 *   to 0x10FFEF are taken as they are).
 * - Start address records: 03 gives CS * 16 + IP, 05 the 32-bit EIP. A
 *   second start address with a different value is an error.
 * - Type 02/04 records must carry 2 data bytes, 03/05 4 and 01 none. */
#include <stdio.h>
#include <string.h>

#include "image_internal.h"

enum { REC_DATA = 0, REC_EOF = 1, REC_ESA = 2, REC_SSA = 3, REC_ELA = 4, REC_SLA = 5 };

static int hexval(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* A character for a message: 'x' when printable, \xNN otherwise. */
static const char *show_char(uint8_t c, char buf[8])
{
	if (c >= 0x20 && c < 0x7F)
		snprintf(buf, 8, "'%c'", c);
	else
		snprintf(buf, 8, "\\x%02X", c);
	return buf;
}

static const char *rec_name(unsigned type)
{
	switch (type) {
	case REC_EOF: return "end-of-file";
	case REC_ESA: return "extended segment address";
	case REC_SSA: return "start segment address";
	case REC_ELA: return "extended linear address";
	case REC_SLA: return "start linear address";
	}
	return "data";
}

int img_parse_hex(const uint8_t *buf, size_t len, struct img_build *b, struct img *out,
		  struct sf_err *err)
{
	uint8_t rec[5 + 255];
	size_t pos = 0;
	unsigned line = 0, eof_line = 0, entry_line = 0;
	uint32_t upper = 0;     /* ULBA << 16, or USBA << 4 */
	int segmented = 0, seen_record = 0;
	char cb[8];

	if (len >= 3 && buf[0] == 0xEF && buf[1] == 0xBB && buf[2] == 0xBF)
		pos = 3; /* UTF-8 byte order mark */

	while (pos < len) {
		size_t ls = pos, le = pos, i, ndig, nbytes;
		unsigned ll, off, type, sum = 0, want;
		int blank = 1;

		while (le < len && buf[le] != '\n' && buf[le] != '\r')
			le++;
		pos = le;
		if (pos < len && buf[pos] == '\r')
			pos++;
		if (pos < len && buf[pos] == '\n')
			pos++;
		line++;

		for (i = ls; i < le; i++)
			if (buf[i] != ' ' && buf[i] != '\t')
				blank = 0;
		if (blank)
			continue;
		if (!seen_record)
			while (buf[ls] == ' ' || buf[ls] == '\t')
				ls++;
		seen_record = 1;
		if (eof_line)
			return sf_err_set(err, SF_E_IMAGE,
					   "line %u: data after the end-of-file record on line %u",
					   line, eof_line);
		if (buf[ls] != ':')
			return sf_err_set(err, SF_E_IMAGE,
					   "line %u: record does not start with ':' (found %s)",
					   line, show_char(buf[ls], cb));
		for (i = ls + 1; i < le; i++)
			if (hexval(buf[i]) < 0)
				return sf_err_set(err, SF_E_IMAGE,
						   "line %u, column %zu: non-hex character %s",
						   line, i - ls + 1, show_char(buf[i], cb));
		ndig = le - ls - 1;
		if (ndig < 10)
			return sf_err_set(err, SF_E_IMAGE,
					   "line %u: truncated record (%zu hex digits, a record has at least 10)",
					   line, ndig);
		if (ndig % 2)
			return sf_err_set(err, SF_E_IMAGE,
					   "line %u: odd number of hex digits (%zu)", line, ndig);
		nbytes = ndig / 2;
		ll = (unsigned)(hexval(buf[ls + 1]) << 4 | hexval(buf[ls + 2]));
		if (nbytes != ll + 5)
			return sf_err_set(err, SF_E_IMAGE,
					   "line %u: record length mismatch (length field says %u data "
					   "bytes, the line holds %zu)%s",
					   line, ll, nbytes - 5, nbytes < ll + 5 ? ", truncated?" : "");
		for (i = 0; i < nbytes; i++) {
			rec[i] = (uint8_t)(hexval(buf[ls + 1 + 2 * i]) << 4 | hexval(buf[ls + 2 + 2 * i]));
			if (i + 1 < nbytes)
				sum += rec[i];
		}
		want = -sum & 0xFF;
		if (rec[nbytes - 1] != want)
			return sf_err_set(err, SF_E_IMAGE,
					   "line %u: checksum mismatch (record says 0x%02X, computed 0x%02X)",
					   line, rec[nbytes - 1], want);
		off = (unsigned)rec[1] << 8 | rec[2];
		type = rec[3];

		switch (type) {
		case REC_DATA: {
			uint64_t addr;
			int rc;
			if (segmented) {
				if (off + ll > 0x10000)
					return sf_err_set(err, SF_E_IMAGE,
							   "line %u: record at offset 0x%04X with %u bytes "
							   "crosses the end of its 64 KiB segment (the "
							   "Intel wrap to offset 0 is not supported)",
							   line, off, ll);
				addr = (uint64_t)upper + off;
			} else {
				addr = (uint64_t)upper + off;
				if (addr + ll > IMG_ADDR_LIMIT)
					return sf_err_set(err, SF_E_IMAGE,
							   "line %u: address wrap past 4 GiB (record at "
							   "0x%08llX with %u bytes)",
							   line, (unsigned long long)addr, ll);
			}
			rc = img_build_add(b, (uint32_t)addr, rec + 4, ll, line, err);
			if (rc)
				return rc;
			break;
		}
		case REC_EOF:
			if (ll != 0)
				return sf_err_set(err, SF_E_IMAGE,
						   "line %u: end-of-file record with %u data bytes (needs 0)",
						   line, ll);
			eof_line = line;
			break;
		case REC_ESA:
		case REC_ELA:
			if (ll != 2)
				return sf_err_set(err, SF_E_IMAGE,
						   "line %u: %s record with %u data bytes (needs 2)",
						   line, rec_name(type), ll);
			if (type == REC_ELA) {
				upper = ((uint32_t)rec[4] << 8 | rec[5]) << 16;
				segmented = 0;
			} else {
				upper = ((uint32_t)rec[4] << 8 | rec[5]) << 4;
				segmented = 1;
			}
			break;
		case REC_SSA:
		case REC_SLA: {
			uint32_t e;
			if (ll != 4)
				return sf_err_set(err, SF_E_IMAGE,
						   "line %u: %s record with %u data bytes (needs 4)",
						   line, rec_name(type), ll);
			if (type == REC_SLA)
				e = (uint32_t)rec[4] << 24 | (uint32_t)rec[5] << 16 |
				    (uint32_t)rec[6] << 8 | rec[7];
			else
				e = ((uint32_t)rec[4] << 8 | rec[5]) * 16u +
				    ((uint32_t)rec[6] << 8 | rec[7]);
			if (out->has_entry && out->entry != e)
				return sf_err_set(err, SF_E_IMAGE,
						   "line %u: start address 0x%08X differs from 0x%08X "
						   "given on line %u",
						   line, (unsigned)e, (unsigned)out->entry, entry_line);
			out->has_entry = 1;
			out->entry = e;
			entry_line = line;
			break;
		}
		default:
			return sf_err_set(err, SF_E_IMAGE, "line %u: unknown record type 0x%02X",
					   line, type);
		}
	}
	if (!eof_line)
		return sf_err_set(err, SF_E_IMAGE,
				   "missing end-of-file record (type 01) after line %u: file truncated?",
				   line);
	return 0;
}
