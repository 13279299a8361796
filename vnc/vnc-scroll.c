/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vnc/vnc-scroll.c - turns a vertical scroll of the guest picture into a
 * CopyRect. Before the cell compare, a few changed rows of the damage are
 * looked for among nearby rows of the shadow; if most are found, the rows
 * of the changed block are hashed in the guest's picture and in the
 * shadow, and if most of the changed ones are the shadow's rows moved by
 * dy, they are moved in the shadow and recorded for a CopyRect
 * (vnc_shadow_move). The cell compare then only finds the newly exposed rows.
 * Rows that did not change match any move and prove none.
 *
 * Exactness does not depend on the hashes: after the move the shadow holds
 * what every client will show once it applied the copy (LibVNCServer marks
 * as modified whatever a client cannot copy: no CopyRect support, pending
 * damage in the source, a different earlier copy), and the destination is
 * added to the region the cell compare checks against the guest's picture,
 * so any row that does not really match is sent as pixels, which in
 * LibVNCServer override the copy.
 */
#include <stdlib.h>
#include <string.h>

#include "vnc/vnc-internal.h"

/* Largest vertical move looked for. */
#define VNC_SCROLL_MAX_DY_PX 64
/* A copy must cover at least this many rows... */
#define VNC_SCROLL_MIN_ROWS 64
/* ...and a block at least this wide. */
#define VNC_SCROLL_MIN_WIDTH_PX 64
/* Changed columns are searched in blocks of this many pixels. */
#define VNC_SCROLL_SCAN_PX 64u
/* Changed rows sampled before any full pass over the damage. */
#define VNC_SCROLL_SAMPLE_ROWS 8u

/* The changed span [*c1, *c2) of n pixels; false if they are equal. Equal
 * blocks are skipped from the left (one pass for an equal row), then from
 * the right, then single pixels. */
static bool row_diff(const uint32_t *s, const uint32_t *d, uint32_t n, uint32_t *c1, uint32_t *c2)
{
	uint32_t a = 0, b = n;

	while (a + VNC_SCROLL_SCAN_PX <= n && memcmp(s + a, d + a, VNC_SCROLL_SCAN_PX * 4) == 0)
		a += VNC_SCROLL_SCAN_PX;
	while (a < n && s[a] == d[a])
		a++;
	if (a == n)
		return false;
	while (b >= a + VNC_SCROLL_SCAN_PX &&
	       memcmp(s + b - VNC_SCROLL_SCAN_PX, d + b - VNC_SCROLL_SCAN_PX,
		      VNC_SCROLL_SCAN_PX * 4) == 0)
		b -= VNC_SCROLL_SCAN_PX;
	/* Bounded: s may be guest RAM written meanwhile. */
	while (b > a + 1 && s[b - 1] == d[b - 1])
		b--;
	*c1 = a;
	*c2 = b;
	return true;
}

/* Where the guest's picture and the shadow differ inside region: the bounding box of those
 * pixels (*out) and, for each row y of ext, changed[y - ext->y1]. Only the
 * region's own rectangles are compared, not the rows between its bands.
 * Returns the number of changed rows. */
static uint32_t changed_rows(const uint32_t *src, size_t src_stride, const uint32_t *dst,
			     size_t dst_stride, const pixman_region32_t *region,
			     const pixman_box32_t *ext, uint8_t *changed, pixman_box32_t *out)
{
	const pixman_box32_t *r;
	uint32_t count = 0;
	int nrects;

	memset(changed, 0, (size_t)(ext->y2 - ext->y1));
	r = pixman_region32_rectangles((pixman_region32_t *)region, &nrects);
	for (int i = 0; i < nrects; i++) {
		int32_t x1 = r[i].x1 < ext->x1 ? ext->x1 : r[i].x1;
		int32_t x2 = r[i].x2 > ext->x2 ? ext->x2 : r[i].x2;
		int32_t y1 = r[i].y1 < ext->y1 ? ext->y1 : r[i].y1;
		int32_t y2 = r[i].y2 > ext->y2 ? ext->y2 : r[i].y2;
		uint32_t w = x1 < x2 ? (uint32_t)(x2 - x1) : 0;

		for (int32_t y = y1; y < y2 && w; y++) {
			const uint32_t *s = src + (size_t)y * src_stride + x1;
			const uint32_t *d = dst + (size_t)y * dst_stride + x1;
			uint32_t c1, c2;

			if (!row_diff(s, d, w, &c1, &c2))
				continue;
			if (!count)
				*out = (pixman_box32_t){ x1 + (int32_t)c1, y, x1 + (int32_t)c2,
							 y + 1 };
			if (x1 + (int32_t)c1 < out->x1)
				out->x1 = x1 + (int32_t)c1;
			if (x1 + (int32_t)c2 > out->x2)
				out->x2 = x1 + (int32_t)c2;
			if (y < out->y1)
				out->y1 = y;
			if (y + 1 > out->y2)
				out->y2 = y + 1;
			/* A row may be in several rectangles of its band. */
			count += !changed[y - ext->y1];
			changed[y - ext->y1] = 1;
		}
	}
	return count;
}

