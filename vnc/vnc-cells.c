/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vnc/vnc-cells.c - refines page-level damage into the pixels that really
 * changed, as QEMU's VNC server does: the damaged area is compared against
 * the shadow in VNC_CELL_PX square cells (memcmp per row) and only the cells
 * that differ are copied and reported, each cropped to the rows and columns
 * that changed (as TigerVNC crops its blocks). When nearly everything
 * changes (video, a game), the compare stops after a sample and the rest
 * of the damage is copied whole: the copy is then the only pass over it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vnc/vnc-internal.h"

/* Marks in check[] the cells that intersect the boxes of region. */
static void mark_cells(uint8_t *check, uint32_t cells_w, uint32_t w, uint32_t h,
		       const pixman_region32_t *region)
{
	int n;
	const pixman_box32_t *b = pixman_region32_rectangles((pixman_region32_t *)region, &n);

	for (int i = 0; i < n; i++) {
		int32_t x1 = b[i].x1 < 0 ? 0 : b[i].x1;
		int32_t y1 = b[i].y1 < 0 ? 0 : b[i].y1;
		int32_t x2 = b[i].x2 > (int32_t)w ? (int32_t)w : b[i].x2;
		int32_t y2 = b[i].y2 > (int32_t)h ? (int32_t)h : b[i].y2;

		if (x1 >= x2 || y1 >= y2)
			continue;
		for (int32_t cy = y1 / VNC_CELL_PX; cy <= (y2 - 1) / VNC_CELL_PX; cy++)
			memset(check + (size_t)cy * cells_w + x1 / VNC_CELL_PX, 1,
			       (size_t)((x2 - 1) / VNC_CELL_PX - x1 / VNC_CELL_PX + 1));
	}
}

/* The part of a cell that differed: rows y1..y2-1, columns x1..x2-1. */
struct vnc_cell_diff {
	uint32_t x1, y1, x2, y2;
};

_Static_assert(VNC_CELL_PX % 2 == 0, "cell rows are compared two pixels at a time");

/* Whether one full-width row of a cell is equal: fixed-size word compares
 * the compiler turns into a few vector instructions instead of a memcmp
 * call per cell row. (On a full-screen change the time goes to reading
 * what the render thread just wrote either way: the A/B was within noise.) */
static inline bool cell_row_equal(const uint32_t *s, const uint32_t *d)
{
	uint64_t acc = 0;

	for (int i = 0; i < VNC_CELL_PX; i += 2) {
		uint64_t a, b;

		memcpy(&a, s + i, sizeof(a));
		memcpy(&b, d + i, sizeof(b));
		acc |= a ^ b;
	}
	return acc == 0;
}

/*
 * Compares one cell row by row and copies the rows that differ. True if any
 * did; then *diff is cropped to the rows and columns that changed, as
 * TigerVNC crops its changed blocks, so a one-row change sends one row.
 */
static bool sync_cell(const uint32_t *src, size_t src_stride, uint32_t *dst, size_t dst_stride,
		      uint32_t x, uint32_t y, uint32_t cw, uint32_t ch, struct vnc_cell_diff *diff)
{
	bool differs = false;

	for (uint32_t r = 0; r < ch; r++) {
		const uint32_t *s = src + (y + r) * src_stride + x;
		uint32_t *d = dst + (y + r) * dst_stride + x;
		uint32_t c1 = 0, c2 = cw;

		if (cw == VNC_CELL_PX ? cell_row_equal(s, d) : memcmp(s, d, cw * 4u) == 0)
			continue;
		/* src may be guest RAM that the guest writes meanwhile (its
		 * bits are set again then): every scan is bounded. */
		while (c1 < cw && s[c1] == d[c1])
			c1++;
		if (c1 == cw)
			continue;
		while (c2 > c1 + 1 && s[c2 - 1] == d[c2 - 1])
			c2--;
		memcpy(d + c1, s + c1, (c2 - c1) * 4u);
		if (!differs) {
			*diff = (struct vnc_cell_diff){ x + c1, y + r, x + c2, y + r + 1 };
			differs = true;
			continue;
		}
		diff->x1 = x + c1 < diff->x1 ? x + c1 : diff->x1;
		diff->x2 = x + c2 > diff->x2 ? x + c2 : diff->x2;
		diff->y2 = y + r + 1;
	}
	return differs;
}

/* Copies the rows y..y+ch-1 of columns x1..x2-1 (a run of whole cells),
 * for a tick that stopped comparing: one memcpy per row of the run. */
static void copy_cells(const uint32_t *src, size_t src_stride, uint32_t *dst, size_t dst_stride,
		       uint32_t x1, uint32_t x2, uint32_t y, uint32_t ch)
{
	for (uint32_t r = 0; r < ch; r++)
		memcpy(dst + (y + r) * dst_stride + x1, src + (y + r) * src_stride + x1,
		       (x2 - x1) * 4u);
}

