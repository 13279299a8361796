/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * server/guests/guest-demo-draw.c - the demo guest's drawing: the whole screen after
 * a mode change, then only the parts that change (clock, log text, typed
 * text, sprite, brush dots), each marked dirty on its own. Guest thread only.
 */
#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "server/guests/guest-demo-internal.h"
#include "server/guests/guest-draw.h"

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

/* Opens the framebuffer for drawing when it still has the mode the layout was
 * made for (if not, the next full redraw will catch up). */
static pixman_image_t *draw_begin(struct guest_demo_screen *s, struct fbhost_pixels *px)
{
	pixman_image_t *img;

	fbhost_pixels_begin(s->fb, px);
	if (px->width != s->mode.width || px->height != s->mode.height ||
	    px->format != s->mode.format || px->stride != s->mode.stride)
		goto fail;
	img = guest_draw_wrap_pixels(px);
	if (!img)
		goto fail;
	return img;

fail:
	fbhost_pixels_end(s->fb, px);
	return NULL;
}

static void draw_end(struct guest_demo_screen *s, struct fbhost_pixels *px, pixman_image_t *img,
		     const pixman_box32_t *dirty)
{
	pixman_image_unref(img);
	if (!guest_demo_box_empty(dirty))
		fbhost_pixels_damage(s->fb, px, dirty->x1, dirty->y1, dirty->x2 - dirty->x1,
				     dirty->y2 - dirty->y1);
	fbhost_pixels_end(s->fb, px);
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
	pixman_box32_t bar = guest_demo_box(p->x1, p->y1, p->x2, p->y1 + 1 + DEMO_TITLE_H_PX);

	if (guest_demo_box_empty(p))
		return;
	guest_draw_frame(img, p->x1, p->y1, p->x2 - p->x1, p->y2 - p->y1, FRAME_RGB);
	fill_box(img, &bar, FRAME_RGB);
	text_in(img, p, p->x1 + 3, p->y1 + 2, 1, TITLE_FG_RGB, FRAME_RGB, title, strlen(title));
}

static void draw_clock(struct guest_demo_screen *s, pixman_image_t *img, time_t now,
		       pixman_box32_t *dirty)
{
	char text[16];
	struct tm tm;
	int w = guest_draw_text_width(8, 2), x = s->lay.header.x2 - DEMO_GAP_PX - w;

	localtime_r(&now, &tm);
	snprintf(text, sizeof(text), "%02d:%02d:%02d", tm.tm_hour, tm.tm_min, tm.tm_sec);
	if (x < 0)
		return;
	guest_draw_text(img, x, DEMO_GAP_PX, 2, CLOCK_FG_RGB, HEADER_BG_RGB, text, 8);
	*dirty = guest_demo_box(x, DEMO_GAP_PX, x + w, DEMO_GAP_PX + guest_draw_text_height(2));
	s->clock_shown = now;
}

/*
 * Draws the last log lines that fit. Only the part of the panel that held or
 * now holds text is repainted (the rest is background already), so a scroll
 * dirties a strip of text rather than the whole panel. Returns that part.
 */
/* How many log lines the log area shows. */
static unsigned log_rows(const pixman_box32_t *a)
{
	return guest_demo_box_empty(a) ? 0 : (unsigned)((a->y2 - a->y1 - 2) / DEMO_LOG_LINE_H_PX);
}

