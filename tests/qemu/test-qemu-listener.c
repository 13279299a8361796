/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tests/qemu/test-qemu-listener.c - the qemu guest's Listener object
 * (server/guests/qemu/qemu-listener.c) against a peer that plays QEMU's
 * side of the D-Bus display protocol: a peer-to-peer GDBus connection on a
 * socketpair, QEMU's end authenticating as the server, as QEMU does after
 * RegisterListener. It calls Scanout, CursorDefine, MouseSet and Disable
 * as QEMU 7.2 does and checks what the framebuffer holds: the exact cursor
 * image and hotspot, its position and visibility, the "display off"
 * notice; that hostile cursors (too large, hotspot outside, short or
 * long data) get an error reply and a log line and change nothing; and that
 * full-frame Scanouts under fbhost's fixed malloc mmap threshold (as
 * server/app/main.c sets it) reuse heap memory rather than fault in a new
 * mapping for each message (qemu-heap.c), counted in page faults. The
 * shared-memory interface of QEMU 9.2 and later (Listener.Unix.Map): the
 * Interfaces property offers it, ScanoutMap with a memfd (padded and tight
 * strides, an offset) shows the file's picture, UpdateMap copies exactly
 * its rectangle, and hostile calls (no descriptor, a pipe, a short file, a
 * rectangle outside, a file shrunk after ScanoutMap) get an error reply or
 * a log line while fbhost keeps serving; a QEMU that sends garbage in a
 * loop gets at most QEMU_WARN_BURST log lines a second, then a count.
 */
#include <dirent.h>
#include <gio/gio.h>
#include <gio/gunixfdlist.h>
#include <malloc.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "server/guests/qemu/qemu-guest.h"
#include "server/lib/fbhost-internal.h"

#define T_CALL_TIMEOUT_MS 20000
#define T_FB_W 64
#define T_FB_H 48
/* A full frame of 1024x768 x8r8g8b8 (3 MiB: 768 pages of 4 KiB). */
#define T_BIG_W 1024u
#define T_BIG_H 768u
#define T_BIG_MESSAGES 8u
/* server/app/main.c's MAIN_MMAP_THRESHOLD_BYTES. */
#define T_MAIN_MMAP_THRESHOLD_BYTES (256 * 1024)
/* The name of the rig's guest thread (in /proc/self/task/TID/comm). */
#define T_GUEST_THREAD "t-guest"
#define T_LISTENER_PATH "/org/qemu/Display1/Listener"
#define T_LISTENER_IFACE "org.qemu.Display1.Listener"
#define T_MAP_IFACE "org.qemu.Display1.Listener.Unix.Map"

/* The log lines of the host, for assertions. */
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static char log_text[8192]; /* log_lock */

static void on_log(void *opaque, enum fbhost_log_level level, const char *line)
{
	size_t n;

	(void)opaque;
	(void)level;
	pthread_mutex_lock(&log_lock);
	n = strlen(log_text);
	if (n + strlen(line) + 2 < sizeof(log_text))
		snprintf(log_text + n, sizeof(log_text) - n, "%s\n", line);
	pthread_mutex_unlock(&log_lock);
}

