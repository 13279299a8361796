/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tests/memory/test-ram-file.c - RAM blocks mapped from another process's
 * file (ram_block_add_file): the owner's writes show, ours stay private, and
 * a file shrunk under the mapping reads as zeros instead of killing the
 * process with SIGBUS, also while other threads are reading it (the SIGBUS
 * guard's lock-free table), and while another thread keeps taking and
 * giving back the table's slots. Bad files and a full guard table are
 * refused.
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
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "memory/ram-rcu.h"
#include "memory/ram.h"

#define FILE_BYTES (3u * 4096u)
/* Not host-page aligned, as QEMU's offsets need not be. */
#define MAP_OFFSET_BYTES 100u
#define MAP_LENGTH_BYTES (2u * 4096u)
#define READER_THREADS 2
#define GUARD_SLOTS 64u
/* Blocks faulted on while another thread recycles guard slots. */
#define CHURN_FAULT_ROUNDS 200

/* A memfd of FILE_BYTES bytes, byte i holding (i & 0x7f) | 0x80. */
static int patterned_file(void)
{
	uint8_t buf[FILE_BYTES];
	int fd = memfd_create("test-ram-file", MFD_CLOEXEC);

	assert_true(fd >= 0);
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)((i & 0x7f) | 0x80);
	assert_int_equal(pwrite(fd, buf, sizeof(buf), 0), (ssize_t)sizeof(buf));
	return fd;
}

static struct ram_list *page_list(void)
{
	struct ram_list_config cfg = { .page_bits = 9 };
	struct ram_list *rl = ram_list_new(&cfg);

	assert_non_null(rl);
	return rl;
}

static void test_file_block_shares_their_writes_only(void **state)
{
	struct ram_list *rl = page_list();
	int fd = patterned_file();
	struct ram_block *b =
		ram_block_add_file(rl, "file", fd, MAP_OFFSET_BYTES, MAP_LENGTH_BYTES);
	volatile uint8_t *host;
	uint8_t byte = 0x11, back;

	assert_non_null(b);
	host = ram_block_host(b);
	assert_int_equal(ram_block_fd(b), -1);
	assert_int_equal(ram_block_used_length(b), MAP_LENGTH_BYTES);
	assert_false(ram_block_file_lost(b));
	/* Starts dirty like any block, for every client. */
	assert_true(dirty_all(rl, ram_block_offset(b), MAP_LENGTH_BYTES, DIRTY_MEMORY_VGA));
	assert_true(dirty_all(rl, ram_block_offset(b), MAP_LENGTH_BYTES, DIRTY_MEMORY_MIGRATION));
	for (size_t i = 0; i < MAP_LENGTH_BYTES; i += 97)
		assert_int_equal(host[i], ((i + MAP_OFFSET_BYTES) & 0x7f) | 0x80);
	/* Their write shows here... */
	assert_int_equal(pwrite(fd, &byte, 1, MAP_OFFSET_BYTES + 5000), 1);
	assert_int_equal(host[5000], 0x11);
	/* ...ours stays here. */
	host[0] = 0x22;
	assert_int_equal(pread(fd, &back, 1, MAP_OFFSET_BYTES), 1);
	assert_int_equal(back, (MAP_OFFSET_BYTES & 0x7f) | 0x80);
	assert_int_equal(host[0], 0x22);
	/* The block keeps its own mapping: closing theirs changes nothing. */
	close(fd);
	assert_int_equal(host[5000], 0x11);
	ram_block_remove(rl, b);
	ram_list_free(rl);
}