static pixman_box32_t draw_log(struct guest_demo_screen *s, pixman_image_t *img)
{
	const pixman_box32_t *a = &s->lay.log_area;
	unsigned rows = log_rows(a);
	unsigned shown = s->log_len < rows ? s->log_len : rows;
	pixman_box32_t ext = s->log_drawn;
	int x = a->x1 + 2, y = a->y1 + 2, right = x, bottom = y + (int)shown * DEMO_LOG_LINE_H_PX;

	for (unsigned i = 0; i < shown; i++) {
		unsigned idx = (s->log_head + s->log_len - shown + i) % DEMO_LOG_LINES;
		int w = guest_draw_text_width(strlen(s->log[idx]), 1);

		right = x + w > right ? x + w : right;
	}
	if (guest_demo_box_empty(&ext))
		ext = guest_demo_box(x, y, right, bottom);
	ext = guest_demo_box(ext.x1, ext.y1, right > ext.x2 ? right : ext.x2,
			     bottom > ext.y2 ? bottom : ext.y2);
	/* never past the panel */
	ext = guest_demo_box(ext.x1, ext.y1, ext.x2 < a->x2 ? ext.x2 : a->x2,
			     ext.y2 < a->y2 ? ext.y2 : a->y2);
	fill_box(img, &ext, LOG_BG_RGB);
	for (unsigned i = 0; i < shown; i++) {
		unsigned idx = (s->log_head + s->log_len - shown + i) % DEMO_LOG_LINES;
		const char *line = s->log[idx];

		text_in(img, a, x, y + (int)i * DEMO_LOG_LINE_H_PX, 1, LOG_FG_RGB, LOG_BG_RGB, line,
			strlen(line));
	}
	s->log_drawn = ext;
	return ext;
}

/*
 * When the log was already full on screen and the new (last) line fits its
 * drawn width: moves the shown lines up one line (fbhost_pixels_copy, so VNC
 * viewers get a CopyRect) and draws only the new line, the same pixels as
 * draw_log (each line's band depends on that line only). Returns the box
 * drawn, or an empty box when draw_log must draw the whole log.
 */
static pixman_box32_t scroll_log(struct guest_demo_screen *s, pixman_image_t *img,
				 const struct fbhost_pixels *acc)
{
	const pixman_box32_t *a = &s->lay.log_area;
	const pixman_box32_t ext = s->log_drawn, none = guest_demo_box(0, 0, 0, 0);
	unsigned rows = log_rows(a);
	int x = a->x1 + 2, y = a->y1 + 2, bottom = y + (int)rows * DEMO_LOG_LINE_H_PX;
	const char *line = s->log[(s->log_head + s->log_len - 1) % DEMO_LOG_LINES];
	int right = x + guest_draw_text_width(strlen(line), 1);
	pixman_box32_t last;

	/* Full before this line (so one scrolls off), drawn exactly over the
	 * shown rows, and wide enough for the new line. */
	if (rows < 2 || s->log_len <= rows || guest_demo_box_empty(&ext) || ext.x1 != x ||
	    ext.y1 != y || ext.y2 != bottom || (right < a->x2 ? right : a->x2) > ext.x2)
		return none;
	if (fbhost_pixels_copy(s->fb, acc, ext.x1, y + DEMO_LOG_LINE_H_PX, ext.x1, y,
			       ext.x2 - ext.x1, (int)(rows - 1) * DEMO_LOG_LINE_H_PX) != 0)
		return none;
	last = guest_demo_box(ext.x1, bottom - DEMO_LOG_LINE_H_PX, ext.x2, bottom);
	fill_box(img, &last, LOG_BG_RGB);
	text_in(img, a, x, last.y1, 1, LOG_FG_RGB, LOG_BG_RGB, line, strlen(line));
	return last;
}

/* Draws the typed text, wrapped, showing the last lines that fit, with a
 * cursor. */
