/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * memory/dirty.c - the lock-free dirty_* operations on the blocked bitmaps.
 *
 * Every operation clamps its page range to the address space in use, opens
 * a view of each needed client's bitmap (block 0 directly, anything further
 * through the RCU array inside a read-side section: memory/ram-internal.h)
 * and walks the range one bitmap block at a time. Inside a block the work is
 * done a word at a time (memory/bitops.h states the memory ordering). Block
 * boundaries are word boundaries since block_pages is a power of two no
 * smaller than BITS_PER_LONG.
 */
#include <errno.h>

#include "memory/bitops.h"
#include "memory/ram-internal.h"

/* The part of [first, end) inside the bitmap block of page first. */
static inline uint64_t chunk_pages(const struct ram_list *rl, uint64_t first, uint64_t end)
{
	uint64_t room = rl->block_pages - (first & (rl->block_pages - 1));

	return end - first < room ? end - first : room;
}

static inline bm_word *block_of(const struct ram_list *rl, struct dirty_view v, uint64_t page)
{
	return v.blocks[page >> rl->block_shift];
}

static inline uint64_t offset_in_block(const struct ram_list *rl, uint64_t page)
{
	return page & (rl->block_pages - 1);
}

/* The word holding page's bit, and that bit. */
static inline bm_word *word_of(const struct ram_list *rl, struct dirty_view v, uint64_t page)
{
	return block_of(rl, v, page) + BIT_WORD(offset_in_block(rl, page));
}

static inline unsigned long bit_of(uint64_t page)
{
	return 1UL << (page % BITS_PER_LONG);
}

/* Clamps end to what the view reaches (a no-op unless the invariant that
 * views cover the published size were broken; kept so no call can run off). */
static inline uint64_t clamp_end(struct dirty_view v, uint64_t end)
{
	return end < v.pages ? end : v.pages;
}

static inline __attribute__((always_inline)) bool
scan_range(struct ram_list *rl, ram_addr_t start, ram_addr_t length, unsigned client, bool want_all)
{
	struct ram_page_range r;
	struct dirty_view v;
	bool result = want_all, rcu;
	uint64_t p, end, num;

	if (client >= DIRTY_MEMORY_NUM) {
		errno = EINVAL;
		return false;
	}
	r = ram_pages_of(rl, start, length);
	if (r.first == r.end)
		return want_all;
	rcu = dirty_read_begin(rl, r.end);
	v = dirty_view_of(rl, client, rcu);
	end = clamp_end(v, r.end);
	for (p = r.first; p < end; p += num) {
		num = chunk_pages(rl, p, end);
		if (bm_scan(block_of(rl, v, p), offset_in_block(rl, p), num, want_all) !=
		    want_all) {
			result = !want_all;
			break;
		}
	}
	dirty_read_end(rcu);
	return result;
}

bool dirty_get(struct ram_list *rl, ram_addr_t start, ram_addr_t length, unsigned client)
{
	return scan_range(rl, start, length, client, false);
}

bool dirty_all(struct ram_list *rl, ram_addr_t start, ram_addr_t length, unsigned client)
{
	return scan_range(rl, start, length, client, true);
}

/* Sets (or clears) pages [first, end) of the clients in mask. */
static void fill_pages(struct ram_list *rl, uint64_t first, uint64_t end, unsigned mask, bool set)
{
	bool rcu = dirty_read_begin(rl, end);
	unsigned c;

	for (c = 0; c < DIRTY_MEMORY_NUM; c++) {
		struct dirty_view v;
		uint64_t p, e, num;

		if (!(mask & (1u << c)))
			continue;
		v = dirty_view_of(rl, c, rcu);
		e = clamp_end(v, end);
		for (p = first; p < e; p += num) {
			num = chunk_pages(rl, p, e);
			if (set)
				bm_set_atomic(block_of(rl, v, p), offset_in_block(rl, p), num);
			else
				bm_test_and_clear_atomic(block_of(rl, v, p), offset_in_block(rl, p),
							 num);
		}
	}
	dirty_read_end(rcu);
}

/* The clients dirty_set* mark now (see ram_dirty_tracking_start). */
static unsigned tracked_clients(struct ram_list *rl)
{
	return atomic_load_explicit(&rl->tracked, memory_order_seq_cst);
}

unsigned ram_dirty_tracked(struct ram_list *rl)
{
	return tracked_clients(rl);
}

