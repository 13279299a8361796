/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fb/device.c - framebuffer devices: creation, modes held in RAM blocks and
 * published as immutable RCU objects, growth into new blocks, the palette.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fb/fb-internal.h"

/* Longest RAM block name we make ("<fb name>.vram<serial>"). */
#define FB_BLOCK_NAME_MAX_CHARS 96

/* RCU callback of a retired mode: frees it, and its RAM block when a newer
 * mode moved to another block. ram_block_remove waits for its own grace
 * period before the memory goes away. */
static void fb_mode_obj_reclaim(struct rcu_head *head)
{
	struct fb_mode_obj *mo = caa_container_of(head, struct fb_mode_obj, rcu);

	ram_rcu_callback_enter();
	if (mo->retire_block)
		ram_block_remove(mo->rl_for_retire, mo->block);
	free(mo);
}

static void fb_palette_reclaim(struct rcu_head *head)
{
	struct fb_palette *pal = caa_container_of(head, struct fb_palette, rcu);

	ram_rcu_callback_enter();
	free(pal);
}

/* Adds a RAM block holding at least bytes, filled with black. */
static int fb_block_new(struct fb_device *fb, struct fb_mode_obj *mo, uint64_t bytes,
			const struct fb_palette *pal)
{
	char name[FB_BLOCK_NAME_MAX_CHARS];
	size_t cap = (size_t)((bytes + fb->page_size - 1) / fb->page_size * fb->page_size);

	snprintf(name, sizeof(name), "%s.vram%u", fb->name, fb->block_serial++);
	mo->block = ram_block_add(fb->rl, name, cap, cap);
	if (!mo->block)
		return -(errno ? errno : ENOMEM);
	mo->pixels = ram_block_host(mo->block);
	mo->ram_offset = ram_block_offset(mo->block);
	mo->capacity = cap;
	mo->rl_for_retire = fb->rl;
	FB_GUEST_WRITES_BEGIN();
	memset(mo->pixels, mo->mode.format == PIXMAN_c8 ? (int)fb_palette_black(pal) : 0, cap);
	FB_GUEST_WRITES_END();
	return 0;
}

struct fb_device *fb_new(struct ram_list *rl, const struct fb_config *cfg)
{
	struct fb_device *fb;
	struct fb_mode_obj *mo;
	int rc;

	if (!rl || !cfg) {
		errno = EINVAL;
		return NULL;
	}
	fb = calloc(1, sizeof(*fb));
	if (!fb)
		goto fail_alloc;
	fb->rl = rl;
	fb->max_bytes = cfg->max_bytes ? cfg->max_bytes : FB_DEFAULT_MAX_BYTES;
	fb->page_size = ram_page_size(rl);
	fb->palette = fb_palette_default();
	fb->name = strdup(cfg->name ? cfg->name : "fb");
	if (!fb->name)
		goto fail_name;
	mo = calloc(1, sizeof(*mo));
	if (!mo)
		goto fail_mode;
	mo->mode = cfg->mode;
	rc = fb_mode_check(&mo->mode, fb->max_bytes);
	if (rc) {
		errno = -rc;
		goto fail_check;
	}
	mo->bytes = (uint64_t)mo->mode.stride * mo->mode.height;
	rc = fb_block_new(fb, mo, mo->bytes, fb->palette);
	if (rc) {
		errno = -rc;
		goto fail_check;
	}
	mo->generation = fb->last_generation = 1;
	fb->mode = mo;
	fb->clip_tail = &fb->clip_head;
	rc = pthread_mutex_init(&fb->mode_lock, NULL);
	if (rc)
		goto fail_mode_lock;
	rc = pthread_mutex_init(&fb->listener_lock, NULL);
	if (rc)
		goto fail_listener_lock;
	rc = pthread_mutex_init(&fb->input_lock, NULL);
	if (rc)
		goto fail_input_lock;
	rc = pthread_cond_init(&fb->input_idle, NULL);
	if (rc)
		goto fail_input_idle;
	rc = pthread_mutex_init(&fb->clip_lock, NULL);
	if (rc)
		goto fail_clip_lock;
	rc = pthread_mutex_init(&fb->move_lock, NULL);
	if (rc)
		goto fail_move_lock;
	rc = -fb_cursor_init(fb);
	if (rc)
		goto fail_cursor;
	return fb;

fail_cursor:
	pthread_mutex_destroy(&fb->move_lock);
fail_move_lock:
	pthread_mutex_destroy(&fb->clip_lock);
fail_clip_lock:
	pthread_cond_destroy(&fb->input_idle);
fail_input_idle:
	pthread_mutex_destroy(&fb->input_lock);
fail_input_lock:
	pthread_mutex_destroy(&fb->listener_lock);
fail_listener_lock:
	pthread_mutex_destroy(&fb->mode_lock);
fail_mode_lock:
	errno = rc; /* pthread_*_init return a positive errno */
	ram_block_remove(rl, mo->block);
fail_check:
	free(mo);
fail_mode:
	free(fb->name);
fail_name:
	free(fb);
fail_alloc:
	if (!errno)
		errno = ENOMEM;
	return NULL;
}

