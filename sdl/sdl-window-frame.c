/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sdl/sdl-window-frame.c - getting pixels from the render thread to the
 * screen. The render thread (listener ops) copies what really changed inside
 * the damage into a staging copy of the picture and unions it into a pending
 * region; the SDL thread uploads the pending region's rectangles to a
 * streaming texture and presents. Whatever accumulates between two SDL
 * passes is uploaded once: the latest picture wins.
 *
 * Scaling is SDL's: the renderer's logical size is the guest mode
 * (SDL_RenderSetLogicalSize), so SDL letterboxes the picture keeping its
 * aspect, scales by whole factors with SDL_RenderSetIntegerScale, and maps
 * mouse events into guest pixels itself.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sdl/sdl-window-internal.h"
#include "sdl/sdl-window-test.h"

/* Longest window title, bytes. */
#define SDL_WINDOW_TITLE_BYTES 256

static _Atomic(sdl_window_upload_hook_fn *) upload_hook;

void sdl_window_set_upload_hook(sdl_window_upload_hook_fn *fn)
{
	atomic_store(&upload_hook, fn);
}

/*
 * The staging (and texture) format for a guest format: the guest's own
 * whenever SDL has the same layout, x8r8g8b8 otherwise (8-bit indexed).
 * a8r8g8b8 goes to an XRGB texture: a framebuffer is shown opaque.
 */
static bool texture_format(pixman_format_code_t guest, pixman_format_code_t *staging,
			   Uint32 *sdl_format)
{
	switch (guest) {
	case PIXMAN_c8:
		*staging = PIXMAN_x8r8g8b8;
		*sdl_format = SDL_PIXELFORMAT_RGB888;
		return true;
	case PIXMAN_x1r5g5b5:
		*staging = guest;
		*sdl_format = SDL_PIXELFORMAT_RGB555;
		return true;
	case PIXMAN_r5g6b5:
		*staging = guest;
		*sdl_format = SDL_PIXELFORMAT_RGB565;
		return true;
	case PIXMAN_r8g8b8: /* little-endian 0xRRGGBB: bytes B, G, R */
		*staging = guest;
		*sdl_format = SDL_PIXELFORMAT_BGR24;
		return true;
	case PIXMAN_x8r8g8b8:
	case PIXMAN_a8r8g8b8:
		*staging = guest;
		*sdl_format = SDL_PIXELFORMAT_RGB888;
		return true;
	default:
		return false;
	}
}

/* ---- render thread ----------------------------------------------------- */

static struct sdl_window *window_of_listener(struct fb_listener *l)
{
	return sdl_window_of(l, listener);
}

static bool boxes_push(struct sdl_box_vec *v, int x1, int y1, int x2, int y2)
{
	/* Extend the last box downwards when this one continues it. */
	if (v->len) {
		pixman_box32_t *last = &v->boxes[v->len - 1];
		if (last->x1 == x1 && last->x2 == x2 && last->y2 == y1) {
			last->y2 = y2;
			return true;
		}
	}
	if (v->len == v->cap) {
		size_t cap = v->cap ? v->cap * 2 : 64;
		pixman_box32_t *b = realloc(v->boxes, cap * sizeof(*b));
		if (!b)
			return false;
		v->boxes = b;
		v->cap = cap;
	}
	v->boxes[v->len++] = (pixman_box32_t){ x1, y1, x2, y2 };
	return true;
}

/* First and one-past-last differing pixel of two runs of n pixels. */
static void diff_span(const uint8_t *a, const uint8_t *b, int n, int bpp, int *first, int *end)
{
	int i = 0, j = n;
	while (i < n && !memcmp(a + i * bpp, b + i * bpp, bpp))
		i++;
	while (j > i && !memcmp(a + (j - 1) * bpp, b + (j - 1) * bpp, bpp))
		j--;
	*first = i;
	*end = j;
}

/* Copies the changed run of cells [start, end) of one row into staging,
 * trimmed to the pixel at both ends, and records it. last is the start of
 * the run's last cell. False when the box list is full or cannot grow. */
