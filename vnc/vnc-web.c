/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vnc/vnc-web.c - serves the browser viewer over HTTP with libmicrohttpd.
 *
 * LibVNCServer's own httpd is not serviced outside its background mode, so
 * the viewer page (vnc/web/viewer.html, viewer.js) and noVNC's ES modules
 * are served from here. noVNC then opens a WebSocket to the VNC port itself.
 *
 * URL space (GET/HEAD only, read-only files):
 *   /                       the index page (index.html) listing every
 *                           framebuffer of the program
 *   /<name>.html|.js|.css|.png|.svg   the viewer and index pages, from the
 *                           viewer dir (top level only)
 *   /novnc/<path>           noVNC (core/, vendor/)
 *   /api/framebuffers, /api/thumbnail?id=N   see vnc-web-api.c
 * With a certificate (vnc_config.cert_file) it speaks https only.
 */
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vnc/vnc-web-internal.h"

#ifndef FBHOST_VNC_VIEWER_DIR
#define FBHOST_VNC_VIEWER_DIR "vnc/web"
#endif
#ifndef FBHOST_VNC_NOVNC_DIR
#define FBHOST_VNC_NOVNC_DIR "vnc/web/node_modules/@novnc/novnc"
#endif
/* Debian's noVNC, the last resort (1.3.0 has a Raw-decoder bug, so the
 * npm copy is preferred). */
#define VNC_NOVNC_SYSTEM_DIR "/usr/share/novnc"
#define VNC_WEB_MAX_CONNECTIONS 64
/* Connections from one address at once, as the VNC edge's
 * VNC_EDGE_MAX_PER_ADDRESS: a client that trickles its requests holds at most
 * these (libmicrohttpd's timeout counts idle time only). */
#define VNC_WEB_MAX_PER_ADDRESS 16
#define VNC_WEB_TIMEOUT_S 30
/* Largest PEM certificate or key file read for https. */
#define VNC_WEB_PEM_MAX_BYTES (256 * 1024)

/* MIME type by extension: module scripts must be text/javascript. */
static const char *mime_type(const char *path)
{
	static const struct {
		const char *ext, *type;
	} types[] = {
		{ ".html", "text/html; charset=utf-8" },
		{ ".js", "text/javascript; charset=utf-8" },
		{ ".mjs", "text/javascript; charset=utf-8" },
		{ ".css", "text/css; charset=utf-8" },
		{ ".json", "application/json" },
		{ ".svg", "image/svg+xml" },
		{ ".png", "image/png" },
		{ ".ico", "image/x-icon" },
		{ ".wasm", "application/wasm" },
		{ ".txt", "text/plain; charset=utf-8" },
	};
	const char *dot = strrchr(path, '.');

	for (size_t i = 0; dot && i < sizeof(types) / sizeof(types[0]); i++)
		if (!strcmp(dot, types[i].ext))
			return types[i].type;
	return "application/octet-stream";
}

/* Only plain relative paths: no "..", no hidden files, no odd bytes. */
static bool path_is_safe(const char *p)
{
	if (!*p || *p == '/')
		return false;
	for (const char *c = p; *c; c++) {
		bool ok = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
			  (*c >= '0' && *c <= '9') || *c == '_' || *c == '-' || *c == '.' ||
			  *c == '/';
		if (!ok)
			return false;
		if (*c == '.' && (c == p || c[-1] == '/'))
			return false;
		if (*c == '/' && c[1] == '/')
			return false;
	}
	return true;
}

enum MHD_Result vnc_web_reply_text(struct MHD_Connection *conn, unsigned status, const char *text)
{
	struct MHD_Response *r =
		MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_PERSISTENT);
	enum MHD_Result rc;

	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
	rc = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return rc;
}

/* The viewer dir's own pages: top-level files of the page types only
 * (not package.json, not node_modules/). */
static bool is_page_file(const char *rel)
{
	static const char *const exts[] = { ".html", ".js", ".css", ".png", ".svg" };
	const char *dot = strrchr(rel, '.');

	if (strchr(rel, '/') || !dot)
		return false;
	for (size_t i = 0; i < sizeof(exts) / sizeof(exts[0]); i++)
		if (!strcmp(dot, exts[i]))
			return true;
	return false;
}

static enum MHD_Result serve_file(struct MHD_Connection *conn, const char *dir, const char *rel)
{
	char path[VNC_WEB_PATH_MAX * 2];
	struct MHD_Response *r;
	struct stat st;
	enum MHD_Result rc;
	int fd;

