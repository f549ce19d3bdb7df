// SPDX-License-Identifier: GPL-2.0-or-later
/* swd_pins_gpiomem: SWD pins by writing the GPIO controller's registers
 * (BCM2835/6/7: Pi 1-3 and Zero; BCM2711: Pi 4, 400, CM4) through
 * /dev/gpiomem, as OpenOCD's bcm2835gpio driver does, and RP1's registered
 * IO on the Pi 5 through /dev/gpiomem0. An SWCLK edge is one store instead
 * of one ioctl.
 *
 * The driver reaches the registers through one small access layer (struct
 * swd_gpiomem_regs: read or write a 32-bit register at a byte offset from
 * the GPIO block). swd_pins_gpiomem_open() makes it the mmap of
 * /dev/gpiomem; swd_pins_gpiomem_new() takes any other layer, which is how
 * the tests run this same code on a register model wired to sim/ (see
 * tests/gm_model.h). Nothing else differs between the two. */
#ifndef SWD_PINS_GPIOMEM_H
#define SWD_PINS_GPIOMEM_H

#include <stddef.h>
#include <stdint.h>

#include "pins.h"
#include "../common/err.h"

enum swd_gpiomem_soc {
	SWD_GPIOMEM_BCM2835, /* BCM2835, BCM2836, BCM2837: GPPUD/GPPUDCLK pulls */
	SWD_GPIOMEM_BCM2711, /* GPIO_PUP_PDN_CNTRL_REG0-3 pulls */
	SWD_GPIOMEM_RP1,     /* Pi 5 (BCM2712): RP1 IO_BANK0 / SYS_RIO0 / PADS_BANK0 */
};

/* Register offsets in bytes from the GPIO block (what /dev/gpiomem maps
 * at 0). BCM2835 ARM Peripherals (2012) section 6.1, table "GPIO Register
 * Assignment" p.90; the same on the BCM2711 (BCM2711 ARM Peripherals,
 * 2020, section 5.2); also raspberrypi/utils pinctrl/gpiochip_bcm2835.c
 * (word indices 0-5, 7, 10, 13, 37-39, 57-60). */
#define SWD_GM_GPFSEL0 0x00U     /* GPFSEL0-5: 3 bits a pin, 10 pins a register */
#define SWD_GM_GPSET0 0x1CU      /* GPSET0/1: write 1 = drive high, 0 = no effect */
#define SWD_GM_GPCLR0 0x28U      /* GPCLR0/1: write 1 = drive low, 0 = no effect */
#define SWD_GM_GPLEV0 0x34U      /* GPLEV0/1: pin levels, read only */
#define SWD_GM_GPPUD 0x94U       /* BCM2835 only: pull control 0 off, 1 down, 2 up */
#define SWD_GM_GPPUDCLK0 0x98U   /* BCM2835 only: clocks GPPUD into the pins set */
#define SWD_GM_PUP_PDN0 0xE4U    /* BCM2711 only: 2 bits a pin, 16 pins a register;
				    0 none, 1 up, 2 down (BCM2711 ARM Peripherals 5.2) */
#define SWD_GM_FSEL_INPUT 0U     /* BCM2835 ARM Peripherals p.91-92: 000 input, 001 output */
#define SWD_GM_FSEL_OUTPUT 1U
#define SWD_GM_MAP_LEN 4096U     /* /dev/gpiomem maps one page: the GPIO block */

/* RP1 (Pi 5), offsets from what /dev/gpiomem0 maps at 0 (RP1's GPIO block,
 * 0x30000 bytes): raspberrypi/utils pinctrl/gpiolib.c (gpiolib_mmap maps
 * the chip's size at offset 0 of /dev/gpiomem<N> for alias gpio<N>) and
 * pinctrl/gpiochip_rp1.c (size 0x30000; IO_BANK0 0x0, SYS_RIO0 0x10000,
 * PADS0 0x20000; alias offsets; CTRL at (2n+1)*4, FSEL bits 0-4, SYS_RIO
 * = function 5; PADS at 4+4n, OD bit 7, IE bit 6, PUE bit 3, PDE bit 2;
 * header GPIO0-27 are bank 0); the same blocks at RP1 0x400d0000,
 * 0x400e0000, 0x400f0000 in raspberrypi/linux rp1.dtsi. */
