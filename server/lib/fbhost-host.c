/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * server/lib/fbhost-host.c - libfbhost: the host (guest RAM + render thread), its
 * log, and adding, finding and removing framebuffers.
 */
#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fb/clock.h"
#include "server/lib/fbhost-internal.h"

#define FBHOST_DEFAULT_RATE_HZ FB_DEFAULT_RATE_HZ
_Static_assert(FBHOST_MAX_RATE_HZ == FB_MAX_RATE_HZ, "fbhost.h restates fb.h's rate limit");

/* This thread's last error message (fbhost_last_error). */
static __thread char fbhost_error[FBHOST_ERROR_MAX_BYTES];

static void fbhost_log_stderr(void *opaque, enum fbhost_log_level level, const char *line)
{
	static const char *const prefix[] = { "error: ", "warning: ", "", "debug: " };

	fprintf(stderr, "fbhost: %s%s\n", prefix[level <= FBHOST_LOG_DEBUG ? level : 0], line);
}

void fbhost_log(struct fbhost *h, enum fbhost_log_level level, const char *fmt, ...)
{
	char line[FBHOST_ERROR_MAX_BYTES];
	va_list ap;

	if ((int)level > atomic_load_explicit(&h->log_level, memory_order_relaxed))
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	h->log_fn(h->log_opaque, level, line);
}

uint64_t fbhost_now_ns(void)
{
	return fb_clock_now_ns();
}

const char *fbhost_last_error(void)
{
	return fbhost_error;
}

int fbhost_fail(struct fbhost *h, const char *fb_name, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(fbhost_error, sizeof(fbhost_error), fmt, ap);
	va_end(ap);
	if (fb_name)
		fbhost_log(h, FBHOST_LOG_ERROR, "%s: %s", fb_name, fbhost_error);
	else
		fbhost_log(h, FBHOST_LOG_ERROR, "%s", fbhost_error);
	return err;
}

void fbhost_set_log_level(struct fbhost *h, enum fbhost_log_level level)
{
	if ((unsigned)level > FBHOST_LOG_DEBUG)
		level = FBHOST_LOG_DEBUG;
	atomic_store(&h->log_level, (int)level);
}

double fbhost_uptime_s(struct fbhost *h)
{
	return fb_clock_elapsed_s(&h->started);
}

struct fbhost *fbhost_new(const struct fbhost_config *cfg)
{
	static const struct fbhost_config defaults;
	struct fb_render_config rcfg = { 0 };
	struct fbhost *h;

	if (!cfg)
		cfg = &defaults;
	if (cfg->rate_hz > FBHOST_MAX_RATE_HZ || (unsigned)cfg->log_level > FBHOST_LOG_DEBUG) {
		errno = EINVAL;
		return NULL;
	}
	h = calloc(1, sizeof(*h));
	if (!h)
		return NULL;
	h->rate_hz = cfg->rate_hz ? cfg->rate_hz : FBHOST_DEFAULT_RATE_HZ;
	h->log_fn = cfg->log ? cfg->log : fbhost_log_stderr;
	h->log_opaque = cfg->log_opaque;
	atomic_init(&h->log_level, (int)cfg->log_level);
	h->started = fb_clock_now();
	pthread_mutex_init(&h->lock, NULL);
	pthread_cond_init(&h->fb_users_done, NULL);

	/* Only the display reads dirty bits: writes mark no MIGRATION bit
	 * until something starts tracking it (ram_dirty_tracking_start). */
	h->ram = ram_list_new(&(struct ram_list_config){
		.page_bits = FB_RAM_PAGE_BITS,
		.tracked_clients = 1u << DIRTY_MEMORY_VGA,
	});
	if (!h->ram)
		goto fail_ram;
	rcfg.rate_hz = h->rate_hz;
	h->render = fb_render_new(&rcfg);
	if (!h->render)
		goto fail_render;
	return h;

fail_render:
	ram_list_free(h->ram);
fail_ram:
	pthread_cond_destroy(&h->fb_users_done);
	pthread_mutex_destroy(&h->lock);
	free(h);
	return NULL;
}

