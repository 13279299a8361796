/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vnc/vnc-edge-conn.h - the edge thread's structures, shared by its loop
 * (vnc-edge-loop.c: accept, limits, deadlines) and its per-connection
 * byte moving (vnc-edge-conn.c). Not installed; see vnc-edge.h.
 */
#ifndef FBHOST_VNC_EDGE_CONN_H
#define FBHOST_VNC_EDGE_CONN_H

#include <netinet/in.h>
#include <pthread.h>

#include <gnutls/gnutls.h>

#include "vnc/vnc-edge.h"

/* Client bytes kept while a message is incomplete: the longest message
 * plus one read. */
#define EDGE_IN_MAX_BYTES (VNC_EDGE_CUT_TEXT_MAX_BYTES + 64u * 1024)
/* Reads from LibVNCServer's end per wake-up before others get a turn. */
#define EDGE_LIB_READS_PER_EVENT 64
#define EDGE_SCRATCH_BYTES (256u * 1024)
/* Socketpair buffer asked for (the kernel caps it at wmem_max). */
#define EDGE_SOCKETPAIR_BUF_BYTES (1024 * 1024)
#define EDGE_EVENTS_MAX 64
#define NS_PER_MS 1000000ull

enum edge_ep_kind { EP_WAKE, EP_LISTEN, EP_REAL, EP_LIB };

/* What an epoll event points at. */
struct edge_ep {
	enum edge_ep_kind kind;
	struct vnc_edge_conn *c;
	int fd;
};

enum edge_phase {
	PH_SNIFF,     /* accepted; waiting VNC_EDGE_SNIFF_MS for first bytes */
	PH_UPGRADE,   /* a browser: TLS and/or the WebSocket upgrade first */
	PH_HANDSHAKE, /* version and security exchange */
	PH_LINKED,    /* authenticated; LibVNCServer serves it */
	PH_CLOSING,   /* flushing what is queued for the client, then close */
};

/* One connection. Edge thread only; link is shared (see its comment). */
struct vnc_edge_conn {
	struct vnc_edge_conn *next, *prev;
	uint64_t id;
	char address[VNC_ADDRESS_MAX];
	char host[INET6_ADDRSTRLEN]; /* for the per-address limit */
	int fd;			     /* the client's socket */
	int edge_fd;		     /* our end of the socketpair, -1 before PH_LINKED */
	struct edge_ep ep_real, ep_lib;
	uint32_t real_events, lib_events; /* registered with epoll */
	enum edge_phase phase;
	bool dead; /* closed; freed after the current batch of events */
	uint64_t accepted_ns, progress_ns;
	struct vnc_edge_hs hs;
	struct vnc_edge_framer framer;
	struct vnc_edge_buf in;	 /* client bytes not yet framed */
	struct vnc_edge_buf fwd; /* whole messages for LibVNCServer */
	/* fwd holds a message the VNC thread must read at once: anything
	 * but an incremental update request (see quiet_and_read). */
	bool fwd_urgent;
	struct vnc_edge_buf out; /* bytes for the client */
	/* LibVNCServer's side of the canned exchange, dropped: its first
	 * bytes, then how many remain (SIZE_MAX until known). */
	uint8_t lib_head[13];
	size_t lib_head_len, lib_skip;
	struct vnc_edge_link *link;
	/* The layers under RFB (vnc-edge-wire.c). */
	gnutls_session_t tls; /* NULL: plain TCP */
	bool tls_handshaking;
	size_t tls_send_pending; /* a record send GnuTLS wants repeated */
	struct vnc_edge_ws *ws;	 /* NULL: no WebSocket */
};

/* The edge of one VNC server. Fields are edge-thread only except stop
 * (atomic) and the immutable ones set before the thread starts. */
struct vnc_edge {
	struct vnc_server *s; /* immutable */
	pthread_t thread;     /* immutable once started */
	int epfd, wake_fd;    /* immutable */
	int listen_fd[2];     /* immutable; -1 if none */
	struct edge_ep ep_wake, ep_listen[2];
	struct vnc_edge_secrets sec;	       /* immutable */
	gnutls_certificate_credentials_t cred; /* immutable; NULL without a certificate */
	atomic_bool stop;
	struct vnc_edge_conn *conns, *dead;
	unsigned nconns;
	uint64_t next_id;
	uint64_t refusal_window_ns; /* start of the current log window */
	unsigned refusals_logged, refusals_unlogged;
	uint8_t *scratch;
};

