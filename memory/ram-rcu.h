/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * memory/ram-rcu.h - the RCU primitives fbhost uses, on liburcu's urcu-bp.
 *
 * These are liburcu's own calls. The only addition is for ThreadSanitizer
 * builds: liburcu 0.13 orders its pointer publication and grace periods with
 * inline assembly that TSan cannot see, so every such edge is restated as a
 * TSan acquire/release on the same address. Outside TSan builds the
 * annotations compile to nothing.
 *
 *   ram_rcu_read_lock/unlock   rcu_read_lock/unlock (+ release on unlock:
 *                              "this reader is done", acquired by callbacks)
 *   ram_rcu_dereference(p)     rcu_dereference (+ acquire on &p)
 *   ram_rcu_assign(p, v)       rcu_assign_pointer (+ release on &p first)
 *   ram_rcu_call(head, fn)     call_rcu (+ release first); fn's body calls
 *                              ram_rcu_callback_enter() to acquire it and the
 *                              readers' releases
 *   ram_rcu_barrier()          rcu_barrier (+ the same acquire)
 *   ram_rcu_synchronize()      synchronize_rcu (+ the same acquire)
 */
#ifndef FBHOST_MEMORY_RAM_RCU_H
#define FBHOST_MEMORY_RAM_RCU_H

#include <urcu-bp.h>
#include <urcu/rculist.h>

#if defined(__SANITIZE_THREAD__)
#define RAM_RCU_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define RAM_RCU_TSAN 1
#endif
#endif

#ifdef RAM_RCU_TSAN
void __tsan_acquire(void *addr);
void __tsan_release(void *addr);
/* One address stands for "a grace period has elapsed since every reader that
 * was running finished". Readers release it; callbacks acquire it. */
extern char ram_rcu_grace_token;
#define RAM_RCU_TSAN_ACQUIRE(a) __tsan_acquire((void *)(a))
#define RAM_RCU_TSAN_RELEASE(a) __tsan_release((void *)(a))
#else
#define RAM_RCU_TSAN_ACQUIRE(a) ((void)0)
#define RAM_RCU_TSAN_RELEASE(a) ((void)0)
#endif

static inline void ram_rcu_read_lock(void)
{
	rcu_read_lock();
}

static inline void ram_rcu_read_unlock(void)
{
	RAM_RCU_TSAN_RELEASE(&ram_rcu_grace_token);
	rcu_read_unlock();
}

#define ram_rcu_dereference(p)                                                                     \
	__extension__({                                                                            \
		__typeof__(p) ram_rcu_p_ = rcu_dereference(p);                                     \
		RAM_RCU_TSAN_ACQUIRE(&(p));                                                        \
		ram_rcu_p_;                                                                        \
	})

#define ram_rcu_assign(p, v)                                                                       \
	do {                                                                                       \
		RAM_RCU_TSAN_RELEASE(&(p));                                                        \
		rcu_assign_pointer(p, v);                                                          \
	} while (0)

/* Call at the top of every call_rcu callback. */
static inline void ram_rcu_callback_enter(void)
{
	RAM_RCU_TSAN_ACQUIRE(&ram_rcu_grace_token);
}

/* call_rcu: everything this thread wrote before (e.g. the object's fields, a
 * malloc'd array) happens-before fn, which calls ram_rcu_callback_enter(). */
#define ram_rcu_call(head, fn)                                                                     \
	do {                                                                                       \
		RAM_RCU_TSAN_RELEASE(&ram_rcu_grace_token);                                        \
		call_rcu(head, fn);                                                                \
	} while (0)

/* rcu_barrier: returns once every callback queued before it has run. */
static inline void ram_rcu_barrier(void)
{
	rcu_barrier();
	RAM_RCU_TSAN_ACQUIRE(&ram_rcu_grace_token);
}

static inline void ram_rcu_synchronize(void)
{
	synchronize_rcu();
	RAM_RCU_TSAN_ACQUIRE(&ram_rcu_grace_token);
}

#endif