/* How many times needle occurs in the log. */
static unsigned log_count(const char *needle)
{
	unsigned n = 0;

	pthread_mutex_lock(&log_lock);
	for (const char *p = log_text; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	pthread_mutex_unlock(&log_lock);
	return n;
}

static bool log_has(const char *needle)
{
	bool yes;

	pthread_mutex_lock(&log_lock);
	yes = strstr(log_text, needle) != NULL;
	pthread_mutex_unlock(&log_lock);
	return yes;
}

/* fbhost's side: the guest thread with its own main context. */
struct rig {
	struct fbhost *host;
	struct fbhost_fb *fb;
	struct qemu_guest g;
	int fd; /* fbhost's end of the socketpair, taken by the thread */
	pthread_t thread;
	pthread_mutex_t lock; /* protects ready and error */
	pthread_cond_t cond;
	bool ready;
	char error[256];
	GDBusConnection *qemu; /* QEMU's end (test thread) */
};

static void *guest_thread(void *arg)
{
	struct rig *r = arg;
	GError *error = NULL;
	GSocket *sock;
	GSocketConnection *sc;

	g_main_context_push_thread_default(r->g.ctx);
	sock = g_socket_new_from_fd(r->fd, &error);
	if (sock) {
		sc = g_socket_connection_factory_create_connection(sock);
		r->g.listener = g_dbus_connection_new_sync(
			G_IO_STREAM(sc), NULL, G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT, NULL,
			NULL, &error);
		g_object_unref(sc);
		g_object_unref(sock);
	}
	if (r->g.listener && qemu_guest_listener_register(&r->g, &error) < 0)
		g_clear_object(&r->g.listener);
	pthread_mutex_lock(&r->lock);
	if (!r->g.listener)
		snprintf(r->error, sizeof(r->error), "%s", error ? error->message : "?");
	r->ready = true;
	pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->lock);
	g_clear_error(&error);
	if (r->g.listener)
		g_main_loop_run(r->g.loop);
	if (r->g.listener) {
		g_dbus_connection_unregister_object(r->g.listener, r->g.listener_reg);
		g_dbus_connection_unregister_object(r->g.listener, r->g.listener_map_reg);
		qemu_guest_map_release(&r->g);
		g_dbus_connection_close_sync(r->g.listener, NULL, NULL);
		g_clear_object(&r->g.listener);
	}
	g_main_context_pop_thread_default(r->g.ctx);
	return NULL;
}

static int rig_setup(void **state)
{
	struct fbhost_config cfg = { .log = on_log, .log_level = FBHOST_LOG_INFO };
	struct rig *r = calloc(1, sizeof(*r));
	GError *error = NULL;
	GSocket *sock;
	GSocketConnection *sc;
	char *guid;
	int sv[2];

	assert_non_null(r);
	log_text[0] = '\0';
	r->host = fbhost_new(&cfg);
	assert_non_null(r->host);
	r->fb = fbhost_fb_add(r->host, "vm", T_FB_W, T_FB_H, FBHOST_FORMAT_X8R8G8B8);
	assert_non_null(r->fb);
	r->g.fb = r->fb;
	r->g.host = r->host;
	r->g.console = 0;
	r->g.map_fd = -1;
	r->g.ctx = g_main_context_new();
	r->g.loop = g_main_loop_new(r->g.ctx, FALSE);
	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->cond, NULL);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	r->fd = sv[0];
	assert_int_equal(pthread_create(&r->thread, NULL, guest_thread, r), 0);
	pthread_setname_np(r->thread, T_GUEST_THREAD);
	/* QEMU's end: the D-Bus server side of the peer link. */
	sock = g_socket_new_from_fd(sv[1], &error);
	assert_non_null(sock);
	sc = g_socket_connection_factory_create_connection(sock);
	guid = g_dbus_generate_guid();
	r->qemu = g_dbus_connection_new_sync(
		G_IO_STREAM(sc), guid,
		G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_SERVER |
			G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_ALLOW_ANONYMOUS,
		NULL, NULL, &error);
	g_free(guid);
	g_object_unref(sc);
	g_object_unref(sock);
	if (!r->qemu)
		fail_msg("QEMU's end: %s", error->message);
	pthread_mutex_lock(&r->lock);
	while (!r->ready)
		pthread_cond_wait(&r->cond, &r->lock); /* bounded by the D-Bus handshake */
	pthread_mutex_unlock(&r->lock);
	if (r->error[0])
		fail_msg("fbhost's end: %s", r->error);
	*state = r;
	return 0;
}

static int rig_teardown(void **state)
{
	struct rig *r = *state;

	g_dbus_connection_close_sync(r->qemu, NULL, NULL);
	g_object_unref(r->qemu);
	g_main_loop_quit(r->g.loop);
	g_main_context_wakeup(r->g.ctx);
	pthread_join(r->thread, NULL);
	g_main_loop_unref(r->g.loop);
	g_main_context_unref(r->g.ctx);
	fbhost_free(r->host);
	pthread_cond_destroy(&r->cond);
	pthread_mutex_destroy(&r->lock);
	free(r);
	return 0;
}

/* Calls a Listener method as QEMU does; returns the error (NULL: ok). */
static GError *call(struct rig *r, const char *method, GVariant *params)
{
	GError *error = NULL;
	GVariant *reply = g_dbus_connection_call_sync(
		r->qemu, NULL, T_LISTENER_PATH, T_LISTENER_IFACE, method, params, NULL,
		G_DBUS_CALL_FLAGS_NONE, T_CALL_TIMEOUT_MS, NULL, &error);

	if (reply)
		g_variant_unref(reply);
	return error;
}

