/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * memory/dirty-snapshot.c - take-and-clear of a range into a private bitmap.
 *
 * The snapshot's words line up with the live bitmap's words (bits[0] holds
 * the word of page first_page), so taking is a word-for-word exchange. Edge
 * words are cleared with a masked fetch_and, so a neighbour sharing the word
 * (another framebuffer) keeps its bits.
 */
#include <errno.h>
#include <stdlib.h>

#include "memory/bitops.h"
#include "memory/ram-internal.h"

/* A taken range. Private to its owner once returned: no locking. */
struct dirty_snapshot {
	unsigned page_bits;
	uint64_t first_page; /* pages [first_page, end_page) were taken */
	uint64_t end_page;
	uint64_t base_page;   /* first_page rounded down to a word */
	unsigned long bits[]; /* bit (p - base_page) for page p */
};

struct dirty_snapshot *dirty_snapshot_and_clear(struct ram_list *rl, ram_addr_t start,
						ram_addr_t length, unsigned client)
{
	struct dirty_snapshot *snap;
	struct ram_page_range r;
	struct dirty_view v;
	uint64_t p, end, num, nwords = 0;
	bool rcu;

	if (!rl || client >= DIRTY_MEMORY_NUM) {
		errno = EINVAL;
		return NULL;
	}
	r = ram_pages_of(rl, start, length);
	if (r.first != r.end)
		nwords = BIT_WORD(r.end - 1) - BIT_WORD(r.first) + 1;
	snap = malloc(sizeof(*snap) + nwords * sizeof(unsigned long));
	if (!snap)
		return NULL;
	snap->page_bits = rl->page_bits;
	snap->first_page = r.first;
	snap->end_page = r.end;
	snap->base_page = r.first - r.first % BITS_PER_LONG;
	if (!nwords)
		return snap;

	rcu = dirty_read_begin(rl, r.end);
	v = dirty_view_of(rl, client, rcu);
	end = r.end;
	if (end > v.pages) {
		/* Broken invariant guard: report the uncovered part as clean. */
		end = v.pages;
		snap->end_page = end > r.first ? end : r.first;
		for (p = 0; p < nwords; p++)
			snap->bits[p] = 0;
	}
	for (p = r.first; p < end; p += num) {
		num = end - p;
		if (num > rl->block_pages - (p & (rl->block_pages - 1)))
			num = rl->block_pages - (p & (rl->block_pages - 1));
		bm_take_atomic(v.blocks[p >> rl->block_shift], p & (rl->block_pages - 1), num,
			       snap->bits + (BIT_WORD(p) - BIT_WORD(snap->base_page)));
	}
	dirty_read_end(rcu);
	return snap;
}

bool dirty_snapshot_get(const struct dirty_snapshot *snap, ram_addr_t start, ram_addr_t length)
{
	uint64_t first, end, bytes_end = start + length;

	if (!snap || length == 0)
		return false;
	if (bytes_end < start)
		bytes_end = UINT64_MAX;
	first = start >> snap->page_bits;
	end = (bytes_end >> snap->page_bits) +
	      ((bytes_end & ((UINT64_C(1) << snap->page_bits) - 1)) != 0);
	if (first < snap->first_page)
		first = snap->first_page;
	if (end > snap->end_page)
		end = snap->end_page;
	if (first >= end)
		return false;
	return bm_any_private(snap->bits, first - snap->base_page, end - first);
}

void dirty_snapshot_free(struct dirty_snapshot *snap)
{
	free(snap);
}
