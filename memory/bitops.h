/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * memory/bitops.h - internal word-at-a-time helpers on shared dirty bitmaps.
 *
 * A "map" is an array of bm_word (an _Atomic unsigned long) shared between
 * threads; bit i of the map is bit (i % BITS_PER_LONG) of word
 * i / BITS_PER_LONG. Every access to a shared word is a C11 atomic operation
 * (<stdatomic.h>, the tree's one atomics style).
 *
 * Memory ordering relied on (see also memory/ram.h):
 *   - setting bits is a memory_order_seq_cst fetch_or: a writer's earlier stores
 *     (pixels) are visible to whoever later clears the bit (release half), and
 *     the RMW is never skipped, because "the bit looks set already" read with a
 *     plain load could be stale against a concurrent clear (store-load race);
 *   - clearing bits is a memory_order_seq_cst exchange or fetch_and: the reader's
 *     later loads (pixels) cannot move above the clear (acquire half);
 *   - a clear may be skipped after a memory_order_relaxed load that reads 0: no bit
 *     is taken, so nothing can be lost; a bit that load missed stays set for
 *     the next call;
 *   - queries (get/all) use memory_order_acquire loads.
 */
#ifndef FBHOST_MEMORY_BITOPS_H
#define FBHOST_MEMORY_BITOPS_H

#include <limits.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

/* The helpers sit in every hot loop: always inline them. */
#define BM_INLINE static inline __attribute__((always_inline))

#define BITS_PER_LONG (sizeof(unsigned long) * CHAR_BIT)

/* One shared bitmap word. */
typedef _Atomic unsigned long bm_word;

/* Word holding bit nr, and the mask of bits >= nr % BITS_PER_LONG. */
#define BIT_WORD(nr) ((nr) / BITS_PER_LONG)
#define BITMAP_FIRST_WORD_MASK(nr) (~0UL << ((nr) % BITS_PER_LONG))
/* Mask of bits < nr % BITS_PER_LONG in the last word (all bits if 0). */
#define BITMAP_LAST_WORD_MASK(nr) (~0UL >> (-(nr) % BITS_PER_LONG))
#define BITS_TO_LONGS(n) (((n) + BITS_PER_LONG - 1) / BITS_PER_LONG)

/* Atomically sets bits [off, off + num) of map. */
BM_INLINE void bm_set_atomic(bm_word *map, uint64_t off, uint64_t num)
{
	bm_word *p = map + BIT_WORD(off);
	uint64_t end = off + num;
	unsigned long first = BITMAP_FIRST_WORD_MASK(off);
	unsigned long last = BITMAP_LAST_WORD_MASK(end);
	uint64_t words;

	if (num == 0)
		return;
	if (BIT_WORD(off) == BIT_WORD(end - 1)) {
		atomic_fetch_or_explicit(p, first & last, memory_order_seq_cst);
		return;
	}
	if (first != ~0UL) {
		atomic_fetch_or_explicit(p++, first, memory_order_seq_cst);
		off += BITS_PER_LONG - off % BITS_PER_LONG;
	}
	for (words = (end - off) / BITS_PER_LONG; words; words--)
		atomic_fetch_or_explicit(p++, ~0UL, memory_order_seq_cst);
	if (end % BITS_PER_LONG)
		atomic_fetch_or_explicit(p, last, memory_order_seq_cst);
}

/* Atomically clears bits [off, off + num); true if any of them was set. */
BM_INLINE bool bm_test_and_clear_atomic(bm_word *map, uint64_t off, uint64_t num)
{
	bm_word *p = map + BIT_WORD(off);
	uint64_t end = off + num;
	unsigned long first = BITMAP_FIRST_WORD_MASK(off);
	unsigned long last = BITMAP_LAST_WORD_MASK(end);
	unsigned long seen = 0;
	uint64_t words;

	if (num == 0)
		return false;
	if (BIT_WORD(off) == BIT_WORD(end - 1)) {
		unsigned long m = first & last;

		if (atomic_load_explicit(p, memory_order_relaxed) & m)
			seen = atomic_fetch_and_explicit(p, ~m, memory_order_seq_cst) & m;
		return seen != 0;
	}
	if (first != ~0UL) {
		if (atomic_load_explicit(p, memory_order_relaxed) & first)
			seen |= atomic_fetch_and_explicit(p, ~first, memory_order_seq_cst) & first;
		p++;
		off += BITS_PER_LONG - off % BITS_PER_LONG;
	}
	for (words = (end - off) / BITS_PER_LONG; words; words--, p++) {
		if (atomic_load_explicit(p, memory_order_relaxed))
			seen |= atomic_exchange_explicit(p, 0UL, memory_order_seq_cst);
	}
	if (end % BITS_PER_LONG) {
		if (atomic_load_explicit(p, memory_order_relaxed) & last)
			seen |= atomic_fetch_and_explicit(p, ~last, memory_order_seq_cst) & last;
	}
	return seen != 0;
}

/*
 * Atomically clears bits [off, off + num) of map and stores what they held in
 * dst, which is laid out like map from word BIT_WORD(off) on: dst[0] holds the
 * word containing bit off. Bits of dst outside the range are 0.
 */
BM_INLINE void bm_take_atomic(bm_word *map, uint64_t off, uint64_t num, unsigned long *dst)
{
	bm_word *p = map + BIT_WORD(off);
	uint64_t end = off + num;
	unsigned long first = BITMAP_FIRST_WORD_MASK(off);
	unsigned long last = BITMAP_LAST_WORD_MASK(end);
	uint64_t words;

	if (num == 0)
		return;
	if (BIT_WORD(off) == BIT_WORD(end - 1)) {
		unsigned long m = first & last;

		*dst = 0;
		if (atomic_load_explicit(p, memory_order_relaxed) & m)
			*dst = atomic_fetch_and_explicit(p, ~m, memory_order_seq_cst) & m;
		return;
	}
	if (first != ~0UL) {
		*dst = 0;
		if (atomic_load_explicit(p, memory_order_relaxed) & first)
			*dst = atomic_fetch_and_explicit(p, ~first, memory_order_seq_cst) & first;
		p++;
		dst++;
		off += BITS_PER_LONG - off % BITS_PER_LONG;
	}
	for (words = (end - off) / BITS_PER_LONG; words; words--, p++, dst++) {
		*dst = 0;
		if (atomic_load_explicit(p, memory_order_relaxed))
			*dst = atomic_exchange_explicit(p, 0UL, memory_order_seq_cst);
	}
	if (end % BITS_PER_LONG) {
		*dst = 0;
		if (atomic_load_explicit(p, memory_order_relaxed) & last)
			*dst = atomic_fetch_and_explicit(p, ~last, memory_order_seq_cst) & last;
	}
}

/* True if any bit of [off, off + num) is set. want_all: true if all are. */
BM_INLINE bool bm_scan(const bm_word *map, uint64_t off, uint64_t num, bool want_all)
{
	const bm_word *p = map + BIT_WORD(off);
	uint64_t end = off + num;
	unsigned long first = BITMAP_FIRST_WORD_MASK(off);
	unsigned long last = BITMAP_LAST_WORD_MASK(end);
	/* Flip the words when looking for a clear bit: then both ask "any set?" */
	unsigned long flip = want_all ? ~0UL : 0;
	uint64_t words;

	if (num == 0)
		return want_all;
	if (BIT_WORD(off) == BIT_WORD(end - 1))
		return ((atomic_load_explicit(p, memory_order_acquire) ^ flip) & first & last)
			       ? !want_all
			       : want_all;
	if (first != ~0UL) {
		if ((atomic_load_explicit(p++, memory_order_acquire) ^ flip) & first)
			return !want_all;
		off += BITS_PER_LONG - off % BITS_PER_LONG;
	}
	for (words = (end - off) / BITS_PER_LONG; words; words--) {
		if (atomic_load_explicit(p++, memory_order_acquire) ^ flip)
			return !want_all;
	}
	if (end % BITS_PER_LONG) {
		if ((atomic_load_explicit(p, memory_order_acquire) ^ flip) & last)
			return !want_all;
	}
	return want_all;
}

/* Non-atomic: true if any bit [off, off + num) of a private map is set. */
BM_INLINE bool bm_any_private(const unsigned long *map, uint64_t off, uint64_t num)
{
	const unsigned long *p = map + BIT_WORD(off);
	uint64_t end = off + num;
	unsigned long first = BITMAP_FIRST_WORD_MASK(off);
	unsigned long last = BITMAP_LAST_WORD_MASK(end);
	uint64_t w, wend;

	if (num == 0)
		return false;
	if (BIT_WORD(off) == BIT_WORD(end - 1))
		return (*p & first & last) != 0;
	if (*p & first)
		return true;
	wend = BIT_WORD(end - 1);
	for (w = BIT_WORD(off) + 1; w < wend; w++) {
		if (map[w])
			return true;
	}
	return (map[wend] & last) != 0;
}

/* Converts a little-endian bitmap word to host order. */
BM_INLINE unsigned long bm_le_to_host(unsigned long v)
{
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	return sizeof(v) == 8 ? (unsigned long)__builtin_bswap64(v) : __builtin_bswap32(v);
#else
	return v;
#endif
}

#endif