/* Logs a refusal or an unauthenticated drop: at most
 * VNC_EDGE_REFUSAL_LOG_LINES per VNC_EDGE_REFUSAL_LOG_MS, the next logged
 * line saying how many were not. */
void vnc_edge_log_refusal(struct vnc_edge *e, const char *what, const char *addr, const char *why);
/* Registers with epoll what c waits for now. */
void vnc_edge_update_interest(struct vnc_edge *e, struct vnc_edge_conn *c);
/* Closes c (freed after the current batch of events). With a reason, a
 * linked client's disconnect line (VNC thread) gives it; an unlinked one is
 * logged here, rate-limited. */
void vnc_edge_drop(struct vnc_edge *e, struct vnc_edge_conn *c, const char *why);
void vnc_edge_count_slow_drop(struct vnc_edge *e);
/* These return false if c was dropped. */
bool vnc_edge_flush_out(struct vnc_edge *e, struct vnc_edge_conn *c);
/* The same for the socket's EPOLLOUT: under the link's direct_lock. */
bool vnc_edge_flush_out_linked(struct vnc_edge *e, struct vnc_edge_conn *c);
bool vnc_edge_flush_fwd(struct vnc_edge *e, struct vnc_edge_conn *c);
bool vnc_edge_start_rfb(struct vnc_edge *e, struct vnc_edge_conn *c);
/* The client's socket is readable or hung up; LibVNCServer's end is. */
void vnc_edge_on_client(struct vnc_edge *e, struct vnc_edge_conn *c, uint32_t events);
void vnc_edge_on_lib(struct vnc_edge *e, struct vnc_edge_conn *c);
/* A write to the client or to LibVNCServer made room: reads the input that
 * no epoll event would report again (input framed but held back, bytes
 * GnuTLS holds), then registers what c waits for. */
void vnc_edge_after_room(struct vnc_edge *e, struct vnc_edge_conn *c);

/* vnc-edge-wire.c: TLS (GnuTLS) and WebSocket (wslay) under RFB. */
int vnc_edge_tls_init(struct vnc_edge *e, const char *cert, const char *key, char *err,
		      size_t errlen);
void vnc_edge_tls_fini(struct vnc_edge *e);
/* Starts a TLS server session on c's socket (handshake pending). */
int vnc_edge_tls_start(struct vnc_edge *e, struct vnc_edge_conn *c);
/* Advances the handshake: 1 done, 0 not yet, -EPROTO (why filled). */
int vnc_edge_tls_handshake(struct vnc_edge_conn *c, char *why, size_t whylen);
bool vnc_edge_tls_wants_write(const struct vnc_edge_conn *c);
/* Bytes from/to the client through TLS if any: count, 0 at EOF (recv),
 * -EAGAIN, -errno. A send of fewer bytes than asked is normal. */
ssize_t vnc_edge_wire_recv(struct vnc_edge_conn *c, void *buf, size_t len);
ssize_t vnc_edge_wire_send(struct vnc_edge_conn *c, const void *buf, size_t len);
/* TLS holds decrypted bytes epoll cannot see. */
bool vnc_edge_wire_pending(const struct vnc_edge_conn *c);
int vnc_edge_ws_start(struct vnc_edge_conn *c);
/* Reads the upgrade request, then messages into c->in: 0, or -errno. */
int vnc_edge_ws_read(struct vnc_edge *e, struct vnc_edge_conn *c, char *why, size_t whylen);
/* Writes the 101 reply, then c->out as binary messages: 0 or -errno. */
int vnc_edge_ws_write(struct vnc_edge_conn *c);
bool vnc_edge_ws_wants_write(const struct vnc_edge_conn *c);
/* Whether the client's input may be read now: not while wslay holds
 * WS_QUEUE_MAX_MSGS messages for it (true without a WebSocket). */
bool vnc_edge_ws_may_read(const struct vnc_edge_conn *c);
/* Messages wslay holds for the client (0 without a WebSocket). */
size_t vnc_edge_ws_queued_msgs(const struct vnc_edge_conn *c);
bool vnc_edge_ws_upgraded(const struct vnc_edge_conn *c);
void vnc_edge_wire_free(struct vnc_edge_conn *c);

#endif
