/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tests/vnc/test-vnc-hostile.c - one bad client never slows the others.
 *
 * A guest thread draws numbered frames; one good libvncclient viewer counts
 * the frames it sees and their latency (guest write -> viewer), first alone,
 * then while a hostile client runs:
 *   1. one that asks for full raw updates with a small receive buffer and
 *      never reads (reconnecting whenever it is dropped);
 *   2. one that dribbles a message one byte every 100 ms;
 *   3. 20 silent connections a second;
 *   4. 200 connections opened at once;
 *   5. garbage after the handshake (reconnecting).
 * The good viewer keeps most of its frames and its latency (generous,
 * ratio-based bounds: these are two shared cores, maybe under a sanitizer;
 * bench-edge measures for real), and the hostile clients are dropped or
 * refused with the logged reason.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tests/vnc/vnc-fixture.h"
#include "tests/vnc/vnc-raw-client.h"

#define W 1024
#define H 768
#define FRAME_MS 20u
#define MAX_FRAMES 100000u
#define PHASE_MS 3000u
#define SLOW_TIMEOUT_MS 1000u
#define HANDSHAKE_TIMEOUT_MS 500u
/* The good viewer keeps at least this share of its alone frames, and its
 * p95 latency stays within LATENCY_FACTOR x alone + LATENCY_SLACK_MS. */
#define FRAMES_SHARE_MIN 0.5
#define LATENCY_FACTOR 3u
#define LATENCY_SLACK_MS 100u

/* The guest: numbered frames every FRAME_MS (number in the top-left cell,
 * noise beside it). */
static struct {
	struct vt *t;
	atomic_bool stop;
	_Atomic uint64_t written_at[MAX_FRAMES];
	pthread_t thread;
} guest;

static void *guest_main(void *arg)
{
	uint64_t seed = 7;
	uint32_t frame = 0;
	struct timespec next;

	(void)arg;
	clock_gettime(CLOCK_MONOTONIC, &next);
	while (!atomic_load(&guest.stop) && frame + 1 < MAX_FRAMES) {
		struct fb_access acc;

		frame++;
		atomic_store(&guest.written_at[frame], vt_now_ms());
		fb_access_begin(guest.t->fb, &acc);
		for (int y = 0; y < 32; y++)
			for (int x = 0; x < 32; x++)
				((uint32_t *)((char *)acc.pixels +
					      (size_t)(64 + y) * acc.mode.stride))[64 + x] =
					(uint32_t)vt_rand(&seed);
		fb_mark_dirty(guest.t->fb, &acc, 64, 64, 32, 32);
		fb_access_end(guest.t->fb, &acc);
		assert_int_equal(fb_fill_rect(guest.t->fb, 0, 0, 16, 16, frame), 0);
		fb_render_kick(guest.t->render);
		next.tv_nsec += FRAME_MS * 1000000L;
		if (next.tv_nsec >= 1000000000L) {
			next.tv_sec++;
			next.tv_nsec -= 1000000000L;
		}
		/* Pacing the guest, not waiting for a result. */
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
	}
	return NULL;
}

struct phase {
	unsigned frames;
	uint64_t p95_ms, max_ms;
};

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Counts the frames the good viewer sees in PHASE_MS, and their latency. */
static struct phase measure(struct vtc *good)
{
	static uint64_t lat[MAX_FRAMES];
	uint64_t start = vt_now_ms(), now;
	uint32_t last = vtc_pixels(good)[0] & 0xffffffu;
	struct phase p = { 0 };

	while ((now = vt_now_ms()) - start < PHASE_MS) {
		uint32_t seen;

		assert_int_equal(vtc_pump(good, 10), 0);
		seen = vtc_pixels(good)[0] & 0xffffffu;
		if (seen != last && seen > 0 && seen < MAX_FRAMES && p.frames < MAX_FRAMES) {
			uint64_t at = atomic_load(&guest.written_at[seen]);

			lat[p.frames++] = vt_now_ms() - at;
			last = seen;
		}
	}
	if (p.frames) {
		qsort(lat, p.frames, sizeof(lat[0]), cmp_u64);
		p.p95_ms = lat[(p.frames * 95) / 100];
		p.max_ms = lat[p.frames - 1];
	}
	return p;
}

