/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * server/lib/attach/attach-msg.c - the attach protocol's messages
 * (attach-protocol.md): the framing check every client message passes
 * first (attach_msg_check, also the fuzz target), then what each does, and
 * what the server sends: WELCOME with the dirty log, MODE with the memfd of
 * the mode's pixels, TRACK_STATE, input, ERROR.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fb/track-uffd.h"
#include "fb/uffd-compat.h"
#include "server/lib/attach/attach-internal.h"

_Static_assert(sizeof(struct fbg_hdr) == 8, "wire layout");
_Static_assert(sizeof(struct fbg_hello) == 80, "wire layout");
_Static_assert(sizeof(struct fbg_welcome) == 56, "wire layout");
_Static_assert(sizeof(struct fbg_mode) == 56, "wire layout");
_Static_assert(sizeof(struct fbg_mode_ack) == 24, "wire layout");
_Static_assert(sizeof(struct fbg_mode_request) == 24, "wire layout");
_Static_assert(sizeof(struct fbg_track) == 32, "wire layout");
_Static_assert(sizeof(struct fbg_track_state) == 272, "wire layout");
_Static_assert(sizeof(struct fbg_damage) == 24, "wire layout");
_Static_assert(sizeof(struct fbg_key) == 16, "wire layout");
_Static_assert(sizeof(struct fbg_pointer) == 24, "wire layout");
_Static_assert(sizeof(struct fbg_resize_request) == 16, "wire layout");
_Static_assert(sizeof(struct fbg_error) == 272, "wire layout");

/* ---- framing ------------------------------------------------------------ */

int attach_msg_check(const void *buf, size_t len, unsigned nfds, const char **why)
{
	struct fbg_hdr h;
	size_t want = 0;
	bool exact = true;
	unsigned fds_allowed = 0;

	if (len < sizeof(h)) {
		*why = "truncated message: shorter than its header";
		return -EBADMSG;
	}
	memcpy(&h, buf, sizeof(h));
	if (h.size != len) {
		*why = "message size field does not match the bytes received";
		return -EBADMSG;
	}
	if (h.flags != 0) {
		*why = "message flags must be 0";
		return -EBADMSG;
	}
	switch (h.type) {
	case FBG_HELLO:
		want = sizeof(struct fbg_hello);
		break;
	case FBG_TRACK:
		want = sizeof(struct fbg_track);
		fds_allowed = 1;
		break;
	case FBG_MODE_ACK:
		want = sizeof(struct fbg_mode_ack);
		break;
	case FBG_MODE_REQUEST:
		want = sizeof(struct fbg_mode_request);
		break;
	case FBG_DAMAGE: {
		struct fbg_damage d;

		if (len < sizeof(d)) {
			*why = "truncated DAMAGE message";
			return -EBADMSG;
		}
		memcpy(&d, buf, sizeof(d));
		if (d.count > FBG_DAMAGE_MAX_RECTS) {
			*why = "DAMAGE with more rectangles than FBG_DAMAGE_MAX_RECTS";
			return -EBADMSG;
		}
		want = sizeof(d) + d.count * sizeof(struct fbg_rect);
		break;
	}
	case FBG_FRAME:
		want = sizeof(struct fbg_hdr);
		break;
	case FBG_CLIPBOARD_OUT:
		want = sizeof(struct fbg_hdr);
		exact = false;
		break;
	default:
		*why = "unknown message type";
		return -ENOTSUP;
	}
	if (exact ? len != want : len < want) {
		*why = len < want ? "truncated message: shorter than its type"
				  : "message longer than its type";
		return -EBADMSG;
	}
	if (nfds > fds_allowed) {
		*why = "unexpected descriptor with this message";
		return -EBADF;
	}
	return 0;
}

/* ---- sending ------------------------------------------------------------ */

