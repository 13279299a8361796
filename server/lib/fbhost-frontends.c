// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * server/lib/fbhost-frontends.c - libfbhost: turning the VNC server (with the
 * noVNC web viewer) and the SDL window on and off for a framebuffer, and
 * routing viewer input to the embedding program's callbacks.
 *
 * Frontends that were not built (no LibVNCServer, no SDL2) answer -ENOTSUP.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/lib/fbhost-internal.h"
#ifdef FBHOST_HAVE_VNC
#include "vnc/vnc.h"
#endif
#ifdef FBHOST_HAVE_SDL
#include "sdl/sdl-window.h"
#endif

/* ---- input ---------------------------------------------------------------- */

/* Copies the callbacks under the lock; they run outside it. */
static void fbhost_input_get(struct fbhost_fb *fb, struct fbhost_input_callbacks *cb,
			     void **opaque)
{
	pthread_mutex_lock(&fb->input_lock);
	*cb = fb->input;
	*opaque = fb->input_opaque;
	pthread_mutex_unlock(&fb->input_lock);
}

static void fbhost_input_key(void *opaque, uint32_t keysym, bool down)
{
	struct fbhost_fb *fb = opaque;
	struct fbhost_input_callbacks cb;
	void *o;

	fbhost_input_get(fb, &cb, &o);
	if (cb.key)
		cb.key(o, fb, keysym, down);
}

static void fbhost_input_key_code(void *opaque, uint32_t keysym, uint32_t qnum, bool down)
{
	struct fbhost_fb *fb = opaque;
	struct fbhost_input_callbacks cb;
	void *o;

	fbhost_input_get(fb, &cb, &o);
	if (cb.key_code)
		cb.key_code(o, fb, keysym, qnum, down);
	else if (cb.key)
		cb.key(o, fb, keysym, down);
}

static void fbhost_input_pointer(void *opaque, int x, int y, uint32_t buttons)
{
	struct fbhost_fb *fb = opaque;
	struct fbhost_input_callbacks cb;
	void *o;

	fbhost_input_get(fb, &cb, &o);
	if (cb.pointer)
		cb.pointer(o, fb, x, y, buttons);
}

static void fbhost_input_clipboard(void *opaque, const char *utf8, size_t len)
{
	struct fbhost_fb *fb = opaque;
	struct fbhost_input_callbacks cb;
	void *o;

	fbhost_input_get(fb, &cb, &o);
	if (cb.clipboard)
		cb.clipboard(o, fb, utf8, len);
}

static int fbhost_input_mode_request(void *opaque, uint32_t width, uint32_t height)
{
	struct fbhost_fb *fb = opaque;
	struct fbhost_input_callbacks cb;
	void *o;

	fbhost_input_get(fb, &cb, &o);
	if (!cb.resize_request)
		return -ENOTSUP;
	return cb.resize_request(o, fb, width, height);
}

static const struct fb_input_ops fbhost_input_ops = {
	.key = fbhost_input_key,
	.pointer = fbhost_input_pointer,
	.mode_request = fbhost_input_mode_request,
	.clipboard = fbhost_input_clipboard,
	.key_code = fbhost_input_key_code,
};

void fbhost_set_input(struct fbhost_fb *fb, const struct fbhost_input_callbacks *cb, void *opaque)
{
	static const struct fbhost_input_callbacks none;

	pthread_mutex_lock(&fb->input_lock);
	fb->input = cb ? *cb : none;
	fb->input_opaque = opaque;
	pthread_mutex_unlock(&fb->input_lock);
	fb_set_input_handler(fb->dev, &fbhost_input_ops, fb);
}

void fbhost_send_clipboard(struct fbhost_fb *fb, const char *utf8, size_t len)
{
	fb_send_clipboard(fb->dev, utf8, len);
}

/* ---- VNC and web ---------------------------------------------------------- */

