/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tests/memory/test-ram-model.c - random operations on memory/ram.h checked
 * against a plain one-bool-per-page model.
 *
 * Several page sizes and bitmap block sizes (64 and 128 pages, so ranges
 * cross blocks often, and larger). Starts and lengths are unaligned, ranges
 * start mid-block and mid-word, run past the end or are empty; lebitmap and
 * sync take both their word and their per-page paths; snapshot-and-clear
 * must leave neighbours alone. Blocks are added, resized and removed,
 * including removing the highest block and adding again.
 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "memory/ram.h"

#define LONG_BITS (sizeof(unsigned long) * CHAR_BIT)
#define MODEL_MAX_PAGES 8192u
#define MODEL_MAX_BLOCKS 8u
#define MODEL_BLOCK_MAX_PAGES 300u
/* Compare every page every this many operations. */
#define MODEL_FULL_CHECK_OPS 500u
/* Operations per configuration; 6 configurations run >= 10^5 in all. */
#define MODEL_OPS_PER_CONFIG 20000u

struct model_block {
	struct ram_block *rb;
	uint64_t first_page; /* offset in pages */
	uint64_t max_pages;
	uint64_t used_bytes;
};

/* The model: one bool per page per client, and the block layout. */
struct model {
	struct ram_list *rl;
	unsigned page_bits;
	uint64_t ps;
	uint64_t size_pages;
	bool bits[DIRTY_MEMORY_NUM][MODEL_MAX_PAGES];
	struct model_block blocks[MODEL_MAX_BLOCKS]; /* sorted by first_page */
	unsigned nblocks;
	unsigned long sync_dest[MODEL_MAX_PAGES / LONG_BITS];
	bool sync_model[MODEL_MAX_PAGES];
	uint64_t rng;
	unsigned long ops;
};

static uint64_t rnd(struct model *m)
{
	m->rng ^= m->rng << 13;
	m->rng ^= m->rng >> 7;
	m->rng ^= m->rng << 17;
	return m->rng;
}

static uint64_t rnd_below(struct model *m, uint64_t n)
{
	return n ? rnd(m) % n : 0;
}

/* Model page range of a byte range, with the library's clamping. */
static void model_pages(const struct model *m, uint64_t start, uint64_t length, uint64_t *first,
			uint64_t *end)
{
	uint64_t bend = start + length;

	if (bend < start)
		bend = UINT64_MAX;
	*first = start >> m->page_bits;
	*end = (bend >> m->page_bits) + ((bend & (m->ps - 1)) != 0);
	if (length == 0 || *first >= m->size_pages) {
		*first = *end = 0;
		return;
	}
	if (*end > m->size_pages)
		*end = m->size_pages;
}

static void model_fill(struct model *m, uint64_t first, uint64_t end, unsigned mask, bool v)
{
	for (unsigned c = 0; c < DIRTY_MEMORY_NUM; c++) {
		if (mask & (1u << c)) {
			for (uint64_t p = first; p < end; p++)
				m->bits[c][p] = v;
		}
	}
}

static void full_check(struct model *m)
{
	for (unsigned c = 0; c < DIRTY_MEMORY_NUM; c++) {
		for (uint64_t p = 0; p < m->size_pages + 70 && p < MODEL_MAX_PAGES; p++) {
			bool want = p < m->size_pages && m->bits[c][p];

			if (dirty_get(m->rl, p << m->page_bits, 1, c) != want)
				fail_msg("op %lu: client %u page %llu: want %d", m->ops, c,
					 (unsigned long long)p, want);
		}
	}
	assert_int_equal(ram_list_size(m->rl), m->size_pages << m->page_bits);
}

static void recompute_size(struct model *m)
{
	m->size_pages = 0;
	if (m->nblocks) {
		struct model_block *b = &m->blocks[m->nblocks - 1];

		m->size_pages = b->first_page + b->max_pages;
	}
}