	if (!path_is_safe(rel))
		return vnc_web_reply_text(conn, MHD_HTTP_NOT_FOUND, "not found\n");
	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	/* O_NONBLOCK: opening a FIFO (or a device) must not block the
	 * daemon's only thread; O_NOFOLLOW: no symlink out of the web root.
	 * Only regular files are served (O_NONBLOCK does not affect them). */
	fd = open(path, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return vnc_web_reply_text(conn, MHD_HTTP_NOT_FOUND, "not found\n");
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return vnc_web_reply_text(conn, MHD_HTTP_NOT_FOUND, "not found\n");
	}
	r = MHD_create_response_from_fd((uint64_t)st.st_size, fd); /* takes fd */
	if (!r) {
		close(fd);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, mime_type(rel));
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	rc = MHD_queue_response(conn, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return rc;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload_data,
				  size_t *upload_data_size, void **req_cls)
{
	struct vnc_web *w = cls;

	(void)version;
	(void)upload_data;
	(void)req_cls;
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
		return vnc_web_reply_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED,
					  "method not allowed\n");
	if (*upload_data_size)
		return vnc_web_reply_text(conn, MHD_HTTP_BAD_REQUEST, "no body expected\n");
	if (!strcmp(url, "/"))
		url = "/index.html";
	if (!strncmp(url, "/novnc/", 7))
		return serve_file(conn, w->novnc_dir, url + 7);
	if (!strncmp(url, "/api/", 5))
		return vnc_web_api(w, conn, url);
	if (url[0] == '/' && is_page_file(url + 1))
		return serve_file(conn, w->viewer_dir, url + 1);
	return vnc_web_reply_text(conn, MHD_HTTP_NOT_FOUND, "not found\n");
}

static struct MHD_Daemon *start_daemon(struct vnc_web *w, int fd)
{
	if (w->tls_cert)
		return MHD_start_daemon(
			MHD_USE_POLL_INTERNAL_THREAD | MHD_USE_TLS, 0, NULL, NULL, on_request, w,
			MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_CONNECTION_LIMIT,
			(unsigned)VNC_WEB_MAX_CONNECTIONS, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
			(unsigned)VNC_WEB_MAX_PER_ADDRESS, MHD_OPTION_CONNECTION_TIMEOUT,
			(unsigned)VNC_WEB_TIMEOUT_S, MHD_OPTION_HTTPS_MEM_CERT, w->tls_cert,
			MHD_OPTION_HTTPS_MEM_KEY, w->tls_key, MHD_OPTION_END);
	return MHD_start_daemon(MHD_USE_POLL_INTERNAL_THREAD, 0, NULL, NULL, on_request, w,
				MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_CONNECTION_LIMIT,
				(unsigned)VNC_WEB_MAX_CONNECTIONS,
				MHD_OPTION_PER_IP_CONNECTION_LIMIT,
				(unsigned)VNC_WEB_MAX_PER_ADDRESS, MHD_OPTION_CONNECTION_TIMEOUT,
				(unsigned)VNC_WEB_TIMEOUT_S, MHD_OPTION_END);
}

/* The whole of a PEM file, NUL-terminated and malloc'ed; NULL+errno. */
static char *read_pem(const char *path)
{
	char *buf = NULL;
	FILE *f = fopen(path, "re");
	size_t n;

	if (!f)
		return NULL;
	buf = malloc(VNC_WEB_PEM_MAX_BYTES + 1);
	if (!buf)
		goto fail_alloc;
	n = fread(buf, 1, VNC_WEB_PEM_MAX_BYTES + 1, f);
	if (ferror(f) || n > VNC_WEB_PEM_MAX_BYTES) {
		errno = ferror(f) ? EIO : EFBIG;
		goto fail_read;
	}
	buf[n] = '\0';
	fclose(f);
	return buf;

fail_read:
	free(buf);
fail_alloc:
	fclose(f);
	return NULL;
}

/* Loads the https certificate and key (the key from the certificate file
 * when no key file is given). 0 or -errno with a line in err. */
static int load_tls(struct vnc_web *w, const char *cert, const char *key, char *err, size_t errlen)
{
	const char *what = cert;

	if (!MHD_is_feature_supported(MHD_FEATURE_TLS)) {
		snprintf(err, errlen, "web viewer: this libmicrohttpd has no TLS for https");
		return -ENOTSUP;
	}
	w->tls_cert = read_pem(cert);
	if (w->tls_cert) {
		what = key ? key : cert;
		w->tls_key = read_pem(what);
	}
	if (!w->tls_cert || !w->tls_key) {
		int e = errno;

		snprintf(err, errlen, "web viewer: cannot read %s: %s", what, strerror(e));
		return -e;
	}
	return 0;
}