/* A cheap 64-bit hash of n pixels: four independent FNV-style lanes over
 * pixel pairs (so the multiplies overlap), then mixed. */
static uint64_t row_hash(const uint32_t *p, uint32_t n)
{
	uint64_t h[4] = { 0xcbf29ce484222325ull, 0x84222325cbf29ce4ull, 0x9e3779b97f4a7c15ull,
			  0x7f4a7c159e3779b9ull };
	const uint64_t prime = 0x100000001b3ull;
	uint32_t i = 0;

	for (; i + 8 <= n; i += 8) {
		for (int j = 0; j < 4; j++) {
			uint64_t v;

			memcpy(&v, p + i + 2 * j, sizeof(v));
			h[j] = (h[j] ^ v) * prime;
		}
	}
	for (; i < n; i++)
		h[0] = (h[0] ^ p[i]) * prime;
	h[0] ^= (h[1] << 1 | h[1] >> 63) ^ (h[2] << 2 | h[2] >> 62) ^ (h[3] << 3 | h[3] >> 61);
	h[0] ^= h[0] >> 29;
	h[0] *= 0xbf58476d1ce4e5b9ull;
	return h[0] ^ (h[0] >> 32);
}

/* same[y] (y in 0..n-1): the row's new content is old row y + k, by hash.
 * Returns how many of the changed rows are: a row that did not change
 * (such as a run of background) matches any move and proves none. */
static uint32_t same_by_hash(const uint64_t *hnew, const uint64_t *hold, const uint8_t *changed,
			     uint32_t n, int k, uint8_t *same)
{
	uint32_t count = 0;

	for (uint32_t y = 0; y < n; y++) {
		int64_t from = (int64_t)y + k;

		same[y] = from >= 0 && from < n && hnew[y] == hold[from];
		count += same[y] & changed[y];
	}
	return count;
}

/* The same, comparing the pixels of box (for the last move found, which
 * a scroll usually repeats: no hashing needed). */
static uint32_t same_by_pixels(const uint32_t *src, size_t src_stride, const uint32_t *dst,
			       size_t dst_stride, const pixman_box32_t *box, const uint8_t *changed,
			       int k, uint8_t *same)
{
	uint32_t n = (uint32_t)(box->y2 - box->y1), count = 0;
	size_t bytes = (size_t)(box->x2 - box->x1) * 4;

	for (uint32_t y = 0; y < n; y++) {
		int64_t from = (int64_t)y + k;

		same[y] = from >= 0 && from < n &&
			  memcmp(src + (size_t)(box->y1 + (int64_t)y) * src_stride + box->x1,
				 dst + (size_t)(box->y1 + from) * dst_stride + box->x1, bytes) == 0;
		count += same[y] & changed[y];
	}
	return count;
}

/* Whether looking for a scroll is worth it: at least half of up to
 * VNC_SCROLL_SAMPLE_ROWS changed rows, spread over the damage, show their
 * changed span at most VNC_SCROLL_MAX_DY_PX rows away in the shadow. A
 * full-screen redraw with new content fails this after a few thousand
 * one-pixel compares, before any full pass over the damage. */
