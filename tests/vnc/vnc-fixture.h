/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tests/vnc/vnc-fixture.h - a guest framebuffer on a render thread with a
 * VNC server on free ports, a recording input handler, bounded waits and
 * the reference picture (guest pixels converted to x8r8g8b8).
 */
#ifndef FBHOST_TESTS_VNC_FIXTURE_H
#define FBHOST_TESTS_VNC_FIXTURE_H

#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "fb/fb.h"
#include "memory/ram.h"
#include "tests/common/vnc-test-client.h"
#include "vnc/vnc.h"

/* Generous bound of any wait: 2 shared cores, sanitizers. */
#define VT_WAIT_MS 20000u
#define VT_MAX_EVENTS 256

/* What the guest's input handler received. */
struct vt_input {
	pthread_mutex_t lock; /* protects all fields */
	pthread_cond_t cond;
	int px, py;
	uint32_t buttons;
	unsigned pointer_events, key_events;
	unsigned presses; /* left-button presses (0 -> 1 transitions) */
	uint32_t last_keysym;
	bool last_key_down;
	char clip[256];
	unsigned clip_events;
	unsigned mode_requests;
	int mode_answer; /* what mode_request returns */
	bool apply_mode; /* on success, call fb_set_mode */
	struct fb_device *fb;
};

struct vt {
	struct ram_list *rl;
	struct fb_device *fb;
	struct fb_render *render;
	struct vnc_server *vnc;
	struct vt_input in;
	char err[256];
};

static inline uint64_t vt_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static inline void vt_in_key(void *o, uint32_t keysym, bool down)
{
	struct vt_input *in = o;

	pthread_mutex_lock(&in->lock);
	in->key_events++;
	in->last_keysym = keysym;
	in->last_key_down = down;
	pthread_cond_broadcast(&in->cond);
	pthread_mutex_unlock(&in->lock);
}

static inline void vt_in_pointer(void *o, int x, int y, uint32_t buttons)
{
	struct vt_input *in = o;

	pthread_mutex_lock(&in->lock);
	in->pointer_events++;
	if ((buttons & 1) && !(in->buttons & 1))
		in->presses++;
	in->px = x;
	in->py = y;
	in->buttons = buttons;
	pthread_cond_broadcast(&in->cond);
	pthread_mutex_unlock(&in->lock);
}

static inline int vt_in_mode(void *o, uint32_t w, uint32_t h)
{
	struct vt_input *in = o;
	int answer;
	bool apply;

	pthread_mutex_lock(&in->lock);
	answer = in->mode_answer;
	apply = in->apply_mode;
	pthread_mutex_unlock(&in->lock);
	if (answer == 0 && apply) {
		struct fb_mode m = fb_get_mode(in->fb);

		m.width = w;
		m.height = h;
		m.stride = 0;
		answer = fb_set_mode(in->fb, &m);
	}
	/* Counted once the mode is in place, so waiters see it. */
	pthread_mutex_lock(&in->lock);
	in->mode_requests++;
	pthread_cond_broadcast(&in->cond);
	pthread_mutex_unlock(&in->lock);
	return answer;
}

static inline void vt_in_clip(void *o, const char *utf8, size_t len)
{
	struct vt_input *in = o;

	pthread_mutex_lock(&in->lock);
	if (len >= sizeof(in->clip))
		len = sizeof(in->clip) - 1;
	memcpy(in->clip, utf8, len);
	in->clip[len] = '\0';
	in->clip_events++;
	pthread_cond_broadcast(&in->cond);
	pthread_mutex_unlock(&in->lock);
}

static const struct fb_input_ops vt_input_ops = {
	.key = vt_in_key,
	.pointer = vt_in_pointer,
	.mode_request = vt_in_mode,
	.clipboard = vt_in_clip,
};

/* Config for tests: loopback, any free port, no web viewer. */
static inline struct vnc_config vt_config(void)
{
	struct vnc_config c;

	vnc_config_init(&c);
	c.port = VNC_PORT_ANY;
	c.web_port = VNC_WEB_PORT_NONE;
	return c;
}

