// SPDX-License-Identifier: GPL-2.0-or-later
/* gpiod_trace: a swdflash job (identify, flash IMAGE with verify, read
 * back) through the same library stack as swdflash, writing every SWD
 * transfer the link issued, one per line in sigrok's SWD decoder naming
 * ("R AP4 OK 0x20000000", "W SELECT OK 0x00000000", "R AP4 WAIT").
 *
 *   gpiod_trace PROBE_SPEC TRACE_OUT IMAGE
 *
 * tests/t_gpiochip_swdflash.sh runs it on the emulated GPIO chip with a VCD
 * recorded there and compares this list with sigrok-cli's decode. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../nrf52/image.h"
#include "../nrf52/nrf52.h"
#include "../swd/link.h"
#include "../swd/probe.h"
#include "xfer_trace.h"

int main(int argc, char **argv)
{
	struct swd_probe *pr = NULL;
	struct sf_err err = { 0 };
	struct nrf52 *n = NULL;
	struct nrf52_info info;
	struct nrf52_flash_opts fo = { .erase = NRF52_ERASE_AUTO, .verify = 1 };
	struct nrf52_stats st;
	struct img img;
	uint8_t buf[256];
	FILE *out;
	int rc;

	if (argc != 4) {
		fprintf(stderr, "usage: gpiod_trace PROBE_SPEC TRACE_OUT IMAGE\n");
		return 2;
	}
	memset(&img, 0, sizeof(img));
	if (img_load_file(argv[3], IMG_AUTO, 0, &img, &err)) {
		fprintf(stderr, "gpiod_trace: %s\n", err.msg);
		return 1;
	}
	out = fopen(argv[2], "w");
	if (!out) {
		perror(argv[2]);
		img_free(&img);
		return 1;
	}
	rc = swd_probe_open(argv[1], &pr, &err);
	if (!rc && !swd_probe_link(pr))
		rc = sf_err_set(&err, SF_E_ARG, "%s is not a bit-bang probe", argv[1]);
	if (!rc) {
		swd_link_set_trace(swd_probe_link(pr), xt_xfer, out);
		n = nrf52_new(swd_probe_dap(pr), swd_probe_clock(pr), NULL, NULL);
		rc = n ? nrf52_identify(n, &info, &err) : sf_err_set(&err, SF_E_NOMEM, "oom");
	}
	if (!rc)
		rc = nrf52_flash(n, &img, &fo, &st, &err);
	if (!rc)
		rc = nrf52_read(n, img.seg[0].addr, buf, sizeof(buf), &err);
	if (!rc && memcmp(buf, img.seg[0].data, img.seg[0].len < sizeof(buf) ?
					      img.seg[0].len : sizeof(buf)))
		rc = sf_err_set(&err, SF_E_VERIFY, "read back differs");
	if (rc)
		fprintf(stderr, "gpiod_trace: %s\n", err.msg);
	else
		printf("%s: flashed %llu bytes, %u pages written\n", swd_probe_desc(pr),
		       (unsigned long long)st.bytes_written, st.pages_written);
	nrf52_free(n);
	swd_probe_close(pr);
	fclose(out);
	img_free(&img);
	return rc ? 1 : 0;
}
