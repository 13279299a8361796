/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tests/bench/memory/bench-memory.c - cost of the blocked, RCU-extended dirty
 * bitmaps (memory/ram.h) against a flat atomic bitmap without RCU, the design
 * before the seed patch, measured in the same run with the same word-at-a-time
 * helpers (memory/bitops.h). Prints ns/page and speed ratios (flat time /
 * fbhost time: 1.00 = as fast as flat, target >= 0.90).
 *
 * Then test_and_clear while another thread keeps growing the RAM space, as a
 * ratio against the same reader with the grower idle (target >= 0.90).
 *
 * Not a test: run by hand, e.g. build/tests/bench/memory/bench-memory [reps].
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "memory/bitops.h"
#include "memory/ram.h"

#define BENCH_PAGE_BITS 12u
#define BENCH_SPACE_BYTES (UINT64_C(1) << 30)
#define BENCH_SPACE_PAGES (BENCH_SPACE_BYTES >> BENCH_PAGE_BITS)
#define BENCH_DEFAULT_REPS 30u
/* Growth run: 16 MiB of RAM per bitmap block, one new bitmap block per add. */
#define BENCH_GROW_BLOCK_PAGES (UINT64_C(1) << 12)
#define BENCH_GROW_ADD_BYTES (BENCH_GROW_BLOCK_PAGES << BENCH_PAGE_BITS)
#define BENCH_GROW_MAX_ADDS 4096u

#if defined(__has_attribute)
#if __has_attribute(noipa)
#define FLAT_API static __attribute__((noipa))
#endif
#endif
#ifndef FLAT_API
#define FLAT_API static __attribute__((noinline))
#endif

/* The baseline: one flat atomic bitmap per client, fixed size, no RCU. */
struct flat {
	bm_word *bits[DIRTY_MEMORY_NUM];
	uint64_t pages;
};

struct flat_snapshot {
	uint64_t first, end, base;
	unsigned long words[];
};

static void flat_pages(const struct flat *f, uint64_t start, uint64_t length, uint64_t *first,
		       uint64_t *end)
{
	*first = start >> BENCH_PAGE_BITS;
	*end = (start + length + (1u << BENCH_PAGE_BITS) - 1) >> BENCH_PAGE_BITS;
	if (*end > f->pages)
		*end = f->pages;
	if (*first > *end)
		*first = *end;
}

/* noipa: a real library call, as dirty_*() is (no inlining, no cloning). */
FLAT_API void flat_set_range(struct flat *f, uint64_t start, uint64_t length, unsigned mask)
{
	uint64_t first, end;

	flat_pages(f, start, length, &first, &end);
	for (unsigned c = 0; c < DIRTY_MEMORY_NUM; c++) {
		if (mask & (1u << c))
			bm_set_atomic(f->bits[c], first, end - first);
	}
}

/* noipa: a real library call, as dirty_*() is (no inlining, no cloning). */
FLAT_API bool flat_test_and_clear(struct flat *f, uint64_t start, uint64_t length, unsigned c)
{
	uint64_t first, end;

	flat_pages(f, start, length, &first, &end);
	return bm_test_and_clear_atomic(f->bits[c], first, end - first);
}

/* noipa: a real library call, as dirty_*() is (no inlining, no cloning). */
FLAT_API bool flat_get(struct flat *f, uint64_t start, uint64_t length, unsigned c)
{
	uint64_t first, end;

	flat_pages(f, start, length, &first, &end);
	return bm_scan(f->bits[c], first, end - first, false);
}

/* noipa: a real library call, as dirty_*() is (no inlining, no cloning). */
FLAT_API struct flat_snapshot *flat_snapshot_and_clear(struct flat *f, uint64_t start,
						       uint64_t length, unsigned c)
{
	uint64_t first, end, nwords;
	struct flat_snapshot *s;

	flat_pages(f, start, length, &first, &end);
	nwords = end > first ? BIT_WORD(end - 1) - BIT_WORD(first) + 1 : 0;
	s = malloc(sizeof(*s) + nwords * sizeof(unsigned long));
	if (!s)
		return NULL;
	s->first = first;
	s->end = end;
	s->base = first - first % BITS_PER_LONG;
	bm_take_atomic(f->bits[c], first, end - first, s->words);
	return s;
}

