/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fb/track.c - write trackers (fb.h, "write tracking"): at the start of each
 * tick the render thread asks the framebuffer's tracker which pages the
 * guest wrote since the last tick and marks them in the dirty bitmap before
 * it takes the bits. Three trackers: a shared dirty log (harvested word by
 * word by exchange, fed to dirty_set_lebitmap like KVM's dirty log in the
 * seed), the kernel (track-uffd.c), and a compare against a shadow copy.
 * The kernel reports 4 KiB pages; the pages it reports are compared against
 * a shadow copy in fbhost's (smaller) pages, so that only what changed is
 * marked, as precisely as the log (the compare fallback's shadow, but only
 * the written pages are read).
 *
 * Also the framebuffer hooks an out-of-process guest needs: one RAM block
 * per mode, a mode-change notification, the current block's memfd, and
 * damage by generation.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fb/fb-internal.h"
#include "fb/track-uffd.h"
#include "memory/bitops.h"

/* One installed tracker. Owned by its fb_device; every field is used under
 * the fb's listener_lock (the render thread holds it across the tick). */
struct fb_tracker {
	enum fb_track_mode mode;
	bool polls;		  /* the render thread keeps full rate for it */
	uint64_t seen_generation; /* the mode of the last harvest; 0 = none */
	unsigned long *lebitmap;  /* harvest scratch, lebitmap_words words */
	size_t lebitmap_words;
	/* FB_TRACK_LOG */
	unsigned long *log; /* shared with the writer: atomics only */
	uint64_t log_pages;
	/* FB_TRACK_UFFD */
	int pagemap_fd;				 /* ours (a dup, or /proc/self/pagemap) */
	int uffd;				 /* in-process only, else -1 */
	const void *protected_pixels;		 /* in-process: the block registered */
	uint64_t mapped_generation, mapped_addr; /* external: the writer's mapping */
	/* FB_TRACK_COMPARE, and FB_TRACK_UFFD's refinement: the frame as of
	 * the last harvest (NULL for uffd: no memory, 4 KiB pages marked) */
	uint8_t *shadow;
	size_t shadow_bytes;
};

const char *fb_track_mode_name(enum fb_track_mode mode)
{
	switch (mode) {
	case FB_TRACK_NONE:
		return "damage";
	case FB_TRACK_LOG:
		return "log";
	case FB_TRACK_UFFD:
		return "uffd-wp";
	case FB_TRACK_COMPARE:
		return "compare";
	}
	return "?";
}

bool fb_track_uffd_supported(const char **why)
{
	int fd = fb_uffd_open(why);

	if (fd < 0)
		return false;
	close(fd);
	return true;
}

static void fb_tracker_free(struct fb_tracker *t)
{
	if (!t)
		return;
	if (t->pagemap_fd >= 0)
		close(t->pagemap_fd);
	if (t->uffd >= 0)
		close(t->uffd);
	free(t->lebitmap);
	free(t->shadow);
	free(t);
}

int fb_track_start(struct fb_device *fb, const struct fb_track_config *cfg)
{
	struct fb_tracker *t, *old;
	int rc = -ENOMEM;

	if (!fb || !cfg || cfg->mode > FB_TRACK_COMPARE ||
	    (cfg->mode == FB_TRACK_LOG && (!cfg->log || !cfg->log_pages)))
		return -EINVAL;
	if (cfg->mode == FB_TRACK_NONE) {
		fb_track_stop(fb);
		return 0;
	}
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->mode = cfg->mode;
	t->polls = !cfg->writer_kicks;
	t->pagemap_fd = t->uffd = -1;
	t->log = cfg->log;
	t->log_pages = cfg->log_pages;
	t->lebitmap_words = BITS_TO_LONGS(fb->max_bytes / fb->page_size + 1);
	t->lebitmap = calloc(t->lebitmap_words, sizeof(unsigned long));
	if (!t->lebitmap)
		goto fail;
	if (cfg->mode == FB_TRACK_UFFD && cfg->pagemap_fd >= 0) {
		t->pagemap_fd = fcntl(cfg->pagemap_fd, F_DUPFD_CLOEXEC, 0);
		if (t->pagemap_fd < 0) {
			rc = -errno;
			goto fail;
		}
	} else if (cfg->mode == FB_TRACK_UFFD) {
		t->uffd = fb_uffd_open(NULL);
		if (t->uffd < 0) {
			rc = t->uffd;
			goto fail;
		}
		t->pagemap_fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
		if (t->pagemap_fd < 0) {
			rc = -errno;
			goto fail;
		}
	}
	fb_lock(&fb->listener_lock, FB_LOCK_LISTENERS);
	old = fb->tracker;
	fb->tracker = t;
	atomic_store_explicit(&fb->track_mode, (uint32_t)t->mode, memory_order_relaxed);
	fb_unlock(&fb->listener_lock, FB_LOCK_LISTENERS);
	fb_tracker_free(old);
	fb_poke(fb);
	return 0;

fail:
	fb_tracker_free(t);
	return rc;
}

