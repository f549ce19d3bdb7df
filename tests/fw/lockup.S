@ SPDX-License-Identifier: GPL-2.0-or-later
@ lockup: RAM vectors; thread mode loads from 0x30000000 (a hole in the
@ memory map: BusFault, taken as a HardFault). With r5 = 0 the HardFault
@ handler records the stacked PC at 0x20001000 and stops on BKPT; with
@ r5 != 0 the handler faults too (at HardFault priority: lockup).
@ load: 0x20000000
	.syntax unified
	.cpu cortex-m4
	.thumb
vectors:
	.word	0x20004000
	.word	start + 1
	.word	hardfault + 1		@ 2: NMI
	.word	hardfault + 1		@ 3: HardFault
start:
	ldr	r0, =0xE000ED08		@ VTOR
	ldr	r1, =vectors
	str	r1, [r0]
	ldr	r2, =0x30000000
	movs	r3, #0x11
	.global fault_here
fault_here:
	ldr	r3, [r2]		@ BusFault
	b	.
hardfault:
	cmp	r5, #0
	bne	again
	ldr	r0, [sp, #24]		@ stacked PC
	ldr	r1, =0x20001000
	str	r0, [r1]
	bkpt	#2
again:
	ldr	r0, [r2]		@ faults inside the HardFault handler
	b	.
	.ltorg