/* Same query as dirty_snapshot_get(). */
FLAT_API bool flat_snapshot_get(const struct flat_snapshot *s, uint64_t start, uint64_t length)
{
	uint64_t first = start >> BENCH_PAGE_BITS;
	uint64_t end = (start + length + (1u << BENCH_PAGE_BITS) - 1) >> BENCH_PAGE_BITS;

	first = first > s->first ? first : s->first;
	end = end < s->end ? end : s->end;
	return first < end && bm_any_private(s->words, first - s->base, end - first);
}

static double clock_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static double now_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

enum bench_op { OP_SET_RANGE, OP_TEST_AND_CLEAR, OP_GET, OP_SNAPSHOT, OP_NUM };
static const char *const op_names[OP_NUM] = { "set_range", "test_and_clear", "get",
					      "snapshot_and_clear" };

static volatile uint64_t sink;

/* Prepares the bitmap state op is measured on: dirty for the clearing ops,
 * clean for get (a full scan). Untimed. */
static void prepare(struct ram_list *rl, struct flat *f, enum bench_op op, bool use_flat)
{
	bool dirty = op == OP_TEST_AND_CLEAR || op == OP_SNAPSHOT;

	if (use_flat) {
		if (dirty)
			flat_set_range(f, 0, BENCH_SPACE_BYTES, 1u << DIRTY_MEMORY_VGA);
		else
			flat_test_and_clear(f, 0, BENCH_SPACE_BYTES, DIRTY_MEMORY_VGA);
	} else {
		if (dirty)
			dirty_set_range(rl, 0, BENCH_SPACE_BYTES, 1u << DIRTY_MEMORY_VGA);
		else
			dirty_test_and_clear(rl, 0, BENCH_SPACE_BYTES, DIRTY_MEMORY_VGA);
	}
}

/* One pass of op over the whole 1 GiB space in chunks of chunk bytes;
 * returns ns. */
static double pass(struct ram_list *rl, struct flat *f, enum bench_op op, uint64_t chunk,
		   bool use_flat)
{
	uint64_t acc = 0;
	double t0;

	prepare(rl, f, op, use_flat);
	t0 = now_ns();
	for (uint64_t a = 0; a < BENCH_SPACE_BYTES; a += chunk) {
		switch (op) {
		case OP_SET_RANGE:
			if (use_flat)
				flat_set_range(f, a, chunk, 1u << DIRTY_MEMORY_VGA);
			else
				dirty_set_range(rl, a, chunk, 1u << DIRTY_MEMORY_VGA);
			break;
		case OP_TEST_AND_CLEAR:
			acc += use_flat ? flat_test_and_clear(f, a, chunk, DIRTY_MEMORY_VGA)
					: dirty_test_and_clear(rl, a, chunk, DIRTY_MEMORY_VGA);
			break;
		case OP_GET:
			acc += use_flat ? flat_get(f, a, chunk, DIRTY_MEMORY_VGA)
					: dirty_get(rl, a, chunk, DIRTY_MEMORY_VGA);
			break;
		case OP_SNAPSHOT:
			if (use_flat) {
				struct flat_snapshot *s =
					flat_snapshot_and_clear(f, a, chunk, DIRTY_MEMORY_VGA);

				acc += flat_snapshot_get(s, a, 1);
				free(s);
			} else {
				struct dirty_snapshot *s =
					dirty_snapshot_and_clear(rl, a, chunk, DIRTY_MEMORY_VGA);

				acc += dirty_snapshot_get(s, a, 1);
				dirty_snapshot_free(s);
			}
			break;
		default:
			break;
		}
	}
	sink += acc;
	return now_ns() - t0;
}