/* Creates the guest fb and render thread; the server when cfg != NULL. */
static inline void vt_setup(struct vt *t, uint32_t w, uint32_t h, pixman_format_code_t format,
			    const struct vnc_config *cfg)
{
	struct fb_config fc = { .name = "test", .mode = { w, h, 0, format } };

	memset(t, 0, sizeof(*t));
	pthread_mutex_init(&t->in.lock, NULL);
	pthread_cond_init(&t->in.cond, NULL);
	t->rl = ram_list_new(NULL);
	assert_non_null(t->rl);
	t->fb = fb_new(t->rl, &fc);
	assert_non_null(t->fb);
	t->in.fb = t->fb;
	t->in.apply_mode = true;
	fb_set_input_handler(t->fb, &vt_input_ops, &t->in);
	t->render = fb_render_new(NULL);
	assert_non_null(t->render);
	assert_int_equal(fb_render_add(t->render, t->fb), 0);
	if (cfg) {
		t->vnc = vnc_server_new(t->fb, cfg, t->err, sizeof(t->err));
		if (!t->vnc)
			fail_msg("vnc_server_new: %s", t->err);
	}
}

static inline void vt_teardown(struct vt *t)
{
	vnc_server_free(t->vnc);
	fb_render_remove(t->render, t->fb);
	fb_render_free(t->render);
	fb_free(t->fb);
	ram_list_free(t->rl);
	pthread_cond_destroy(&t->in.cond);
	pthread_mutex_destroy(&t->in.lock);
}

/* Options for a test client of t's server. */
static inline struct vtc_options vt_client_opts(struct vt *t, const char *encodings)
{
	struct vtc_options o = { 0 };

	o.port = vnc_server_port(t->vnc);
	o.encodings = encodings;
	o.compress_level = 6;
	o.quality_level = -1;
	return o;
}

static inline struct vtc *vt_connect(struct vt *t, const char *encodings)
{
	struct vtc_options o = vt_client_opts(t, encodings);
	char err[256];
	struct vtc *c = vtc_connect(&o, err, sizeof(err));

	if (!c)
		fail_msg("vtc_connect(%s): %s", encodings ? encodings : "default", err);
	return c;
}

/* The guest picture converted to x8r8g8b8 (malloc'ed, stride = width). */
static inline uint32_t *vt_guest_x8(struct vt *t, uint32_t *w, uint32_t *h)
{
	struct fb_access acc;
	pixman_image_t *src, *dst;
	uint32_t *out;

	fb_access_begin(t->fb, &acc);
	*w = acc.mode.width;
	*h = acc.mode.height;
	out = calloc((size_t)*w * *h + 1, 4);
	assert_non_null(out);
	src = pixman_image_create_bits_no_clear(acc.mode.format, (int)*w, (int)*h, acc.pixels,
						(int)acc.mode.stride);
	dst = pixman_image_create_bits_no_clear(PIXMAN_x8r8g8b8, (int)*w, (int)*h, out,
						(int)*w * 4);
	assert_non_null(src);
	assert_non_null(dst);
	pixman_image_composite32(PIXMAN_OP_SRC, src, NULL, dst, 0, 0, 0, 0, 0, 0, (int)*w, (int)*h);
	pixman_image_unref(src);
	pixman_image_unref(dst);
	fb_access_end(t->fb, &acc);
	return out;
}

/* Waits until client c shows exactly the guest picture. */
static inline void vt_expect_guest(struct vt *t, struct vtc *c, const char *what)
{
	uint32_t w, h;
	uint32_t *want = vt_guest_x8(t, &w, &h);
	int rc;

	fb_render_kick(t->render);
	rc = vtc_wait_picture(c, want, w, h, w, VT_WAIT_MS);
	free(want);
	if (rc != 0)
		fail_msg("%s: client picture differs from the guest (%s), rc %d", what,
			 vtc_last_mismatch(c), rc);
}

