/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tests/fb/test-fb-lock-order.c - the debug-build check of fb/'s lock order
 * (fb-internal.h): locks taken in order pass, a lock taken below one already
 * held aborts (in a child process), a try-lock is only recorded, and the
 * render thread with a listener and writers runs through it.
 */
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "fb/fb-internal.h"
#include "fb/headless.h"

static pthread_mutex_t outer = PTHREAD_MUTEX_INITIALIZER, inner = PTHREAD_MUTEX_INITIALIZER;

static void test_in_order(void **state)
{
	(void)state;
	fb_lock(&outer, FB_LOCK_LISTENERS);
	fb_lock(&inner, FB_LOCK_MOVES);
	fb_unlock(&inner, FB_LOCK_MOVES);
	fb_unlock(&outer, FB_LOCK_LISTENERS);
	/* released: the inner level may now be taken first, then a later one */
	fb_lock(&inner, FB_LOCK_MOVES);
	fb_unlock(&inner, FB_LOCK_MOVES);
	/* a try-lock out of order cannot deadlock: allowed, and recorded */
	fb_lock(&inner, FB_LOCK_MOVES);
	assert_true(fb_trylock(&outer, FB_LOCK_LISTENERS));
	fb_unlock(&outer, FB_LOCK_LISTENERS);
	fb_unlock(&inner, FB_LOCK_MOVES);
}

static void test_out_of_order_aborts(void **state)
{
#ifdef NDEBUG
	(void)state;
	skip();
#else
	pid_t pid;
	int status;

	(void)state;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* No core file and no sanitizer report for the expected abort. */
		signal(SIGABRT, SIG_DFL);
		close(STDERR_FILENO);
		fb_lock(&inner, FB_LOCK_MOVES);
		fb_lock(&outer, FB_LOCK_LISTENERS); /* aborts */
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGABRT);
#endif
}

/* The render thread, a listener and writers all pass the check. */
static void test_render_tick_in_order(void **state)
{
	struct ram_list *rl =
		ram_list_new(&(struct ram_list_config){ .page_bits = FB_RAM_PAGE_BITS });
	struct fb_config cfg = { .name = "order", .mode = { 64, 64, 0, PIXMAN_x8r8g8b8 } };
	struct fb_device *fb;
	struct fb_render *r;
	struct fb_headless *h;

	(void)state;
	assert_non_null(rl);
	fb = fb_new(rl, &cfg);
	assert_non_null(fb);
	r = fb_render_new(NULL);
	assert_non_null(r);
	h = fb_headless_new(fb);
	assert_non_null(h);
	assert_int_equal(fb_render_add(r, fb), 0);
	for (int i = 0; i < 20; i++) {
		assert_int_equal(fb_fill_rect_rgb(fb, i, i, 8, 8, 0x102030u * (unsigned)i), 0);
		assert_int_equal(fb_copy_rect(fb, 0, 0, 10, 10, 16, 16), 0);
		assert_int_equal(fb_send_clipboard(fb, "x", 1), 0);
		fb_input_key(fb, 'a', true);
		assert_int_equal(fb_render_wait_ticks(r, 1, 10000), 0);
	}
	fb_headless_free(h);
	fb_render_free(r);
	fb_free(fb);
	ram_list_free(rl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_in_order),
		cmocka_unit_test(test_out_of_order_aborts),
		cmocka_unit_test(test_render_tick_in_order),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