/* Best of reps passes, alternating flat and fbhost so drift hits both. */
static void compare(struct ram_list *rl, struct flat *f, enum bench_op op, uint64_t chunk,
		    unsigned reps)
{
	double best_flat = 1e30, best_rcu = 1e30;

	for (unsigned r = 0; r < reps; r++) {
		double tf = pass(rl, f, op, chunk, true);
		double tr = pass(rl, f, op, chunk, false);

		best_flat = tf < best_flat ? tf : best_flat;
		best_rcu = tr < best_rcu ? tr : best_rcu;
	}
	printf("%-19s %5llu MiB  flat %8.4f ns/page  fbhost %8.4f ns/page  speed %.2fx flat\n",
	       op_names[op], (unsigned long long)(chunk >> 20), best_flat / BENCH_SPACE_PAGES,
	       best_rcu / BENCH_SPACE_PAGES, best_flat / best_rcu);
}

struct grower {
	struct ram_list *rl;
	atomic_int stop;  /* flag */
	atomic_uint adds; /* written by the grower */
	atomic_int error; /* written by the grower */
};

static void *grower_main(void *opaque)
{
	struct grower *g = opaque;

	unsigned n;

	for (n = 0;
	     n < BENCH_GROW_MAX_ADDS && !atomic_load_explicit(&g->stop, memory_order_relaxed);
	     n++) {
		if (!ram_block_add(g->rl, "grow", BENCH_GROW_ADD_BYTES, BENCH_GROW_ADD_BYTES)) {
			atomic_store_explicit(&g->error, errno ? errno : ENOMEM,
					      memory_order_relaxed);
			break;
		}
		atomic_store_explicit(&g->adds, n + 1, memory_order_relaxed);
	}
	return NULL;
}

/* test_and_clear over the first 1 GiB in 1 MiB chunks (the most RCU
 * sections per page): mean per-pass CPU time of the reader with the grower idle, then while it
 * keeps adding blocks (each add publishes longer arrays and queues the old
 * ones for call_rcu), until it reaches BENCH_GROW_MAX_ADDS. */
static int bench_growth(unsigned reps)
{
	struct ram_list_config cfg = { .page_bits = BENCH_PAGE_BITS,
				       .block_pages = BENCH_GROW_BLOCK_PAGES };
	struct ram_list *rl = ram_list_new(&cfg);
	struct grower *g = calloc(1, sizeof(*g));
	uint64_t chunk = UINT64_C(1) << 20;
	double idle = 0, busy = 0;
	unsigned idle_passes = 0, busy_passes = 0;
	pthread_t tid;

	if (!rl || !g || !ram_block_add(rl, "base", BENCH_SPACE_BYTES, BENCH_SPACE_BYTES)) {
		perror("bench-memory: growth setup");
		return -1;
	}
	g->rl = rl;
	if (pthread_create(&tid, NULL, grower_main, g) != 0) {
		perror("bench-memory: pthread_create");
		return -1;
	}
	/* Growing: until the grower is done (it stops at BENCH_GROW_MAX_ADDS).
	 * Timed in this thread's CPU time, over the whole phase: a reader
	 * descheduled in favour of the grower (2 shared cores) is not a reader
	 * slowed by growth, and the CPU clock may be coarse. */
	busy = clock_ns(CLOCK_THREAD_CPUTIME_ID);
	while (busy_passes < reps ||
	       atomic_load_explicit(&g->adds, memory_order_relaxed) < BENCH_GROW_MAX_ADDS) {
		pass(rl, NULL, OP_TEST_AND_CLEAR, chunk, false);
		busy_passes++;
		if (atomic_load_explicit(&g->error, memory_order_relaxed))
			break;
	}
	busy = clock_ns(CLOCK_THREAD_CPUTIME_ID) - busy;
	atomic_store_explicit(&g->stop, 1, memory_order_relaxed);
	pthread_join(tid, NULL);
	/* Idle: the same number of passes on the same (now larger) list. */
	idle = clock_ns(CLOCK_THREAD_CPUTIME_ID);
	for (idle_passes = 0; idle_passes < busy_passes; idle_passes++)
		pass(rl, NULL, OP_TEST_AND_CLEAR, chunk, false);
	idle = clock_ns(CLOCK_THREAD_CPUTIME_ID) - idle;
	idle /= idle_passes;
	busy /= busy_passes;
	printf("test_and_clear      1 MiB  grower idle %8.4f ns/page  growing %8.4f ns/page  "
	       "speed %.2fx idle  (reader CPU time, %u passes each; %u blocks added, RAM space "
	       "%llu GiB)\n",
	       idle / BENCH_SPACE_PAGES, busy / BENCH_SPACE_PAGES, idle / busy, busy_passes,
	       g->adds, (unsigned long long)(ram_list_size(rl) >> 30));
	if (g->error)
		fprintf(stderr, "bench-memory: grower stopped: %s\n", strerror(g->error));
	ram_list_free(rl);
	free(g);
	return 0;
}