static bool scroll_plausible(const uint32_t *src, size_t src_stride, const uint32_t *dst,
			     size_t dst_stride, const pixman_region32_t *region,
			     const pixman_box32_t *ext)
{
	uint32_t rows = 0, samples = 0, hits = 0;
	const pixman_box32_t *r;
	int nrects, j = 0;

	/* The damage's rows, counting each band once (its rectangles share
	 * their rows): fewer than a scroll needs means no scroll. */
	r = pixman_region32_rectangles((pixman_region32_t *)region, &nrects);
	for (int i = 0; i < nrects; i++)
		if (i == 0 || r[i].y1 != r[i - 1].y1)
			rows += (uint32_t)(r[i].y2 - r[i].y1);
	if (rows < VNC_SCROLL_MIN_ROWS)
		return false;
	for (uint32_t i = 0; i < VNC_SCROLL_SAMPLE_ROWS; i++) {
		/* The sample's row among the damage's rows, then its band. */
		uint32_t want = (2 * i + 1) * rows / (2 * VNC_SCROLL_SAMPLE_ROWS), before = 0;
		const uint32_t *row;
		uint32_t c1, c2;
		int32_t y;

		for (j = 0; j < nrects; j++) {
			uint32_t bh = (uint32_t)(r[j].y2 - r[j].y1);

			if (j > 0 && r[j].y1 == r[j - 1].y1)
				continue;
			if (want < before + bh)
				break;
			before += bh;
		}
		if (j == nrects)
			break;
		y = r[j].y1 + (int32_t)(want - before);
		if (r[j].x1 < ext->x1 || r[j].x2 > ext->x2 || y < ext->y1 || y >= ext->y2)
			continue;
		row = src + (size_t)y * src_stride + r[j].x1;
		if (!row_diff(row, dst + (size_t)y * dst_stride + r[j].x1,
			      (uint32_t)(r[j].x2 - r[j].x1), &c1, &c2))
			continue;
		samples++;
		for (int k = -VNC_SCROLL_MAX_DY_PX; k <= VNC_SCROLL_MAX_DY_PX; k++) {
			const uint32_t *old;

			if (k == 0 || y + k < ext->y1 || y + k >= ext->y2)
				continue;
			old = dst + (size_t)(y + k) * dst_stride + r[j].x1;
			if (old[c1] == row[c1] && memcmp(old + c1, row + c1, (c2 - c1) * 4) == 0) {
				hits++;
				break;
			}
		}
	}
	/* No changed row among the samples: decide on the whole band. */
	return samples == 0 || hits * 2 >= samples;
}

/* The run of same[] rows that holds the most changed rows, trimmed to its
 * first and last changed row: [*r1, *r2). Its length. Rows that did not
 * change match any move, so a run of background must not win over the
 * rows that really moved. */
static uint32_t best_run(const uint8_t *same, const uint8_t *changed, uint32_t n, uint32_t *r1,
			 uint32_t *r2)
{
	uint32_t best = 0, count = 0, first = 0, last = 0;

	*r1 = *r2 = 0;
	for (uint32_t y = 0; y <= n; y++) {
		if (y < n && same[y]) {
			if (changed[y]) {
				if (!count)
					first = y;
				last = y;
				count++;
			}
			continue;
		}
		if (count > best) {
			best = count;
			*r1 = first;
			*r2 = last + 1;
		}
		count = 0;
	}
	return *r2 - *r1;
}

/* Enough of the band's n_changed changed rows match for move k (the last
 * |k| rows of a scroll are new content). */
static bool enough(uint32_t matches, uint32_t n_changed, int k)
{
	uint32_t usable = n_changed > (uint32_t)abs(k) ? n_changed - (uint32_t)abs(k) : 0;

	return matches >= VNC_SCROLL_MIN_ROWS && matches * 4 >= usable * 3;
}

/* The move k (old row = new row + k) that most rows of the band follow;
 * 0 if none is good enough. same[] is scratch, then holds k's rows. */
static int find_move(const uint64_t *hnew, const uint64_t *hold, const uint8_t *changed, uint32_t n,
		     uint32_t n_changed, uint8_t *same)
{
	uint32_t best = 0;
	int best_k = 0;

	for (int a = 1; a <= VNC_SCROLL_MAX_DY_PX && a < (int)n; a++) {
		for (int k = a; k >= -a; k -= 2 * a) {
			uint32_t m = same_by_hash(hnew, hold, changed, n, k, same);

			if (m > best && enough(m, n_changed, k)) {
				best = m;
				best_k = k;
			}
		}
	}
	if (best_k != 0)
		same_by_hash(hnew, hold, changed, n, best_k, same);
	return best_k;
}

