/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * server/guests/guest-demo-layout.c - where the demo guest draws what for a screen
 * size, and its F2 mode cycle. Pure functions.
 */
#include "server/guests/guest-demo-internal.h"
#include "server/guests/guest-draw.h"

static const struct fbhost_mode demo_modes[GUEST_DEMO_MODE_COUNT] = {
	{ 640, 480, 0, FBHOST_FORMAT_C8 },
	{ 800, 600, 0, FBHOST_FORMAT_R5G6B5 },
	{ 1280, 720, 0, FBHOST_FORMAT_X8R8G8B8 },
	{ 1920, 1080, 0, FBHOST_FORMAT_X8R8G8B8 },
};

struct fbhost_mode guest_demo_cycle_mode(unsigned i)
{
	return demo_modes[i % GUEST_DEMO_MODE_COUNT];
}

struct fbhost_mode guest_demo_next_mode(const struct fbhost_mode *m)
{
	for (unsigned i = 0; i < GUEST_DEMO_MODE_COUNT; i++) {
		if (demo_modes[i].width == m->width && demo_modes[i].height == m->height &&
		    demo_modes[i].format == m->format)
			return guest_demo_cycle_mode(i + 1);
	}
	return guest_demo_cycle_mode(0);
}

/* The inside of a framed panel with a title bar. */
static pixman_box32_t panel_area(const pixman_box32_t *p)
{
	return guest_demo_box(p->x1 + 1, p->y1 + 1 + DEMO_TITLE_H_PX, p->x2 - 1, p->y2 - 1);
}

void guest_demo_layout(int width, int height, struct guest_demo_layout *out)
{
	int top = DEMO_HEADER_H_PX + DEMO_GAP_PX, bottom = height - DEMO_GAP_PX;
	int split = top + (bottom - top) / 2, mid = width / 2;
	int left = DEMO_GAP_PX, right = width - DEMO_GAP_PX, half_gap = DEMO_GAP_PX / 2;

	out->header =
		guest_demo_box(0, 0, width, DEMO_HEADER_H_PX < height ? DEMO_HEADER_H_PX : height);
	out->log = guest_demo_box(left, top, mid - half_gap, split - half_gap);
	out->paint = guest_demo_box(mid + half_gap, top, right, split - half_gap);
	out->typed = guest_demo_box(left, split + half_gap, mid - half_gap, bottom);
	out->sprite = guest_demo_box(mid + half_gap, split + half_gap, right, bottom);
	out->log_area = panel_area(&out->log);
	out->paint_area = panel_area(&out->paint);
	out->typed_area = panel_area(&out->typed);
	out->sprite_area = panel_area(&out->sprite);
}

pixman_box32_t guest_demo_typed_cell(const struct guest_demo_layout *l, int row, int col)
{
	int w = guest_draw_text_width(1, GUEST_DEMO_TYPED_SCALE);
	int h = guest_draw_text_height(GUEST_DEMO_TYPED_SCALE);
	int x = l->typed_area.x1 + 2 + col * w, y = l->typed_area.y1 + 2 + row * h;

	return guest_demo_box(x, y, x + w, y + h);
}