void fb_track_stop(struct fb_device *fb)
{
	struct fb_tracker *old;

	if (!fb)
		return;
	fb_lock(&fb->listener_lock, FB_LOCK_LISTENERS);
	old = fb->tracker;
	fb->tracker = NULL;
	atomic_store_explicit(&fb->track_mode, FB_TRACK_NONE, memory_order_relaxed);
	fb_unlock(&fb->listener_lock, FB_LOCK_LISTENERS);
	fb_tracker_free(old);
}

enum fb_track_mode fb_track_get_mode(struct fb_device *fb)
{
	return (enum fb_track_mode)atomic_load_explicit(&fb->track_mode, memory_order_relaxed);
}

int fb_track_uffd_mapped(struct fb_device *fb, uint64_t generation, uint64_t addr)
{
	int rc = -EINVAL;

	if (!fb || addr % FB_UFFD_PAGE_BYTES)
		return -EINVAL;
	fb_lock(&fb->listener_lock, FB_LOCK_LISTENERS);
	if (fb->tracker && fb->tracker->mode == FB_TRACK_UFFD && fb->tracker->uffd < 0) {
		fb->tracker->mapped_generation = generation;
		fb->tracker->mapped_addr = addr;
		rc = 0;
	}
	fb_unlock(&fb->listener_lock, FB_LOCK_LISTENERS);
	return rc;
}

void fb_track_get_counts(struct fb_device *fb, uint64_t *pages, uint64_t *errors)
{
	if (pages)
		*pages = atomic_load_explicit(&fb->track_pages, memory_order_relaxed);
	if (errors)
		*errors = atomic_load_explicit(&fb->track_errors, memory_order_relaxed);
}

/* What a harvest marks into. */
struct fb_track_target {
	struct fb_device *fb;
	struct fb_tracker *t;
	const struct fb_mode_obj *mo;
	uint64_t pages;
};

/* fb_uffd_scan's callback: frame-relative bytes written. */
static void fb_track_mark_bytes(void *opaque, uint64_t rel, uint64_t len)
{
	struct fb_track_target *tt = opaque;
	uint64_t bytes = tt->mo->bytes;

	if (rel >= bytes)
		return;
	if (len > bytes - rel)
		len = bytes - rel;
	dirty_set_range(tt->fb->rl, tt->mo->ram_offset + rel, len, DIRTY_CLIENTS_ALL);
	tt->pages += (len + tt->fb->page_size - 1) / tt->fb->page_size;
}

/* Marks page k (of fb->page_size) in the harvest scratch. */
static void fb_track_scratch_set(struct fb_tracker *t, uint64_t k)
{
	t->lebitmap[k / BITS_PER_LONG] |= 1UL << (k % BITS_PER_LONG);
}

/* Marks words first..last of the scratch (little-endian already) of a
 * frame of pages pages: only the span holding bits, so that a small change
 * does not walk the whole frame's bitmap. */
static void fb_track_mark_words(struct fb_device *fb, struct fb_tracker *t,
				const struct fb_mode_obj *mo, uint64_t pages, size_t first,
				size_t last)
{
	uint64_t start = (uint64_t)first * BITS_PER_LONG,
		 n = (uint64_t)(last - first + 1) * BITS_PER_LONG;

	if (start >= pages)
		return;
	if (n > pages - start)
		n = pages - start;
	dirty_set_lebitmap(fb->rl, t->lebitmap + first, mo->ram_offset + start * fb->page_size, n,
			   DIRTY_CLIENTS_ALL);
}