/* A hostile client, run on its own thread until stop. */
struct hostile {
	int port;
	atomic_bool stop;
	unsigned connections, drops;
	void (*run)(struct hostile *h);
};

/* Waits for stop, at most ms (the hostile clients' own pacing). */
static bool pause_ms(struct hostile *h, unsigned ms)
{
	uint64_t end = vt_now_ms() + ms;

	while (!atomic_load(&h->stop) && vt_now_ms() < end)
		poll(NULL, 0, 5);
	return !atomic_load(&h->stop);
}

/* 1: full raw updates, a 4 KiB receive buffer, never reads. */
static void run_never_reads(struct hostile *h)
{
	static const uint8_t set_raw[8] = { 2, 0, 0, 1, 0, 0, 0, 0 };
	static const uint8_t full[10] = { 3, 0, 0, 0, 0, 0, W >> 8, W & 255, H >> 8, H & 255 };

	while (!atomic_load(&h->stop)) {
		int fd = vt_rfb_client(h->port, 4096);

		if (fd < 0) {
			pause_ms(h, 50);
			continue;
		}
		h->connections++;
		send(fd, set_raw, sizeof(set_raw), MSG_NOSIGNAL);
		while (pause_ms(h, 20))
			if (send(fd, full, sizeof(full), MSG_NOSIGNAL | MSG_DONTWAIT) < 0 &&
			    errno != EAGAIN) {
				h->drops++;
				break;
			}
		close(fd);
	}
}

/* 2: a KeyEvent, one byte every 100 ms, again and again. */
static void run_dribbler(struct hostile *h)
{
	static const uint8_t key[8] = { 4, 1, 0, 0, 0, 0, 0, 'a' };
	int fd = vt_rfb_client(h->port, 0);

	assert_true(fd >= 0);
	h->connections++;
	for (size_t i = 0; pause_ms(h, 100); i++)
		if (send(fd, &key[i % sizeof(key)], 1, MSG_NOSIGNAL) != 1) {
			h->drops++;
			break;
		}
	close(fd);
}

/* 3: 20 silent connections a second, each kept 2 s. */
static void run_silent(struct hostile *h)
{
	int fds[64];
	uint64_t opened[64];
	unsigned n = 0;

	do {
		uint64_t now = vt_now_ms();

		while (n && now - opened[0] >= 2000) {
			close(fds[0]);
			memmove(fds, fds + 1, --n * sizeof(fds[0]));
			memmove(opened, opened + 1, n * sizeof(opened[0]));
		}
		if (n < 64) {
			fds[n] = vt_tcp_connect(h->port, 0, true);
			opened[n++] = now;
			h->connections++;
		}
	} while (pause_ms(h, 50));
	while (n)
		close(fds[--n]);
}

/* 4: 200 connections at once, kept until the end. */
static void run_flood(struct hostile *h)
{
	int fds[200];

	for (unsigned i = 0; i < 200; i++)
		fds[i] = vt_tcp_connect(h->port, 0, true);
	h->connections = 200;
	while (pause_ms(h, 100))
		;
	for (unsigned i = 0; i < 200; i++)
		close(fds[i]);
}

/* 5: random bytes (an unknown type first) after the handshake. */
static void run_garbage(struct hostile *h)
{
	uint64_t seed = 3;

	while (!atomic_load(&h->stop)) {
		uint8_t junk[64];
		int fd = vt_rfb_client(h->port, 0);

		if (fd < 0) {
			pause_ms(h, 50);
			continue;
		}
		h->connections++;
		for (size_t i = 0; i < sizeof(junk); i++)
			junk[i] = (uint8_t)vt_rand(&seed);
		junk[0] = 0x77;
		send(fd, junk, sizeof(junk), MSG_NOSIGNAL);
		/* The server closes it: read until EOF. */
		while (recv(fd, junk, sizeof(junk), 0) > 0)
			;
		close(fd);
		pause_ms(h, 50);
	}
}