static void call_ok(struct rig *r, const char *method, GVariant *params)
{
	GError *error = call(r, method, params);

	if (error)
		fail_msg("%s: %s", method, error->message);
}

static GVariant *bytes(const void *data, size_t n)
{
	return g_variant_new_fixed_array(G_VARIANT_TYPE_BYTE, data, n, 1);
}

static GVariant *cursor_params(int w, int h, int hx, int hy, const uint32_t *argb, size_t n)
{
	return g_variant_new("(iiii@ay)", w, h, hx, hy, bytes(argb, n));
}

/* A Scanout of a w x h x8r8g8b8 picture filled with rgb. */
static void scanout(struct rig *r, uint32_t w, uint32_t h, uint32_t rgb)
{
	uint32_t *px = malloc((size_t)w * h * 4);

	assert_non_null(px);
	for (size_t i = 0; i < (size_t)w * h; i++)
		px[i] = rgb;
	call_ok(r, "Scanout",
		g_variant_new("(uuuu@ay)", w, h, w * 4, (uint32_t)PIXMAN_x8r8g8b8,
			      bytes(px, (size_t)w * h * 4)));
	free(px);
}

static void expect_cursor(struct rig *r, const uint32_t *argb, uint32_t w, uint32_t h, uint32_t hx,
			  uint32_t hy)
{
	struct fb_cursor *c = fb_cursor_get(r->fb->dev, NULL, NULL, NULL);

	assert_non_null(c);
	assert_int_equal(c->width, w);
	assert_int_equal(c->height, h);
	assert_int_equal(c->hot_x, hx);
	assert_int_equal(c->hot_y, hy);
	assert_memory_equal(c->argb, argb, (size_t)w * h * 4);
	fb_cursor_unref(c);
}

static void test_cursor_define_and_mouse_set(void **state)
{
	struct rig *r = *state;
	uint32_t argb[8 * 6];
	int x, y;
	bool visible;
	struct fb_cursor *c;

	scanout(r, T_FB_W, T_FB_H, 0x336699);
	for (unsigned i = 0; i < 8 * 6; i++)
		argb[i] = (i & 1 ? 0xff000000u : 0x40000000u) | (0x030507u * i);
	call_ok(r, "CursorDefine", cursor_params(8, 6, 2, 5, argb, sizeof(argb)));
	expect_cursor(r, argb, 8, 6, 2, 5);
	call_ok(r, "MouseSet", g_variant_new("(iii)", 30, 20, 1));
	c = fb_cursor_get(r->fb->dev, &x, &y, &visible);
	fb_cursor_unref(c);
	assert_int_equal(x, 30);
	assert_int_equal(y, 20);
	assert_true(visible);
	call_ok(r, "MouseSet", g_variant_new("(iii)", 31, 21, 0));
	c = fb_cursor_get(r->fb->dev, &x, &y, &visible);
	fb_cursor_unref(c);
	assert_int_equal(x, 31);
	assert_false(visible);
}

/* Each hostile definition: an InvalidArgs reply naming the problem, one
 * log line, and the previous cursor kept. */
static void expect_refused(struct rig *r, GVariant *params, const char *why)
{
	GError *error = call(r, "CursorDefine", params);

	assert_non_null(error);
	if (!g_dbus_error_is_remote_error(error) || !strstr(error->message, why))
		fail_msg("CursorDefine reply \"%s\", want \"%s\"", error->message, why);
	g_error_free(error);
	if (!log_has(why))
		fail_msg("no log line with \"%s\":\n%s", why, log_text);
}