/* xorshift64*: deterministic test randomness. */
static inline uint64_t vt_rand(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545F4914F6CDD1Dull;
}

/* Fills the guest with a deterministic pattern of random rectangles. */
static inline void vt_draw_random(struct vt *t, uint64_t seed, unsigned rects)
{
	struct fb_mode m = fb_get_mode(t->fb);

	for (unsigned i = 0; i < rects; i++) {
		int x = (int)(vt_rand(&seed) % m.width), y = (int)(vt_rand(&seed) % m.height);
		int w = 1 + (int)(vt_rand(&seed) % (m.width / 3 + 1));
		int h = 1 + (int)(vt_rand(&seed) % (m.height / 3 + 1));
		uint32_t px = (uint32_t)vt_rand(&seed);

		assert_int_equal(fb_fill_rect(t->fb, x, y, w, h, px), 0);
	}
}

/* The CLOCK_REALTIME time timeout_ms from now, for pthread_cond_timedwait. */
static inline struct timespec vt_deadline(unsigned timeout_ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += timeout_ms / 1000;
	ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	return ts;
}

/* Waits (bounded) until fn(in) holds, under the input lock. */
static inline bool vt_wait_input(struct vt *t, bool (*fn)(struct vt_input *, const void *),
				 const void *arg, unsigned timeout_ms)
{
	struct timespec ts = vt_deadline(timeout_ms);
	bool ok;

	pthread_mutex_lock(&t->in.lock);
	while (!(ok = fn(&t->in, arg)))
		if (pthread_cond_timedwait(&t->in.cond, &t->in.lock, &ts) == ETIMEDOUT) {
			ok = fn(&t->in, arg);
			break;
		}
	pthread_mutex_unlock(&t->in.lock);
	return ok;
}

/* The server's log lines, for assertions: set cfg.log = vt_log_line. */
static struct {
	pthread_mutex_t lock; /* protects text and len */
	pthread_cond_t changed;
	char text[1 << 20];
	size_t len;
} vt_logbuf
	__attribute__((unused)) = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, "", 0 };

static inline void vt_log_line(void *opaque, const char *line)
{
	size_t n = strlen(line);

	(void)opaque;
	fprintf(stderr, "log: %s\n", line);
	pthread_mutex_lock(&vt_logbuf.lock);
	if (vt_logbuf.len + n + 2 < sizeof(vt_logbuf.text)) {
		memcpy(vt_logbuf.text + vt_logbuf.len, line, n);
		vt_logbuf.len += n;
		vt_logbuf.text[vt_logbuf.len++] = '\n';
		vt_logbuf.text[vt_logbuf.len] = '\0';
	}
	pthread_cond_broadcast(&vt_logbuf.changed);
	pthread_mutex_unlock(&vt_logbuf.lock);
}

static inline void vt_log_clear(void)
{
	pthread_mutex_lock(&vt_logbuf.lock);
	vt_logbuf.len = 0;
	vt_logbuf.text[0] = '\0';
	pthread_mutex_unlock(&vt_logbuf.lock);
}

/* Waits (bounded) until the log holds needle. */
static inline bool vt_wait_log(const char *needle, unsigned timeout_ms)
{
	struct timespec ts = vt_deadline(timeout_ms);
	bool found;

	pthread_mutex_lock(&vt_logbuf.lock);
	while (!(found = strstr(vt_logbuf.text, needle) != NULL))
		if (pthread_cond_timedwait(&vt_logbuf.changed, &vt_logbuf.lock, &ts) == ETIMEDOUT) {
			found = strstr(vt_logbuf.text, needle) != NULL;
			break;
		}
	pthread_mutex_unlock(&vt_logbuf.lock);
	return found;
}

/* VT_FILTER=pattern runs only the matching tests (cmocka's filter). */
static inline void vt_filter_from_env(void)
{
	const char *f = getenv("VT_FILTER");

	if (f)
		cmocka_set_test_filter(f);
}

#endif