static void fbhost_vnc_settings_clear(struct fbhost_vnc_settings *s)
{
	free(s->host);
	free(s->password_file);
	free(s->cert_file);
	free(s->web_root);
	memset(s, 0, sizeof(*s));
}

#ifdef FBHOST_HAVE_VNC
/* strdup that keeps NULL; false on ENOMEM. */
static bool fbhost_dup(char **dst, const char *src)
{
	*dst = src ? strdup(src) : NULL;
	return !src || *dst;
}

static void fbhost_vnc_log(void *opaque, const char *line)
{
	struct fbhost_fb *fb = opaque;

	fbhost_log(fb->host, FBHOST_LOG_INFO, "%s: %s", fb->name, line);
}

/* Copies src into dst (strings duplicated); -ENOMEM leaves dst cleared. */
static int fbhost_vnc_settings_copy(struct fbhost_vnc_settings *dst,
				    const struct fbhost_vnc_settings *src)
{
	*dst = *src;
	dst->host = dst->password_file = dst->cert_file = dst->web_root = NULL;
	if (!fbhost_dup(&dst->host, src->host) ||
	    !fbhost_dup(&dst->password_file, src->password_file) ||
	    !fbhost_dup(&dst->cert_file, src->cert_file) ||
	    !fbhost_dup(&dst->web_root, src->web_root)) {
		fbhost_vnc_settings_clear(dst);
		return -ENOMEM;
	}
	return 0;
}

/* Creates a VNC server for fb from the settings s. Takes no lock of fb. */
static struct vnc_server *fbhost_vnc_create(struct fbhost_fb *fb,
					    const struct fbhost_vnc_settings *s, int *errp)
{
	struct vnc_directory directory;
	struct vnc_server *srv;
	struct vnc_config cfg;
	char err[256] = "";

	vnc_config_init(&cfg);
	fbhost_web_directory(fb->host, &directory);
	cfg.directory = &directory;
	cfg.host = s->host;
	if (s->port == FBHOST_PORT_ANY)
		cfg.port = VNC_PORT_ANY;
	else
		cfg.port = s->port ? s->port : VNC_DEFAULT_PORT;
	if (!s->web_on)
		cfg.web_port = VNC_WEB_PORT_NONE;
	else if (s->web_port == FBHOST_PORT_ANY)
		cfg.web_port = VNC_WEB_PORT_ANY;
	else if (s->web_port == 0)
		cfg.web_port = VNC_WEB_PORT_DEFAULT;
	else
		cfg.web_port = s->web_port;
	cfg.password_file = s->password_file;
	cfg.insecure = s->insecure;
	cfg.cert_file = s->cert_file;
	cfg.view_only = s->view_only;
	cfg.web_root = s->web_root ? s->web_root : fbhost_default_web_root();
	cfg.desktop_name = fb->name;
	cfg.log = fbhost_vnc_log;
	cfg.log_opaque = fb;
	errno = 0;
	srv = vnc_server_new(fb->dev, &cfg, err, sizeof(err));
	if (!srv) {
		int e = errno ? errno : EIO;

		fbhost_log(fb->host, FBHOST_LOG_ERROR, "%s: VNC: %s", fb->name,
			   err[0] ? err : strerror(e));
		*errp = -e;
	}
	return srv;
}

/*
 * Creates fb->vnc from fb->vnc_set outside fb->lock (vnc_server_new takes
 * vnc's process-wide library lock and can wait behind a slow client) and
 * publishes it with a re-check under the lock. The caller set
 * fb->vnc_starting under the lock; this clears it. A server made from
 * settings that changed meanwhile is freed and made again; if VNC was turned
 * off meanwhile, none is published. On failure VNC is off.
 */
