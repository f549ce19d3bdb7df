@ SPDX-License-Identifier: GPL-2.0-or-later
@ crc32: the CRC-32 of a list of word ranges, run on the nRF52's Cortex-M4
@ by the flash engine (nrf52/nrf52_target.c). The same function as
@ common/crc32.c (IEEE 802.3 / zlib: reflected polynomial 0xEDB88320,
@ initial value and final XOR 0xFFFFFFFF), so the host compares a page
@ with its image without reading the page over the wire.
@
@ In:  r0 = list of entries in RAM, each two words {address, word count}
@      r1 = number of entries
@      r2 = 1 KiB of RAM for the byte table (word aligned)
@ Out: each entry becomes {crc, ~crc}; the second word lets the host tell
@      a finished entry from one the routine never reached.
@      Stops on the final bkpt (the host checks PC is there).
@ Uses r0-r7 only; no stack, no exceptions, no flash writes.
@
@ Cost: the table takes ~9.5k instructions, then 16 per word
@ (ARMv7-M ARM, ARM DDI 0403E, for the Thumb-2 encodings).

	.syntax unified
	.cpu cortex-m4
	.thumb
	.text
	.global nrf52_crc32_entry
	.thumb_func
nrf52_crc32_entry:
	@ table[i] = i run through 8 steps of the reflected polynomial
	movs	r3, #0
	movw	r7, #0x8320
	movt	r7, #0xEDB8
1:	mov	r4, r3
	movs	r5, #8
2:	lsrs	r4, r4, #1		@ carry = the bit shifted out
	it	cs
	eorcs	r4, r4, r7
	subs	r5, r5, #1
	bne	2b
	str	r4, [r2, r3, lsl #2]
	adds	r3, r3, #1
	cmp	r3, #256
	bne	1b

entry:	cbz	r1, done
	ldr	r3, [r0]		@ address
	ldr	r4, [r0, #4]		@ words
	mov	r5, #0xFFFFFFFF		@ crc
word:	cbz	r4, store
	ldr	r6, [r3], #4
	eors	r5, r5, r6		@ the four bytes, low byte first
	uxtb	r6, r5
	ldr	r6, [r2, r6, lsl #2]
	eor	r5, r6, r5, lsr #8
	uxtb	r6, r5
	ldr	r6, [r2, r6, lsl #2]
	eor	r5, r6, r5, lsr #8
	uxtb	r6, r5
	ldr	r6, [r2, r6, lsl #2]
	eor	r5, r6, r5, lsr #8
	uxtb	r6, r5
	ldr	r6, [r2, r6, lsl #2]
	eor	r5, r6, r5, lsr #8
	subs	r4, r4, #1
	b	word
store:	mvns	r5, r5
	mvns	r6, r5
	strd	r5, r6, [r0], #8
	subs	r1, r1, #1
	b	entry
	.global	nrf52_crc32_exit
done:
nrf52_crc32_exit:
	bkpt	#0x15
