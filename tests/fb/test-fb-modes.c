/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Mode changes keep the overlapping top-left picture, converted to the new
 * format, and start the rest black: in place (the mode fits the block) and
 * across growth into a new RAM block; to and from indexed c8. A mode shown
 * from another process's file (fb_set_mode_file) shows that process's
 * writes, keeps ours private, and is copied out by the next mode change.
 */
#include <sys/mman.h>
#include <unistd.h>

#include "fb-test.h"

/* Raw pixel at x,y of the current mode. */
static uint32_t raw_pixel(struct fb_device *fb, uint32_t x, uint32_t y)
{
	struct fb_access acc;
	const uint8_t *p;
	uint32_t v = 0;
	unsigned bpp;

	fb_access_begin(fb, &acc);
	bpp = fb_format_bpp(acc.mode.format);
	assert_true(x < acc.mode.width && y < acc.mode.height);
	p = (const uint8_t *)acc.pixels + (size_t)y * acc.mode.stride + (size_t)x * bpp;
	switch (bpp) {
	case 1:
		v = p[0];
		break;
	case 2:
		v = *(const uint16_t *)p;
		break;
	case 3:
		v = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16;
		break;
	default:
		v = *(const uint32_t *)p;
		break;
	}
	fb_access_end(fb, &acc);
	return v;
}

static void test_mode_change_keeps_overlap(void **state)
{
	struct fb_config cfg = { .name = "modes", .mode = { 64, 48, 0, PIXMAN_x8r8g8b8 } };
	struct ram_list *rl = ram_list_new(NULL);
	struct fb_device *fb;
	ram_addr_t size_before;
	uint64_t gen;

	(void)state;
	assert_non_null(rl);
	fb = fb_new(rl, &cfg);
	assert_non_null(fb);
	assert_int_equal(raw_pixel(fb, 10, 10), 0);			 /* starts black */
	assert_int_equal(fb_fill_rect(fb, 2, 2, 10, 10, 0x00ff0000), 0); /* red */
	assert_int_equal(fb_fill_rect(fb, 60, 40, 4, 8, 0x0000ff00), 0); /* green corner */
	gen = fb_mode_generation(fb);

	/* in place: 100x30 r5g6b5 fits the 64x48x4 block */
	size_before = ram_list_size(rl);
	assert_int_equal(fb_set_mode(fb, &(struct fb_mode){ 100, 30, 0, PIXMAN_r5g6b5 }), 0);
	assert_int_equal(ram_list_size(rl), size_before);
	assert_int_equal(fb_mode_generation(fb), gen + 1);
	assert_int_equal(raw_pixel(fb, 5, 5), 0xf800);
	assert_int_equal(raw_pixel(fb, 20, 5), 0);
	assert_int_equal(raw_pixel(fb, 70, 5), 0); /* beyond the old width: black */
	assert_int_equal(raw_pixel(fb, 63, 29), 0);

	/* growth: 1920x1080 r8g8b8 needs a new block */
	assert_int_equal(fb_set_mode(fb, &(struct fb_mode){ 1920, 1080, 0, PIXMAN_r8g8b8 }), 0);
	assert_true(ram_list_size(rl) > size_before);
	assert_int_equal(raw_pixel(fb, 11, 11), 0xff0000);
	assert_int_equal(raw_pixel(fb, 12, 12), 0);
	assert_int_equal(raw_pixel(fb, 50, 500), 0);
	assert_int_equal(raw_pixel(fb, 1919, 1079), 0);

	/* to indexed: red becomes the palette's red (3-3-2 default: 0xe0) */
	assert_int_equal(fb_set_mode(fb, &(struct fb_mode){ 640, 480, 0, PIXMAN_c8 }), 0);
	assert_int_equal(raw_pixel(fb, 5, 5), 0xe0);
	assert_int_equal(raw_pixel(fb, 500, 400), 0);
	/* and back, through a palette the guest set */
	assert_int_equal(fb_set_palette(fb, 0xe0, 1, (uint32_t[]){ 0x123456 }), 0);
	assert_int_equal(fb_set_mode(fb, &(struct fb_mode){ 640, 480, 2800, PIXMAN_x8r8g8b8 }), 0);
	assert_int_equal(raw_pixel(fb, 5, 5) & 0xffffff, 0x123456);
	assert_int_equal(raw_pixel(fb, 639, 479) & 0xffffff, 0);
	assert_int_equal(fb_get_mode(fb).stride, 2800);

	fb_free(fb);
	ram_list_free(rl);
}

/* The owner's file: 32x16 x8r8g8b8, 160-byte rows, at 4104 bytes in. */
#define OWNER_W 32u
#define OWNER_H 16u
#define OWNER_STRIDE_BYTES 160u
#define OWNER_OFFSET_BYTES 4104u

