/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vnc/vnc-edge-wire.c - what lies between a client's socket and its RFB
 * bytes: TLS (GnuTLS, for VeNCrypt and wss://) and WebSocket (RFC 6455
 * framing by wslay; the HTTP upgrade request is read here). The edge reads
 * RFB bytes into c->in and writes c->out through these layers, never
 * blocking. Edge thread only.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <wslay/wslay.h>

#include "vnc/vnc-edge-conn.h"
#include "vnc/vnc-internal.h"

/* Longest HTTP upgrade request read (browsers send under 1 KiB). */
#define WS_HTTP_MAX_BYTES 8192
/* Largest RFB chunk put into one WebSocket message. */
#define WS_MESSAGE_MAX_BYTES (64u * 1024)
/* Largest TLS record written at once. */
#define TLS_RECORD_MAX_BYTES (16u * 1024)
/* Client bytes read in one wake-up, before other connections get a turn
 * (wslay would read until the socket is empty). */
#define WS_READ_BUDGET_BYTES (64u * 1024)
/* Messages in wslay's queue (our data and the pongs and close replies wslay
 * makes itself) above which nothing more is read from the client: a client
 * that pings and never reads would otherwise queue pongs without end. */
#define WS_QUEUE_MAX_MSGS 64u
/* RFC 6455's key suffix. */
#define WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

/* One client's WebSocket. */
struct vnc_edge_ws {
	wslay_event_context_ptr ctx;
	struct vnc_edge_conn *c;
	bool upgraded;		   /* the 101 reply is queued; frames from now on */
	struct vnc_edge_buf http;  /* the request so far */
	struct vnc_edge_buf reply; /* the 101 reply, written before any frame */
	int error;		   /* set by the callbacks: -errno of the layer below */
	size_t read_budget;	   /* bytes ws_recv may still read in this wake-up */
};

int vnc_edge_tls_init(struct vnc_edge *e, const char *cert, const char *key, char *err,
		      size_t errlen)
{
	int rc = gnutls_certificate_allocate_credentials(&e->cred);

	if (rc == GNUTLS_E_SUCCESS)
		rc = gnutls_certificate_set_x509_key_file(e->cred, cert, key ? key : cert,
							  GNUTLS_X509_FMT_PEM);
	if (rc < 0) {
		snprintf(err, errlen, "TLS certificate %s: %s", cert, gnutls_strerror(rc));
		vnc_edge_tls_fini(e);
		return -EINVAL;
	}
	return 0;
}

void vnc_edge_tls_fini(struct vnc_edge *e)
{
	if (e->cred)
		gnutls_certificate_free_credentials(e->cred);
	e->cred = NULL;
}

int vnc_edge_tls_start(struct vnc_edge *e, struct vnc_edge_conn *c)
{
	gnutls_session_t s;

	if (gnutls_init(&s, GNUTLS_SERVER | GNUTLS_NONBLOCK) < 0)
		return -ENOMEM;
	if (gnutls_set_default_priority(s) < 0 ||
	    gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, e->cred) < 0) {
		gnutls_deinit(s);
		return -EINVAL;
	}
	gnutls_certificate_server_set_request(s, GNUTLS_CERT_IGNORE);
	gnutls_transport_set_int(s, c->fd);
	c->tls = s;
	c->tls_handshaking = true;
	return 0;
}

int vnc_edge_tls_handshake(struct vnc_edge_conn *c, char *why, size_t whylen)
{
	int rc = gnutls_handshake(c->tls);

	if (rc == GNUTLS_E_SUCCESS) {
		c->tls_handshaking = false;
		return 1;
	}
	if (!gnutls_error_is_fatal(rc))
		return 0;
	snprintf(why, whylen, "TLS handshake failed: %s", gnutls_strerror(rc));
	return -EPROTO;
}

bool vnc_edge_tls_wants_write(const struct vnc_edge_conn *c)
{
	return c->tls && (c->tls_send_pending ||
			  (c->tls_handshaking && gnutls_record_get_direction(c->tls) == 1));
}

void vnc_edge_wire_free(struct vnc_edge_conn *c)
{
	if (c->ws) {
		if (c->ws->ctx)
			wslay_event_context_free(c->ws->ctx);
		vnc_edge_buf_free(&c->ws->http);
		vnc_edge_buf_free(&c->ws->reply);
		free(c->ws);
		c->ws = NULL;
	}
	if (c->tls) {
		gnutls_deinit(c->tls);
		c->tls = NULL;
	}
}

