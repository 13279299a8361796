/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vnc/vnc-library-lock.c - one process-wide lock around LibVNCServer's
 * shared state.
 *
 * LibVNCServer 0.9.14 keeps a single process-wide client-list mutex and
 * re-initialises it in every rfbGetScreen() (rfbClientListInit).
 * Re-initialising a mutex that another VNC thread holds is undefined, and it
 * happens whenever a second framebuffer gets its VNC server. So screens are
 * created under the write side of this lock, and every VNC thread holds the
 * read side while it runs LibVNCServer code (never across poll()): VNC
 * threads still run in parallel with each other. Writers are preferred, so a
 * new screen never starves behind busy servers.
 *
 * Calls out to the guest (input, clipboard, SetDesktopSize) drop the read
 * side first: a guest may hold its own lock while it starts a VNC server,
 * and LibVNCServer runs those hooks without its client-list mutex held.
 */
#include <pthread.h>

#include "vnc/vnc-internal.h"

static pthread_rwlock_t vnc_library_rwlock;
static pthread_once_t vnc_library_once = PTHREAD_ONCE_INIT;

static void vnc_library_lock_init(void)
{
	pthread_rwlockattr_t attr;

	pthread_rwlockattr_init(&attr);
	pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&vnc_library_rwlock, &attr);
	pthread_rwlockattr_destroy(&attr);
}

void vnc_library_lock_shared(void)
{
	pthread_once(&vnc_library_once, vnc_library_lock_init);
	pthread_rwlock_rdlock(&vnc_library_rwlock);
}

void vnc_library_lock_exclusive(void)
{
	pthread_once(&vnc_library_once, vnc_library_lock_init);
	pthread_rwlock_wrlock(&vnc_library_rwlock);
}

void vnc_library_unlock(void)
{
	pthread_rwlock_unlock(&vnc_library_rwlock);
}
