/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * server/guest-demo.c - the "demo" guest: a screen that looks alive and
 * changes mostly small areas. A clock redrawn once a second, a sprite moving
 * at DEMO_FRAME_HZ, a scrolling log, a paint area following the pointer and
 * the typed keys echoed as text. F2 cycles the modes of guest_demo_cycle_mode
 * and viewers may resize it (the format stays).
 *
 * Threads: input callbacks run on frontend threads and only queue events
 * under demo_guest.lock; the guest thread drains the queue and does all the
 * drawing, so the drawing state needs no lock.
 */
#include "server/guest-demo.h"

#include <assert.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "server/guest-draw.h"
#include "server/guest.h"

#define DEMO_FRAME_HZ 30u
#define DEMO_LOG_PERIOD_MS 1000u
#define DEMO_EVENT_QUEUE_LEN 256u
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

#define DESK_RGB 0x204060u
#define HEADER_BG_RGB 0x000000u
#define HEADER_FG_RGB 0xffffffu
#define CLOCK_FG_RGB 0xffff00u
#define FRAME_RGB 0xc0c0c0u
#define TITLE_FG_RGB 0x000000u
#define LOG_BG_RGB 0x000000u
#define LOG_FG_RGB 0x00ff00u
#define SPRITE_BG_RGB 0x000040u
#define SPRITE_RGB 0xff8000u
#define SPRITE_EDGE_RGB 0xffff00u

static const struct fb_mode demo_modes[GUEST_DEMO_MODE_COUNT] = {
    {640, 480, 0, PIXMAN_c8},
    {800, 600, 0, PIXMAN_r5g6b5},
    {1280, 720, 0, PIXMAN_x8r8g8b8},
    {1920, 1080, 0, PIXMAN_x8r8g8b8},
};

struct fb_mode guest_demo_cycle_mode(unsigned i)
{
	return demo_modes[i % GUEST_DEMO_MODE_COUNT];
}

struct fb_mode guest_demo_next_mode(const struct fb_mode *m)
{
	for (unsigned i = 0; i < GUEST_DEMO_MODE_COUNT; i++) {
		if (demo_modes[i].width == m->width && demo_modes[i].height == m->height &&
		    demo_modes[i].format == m->format)
			return guest_demo_cycle_mode(i + 1);
	}
	return guest_demo_cycle_mode(0);
}

static pixman_box32_t box(int x1, int y1, int x2, int y2)
{
	pixman_box32_t b = {x1, y1, x2 > x1 ? x2 : x1, y2 > y1 ? y2 : y1};
	return b;
}

/* The inside of a framed panel with a title bar. */
static pixman_box32_t panel_area(const pixman_box32_t *p)
{
	return box(p->x1 + 1, p->y1 + 1 + DEMO_TITLE_H_PX, p->x2 - 1, p->y2 - 1);
}

void guest_demo_layout(int width, int height, struct guest_demo_layout *out)
{
	int top = DEMO_HEADER_H_PX + DEMO_GAP_PX, bottom = height - DEMO_GAP_PX;
	int split = top + (bottom - top) / 2, mid = width / 2;
	int left = DEMO_GAP_PX, right = width - DEMO_GAP_PX, half_gap = DEMO_GAP_PX / 2;

	out->header = box(0, 0, width, DEMO_HEADER_H_PX < height ? DEMO_HEADER_H_PX : height);
	out->log = box(left, top, mid - half_gap, split - half_gap);
	out->paint = box(mid + half_gap, top, right, split - half_gap);
	out->typed = box(left, split + half_gap, mid - half_gap, bottom);
	out->sprite = box(mid + half_gap, split + half_gap, right, bottom);
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

	return box(x, y, x + w, y + h);
}

/* ---- state -------------------------------------------------------------- */

enum demo_event_type { DEMO_EV_KEY, DEMO_EV_POINTER };

/* One queued input event. */
struct demo_event {
	enum demo_event_type type;
	uint32_t keysym;  /* DEMO_EV_KEY, down only */
	int x, y;	  /* DEMO_EV_POINTER */
	uint32_t buttons; /* DEMO_EV_POINTER */
};

/* One running demo guest. */
struct demo_guest {
	struct fb_device *fb; /* set at start, read-only after */
	pthread_t thread;