ssize_t vnc_edge_wire_recv(struct vnc_edge_conn *c, void *buf, size_t len)
{
	ssize_t r;

	if (!c->tls) {
		r = recv(c->fd, buf, len, MSG_DONTWAIT);
		return r >= 0 ? r : errno == EWOULDBLOCK ? -EAGAIN : -errno;
	}
	r = gnutls_record_recv(c->tls, buf, len);
	if (r >= 0)
		return r;
	if (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED)
		return -EAGAIN;
	return r == GNUTLS_E_PREMATURE_TERMINATION ? 0 : -EPROTO;
}

bool vnc_edge_wire_pending(const struct vnc_edge_conn *c)
{
	return c->tls && !c->tls_handshaking && gnutls_record_check_pending(c->tls) > 0;
}

ssize_t vnc_edge_wire_send(struct vnc_edge_conn *c, const void *buf, size_t len)
{
	ssize_t w;

	if (!c->tls) {
		w = send(c->fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);
		return w >= 0 ? w : errno == EAGAIN || errno == EWOULDBLOCK ? -EAGAIN : -errno;
	}
	/* GnuTLS wants a send it could not finish repeated as it was: the
	 * caller's queue still starts with those bytes. */
	if (c->tls_send_pending) {
		w = gnutls_record_send(c->tls, NULL, 0);
	} else {
		len = len < TLS_RECORD_MAX_BYTES ? len : TLS_RECORD_MAX_BYTES;
		w = gnutls_record_send(c->tls, buf, len);
	}
	if (w == GNUTLS_E_AGAIN || w == GNUTLS_E_INTERRUPTED) {
		if (!c->tls_send_pending)
			c->tls_send_pending = len;
		return -EAGAIN;
	}
	c->tls_send_pending = 0;
	return w >= 0 ? w : -EPIPE;
}

/* wslay's I/O goes through the wire (TLS or not). */
static ssize_t ws_recv(wslay_event_context_ptr ctx, uint8_t *buf, size_t len, int flags, void *user)
{
	struct vnc_edge_ws *ws = user;
	ssize_t r = -EAGAIN;

	(void)flags;
	/* Past the budget only what TLS already holds is read: epoll cannot
	 * report it later. */
	if (vnc_edge_ws_may_read(ws->c) && (ws->read_budget || vnc_edge_wire_pending(ws->c))) {
		if (ws->read_budget && len > ws->read_budget)
			len = ws->read_budget;
		r = vnc_edge_wire_recv(ws->c, buf, len);
	}
	if (r > 0) {
		ws->read_budget -= (size_t)r < ws->read_budget ? (size_t)r : ws->read_budget;
		return r;
	}
	if (r == -EAGAIN) {
		wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
	} else {
		ws->error = r == 0 ? -ECONNRESET : (int)r;
		wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE);
	}
	return -1;
}

static ssize_t ws_send(wslay_event_context_ptr ctx, const uint8_t *data, size_t len, int flags,
		       void *user)
{
	struct vnc_edge_ws *ws = user;
	ssize_t w = vnc_edge_wire_send(ws->c, data, len);

	(void)flags;
	if (w >= 0) {
		ws->c->progress_ns = fb_clock_now_ns();
		return w;
	}
	if (w == -EAGAIN) {
		wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
	} else {
		ws->error = (int)w;
		wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE);
	}
	return -1;
}

/* A whole message from the browser: RFB bytes (noVNC sends binary). */
static void ws_message(wslay_event_context_ptr ctx, const struct wslay_event_on_msg_recv_arg *arg,
		       void *user)
{
	struct vnc_edge_ws *ws = user;

	(void)ctx;
	if ((arg->opcode == WSLAY_BINARY_FRAME || arg->opcode == WSLAY_TEXT_FRAME) &&
	    vnc_edge_buf_append(&ws->c->in, arg->msg, arg->msg_length) < 0)
		ws->error = -ENOMEM;
}

static const struct wslay_event_callbacks ws_callbacks = {
	.recv_callback = ws_recv,
	.send_callback = ws_send,
	.on_msg_recv_callback = ws_message,
};

