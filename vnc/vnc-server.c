/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vnc/vnc-server.c - the VNC server object: configuration checks, the
 * listening sockets, the rfbScreenInfo around the shadow, the public
 * accessors. Its thread is in vnc-thread.c (see there for the threading
 * design).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "vnc/vnc-internal.h"

void vnc_config_init(struct vnc_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->port = VNC_DEFAULT_PORT;
	cfg->web_port = VNC_WEB_PORT_DEFAULT;
	cfg->share = VNC_SHARE_FORCE_SHARED;
}

int vnc_mode_check(const struct fb_mode *mode, char *err, size_t errlen)
{
	if (mode->width > VNC_MAX_WIDTH_PX) {
		snprintf(err, errlen,
			 "mode %ux%u is too wide for VNC: at most %u pixels (LibVNCServer's "
			 "raw encoder limit)",
			 mode->width, mode->height, VNC_MAX_WIDTH_PX);
		return -E2BIG;
	}
	return 0;
}

static char *dup_or_null(const char *str, bool *fail)
{
	char *d;

	if (!str)
		return NULL;
	d = strdup(str);
	if (!d)
		*fail = true;
	return d;
}

static void free_config_copies(struct vnc_server *s)
{
	free(s->host);
	free(s->password_file);
	free(s->cert_file);
	free(s->key_file);
	free(s->web_root);
	free(s->desktop_name);
	for (int i = 0; i < 2; i++) {
		char *pw = i ? s->view_password : s->password;

		if (pw) {
			explicit_bzero(pw, strlen(pw));
			free(pw);
		}
	}
}

/* Connections the edge handed over that the VNC thread never took. */
static void free_adoptions(struct vnc_server *s)
{
	while (s->adopt_head) {
		struct vnc_edge_link *l = s->adopt_head;

		s->adopt_head = l->next;
		close(l->lib_fd);
		vnc_edge_link_unref(l);
	}
	s->adopt_tail = NULL;
}

void vnc_server_adopt(struct vnc_server *s, struct vnc_edge_link *l)
{
	pthread_mutex_lock(&s->lock);
	l->next = NULL;
	if (s->adopt_tail)
		s->adopt_tail->next = l;
	else
		s->adopt_head = l;
	s->adopt_tail = l;
	pthread_mutex_unlock(&s->lock);
	vnc_wake(s);
}

/* Checks the configuration; 0 or -errno with err filled. */
static int check_config(struct fb_device *fb, const struct vnc_config *cfg, char *err,
			size_t errlen)
{
	struct fb_mode mode = fb_get_mode(fb);

	if (cfg->port < 0 || cfg->port > 65535) {
		snprintf(err, errlen, "VNC port %d is out of range 0..65535", cfg->port);
		return -EINVAL;
	}
	if (cfg->web_port < VNC_WEB_PORT_DEFAULT || cfg->web_port > 65535) {
		snprintf(err, errlen, "web port %d is out of range 0..65535", cfg->web_port);
		return -EINVAL;
	}
	if (cfg->share != VNC_SHARE_FORCE_SHARED && cfg->share != VNC_SHARE_ALLOW_EXCLUSIVE) {
		snprintf(err, errlen, "unknown share policy %d", (int)cfg->share);
		return -EINVAL;
	}
	if (!vnc_host_is_loopback(cfg->host) && !cfg->password_file && !cfg->insecure) {
		snprintf(err, errlen,
			 "refusing to listen on %s without a password: give a password file, "
			 "or --insecure to allow anyone who can reach it",
			 cfg->host);
		return -EPERM;
	}
	if (cfg->tls_only && !cfg->cert_file) {
		snprintf(err, errlen, "TLS only needs a certificate file (--cert)");
		return -EINVAL;
	}
	if (cfg->key_file && !cfg->cert_file) {
		snprintf(err, errlen, "a TLS key file needs a certificate file too");
		return -EINVAL;
	}
	for (int i = 0; i < 2; i++) {
		const char *f = i ? cfg->key_file : cfg->cert_file;

		if (f && access(f, R_OK) < 0) {
			int e = errno;

			snprintf(err, errlen, "cannot read TLS %s file %s: %s",
				 i ? "key" : "certificate", f, strerror(e));
			return -e;
		}
	}
	return vnc_mode_check(&mode, err, errlen);
}

