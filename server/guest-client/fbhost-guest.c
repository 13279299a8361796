/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * server/guest-client/fbhost-guest.c - libfbhost-guest (fbhost-guest.h):
 * the client side of the attach protocol (fbhost-guest-proto.h). libc and
 * kernel headers only: attaching, the frame and its tracking, damage,
 * requests and events. The transport is fbhost-guest-wire.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "fb/uffd-compat.h"
#include "fbhost-guest-internal.h"

/* Registers [addr, addr+len) with our userfaultfd for async write-protect. */
static int guest_uffd_protect(struct fbhost_guest *g, void *addr, size_t len)
{
	struct uffdio_register reg = { .range = { (uintptr_t)addr, len },
				       .mode = UFFDIO_REGISTER_MODE_WP };
	struct uffdio_writeprotect wp = { .range = { (uintptr_t)addr, len },
					  .mode = UFFDIO_WRITEPROTECT_MODE_WP };

	if (ioctl(g->uffd, UFFDIO_REGISTER, &reg) != 0 ||
	    ioctl(g->uffd, UFFDIO_WRITEPROTECT, &wp) != 0)
		return guest_fail(g, errno, "userfaultfd: %s", strerror(errno));
	return 0;
}

/* Maps the mode of a MODE message, acknowledges it and drops the old map. */
static int guest_take_mode(struct fbhost_guest *g, struct guest_msg *m)
{
	struct fbg_mode md;
	struct fbg_mode_ack ack = { .hdr = { FBG_MODE_ACK, 0, sizeof(ack) } };
	size_t len;
	void *map;
	int rc;

	if (m->len != sizeof(md) || m->fd < 0)
		return guest_fail(g, EBADMSG, "MODE without its memory");
	memcpy(&md, m->data, sizeof(md));
	if (!md.width || !md.height || md.stride < md.width ||
	    (uint64_t)md.stride * md.height > md.map_bytes || md.map_bytes > ((uint64_t)1 << 40))
		return guest_fail(g, EBADMSG, "MODE with an impossible layout");
	len = (size_t)((md.map_bytes + GUEST_KERNEL_PAGE_BYTES - 1) / GUEST_KERNEL_PAGE_BYTES *
		       GUEST_KERNEL_PAGE_BYTES);
	map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, m->fd, 0);
	if (map == MAP_FAILED)
		return guest_fail(g, errno, "mmap: %s", strerror(errno));
	if (g->uffd >= 0) {
		rc = guest_uffd_protect(g, map, len);
		if (rc) {
			munmap(map, len);
			return rc;
		}
		ack.map_addr = (uintptr_t)map;
	}
	ack.generation = md.generation;
	rc = guest_send(g, &ack, sizeof(ack), -1);
	if (g->map)
		munmap(g->map, g->map_len);
	g->map = map;
	g->map_len = len;
	g->frame = (struct fbhost_guest_frame){ map,	   md.width,  md.height,
						md.stride, md.format, md.generation };
	g->npending = 0; /* damage of the old mode means nothing now */
	return rc;
}

static const char *guest_default_path(char *buf, size_t size)
{
	const char *env = getenv("FBHOST_GUEST_SOCKET"), *xdg = getenv("XDG_RUNTIME_DIR");
	struct stat st;

	if (env && env[0])
		return env;
	if (xdg && xdg[0] == '/' && stat(xdg, &st) == 0 && S_ISDIR(st.st_mode))
		snprintf(buf, size, "%s/fbhost-guest.sock", xdg);
	else
		snprintf(buf, size, "/tmp/fbhost-%u/fbhost-guest.sock", (unsigned)getuid());
	return buf;
}