static bool flush_run(struct sdl_window *w, const uint8_t *src, uint8_t *dst, int x, int y, int bpp,
		      int start, int last, int end)
{
	int first, stop, unused;
	int head = end - start < SDL_WINDOW_CELL_PX ? end - start : SDL_WINDOW_CELL_PX;

	diff_span(src + start * bpp, dst + start * bpp, head, bpp, &first, &unused);
	diff_span(src + last * bpp, dst + last * bpp, end - last, bpp, &unused, &stop);
	int x0 = start + first, x1 = last + stop;
	memcpy(dst + x0 * bpp, src + x0 * bpp, (size_t)(x1 - x0) * bpp);
	if (w->changed.len >= SDL_WINDOW_MAX_REFINE_BOXES)
		return false;
	return boxes_push(&w->changed, x + x0, y, x + x1, y + 1);
}

/*
 * Copies one row of n pixels at guest (x, y) into staging where it differs,
 * comparing in cells of SDL_WINDOW_CELL_PX, and records the changed runs.
 * False when the box list is full or cannot grow (the row is then copied
 * whole by the caller).
 */
static bool refine_row(struct sdl_window *w, const uint8_t *src, uint8_t *dst, int x, int y, int n,
		       int bpp)
{
	int start = -1, last = 0, end = 0;

	for (int c = 0; c < n; c += SDL_WINDOW_CELL_PX) {
		int len = n - c < SDL_WINDOW_CELL_PX ? n - c : SDL_WINDOW_CELL_PX;
		if (memcmp(src + c * bpp, dst + c * bpp, (size_t)len * bpp)) {
			if (start < 0)
				start = c;
			last = c;
			end = c + len;
			continue;
		}
		if (start >= 0 && !flush_run(w, src, dst, x, y, bpp, start, last, end))
			return false;
		start = -1;
	}
	return start < 0 || flush_run(w, src, dst, x, y, bpp, start, last, end);
}

/* The guest pixels of box b as rows in the staging format: straight from the
 * guest view, or converted into w->scratch. NULL on ENOMEM. */
static const uint8_t *source_rows(struct sdl_window *w, const struct fb_surface *s,
				  const pixman_box32_t *b, int *stride)
{
	pixman_image_t *img = s->image;
	pixman_format_code_t staging_fmt = pixman_image_get_format(w->staging);
	int bw = b->x2 - b->x1, bh = b->y2 - b->y1;

	if (pixman_image_get_format(img) == staging_fmt) {
		*stride = pixman_image_get_stride(img);
		int bpp = PIXMAN_FORMAT_BPP(staging_fmt) / 8;
		return (const uint8_t *)pixman_image_get_data(img) + (size_t)b->y1 * *stride +
		       (size_t)b->x1 * bpp;
	}
	if (!w->scratch || pixman_image_get_format(w->scratch) != staging_fmt ||
	    pixman_image_get_width(w->scratch) < bw || pixman_image_get_height(w->scratch) < bh) {
		if (w->scratch)
			pixman_image_unref(w->scratch);
		w->scratch = pixman_image_create_bits(staging_fmt, bw, bh, NULL, 0);
		if (!w->scratch)
			return NULL;
	}
	pixman_image_composite32(PIXMAN_OP_SRC, img, NULL, w->scratch, b->x1, b->y1, 0, 0, 0, 0, bw,
				 bh);
	*stride = pixman_image_get_stride(w->scratch);
	return (const uint8_t *)pixman_image_get_data(w->scratch);
}

/*
 * Brings staging up to date inside damage (clipped to the mode) and unions
 * what changed into pending. Called with w->lock held.
 */
