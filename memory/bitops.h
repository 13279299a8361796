/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * memory/bitops.h - internal word-at-a-time helpers on shared dirty bitmaps.
 *
 * A "map" is an array of unsigned long shared between threads; bit i of the
 * map is bit (i % BITS_PER_LONG) of word i / BITS_PER_LONG. Every access to a
 * shared word goes through a GCC __atomic builtin.
 *
 * Memory ordering relied on (see also memory/ram.h):
 *   - setting bits is a __ATOMIC_SEQ_CST fetch_or: a writer's earlier stores
 *     (pixels) are visible to whoever later clears the bit (release half), and
 *     the RMW is never skipped, because "the bit looks set already" read with a
 *     plain load could be stale against a concurrent clear (store-load race);
 *   - clearing bits is a __ATOMIC_SEQ_CST exchange or fetch_and: the reader's
 *     later loads (pixels) cannot move above the clear (acquire half);
 *   - a clear may be skipped after a __ATOMIC_RELAXED load that reads 0: no bit
 *     is taken, so nothing can be lost; a bit that load missed stays set for
 *     the next call;
 *   - queries (get/all) use __ATOMIC_ACQUIRE loads.
 */
#ifndef FBHOST_MEMORY_BITOPS_H
#define FBHOST_MEMORY_BITOPS_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

/* The helpers sit in every hot loop: always inline them. */
#define BM_INLINE static inline __attribute__((always_inline))

#define BITS_PER_LONG (sizeof(unsigned long) * CHAR_BIT)

/* Word holding bit nr, and the mask of bits >= nr % BITS_PER_LONG. */
#define BIT_WORD(nr) ((nr) / BITS_PER_LONG)
#define BITMAP_FIRST_WORD_MASK(nr) (~0UL << ((nr) % BITS_PER_LONG))
/* Mask of bits < nr % BITS_PER_LONG in the last word (all bits if 0). */
#define BITMAP_LAST_WORD_MASK(nr) (~0UL >> (-(nr) % BITS_PER_LONG))
#define BITS_TO_LONGS(n) (((n) + BITS_PER_LONG - 1) / BITS_PER_LONG)

/* Atomically sets bits [off, off + num) of map. */
BM_INLINE void bm_set_atomic(unsigned long *map, uint64_t off, uint64_t num)
{
	unsigned long *p = map + BIT_WORD(off);
	uint64_t end = off + num;
	unsigned long first = BITMAP_FIRST_WORD_MASK(off);
	unsigned long last = BITMAP_LAST_WORD_MASK(end);
	uint64_t words;

	if (num == 0)
		return;
	if (BIT_WORD(off) == BIT_WORD(end - 1)) {
		__atomic_fetch_or(p, first & last, __ATOMIC_SEQ_CST);
		return;
	}
	if (first != ~0UL) {
		__atomic_fetch_or(p++, first, __ATOMIC_SEQ_CST);
		off += BITS_PER_LONG - off % BITS_PER_LONG;
	}
	for (words = (end - off) / BITS_PER_LONG; words; words--)
		__atomic_fetch_or(p++, ~0UL, __ATOMIC_SEQ_CST);
	if (end % BITS_PER_LONG)
		__atomic_fetch_or(p, last, __ATOMIC_SEQ_CST);
}

/* Atomically clears bits [off, off + num); true if any of them was set. */
BM_INLINE bool bm_test_and_clear_atomic(unsigned long *map, uint64_t off, uint64_t num)
{
	unsigned long *p = map + BIT_WORD(off);
	uint64_t end = off + num;
	unsigned long first = BITMAP_FIRST_WORD_MASK(off);
	unsigned long last = BITMAP_LAST_WORD_MASK(end);
	unsigned long seen = 0;
	uint64_t words;

	if (num == 0)
		return false;
	if (BIT_WORD(off) == BIT_WORD(end - 1)) {
		unsigned long m = first & last;

		if (__atomic_load_n(p, __ATOMIC_RELAXED) & m)
			seen = __atomic_fetch_and(p, ~m, __ATOMIC_SEQ_CST) & m;
		return seen != 0;
	}
	if (first != ~0UL) {
		if (__atomic_load_n(p, __ATOMIC_RELAXED) & first)
			seen |= __atomic_fetch_and(p, ~first, __ATOMIC_SEQ_CST) & first;
		p++;
		off += BITS_PER_LONG - off % BITS_PER_LONG;
	}
	for (words = (end - off) / BITS_PER_LONG; words; words--, p++) {
		if (__atomic_load_n(p, __ATOMIC_RELAXED))
			seen |= __atomic_exchange_n(p, 0UL, __ATOMIC_SEQ_CST);
	}
	if (end % BITS_PER_LONG) {
		if (__atomic_load_n(p, __ATOMIC_RELAXED) & last)
			seen |= __atomic_fetch_and(p, ~last, __ATOMIC_SEQ_CST) & last;
	}
	return seen != 0;
}

