/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * server/lib/attach/attach-internal.h - the attach server: framebuffers of a
 * host drawn by guests in other processes (attach-protocol.md). One thread
 * owns the listening socket and every connection; frontend threads only
 * send input messages on a connection, under its lock. Internal prefix:
 * attach_.
 */
#ifndef FBHOST_SERVER_ATTACH_INTERNAL_H
#define FBHOST_SERVER_ATTACH_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "server/lib/fbhost-internal.h"
#include "server/guest-client/fbhost-guest-proto.h"

/* Connections at once, attached or not; one more is refused with an error. */
#define ATTACH_MAX_CONNECTIONS 16u
/* Error messages sent on one connection before the server stops answering
 * (a flood of bad messages gets this many replies, then silence). */
#define ATTACH_MAX_ERROR_REPLIES 64u
/* MODE messages sent and not acknowledged (MODE_ACK of the latest) after
 * which MODE_REQUEST is refused: each MODE hands the client the memfd of a
 * new block, which it keeps alive until it closes it. */
#define ATTACH_MAX_UNACKED_MODES 4u
/* A connection that has not said HELLO within this long is closed. */
#define ATTACH_HELLO_TIMEOUT_MS 5000u
/* A MODE a client's full socket did not take is sent again this often. */
#define ATTACH_MODE_RETRY_MS 20u

struct attach_server;

/* One connection. */
struct attach_conn {
	/* Protects fd against the input callbacks, which send on frontend
	 * threads while the attach thread may close it. */
	pthread_mutex_t send_lock;
	int fd; /* send_lock for senders; written by the attach thread; -1 = free slot */

	/* Attach thread only. */
	struct attach_server *srv;
	pid_t pid; /* SO_PEERCRED */
	uint64_t accepted_ms;
	struct fbhost_fb *fb;	   /* after HELLO; NULL before */
	uint64_t sent_generation;  /* the last MODE sent */
	uint64_t acked_generation; /* the last MODE_ACK that matched */
	unsigned modes_unacked;	   /* MODEs sent since the latest was acknowledged */
	uint32_t tracking;	   /* enum fbg_tracking in force */
	unsigned errors_sent;
	bool closing;	    /* a fatal error was sent: close after this message */
	int log_fd;	    /* the dirty log memfd, -1 before HELLO */
	unsigned long *log; /* its mapping, log_bytes long */
	size_t log_bytes;
	uint64_t log_pages;
};

/* What fbhost-ctl list shows per framebuffer. */
struct attach_fb_status {
	bool attached;
	pid_t pid;
	uint32_t tracking;
};

struct attach_server {
	struct fbhost *host; /* immutable */
	char *path;	     /* immutable */
	int listen_fd;	     /* immutable */
	int wake_fd;	     /* immutable: eventfd; mode changes and stop */
	pthread_t thread;
	atomic_bool stop; /* set by fbhost_attach_stop */
	struct attach_conn conns[ATTACH_MAX_CONNECTIONS];

	pthread_mutex_t status_lock; /* protects status[] */
	struct attach_fb_status status[FBHOST_MAX_FRAMEBUFFERS];
};

/* attach-msg.c */
/* Checks the framing of one received client message (buf, len bytes, with
 * nfds descriptors): header, size for its type, descriptors. 0, or -errno
 * with *why a static explanation. Pure: the fuzz target's entry. */
int attach_msg_check(const void *buf, size_t len, unsigned nfds, const char **why);
/* Acts on one checked message; fds[0] (if nfds) is owned by the call. */
void attach_msg_handle(struct attach_conn *c, const void *buf, size_t len, int *fds, unsigned nfds);
/* Sends a message (with fd if >= 0) without blocking. 0 or -errno. Any
 * thread (takes send_lock). */
int attach_send(struct attach_conn *c, const void *msg, size_t len, int fd);
/* Sends FBG_ERROR (rate-limited per connection); fatal marks the
 * connection for closing. Attach thread. */
void attach_send_error(struct attach_conn *c, int code, uint16_t about, bool fatal, const char *fmt,
		       ...) __attribute__((format(printf, 5, 6)));
/* Sends FBG_MODE for the framebuffer's current mode if it was not sent yet.
 * Attach thread. */
void attach_send_mode(struct attach_conn *c, uint32_t reason);

/* attach-server.c */
/* Releases the framebuffer of an attached connection (input, tracking,
 * notify), keeping its picture. Attach thread. */
void attach_detach(struct attach_conn *c);
void attach_set_status(struct attach_server *s, unsigned id, const struct attach_fb_status *st);
/* The mode-change notification (fb_set_mode_notify): wakes the thread. */
void attach_mode_notify(void *opaque, uint64_t generation);

#endif
