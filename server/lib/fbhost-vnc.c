/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * server/lib/fbhost-vnc.c - libfbhost's VNC frontend: turning the VNC server
 * (with the noVNC web viewer) on and off for a framebuffer, its addresses,
 * statistics and clients. Built with LibVNCServer; fbhost-vnc-stubs.c
 * stands in without it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/lib/fbhost-internal.h"
#include "vnc/vnc.h"

_Static_assert(FBHOST_ADDRESS_MAX == VNC_ADDRESS_MAX, "fbhost.h restates vnc.h's limit");
_Static_assert(FBHOST_ENCODING_MAX == VNC_ENCODING_NAME_MAX, "fbhost.h restates vnc.h's limit");

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
	cfg.tls_only = s->tls_only;
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

_Static_assert(FBHOST_VNC_MAX_WIDTH_PX == VNC_MAX_WIDTH_PX, "fbhost.h restates vnc.h's limit");

bool fbhost_vnc_mode_fits(struct fbhost_fb *fb, const struct fb_mode *mode)
{
	bool vnc_on;

	pthread_mutex_lock(&fb->lock);
	vnc_on = fb->vnc != NULL;
	pthread_mutex_unlock(&fb->lock);
	return !vnc_on || vnc_mode_check(mode, NULL, 0) == 0;
}

int fbhost_enable_vnc(struct fbhost_fb *fb, const struct fbhost_vnc_options *opt)
{
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
	if (!fbhost_dup(&s->host, opt->host) ||
	    !fbhost_dup(&s->password_file, opt->password_file) ||
	    !fbhost_dup(&s->cert_file, opt->cert_file)) {
		pthread_mutex_unlock(&fb->lock);
		return -ENOMEM;
	}
	s->port = opt->port;
	s->insecure = opt->insecure;
	s->tls_only = opt->tls_only;
	s->view_only = opt->view_only;
	s->vnc_on = true;
	fb->vnc_starting = true;
	pthread_mutex_unlock(&fb->lock);
	return fbhost_vnc_start(fb);
}

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
			fbhost_log(fb->host, FBHOST_LOG_WARN,
				   "%s: VNC restarted without the web viewer", fb->name);
	}
	return err;
}

int fbhost_enable_web(struct fbhost_fb *fb, int port, const char *web_root)
{
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
}

void fbhost_disable_web(struct fbhost_fb *fb)
{
	bool was_on;

	pthread_mutex_lock(&fb->lock);
	was_on = fb->vnc_set.web_on;
	fb->vnc_set.web_on = false;
	fb->vnc_set_gen++;
	pthread_mutex_unlock(&fb->lock);
	if (was_on)
		fbhost_vnc_restart(fb);
}

void fbhost_disable_vnc(struct fbhost_fb *fb)
{
	struct vnc_server *old;

	pthread_mutex_lock(&fb->lock);
	old = fb->vnc;
	fb->vnc = NULL;
	fb->vnc_set.vnc_on = false;
	fb->vnc_set_gen++;
	pthread_mutex_unlock(&fb->lock);
	vnc_server_free(old);
}

int fbhost_vnc_port(struct fbhost_fb *fb)
{
	int port = -1;

	pthread_mutex_lock(&fb->lock);
	if (fb->vnc)
		port = vnc_server_port(fb->vnc);
	pthread_mutex_unlock(&fb->lock);
	return port;
}

int fbhost_web_port(struct fbhost_fb *fb)
{
	int port = -1;

	pthread_mutex_lock(&fb->lock);
	if (fb->vnc)
		port = vnc_server_web_port(fb->vnc);
	pthread_mutex_unlock(&fb->lock);
	return port;
}

int fbhost_web_url(struct fbhost_fb *fb, char *buf, size_t size)
{
	int err = -ENOENT;

	const char *url;

	pthread_mutex_lock(&fb->lock);
	url = fb->vnc ? vnc_server_url(fb->vnc) : NULL;
	if (url) {
		snprintf(buf, size, "%s", url);
		err = 0;
	}
	pthread_mutex_unlock(&fb->lock);
	if (err && size)
		buf[0] = '\0';
	return err;
}

int fbhost_vnc_address(struct fbhost_fb *fb, char *buf, size_t size)
{
	int err = -ENOENT;

	pthread_mutex_lock(&fb->lock);
	if (fb->vnc) {
		const char *host = fb->vnc_set.host ? fb->vnc_set.host : "127.0.0.1";
		bool v6 = strchr(host, ':') != NULL;

		snprintf(buf, size, "%s%s%s:%d", v6 ? "[" : "", host, v6 ? "]" : "",
			 vnc_server_port(fb->vnc));
		err = 0;
	}
	pthread_mutex_unlock(&fb->lock);
	if (err && size)
		buf[0] = '\0';
	return err;
}

void fbhost_vnc_get_stats(struct fbhost_fb *fb, struct fbhost_stats *st)
{
	pthread_mutex_lock(&fb->lock);
	if (fb->vnc) {
		struct vnc_server_stats vs;

		vnc_server_get_stats(fb->vnc, &vs);
		st->clients = vs.clients;
		st->vnc_updates = vs.updates;
		st->vnc_rects = vs.rects;
		st->vnc_bytes_sent = vs.bytes_sent;
		st->vnc_connects = vs.connects;
		st->vnc_disconnects = vs.disconnects;
	}
	pthread_mutex_unlock(&fb->lock);
}

void fbhost_vnc_server_free(struct vnc_server *vnc)
{
	vnc_server_free(vnc);
}

/* Most clients copied per fbhost_clients call through the stack buffer. */
#define FBHOST_CLIENTS_BATCH 64u

size_t fbhost_clients(struct fbhost_fb *fb, struct fbhost_client *out, size_t max)
{
	size_t n = 0;

	struct vnc_client_info info[FBHOST_CLIENTS_BATCH];
	size_t i, copy;

	pthread_mutex_lock(&fb->lock);
	if (fb->vnc)
		n = vnc_server_list_clients(fb->vnc, info, FBHOST_CLIENTS_BATCH);
	pthread_mutex_unlock(&fb->lock);
	copy = n < max ? n : max;
	if (copy > FBHOST_CLIENTS_BATCH)
		copy = FBHOST_CLIENTS_BATCH;
	for (i = 0; i < copy; i++) {
		struct fbhost_client *c = &out[i];

		memset(c, 0, sizeof(*c));
		c->id = info[i].id;
		snprintf(c->address, sizeof(c->address), "%s", info[i].address);
		snprintf(c->encoding, sizeof(c->encoding), "%s", info[i].encoding);
		c->websocket = info[i].websocket;
		c->updates = info[i].updates;
		c->rects = info[i].rects;
		c->bytes_sent = info[i].bytes_sent;
		c->connected_ms = info[i].connected_ms;
	}
	return n;
}

int fbhost_disconnect(struct fbhost_fb *fb, uint64_t client_id)
{
	int err = -ENOENT;

	pthread_mutex_lock(&fb->lock);
	if (fb->vnc)
		err = vnc_server_disconnect_client(fb->vnc, client_id);
	pthread_mutex_unlock(&fb->lock);
	return err;
}
