@ SPDX-License-Identifier: GPL-2.0-or-later
@ flash_writer: programs flash from a stream of records in a ring buffer in
@ RAM that the host fills over the wire while this routine runs on the
@ nRF52's Cortex-M4 (nrf52/nrf52_target.c). Each word crosses the wire
@ once (into RAM), and the wire and the NVMC work at the same time; the
@ host never waits on a stalled bus (SWD WAIT) or polls READY per word, and
@ one run covers every page of a job, so a probe whose every command is a
@ USB round trip pays that round trip once, not per block.
@
@ The stream: records {n, flash address (word aligned), n words}; n = 0
@ ends it.
@ In:  r2 = buffer start, r3 = buffer end (exclusive; both word aligned)
@      r4 = control block: [r4] = write pointer (the host advances it
@           after it has written the words before it), [r4 + 4] = read
@           pointer (this routine advances it past each word it takes);
@           both start at r2, equal means empty
@ The host sets NVMC CONFIG = WEN before it starts the routine and halts
@ the core to abort. From RAM the CPU is not stalled by a flash write, so
@ every write waits for NVMC READY first (nRF52840 PS v1.7, 4.3.2 "Writing
@ to flash"), and so does the end.
@ Out: r0 = address after the last word of the last record, r1 = 0,
@      r8 = records programmed; stops on the final bkpt.
@ Uses r0-r8 and r12; no stack, no exceptions.

	.syntax unified
	.cpu cortex-m4
	.thumb
	.text

@ The next stream word into \reg: wait until the host has put one there,
@ take it, wrap at the end of the ring, publish the read pointer.
	.macro	take reg
1:	ldr	\reg, [r4]		@ wp
	cmp	\reg, r6
	beq	1b
	ldr	\reg, [r6], #4
	cmp	r6, r3
	it	eq
	moveq	r6, r2
	str	r6, [r4, #4]		@ rp
	.endm

	.global nrf52_flash_writer_entry
	.thumb_func
nrf52_flash_writer_entry:
	movw	r5, #0xE400		@ NVMC READY, 0x4001E400
	movt	r5, #0x4001
	mov	r6, r2			@ rp
	mov	r8, #0
record:	take	r1			@ words
	cbz	r1, last
	take	r0			@ address
	add	r8, r8, #1
word:	take	r7
busy:	ldr	r12, [r5]		@ READY: 1 when the NVMC takes a write
	cmp	r12, #0
	beq	busy
	str	r7, [r0], #4
	subs	r1, r1, #1
	bne	word
	b	record
last:	ldr	r12, [r5]		@ the last word is in flash when READY is back
	cmp	r12, #0
	beq	last
	.global	nrf52_flash_writer_exit
nrf52_flash_writer_exit:
	bkpt	#0x16