static bool has_novnc(const char *dir)
{
	char p[VNC_WEB_PATH_MAX + 32];

	snprintf(p, sizeof(p), "%s/core/rfb.js", dir);
	return access(p, R_OK) == 0;
}

static bool has_viewer(const char *dir)
{
	char p[VNC_WEB_PATH_MAX + 32];

	snprintf(p, sizeof(p), "%s/viewer.html", dir);
	return access(p, R_OK) == 0;
}

/* Chooses where the viewer and noVNC come from (see vnc_config.web_root). */
static void pick_dirs(struct vnc_web *w, const char *root)
{
	char nm[VNC_WEB_PATH_MAX];

	snprintf(w->viewer_dir, sizeof(w->viewer_dir), "%s",
		 root && has_viewer(root) ? root : FBHOST_VNC_VIEWER_DIR);
	if (root) {
		snprintf(nm, sizeof(nm), "%s/node_modules/@novnc/novnc", root);
		if (has_novnc(nm)) {
			snprintf(w->novnc_dir, sizeof(w->novnc_dir), "%s", nm);
			return;
		}
		/* Given explicitly: noVNC must be there (checked by the caller). */
		snprintf(w->novnc_dir, sizeof(w->novnc_dir), "%s", root);
		return;
	}
	snprintf(w->novnc_dir, sizeof(w->novnc_dir), "%s",
		 has_novnc(FBHOST_VNC_NOVNC_DIR) ? FBHOST_VNC_NOVNC_DIR : VNC_NOVNC_SYSTEM_DIR);
}

struct vnc_web *vnc_web_new(struct vnc_server *s, const char *host, int port, const char *root,
			    int *bound_port, char *err, size_t errlen)
{
	struct vnc_web *w = calloc(1, sizeof(*w));
	struct vnc_listen l;
	int rc;

	if (!w) {
		snprintf(err, errlen, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	w->server = s;
	if (s->cfg.directory)
		w->directory = *s->cfg.directory;
	if (s->cert_file) {
		rc = load_tls(w, s->cert_file, s->key_file, err, errlen);
		if (rc < 0) {
			vnc_web_free(w);
			errno = -rc;
			return NULL;
		}
	}
	pick_dirs(w, root);
	if (!has_novnc(w->novnc_dir)) {
		snprintf(err, errlen,
			 "no noVNC in %s (run 'npm install' in vnc/web, or give a web root "
			 "holding node_modules/@novnc/novnc)",
			 w->novnc_dir);
		vnc_web_free(w);
		errno = ENOENT;
		return NULL;
	}
	if (!strcmp(w->novnc_dir, VNC_NOVNC_SYSTEM_DIR))
		vnc_log(s,
			"using Debian's noVNC in %s; run 'npm install' in vnc/web for the "
			"current one",
			VNC_NOVNC_SYSTEM_DIR);
	rc = vnc_listen_open(host, port, &l, err, errlen);
	if (rc < 0) {
		char msg[256];

		snprintf(msg, sizeof(msg), "web viewer: %s", err);
		snprintf(err, errlen, "%s", msg);
		vnc_web_free(w);
		errno = -rc;
		return NULL;
	}
	if (l.fd4 >= 0) {
		w->d4 = start_daemon(w, l.fd4);
		if (!w->d4)
			goto fail_daemon;
		l.fd4 = -1; /* owned by the daemon */
	}
	if (l.fd6 >= 0) {
		w->d6 = start_daemon(w, l.fd6);
		if (!w->d6)
			goto fail_daemon;
		l.fd6 = -1;
	}
	*bound_port = l.port;
	return w;

fail_daemon:
	snprintf(err, errlen, "web viewer: libmicrohttpd could not start on port %d", l.port);
	vnc_listen_close(&l);
	vnc_web_free(w);
	errno = EIO;
	return NULL;
}

void vnc_web_free(struct vnc_web *w)
{
	if (!w)
		return;
	if (w->d4)
		MHD_stop_daemon(w->d4);
	if (w->d6)
		MHD_stop_daemon(w->d6);
	free(w->tls_cert);
	free(w->tls_key);
	free(w);
}
