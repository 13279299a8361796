/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * server/guests/guest-runner.c - the guests' shared thread scaffolding (see
 * guest-runner.h).
 */
#include "server/guests/guest-runner.h"

#include <errno.h>
#include <time.h>

#define GUEST_RUNNER_NS_PER_S 1000000000ull

int guest_runner_init(struct guest_runner *r, struct fbhost *host, struct fbhost_fb *fb)
{
	pthread_condattr_t attr;
	int rc;

	r->host = host;
	r->fb = fb;
	r->stop = false;
	r->resize_pending = false;
	rc = pthread_mutex_init(&r->lock, NULL);
	if (rc)
		return -rc;
	rc = pthread_condattr_init(&attr);
	if (rc)
		goto fail_attr;
	rc = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	if (!rc)
		rc = pthread_cond_init(&r->wake, &attr);
	pthread_condattr_destroy(&attr);
	if (rc)
		goto fail_attr;
	return 0;

fail_attr:
	pthread_mutex_destroy(&r->lock);
	return -rc;
}

void guest_runner_destroy(struct guest_runner *r)
{
	pthread_cond_destroy(&r->wake);
	pthread_mutex_destroy(&r->lock);
}

int guest_runner_start(struct guest_runner *r, void *(*fn)(void *), void *arg)
{
	int rc = -pthread_create(&r->thread, NULL, fn, arg);

	/* "guest" in ps/top and /proc/PID/task/TID/comm: benchmarks count the
	 * server's CPU with and without the guest's own drawing. */
	if (!rc)
		pthread_setname_np(r->thread, GUEST_RUNNER_THREAD_NAME);
	return rc;
}

int guest_runner_wait_until_locked(struct guest_runner *r, uint64_t t_ns)
{
	struct timespec ts = {
		.tv_sec = (time_t)(t_ns / GUEST_RUNNER_NS_PER_S),
		.tv_nsec = (long)(t_ns % GUEST_RUNNER_NS_PER_S),
	};

	return pthread_cond_timedwait(&r->wake, &r->lock, &ts);
}

void guest_runner_stop(struct guest_runner *r)
{
	pthread_mutex_lock(&r->lock);
	r->stop = true;
	pthread_cond_signal(&r->wake);
	pthread_mutex_unlock(&r->lock);
	pthread_join(r->thread, NULL);
}

int guest_runner_request_resize(struct guest_runner *r, uint32_t width, uint32_t height)
{
	struct fbhost_mode m = fbhost_fb_mode(r->fb);
	int rc;

	rc = fbhost_mode_check(width, height, m.format);
	if (rc < 0)
		return rc;
	pthread_mutex_lock(&r->lock);
	r->resize_pending = true;
	r->resize_w = width;
	r->resize_h = height;
	pthread_cond_signal(&r->wake);
	pthread_mutex_unlock(&r->lock);
	return 0;
}

bool guest_runner_take_resize_locked(struct guest_runner *r, uint32_t *width, uint32_t *height)
{
	if (!r->resize_pending)
		return false;
	r->resize_pending = false;
	*width = r->resize_w;
	*height = r->resize_h;
	return true;
}

int guest_runner_apply_resize(struct guest_runner *r, uint32_t width, uint32_t height)
{
	struct fbhost_mode m = fbhost_fb_mode(r->fb);

	if (m.width == width && m.height == height)
		return 0;
	return fbhost_resize(r->fb, width, height, m.format);
}