void fb_free(struct fb_device *fb)
{
	struct fb_clip_msg *msg;
	struct fb_listener *l;

	if (!fb)
		return;
	/* Still on a render thread: take it off first. */
	{
		struct fb_render *r;

		ram_rcu_read_lock();
		r = ram_rcu_dereference(fb->render);
		ram_rcu_read_unlock();
		if (r)
			fb_render_remove(r, fb);
	}
	/* Listeners still attached are detached and destroyed. */
	fb_lock(&fb->listener_lock, FB_LOCK_LISTENERS);
	while ((l = fb->listeners)) {
		fb->listeners = l->next;
		l->next = NULL;
		atomic_store_explicit(&l->owner, NULL, memory_order_release);
		if (l->ops && l->ops->destroy)
			l->ops->destroy(l);
	}
	fb_track_free(fb);
	fb_unlock(&fb->listener_lock, FB_LOCK_LISTENERS);
	fb_clip_drain(fb, &msg);
	while (msg) {
		struct fb_clip_msg *next = msg->next;

		free(msg);
		msg = next;
	}
	/* Let pending mode/palette callbacks run (they may remove blocks). */
	ram_rcu_barrier();
	ram_block_remove(fb->rl, fb->mode->block);
	free(fb->mode);
	if (!fb->palette->is_default)
		free(fb->palette);
	pthread_mutex_destroy(&fb->mode_lock);
	pthread_mutex_destroy(&fb->listener_lock);
	pthread_mutex_destroy(&fb->input_lock);
	pthread_cond_destroy(&fb->input_idle);
	pthread_mutex_destroy(&fb->clip_lock);
	pthread_mutex_destroy(&fb->move_lock);
	fb_cursor_fini(fb);
	free(fb->name);
	free(fb);
}

const char *fb_name(const struct fb_device *fb)
{
	return fb->name;
}

struct fb_mode fb_get_mode(struct fb_device *fb)
{
	struct fb_mode m;

	ram_rcu_read_lock();
	m = ram_rcu_dereference(fb->mode)->mode;
	ram_rcu_read_unlock();
	return m;
}

uint64_t fb_mode_generation(struct fb_device *fb)
{
	uint64_t g;

	ram_rcu_read_lock();
	g = ram_rcu_dereference(fb->mode)->generation;
	ram_rcu_read_unlock();
	return g;
}

/*
 * Copies the overlapping top-left area of src (pixels laid out as src_mode)
 * into dst (dst_mode), converting with pixman when the formats differ.
 * Returns 0 or -ENOMEM.
 */
