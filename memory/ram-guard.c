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
 * without locks (it may interrupt any code). Each slot is a seqlock: its
 * sequence is odd while its owner fills it in or clears it, and the handler
 * takes a slot's start, end and flag only when the sequence was even and
 * unchanged around reading them. So a slot being recycled for another
 * mapping meanwhile can never pair one mapping's start with another's end
 * or flag (which could zero-map memory of neither). A slot changing under
 * the handler belongs to a mapping being added or removed: no thread
 * touches such a mapping, so the fault is not in it. Slots are released
 * only once no thread can touch the mapping (after the block's RCU grace
 * period). A fault outside every range goes to
 * the handler that was installed before ours, or to the default action.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "memory/bitops.h"
#include "memory/ram-internal.h"

/* One guarded mapping: [start, end) of this address space, or start 0.
 * seq is the slot's seqlock (odd while it changes); the other fields are
 * written only by the slot's owner between the odd and the even store. */
struct ram_guard_slot {
	_Atomic uint64_t seq;
	_Atomic uintptr_t start;
	_Atomic uintptr_t end;
	_Atomic bool *_Atomic lost; /* the block's flag */
};

static struct ram_guard_slot ram_guard_slots[RAM_GUARD_MAX_MAPPINGS];
/* Mappings replaced by zero pages since the process started. */
static _Atomic uint64_t ram_guard_fault_count;
/* The SIGBUS action ours replaced, which handles every fault outside the
 * guarded ranges. Written under ram_guard_lock when the guard (re)installs
 * itself; the handler reads it unlocked (a fault racing with a reinstall
 * may see it half-written: only for faults that kill the process anyway). */
static struct sigaction ram_guard_prev_action;
static pthread_mutex_t ram_guard_lock = PTHREAD_MUTEX_INITIALIZER;

/* Reads slot s's mapping into *start, *end and *lost: false if it holds
 * none, or changed meanwhile (the seqlock's read side). */
static bool ram_guard_slot_read(struct ram_guard_slot *s, uintptr_t *start, uintptr_t *end,
				_Atomic bool **lost)
{
	uint64_t seq = atomic_load_explicit(&s->seq, memory_order_acquire);

	if (seq & 1)
		return false;
	/* Acquire loads, not a fence (TSan takes no fences): the second
	 * load of seq cannot move before them, and a value stored after
	 * the writer's odd store makes that load see it. */
	*start = atomic_load_explicit(&s->start, memory_order_acquire);
	*end = atomic_load_explicit(&s->end, memory_order_acquire);
	*lost = atomic_load_explicit(&s->lost, memory_order_acquire);
	return *start && atomic_load_explicit(&s->seq, memory_order_relaxed) == seq;
}

/* The seqlock's write side: the slot's owner (or its claimer) stores a
 * mapping, or start 0 to free the slot. seq is the even value it held. */
static void ram_guard_slot_write(struct ram_guard_slot *s, uint64_t seq, uintptr_t start,
				 uintptr_t end, _Atomic bool *lost)
{
	atomic_store_explicit(&s->seq, seq + 1, memory_order_relaxed);
	/* Release stores: a reader that sees one of them sees the odd
	 * sequence before it. */
	atomic_store_explicit(&s->start, start, memory_order_release);
	atomic_store_explicit(&s->end, end, memory_order_release);
	atomic_store_explicit(&s->lost, lost, memory_order_release);
	atomic_store_explicit(&s->seq, seq + 2, memory_order_release);
}

/*
 * Maps private zero pages over [start, start + bytes): 0 or -1. The mmap
 * system call itself, not libc's wrapper: ThreadSanitizer intercepts that
 * and models the remap as a write of the whole range, racing by
 * construction with every thread reading the mapping. The kernel swaps the
 * pages atomically, and a reader gets the old bytes or zeros, both of which
 * it must take anyway (the pixels belong to another process). TSan could
 * not always name the handler as that write's author (its stack was gone
 * from its history), so a suppression could not cover it either.
 */
static int ram_guard_zero_map(uintptr_t start, size_t bytes)
{
	long r = syscall(SYS_mmap, start, bytes, PROT_READ | PROT_WRITE,
			 MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	return r == -1 ? -1 : 0;
}

/* Async-signal-safe: only atomics, the mmap system call and sigaction. */
static void ram_guard_sigbus(int sig, siginfo_t *info, void *uctx)
{
	uintptr_t addr = (uintptr_t)info->si_addr;

	for (unsigned i = 0; i < RAM_GUARD_MAX_MAPPINGS; i++) {
		uintptr_t start, end;
		_Atomic bool *lost;

		if (!ram_guard_slot_read(&ram_guard_slots[i], &start, &end, &lost) ||
		    addr < start || addr >= end)
			continue;
		if (ram_guard_zero_map(start, end - start) != 0)
			break;
		atomic_store_explicit(lost, true, memory_order_release);
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
		uint64_t seq = atomic_load_explicit(&s->seq, memory_order_acquire);

		/* A free slot (even, start 0) is claimed by moving its
		 * sequence on: a claim or a release in between fails it. */
		if ((seq & 1) || atomic_load_explicit(&s->start, memory_order_relaxed) ||
		    !atomic_compare_exchange_strong_explicit(
			    &s->seq, &seq, seq + 1, memory_order_acquire, memory_order_relaxed))
			continue;
		ram_guard_slot_write(s, seq, (uintptr_t)start, (uintptr_t)start + bytes, lost);
		return (int)i;
	}
	return -ENOSPC;
}

void ram_guard_remove(int slot)
{
	struct ram_guard_slot *s;

	if (slot < 0)
		return;
	s = &ram_guard_slots[slot];
	ram_guard_slot_write(s, atomic_load_explicit(&s->seq, memory_order_relaxed), 0, 0, NULL);
}

uint64_t ram_guard_faults(void)
{
	return atomic_load_explicit(&ram_guard_fault_count, memory_order_relaxed);
}
