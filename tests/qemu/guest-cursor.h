/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tests/qemu/guest-cursor.h - the cursor picture guest-cursor.c sets inside
 * the Linux test guest and test-qemu-cursor.c expects: 64x64 (virtio-gpu's
 * cursor size), native-endian ARGB with straight alpha: transparent in the
 * left quarter, opaque elsewhere in colours that differ per pixel.
 */
#ifndef FBHOST_TESTS_QEMU_GUEST_CURSOR_H
#define FBHOST_TESTS_QEMU_GUEST_CURSOR_H

#define GUEST_CURSOR_SIDE_PX 64u
#define GUEST_CURSOR_HOT_X 5
#define GUEST_CURSOR_HOT_Y 7
#define GUEST_CURSOR_PIXEL(x, y)                                                                   \
	((x) < GUEST_CURSOR_SIDE_PX / 4 ? 0u                                                       \
					: 0xff000000u | ((uint32_t)(x)*4u) << 16 |                 \
						  ((uint32_t)(y)*4u) << 8 | (((x) ^ (y)) & 0xffu))

#endif