static uint32_t owner_pixel(uint32_t x, uint32_t y)
{
	return (x * 0x010203u + y * 0x030100u) & 0xffffffu;
}

static off_t owner_at(uint32_t x, uint32_t y)
{
	return (off_t)OWNER_OFFSET_BYTES + (off_t)y * OWNER_STRIDE_BYTES + (off_t)x * 4;
}

static int owner_file(size_t bytes)
{
	int fd = memfd_create("owner", MFD_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)bytes), 0);
	for (uint32_t y = 0; y < OWNER_H; y++)
		for (uint32_t x = 0; x < OWNER_W; x++) {
			uint32_t v = owner_pixel(x, y);

			assert_int_equal(pwrite(fd, &v, 4, owner_at(x, y)), 4);
		}
	return fd;
}

static void test_file_mode(void **state)
{
	struct fb_config cfg = { .name = "file", .mode = { 64, 48, 0, PIXMAN_x8r8g8b8 } };
	const struct fb_mode owner = { OWNER_W, OWNER_H, OWNER_STRIDE_BYTES, PIXMAN_x8r8g8b8 };
	const size_t file_bytes = OWNER_OFFSET_BYTES + OWNER_STRIDE_BYTES * OWNER_H;
	struct ram_list *rl = ram_list_new(NULL);
	struct fb_device *fb;
	struct fb_mode got;
	uint64_t gen, generation = 0;
	uint32_t v = 0xabcdef, back;
	size_t cap;
	bool lost = true;
	int fd, short_fd, dup_fd;

	(void)state;
	assert_non_null(rl);
	fb = fb_new(rl, &cfg);
	assert_non_null(fb);
	assert_false(fb_mode_is_file(fb, NULL));
	fd = owner_file(file_bytes);
	/* a file one byte short of the last row's padding: refused, nothing changes */
	short_fd = owner_file(file_bytes - 1);
	gen = fb_mode_generation(fb);
	assert_int_equal(fb_set_mode_file(fb, &owner, short_fd, OWNER_OFFSET_BYTES), -EINVAL);
	assert_int_equal(fb_set_mode_file(fb, &owner, -1, 0), -EINVAL);
	assert_int_equal(fb_mode_generation(fb), gen);
	assert_int_equal(fb_get_mode(fb).width, 64);
	close(short_fd);

	assert_int_equal(fb_set_mode_file(fb, &owner, fd, OWNER_OFFSET_BYTES), 0);
	assert_int_equal(fb_mode_generation(fb), gen + 1);
	assert_true(fb_mode_is_file(fb, &lost));
	assert_false(lost);
	got = fb_get_mode(fb);
	assert_int_equal(got.width, OWNER_W);
	assert_int_equal(got.stride, OWNER_STRIDE_BYTES);
	assert_int_equal(raw_pixel(fb, 31, 15) & 0xffffff, owner_pixel(31, 15));
	/* the owner draws: shown without a copy */
	assert_int_equal(pwrite(fd, &v, 4, owner_at(3, 4)), 4);
	assert_int_equal(raw_pixel(fb, 3, 4) & 0xffffff, 0xabcdef);
	/* we draw: never reaches the owner's file */
	assert_int_equal(fb_fill_rect(fb, 0, 0, 2, 2, 0x00ff0000), 0);
	assert_int_equal(raw_pixel(fb, 1, 1) & 0xffffff, 0xff0000);
	assert_int_equal(pread(fd, &back, 4, owner_at(1, 1)), 4);
	assert_int_equal(back, owner_pixel(1, 1));
	/* its memory is not ours to hand out */
	assert_int_equal(fb_mode_memfd(fb, &dup_fd, &cap, &got, &generation), -ENOTSUP);
	assert_int_equal(dup_fd, -1);

	/* the next mode change copies the picture into our own RAM */
	assert_int_equal(fb_set_mode(fb, &(struct fb_mode){ OWNER_W, OWNER_H, 0, PIXMAN_x8r8g8b8 }),
			 0);
	assert_false(fb_mode_is_file(fb, NULL));
	assert_int_equal(ftruncate(fd, 0), 0);
	close(fd);
	assert_int_equal(raw_pixel(fb, 3, 4) & 0xffffff, 0xabcdef);
	assert_int_equal(raw_pixel(fb, 1, 1) & 0xffffff, 0xff0000);
	assert_int_equal(raw_pixel(fb, 31, 15) & 0xffffff, owner_pixel(31, 15));

	fb_free(fb);
	ram_list_free(rl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mode_change_keeps_overlap),
		cmocka_unit_test(test_file_mode),
	};

	return cmocka_run_group_tests_name("fb-modes", tests, NULL, NULL);
}