/* Converts the scratch's first pages bits to little-endian and marks them. */
static void fb_track_scratch_mark(struct fb_device *fb, struct fb_tracker *t,
				  const struct fb_mode_obj *mo, uint64_t pages)
{
	size_t words = BITS_TO_LONGS(pages), first = SIZE_MAX, last = 0;

	if (words > t->lebitmap_words)
		words = t->lebitmap_words;
	for (size_t w = 0; w < words; w++) {
		if (!t->lebitmap[w])
			continue;
		t->lebitmap[w] = bm_le_to_host(t->lebitmap[w]);
		if (first == SIZE_MAX)
			first = w;
		last = w;
	}
	if (first != SIZE_MAX)
		fb_track_mark_words(fb, t, mo, pages, first, last);
}

/* Compares [off, off+len) of the frame against the shadow in fbhost's
 * pages; a page that differs is marked in the scratch and copied. Returns
 * the pages marked. The caller made sure that every write after the
 * shadow was last copied is either visible now or reported again later
 * (the kernel re-protected the page before this compare; the compare
 * fallback compares every tick), so a write racing with the compare is
 * seen now or at the next tick; bytes copied into the shadow mid-write are
 * in a page marked now, which the tick reads after this. */
static uint64_t fb_track_refine(struct fb_device *fb, struct fb_tracker *t,
				const struct fb_mode_obj *mo, uint64_t off, uint64_t len)
{
	uint64_t page = fb->page_size, end = off + len, n = 0;

	if (end > mo->bytes)
		end = mo->bytes;
	for (uint64_t k = off / page; k * page < end; k++) {
		uint64_t a = k * page;
		size_t l = (size_t)(mo->bytes - a < page ? mo->bytes - a : page);

		if (memcmp(mo->pixels + a, t->shadow + a, l) == 0)
			continue;
		memcpy(t->shadow + a, mo->pixels + a, l);
		fb_track_scratch_set(t, k);
		n++;
	}
	return n;
}

/* fb_uffd_scan's callback with a shadow: frame-relative 4 KiB ranges
 * written, refined to the pages that changed. */
static void fb_track_refine_bytes(void *opaque, uint64_t rel, uint64_t len)
{
	struct fb_track_target *tt = opaque;

	if (rel < tt->mo->bytes)
		tt->pages += fb_track_refine(tt->fb, tt->t, tt->mo, rel, len);
}

/* fb_uffd_scan's callback right after a new mode was marked whole: the
 * scan only re-protects. */
static void fb_track_ignore_bytes(void *opaque, uint64_t rel, uint64_t len)
{
	(void)opaque;
	(void)rel;
	(void)len;
}

/* The shared log: each word taken by exchange (a writer's later OR lands in
 * the next harvest), converted to little-endian for dirty_set_lebitmap
 * (bm_le_to_host is its own inverse). */
static uint64_t fb_track_harvest_log(struct fb_device *fb, struct fb_tracker *t,
				     const struct fb_mode_obj *mo)
{
	uint64_t pages = (mo->bytes + fb->page_size - 1) / fb->page_size, n = 0;
	size_t words, first = SIZE_MAX, last = 0;

	if (pages > t->log_pages)
		pages = t->log_pages;
	words = BITS_TO_LONGS(pages);
	if (words > t->lebitmap_words)
		words = t->lebitmap_words;
	for (size_t k = 0; k < words; k++) {
		bm_word *word = (bm_word *)&t->log[k]; /* shared: atomics only */
		unsigned long w = atomic_load_explicit(word, memory_order_relaxed);

		if (w)
			w = atomic_exchange(word, 0UL);
		t->lebitmap[k] = bm_le_to_host(w);
		if (!w)
			continue;
		n += (uint64_t)__builtin_popcountl(w);
		if (first == SIZE_MAX)
			first = k;
		last = k;
	}
	if (first != SIZE_MAX)
		fb_track_mark_words(fb, t, mo, pages, first, last);
	return n;
}

/* The compare fallback: each page of the frame against the shadow; pages
 * that differ are marked and copied. A write racing with the compare either
 * is seen now or differs from the shadow at the next tick. */
static uint64_t fb_track_harvest_compare(struct fb_device *fb, struct fb_tracker *t,
					 const struct fb_mode_obj *mo)
{
	uint64_t pages = (mo->bytes + fb->page_size - 1) / fb->page_size, n;

	memset(t->lebitmap, 0, BITS_TO_LONGS(pages) * sizeof(unsigned long));
	n = fb_track_refine(fb, t, mo, 0, mo->bytes);
	if (n)
		fb_track_scratch_mark(fb, t, mo, pages);
	return n;
}

