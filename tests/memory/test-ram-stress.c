/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tests/memory/test-ram-stress.c - dirty tracking under concurrent growth.
 *
 * Two writers bump a per-page sequence number (their "pixels") and then mark
 * the page dirty, through dirty_set, dirty_set_range and dirty_set_lebitmap.
 * A grower keeps adding RAM blocks, so the bitmap grows across hundreds of
 * 64-page bitmap blocks while they run. A reader test-and-clears (and
 * snapshot-and-clears) the VGA bitmap and, for every dirty page, records the
 * sequence number it reads. After the threads stop and a final sweep, every
 * page's recorded number must equal its last written one: a dirty bit lost
 * anywhere (a bit set in a stale array, a neighbour cleared by a snapshot, a
 * reordering) leaves a page behind and is counted.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "memory/ram.h"

#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
#define STRESS_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer) || __has_feature(address_sanitizer)
#define STRESS_SANITIZED 1
#endif
#endif

#define STRESS_PAGE_BITS 12u
#define STRESS_BLOCK_PAGES 64u
#define STRESS_WRITERS 2u
#define STRESS_INITIAL_PAGES 256u
#define STRESS_ADD_MAX_PAGES 48u
#ifdef STRESS_SANITIZED
#define STRESS_WRITES_PER_WRITER 60000u
#define STRESS_MAX_PAGES 8192u
#else
#define STRESS_WRITES_PER_WRITER 400000u
#define STRESS_MAX_PAGES 32768u
#endif
/* Pages the reader takes per call: odd, so calls start mid-word. */
#define STRESS_READ_CHUNK_PAGES 37u

struct stress {
	struct ram_list *rl;
	_Atomic uint64_t content[STRESS_MAX_PAGES]; /* the "pixels", one writer per page */
	uint64_t observed[STRESS_MAX_PAGES];	    /* reader-owned until joined */
	_Atomic uint64_t writes_done;		    /* counter */
	uint64_t reader_regressions;		    /* reader-owned */
	uint64_t adds;				    /* grower-owned */
	atomic_int stop_reader;			    /* flag */
	int grower_error;			    /* grower-owned */
};

struct writer_arg {
	struct stress *s;
	unsigned id;
};