static int fb_convert_overlap(const uint8_t *src, const struct fb_mode *sm, uint8_t *dst,
			      const struct fb_mode *dm, const struct fb_palette *pal)
{
	uint32_t w = sm->width < dm->width ? sm->width : dm->width;
	uint32_t h = sm->height < dm->height ? sm->height : dm->height;
	pixman_image_t *si, *di;

	if (sm->format == dm->format) {
		size_t row = (size_t)w * fb_format_bpp(sm->format);

		/* memcpy: src and dst never overlap (the old block and a new
		 * block or a private buffer), and an attached guest may still
		 * be drawing into src. memcpy reads its aligned pixels whole;
		 * ASan's memmove copies byte by byte, and so took half-drawn
		 * pixels into the new mode (test-attach test_modes_log: 3 runs
		 * in 600 under load). */
		FB_GUEST_WRITES_BEGIN();
		for (uint32_t y = 0; y < h; y++)
			memcpy(dst + (size_t)y * dm->stride, src + (size_t)y * sm->stride, row);
		FB_GUEST_WRITES_END();
		return 0;
	}
	si = pixman_image_create_bits_no_clear(sm->format, (int)sm->width, (int)sm->height,
					       (uint32_t *)src, (int)sm->stride);
	di = pixman_image_create_bits_no_clear(dm->format, (int)dm->width, (int)dm->height,
					       (uint32_t *)dst, (int)dm->stride);
	if (!si || !di) {
		if (si)
			pixman_image_unref(si);
		if (di)
			pixman_image_unref(di);
		return -ENOMEM;
	}
	if (sm->format == PIXMAN_c8)
		pixman_image_set_indexed(si, &pal->idx);
	if (dm->format == PIXMAN_c8)
		pixman_image_set_indexed(di, &pal->idx);
	pixman_image_composite32(PIXMAN_OP_SRC, si, NULL, di, 0, 0, 0, 0, 0, 0, (int)w, (int)h);
	pixman_image_unref(si);
	pixman_image_unref(di);
	return 0;
}

/* Changes the mode inside the current block. The new frame is composed in
 * a private buffer first, so a failure leaves the old picture untouched, and
 * old and new layouts never overlap during the conversion. */
static int fb_set_mode_in_place(const struct fb_mode_obj *old, struct fb_mode_obj *mo,
				const struct fb_palette *pal)
{
	uint8_t *frame = malloc(mo->bytes);
	int rc;

	if (!frame)
		return -ENOMEM;
	memset(frame, mo->mode.format == PIXMAN_c8 ? (int)fb_palette_black(pal) : 0, mo->bytes);
	rc = fb_convert_overlap(old->pixels, &old->mode, frame, &mo->mode, pal);
	if (rc)
		goto out;
	mo->block = old->block;
	mo->pixels = old->pixels;
	mo->ram_offset = old->ram_offset;
	mo->capacity = old->capacity;
	mo->rl_for_retire = old->rl_for_retire;
	FB_GUEST_WRITES_BEGIN();
	memcpy(mo->pixels, frame, mo->bytes);
	FB_GUEST_WRITES_END();
out:
	free(frame);
	return rc;
}

/* Starts a mode switch: a new mode object for mode, checked against fb's
 * limits (a 0 stride filled in), and mode_lock taken. fb_mode_publish or
 * fb_mode_switch_abandon ends it. 0, -EINVAL, -E2BIG or -ENOMEM (then
 * nothing is held). */
static int fb_mode_switch_begin(struct fb_device *fb, const struct fb_mode *mode,
				struct fb_mode_obj **out)
{
	struct fb_mode_obj *mo = calloc(1, sizeof(*mo));
	int rc;

	if (!mo)
		return -ENOMEM;
	mo->mode = *mode;
	rc = fb_mode_check(&mo->mode, fb->max_bytes);
	if (rc) {
		free(mo);
		return rc;
	}
	mo->bytes = (uint64_t)mo->mode.stride * mo->mode.height;
	*out = mo;
	fb_lock(&fb->mode_lock, FB_LOCK_MODE);
	return 0;
}

/* Ends a mode switch that failed before publishing mo; returns rc. */
static int fb_mode_switch_abandon(struct fb_device *fb, struct fb_mode_obj *mo, int rc)
{
	fb_unlock(&fb->mode_lock, FB_LOCK_MODE);
	free(mo);
	return rc;
}

/* Publishes mo in place of old (called with mode_lock, which it drops):
 * the whole new frame dirty, the notification, old reclaimed after a grace
 * period, the render thread told. */
static void fb_mode_publish(struct fb_device *fb, struct fb_mode_obj *old, struct fb_mode_obj *mo)
{
	mo->generation = ++fb->last_generation;
	ram_rcu_assign(fb->mode, mo);
	/* Every byte of the new frame may differ: mark it for all clients. */
	dirty_set_range(fb->rl, mo->ram_offset, mo->bytes, DIRTY_CLIENTS_ALL);
	if (fb->mode_notify)
		fb->mode_notify(fb->mode_notify_opaque, mo->generation);
	fb_unlock(&fb->mode_lock, FB_LOCK_MODE);
	ram_rcu_call(&old->rcu, fb_mode_obj_reclaim);
	ram_rcu_read_lock();
	fb_note_damage(fb);
	ram_rcu_read_unlock();
}