/* Formats the viewer URL for the bound ports. */
static int make_url(struct vnc_server *s)
{
	const char *h = s->cfg.host;
	char host[80];
	int len;

	if (!h || !strcmp(h, "localhost") || !strcmp(h, "*") || !strcmp(h, "0.0.0.0"))
		snprintf(host, sizeof(host), "127.0.0.1");
	else if (!strcmp(h, "::"))
		snprintf(host, sizeof(host), "[::1]");
	else if (strchr(h, ':'))
		snprintf(host, sizeof(host), "[%s]", h);
	else
		snprintf(host, sizeof(host), "%s", h);
	len = asprintf(&s->url, "%s://%s:%d/viewer.html?port=%d&autoconnect=1",
		       s->cert_file ? "https" : "http", host, s->web_port, s->vnc_listen.port);
	if (len < 0) {
		s->url = NULL;
		return -ENOMEM;
	}
	return 0;
}

/* Frees the shadows and the hand-over (no thread uses them any more). */
static void vnc_server_free_pictures(struct vnc_server *s)
{
	free(s->shadow);
	free(s->next_shadow);
	if (s->convert)
		pixman_image_unref(s->convert);
	vnc_cells_scratch_free(&s->cells);
	pixman_region32_fini(&s->changed);
	pixman_region32_fini(&s->tick_changed);
	pixman_region32_fini(&s->torn);
}

/* Creates the rfbScreenInfo around the listening sockets. */
static int make_screen(struct vnc_server *s, char *err, size_t errlen)
{
	struct fb_mode mode = fb_get_mode(s->fb);
	uint32_t w = mode.width ? mode.width : 1, h = mode.height ? mode.height : 1;
	int argc = 0;
	rfbScreenInfoPtr sc;

	s->shadow = calloc((size_t)w * h + 1, 4);
	if (!s->shadow) {
		snprintf(err, errlen, "out of memory for a %ux%u VNC shadow", w, h);
		return -ENOMEM;
	}
	s->shadow_w = w;
	s->shadow_h = h;
	sc = rfbGetScreen(&argc, NULL, (int)w, (int)h, 8, 3, 4);
	if (!sc) {
		snprintf(err, errlen, "LibVNCServer could not create a screen");
		return -ENOMEM;
	}
	s->screen = sc;
	sc->screenData = s;
	sc->frameBuffer = (char *)s->shadow;
	sc->desktopName = s->desktop_name ? s->desktop_name : fb_name(s->fb);
	sc->alwaysShared = s->cfg.share != VNC_SHARE_ALLOW_EXCLUSIVE;
	sc->neverShared = FALSE;
	sc->dontDisconnect = FALSE;
	sc->deferUpdateTime = 0;
	sc->deferPtrUpdateTime = 0;
	sc->maxRectsPerUpdate = VNC_MAX_RECTS_PER_UPDATE;
	sc->maxClientWait = VNC_CLIENT_WAIT_MS;
	/* Never draw LibVNCServer's software cursor into the shadow: clients
	 * that support cursor encodings get the guest's cursor (or an empty
	 * one) through getCursorPtr; see vnc-cursor.c. */
	vnc_cursor_install(sc);
	sc->permitFileTransfer = FALSE;
	/* No password and no certificate for LibVNCServer: the edge runs
	 * the security exchange (and TLS, and WebSocket) and hands it a
	 * canned exchange with security type None. */
	sc->authPasswdData = NULL;
	sc->autoPort = FALSE;
	sc->port = s->vnc_listen.port;
	sc->ipv6port = s->vnc_listen.port;
	sc->httpDir = NULL;
	/* LibVNCServer listens on nothing: rfbInitSockets does nothing once
	 * READY. The edge owns the listening sockets and hands over each
	 * client (vnc_clients_adopt). */
	sc->socketState = RFB_SOCKET_READY;
	FD_ZERO(&sc->allFds);
	sc->maxFd = 0;
	sc->listenSock = -1;
	sc->listen6Sock = -1;
	vnc_clients_install_hooks(s);
	rfbInitServer(sc); /* also ignores SIGPIPE, as LibVNCServer needs */
	vnc_set_server_format(sc);
	return 0;
}

