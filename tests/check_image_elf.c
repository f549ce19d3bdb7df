// SPDX-License-Identifier: GPL-2.0-or-later
/* ELF32 parser (nrf52/image_elf.c): PT_LOAD contents at their physical
 * (load) address, not where they run; malformed headers one field at a
 * time; overlapping loads. */
#include "ck_run.h"
#include "tests/image_testutil.h"

struct phdr_spec {
	uint32_t type, offset, vaddr, paddr, filesz, memsz;
};

/* ELF32 LE ARM EXEC: header, program headers at 52, file bytes from 0x100
 * are (offset * 3) & 0xFF so they can be checked. */
static size_t make_elf(uint8_t *f, size_t cap, const struct phdr_spec *ph, unsigned n)
{
	unsigned i;

	memset(f, 0, cap);
	memcpy(f, "\x7f" "ELF\x01\x01\x01", 7);
	f[16] = 2;          /* ET_EXEC */
	f[18] = 40;         /* EM_ARM */
	put32(f + 20, 1);
	put32(f + 24, 0x101); /* e_entry */
	put32(f + 28, 52);    /* e_phoff */
	f[40] = 52;           /* e_ehsize */
	f[42] = 32;           /* e_phentsize */
	f[44] = (uint8_t)n;
	for (i = 0; i < n; i++) {
		uint8_t *p = f + 52 + 32 * i;
		put32(p, ph[i].type);
		put32(p + 4, ph[i].offset);
		put32(p + 8, ph[i].vaddr);
		put32(p + 12, ph[i].paddr);
		put32(p + 16, ph[i].filesz);
		put32(p + 20, ph[i].memsz);
		put32(p + 24, 5);
		put32(p + 28, 4);
	}
	for (i = 0x100; i < cap; i++)
		f[i] = (uint8_t)(i * 3);
	return cap;
}

START_TEST(elf_load_at_paddr)
{
	static const struct phdr_spec ph[] = {
		{ 1, 0x100, 0x0, 0x0, 0x40, 0x40 },                /* text */
		{ 4, 0x140, 0x0, 0x0, 0x10, 0x10 },                /* PT_NOTE: not loaded */
		{ 1, 0x180, 0x20000000, 0x44, 0x18, 0x30 },        /* .data: runs in RAM */
		{ 1, 0x198, 0x20000030, 0x20000030, 0, 0x100 },    /* .bss: NOBITS */
	};
	uint8_t f[0x200];
	struct img img;
	struct sf_err err;
	size_t len = make_elf(f, sizeof(f), ph, 4), i;

	ck_ok(img_parse(f, len, IMG_AUTO, 0, &img, &err), err);
	ck_assert_int_eq(img.format, IMG_ELF);
	ck_assert_uint_eq(img.nseg, 2);
	ck_seg(&img, 0, 0x0, 0x40);
	ck_seg(&img, 1, 0x44, 0x18);     /* at the load address, p_filesz only */
	for (i = 0; i < 0x18; i++)
		ck_assert_uint_eq(img.seg[1].data[i], (uint8_t)((0x180 + i) * 3));
	ck_assert_uint_eq(img.seg[0].data[5], (uint8_t)((0x105) * 3));
	ck_assert_int_eq(img.has_entry, 1);
	ck_assert_uint_eq(img.entry, 0x101);
	ck_assert_uint_eq(img.total, 0x58);
	img_free(&img);
}
END_TEST

START_TEST(elf_malformed)
{
	static const struct phdr_spec ph[] = { { 1, 0x100, 0, 0, 0x40, 0x40 } };
	uint8_t f[0x200], g[0x200];
	struct img img;
	struct sf_err err;
	size_t len = make_elf(f, sizeof(f), ph, 1);
	int rc;

#define RETRY(mutate, needle) do {                                    \
	memcpy(g, f, len);                                            \
	mutate;                                                       \
	rc = img_parse(g, len, IMG_AUTO, 0, &img, &err);              \
	ck_fail_msg(rc, err, img, SF_E_IMAGE, needle);               \
} while (0)

	rc = img_parse(f, 30, IMG_AUTO, 0, &img, &err);
	ck_fail_msg(rc, err, img, SF_E_IMAGE,
		    "truncated ELF: 30 bytes, the ELF32 header alone is 52");
	rc = img_parse(f, 10, IMG_AUTO, 0, &img, &err);
	ck_fail_msg(rc, err, img, SF_E_IMAGE, "truncated ELF: 10 bytes");
	RETRY(g[4] = 2, "64-bit ELF (ELFCLASS64) is not supported");
	RETRY(g[4] = 7, "unknown ELF class 7");
	RETRY(g[5] = 2, "big-endian ELF (ELFDATA2MSB) is not supported");
	RETRY(g[18] = 62, "not an ARM ELF (e_machine 62, ARM is 40)");
	RETRY(g[16] = 1, "not an executable ELF (e_type 1: relocatable object)");
	RETRY(g[16] = 3, "not an executable ELF (e_type 3: shared object)");
	RETRY(put32(g + 28, 0x1F0), "truncated ELF: program headers out of the file");
	RETRY(g[44] = 0, "ELF has no program headers");
	RETRY(put32(g + 52 + 4, 0x1F0), "truncated ELF: program header 0 data out of the file "
					"(offset 0x1F0 + 0x40 bytes, the file has 0x200)");
	RETRY(put32(g + 52 + 20, 0x20), "program header 0: p_filesz 0x40 larger than p_memsz 0x20");
	RETRY(put32(g + 52 + 12, 0xFFFFFFE0u),
	      "program header 0: address wrap past 4 GiB (load address 0xFFFFFFE0 + 0x40 bytes)");
	RETRY(put32(g + 52, 6), "ELF has no loadable data");
	RETRY(put32(g + 52 + 16, 0), "ELF has no loadable data");
#undef RETRY
}
END_TEST

START_TEST(elf_overlapping_loads)
{
	static const struct phdr_spec ph[] = {
		{ 1, 0x100, 0x0, 0x0, 0x40, 0x40 },
		{ 1, 0x100, 0x0, 0x20, 0x10, 0x10 },   /* other bytes over 0x20.. */
	};
	uint8_t f[0x200];
	struct img img;
	struct sf_err err;
	size_t len = make_elf(f, sizeof(f), ph, 2);
	int rc = img_parse(f, len, IMG_AUTO, 0, &img, &err);

	ck_fail_msg(rc, err, img, SF_E_IMAGE,
		    "overlapping data with different values at 0x00000020: 0x60 from program "
		    "header 0, 0x00 from program header 1");
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("image_elf");
	TCase *elf = tcase_create("elf");
	tcase_add_test(elf, elf_load_at_paddr);
	tcase_add_test(elf, elf_malformed);
	tcase_add_test(elf, elf_overlapping_loads);
	suite_add_tcase(s, elf);
	return s;
}

int main(void)
{
	return ck_run(suite());
}