/*
 * Atomically clears bits [off, off + num) of map and stores what they held in
 * dst, which is laid out like map from word BIT_WORD(off) on: dst[0] holds the
 * word containing bit off. Bits of dst outside the range are 0.
 */
BM_INLINE void bm_take_atomic(unsigned long *map, uint64_t off, uint64_t num, unsigned long *dst)
{
	unsigned long *p = map + BIT_WORD(off);
	uint64_t end = off + num;
	unsigned long first = BITMAP_FIRST_WORD_MASK(off);
	unsigned long last = BITMAP_LAST_WORD_MASK(end);
	uint64_t words;

	if (num == 0)
		return;
	if (BIT_WORD(off) == BIT_WORD(end - 1)) {
		unsigned long m = first & last;

		*dst = 0;
		if (__atomic_load_n(p, __ATOMIC_RELAXED) & m)
			*dst = __atomic_fetch_and(p, ~m, __ATOMIC_SEQ_CST) & m;
		return;
	}
	if (first != ~0UL) {
		*dst = 0;
		if (__atomic_load_n(p, __ATOMIC_RELAXED) & first)
			*dst = __atomic_fetch_and(p, ~first, __ATOMIC_SEQ_CST) & first;
		p++;
		dst++;
		off += BITS_PER_LONG - off % BITS_PER_LONG;
	}
	for (words = (end - off) / BITS_PER_LONG; words; words--, p++, dst++) {
		*dst = 0;
		if (__atomic_load_n(p, __ATOMIC_RELAXED))
			*dst = __atomic_exchange_n(p, 0UL, __ATOMIC_SEQ_CST);
	}
	if (end % BITS_PER_LONG) {
		*dst = 0;
		if (__atomic_load_n(p, __ATOMIC_RELAXED) & last)
			*dst = __atomic_fetch_and(p, ~last, __ATOMIC_SEQ_CST) & last;
	}
}

/* True if any bit of [off, off + num) is set. want_all: true if all are. */
BM_INLINE bool bm_scan(const unsigned long *map, uint64_t off, uint64_t num, bool want_all)
{
	const unsigned long *p = map + BIT_WORD(off);
	uint64_t end = off + num;
	unsigned long first = BITMAP_FIRST_WORD_MASK(off);
	unsigned long last = BITMAP_LAST_WORD_MASK(end);
	/* Flip the words when looking for a clear bit: then both ask "any set?" */
	unsigned long flip = want_all ? ~0UL : 0;
	uint64_t words;

	if (num == 0)
		return want_all;
	if (BIT_WORD(off) == BIT_WORD(end - 1))
		return ((__atomic_load_n(p, __ATOMIC_ACQUIRE) ^ flip) & first & last) ? !want_all
										      : want_all;
	if (first != ~0UL) {
		if ((__atomic_load_n(p++, __ATOMIC_ACQUIRE) ^ flip) & first)
			return !want_all;
		off += BITS_PER_LONG - off % BITS_PER_LONG;
	}
	for (words = (end - off) / BITS_PER_LONG; words; words--) {
		if (__atomic_load_n(p++, __ATOMIC_ACQUIRE) ^ flip)
			return !want_all;
	}
	if (end % BITS_PER_LONG) {
		if ((__atomic_load_n(p, __ATOMIC_ACQUIRE) ^ flip) & last)
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