static void test_cursor_hostile(void **state)
{
	struct rig *r = *state;
	uint32_t good[4 * 4], *big;

	scanout(r, T_FB_W, T_FB_H, 0x000000);
	for (unsigned i = 0; i < 16; i++)
		good[i] = 0xff000000u | i;
	call_ok(r, "CursorDefine", cursor_params(4, 4, 1, 1, good, sizeof(good)));
	big = calloc(257 * 257, 4);
	assert_non_null(big);
	expect_refused(r, cursor_params(257, 257, 0, 0, big, 257 * 257 * 4),
		       "cursor 257x257 refused: sides are 1..256 px");
	expect_refused(r, cursor_params(0, 4, 0, 0, good, 0), "cursor 0x4 refused");
	expect_refused(r, cursor_params(-4, 4, 0, 0, good, 0), "cursor -4x4 refused");
	expect_refused(r, cursor_params(4, 4, 4, 0, good, sizeof(good)),
		       "cursor 4x4 refused: hotspot 4,0 outside it");
	expect_refused(r, cursor_params(4, 4, -1, 0, good, sizeof(good)),
		       "cursor 4x4 refused: hotspot -1,0 outside it");
	expect_refused(r, cursor_params(4, 4, 0, 0, good, sizeof(good) - 1),
		       "cursor 4x4 refused: 63 bytes of data, not 64");
	expect_refused(r, cursor_params(2, 2, 0, 0, big, 256 * 256 * 4),
		       "cursor 2x2 refused: 262144 bytes of data, not 16");
	free(big);
	expect_cursor(r, good, 4, 4, 1, 1);
	/* still serving */
	call_ok(r, "MouseSet", g_variant_new("(iii)", -5, 100000, 1));
}

static void test_disable_shows_display_off(void **state)
{
	struct rig *r = *state;
	struct fbhost_pixels px;
	unsigned grey = 0, other = 0;

	scanout(r, T_FB_W, T_FB_H, 0x336699);
	call_ok(r, "Disable", NULL);
	assert_int_equal(r->g.state, QEMU_DISPLAY_OFF);
	assert_true(log_has("console 0: display off"));
	/* black with the notice's grey text, nothing of the picture left */
	fbhost_pixels_begin(r->fb, &px);
	assert_int_equal(px.format, FBHOST_FORMAT_X8R8G8B8);
	for (uint32_t y = 0; y < px.height; y++)
		for (uint32_t x = 0; x < px.width; x++) {
			uint32_t p = ((const uint32_t *)((const uint8_t *)px.data +
							 (size_t)y * px.stride))[x] &
				     0xffffff;

			if (p == 0xc0c0c0)
				grey++;
			else if (p != 0)
				other++;
		}
	fbhost_pixels_end(r->fb, &px);
	assert_int_equal(other, 0);
	assert_true(grey > 20);
	/* a Scanout brings the picture back */
	scanout(r, T_FB_W, T_FB_H, 0x336699);
	assert_int_equal(r->g.state, QEMU_DISPLAY_ON);
}

/* Minor page faults of this process's threads named comm (GDBus's
 * "gdbus", which reads and parses every message, and the guest thread):
 * QEMU's side of the link runs in this process too, and its own copies do
 * not count. */
static long thread_faults(const char *comm)
{
	long sum = 0;
	DIR *d = opendir("/proc/self/task");
	struct dirent *de;

	assert_non_null(d);
	while ((de = readdir(d))) {
		char path[64 + sizeof(de->d_name)], buf[1024], *close;
		unsigned long minflt;
		size_t len;
		FILE *f;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/stat", de->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		len = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		buf[len] = '\0';
		close = strrchr(buf, ')');
		if (!close || strncmp(strchr(buf, '(') + 1, comm, strlen(comm)) != 0 ||
		    strchr(buf, '(')[1 + strlen(comm)] != ')')
			continue;
		if (sscanf(close + 2, "%*c %*d %*d %*d %*d %*d %*u %lu", &minflt) == 1)
			sum += (long)minflt;
	}
	closedir(d);
	return sum;
}

static long receiver_faults(void)
{
	return thread_faults("gdbus") + thread_faults(T_GUEST_THREAD);
}

