/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * memory/ram-internal.h - the structures behind memory/ram.h, shared by the
 * files of fbhost-memory only.
 */
#ifndef FBHOST_MEMORY_RAM_INTERNAL_H
#define FBHOST_MEMORY_RAM_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "memory/ram-rcu.h"
#include "memory/ram.h"

/* Limits, with their units in their names. */
#define RAM_MIN_PAGE_BITS 9u
#define RAM_MAX_PAGE_BITS 30u
/* 2^32 pages is a 512 MiB bitmap block per client: far past any sane config. */
#define RAM_MAX_BLOCK_PAGES (UINT64_C(1) << 32)
/* The whole RAM address space (every block's max_length, plus gaps). */
#define RAM_MAX_SPACE_BYTES (UINT64_C(1) << 48)
#define RAM_BLOCK_NAME_MAX_BYTES 256u
/* Blocks mapped from other processes' files at once (ram_block_add_file):
 * slots of the SIGBUS guard's table. */
#define RAM_GUARD_MAX_MAPPINGS 64u
/* Keeps the readers' fields off the writers' cache line. */
#define RAM_CACHE_LINE_BYTES 64

/*
 * One client's RCU-published array of bitmap blocks. Immutable once
 * published: growth publishes a longer copy (same block pointers) and frees
 * this one with call_rcu. The bitmap blocks themselves belong to the ram_list
 * and live until ram_list_free().
 */
struct dirty_blocks {
	struct rcu_head rcu; /* for the deferred free of this array */
	uint64_t nblocks;    /* entries in blocks[]; immutable */
	bm_word *blocks[];   /* block_pages bits each */
};

/* A guest RAM block. */
struct ram_block {
	struct cds_list_head node; /* in ram_list.blocks; protected by ram_list.mutex */
	struct rcu_head rcu;	   /* deferred free after ram_block_remove() */
	char *name;		   /* immutable */
	ram_addr_t offset;	   /* immutable: page-aligned start in the address space */
	uint64_t max_length;	   /* immutable: reserved bytes, page-aligned */
	void *host;		   /* immutable: max_length bytes mapped RW */
	/* immutable: our memfd behind host, sealed at max_length rounded up
	 * to host pages; -1 for a block mapped from another's file */
	int fd;
	void *map_base;		      /* immutable: the mapping holding host (host pages) */
	size_t map_bytes;	      /* immutable: its length */
	int guard_slot;		      /* immutable: ram-guard.c's slot, or -1 */
	_Atomic bool lost;	      /* set once by the SIGBUS guard (any thread) */
	_Atomic uint64_t used_length; /* written under ram_list.mutex, read anywhere */
};

/*
 * The RAM address space and its dirty bitmaps.
 *
 * Lock-free readers (dirty_*) read size_bytes with an acquire load and then
 * dirty[client] with ram_rcu_dereference inside a read-side section. The
 * grower publishes a longer dirty[] array *before* raising size_bytes
 * (release), so a reader that sees a size finds an array covering it.
 *
 * Bitmap blocks themselves are never freed or moved before ram_list_free():
 * only the pointer arrays are replaced. So a range inside bitmap block 0 (the
 * first block_pages pages: 8 GiB of RAM with the defaults) is reached
 * through block0[], which never changes once set, with no read-side section
 * at all. Ranges reaching past block 0 go through the RCU array.
 */
struct ram_list {
	/* Read by every dirty_* call: kept on cache lines the mutex never dirties. */
	unsigned page_bits;	     /* immutable */
	unsigned block_shift;	     /* immutable; log2(block_pages) */
	uint64_t block_pages;	     /* immutable; power of two, >= BITS_PER_LONG */
	_Atomic uint64_t size_bytes; /* end of the highest block; written under mutex */
	struct dirty_blocks *dirty[DIRTY_MEMORY_NUM]; /* RCU; replaced under mutex */
	/* Bitmap block 0 of each client: set once under mutex before size_bytes
	 * first becomes non-zero (release), then immutable: read after an
	 * acquire load of a non-zero size_bytes, so plain reads are ordered. */
	bm_word *block0[DIRTY_MEMORY_NUM];
	/* Clients dirty_set* mark (ram_dirty_tracking_start); written under
	 * mutex, read by every dirty_set* call; sequentially consistent. */
	_Atomic unsigned tracked;