struct vnc_server *vnc_server_new(struct fb_device *fb, const struct vnc_config *cfg, char *err,
				  size_t errlen)
{
	struct vnc_server *s;
	bool fail = false;
	int rc;

	rc = check_config(fb, cfg, err, errlen);
	if (rc < 0) {
		errno = -rc;
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, errlen, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	s->fb = fb;
	s->cfg = *cfg;
	s->wake_fd = -1;
	s->vnc_listen.fd4 = s->vnc_listen.fd6 = -1;
	s->web_port = -1;
	s->host = dup_or_null(cfg->host, &fail);
	s->password_file = dup_or_null(cfg->password_file, &fail);
	s->cert_file = dup_or_null(cfg->cert_file, &fail);
	s->key_file = dup_or_null(cfg->key_file, &fail);
	s->web_root = dup_or_null(cfg->web_root, &fail);
	s->desktop_name = dup_or_null(cfg->desktop_name, &fail);
	s->cfg.host = s->host;
	s->cfg.password_file = s->password_file;
	s->cfg.cert_file = s->cert_file;
	s->cfg.key_file = s->key_file;
	s->cfg.web_root = s->web_root;
	s->cfg.desktop_name = s->desktop_name;
	s->slow_timeout_ms = cfg->slow_client_timeout_ms ? cfg->slow_client_timeout_ms
							 : VNC_DEFAULT_SLOW_CLIENT_TIMEOUT_MS;
	pthread_mutex_init(&s->shadow_lock, NULL);
	pthread_mutex_init(&s->lock, NULL);
	pthread_mutex_init(&s->stats_lock, NULL);
	pixman_region32_init(&s->changed);
	pixman_region32_init(&s->tick_changed);
	pixman_region32_init(&s->torn);
	if (fail) {
		snprintf(err, errlen, "out of memory");
		rc = -ENOMEM;
		goto fail_copy;
	}
	if (s->password_file) {
		s->password =
			vnc_read_password_file(s->password_file, &s->view_password, err, errlen);
		if (!s->password) {
			rc = -errno;
			goto fail_password;
		}
	}
	vnc_log_install_libvncserver();
	rc = vnc_listen_open(s->host, cfg->port, &s->vnc_listen, err, errlen);
	if (rc < 0)
		goto fail_listen;
	if (cfg->web_port != VNC_WEB_PORT_NONE) {
		int wp = cfg->web_port;

		if (wp == VNC_WEB_PORT_DEFAULT)
			wp = cfg->port == VNC_PORT_ANY ? VNC_WEB_PORT_ANY
						       : s->vnc_listen.port - VNC_WEB_PORT_OFFSET;
		if (wp < 0) {
			snprintf(err, errlen, "web port %d (VNC port - %d) is out of range", wp,
				 VNC_WEB_PORT_OFFSET);
			rc = -EINVAL;
			goto fail_web;
		}
		s->web = vnc_web_new(s, s->host, wp, s->web_root, &s->web_port, err, errlen);
		if (!s->web) {
			rc = -errno;
			goto fail_web;
		}
		rc = make_url(s);
		if (rc < 0) {
			snprintf(err, errlen, "out of memory");
			goto fail_url;
		}
	}
	s->cfg.directory = NULL; /* the web server keeps its own copy */
	s->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (s->wake_fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "eventfd: %s", strerror(errno));
		goto fail_eventfd;
	}
	vnc_library_lock_exclusive();
	rc = make_screen(s, err, errlen);
	vnc_library_unlock();
	if (rc < 0)
		goto fail_screen;
	s->edge = vnc_edge_new(s, s->vnc_listen.fd4, s->vnc_listen.fd6, err, errlen);
	s->vnc_listen.fd4 = s->vnc_listen.fd6 = -1; /* the edge's now */
	if (!s->edge) {
		rc = -errno;
		goto fail_edge;
	}
	rc = -pthread_create(&s->thread, NULL, vnc_thread_main, s);
	if (rc < 0) {
		snprintf(err, errlen, "cannot start the VNC thread: %s", strerror(-rc));
		goto fail_thread;
	}
	s->thread_started = true;
	{
		/* "vnc-<fb name>" in ps/top (15 characters at most). */
		char name[16];

		snprintf(name, sizeof(name), "vnc-%s", fb_name(fb));
		pthread_setname_np(s->thread, name);
	}
	s->listener.ops = &vnc_listener_ops;
	fb_listener_register(fb, &s->listener);
	vnc_log(s, "serving %s on port %d%s%s", fb_name(fb), s->vnc_listen.port,
		s->url ? ", viewer at " : "", s->url ? s->url : "");
	return s;

fail_thread:
	vnc_edge_free(s->edge);
	free_adoptions(s);
fail_edge:
fail_screen:
	if (s->screen) {
		rfbShutdownSockets(s->screen);
		rfbScreenCleanup(s->screen);
	}
	close(s->wake_fd);
fail_eventfd:
	free(s->url);
fail_url:
	vnc_web_free(s->web);
fail_web:
	vnc_listen_close(&s->vnc_listen);
fail_listen:
fail_password:
fail_copy:
	free_config_copies(s);
	vnc_server_free_pictures(s);
	pthread_mutex_destroy(&s->shadow_lock);
	pthread_mutex_destroy(&s->lock);
	pthread_mutex_destroy(&s->stats_lock);
	free(s);
	errno = -rc;
	return NULL;
}

