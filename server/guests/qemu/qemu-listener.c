/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * server/guests/qemu/qemu-listener.c - the org.qemu.Display1.Listener object
 * QEMU calls on the listener link (written from QEMU 7.2's
 * ui/dbus-display1.xml): Scanout switches the framebuffer's mode and fills
 * it, Update writes one rectangle (fbhost_blit marks exactly its pages),
 * Disable shows "display off", the DMABUF variants are refused with a hint,
 * CursorDefine and MouseSet become the framebuffer's cursor
 * (fbhost_cursor_*: VNC cursor shapes, the SDL window's cursor).
 * Runs on the guest thread (the listener connection was made there).
 *
 * Shared memory (QEMU 9.2 and later): the Listener's Interfaces property
 * offers org.qemu.Display1.Listener.Unix.Map. QEMU then passes a shareable
 * surface's memfd once (ScanoutMap) and afterwards only names the changed
 * rectangle (UpdateMap). The framebuffer then shows the file itself
 * (fbhost_map_file): UpdateMap only marks its rectangle, and the render
 * thread reads QEMU's pixels where QEMU drew them. No pixel is copied on the
 * way, nor crosses the socket. QEMU may be drawing while the render thread
 * reads (its own VNC server reads between two drawings, on the same
 * thread): a tick may show part of a drawing whose UpdateMap is still on
 * its way, and that UpdateMap then brings the rest.
 * QEMU 10 does not seal the file against shrinking: fbhost's mapping is
 * guarded (memory/ram-guard.c), a shrunk file reads as black, and the next
 * UpdateMap notices, logs it and keeps the last picture. When the file
 * cannot be mapped (fbhost_map_file refuses it), each rectangle is read
 * with pread into the framebuffer instead. The file must hold the whole
 * picture when it comes, and every UpdateMap is checked against the
 * picture. QEMU 7.2 reads no Interfaces property and calls none of this.
 *
 * Formats: QEMU names its surface format with a pixman format code. Those
 * with an fbhost format of the same layout are taken as they are:
 * x8r8g8b8, a8r8g8b8 (shown opaque, as QEMU's own VNC does), r8g8b8,
 * r5g6b5, x1r5g5b5. Every other code is refused (reason drawn on the
 * framebuffer and logged): fbhost's framebuffers hold native-endian words of
 * those layouts only, and the others (for example b8g8r8x8, which QEMU uses
 * for big-endian guests, or a2r10g10b10) would need a converting copy on
 * every update that the guest's own format could avoid.
 */
#include <errno.h>
#include <gio/gunixfdlist.h>
#include <pixman.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "server/guests/guest-draw.h"
#include "server/guests/qemu/qemu-guest.h"

/* Only what fbhost implements: QEMU 7.2's interface, and the shared-memory
 * one of later releases. */
static const char qemu_listener_xml[] = "<node>"
					" <interface name='org.qemu.Display1.Listener'>"
					"  <method name='Scanout'>"
					"   <arg type='u' name='width' direction='in'/>"
					"   <arg type='u' name='height' direction='in'/>"
					"   <arg type='u' name='stride' direction='in'/>"
					"   <arg type='u' name='pixman_format' direction='in'/>"
					"   <arg type='ay' name='data' direction='in'/>"
					"  </method>"
					"  <method name='Update'>"
					"   <arg type='i' name='x' direction='in'/>"
					"   <arg type='i' name='y' direction='in'/>"
					"   <arg type='i' name='width' direction='in'/>"
					"   <arg type='i' name='height' direction='in'/>"
					"   <arg type='u' name='stride' direction='in'/>"
					"   <arg type='u' name='pixman_format' direction='in'/>"
					"   <arg type='ay' name='data' direction='in'/>"
					"  </method>"
					"  <method name='ScanoutDMABUF'>"
					"   <arg type='h' name='dmabuf' direction='in'/>"
					"   <arg type='u' name='width' direction='in'/>"
					"   <arg type='u' name='height' direction='in'/>"
					"   <arg type='u' name='stride' direction='in'/>"
					"   <arg type='u' name='fourcc' direction='in'/>"
					"   <arg type='t' name='modifier' direction='in'/>"
					"   <arg type='b' name='y0_top' direction='in'/>"
					"  </method>"
					"  <method name='UpdateDMABUF'>"
					"   <arg type='i' name='x' direction='in'/>"
					"   <arg type='i' name='y' direction='in'/>"
					"   <arg type='i' name='width' direction='in'/>"
					"   <arg type='i' name='height' direction='in'/>"
					"  </method>"
					"  <method name='Disable'/>"
					"  <method name='MouseSet'>"
					"   <arg type='i' name='x' direction='in'/>"
					"   <arg type='i' name='y' direction='in'/>"
					"   <arg type='i' name='on' direction='in'/>"
					"  </method>"
					"  <method name='CursorDefine'>"
					"   <arg type='i' name='width' direction='in'/>"
					"   <arg type='i' name='height' direction='in'/>"
					"   <arg type='i' name='hot_x' direction='in'/>"
					"   <arg type='i' name='hot_y' direction='in'/>"
					"   <arg type='ay' name='data' direction='in'/>"
					"  </method>"
					"  <property name='Interfaces' type='as' access='read'/>"
					" </interface>"
					" <interface name='org.qemu.Display1.Listener.Unix.Map'>"
					"  <method name='ScanoutMap'>"
					"   <arg type='h' name='handle' direction='in'/>"
					"   <arg type='u' name='offset' direction='in'/>"
					"   <arg type='u' name='width' direction='in'/>"
					"   <arg type='u' name='height' direction='in'/>"
					"   <arg type='u' name='stride' direction='in'/>"
					"   <arg type='u' name='pixman_format' direction='in'/>"
					"  </method>"
					"  <method name='UpdateMap'>"
					"   <arg type='i' name='x' direction='in'/>"
					"   <arg type='i' name='y' direction='in'/>"
					"   <arg type='i' name='width' direction='in'/>"
					"   <arg type='i' name='height' direction='in'/>"
					"  </method>"
					" </interface>"
					"</node>";

#define QEMU_LISTENER_PATH "/org/qemu/Display1/Listener"
#define QEMU_LISTENER_IFACE "org.qemu.Display1.Listener"
#define QEMU_LISTENER_MAP_IFACE "org.qemu.Display1.Listener.Unix.Map"
/* Text scale of the notices drawn on the framebuffer. */
#define QEMU_NOTICE_SCALE 2
#define QEMU_NOTICE_RGB 0xc0c0c0u

#define qlog(g, level, ...) fbhost_log((g)->host, (level), "qemu: " __VA_ARGS__)

/* Logs a warning about one of QEMU's calls, at most QEMU_WARN_BURST a
 * window (qemu-guest.h): a QEMU that sends garbage in a loop cannot flood
 * the log. */
static void __attribute__((format(printf, 2, 3)))
qemu_listener_warn(struct qemu_guest *g, const char *fmt, ...)
{
	uint64_t now = fbhost_now_ns();
	char line[256];
	va_list ap;

	if (now - g->warn_window_ns >= QEMU_WARN_WINDOW_NS) {
		if (g->warn_suppressed)
			qlog(g, FBHOST_LOG_WARN,
			     "console %u: %u more warnings about QEMU's calls not logged",
			     g->console, g->warn_suppressed);
		g->warn_window_ns = now;
		g->warn_in_window = g->warn_suppressed = 0;
	}
	if (g->warn_in_window >= QEMU_WARN_BURST) {
		g->warn_suppressed++;
		return;
	}
	g->warn_in_window++;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	qlog(g, FBHOST_LOG_WARN, "console %u: %s", g->console, line);
}

/* fbhost's format of the same layout as a pixman code, or INVALID. */
static enum fbhost_format qemu_listener_format(uint32_t pixman_format)
{
	switch (pixman_format) {
	case PIXMAN_x8r8g8b8:
		return FBHOST_FORMAT_X8R8G8B8;
	case PIXMAN_a8r8g8b8:
		return FBHOST_FORMAT_A8R8G8B8;
	case PIXMAN_r8g8b8:
		return FBHOST_FORMAT_R8G8B8;
	case PIXMAN_r5g6b5:
		return FBHOST_FORMAT_R5G6B5;
	case PIXMAN_x1r5g5b5:
		return FBHOST_FORMAT_X1R5G5B5;
	default:
		return FBHOST_FORMAT_INVALID;
	}
}

void qemu_guest_draw_notice(struct qemu_guest *g, const char *text)
{
	struct fbhost_mode m = fbhost_fb_mode(g->fb);
	size_t len = strlen(text);
	int tw = guest_draw_text_width(len, QEMU_NOTICE_SCALE);
	int th = guest_draw_text_height(QEMU_NOTICE_SCALE);
	uint32_t *pixels;
	pixman_image_t *img;

	fbhost_fill(g->fb, 0, 0, (int)m.width, (int)m.height, 0);
	pixels = calloc((size_t)tw * (size_t)th, sizeof(uint32_t));
	if (!pixels)
		return;
	img = guest_draw_wrap(PIXMAN_x8r8g8b8, tw, th, pixels, (uint32_t)tw * 4u);
	if (img) {
		guest_draw_text(img, 0, 0, QEMU_NOTICE_SCALE, QEMU_NOTICE_RGB, 0, text, len);
		pixman_image_unref(img);
		fbhost_blit(g->fb, ((int)m.width - tw) / 2, ((int)m.height - th) / 2, pixels,
			    (uint32_t)tw, (uint32_t)th, (uint32_t)tw * 4u, FBHOST_FORMAT_X8R8G8B8);
	}
	free(pixels);
}

/* Refuses a scanout: keeps the mode, draws and logs the reason once. */
static void qemu_listener_refuse(struct qemu_guest *g, const char *notice, const char *why)
{
	if (g->state != QEMU_DISPLAY_REFUSED)
		qlog(g, FBHOST_LOG_WARN, "console %u: %s", g->console, why);
	g->state = QEMU_DISPLAY_REFUSED;
	qemu_guest_draw_notice(g, notice);
}

int qemu_guest_follow_mode(struct qemu_guest *g, uint32_t w, uint32_t h, enum fbhost_format format)
{
	struct fbhost_mode m = fbhost_fb_mode(g->fb);
	int rc;

	if (format == FBHOST_FORMAT_INVALID)
		format = m.format;
	if (m.width == w && m.height == h && m.format == format)
		return 0;
	rc = fbhost_resize(g->fb, w, h, format);
	if (rc) {
		char why[160];

		snprintf(why, sizeof(why), "mode %ux%u %s refused: %s", w, h,
			 fbhost_format_name(format), g_strerror(-rc));
		qemu_listener_refuse(g, "unsupported mode", why);
		return rc;
	}
	qlog(g, FBHOST_LOG_INFO, "console %u: mode %ux%u %s", g->console, w, h,
	     fbhost_format_name(format));
	return 0;
}

/* A scanout's format: fbhost's, or INVALID after refusing it. */
static enum fbhost_format qemu_listener_scanout_format(struct qemu_guest *g, uint32_t pformat)
{
	enum fbhost_format format = qemu_listener_format(pformat);
	char why[160];

	if (format != FBHOST_FORMAT_INVALID)
		return format;
	snprintf(why, sizeof(why),
		 "pixman format 0x%08x refused: fbhost shows x8r8g8b8, a8r8g8b8, r8g8b8, r5g6b5 "
		 "and x1r5g5b5 only",
		 pformat);
	qemu_listener_refuse(g, "unsupported pixel format", why);
	return FBHOST_FORMAT_INVALID;
}

static void qemu_listener_scanout(struct qemu_guest *g, GVariant *params)
{
	uint32_t w, h, stride, pformat;
	enum fbhost_format format;
	GVariant *data;
	const void *bytes;
	gsize n;

	g_variant_get(params, "(uuuu@ay)", &w, &h, &stride, &pformat, &data);
	bytes = g_variant_get_fixed_array(data, &n, 1);
	qemu_guest_map_release(g);
	format = qemu_listener_scanout_format(g, pformat);
	if (format == FBHOST_FORMAT_INVALID)
		goto out;
	if (w == 0 || h == 0 || stride < w * fbhost_format_bytes(format) ||
	    n < (gsize)stride * (h - 1) + (gsize)w * fbhost_format_bytes(format)) {
		qemu_listener_warn(g, "malformed Scanout %ux%u stride %u, %zu bytes", w, h, stride,
				   (size_t)n);
		goto out;
	}
	qemu_guest_heap_fit(g, n);
	if (qemu_guest_follow_mode(g, w, h, format))
		goto out;
	g->state = QEMU_DISPLAY_ON;
	fbhost_blit(g->fb, 0, 0, bytes, w, h, stride, format);
out:
	g_variant_unref(data);
}

static void qemu_listener_update(struct qemu_guest *g, GVariant *params)
{
	int32_t x, y, w, h;
	uint32_t stride, pformat;
	struct fbhost_mode m;
	enum fbhost_format format;
	GVariant *data;
	const void *bytes;
	gsize n;

	g_variant_get(params, "(iiiiuu@ay)", &x, &y, &w, &h, &stride, &pformat, &data);
	bytes = g_variant_get_fixed_array(data, &n, 1);
	format = qemu_listener_format(pformat);
	if (format == FBHOST_FORMAT_INVALID || w <= 0 || h <= 0)
		goto out;
	if (x < 0 || y < 0 || stride < (uint32_t)w * fbhost_format_bytes(format) ||
	    n < (gsize)stride * (gsize)(h - 1) + (gsize)w * fbhost_format_bytes(format)) {
		qemu_listener_warn(g, "malformed Update %dx%d+%d+%d, %zu bytes", w, h, x, y,
				   (size_t)n);
		goto out;
	}
	qemu_guest_heap_fit(g, n);
	/*
	 * QEMU 7.2 sends a Scanout only for an update of the whole surface; a
	 * new surface (a mode switch) shows up as the console's Width/Height
	 * properties and updates of the new size. An update beyond the mode,
	 * or in another format, means a switch not seen yet: the properties
	 * were set before QEMU drew into the new surface, so ask for them.
	 */
	m = fbhost_fb_mode(g->fb);
	if ((uint32_t)x + (uint32_t)w > m.width || (uint32_t)y + (uint32_t)h > m.height ||
	    format != m.format || g->state != QEMU_DISPLAY_ON) {
		if (qemu_guest_sync_size(g, format))
			goto out;
		g->state = QEMU_DISPLAY_ON;
	}
	/* Clipped to the mode and marked exactly (fbhost_blit). */
	fbhost_blit(g->fb, x, y, bytes, (uint32_t)w, (uint32_t)h, stride, format);
out:
	g_variant_unref(data);
}

/* Closes the map file, leaving the framebuffer as it is. */
static void qemu_listener_map_close(struct qemu_guest *g)
{
	if (g->map_fd >= 0)
		close(g->map_fd);
	g->map_fd = -1;
}

/* Copies a file the framebuffer still shows (this one, or the one before
 * a ScanoutMap that failed) into fbhost's own memory. */
static void qemu_listener_unmap(struct qemu_guest *g)
{
	if (fbhost_fb_file_mapped(g->fb, NULL))
		fbhost_unmap_file(g->fb);
}

void qemu_guest_map_release(struct qemu_guest *g)
{
	/* The last picture stays, in fbhost's own memory. */
	qemu_listener_unmap(g);
	qemu_listener_map_close(g);
}

/* Takes the memfd behind fds[handle] (0 or -errno, why set): a regular
 * file that holds need bytes. */
static int qemu_listener_take_map(struct qemu_guest *g, GDBusMethodInvocation *inv, int32_t handle,
				  size_t need, char *why, size_t whylen)
{
	GUnixFDList *fds =
		g_dbus_message_get_unix_fd_list(g_dbus_method_invocation_get_message(inv));
	struct stat st;
	int fd;

	if (!fds || handle < 0 || handle >= g_unix_fd_list_get_length(fds)) {
		snprintf(why, whylen, "ScanoutMap refused: no file descriptor %d in the message",
			 handle);
		return -EBADF;
	}
	fd = g_unix_fd_list_get(fds, handle, NULL);
	if (fd < 0) {
		snprintf(why, whylen, "ScanoutMap refused: cannot take its file descriptor");
		return -EBADF;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(why, whylen, "ScanoutMap refused: not a memory file");
		close(fd);
		return -EINVAL;
	}
	if ((uint64_t)st.st_size < need) {
		snprintf(why, whylen, "ScanoutMap refused: the file holds %lld bytes, not %zu",
			 (long long)st.st_size, need);
		close(fd);
		return -EINVAL;
	}
	g->map_fd = fd;
	return 0;
}

/* Reads exactly n bytes at off of the map file into dst. 0, or -EIO for a
 * file that QEMU shrank, or -errno. */
static int qemu_listener_read_map(struct qemu_guest *g, uint8_t *dst, size_t n, size_t off)
{
	while (n) {
		ssize_t got = pread(g->map_fd, dst, n, (off_t)off);

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return -errno;
		if (got == 0)
			return -EIO;
		dst += got;
		off += (size_t)got;
		n -= (size_t)got;
	}
	return 0;
}

/*
 * Copies the w x h rectangle at x,y (inside the shared picture) straight
 * into guest RAM and marks it, in one pixel section. One read for whole
 * rows when both sides have the same stride (a fbcon scroll), else one per
 * row. 0 or -errno (nothing is marked then; a mode that does not match
 * the shared picture any more is -ESTALE).
 */
static int qemu_listener_copy_map(struct qemu_guest *g, int32_t x, int32_t y, int32_t w, int32_t h)
{
	uint32_t bpp = fbhost_format_bytes(g->map_format);
	size_t row = (size_t)w * bpp;
	size_t at = g->map_offset + (size_t)y * g->map_stride + (size_t)x * bpp;
	struct fbhost_pixels px;
	uint8_t *dst;
	int rc = 0;

	fbhost_pixels_begin(g->fb, &px);
	if (px.width != g->map_width || px.height != g->map_height || px.format != g->map_format) {
		rc = -ESTALE;
		goto out;
	}
	dst = (uint8_t *)px.data + (size_t)y * px.stride + (size_t)x * bpp;
	if (row == g->map_stride && px.stride == g->map_stride) {
		rc = qemu_listener_read_map(g, dst, row * (size_t)h, at);
	} else {
		for (int32_t r = 0; r < h && rc == 0; r++)
			rc = qemu_listener_read_map(g, dst + (size_t)r * px.stride, row,
						    at + (size_t)r * g->map_stride);
	}
	if (rc == 0)
		fbhost_pixels_damage(g->fb, &px, x, y, w, h);
out:
	fbhost_pixels_end(g->fb, &px);
	return rc;
}

/*
 * ScanoutMap: the console's picture lives in a memfd that QEMU shares:
 * kept, the mode followed, the whole picture copied. A malformed call is
 * logged and answered with an error (why); NULL when taken.
 */
static const char *qemu_listener_scanout_map(struct qemu_guest *g, GVariant *params,
					     GDBusMethodInvocation *inv, char *why, size_t whylen)
{
	uint32_t offset, w, h, stride, pformat, bpp;
	struct fbhost_mode mode;
	bool shown, whole_rows;
	enum fbhost_format format;
	struct stat st;
	int32_t handle;
	size_t need;
	int rc;

	g_variant_get(params, "(huuuuu)", &handle, &offset, &w, &h, &stride, &pformat);
	/* The framebuffer keeps showing the old file until the new one is in. */
	qemu_listener_map_close(g);
	why[0] = '\0';
	if (qemu_listener_format(pformat) == FBHOST_FORMAT_INVALID)
		qemu_guest_map_release(g); /* the refusal draws in our own memory */
	format = qemu_listener_scanout_format(g, pformat);
	if (format == FBHOST_FORMAT_INVALID)
		return NULL;
	bpp = fbhost_format_bytes(format);
	if (w == 0 || h == 0 || w > INT32_MAX || h > INT32_MAX || stride < (uint64_t)w * bpp) {
		snprintf(why, whylen, "ScanoutMap %ux%u stride %u refused: malformed", w, h,
			 stride);
		goto refused;
	}
	need = (size_t)offset + (size_t)stride * (h - 1) + (size_t)w * bpp;
	if (qemu_listener_take_map(g, inv, handle, need, why, whylen) < 0)
		goto refused;
	g->map_offset = offset;
	g->map_width = w;
	g->map_height = h;
	g->map_stride = stride;
	g->map_format = format;
	mode = (struct fbhost_mode){ .width = w, .height = h, .stride = stride, .format = format };
	/* A mapping holds whole rows, the last one's padding too: a file that
	 * ends inside it is read, which is no error. Any other refusal (an
	 * fstat failure included) is one, and fbhost_map_file logs it. */
	whole_rows = fstat(g->map_fd, &st) < 0 ||
		     (uint64_t)st.st_size >= (uint64_t)offset + (uint64_t)stride * h;
	shown = whole_rows && fbhost_map_file(g->fb, g->map_fd, offset, &mode) == 0;
	if (!g->map_logged)
		qlog(g, FBHOST_LOG_INFO,
		     "console %u: QEMU shares the console's memory (ScanoutMap): %s", g->console,
		     shown ? "shown in place, no pixel copied" : "changed rectangles read from it");
	if (!whole_rows)
		qlog(g, FBHOST_LOG_INFO,
		     "console %u: ScanoutMap %ux%u: the file ends inside the last row's padding: "
		     "read, not mapped",
		     g->console, w, h);
	g->map_logged = true;
	if (shown) {
		g->state = QEMU_DISPLAY_ON;
		return NULL;
	}
	/* Read into our own memory, not into a file shown before. */
	qemu_listener_unmap(g);
	if (qemu_guest_follow_mode(g, w, h, format))
		return NULL;
	g->state = QEMU_DISPLAY_ON;
	rc = qemu_listener_copy_map(g, 0, 0, (int32_t)w, (int32_t)h);
	if (rc < 0)
		qemu_listener_warn(g, "ScanoutMap: reading the picture: %s", g_strerror(-rc));
	return NULL;
refused:
	qemu_guest_map_release(g);
	qemu_listener_warn(g, "%s", why);
	return why;
}

/* Whether the shown file no longer holds the picture (QEMU shrank it, or
 * a read of it already met the guard). */
static bool qemu_listener_map_shrunk(struct qemu_guest *g)
{
	size_t need = g->map_offset + (size_t)g->map_stride * g->map_height;
	bool lost = false;
	struct stat st;

	fbhost_fb_file_mapped(g->fb, &lost);
	return lost || fstat(g->map_fd, &st) < 0 || (uint64_t)st.st_size < need;
}

/* UpdateMap: a rectangle of the shared picture changed. Ignored without
 * one; outside it, or unreadable, it is logged. */
static void qemu_listener_update_map(struct qemu_guest *g, GVariant *params)
{
	int32_t x, y, w, h;
	int rc;

	g_variant_get(params, "(iiii)", &x, &y, &w, &h);
	if (g->map_fd < 0 || g->state != QEMU_DISPLAY_ON)
		return;
	if (x < 0 || y < 0 || w <= 0 || h <= 0 || (int64_t)x + w > (int64_t)g->map_width ||
	    (int64_t)y + h > (int64_t)g->map_height) {
		qemu_listener_warn(g, "UpdateMap %dx%d+%d+%d outside the %ux%u map", w, h, x, y,
				   g->map_width, g->map_height);
		return;
	}
	/* Every path out of ScanoutMap leaves the framebuffer showing the
	 * current file or no file at all. */
	if (fbhost_fb_file_mapped(g->fb, NULL)) {
		if (qemu_listener_map_shrunk(g)) {
			qemu_listener_warn(
				g, "UpdateMap: QEMU shrank the console's memory under "
				   "fbhost: keeping the last picture until the next scanout");
			qemu_guest_map_release(g);
			return;
		}
		/* QEMU drew it in the file we show: only say where. */
		fbhost_damage(g->fb, x, y, w, h);
		return;
	}
	rc = qemu_listener_copy_map(g, x, y, w, h);
	if (rc < 0 && rc != -ESTALE)
		qemu_listener_warn(g, "UpdateMap %dx%d+%d+%d: %s", w, h, x, y, g_strerror(-rc));
}

/*
 * CursorDefine: width x height ARGB32 words (QEMU's QEMUCursor data, host
 * order, taken as straight alpha as QEMU's own SDL and GTK frontends do)
 * with the hotspot inside. A bad size, hotspot or data length is logged
 * and refused with an error reply; the previous cursor stays. NULL or the
 * refusal's message.
 */
static const char *qemu_listener_cursor_define(struct qemu_guest *g, GVariant *params, char *why,
					       size_t whylen)
{
	int32_t w, h, hot_x, hot_y;
	GVariant *data;
	const void *bytes;
	uint32_t *argb = NULL;
	gsize n;

	g_variant_get(params, "(iiii@ay)", &w, &h, &hot_x, &hot_y, &data);
	bytes = g_variant_get_fixed_array(data, &n, 1);
	if (w <= 0 || h <= 0 || w > (int32_t)QEMU_CURSOR_MAX_SIDE_PX ||
	    h > (int32_t)QEMU_CURSOR_MAX_SIDE_PX)
		snprintf(why, whylen, "cursor %dx%d refused: sides are 1..%u px", w, h,
			 QEMU_CURSOR_MAX_SIDE_PX);
	else if (hot_x < 0 || hot_y < 0 || hot_x >= w || hot_y >= h)
		snprintf(why, whylen, "cursor %dx%d refused: hotspot %d,%d outside it", w, h, hot_x,
			 hot_y);
	else if (n != (gsize)w * (gsize)h * 4)
		snprintf(why, whylen, "cursor %dx%d refused: %zu bytes of data, not %zu", w, h,
			 (size_t)n, (size_t)w * (size_t)h * 4);
	else
		why[0] = '\0';
	if (!why[0]) {
		/* A copy: the message's bytes need not be word-aligned. */
		argb = g_malloc(n);
		memcpy(argb, bytes, n);
		if (fbhost_cursor_define(g->fb, (uint32_t)w, (uint32_t)h, (uint32_t)hot_x,
					 (uint32_t)hot_y, argb, (uint32_t)w * 4u))
			snprintf(why, whylen, "cursor %dx%d refused: %s", w, h,
				 fbhost_last_error());
		g_free(argb);
	}
	g_variant_unref(data);
	if (!why[0])
		return NULL;
	qemu_listener_warn(g, "%s", why);
	return why;
}

/* MouseSet: where QEMU's pointer is and whether it is shown. */
static void qemu_listener_mouse_set(struct qemu_guest *g, GVariant *params)
{
	int32_t x, y, on;

	g_variant_get(params, "(iii)", &x, &y, &on);
	fbhost_cursor_move(g->fb, x, y);
	fbhost_cursor_show(g->fb, on != 0);
}

static void qemu_listener_call(GDBusConnection *c, const gchar *sender, const gchar *path,
			       const gchar *iface, const gchar *method, GVariant *params,
			       GDBusMethodInvocation *inv, gpointer opaque)
{
	struct qemu_guest *g = opaque;

	if (strcmp(method, "Update") != 0 && strcmp(method, "UpdateMap") != 0)
		qlog(g, FBHOST_LOG_DEBUG, "console %u: %s", g->console, method ? method : "?");
	if (strcmp(method, "UpdateMap") == 0) {
		qemu_listener_update_map(g, params);
	} else if (strcmp(method, "ScanoutMap") == 0) {
		char why[160];

		if (qemu_listener_scanout_map(g, params, inv, why, sizeof(why))) {
			g_dbus_method_invocation_return_error(inv, G_DBUS_ERROR,
							      G_DBUS_ERROR_INVALID_ARGS, "%s", why);
			return;
		}
	} else if (strcmp(method, "Scanout") == 0) {
		qemu_listener_scanout(g, params);
	} else if (strcmp(method, "Update") == 0) {
		qemu_listener_update(g, params);
	} else if (strcmp(method, "Disable") == 0) {
		qemu_guest_map_release(g);
		if (g->state != QEMU_DISPLAY_OFF)
			qlog(g, FBHOST_LOG_INFO, "console %u: display off", g->console);
		g->state = QEMU_DISPLAY_OFF;
		qemu_guest_draw_notice(g, "display off");
	} else if (strcmp(method, "ScanoutDMABUF") == 0) {
		qemu_guest_map_release(g);
		qemu_listener_refuse(g, "DMABUF scanout: run QEMU with -display dbus,gl=off",
				     "QEMU sends DMABUF scanouts (gl=on), which fbhost cannot "
				     "read: start QEMU with -display dbus,gl=off");
	} else if (strcmp(method, "UpdateDMABUF") == 0) {
		/* refused at ScanoutDMABUF */
	} else if (strcmp(method, "MouseSet") == 0) {
		qemu_listener_mouse_set(g, params);
	} else if (strcmp(method, "CursorDefine") == 0) {
		char why[160];

		if (qemu_listener_cursor_define(g, params, why, sizeof(why))) {
			g_dbus_method_invocation_return_error(inv, G_DBUS_ERROR,
							      G_DBUS_ERROR_INVALID_ARGS, "%s", why);
			return;
		}
	} else {
		g_dbus_method_invocation_return_error(inv, G_DBUS_ERROR,
						      G_DBUS_ERROR_UNKNOWN_METHOD,
						      "fbhost does not implement %s", method);
		return;
	}
	g_dbus_method_invocation_return_value(inv, NULL);
}

/* Interfaces: the optional interfaces QEMU may use (QEMU 9.2 and later
 * read it; 7.2 does not). */
static GVariant *qemu_listener_get_property(GDBusConnection *c, const gchar *sender,
					    const gchar *path, const gchar *iface,
					    const gchar *prop, GError **error, gpointer opaque)
{
	static const gchar *const offered[] = { QEMU_LISTENER_MAP_IFACE };

	if (strcmp(prop, "Interfaces") == 0)
		return g_variant_new_strv(offered, G_N_ELEMENTS(offered));
	g_set_error(error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_PROPERTY, "no property %s", prop);
	return NULL;
}

static const GDBusInterfaceVTable qemu_listener_vtable = {
	.method_call = qemu_listener_call,
	.get_property = qemu_listener_get_property,
};

int qemu_guest_listener_register(struct qemu_guest *g, GError **error)
{
	static GDBusNodeInfo *node; /* parsed once, kept for the process's life */

	if (g_once_init_enter(&node))
		g_once_init_leave(&node, g_dbus_node_info_new_for_xml(qemu_listener_xml, NULL));
	if (!node) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "bad listener introspection");
		return -1;
	}
	g->listener_reg = g_dbus_connection_register_object(
		g->listener, QEMU_LISTENER_PATH,
		g_dbus_node_info_lookup_interface(node, QEMU_LISTENER_IFACE), &qemu_listener_vtable,
		g, NULL, error);
	if (!g->listener_reg)
		return -1;
	g->listener_map_reg = g_dbus_connection_register_object(
		g->listener, QEMU_LISTENER_PATH,
		g_dbus_node_info_lookup_interface(node, QEMU_LISTENER_MAP_IFACE),
		&qemu_listener_vtable, g, NULL, error);
	return g->listener_map_reg ? 0 : -1;
}
