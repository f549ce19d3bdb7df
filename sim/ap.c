// SPDX-License-Identifier: GPL-2.0-or-later
/* ap: the two access ports of the nRF52 DAP.
 *
 * AP 0, AHB-AP (ADIv5.2 C2.6): IDR 0x24770011 (J-Link log of an
 * nRF52832), CSW with 8/16/32-bit Size and single AddrInc (the Cortex-M4
 * AHB-AP has no packed increment: AddrInc=2 reads back as 0), TAR, DRW, BD0-3 (TAR[31:4] + 4n, no increment), CFG 0,
 * BASE 0xE00FF003 (ROM table present, ADIv5 format). TAR auto-increment
 * carries through TAR[11:0] and wraps inside the 4 KiB block: ADIv5 only
 * guarantees 10 bits, but the Cortex-M3/M4 AHB-AP has 12, and tools rely
 * on it: OpenOCD's cortex_m.c marks the M3 and M4 with
 * CORTEX_M_F_TAR_AUTOINCR_BLOCK_4K and re-arms TAR only every 4 KiB on
 * them (its verify reads across 1 KiB boundaries fail on a 1 KiB wrap),
 * and pyOCD assumes a 4 KiB wrap for IDR 0x24770011 (AP_4K_WRAP). A host
 * that re-arms TAR every 1 KiB works either way.
 *
 * A bus error on an access completes the access with STICKYERR set in
 * CTRL/STAT, so the next AP access answers FAULT until ABORT.STKERRCLR.
 *
 * While APPROTECT is in force the AHB-AP looks like an absent AP: every
 * register reads 0 (IDR included) and writes are ignored. Evidence: a
 * locked nRF52 makes OpenOCD stop with "Could not find MEM-AP to control
 * the core" (its AP scan matches on IDR; sandeepmistry/arduino-nRF5#522)
 * and probe-rs with "Failed to get information for AP 0"
 * (probe-rs/probe-rs#1324); both then go through the CTRL-AP.
 *
 * AP 1, CTRL-AP (Nordic; pyOCD target_nRF52.py, OpenOCD nrf52.cfg):
 * RESET 0x000, ERASEALL 0x004, ERASEALLSTATUS 0x008, APPROTECTSTATUS 0x00C
 * (0 = locked), IDR 0x0FC = 0x02880000. Always accessible.
 *
 * Any other AP number is absent: reads 0, writes ignored. */
#include "sim_internal.h"

#define AHB_IDR 0x24770011u
#define AHB_BASE 0xE00FF003u
#define CTRL_IDR 0x02880000u

#define CSW_SIZE_MASK 0x7u
#define CSW_ADDRINC_MASK (3u << 4)
#define CSW_DEVICEEN (1u << 6)
/* Writable: Size, AddrInc, Mode (RAZ here), Prot b30:24, SPIDEN is RO. */
#define CSW_WMASK (CSW_SIZE_MASK | CSW_ADDRINC_MASK | 0x7F000000u)
/* Reset value seen on a Cortex-M4 (NRF52.md bench note): HPROT1, MasterType. */
#define CSW_RESET 0x23000040u

void sim_ap_reset(struct sim_chip *c)
{
	c->csw = CSW_RESET;
	c->tar = 0;
}

static int ahb_open(const struct sim_chip *c)
{
	return !c->locked;
}

static unsigned csw_bytes(uint32_t csw)
{
	switch (csw & CSW_SIZE_MASK) {
	case 0: return 1;
	case 1: return 2;
	default: return 4;
	}
}

/* Bus address of a DRW/BDn access, or 0 with *ok=0 for other registers. */
static uint32_t access_addr(const struct sim_chip *c, unsigned reg, int *ok)
{
	*ok = 1;
	if (reg == 0x0C)
		return c->tar;
	if (reg >= 0x10 && reg <= 0x1C)
		return (c->tar & ~0xFu) + (reg - 0x10);
	*ok = 0;
	return 0;
}

unsigned sim_ap_check(struct sim_chip *c, unsigned apsel, unsigned reg, int rnw)
{
	if (apsel != 0 || !ahb_open(c))
		return SIM_ACK_OK;
	int is_bus;
	uint32_t addr = access_addr(c, reg, &is_bus);
	if (!is_bus)
		return SIM_ACK_OK;
	return sim_bus_stalls(c, addr, !rnw) ? SIM_ACK_WAIT : SIM_ACK_OK;
}

