/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fb/damage.c - from dirty pages to a pixman region of changed rectangles.
 *
 * 1. Find the runs of dirty pages by bisection: a range that the snapshot
 *    says is clean is skipped whole, so an idle frame costs one query and a
 *    small change costs O(changed pages * log pages). Ranges of a few pages
 *    are scanned page by page.
 * 2. Cut each run into scanlines: on each line it covers, its x-extent is
 *    the pixels having at least one byte in the run. Spans on one line that
 *    touch are merged.
 * 3. Merge consecutive lines whose span lists are equal into one box each.
 * 4. Build the region from the box array in one pixman_region32_init_rects.
 */
#include <errno.h>
#include <stdlib.h>

#include "fb/fb-internal.h"

/* Below this many pages the bisection scans page by page. */
#define FB_DAMAGE_SCAN_PAGES 16u

/* Grows an array to hold at least need elements of size elem. */
static int fb_grow(void **arr, size_t *cap, size_t need, size_t elem)
{
	size_t n = *cap ? *cap : 64;
	void *p;

	if (need <= *cap)
		return 0;
	while (n < need)
		n *= 2;
	p = realloc(*arr, n * elem);
	if (!p)
		return -ENOMEM;
	*arr = p;
	*cap = n;
	return 0;
}

void fb_damage_scratch_free(struct fb_damage_scratch *s)
{
	free(s->runs);
	free(s->spans);
	free(s->boxes);
	*s = (struct fb_damage_scratch){ 0 };
}

/* What the bisection needs to ask about pages. */
struct fb_bisect {
	struct fb_damage_scratch *s;
	fb_dirty_query_fn dirty;
	void *opaque;
	uint64_t page_size, bytes;
};

static bool fb_pages_dirty(const struct fb_bisect *b, uint64_t lo, uint64_t hi)
{
	uint64_t start = lo * b->page_size, end = hi * b->page_size;

	if (end > b->bytes)
		end = b->bytes;
	return b->dirty(b->opaque, start, end - start);
}

/* Appends page p to the runs (extending the last run when adjacent). */
static int fb_add_page(struct fb_damage_scratch *s, uint64_t p)
{
	if (s->nruns && s->runs[2 * s->nruns - 1] == p) {
		s->runs[2 * s->nruns - 1] = p + 1;
		return 0;
	}
	if (fb_grow((void **)&s->runs, &s->runs_cap, 2 * (s->nruns + 1), sizeof(uint64_t)))
		return -ENOMEM;
	s->runs[2 * s->nruns] = p;
	s->runs[2 * s->nruns + 1] = p + 1;
	s->nruns++;
	return 0;
}

/* Pages [lo, hi) are known to hold a dirty page; find them all. */
static int fb_bisect_pages(const struct fb_bisect *b, uint64_t lo, uint64_t hi)
{
	uint64_t mid;
	int rc;

	if (hi - lo <= FB_DAMAGE_SCAN_PAGES) {
		/* small enough: one query per page beats further halving */
		for (uint64_t p = lo; p < hi; p++) {
			if (!fb_pages_dirty(b, p, p + 1))
				continue;
			rc = fb_add_page(b->s, p);
			if (rc)
				return rc;
		}
		return 0;
	}
	mid = lo + (hi - lo) / 2;
	if (fb_pages_dirty(b, lo, mid)) {
		rc = fb_bisect_pages(b, lo, mid);
		if (rc)
			return rc;
	}
	if (fb_pages_dirty(b, mid, hi))
		return fb_bisect_pages(b, mid, hi);
	return 0;
}

/* Appends the span [x0, x1) on line y, merging with a touching one. */
static int fb_add_span(struct fb_damage_scratch *s, int32_t y, int32_t x0, int32_t x1)
{
	pixman_box32_t *last = s->nspans ? &s->spans[s->nspans - 1] : NULL;

	if (last && last->y1 == y && x0 <= last->x2) {
		if (x1 > last->x2)
			last->x2 = x1;
		return 0;
	}
	if (fb_grow((void **)&s->spans, &s->spans_cap, s->nspans + 1, sizeof(*s->spans)))
		return -ENOMEM;
	s->spans[s->nspans++] = (pixman_box32_t){ x0, y, x1, y + 1 };
	return 0;
}