static void draw_typed(struct guest_demo_screen *s, pixman_image_t *img)
{
	const pixman_box32_t *a = &s->lay.typed_area;
	int cell_w = guest_draw_text_width(1, GUEST_DEMO_TYPED_SCALE);
	int cell_h = guest_draw_text_height(GUEST_DEMO_TYPED_SCALE);
	int cols = (a->x2 - a->x1 - 4) / cell_w, rows = (a->y2 - a->y1 - 4) / cell_h;
	size_t starts[DEMO_TYPED_MAX + 1], n = 0, pos = 0;

	fill_box(img, a, GUEST_DEMO_TYPED_BG_RGB);
	if (cols <= 0 || rows <= 0)
		return;
	/* Split into display lines: at '\n' and every cols characters. */
	starts[n++] = 0;
	for (size_t i = 0; i < s->typed_len; i++) {
		if (s->typed[i] == '\n' || (int)(i - starts[n - 1]) == cols)
			starts[n++] = s->typed[i] == '\n' ? i + 1 : i;
	}
	pos = n > (size_t)rows ? n - (size_t)rows : 0;
	for (int row = 0; pos < n; pos++, row++) {
		size_t end = pos + 1 < n ? starts[pos + 1] : s->typed_len;
		size_t len = end - starts[pos];
		pixman_box32_t cell = guest_demo_typed_cell(&s->lay, row, 0);

		if (len && s->typed[end - 1] == '\n')
			len--;
		guest_draw_text(img, cell.x1, cell.y1, GUEST_DEMO_TYPED_SCALE,
				GUEST_DEMO_TYPED_FG_RGB, GUEST_DEMO_TYPED_BG_RGB,
				s->typed + starts[pos], len);
		if (pos + 1 == n && (int)len < cols)
			guest_draw_text(img, cell.x1 + (int)len * cell_w, cell.y1,
					GUEST_DEMO_TYPED_SCALE, GUEST_DEMO_TYPED_FG_RGB,
					GUEST_DEMO_TYPED_BG_RGB, "_", 1);
	}
}

static pixman_box32_t sprite_box(struct guest_demo_screen *s)
{
	int x = s->lay.sprite_area.x1 + s->sprite_x, y = s->lay.sprite_area.y1 + s->sprite_y;

	return guest_demo_box(x, y, x + DEMO_SPRITE_PX, y + DEMO_SPRITE_PX);
}

/* Draws the sprite with its top-left corner at x,y. */
static void draw_sprite(pixman_image_t *img, int x, int y)
{
	guest_draw_rect(img, x, y, DEMO_SPRITE_PX, DEMO_SPRITE_PX, SPRITE_RGB);
	guest_draw_frame(img, x, y, DEMO_SPRITE_PX, DEMO_SPRITE_PX, SPRITE_EDGE_RGB);
	guest_draw_text(img, x + 6, y + 8, 1, SPRITE_EDGE_RGB, SPRITE_RGB, "fb", 2);
}

/* A brush colour as fbhost_fill takes it in format. */
static uint32_t brush_colour(enum fbhost_format format, uint32_t rgb)
{
	if (format == FBHOST_FORMAT_C8)
		return guest_draw_pixel(PIXMAN_c8, rgb);
	return rgb;
}