static void *hostile_main(void *arg)
{
	struct hostile *h = arg;

	h->run(h);
	return NULL;
}

/* Runs one scenario: alone, then with the hostile client; checks the
 * good viewer's share and latency, and that the log says expect. */
static void scenario(const char *name, void (*run)(struct hostile *), const char *expect)
{
	struct vnc_config cfg = vt_config();
	struct hostile h = { .run = run };
	struct phase alone, with;
	struct vnc_server_stats st;
	pthread_t thr;
	struct vtc *good;
	struct vt t;

	cfg.slow_client_timeout_ms = SLOW_TIMEOUT_MS;
	cfg.handshake_timeout_ms = HANDSHAKE_TIMEOUT_MS;
	cfg.log = vt_log_line;
	vt_log_clear();
	vt_setup(&t, W, H, PIXMAN_x8r8g8b8, &cfg);
	vt_draw_random(&t, 5, 20);
	good = vt_connect(&t, "raw");
	vt_expect_guest(&t, good, "good viewer");
	guest.t = &t;
	atomic_store(&guest.stop, false);
	assert_int_equal(pthread_create(&guest.thread, NULL, guest_main, NULL), 0);

	alone = measure(good);
	h.port = vnc_server_port(t.vnc);
	atomic_init(&h.stop, false);
	assert_int_equal(pthread_create(&thr, NULL, hostile_main, &h), 0);
	with = measure(good);
	atomic_store(&h.stop, true);
	pthread_join(thr, NULL);
	atomic_store(&guest.stop, true);
	pthread_join(guest.thread, NULL);

	vnc_server_get_stats(t.vnc, &st);
	print_message("%s: alone %u frames, p95 %llu ms, max %llu ms; with it %u frames (%.2f), "
		      "p95 %llu ms, max %llu ms; %u hostile connections, %llu slow drops\n",
		      name, alone.frames, (unsigned long long)alone.p95_ms,
		      (unsigned long long)alone.max_ms, with.frames,
		      alone.frames ? (double)with.frames / alone.frames : 0.0,
		      (unsigned long long)with.p95_ms, (unsigned long long)with.max_ms,
		      h.connections, (unsigned long long)st.slow_disconnects);
	assert_true(alone.frames > 0);
	assert_true(with.frames >= FRAMES_SHARE_MIN * alone.frames);
	assert_true(with.p95_ms <= LATENCY_FACTOR * alone.p95_ms + LATENCY_SLACK_MS);
	if (expect && !vt_wait_log(expect, VT_WAIT_MS))
		fail_msg("%s: the log never said \"%s\"", name, expect);
	/* The good viewer is still served exactly. */
	vt_expect_guest(&t, good, "good viewer after the hostile client");
	vtc_free(good);
	vt_teardown(&t);
}

static void test_never_reads(void **state)
{
	(void)state;
	scenario("never reads", run_never_reads, "disconnected: not reading: ");
}

static void test_dribbler(void **state)
{
	(void)state;
	/* Nothing to drop: it sends valid messages, slowly. */
	scenario("dribbles", run_dribbler, NULL);
}

static void test_silent(void **state)
{
	(void)state;
	scenario("silent connections", run_silent, ": not authenticated within 500 ms");
}

static void test_flood(void **state)
{
	(void)state;
	scenario("200 at once", run_flood, "connections from 127.0.0.1 (limit 16)");
}

static void test_garbage(void **state)
{
	(void)state;
	scenario("garbage", run_garbage, "disconnected: protocol error: unknown message type 119");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_never_reads), cmocka_unit_test(test_dribbler),
		cmocka_unit_test(test_silent),	    cmocka_unit_test(test_flood),
		cmocka_unit_test(test_garbage),
	};

	vt_filter_from_env();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