static void take_damage(struct sdl_window *w, const struct fb_surface *s,
			const pixman_region32_t *damage)
{
	pixman_region32_t clip, changed;
	pixman_region32_init_rect(&clip, 0, 0, s->mode.width, s->mode.height);
	pixman_region32_intersect(&clip, &clip, (pixman_region32_t *)damage);

	int bpp = PIXMAN_FORMAT_BPP(pixman_image_get_format(w->staging)) / 8;
	int dstride = pixman_image_get_stride(w->staging);
	uint8_t *dbase = (uint8_t *)pixman_image_get_data(w->staging);
	bool refining = true;
	bool had_pending = pixman_region32_not_empty(&w->pending);
	int n;
	const pixman_box32_t *boxes = pixman_region32_rectangles(&clip, &n);

	w->changed.len = 0;
	for (int i = 0; i < n; i++) {
		const pixman_box32_t *b = &boxes[i];
		int sstride;
		const uint8_t *src = source_rows(w, s, b, &sstride);
		if (!src) {
			sdl_window_log(w, "out of memory converting pixels");
			continue;
		}
		int bw = b->x2 - b->x1;
		int y = b->y1;
		uint8_t *dst = dbase + (size_t)y * dstride + (size_t)b->x1 * bpp;
		for (; y < b->y2; y++, src += sstride, dst += dstride) {
			if (!refining || !refine_row(w, src, dst, b->x1, y, bw, bpp)) {
				refining = false;
				break;
			}
		}
		if (y == b->y2)
			continue;
		/* Out of boxes (or memory): copy the rest of the box whole. */
		pixman_region32_union_rect(&w->pending, &w->pending, b->x1, y, bw, b->y2 - y);
		for (; y < b->y2; y++, src += sstride, dst += dstride)
			memcpy(dst, src, (size_t)bw * bpp);
	}
	pixman_region32_init_rects(&changed, w->changed.boxes, (int)w->changed.len);
	if (had_pending && pixman_region32_not_empty(&changed))
		atomic_fetch_add(&w->stats.coalesced, 1);
	pixman_region32_union(&w->pending, &w->pending, &changed);
	pixman_region32_fini(&changed);
	pixman_region32_fini(&clip);
}

/* Makes sure a wake is on its way. When SDL's queue is full, wake_pending
 * stays set (the window is owed a wake) and the SDL thread delivers it
 * later (sdl-thread.h), so the last picture is shown without new damage. */
static void wake_sdl_thread(struct sdl_window *w)
{
	if (atomic_exchange(&w->wake_pending, true))
		return;
	if (sdl_thread_wake(w->window_id) < 0)
		atomic_fetch_add(&w->stats.wake_retries, 1);
}

void sdl_window_wake(struct sdl_window *w)
{
	wake_sdl_thread(w);
}

/* Replaces staging for a new mode and takes the whole picture. w->lock held. */
static void new_staging(struct sdl_window *w, const struct fb_surface *s)
{
	pixman_format_code_t fmt;
	Uint32 sdl_format;

	if (w->staging)
		pixman_image_unref(w->staging);
	if (w->scratch)
		pixman_image_unref(w->scratch); /* sized for the old mode */
	w->staging = NULL;
	w->scratch = NULL;
	pixman_region32_clear(&w->pending);
	w->pending_switch = true;
	w->staging_mode = s->mode;
	w->staging_generation = s->generation;
	if (!texture_format(s->mode.format, &fmt, &sdl_format)) {
		sdl_window_log(w, "guest format %#x has no display format",
			       (unsigned)s->mode.format);
		return;
	}
	w->staging = pixman_image_create_bits(fmt, s->mode.width, s->mode.height, NULL, 0);
	if (!w->staging) {
		sdl_window_log(w, "out of memory for a %ux%u picture", s->mode.width,
			       s->mode.height);
		return;
	}
	w->staging_mode.stride = pixman_image_get_stride(w->staging);
	pixman_region32_t all;
	pixman_region32_init_rect(&all, 0, 0, s->mode.width, s->mode.height);
	take_damage(w, s, &all);
	pixman_region32_union(&w->pending, &w->pending, &all);
	pixman_region32_fini(&all);
}

static void listener_switch(struct fb_listener *l, const struct fb_surface *s)
{
	struct sdl_window *w = window_of_listener(l);

	pthread_mutex_lock(&w->lock);
	new_staging(w, s);
	pthread_mutex_unlock(&w->lock);
	atomic_fetch_add(&w->stats.switches, 1);
	wake_sdl_thread(w);
}