#define SWD_GM_RP1_MAP_LEN 0x30000U
#define SWD_GM_RP1_CTRL(n) (((n) * 2U + 1U) * 4U)
#define SWD_GM_RP1_FSEL_MASK 0x1FU
#define SWD_GM_RP1_FSEL_SYS_RIO 5U
#define SWD_GM_RP1_RIO_OUT 0x10000U
#define SWD_GM_RP1_RIO_OE 0x10004U
#define SWD_GM_RP1_RIO_SYNC_IN 0x10008U
#define SWD_GM_RP1_XOR 0x1000U   /* atomic alias offsets of every RP1 register */
#define SWD_GM_RP1_SET 0x2000U
#define SWD_GM_RP1_CLR 0x3000U
#define SWD_GM_RP1_PADS(n) (0x20000U + 4U + 4U * (n))
#define SWD_GM_RP1_PADS_OD (1U << 7)
#define SWD_GM_RP1_PADS_IE (1U << 6)
#define SWD_GM_RP1_PADS_PUE (1U << 3)
#define SWD_GM_RP1_PADS_PDE (1U << 2)
#define SWD_GM_RP1_NPINS 28U     /* bank 0: the 40-pin header's GPIO0-27 */
#define SWD_GM_NONE UINT32_MAX   /* no nRESET line */
#define SWD_GM_DEFAULT_HZ 4000000U /* nRF52 SWD is specified to 8 MHz; 4 MHz is kind to jig wires */

/* The register access layer. now_ns/delay_ns: the layer's time base
 * (the model's simulated clock); NULL = CLOCK_MONOTONIC and nanosleep. */
struct swd_gpiomem_regs {
	uint32_t (*read32)(void *ctx, uint32_t off);
	void (*write32)(void *ctx, uint32_t off, uint32_t v);
	uint64_t (*now_ns)(void *ctx);
	void (*delay_ns)(void *ctx, uint64_t ns);
	void (*free)(void *ctx); /* called when the pins driver is freed; may be NULL */
};

struct swd_gpiomem_cfg {
	enum swd_gpiomem_soc soc;
	uint32_t clk, dio, rst; /* BCM GPIO numbers; rst may be SWD_GM_NONE */
	uint32_t max_hz;        /* SWCLK ceiling; 0 = unpaced */
	const char *where;      /* for the description ("/dev/gpiomem, lines held ...") */
};

/* Production: args as gpiod's ("swclk=25,swdio=24,nreset=18,max_hz=4M",
 * plus chip= for the chip the lines are held on). Holds the lines through
 * libgpiod (consumer "swdflashd"), tells the SoC from
 * /proc/device-tree/compatible, maps /dev/gpiomem (Pi 1-4) or
 * /dev/gpiomem0 (Pi 5). */
int swd_pins_gpiomem_open(const char *args, struct swd_pins *out, char *desc, size_t desclen,
			  struct sf_err *err);

/* The same driver over any register layer (regs/regctx are owned by the
 * driver from here on: regs->free(regctx) when it is freed, also on
 * failure). Sets up the pins: SWCLK output low, SWDIO output high with a
 * pull-up, nRESET released (input, pull-up); free() puts back the
 * function select of our pins as found. */
int swd_pins_gpiomem_new(const struct swd_gpiomem_cfg *cfg, const struct swd_gpiomem_regs *regs,
			 void *regctx, struct swd_pins *out, struct sf_err *err);

/* The SoC from the device tree's compatible property (NUL-separated
 * strings, as read from /proc/device-tree/compatible). 0, or SF_E_UNSUPPORTED
 * naming what was found (no Broadcom SoC we know). */
int swd_gpiomem_soc_from_compatible(const char *buf, size_t len, enum swd_gpiomem_soc *soc,
				    struct sf_err *err);

/* Whether this machine can run the driver (a known SoC, its header chip,
 * /dev/gpiomem or /dev/gpiomem0 readable and writable), without taking a
 * line: 0 and a description in what, or the reason. */
int swd_gpiomem_available(char *what, size_t n, struct sf_err *err);

/* "bcm2835" / "bcm2711" / "rp1". */
const char *swd_gpiomem_soc_name(enum swd_gpiomem_soc soc);

/* Register accesses the driver made so far (for the benchmark and the
 * description); ctx is a gpiomem pins context. */
void swd_gpiomem_counts(void *ctx, uint64_t *reads, uint64_t *writes, uint64_t *cycles);

#endif
