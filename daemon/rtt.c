// SPDX-License-Identifier: GPL-2.0-or-later
/* rtt: SEGGER RTT self-test reader (rtt.h). */
#include "rtt.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define RTT_ID "SEGGER RTT"
#define RTT_SCAN_CHUNK 1024U   /* RAM looked at per poll while searching */
#define RTT_POLL_US 5000U      /* between reads of the buffer */

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Look at one more chunk of RAM for the control block; *cb set when found. */
static int scan(struct nrf52 *n, uint32_t *pos, uint32_t *cb, struct sf_err *err)
{
	const struct nrf52_info *info = nrf52_get_info(n);
	uint8_t buf[RTT_SCAN_CHUNK + 16];
	uint32_t end = NRF52_RAM_BASE + info->ram_size;

	if (*pos >= end)
		*pos = NRF52_RAM_BASE;  /* the firmware may not have set it up yet: again */
	uint32_t len = end - *pos < sizeof(buf) ? end - *pos : (uint32_t)sizeof(buf);
	int rc = nrf52_read(n, *pos, buf, len, err);
	if (rc)
		return rc;
	for (uint32_t i = 0; i + 16 <= len; i += 4)
		if (!memcmp(buf + i, RTT_ID, sizeof(RTT_ID))) {
			*cb = *pos + i;
			return 0;
		}
	*pos += len > 16 ? len - 16 : len;  /* overlap: an id across two chunks */
	return 0;
}

int rtt_selftest(struct nrf52 *n, const struct swd_clock *clock, const struct recipe_selftest *st,
		 char *line, size_t line_len, struct sf_err *err)
{
	uint64_t t0 = clock->ops->now_us(clock->ctx);
	uint64_t deadline = t0 + (uint64_t)st->timeout_ms * 1000U;
	uint32_t pos = NRF52_RAM_BASE, cb = 0;
	char cur[200];
	size_t curlen = 0;
	int rc;

	line[0] = 0;
	for (;;) {
		/* the whole of RAM between two looks (a block may appear later) */
		for (uint32_t start = pos; !cb;) {
			if ((rc = scan(n, &pos, &cb, err)))
				return sf_err_prefix(err, "self-test: looking for the RTT control block");
			if (pos < start || pos >= NRF52_RAM_BASE + nrf52_get_info(n)->ram_size)
				break;
		}
		if (cb) {
			uint8_t d[24 + 16];
			if ((rc = nrf52_read(n, cb + 16, d, sizeof(d), err)))
				return sf_err_prefix(err, "self-test: reading the RTT control block");
			uint32_t nup = le32(d);
			const uint8_t *up = d + 8;  /* aUp[0] */
			uint32_t pbuf = le32(up + 4), size = le32(up + 8), wr = le32(up + 12),
				 rd = le32(up + 16);
			if (nup < 1 || nup > 16 || !size || size > 65536 || wr >= size || rd >= size)
				return sf_err_set(err, SF_E_VERIFY, "self-test: the RTT control block at "
						  "0x%08" PRIX32 " is not valid (up buffers %" PRIu32
						  ", size %" PRIu32 ", WrOff %" PRIu32 ", RdOff %" PRIu32 ")",
						  cb, nup, size, wr, rd);
			int verdict = 0;  /* 1 PASS, -1 FAIL */
			while (rd != wr && !verdict) {
				uint32_t stop = wr > rd ? wr : size;
				uint8_t chunk[256];
				uint32_t take = stop - rd > sizeof(chunk) ? (uint32_t)sizeof(chunk) : stop - rd;
				if ((rc = nrf52_read(n, pbuf + rd, chunk, take, err)))
					return sf_err_prefix(err, "self-test: reading the RTT buffer");
				for (uint32_t i = 0; i < take; i++) {
					char c = (char)chunk[i];
					if (c == '\r')
						continue;
					if (c != '\n' && curlen + 1 < sizeof(cur)) {
						cur[curlen++] = c;
						continue;
					}
					if (c != '\n')
						continue;  /* an overlong line: its end decides */
					cur[curlen] = 0;
					curlen = 0;
					if (st->fail[0] && strstr(cur, st->fail))
						verdict = -1;
					else if (strstr(cur, st->pass))
						verdict = 1;
					if (verdict) {
						snprintf(line, line_len, "%s", cur);
						take = i + 1;  /* consumed up to this line's end */
						break;
					}
				}
				rd = (rd + take) % size;
				uint32_t w = rd;
				if ((rc = nrf52_write_ram(n, cb + 16 + 8 + 16, &w, 1, err)))
					return sf_err_prefix(err, "self-test: writing the RTT read offset");
			}
			if (verdict < 0)
				return sf_err_set(err, SF_E_VERIFY, "self-test failed: the firmware said "
						  "\"%.150s\"", line);
			if (verdict > 0)
				return 0;
		}
		uint64_t now = clock->ops->now_us(clock->ctx);
		if (now >= deadline)
			return sf_err_set(err, SF_E_TIMEOUT, "self-test: %s within %u ms", cb
					  ? "no PASS line from the firmware"
					  : "no RTT control block (\"SEGGER RTT\") in RAM", st->timeout_ms);
		clock->ops->sleep_us(clock->ctx, RTT_POLL_US);
	}
}