int ram_dirty_tracking_start(struct ram_list *rl, unsigned client)
{
	uint64_t end;

	if (!rl || client >= DIRTY_MEMORY_NUM)
		return -EINVAL;
	pthread_mutex_lock(&rl->mutex);
	atomic_fetch_or_explicit(&rl->tracked, 1u << client, memory_order_seq_cst);
	/* Every page, after the mask: a write that read the old mask is
	 * covered here. Under the mutex, so no block appears meanwhile. */
	end = atomic_load_explicit(&rl->size_bytes, memory_order_acquire) >> rl->page_bits;
	if (end)
		fill_pages(rl, 0, end, 1u << client, true);
	pthread_mutex_unlock(&rl->mutex);
	return 0;
}

int ram_dirty_tracking_stop(struct ram_list *rl, unsigned client)
{
	if (!rl || client >= DIRTY_MEMORY_NUM)
		return -EINVAL;
	pthread_mutex_lock(&rl->mutex);
	atomic_fetch_and_explicit(&rl->tracked, ~(1u << client), memory_order_seq_cst);
	pthread_mutex_unlock(&rl->mutex);
	return 0;
}

void dirty_set(struct ram_list *rl, ram_addr_t addr, unsigned client)
{
	struct ram_page_range r;
	struct dirty_view v;
	bool rcu;

	if (client >= DIRTY_MEMORY_NUM || !(tracked_clients(rl) & (1u << client)))
		return;
	r = ram_pages_of(rl, addr, 1);
	if (r.first == r.end)
		return;
	rcu = dirty_read_begin(rl, r.end);
	v = dirty_view_of(rl, client, rcu);
	if (r.first < v.pages)
		atomic_fetch_or_explicit(word_of(rl, v, r.first), bit_of(r.first),
					 memory_order_seq_cst);
	dirty_read_end(rcu);
}

void dirty_set_range(struct ram_list *rl, ram_addr_t start, ram_addr_t length, unsigned client_mask)
{
	struct ram_page_range r = ram_pages_of(rl, start, length);

	client_mask &= tracked_clients(rl);
	if (r.first == r.end || !client_mask)
		return;
	fill_pages(rl, r.first, r.end, client_mask, true);
}

void ram_dirty_set_pages(struct ram_list *rl, uint64_t first, uint64_t end, unsigned client_mask)
{
	fill_pages(rl, first, end, client_mask & DIRTY_CLIENTS_ALL, true);
}

void ram_dirty_clear_pages(struct ram_list *rl, uint64_t first, uint64_t end, unsigned client_mask)
{
	fill_pages(rl, first, end, client_mask & DIRTY_CLIENTS_ALL, false);
}

bool dirty_test_and_clear(struct ram_list *rl, ram_addr_t start, ram_addr_t length, unsigned client)
{
	struct ram_page_range r;
	struct dirty_view v;
	bool dirty = false, rcu;
	uint64_t p, end, num;

	if (client >= DIRTY_MEMORY_NUM) {
		errno = EINVAL;
		return false;
	}
	r = ram_pages_of(rl, start, length);
	if (r.first == r.end)
		return false;
	rcu = dirty_read_begin(rl, r.end);
	v = dirty_view_of(rl, client, rcu);
	end = clamp_end(v, r.end);
	for (p = r.first; p < end; p += num) {
		num = chunk_pages(rl, p, end);
		dirty |= bm_test_and_clear_atomic(block_of(rl, v, p), offset_in_block(rl, p), num);
	}
	dirty_read_end(rcu);
	return dirty;
}

/* Word-at-a-time lebitmap: first is a multiple of BITS_PER_LONG. */
static void lebitmap_words(struct ram_list *rl, const struct dirty_view *views, unsigned mask,
			   const unsigned long *bitmap, uint64_t first, uint64_t pages)
{
	uint64_t k, nwords = BITS_TO_LONGS(pages);

	for (k = 0; k < nwords; k++) {
		unsigned long bits = bm_le_to_host(bitmap[k]);
		uint64_t page = first + k * BITS_PER_LONG;
		unsigned c;

		if (k == nwords - 1)
			bits &= BITMAP_LAST_WORD_MASK(pages);
		if (!bits)
			continue;
		for (c = 0; c < DIRTY_MEMORY_NUM; c++) {
			if (mask & (1u << c))
				atomic_fetch_or_explicit(word_of(rl, views[c], page), bits,
							 memory_order_seq_cst);
		}
	}
}