static uint64_t xorshift(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

static uint64_t size_pages(struct stress *s)
{
	return ram_list_size(s->rl) >> STRESS_PAGE_BITS;
}

static void *writer_main(void *opaque)
{
	struct writer_arg *wa = opaque;
	struct stress *s = wa->s;
	uint64_t rng = 0x9e3779b97f4a7c15ull * (wa->id + 1);
	const ram_addr_t ps = UINT64_C(1) << STRESS_PAGE_BITS;

	for (unsigned i = 0; i < STRESS_WRITES_PER_WRITER; i++) {
		uint64_t n = size_pages(s) / STRESS_WRITERS;
		uint64_t page = (xorshift(&rng) % n) * STRESS_WRITERS + wa->id;
		uint64_t v = atomic_load_explicit(&s->content[page], memory_order_relaxed) + 1;
		unsigned long word;

		/* Store the pixels, then mark the page (ordering: memory/bitops.h). */
		atomic_store_explicit(&s->content[page], v, memory_order_relaxed);
		switch (xorshift(&rng) % 3) {
		case 0:
			dirty_set(s->rl, page * ps + xorshift(&rng) % ps, DIRTY_MEMORY_VGA);
			break;
		case 1:
			dirty_set_range(s->rl, page * ps, 1 + xorshift(&rng) % ps,
					DIRTY_CLIENTS_ALL);
			break;
		default:
			word = 1UL << (page % (sizeof(long) * 8));
			dirty_set_lebitmap(s->rl, &word, (page - page % (sizeof(long) * 8)) * ps,
					   sizeof(long) * 8, DIRTY_CLIENTS_ALL);
			break;
		}
		atomic_fetch_add_explicit(&s->writes_done, 1, memory_order_relaxed);
	}
	return NULL;
}

/* Records page p's sequence number after its bit was taken. */
static void observe(struct stress *s, uint64_t p)
{
	uint64_t v = atomic_load_explicit(&s->content[p], memory_order_relaxed);

	if (v < s->observed[p])
		s->reader_regressions++;
	s->observed[p] = v;
}

static void sweep(struct stress *s, unsigned round)
{
	const ram_addr_t ps = UINT64_C(1) << STRESS_PAGE_BITS;
	uint64_t end = size_pages(s);

	for (uint64_t p = 0; p < end; p += STRESS_READ_CHUNK_PAGES) {
		uint64_t n = end - p < STRESS_READ_CHUNK_PAGES ? end - p : STRESS_READ_CHUNK_PAGES;

		if (round % 2) {
			struct dirty_snapshot *snap =
				dirty_snapshot_and_clear(s->rl, p * ps, n * ps, DIRTY_MEMORY_VGA);

			assert_non_null(snap);
			for (uint64_t q = p; q < p + n; q++) {
				if (dirty_snapshot_get(snap, q * ps, ps))
					observe(s, q);
			}
			dirty_snapshot_free(snap);
		} else if (dirty_test_and_clear(s->rl, p * ps, n * ps, DIRTY_MEMORY_VGA)) {
			for (uint64_t q = p; q < p + n; q++)
				observe(s, q);
		}
	}
}

static void *reader_main(void *opaque)
{
	struct stress *s = opaque;
	unsigned round = 0;

	while (!atomic_load_explicit(&s->stop_reader, memory_order_acquire))
		sweep(s, round++);
	return NULL;
}

/* Adds blocks in step with the writers' progress until the space is full. */
static void *grower_main(void *opaque)
{
	struct stress *s = opaque;
	const uint64_t total = (uint64_t)STRESS_WRITES_PER_WRITER * STRESS_WRITERS;
	const uint64_t expected_adds =
		2 * (STRESS_MAX_PAGES - STRESS_INITIAL_PAGES) / (STRESS_ADD_MAX_PAGES + 1);
	uint64_t rng = 42;

	for (;;) {
		uint64_t pages = 1 + xorshift(&rng) % STRESS_ADD_MAX_PAGES;
		uint64_t due = s->adds * total / expected_adds;

		if (size_pages(s) + pages > STRESS_MAX_PAGES)
			break;
		/* Wait for the writers to get this far (they always progress). */
		while (atomic_load_explicit(&s->writes_done, memory_order_relaxed) < due &&
		       atomic_load_explicit(&s->writes_done, memory_order_relaxed) < total)
			sched_yield();
		if (!ram_block_add(s->rl, "grow", pages << STRESS_PAGE_BITS,
				   pages << STRESS_PAGE_BITS)) {
			s->grower_error = errno;
			break;
		}
		s->adds++;
	}
	return NULL;
}

static void test_no_lost_updates_while_growing(void **state)
{
	struct ram_list_config cfg = { .page_bits = STRESS_PAGE_BITS,
				       .block_pages = STRESS_BLOCK_PAGES };
	struct writer_arg wa[STRESS_WRITERS];
	pthread_t writers[STRESS_WRITERS], reader, grower;
	struct stress *s = calloc(1, sizeof(*s));
	uint64_t lost = 0, end;

	assert_non_null(s);
	s->rl = ram_list_new(&cfg);
	assert_non_null(s->rl);
	assert_non_null(ram_block_add(s->rl, "base", STRESS_INITIAL_PAGES << STRESS_PAGE_BITS,
				      STRESS_INITIAL_PAGES << STRESS_PAGE_BITS));
	assert_int_equal(pthread_create(&reader, NULL, reader_main, s), 0);
	assert_int_equal(pthread_create(&grower, NULL, grower_main, s), 0);
	for (unsigned i = 0; i < STRESS_WRITERS; i++) {
		wa[i] = (struct writer_arg){ s, i };
		assert_int_equal(pthread_create(&writers[i], NULL, writer_main, &wa[i]), 0);
	}
	for (unsigned i = 0; i < STRESS_WRITERS; i++)
		assert_int_equal(pthread_join(writers[i], NULL), 0);
	assert_int_equal(pthread_join(grower, NULL), 0);
	atomic_store_explicit(&s->stop_reader, 1, memory_order_release);
	assert_int_equal(pthread_join(reader, NULL), 0);

	/* Final sweep, page by page, then compare. */
	end = size_pages(s);
	for (uint64_t p = 0; p < end; p++) {
		if (dirty_test_and_clear(s->rl, p << STRESS_PAGE_BITS, 1, DIRTY_MEMORY_VGA))
			observe(s, p);
	}
	for (uint64_t p = 0; p < end; p++)
		lost += s->observed[p] != s->content[p];
	print_message("pages %llu, bitmap blocks %llu, adds %llu, writes %llu\n",
		      (unsigned long long)end,
		      (unsigned long long)(end + STRESS_BLOCK_PAGES - 1) / STRESS_BLOCK_PAGES,
		      (unsigned long long)s->adds, (unsigned long long)s->writes_done);
	assert_int_equal(s->grower_error, 0);
	assert_true(end > 4 * STRESS_INITIAL_PAGES);
	assert_int_equal(s->reader_regressions, 0);
	assert_int_equal(lost, 0);
	assert_false(dirty_get(s->rl, 0, end << STRESS_PAGE_BITS, DIRTY_MEMORY_VGA));
	ram_list_free(s->rl);
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_lost_updates_while_growing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