void fbhost_free(struct fbhost *h)
{
	unsigned i;

	if (!h)
		return;
	fbhost_attach_stop(h);
	for (i = 0; i < h->nfbs; i++)
		if (h->fbs[i])
			fbhost_fb_remove(h->fbs[i]);
	fb_render_free(h->render);
	ram_list_free(h->ram);
	pthread_cond_destroy(&h->fb_users_done);
	pthread_mutex_destroy(&h->lock);
	free(h);
}

void fbhost_set_quit_callback(struct fbhost *h, void (*quit)(void *opaque), void *opaque)
{
	pthread_mutex_lock(&h->lock);
	h->quit_fn = quit;
	h->quit_opaque = opaque;
	pthread_mutex_unlock(&h->lock);
}

/* The rule lives in fbhost-name.c, shared with the --fb option parser. */
static bool fbhost_name_valid(const char *name)
{
	return name && fbhost_name_check(name, strlen(name)) == FBHOST_NAME_OK;
}

static struct fbhost_fb *fbhost_fb_by_name_locked(struct fbhost *h, const char *name)
{
	unsigned i;

	for (i = 0; i < h->nfbs; i++)
		if (h->fbs[i] && strcmp(h->fbs[i]->name, name) == 0)
			return h->fbs[i];
	return NULL;
}

/* 0 if a framebuffer called name may join h now; -EEXIST or -ENOSPC.
 * Called with h->lock held. */
static int fbhost_fb_can_publish_locked(struct fbhost *h, const char *name)
{
	if (fbhost_fb_by_name_locked(h, name))
		return -EEXIST;
	if (h->nfbs >= FBHOST_MAX_FRAMEBUFFERS)
		return -ENOSPC;
	return 0;
}

struct fbhost_fb *fbhost_fb_add(struct fbhost *h, const char *name, uint32_t width, uint32_t height,
				enum fbhost_format format)
{
	struct fb_config cfg = { 0 };
	struct fbhost_fb *fb;
	int err;

	if (!fbhost_name_valid(name) || !fbhost_format_to_pixman(format)) {
		fbhost_log(h, FBHOST_LOG_ERROR, "framebuffer \"%s\": %s", name ? name : "",
			   !fbhost_name_valid(name)
				   ? "invalid name (1-32 of A-Z a-z 0-9 _ . -, not all digits)"
				   : "invalid format");
		errno = EINVAL;
		return NULL;
	}
	fb = calloc(1, sizeof(*fb));
	if (!fb)
		return NULL;
	fb->host = h;
	snprintf(fb->name, sizeof(fb->name), "%s", name);
	pthread_mutex_init(&fb->lock, NULL);
	pthread_mutex_init(&fb->input_lock, NULL);

	cfg.name = fb->name;
	cfg.mode.width = width;
	cfg.mode.height = height;
	cfg.mode.format = fbhost_format_to_pixman(format);
	err = fb_mode_check(&cfg.mode, 0);
	if (err) {
		fbhost_log(h, FBHOST_LOG_ERROR, "framebuffer \"%s\": mode %ux%u %s is %s", name,
			   width, height, fbhost_format_name(format),
			   err == -E2BIG ? "too large" : "invalid");
		errno = -err;
		goto fail_mode;
	}
	fb->dev = fb_new(h->ram, &cfg);
	if (!fb->dev)
		goto fail_dev;

	/* Early answer for a taken name or a full host, before any work. */
	pthread_mutex_lock(&h->lock);
	err = fbhost_fb_can_publish_locked(h, name);
	pthread_mutex_unlock(&h->lock);
	if (err)
		goto fail_publish_check;