static int fbhost_vnc_start(struct fbhost_fb *fb)
{
	struct fbhost_vnc_settings snap;
	struct vnc_server *srv;
	unsigned gen;
	int err;

	for (;;) {
		pthread_mutex_lock(&fb->lock);
		if (!fb->vnc_set.vnc_on) {
			fb->vnc_starting = false;
			pthread_mutex_unlock(&fb->lock);
			return 0;
		}
		gen = fb->vnc_set_gen;
		err = fbhost_vnc_settings_copy(&snap, &fb->vnc_set);
		pthread_mutex_unlock(&fb->lock);

		srv = err ? NULL : fbhost_vnc_create(fb, &snap, &err);
		fbhost_vnc_settings_clear(&snap);

		pthread_mutex_lock(&fb->lock);
		if (gen != fb->vnc_set_gen) {
			pthread_mutex_unlock(&fb->lock);
			vnc_server_free(srv);
			continue;
		}
		fb->vnc_starting = false;
		if (!srv) {
			fb->vnc_set.vnc_on = false;
			fb->vnc_set_gen++;
			pthread_mutex_unlock(&fb->lock);
			return err;
		}
		if (fb->vnc) {
			/* Another thread won (never expected while vnc_starting
			 * keeps others out, but never leak or replace a server). */
			pthread_mutex_unlock(&fb->lock);
			vnc_server_free(srv);
			return -EALREADY;
		}
		fb->vnc = srv;
		pthread_mutex_unlock(&fb->lock);
		return 0;
	}
}
#endif

int fbhost_enable_vnc(struct fbhost_fb *fb, const struct fbhost_vnc_options *opt)
{
#ifdef FBHOST_HAVE_VNC
	static const struct fbhost_vnc_options defaults;
	struct fbhost_vnc_settings *s = &fb->vnc_set;

	if (!opt)
		opt = &defaults;
	if (opt->port < FBHOST_PORT_ANY || opt->port > 65535) {
		fbhost_log(fb->host, FBHOST_LOG_ERROR, "%s: VNC port %d out of range", fb->name,
			   opt->port);
		return -EINVAL;
	}
	pthread_mutex_lock(&fb->lock);
	if (fb->vnc || fb->vnc_starting) {
		pthread_mutex_unlock(&fb->lock);
		return -EALREADY;
	}
	free(s->host);
	free(s->password_file);
	free(s->cert_file);
	s->host = s->password_file = s->cert_file = NULL;
	fb->vnc_set_gen++;
	if (!fbhost_dup(&s->host, opt->host) || !fbhost_dup(&s->password_file, opt->password_file) ||
	    !fbhost_dup(&s->cert_file, opt->cert_file)) {
		pthread_mutex_unlock(&fb->lock);
		return -ENOMEM;
	}
	s->port = opt->port;
	s->insecure = opt->insecure;
	s->view_only = opt->view_only;
	s->vnc_on = true;
	fb->vnc_starting = true;
	pthread_mutex_unlock(&fb->lock);
	return fbhost_vnc_start(fb);
#else
	fbhost_log(fb->host, FBHOST_LOG_ERROR, "%s: built without VNC support", fb->name);
	return -ENOTSUP;
#endif
}

#ifdef FBHOST_HAVE_VNC
/* Restarts a running VNC server with fb->vnc_set (whose web part changed):
 * never frees or creates a server under fb->lock. A start in flight picks
 * the new settings up by itself (their generation changed). */
static int fbhost_vnc_restart(struct fbhost_fb *fb)
{
	struct vnc_server *old;
	int err;

	pthread_mutex_lock(&fb->lock);
	old = fb->vnc;
	if (!old || fb->vnc_starting) {
		pthread_mutex_unlock(&fb->lock);
		return 0;
	}
	fb->vnc = NULL;
	fb->vnc_starting = true;
	pthread_mutex_unlock(&fb->lock);
	vnc_server_free(old);
	err = fbhost_vnc_start(fb);
	if (err) {
		bool retry;

		pthread_mutex_lock(&fb->lock);
		/* Keep serving VNC without the viewer that failed. */
		retry = fb->vnc_set.web_on && !fb->vnc && !fb->vnc_starting;
		if (retry) {
			fb->vnc_set.web_on = false;
			fb->vnc_set.vnc_on = true;
			fb->vnc_set_gen++;
			fb->vnc_starting = true;
		}
		pthread_mutex_unlock(&fb->lock);
		if (retry && fbhost_vnc_start(fb) == 0)
			fbhost_log(fb->host, FBHOST_LOG_WARN, "%s: VNC restarted without the web viewer",
				   fb->name);
	}
	return err;
}
#endif

