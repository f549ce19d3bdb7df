@ SPDX-License-Identifier: GPL-2.0-or-later
@ rtt_selftest: a flash image that prints "SELFTEST PASS\n" through SEGGER
@ RTT (up channel 0 "Terminal", 256-byte buffer, no-block-skip mode) with
@ the control block at 0x20000000, then sleeps (WFI) for ever. Layout of
@ the control block (SEGGER_RTT.h): char id[16] "SEGGER RTT", int
@ MaxNumUpBuffers, int MaxNumDownBuffers, then per buffer {name, buffer,
@ size, WrOff, RdOff, Flags}. The id is written last, so a debugger that
@ searches for it never finds a half-made block.
@ load: 0x00000000
	.syntax unified
	.cpu cortex-m4
	.thumb
	.equ	CB, 0x20000000
	.equ	BUF, 0x20000100
	.word	0x20008000
	.word	reset + 1
	.word	reset + 1, reset + 1
reset:
	ldr	r0, =CB
	movs	r1, #1
	str	r1, [r0, #16]		@ MaxNumUpBuffers
	movs	r1, #0
	str	r1, [r0, #20]		@ MaxNumDownBuffers
	ldr	r1, =name
	str	r1, [r0, #24]		@ up[0].sName
	ldr	r1, =BUF
	str	r1, [r0, #28]		@ up[0].pBuffer
	mov	r1, #256
	str	r1, [r0, #32]		@ up[0].SizeOfBuffer
	movs	r1, #0
	str	r1, [r0, #36]		@ up[0].WrOff
	str	r1, [r0, #40]		@ up[0].RdOff
	str	r1, [r0, #44]		@ up[0].Flags: no block, skip
	adr	r2, id			@ id last
	ldm	r2, {r3, r4, r5, r6}
	stm	r0, {r3, r4, r5, r6}
	dmb
	adr	r2, msg			@ copy the line into the buffer
	ldr	r3, =BUF
	movs	r4, #0
1:	ldrb	r5, [r2, r4]
	cbz	r5, 2f
	strb	r5, [r3, r4]
	adds	r4, r4, #1
	b	1b
2:	dmb
	str	r4, [r0, #36]		@ WrOff: the line is there
3:	wfi
	b	3b
	.balign	4
id:	.asciz	"SEGGER RTT"
	.space	5
name:	.asciz	"Terminal"
msg:	.asciz	"SELFTEST PASS\n"
	.balign	4
	.ltorg