/* Per-page lebitmap for any first page. */
static void lebitmap_pages(struct ram_list *rl, const struct dirty_view *views, unsigned mask,
			   const unsigned long *bitmap, uint64_t first, uint64_t pages)
{
	uint64_t k, nwords = BITS_TO_LONGS(pages);

	for (k = 0; k < nwords; k++) {
		unsigned long bits = bm_le_to_host(bitmap[k]);

		if (k == nwords - 1)
			bits &= BITMAP_LAST_WORD_MASK(pages);
		while (bits) {
			uint64_t page = first + k * BITS_PER_LONG + (uint64_t)__builtin_ctzl(bits);
			unsigned c;

			bits &= bits - 1;
			for (c = 0; c < DIRTY_MEMORY_NUM; c++) {
				if (mask & (1u << c))
					atomic_fetch_or_explicit(word_of(rl, views[c], page),
								 bit_of(page),
								 memory_order_seq_cst);
			}
		}
	}
}

void dirty_set_lebitmap(struct ram_list *rl, const unsigned long *bitmap, ram_addr_t start,
			ram_addr_t pages, unsigned client_mask)
{
	struct dirty_view views[DIRTY_MEMORY_NUM];
	uint64_t first, limit;
	unsigned c;
	bool rcu;

	client_mask &= tracked_clients(rl);
	if (!bitmap || !pages || !client_mask)
		return;
	first = start >> rl->page_bits;
	limit = atomic_load_explicit(&rl->size_bytes, memory_order_acquire) >> rl->page_bits;
	if (first >= limit)
		return;
	if (pages > limit - first)
		pages = limit - first;
	rcu = dirty_read_begin(rl, first + pages);
	for (c = 0; c < DIRTY_MEMORY_NUM; c++) {
		views[c] = dirty_view_of(rl, c, rcu);
		limit = clamp_end(views[c], limit);
	}
	if (first < limit) {
		if (pages > limit - first)
			pages = limit - first;
		if (first % BITS_PER_LONG == 0)
			lebitmap_words(rl, views, client_mask, bitmap, first, pages);
		else
			lebitmap_pages(rl, views, client_mask, bitmap, first, pages);
	}
	dirty_read_end(rcu);
}

/* Moves the bits of one word (those in mask) into *dest; returns how many
 * were newly set there. */
static inline uint64_t sync_word(bm_word *w, unsigned long mask, unsigned long *dest)
{
	unsigned long bits;

	if (!(atomic_load_explicit(w, memory_order_relaxed) & mask))
		return 0;
	if (mask == ~0UL)
		bits = atomic_exchange_explicit(w, 0UL, memory_order_seq_cst);
	else
		bits = atomic_fetch_and_explicit(w, ~mask, memory_order_seq_cst) & mask;
	bits &= ~*dest;
	*dest |= bits;
	return (uint64_t)__builtin_popcountl(bits);
}

uint64_t dirty_sync_bitmap(struct ram_list *rl, unsigned long *dest, ram_addr_t start,
			   ram_addr_t length)
{
	struct ram_page_range r;
	struct dirty_view v;
	uint64_t p, end, num, newly = 0;
	bool rcu;

	if (!dest)
		return 0;
	r = ram_pages_of(rl, start, length);
	if (r.first == r.end)
		return 0;
	rcu = dirty_read_begin(rl, r.end);
	v = dirty_view_of(rl, DIRTY_MEMORY_MIGRATION, rcu);
	end = clamp_end(v, r.end);
	if (r.first % BITS_PER_LONG == 0) {
		/* Fast path: whole words, the last one masked to the range. */
		for (p = r.first; p < end; p += num) {
			unsigned long mask = ~0UL;

			num = end - p < BITS_PER_LONG ? end - p : BITS_PER_LONG;
			if (num < BITS_PER_LONG)
				mask = BITMAP_LAST_WORD_MASK(num);
			newly += sync_word(word_of(rl, v, p), mask, &dest[BIT_WORD(p)]);
		}
	} else {
		for (p = r.first; p < end; p++)
			newly += sync_word(word_of(rl, v, p), bit_of(p), &dest[BIT_WORD(p)]);
	}
	dirty_read_end(rcu);
	return newly;
}
