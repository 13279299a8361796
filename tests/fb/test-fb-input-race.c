/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Replacing the input handler while frontends deliver input: when
 * fb_set_input_handler returns, no call of the old handler may still run,
 * because guests free the handler's state right after (guest stop). Each
 * handler state carries a magic number that is wiped before it is freed; a
 * call that outlives its handler sees the wipe (and ASan sees the free).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <pthread.h>
#include <sched.h>
#include <cmocka.h>

#include "fb/fb.h"

#define RACE_HANDLER_SWAPS 3000
#define RACE_INPUT_THREADS 2
#define HANDLER_MAGIC 0x1a2b3c4du
#define RACE_SPIN_BOUND 1000000L

struct handler_state {
	_Atomic unsigned magic; /* HANDLER_MAGIC while installed */
	atomic_uint calls;
};

static atomic_uint stale_calls; /* calls that found a wiped state */
static atomic_bool stop_input;

static void touch(void *opaque)
{
	struct handler_state *st = opaque;

	if (atomic_load(&st->magic) != HANDLER_MAGIC)
		atomic_fetch_add(&stale_calls, 1);
	/* Stay inside the handler a little, to widen the window. */
	for (int i = 0; i < 200; i++)
		atomic_fetch_add_explicit(&st->calls, 1, memory_order_relaxed);
	if (atomic_load(&st->magic) != HANDLER_MAGIC)
		atomic_fetch_add(&stale_calls, 1);
}

static void on_key(void *o, uint32_t k, bool d)
{
	touch(o);
}

static void on_pointer(void *o, int x, int y, uint32_t b)
{
	touch(o);
}

static int on_mode_request(void *o, uint32_t w, uint32_t h)
{
	touch(o);
	return -EPERM;
}

static void on_clipboard(void *o, const char *t, size_t n)
{
	touch(o);
}

static const struct fb_input_ops race_ops = {
	.key = on_key,
	.pointer = on_pointer,
	.mode_request = on_mode_request,
	.clipboard = on_clipboard,
};

static void *input_thread(void *arg)
{
	struct fb_device *fb = arg;

	while (!atomic_load(&stop_input)) {
		fb_input_key(fb, 'a', true);
		fb_input_pointer(fb, 3, 4, 1);
		fb_request_mode(fb, 64, 64);
		fb_input_clipboard(fb, "x", 1);
	}
	return NULL;
}

static void test_replacing_handler_waits_for_calls(void **unused)
{
	struct ram_list *rl = ram_list_new(NULL);
	struct fb_config cfg = { .name = "race", .mode = { 64, 64, 0, PIXMAN_x8r8g8b8 } };
	struct fb_device *fb;
	pthread_t threads[RACE_INPUT_THREADS];

	assert_non_null(rl);
	fb = fb_new(rl, &cfg);
	assert_non_null(fb);
	for (int i = 0; i < RACE_INPUT_THREADS; i++)
		assert_int_equal(pthread_create(&threads[i], NULL, input_thread, fb), 0);

	for (int i = 0; i < RACE_HANDLER_SWAPS; i++) {
		struct handler_state *st = calloc(1, sizeof(*st));

		assert_non_null(st);
		atomic_store(&st->magic, HANDLER_MAGIC);
		fb_set_input_handler(fb, &race_ops, st);
		/* Remove it while calls are under way: wait (bounded) for one. */
		for (long spin = 0; spin < RACE_SPIN_BOUND && !atomic_load(&st->calls); spin++)
			sched_yield();
		fb_set_input_handler(fb, NULL, NULL);
		atomic_store(&st->magic, 0);
		free(st);
	}
	atomic_store(&stop_input, true);
	for (int i = 0; i < RACE_INPUT_THREADS; i++)
		pthread_join(threads[i], NULL);

	assert_int_equal(atomic_load(&stale_calls), 0);
	/* Without a handler every request is refused as unsupported. */
	assert_int_equal(fb_request_mode(fb, 64, 64), -ENOTSUP);
	fb_free(fb);
	ram_list_free(rl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_replacing_handler_waits_for_calls),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