static void listener_update(struct fb_listener *l, const struct fb_surface *s,
			    const pixman_region32_t *damage)
{
	struct sdl_window *w = window_of_listener(l);

	pthread_mutex_lock(&w->lock);
	if (s->generation != w->staging_generation)
		new_staging(w, s); /* a switch we did not see: start over */
	else if (w->staging)
		take_damage(w, s, damage);
	bool wake = pixman_region32_not_empty(&w->pending) || w->pending_switch;
	pthread_mutex_unlock(&w->lock);
	atomic_fetch_add(&w->stats.updates, 1);
	if (wake)
		wake_sdl_thread(w);
}

static void listener_destroy(struct fb_listener *l)
{
	/* The window is freed by sdl_window_free after unregistering. */
}

const struct fb_listener_ops sdl_window_listener_ops = {
	.name = "sdl",
	.switch_surface = listener_switch,
	.update = listener_update,
	.cursor_define = sdl_window_cursor_define, /* sdl-window-cursor.c */
	.cursor_move = sdl_window_cursor_move,
	.destroy = listener_destroy,
};

void sdl_window_frame_fini(struct sdl_window *w)
{
	if (w->staging)
		pixman_image_unref(w->staging);
	if (w->scratch)
		pixman_image_unref(w->scratch);
	free(w->changed.boxes);
	pixman_region32_fini(&w->pending);
}

/* ---- SDL thread -------------------------------------------------------- */

void sdl_window_frame_set_title(struct sdl_window *w)
{
	char title[SDL_WINDOW_TITLE_BYTES];
	const struct fb_mode *m = &w->tex_mode;
	const char *fmt = m->width ? fb_format_name(m->format) : NULL;

	if (m->width)
		snprintf(title, sizeof(title), "%s - %ux%u %s%s", w->name, m->width, m->height,
			 fmt ? fmt : "?", w->grabbed ? " - Press Ctrl+Alt+G to release grab" : "");
	else
		snprintf(title, sizeof(title), "%s", w->name);
	SDL_SetWindowTitle(w->win, title);
}

/* Recreates the texture for staging_mode. w->lock held. */
static void switch_texture(struct sdl_window *w)
{
	pixman_format_code_t fmt;
	Uint32 sdl_format;
	const struct fb_mode *m = &w->staging_mode;

	if (w->tex)
		SDL_DestroyTexture(w->tex);
	w->tex = NULL;
	w->tex_mode = *m;
	if (!w->staging || !texture_format(m->format, &fmt, &sdl_format))
		return;
	w->tex = SDL_CreateTexture(w->ren, sdl_format, SDL_TEXTUREACCESS_STREAMING, (int)m->width,
				   (int)m->height);
	if (!w->tex)
		sdl_window_log(w, "cannot create a %ux%u texture: %s", m->width, m->height,
			       SDL_GetError());
	else
		SDL_SetTextureBlendMode(w->tex, SDL_BLENDMODE_NONE);
}

void sdl_window_frame_fit(struct sdl_window *w)
{
	int mw = (int)w->tex_mode.width, mh = (int)w->tex_mode.height;
	int lw = 0, lh = 0, ow = 0, oh = 0;

	SDL_RenderGetLogicalSize(w->ren, &lw, &lh);
	if ((lw != mw || lh != mh) && SDL_RenderSetLogicalSize(w->ren, mw, mh) != 0)
		sdl_window_log(w, "SDL_RenderSetLogicalSize: %s", SDL_GetError());
	/* SDL's integer scaling never shrinks (it crops at 1:1): only with room
	 * for the whole picture, else SDL scales it down keeping the aspect. */
	SDL_GetRendererOutputSize(w->ren, &ow, &oh);
	SDL_bool integer = w->cfg.integer_scale && mw > 0 && ow >= mw && oh >= mh;
	if (SDL_RenderGetIntegerScale(w->ren) != integer &&
	    SDL_RenderSetIntegerScale(w->ren, integer) != 0)
		sdl_window_log(w, "SDL_RenderSetIntegerScale: %s", SDL_GetError());
}

