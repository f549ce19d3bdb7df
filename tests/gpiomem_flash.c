// SPDX-License-Identifier: GPL-2.0-or-later
/* gpiomem_flash: a swdflash-like job through the gpiomem pins driver on
 * the register model (tests/gm_model.c), for tests/t_gpiomem.sh: flash
 * IMAGE (erase auto, verify), then read every segment back and write
 * what the chip holds to READBACK.<start address in decimal>.bin, one
 * file a segment; with TRACE and VCD, also
 * every transfer the link issued (sigrok's naming, one a line) and the
 * waveform at the modelled pins.
 *
 *   gpiomem_flash bcm2835|bcm2711|rp1 SIMSPEC IMAGE READBACK [TRACE VCD] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gm_model.h"
#include "nrf52/image.h"
#include "nrf52/nrf52.h"
#include "swd/link.h"
#include "xfer_trace.h"

int main(int argc, char **argv)
{
	struct gm_rig r;
	struct sf_err err = { 0 };
	struct nrf52_info info;
	struct nrf52_flash_opts fo = { .erase = NRF52_ERASE_AUTO, .verify = 1 };
	struct nrf52_stats st;
	struct img img;
	char msg[300];
	FILE *trace = NULL, *vcd = NULL, *out;
	struct nrf52 *n;
	enum swd_gpiomem_soc soc;
	int rc = 0;
	uint64_t rd, wr, cyc;

	if (argc != 5 && argc != 7) {
		fprintf(stderr, "usage: gpiomem_flash bcm2835|bcm2711|rp1 SIMSPEC IMAGE READBACK "
				"[TRACE VCD]\n");
		return 2;
	}
	if (!strcmp(argv[1], "bcm2835"))
		soc = SWD_GPIOMEM_BCM2835;
	else if (!strcmp(argv[1], "bcm2711"))
		soc = SWD_GPIOMEM_BCM2711;
	else if (!strcmp(argv[1], "rp1"))
		soc = SWD_GPIOMEM_RP1;
	else
		return fprintf(stderr, "gpiomem_flash: unknown SoC '%s'\n", argv[1]), 2;
	memset(&img, 0, sizeof(img));
	if (img_load_file(argv[3], IMG_AUTO, 0, &img, &err))
		return fprintf(stderr, "gpiomem_flash: %s\n", err.msg), 1;
	if (argc == 7) {
		trace = fopen(argv[5], "w");
		vcd = fopen(argv[6], "w");
		if (!trace || !vcd)
			return perror("gpiomem_flash: trace/vcd"), 1;
	}
	if (gm_rig_open(&r, soc, argv[2], SWD_GM_DEFAULT_HZ, vcd, msg, sizeof(msg)))
		return fprintf(stderr, "gpiomem_flash: %s\n", msg), 1;
	if (trace)
		swd_link_set_trace(r.link, xt_xfer, trace);
	n = nrf52_new(&r.dap, &r.clock, NULL, NULL);
	rc = n ? nrf52_identify(n, &info, &err) : sf_err_set(&err, SF_E_NOMEM, "out of memory");
	if (!rc)
		rc = nrf52_flash(n, &img, &fo, &st, &err);
	for (size_t i = 0; !rc && i < img.nseg; i++) {
		uint8_t *buf = malloc(img.seg[i].len);
		char path[4200];

		snprintf(path, sizeof(path), "%.4000s.%u.bin", argv[4], img.seg[i].addr);
		rc = buf ? nrf52_read(n, img.seg[i].addr, buf, img.seg[i].len, &err)
			 : sf_err_set(&err, SF_E_NOMEM, "out of memory");
		out = rc ? NULL : fopen(path, "wb");
		if (!rc && (!out || fwrite(buf, 1, img.seg[i].len, out) != img.seg[i].len))
			rc = sf_err_set(&err, SF_E_IO, "cannot write %s", path);
		if (out && fclose(out) && !rc)
			rc = sf_err_set(&err, SF_E_IO, "cannot write %s", path);
		free(buf);
	}
	if (rc)
		fprintf(stderr, "gpiomem_flash: %s\n", err.msg);
	else {
		swd_gpiomem_counts(r.pins, &rd, &wr, &cyc);
		printf("%s: %llu SWCLK cycles, %.3f register accesses per cycle; %s\n", argv[1],
		       (unsigned long long)cyc, (double)(rd + wr) / (double)cyc,
		       r.ops->describe(r.pins));
	}
	nrf52_free(n);
	gm_rig_close(&r);
	img_free(&img);
	if (trace)
		fclose(trace);
	return rc ? 1 : 0;
}
