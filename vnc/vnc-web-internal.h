/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vnc/vnc-web-internal.h - shared by the viewer's HTTP server (vnc-web.c)
 * and its JSON/PNG endpoints for the index page (vnc-web-api.c).
 */
#ifndef FBHOST_VNC_VNC_WEB_INTERNAL_H
#define FBHOST_VNC_VNC_WEB_INTERNAL_H

#include <microhttpd.h>
#include <stdbool.h>

#include "vnc/vnc-internal.h"

#define VNC_WEB_PATH_MAX 512

/* The viewer's HTTP server. Immutable once vnc_web_new returns; the
 * libmicrohttpd threads only read it. */
struct vnc_web {
	struct MHD_Daemon *d4, *d6;
	struct vnc_server *server;
	char viewer_dir[VNC_WEB_PATH_MAX];
	char novnc_dir[VNC_WEB_PATH_MAX];
	struct vnc_directory directory; /* list NULL: this framebuffer only */
	char *tls_cert, *tls_key;	/* PEM text for https, NULL for http */
};

/* Answers GET /api/... (url starts with "/api/"). */
enum MHD_Result vnc_web_api(struct vnc_web *w, struct MHD_Connection *conn, const char *url);
/* A short text/plain answer. */
enum MHD_Result vnc_web_reply_text(struct MHD_Connection *conn, unsigned status, const char *text);

#endif