int vnc_edge_ws_start(struct vnc_edge_conn *c)
{
	c->ws = calloc(1, sizeof(*c->ws));
	if (!c->ws)
		return -ENOMEM;
	c->ws->c = c;
	return 0;
}

/* The value of header name in the request (case-insensitive), NUL-ended in
 * out, or false. */
static bool header(const char *req, const char *name, char *out, size_t outlen)
{
	size_t n = strlen(name);

	for (const char *l = strstr(req, "\r\n"); l; l = strstr(l + 2, "\r\n")) {
		const char *v = l + 2, *end;
		size_t len;

		if (strncasecmp(v, name, n) || v[n] != ':')
			continue;
		v += n + 1;
		while (*v == ' ' || *v == '\t')
			v++;
		end = strstr(v, "\r\n");
		len = end ? (size_t)(end - v) : strlen(v);
		while (len && (v[len - 1] == ' ' || v[len - 1] == '\t'))
			len--;
		if (len >= outlen)
			return false;
		memcpy(out, v, len);
		out[len] = '\0';
		return true;
	}
	return false;
}

/* Answers a complete upgrade request (NUL-ended): 0 or -EPROTO. */
static int ws_answer(struct vnc_edge_ws *ws, const char *req, char *why, size_t whylen)
{
	char key[128], proto[128] = "", upgrade[64], accept_src[192], reply[512];
	uint8_t sha1[20];
	gnutls_datum_t in = { sha1, sizeof(sha1) }, b64 = { NULL, 0 };
	int n;

	if (strncmp(req, "GET ", 4) || !header(req, "Upgrade", upgrade, sizeof(upgrade)) ||
	    strcasecmp(upgrade, "websocket") ||
	    !header(req, "Sec-WebSocket-Key", key, sizeof(key))) {
		snprintf(why, whylen, "not a WebSocket upgrade request");
		return -EPROTO;
	}
	snprintf(accept_src, sizeof(accept_src), "%s%s", key, WS_GUID);
	if (gnutls_hash_fast(GNUTLS_DIG_SHA1, accept_src, strlen(accept_src), sha1) < 0 ||
	    gnutls_base64_encode2(&in, &b64) < 0) {
		snprintf(why, whylen, "cannot compute Sec-WebSocket-Accept");
		return -EPROTO;
	}
	/* noVNC asks for "binary" (or nothing); the old "base64" is not served. */
	if (header(req, "Sec-WebSocket-Protocol", proto, sizeof(proto)))
		snprintf(proto, sizeof(proto), "%s",
			 strstr(proto, "binary") ? "Sec-WebSocket-Protocol: binary\r\n" : "");
	n = snprintf(reply, sizeof(reply),
		     "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
		     "Connection: Upgrade\r\nSec-WebSocket-Accept: %.*s\r\n%s\r\n",
		     (int)b64.size, b64.data, proto);
	gnutls_free(b64.data);
	if (vnc_edge_buf_append(&ws->reply, reply, (size_t)n) < 0 ||
	    wslay_event_context_server_init(&ws->ctx, &ws_callbacks, ws) != 0) {
		snprintf(why, whylen, "out of memory");
		return -ENOMEM;
	}
	wslay_event_config_set_max_recv_msg_length(ws->ctx, EDGE_IN_MAX_BYTES);
	ws->upgraded = true;
	return 0;
}

/* Reads the upgrade request: 0 (maybe incomplete), or -errno. */
static int ws_read_request(struct vnc_edge *e, struct vnc_edge_conn *c, char *why, size_t whylen)
{
	struct vnc_edge_ws *ws = c->ws;
	ssize_t r = vnc_edge_wire_recv(c, e->scratch, WS_HTTP_MAX_BYTES);
	char *end;

	if (r == -EAGAIN)
		return 0;
	if (r <= 0) {
		snprintf(why, whylen, "closed during the WebSocket upgrade");
		return r == 0 ? -ECONNRESET : (int)r;
	}
	if (ws->http.len + (size_t)r > WS_HTTP_MAX_BYTES) {
		snprintf(why, whylen, "WebSocket upgrade request over %d bytes", WS_HTTP_MAX_BYTES);
		return -EPROTO;
	}
	if (vnc_edge_buf_append(&ws->http, e->scratch, (size_t)r) < 0 ||
	    vnc_edge_buf_append(&ws->http, "", 1) < 0)
		return -ENOMEM;
	ws->http.len--; /* the NUL stays after the bytes */
	end = strstr((char *)vnc_edge_buf_front(&ws->http), "\r\n\r\n");
	if (!end)
		return 0;
	/* Bytes after the request would be frames: browsers wait for 101. */
	if ((size_t)(end + 4 - (char *)vnc_edge_buf_front(&ws->http)) != ws->http.len) {
		snprintf(why, whylen, "data after the WebSocket upgrade request");
		return -EPROTO;
	}
	r = ws_answer(ws, (char *)vnc_edge_buf_front(&ws->http), why, whylen);
	vnc_edge_buf_free(&ws->http);
	return (int)r;
}