	/* On the render thread first, published last: once in h->fbs, other
	 * threads (the control thread) may hold the pointer, so nothing after
	 * that may fail and free it. */
	err = fb_render_add(h->render, fb->dev);
	if (err) {
		errno = -err;
		goto fail_render;
	}
	pthread_mutex_lock(&h->lock);
	err = fbhost_fb_can_publish_locked(h, name); /* another add may have won */
	if (!err) {
		fb->id = h->nfbs;
		h->fbs[h->nfbs++] = fb;
	}
	pthread_mutex_unlock(&h->lock);
	if (err) {
		fb_render_remove(h->render, fb->dev);
		goto fail_publish;
	}
	return fb;

fail_publish:
fail_publish_check:
	if (err == -EEXIST)
		fbhost_log(h, FBHOST_LOG_ERROR, "framebuffer \"%s\" already exists", name);
	else
		fbhost_log(h, FBHOST_LOG_ERROR,
			   "framebuffer \"%s\": at most %u framebuffers per host", name,
			   FBHOST_MAX_FRAMEBUFFERS);
	errno = -err;
fail_render:
	err = errno;
	fb_free(fb->dev);
	errno = err;
fail_dev:
fail_mode:
	err = errno;
	pthread_mutex_destroy(&fb->input_lock);
	pthread_mutex_destroy(&fb->lock);
	free(fb);
	errno = err;
	return NULL;
}

void fbhost_fb_remove(struct fbhost_fb *fb)
{
	struct fbhost *h;

	if (!fb)
		return;
	h = fb->host;
	/* Unpublished first, then no thread of ours holds it: another
	 * framebuffer's web server may be reading its thumbnail. */
	pthread_mutex_lock(&h->lock);
	h->fbs[fb->id] = NULL;
	while (h->fb_users)
		pthread_cond_wait(&h->fb_users_done, &h->lock);
	pthread_mutex_unlock(&h->lock);
	fbhost_fb_stop_frontends(fb);
	fb_render_remove(h->render, fb->dev);
	fb_free(fb->dev);
	pthread_mutex_destroy(&fb->input_lock);
	pthread_mutex_destroy(&fb->lock);
	free(fb);
}

struct fbhost_fb *fbhost_fb_by_id(struct fbhost *h, unsigned id)
{
	struct fbhost_fb *fb = NULL;

	pthread_mutex_lock(&h->lock);
	if (id < h->nfbs)
		fb = h->fbs[id];
	pthread_mutex_unlock(&h->lock);
	return fb;
}

struct fbhost_fb *fbhost_fb_use(struct fbhost *h, unsigned id)
{
	struct fbhost_fb *fb = NULL;

	pthread_mutex_lock(&h->lock);
	if (id < h->nfbs)
		fb = h->fbs[id];
	if (fb)
		h->fb_users++;
	pthread_mutex_unlock(&h->lock);
	return fb;
}

void fbhost_fb_unuse(struct fbhost *h)
{
	pthread_mutex_lock(&h->lock);
	assert(h->fb_users > 0);
	if (--h->fb_users == 0)
		pthread_cond_broadcast(&h->fb_users_done);
	pthread_mutex_unlock(&h->lock);
}

struct fbhost_fb *fbhost_fb_by_name(struct fbhost *h, const char *name)
{
	struct fbhost_fb *fb;

	pthread_mutex_lock(&h->lock);
	fb = fbhost_fb_by_name_locked(h, name);
	pthread_mutex_unlock(&h->lock);
	return fb;
}

unsigned fbhost_fb_count(struct fbhost *h)
{
	unsigned n;

	pthread_mutex_lock(&h->lock);
	n = h->nfbs;
	pthread_mutex_unlock(&h->lock);
	return n;
}

unsigned fbhost_fb_id(const struct fbhost_fb *fb)
{
	return fb->id;
}

const char *fbhost_fb_name(const struct fbhost_fb *fb)
{
	return fb->name;
}

struct fbhost *fbhost_fb_host(const struct fbhost_fb *fb)
{
	return fb->host;
}

uint64_t fbhost_fb_mode_generation(struct fbhost_fb *fb)
{
	return fb_mode_generation(fb->dev);
}
