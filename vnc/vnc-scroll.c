// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vnc/vnc-scroll.c - turns a vertical scroll of the guest picture into a
 * CopyRect. Before the cell compare, the rows of the changed block are
 * hashed in the staging picture and in the shadow; if most of them are the
 * shadow's rows moved by dy, LibVNCServer moves them in the shadow and
 * schedules the copy (rfbDoCopyRect). The cell compare then only finds the
 * newly exposed rows.
 *
 * Exactness does not depend on the hashes: after the move the shadow holds
 * what every client will show once it applied the copy (LibVNCServer marks
 * as modified whatever a client cannot copy: no CopyRect support, pending
 * damage in the source, a different earlier copy), and the destination is
 * added to the region the cell compare checks against the staging picture,
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
#define VNC_SCROLL_SCAN_PX 32u

/* The bounding box of the pixels where staging and shadow differ inside
 * the extents of region; false if none. */
static bool changed_box(const uint32_t *src, size_t src_stride, const uint32_t *dst,
			size_t dst_stride, const pixman_box32_t *ext, pixman_box32_t *out)
{
	bool any = false;
	uint32_t w = (uint32_t)(ext->x2 - ext->x1);

	for (int32_t y = ext->y1; y < ext->y2; y++) {
		const uint32_t *s = src + (size_t)y * src_stride + ext->x1;
		const uint32_t *d = dst + (size_t)y * dst_stride + ext->x1;
		uint32_t c1 = 0, c2 = w;

		if (memcmp(s, d, (size_t)w * 4) == 0)
			continue;
		/* Skip equal blocks with memcmp, then find the pixel. */
		while (c1 + VNC_SCROLL_SCAN_PX <= w && memcmp(s + c1, d + c1, VNC_SCROLL_SCAN_PX * 4) == 0)
			c1 += VNC_SCROLL_SCAN_PX;
		while (s[c1] == d[c1])
			c1++;
		while (c2 >= c1 + VNC_SCROLL_SCAN_PX &&
		       memcmp(s + c2 - VNC_SCROLL_SCAN_PX, d + c2 - VNC_SCROLL_SCAN_PX,
			      VNC_SCROLL_SCAN_PX * 4) == 0)
			c2 -= VNC_SCROLL_SCAN_PX;
		while (s[c2 - 1] == d[c2 - 1])
			c2--;
		if (!any) {
			*out = (pixman_box32_t){ ext->x1 + (int32_t)c1, y, ext->x1 + (int32_t)c2,
						 y + 1 };
			any = true;
			continue;
		}
		if (ext->x1 + (int32_t)c1 < out->x1)
			out->x1 = ext->x1 + (int32_t)c1;
		if (ext->x1 + (int32_t)c2 > out->x2)
			out->x2 = ext->x1 + (int32_t)c2;
		out->y2 = y + 1;
	}
	return any;
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
 * Returns how many are. */
static uint32_t same_by_hash(const uint64_t *hnew, const uint64_t *hold, uint32_t n, int k,
			     uint8_t *same)
{
	uint32_t count = 0;

	for (uint32_t y = 0; y < n; y++) {
		int64_t from = (int64_t)y + k;

		same[y] = from >= 0 && from < n && hnew[y] == hold[from];
		count += same[y];
	}
	return count;
}

/* The same, comparing the pixels of box (for the last move found, which
 * a scroll usually repeats: no hashing needed). */
static uint32_t same_by_pixels(const uint32_t *src, size_t src_stride, const uint32_t *dst,
			       size_t dst_stride, const pixman_box32_t *box, int k, uint8_t *same)
{
	uint32_t n = (uint32_t)(box->y2 - box->y1), count = 0;
	size_t bytes = (size_t)(box->x2 - box->x1) * 4;

	for (uint32_t y = 0; y < n; y++) {
		int64_t from = (int64_t)y + k;

		same[y] = from >= 0 && from < n &&
			  memcmp(src + (size_t)(box->y1 + (int64_t)y) * src_stride + box->x1,
				 dst + (size_t)(box->y1 + from) * dst_stride + box->x1, bytes) == 0;
		count += same[y];
	}
	return count;
}

/* The longest run of same[] rows: [*r1, *r2). Its length. */
static uint32_t longest_run(const uint8_t *same, uint32_t n, uint32_t *r1, uint32_t *r2)
{
	uint32_t best = 0, start = 0;

	*r1 = *r2 = 0;
	for (uint32_t y = 0; y <= n; y++) {
		if (y < n && same[y])
			continue;
		if (y - start > best) {
			best = y - start;
			*r1 = start;
			*r2 = y;
		}
		start = y + 1;
	}
	return best;
}

/* Enough rows of the band (n rows) match for move k. */
static bool enough(uint32_t matches, uint32_t n, int k)
{
	uint32_t usable = n - (uint32_t)abs(k);

	return matches >= VNC_SCROLL_MIN_ROWS && matches * 4 >= usable * 3;
}

/* The move k (old row = new row + k) that most rows of the band follow;
 * 0 if none is good enough. same[] is scratch, then holds k's rows. */
static int find_move(const uint64_t *hnew, const uint64_t *hold, uint32_t n, uint8_t *same)
{
	uint32_t best = 0;
	int best_k = 0;

	for (int a = 1; a <= VNC_SCROLL_MAX_DY_PX && a < (int)n; a++) {
		for (int k = a; k >= -a; k -= 2 * a) {
			uint32_t m = same_by_hash(hnew, hold, n, k, same);

			if (m > best && enough(m, n, k)) {
				best = m;
				best_k = k;
			}
		}
	}
	if (best_k != 0)
		same_by_hash(hnew, hold, n, best_k, same);
	return best_k;
}

/* Moves rows [y1, y2) x [x1, x2) of the shadow from k rows below (k > 0)
 * or above, and schedules the CopyRect for every client. */
static void copy_rows(struct vnc_server *s, int32_t x1, int32_t y1, int32_t x2, int32_t y2, int k)
{
	/* rfbScheduleCopyRegion reads screen->cursor for clients without
	 * cursor-shape updates; we draw no software cursor (cursor is NULL),
	 * so it gets an empty one for the call. */
	static rfbCursor no_cursor;
	rfbCursorPtr saved = s->screen->cursor;

	if (!saved)
		s->screen->cursor = &no_cursor;
	/* LibVNCServer's dy points from source to destination. */
	rfbDoCopyRect(s->screen, x1, y1, x2, y2, 0, -k);
	s->screen->cursor = saved;
}

void vnc_scroll_detect(struct vnc_server *s)
{
	const uint32_t *src;
	size_t src_stride;
	pixman_box32_t ext, box = { 0, 0, 0, 0 };
	uint64_t *hnew = NULL, *hold;
	uint8_t *same;
	uint32_t n, w, r1, r2;
	int k = s->scroll_last_dy;
	bool verified;

	if (!s->staging || !s->screen || !pixman_region32_not_empty(&s->pending) ||
	    (uint32_t)pixman_image_get_width(s->staging) != s->shadow_w ||
	    (uint32_t)pixman_image_get_height(s->staging) != s->shadow_h)
		return;
	ext = *pixman_region32_extents(&s->pending);
	if (ext.x1 < 0)
		ext.x1 = 0;
	if (ext.y1 < 0)
		ext.y1 = 0;
	if (ext.x2 > (int32_t)s->shadow_w)
		ext.x2 = (int32_t)s->shadow_w;
	if (ext.y2 > (int32_t)s->shadow_h)
		ext.y2 = (int32_t)s->shadow_h;
	if (ext.x2 - ext.x1 < VNC_SCROLL_MIN_WIDTH_PX || ext.y2 - ext.y1 < VNC_SCROLL_MIN_ROWS)
		return;
	src = pixman_image_get_data(s->staging);
	src_stride = (size_t)pixman_image_get_stride(s->staging) / 4;
	/* (Damage that changed nothing is left to the cell compare, whose
	 * counters report the identical rewrite.) */
	if (!changed_box(src, src_stride, s->shadow, s->shadow_w, &ext, &box))
		return;
	/* Outside box the damage equals the shadow: spare the cell compare. */
	pixman_region32_intersect_rect(&s->pending, &s->pending, box.x1, box.y1,
				       (unsigned)(box.x2 - box.x1), (unsigned)(box.y2 - box.y1));
	if (box.x2 - box.x1 < VNC_SCROLL_MIN_WIDTH_PX || box.y2 - box.y1 < VNC_SCROLL_MIN_ROWS)
		return;

	n = (uint32_t)(box.y2 - box.y1);
	w = (uint32_t)(box.x2 - box.x1);
	same = malloc(n);
	if (!same)
		return; /* the cell compare alone is correct, only bigger */
	/* A scroll usually repeats its move: try it on the pixels first. */
	verified = k != 0 && abs(k) < (int)n &&
		   enough(same_by_pixels(src, src_stride, s->shadow, s->shadow_w, &box, k, same), n,
			  k);
	if (!verified) {
		k = 0;
		hnew = malloc(sizeof(*hnew) * n * 2);
		if (!hnew)
			goto out_free_same;
		hold = hnew + n;
		for (uint32_t y = 0; y < n; y++) {
			hnew[y] = row_hash(src + (size_t)(box.y1 + (int32_t)y) * src_stride + box.x1,
					   w);
			hold[y] = row_hash(
				s->shadow + (size_t)(box.y1 + (int32_t)y) * s->shadow_w + box.x1, w);
		}
		k = find_move(hnew, hold, n, same);
	}
	if (k != 0 && longest_run(same, n, &r1, &r2) >= VNC_SCROLL_MIN_ROWS) {
		pixman_region32_t dest;

		copy_rows(s, box.x1, box.y1 + (int32_t)r1, box.x2, box.y1 + (int32_t)r2, k);
		/* Rows compared pixel by pixel now equal the guest's; rows
		 * matched by hash are left to the cell compare. */
		pixman_region32_init_rect(&dest, box.x1, box.y1 + (int32_t)r1, w, r2 - r1);
		if (verified)
			pixman_region32_subtract(&s->pending, &s->pending, &dest);
		else
			pixman_region32_union(&s->pending, &s->pending, &dest);
		pixman_region32_fini(&dest);
		s->scroll_last_dy = k;
	}
	free(hnew);
out_free_same:
	free(same);
}