struct fbhost_guest *fbhost_guest_attach(const char *path, const char *fb, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct fbg_hello hello = { .hdr = { FBG_HELLO, 0, sizeof(hello) },
				   .magic = FBG_MAGIC,
				   .version = FBG_VERSION };
	char pathbuf[sizeof(sa.sun_path)];
	struct fbhost_guest *g;
	struct guest_msg *m;
	struct fbg_welcome w;
	int rc;

	g = calloc(1, sizeof(*g));
	if (!g) {
		errno = ENOMEM;
		return NULL;
	}
	g->uffd = -1;
	g->tail = &g->head;
	g->tracking = FBHOST_GUEST_DAMAGE;
	if (!path)
		path = guest_default_path(pathbuf, sizeof(pathbuf));
	if (strlen(path) >= sizeof(sa.sun_path)) {
		rc = guest_fail(g, ENAMETOOLONG, "socket path too long");
		goto fail;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	snprintf(hello.fb, sizeof(hello.fb), "%s", fb ? fb : "0");
	g->fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (g->fd < 0 || connect(g->fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		rc = guest_fail(g, errno, "%s: %s", path, strerror(errno));
		goto fail;
	}
	rc = guest_send(g, &hello, sizeof(hello), -1);
	if (rc)
		goto fail;
	m = guest_wait(g, FBG_WELCOME, FBG_HELLO, &rc);
	if (!m)
		goto fail;
	memcpy(&w, m->data, sizeof(w) < m->len ? sizeof(w) : m->len);
	if (m->len != sizeof(w) || m->fd < 0 || !w.page_bytes || w.log_bytes * 8 < w.log_pages) {
		guest_msg_free(m);
		rc = guest_fail(g, EBADMSG, "bad WELCOME from fbhost");
		goto fail;
	}
	g->page_bytes = w.page_bytes;
	g->log_pages = w.log_pages;
	g->log_bytes = (size_t)w.log_bytes;
	g->log = mmap(NULL, g->log_bytes, PROT_READ | PROT_WRITE, MAP_SHARED, m->fd, 0);
	guest_msg_free(m);
	if (g->log == MAP_FAILED) {
		g->log = NULL;
		rc = guest_fail(g, errno, "mmap of the dirty log: %s", strerror(errno));
		goto fail;
	}
	m = guest_wait(g, FBG_MODE, FBG_HELLO, &rc);
	if (!m)
		goto fail;
	rc = guest_take_mode(g, m);
	guest_msg_free(m);
	if (rc)
		goto fail;
	return g;

fail:
	if (err)
		snprintf(err, errlen, "%s", g->err);
	fbhost_guest_detach(g);
	errno = -rc;
	return NULL;
}

void fbhost_guest_detach(struct fbhost_guest *g)
{
	if (!g)
		return;
	while (g->head) {
		struct guest_msg *m = g->head;

		g->head = m->next;
		guest_msg_free(m);
	}
	if (g->fd >= 0)
		close(g->fd);
	if (g->map)
		munmap(g->map, g->map_len);
	if (g->log)
		munmap(g->log, g->log_bytes);
	if (g->uffd >= 0)
		close(g->uffd);
	free(g);
}

const char *fbhost_guest_error(const struct fbhost_guest *g)
{
	return g->err;
}

int fbhost_guest_fd(const struct fbhost_guest *g)
{
	return g->fd;
}

const struct fbhost_guest_frame *fbhost_guest_frame(const struct fbhost_guest *g)
{
	return &g->frame;
}

const char *fbhost_guest_tracking_name(int mode)
{
	static const char *const names[] = { "damage", "log", "uffd-wp", "compare" };

	return mode >= 0 && mode <= FBHOST_GUEST_COMPARE ? names[mode] : "?";
}

int fbhost_guest_tracking(const struct fbhost_guest *g)
{
	return g->tracking;
}

/* A userfaultfd in WP_ASYNC mode for our own mappings, or -errno. */
static int guest_uffd_open(struct fbhost_guest *g)
{
	struct uffdio_api api = { .api = UFFD_API, .features = FB_UFFD_WP_FEATURES };
	int fd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK | UFFD_USER_MODE_ONLY);

	if (fd < 0)
		fd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return guest_fail(g, errno, "userfaultfd: %s", strerror(errno));
	if (ioctl(fd, UFFDIO_API, &api) != 0 ||
	    (api.features & FB_UFFD_WP_FEATURES) != FB_UFFD_WP_FEATURES) {
		close(fd);
		return guest_fail(g, ENOTSUP,
				  "the kernel lacks userfaultfd WP_ASYNC (Linux < 6.7)");
	}
	return fd;
}

int fbhost_guest_set_tracking(struct fbhost_guest *g, int mode_flags)
{
	int mode = mode_flags & ~FBHOST_GUEST_FRAMES;
	struct fbg_track t = { .hdr = { FBG_TRACK, 0, sizeof(t) },
			       .mode = (uint32_t)mode,
			       .flags = mode_flags & FBHOST_GUEST_FRAMES ? FBG_TRACK_FLAG_FRAMES
									 : 0 };
	struct fbg_track_state st;
	struct guest_msg *m;
	int pagemap = -1, rc;

	if ((unsigned)mode > FBHOST_GUEST_COMPARE)
		return guest_fail(g, EINVAL, "unknown tracking mode %d", (int)mode);
	if (g->uffd >= 0) { /* closing it unregisters our mapping */
		close(g->uffd);
		g->uffd = -1;
	}
	if (mode == FBHOST_GUEST_UFFD) {
		rc = guest_uffd_open(g);
		if (rc >= 0) {
			g->uffd = rc;
			rc = guest_uffd_protect(g, g->map, g->map_len);
		}
		if (rc == 0) {
			pagemap = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
			rc = pagemap < 0 ? guest_fail(g, errno, "/proc/self/pagemap: %s",
						      strerror(errno))
					 : 0;
		}
		if (rc) { /* the kernel cannot: fbhost compares instead */
			if (g->uffd >= 0)
				close(g->uffd);
			g->uffd = -1;
			t.mode = FBHOST_GUEST_COMPARE;
		} else {
			t.generation = g->frame.generation;
			t.map_addr = (uintptr_t)g->map;
		}
	}
	rc = guest_send(g, &t, sizeof(t), pagemap);
	if (pagemap >= 0)
		close(pagemap);
	if (rc)
		return rc;
	m = guest_wait(g, FBG_TRACK_STATE, FBG_TRACK, &rc);
	if (!m)
		return rc;
	memcpy(&st, m->data, sizeof(st) < m->len ? sizeof(st) : m->len);
	guest_msg_free(m);
	st.text[sizeof(st.text) - 1] = '\0';
	g->tracking = (int)st.mode;
	if (g->tracking != FBHOST_GUEST_UFFD && g->uffd >= 0) {
		close(g->uffd);
		g->uffd = -1;
	}
	if (st.error)
		guest_fail(g, st.error, "%s", st.text);
	g->npending = 0;
	return g->tracking;
}

static int guest_flush_damage(struct fbhost_guest *g)
{
	/* The message with room for the most rectangles (a struct ending in a
	 * flexible array cannot be a member: a byte buffer aligned for it). */
	_Alignas(struct fbg_damage) unsigned char
		buf[sizeof(struct fbg_damage) + FBG_DAMAGE_MAX_RECTS * sizeof(struct fbg_rect)];
	struct fbg_damage *d = (struct fbg_damage *)buf;
	size_t len = sizeof(*d) + g->npending * sizeof(struct fbg_rect);

	if (!g->npending)
		return 0;
	*d = (struct fbg_damage){ .hdr = { FBG_DAMAGE, 0, (uint32_t)len },
				  .generation = g->frame.generation,
				  .count = g->npending };
	memcpy(d->rects, g->pending, g->npending * sizeof(struct fbg_rect));
	g->npending = 0;
	return guest_send(g, buf, len, -1);
}

/* Sets the log bits of the pages under a clipped rectangle, after its
 * pixel stores (the caller drew first). Bits bound for the same log word
 * are gathered across rows and set with one atomic OR: a page or a
 * small rectangle's rows share a word (64 pages of 512 bytes). */
static void guest_log_rect(struct fbhost_guest *g, int x, int y, int w, int h)
{
	const struct fbhost_guest_frame *f = &g->frame;
	const uint64_t word_bits = 8 * sizeof(long);
	uint32_t bpp = (f->format >> 24) / 8;
	uint64_t word = UINT64_MAX;
	unsigned long bits = 0;

	if (!g->log_pages)
		return;
	for (int row = y; row < y + h; row++) {
		uint64_t s = (uint64_t)row * f->stride + (uint64_t)x * bpp;
		uint64_t e = s + (uint64_t)w * bpp;
		uint64_t last = (e - 1) / g->page_bytes;

		if (last >= g->log_pages)
			last = g->log_pages - 1;
		for (uint64_t p = s / g->page_bytes; p <= last; p++) {
			if (p / word_bits != word) {
				if (bits)
					atomic_fetch_or((_Atomic unsigned long *)&g->log[word],
							bits);
				word = p / word_bits;
				bits = 0;
			}
			bits |= 1UL << (p % word_bits);
		}
	}
	if (bits)
		atomic_fetch_or((_Atomic unsigned long *)&g->log[word], bits);
}

int fbhost_guest_damage(struct fbhost_guest *g, int x, int y, int w, int h)
{
	const struct fbhost_guest_frame *f = &g->frame;
	int64_t x1 = (int64_t)x + w, y1 = (int64_t)y + h;

	if (x < 0)
		x = 0;
	if (y < 0)
		y = 0;
	if (x1 > f->width)
		x1 = f->width;
	if (y1 > f->height)
		y1 = f->height;
	if (x >= x1 || y >= y1)
		return 0;
	w = (int)(x1 - x);
	h = (int)(y1 - y);
	if (g->tracking == FBHOST_GUEST_LOG) {
		guest_log_rect(g, x, y, w, h);
		return 0;
	}
	if (g->tracking != FBHOST_GUEST_DAMAGE)
		return 0;
	if (g->npending == FBG_DAMAGE_MAX_RECTS) {
		int rc = guest_flush_damage(g);

		if (rc)
			return rc;
	}
	g->pending[g->npending++] = (struct fbg_rect){ x, y, w, h };
	return 0;
}

int fbhost_guest_frame_done(struct fbhost_guest *g)
{
	struct fbg_hdr h = { FBG_FRAME, 0, sizeof(h) };
	int rc = guest_flush_damage(g);

	return rc ? rc : guest_send(g, &h, sizeof(h), -1);
}

int fbhost_guest_request_mode(struct fbhost_guest *g, uint32_t width, uint32_t height,
			      uint32_t format)
{
	struct fbg_mode_request r = { .hdr = { FBG_MODE_REQUEST, 0, sizeof(r) },
				      .width = width,
				      .height = height,
				      .format = format };

	return guest_send(g, &r, sizeof(r), -1);
}

int fbhost_guest_send_clipboard(struct fbhost_guest *g, const char *utf8, size_t len)
{
	char buf[FBG_MSG_MAX_BYTES];
	struct fbg_hdr h = { FBG_CLIPBOARD_OUT, 0, 0 };

	if (len > FBG_CLIPBOARD_MAX_BYTES)
		return guest_fail(g, E2BIG, "clipboard text over %zu bytes",
				  (size_t)FBG_CLIPBOARD_MAX_BYTES);
	h.size = (uint32_t)(sizeof(h) + len);
	memcpy(buf, &h, sizeof(h));
	memcpy(buf + sizeof(h), utf8, len);
	return guest_send(g, buf, h.size, -1);
}

/* Turns a message into an event: 1 if it is one, 0 if not, -errno. */
static int guest_event_of(struct fbhost_guest *g, struct guest_msg *m,
			  struct fbhost_guest_event *ev)
{
	struct fbg_hdr h;
	int rc;

	memcpy(&h, m->data, sizeof(h));
	memset(ev, 0, sizeof(*ev));
	switch (h.type) {
	case FBG_KEY: {
		struct fbg_key k;

		if (m->len != sizeof(k))
			return 0;
		memcpy(&k, m->data, sizeof(k));
		ev->type = FBHOST_GUEST_EV_KEY;
		ev->key.keysym = k.keysym;
		ev->key.down = k.down != 0;
		return 1;
	}
	case FBG_POINTER: {
		struct fbg_pointer p;

		if (m->len != sizeof(p))
			return 0;
		memcpy(&p, m->data, sizeof(p));
		ev->type = FBHOST_GUEST_EV_POINTER;
		ev->pointer.x = p.x;
		ev->pointer.y = p.y;
		ev->pointer.buttons = p.buttons;
		return 1;
	}
	case FBG_CLIPBOARD_IN:
		ev->type = FBHOST_GUEST_EV_CLIPBOARD;
		ev->clipboard.len = m->len - sizeof(h);
		memcpy(g->text, (char *)m->data + sizeof(h), ev->clipboard.len);
		g->text[ev->clipboard.len] = '\0';
		ev->clipboard.text = g->text;
		return 1;
	case FBG_RESIZE_REQUEST: {
		struct fbg_resize_request r;

		if (m->len != sizeof(r))
			return 0;
		memcpy(&r, m->data, sizeof(r));
		ev->type = FBHOST_GUEST_EV_RESIZE_REQUEST;
		ev->resize.width = r.width;
		ev->resize.height = r.height;
		return 1;
	}
	case FBG_MODE: {
		struct fbg_mode md;

		rc = guest_take_mode(g, m);
		if (rc)
			return rc;
		memcpy(&md, m->data, sizeof(md));
		ev->type = FBHOST_GUEST_EV_MODE;
		ev->mode.reason = md.reason;
		return 1;
	}
	case FBG_TRACK_STATE: {
		struct fbg_track_state st;

		if (m->len != sizeof(st))
			return 0;
		memcpy(&st, m->data, sizeof(st));
		g->tracking = (int)st.mode;
		ev->type = FBHOST_GUEST_EV_TRACKING;
		ev->tracking.mode = g->tracking;
		return 1;
	}
	case FBG_ERROR: {
		struct fbg_error e;

		if (m->len != sizeof(e))
			return 0;
		memcpy(&e, m->data, sizeof(e));
		e.text[sizeof(e.text) - 1] = '\0';
		snprintf(g->text, sizeof(g->text), "%s", e.text);
		guest_fail(g, e.code, "fbhost: %s", e.text);
		ev->type = FBHOST_GUEST_EV_ERROR;
		ev->error.code = e.code;
		ev->error.fatal = e.fatal != 0;
		ev->error.text = g->text;
		return 1;
	}
	}
	return 0; /* unknown to this version: ignored */
}

int fbhost_guest_next_event(struct fbhost_guest *g, struct fbhost_guest_event *ev, int timeout_ms)
{
	uint64_t end = timeout_ms < 0 ? UINT64_MAX : guest_now_ms() + (uint64_t)timeout_ms;

	for (;;) {
		struct guest_msg *m = g->head;
		int rc;

		if (m) {
			g->head = m->next;
			if (!g->head)
				g->tail = &g->head;
			g->queued--;
		} else {
			uint64_t now = guest_now_ms();
			int wait = end == UINT64_MAX ? -1 : now >= end ? 0 : (int)(end - now);

			m = guest_recv(g, wait, &rc);
			if (!m) {
				if (rc == -ECONNRESET || rc == -ENOTCONN) {
					memset(ev, 0, sizeof(*ev));
					ev->type = FBHOST_GUEST_EV_CLOSED;
					return 1;
				}
				if (rc || guest_now_ms() >= end)
					return rc;
				continue;
			}
		}
		rc = guest_event_of(g, m, ev);
		guest_msg_free(m);
		if (rc)
			return rc;
	}
}