static void op_add(struct model *m)
{
	uint64_t max_pages = 1 + rnd_below(m, MODEL_BLOCK_MAX_PAGES);
	uint64_t max_bytes = max_pages * m->ps - rnd_below(m, m->ps);
	uint64_t used = 1 + rnd_below(m, max_bytes);
	uint64_t candidate = 0, used_end;
	unsigned i;
	struct ram_block *rb;

	if (m->nblocks == MODEL_MAX_BLOCKS)
		return;
	for (i = 0; i < m->nblocks; i++) {
		if (m->blocks[i].first_page - candidate >= max_pages)
			break;
		candidate = m->blocks[i].first_page + m->blocks[i].max_pages;
	}
	if (candidate + max_pages > MODEL_MAX_PAGES)
		return;
	rb = ram_block_add(m->rl, "model", used, max_bytes);
	assert_non_null(rb);
	assert_int_equal(ram_block_offset(rb), candidate << m->page_bits);
	assert_int_equal(ram_block_used_length(rb), used);
	assert_non_null(ram_block_host(rb));
	((volatile char *)ram_block_host(rb))[max_bytes - 1] = 1;
	memmove(&m->blocks[i + 1], &m->blocks[i], (m->nblocks - i) * sizeof(m->blocks[0]));
	m->blocks[i] = (struct model_block){ rb, candidate, max_pages, used };
	m->nblocks++;
	used_end = candidate + (used + m->ps - 1) / m->ps;
	model_fill(m, candidate, used_end, DIRTY_CLIENTS_ALL, true);
	model_fill(m, used_end, candidate + max_pages, DIRTY_CLIENTS_ALL, false);
	recompute_size(m);
}

static void op_remove(struct model *m)
{
	unsigned i;

	if (!m->nblocks)
		return;
	/* Half the time the highest block, so the space shrinks and regrows. */
	i = rnd_below(m, 2) ? m->nblocks - 1 : (unsigned)rnd_below(m, m->nblocks);
	ram_block_remove(m->rl, m->blocks[i].rb);
	memmove(&m->blocks[i], &m->blocks[i + 1], (m->nblocks - i - 1) * sizeof(m->blocks[0]));
	m->nblocks--;
	recompute_size(m);
}

static void op_resize(struct model *m)
{
	struct model_block *b;
	uint64_t max_bytes, used, old_end, new_end;
	void *host;
	int r;

	if (!m->nblocks)
		return;
	b = &m->blocks[rnd_below(m, m->nblocks)];
	max_bytes = b->max_pages * m->ps;
	host = ram_block_host(b->rb);
	if (rnd_below(m, 8) == 0) {
		/* Beyond max_length (page-rounded), or zero: refused, nothing changes. */
		used = rnd_below(m, 2) ? max_bytes + 1 + rnd_below(m, 3 * m->ps) : 0;
		assert_int_equal(ram_block_resize(m->rl, b->rb, used), -EINVAL);
		assert_int_equal(ram_block_used_length(b->rb), b->used_bytes);
		return;
	}
	used = 1 + rnd_below(m, max_bytes);
	r = ram_block_resize(m->rl, b->rb, used);
	assert_int_equal(r, 0);
	assert_ptr_equal(ram_block_host(b->rb), host);
	assert_int_equal(ram_block_used_length(b->rb), used);
	old_end = b->first_page + (b->used_bytes + m->ps - 1) / m->ps;
	new_end = b->first_page + (used + m->ps - 1) / m->ps;
	if (new_end > old_end)
		model_fill(m, old_end, new_end, DIRTY_CLIENTS_ALL, true);
	b->used_bytes = used;
}

/* A random byte range: unaligned, mid-block, empty, or running off the end. */
static void rnd_range(struct model *m, uint64_t *start, uint64_t *length)
{
	uint64_t space = (m->size_pages + 70) * m->ps;

	*start = rnd_below(m, space);
	switch (rnd_below(m, 10)) {
	case 0:
		*length = 0;
		break;
	case 1:
		*length = UINT64_MAX - rnd_below(m, 5);
		break;
	case 2:
		*length = 1 + rnd_below(m, 3 * m->ps);
		break;
	case 3:
		*start = (*start >> m->page_bits) << m->page_bits;
		*length = (1 + rnd_below(m, 256)) * m->ps;
		break;
	default:
		*length = 1 + rnd_below(m, 200 * m->ps);
		break;
	}
}