int fbhost_enable_web(struct fbhost_fb *fb, int port, const char *web_root)
{
#ifdef FBHOST_HAVE_VNC
	struct fbhost_vnc_settings *s = &fb->vnc_set;

	if (port < FBHOST_PORT_ANY || port > 65535) {
		fbhost_log(fb->host, FBHOST_LOG_ERROR, "%s: web port %d out of range", fb->name,
			   port);
		return -EINVAL;
	}
	pthread_mutex_lock(&fb->lock);
	free(s->web_root);
	if (!fbhost_dup(&s->web_root, web_root)) {
		pthread_mutex_unlock(&fb->lock);
		return -ENOMEM;
	}
	s->web_on = true;
	s->web_port = port;
	fb->vnc_set_gen++;
	pthread_mutex_unlock(&fb->lock);
	/* The web port is part of the VNC server's configuration. */
	return fbhost_vnc_restart(fb);
#else
	(void)port;
	(void)web_root;
	fbhost_log(fb->host, FBHOST_LOG_ERROR, "%s: built without VNC support", fb->name);
	return -ENOTSUP;
#endif
}

void fbhost_disable_web(struct fbhost_fb *fb)
{
#ifdef FBHOST_HAVE_VNC
	bool was_on;

	pthread_mutex_lock(&fb->lock);
	was_on = fb->vnc_set.web_on;
	fb->vnc_set.web_on = false;
	fb->vnc_set_gen++;
	pthread_mutex_unlock(&fb->lock);
	if (was_on)
		fbhost_vnc_restart(fb);
#else
	(void)fb;
#endif
}

void fbhost_disable_vnc(struct fbhost_fb *fb)
{
#ifdef FBHOST_HAVE_VNC
	struct vnc_server *old;

	pthread_mutex_lock(&fb->lock);
	old = fb->vnc;
	fb->vnc = NULL;
	fb->vnc_set.vnc_on = false;
	fb->vnc_set_gen++;
	pthread_mutex_unlock(&fb->lock);
	vnc_server_free(old);
#else
	(void)fb;
#endif
}

int fbhost_vnc_port(struct fbhost_fb *fb)
{
	int port = -1;

#ifdef FBHOST_HAVE_VNC
	pthread_mutex_lock(&fb->lock);
	if (fb->vnc)
		port = vnc_server_port(fb->vnc);
	pthread_mutex_unlock(&fb->lock);
#else
	(void)fb;
#endif
	return port;
}

int fbhost_web_port(struct fbhost_fb *fb)
{
	int port = -1;

#ifdef FBHOST_HAVE_VNC
	pthread_mutex_lock(&fb->lock);
	if (fb->vnc)
		port = vnc_server_web_port(fb->vnc);
	pthread_mutex_unlock(&fb->lock);
#else
	(void)fb;
#endif
	return port;
}

int fbhost_web_url(struct fbhost_fb *fb, char *buf, size_t size)
{
	int err = -ENOENT;

#ifdef FBHOST_HAVE_VNC
	const char *url;

	pthread_mutex_lock(&fb->lock);
	url = fb->vnc ? vnc_server_url(fb->vnc) : NULL;
	if (url) {
		snprintf(buf, size, "%s", url);
		err = 0;
	}
	pthread_mutex_unlock(&fb->lock);
#else
	(void)fb;
#endif
	if (err && size)
		buf[0] = '\0';
	return err;
}