void vnc_scroll_detect(struct vnc_server *s, const uint32_t *src, size_t src_stride, uint32_t *dst,
		       uint32_t dst_w, uint32_t dst_h, pixman_region32_t *region)
{
	pixman_box32_t ext, box = { 0, 0, 0, 0 };
	uint64_t *hnew = NULL, *hold;
	uint8_t *changed_ext, *changed, *same;
	uint32_t n, w, r1, r2, n_changed;
	int k = s->scroll_last_dy;
	bool verified;

	if (!pixman_region32_not_empty(region))
		return;
	ext = *pixman_region32_extents(region);
	if (ext.x1 < 0)
		ext.x1 = 0;
	if (ext.y1 < 0)
		ext.y1 = 0;
	if (ext.x2 > (int32_t)dst_w)
		ext.x2 = (int32_t)dst_w;
	if (ext.y2 > (int32_t)dst_h)
		ext.y2 = (int32_t)dst_h;
	if (ext.x2 - ext.x1 < VNC_SCROLL_MIN_WIDTH_PX || ext.y2 - ext.y1 < VNC_SCROLL_MIN_ROWS)
		return;
	if (!scroll_plausible(src, src_stride, dst, dst_w, region, &ext))
		return; /* the cell compare finds what changed */
	/* changed[] for ext's rows, then same[] for box's rows. */
	changed_ext = malloc((size_t)(ext.y2 - ext.y1) * 2);
	if (!changed_ext)
		return; /* the cell compare alone is correct, only bigger */
	/* (Damage that changed nothing is left to the cell compare, whose
	 * counters report the identical rewrite.) */
	n_changed = changed_rows(src, src_stride, dst, dst_w, region, &ext, changed_ext, &box);
	if (!n_changed)
		goto out_free_changed;
	/* Outside box the damage equals the shadow: spare the cell compare. */
	pixman_region32_intersect_rect(region, region, box.x1, box.y1, (unsigned)(box.x2 - box.x1),
				       (unsigned)(box.y2 - box.y1));
	if (box.x2 - box.x1 < VNC_SCROLL_MIN_WIDTH_PX || n_changed < VNC_SCROLL_MIN_ROWS)
		goto out_free_changed;

	n = (uint32_t)(box.y2 - box.y1);
	w = (uint32_t)(box.x2 - box.x1);
	changed = changed_ext + (box.y1 - ext.y1);
	same = changed_ext + (ext.y2 - ext.y1);
	/* A scroll usually repeats its move: try it on the pixels first. */
	verified = k != 0 && abs(k) < (int)n &&
		   enough(same_by_pixels(src, src_stride, dst, dst_w, &box, changed, k, same),
			  n_changed, k);
	if (!verified) {
		k = 0;
		hnew = malloc(sizeof(*hnew) * n * 2);
		if (!hnew)
			goto out_free_changed;
		hold = hnew + n;
		for (uint32_t y = 0; y < n; y++) {
			hnew[y] = row_hash(
				src + (size_t)(box.y1 + (int32_t)y) * src_stride + box.x1, w);
			hold[y] = row_hash(dst + (size_t)(box.y1 + (int32_t)y) * dst_w + box.x1, w);
		}
		k = find_move(hnew, hold, changed, n, n_changed, same);
	}
	if (k != 0 && best_run(same, changed, n, &r1, &r2) >= VNC_SCROLL_MIN_ROWS) {
		pixman_region32_t dest;

		/* old row = new row + k: the move points k rows up. */
		vnc_shadow_move(s, box.x1, box.y1 + (int32_t)r1, box.x2, box.y1 + (int32_t)r2, 0,
				-k);
		/* Rows compared pixel by pixel now equal the guest's; rows
		 * matched by hash are left to the cell compare. */
		pixman_region32_init_rect(&dest, box.x1, box.y1 + (int32_t)r1, w, r2 - r1);
		if (verified)
			pixman_region32_subtract(region, region, &dest);
		else
			pixman_region32_union(region, region, &dest);
		pixman_region32_fini(&dest);
		s->scroll_last_dy = k;
	}
	free(hnew);
out_free_changed:
	free(changed_ext);
}
