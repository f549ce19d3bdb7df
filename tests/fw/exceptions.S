@ SPDX-License-Identifier: GPL-2.0-or-later
@ exceptions: a RAM vector table (VTOR = 0x20000000), one SVCall, one
@ PendSV (ICSR.PENDSVSET), then SysTick every 640 cycles (10 us) while
@ thread mode counts in r0 with r1 = r0 (so a handler that clobbers r0/r1
@ shows unless the exception return restores them). Counters at
@ 0x20001000: +0 SVCall, +4 PendSV, +8 SysTick; +12 holds IPSR as the
@ SysTick handler saw it; +16 its LR (EXC_RETURN).
@ load: 0x20000000
	.syntax unified
	.cpu cortex-m4
	.thumb
vectors:
	.word	0x20004000		@ 0: initial SP (unused: the debugger starts us)
	.word	start + 1		@ 1: reset
	.word	bad + 1			@ 2: NMI
	.word	bad + 1			@ 3: HardFault
	.word	bad + 1, bad + 1, bad + 1, 0, 0, 0, 0
	.word	svc_handler + 1		@ 11: SVCall
	.word	0, 0
	.word	pendsv_handler + 1	@ 14: PendSV
	.word	systick_handler + 1	@ 15: SysTick
start:
	ldr	r0, =0xE000ED08		@ VTOR
	ldr	r1, =vectors
	str	r1, [r0]
	svc	#0
	ldr	r0, =0xE000ED04		@ ICSR
	mov	r1, #0x10000000		@ PENDSVSET
	str	r1, [r0]
	ldr	r0, =0xE000E010		@ SYST_CSR
	ldr	r1, =639
	str	r1, [r0, #4]		@ RVR: 640 cycles a period
	movs	r1, #0
	str	r1, [r0, #8]		@ CVR: clear
	movs	r1, #7
	str	r1, [r0]		@ ENABLE | TICKINT | CLKSOURCE
	movs	r0, #0
1:	adds	r0, r0, #1
	mov	r1, r0
	b	1b

svc_handler:
	ldr	r0, =0x20001000
	b	bump
pendsv_handler:
	ldr	r0, =0x20001004
	b	bump
systick_handler:
	ldr	r0, =0x20001008
	mrs	r1, ipsr
	str	r1, [r0, #4]
	str	lr, [r0, #8]
bump:
	ldr	r1, [r0]
	adds	r1, r1, #1
	str	r1, [r0]
	movs	r0, #0x55		@ clobber: the frame must restore them
	movs	r1, #0x66
	bx	lr
bad:
	bkpt	#0xee
	.ltorg
