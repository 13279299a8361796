/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sdl/sdl-window.c - the window's lifecycle and its queries: creation and
 * destruction on the SDL thread, flush, screenshot, layout and statistics.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sdl/sdl-window-internal.h"
#include "sdl/sdl-window-test.h"

/* Bound on creating or destroying a window on the SDL thread. */
#define SDL_WINDOW_CREATE_TIMEOUT_MS 30000u

static _Thread_local char last_error[SDL_THREAD_ERR_BYTES];

const char *sdl_window_strerror(void)
{
	return last_error;
}

/* Longest log line of a window, NUL included. */
#define SDL_WINDOW_LOG_LINE_MAX_BYTES 512u

void sdl_window_log(struct sdl_window *w, const char *fmt, ...)
{
	char line[SDL_WINDOW_LOG_LINE_MAX_BYTES];
	int n = snprintf(line, sizeof(line), "%s: ", w->name);
	va_list ap;

	if (n < 0 || (size_t)n >= sizeof(line))
		n = 0;

	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	va_end(ap);
	if (w->cfg.log)
		w->cfg.log(w->cfg.log_opaque, line);
	else
		fprintf(stderr, "sdl: %s\n", line);
}

void sdl_window_config_init(struct sdl_window_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->close_quits = true;
}

/* Arguments and result of create_on_sdl_thread. */
struct create_call {
	struct sdl_window *w;
	int rc;
	char err[SDL_THREAD_ERR_BYTES];
};

static void destroy_sdl_objects(struct sdl_window *w)
{
	if (w->tex)
		SDL_DestroyTexture(w->tex);
	if (w->ren)
		SDL_DestroyRenderer(w->ren);
	if (w->win)
		SDL_DestroyWindow(w->win);
	w->tex = NULL;
	w->ren = NULL;
	w->win = NULL;
}

static void create_on_sdl_thread(void *arg)
{
	struct create_call *cc = arg;
	struct sdl_window *w = cc->w;
	struct fb_mode m = fb_get_mode(w->fb);
	int width = w->cfg.width ? (int)w->cfg.width : (int)m.width;
	int height = w->cfg.height ? (int)w->cfg.height : (int)m.height;
	Uint32 flags = SDL_WINDOW_RESIZABLE | SDL_WINDOW_ALLOW_HIGHDPI;

	if (w->cfg.fullscreen)
		flags |= SDL_WINDOW_FULLSCREEN_DESKTOP;
	w->win = SDL_CreateWindow(w->name, SDL_WINDOWPOS_CENTERED, SDL_WINDOWPOS_CENTERED, width,
				  height, flags);
	if (!w->win) {
		snprintf(cc->err, sizeof(cc->err), "cannot create the SDL window: %s",
			 SDL_GetError());
		goto fail;
	}
	w->ren = SDL_CreateRenderer(w->win, -1, 0);
	if (!w->ren) {
		snprintf(cc->err, sizeof(cc->err), "cannot create an SDL renderer: %s",
			 SDL_GetError());
		goto fail;
	}
	/* Keys come as key events only (see sdl-window.h): no IME, no
	 * SDL_TEXTINPUT. */
	SDL_StopTextInput();
	w->window_id = SDL_GetWindowID(w->win);
	w->expect_w = w->windowed_w = width;
	w->expect_h = w->windowed_h = height;
	w->user_resized = w->cfg.width || w->cfg.height;
	w->fullscreen = w->cfg.fullscreen;
	sdl_thread_attach(w->win, &w->client);
	sdl_window_frame_set_title(w);
	sdl_window_frame_present(w); /* black until the first picture */
	cc->rc = 0;
	return;

fail:
	destroy_sdl_objects(w);
	cc->rc = -EIO;
}

static void destroy_on_sdl_thread(void *arg)
{
	struct sdl_window *w = arg;

	if (w->grabbed && w->win)
		SDL_SetWindowGrab(w->win, SDL_FALSE);
	if (w->win)
		sdl_thread_detach(w->win, &w->client);
	sdl_window_cursor_destroy(w);
	destroy_sdl_objects(w);
}

