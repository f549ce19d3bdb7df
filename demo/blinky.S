/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The demo firmware `make run` prints examples with: blinks LED1 of an
 * nRF52840 DK (P0.13) or nRF52832/833 DK (P0.17), both active low, about
 * twice a second. Ours, so a plain clone has something to flash; built by
 * `make demo` (binutils-arm-none-eabi) into build/demo/, and demo/blinky.hex
 * is the committed copy that tests/t_demo.sh rebuilds byte for byte.
 *
 * No SoftDevice, no MBR: the vector table is at 0 (ARMv7-M Architecture
 * Reference Manual, B1.5.3: word 0 the initial SP, word 1 the reset vector).
 */
	.syntax unified
	.cpu cortex-m4
	.thumb

/* nRF52840 Product Specification v1.7, 6.9.4 (GPIO P0 at 0x50000000):
 * OUTSET 0x508, OUTCLR 0x50C, DIRSET 0x518. */
	.equ GPIO_P0, 0x50000000
	.equ OUTSET, 0x508
	.equ OUTCLR, 0x50C
	.equ DIRSET, 0x518
/* nRF52840 DK user guide 7.3 (LED1 P0.13); nRF52 DK 8.7 (LED1 P0.17). */
	.equ LEDS, (1 << 13) | (1 << 17)
/* about 250 ms at 64 MHz: 3 cycles per loop turn */
	.equ DELAY, 5333333
/* the top of the smallest part's RAM (nRF52832: 64 KiB at 0x20000000) */
	.equ STACK_TOP, 0x20010000

	.section .vectors, "a"
	.word STACK_TOP
	.word reset	/* .thumb_func: the linker sets bit 0 */
	.rept 14
	.word fault
	.endr

	.text
	.thumb_func
reset:
	ldr r0, =GPIO_P0
	ldr r1, =LEDS
	str r1, [r0, #DIRSET]
1:	str r1, [r0, #OUTCLR]
	bl delay
	str r1, [r0, #OUTSET]
	bl delay
	b 1b

	.thumb_func
delay:
	ldr r2, =DELAY
2:	subs r2, r2, #1
	bne 2b
	bx lr

	.thumb_func
fault:
	b fault

	.pool