static bool model_any(const struct model *m, unsigned c, uint64_t first, uint64_t end, bool all)
{
	for (uint64_t p = first; p < end; p++) {
		if (m->bits[c][p] != all)
			return !all;
	}
	return all;
}

static void op_query(struct model *m)
{
	uint64_t start, length, first, end;
	unsigned c = (unsigned)rnd_below(m, DIRTY_MEMORY_NUM);

	rnd_range(m, &start, &length);
	model_pages(m, start, length, &first, &end);
	assert_int_equal(dirty_get(m->rl, start, length, c), model_any(m, c, first, end, false));
	assert_int_equal(dirty_all(m->rl, start, length, c), model_any(m, c, first, end, true));
}

static void op_set(struct model *m)
{
	uint64_t start, length, first, end;
	unsigned mask = (unsigned)rnd_below(m, 4);

	rnd_range(m, &start, &length);
	if (rnd_below(m, 3) == 0) {
		unsigned c = mask % DIRTY_MEMORY_NUM;

		dirty_set(m->rl, start, c);
		model_pages(m, start, 1, &first, &end);
		model_fill(m, first, end, 1u << c, true);
		return;
	}
	dirty_set_range(m->rl, start, length, mask);
	model_pages(m, start, length, &first, &end);
	model_fill(m, first, end, mask, true);
}

static void op_test_and_clear(struct model *m)
{
	uint64_t start, length, first, end;
	unsigned c = (unsigned)rnd_below(m, DIRTY_MEMORY_NUM);
	bool want;

	rnd_range(m, &start, &length);
	model_pages(m, start, length, &first, &end);
	want = model_any(m, c, first, end, false);
	assert_int_equal(dirty_test_and_clear(m->rl, start, length, c), want);
	model_fill(m, first, end, 1u << c, false);
}

static uint64_t rnd_page_start(struct model *m)
{
	uint64_t page = rnd_below(m, m->size_pages + 70);

	/* Half word-aligned (fast path), half anywhere (per-page path). */
	if (rnd_below(m, 2))
		page -= page % LONG_BITS;
	return page;
}

static void op_lebitmap(struct model *m)
{
	unsigned long bitmap[8];
	uint64_t first = rnd_page_start(m);
	uint64_t pages = 1 + rnd_below(m, sizeof(bitmap) * CHAR_BIT);
	unsigned mask = (unsigned)rnd_below(m, 4);

	for (unsigned i = 0; i < 8; i++)
		bitmap[i] = (unsigned long)(rnd(m) & rnd(m));
	dirty_set_lebitmap(m->rl, bitmap, first << m->page_bits, pages, mask);
	for (uint64_t i = 0; i < pages && first + i < m->size_pages; i++) {
		if ((bitmap[i / LONG_BITS] >> (i % LONG_BITS)) & 1)
			model_fill(m, first + i, first + i + 1, mask, true);
	}
}

static void op_sync(struct model *m)
{
	uint64_t first = rnd_page_start(m), start, length, end, want = 0;

	start = (first << m->page_bits) + (rnd_below(m, 4) ? 0 : rnd_below(m, m->ps));
	length = rnd_below(m, 10) ? 1 + rnd_below(m, 300 * m->ps) : 0;
	model_pages(m, start, length, &first, &end);
	for (uint64_t p = first; p < end; p++) {
		if (m->bits[DIRTY_MEMORY_MIGRATION][p] && !m->sync_model[p]) {
			m->sync_model[p] = true;
			want++;
		}
		m->bits[DIRTY_MEMORY_MIGRATION][p] = false;
	}
	assert_int_equal(dirty_sync_bitmap(m->rl, m->sync_dest, start, length), want);
	for (uint64_t p = 0; p < MODEL_MAX_PAGES; p++) {
		bool got = (m->sync_dest[p / LONG_BITS] >> (p % LONG_BITS)) & 1;

		if (got != m->sync_model[p])
			fail_msg("op %lu: sync dest page %llu", m->ops, (unsigned long long)p);
	}
	if (rnd_below(m, 16) == 0) {
		memset(m->sync_dest, 0, sizeof(m->sync_dest));
		memset(m->sync_model, 0, sizeof(m->sync_model));
	}
}

