/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * server/guests/guest-demo-internal.h - the demo guest's screen state and drawing,
 * shared by guest-demo.c (its thread and input) and guest-demo-draw.c (the
 * drawing) and guest-demo-layout.c. A screen is used by the guest thread
 * only, so it needs no lock.
 */
#ifndef FBHOST_SERVER_GUEST_DEMO_INTERNAL_H
#define FBHOST_SERVER_GUEST_DEMO_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "server/guests/guest-demo.h"

#define DEMO_LOG_LINES 64u
#define DEMO_LOG_LINE_MAX 96u
#define DEMO_TYPED_MAX 1024u
#define DEMO_SPRITE_PX 24
#define DEMO_SPRITE_STEP_PX 3
/* Side of the canvas the sprite's old and new places are drawn in. */
#define DEMO_SPRITE_CANVAS_PX (DEMO_SPRITE_PX + DEMO_SPRITE_STEP_PX)
#define DEMO_HEADER_H_PX 24
#define DEMO_GAP_PX 4
#define DEMO_TITLE_H_PX 10
#define DEMO_LOG_LINE_H_PX 10

/* What the demo shows and where (guest thread only). */
struct guest_demo_screen {
	struct fbhost_fb *fb;
	bool drawn;
	uint64_t drawn_generation;
	struct fbhost_mode mode; /* what the screen was last fully drawn for */
	struct guest_demo_layout lay;
	/* Brush colours as fbhost_fill takes them in mode.format: 0xRRGGBB,
	 * or the palette index in c8. */
	uint32_t paint_px[3];

	char typed[DEMO_TYPED_MAX];
	size_t typed_len;
	char log[DEMO_LOG_LINES][DEMO_LOG_LINE_MAX]; /* ring */
	unsigned log_head, log_len;
	pixman_box32_t log_drawn; /* where log text may be on screen */

	int sprite_x, sprite_y, sprite_dx, sprite_dy; /* inside sprite_area */
	uint32_t sprite_canvas[DEMO_SPRITE_CANVAS_PX * DEMO_SPRITE_CANVAS_PX];
	time_t clock_shown;
	uint64_t frames;
};

/* A box from corners; an inverted one comes out empty. */
static inline pixman_box32_t guest_demo_box(int x1, int y1, int x2, int y2)
{
	pixman_box32_t b = { x1, y1, x2 > x1 ? x2 : x1, y2 > y1 ? y2 : y1 };
	return b;
}

static inline bool guest_demo_box_empty(const pixman_box32_t *b)
{
	return b->x1 >= b->x2 || b->y1 >= b->y2;
}

void guest_demo_screen_init(struct guest_demo_screen *s, struct fbhost_fb *fb);
/* Takes the current mode and redraws everything for it. */
void guest_demo_screen_redraw_all(struct guest_demo_screen *s);
/* Appends a line to the log and repaints the log's text. */
void guest_demo_screen_log(struct guest_demo_screen *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void guest_demo_screen_redraw_typed(struct guest_demo_screen *s);
/* Moves the sprite one step. */
void guest_demo_screen_animate_sprite(struct guest_demo_screen *s);
/* Redraws the clock if the second changed. */
void guest_demo_screen_update_clock(struct guest_demo_screen *s);
/* Paints a brush square at x,y, clipped to the paint area. */
void guest_demo_screen_paint_dot(struct guest_demo_screen *s, int x, int y, uint32_t px);

#endif
