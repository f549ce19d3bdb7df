@ SPDX-License-Identifier: GPL-2.0-or-later
@ approtect: a flash image doing what the nRF MDK's SystemInit does on a
@ hardened nRF52 when ENABLE_APPROTECT is not defined
@ (system_nrf52_approtect.h): APPROTECT.DISABLE = UICR.APPROTECT. Then it
@ sleeps (WFI) for ever.
@ load: 0x00000000
	.syntax unified
	.cpu cortex-m4
	.thumb
	.word	0x20008000
	.word	reset + 1
	.word	reset + 1, reset + 1
reset:
	ldr	r0, =0x10001208		@ UICR.APPROTECT
	ldr	r1, [r0]
	ldr	r0, =0x40000558		@ APPROTECT.DISABLE
	str	r1, [r0]
1:	wfi
	b	1b
	.ltorg
