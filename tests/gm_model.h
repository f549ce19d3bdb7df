// SPDX-License-Identifier: GPL-2.0-or-later
/* gm_model: a register model of the BCM2835 / BCM2711 GPIO block and of
 * RP1's bank 0 (Pi 5) for tests and the benchmark, wired to the simulated
 * nRF52's pins. It is
 * the "register access layer" of swd/pins_gpiomem.h, so the real driver
 * code runs against it.
 *
 * Semantics modelled (BCM2835 ARM Peripherals 6.1; BCM2711 ARM
 * Peripherals 5.2): GPFSEL 3 bits a pin (000 input, 001 output, other =
 * an alternate function: the pin is not ours, the model drives nothing);
 * GPSET/GPCLR set the output latch whether or not the pin is an output;
 * GPLEV reads the pins (SWDIO from the chip when nobody drives it; an
 * undriven pin reads its pull, or 1 with no pull as the nRF52 pulls SWDIO
 * and nRESET up inside); pulls per SoC: BCM2835 GPPUD then GPPUDCLK with a
 * wait between them (a GPPUDCLK write without time passing since GPPUD is
 * ignored, as the datasheet's 150-cycle setup time says it may be),
 * BCM2711 GPIO_PUP_PDN_CNTRL_REG0-3 (2 bits, 01 up, 10 down); the
 * BCM2711 ignores GPPUD/GPPUDCLK, the BCM2835 has no PUP_PDN registers.
 * RP1 (raspberrypi/utils pinctrl/gpiochip_rp1.c): per-pin CTRL (a pin is
 * ours with function 5, SYS_RIO) and PADS (OD disables the output, IE the
 * input: SYNC_IN reads 0 for it, PUE/PDE pulls), SYS_RIO OUT/OE, and the
 * XOR/SET/CLR aliases at +0x1000/+0x2000/+0x3000 of every register.
 *
 * Time: each read and write advances the simulated clock by a cost
 * (gm_model_set_costs), delays advance it too; the chip's own per-cycle
 * period should be made tiny (period_ns=1) so the register costs and the
 * driver's pacing set the SWCLK frequency. */
#ifndef TESTS_GM_MODEL_H
#define TESTS_GM_MODEL_H

#include <stdint.h>
#include <stdio.h>

#include "sim/sim.h"
#include "swd/dap.h"
#include "swd/pins_gpiomem.h"

struct swd_link;

struct gm_model;

/* pins: SWCLK, SWDIO, nRESET GPIO numbers wired to chip (rst may be
 * SWD_GM_NONE). The model does not own chip. */
struct gm_model *gm_model_new(struct sim_chip *chip, enum swd_gpiomem_soc soc, uint32_t clk,
			      uint32_t dio, uint32_t rst);
extern const struct swd_gpiomem_regs gm_model_regs; /* free() frees the model */

void gm_model_set_costs(struct gm_model *m, uint32_t read_ns, uint32_t write_ns);
/* Record SWCLK/SWDIO as a VCD (for sigrok); the model closes f when freed. */
void gm_model_vcd(struct gm_model *m, FILE *f);
/* Raw register word (test back door) and a direct store that bypasses
 * the counters (another program touching the same registers). */
uint32_t gm_model_peek(const struct gm_model *m, uint32_t off);
void gm_model_poke(struct gm_model *m, uint32_t off, uint32_t v);
/* Pull of a pin: 0 none, 1 up, 2 down (the model's own encoding). */
int gm_model_pull(const struct gm_model *m, uint32_t pin);
uint64_t gm_model_reads(const struct gm_model *m);
uint64_t gm_model_writes(const struct gm_model *m);

/* A whole stack for tests and the benchmark: a simulated chip (simspec
 * as sim_config_parse), the model on GPIO25/24/18, the gpiomem driver
 * over it, the SWD link, the DAP and the probe clock. */
struct gm_rig {
	struct sim_chip *chip;
	struct gm_model *m;
	void *pins;               /* the gpiomem driver's context */
	const struct swd_pins_ops *ops;
	struct swd_link *link;
	struct dap dap;
	struct swd_clock clock;
};
int gm_rig_open(struct gm_rig *r, enum swd_gpiomem_soc soc, const char *simspec,
		uint32_t max_hz, FILE *vcd, char *msg, size_t msglen);
void gm_rig_close(struct gm_rig *r);

#endif