static void test_big_scanouts_stay_in_heap(void **state)
{
	struct rig *r = *state;
	size_t n = (size_t)T_BIG_W * T_BIG_H * 4;
	uint32_t *px = malloc(n);
	struct fbhost_pixels fp;
	long before, faults;

	/* ASan's allocator ignores mallopt (and maps large blocks its own way). */
	if (!mallopt(M_MMAP_THRESHOLD, T_MAIN_MMAP_THRESHOLD_BYTES)) {
		free(px);
		skip();
	}
	assert_non_null(px);
	/* The first one switches the mode and fits the heap, the second grows
	 * the heap to hold its copy. */
	for (size_t i = 0; i < n / 4; i++)
		px[i] = 0x102030;
	for (unsigned m = 0; m < 2; m++)
		call_ok(r, "Scanout",
			g_variant_new("(uuuu@ay)", T_BIG_W, T_BIG_H, T_BIG_W * 4,
				      (uint32_t)PIXMAN_x8r8g8b8, bytes(px, n)));
	before = receiver_faults();
	for (unsigned m = 0; m < T_BIG_MESSAGES; m++) {
		px[0] = 0x102030 + m + 1;
		call_ok(r, "Scanout",
			g_variant_new("(uuuu@ay)", T_BIG_W, T_BIG_H, T_BIG_W * 4,
				      (uint32_t)PIXMAN_x8r8g8b8, bytes(px, n)));
	}
	faults = receiver_faults() - before;
	/* Every message arrived... */
	fbhost_pixels_begin(r->fb, &fp);
	assert_int_equal(fp.width, T_BIG_W);
	assert_int_equal(*(const uint32_t *)fp.data & 0xffffff, 0x102030 + T_BIG_MESSAGES);
	fbhost_pixels_end(r->fb, &fp);
	/* ...and fbhost's side faulted in fewer pages for all of them than two
	 * frames have (with a mapping per block, GLib's copy of each message
	 * faults in a whole frame: T_BIG_MESSAGES frames). Two, not one: GDBus
	 * may parse the next message before the last one's copy is freed, and
	 * the heap then grows by one block once (seen on a loaded machine:
	 * 769 faults for one frame of 768 pages). */
	printf("page faults for %u Scanouts of %zu bytes: %ld\n", T_BIG_MESSAGES, n, faults);
	assert_true(faults < 2 * (long)(n / 4096));
	free(px);
}

/* The Interfaces property offers the shared-memory interface. */
static void test_interfaces_offer_map(void **state)
{
	struct rig *r = *state;
	GError *error = NULL;
	GVariant *v, *reply;
	const gchar **names;
	gsize n;

	reply = g_dbus_connection_call_sync(
		r->qemu, NULL, T_LISTENER_PATH, "org.freedesktop.DBus.Properties", "Get",
		g_variant_new("(ss)", T_LISTENER_IFACE, "Interfaces"), G_VARIANT_TYPE("(v)"),
		G_DBUS_CALL_FLAGS_NONE, T_CALL_TIMEOUT_MS, NULL, &error);
	if (!reply)
		fail_msg("Get Interfaces: %s", error->message);
	g_variant_get(reply, "(v)", &v);
	names = g_variant_get_strv(v, &n);
	assert_int_equal(n, 1);
	assert_string_equal(names[0], T_MAP_IFACE);
	g_free(names);
	g_variant_unref(v);
	g_variant_unref(reply);
}

/* Calls ScanoutMap with fd (-1: no descriptor in the message) as handle 0;
 * returns the error (NULL: ok). */
static GError *scanout_map(struct rig *r, int fd, uint32_t offset, uint32_t w, uint32_t h,
			   uint32_t stride)
{
	int copy = fd >= 0 ? dup(fd) : -1; /* the list takes it; the caller keeps fd */
	GUnixFDList *fds = copy >= 0 ? g_unix_fd_list_new_from_array(&copy, 1) : NULL;
	GError *error = NULL;
	GVariant *reply;

	reply = g_dbus_connection_call_with_unix_fd_list_sync(
		r->qemu, NULL, T_LISTENER_PATH, T_MAP_IFACE, "ScanoutMap",
		g_variant_new("(huuuuu)", 0, offset, w, h, stride, (uint32_t)PIXMAN_x8r8g8b8), NULL,
		G_DBUS_CALL_FLAGS_NONE, T_CALL_TIMEOUT_MS, fds, NULL, NULL, &error);
	if (fds)
		g_object_unref(fds);
	if (reply)
		g_variant_unref(reply);
	return error;
}

/* ScanoutMap that must be taken. */
static void scanout_map_ok(struct rig *r, int fd, uint32_t offset, uint32_t w, uint32_t h,
			   uint32_t stride)
{
	GError *error = scanout_map(r, fd, offset, w, h, stride);

	if (error)
		fail_msg("ScanoutMap: %s", error->message);
}

static void update_map(struct rig *r, int x, int y, int w, int h)
{
	GError *error = NULL;
	GVariant *reply = g_dbus_connection_call_sync(
		r->qemu, NULL, T_LISTENER_PATH, T_MAP_IFACE, "UpdateMap",
		g_variant_new("(iiii)", x, y, w, h), NULL, G_DBUS_CALL_FLAGS_NONE,
		T_CALL_TIMEOUT_MS, NULL, &error);

	if (!reply)
		fail_msg("UpdateMap: %s", error->message);
	g_variant_unref(reply);
}

