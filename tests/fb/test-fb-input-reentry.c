/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fb_set_input_handler called from inside an input callback of the same
 * framebuffer: a key callback that replaces the handler returns (it used to
 * wait for its own call forever), and two threads that both replace it from
 * inside callbacks at once do not wait for each other. A thread outside any
 * callback still waits for calls in flight. Every wait is bounded: a
 * deadlock fails the test instead of hanging it.
 */
#include <stdatomic.h>

#include "fb-test.h"

/* How long a thread may take for one key event. */
#define REENTRY_WAIT_MS 10000u
#define REENTRY_POLL_NS 1000000L

struct reentry {
	struct fb_device *fb;
	atomic_uint inside;    /* threads inside the replacing callback now */
	unsigned want_inside;  /* wait for this many before replacing */
	atomic_uint replaced;  /* callbacks that returned from fb_set_input_handler */
	atomic_uint new_calls; /* calls of the replacement handler */
	atomic_bool release;   /* lets the blocking callback return */
	atomic_bool left;      /* the blocking callback returned */
	atomic_bool done[2];
};

static struct reentry rt;

static void new_key(void *o, uint32_t keysym, bool down)
{
	(void)o, (void)keysym, (void)down;
	atomic_fetch_add(&rt.new_calls, 1);
}

static const struct fb_input_ops new_ops = { .key = new_key };

/* Sleeps one poll interval. */
static void reentry_nap(void)
{
	nanosleep(&(struct timespec){ 0, REENTRY_POLL_NS }, NULL);
}

/* Waits until *v >= n, bounded: false on timeout. */
static bool reentry_wait_uint(atomic_uint *v, unsigned n)
{
	for (unsigned ms = 0; ms < REENTRY_WAIT_MS; ms++) {
		if (atomic_load(v) >= n)
			return true;
		reentry_nap();
	}
	return false;
}

/* The old handler's key op: waits (bounded) until want_inside threads are
 * inside, then replaces the handler from inside the call. */
static void replacing_key(void *o, uint32_t keysym, bool down)
{
	(void)o, (void)keysym, (void)down;
	atomic_fetch_add(&rt.inside, 1);
	if (!reentry_wait_uint(&rt.inside, rt.want_inside))
		return;
	fb_set_input_handler(rt.fb, &new_ops, NULL);
	atomic_fetch_add(&rt.replaced, 1);
}

static const struct fb_input_ops replacing_ops = { .key = replacing_key };

/* The old handler's key op for the outside-waiter case: stays inside until
 * released (bounded). */
static void blocking_key(void *o, uint32_t keysym, bool down)
{
	(void)o, (void)keysym, (void)down;
	atomic_fetch_add(&rt.inside, 1);
	for (unsigned ms = 0; ms < REENTRY_WAIT_MS && !atomic_load(&rt.release); ms++)
		reentry_nap();
	atomic_store(&rt.left, true);
}

/* Releases the blocking callback after a while, so that the main thread is
 * (most likely) already waiting in fb_set_input_handler. */
static void *releaser_thread(void *arg)
{
	(void)arg;
	for (unsigned i = 0; i < 50; i++)
		reentry_nap();
	atomic_store(&rt.release, true);
	return NULL;
}

static const struct fb_input_ops blocking_ops = { .key = blocking_key };

static void *key_thread(void *arg)
{
	unsigned i = (unsigned)(uintptr_t)arg;

	fb_input_key(rt.fb, 'a', true);
	atomic_store(&rt.done[i], true);
	return NULL;
}

/* Waits until thread i finished its key event; fails on a deadlock (the
 * stuck thread is left behind: the process ends with the failure). */
static void reentry_join(pthread_t t, unsigned i)
{
	for (unsigned ms = 0; ms < REENTRY_WAIT_MS; ms++) {
		if (atomic_load(&rt.done[i])) {
			pthread_join(t, NULL);
			return;
		}
		reentry_nap();
	}
	fail_msg("key thread %u still inside fb_input_key: deadlock", i);
}

static struct fb_device *reentry_setup(struct ram_list **rl, unsigned want_inside)
{
	struct fb_config cfg = { .name = "reentry", .mode = { 64, 32, 0, PIXMAN_x8r8g8b8 } };

	memset(&rt, 0, sizeof(rt));
	rt.want_inside = want_inside;
	*rl = ram_list_new(NULL);
	assert_non_null(*rl);
	rt.fb = fb_new(*rl, &cfg);
	assert_non_null(rt.fb);
	return rt.fb;
}

static void test_replace_from_own_callback(void **state)
{
	struct ram_list *rl;
	struct fb_device *fb = reentry_setup(&rl, 1);
	pthread_t t;

	(void)state;
	fb_set_input_handler(fb, &replacing_ops, NULL);
	assert_int_equal(pthread_create(&t, NULL, key_thread, (void *)(uintptr_t)0), 0);
	reentry_join(t, 0);
	assert_int_equal(atomic_load(&rt.replaced), 1);
	/* the replacement is installed and is what the next key reaches */
	fb_input_key(fb, 'b', true);
	assert_int_equal(atomic_load(&rt.new_calls), 1);
	fb_free(fb);
	ram_list_free(rl);
}

static void test_two_threads_replace_from_callbacks(void **state)
{
	struct ram_list *rl;
	struct fb_device *fb = reentry_setup(&rl, 2);
	pthread_t t[2];

	(void)state;
	fb_set_input_handler(fb, &replacing_ops, NULL);
	for (unsigned i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&t[i], NULL, key_thread, (void *)(uintptr_t)i), 0);
	for (unsigned i = 0; i < 2; i++)
		reentry_join(t[i], i);
	assert_int_equal(atomic_load(&rt.replaced), 2);
	fb_input_key(fb, 'b', true);
	assert_int_equal(atomic_load(&rt.new_calls), 1);
	fb_free(fb);
	ram_list_free(rl);
}

/* Outside any callback fb_set_input_handler still waits for a call in
 * flight: it cannot return before the blocking call was released. */
static void test_outside_caller_still_waits(void **state)
{
	struct ram_list *rl;
	struct fb_device *fb = reentry_setup(&rl, 1);
	pthread_t t, rel;

	(void)state;
	fb_set_input_handler(fb, &blocking_ops, NULL);
	assert_int_equal(pthread_create(&t, NULL, key_thread, (void *)(uintptr_t)0), 0);
	assert_true(reentry_wait_uint(&rt.inside, 1));
	assert_int_equal(pthread_create(&rel, NULL, releaser_thread, NULL), 0);
	fb_set_input_handler(fb, &new_ops, NULL);
	/* the old call has ended before fb_set_input_handler returned */
	assert_true(atomic_load(&rt.left));
	pthread_join(rel, NULL);
	reentry_join(t, 0);
	fb_input_key(fb, 'b', true);
	assert_int_equal(atomic_load(&rt.new_calls), 1);
	fb_free(fb);
	ram_list_free(rl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_replace_from_own_callback),
		cmocka_unit_test(test_two_threads_replace_from_callbacks),
		cmocka_unit_test(test_outside_caller_still_waits),
	};

	return cmocka_run_group_tests_name("fb-input-reentry", tests, NULL, NULL);
}