struct sdl_window *sdl_window_new(struct fb_device *fb, const struct sdl_window_config *cfg)
{
	struct sdl_window *w;
	int rc;

	last_error[0] = '\0';
	if (!fb) {
		snprintf(last_error, sizeof(last_error), "no framebuffer given");
		errno = EINVAL;
		return NULL;
	}
	w = calloc(1, sizeof(*w));
	if (!w)
		goto fail_alloc;
	if (cfg)
		w->cfg = *cfg;
	else
		sdl_window_config_init(&w->cfg);
	w->fb = fb;
	w->name = strdup(fb_name(fb) ? fb_name(fb) : "fbhost");
	if (!w->name)
		goto fail_name;
	w->cursor_visible = true; /* fb/'s default, before any cursor_move */
	w->listener.ops = &sdl_window_listener_ops;
	w->client.event = sdl_window_handle_event;
	pthread_mutex_init(&w->lock, NULL);
	pixman_region32_init(&w->pending);

	rc = sdl_thread_acquire(last_error, sizeof(last_error));
	if (rc < 0)
		goto fail_thread;

	struct create_call cc = { .w = w, .rc = -EAGAIN, .err = "" };
	rc = sdl_thread_call(create_on_sdl_thread, &cc, SDL_WINDOW_CREATE_TIMEOUT_MS);
	if (rc == 0)
		rc = cc.rc;
	if (rc < 0) {
		snprintf(last_error, sizeof(last_error), "%s",
			 cc.err[0] ? cc.err : "the SDL thread did not answer");
		goto fail_window;
	}
	fb_listener_register(fb, &w->listener);
	return w;

fail_window:
	sdl_thread_release();
fail_thread:
	pixman_region32_fini(&w->pending);
	pthread_mutex_destroy(&w->lock);
	free(w->name);
	free(w);
	errno = -rc;
	return NULL;
fail_name:
	free(w);
fail_alloc:
	snprintf(last_error, sizeof(last_error), "out of memory");
	errno = ENOMEM;
	return NULL;
}

void sdl_window_free(struct sdl_window *w)
{
	if (!w)
		return;
	/* No listener callback runs after this, so no new hand-over or wake. */
	fb_listener_unregister(w->fb, &w->listener);
	while (sdl_thread_call(destroy_on_sdl_thread, w, SDL_WINDOW_CREATE_TIMEOUT_MS) ==
	       -ETIMEDOUT)
		;
	sdl_thread_release();
	sdl_window_frame_fini(w);
	fb_cursor_unref(w->cursor_next);
	pthread_mutex_destroy(&w->lock);
	free(w->name);
	free(w);
}

bool sdl_window_closed(const struct sdl_window *w)
{
	return atomic_load(&w->closed);
}

uint32_t sdl_window_id(const struct sdl_window *w)
{
	return w->window_id;
}

static void flush_on_sdl_thread(void *arg)
{
	struct sdl_window *w = arg;

	/* A wake still queued finds nothing new; clear it to allow the next. */
	atomic_store(&w->wake_pending, false);
	sdl_window_frame_present(w);
}

int sdl_window_flush(struct sdl_window *w, unsigned timeout_ms)
{
	return sdl_thread_call(flush_on_sdl_thread, w, timeout_ms);
}

/* Arguments and result of screenshot_on_sdl_thread. */
struct screenshot_call {
	struct sdl_window *w;
	uint32_t *pixels;
	int width, height;
	int rc;
};

