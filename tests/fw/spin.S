@ SPDX-License-Identifier: GPL-2.0-or-later
@ spin: r0 counts up forever (a running core for halt requests).
@ load: 0x20000000
	.syntax unified
	.cpu cortex-m4
	.thumb
1:	adds	r0, r0, #1
	b	1b
