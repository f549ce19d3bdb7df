@ SPDX-License-Identifier: GPL-2.0-or-later
@ count: r0 counts to 100000, then BKPT (halt with DFSR.BKPT).
@ load: 0x20000000
	.syntax unified
	.cpu cortex-m4
	.thumb
	movs	r0, #0
	ldr	r2, =100000
1:	adds	r0, r0, #1
	mov	r1, r0
	cmp	r0, r2
	bne	1b
	bkpt	#0
	.ltorg
