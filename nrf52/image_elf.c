// SPDX-License-Identifier: GPL-2.0-or-later
/* image_elf: ELF32 little-endian ARM executables (System V gABI, "ELF
 * Header" and "Program Header"; ARM ELF ABI for EM_ARM = 40).
 *
 * What goes to flash is what a loader would copy: every PT_LOAD program
 * header with p_filesz > 0 contributes its p_filesz file bytes at p_paddr,
 * the load (physical) address. Initialised .data therefore lands in flash
 * where the startup code copies it from, not at its RAM run address
 * (p_vaddr). The zero-filled rest (p_memsz - p_filesz, .bss) and NOBITS
 * sections are not part of the image. Section headers are not read. */
#include <string.h>

#include "image_internal.h"

#define EI_CLASS 4
#define EI_DATA 5
#define EI_VERSION 6
#define ELFCLASS32 1
#define ELFCLASS64 2
#define ELFDATA2LSB 1
#define ELFDATA2MSB 2
#define ET_REL 1
#define ET_EXEC 2
#define ET_DYN 3
#define ET_CORE 4
#define EM_ARM 40
#define PT_LOAD 1
#define EHDR32_SIZE 52u
#define PHDR32_SIZE 32u

static const char *etype_name(unsigned t)
{
	switch (t) {
	case 0: return "no file type";
	case ET_REL: return "relocatable object";
	case ET_DYN: return "shared object";
	case ET_CORE: return "core file";
	}
	return "unknown type";
}

int img_parse_elf(const uint8_t *buf, size_t len, struct img_build *b, struct img *out,
		  struct sf_err *err)
{
	unsigned type, machine, phentsize, phnum, i, loaded = 0;
	uint32_t phoff;

	if (len < 4 || memcmp(buf, "\x7f" "ELF", 4) != 0)
		return sf_err_set(err, SF_E_IMAGE, "not an ELF file (no \\x7fELF magic)");
	if (len < 16)
		return sf_err_set(err, SF_E_IMAGE,
				   "truncated ELF: %zu bytes, the identification alone is 16", len);
	if (buf[EI_CLASS] == ELFCLASS64)
		return sf_err_set(err, SF_E_IMAGE,
				   "64-bit ELF (ELFCLASS64) is not supported: nRF52 firmware is ELF32");
	if (buf[EI_CLASS] != ELFCLASS32)
		return sf_err_set(err, SF_E_IMAGE, "unknown ELF class %u", buf[EI_CLASS]);
	if (buf[EI_DATA] == ELFDATA2MSB)
		return sf_err_set(err, SF_E_IMAGE,
				   "big-endian ELF (ELFDATA2MSB) is not supported: ARM Cortex-M "
				   "firmware is little-endian");
	if (buf[EI_DATA] != ELFDATA2LSB)
		return sf_err_set(err, SF_E_IMAGE, "unknown ELF data encoding %u", buf[EI_DATA]);
	if (buf[EI_VERSION] != 1)
		return sf_err_set(err, SF_E_IMAGE, "unknown ELF version %u", buf[EI_VERSION]);
	if (len < EHDR32_SIZE)
		return sf_err_set(err, SF_E_IMAGE,
				   "truncated ELF: %zu bytes, the ELF32 header alone is %u",
				   len, EHDR32_SIZE);

	type = img_le16(buf + 16);
	machine = img_le16(buf + 18);
	phoff = img_le32(buf + 28);
	phentsize = img_le16(buf + 42);
	phnum = img_le16(buf + 44);
	if (machine != EM_ARM)
		return sf_err_set(err, SF_E_IMAGE,
				   "not an ARM ELF (e_machine %u, ARM is %u)", machine, EM_ARM);
	if (type != ET_EXEC)
		return sf_err_set(err, SF_E_IMAGE,
				   "not an executable ELF (e_type %u: %s); link the firmware first",
				   type, etype_name(type));
	if (phnum == 0)
		return sf_err_set(err, SF_E_IMAGE, "ELF has no program headers");
	if (phentsize != PHDR32_SIZE)
		return sf_err_set(err, SF_E_IMAGE,
				   "ELF program header size %u (ELF32 uses %u)", phentsize, PHDR32_SIZE);
	if ((uint64_t)phoff + (uint64_t)phnum * PHDR32_SIZE > len)
		return sf_err_set(err, SF_E_IMAGE,
				   "truncated ELF: program headers out of the file (%u at offset "
				   "0x%X need 0x%llX bytes, the file has 0x%zX)",
				   phnum, (unsigned)phoff,
				   (unsigned long long)phoff + (unsigned long long)phnum * PHDR32_SIZE,
				   len);

	for (i = 0; i < phnum; i++) {
		const uint8_t *ph = buf + phoff + (size_t)i * PHDR32_SIZE;
		uint32_t p_type = img_le32(ph), p_offset = img_le32(ph + 4);
		uint32_t p_vaddr = img_le32(ph + 8), p_paddr = img_le32(ph + 12);
		uint32_t p_filesz = img_le32(ph + 16), p_memsz = img_le32(ph + 20);
		int rc;

		if (p_type != PT_LOAD || p_filesz == 0)
			continue;
		if ((uint64_t)p_offset + p_filesz > len)
			return sf_err_set(err, SF_E_IMAGE,
					   "truncated ELF: program header %u data out of the file "
					   "(offset 0x%X + 0x%X bytes, the file has 0x%zX)",
					   i, (unsigned)p_offset, (unsigned)p_filesz, len);
		if (p_filesz > p_memsz)
			return sf_err_set(err, SF_E_IMAGE,
					   "program header %u: p_filesz 0x%X larger than p_memsz 0x%X",
					   i, (unsigned)p_filesz, (unsigned)p_memsz);
		if ((uint64_t)p_paddr + p_filesz > IMG_ADDR_LIMIT)
			return sf_err_set(err, SF_E_IMAGE,
					   "program header %u: address wrap past 4 GiB (load address "
					   "0x%08X + 0x%X bytes)", i, (unsigned)p_paddr, (unsigned)p_filesz);
		(void)p_vaddr; /* the run address; flash wants the load address */
		rc = img_build_add(b, p_paddr, buf + p_offset, p_filesz, i, err);
		if (rc)
			return rc;
		loaded++;
	}
	if (!loaded)
		return sf_err_set(err, SF_E_IMAGE,
				   "ELF has no loadable data (no PT_LOAD program header with file contents)");
	out->has_entry = 1;
	out->entry = img_le32(buf + 24);
	return 0;
}