/* Redraws the whole screen for the current mode. */
void guest_demo_screen_redraw_all(struct guest_demo_screen *s)
{
	char title[64];
	struct fbhost_pixels acc;
	pixman_image_t *img;
	pixman_box32_t all, clock;
	const struct guest_demo_layout *l = &s->lay;
	int sw, sh;

	s->drawn_generation = fbhost_fb_mode_generation(s->fb);
	s->drawn = true;
	guest_draw_set_palette(s->fb);
	s->mode = fbhost_fb_mode(s->fb);
	guest_demo_layout((int)s->mode.width, (int)s->mode.height, &s->lay);
	s->paint_px[0] = brush_colour(s->mode.format, GUEST_DEMO_BRUSH_LEFT_RGB);
	s->paint_px[1] = brush_colour(s->mode.format, GUEST_DEMO_BRUSH_MIDDLE_RGB);
	s->paint_px[2] = brush_colour(s->mode.format, GUEST_DEMO_BRUSH_RIGHT_RGB);

	/* Keep the sprite inside its (maybe smaller) box. */
	sw = l->sprite_area.x2 - l->sprite_area.x1 - DEMO_SPRITE_PX;
	sh = l->sprite_area.y2 - l->sprite_area.y1 - DEMO_SPRITE_PX;
	s->sprite_x = sw > 0 ? (s->sprite_x < sw ? s->sprite_x : sw) : 0;
	s->sprite_y = sh > 0 ? (s->sprite_y < sh ? s->sprite_y : sh) : 0;

	img = draw_begin(s, &acc);
	if (!img)
		return; /* the mode changed again: the next round redraws */
	all = guest_demo_box(0, 0, (int)s->mode.width, (int)s->mode.height);
	fill_box(img, &all, DESK_RGB);
	fill_box(img, &l->header, HEADER_BG_RGB);
	snprintf(title, sizeof(title), "%ux%u %s", s->mode.width, s->mode.height,
		 fbhost_format_name(s->mode.format) ? fbhost_format_name(s->mode.format) : "?");
	text_in(img, &l->header, DEMO_GAP_PX, DEMO_GAP_PX, 2, HEADER_FG_RGB, HEADER_BG_RGB,
		"fbhost", 6);
	text_in(img, &l->header, DEMO_GAP_PX + guest_draw_text_width(7, 2), DEMO_GAP_PX + 4, 1,
		HEADER_FG_RGB, HEADER_BG_RGB, title, strlen(title));
	draw_clock(s, img, time(NULL), &clock);

	draw_panel(img, &l->log, "log");
	fill_box(img, &l->log_area, LOG_BG_RGB);
	s->log_drawn = guest_demo_box(0, 0, 0, 0);
	draw_log(s, img);
	draw_panel(img, &l->paint, "paint: hold a button");
	fill_box(img, &l->paint_area, GUEST_DEMO_PAINT_BG_RGB);
	draw_panel(img, &l->typed, "keyboard (F2: next mode)");
	draw_typed(s, img);
	draw_panel(img, &l->sprite, "sprite");
	fill_box(img, &l->sprite_area, SPRITE_BG_RGB);
	if (sw > 0 && sh > 0)
		draw_sprite(img, sprite_box(s).x1, sprite_box(s).y1);
	draw_end(s, &acc, img, &all);
}

void guest_demo_screen_log(struct guest_demo_screen *s, const char *fmt, ...)
{
	struct fbhost_pixels acc;
	pixman_image_t *img;
	pixman_box32_t dirty;
	unsigned idx;
	va_list ap;

	if (s->log_len == DEMO_LOG_LINES) {
		s->log_head = (s->log_head + 1) % DEMO_LOG_LINES;
		s->log_len--;
	}
	idx = (s->log_head + s->log_len++) % DEMO_LOG_LINES;
	va_start(ap, fmt);
	vsnprintf(s->log[idx], DEMO_LOG_LINE_MAX, fmt, ap);
	va_end(ap);

	img = draw_begin(s, &acc);
	if (!img)
		return;
	dirty = scroll_log(s, img, &acc);
	if (guest_demo_box_empty(&dirty))
		dirty = draw_log(s, img);
	draw_end(s, &acc, img, &dirty);
}

void guest_demo_screen_redraw_typed(struct guest_demo_screen *s)
{
	struct fbhost_pixels acc;
	pixman_image_t *img = draw_begin(s, &acc);

	if (!img)
		return;
	draw_typed(s, img);
	draw_end(s, &acc, img, &s->lay.typed_area);
}

/*
 * Moves the sprite one step, bouncing off its box's sides. The union of its
 * old and new places is drawn in the canvas (background, then the sprite)
 * and put with fbhost_blit in one go, which erases the trail and converts to
 * the framebuffer's format.
 */
