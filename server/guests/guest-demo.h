/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * server/guests/guest-demo.h - the demo guest's layout and mode cycle, shared with
 * its tests. The screen has a header (title and clock) and four panels: a
 * scrolling log, a paint area, the typed-keys echo and the sprite's box.
 */
#ifndef FBHOST_SERVER_GUEST_DEMO_H
#define FBHOST_SERVER_GUEST_DEMO_H

#include <pixman.h>
#include <stdint.h>

#include "server/lib/fbhost.h"

/* X11 keysyms the demo reacts to. */
#define GUEST_DEMO_KEY_NEXT_MODE 0xffbfu /* XK_F2 */
#define GUEST_DEMO_KEY_RETURN 0xff0du
#define GUEST_DEMO_KEY_KP_ENTER 0xff8du
#define GUEST_DEMO_KEY_BACKSPACE 0xff08u

#define GUEST_DEMO_MODE_COUNT 4u
#define GUEST_DEMO_PAINT_BG_RGB 0xffffffu
/* Brush colours for the left, middle and right buttons. */
#define GUEST_DEMO_BRUSH_LEFT_RGB 0x000000u
#define GUEST_DEMO_BRUSH_MIDDLE_RGB 0x00ff00u
#define GUEST_DEMO_BRUSH_RIGHT_RGB 0xff0000u
/* Side of the square brush, centred on the pointer. */
#define GUEST_DEMO_BRUSH_PX 5

/* Where things are for a screen size. Boxes are [x1, x2) x [y1, y2) and may
 * be empty on tiny screens. The *_area boxes are the panels' insides. */
struct guest_demo_layout {
	pixman_box32_t header;
	pixman_box32_t log, log_area;
	pixman_box32_t paint, paint_area;
	pixman_box32_t typed, typed_area;
	pixman_box32_t sprite, sprite_area;
};
void guest_demo_layout(int width, int height, struct guest_demo_layout *out);

/* Typed keys are echoed in GUEST_DEMO_TYPED_FG_RGB on GUEST_DEMO_TYPED_BG_RGB
 * at GUEST_DEMO_TYPED_SCALE, followed by an underscore as cursor; this is the
 * cell of a row and column of that text. */
#define GUEST_DEMO_TYPED_FG_RGB 0xffffffu
#define GUEST_DEMO_TYPED_BG_RGB 0x242455u
#define GUEST_DEMO_TYPED_SCALE 2
pixman_box32_t guest_demo_typed_cell(const struct guest_demo_layout *l, int row, int col);

/* The i-th mode of the F2 cycle (stride 0). */
struct fbhost_mode guest_demo_cycle_mode(unsigned i);
/* The mode F2 switches to from m: the next one of the cycle, or its first
 * when m is not in it. */
struct fbhost_mode guest_demo_next_mode(const struct fbhost_mode *m);

#endif
