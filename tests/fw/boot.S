@ SPDX-License-Identifier: GPL-2.0-or-later
@ boot: a flash image (vector table at 0). Reset counts boots in RAM at
@ 0x20001000 (RAM survives a system reset) and asks for a system reset
@ through AIRCR.SYSRESETREQ until the count reaches 3, then r0 = 0xB007
@ and BKPT.
@ load: 0x00000000
	.syntax unified
	.cpu cortex-m4
	.thumb
	.word	0x20008000		@ initial MSP
	.word	reset + 1
	.word	halt + 1, halt + 1
reset:
	ldr	r0, =0x20001000
	ldr	r1, [r0]
	adds	r1, r1, #1
	str	r1, [r0]
	cmp	r1, #3
	bge	done
	ldr	r2, =0xE000ED0C		@ AIRCR
	ldr	r3, =0x05FA0004		@ VECTKEY | SYSRESETREQ
	str	r3, [r2]
	dsb
	b	.
done:
	ldr	r0, =0xB007
halt:
	bkpt	#3
	.ltorg
