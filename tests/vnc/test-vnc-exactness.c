/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tests/vnc/test-vnc-exactness.c - through libvncclient: every lossless
 * encoding shows exactly the guest's pixels; one 16x16 change on 1080p costs
 * a few KiB on the wire; rewriting identical pixels sends nothing.
 */
#include <dirent.h>

#include "tests/vnc/vnc-fixture.h"

/* Lossless encodings LibVNCServer offers (ZYWRLE and Tight+JPEG are lossy). */
static const char *const lossless[] = {
	"raw", "copyrect raw", "rre", "corre", "hextile", "zlib", "zrle", "tight", "ultra",
};
#define NLOSSLESS (sizeof(lossless) / sizeof(lossless[0]))

/* Most bytes one 16x16 change may cost (raw: 1 KiB of pixels + headers). */
#define SMALL_CHANGE_MAX_BYTES 4096u
/* The scattered-squares change: well below a 1080p frame (8 MiB). */
#define SCATTERED_MAX_BYTES (1024u * 1024u)
/* How long to watch for traffic that must not come. */
#define QUIET_WATCH_MS 400u
/* Idle check: at most this many clock ticks (10 ms each) of VNC-thread
 * CPU in IDLE_WATCH_MS (render ticks at 1 Hz may still wake it). */
#define IDLE_WATCH_MS 2000u
#define IDLE_MAX_TICKS 2ul

static void test_lossless_encodings(void **state)
{
	struct vnc_config cfg = vt_config();
	struct vtc *c[NLOSSLESS];
	struct vt t;

	(void)state;
	vt_setup(&t, 320, 240, PIXMAN_x8r8g8b8, &cfg);
	vt_draw_random(&t, 1, 60);
	for (size_t i = 0; i < NLOSSLESS; i++)
		c[i] = vt_connect(&t, lossless[i]);
	for (size_t i = 0; i < NLOSSLESS; i++)
		vt_expect_guest(&t, c[i], lossless[i]);
	/* Incremental updates: many small changes, then a big one. */
	for (unsigned round = 0; round < 3; round++) {
		vt_draw_random(&t, 100 + round, round == 2 ? 5 : 40);
		for (size_t i = 0; i < NLOSSLESS; i++)
			vt_expect_guest(&t, c[i], lossless[i]);
	}
	for (size_t i = 0; i < NLOSSLESS; i++)
		vtc_free(c[i]);
	vt_teardown(&t);
}

/* Mean absolute channel difference between c's picture and want. */
static double mean_error(struct vtc *c, const uint32_t *want, uint32_t w, uint32_t h)
{
	const uint32_t *got = vtc_pixels(c);
	uint64_t sum = 0;

	if (vtc_width(c) != w || vtc_height(c) != h)
		return 1e9;
	for (size_t i = 0; i < (size_t)w * h; i++)
		for (int sh = 0; sh < 24; sh += 8) {
			int a = (int)((got[i] >> sh) & 0xff), b = (int)((want[i] >> sh) & 0xff);

			sum += (uint64_t)(a > b ? a - b : b - a);
		}
	return (double)sum / ((double)w * h * 3);
}

/* The lossy encodings are available too: Tight with JPEG (quality from
 * the client) and ZYWRLE come close to the guest picture. */
static void test_lossy_encodings(void **state)
{
	static const char *const lossy[] = { "tight", "zywrle" };
	struct vnc_config cfg = vt_config();
	uint32_t w, h, *want;
	struct vt t;

	(void)state;
	vt_setup(&t, 320, 240, PIXMAN_x8r8g8b8, &cfg);
	{
		/* A smooth photo-like gradient: Tight picks JPEG for it. */
		struct fb_access acc;

		fb_access_begin(t.fb, &acc);
		for (uint32_t y = 0; y < acc.mode.height; y++)
			for (uint32_t x = 0; x < acc.mode.width; x++)
				((uint32_t *)((char *)acc.pixels +
					      (size_t)y * acc.mode.stride))[x] =
					(x * 255 / 320) << 16 | (y * 255 / 240) << 8 |
					((x + y) * 255 / 560);
		fb_mark_dirty(t.fb, &acc, 0, 0, (int)acc.mode.width, (int)acc.mode.height);
		fb_access_end(t.fb, &acc);
	}
	want = vt_guest_x8(&t, &w, &h);
	for (size_t i = 0; i < 2; i++) {
		struct vtc_options o = vt_client_opts(&t, lossy[i]);
		char err[256];
		struct vtc *c;
		double e = 1e9;

		o.use_quality = true;
		o.quality_level = 5;
		c = vtc_connect(&o, err, sizeof(err));
		if (!c)
			fail_msg("%s: %s", lossy[i], err);
		for (uint64_t end = vt_now_ms() + VT_WAIT_MS;
		     (e = mean_error(c, want, w, h)) > 8.0;)
			assert_true(vtc_pump(c, 50) == 0 && vt_now_ms() < end);
		print_message("%s quality 5: mean channel error %.2f\n", lossy[i], e);
		vtc_free(c);
	}
	free(want);
	vt_teardown(&t);
}