/* Makes the shadow hold at least bytes: 0, or -ENOMEM (then there is no
 * shadow at all). */
static int fb_track_shadow_reserve(struct fb_tracker *t, size_t bytes)
{
	uint8_t *s;

	if (t->shadow_bytes >= bytes)
		return 0;
	s = realloc(t->shadow, bytes);
	if (!s) {
		free(t->shadow);
		t->shadow = NULL;
		t->shadow_bytes = 0;
		return -ENOMEM;
	}
	t->shadow = s;
	t->shadow_bytes = bytes;
	return 0;
}

/* Sets up the tracker for a mode it has not seen: 0, or -errno (the tick
 * then shows the whole frame and tries again next time). */
static int fb_track_new_mode(struct fb_tracker *t, const struct fb_mode_obj *mo)
{
	if (t->mode == FB_TRACK_COMPARE) {
		if (fb_track_shadow_reserve(t, mo->bytes))
			return -ENOMEM;
		memcpy(t->shadow, mo->pixels, mo->bytes);
	} else if (t->mode == FB_TRACK_UFFD) {
		/* Without memory for the shadow: 4 KiB pages, unrefined. */
		fb_track_shadow_reserve(t, mo->bytes);
		if (t->uffd >= 0 && t->protected_pixels != mo->pixels) {
			size_t len = (mo->capacity + FB_UFFD_PAGE_BYTES - 1) / FB_UFFD_PAGE_BYTES *
				     FB_UFFD_PAGE_BYTES;
			int rc = fb_uffd_protect(t->uffd, mo->pixels, len);

			if (rc)
				return rc;
			t->protected_pixels = mo->pixels;
		}
	}
	return 0;
}

/* The kernel's harvest: the written 4 KiB pages, re-protected by the same
 * call. fresh: the whole frame is marked this tick; the scan only
 * re-protects, then the shadow is taken (after the scan: a write after it
 * is reported next time). Else the written pages are refined against the
 * shadow, or marked whole without one. 0 or -errno. */
static int fb_track_harvest_uffd(struct fb_device *fb, struct fb_tracker *t,
				 const struct fb_mode_obj *mo, bool fresh,
				 struct fb_track_target *tt)
{
	uint64_t pages = (mo->bytes + fb->page_size - 1) / fb->page_size;
	uint64_t addr = t->uffd >= 0 ? (uintptr_t)mo->pixels : t->mapped_addr;
	uint64_t len =
		(mo->bytes + FB_UFFD_PAGE_BYTES - 1) / FB_UFFD_PAGE_BYTES * FB_UFFD_PAGE_BYTES;
	int rc;

	if (fresh || !t->shadow) {
		rc = fb_uffd_scan(t->pagemap_fd, addr, len,
				  fresh ? fb_track_ignore_bytes : fb_track_mark_bytes, tt);
	} else {
		memset(t->lebitmap, 0, BITS_TO_LONGS(pages) * sizeof(unsigned long));
		rc = fb_uffd_scan(t->pagemap_fd, addr, len, fb_track_refine_bytes, tt);
		if (tt->pages) /* marked even after a failed scan: copied already */
			fb_track_scratch_mark(fb, t, mo, pages);
	}
	return rc;
}

