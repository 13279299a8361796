/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * memory/ram-guard.c - the SIGBUS guard of RAM blocks mapped from files that
 * another process owns (ram_block_add_file).
 *
 * Another process may shrink such a file at any time; touching a mapped page
 * past the new end then raises SIGBUS. libwayland-server's wl_shm faces the
 * same hazard with its clients' pools and answers it the same way: a SIGBUS
 * handler that finds the faulting address inside a guarded mapping maps
 * private zero pages over the whole mapping (MAP_FIXED) and returns, so the
 * access completes with zeros and the process keeps running. The owner
 * learns of it from ram_block_file_lost() or ram_guard_faults().
 *
 * Guarded ranges live in a fixed table of atomics, so the handler reads it
 * without locks (it may interrupt any code). Slots are claimed with a
 * compare-and-swap and released only once no thread can touch the mapping
 * (after the block's RCU grace period). A fault outside every range goes to
 * the handler that was installed before ours, or to the default action.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#include "memory/bitops.h"
#include "memory/ram-internal.h"

/* One guarded mapping: [start, end) of this address space, or start 0. */
struct ram_guard_slot {
	_Atomic uintptr_t start; /* claimed by CAS from 0; cleared by its owner */
	_Atomic uintptr_t end;	 /* written by the owner before start is published */
	_Atomic bool *lost;	 /* the block's flag; written before start */
};

/* start of a slot being filled in: never a mapping's address */
#define RAM_GUARD_CLAIMED ((uintptr_t)1)

static struct ram_guard_slot ram_guard_slots[RAM_GUARD_MAX_MAPPINGS];
/* Mappings replaced by zero pages since the process started. */
static _Atomic uint64_t ram_guard_fault_count;
/* The SIGBUS action ours replaced, which handles every fault outside the
 * guarded ranges. Written under ram_guard_lock when the guard (re)installs
 * itself; the handler reads it unlocked (a fault racing with a reinstall
 * may see it half-written: only for faults that kill the process anyway). */
static struct sigaction ram_guard_prev_action;
static pthread_mutex_t ram_guard_lock = PTHREAD_MUTEX_INITIALIZER;

/* Async-signal-safe: only atomics, mmap and sigaction. */
static void ram_guard_sigbus(int sig, siginfo_t *info, void *uctx)
{
	uintptr_t addr = (uintptr_t)info->si_addr;

	for (unsigned i = 0; i < RAM_GUARD_MAX_MAPPINGS; i++) {
		struct ram_guard_slot *s = &ram_guard_slots[i];
		uintptr_t start = atomic_load_explicit(&s->start, memory_order_acquire);
		uintptr_t end;

		if (start <= RAM_GUARD_CLAIMED || addr < start)
			continue;
		end = atomic_load_explicit(&s->end, memory_order_relaxed);
		if (addr >= end)
			continue;
		if (mmap((void *)start, end - start, PROT_READ | PROT_WRITE,
			 MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1,
			 0) == MAP_FAILED)
			break;
		atomic_store_explicit(s->lost, true, memory_order_release);
		atomic_fetch_add_explicit(&ram_guard_fault_count, 1, memory_order_relaxed);
		return;
	}
	/* Not ours: what would have happened without the guard. */
	if (ram_guard_prev_action.sa_flags & SA_SIGINFO) {
		ram_guard_prev_action.sa_sigaction(sig, info, uctx);
	} else if (ram_guard_prev_action.sa_handler != SIG_DFL &&
		   ram_guard_prev_action.sa_handler != SIG_IGN) {
		ram_guard_prev_action.sa_handler(sig);
	} else {
		/* Returning re-runs the access, which then takes the default
		 * action (a hardware fault is never ignored). */
		sigaction(SIGBUS, &ram_guard_prev_action, NULL);
	}
}

/* Makes ram_guard_sigbus the SIGBUS handler unless it is already: called
 * for every new guarded mapping, so a handler that someone installed after
 * ours without chaining (a test framework, an embedder) is chained to in
 * turn rather than left to kill the process. 0 or -errno. */
static int ram_guard_install(void)
{
	struct sigaction sa, cur;
	int rc = 0;

	pthread_mutex_lock(&ram_guard_lock);
	if (sigaction(SIGBUS, NULL, &cur) != 0) {
		rc = -errno;
		goto out;
	}
	if ((cur.sa_flags & SA_SIGINFO) && cur.sa_sigaction == ram_guard_sigbus)
		goto out;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = ram_guard_sigbus;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	ram_guard_prev_action = cur;
	if (sigaction(SIGBUS, &sa, NULL) != 0)
		rc = -errno;
out:
	pthread_mutex_unlock(&ram_guard_lock);
	return rc;
}

int ram_guard_add(void *start, size_t bytes, _Atomic bool *lost)
{
	int rc = ram_guard_install();

	if (rc)
		return rc;
	for (unsigned i = 0; i < RAM_GUARD_MAX_MAPPINGS; i++) {
		struct ram_guard_slot *s = &ram_guard_slots[i];
		uintptr_t expected = 0;

		/* Claim with a placeholder start that the handler skips,
		 * fill in, then publish. */
		if (!atomic_compare_exchange_strong_explicit(
			    &s->start, &expected, RAM_GUARD_CLAIMED, memory_order_acquire,
			    memory_order_relaxed))
			continue;
		atomic_store_explicit(&s->end, (uintptr_t)start + bytes, memory_order_relaxed);
		s->lost = lost;
		atomic_store_explicit(&s->start, (uintptr_t)start, memory_order_release);
		return (int)i;
	}
	return -ENOSPC;
}

void ram_guard_remove(int slot)
{
	if (slot < 0)
		return;
	atomic_store_explicit(&ram_guard_slots[slot].start, 0, memory_order_release);
}

uint64_t ram_guard_faults(void)
{
	return atomic_load_explicit(&ram_guard_fault_count, memory_order_relaxed);
}