/* Other guest formats are converted exactly too. */
static void test_guest_formats(void **state)
{
	static const pixman_format_code_t formats[] = {
		PIXMAN_x1r5g5b5,
		PIXMAN_r5g6b5,
		PIXMAN_r8g8b8,
		PIXMAN_a8r8g8b8,
	};
	(void)state;
	for (size_t f = 0; f < sizeof(formats) / sizeof(formats[0]); f++) {
		struct vnc_config cfg = vt_config();
		struct vt t;
		struct vtc *raw, *tight;

		vt_setup(&t, 200, 120, formats[f], &cfg);
		vt_draw_random(&t, 7 + f, 30);
		raw = vt_connect(&t, "raw");
		tight = vt_connect(&t, "tight");
		vt_expect_guest(&t, raw, "raw");
		vt_expect_guest(&t, tight, "tight");
		vtc_free(raw);
		vtc_free(tight);
		vt_teardown(&t);
	}
}

/* CPU time (user + system, in clock ticks) of this process's VNC thread
 * ("vnc-<fb name>"). */
static unsigned long vnc_thread_ticks(void)
{
	DIR *d = opendir("/proc/self/task");
	unsigned long ticks = 0;
	bool found = false;

	assert_non_null(d);
	for (struct dirent *e; (e = readdir(d));) {
		char path[300], comm[32] = "", stat[1024];
		unsigned long ut, st;
		FILE *f;
		char *p;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/comm", e->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (!fgets(comm, sizeof(comm), f))
			comm[0] = '\0';
		fclose(f);
		if (strncmp(comm, "vnc-", 4) != 0)
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/stat", e->d_name);
		f = fopen(path, "r");
		assert_non_null(f);
		assert_non_null(fgets(stat, sizeof(stat), f));
		fclose(f);
		p = strrchr(stat, ')');
		assert_non_null(p);
		/* Fields after the name: state ppid ... utime (14th) stime (15th). */
		assert_int_equal(sscanf(p + 2,
					"%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut,
					&st),
				 2);
		ticks += ut + st;
		found = true;
	}
	closedir(d);
	assert_true(found);
	return ticks;
}

/* Pumps c for ms and returns the bytes that arrived meanwhile. */
static uint64_t bytes_during(struct vtc *c, unsigned ms)
{
	uint64_t before = vtc_bytes_received(c), end = vt_now_ms() + ms;

	while (vt_now_ms() < end)
		assert_int_equal(vtc_pump(c, 20), 0);
	return vtc_bytes_received(c) - before;
}

static void test_small_change_and_identical_rewrite(void **state)
{
	struct vnc_config cfg = vt_config();
	struct vnc_server_stats st0, st1;
	struct vtc *raw, *tight;
	struct fb_access acc;
	uint64_t b0, b1, u0;
	struct vt t;

	(void)state;
	vt_setup(&t, 1920, 1080, PIXMAN_x8r8g8b8, &cfg);
	vt_draw_random(&t, 3, 50);
	/* Tight first: a 1080p raw frame (8 MiB) fills the socket buffers, so
	 * the raw client must be read while the tight one connects. */
	tight = vt_connect(&t, "tight");
	vt_expect_guest(&t, tight, "tight 1080p");
	raw = vt_connect(&t, "raw");
	vt_expect_guest(&t, raw, "raw 1080p");
	/* Let everything in flight arrive. */
	bytes_during(raw, QUIET_WATCH_MS);
	bytes_during(tight, QUIET_WATCH_MS);

	/* One 16x16 change. */
	b0 = vtc_bytes_received(raw);
	b1 = vtc_bytes_received(tight);
	assert_int_equal(fb_fill_rect(t.fb, 800, 400, 16, 16, 0x00123456), 0);
	vt_expect_guest(&t, raw, "raw after 16x16");
	vt_expect_guest(&t, tight, "tight after 16x16");
	bytes_during(raw, 100);
	bytes_during(tight, 100);
	b0 = vtc_bytes_received(raw) - b0;
	b1 = vtc_bytes_received(tight) - b1;
	print_message("16x16 change on 1920x1080: raw %llu bytes, tight %llu bytes\n",
		      (unsigned long long)b0, (unsigned long long)b1);
	assert_true(b0 > 0 && b0 <= SMALL_CHANGE_MAX_BYTES);
	assert_true(b1 > 0 && b1 <= SMALL_CHANGE_MAX_BYTES);

	/* 100 scattered 16x16 squares along a diagonal: merged into row bands
	 * (below LibVNCServer's 50-rectangle limit), so raw does not fall
	 * back to the bounding box (8 MiB). */
	b0 = vtc_bytes_received(raw);
	for (int i = 0; i < 100; i++)
		assert_int_equal(fb_fill_rect(t.fb, 40 + i * 18, 20 + i * 10, 16, 16, 0x00ff00ff),
				 0);
	vt_expect_guest(&t, raw, "raw after scattered squares");
	vt_expect_guest(&t, tight, "tight after scattered squares");
	bytes_during(tight, 100);
	bytes_during(raw, 100);
	b0 = vtc_bytes_received(raw) - b0;
	print_message("100 scattered 16x16 squares on 1920x1080, raw: %llu bytes\n",
		      (unsigned long long)b0);
	assert_true(b0 <= SCATTERED_MAX_BYTES);

	/* Identical rewrite of the whole frame: pages go dirty, nothing
	 * changes, nothing is sent. */
	vnc_server_get_stats(t.vnc, &st0);
	u0 = vtc_updates(raw);
	fb_access_begin(t.fb, &acc);
	assert_int_equal(fb_write(t.fb, 0, acc.pixels, (size_t)acc.mode.stride * acc.mode.height),
			 0);
	fb_access_end(t.fb, &acc);
	fb_render_kick(t.render);
	assert_int_equal(fb_render_wait_ticks(t.render, 2, VT_WAIT_MS), 0);
	/* The VNC thread has compared the cells once the counter moves. */
	for (uint64_t end = vt_now_ms() + VT_WAIT_MS;;) {
		vnc_server_get_stats(t.vnc, &st1);
		if (st1.cells_compared >= st0.cells_compared + (1920 / 16) * (1080 / 16))
			break;
		assert_true(vt_now_ms() < end);
		bytes_during(raw, 20);
	}
	assert_int_equal(st1.cells_changed, st0.cells_changed);
	assert_int_equal(bytes_during(raw, QUIET_WATCH_MS), 0);
	assert_int_equal(bytes_during(tight, QUIET_WATCH_MS), 0);
	assert_int_equal(vtc_updates(raw), u0);

	/* Idle with clients connected: the VNC thread sleeps in poll(). */
	{
		unsigned long t0 = vnc_thread_ticks();

		bytes_during(raw, IDLE_WATCH_MS);
		print_message("VNC thread CPU while idle for %u ms: %lu ticks\n", IDLE_WATCH_MS,
			      vnc_thread_ticks() - t0);
		assert_true(vnc_thread_ticks() - t0 <= IDLE_MAX_TICKS);
	}

	vtc_free(raw);
	vtc_free(tight);
	vt_teardown(&t);
}

