// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vnc/vnc-edge-loop.c - the edge thread (see vnc-edge.h): accepts
 * connections, enforces the connection limits and the handshake deadline,
 * runs the security exchange, and moves bytes between each client socket
 * and its LibVNCServer socketpair without ever blocking: whole messages in,
 * a bounded output queue out. A client that stops reading is put on hold
 * by the VNC thread above one frame queued, and dropped here above
 * VNC_EDGE_QUEUE_FRAMES frames or after the slow-client timeout without
 * progress. Nobody else waits for it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vnc/vnc-edge.h"
#include "vnc/vnc-internal.h"

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
	struct edge_conn *c;
	int fd;
};

enum edge_phase {
	PH_SNIFF,     /* accepted; waiting VNC_EDGE_SNIFF_MS for first bytes */
	PH_HANDSHAKE, /* version and security exchange */
	PH_LINKED,    /* authenticated; LibVNCServer serves it */
	PH_CLOSING,   /* flushing what is queued for the client, then close */
};

/* One connection. Edge thread only; link is shared (see its comment). */
struct edge_conn {
	struct edge_conn *next, *prev;
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
	struct vnc_edge_buf out; /* bytes for the client */
	/* LibVNCServer's side of the canned exchange, dropped: its first
	 * bytes, then how many remain (SIZE_MAX until known). */
	uint8_t lib_head[13];
	size_t lib_head_len, lib_skip;
	struct vnc_edge_link *link;
};

/* The edge of one VNC server. Fields are edge-thread only except stop
 * (atomic) and the immutable ones set before the thread starts. */
struct vnc_edge {
	struct vnc_server *s; /* immutable */
	pthread_t thread;     /* immutable once started */
	int epfd, wake_fd;    /* immutable */
	int listen_fd[2];     /* immutable; -1 if none */
	struct edge_ep ep_wake, ep_listen[2];
	struct vnc_edge_secrets sec; /* immutable */
	atomic_bool stop;
	struct edge_conn *conns, *dead;
	unsigned nconns;
	uint64_t next_id;
	uint64_t refusal_logged_ns;
	unsigned refusals_unlogged;
	uint8_t *scratch;
};