/* Cuts the page runs into per-line spans, in (y, x) order. */
static int fb_runs_to_spans(struct fb_damage_scratch *s, const struct fb_mode *m,
			    uint64_t page_size, uint64_t bytes)
{
	uint64_t bpp = fb_format_bpp(m->format);
	uint64_t row_bytes = (uint64_t)m->width * bpp;

	s->nspans = 0;
	for (size_t i = 0; i < s->nruns; i++) {
		uint64_t start = s->runs[2 * i] * page_size;
		uint64_t end = s->runs[2 * i + 1] * page_size;
		uint64_t y_last;

		if (end > bytes)
			end = bytes;
		y_last = (end - 1) / m->stride;
		for (uint64_t y = start / m->stride; y <= y_last && y < m->height; y++) {
			uint64_t ls = y * m->stride, le = ls + row_bytes;
			uint64_t a = start > ls ? start : ls, b = end < le ? end : le;

			if (a >= b)
				continue; /* only the stride padding of this line */
			if (fb_add_span(s, (int32_t)y, (int32_t)((a - ls) / bpp),
					(int32_t)((b - ls + bpp - 1) / bpp)))
				return -ENOMEM;
		}
	}
	return 0;
}

/* Merges equal span lists of consecutive lines into boxes. */
static int fb_spans_to_boxes(struct fb_damage_scratch *s)
{
	size_t open = 0, nopen = 0; /* boxes[open, open+nopen) may still grow */
	size_t i = 0;

	s->nboxes = 0;
	while (i < s->nspans) {
		int32_t y = s->spans[i].y1;
		size_t j = i;
		bool same;

		while (j < s->nspans && s->spans[j].y1 == y)
			j++;
		same = nopen == j - i && nopen && s->boxes[open].y2 == y;
		for (size_t k = 0; same && k < nopen; k++)
			same = s->boxes[open + k].x1 == s->spans[i + k].x1 &&
			       s->boxes[open + k].x2 == s->spans[i + k].x2;
		if (same) {
			for (size_t k = 0; k < nopen; k++)
				s->boxes[open + k].y2 = y + 1;
		} else {
			if (fb_grow((void **)&s->boxes, &s->boxes_cap, s->nboxes + (j - i),
				    sizeof(*s->boxes)))
				return -ENOMEM;
			open = s->nboxes;
			nopen = j - i;
			for (size_t k = i; k < j; k++)
				s->boxes[s->nboxes++] = s->spans[k];
		}
		i = j;
	}
	return 0;
}

int fb_damage_region(struct fb_damage_scratch *s, const struct fb_mode *mode, size_t page_size,
		     fb_dirty_query_fn dirty, void *opaque, pixman_region32_t *region,
		     uint64_t *dirty_pages)
{
	struct fb_bisect b = {
		.s = s,
		.dirty = dirty,
		.opaque = opaque,
		.page_size = page_size,
		.bytes = (uint64_t)mode->stride * mode->height,
	};
	uint64_t npages = (b.bytes + page_size - 1) / page_size;
	uint64_t count = 0;

	s->nruns = 0;
	*dirty_pages = 0;
	if (!fb_pages_dirty(&b, 0, npages)) {
		pixman_region32_init(region);
		return 0;
	}
	if (fb_bisect_pages(&b, 0, npages) || fb_runs_to_spans(s, mode, page_size, b.bytes) ||
	    fb_spans_to_boxes(s)) {
		pixman_region32_init_rect(region, 0, 0, mode->width, mode->height);
		*dirty_pages = npages;
		return -ENOMEM;
	}
	for (size_t i = 0; i < s->nruns; i++)
		count += s->runs[2 * i + 1] - s->runs[2 * i];
	*dirty_pages = count;
	if (!pixman_region32_init_rects(region, s->boxes, (int)s->nboxes)) {
		pixman_region32_init_rect(region, 0, 0, mode->width, mode->height);
		return -ENOMEM;
	}
	return 0;
}