void vnc_server_free(struct vnc_server *s)
{
	if (!s)
		return;
	fb_listener_unregister(s->fb, &s->listener);
	pthread_mutex_lock(&s->lock);
	s->stop = true;
	pthread_mutex_unlock(&s->lock);
	vnc_wake(s);
	pthread_join(s->thread, NULL);
	vnc_edge_free(s->edge);
	free_adoptions(s);
	vnc_cursor_free(s);
	vnc_web_free(s->web);
	close(s->wake_fd);
	vnc_server_free_pictures(s);
	free(s->clip_out);
	free(s->kick_ids);
	free(s->infos);
	free(s->url);
	free_config_copies(s);
	pthread_mutex_destroy(&s->shadow_lock);
	pthread_mutex_destroy(&s->lock);
	pthread_mutex_destroy(&s->stats_lock);
	free(s);
}

int vnc_server_port(const struct vnc_server *s)
{
	return s->vnc_listen.port;
}

int vnc_server_web_port(const struct vnc_server *s)
{
	return s->web_port;
}

const char *vnc_server_url(const struct vnc_server *s)
{
	return s->url;
}

void vnc_server_get_stats(struct vnc_server *s, struct vnc_server_stats *st)
{
	pthread_mutex_lock(&s->stats_lock);
	*st = s->stats;
	pthread_mutex_unlock(&s->stats_lock);
}

size_t vnc_server_list_clients(struct vnc_server *s, struct vnc_client_info *out, size_t max)
{
	size_t n;

	pthread_mutex_lock(&s->stats_lock);
	n = s->info_count;
	if (out && s->infos) /* NULL until the first client connects */
		memcpy(out, s->infos, (n < max ? n : max) * sizeof(*out));
	pthread_mutex_unlock(&s->stats_lock);
	return n;
}

int vnc_server_disconnect_client(struct vnc_server *s, uint64_t id)
{
	bool found = false;

	pthread_mutex_lock(&s->stats_lock);
	for (size_t i = 0; i < s->info_count; i++)
		found |= s->infos[i].id == id;
	pthread_mutex_unlock(&s->stats_lock);
	if (!found)
		return -ENOENT;
	pthread_mutex_lock(&s->lock);
	if (s->kick_count == s->kick_cap) {
		size_t cap = s->kick_cap ? s->kick_cap * 2 : 4;
		uint64_t *k = realloc(s->kick_ids, cap * sizeof(*k));

		if (!k) {
			pthread_mutex_unlock(&s->lock);
			return -ENOMEM;
		}
		s->kick_ids = k;
		s->kick_cap = cap;
	}
	s->kick_ids[s->kick_count++] = id;
	pthread_mutex_unlock(&s->lock);
	vnc_wake(s);
	return 0;
}