static void tar_advance(struct sim_chip *c)
{
	if ((c->csw & CSW_ADDRINC_MASK) != (1u << 4))
		return;
	uint32_t inc = csw_bytes(c->csw);
	c->tar = (c->tar & ~0xFFFu) | ((c->tar + inc) & 0xFFFu);
}

static uint32_t ahb_read(struct sim_chip *c, unsigned reg)
{
	if (!ahb_open(c))
		return 0;
	switch (reg) {
	case 0x00: return c->csw | CSW_DEVICEEN;
	case 0x04: return c->tar;
	case 0xF4: return 0;          /* CFG: little-endian, 32-bit addresses */
	case 0xF8: return AHB_BASE;
	case 0xFC: return AHB_IDR;
	default: break;
	}
	int is_bus;
	uint32_t addr = access_addr(c, reg, &is_bus);
	if (!is_bus)
		return 0;
	uint32_t v = 0;
	/* The whole word comes back; the addressed byte lanes carry the data. */
	if (sim_bus_read(c, addr & ~3u, &v) < 0) {
		c->ctrlstat |= SIM_CS_STICKYERR;
		c->ctrlstat &= ~SIM_CS_READOK;
		return 0;
	}
	if (reg == 0x0C)
		tar_advance(c);
	return v;
}

static void ahb_write(struct sim_chip *c, unsigned reg, uint32_t v)
{
	if (!ahb_open(c))
		return;
	switch (reg) {
	case 0x00: {
		uint32_t n = v & CSW_WMASK;
		if ((n & CSW_ADDRINC_MASK) == (2u << 4) || (n & CSW_ADDRINC_MASK) == (3u << 4))
			n &= ~CSW_ADDRINC_MASK;  /* packed: not supported */
		if ((n & CSW_SIZE_MASK) > 2)
			n = (n & ~CSW_SIZE_MASK) | 2u;
		c->csw = n;
		return;
	}
	case 0x04:
		c->tar = v;
		return;
	default:
		break;
	}
	int is_bus;
	uint32_t addr = access_addr(c, reg, &is_bus);
	if (!is_bus)
		return;
	unsigned size = reg == 0x0C ? csw_bytes(c->csw) : 4u;
	addr &= ~(uint32_t)(size - 1);
	if (sim_bus_write(c, addr, v, size) < 0) {
		c->ctrlstat |= SIM_CS_STICKYERR;
		return;
	}
	if (reg == 0x0C)
		tar_advance(c);
}

static uint32_t ctrl_read(struct sim_chip *c, unsigned reg)
{
	sim_nvmc_update(c);  /* an ERASEALL may have finished */
	switch (reg) {
	case 0x000: return c->ctrl_reset;
	case 0x004: return c->ctrl_eraseall;
	case 0x008: return (uint32_t)sim_eraseall_busy(c);
	case 0x00C: return c->locked ? 0u : 1u;
	case 0x0FC: return CTRL_IDR;
	default: return 0;
	}
}

static void ctrl_write(struct sim_chip *c, unsigned reg, uint32_t v)
{
	switch (reg) {
	case 0x000:
		v &= 1u;
		if (v && !c->ctrl_reset) {
			c->ctrl_reset = 1;
			c->in_reset = 1;
		} else if (!v && c->ctrl_reset) {
			c->ctrl_reset = 0;
			c->in_reset = c->nreset_low;
			sim_system_reset(c, SIM_RST_CTRLAP);
		}
		break;
	case 0x004:
		c->ctrl_eraseall = v & 1u;
		if (v & 1u)
			sim_ctrlap_eraseall(c);
		break;
	default:
		break;
	}
}

uint32_t sim_ap_read(struct sim_chip *c, unsigned apsel, unsigned reg)
{
	if (apsel == 0)
		return ahb_read(c, reg);
	if (apsel == 1)
		return ctrl_read(c, reg);
	return 0;
}

void sim_ap_write(struct sim_chip *c, unsigned apsel, unsigned reg, uint32_t v)
{
	if (apsel == 0)
		ahb_write(c, reg, v);
	else if (apsel == 1)
		ctrl_write(c, reg, v);
}
