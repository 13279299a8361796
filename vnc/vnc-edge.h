/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vnc/vnc-edge.h - the network edge of the VNC frontend. Not installed.
 *
 * fbhost owns every client socket; LibVNCServer never touches the network.
 * Each accepted connection is served by the edge thread (vnc-edge-loop.c:
 * accept, limits, deadlines; vnc-edge-conn.c: one connection's bytes),
 * a non-blocking epoll loop that:
 *   - runs the RFB version and security exchange with the client itself
 *     (vnc-edge-handshake.c): VNC password or None;
 *   - once the client is authenticated, creates a socketpair, pre-fills
 *     LibVNCServer's end with a canned client side of that exchange (so
 *     rfbNewClient's 100 ms WebSocket sniff finds bytes at once) and hands
 *     that end to the VNC thread, which calls rfbNewClient on it;
 *   - frames the client's input (vnc-edge-framer.c), so that LibVNCServer
 *     only ever reads complete messages and never waits for a client;
 *   - drains LibVNCServer's output at once: while nothing is queued for a
 *     plain or TLS client, straight to its socket from one scratch buffer;
 *     what the socket does not take goes into a bounded per-client queue
 *     (vnc-edge-buf.c) that it writes when the socket is writable.
 * Why a thread of its own: LibVNCServer writes an update with blocking
 * semantics. The edge must drain the socketpair while the VNC thread is
 * inside that write, so it cannot run on the VNC thread.
 */
#ifndef FBHOST_VNC_EDGE_H
#define FBHOST_VNC_EDGE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "vnc/vnc.h"

/* A new connection that sends nothing for this long is an RFB client (they
 * wait for the server's version); one whose first bytes arrive earlier and
 * start "GET " or a TLS hello is a browser. Only that connection waits. */
#define VNC_EDGE_SNIFF_MS 50
/* A connection must be authenticated within this time of its accept. */
#define VNC_EDGE_HANDSHAKE_MS 30000
/* Connections per VNC server (per framebuffer), in any state. */
#define VNC_EDGE_MAX_CONNECTIONS 64
/* Connections per VNC server from one source address. */
#define VNC_EDGE_MAX_PER_ADDRESS 16
/* A client's output queue may hold this many full frames in its pixel
 * format (as QEMU's), but never less than VNC_EDGE_QUEUE_MIN_BYTES. */
#define VNC_EDGE_QUEUE_FRAMES 5
#define VNC_EDGE_QUEUE_MIN_BYTES (2u * 1024 * 1024)
/* Above one frame (and at least this much) queued, a client gets no new
 * updates until it catches up; its damage accumulates (latest picture
 * wins). */
#define VNC_EDGE_HOLD_MIN_BYTES (64u * 1024)
/* Complete client messages the edge keeps for LibVNCServer before it stops
 * reading the client (TCP then pushes back). */
#define VNC_EDGE_INPUT_MAX_BYTES (256u * 1024)
/* Longest ClientCutText LibVNCServer 0.9.14 accepts (1 MiB). */
#define VNC_EDGE_CUT_TEXT_MAX_BYTES (1u << 20)
/* Most encodings in one SetEncodings (real viewers send fewer than 40). */
#define VNC_EDGE_MAX_ENCODINGS 1024
/* LibVNCServer 0.9.14's TextChat limit (rfbTextMaxSize). */
#define VNC_EDGE_TEXT_CHAT_MAX_BYTES 4096
/* Refusals are logged at most VNC_EDGE_REFUSAL_LOG_LINES times per
 * VNC_EDGE_REFUSAL_LOG_MS (the next line counts the others). */
#define VNC_EDGE_REFUSAL_LOG_MS 1000
#define VNC_EDGE_REFUSAL_LOG_LINES 5
/* The client message type the edge gives SetDesktopSize so that fbhost
 * handles it before LibVNCServer (whose 0.9.14 handler leaks a client
 * iterator on every accepted request). Not a type any client may send. */
#define VNC_EDGE_MSG_SET_DESKTOP_SIZE 200
/* The type the edge gives a QEMU extended key event (type 255 subtype 0),
 * handled by fbhost's own protocol extension (LibVNCServer 0.9.14 has no
 * server side for it). Not a type any client may send. */
#define VNC_EDGE_MSG_QEMU_KEY 201
/* A QEMU extended key event: type, subtype 0, down flag (u16), keysym
 * (u32), keycode (u32, QEMU's qnum). */
#define VNC_QEMU_KEY_EVENT_BYTES 12
#define VNC_QEMU_SUBTYPE_KEY_EVENT 0
/* The pseudo-encoding a client announces for QEMU extended key events
 * (-258); the server acknowledges it with a pseudo-rectangle of it. */
#define VNC_ENCODING_QEMU_KEY_EVENT 0xFFFFFEFEu

/* RFB client message types LibVNCServer 0.9.14 knows. */
enum {
	VNC_MSG_SET_PIXEL_FORMAT = 0,
	VNC_MSG_FIX_COLOUR_MAP = 1,
	VNC_MSG_SET_ENCODINGS = 2,
	VNC_MSG_UPDATE_REQUEST = 3,
	VNC_MSG_KEY = 4,
	VNC_MSG_POINTER = 5,
	VNC_MSG_CUT_TEXT = 6,
	VNC_MSG_FILE_TRANSFER = 7,
	VNC_MSG_SET_SCALE = 8,
	VNC_MSG_SET_SERVER_INPUT = 9,
	VNC_MSG_SET_SW = 10,
	VNC_MSG_TEXT_CHAT = 11,
	VNC_MSG_PALM_SCALE = 15,
	VNC_MSG_XVP = 250,
	VNC_MSG_SET_DESKTOP_SIZE = 251,
	VNC_MSG_QEMU = 255, /* QEMU's messages; only subtype 0 (key event) */
};

/* vnc-edge-buf.c: a byte queue (contiguous, consumed from the front). */
struct vnc_edge_buf {
	uint8_t *data;
	size_t head, len, cap; /* bytes data[head .. head+len) */
};
/* The first byte queued, or NULL when empty (no arithmetic on NULL). */
static inline uint8_t *vnc_edge_buf_front(const struct vnc_edge_buf *b)
{
	return b->len ? b->data + b->head : NULL;
}
int vnc_edge_buf_append(struct vnc_edge_buf *b, const void *p, size_t n);
void vnc_edge_buf_consume(struct vnc_edge_buf *b, size_t n);
/* Writes b's bytes to fd: bytes written (may be 0), or -errno. */
ssize_t vnc_edge_buf_write(struct vnc_edge_buf *b, int fd);
void vnc_edge_buf_free(struct vnc_edge_buf *b);

/* vnc-edge-framer.c: splits a client's stream after the security exchange
 * (ClientInit, then normal messages) into whole messages. */
struct vnc_edge_framer {
	bool client_init_done; /* the 1-byte ClientInit has passed */
	bool ext_clipboard;    /* the last SetEncodings had ExtendedClipboard */
	bool qemu_key;	       /* the last SetEncodings had QEMU Extended Key Event */
};
/* The length of the message at p[0..n): > 0 once n covers it, 0 when more
 * bytes are needed, -EPROTO for a message the edge refuses (why filled). */
ssize_t vnc_edge_frame(struct vnc_edge_framer *f, const uint8_t *p, size_t n, char *why,
		       size_t whylen);

/* vnc-edge-handshake.c: the RFB version and security exchange with the
 * real client. */
enum vnc_edge_hs_state {
	VNC_EDGE_HS_VERSION,	      /* our version sent; waiting for the client's */
	VNC_EDGE_HS_SECTYPE,	      /* security types offered; waiting for its choice */
	VNC_EDGE_HS_VENCRYPT_VERSION, /* VeNCrypt 0.2 offered; waiting for its version */
	VNC_EDGE_HS_VENCRYPT_SUBTYPE, /* X509 subtype offered; waiting for its choice */
	VNC_EDGE_HS_TLS,	      /* waiting for the TLS handshake (vnc_edge_hs_tls_ready) */
	VNC_EDGE_HS_RESPONSE,	      /* challenge sent; waiting for the response */
	VNC_EDGE_HS_DONE,	      /* authenticated */
	VNC_EDGE_HS_FAILED,	      /* refused; the reply says why, then close */
};
/* The passwords (first line: full access, second line: view-only); NULL
 * password = security type None. tls: VeNCrypt X509 is offered (a
 * certificate is configured); tls_only: nothing else is. */
struct vnc_edge_secrets {
	const char *password;
	const char *view_password;
	bool tls, tls_only;
};
/* vnc_edge_hs_input's answer when the client chose VeNCrypt X509: start a
 * TLS server session now, then call vnc_edge_hs_tls_ready. */
#define VNC_EDGE_HS_START_TLS 2
struct vnc_edge_hs {
	enum vnc_edge_hs_state state;
	int minor; /* RFB 3.x: 3, 7 or 8 */
	uint8_t challenge[16];
	bool view_only; /* authenticated with the view-only password */
};
/* Our version line, sent first. */
extern const char vnc_edge_server_version[13];
/* Feeds the client's bytes p[0..n): sets *used, appends replies to out.
 * 0 = continue, 1 = authenticated (state DONE), VNC_EDGE_HS_START_TLS,
 * -EACCES = wrong password (a refusal is in out), -EPROTO = protocol error.
 * why is filled for negative returns. */
int vnc_edge_hs_input(struct vnc_edge_hs *h, const struct vnc_edge_secrets *sec, const uint8_t *p,
		      size_t n, size_t *used, struct vnc_edge_buf *out, char *why, size_t whylen);
/* The TLS session is up: what follows goes inside it (the challenge, or
 * the SecurityResult). 0 = continue, 1 = authenticated, or -errno. */
int vnc_edge_hs_tls_ready(struct vnc_edge_hs *h, const struct vnc_edge_secrets *sec,
			  struct vnc_edge_buf *out, char *why, size_t whylen);
/* The canned client side LibVNCServer reads before ClientInit. */
size_t vnc_edge_canned_client(bool vnc_auth, uint8_t *out, size_t cap);
/* How many bytes of LibVNCServer's output belong to its side of that
 * exchange, once first[0..n) is at hand (0 = need more bytes). */
size_t vnc_edge_canned_reply_len(bool vnc_auth, const uint8_t *first, size_t n);

/*
 * One connection handed to LibVNCServer. Shared by the edge thread and the
 * VNC thread; freed by vnc_edge_link_unref when both let go.
 */
struct vnc_edge_link {
	/* Immutable once the link is queued for the VNC thread. */
	uint64_t id;
	char address[VNC_ADDRESS_MAX];
	int lib_fd;	     /* LibVNCServer's end of the socketpair */
	bool websocket, tls; /* how the client came (for logs and stats) */
	bool view_only;
	/* A dup of the client's socket for output that skips the edge (see
	 * direct_lock), closed with the link; -1 for TLS and WebSocket
	 * clients, whose output only the edge can frame. */
	int direct_fd;
	/* Keeps output bytes in order: the edge holds it while it moves
	 * LibVNCServer's output (socketpair -> socket or queue), the VNC
	 * thread while it sends an update straight to direct_fd
	 * (vnc-batch.c), which it does only when nothing is queued and the
	 * socketpair holds nothing unread. */
	pthread_mutex_t direct_lock;
	/* Atomics. */
	atomic_uint refs;
	/* Edge writes: bytes in the output queue; for a plain client, at the
	 * end of each step it makes under direct_lock. */
	atomic_size_t queued;
	atomic_size_t frame_bytes; /* VNC thread writes: one frame in the client's format */
	atomic_bool held;	   /* VNC thread writes: the client is on hold */
	/* Edge writes reason_buf, then publishes it here (release); the VNC
	 * thread reads it (acquire) for the disconnect line. */
	_Atomic(const char *) reason;
	char reason_buf[160];
	/* s->lock: the VNC thread's hand-over list. */
	struct vnc_edge_link *next;
};
void vnc_edge_link_unref(struct vnc_edge_link *l);
/* The hold threshold and the drop bound for a frame size. */
size_t vnc_edge_hold_bytes(size_t frame_bytes);
size_t vnc_edge_queue_bound(size_t frame_bytes);

/* vnc-edge-loop.c */
struct vnc_server;
struct vnc_edge;
/* Takes over the listening sockets fd4/fd6 (closes them on failure too);
 * loads s's certificate for VeNCrypt and wss when it has one. */
struct vnc_edge *vnc_edge_new(struct vnc_server *s, int fd4, int fd6, char *err, size_t errlen);
/* Stops the edge thread and closes every connection it still owns. */
void vnc_edge_free(struct vnc_edge *e);

#endif