/*
 * Joins changed boxes of one cell row that are at most VNC_MERGE_GAP_PX
 * apart into one box spanning them (rows: the union of theirs), in place;
 * returns the new count. Boxes come in cell order, row by row. A line of
 * text is then one rectangle, not one per glyph: every rectangle costs
 * the encoder a header, a palette analysis and a compression flush, which
 * outweigh the few unchanged pixels between glyphs.
 */
static int merge_gaps(pixman_box32_t *b, int n)
{
	int out = 0;

	for (int i = 0; i < n; i++) {
		pixman_box32_t *last = out ? &b[out - 1] : NULL;

		if (last && last->y1 / VNC_CELL_PX == b[i].y1 / VNC_CELL_PX &&
		    b[i].x1 - last->x2 <= VNC_MERGE_GAP_PX) {
			last->x2 = b[i].x2;
			last->y1 = b[i].y1 < last->y1 ? b[i].y1 : last->y1;
			last->y2 = b[i].y2 > last->y2 ? b[i].y2 : last->y2;
			continue;
		}
		b[out++] = b[i];
	}
	return out;
}

/* Makes sc hold n cells' check flags and boxes (the caller clears the
 * flags it uses). -ENOMEM leaves it as it was. */
static int scratch_fit(struct vnc_cells_scratch *sc, size_t n)
{
	uint8_t *check;
	pixman_box32_t *boxes;

	if (n > sc->cells) {
		check = realloc(sc->check, n);
		if (!check)
			return -ENOMEM;
		sc->check = check;
		boxes = realloc(sc->boxes, sizeof(*boxes) * n);
		if (!boxes)
			return -ENOMEM;
		sc->boxes = boxes;
		sc->cells = n;
	}
	return 0;
}

void vnc_cells_scratch_free(struct vnc_cells_scratch *sc)
{
	free(sc->check);
	free(sc->boxes);
	*sc = (struct vnc_cells_scratch){ 0 };
}

uint64_t vnc_cells_sync(struct vnc_cells_scratch *sc, const uint32_t *s, size_t src_stride,
			uint32_t *dst, uint32_t dst_w, uint32_t dst_h,
			const pixman_region32_t *region, pixman_region32_t *changed,
			uint64_t *n_changed)
{
	uint32_t cells_w = (dst_w + VNC_CELL_PX - 1) / VNC_CELL_PX;
	uint32_t cells_h = (dst_h + VNC_CELL_PX - 1) / VNC_CELL_PX;
	const pixman_box32_t *ext = pixman_region32_extents((pixman_region32_t *)region);
	uint32_t cx0, cx1, cy0, cy1;	   /* the cells the damage's extents touch */
	uint64_t compared = 0, differ = 0; /* cells */
	size_t nboxes = 0;
	bool copy_all = false; /* the sample said nearly every cell differs */
	int differ_boxes;
	pixman_region32_t pass;
	pixman_box32_t *boxes;
	uint8_t *check;

	*n_changed = 0;
	if (cells_w == 0 || cells_h == 0 || ext->x2 <= 0 || ext->y2 <= 0 ||
	    ext->x1 >= (int32_t)dst_w || ext->y1 >= (int32_t)dst_h || ext->x1 >= ext->x2 ||
	    ext->y1 >= ext->y2)
		return 0;
	if (scratch_fit(sc, (size_t)cells_w * cells_h) < 0) {
		/* No memory to refine: copy and report the whole damage. */
		pixman_image_t *d = pixman_image_create_bits(PIXMAN_x8r8g8b8, (int)dst_w,
							     (int)dst_h, dst, (int)dst_w * 4);
		pixman_image_t *si =
			pixman_image_create_bits(PIXMAN_x8r8g8b8, (int)dst_w, (int)dst_h,
						 (uint32_t *)s, (int)(src_stride * 4));
		if (d && si) {
			pixman_image_set_clip_region32(d, (pixman_region32_t *)region);
			pixman_image_composite32(PIXMAN_OP_SRC, si, NULL, d, 0, 0, 0, 0, 0, 0,
						 (int)dst_w, (int)dst_h);
		}
		if (d)
			pixman_image_unref(d);
		if (si)
			pixman_image_unref(si);
		pixman_region32_union(changed, changed, (pixman_region32_t *)region);
		return 0;
	}
	/* Only the cells inside the damage's extents are cleared and looked
	 * at: a small change costs the render thread its own cells, not a
	 * pass over the whole screen's. */
	cx0 = ext->x1 < 0 ? 0 : (uint32_t)ext->x1 / VNC_CELL_PX;
	cy0 = ext->y1 < 0 ? 0 : (uint32_t)ext->y1 / VNC_CELL_PX;
	cx1 = (((uint32_t)ext->x2 < dst_w ? (uint32_t)ext->x2 : dst_w) - 1) / VNC_CELL_PX;
	cy1 = (((uint32_t)ext->y2 < dst_h ? (uint32_t)ext->y2 : dst_h) - 1) / VNC_CELL_PX;
	check = sc->check;
	boxes = sc->boxes;
	memset(check + (size_t)cy0 * cells_w, 0, (size_t)(cy1 - cy0 + 1) * cells_w);
	mark_cells(check, cells_w, dst_w, dst_h, region);

	for (uint32_t cy = cy0; cy <= cy1; cy++) {
		uint32_t y = cy * VNC_CELL_PX;
		uint32_t ch = dst_h - y < VNC_CELL_PX ? dst_h - y : VNC_CELL_PX;

		for (uint32_t cx = cx0; cx <= cx1; cx++) {
			uint32_t x = cx * VNC_CELL_PX;
			uint32_t cw = dst_w - x < VNC_CELL_PX ? dst_w - x : VNC_CELL_PX, x2;
			struct vnc_cell_diff diff = { 0 };

			if (!check[(size_t)cy * cells_w + cx])
				continue;
			if (copy_all) {
				/* The run of damaged cells from here, as one box. */
				uint32_t end = cx;

				while (end < cx1 && check[(size_t)cy * cells_w + end + 1])
					end++;
				x2 = (end + 1) * VNC_CELL_PX < dst_w ? (end + 1) * VNC_CELL_PX
								     : dst_w;
				copy_cells(s, src_stride, dst, dst_w, x, x2, y, ch);
				differ += end - cx + 1;
				boxes[nboxes++] =
					(pixman_box32_t){ (int32_t)x, (int32_t)y, (int32_t)x2,
							  (int32_t)(y + ch) };
				cx = end;
				continue;
			}
			compared++;
			if (sync_cell(s, src_stride, dst, dst_w, x, y, cw, ch, &diff)) {
				differ++;
				boxes[nboxes++] =
					(pixman_box32_t){ (int32_t)diff.x1, (int32_t)diff.y1,
							  (int32_t)diff.x2, (int32_t)diff.y2 };
			}
			copy_all = compared == VNC_CELLS_SAMPLE &&
				   differ * 1000 >= VNC_CELLS_COPY_ALL_PERMILLE * compared;
		}
	}
	/* pixman sorts the boxes and merges neighbours that line up into
	 * bands (a union per box would redo the region each time). */
	differ_boxes = merge_gaps(boxes, (int)nboxes);
	pixman_region32_init_rects(&pass, boxes, differ_boxes);
	vnc_region_limit_rects(&pass, VNC_MAX_RECTS_PER_PASS);
	pixman_region32_union(changed, changed, &pass);
	pixman_region32_fini(&pass);
	*n_changed = differ;
	return compared;
}