	pthread_mutex_t lock; /* protects the fields up to wake */
	bool stop;
	struct demo_event queue[DEMO_EVENT_QUEUE_LEN]; /* ring */
	unsigned queue_head, queue_len;
	uint64_t events_dropped;
	bool resize_pending;
	uint32_t resize_w, resize_h;
	pthread_cond_t wake; /* signalled on stop, events and resize requests */

	/* Guest thread only, from here on. */
	bool drawn;
	uint64_t drawn_generation;
	struct fb_mode mode; /* what the screen was last fully drawn for */
	struct guest_demo_layout lay;
	uint32_t paint_px[3]; /* raw brush pixels in mode.format */

	char typed[DEMO_TYPED_MAX];
	size_t typed_len;
	char log[DEMO_LOG_LINES][DEMO_LOG_LINE_MAX]; /* ring */
	unsigned log_head, log_len;
	pixman_box32_t log_drawn; /* where log text may be on screen */

	int sprite_x, sprite_y, sprite_dx, sprite_dy; /* inside sprite_area */
	uint32_t sprite_canvas[DEMO_SPRITE_CANVAS_PX * DEMO_SPRITE_CANVAS_PX];
	bool stroke; /* a button is held and the last point was painted */
	int stroke_x, stroke_y;
	uint32_t stroke_buttons;
	time_t clock_shown;
	uint64_t frames;
	struct timespec next_frame, next_log;
};