void guest_demo_screen_animate_sprite(struct guest_demo_screen *s)
{
	const pixman_box32_t *a = &s->lay.sprite_area;
	int sw = a->x2 - a->x1 - DEMO_SPRITE_PX, sh = a->y2 - a->y1 - DEMO_SPRITE_PX;
	pixman_box32_t old, now, u;
	pixman_image_t *view;

	if (sw <= 0 || sh <= 0)
		return;
	old = sprite_box(s);
	s->sprite_x += s->sprite_dx;
	s->sprite_y += s->sprite_dy;
	if (s->sprite_x < 0 || s->sprite_x > sw) {
		s->sprite_dx = -s->sprite_dx;
		s->sprite_x = s->sprite_x < 0 ? 0 : sw;
	}
	if (s->sprite_y < 0 || s->sprite_y > sh) {
		s->sprite_dy = -s->sprite_dy;
		s->sprite_y = s->sprite_y < 0 ? 0 : sh;
	}
	now = sprite_box(s);
	u = guest_demo_box(old.x1 < now.x1 ? old.x1 : now.x1, old.y1 < now.y1 ? old.y1 : now.y1,
			   old.x2 > now.x2 ? old.x2 : now.x2, old.y2 > now.y2 ? old.y2 : now.y2);
	/* a step never exceeds DEMO_SPRITE_STEP_PX, so the union fits */
	assert(u.x2 - u.x1 <= DEMO_SPRITE_CANVAS_PX && u.y2 - u.y1 <= DEMO_SPRITE_CANVAS_PX);
	view = pixman_image_create_bits(PIXMAN_x8r8g8b8, u.x2 - u.x1, u.y2 - u.y1, s->sprite_canvas,
					DEMO_SPRITE_CANVAS_PX * 4);
	if (!view)
		return;
	guest_draw_rect(view, 0, 0, u.x2 - u.x1, u.y2 - u.y1, SPRITE_BG_RGB);
	draw_sprite(view, now.x1 - u.x1, now.y1 - u.y1);
	pixman_image_unref(view);
	fbhost_blit(s->fb, u.x1, u.y1, s->sprite_canvas, (uint32_t)(u.x2 - u.x1),
		    (uint32_t)(u.y2 - u.y1), DEMO_SPRITE_CANVAS_PX * 4, FBHOST_FORMAT_X8R8G8B8);
}

void guest_demo_screen_paint_dot(struct guest_demo_screen *s, int x, int y, uint32_t px)
{
	pixman_box32_t b = guest_demo_box(x - GUEST_DEMO_BRUSH_PX / 2, y - GUEST_DEMO_BRUSH_PX / 2,
					  x - GUEST_DEMO_BRUSH_PX / 2 + GUEST_DEMO_BRUSH_PX,
					  y - GUEST_DEMO_BRUSH_PX / 2 + GUEST_DEMO_BRUSH_PX);
	const pixman_box32_t *a = &s->lay.paint_area;

	b = guest_demo_box(b.x1 > a->x1 ? b.x1 : a->x1, b.y1 > a->y1 ? b.y1 : a->y1,
			   b.x2 < a->x2 ? b.x2 : a->x2, b.y2 < a->y2 ? b.y2 : a->y2);
	if (!guest_demo_box_empty(&b))
		fbhost_fill(s->fb, b.x1, b.y1, b.x2 - b.x1, b.y2 - b.y1, px);
}

void guest_demo_screen_update_clock(struct guest_demo_screen *s)
{
	time_t wall = time(NULL);
	struct fbhost_pixels acc;
	pixman_image_t *img;
	pixman_box32_t dirty = guest_demo_box(0, 0, 0, 0);

	if (wall == s->clock_shown)
		return;
	img = draw_begin(s, &acc);
	if (!img)
		return;
	draw_clock(s, img, wall, &dirty);
	draw_end(s, &acc, img, &dirty);
}

void guest_demo_screen_init(struct guest_demo_screen *s, struct fbhost_fb *fb)
{
	s->fb = fb;
	s->sprite_dx = DEMO_SPRITE_STEP_PX;
	s->sprite_dy = DEMO_SPRITE_STEP_PX - 1;
}