void vnc_edge_link_unref(struct vnc_edge_link *l)
{
	if (l && atomic_fetch_sub_explicit(&l->refs, 1, memory_order_acq_rel) == 1)
		free(l);
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
static void log_refusal(struct vnc_edge *e, const char *what, const char *addr, const char *why)
{
	uint64_t now = vnc_now_ns();

	if (e->refusal_logged_ns &&
	    now - e->refusal_logged_ns < VNC_EDGE_REFUSAL_LOG_MS * NS_PER_MS) {
		e->refusals_unlogged++;
		return;
	}
	if (e->refusals_unlogged)
		vnc_log(e->s, "%s %s: %s (and %u more refused or dropped since the last such line)",
			what, addr, why, e->refusals_unlogged);
	else
		vnc_log(e->s, "%s %s: %s", what, addr, why);
	e->refusal_logged_ns = now;
	e->refusals_unlogged = 0;
}

static void set_events(struct vnc_edge *e, int fd, struct edge_ep *ep, uint32_t *cur, uint32_t want)
{
	struct epoll_event ev = {.events = want, .data.ptr = ep};

	if (*cur == want)
		return;
	if (epoll_ctl(e->epfd, EPOLL_CTL_MOD, fd, &ev) < 0)
		vnc_log(e->s, "epoll_ctl: %s", strerror(errno));
	*cur = want;
}

/* Registers what c waits for now. */
static void update_interest(struct vnc_edge *e, struct edge_conn *c)
{
	bool read_client = c->phase != PH_CLOSING && c->fwd.len < VNC_EDGE_INPUT_MAX_BYTES &&
			   c->in.len < EDGE_IN_MAX_BYTES;
	uint32_t real = (read_client ? EPOLLIN | EPOLLRDHUP : 0) | (c->out.len ? EPOLLOUT : 0);

	set_events(e, c->fd, &c->ep_real, &c->real_events, real);
	if (c->edge_fd >= 0)
		set_events(e, c->edge_fd, &c->ep_lib, &c->lib_events,
			   EPOLLIN | (c->fwd.len ? EPOLLOUT : 0));
}

/* Closes c. With a reason, a linked client's disconnect line (VNC thread)
 * gives it; an unlinked one is logged here, rate-limited. */
static void drop(struct vnc_edge *e, struct edge_conn *c, const char *why)
{
	if (c->dead)
		return;
	if (c->link) {
		if (why) {
			snprintf(c->link->reason_buf, sizeof(c->link->reason_buf), "%s", why);
			atomic_store_explicit(&c->link->reason, c->link->reason_buf,
					      memory_order_release);
		}
		atomic_store_explicit(&c->link->queued, 0, memory_order_relaxed);
		vnc_edge_link_unref(c->link);
		c->link = NULL;
	} else if (why) {
		log_refusal(e, "dropping", c->address, why);
	}
	/* Closing removes them from epoll. */
	if (c->edge_fd >= 0)
		close(c->edge_fd);
	if (c->fd >= 0)
		close(c->fd);
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

static void count_slow_drop(struct vnc_edge *e)
{
	struct vnc_server *s = e->s;

	pthread_mutex_lock(&s->stats_lock);
	s->stats.slow_disconnects++;
	pthread_mutex_unlock(&s->stats_lock);
}

/* Queues bytes for the client, starting its no-progress clock if the
 * queue was empty. */
static int queue_out(struct edge_conn *c, const void *p, size_t n)
{
	if (c->out.len == 0)
		c->progress_ns = vnc_now_ns();
	return vnc_edge_buf_append(&c->out, p, n);
}

/* Writes what is queued for the client. False if c was dropped. */
static bool flush_out(struct vnc_edge *e, struct edge_conn *c)
{
	ssize_t w = vnc_edge_buf_write(&c->out, c->fd);
	char why[96];

	if (w < 0) {
		snprintf(why, sizeof(why), "write failed: %s", strerror((int)-w));
		drop(e, c, c->phase == PH_LINKED ? why : NULL);
		return false;
	}
	if (w > 0)
		c->progress_ns = vnc_now_ns();
	if (c->link) {
		atomic_store_explicit(&c->link->queued, c->out.len, memory_order_relaxed);
		if (atomic_load_explicit(&c->link->held, memory_order_relaxed) &&
		    c->out.len <= vnc_edge_hold_bytes(atomic_load_explicit(&c->link->frame_bytes,
									   memory_order_relaxed)))
			vnc_wake(e->s); /* it may take updates again */
	}
	if (c->phase == PH_CLOSING && c->out.len == 0) {
		drop(e, c, NULL);
		return false;
	}
	return true;
}

/* Writes whole messages into LibVNCServer's end. False if c was dropped. */
static bool flush_fwd(struct vnc_edge *e, struct edge_conn *c)
{
	ssize_t w = vnc_edge_buf_write(&c->fwd, c->edge_fd);

	if (w < 0) {
		drop(e, c, NULL); /* LibVNCServer closed it: its line says why */
		return false;
	}
	return true;
}

/* Sends our version: the client is treated as RFB from now on. */
static bool start_rfb(struct vnc_edge *e, struct edge_conn *c)
{
	c->phase = PH_HANDSHAKE;
	c->hs.state = VNC_EDGE_HS_VERSION;
	if (queue_out(c, vnc_edge_server_version, 12) < 0) {
		drop(e, c, "out of memory");
		return false;
	}
	return flush_out(e, c);
}

static struct vnc_edge_link *new_link(struct edge_conn *c, int lib_fd, bool legacy)
{
	struct vnc_edge_link *l = calloc(1, sizeof(*l));

	if (!l)
		return NULL;
	l->id = c->id;
	memcpy(l->address, c->address, sizeof(l->address));
	l->lib_fd = lib_fd;
	l->legacy = legacy;
	l->view_only = c->hs.view_only;
	atomic_init(&l->refs, legacy ? 1 : 2);
	atomic_init(&l->queued, 0);
	atomic_init(&l->frame_bytes, 0);
	atomic_init(&l->held, false);
	atomic_init(&l->reason, NULL);
	return l;
}

/* A browser (WebSocket or TLS first bytes): LibVNCServer serves its
 * socket itself, as before the edge existed. */
static void hand_over_legacy(struct vnc_edge *e, struct edge_conn *c)
{
	struct vnc_edge_link *l = new_link(c, c->fd, true);

	if (!l) {
		drop(e, c, "out of memory");
		return;
	}
	epoll_ctl(e->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	c->fd = -1; /* the VNC thread owns it now */
	drop(e, c, NULL);
	vnc_server_adopt(e->s, l);
}

/* Authenticated: the socketpair, pre-filled with the canned client side
 * of the exchange, goes to the VNC thread. False if c was dropped. */
static bool link_up(struct vnc_edge *e, struct edge_conn *c)
{
	int sv[2], buf = EDGE_SOCKETPAIR_BUF_BYTES;
	uint8_t canned[32];
	size_t n = vnc_edge_canned_client(e->sec.password != NULL, canned, sizeof(canned));
	struct epoll_event ev;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		drop(e, c, "no socketpair for LibVNCServer");
		return false;
	}
	if (sv[0] >= FD_SETSIZE) {
		close(sv[0]);
		close(sv[1]);
		drop(e, c, "descriptor beyond LibVNCServer's select() limit");
		return false;
	}
	for (int i = 0; i < 2; i++) {
		setsockopt(sv[i], SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
		setsockopt(sv[i], SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
	}
	c->link = new_link(c, sv[0], false);
	if (!c->link || vnc_edge_buf_append(&c->fwd, canned, n) < 0) {
		close(sv[0]);
		close(sv[1]);
		drop(e, c, "out of memory");
		return false;
	}
	c->edge_fd = sv[1];
	c->ep_lib = (struct edge_ep){.kind = EP_LIB, .c = c, .fd = sv[1]};
	c->lib_events = EPOLLIN;
	ev = (struct epoll_event){.events = EPOLLIN, .data.ptr = &c->ep_lib};
	if (epoll_ctl(e->epfd, EPOLL_CTL_ADD, sv[1], &ev) < 0) {
		close(sv[0]);
		free(c->link); /* nobody else has it yet */
		c->link = NULL;
		drop(e, c, "epoll_ctl failed");
		return false;
	}
	c->lib_skip = SIZE_MAX;
	c->phase = PH_LINKED;
	vnc_server_adopt(e->s, c->link);
	return flush_fwd(e, c);
}

/* Handshake bytes from the client. False if c was dropped. */
static bool run_handshake(struct vnc_edge *e, struct edge_conn *c)
{
	char why[160] = "";

	while (c->phase == PH_HANDSHAKE) {
		size_t used = 0;
		int rc = vnc_edge_hs_input(&c->hs, &e->sec, c->in.data + c->in.head, c->in.len,
					   &used, &c->out, why, sizeof(why));

		vnc_edge_buf_consume(&c->in, used);
		if (rc == 1)
			return flush_out(e, c) && link_up(e, c);
		if (rc < 0) {
			log_refusal(e, "refusing", c->address, why);
			c->phase = PH_CLOSING;
			vnc_edge_buf_free(&c->in);
			if (c->out.len == 0) {
				drop(e, c, NULL);
				return false;
			}
			return flush_out(e, c);
		}
		if (used == 0)
			break;
	}
	return flush_out(e, c);
}

/* Frames the client's messages for LibVNCServer. False if c was dropped. */
static bool run_framer(struct vnc_edge *e, struct edge_conn *c)
{
	char why[160];

	while (c->in.len && c->fwd.len < VNC_EDGE_INPUT_MAX_BYTES) {
		uint8_t *p = c->in.data + c->in.head;
		bool init = !c->framer.client_init_done;
		ssize_t len = vnc_edge_frame(&c->framer, p, c->in.len, why, sizeof(why));

		if (len < 0) {
			char reason[200];

			snprintf(reason, sizeof(reason), "protocol error: %s", why);
			drop(e, c, reason);
			return false;
		}
		if (len == 0)
			break;
		if (!init && c->link->view_only &&
		    (p[0] == VNC_MSG_KEY || p[0] == VNC_MSG_POINTER || p[0] == VNC_MSG_CUT_TEXT)) {
			vnc_edge_buf_consume(&c->in, (size_t)len);
			continue; /* a view-only client's input never goes further */
		}
		if (!init && p[0] == VNC_MSG_SET_DESKTOP_SIZE)
			p[0] = VNC_EDGE_MSG_SET_DESKTOP_SIZE;
		if (vnc_edge_buf_append(&c->fwd, p, (size_t)len) < 0) {
			drop(e, c, "out of memory");
			return false;
		}
		vnc_edge_buf_consume(&c->in, (size_t)len);
	}
	return flush_fwd(e, c);
}

/* The client's socket is readable (or hung up). */
static void on_client(struct vnc_edge *e, struct edge_conn *c, uint32_t events)
{
	ssize_t r;

	if (c->phase == PH_SNIFF) {
		uint8_t b[1];

		r = recv(c->fd, b, sizeof(b), MSG_PEEK | MSG_DONTWAIT);
		if (r == 0 || (r < 0 && errno != EAGAIN)) {
			drop(e, c, NULL);
			return;
		}
		if (r < 0)
			return;
		if (b[0] == 'G' || b[0] == 0x16) {
			hand_over_legacy(e, c);
			return;
		}
		if (!start_rfb(e, c))
			return;
	}
	if (c->phase == PH_CLOSING) {
		if (events & (EPOLLHUP | EPOLLERR))
			drop(e, c, NULL);
		return;
	}
	r = vnc_edge_buf_read(&c->in, c->fd, EDGE_IN_MAX_BYTES - c->in.len, e->scratch,
			      EDGE_SCRATCH_BYTES);
	if (r == 0 || (r < 0 && r != -EAGAIN)) {
		drop(e, c, r == -ENOMEM ? "out of memory" : NULL);
		return;
	}
	if (c->phase == PH_HANDSHAKE && !run_handshake(e, c))
		return;
	if (c->phase == PH_LINKED && !run_framer(e, c))
		return;
	update_interest(e, c);
}

/* LibVNCServer wrote (or closed its end). */
static void on_lib(struct vnc_edge *e, struct edge_conn *c)
{
	size_t frame = atomic_load_explicit(&c->link->frame_bytes, memory_order_relaxed);
	char why[160];

	for (int i = 0; i < EDGE_LIB_READS_PER_EVENT; i++) {
		size_t before = c->out.len;
		ssize_t r;

		if (c->lib_skip) {
			/* Its side of the canned exchange: never for the client. */
			size_t want = c->lib_skip == SIZE_MAX
					  ? sizeof(c->lib_head) - c->lib_head_len
					  : c->lib_skip;

			r = recv(
			    c->edge_fd,
			    c->lib_skip == SIZE_MAX ? c->lib_head + c->lib_head_len : e->scratch,
			    want < EDGE_SCRATCH_BYTES ? want : EDGE_SCRATCH_BYTES, MSG_DONTWAIT);
			if (r > 0 && c->lib_skip == SIZE_MAX) {
				c->lib_head_len += (size_t)r;
				if (c->lib_head_len == sizeof(c->lib_head))
					c->lib_skip = vnc_edge_canned_reply_len(
							  e->sec.password != NULL, c->lib_head,
							  c->lib_head_len) -
						      c->lib_head_len;
			} else if (r > 0) {
				c->lib_skip -= (size_t)r;
			}
			if (r < 0)
				r = errno == EAGAIN ? -EAGAIN : -errno;
		} else {
			r = vnc_edge_buf_read(&c->out, c->edge_fd, SIZE_MAX, e->scratch,
					      EDGE_SCRATCH_BYTES);
			if (r > 0 && before == 0)
				c->progress_ns = vnc_now_ns();
		}
		if (r == -EAGAIN)
			break;
		if (r <= 0) {
			/* LibVNCServer is done with it: flush, then close. */
			close(c->edge_fd);
			c->edge_fd = -1;
			c->phase = PH_CLOSING;
			if (c->out.len == 0) {
				drop(e, c, NULL);
				return;
			}
			break;
		}
	}
	atomic_store_explicit(&c->link->queued, c->out.len, memory_order_relaxed);
	if (c->out.len > vnc_edge_queue_bound(frame)) {
		snprintf(why, sizeof(why),
			 "not reading: %zu bytes queued, above the bound of %zu (%d frames of "
			 "%zu bytes)",
			 c->out.len, vnc_edge_queue_bound(frame), VNC_EDGE_QUEUE_FRAMES, frame);
		count_slow_drop(e);
		drop(e, c, why);
		return;
	}
	if (flush_out(e, c))
		update_interest(e, c);
}

static void format_address(const struct sockaddr_storage *ss, socklen_t len, char *addr,
			   size_t addrlen, char *host, size_t hostlen)
{
	char port[8];

	if (getnameinfo((const struct sockaddr *)ss, len, host, (socklen_t)hostlen, port,
			sizeof(port), NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
		snprintf(host, hostlen, "unknown");
		snprintf(addr, addrlen, "unknown");
	} else if (ss->ss_family == AF_INET6) {
		snprintf(addr, addrlen, "[%s]:%s", host, port);
	} else {
		snprintf(addr, addrlen, "%s:%s", host, port);
	}
}

static void accept_one(struct vnc_edge *e, int fd, const struct sockaddr_storage *ss, socklen_t sl)
{
	struct edge_conn *c;
	struct epoll_event ev;
	char addr[VNC_ADDRESS_MAX], host[INET6_ADDRSTRLEN], why[128];
	unsigned same = 0;
	int one = 1;

	format_address(ss, sl, addr, sizeof(addr), host, sizeof(host));
	for (c = e->conns; c; c = c->next)
		same += !strcmp(c->host, host);
	if (e->nconns >= VNC_EDGE_MAX_CONNECTIONS) {
		snprintf(why, sizeof(why), "already %u connections (limit %d)", e->nconns,
			 VNC_EDGE_MAX_CONNECTIONS);
		goto refuse;
	}
	if (same >= VNC_EDGE_MAX_PER_ADDRESS) {
		snprintf(why, sizeof(why), "already %u connections from %s (limit %d)", same, host,
			 VNC_EDGE_MAX_PER_ADDRESS);
		goto refuse;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		snprintf(why, sizeof(why), "out of memory");
		goto refuse;
	}
	c->id = ++e->next_id;
	memcpy(c->address, addr, sizeof(addr));
	memcpy(c->host, host, sizeof(host));
	c->fd = fd;
	c->edge_fd = -1;
	c->phase = PH_SNIFF;
	c->accepted_ns = vnc_now_ns();
	c->ep_real = (struct edge_ep){.kind = EP_REAL, .c = c, .fd = fd};
	c->real_events = EPOLLIN | EPOLLRDHUP;
	ev = (struct epoll_event){.events = c->real_events, .data.ptr = &c->ep_real};
	if (epoll_ctl(e->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		snprintf(why, sizeof(why), "epoll_ctl: %s", strerror(errno));
		free(c);
		goto refuse;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c->next = e->conns;
	if (e->conns)
		e->conns->prev = c;
	e->conns = c;
	e->nconns++;
	return;

refuse:
	close(fd);
	log_refusal(e, "refusing", addr, why);
}

static void accept_all(struct vnc_edge *e, int lfd)
{
	for (;;) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		int fd = accept4(lfd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd >= 0) {
			accept_one(e, fd, &ss, sl);
			continue;
		}
		if (errno == EINTR || errno == ECONNABORTED)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			vnc_log(e->s, "accept failed: %s", strerror(errno));
		return;
	}
}

/* Runs the deadlines; returns the epoll timeout (ms) until the next. */
static int run_timers(struct vnc_edge *e)
{
	uint64_t now = vnc_now_ns(), next = UINT64_MAX;
	uint64_t stall_ns = (uint64_t)e->s->slow_timeout_ms * NS_PER_MS;
	unsigned hs_ms = e->s->cfg.handshake_timeout_ms ? e->s->cfg.handshake_timeout_ms
							: VNC_EDGE_HANDSHAKE_MS;
	struct edge_conn *c, *n;
	char why[160];

	for (c = e->conns; c; c = n) {
		uint64_t due;

		n = c->next;
		if (c->phase == PH_SNIFF) {
			due = c->accepted_ns + VNC_EDGE_SNIFF_MS * NS_PER_MS;
			if (now >= due) {
				if (!start_rfb(e, c))
					continue;
				update_interest(e, c);
			} else if (due < next) {
				next = due;
			}
		}
		if (c->phase == PH_SNIFF || c->phase == PH_HANDSHAKE) {
			due = c->accepted_ns + hs_ms * NS_PER_MS;
			if (now >= due) {
				snprintf(why, sizeof(why), "not authenticated within %u ms", hs_ms);
				drop(e, c, why);
				continue;
			}
			if (due < next)
				next = due;
		}
		if (c->out.len) {
			due = c->progress_ns + stall_ns;
			if (now >= due) {
				snprintf(why, sizeof(why),
					 "not reading: %zu bytes queued, none written for %u ms",
					 c->out.len, e->s->slow_timeout_ms);
				if (c->link)
					count_slow_drop(e);
				drop(e, c, c->phase == PH_CLOSING ? NULL : why);
				continue;
			}
			if (due < next)
				next = due;
		}
	}
	if (next == UINT64_MAX)
		return -1;
	return (int)((next - now + NS_PER_MS - 1) / NS_PER_MS);
}

static void free_dead(struct vnc_edge *e)
{
	while (e->dead) {
		struct edge_conn *c = e->dead;

		e->dead = c->next;
		free(c);
	}
}

static void *edge_main(void *arg)
{
	struct vnc_edge *e = arg;
	struct epoll_event ev[EDGE_EVENTS_MAX];

	while (!atomic_load(&e->stop)) {
		int n = epoll_wait(e->epfd, ev, EDGE_EVENTS_MAX, run_timers(e));

		if (n < 0 && errno != EINTR)
			vnc_log(e->s, "epoll_wait failed: %s", strerror(errno));
		for (int i = 0; i < n; i++) {
			struct edge_ep *ep = ev[i].data.ptr;
			uint64_t v;

			switch (ep->kind) {
			case EP_WAKE:
				if (read(e->wake_fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
					vnc_log(e->s, "eventfd: %s", strerror(errno));
				break;
			case EP_LISTEN:
				accept_all(e, ep->fd);
				break;
			case EP_REAL:
				if (ep->c->dead)
					break;
				if (ev[i].events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
					on_client(e, ep->c, ev[i].events);
				if (!ep->c->dead && (ev[i].events & EPOLLOUT) &&
				    flush_out(e, ep->c))
					update_interest(e, ep->c);
				break;
			case EP_LIB:
				if (ep->c->dead || ep->c->edge_fd < 0)
					break;
				if (ev[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
					on_lib(e, ep->c);
				if (!ep->c->dead && ep->c->edge_fd >= 0 &&
				    (ev[i].events & EPOLLOUT) && flush_fwd(e, ep->c))
					update_interest(e, ep->c);
				break;
			}
		}
		free_dead(e);
	}
	while (e->conns)
		drop(e, e->conns, "server shutting down");
	free_dead(e);
	return NULL;
}

static int watch(struct vnc_edge *e, struct edge_ep *ep, enum edge_ep_kind kind, int fd)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = ep};

	*ep = (struct edge_ep){.kind = kind, .fd = fd};
	return epoll_ctl(e->epfd, EPOLL_CTL_ADD, fd, &ev);
}

struct vnc_edge *vnc_edge_new(struct vnc_server *s, int fd4, int fd6, char *err, size_t errlen)
{
	struct vnc_edge *e = calloc(1, sizeof(*e));
	int rc;

	if (!e || !(e->scratch = malloc(EDGE_SCRATCH_BYTES))) {
		snprintf(err, errlen, "out of memory");
		rc = ENOMEM;
		goto fail_alloc;
	}
	e->s = s;
	e->listen_fd[0] = fd4;
	e->listen_fd[1] = fd6;
	e->sec.password = s->password;
	e->sec.view_password = s->view_password;
	atomic_init(&e->stop, false);
	e->epfd = epoll_create1(EPOLL_CLOEXEC);
	e->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (e->epfd < 0 || e->wake_fd < 0 || watch(e, &e->ep_wake, EP_WAKE, e->wake_fd) < 0)
		goto fail_epoll;
	for (int i = 0; i < 2; i++)
		if (e->listen_fd[i] >= 0 &&
		    watch(e, &e->ep_listen[i], EP_LISTEN, e->listen_fd[i]) < 0)
			goto fail_epoll;
	rc = pthread_create(&e->thread, NULL, edge_main, e);
	if (rc) {
		snprintf(err, errlen, "cannot start the edge thread: %s", strerror(rc));
		goto fail_thread;
	}
	{
		char name[16];

		snprintf(name, sizeof(name), "edge-%s", fb_name(s->fb));
		pthread_setname_np(e->thread, name);
	}
	return e;

fail_epoll:
	rc = errno;
	snprintf(err, errlen, "cannot set up the edge: %s", strerror(rc));
fail_thread:
	if (e->epfd >= 0)
		close(e->epfd);
	if (e->wake_fd >= 0)
		close(e->wake_fd);
fail_alloc:
	if (e)
		free(e->scratch);
	free(e);
	if (fd4 >= 0)
		close(fd4);
	if (fd6 >= 0)
		close(fd6);
	errno = rc;
	return NULL;
}

void vnc_edge_free(struct vnc_edge *e)
{
	uint64_t one = 1;

	if (!e)
		return;
	atomic_store(&e->stop, true);
	if (write(e->wake_fd, &one, sizeof(one)) < 0)
		vnc_log(e->s, "eventfd: %s", strerror(errno));
	pthread_join(e->thread, NULL);
	for (int i = 0; i < 2; i++)
		if (e->listen_fd[i] >= 0)
			close(e->listen_fd[i]);
	close(e->epfd);
	close(e->wake_fd);
	free(e->scratch);
	free(e);
}
