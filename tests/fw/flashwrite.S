@ SPDX-License-Identifier: GPL-2.0-or-later
@ flashwrite: the CPU programs flash through the NVMC. With CONFIG = Wen
@ it stores 0x12345678 at 0x10000 and then 0xFFFF0000 over it (programming
@ only clears bits: 0x12340000); with CONFIG = Ren a store to 0x10004 is
@ ignored. r7 = SysTick cycles spent across the two programmed stores (the
@ CPU stalls while the NVMC writes). It also writes UART0 ENABLE
@ (0x40002500, not modelled: counted) before the BKPT.
@ load: 0x20000000
	.syntax unified
	.cpu cortex-m4
	.thumb
	ldr	r0, =0xE000E010		@ SysTick: free-running, max reload
	ldr	r1, =0x00FFFFFF
	str	r1, [r0, #4]
	movs	r1, #0
	str	r1, [r0, #8]
	movs	r1, #5			@ ENABLE | CLKSOURCE, no interrupt
	str	r1, [r0]
	ldr	r4, =0x4001E504		@ NVMC CONFIG
	ldr	r5, =0x10000
	movs	r1, #1			@ Wen
	str	r1, [r4]
	ldr	r6, [r0, #8]		@ CVR before
	ldr	r1, =0x12345678
	str	r1, [r5]
	ldr	r1, =0xFFFF0000
	str	r1, [r5]
	ldr	r7, [r0, #8]		@ CVR after
	subs	r7, r6, r7		@ counts down
	movs	r1, #0			@ Ren
	str	r1, [r4]
	ldr	r1, =0xAAAAAAAA
	str	r1, [r5, #4]		@ ignored
	ldr	r2, =0x40002500		@ UART0 ENABLE
	movs	r1, #4
	str	r1, [r2]
	bkpt	#1
	.ltorg
