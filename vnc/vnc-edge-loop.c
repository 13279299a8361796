/* SPDX-License-Identifier: GPL-2.0-or-later */
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

#include "vnc/vnc-edge-conn.h"
#include "vnc/vnc-internal.h"

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
	struct vnc_edge_conn *c;
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
	c->accepted_ns = c->progress_ns = fb_clock_now_ns();
	c->ep_real = (struct edge_ep){ .kind = EP_REAL, .c = c, .fd = fd };
	c->real_events = EPOLLIN | EPOLLRDHUP;
	ev = (struct epoll_event){ .events = c->real_events, .data.ptr = &c->ep_real };
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
	vnc_edge_log_refusal(e, "refusing", addr, why);
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
	uint64_t now = fb_clock_now_ns(), next = UINT64_MAX;
	uint64_t stall_ns = (uint64_t)e->s->slow_timeout_ms * NS_PER_MS;
	unsigned hs_ms = e->s->cfg.handshake_timeout_ms ? e->s->cfg.handshake_timeout_ms
							: VNC_EDGE_HANDSHAKE_MS;
	struct vnc_edge_conn *c, *n;
	char why[160];

	for (c = e->conns; c; c = n) {
		uint64_t due;

		n = c->next;
		if (c->phase == PH_SNIFF) {
			due = c->accepted_ns + VNC_EDGE_SNIFF_MS * NS_PER_MS;
			if (now >= due) {
				if (!vnc_edge_start_rfb(e, c))
					continue;
				vnc_edge_update_interest(e, c);
			} else if (due < next) {
				next = due;
			}
		}
		if (c->phase == PH_SNIFF || c->phase == PH_UPGRADE || c->phase == PH_HANDSHAKE) {
			due = c->accepted_ns + hs_ms * NS_PER_MS;
			if (now >= due) {
				snprintf(why, sizeof(why), "not authenticated within %u ms", hs_ms);
				vnc_edge_drop(e, c, why);
				continue;
			}
			if (due < next)
				next = due;
		}
		if (c->out.len || vnc_edge_ws_queued_msgs(c)) {
			due = c->progress_ns + stall_ns;
			if (now >= due) {
				if (c->ws)
					snprintf(why, sizeof(why),
						 "not reading: %zu bytes and %zu WebSocket "
						 "messages queued, none written for %u ms",
						 c->out.len, vnc_edge_ws_queued_msgs(c),
						 e->s->slow_timeout_ms);
				else
					snprintf(why, sizeof(why),
						 "not reading: %zu bytes queued, none written "
						 "for %u ms",
						 c->out.len, e->s->slow_timeout_ms);
				if (c->link)
					vnc_edge_count_slow_drop(e);
				vnc_edge_drop(e, c, c->phase == PH_CLOSING ? NULL : why);
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
		struct vnc_edge_conn *c = e->dead;

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
				/* A TLS handshake may wait on either direction. */
				if ((ev[i].events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) ||
				    (ep->c->tls && ep->c->tls_handshaking))
					vnc_edge_on_client(e, ep->c, ev[i].events);
				if (!ep->c->dead && (ev[i].events & EPOLLOUT) &&
				    vnc_edge_flush_out_linked(e, ep->c))
					vnc_edge_after_room(e, ep->c);
				break;
			case EP_LIB:
				if (ep->c->dead || ep->c->edge_fd < 0)
					break;
				if (ev[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
					vnc_edge_on_lib(e, ep->c);
				if (!ep->c->dead && ep->c->edge_fd >= 0 &&
				    (ev[i].events & EPOLLOUT) && vnc_edge_flush_fwd(e, ep->c))
					vnc_edge_after_room(e, ep->c);
				break;
			}
		}
		free_dead(e);
	}
	while (e->conns)
		vnc_edge_drop(e, e->conns, "server shutting down");
	free_dead(e);
	return NULL;
}

static int watch(struct vnc_edge *e, struct edge_ep *ep, enum edge_ep_kind kind, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = ep };

	*ep = (struct edge_ep){ .kind = kind, .fd = fd };
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
	e->sec.tls_only = s->cfg.tls_only;
	atomic_init(&e->stop, false);
	if (s->cert_file && vnc_edge_tls_init(e, s->cert_file, s->key_file, err, errlen) < 0) {
		rc = EINVAL;
		goto fail_tls;
	}
	e->sec.tls = e->cred != NULL;
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
	vnc_edge_tls_fini(e);
fail_tls:
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
	vnc_edge_tls_fini(e);
	free(e->scratch);
	free(e);
}