static void timespec_add_ms(struct timespec *ts, unsigned ms)
{
	ts->tv_sec += ms / 1000u;
	ts->tv_nsec += (long)(ms % 1000u) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

static bool timespec_reached(const struct timespec *now, const struct timespec *t)
{
	return now->tv_sec > t->tv_sec || (now->tv_sec == t->tv_sec && now->tv_nsec >= t->tv_nsec);
}

static bool box_empty(const pixman_box32_t *b)
{
	return b->x1 >= b->x2 || b->y1 >= b->y2;
}

/* ---- drawing (guest thread) --------------------------------------------- */

/* Opens the framebuffer for drawing when it still has the mode the layout was
 * made for (if not, the next full redraw will catch up). */
static pixman_image_t *draw_begin(struct demo_guest *dg, struct fb_access *acc)
{
	pixman_image_t *img;

	fb_access_begin(dg->fb, acc);
	if (acc->mode.width != dg->mode.width || acc->mode.height != dg->mode.height ||
	    acc->mode.format != dg->mode.format || acc->mode.stride != dg->mode.stride)
		goto fail;
	img = guest_draw_wrap_access(acc);
	if (!img)
		goto fail;
	return img;

fail:
	fb_access_end(dg->fb, acc);
	return NULL;
}

static void draw_end(struct demo_guest *dg, struct fb_access *acc, pixman_image_t *img,
		     const pixman_box32_t *dirty)
{
	pixman_image_unref(img);
	if (!box_empty(dirty))
		fb_mark_dirty(dg->fb, acc, dirty->x1, dirty->y1, dirty->x2 - dirty->x1,
			      dirty->y2 - dirty->y1);
	fb_access_end(dg->fb, acc);
}

static void fill_box(pixman_image_t *img, const pixman_box32_t *b, uint32_t rgb)
{
	guest_draw_rect(img, b->x1, b->y1, b->x2 - b->x1, b->y2 - b->y1, rgb);
}

/* Draws text clipped to the width of b, at x,y. */
static void text_in(pixman_image_t *img, const pixman_box32_t *b, int x, int y, int scale,
		    uint32_t fg, uint32_t bg, const char *text, size_t len)
{
	int cell = guest_draw_text_width(1, scale);
	size_t fit = b->x2 > x ? (size_t)((b->x2 - x) / cell) : 0;

	guest_draw_text(img, x, y, scale, fg, bg, text, len < fit ? len : fit);
}

static void draw_panel(pixman_image_t *img, const pixman_box32_t *p, const char *title)
{
	pixman_box32_t bar = box(p->x1, p->y1, p->x2, p->y1 + 1 + DEMO_TITLE_H_PX);

	if (box_empty(p))
		return;
	guest_draw_frame(img, p->x1, p->y1, p->x2 - p->x1, p->y2 - p->y1, FRAME_RGB);
	fill_box(img, &bar, FRAME_RGB);
	text_in(img, p, p->x1 + 3, p->y1 + 2, 1, TITLE_FG_RGB, FRAME_RGB, title, strlen(title));
}

static void draw_clock(struct demo_guest *dg, pixman_image_t *img, time_t now,
		       pixman_box32_t *dirty)
{
	char text[16];
	struct tm tm;
	int w = guest_draw_text_width(8, 2), x = dg->lay.header.x2 - DEMO_GAP_PX - w;

	localtime_r(&now, &tm);
	snprintf(text, sizeof(text), "%02d:%02d:%02d", tm.tm_hour, tm.tm_min, tm.tm_sec);
	if (x < 0)
		return;
	guest_draw_text(img, x, DEMO_GAP_PX, 2, CLOCK_FG_RGB, HEADER_BG_RGB, text, 8);
	*dirty = box(x, DEMO_GAP_PX, x + w, DEMO_GAP_PX + guest_draw_text_height(2));
	dg->clock_shown = now;
}

/*
 * Draws the last log lines that fit. Only the part of the panel that held or
 * now holds text is repainted (the rest is background already), so a scroll
 * dirties a strip of text rather than the whole panel. Returns that part.
 */
static pixman_box32_t draw_log(struct demo_guest *dg, pixman_image_t *img)
{
	const pixman_box32_t *a = &dg->lay.log_area;
	unsigned rows = box_empty(a) ? 0 : (unsigned)((a->y2 - a->y1 - 2) / DEMO_LOG_LINE_H_PX);
	unsigned shown = dg->log_len < rows ? dg->log_len : rows;
	pixman_box32_t ext = dg->log_drawn;
	int x = a->x1 + 2, y = a->y1 + 2, right = x, bottom = y + (int)shown * DEMO_LOG_LINE_H_PX;

	for (unsigned i = 0; i < shown; i++) {
		unsigned idx = (dg->log_head + dg->log_len - shown + i) % DEMO_LOG_LINES;
		int w = guest_draw_text_width(strlen(dg->log[idx]), 1);

		right = x + w > right ? x + w : right;
	}
	if (box_empty(&ext))
		ext = box(x, y, right, bottom);
	ext =
	    box(ext.x1, ext.y1, right > ext.x2 ? right : ext.x2, bottom > ext.y2 ? bottom : ext.y2);
	/* never past the panel */
	ext = box(ext.x1, ext.y1, ext.x2 < a->x2 ? ext.x2 : a->x2, ext.y2 < a->y2 ? ext.y2 : a->y2);
	fill_box(img, &ext, LOG_BG_RGB);
	for (unsigned i = 0; i < shown; i++) {
		unsigned idx = (dg->log_head + dg->log_len - shown + i) % DEMO_LOG_LINES;
		const char *line = dg->log[idx];

		text_in(img, a, x, y + (int)i * DEMO_LOG_LINE_H_PX, 1, LOG_FG_RGB, LOG_BG_RGB, line,
			strlen(line));
	}
	dg->log_drawn = ext;
	return ext;
}

/* Draws the typed text, wrapped, showing the last lines that fit, with a
 * cursor. */
static void draw_typed(struct demo_guest *dg, pixman_image_t *img)
{
	const pixman_box32_t *a = &dg->lay.typed_area;
	int cell_w = guest_draw_text_width(1, GUEST_DEMO_TYPED_SCALE);
	int cell_h = guest_draw_text_height(GUEST_DEMO_TYPED_SCALE);
	int cols = (a->x2 - a->x1 - 4) / cell_w, rows = (a->y2 - a->y1 - 4) / cell_h;
	size_t starts[DEMO_TYPED_MAX + 1], n = 0, pos = 0;

	fill_box(img, a, GUEST_DEMO_TYPED_BG_RGB);
	if (cols <= 0 || rows <= 0)
		return;
	/* Split into display lines: at '\n' and every cols characters. */
	starts[n++] = 0;
	for (size_t i = 0; i < dg->typed_len; i++) {
		if (dg->typed[i] == '\n' || (int)(i - starts[n - 1]) == cols)
			starts[n++] = dg->typed[i] == '\n' ? i + 1 : i;
	}
	pos = n > (size_t)rows ? n - (size_t)rows : 0;
	for (int row = 0; pos < n; pos++, row++) {
		size_t end = pos + 1 < n ? starts[pos + 1] : dg->typed_len;
		size_t len = end - starts[pos];
		pixman_box32_t cell = guest_demo_typed_cell(&dg->lay, row, 0);

		if (len && dg->typed[end - 1] == '\n')
			len--;
		guest_draw_text(img, cell.x1, cell.y1, GUEST_DEMO_TYPED_SCALE,
				GUEST_DEMO_TYPED_FG_RGB, GUEST_DEMO_TYPED_BG_RGB,
				dg->typed + starts[pos], len);
		if (pos + 1 == n && (int)len < cols)
			guest_draw_text(img, cell.x1 + (int)len * cell_w, cell.y1,
					GUEST_DEMO_TYPED_SCALE, GUEST_DEMO_TYPED_FG_RGB,
					GUEST_DEMO_TYPED_BG_RGB, "_", 1);
	}
}

static pixman_box32_t sprite_box(struct demo_guest *dg)
{
	int x = dg->lay.sprite_area.x1 + dg->sprite_x, y = dg->lay.sprite_area.y1 + dg->sprite_y;

	return box(x, y, x + DEMO_SPRITE_PX, y + DEMO_SPRITE_PX);
}

/* Draws the sprite with its top-left corner at x,y. */
static void draw_sprite(pixman_image_t *img, int x, int y)
{
	guest_draw_rect(img, x, y, DEMO_SPRITE_PX, DEMO_SPRITE_PX, SPRITE_RGB);
	guest_draw_frame(img, x, y, DEMO_SPRITE_PX, DEMO_SPRITE_PX, SPRITE_EDGE_RGB);
	guest_draw_text(img, x + 6, y + 8, 1, SPRITE_EDGE_RGB, SPRITE_RGB, "fb", 2);
}

/* Redraws the whole screen for the current mode. */
static void redraw_all(struct demo_guest *dg)
{
	char title[64];
	struct fb_access acc;
	pixman_image_t *img;
	pixman_box32_t all, clock;
	const struct guest_demo_layout *l = &dg->lay;
	int sw, sh;

	dg->drawn_generation = fb_mode_generation(dg->fb);
	dg->drawn = true;
	guest_draw_set_palette(dg->fb);
	dg->mode = fb_get_mode(dg->fb);
	guest_demo_layout((int)dg->mode.width, (int)dg->mode.height, &dg->lay);
	dg->paint_px[0] = guest_draw_pixel(dg->mode.format, GUEST_DEMO_BRUSH_LEFT_RGB);
	dg->paint_px[1] = guest_draw_pixel(dg->mode.format, GUEST_DEMO_BRUSH_MIDDLE_RGB);
	dg->paint_px[2] = guest_draw_pixel(dg->mode.format, GUEST_DEMO_BRUSH_RIGHT_RGB);
	dg->stroke = false;

	/* Keep the sprite inside its (maybe smaller) box. */
	sw = l->sprite_area.x2 - l->sprite_area.x1 - DEMO_SPRITE_PX;
	sh = l->sprite_area.y2 - l->sprite_area.y1 - DEMO_SPRITE_PX;
	dg->sprite_x = sw > 0 ? (dg->sprite_x < sw ? dg->sprite_x : sw) : 0;
	dg->sprite_y = sh > 0 ? (dg->sprite_y < sh ? dg->sprite_y : sh) : 0;

	img = draw_begin(dg, &acc);
	if (!img)
		return; /* the mode changed again: the next round redraws */
	all = box(0, 0, (int)dg->mode.width, (int)dg->mode.height);
	fill_box(img, &all, DESK_RGB);
	fill_box(img, &l->header, HEADER_BG_RGB);
	snprintf(title, sizeof(title), "%ux%u %s", dg->mode.width, dg->mode.height,
		 fb_format_name(dg->mode.format) ? fb_format_name(dg->mode.format) : "?");
	text_in(img, &l->header, DEMO_GAP_PX, DEMO_GAP_PX, 2, HEADER_FG_RGB, HEADER_BG_RGB,
		"fbhost", 6);
	text_in(img, &l->header, DEMO_GAP_PX + guest_draw_text_width(7, 2), DEMO_GAP_PX + 4, 1,
		HEADER_FG_RGB, HEADER_BG_RGB, title, strlen(title));
	draw_clock(dg, img, time(NULL), &clock);

	draw_panel(img, &l->log, "log");
	fill_box(img, &l->log_area, LOG_BG_RGB);
	dg->log_drawn = box(0, 0, 0, 0);
	draw_log(dg, img);
	draw_panel(img, &l->paint, "paint: hold a button");
	fill_box(img, &l->paint_area, GUEST_DEMO_PAINT_BG_RGB);
	draw_panel(img, &l->typed, "keyboard (F2: next mode)");
	draw_typed(dg, img);
	draw_panel(img, &l->sprite, "sprite");
	fill_box(img, &l->sprite_area, SPRITE_BG_RGB);
	if (sw > 0 && sh > 0)
		draw_sprite(img, sprite_box(dg).x1, sprite_box(dg).y1);
	draw_end(dg, &acc, img, &all);
}

/* Appends a line to the log and redraws the log panel. */
static void log_line(struct demo_guest *dg, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void log_line(struct demo_guest *dg, const char *fmt, ...)
{
	struct fb_access acc;
	pixman_image_t *img;
	pixman_box32_t dirty;
	unsigned idx;
	va_list ap;

	if (dg->log_len == DEMO_LOG_LINES) {
		dg->log_head = (dg->log_head + 1) % DEMO_LOG_LINES;
		dg->log_len--;
	}
	idx = (dg->log_head + dg->log_len++) % DEMO_LOG_LINES;
	va_start(ap, fmt);
	vsnprintf(dg->log[idx], DEMO_LOG_LINE_MAX, fmt, ap);
	va_end(ap);

	img = draw_begin(dg, &acc);
	if (!img)
		return;
	dirty = draw_log(dg, img);
	draw_end(dg, &acc, img, &dirty);
}

static void redraw_typed(struct demo_guest *dg)
{
	struct fb_access acc;
	pixman_image_t *img = draw_begin(dg, &acc);

	if (!img)
		return;
	draw_typed(dg, img);
	draw_end(dg, &acc, img, &dg->lay.typed_area);
}

/*
 * Moves the sprite one step, bouncing off its box's sides. The union of its
 * old and new places is drawn in the canvas (background, then the sprite)
 * and put with fb_put_image in one go, which erases the trail and converts to
 * the framebuffer's format.
 */
static void animate_sprite(struct demo_guest *dg)
{
	const pixman_box32_t *a = &dg->lay.sprite_area;
	int sw = a->x2 - a->x1 - DEMO_SPRITE_PX, sh = a->y2 - a->y1 - DEMO_SPRITE_PX;
	pixman_box32_t old, now, u;
	pixman_image_t *view;

	if (sw <= 0 || sh <= 0)
		return;
	old = sprite_box(dg);
	dg->sprite_x += dg->sprite_dx;
	dg->sprite_y += dg->sprite_dy;
	if (dg->sprite_x < 0 || dg->sprite_x > sw) {
		dg->sprite_dx = -dg->sprite_dx;
		dg->sprite_x = dg->sprite_x < 0 ? 0 : sw;
	}
	if (dg->sprite_y < 0 || dg->sprite_y > sh) {
		dg->sprite_dy = -dg->sprite_dy;
		dg->sprite_y = dg->sprite_y < 0 ? 0 : sh;
	}
	now = sprite_box(dg);
	u = box(old.x1 < now.x1 ? old.x1 : now.x1, old.y1 < now.y1 ? old.y1 : now.y1,
		old.x2 > now.x2 ? old.x2 : now.x2, old.y2 > now.y2 ? old.y2 : now.y2);
	/* a step never exceeds DEMO_SPRITE_STEP_PX, so the union fits */
	assert(u.x2 - u.x1 <= DEMO_SPRITE_CANVAS_PX && u.y2 - u.y1 <= DEMO_SPRITE_CANVAS_PX);
	view = pixman_image_create_bits(PIXMAN_x8r8g8b8, u.x2 - u.x1, u.y2 - u.y1,
					dg->sprite_canvas, DEMO_SPRITE_CANVAS_PX * 4);
	if (!view)
		return;
	guest_draw_rect(view, 0, 0, u.x2 - u.x1, u.y2 - u.y1, SPRITE_BG_RGB);
	draw_sprite(view, now.x1 - u.x1, now.y1 - u.y1);
	fb_put_image(dg->fb, view, u.x1, u.y1);
	pixman_image_unref(view);
}

/* ---- input (guest thread) ----------------------------------------------- */

static void handle_key(struct demo_guest *dg, uint32_t keysym)
{
	if (keysym == GUEST_DEMO_KEY_NEXT_MODE) {
		struct fb_mode next = guest_demo_next_mode(&dg->mode);
		int rc = fb_set_mode(dg->fb, &next);

		if (rc < 0)
			log_line(dg, "F2: mode %ux%u failed: %s", next.width, next.height,
				 strerror(-rc));
		return;
	}
	if (keysym == GUEST_DEMO_KEY_BACKSPACE) {
		if (dg->typed_len == 0)
			return;
		dg->typed_len--;
	} else {
		char c;

		if (keysym == GUEST_DEMO_KEY_RETURN || keysym == GUEST_DEMO_KEY_KP_ENTER)
			c = '\n';
		else if (keysym >= 0x20 && keysym <= 0x7e)
			c = (char)keysym; /* Latin-1 keysyms are ASCII here */
		else
			return;
		if (dg->typed_len == DEMO_TYPED_MAX) {
			/* Forget the oldest quarter. */
			size_t drop = DEMO_TYPED_MAX / 4;

			memmove(dg->typed, dg->typed + drop, DEMO_TYPED_MAX - drop);
			dg->typed_len -= drop;
		}
		dg->typed[dg->typed_len++] = c;
	}
	redraw_typed(dg);
}

/* Paints a brush square at x,y, clipped to the paint area. */
static void paint_dot(struct demo_guest *dg, int x, int y, uint32_t px)
{
	pixman_box32_t b = box(x - GUEST_DEMO_BRUSH_PX / 2, y - GUEST_DEMO_BRUSH_PX / 2,
			       x - GUEST_DEMO_BRUSH_PX / 2 + GUEST_DEMO_BRUSH_PX,
			       y - GUEST_DEMO_BRUSH_PX / 2 + GUEST_DEMO_BRUSH_PX);
	const pixman_box32_t *a = &dg->lay.paint_area;

	b = box(b.x1 > a->x1 ? b.x1 : a->x1, b.y1 > a->y1 ? b.y1 : a->y1,
		b.x2 < a->x2 ? b.x2 : a->x2, b.y2 < a->y2 ? b.y2 : a->y2);
	if (!box_empty(&b))
		fb_fill_rect(dg->fb, b.x1, b.y1, b.x2 - b.x1, b.y2 - b.y1, px);
}

static bool in_box(const pixman_box32_t *b, int x, int y)
{
	return x >= b->x1 && x < b->x2 && y >= b->y1 && y < b->y2;
}

/* Paints from the last point of the stroke to x,y while a button is held. */
static void handle_pointer(struct demo_guest *dg, int x, int y, uint32_t buttons)
{
	uint32_t held = buttons & 7u;
	uint32_t px;
	int steps, dx, dy;

	if (!held || !in_box(&dg->lay.paint_area, x, y)) {
		dg->stroke = false;
		return;
	}
	px = held & 1u ? dg->paint_px[0] : held & 2u ? dg->paint_px[1] : dg->paint_px[2];
	if (!dg->stroke || dg->stroke_buttons != held) {
		log_line(dg, "paint at %d,%d", x - dg->lay.paint_area.x1,
			 y - dg->lay.paint_area.y1);
		dg->stroke_x = x;
		dg->stroke_y = y;
	}
	dx = x - dg->stroke_x;
	dy = y - dg->stroke_y;
	steps = abs(dx) > abs(dy) ? abs(dx) : abs(dy);
	steps = (steps + GUEST_DEMO_BRUSH_PX / 2) / (GUEST_DEMO_BRUSH_PX / 2 + 1) + 1;
	for (int i = 1; i <= steps; i++)
		paint_dot(dg, dg->stroke_x + dx * i / steps, dg->stroke_y + dy * i / steps, px);
	dg->stroke = true;
	dg->stroke_buttons = held;
	dg->stroke_x = x;
	dg->stroke_y = y;
}

/* Applies a viewer's resize request, keeping the format. */
static void handle_resize(struct demo_guest *dg, uint32_t w, uint32_t h)
{
	struct fb_mode m = fb_get_mode(dg->fb);
	int rc;

	if (m.width == w && m.height == h)
		return;
	m.width = w;
	m.height = h;
	m.stride = 0;
	rc = fb_set_mode(dg->fb, &m);
	if (rc < 0)
		log_line(dg, "resize to %ux%u failed: %s", w, h, strerror(-rc));
}

/* Redraws everything when the mode changed since the last full redraw. */
static void check_mode(struct demo_guest *dg)
{
	uint64_t gen = fb_mode_generation(dg->fb);

	if (dg->drawn && gen == dg->drawn_generation)
		return;
	redraw_all(dg);
	log_line(dg, "mode %ux%u %s", dg->mode.width, dg->mode.height,
		 fb_format_name(dg->mode.format) ? fb_format_name(dg->mode.format) : "?");
}

/* Once per frame: the sprite, the clock and the periodic log line. */
static void tick(struct demo_guest *dg, const struct timespec *now)
{
	time_t wall = time(NULL);

	dg->frames++;
	animate_sprite(dg);
	if (wall != dg->clock_shown) {
		struct fb_access acc;
		pixman_image_t *img = draw_begin(dg, &acc);
		pixman_box32_t dirty = box(0, 0, 0, 0);

		if (img) {
			draw_clock(dg, img, wall, &dirty);
			draw_end(dg, &acc, img, &dirty);
		}
	}
	if (timespec_reached(now, &dg->next_log)) {
		log_line(dg, "frame %llu, sprite at %d,%d", (unsigned long long)dg->frames,
			 dg->sprite_x, dg->sprite_y);
		dg->next_log = *now;
		timespec_add_ms(&dg->next_log, DEMO_LOG_PERIOD_MS);
	}
}

static void *demo_thread(void *opaque)
{
	struct demo_guest *dg = opaque;
	struct demo_event batch[DEMO_EVENT_QUEUE_LEN];

	clock_gettime(CLOCK_MONOTONIC, &dg->next_frame);
	dg->next_log = dg->next_frame;
	pthread_mutex_lock(&dg->lock);
	while (!dg->stop) {
		bool resize = dg->resize_pending;
		uint32_t rw = dg->resize_w, rh = dg->resize_h;
		unsigned n = dg->queue_len;
		struct timespec now;

		for (unsigned i = 0; i < n; i++)
			batch[i] = dg->queue[(dg->queue_head + i) % DEMO_EVENT_QUEUE_LEN];
		dg->queue_head = (dg->queue_head + n) % DEMO_EVENT_QUEUE_LEN;
		dg->queue_len = 0;
		dg->resize_pending = false;
		pthread_mutex_unlock(&dg->lock);

		check_mode(dg);
		if (resize)
			handle_resize(dg, rw, rh);
		for (unsigned i = 0; i < n; i++) {
			if (batch[i].type == DEMO_EV_KEY)
				handle_key(dg, batch[i].keysym);
			else
				handle_pointer(dg, batch[i].x, batch[i].y, batch[i].buttons);
			check_mode(dg);
		}
		check_mode(dg);
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (timespec_reached(&now, &dg->next_frame)) {
			tick(dg, &now);
			timespec_add_ms(&dg->next_frame, 1000u / DEMO_FRAME_HZ);
			if (timespec_reached(&now, &dg->next_frame)) {
				/* Late by a frame or more: do not try to catch up. */
				dg->next_frame = now;
				timespec_add_ms(&dg->next_frame, 1000u / DEMO_FRAME_HZ);
			}
		}

		pthread_mutex_lock(&dg->lock);
		while (!dg->stop && !dg->queue_len && !dg->resize_pending &&
		       pthread_cond_timedwait(&dg->wake, &dg->lock, &dg->next_frame) == 0)
			;
	}
	pthread_mutex_unlock(&dg->lock);
	return NULL;
}

/* ---- input callbacks (frontend threads) ---------------------------------- */

/* Queues ev. Pointer motion without buttons coalesces with a queued motion;
 * with a button held every event is kept, since each paints. */
static void queue_event(struct demo_guest *dg, const struct demo_event *ev)
{
	pthread_mutex_lock(&dg->lock);
	if (ev->type == DEMO_EV_POINTER && dg->queue_len) {
		struct demo_event *last =
		    &dg->queue[(dg->queue_head + dg->queue_len - 1) % DEMO_EVENT_QUEUE_LEN];

		if (last->type == DEMO_EV_POINTER && !last->buttons && !ev->buttons) {
			*last = *ev;
			goto out;
		}
	}
	if (dg->queue_len == DEMO_EVENT_QUEUE_LEN) {
		dg->events_dropped++;
		goto out;
	}
	dg->queue[(dg->queue_head + dg->queue_len++) % DEMO_EVENT_QUEUE_LEN] = *ev;
	pthread_cond_signal(&dg->wake);
out:
	pthread_mutex_unlock(&dg->lock);
}

static void demo_key(void *opaque, uint32_t keysym, bool down)
{
	struct demo_event ev = {.type = DEMO_EV_KEY, .keysym = keysym};

	if (down)
		queue_event(opaque, &ev);
}

static void demo_pointer(void *opaque, int x, int y, uint32_t buttons)
{
	struct demo_event ev = {.type = DEMO_EV_POINTER, .x = x, .y = y, .buttons = buttons};

	queue_event(opaque, &ev);
}

/* Pasted text is echoed like typed keys (printable ASCII and newlines). */
static void demo_clipboard(void *opaque, const char *utf8, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)utf8[i];
		struct demo_event ev = {.type = DEMO_EV_KEY, .keysym = c};

		if (c == '\n')
			ev.keysym = GUEST_DEMO_KEY_RETURN;
		else if (c < 0x20 || c > 0x7e)
			continue;
		queue_event(opaque, &ev);
	}
}