int vnc_edge_ws_read(struct vnc_edge *e, struct vnc_edge_conn *c, char *why, size_t whylen)
{
	struct vnc_edge_ws *ws = c->ws;
	bool idle;

	if (!ws->upgraded)
		return ws_read_request(e, c, why, whylen);
	/* Replies wslay queues itself (pongs) start the no-progress clock as
	 * queued output does. */
	idle = !c->out.len && !vnc_edge_ws_wants_write(c);
	ws->read_budget = WS_READ_BUDGET_BYTES;
	if (wslay_event_recv(ws->ctx) != 0 || ws->error) {
		snprintf(why, whylen, "WebSocket: %s",
			 ws->error ? strerror(-ws->error) : "protocol error");
		return ws->error ? ws->error : -EPROTO;
	}
	if (wslay_event_get_close_received(ws->ctx)) {
		snprintf(why, whylen, "WebSocket closed by the browser");
		return -ECONNRESET;
	}
	if (idle && vnc_edge_ws_wants_write(c))
		c->progress_ns = fb_clock_now_ns();
	return 0;
}

int vnc_edge_ws_write(struct vnc_edge_conn *c)
{
	struct vnc_edge_ws *ws = c->ws;

	while (ws->reply.len) {
		ssize_t w = vnc_edge_wire_send(c, vnc_edge_buf_front(&ws->reply), ws->reply.len);

		if (w == -EAGAIN)
			return 0;
		if (w < 0)
			return (int)w;
		vnc_edge_buf_consume(&ws->reply, (size_t)w);
	}
	if (!ws->upgraded)
		return 0;
	for (;;) {
		/* One message at a time moves from c->out into wslay, so that
		 * c->out stays the measure of what waits. */
		if (!wslay_event_get_queued_msg_count(ws->ctx) && c->out.len) {
			size_t n = c->out.len < WS_MESSAGE_MAX_BYTES ? c->out.len
								     : WS_MESSAGE_MAX_BYTES;
			struct wslay_event_msg m = { WSLAY_BINARY_FRAME,
						     vnc_edge_buf_front(&c->out), n };

			if (wslay_event_queue_msg(ws->ctx, &m) != 0)
				return -ENOMEM;
			vnc_edge_buf_consume(&c->out, n);
		}
		if (!wslay_event_want_write(ws->ctx))
			return 0;
		if (wslay_event_send(ws->ctx) != 0 || ws->error)
			return ws->error ? ws->error : -EPIPE;
		if (wslay_event_get_queued_msg_count(ws->ctx))
			return 0; /* the socket is full */
	}
}

bool vnc_edge_ws_wants_write(const struct vnc_edge_conn *c)
{
	return c->ws && (c->ws->reply.len || (c->ws->ctx && wslay_event_want_write(c->ws->ctx)));
}

bool vnc_edge_ws_may_read(const struct vnc_edge_conn *c)
{
	return !c->ws || !c->ws->ctx ||
	       wslay_event_get_queued_msg_count(c->ws->ctx) < WS_QUEUE_MAX_MSGS;
}

size_t vnc_edge_ws_queued_msgs(const struct vnc_edge_conn *c)
{
	return c->ws && c->ws->ctx ? wslay_event_get_queued_msg_count(c->ws->ctx) : 0;
}

bool vnc_edge_ws_upgraded(const struct vnc_edge_conn *c)
{
	return c->ws && c->ws->upgraded;
}