void sdl_window_frame_layout(struct sdl_window *w, struct sdl_window_layout *l)
{
	int x0 = 0, y0 = 0, x1 = 0, y1 = 0;

	if (w->tex_mode.width && w->tex_mode.height) {
		SDL_RenderLogicalToWindow(w->ren, 0, 0, &x0, &y0);
		SDL_RenderLogicalToWindow(w->ren, (float)w->tex_mode.width,
					  (float)w->tex_mode.height, &x1, &y1);
	}
	*l = (struct sdl_window_layout){ x0, y0, x1 - x0, y1 - y0 };
}

/* After a switch: the title, and the window's size follows the mode unless
 * the user sized the window (or it is fullscreen). */
static void follow_mode(struct sdl_window *w)
{
	const struct fb_mode *m = &w->tex_mode;
	int cw, ch;

	sdl_window_frame_set_title(w);
	if (w->user_resized || w->fullscreen || !m->width)
		return;
	SDL_GetWindowSize(w->win, &cw, &ch);
	if (cw == (int)m->width && ch == (int)m->height)
		return;
	w->expect_w = (int)m->width;
	w->expect_h = (int)m->height;
	SDL_SetWindowSize(w->win, w->expect_w, w->expect_h);
}

/* The seam every upload goes through: counts calls and bytes. */
static void upload_rect(struct sdl_window *w, const pixman_box32_t *b)
{
	int bpp = PIXMAN_FORMAT_BPP(pixman_image_get_format(w->staging)) / 8;
	int stride = pixman_image_get_stride(w->staging);
	const uint8_t *pixels = (const uint8_t *)pixman_image_get_data(w->staging) +
				(size_t)b->y1 * stride + (size_t)b->x1 * bpp;
	SDL_Rect r = { b->x1, b->y1, b->x2 - b->x1, b->y2 - b->y1 };
	size_t bytes = (size_t)r.w * r.h * bpp;

	if (SDL_UpdateTexture(w->tex, &r, pixels, stride) != 0)
		sdl_window_log(w, "SDL_UpdateTexture: %s", SDL_GetError());
	atomic_fetch_add(&w->stats.uploads, 1);
	atomic_fetch_add(&w->stats.upload_bytes, bytes);
	sdl_window_upload_hook_fn *hook = atomic_load(&upload_hook);
	if (hook)
		hook(w, r.x, r.y, r.w, r.h, bytes);
}

/* Takes the hand-over: texture switch and uploads of the pending region.
 * The lock is held only for what reads staging. */
static void take_handover(struct sdl_window *w)
{
	bool switched = false;

	pthread_mutex_lock(&w->lock);
	if (w->pending_switch) {
		switch_texture(w);
		w->pending_switch = false;
		switched = true;
	}
	if (w->tex && w->staging) {
		int n;
		const pixman_box32_t *boxes = pixman_region32_rectangles(&w->pending, &n);
		for (int i = 0; i < n; i++)
			upload_rect(w, &boxes[i]);
	}
	pixman_region32_clear(&w->pending);
	pthread_mutex_unlock(&w->lock);
	if (switched) {
		sdl_window_frame_fit(w); /* the new mode is SDL's logical size */
		follow_mode(w);
	}
}

void sdl_window_frame_draw(struct sdl_window *w)
{
	take_handover(w);
	/* Again after resizes: whether integer scaling fits may have changed. */
	sdl_window_frame_fit(w);
	SDL_SetRenderDrawColor(w->ren, 0, 0, 0, 255);
	SDL_RenderClear(w->ren); /* the whole output, bars included */
	if (w->tex)
		SDL_RenderCopy(w->ren, w->tex, NULL, NULL); /* the logical area */
}

void sdl_window_frame_present(struct sdl_window *w)
{
	if (w->hidden)
		return; /* closed with close_quits off: keep the hand-over */
	sdl_window_cursor_take(w);
	sdl_window_frame_draw(w);
	SDL_RenderPresent(w->ren);
	atomic_fetch_add(&w->stats.presents, 1);
}