void vnc_region_limit_rects(pixman_region32_t *region, int max_rects)
{
	int n, bands = 0;
	pixman_box32_t *b = pixman_region32_rectangles(region, &n);
	pixman_box32_t *band;
	pixman_region32_t out;

	if (n <= max_rects || max_rects < 1)
		return;
	band = malloc(sizeof(*band) * (size_t)n);
	if (!band) {
		/* Fall back to the bounding box: correct, only bigger. */
		pixman_box32_t e = *pixman_region32_extents(region);

		pixman_region32_fini(region);
		pixman_region32_init_rect(region, e.x1, e.y1, (unsigned)(e.x2 - e.x1),
					  (unsigned)(e.y2 - e.y1));
		return;
	}
	/* pixman regions are y-x banded: rectangles of one band share y1/y2.
	 * Collapse each band into one rectangle spanning it. */
	for (int i = 0; i < n; i++) {
		if (bands > 0 && band[bands - 1].y1 == b[i].y1 && band[bands - 1].y2 == b[i].y2) {
			if (b[i].x1 < band[bands - 1].x1)
				band[bands - 1].x1 = b[i].x1;
			if (b[i].x2 > band[bands - 1].x2)
				band[bands - 1].x2 = b[i].x2;
		} else {
			band[bands++] = b[i];
		}
	}
	/* Then merge runs of consecutive bands into max_rects groups. */
	pixman_region32_init(&out);
	int per = (bands + max_rects - 1) / max_rects;
	for (int i = 0; i < bands; i += per) {
		pixman_box32_t g = band[i];

		for (int j = i + 1; j < i + per && j < bands; j++) {
			if (band[j].x1 < g.x1)
				g.x1 = band[j].x1;
			if (band[j].x2 > g.x2)
				g.x2 = band[j].x2;
			g.y2 = band[j].y2;
		}
		pixman_region32_union_rect(&out, &out, g.x1, g.y1, (unsigned)(g.x2 - g.x1),
					   (unsigned)(g.y2 - g.y1));
	}
	free(band);
	pixman_region32_fini(region);
	*region = out;
}