int attach_send(struct attach_conn *c, const void *msg, size_t len, int fd)
{
	union fbg_fd_control ctl;
	struct iovec iov = { (void *)msg, len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	int rc = 0;

	fbg_msg_attach_fd(&mh, &ctl, fd);
	pthread_mutex_lock(&c->send_lock);
	if (c->fd < 0)
		rc = -ENOTCONN;
	else if (sendmsg(c->fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL) != (ssize_t)len)
		rc = -errno;
	pthread_mutex_unlock(&c->send_lock);
	return rc;
}

void attach_send_error(struct attach_conn *c, int code, uint16_t about, bool fatal, const char *fmt,
		       ...)
{
	struct fbg_error e = { .hdr = { FBG_ERROR, 0, sizeof(e) } };
	va_list ap;

	if (fatal)
		c->closing = true;
	if (c->errors_sent >= ATTACH_MAX_ERROR_REPLIES && !fatal)
		return;
	c->errors_sent++;
	e.code = code;
	e.about = about;
	e.fatal = fatal;
	va_start(ap, fmt);
	vsnprintf(e.text, sizeof(e.text), fmt, ap);
	va_end(ap);
	fbhost_log(c->srv->host, fatal ? FBHOST_LOG_WARN : FBHOST_LOG_INFO, "attach: pid %d: %s%s",
		   (int)c->pid, e.text, fatal ? " (closing)" : "");
	attach_send(c, &e, sizeof(e), -1);
}

void attach_send_mode(struct attach_conn *c, uint32_t reason)
{
	struct fbg_mode m = { .hdr = { FBG_MODE, 0, sizeof(m) }, .reason = reason };
	struct fb_device *dev = (c->fb)->dev;
	uint64_t gen = 0;
	struct fb_mode mode;
	size_t cap;
	int fd, rc;

	rc = fb_mode_memfd(dev, &fd, &cap, &mode, &gen);
	if (rc) {
		attach_send_error(c, -rc, 0, true, "cannot share the framebuffer: %s",
				  strerror(-rc));
		return;
	}
	m.generation = gen;
	m.width = mode.width;
	m.height = mode.height;
	m.stride = mode.stride;
	m.format = (uint32_t)mode.format;
	m.bytes = (uint64_t)mode.stride * mode.height;
	m.map_bytes = cap;
	rc = attach_send(c, &m, sizeof(m), fd);
	close(fd);
	if (rc == 0) {
		c->sent_generation = gen;
		c->modes_unacked++;
	} else if (rc != -EAGAIN)
		c->closing = true;
	/* EAGAIN: the client does not read; the attach thread sends it again
	 * (ATTACH_MODE_RETRY_MS). */
}

static void attach_send_track_state(struct attach_conn *c, int error, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void attach_send_track_state(struct attach_conn *c, int error, const char *fmt, ...)
{
	struct fbg_track_state t = { .hdr = { FBG_TRACK_STATE, 0, sizeof(t) } };
	va_list ap;

	t.mode = c->tracking;
	t.error = error;
	va_start(ap, fmt);
	vsnprintf(t.text, sizeof(t.text), fmt, ap);
	va_end(ap);
	attach_send(c, &t, sizeof(t), -1);
}

/* ---- input from viewers (frontend threads) -------------------------------- */

static void attach_on_key(void *opaque, struct fbhost_fb *fb, uint32_t keysym, bool down)
{
	struct fbg_key k = { .hdr = { FBG_KEY, 0, sizeof(k) }, .keysym = keysym, .down = down };

	(void)fb;
	attach_send(opaque, &k, sizeof(k), -1);
}

static void attach_on_pointer(void *opaque, struct fbhost_fb *fb, int x, int y, uint32_t buttons)
{
	struct fbg_pointer p = {
		.hdr = { FBG_POINTER, 0, sizeof(p) }, .x = x, .y = y, .buttons = buttons
	};

	(void)fb;
	attach_send(opaque, &p, sizeof(p), -1);
}

static void attach_on_clipboard(void *opaque, struct fbhost_fb *fb, const char *utf8, size_t len)
{
	char buf[FBG_MSG_MAX_BYTES];
	struct fbg_hdr h = { FBG_CLIPBOARD_IN, 0, 0 };

	(void)fb;
	if (len > FBG_CLIPBOARD_MAX_BYTES)
		len = FBG_CLIPBOARD_MAX_BYTES; /* the protocol's limit: cut */
	h.size = (uint32_t)(sizeof(h) + len);
	memcpy(buf, &h, sizeof(h));
	memcpy(buf + sizeof(h), utf8, len);
	attach_send(opaque, buf, h.size, -1);
}

static int attach_on_resize(void *opaque, struct fbhost_fb *fb, uint32_t width, uint32_t height)
{
	struct fbg_resize_request r = { .hdr = { FBG_RESIZE_REQUEST, 0, sizeof(r) },
					.width = width,
					.height = height };

	(void)fb;
	/* Accepted means passed on: the client answers with MODE_REQUEST. */
	return attach_send(opaque, &r, sizeof(r), -1);
}

static const struct fbhost_input_callbacks attach_input = {
	.key = attach_on_key,
	.pointer = attach_on_pointer,
	.clipboard = attach_on_clipboard,
	.resize_request = attach_on_resize,
};

/* ---- client messages ------------------------------------------------------ */

/* A sealed memfd for the dirty log, mapped here. 0 or -errno. */
static int attach_log_new(struct attach_conn *c, struct fb_device *dev)
{
	size_t page = ram_page_size(c->srv->host->ram);
	uint64_t max_bytes = FB_DEFAULT_MAX_BYTES;

	(void)dev;
	c->log_pages = (max_bytes + page - 1) / page;
	c->log_bytes = (size_t)((c->log_pages + 63) / 64 * 8 + 4095) / 4096 * 4096;
	c->log_fd = memfd_create("fbhost-dirty-log", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (c->log_fd < 0)
		return -errno;
	if (ftruncate(c->log_fd, (off_t)c->log_bytes) != 0 ||
	    fcntl(c->log_fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) != 0)
		return -errno;
	c->log = mmap(NULL, c->log_bytes, PROT_READ | PROT_WRITE, MAP_SHARED, c->log_fd, 0);
	if (c->log == MAP_FAILED) {
		c->log = NULL;
		return -errno;
	}
	return 0;
}

static struct fbhost_fb *attach_find_fb(struct fbhost *h, const char *name)
{
	char *end;
	unsigned long id;

	if (!name[0])
		return fbhost_fb_by_id(h, 0);
	id = strtoul(name, &end, 10);
	if (*end == '\0' && end != name)
		return fbhost_fb_by_id(h, (unsigned)id);
	return fbhost_fb_by_name(h, name);
}

static void attach_hello(struct attach_conn *c, const struct fbg_hello *m)
{
	struct attach_server *s = c->srv;
	struct fbg_welcome w = { .hdr = { FBG_WELCOME, 0, sizeof(w) } };
	char name[FBG_NAME_BYTES + 1];
	struct fbhost_fb *fb;
	struct fb_device *dev;
	unsigned id;
	int rc;

	if (c->fb) {
		attach_send_error(c, EISCONN, FBG_HELLO, false, "HELLO again: already attached");
		return;
	}
	if (m->magic != FBG_MAGIC) {
		attach_send_error(c, EPROTO, FBG_HELLO, true, "bad magic 0x%08x (expected 0x%08x)",
				  m->magic, FBG_MAGIC);
		return;
	}
	if (m->version != FBG_VERSION) {
		attach_send_error(c, EPROTONOSUPPORT, FBG_HELLO, true,
				  "protocol version %u not supported (this server speaks %u)",
				  m->version, FBG_VERSION);
		return;
	}
	memcpy(name, m->fb, FBG_NAME_BYTES);
	name[FBG_NAME_BYTES] = '\0';
	fb = attach_find_fb(s->host, name);
	if (!fb) {
		attach_send_error(c, ENOENT, FBG_HELLO, true, "no framebuffer \"%s\"", name);
		return;
	}
	id = fbhost_fb_id(fb);
	if (id >= FBHOST_MAX_FRAMEBUFFERS) {
		attach_send_error(c, ERANGE, FBG_HELLO, true, "framebuffer id out of range");
		return;
	}
	pthread_mutex_lock(&s->status_lock);
	rc = s->status[id].attached ? -EBUSY : 0;
	if (!rc)
		s->status[id] = (struct attach_fb_status){ true, c->pid, FBG_TRACK_DAMAGE };
	pthread_mutex_unlock(&s->status_lock);
	if (rc) {
		attach_send_error(c, EBUSY, FBG_HELLO, true,
				  "framebuffer %u is attached by another client", id);
		return;
	}
	c->fb = fb;
	dev = (fb)->dev;
	rc = attach_log_new(c, dev);
	if (rc) {
		attach_send_error(c, -rc, FBG_HELLO, true, "cannot make the dirty log: %s",
				  strerror(-rc));
		return;
	}
	/* A client may lag a mode behind: its old-mode writes must land in
	 * the retired block, never in the new picture. */
	fb_set_block_per_mode(dev, true);
	fb_set_mode_notify(dev, attach_mode_notify, s);
	rc = fbhost_input_add(fb, &attach_input, c);
	if (rc) {
		attach_send_error(c, -rc, FBG_HELLO, true, "cannot take the input: %s",
				  strerror(-rc));
		return;
	}
	w.magic = FBG_MAGIC;
	w.version = FBG_VERSION;
	w.fb_id = id;
	w.page_bytes = (uint32_t)ram_page_size(s->host->ram);
	w.log_pages = c->log_pages;
	w.log_bytes = c->log_bytes;
	w.max_bytes = FB_DEFAULT_MAX_BYTES;
	w.max_side = FB_MAX_SIDE_PX;
	if (attach_send(c, &w, sizeof(w), c->log_fd) != 0) {
		c->closing = true;
		return;
	}
	fbhost_log(s->host, FBHOST_LOG_INFO, "%s: guest pid %d attached", fbhost_fb_name(fb),
		   (int)c->pid);
	attach_send_mode(c, FBG_MODE_INITIAL);
}

/* Whether fd is a /proc/PID/pagemap that PAGEMAP_SCAN accepts: an empty
 * scan of a one-page range at address 0 (nothing is mapped there). */
static int attach_check_pagemap(int fd)
{
	struct page_region vec[1];
	struct pm_scan_arg a = { .size = sizeof(a),
				 .start = 0,
				 .end = FB_UFFD_PAGE_BYTES,
				 .vec = (uintptr_t)vec,
				 .vec_len = 1,
				 .category_mask = PAGE_IS_WRITTEN,
				 .return_mask = PAGE_IS_WRITTEN };
	struct stat st;

	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
		return -EBADF;
	if (ioctl(fd, PAGEMAP_SCAN, &a) < 0)
		return errno == ENOTTY ? -EBADF : -errno;
	return 0;
}

static void attach_track(struct attach_conn *c, const struct fbg_track *m, int fd)
{
	struct fb_device *dev = c->fb->dev;
	struct fb_track_config tc = { .pagemap_fd = -1,
				      .writer_kicks = (m->flags & FBG_TRACK_FLAG_FRAMES) != 0 };
	uint32_t asked = m->mode;
	int rc = 0;

	if (m->flags & ~FBG_TRACK_FLAG_FRAMES) {
		attach_send_error(c, EINVAL, FBG_TRACK, false, "unknown TRACK flags 0x%x",
				  m->flags);
		return;
	}
	if (asked > FBG_TRACK_COMPARE || (fd >= 0) != (asked == FBG_TRACK_UFFD)) {
		attach_send_error(c, EINVAL, FBG_TRACK, false,
				  asked > FBG_TRACK_COMPARE ? "unknown tracking mode %u"
							    : "tracking mode %u: the pagemap "
							      "descriptor goes with uffd-wp only",
				  asked);
		return;
	}
	switch (asked) {
	case FBG_TRACK_DAMAGE:
		fb_track_stop(dev);
		break;
	case FBG_TRACK_LOG:
		tc.mode = FB_TRACK_LOG;
		tc.log = c->log;
		tc.log_pages = c->log_pages;
		rc = fb_track_start(dev, &tc);
		break;
	case FBG_TRACK_UFFD:
		rc = attach_check_pagemap(fd);
		if (rc == 0) {
			tc.mode = FB_TRACK_UFFD;
			tc.pagemap_fd = fd;
			rc = fb_track_start(dev, &tc);
		}
		if (rc == 0)
			rc = fb_track_uffd_mapped(dev, m->generation, m->map_addr);
		break;
	case FBG_TRACK_COMPARE:
		tc.mode = FB_TRACK_COMPARE;
		rc = fb_track_start(dev, &tc);
		break;
	}
	if (rc && asked != FBG_TRACK_COMPARE) {
		/* The fallback every kernel has. */
		tc.mode = FB_TRACK_COMPARE;
		c->tracking = fb_track_start(dev, &tc) == 0 ? FBG_TRACK_COMPARE : FBG_TRACK_DAMAGE;
	} else {
		c->tracking = rc ? FBG_TRACK_DAMAGE : asked;
	}
	if (rc) {
		fbhost_log(c->srv->host, FBHOST_LOG_WARN,
			   "%s: guest pid %d: tracking %s refused (%s); "
			   "tracking by %s",
			   fbhost_fb_name(c->fb), (int)c->pid,
			   fb_track_mode_name((enum fb_track_mode)asked), strerror(-rc),
			   fb_track_mode_name((enum fb_track_mode)c->tracking));
		attach_send_track_state(c, -rc, "%s refused: %s%s; tracking by %s",
					fb_track_mode_name((enum fb_track_mode)asked),
					strerror(-rc),
					rc == -EBADF ? " (not a /proc/PID/pagemap descriptor)" : "",
					fb_track_mode_name((enum fb_track_mode)c->tracking));
	} else {
		attach_send_track_state(c, 0, "tracking by %s",
					fb_track_mode_name((enum fb_track_mode)c->tracking));
	}
	attach_set_status(c->srv, fbhost_fb_id(c->fb),
			  &(struct attach_fb_status){ true, c->pid, c->tracking });
}

static void attach_mode_request(struct attach_conn *c, const struct fbg_mode_request *m)
{
	struct fb_device *dev = (c->fb)->dev;
	struct fb_mode mode = fb_get_mode(dev);
	int rc;

	if (c->modes_unacked >= ATTACH_MAX_UNACKED_MODES) {
		attach_send_error(c, EBUSY, FBG_MODE_REQUEST, false,
				  "mode %ux%u refused: %u modes sent and not acknowledged "
				  "(MODE_ACK), at most %u",
				  m->width, m->height, c->modes_unacked, ATTACH_MAX_UNACKED_MODES);
		return;
	}
	mode.width = m->width;
	mode.height = m->height;
	mode.stride = 0;
	if (m->format)
		mode.format = (pixman_format_code_t)m->format;
	/* As fbhost_resize: VNC viewers would keep the old picture. (A mode
	 * that is no mode at all is left to fb_set_mode to refuse.) */
	if (fb_mode_check(&mode, 0) == 0 && !fbhost_vnc_mode_fits(c->fb, &mode)) {
		attach_send_error(c, E2BIG, FBG_MODE_REQUEST, false,
				  "mode %ux%u is too large for VNC (width at most %u)", m->width,
				  m->height, FBHOST_VNC_MAX_WIDTH_PX);
		return;
	}
	rc = fb_set_mode(dev, &mode);
	if (rc) {
		attach_send_error(c, -rc, FBG_MODE_REQUEST, false,
				  "mode %ux%u format 0x%08x refused: %s", m->width, m->height,
				  (unsigned)mode.format, strerror(-rc));
		return;
	}
	attach_send_mode(c, FBG_MODE_CLIENT);
}

void attach_msg_handle(struct attach_conn *c, const void *buf, size_t len, int *fds, unsigned nfds)
{
	struct fbg_hdr h;
	int fd = nfds ? fds[0] : -1;

	memcpy(&h, buf, sizeof(h));
	if (!c->fb && h.type != FBG_HELLO) {
		attach_send_error(c, EPROTO, h.type, true, "the first message must be HELLO");
		goto out;
	}
	switch (h.type) {
	case FBG_HELLO: {
		struct fbg_hello m;

		memcpy(&m, buf, sizeof(m));
		attach_hello(c, &m);
		break;
	}
	case FBG_TRACK: {
		struct fbg_track m;

		memcpy(&m, buf, sizeof(m));
		attach_track(c, &m, fd);
		break;
	}
	case FBG_MODE_ACK: {
		struct fbg_mode_ack m;

		memcpy(&m, buf, sizeof(m));
		if (m.generation != c->sent_generation)
			break; /* an older mode: a newer MODE is on its way */
		c->acked_generation = m.generation;
		c->modes_unacked = 0;
		if (c->tracking == FBG_TRACK_UFFD &&
		    fb_track_uffd_mapped((c->fb)->dev, m.generation, m.map_addr) != 0)
			attach_send_error(c, EINVAL, FBG_MODE_ACK, false,
					  "uffd-wp: bad mapping address 0x%llx",
					  (unsigned long long)m.map_addr);
		break;
	}
	case FBG_MODE_REQUEST: {
		struct fbg_mode_request m;

		memcpy(&m, buf, sizeof(m));
		attach_mode_request(c, &m);
		break;
	}
	case FBG_DAMAGE: {
		struct fbg_damage d;
		struct fbg_rect r;

		memcpy(&d, buf, sizeof(d));
		for (uint32_t i = 0; i < d.count; i++) {
			memcpy(&r, (const char *)buf + sizeof(d) + i * sizeof(r), sizeof(r));
			fb_mark_dirty_gen((c->fb)->dev, d.generation, r.x, r.y, r.w, r.h);
		}
		break;
	}
	case FBG_FRAME:
		fb_track_frame_done(c->fb->dev);
		break;
	case FBG_CLIPBOARD_OUT:
		fb_send_clipboard((c->fb)->dev, (const char *)buf + sizeof(h), len - sizeof(h));
		break;
	}
out:
	if (fd >= 0)
		close(fd);
}