static void test_shrunk_file_reads_zeros(void **state)
{
	struct ram_list *rl = page_list();
	int fd = patterned_file();
	struct ram_block *b = ram_block_add_file(rl, "file", fd, 0, MAP_LENGTH_BYTES);
	uint64_t faults = ram_guard_faults();
	volatile uint8_t *host;

	assert_non_null(b);
	host = ram_block_host(b);
	assert_int_equal(host[4096], 0x80);
	assert_int_equal(ftruncate(fd, 0), 0);
	/* Without the guard this read is a SIGBUS. */
	assert_int_equal(host[4096], 0);
	assert_int_equal(host[0], 0);
	assert_true(ram_block_file_lost(b));
	assert_int_equal(ram_guard_faults(), faults + 1);
	/* The zero pages are ordinary memory now. */
	host[1] = 7;
	assert_int_equal(host[1], 7);
	ram_block_remove(rl, b);
	ram_list_free(rl);
	close(fd);
}

static void expect_refused(struct ram_list *rl, int fd, uint64_t offset, size_t length)
{
	errno = 0;
	assert_null(ram_block_add_file(rl, "bad", fd, offset, length));
	assert_int_equal(errno, EINVAL);
}

static void test_bad_files_refused(void **state)
{
	struct ram_list *rl = page_list();
	int fd = patterned_file();
	int pipefd[2];

	assert_int_equal(pipe(pipefd), 0);
	expect_refused(rl, fd, 0, FILE_BYTES + 1);
	expect_refused(rl, fd, 1, FILE_BYTES);
	expect_refused(rl, fd, FILE_BYTES + 1, 1);
	expect_refused(rl, fd, UINT64_MAX, 1);
	expect_refused(rl, fd, 0, 0);
	expect_refused(rl, -1, 0, 1);
	expect_refused(rl, pipefd[0], 0, 1);
	assert_int_equal(ram_list_size(rl), 0);
	close(pipefd[0]);
	close(pipefd[1]);
	close(fd);
	ram_list_free(rl);
}

static void test_guard_table_full(void **state)
{
	struct ram_list *rl = page_list();
	struct ram_block *blocks[GUARD_SLOTS];
	int fd = patterned_file();

	for (unsigned i = 0; i < GUARD_SLOTS; i++) {
		blocks[i] = ram_block_add_file(rl, "file", fd, 0, 512);
		assert_non_null(blocks[i]);
	}
	errno = 0;
	assert_null(ram_block_add_file(rl, "one-too-many", fd, 0, 512));
	assert_int_equal(errno, ENOSPC);
	/* Freed blocks give their slots back. */
	ram_block_remove(rl, blocks[0]);
	ram_rcu_barrier();
	blocks[0] = ram_block_add_file(rl, "again", fd, 0, 512);
	assert_non_null(blocks[0]);
	for (unsigned i = 0; i < GUARD_SLOTS; i++)
		ram_block_remove(rl, blocks[i]);
	ram_list_free(rl);
	close(fd);
}

/* Readers of one block while its file shrinks. */
struct reader_ctx {
	const volatile uint8_t *host;
	_Atomic bool stop;
	_Atomic uint64_t bad; /* bytes that were neither the pattern nor 0 */
	_Atomic uint64_t rounds;
};

static void *reader_main(void *opaque)
{
	struct reader_ctx *c = opaque;

	while (!atomic_load(&c->stop)) {
		for (size_t i = 0; i < MAP_LENGTH_BYTES; i += 64) {
			uint8_t v = c->host[i];

			if (v != 0 && v != ((i & 0x7f) | 0x80))
				atomic_fetch_add(&c->bad, 1);
		}
		atomic_fetch_add(&c->rounds, 1);
	}
	return NULL;
}

/* Several blocks, each shrunk while READER_THREADS threads read it: every
 * reader survives, sees only the pattern or zeros, and every block is
 * reported lost once. */