bool fb_track_harvest(struct fb_device *fb, const struct fb_mode_obj *mo)
{
	struct fb_tracker *t = fb->tracker;
	struct fb_track_target tt = { fb, t, mo, 0 };
	bool fresh;
	int rc = 0;

	if (!t)
		return false;
	if (t->mode == FB_TRACK_UFFD && t->uffd < 0 && t->mapped_generation != mo->generation)
		return t->polls; /* the writer has not mapped this mode yet */
	fresh = t->seen_generation != mo->generation;
	if (fresh) {
		/* Whatever was written before the tracker covered this mode
		 * is in the frame: show all of it once. */
		rc = fb_track_new_mode(t, mo);
		dirty_set_range(fb->rl, mo->ram_offset, mo->bytes, DIRTY_CLIENTS_ALL);
		if (rc == 0)
			t->seen_generation = mo->generation;
		if (t->mode == FB_TRACK_COMPARE)
			goto out;
	}
	/* A writer that says when its frames end is read only then: reading
	 * it in between would show half a frame, and the tick that shows
	 * the rest would wait a frame interval (pacing.c counts from the
	 * last tick with damage), so that frame would never be seen whole. */
	if (!t->polls && !fresh && !atomic_exchange(&fb->track_frame_done, false))
		return false;
	switch (t->mode) {
	case FB_TRACK_LOG:
		tt.pages = fb_track_harvest_log(fb, t, mo);
		break;
	case FB_TRACK_COMPARE:
		tt.pages = fb_track_harvest_compare(fb, t, mo);
		break;
	case FB_TRACK_UFFD:
		if (rc == 0)
			rc = fb_track_harvest_uffd(fb, t, mo, fresh, &tt);
		if (rc) /* cannot tell what was written: all of it */
			dirty_set_range(fb->rl, mo->ram_offset, mo->bytes, DIRTY_CLIENTS_ALL);
		/* All of it is shown this tick: the shadow starts again from
		 * here (after the scan, see fb_track_harvest_uffd). */
		if ((fresh || rc) && t->shadow)
			memcpy(t->shadow, mo->pixels, mo->bytes);
		break;
	case FB_TRACK_NONE:
		break;
	}
out:
	if (rc)
		atomic_fetch_add_explicit(&fb->track_errors, 1, memory_order_relaxed);
	if (tt.pages)
		atomic_fetch_add_explicit(&fb->track_pages, tt.pages, memory_order_relaxed);
	return t->polls;
}

void fb_track_frame_done(struct fb_device *fb)
{
	if (!fb)
		return;
	atomic_store(&fb->track_frame_done, true);
	fb_poke(fb);
}

void fb_track_free(struct fb_device *fb)
{
	fb_tracker_free(fb->tracker);
	fb->tracker = NULL;
}

/* ---- hooks for out-of-process guests ---------------------------------- */

void fb_set_block_per_mode(struct fb_device *fb, bool on)
{
	fb_lock(&fb->mode_lock, FB_LOCK_MODE);
	fb->block_per_mode = on;
	fb_unlock(&fb->mode_lock, FB_LOCK_MODE);
}

void fb_set_mode_notify(struct fb_device *fb, void (*notify)(void *opaque, uint64_t generation),
			void *opaque)
{
	fb_lock(&fb->mode_lock, FB_LOCK_MODE);
	fb->mode_notify = notify;
	fb->mode_notify_opaque = opaque;
	fb_unlock(&fb->mode_lock, FB_LOCK_MODE);
}

int fb_mode_memfd(struct fb_device *fb, int *dup_fd, size_t *capacity, struct fb_mode *mode,
		  uint64_t *generation)
{
	const struct fb_mode_obj *mo;
	int rc = 0;

	*dup_fd = -1;
	/* Under mode_lock the current mode's block cannot be retired. */
	fb_lock(&fb->mode_lock, FB_LOCK_MODE);
	mo = fb->mode;
	if (*generation && *generation != mo->generation) {
		rc = -ENOENT;
		goto out;
	}
	if (mo->file_backed) {
		rc = -ENOTSUP;
		goto out;
	}
	*dup_fd = fcntl(ram_block_fd(mo->block), F_DUPFD_CLOEXEC, 0);
	if (*dup_fd < 0) {
		rc = -errno;
		goto out;
	}
	*capacity = mo->capacity;
	*mode = mo->mode;
	*generation = mo->generation;
out:
	fb_unlock(&fb->mode_lock, FB_LOCK_MODE);
	return rc;
}

int fb_mark_dirty_gen(struct fb_device *fb, uint64_t generation, int x, int y, int w, int h)
{
	const struct fb_mode_obj *mo;
	int64_t x0 = x, y0 = y, x1 = (int64_t)x + w, y1 = (int64_t)y + h;

	if (!fb || w < 0 || h < 0)
		return -EINVAL;
	ram_rcu_read_lock();
	mo = ram_rcu_dereference(fb->mode);
	if (mo->generation == generation) {
		x0 = x0 < 0 ? 0 : x0;
		y0 = y0 < 0 ? 0 : y0;
		x1 = x1 > mo->mode.width ? mo->mode.width : x1;
		y1 = y1 > mo->mode.height ? mo->mode.height : y1;
		if (x0 < x1 && y0 < y1) {
			fb_mark_rect(fb, mo, (int)x0, (int)y0, (int)(x1 - x0), (int)(y1 - y0));
			fb_note_damage(fb);
		}
	}
	ram_rcu_read_unlock();
	return 0;
}
