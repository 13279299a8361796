/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tests/vnc/test-vnc-lifecycle.c - 1000 connect/disconnect cycles, made by
 * CYCLE_THREADS client threads at once, leave the thread count, the
 * descriptor count and RSS flat. (LibVNCServer's background mode leaks a
 * thread per client, upstream #570; the VNC frontend avoids it by design
 * with its single-threaded mode.) Each client goes through the edge: its
 * connection, handshake, socketpair and output queue come and go too.
 */
#include <dirent.h>
#include <malloc.h>
#include <unistd.h>

#include "tests/vnc/vnc-fixture.h"

#define CYCLES 1000
/* Warms up every client thread's malloc arena before RSS is measured. */
#define WARMUP_CYCLES 64
/* Clients at a time (below the edge's per-address limit). */
#define CYCLE_THREADS 8
/* Growth allowed for RSS after malloc_trim with one malloc arena (runs
 * here: 12-24 KiB; 1000 cycles that kept one 4 KiB page each would fail). */
#define RSS_GROWTH_MAX_BYTES (1u * 1024 * 1024)

static unsigned count_dir(const char *path)
{
	DIR *d = opendir(path);
	unsigned n = 0;

	assert_non_null(d);
	for (struct dirent *e; (e = readdir(d));)
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

#ifdef __SANITIZE_ADDRESS__
/* From the sanitizer runtime (sanitizer/allocator_interface.h, not
 * installed with Debian's gcc). */
size_t __sanitizer_get_current_allocated_bytes(void);
#define MEMORY_METRIC "live heap (ASan: RSS holds its quarantine)"
/* Under ASan, freed memory sits in a quarantine that inflates RSS; the
 * allocator's count of live bytes is the leak measure instead. */
static uint64_t memory_bytes(void)
{
	return __sanitizer_get_current_allocated_bytes();
}
#else
#define MEMORY_METRIC "RSS (trimmed)"
/* RSS after malloc_trim (main() also keeps malloc to one arena): free
 * memory that per-thread arenas would keep (the client threads' decoder
 * buffers, freed at different moments each run) is given back first, so
 * what remains is what the cycles hold. */
static uint64_t memory_bytes(void)
{
	unsigned long size = 0, resident = 0;
	FILE *f;

	malloc_trim(0);
	f = fopen("/proc/self/statm", "r");
	assert_non_null(f);
	assert_int_equal(fscanf(f, "%lu %lu", &size, &resident), 2);
	fclose(f);
	return (uint64_t)resident * (uint64_t)sysconf(_SC_PAGESIZE);
}
#endif

/* Waits until the server has seen every client go. */
static void wait_all_gone(struct vt *t, uint64_t connects)
{
	struct vnc_server_stats st;

	for (uint64_t end = vt_now_ms() + VT_WAIT_MS;;) {
		vnc_server_get_stats(t->vnc, &st);
		if (st.clients == 0 && st.connects == connects && st.disconnects == connects)
			return;
		if (vt_now_ms() > end)
			fail_msg("clients %u connects %llu disconnects %llu", st.clients,
				 (unsigned long long)st.connects,
				 (unsigned long long)st.disconnects);
		usleep(2000);
	}
}

static void cycle(struct vt *t, unsigned i)
{
	static const char *const enc[] = { "raw", "tight", "zrle", "hextile", "zlib" };
	struct vtc *c = vt_connect(t, enc[i % 5]);

	assert_int_equal(vtc_wait_update(c, VT_WAIT_MS), 0);
	vtc_free(c);
}

struct cycler {
	struct vt *t;
	unsigned first, count;
};

static void *cycler_main(void *arg)
{
	struct cycler *c = arg;

	for (unsigned i = 0; i < c->count; i++)
		cycle(c->t, c->first + i);
	return NULL;
}

/* Runs n cycles on CYCLE_THREADS threads. */
static void run_cycles(struct vt *t, unsigned n)
{
	pthread_t thr[CYCLE_THREADS];
	struct cycler cy[CYCLE_THREADS];

	for (unsigned i = 0; i < CYCLE_THREADS; i++) {
		cy[i] = (struct cycler){ t, i * (n / CYCLE_THREADS), n / CYCLE_THREADS };
		assert_int_equal(pthread_create(&thr[i], NULL, cycler_main, &cy[i]), 0);
	}
	for (unsigned i = 0; i < CYCLE_THREADS; i++)
		pthread_join(thr[i], NULL);
}

static void test_connect_disconnect_cycles(void **state)
{
	struct vnc_config cfg = vt_config();
	unsigned threads0, fds0, threads1, fds1;
	uint64_t rss0, rss1, t0;
	struct vt t;

	(void)state;
	vt_setup(&t, 320, 240, PIXMAN_x8r8g8b8, &cfg);
	vt_draw_random(&t, 11, 30);
	run_cycles(&t, WARMUP_CYCLES);
	wait_all_gone(&t, WARMUP_CYCLES);
	threads0 = count_dir("/proc/self/task");
	fds0 = count_dir("/proc/self/fd");
	rss0 = memory_bytes();
	t0 = vt_now_ms();
	run_cycles(&t, CYCLES);
	wait_all_gone(&t, WARMUP_CYCLES + CYCLES);
	threads1 = count_dir("/proc/self/task");
	fds1 = count_dir("/proc/self/fd");
	rss1 = memory_bytes();
	print_message("%d cycles in %llu ms: threads %u -> %u, fds %u -> %u, %s %llu -> %llu KiB\n",
		      CYCLES, (unsigned long long)(vt_now_ms() - t0), threads0, threads1, fds0,
		      fds1, MEMORY_METRIC, (unsigned long long)rss0 / 1024,
		      (unsigned long long)rss1 / 1024);
	assert_int_equal(threads1, threads0);
	assert_int_equal(fds1, fds0);
	assert_true(rss1 <= rss0 + RSS_GROWTH_MAX_BYTES);
	vt_teardown(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_connect_disconnect_cycles),
	};

#ifndef __SANITIZE_ADDRESS__
	mallopt(M_ARENA_MAX, 1);
#endif
	vt_filter_from_env();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