static void test_shrink_under_readers(void **state)
{
	struct ram_list *rl = page_list();
	uint64_t faults = ram_guard_faults();

	for (int round = 0; round < 20; round++) {
		int fd = patterned_file();
		struct ram_block *b = ram_block_add_file(rl, "file", fd, 0, MAP_LENGTH_BYTES);
		struct reader_ctx ctx = { .host = NULL };
		pthread_t th[READER_THREADS];

		assert_non_null(b);
		ctx.host = ram_block_host(b);
		for (int i = 0; i < READER_THREADS; i++)
			assert_int_equal(pthread_create(&th[i], NULL, reader_main, &ctx), 0);
		while (atomic_load(&ctx.rounds) < 10)
			sched_yield();
		assert_int_equal(ftruncate(fd, 0), 0);
		/* Bounded: the readers fault on their next pass. */
		for (int spins = 0; !ram_block_file_lost(b) && spins < 100000000; spins++)
			sched_yield();
		atomic_store(&ctx.stop, true);
		for (int i = 0; i < READER_THREADS; i++)
			pthread_join(th[i], NULL);
		assert_true(ram_block_file_lost(b));
		assert_int_equal(atomic_load(&ctx.bad), 0);
		ram_block_remove(rl, b);
		close(fd);
	}
	/* One replacement per block; a second thread faulting on the same
	 * page before the first replaced it replaces it again (harmless). */
	assert_true(ram_guard_faults() >= faults + 20);
	ram_list_free(rl);
}

/* Takes and gives back guard slots until stop: file blocks added and
 * removed (their slots come back after a grace period). */
struct churn_ctx {
	struct ram_list *rl;
	int fd;
	_Atomic bool stop;
	_Atomic uint64_t cycles;
};

static void *churn_main(void *opaque)
{
	struct churn_ctx *c = opaque;

	while (!atomic_load(&c->stop)) {
		struct ram_block *b = ram_block_add_file(c->rl, "churn", c->fd, 0, 512);

		if (!b) {
			/* Every slot waits for its grace period. */
			assert_int_equal(errno, ENOSPC);
			ram_rcu_barrier();
			continue;
		}
		ram_block_remove(c->rl, b);
		atomic_fetch_add(&c->cycles, 1);
	}
	return NULL;
}

/* The SIGBUS handler reads the guard table while another thread claims,
 * fills in and frees its slots (the seqlock per slot): every fault still
 * finds its own mapping, replaces only it, and reads zeros. */
static void test_faults_while_slots_churn(void **state)
{
	struct ram_list *rl = page_list();
	struct churn_ctx churn = { .rl = rl, .fd = patterned_file() };
	uint64_t faults = ram_guard_faults();
	pthread_t th;

	assert_int_equal(pthread_create(&th, NULL, churn_main, &churn), 0);
	/* Bounded: the churn thread has started cycling. */
	for (int spins = 0; atomic_load(&churn.cycles) < 10 && spins < 100000000; spins++)
		sched_yield();
	assert_true(atomic_load(&churn.cycles) >= 10);
	for (int round = 0; round < CHURN_FAULT_ROUNDS; round++) {
		int fd = patterned_file();
		struct ram_block *b = ram_block_add_file(rl, "fault", fd, 0, MAP_LENGTH_BYTES);
		const volatile uint8_t *host;

		if (!b) { /* the churn thread holds every slot for now */
			assert_int_equal(errno, ENOSPC);
			ram_rcu_barrier();
			close(fd);
			round--;
			continue;
		}
		host = ram_block_host(b);
		assert_int_equal(host[1], 0x81);
		assert_int_equal(ftruncate(fd, 0), 0);
		assert_int_equal(host[MAP_LENGTH_BYTES - 1], 0); /* faults, then zeros */
		assert_true(ram_block_file_lost(b));
		ram_block_remove(rl, b);
		close(fd);
	}
	atomic_store(&churn.stop, true);
	pthread_join(th, NULL);
	assert_true(ram_guard_faults() >= faults + CHURN_FAULT_ROUNDS);
	ram_rcu_barrier();
	ram_list_free(rl);
	close(churn.fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_file_block_shares_their_writes_only),
		cmocka_unit_test(test_shrunk_file_reads_zeros),
		cmocka_unit_test(test_bad_files_refused),
		cmocka_unit_test(test_guard_table_full),
		cmocka_unit_test(test_shrink_under_readers),
		cmocka_unit_test(test_faults_while_slots_churn),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
