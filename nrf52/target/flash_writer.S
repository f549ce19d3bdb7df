@ SPDX-License-Identifier: GPL-2.0-or-later
@ flash_writer: programs flash words from a ring buffer in RAM that the
@ host fills over the wire while this routine runs on the nRF52's
@ Cortex-M4 (nrf52/nrf52_target.c). Each word crosses the wire once (into
@ RAM), and the wire and the NVMC work at the same time; the host never
@ waits on a stalled bus (SWD WAIT) or polls READY per word, so it suits
@ probes whose writes cannot be paced by WAIT.
@
@ In:  r0 = flash address of the first word (word aligned)
@      r1 = number of words
@      r2 = buffer start, r3 = buffer end (exclusive; both word aligned)
@      r4 = control block: [r4] = write pointer (the host advances it
@           after it has written the words before it), [r4 + 4] = read
@           pointer (this routine advances it once a word is handed to
@           the NVMC); both start at r2, equal means empty
@ The host sets NVMC CONFIG = WEN before it starts the routine and halts
@ the core to abort. From RAM the CPU is not stalled by a flash write, so
@ every write waits for NVMC READY first (nRF52840 PS v1.7, 4.3.2 "Writing
@ to flash"), and so does the end.
@ Out: r0 = address after the last word, r1 = 0; stops on the final bkpt.
@ Uses r0-r7 and r12; no stack, no exceptions.

	.syntax unified
	.cpu cortex-m4
	.thumb
	.text
	.global nrf52_flash_writer_entry
	.thumb_func
nrf52_flash_writer_entry:
	movw	r5, #0xE400		@ NVMC READY, 0x4001E400
	movt	r5, #0x4001
	mov	r6, r2			@ rp
next:	cbz	r1, last
empty:	ldr	r7, [r4]		@ wp
	cmp	r7, r6
	beq	empty
	ldr	r7, [r6], #4		@ the word
busy:	ldr	r12, [r5]		@ READY: 1 when the NVMC takes a write
	cmp	r12, #0
	beq	busy
	str	r7, [r0], #4
	cmp	r6, r3			@ wrap
	it	eq
	moveq	r6, r2
	str	r6, [r4, #4]		@ publish rp
	subs	r1, r1, #1
	b	next
last:	ldr	r12, [r5]		@ the last word is in flash when READY is back
	cmp	r12, #0
	beq	last
	.global	nrf52_flash_writer_exit
nrf52_flash_writer_exit:
	bkpt	#0x16