static int demo_mode_request(void *opaque, uint32_t width, uint32_t height)
{
	struct demo_guest *dg = opaque;
	struct fb_mode m = fb_get_mode(dg->fb);
	int rc;

	m.width = width;
	m.height = height;
	m.stride = 0;
	rc = fb_mode_check(&m, FB_DEFAULT_MAX_BYTES);
	if (rc < 0)
		return rc;
	pthread_mutex_lock(&dg->lock);
	dg->resize_pending = true;
	dg->resize_w = width;
	dg->resize_h = height;
	pthread_cond_signal(&dg->wake);
	pthread_mutex_unlock(&dg->lock);
	return 0;
}

static const struct fb_input_ops demo_input_ops = {
    .key = demo_key,
    .pointer = demo_pointer,
    .mode_request = demo_mode_request,
    .clipboard = demo_clipboard,
};

/* ---- start/stop --------------------------------------------------------- */

static void demo_free(struct demo_guest *dg)
{
	pthread_cond_destroy(&dg->wake);
	pthread_mutex_destroy(&dg->lock);
	free(dg);
}

static int demo_start(struct fb_device *fb, const char *args, void **state, const char **err)
{
	struct demo_guest *dg;
	pthread_condattr_t attr;
	int rc;

	if (args && *args) {
		*err = "the demo guest takes no arguments";
		return -EINVAL;
	}
	dg = calloc(1, sizeof(*dg));
	if (!dg)
		return -ENOMEM;
	dg->fb = fb;
	dg->sprite_dx = DEMO_SPRITE_STEP_PX;
	dg->sprite_dy = DEMO_SPRITE_STEP_PX - 1;
	pthread_mutex_init(&dg->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&dg->wake, &attr);
	pthread_condattr_destroy(&attr);

	rc = pthread_create(&dg->thread, NULL, demo_thread, dg);
	if (rc) {
		*err = "cannot start the demo guest's thread";
		goto fail_thread;
	}
	fb_set_input_handler(fb, &demo_input_ops, dg);
	*state = dg;
	return 0;

fail_thread:
	demo_free(dg);
	return -rc;
}

static void demo_stop(void *state)
{
	struct demo_guest *dg = state;

	fb_set_input_handler(dg->fb, NULL, NULL);
	pthread_mutex_lock(&dg->lock);
	dg->stop = true;
	pthread_cond_signal(&dg->wake);
	pthread_mutex_unlock(&dg->lock);
	pthread_join(dg->thread, NULL);
	demo_free(dg);
}

const struct guest_ops guest_demo_ops = {
    .name = "demo",
    .start = demo_start,
    .stop = demo_stop,
};