static void op_snapshot(struct model *m)
{
	static bool before[MODEL_MAX_PAGES];
	uint64_t start, length, first, end;
	unsigned c = (unsigned)rnd_below(m, DIRTY_MEMORY_NUM);
	struct dirty_snapshot *snap;

	rnd_range(m, &start, &length);
	model_pages(m, start, length, &first, &end);
	memcpy(before, m->bits[c], sizeof(before));
	snap = dirty_snapshot_and_clear(m->rl, start, length, c);
	assert_non_null(snap);
	model_fill(m, first, end, 1u << c, false);
	/* Neighbours sharing the edge words keep their bits. */
	for (uint64_t p = first - first % LONG_BITS; p < first; p++)
		assert_int_equal(dirty_get(m->rl, p << m->page_bits, 1, c), m->bits[c][p]);
	for (uint64_t p = end; p < m->size_pages && p < end + LONG_BITS; p++)
		assert_int_equal(dirty_get(m->rl, p << m->page_bits, 1, c), m->bits[c][p]);
	/* The snapshot answers from what was taken; outside the range: clean. */
	for (unsigned q = 0; q < 8; q++) {
		uint64_t qs, ql, qf, qe, lo, hi;
		bool want = false;

		rnd_range(m, &qs, &ql);
		if (q < 2 && end > first) {
			qs = (first + rnd_below(m, end - first)) << m->page_bits;
			ql = 1;
		}
		qe = qs + ql < qs ? UINT64_MAX : qs + ql;
		qf = qs >> m->page_bits;
		qe = (qe >> m->page_bits) + ((qe & (m->ps - 1)) != 0);
		lo = qf > first ? qf : first;
		hi = qe < end ? qe : end;
		for (uint64_t p = lo; ql && p < hi; p++)
			want |= before[p];
		assert_int_equal(dirty_snapshot_get(snap, qs, ql), want);
	}
	dirty_snapshot_free(snap);
}

static void run_model(unsigned page_bits, uint64_t block_pages, uint64_t seed)
{
	struct ram_list_config cfg = { .page_bits = page_bits, .block_pages = block_pages };
	struct model *m = calloc(1, sizeof(*m));

	assert_non_null(m);
	m->rl = ram_list_new(&cfg);
	assert_non_null(m->rl);
	m->page_bits = page_bits;
	m->ps = UINT64_C(1) << page_bits;
	m->rng = seed;
	assert_int_equal(ram_page_size(m->rl), m->ps);
	for (m->ops = 0; m->ops < MODEL_OPS_PER_CONFIG; m->ops++) {
		unsigned op = (unsigned)rnd_below(m, 100);

		if (op < 4)
			op_add(m);
		else if (op < 6)
			op_remove(m);
		else if (op < 10)
			op_resize(m);
		else if (op < 35)
			op_set(m);
		else if (op < 55)
			op_query(m);
		else if (op < 70)
			op_test_and_clear(m);
		else if (op < 78)
			op_lebitmap(m);
		else if (op < 86)
			op_sync(m);
		else
			op_snapshot(m);
		if (m->ops % MODEL_FULL_CHECK_OPS == 0)
			full_check(m);
	}
	full_check(m);
	ram_list_free(m->rl);
	free(m);
}

static void test_model_4k_block64(void **state)
{
	run_model(12, 64, 0x9e3779b97f4a7c15ull);
}

static void test_model_512_block128(void **state)
{
	run_model(9, 128, 0x1234567887654321ull);
}

static void test_model_64k_block64(void **state)
{
	run_model(16, 64, 0xdeadbeefcafef00dull);
}

static void test_model_4k_block1024(void **state)
{
	run_model(12, 1024, 0x0badc0ffee0ddf00ull);
}

static void test_model_1k_block256(void **state)
{
	run_model(10, 256, 0x5555aaaa3333ccccull);
}

static void test_model_4k_default_block(void **state)
{
	run_model(12, 0, 0x7777111199992222ull);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_model_4k_block64),
		cmocka_unit_test(test_model_512_block128),
		cmocka_unit_test(test_model_64k_block64),
		cmocka_unit_test(test_model_4k_block1024),
		cmocka_unit_test(test_model_1k_block256),
		cmocka_unit_test(test_model_4k_default_block),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
