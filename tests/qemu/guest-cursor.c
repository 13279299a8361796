/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tests/qemu/guest-cursor.c - runs INSIDE the Linux test guest (built
 * static by make-initramfs.sh): sets a 64x64 hardware cursor on the first
 * CRTC of /dev/dri/card0 through the legacy cursor ioctl (a dumb buffer,
 * DRM_IOCTL_MODE_CURSOR2 with a hotspot), moves it, says so on the serial
 * port, and keeps the device open (closing it would let fbcon restore its
 * planes, cursor off). virtio-gpu hands the cursor to QEMU, which sends it
 * to fbhost as CursorDefine and MouseSet.
 *
 * The picture: pixel (x, y) is GUEST_CURSOR_PIXEL(x, y), native-endian
 * ARGB (alpha 0 in the left quarter, opaque elsewhere); the hotspot is
 * GUEST_CURSOR_HOT_X, GUEST_CURSOR_HOT_Y. test-qemu-cursor.c checks them.
 *
 * Usage: guest-cursor X Y
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <drm.h>
#include <drm_mode.h>

#include "guest-cursor.h"

#define GUEST_CURSOR_MAX_CRTCS 8

/* Prints a line to the serial port (where the test reads it) and stderr. */
static void say(const char *fmt, const char *what, int value)
{
	FILE *f = fopen("/dev/ttyS0", "w");

	fprintf(stderr, fmt, what, value);
	if (f) {
		fprintf(f, fmt, what, value);
		fclose(f);
	}
}

int main(int argc, char **argv)
{
	uint32_t crtcs[GUEST_CURSOR_MAX_CRTCS];
	struct drm_mode_card_res res;
	struct drm_mode_create_dumb dumb = { .width = GUEST_CURSOR_SIDE_PX,
					     .height = GUEST_CURSOR_SIDE_PX,
					     .bpp = 32 };
	struct drm_mode_map_dumb map = { 0 };
	struct drm_mode_cursor2 cur = { 0 };
	uint8_t *pixels;
	int fd;

	if (argc != 3) {
		fprintf(stderr, "usage: guest-cursor X Y\n");
		return 2;
	}
	fd = open("/dev/dri/card0", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		say("GUEST-CURSOR-FAILED %s %d\n", "open", 0);
		return 1;
	}
	memset(&res, 0, sizeof(res));
	if (ioctl(fd, DRM_IOCTL_MODE_GETRESOURCES, &res) || !res.count_crtcs) {
		say("GUEST-CURSOR-FAILED %s %d\n", "resources", (int)res.count_crtcs);
		return 1;
	}
	res.count_crtcs =
		res.count_crtcs < GUEST_CURSOR_MAX_CRTCS ? res.count_crtcs : GUEST_CURSOR_MAX_CRTCS;
	res.crtc_id_ptr = (uintptr_t)crtcs;
	res.count_fbs = res.count_connectors = res.count_encoders = 0;
	if (ioctl(fd, DRM_IOCTL_MODE_GETRESOURCES, &res)) {
		say("GUEST-CURSOR-FAILED %s %d\n", "crtcs", 0);
		return 1;
	}
	if (ioctl(fd, DRM_IOCTL_MODE_CREATE_DUMB, &dumb)) {
		say("GUEST-CURSOR-FAILED %s %d\n", "dumb", 0);
		return 1;
	}
	map.handle = dumb.handle;
	if (ioctl(fd, DRM_IOCTL_MODE_MAP_DUMB, &map)) {
		say("GUEST-CURSOR-FAILED %s %d\n", "map", 0);
		return 1;
	}
	pixels = mmap(NULL, dumb.size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)map.offset);
	if (pixels == MAP_FAILED) {
		say("GUEST-CURSOR-FAILED %s %d\n", "mmap", 0);
		return 1;
	}
	for (uint32_t y = 0; y < GUEST_CURSOR_SIDE_PX; y++)
		for (uint32_t x = 0; x < GUEST_CURSOR_SIDE_PX; x++)
			((uint32_t *)(pixels + (size_t)y * dumb.pitch))[x] =
				GUEST_CURSOR_PIXEL(x, y);
	cur.flags = DRM_MODE_CURSOR_BO;
	cur.crtc_id = crtcs[0];
	cur.width = GUEST_CURSOR_SIDE_PX;
	cur.height = GUEST_CURSOR_SIDE_PX;
	cur.handle = dumb.handle;
	cur.hot_x = GUEST_CURSOR_HOT_X;
	cur.hot_y = GUEST_CURSOR_HOT_Y;
	if (ioctl(fd, DRM_IOCTL_MODE_CURSOR2, &cur)) {
		say("GUEST-CURSOR-FAILED %s %d\n", "cursor", 0);
		return 1;
	}
	cur.flags = DRM_MODE_CURSOR_MOVE;
	cur.x = atoi(argv[1]);
	cur.y = atoi(argv[2]);
	if (ioctl(fd, DRM_IOCTL_MODE_CURSOR2, &cur)) {
		say("GUEST-CURSOR-FAILED %s %d\n", "move", 0);
		return 1;
	}
	say("GUEST-CURSOR-SET %s %d\n", "crtc", (int)crtcs[0]);
	for (;;)
		pause(); /* keep the cursor: closing the device restores fbcon's planes */
}