int fb_set_mode(struct fb_device *fb, const struct fb_mode *mode)
{
	struct fb_mode_obj *old, *mo;
	struct fb_palette *pal;
	int rc;

	if (!fb || !mode)
		return -EINVAL;
	rc = fb_mode_switch_begin(fb, mode, &mo);
	if (rc)
		return rc;
	old = fb->mode; /* we are the only updater */
	pal = fb->palette;
	if (mo->bytes <= old->capacity && !fb->block_per_mode && !old->file_backed) {
		rc = fb_set_mode_in_place(old, mo, pal);
		if (rc)
			goto fail_locked;
	} else {
		rc = fb_block_new(fb, mo, mo->bytes, pal);
		if (rc)
			goto fail_locked;
		rc = fb_convert_overlap(old->pixels, &old->mode, mo->pixels, &mo->mode, pal);
		if (rc)
			goto fail_convert;
		old->retire_block = true;
	}
	fb_mode_publish(fb, old, mo);
	return 0;

fail_convert:
	ram_block_remove(fb->rl, mo->block);
fail_locked:
	return fb_mode_switch_abandon(fb, mo, rc);
}

int fb_set_mode_file(struct fb_device *fb, const struct fb_mode *mode, int fd, uint64_t offset)
{
	char name[FB_BLOCK_NAME_MAX_CHARS];
	struct fb_mode_obj *old, *mo;
	int rc;

	if (!fb || !mode || fd < 0)
		return -EINVAL;
	rc = fb_mode_switch_begin(fb, mode, &mo);
	if (rc)
		return rc;
	old = fb->mode; /* we are the only updater */
	snprintf(name, sizeof(name), "%s.file%u", fb->name, fb->block_serial++);
	mo->block = ram_block_add_file(fb->rl, name, fd, offset, (size_t)mo->bytes);
	if (!mo->block)
		return fb_mode_switch_abandon(fb, mo, -(errno ? errno : ENOMEM));
	mo->pixels = ram_block_host(mo->block);
	mo->ram_offset = ram_block_offset(mo->block);
	mo->capacity = (size_t)mo->bytes;
	mo->rl_for_retire = fb->rl;
	mo->file_backed = true;
	old->retire_block = true;
	fb_mode_publish(fb, old, mo);
	return 0;
}

bool fb_mode_is_file(struct fb_device *fb, bool *lost)
{
	const struct fb_mode_obj *mo;
	bool file;

	ram_rcu_read_lock();
	mo = ram_rcu_dereference(fb->mode);
	file = mo->file_backed;
	if (lost)
		*lost = file && ram_block_file_lost(mo->block);
	ram_rcu_read_unlock();
	return file;
}

int fb_set_palette(struct fb_device *fb, unsigned first, unsigned count, const uint32_t *rgb)
{
	struct fb_palette *pal, *old;
	struct fb_mode_obj *mo;
	bool indexed;

	if (!fb || (count && !rgb) || first > FB_PALETTE_ENTRIES ||
	    count > FB_PALETTE_ENTRIES - first)
		return -EINVAL;
	pal = malloc(sizeof(*pal));
	if (!pal)
		return -ENOMEM;
	fb_lock(&fb->mode_lock, FB_LOCK_MODE);
	old = fb->palette;
	memcpy(pal->idx.rgba, old->idx.rgba, sizeof(pal->idx.rgba));
	for (unsigned i = 0; i < count; i++)
		pal->idx.rgba[first + i] = 0xff000000u | (rgb[i] & 0xffffffu);
	pal->idx.color = 1;
	pal->is_default = false;
	fb_palette_build_ent(pal);
	ram_rcu_assign(fb->palette, pal);
	mo = fb->mode; /* we are the only updater */
	indexed = mo->mode.format == PIXMAN_c8;
	if (indexed)
		dirty_set_range(fb->rl, mo->ram_offset, mo->bytes, DIRTY_CLIENTS_ALL);
	fb_unlock(&fb->mode_lock, FB_LOCK_MODE);
	if (!old->is_default)
		ram_rcu_call(&old->rcu, fb_palette_reclaim);
	if (indexed) {
		ram_rcu_read_lock();
		fb_note_damage(fb);
		ram_rcu_read_unlock();
	}
	return 0;
}