int fbhost_vnc_address(struct fbhost_fb *fb, char *buf, size_t size)
{
	int err = -ENOENT;

#ifdef FBHOST_HAVE_VNC
	pthread_mutex_lock(&fb->lock);
	if (fb->vnc) {
		const char *host = fb->vnc_set.host ? fb->vnc_set.host : "127.0.0.1";
		bool v6 = strchr(host, ':') != NULL;

		snprintf(buf, size, "%s%s%s:%d", v6 ? "[" : "", host, v6 ? "]" : "",
			 vnc_server_port(fb->vnc));
		err = 0;
	}
	pthread_mutex_unlock(&fb->lock);
#else
	(void)fb;
#endif
	if (err && size)
		buf[0] = '\0';
	return err;
}

/* ---- SDL ------------------------------------------------------------------ */

#ifdef FBHOST_HAVE_SDL
/* On the SDL thread: the user closed the window. */
static void fbhost_sdl_closed(void *opaque, struct sdl_window *w, bool quit)
{
	struct fbhost_fb *fb = opaque;
	void (*fn)(void *);
	void *o;

	(void)w;
	if (!quit)
		return;
	pthread_mutex_lock(&fb->host->lock);
	fn = fb->host->quit_fn;
	o = fb->host->quit_opaque;
	pthread_mutex_unlock(&fb->host->lock);
	if (fn)
		fn(o);
}
#endif

int fbhost_enable_sdl(struct fbhost_fb *fb, const struct fbhost_sdl_options *opt)
{
#ifdef FBHOST_HAVE_SDL
	struct sdl_window_config cfg;
	struct sdl_window *w;
	bool taken;

	pthread_mutex_lock(&fb->lock);
	taken = fb->sdl != NULL;
	pthread_mutex_unlock(&fb->lock);
	if (taken)
		return -EALREADY;
	sdl_window_config_init(&cfg);
	if (opt) {
		cfg.integer_scale = opt->integer_scale;
		cfg.allow_resize_request = opt->resize_requests;
		cfg.close_quits = !opt->no_quit;
		cfg.fullscreen = opt->fullscreen;
	}
	cfg.on_close = fbhost_sdl_closed;
	cfg.opaque = fb;
	/* Outside fb->lock: sdl_window_new waits for the SDL thread. */
	errno = 0;
	w = sdl_window_new(fb->dev, &cfg);
	if (!w) {
		int e = errno ? errno : EIO;

		fbhost_log(fb->host, FBHOST_LOG_ERROR, "%s: SDL: %s", fb->name,
			   sdl_window_strerror());
		return -e;
	}
	pthread_mutex_lock(&fb->lock);
	taken = fb->sdl != NULL;
	if (!taken)
		fb->sdl = w;
	pthread_mutex_unlock(&fb->lock);
	if (taken) {
		/* Another thread opened one meanwhile. */
		sdl_window_free(w);
		return -EALREADY;
	}
	return 0;
#else
	fbhost_log(fb->host, FBHOST_LOG_ERROR, "%s: built without SDL support", fb->name);
	return -ENOTSUP;
#endif
}

void fbhost_fb_stop_frontends(struct fbhost_fb *fb)
{
	struct vnc_server *vnc;
	struct sdl_window *sdl;
	struct fb_headless *headless;

	pthread_mutex_lock(&fb->lock);
	vnc = fb->vnc;
	sdl = fb->sdl;
	headless = fb->headless;
	fb->vnc = NULL;
	fb->sdl = NULL;
	fb->headless = NULL;
	fbhost_vnc_settings_clear(&fb->vnc_set);
	fb->vnc_set_gen++;
	pthread_mutex_unlock(&fb->lock);
#ifdef FBHOST_HAVE_VNC
	vnc_server_free(vnc);
#else
	(void)vnc;
#endif
#ifdef FBHOST_HAVE_SDL
	sdl_window_free(sdl);
#else
	(void)sdl;
#endif
	if (headless)
		fb_headless_free(headless);
}
