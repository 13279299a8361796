/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tests/memory/test-ram-tracking.c - the per-list dirty-tracking mask.
 *
 * A list that tracks only VGA leaves the MIGRATION bitmap untouched by
 * writes. Turning MIGRATION on mid-stream loses nothing: two writers bump a
 * per-page sequence number (their "pixels") and mark the page dirty for
 * every client, a tracker starts MIGRATION tracking while they run and then
 * copies every page that dirty_sync_bitmap reports, like a live migration's
 * rounds. After the writers stop and a last round, the copy equals the
 * pixels on every page.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "memory/ram.h"

#define TRACK_PAGE_BITS 12u
#define TRACK_PAGES 2048u
#define TRACK_WRITERS 2u
#define TRACK_WRITES_PER_WRITER 200000u
/* Writes each writer makes before the tracker starts tracking. */
#define TRACK_WRITES_BEFORE_START 20000u
#define TRACK_LONGS ((TRACK_PAGES + 8 * sizeof(unsigned long) - 1) / (8 * sizeof(unsigned long)))

struct track {
	struct ram_list *rl;
	_Atomic uint64_t content[TRACK_PAGES]; /* the "pixels" */
	uint64_t copy[TRACK_PAGES];	       /* the tracker's copy */
	atomic_uint writes_done;
};

struct writer_arg {
	struct track *t;
	unsigned id;
};

static void *writer(void *opaque)
{
	struct writer_arg *a = opaque;
	struct track *t = a->t;
	unsigned seed = a->id * 7919u + 1;

	for (unsigned i = 0; i < TRACK_WRITES_PER_WRITER; i++) {
		/* Each writer owns the pages of its parity. */
		uint64_t page =
			(rand_r(&seed) % (TRACK_PAGES / TRACK_WRITERS)) * TRACK_WRITERS + a->id;

		atomic_fetch_add_explicit(&t->content[page], 1, memory_order_seq_cst);
		if (i % 3 == 0) {
			dirty_set(t->rl, page << TRACK_PAGE_BITS, DIRTY_MEMORY_MIGRATION);
			dirty_set(t->rl, page << TRACK_PAGE_BITS, DIRTY_MEMORY_VGA);
		} else {
			dirty_set_range(t->rl, page << TRACK_PAGE_BITS, 1u << TRACK_PAGE_BITS,
					DIRTY_CLIENTS_ALL);
		}
		atomic_fetch_add_explicit(&t->writes_done, 1, memory_order_relaxed);
	}
	return NULL;
}

/* One migration round: copies the pages whose MIGRATION bit was set. */
static void track_round(struct track *t)
{
	unsigned long bits[TRACK_LONGS];

	memset(bits, 0, sizeof(bits));
	dirty_sync_bitmap(t->rl, bits, 0, (uint64_t)TRACK_PAGES << TRACK_PAGE_BITS);
	for (unsigned p = 0; p < TRACK_PAGES; p++)
		if (bits[p / (8 * sizeof(unsigned long))] &
		    (1UL << (p % (8 * sizeof(unsigned long)))))
			t->copy[p] = atomic_load_explicit(&t->content[p], memory_order_seq_cst);
}

static struct ram_list *vga_only_list(void)
{
	struct ram_list_config cfg = {
		.page_bits = TRACK_PAGE_BITS,
		.tracked_clients = 1u << DIRTY_MEMORY_VGA,
	};
	struct ram_list *rl = ram_list_new(&cfg);

	assert_non_null(rl);
	assert_non_null(ram_block_add(rl, "ram", (size_t)TRACK_PAGES << TRACK_PAGE_BITS,
				      (size_t)TRACK_PAGES << TRACK_PAGE_BITS));
	return rl;
}

/* Without tracking, writes leave MIGRATION alone; VGA is marked. */
static void test_untracked_client_untouched(void **state)
{
	struct ram_list *rl = vga_only_list();
	uint64_t all = (uint64_t)TRACK_PAGES << TRACK_PAGE_BITS;

	(void)state;
	assert_int_equal(ram_dirty_tracked(rl), 1u << DIRTY_MEMORY_VGA);
	/* a new block starts dirty for every client: clear both */
	dirty_test_and_clear(rl, 0, all, DIRTY_MEMORY_VGA);
	dirty_test_and_clear(rl, 0, all, DIRTY_MEMORY_MIGRATION);
	dirty_set_range(rl, 0, 4096, DIRTY_CLIENTS_ALL);
	dirty_set(rl, 8192, DIRTY_MEMORY_MIGRATION);
	assert_true(dirty_get(rl, 0, 4096, DIRTY_MEMORY_VGA));
	assert_false(dirty_get(rl, 0, all, DIRTY_MEMORY_MIGRATION));
	/* turned on: every page dirty for it, then writes mark it */
	assert_int_equal(ram_dirty_tracking_start(rl, DIRTY_MEMORY_MIGRATION), 0);
	assert_true(dirty_all(rl, 0, all, DIRTY_MEMORY_MIGRATION));
	dirty_test_and_clear(rl, 0, all, DIRTY_MEMORY_MIGRATION);
	dirty_set(rl, 8192, DIRTY_MEMORY_MIGRATION);
	assert_true(dirty_get(rl, 8192, 1, DIRTY_MEMORY_MIGRATION));
	/* and off again */
	assert_int_equal(ram_dirty_tracking_stop(rl, DIRTY_MEMORY_MIGRATION), 0);
	dirty_test_and_clear(rl, 0, all, DIRTY_MEMORY_MIGRATION);
	dirty_set(rl, 8192, DIRTY_MEMORY_MIGRATION);
	assert_false(dirty_get(rl, 0, all, DIRTY_MEMORY_MIGRATION));
	assert_int_equal(ram_dirty_tracking_start(rl, DIRTY_MEMORY_NUM), -EINVAL);
	ram_list_free(rl);
}

static void test_start_mid_stream_loses_nothing(void **state)
{
	struct track *t = calloc(1, sizeof(*t));
	pthread_t th[TRACK_WRITERS];
	struct writer_arg args[TRACK_WRITERS];
	unsigned lost = 0;

	(void)state;
	assert_non_null(t);
	t->rl = vga_only_list();
	for (unsigned i = 0; i < TRACK_WRITERS; i++) {
		args[i] = (struct writer_arg){ t, i };
		assert_int_equal(pthread_create(&th[i], NULL, writer, &args[i]), 0);
	}
	while (atomic_load_explicit(&t->writes_done, memory_order_relaxed) <
	       TRACK_WRITERS * TRACK_WRITES_BEFORE_START)
		sched_yield();
	assert_int_equal(ram_dirty_tracking_start(t->rl, DIRTY_MEMORY_MIGRATION), 0);
	while (atomic_load_explicit(&t->writes_done, memory_order_relaxed) <
	       TRACK_WRITERS * TRACK_WRITES_PER_WRITER)
		track_round(t);
	for (unsigned i = 0; i < TRACK_WRITERS; i++)
		pthread_join(th[i], NULL);
	track_round(t);
	for (unsigned p = 0; p < TRACK_PAGES; p++)
		lost += t->copy[p] != atomic_load(&t->content[p]);
	if (lost)
		fail_msg("%u pages lost by the migration rounds", lost);
	ram_list_free(t->rl);
	free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_untracked_client_untouched),
		cmocka_unit_test(test_start_mid_stream_loses_nothing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