	/* Writers only. memory/'s two locks, this one and ram-guard.c's
	 * ram_guard_lock, are leaves: neither is held while taking the other
	 * or any other lock, and both come after every lock of fb/ and the
	 * frontends. */
	_Alignas(RAM_CACHE_LINE_BYTES)
		pthread_mutex_t mutex;	  /* serialises add/resize/remove, growth */
	struct cds_list_head blocks;	  /* sorted by offset; protected by mutex */
	uint64_t allocated_bitmap_blocks; /* per client, ever allocated; protected by mutex */
};

/* A clamped page range [first, end) of the address space. */
struct ram_page_range {
	uint64_t first;
	uint64_t end;
};

/* Converts the byte range [start, start+length) to the pages it touches,
 * clamped to the address space in use. Empty result: first == end. */
static inline struct ram_page_range ram_pages_of(struct ram_list *rl, ram_addr_t start,
						 ram_addr_t length)
{
	uint64_t limit =
		atomic_load_explicit(&rl->size_bytes, memory_order_acquire) >> rl->page_bits;
	uint64_t end = start + length;
	struct ram_page_range r;

	if (end < start)
		end = UINT64_MAX;
	r.first = start >> rl->page_bits;
	r.end = (end >> rl->page_bits) + ((end & ((UINT64_C(1) << rl->page_bits) - 1)) != 0);
	if (length == 0 || r.first >= limit) {
		r.first = r.end = 0;
		return r;
	}
	if (r.end > limit)
		r.end = limit;
	return r;
}

/* How one dirty_* call reaches a client's bitmap blocks. */
struct dirty_view {
	bm_word *const *blocks; /* blocks[i] = bitmap block i */
	uint64_t pages;		/* bits reachable through blocks[] */
};

/* Enters an RCU read-side section unless every page below end lies in
 * bitmap block 0. Returns whether it did; pass that to the calls below. */
static inline bool dirty_read_begin(const struct ram_list *rl, uint64_t end)
{
	if (end <= rl->block_pages)
		return false;
	ram_rcu_read_lock();
	return true;
}

static inline void dirty_read_end(bool in_rcu)
{
	if (in_rcu)
		ram_rcu_read_unlock();
}

/* The view of client's bitmap for a call that dirty_read_begin() set up,
 * after an acquire load of a non-zero size_bytes (or under the mutex). */
static inline struct dirty_view dirty_view_of(struct ram_list *rl, unsigned client, bool in_rcu)
{
	struct dirty_view v;

	if (!in_rcu) {
		v.blocks = &rl->block0[client];
		v.pages = rl->block0[client] ? rl->block_pages : 0;
	} else {
		struct dirty_blocks *a = ram_rcu_dereference(rl->dirty[client]);

		v.blocks = a ? a->blocks : NULL;
		v.pages = a ? a->nblocks << rl->block_shift : 0;
	}
	return v;
}

/* The SIGBUS guard (ram-guard.c): guards [start, start+bytes), a mapping
 * of a file that another process may shrink; *lost is set when a fault
 * there replaced the mapping with zero pages. The slot, or -ENOSPC (every
 * RAM_GUARD_MAX_MAPPINGS slot taken) or the -errno of installing the
 * handler. Remove the slot before unmapping. */
int ram_guard_add(void *start, size_t bytes, _Atomic bool *lost);
void ram_guard_remove(int slot);

/* Set / clear pages [first, end) of the clients in client_mask, without the
 * size clamp (for a block being added). Called with rl->mutex held. */
void ram_dirty_set_pages(struct ram_list *rl, uint64_t first, uint64_t end, unsigned client_mask);
void ram_dirty_clear_pages(struct ram_list *rl, uint64_t first, uint64_t end, unsigned client_mask);

#endif