/* A memfd of offset + stride x h bytes, pixel (x, y) = fill(x, y, salt);
 * the padding between rows is 0xee. */
static uint32_t map_pixel(uint32_t x, uint32_t y, uint32_t salt)
{
	return ((x * 7u + y * 13u + salt * 101u) * 2654435761u) & 0xffffffu;
}

static int map_file(uint32_t offset, uint32_t w, uint32_t h, uint32_t stride, uint32_t salt)
{
	size_t size = (size_t)offset + (size_t)stride * h;
	int fd = memfd_create("t-qemu-map", MFD_CLOEXEC);
	uint8_t *p;

	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)size), 0);
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	assert_true(p != MAP_FAILED);
	memset(p, 0xee, size);
	for (uint32_t y = 0; y < h; y++)
		for (uint32_t x = 0; x < w; x++)
			((uint32_t *)(p + offset + (size_t)y * stride))[x] = map_pixel(x, y, salt);
	munmap(p, size);
	return fd;
}

/* Rewrites the rectangle of the file with salt. */
static void map_redraw(int fd, uint32_t offset, uint32_t stride, uint32_t x0, uint32_t y0,
		       uint32_t w, uint32_t h, uint32_t salt)
{
	for (uint32_t y = y0; y < y0 + h; y++)
		for (uint32_t x = x0; x < x0 + w; x++) {
			uint32_t v = map_pixel(x, y, salt);
			off_t at = (off_t)offset + (off_t)y * stride + (off_t)x * 4;

			assert_int_equal(pwrite(fd, &v, 4, at), 4);
		}
}

/* The framebuffer is w x h and pixel (x, y) is map_pixel(x, y, salt), or
 * map_pixel(x, y, inner) inside the rectangle (x0, y0, rw, rh), in its
 * first rows rows; the rows below are black (what a shrunk file reads as). */
static void expect_map(struct rig *r, uint32_t w, uint32_t h, uint32_t rows, uint32_t salt,
		       uint32_t x0, uint32_t y0, uint32_t rw, uint32_t rh, uint32_t inner)
{
	struct fbhost_pixels px;
	uint32_t bad = 0;

	fbhost_pixels_begin(r->fb, &px);
	assert_int_equal(px.width, w);
	assert_int_equal(px.height, h);
	for (uint32_t y = 0; y < h; y++)
		for (uint32_t x = 0; x < w; x++) {
			bool in = x >= x0 && x < x0 + rw && y >= y0 && y < y0 + rh;
			uint32_t want = y < rows ? map_pixel(x, y, in ? inner : salt) : 0;
			uint32_t got = ((const uint32_t *)((const uint8_t *)px.data +
							   (size_t)y * px.stride))[x];

			if ((got & 0xffffff) != want && bad++ == 0)
				print_error("pixel (%u,%u) 0x%06x != 0x%06x\n", x, y,
					    got & 0xffffff, want);
		}
	fbhost_pixels_end(r->fb, &px);
	assert_int_equal(bad, 0);
}

static void expect_map_picture(struct rig *r, uint32_t w, uint32_t h, uint32_t salt, uint32_t x0,
			       uint32_t y0, uint32_t rw, uint32_t rh, uint32_t inner)
{
	expect_map(r, w, h, h, salt, x0, y0, rw, rh, inner);
}

/* ScanoutMap shows the file itself: QEMU's later writes are in the
 * picture without a copy (UpdateMap only marks them), with a padded stride
 * and an offset, then a tight stride. A file that holds the picture but not
 * its last row's padding cannot be mapped: then UpdateMap copies exactly
 * its rectangle (one read a row). */
