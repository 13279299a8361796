/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tests/memory/test-ram-resources.c - configuration and size checks, block
 * layout, empty ranges, and freeing with RCU callbacks still pending (the
 * ASan build's leak checker then proves nothing leaks), including an owner's
 * callback that removes a block (ASan proves it touches no freed list).
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "memory/ram-rcu.h"
#include "memory/ram.h"

#define PS 4096u

static void expect_bad_config(unsigned page_bits, uint64_t block_pages)
{
	struct ram_list_config cfg = { .page_bits = page_bits, .block_pages = block_pages };

	errno = 0;
	assert_null(ram_list_new(&cfg));
	assert_int_equal(errno, EINVAL);
}

static void test_bad_configs_refused(void **state)
{
	struct ram_list_config ok = { .page_bits = 9, .block_pages = 64 };
	struct ram_list *rl;

	expect_bad_config(12, 3);
	expect_bad_config(12, 32);
	expect_bad_config(12, 96);
	expect_bad_config(12, UINT64_C(1) << 40);
	expect_bad_config(8, 64);
	expect_bad_config(31, 64);
	rl = ram_list_new(NULL);
	assert_non_null(rl);
	assert_int_equal(ram_page_size(rl), 4096);
	assert_int_equal(ram_list_size(rl), 0);
	ram_list_free(rl);
	rl = ram_list_new(&ok);
	assert_non_null(rl);
	assert_int_equal(ram_page_size(rl), 512);
	ram_list_free(rl);
	ram_list_free(NULL);
}

static void expect_bad_add(struct ram_list *rl, const char *name, size_t used, size_t max)
{
	errno = 0;
	assert_null(ram_block_add(rl, name, used, max));
	assert_int_equal(errno, EINVAL);
}

static void test_bad_sizes_refused(void **state)
{
	struct ram_list *rl = ram_list_new(NULL), *other = ram_list_new(NULL);
	char long_name[1024];
	struct ram_block *b, *foreign;
	void *host;

	assert_non_null(rl);
	assert_non_null(other);
	memset(long_name, 'x', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = 0;
	expect_bad_add(rl, "a", 0, PS);
	expect_bad_add(rl, "a", PS, 0);
	expect_bad_add(rl, "a", 2 * PS, PS);
	expect_bad_add(rl, NULL, PS, PS);
	expect_bad_add(rl, long_name, PS, PS);
	expect_bad_add(rl, "a", PS, SIZE_MAX);
	assert_int_equal(ram_list_size(rl), 0);

	b = ram_block_add(rl, "fb", 3 * PS + 5, 8 * PS);
	assert_non_null(b);
	host = ram_block_host(b);
	memset(host, 0xab, 8 * PS);
	assert_true(dirty_test_and_clear(rl, 0, 8 * PS, DIRTY_MEMORY_VGA));
	/* Beyond max_length: -errno and nothing changed (size, bits, host). */
	assert_int_equal(ram_block_resize(rl, b, 8 * PS + 1), -EINVAL);
	assert_int_equal(ram_block_resize(rl, b, 0), -EINVAL);
	assert_int_equal(ram_block_used_length(b), 3 * PS + 5);
	assert_false(dirty_get(rl, 0, 8 * PS, DIRTY_MEMORY_VGA));
	assert_ptr_equal(ram_block_host(b), host);
	assert_int_equal(ram_block_resize(NULL, b, PS), -EINVAL);
	assert_int_equal(ram_block_resize(rl, NULL, PS), -EINVAL);
	foreign = ram_block_add(other, "other", PS, PS);
	assert_non_null(foreign);
	assert_int_equal(ram_block_resize(rl, foreign, PS), -ENOENT);
	ram_block_remove(rl, foreign); /* not rl's: ignored */
	assert_int_equal(ram_list_size(other), PS);

	/* Growing marks only the newly used pages dirty; data stays put. */
	assert_int_equal(ram_block_resize(rl, b, 6 * PS), 0);
	assert_ptr_equal(ram_block_host(b), host);
	assert_int_equal(((unsigned char *)host)[8 * PS - 1], 0xab);
	assert_false(dirty_get(rl, 0, 4 * PS, DIRTY_MEMORY_VGA));
	assert_true(dirty_all(rl, 4 * PS, 2 * PS, DIRTY_MEMORY_VGA));
	assert_true(dirty_all(rl, 4 * PS, 2 * PS, DIRTY_MEMORY_MIGRATION));
	assert_false(dirty_get(rl, 6 * PS, 2 * PS, DIRTY_MEMORY_VGA));
	ram_list_free(rl);
	ram_list_free(other);
}

static void test_layout_first_gap(void **state)
{
	struct ram_list *rl = ram_list_new(NULL);
	struct ram_block *a, *b, *c, *d, *e;

	assert_non_null(rl);
	a = ram_block_add(rl, "a", PS, 4 * PS);
	b = ram_block_add(rl, "b", 8 * PS, 8 * PS);
	c = ram_block_add(rl, "c", 100, 4 * PS - 7); /* rounded up to whole pages */
	assert_non_null(a);
	assert_non_null(b);
	assert_non_null(c);
	assert_int_equal(ram_block_offset(a), 0);
	assert_int_equal(ram_block_offset(b), 4 * PS);
	assert_int_equal(ram_block_offset(c), 12 * PS);
	assert_int_equal(ram_list_size(rl), 16 * PS);
	/* New blocks start dirty for every client over their used pages only. */
	assert_true(dirty_all(rl, 0, PS, DIRTY_MEMORY_VGA));
	assert_true(dirty_all(rl, 0, PS, DIRTY_MEMORY_MIGRATION));
	assert_false(dirty_get(rl, PS, 3 * PS, DIRTY_MEMORY_VGA));
	ram_block_remove(rl, b);
	d = ram_block_add(rl, "d", PS, 2 * PS);
	assert_non_null(d);
	assert_int_equal(ram_block_offset(d), 4 * PS);
	e = ram_block_add(rl, "e", PS, 7 * PS);
	assert_non_null(e);
	assert_int_equal(ram_block_offset(e), 16 * PS);
	assert_int_equal(ram_list_size(rl), 23 * PS);
	/* Removing the highest block shrinks the space; adding regrows it. */
	ram_block_remove(rl, e);
	assert_int_equal(ram_list_size(rl), 16 * PS);
	assert_false(dirty_get(rl, 16 * PS, 7 * PS, DIRTY_MEMORY_VGA));
	e = ram_block_add(rl, "e2", 2 * PS, 3 * PS);
	assert_non_null(e);
	assert_int_equal(ram_block_offset(e), 6 * PS);
	ram_list_free(rl);
}

static void test_empty_and_out_of_range(void **state)
{
	struct ram_list_config cfg = { .page_bits = 12, .block_pages = 64 };
	struct ram_list *rl = ram_list_new(&cfg);
	struct dirty_snapshot *snap;
	unsigned long dest[4] = { 0 };

	assert_non_null(rl);
	assert_non_null(ram_block_add(rl, "a", 100 * PS, 100 * PS));
	assert_false(dirty_get(rl, 5 * PS, 0, DIRTY_MEMORY_VGA));
	assert_true(dirty_all(rl, 5 * PS, 0, DIRTY_MEMORY_VGA));
	assert_false(dirty_test_and_clear(rl, 5 * PS, 0, DIRTY_MEMORY_VGA));
	assert_true(dirty_get(rl, 5 * PS, 1, DIRTY_MEMORY_VGA));
	/* Past the end: clamped, so empty. */
	assert_false(dirty_get(rl, 100 * PS, PS, DIRTY_MEMORY_VGA));
	assert_true(dirty_all(rl, 200 * PS, PS, DIRTY_MEMORY_VGA));
	dirty_set(rl, 1000 * PS, DIRTY_MEMORY_VGA);
	dirty_set_range(rl, 99 * PS, UINT64_MAX, DIRTY_CLIENTS_ALL);
	assert_true(dirty_test_and_clear(rl, 0, UINT64_MAX, DIRTY_MEMORY_VGA));
	assert_false(dirty_get(rl, 0, UINT64_MAX, DIRTY_MEMORY_VGA));
	/* Bad clients do nothing. */
	assert_false(dirty_get(rl, 0, PS, DIRTY_MEMORY_NUM));
	assert_false(dirty_test_and_clear(rl, 0, PS, 7));
	errno = 0;
	assert_null(dirty_snapshot_and_clear(rl, 0, PS, DIRTY_MEMORY_NUM));
	assert_int_equal(errno, EINVAL);
	dirty_set(rl, 0, 99);
	dirty_set_range(rl, 0, PS, 1u << 5);
	assert_false(dirty_get(rl, 0, 100 * PS, DIRTY_MEMORY_VGA));
	/* Empty and out-of-range snapshots are valid and clean. */
	snap = dirty_snapshot_and_clear(rl, 3 * PS, 0, DIRTY_MEMORY_MIGRATION);
	assert_non_null(snap);
	assert_false(dirty_snapshot_get(snap, 0, UINT64_MAX));
	dirty_snapshot_free(snap);
	snap = dirty_snapshot_and_clear(rl, 500 * PS, PS, DIRTY_MEMORY_MIGRATION);
	assert_non_null(snap);
	assert_false(dirty_snapshot_get(snap, 500 * PS, PS));
	dirty_snapshot_free(snap);
	dirty_snapshot_free(NULL);
	assert_false(dirty_snapshot_get(NULL, 0, PS));
	/* sync: MIGRATION is all dirty; 150 pages requested, 100 exist. */
	assert_int_equal(dirty_sync_bitmap(rl, dest, 0, 150 * PS), 100);
	assert_int_equal(dirty_sync_bitmap(rl, dest, 0, 150 * PS), 0);
	assert_int_equal(dirty_sync_bitmap(rl, NULL, 0, PS), 0);
	assert_int_equal(dest[1], ~0UL >> (64 - 36));
	ram_list_free(rl);
}

/* Growth and removals queue call_rcu frees; ram_list_free must drain them. */
/* A block's memory is a sealed memfd: a second mapping of it (as another
 * process makes) sees the same bytes both ways, and nobody can shrink it. */
static void test_block_memfd_shared(void **state)
{
	struct ram_list *rl = ram_list_new(NULL);
	struct ram_block *b;
	uint8_t *host, *other;
	size_t len = 3 * 4096;
	int fd;

	(void)state;
	assert_non_null(rl);
	b = ram_block_add(rl, "shared", len, len);
	assert_non_null(b);
	fd = ram_block_fd(b);
	assert_true(fd >= 0);
	host = ram_block_host(b);
	other = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	assert_true(other != MAP_FAILED);
	host[5000] = 0x5a;
	other[len - 1] = 0xa5;
	assert_int_equal(other[5000], 0x5a);
	assert_int_equal(host[len - 1], 0xa5);
	assert_int_equal(ftruncate(fd, 4096), -1);
	assert_int_equal(errno, EPERM);
	munmap(other, len);
	ram_block_remove(rl, b);
	ram_list_free(rl);
}

static void test_free_with_pending_callbacks(void **state)
{
	struct ram_list_config cfg = { .page_bits = 12, .block_pages = 64 };

	for (unsigned round = 0; round < 20; round++) {
		struct ram_list *rl = ram_list_new(&cfg);
		struct ram_block *blocks[16];

		assert_non_null(rl);
		for (unsigned i = 0; i < 16; i++) {
			blocks[i] = ram_block_add(rl, "b", 70 * PS, 130 * PS);
			assert_non_null(blocks[i]);
		}
		/* Remove the highest, add again: no bitmap block is reallocated. */
		for (unsigned i = 0; i < 8; i++) {
			ram_block_remove(rl, blocks[15]);
			blocks[15] = ram_block_add(rl, "again", PS, 200 * PS);
			assert_non_null(blocks[15]);
		}
		for (unsigned i = 0; i < 15; i += 2)
			ram_block_remove(rl, blocks[i]);
		ram_list_free(rl);
	}
}

#define SHORT_LIVED_THREADS 64u

/* One call from a thread that never registered with RCU, then exits. */
static void *short_lived_main(void *opaque)
{
	struct ram_list *rl = opaque;

	dirty_set(rl, 0, DIRTY_MEMORY_VGA);
	return (void *)(uintptr_t)dirty_test_and_clear(rl, 0, PS, DIRTY_MEMORY_VGA);
}

/* urcu-bp registers callers on first use and unregisters them at exit:
 * many short-lived threads, interleaved with growth (grace periods must not
 * wait for dead threads), then free from yet another thread. */
static void *free_main(void *opaque)
{
	ram_list_free(opaque);
	return NULL;
}

/* An owner's RCU callback that removes its block, like fb's retired mode. */
struct owner_reclaim {
	struct rcu_head rcu;
	struct ram_list *rl;
	struct ram_block *b;
	atomic_int *ran;
};

static void owner_reclaim_cb(struct rcu_head *head)
{
	struct owner_reclaim *o = caa_container_of(head, struct owner_reclaim, rcu);

	ram_rcu_callback_enter();
	ram_block_remove(o->rl, o->b);
	atomic_store_explicit(o->ran, 1, memory_order_release);
	free(o);
}

/* Holds a read section open until told to leave, so a callback queued
 * meanwhile cannot run before ram_list_free is called. */
struct reader_hold {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int inside, leave;
};

static void *reader_main(void *arg)
{
	struct reader_hold *h = arg;

	ram_rcu_read_lock();
	pthread_mutex_lock(&h->lock);
	h->inside = 1;
	pthread_cond_broadcast(&h->cond);
	while (!h->leave)
		pthread_cond_wait(&h->cond, &h->lock);
	pthread_mutex_unlock(&h->lock);
	ram_rcu_read_unlock();
	return NULL;
}

static void *leave_later_main(void *arg)
{
	struct reader_hold *h = arg;

	/* ram_list_free is (most likely) waiting by then; correctness does
	 * not depend on this delay, only the window being tested does. */
	nanosleep(&(struct timespec){ 0, 100 * 1000 * 1000 }, NULL);
	pthread_mutex_lock(&h->lock);
	h->leave = 1;
	pthread_cond_broadcast(&h->cond);
	pthread_mutex_unlock(&h->lock);
	return NULL;
}

static void test_free_drains_owner_callbacks_first(void **state)
{
	struct reader_hold h = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0 };
	struct ram_list *rl = ram_list_new(NULL);
	struct owner_reclaim *o = calloc(1, sizeof(*o));
	pthread_t reader, leaver;
	atomic_int ran = 0;

	(void)state;
	assert_non_null(rl);
	assert_non_null(o);
	assert_non_null(ram_block_add(rl, "keep", PS, PS));
	o->rl = rl;
	o->b = ram_block_add(rl, "owned", 4 * PS, 4 * PS);
	o->ran = &ran;
	assert_non_null(o->b);
	assert_int_equal(pthread_create(&reader, NULL, reader_main, &h), 0);
	pthread_mutex_lock(&h.lock);
	while (!h.inside)
		pthread_cond_wait(&h.cond, &h.lock);
	pthread_mutex_unlock(&h.lock);
	ram_rcu_call(&o->rcu, owner_reclaim_cb);
	assert_int_equal(pthread_create(&leaver, NULL, leave_later_main, &h), 0);
	/* the callback is still pending: ram_list_free must run it first */
	ram_list_free(rl);
	assert_int_equal(atomic_load_explicit(&ran, memory_order_acquire), 1);
	pthread_join(leaver, NULL);
	pthread_join(reader, NULL);
}

static void test_unregistered_short_lived_threads(void **state)
{
	struct ram_list_config cfg = { .page_bits = 12, .block_pages = 64 };
	struct ram_list *rl = ram_list_new(&cfg);
	pthread_t tid;

	assert_non_null(rl);
	assert_non_null(ram_block_add(rl, "a", PS, PS));
	for (unsigned i = 0; i < SHORT_LIVED_THREADS; i++) {
		void *ret;

		assert_int_equal(pthread_create(&tid, NULL, short_lived_main, rl), 0);
		assert_int_equal(pthread_join(tid, &ret), 0);
		assert_true(ret != NULL);
		assert_non_null(ram_block_add(rl, "grow", 64 * PS, 64 * PS));
	}
	assert_int_equal(ram_list_size(rl), (1 + 64 * SHORT_LIVED_THREADS) * PS);
	assert_int_equal(pthread_create(&tid, NULL, free_main, rl), 0);
	assert_int_equal(pthread_join(tid, NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_configs_refused),
		cmocka_unit_test(test_bad_sizes_refused),
		cmocka_unit_test(test_layout_first_gap),
		cmocka_unit_test(test_empty_and_out_of_range),
		cmocka_unit_test(test_block_memfd_shared),
		cmocka_unit_test(test_free_with_pending_callbacks),
		cmocka_unit_test(test_free_drains_owner_callbacks_first),
		cmocka_unit_test(test_unregistered_short_lived_threads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
