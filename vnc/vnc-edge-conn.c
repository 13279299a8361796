/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vnc/vnc-edge-conn.c - what the edge does for one connection: the sniff
 * for browsers, the security exchange, the hand-over of an authenticated
 * socketpair to the VNC thread, framing the client's input into whole
 * messages for LibVNCServer, and draining LibVNCServer's output into the
 * client's bounded queue. Never blocks. Edge thread only, but for the
 * link's direct_lock, which it holds while it moves a linked client's
 * output (the VNC thread may send small updates past it: vnc-batch.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vnc/vnc-edge-conn.h"
#include "vnc/vnc-internal.h"

void vnc_edge_link_unref(struct vnc_edge_link *l)
{
	if (!l || atomic_fetch_sub_explicit(&l->refs, 1, memory_order_acq_rel) != 1)
		return;
	if (l->direct_fd >= 0)
		close(l->direct_fd);
	pthread_mutex_destroy(&l->direct_lock);
	free(l);
}

/* Starts moving a linked client's output: takes its direct_lock, and a
 * reference, since the step may drop c and with it the edge's. */
static struct vnc_edge_link *output_begin(struct vnc_edge_conn *c)
{
	struct vnc_edge_link *l = c->link;

	atomic_fetch_add_explicit(&l->refs, 1, memory_order_relaxed);
	pthread_mutex_lock(&l->direct_lock);
	return l;
}

/* Ends the step: link->queued now says what it left queued (after_write,
 * on_lib, or 0 from a drop, whose shutdown ends direct sends anyway). */
static void output_end(struct vnc_edge_link *l)
{
	pthread_mutex_unlock(&l->direct_lock);
	vnc_edge_link_unref(l);
}

size_t vnc_edge_hold_bytes(size_t frame_bytes)
{
	return frame_bytes > VNC_EDGE_HOLD_MIN_BYTES ? frame_bytes : VNC_EDGE_HOLD_MIN_BYTES;
}

size_t vnc_edge_queue_bound(size_t frame_bytes)
{
	size_t b = frame_bytes * VNC_EDGE_QUEUE_FRAMES;

	return b > VNC_EDGE_QUEUE_MIN_BYTES ? b : VNC_EDGE_QUEUE_MIN_BYTES;
}

/* Logs a refusal or an unauthenticated drop, at most once per
 * VNC_EDGE_REFUSAL_LOG_MS, saying how many went unlogged. */

void vnc_edge_log_refusal(struct vnc_edge *e, const char *what, const char *addr, const char *why)
{
	uint64_t now = fb_clock_now_ns();

	if (!e->refusal_window_ns ||
	    now - e->refusal_window_ns >= VNC_EDGE_REFUSAL_LOG_MS * NS_PER_MS) {
		e->refusal_window_ns = now;
		e->refusals_logged = 0;
	}
	if (e->refusals_logged >= VNC_EDGE_REFUSAL_LOG_LINES) {
		e->refusals_unlogged++;
		return;
	}
	e->refusals_logged++;
	if (e->refusals_unlogged)
		vnc_log(e->s, "%s %s: %s (and %u more refused or dropped, not logged)", what, addr,
			why, e->refusals_unlogged);
	else
		vnc_log(e->s, "%s %s: %s", what, addr, why);
	e->refusals_unlogged = 0;
}

static void set_events(struct vnc_edge *e, int fd, struct edge_ep *ep, uint32_t *cur, uint32_t want)
{
	struct epoll_event ev = { .events = want, .data.ptr = ep };

	if (*cur == want)
		return;
	if (epoll_ctl(e->epfd, EPOLL_CTL_MOD, fd, &ev) < 0)
		vnc_log(e->s, "epoll_ctl: %s", strerror(errno));
	*cur = want;
}

/* Registers what c waits for now. */
void vnc_edge_update_interest(struct vnc_edge *e, struct vnc_edge_conn *c)
{
	bool read_client = c->phase != PH_CLOSING && c->fwd.len < VNC_EDGE_INPUT_MAX_BYTES &&
			   c->in.len < EDGE_IN_MAX_BYTES && vnc_edge_ws_may_read(c);
	bool write_client = c->out.len || vnc_edge_ws_wants_write(c) || vnc_edge_tls_wants_write(c);
	uint32_t real = (read_client ? EPOLLIN | EPOLLRDHUP : 0) | (write_client ? EPOLLOUT : 0);

	set_events(e, c->fd, &c->ep_real, &c->real_events, real);
	if (c->edge_fd >= 0)
		set_events(e, c->edge_fd, &c->ep_lib, &c->lib_events,
			   EPOLLIN | (c->fwd.len ? EPOLLOUT : 0));
}

/* Closes c. With a reason, a linked client's disconnect line (VNC thread)
 * gives it; an unlinked one is logged here, rate-limited. */
void vnc_edge_drop(struct vnc_edge *e, struct vnc_edge_conn *c, const char *why)
{
	if (c->dead)
		return;
	if (c->link) {
		/* Ends the VNC thread's direct sends on its dup too. */
		if (c->link->direct_fd >= 0)
			shutdown(c->fd, SHUT_RDWR);
		if (why) {
			snprintf(c->link->reason_buf, sizeof(c->link->reason_buf), "%s", why);
			atomic_store_explicit(&c->link->reason, c->link->reason_buf,
					      memory_order_release);
		}
		atomic_store_explicit(&c->link->queued, 0, memory_order_relaxed);
		vnc_edge_link_unref(c->link);
		c->link = NULL;
	} else if (why) {
		vnc_edge_log_refusal(e, "dropping", c->address, why);
	}
	vnc_edge_wire_free(c);
	/* Closing removes the socketpair end from epoll; the client's socket
	 * may live on in the link's dup (direct_fd), and epoll watches the
	 * socket, not the descriptor: it is removed by hand. */
	if (c->edge_fd >= 0)
		close(c->edge_fd);
	if (c->fd >= 0) {
		epoll_ctl(e->epfd, EPOLL_CTL_DEL, c->fd, NULL);
		close(c->fd);
	}
	c->fd = c->edge_fd = -1;
	vnc_edge_buf_free(&c->in);
	vnc_edge_buf_free(&c->fwd);
	vnc_edge_buf_free(&c->out);
	c->dead = true;
	if (c->prev)
		c->prev->next = c->next;
	else
		e->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	c->next = e->dead;
	e->dead = c;
	e->nconns--;
}

void vnc_edge_count_slow_drop(struct vnc_edge *e)
{
	struct vnc_server *s = e->s;

	pthread_mutex_lock(&s->stats_lock);
	s->stats.slow_disconnects++;
	pthread_mutex_unlock(&s->stats_lock);
}

/* Queues bytes for the client, starting its no-progress clock if the
 * queue was empty. */
static int queue_out(struct vnc_edge_conn *c, const void *p, size_t n)
{
	if (c->out.len == 0)
		c->progress_ns = fb_clock_now_ns();
	return vnc_edge_buf_append(&c->out, p, n);
}

/* Sends p[0..n) to the client, through TLS if any (not WebSocket, which
 * frames c->out itself): bytes sent (fewer than n once the socket is full),
 * or -errno. With TLS, a send GnuTLS could not finish is remembered
 * (tls_send_pending) and the caller queues the unsent bytes first. */
static ssize_t send_direct(struct vnc_edge_conn *c, const uint8_t *p, size_t n)
{
	size_t done = 0;

	while (done < n) {
		ssize_t w = vnc_edge_wire_send(c, p + done, n - done);

		if (w == -EAGAIN)
			break;
		if (w < 0)
			return w;
		done += (size_t)w;
	}
	return (ssize_t)done;
}

/* Writes c->out through the layers: bytes taken from it, or -errno. */
static ssize_t write_client(struct vnc_edge_conn *c)
{
	size_t before = c->out.len;
	ssize_t w;

	if (c->tls && c->tls_handshaking)
		return 0; /* on_client drives the handshake */
	if (c->ws) {
		int rc = vnc_edge_ws_write(c);

		return rc < 0 ? rc : (ssize_t)(before - c->out.len);
	}
	if (!c->out.len)
		return 0;
	w = send_direct(c, vnc_edge_buf_front(&c->out), c->out.len);
	if (w > 0)
		vnc_edge_buf_consume(&c->out, (size_t)w);
	return w;
}

/* What follows a write of w bytes (or -errno) from c->out: the progress
 * clock, the queue size the VNC thread sees, its wake-up when a held
 * client may take updates again, and the close of a flushed closing
 * connection. False if c was dropped. */
static bool after_write(struct vnc_edge *e, struct vnc_edge_conn *c, ssize_t w)
{
	char why[96];

	if (w < 0) {
		snprintf(why, sizeof(why), "write failed: %s", strerror((int)-w));
		vnc_edge_drop(e, c, c->phase == PH_LINKED ? why : NULL);
		return false;
	}
	if (w > 0)
		c->progress_ns = fb_clock_now_ns();
	if (c->link) {
		atomic_store_explicit(&c->link->queued, c->out.len, memory_order_relaxed);
		if (atomic_load_explicit(&c->link->held, memory_order_relaxed) &&
		    c->out.len <= vnc_edge_hold_bytes(atomic_load_explicit(&c->link->frame_bytes,
									   memory_order_relaxed)))
			vnc_wake(e->s); /* it may take updates again */
	}
	if (c->phase == PH_CLOSING && c->out.len == 0 && !vnc_edge_ws_wants_write(c) &&
	    !c->tls_send_pending) {
		vnc_edge_drop(e, c, NULL);
		return false;
	}
	return true;
}

bool vnc_edge_flush_out(struct vnc_edge *e, struct vnc_edge_conn *c)
{
	return after_write(e, c, write_client(c));
}

bool vnc_edge_flush_out_linked(struct vnc_edge *e, struct vnc_edge_conn *c)
{
	struct vnc_edge_link *l;
	bool alive;

	if (!c->link)
		return vnc_edge_flush_out(e, c);
	l = output_begin(c);
	alive = vnc_edge_flush_out(e, c);
	output_end(l);
	return alive;
}

/* Writes whole messages into LibVNCServer's end, and wakes the VNC thread
 * when they include one it must read now: it does not watch a quiet
 * client's input (vnc-thread.c). False if c was dropped. */
bool vnc_edge_flush_fwd(struct vnc_edge *e, struct vnc_edge_conn *c)
{
	ssize_t w = vnc_edge_buf_write(&c->fwd, c->edge_fd);

	if (w < 0) {
		vnc_edge_drop(e, c, NULL); /* LibVNCServer closed it: its line says why */
		return false;
	}
	if (w > 0 && c->fwd_urgent)
		vnc_wake(e->s);
	if (c->fwd.len == 0)
		c->fwd_urgent = false;
	return true;
}

/* Sends our version: the client is treated as RFB from now on. */
bool vnc_edge_start_rfb(struct vnc_edge *e, struct vnc_edge_conn *c)
{
	c->phase = PH_HANDSHAKE;
	c->hs.state = VNC_EDGE_HS_VERSION;
	if (queue_out(c, vnc_edge_server_version, 12) < 0) {
		vnc_edge_drop(e, c, "out of memory");
		return false;
	}
	return vnc_edge_flush_out(e, c);
}

static struct vnc_edge_link *new_link(struct vnc_edge_conn *c, int lib_fd)
{
	struct vnc_edge_link *l = calloc(1, sizeof(*l));

	if (!l)
		return NULL;
	l->id = c->id;
	memcpy(l->address, c->address, sizeof(l->address));
	l->lib_fd = lib_fd;
	l->view_only = c->hs.view_only;
	l->websocket = c->ws != NULL;
	l->tls = c->tls != NULL;
	atomic_init(&l->refs, 2); /* the edge's and the VNC thread's */
	atomic_init(&l->queued, c->out.len);
	atomic_init(&l->frame_bytes, 0);
	atomic_init(&l->held, false);
	atomic_init(&l->reason, NULL);
	l->direct_fd = -1;
	if (!c->tls && !c->ws)
		l->direct_fd = fcntl(c->fd, F_DUPFD_CLOEXEC, 0); /* -1: through the edge */
	pthread_mutex_init(&l->direct_lock, NULL);
	return l;
}

/* Authenticated: the socketpair, pre-filled with the canned client side
 * of the exchange, goes to the VNC thread. False if c was dropped. */
static bool link_up(struct vnc_edge *e, struct vnc_edge_conn *c)
{
	int sv[2], buf = EDGE_SOCKETPAIR_BUF_BYTES;
	uint8_t canned[32];
	size_t n = vnc_edge_canned_client(false, canned, sizeof(canned));
	struct epoll_event ev;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		vnc_edge_drop(e, c, "no socketpair for LibVNCServer");
		return false;
	}
	if (sv[0] >= FD_SETSIZE) {
		close(sv[0]);
		close(sv[1]);
		vnc_edge_drop(e, c, "descriptor beyond LibVNCServer's select() limit");
		return false;
	}
	for (int i = 0; i < 2; i++) {
		setsockopt(sv[i], SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
		setsockopt(sv[i], SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
	}
	c->link = new_link(c, sv[0]);
	if (!c->link || vnc_edge_buf_append(&c->fwd, canned, n) < 0) {
		close(sv[0]);
		close(sv[1]);
		if (c->link)
			atomic_store(&c->link->refs, 1); /* nobody else has it yet */
		vnc_edge_drop(e, c, "out of memory");
		return false;
	}
	c->edge_fd = sv[1];
	c->ep_lib = (struct edge_ep){ .kind = EP_LIB, .c = c, .fd = sv[1] };
	c->lib_events = EPOLLIN;
	ev = (struct epoll_event){ .events = EPOLLIN, .data.ptr = &c->ep_lib };
	if (epoll_ctl(e->epfd, EPOLL_CTL_ADD, sv[1], &ev) < 0) {
		close(sv[0]);
		atomic_store(&c->link->refs, 1); /* nobody else has it yet */
		vnc_edge_link_unref(c->link);
		c->link = NULL;
		vnc_edge_drop(e, c, "epoll_ctl failed");
		return false;
	}
	c->lib_skip = SIZE_MAX;
	c->phase = PH_LINKED;
	vnc_server_adopt(e->s, c->link);
	return vnc_edge_flush_fwd(e, c);
}

/* Refuses an unauthenticated client: logged (rate-limited), the reply
 * flushed, then closed. False: c is closing or dropped. */
static bool refuse(struct vnc_edge *e, struct vnc_edge_conn *c, const char *why)
{
	vnc_edge_log_refusal(e, "refusing", c->address, why);
	c->phase = PH_CLOSING;
	vnc_edge_buf_free(&c->in);
	if (c->out.len == 0) {
		vnc_edge_drop(e, c, NULL);
		return false;
	}
	vnc_edge_flush_out(e, c);
	return false;
}

/* Handshake bytes from the client. False if c was dropped. */
static bool run_handshake(struct vnc_edge *e, struct vnc_edge_conn *c)
{
	char why[160] = "";

	while (c->phase == PH_HANDSHAKE) {
		size_t used = 0;
		int rc = vnc_edge_hs_input(&c->hs, &e->sec, vnc_edge_buf_front(&c->in), c->in.len,
					   &used, &c->out, why, sizeof(why));

		vnc_edge_buf_consume(&c->in, used);
		if (rc == 1)
			return vnc_edge_flush_out(e, c) && link_up(e, c);
		if (rc < 0)
			return refuse(e, c, why);
		if (rc == VNC_EDGE_HS_START_TLS) {
			/* The VeNCrypt answer goes out in the clear, then TLS. */
			if (!vnc_edge_flush_out(e, c))
				return false;
			if (c->out.len || c->in.len || vnc_edge_tls_start(e, c) < 0)
				return refuse(e, c, "could not start TLS after VeNCrypt");
			return true;
		}
		if (used == 0)
			break;
	}
	return vnc_edge_flush_out(e, c);
}

/* TLS is up: VeNCrypt goes on inside it. False if c was dropped. */
static bool tls_ready(struct vnc_edge *e, struct vnc_edge_conn *c)
{
	char why[160] = "";
	int rc;

	if (c->phase == PH_UPGRADE)
		return true; /* wss: the WebSocket upgrade comes next */
	rc = vnc_edge_hs_tls_ready(&c->hs, &e->sec, &c->out, why, sizeof(why));
	if (rc < 0)
		return refuse(e, c, why);
	if (!vnc_edge_flush_out(e, c))
		return false;
	return rc == 1 ? link_up(e, c) : true;
}

/* Frames the client's messages into c->fwd, up to VNC_EDGE_INPUT_MAX_BYTES.
 * False if c was dropped. */
static bool frame_input(struct vnc_edge *e, struct vnc_edge_conn *c)
{
	char why[160];

	while (c->in.len && c->fwd.len < VNC_EDGE_INPUT_MAX_BYTES) {
		uint8_t *p = vnc_edge_buf_front(&c->in);
		bool init = !c->framer.client_init_done;
		ssize_t len = vnc_edge_frame(&c->framer, p, c->in.len, why, sizeof(why));

		if (len < 0) {
			char reason[200];

			snprintf(reason, sizeof(reason), "protocol error: %s", why);
			vnc_edge_drop(e, c, reason);
			return false;
		}
		if (len == 0)
			break;
		if (!init && c->link->view_only &&
		    (p[0] == VNC_MSG_KEY || p[0] == VNC_MSG_POINTER || p[0] == VNC_MSG_CUT_TEXT ||
		     p[0] == VNC_MSG_QEMU)) {
			vnc_edge_buf_consume(&c->in, (size_t)len);
			continue; /* a view-only client's input never goes further */
		}
		if (!init && p[0] == VNC_MSG_SET_DESKTOP_SIZE)
			p[0] = VNC_EDGE_MSG_SET_DESKTOP_SIZE;
		else if (!init && p[0] == VNC_MSG_QEMU)
			p[0] = VNC_EDGE_MSG_QEMU_KEY; /* the framer passes subtype 0 only */
		if (vnc_edge_buf_append(&c->fwd, p, (size_t)len) < 0) {
			vnc_edge_drop(e, c, "out of memory");
			return false;
		}
		/* An incremental update request can wait for the next
		 * damage; everything else wakes the VNC thread. */
		if (init || p[0] != VNC_MSG_UPDATE_REQUEST || p[1] == 0)
			c->fwd_urgent = true;
		vnc_edge_buf_consume(&c->in, (size_t)len);
	}
	return true;
}

/* Frames the client's messages for LibVNCServer, and forwards them. False
 * if c was dropped. */
static bool run_framer(struct vnc_edge *e, struct vnc_edge_conn *c)
{
	bool full;

	do {
		if (!frame_input(e, c))
			return false;
		full = c->fwd.len >= VNC_EDGE_INPUT_MAX_BYTES;
		if (!vnc_edge_flush_fwd(e, c))
			return false;
		/* Framing stopped at the limit and the socketpair took the
		 * lot: frame on, since no event may come to do it. */
	} while (full && c->in.len && c->fwd.len < VNC_EDGE_INPUT_MAX_BYTES);
	return true;
}

/* The first bytes of a new connection: a browser ("GET ", or a TLS hello
 * for wss), or else an RFB client. False if c was dropped. */
static bool sniff(struct vnc_edge *e, struct vnc_edge_conn *c)
{
	uint8_t b[1];
	ssize_t r = recv(c->fd, b, sizeof(b), MSG_PEEK | MSG_DONTWAIT);

	if (r == 0 || (r < 0 && errno != EAGAIN)) {
		vnc_edge_drop(e, c, NULL);
		return false;
	}
	if (r < 0)
		return true;
	if (b[0] != 'G' && b[0] != 0x16)
		return vnc_edge_start_rfb(e, c);
	if (b[0] == 0x16 && !e->cred) {
		vnc_edge_drop(e, c, "a TLS hello, but no certificate is configured (--cert)");
		return false;
	}
	if (b[0] == 'G' && e->sec.tls_only) {
		vnc_edge_drop(e, c, "a plain WebSocket, but only TLS is allowed (wss://)");
		return false;
	}
	c->phase = PH_UPGRADE;
	if (vnc_edge_ws_start(c) < 0 || (b[0] == 0x16 && vnc_edge_tls_start(e, c) < 0)) {
		vnc_edge_drop(e, c, "out of memory");
		return false;
	}
	return true;
}

/* Reads RFB bytes into c->in through the layers: 0 or -errno (why filled
 * when worth a line). */
static int read_client(struct vnc_edge *e, struct vnc_edge_conn *c, char *why, size_t whylen)
{
	if (c->ws)
		return vnc_edge_ws_read(e, c, why, whylen);
	do {
		size_t room = EDGE_IN_MAX_BYTES - c->in.len;
		ssize_t r = vnc_edge_wire_recv(
			c, e->scratch, room < EDGE_SCRATCH_BYTES ? room : EDGE_SCRATCH_BYTES);

		if (r == -EAGAIN || room == 0)
			return 0;
		if (r == 0)
			return -ECONNRESET;
		if (r < 0) {
			if (r == -EPROTO)
				snprintf(why, whylen, "TLS record error");
			return (int)r;
		}
		if (vnc_edge_buf_append(&c->in, e->scratch, (size_t)r) < 0) {
			snprintf(why, whylen, "out of memory");
			return -ENOMEM;
		}
	} while (vnc_edge_wire_pending(c));
	return 0;
}

void vnc_edge_on_client(struct vnc_edge *e, struct vnc_edge_conn *c, uint32_t events)
{
	char why[160] = "";
	int rc;

	if (c->phase == PH_SNIFF && (!sniff(e, c) || c->phase == PH_SNIFF))
		return;
	if (c->phase == PH_CLOSING) {
		if (events & (EPOLLHUP | EPOLLERR))
			vnc_edge_drop(e, c, NULL);
		else if (vnc_edge_tls_wants_write(c) || vnc_edge_ws_wants_write(c))
			vnc_edge_flush_out(e, c);
		return;
	}
	if (c->tls && c->tls_handshaking) {
		rc = vnc_edge_tls_handshake(c, why, sizeof(why));
		if (rc < 0) {
			vnc_edge_drop(e, c, why);
			return;
		}
		if (rc == 0) {
			vnc_edge_update_interest(e, c);
			return;
		}
		if (!tls_ready(e, c))
			return;
	}
	rc = read_client(e, c, why, sizeof(why));
	if (rc < 0) {
		vnc_edge_drop(e, c, why[0] ? why : NULL);
		return;
	}
	if (c->phase == PH_UPGRADE && vnc_edge_ws_upgraded(c) && !vnc_edge_start_rfb(e, c))
		return;
	if (c->phase == PH_HANDSHAKE && !run_handshake(e, c))
		return;
	if (c->phase == PH_LINKED && !run_framer(e, c))
		return;
	if (c->phase != PH_CLOSING || c->dead)
		vnc_edge_update_interest(e, c);
}

void vnc_edge_after_room(struct vnc_edge *e, struct vnc_edge_conn *c)
{
	/* The framer stops at VNC_EDGE_INPUT_MAX_BYTES of forwarded input
	 * and reading at wslay's queue limit; the client may send nothing
	 * more that would start them again. */
	bool waits = vnc_edge_wire_pending(c) ||
		     (c->phase == PH_LINKED && c->in.len && c->fwd.len < VNC_EDGE_INPUT_MAX_BYTES);

	if (c->dead)
		return;
	if (waits && vnc_edge_ws_may_read(c))
		vnc_edge_on_client(e, c, 0);
	else
		vnc_edge_update_interest(e, c);
}

/* LibVNCServer's bytes p[0..n) for the client. While nothing is queued
 * and the socket takes them, plain and TLS output goes straight out from
 * the edge's scratch buffer; only what the socket does not take is queued
 * (WebSocket output is always queued: wslay frames it from c->out). *full
 * is set once the socket took less than offered. False if c was dropped. */
static bool pass_on(struct vnc_edge *e, struct vnc_edge_conn *c, const uint8_t *p, size_t n,
		    bool *full)
{
	size_t sent = 0;

	if (!c->out.len && !*full && !c->ws) {
		ssize_t w = send_direct(c, p, n);

		if (w < 0)
			return after_write(e, c, w);
		if (w > 0)
			c->progress_ns = fb_clock_now_ns();
		sent = (size_t)w;
		*full = sent < n;
	}
	if (sent < n && queue_out(c, p + sent, n - sent) < 0) {
		vnc_edge_drop(e, c, "out of memory");
		return false;
	}
	return true;
}

/* Reads (and drops) LibVNCServer's side of the canned exchange: bytes
 * read, -EAGAIN or -errno; *want is how many were asked for. */
static ssize_t skip_canned(struct vnc_edge *e, struct vnc_edge_conn *c, size_t *want)
{
	bool head = c->lib_skip == SIZE_MAX;
	ssize_t r;

	*want = head ? sizeof(c->lib_head) - c->lib_head_len : c->lib_skip;
	if (*want > EDGE_SCRATCH_BYTES)
		*want = EDGE_SCRATCH_BYTES;
	r = recv(c->edge_fd, head ? c->lib_head + c->lib_head_len : e->scratch, *want,
		 MSG_DONTWAIT);
	if (r < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK ? -EAGAIN : -errno;
	if (head) {
		c->lib_head_len += (size_t)r;
		if (c->lib_head_len == sizeof(c->lib_head))
			c->lib_skip =
				vnc_edge_canned_reply_len(false, c->lib_head, c->lib_head_len) -
				c->lib_head_len;
	} else {
		c->lib_skip -= (size_t)r;
	}
	return r;
}

/* LibVNCServer wrote (or closed its end). Reads until its end is empty: a
 * read shorter than asked means it was (epoll reports what comes later),
 * so no read is spent on learning EAGAIN. */
static void on_lib(struct vnc_edge *e, struct vnc_edge_conn *c)
{
	size_t frame = atomic_load_explicit(&c->link->frame_bytes, memory_order_relaxed);
	bool full = false;
	char why[160];

	for (int i = 0; i < EDGE_LIB_READS_PER_EVENT; i++) {
		size_t want = EDGE_SCRATCH_BYTES;
		ssize_t r;

		if (c->lib_skip) {
			r = skip_canned(e, c, &want);
		} else {
			r = recv(c->edge_fd, e->scratch, want, MSG_DONTWAIT);
			if (r < 0)
				r = errno == EAGAIN || errno == EWOULDBLOCK ? -EAGAIN : -errno;
			else if (r > 0 && !pass_on(e, c, e->scratch, (size_t)r, &full))
				return;
		}
		if (r == -EAGAIN)
			break;
		if (r <= 0) {
			/* LibVNCServer is done with it: flush, then close. */
			close(c->edge_fd);
			c->edge_fd = -1;
			c->phase = PH_CLOSING;
			if (c->out.len == 0 && !vnc_edge_ws_wants_write(c) &&
			    !c->tls_send_pending) {
				vnc_edge_drop(e, c, NULL);
				return;
			}
			break;
		}
		if ((size_t)r < want)
			break;
	}
	atomic_store_explicit(&c->link->queued, c->out.len, memory_order_relaxed);
	if (c->out.len > vnc_edge_queue_bound(frame)) {
		snprintf(why, sizeof(why),
			 "not reading: %zu bytes queued, above the bound of %zu (%d frames of "
			 "%zu bytes)",
			 c->out.len, vnc_edge_queue_bound(frame), VNC_EDGE_QUEUE_FRAMES, frame);
		vnc_edge_count_slow_drop(e);
		vnc_edge_drop(e, c, why);
		return;
	}
	/* A socket that just took less than offered takes nothing more now:
	 * EPOLLOUT says when. */
	if (full ? after_write(e, c, 0) : vnc_edge_flush_out(e, c))
		vnc_edge_update_interest(e, c);
}

void vnc_edge_on_lib(struct vnc_edge *e, struct vnc_edge_conn *c)
{
	struct vnc_edge_link *l = output_begin(c);

	on_lib(e, c);
	output_end(l);
}