static void test_scanout_map_and_update_map(void **state)
{
	struct rig *r = *state;
	const uint32_t w = 40, h = 30, offset = 4096 + 8, stride = w * 4 + 32;
	int fd = map_file(offset, w, h, stride, 1);
	struct fbhost_mode m;

	scanout_map_ok(r, fd, offset, w, h, stride);
	assert_int_equal(r->g.state, QEMU_DISPLAY_ON);
	assert_true(fbhost_fb_file_mapped(r->fb, NULL));
	m = fbhost_fb_mode(r->fb);
	assert_int_equal(m.stride, stride);
	assert_true(log_has("QEMU shares the console's memory (ScanoutMap): shown in place"));
	expect_map_picture(r, w, h, 1, 0, 0, 0, 0, 1);
	/* QEMU draws: the framebuffer is its memory */
	map_redraw(fd, offset, stride, 5, 7, 9, 4, 3);
	update_map(r, 5, 7, 9, 4);
	expect_map_picture(r, w, h, 1, 5, 7, 9, 4, 3);
	close(fd);

	/* a tight stride at offset 0, the framebuffer's own width */
	fd = map_file(0, T_FB_W, T_FB_H, T_FB_W * 4, 4);
	scanout_map_ok(r, fd, 0, T_FB_W, T_FB_H, T_FB_W * 4);
	map_redraw(fd, 0, T_FB_W * 4, 0, 10, T_FB_W, 5, 5);
	update_map(r, 0, 10, T_FB_W, 5);
	expect_map_picture(r, T_FB_W, T_FB_H, 4, 0, 10, T_FB_W, 5, 5);
	close(fd);

	/* the last row's padding missing: read, not mapped */
	fd = map_file(offset, w, h, stride, 6);
	assert_int_equal(ftruncate(fd, (off_t)(offset + stride * (h - 1) + w * 4)), 0);
	scanout_map_ok(r, fd, offset, w, h, stride);
	assert_false(fbhost_fb_file_mapped(r->fb, NULL));
	/* a fallback, said as one, not an error */
	assert_true(log_has("the file ends inside the last row's padding"));
	assert_false(log_has("cannot map a file"));
	expect_map_picture(r, w, h, 6, 0, 0, 0, 0, 6);
	/* the file changes in two places; only the updated rectangle shows */
	map_redraw(fd, offset, stride, 0, 0, w, h, 7);
	map_redraw(fd, offset, stride, 5, 7, 9, 4, 8);
	update_map(r, 5, 7, 9, 4);
	expect_map_picture(r, w, h, 6, 5, 7, 9, 4, 8);
	close(fd);

	/* a Scanout with pixels in the message lets go of the file */
	fd = map_file(0, T_FB_W, T_FB_H, T_FB_W * 4, 9);
	scanout_map_ok(r, fd, 0, T_FB_W, T_FB_H, T_FB_W * 4);
	assert_true(fbhost_fb_file_mapped(r->fb, NULL));
	close(fd);
	scanout(r, T_FB_W, T_FB_H, 0x123456);
	assert_int_equal(r->g.map_fd, -1);
	assert_false(fbhost_fb_file_mapped(r->fb, NULL));
}

static void expect_map_refused(struct rig *r, int fd, uint32_t offset, uint32_t w, uint32_t h,
			       uint32_t stride, const char *why)
{
	GError *error = scanout_map(r, fd, offset, w, h, stride);

	assert_non_null(error);
	if (!strstr(error->message, why))
		fail_msg("ScanoutMap reply \"%s\", want \"%s\"", error->message, why);
	g_error_free(error);
	if (!log_has(why))
		fail_msg("no log line with \"%s\":\n%s", why, log_text);
}

/* Hostile ScanoutMap and UpdateMap calls: refused or logged, never a
 * fault, and fbhost keeps serving. */
