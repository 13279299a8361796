/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * server/guests/qemu/qemu-heap.c - keeps GDBus's copy of each pixel message
 * in the heap instead of a mapping of its own.
 *
 * QEMU 7.2 sends every Scanout and Update with its pixels inside the D-Bus
 * message, and GLib's message parser copies each "ay" into a new block
 * (g_variant_new_fixed_array, on GDBus's own thread) that is freed once the
 * call was handled. fbhost's main sets a fixed malloc mmap threshold
 * (server/app/main.c) so that released pictures leave the RSS at once; with
 * it every block of that size or more is mapped on its own, faulted in page
 * by page and unmapped again on free. A fbcon scroll is a full-frame Scanout
 * (1280x800: 4 MB, 1024 page faults) up to 50 times a second; bench-qemu
 * measured 0.55 s of fbhost's 1.44 s on its 10 s scroll for it.
 *
 * So a qemu guest raises the mmap threshold above the largest pixel message
 * it has received, and the trim threshold to twice that, which is what
 * glibc's own dynamic threshold does after the first such free: the block is
 * then reused from the heap. The cost: up to about two messages of free heap
 * kept, and blocks below the new threshold (pictures of framebuffers that
 * size or smaller) no longer leave the RSS when released. Thresholds only
 * grow; messages above glibc's largest threshold stay mapped.
 */
#include <malloc.h>
#include <pthread.h>
#include <stdatomic.h>

#include "server/guests/qemu/qemu-guest.h"

/* Largest mmap threshold glibc accepts on 64-bit hosts (its
 * DEFAULT_MMAP_THRESHOLD_MAX: half of a 64 MiB arena heap), in bytes. */
#define QEMU_HEAP_MMAP_MAX_BYTES (32u << 20)
/* Room above a message's pixel bytes for malloc's own header, in bytes. */
#define QEMU_HEAP_SLACK_BYTES (64u << 10)

/* The threshold set so far (0: main's own); written under qemu_heap_lock,
 * read without it as a fast check. */
static _Atomic size_t qemu_heap_fitted;
static pthread_mutex_t qemu_heap_lock = PTHREAD_MUTEX_INITIALIZER;

void qemu_guest_heap_fit(struct qemu_guest *g, size_t message_bytes)
{
	size_t want = message_bytes + QEMU_HEAP_SLACK_BYTES;

	if (want <= atomic_load_explicit(&qemu_heap_fitted, memory_order_relaxed) ||
	    want > QEMU_HEAP_MMAP_MAX_BYTES)
		return;
	pthread_mutex_lock(&qemu_heap_lock);
	if (want > atomic_load_explicit(&qemu_heap_fitted, memory_order_relaxed) &&
	    mallopt(M_TRIM_THRESHOLD, (int)(2 * want)) && mallopt(M_MMAP_THRESHOLD, (int)want)) {
		atomic_store_explicit(&qemu_heap_fitted, want, memory_order_relaxed);
		fbhost_log(g->host, FBHOST_LOG_DEBUG,
			   "qemu: malloc keeps blocks up to %zu KiB in the heap (pixel messages)",
			   want >> 10);
	}
	pthread_mutex_unlock(&qemu_heap_lock);
}