static void screenshot_on_sdl_thread(void *arg)
{
	struct screenshot_call *sc = arg;
	struct sdl_window *w = sc->w;

	atomic_store(&w->wake_pending, false);
	sdl_window_frame_draw(w);
	if (SDL_GetRendererOutputSize(w->ren, &sc->width, &sc->height) != 0 || sc->width <= 0 ||
	    sc->height <= 0) {
		sc->rc = -EIO;
		goto present;
	}
	sc->pixels = malloc((size_t)sc->width * sc->height * 4);
	if (!sc->pixels) {
		sc->rc = -ENOMEM;
		goto present;
	}
	/* SDL_RenderReadPixels reads the viewport, which the logical size
	 * shrinks to the picture: clear it to read the bars too. */
	SDL_RenderSetLogicalSize(w->ren, 0, 0);
	int rc = SDL_RenderReadPixels(w->ren, NULL, SDL_PIXELFORMAT_RGB888, sc->pixels,
				      sc->width * 4);
	if (rc != 0)
		sdl_window_log(w, "SDL_RenderReadPixels: %s", SDL_GetError());
	sdl_window_frame_fit(w); /* the logical size back */
	if (rc != 0) {
		free(sc->pixels);
		sc->pixels = NULL;
		sc->rc = -EIO;
		goto present;
	}
	sc->rc = 0;
present:
	SDL_RenderPresent(w->ren);
	atomic_fetch_add(&w->stats.presents, 1);
}

int sdl_window_screenshot(struct sdl_window *w, uint32_t **pixels, uint32_t *width,
			  uint32_t *height, unsigned timeout_ms)
{
	struct screenshot_call sc = { .w = w, .rc = -EIO };
	int rc = sdl_thread_call(screenshot_on_sdl_thread, &sc, timeout_ms);

	if (rc < 0)
		return rc;
	if (sc.rc < 0)
		return sc.rc;
	*pixels = sc.pixels;
	*width = (uint32_t)sc.width;
	*height = (uint32_t)sc.height;
	return 0;
}

/* Arguments and result of layout_on_sdl_thread. */
struct layout_call {
	struct sdl_window *w;
	struct sdl_window_layout layout;
	int x, y;
};

static void layout_on_sdl_thread(void *arg)
{
	struct layout_call *lc = arg;

	sdl_window_frame_layout(lc->w, &lc->layout);
	SDL_GetWindowPosition(lc->w->win, &lc->x, &lc->y);
}

int sdl_window_get_layout(struct sdl_window *w, struct sdl_window_layout *out, unsigned timeout_ms)
{
	struct layout_call lc = { .w = w };
	int rc = sdl_thread_call(layout_on_sdl_thread, &lc, timeout_ms);

	if (rc == 0)
		*out = lc.layout;
	return rc;
}

int sdl_window_get_position(struct sdl_window *w, int *x, int *y, unsigned timeout_ms)
{
	struct layout_call lc = { .w = w };
	int rc = sdl_thread_call(layout_on_sdl_thread, &lc, timeout_ms);

	if (rc == 0) {
		*x = lc.x;
		*y = lc.y;
	}
	return rc;
}

void sdl_window_get_stats(const struct sdl_window *w, struct sdl_window_stats *st)
{
	struct sdl_window_counters *c = (struct sdl_window_counters *)&w->stats;

	st->updates = atomic_load(&c->updates);
	st->switches = atomic_load(&c->switches);
	st->uploads = atomic_load(&c->uploads);
	st->upload_bytes = atomic_load(&c->upload_bytes);
	st->presents = atomic_load(&c->presents);
	st->coalesced = atomic_load(&c->coalesced);
	st->keys = atomic_load(&c->keys);
	st->pointer_events = atomic_load(&c->pointer_events);
	st->mode_requests = atomic_load(&c->mode_requests);
	st->wake_retries = atomic_load(&c->wake_retries);
	st->cursors = atomic_load(&c->cursors);
	st->cursor_errors = atomic_load(&c->cursor_errors);
}

bool sdl_window_test_idle(struct sdl_window *w)
{
	pthread_mutex_lock(&w->lock);
	bool idle = !pixman_region32_not_empty(&w->pending) && !w->pending_switch;
	pthread_mutex_unlock(&w->lock);
	return idle && !atomic_load(&w->wake_pending);
}