/* Every op and range size on rl against the flat baseline. */
static void compare_all(struct ram_list *rl, struct flat *f, unsigned reps)
{
	static const uint64_t chunks[] = { UINT64_C(1) << 20, UINT64_C(64) << 20,
					   UINT64_C(1) << 30 };

	for (unsigned op = 0; op < OP_NUM; op++) {
		for (unsigned i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++)
			compare(rl, f, op, chunks[i], reps);
	}
}

int main(int argc, char **argv)
{
	unsigned reps = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 10) : BENCH_DEFAULT_REPS;
	struct ram_list_config small = { .page_bits = BENCH_PAGE_BITS,
					 .block_pages = BENCH_GROW_BLOCK_PAGES };
	struct flat f = { .pages = BENCH_SPACE_PAGES };
	struct ram_list *rl;

	if (!reps)
		reps = BENCH_DEFAULT_REPS;
	for (unsigned c = 0; c < DIRTY_MEMORY_NUM; c++) {
		f.bits[c] = calloc(BITS_TO_LONGS(BENCH_SPACE_PAGES), sizeof(bm_word));
		if (!f.bits[c]) {
			perror("bench-memory: calloc");
			return 1;
		}
	}
	/* Default config: 1 GiB sits in bitmap block 0, reached without RCU. */
	rl = ram_list_new(NULL);
	if (!rl || !ram_block_add(rl, "ram", BENCH_SPACE_BYTES, BENCH_SPACE_BYTES)) {
		perror("bench-memory: setup");
		return 1;
	}
	printf("bench-memory: 1 GiB of 4 KiB pages; speed = flat time / fbhost time, best of %u "
	       "passes\n\n[default bitmap blocks (2^21 pages = 8 GiB of RAM): all in block 0]\n",
	       reps);
	compare_all(rl, &f, reps);
	ram_list_free(rl);
	/* Small blocks: 1 GiB spans 64 bitmap blocks, every call goes through
	 * an RCU read-side section and the pointer array. */
	rl = ram_list_new(&small);
	if (!rl || !ram_block_add(rl, "ram", BENCH_SPACE_BYTES, BENCH_SPACE_BYTES)) {
		perror("bench-memory: setup");
		return 1;
	}
	printf("\n[bitmap blocks of 2^12 pages (16 MiB of RAM): RCU array path, 64 blocks]\n");
	compare_all(rl, &f, reps);
	ram_list_free(rl);
	for (unsigned c = 0; c < DIRTY_MEMORY_NUM; c++)
		free(f.bits[c]);
	printf("\n[growth: 2^12-page bitmap blocks, another thread adds 16 MiB blocks]\n");
	return bench_growth(reps) ? 1 : 0;
}