static void test_map_hostile(void **state)
{
	struct rig *r = *state;
	int fd = map_file(0, 16, 16, 64, 1), sv[2];

	expect_map_refused(r, -1, 0, 16, 16, 64, "no file descriptor 0 in the message");
	assert_int_equal(pipe(sv), 0);
	expect_map_refused(r, sv[0], 0, 16, 16, 64, "not a memory file");
	close(sv[0]);
	close(sv[1]);
	expect_map_refused(r, fd, 0, 16, 17, 64, "the file holds 1024 bytes, not 1088");
	expect_map_refused(r, fd, 4, 16, 16, 64, "the file holds 1024 bytes, not 1028");
	expect_map_refused(r, fd, 0, 16, 16, 60, "ScanoutMap 16x16 stride 60 refused");
	assert_int_equal(r->g.map_fd, -1);

	scanout_map_ok(r, fd, 0, 16, 16, 64);
	update_map(r, 10, 10, 7, 1);
	assert_true(log_has("UpdateMap 7x1+10+10 outside the 16x16 map"));
	update_map(r, -1, 0, 1, 1);
	assert_true(log_has("UpdateMap 1x1+-1+0 outside the 16x16 map"));
	close(fd);
	/* a refused ScanoutMap after one that was shown: the last picture
	 * stays, copied out of QEMU's old file */
	fd = map_file(0, 16, 16, 64, 3);
	scanout_map_ok(r, fd, 0, 16, 16, 64);
	assert_true(fbhost_fb_file_mapped(r->fb, NULL));
	expect_map_refused(r, fd, 0, 16, 17, 64, "the file holds 1024 bytes, not 1088");
	assert_false(fbhost_fb_file_mapped(r->fb, NULL));
	assert_int_equal(ftruncate(fd, 0), 0);
	expect_map_picture(r, 16, 16, 3, 0, 0, 0, 0, 3);
	close(fd);
	/* QEMU shrinks the file fbhost shows, and keeps drawing: logged, no
	 * fault, and the part still in the file stays in the picture */
	fd = map_file(0, 64, 64, 256, 2);
	scanout_map_ok(r, fd, 0, 64, 64, 256);
	assert_true(fbhost_fb_file_mapped(r->fb, NULL));
	assert_int_equal(ftruncate(fd, 4096), 0);
	update_map(r, 0, 8, 16, 8);
	assert_true(log_has("UpdateMap: QEMU shrank the console's memory under fbhost"));
	assert_false(fbhost_fb_file_mapped(r->fb, NULL));
	expect_map(r, 64, 64, 16, 2, 0, 0, 0, 0, 2);
	update_map(r, 0, 8, 16, 8); /* ignored: no map any more */
	close(fd);
	/* still serving */
	scanout(r, T_FB_W, T_FB_H, 0x654321);
	call_ok(r, "MouseSet", g_variant_new("(iii)", 1, 1, 1));
}

/* Garbage in a loop: at most QEMU_WARN_BURST warnings a window reach the
 * log, and a later warning says how many were left out. */
static void test_warnings_rate_limited(void **state)
{
	const uint64_t bound_ns = 5000000000ull; /* for the count line, at least 5 windows */
	struct rig *r = *state;
	int fd = map_file(0, 16, 16, 64, 1);
	uint64_t t0, t1;
	unsigned lines, allowed;

	scanout_map_ok(r, fd, 0, 16, 16, 64);
	t0 = fbhost_now_ns();
	for (int i = 0; i < 100; i++)
		update_map(r, 16, i % 16, 1, 1);
	t1 = fbhost_now_ns();
	lines = log_count("outside the 16x16 map");
	allowed = QEMU_WARN_BURST * (unsigned)((t1 - t0) / QEMU_WARN_WINDOW_NS + 1);
	if (lines < 1 || lines > allowed)
		fail_msg("%u warnings logged for 100 bad calls in %llu ms, want 1..%u", lines,
			 (unsigned long long)((t1 - t0) / 1000000u), allowed);
	/* The calls are answered before they return, so each check sees its
	 * call's log line; the wait ends on the count line, or fails. */
	while (!log_has("more warnings about QEMU's calls not logged")) {
		if (fbhost_now_ns() - t1 > bound_ns)
			fail_msg("no count of the warnings left out:\n%s", log_text);
		update_map(r, 16, 0, 1, 1);
	}
	close(fd);
	call_ok(r, "MouseSet", g_variant_new("(iii)", 1, 1, 1));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_cursor_define_and_mouse_set, rig_setup,
						rig_teardown),
		cmocka_unit_test_setup_teardown(test_cursor_hostile, rig_setup, rig_teardown),
		cmocka_unit_test_setup_teardown(test_disable_shows_display_off, rig_setup,
						rig_teardown),
		cmocka_unit_test_setup_teardown(test_big_scanouts_stay_in_heap, rig_setup,
						rig_teardown),
		cmocka_unit_test_setup_teardown(test_interfaces_offer_map, rig_setup, rig_teardown),
		cmocka_unit_test_setup_teardown(test_scanout_map_and_update_map, rig_setup,
						rig_teardown),
		cmocka_unit_test_setup_teardown(test_map_hostile, rig_setup, rig_teardown),
		cmocka_unit_test_setup_teardown(test_warnings_rate_limited, rig_setup,
						rig_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