/* Counters the server's stats and client list expose. */
static void test_counters(void **state)
{
	struct vnc_config cfg = vt_config();
	struct vnc_client_info info[4];
	struct vnc_server_stats st;
	struct vtc *c;
	struct vt t;
	size_t n;

	(void)state;
	vt_setup(&t, 160, 100, PIXMAN_x8r8g8b8, &cfg);
	c = vt_connect(&t, "hextile");
	vt_draw_random(&t, 5, 10);
	vt_expect_guest(&t, c, "hextile");
	bytes_during(c, 100);
	n = vnc_server_list_clients(t.vnc, info, 4);
	assert_int_equal(n, 1);
	print_message("client: enc %s updates %llu rects %llu bytes %llu (client got %llu)\n",
		      info[0].encoding, (unsigned long long)info[0].updates,
		      (unsigned long long)info[0].rects, (unsigned long long)info[0].bytes_sent,
		      (unsigned long long)vtc_bytes_received(c));
	assert_string_equal(info[0].encoding, "hextile");
	assert_non_null(strstr(info[0].address, "127.0.0.1:"));
	assert_true(info[0].updates >= 1);
	assert_true(info[0].rects >= 1);
	assert_true(info[0].bytes_sent > 100);
	assert_true(info[0].bytes_sent <= vtc_bytes_received(c));
	vnc_server_get_stats(t.vnc, &st);
	assert_int_equal(st.clients, 1);
	assert_int_equal(st.connects, 1);
	assert_int_equal(st.width, 160);
	assert_int_equal(st.height, 100);
	/* Disconnect by id. */
	assert_int_equal(vnc_server_disconnect_client(t.vnc, info[0].id), 0);
	assert_int_equal(vnc_server_disconnect_client(t.vnc, 999999), -ENOENT);
	for (uint64_t end = vt_now_ms() + VT_WAIT_MS;;) {
		if (vtc_pump(c, 50) < 0)
			break;
		assert_true(vt_now_ms() < end);
	}
	for (uint64_t end = vt_now_ms() + VT_WAIT_MS;;) {
		vnc_server_get_stats(t.vnc, &st);
		if (st.disconnects == 1 && st.clients == 0)
			break;
		assert_true(vt_now_ms() < end);
		fb_render_kick(t.render);
		fb_render_wait_ticks(t.render, 1, 1000);
	}
	vtc_free(c);
	vt_teardown(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lossless_encodings),
		cmocka_unit_test(test_lossy_encodings),
		cmocka_unit_test(test_guest_formats),
		cmocka_unit_test(test_small_change_and_identical_rewrite),
		cmocka_unit_test(test_counters),
	};

	vt_filter_from_env();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
