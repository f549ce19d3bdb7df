// SPDX-License-Identifier: GPL-2.0-or-later
/* nrf52_parts: what the engine knows about each nRF52 part, as data.
 *
 * Sizes: nrfx *_xxaa.ld / *_xxab.ld. READYNEXT: nrfx nrf52820/833/840.h.
 * Hardened APPROTECT: nrfx nrf52_erratas.h nrf52_configuration_249() keys
 * on FICR 0x10000130 (var1, one value per part) and 0x10000134 (var2): a
 * var2 at or above the first hardened build (pyOCD
 * HARDENED_APPROTECT_REVISIONS) or any unknown newer var2 is hardened; a
 * var1 that is not the part's value (0xFFFFFFFF on early 52832 silicon) is
 * legacy. NVMC times are the typical values collected in
 * ../shared/NRF52.md section 5 (Zephyr, nrf-hal, BabbleSim, Nordic); the
 * engine uses them only to pace its polls, the deadlines are far longer.
 * Reset pin:
 * nrfx system_nrf52*.c RESET_PIN (P0.21 or P0.18).
 *
 * Parts marked unsupported are identified by name and refused: the
 * simulator does not model them, so nothing here has been tested on them
 * (their flash is also protected by BPROT/ACL, which the engine ignores). */
#include "nrf52_priv.h"

#include <string.h>

/* NVMC times (us): the NRF52_T_* notes in nrf52_priv.h give each source.
 * t_WRITE 68 on the 52832 (67.5 typical, Nordic's nRF52832 flash white
 * paper), 41 elsewhere [U]; t_ERASEPAGE 85 ms (nrf-hal, 52840), 87.5 ms on
 * the 52833 (BabbleSim); t_ERASEALL 173 ms [U]. */
#define T_ERASEALL NRF52_T_ERASEALL_US
static const struct nrf52_part nrf52_parts[] = {
	/* part     name        var   flash ram  rdynext var1  var2 sup  twr  tpage  tall  rst */
	{ 0x52832, "nRF52832", "AA", 512, 64, 0, 0x06, 0x07, 1, 68, 85000, T_ERASEALL, 21 },
	{ 0x52832, "nRF52832", "AB", 256, 32, 0, 0x06, 0x07, 1, 68, 85000, T_ERASEALL, 21 },
	{ 0x52833, "nRF52833", "AA", 512, 128, 1, 0x0D, 0x01, 1, 41, 87500, T_ERASEALL, 18 },
	{ 0x52840, "nRF52840", "AA", 1024, 256, 1, 0x08, 0x05, 1, 41, 85000, T_ERASEALL, 18 },
	{ 0x52805, "nRF52805", "AA", 192, 24, 0, 0x0F, 0x01, 0, 41, 85000, T_ERASEALL, 21 },
	{ 0x52810, "nRF52810", "AA", 192, 24, 0, 0x0A, 0x02, 0, 41, 85000, T_ERASEALL, 21 },
	{ 0x52811, "nRF52811", "AA", 192, 24, 0, 0x0E, 0x01, 0, 41, 85000, T_ERASEALL, 21 },
	{ 0x52820, "nRF52820", "AA", 256, 32, 1, 0x10, 0x03, 0, 41, 85000, T_ERASEALL, 18 },
};

const struct nrf52_part *nrf52_part_lookup(uint32_t part, const char *variant)
{
	const struct nrf52_part *first = NULL;

	for (size_t i = 0; i < sizeof(nrf52_parts) / sizeof(nrf52_parts[0]); i++) {
		const struct nrf52_part *p = &nrf52_parts[i];
		if (p->part != part)
			continue;
		if (!first)
			first = p;
		if (variant && strncmp(variant, p->variant, 2) == 0)
			return p;
	}
	return first;
}

uint32_t nrf52_max_flash_size(void)
{
	uint32_t kib = 0;

	for (size_t i = 0; i < sizeof(nrf52_parts) / sizeof(nrf52_parts[0]); i++)
		if (nrf52_parts[i].flash_kib > kib)
			kib = nrf52_parts[i].flash_kib;
	return kib * 1024U;
}

int nrf52_part_is_hardened(const struct nrf52_part *p, uint32_t var1, uint32_t var2)
{
	if (!p || var1 != p->hardened_var1)
		return 0;
	return var2 >= p->hardened_var2;
}

const char *nrf52_package_name(uint32_t part, uint32_t package)
{
	switch (package) {
	case 0x2000: return "QF";
	case 0x2001: return "CH";
	case 0x2002: return "CI";
	case 0x2003: return "QC";
	case 0x2004: return part == 0x52832 ? "CA" : "QI";
	case 0x2005: return "CK";
	case 0x2007: return "QD";
	case 0x2008: return "CJ";
	}
	return "??";
}

const char *nrf52_supported_list(void)
{
	return "nRF52832 (xxAA, xxAB), nRF52833, nRF52840";
}
