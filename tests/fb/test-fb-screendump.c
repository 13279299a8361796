/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Screendump round trip: the PNG written by fb_headless_screendump_png,
 * decoded with libpng here, equals the shadow pixel for pixel; so does the
 * PPM. Bad paths give -errno. Counters count what was delivered.
 */
#include <png.h>
#include <stdio.h>
#include <unistd.h>

#include "fb-test.h"

#define SD_W 203
#define SD_H 151

/* Draws a picture with gradients and rectangles in r5g6b5. */
static void draw_picture(struct fb_device *fb)
{
	pixman_image_t *img = pixman_image_create_bits(PIXMAN_a8r8g8b8, SD_W, SD_H, NULL, 0);
	uint32_t *px = pixman_image_get_data(img);

	for (int y = 0; y < SD_H; y++)
		for (int x = 0; x < SD_W; x++)
			px[y * SD_W + x] = 0xff000000u | (uint32_t)(x * 255 / SD_W) << 16 |
					   (uint32_t)(y * 255 / SD_H) << 8 |
					   (uint32_t)((x ^ y) & 0xff);
	assert_int_equal(fb_put_image(fb, img, 0, 0), 0);
	pixman_image_unref(img);
	assert_int_equal(fb_fill_rect(fb, 50, 40, 30, 20, 0x001f), 0);
}

static void test_screendump_roundtrip(void **state)
{
	struct ram_list *rl = ram_list_new(NULL);
	struct fb_config cfg = { .name = "dump", .mode = { SD_W, SD_H, 0, PIXMAN_r5g6b5 } };
	char png_path[] = "/tmp/fb-test-dump-XXXXXX";
	char ppm_path[] = "/tmp/fb-test-ppm-XXXXXX";
	png_image img;
	uint8_t *decoded, *ppm;
	uint32_t *shadow, w, h;
	struct fb_headless_stats hs;
	struct fb_render_stats rs;
	struct fb_headless *hl;
	struct fb_render *r;
	struct fb_device *fb;
	unsigned pw, ph, maxv;
	FILE *f;
	int fd, off = 0;

	(void)state;
	assert_non_null(rl);
	fb = fb_new(rl, &cfg);
	assert_non_null(fb);
	r = fb_render_new(NULL);
	assert_non_null(r);
	hl = fb_headless_new(fb);
	assert_non_null(hl);
	assert_int_equal(fb_headless_screendump_png(hl, "/tmp/x.png"),
			 -EAGAIN); /* no picture yet */
	assert_int_equal(fb_render_add(r, fb), 0);
	fb_test_settle(r);
	draw_picture(fb);
	fb_test_settle(r);

	fd = mkstemp(png_path);
	assert_true(fd >= 0);
	close(fd);
	fd = mkstemp(ppm_path);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(fb_headless_screendump_png(hl, png_path), 0);
	assert_int_equal(fb_headless_screendump_ppm(hl, ppm_path), 0);
	assert_int_equal(fb_headless_screendump_png(hl, "/nonexistent-dir/x.png"), -ENOENT);
	assert_int_equal(fb_headless_copy(hl, &shadow, &w, &h), 0);
	assert_int_equal(w, SD_W);
	assert_int_equal(h, SD_H);

	/* decode with libpng */
	memset(&img, 0, sizeof(img));
	img.version = PNG_IMAGE_VERSION;
	assert_true(png_image_begin_read_from_file(&img, png_path));
	assert_int_equal(img.width, SD_W);
	assert_int_equal(img.height, SD_H);
	img.format = PNG_FORMAT_RGB;
	decoded = malloc(PNG_IMAGE_SIZE(img));
	assert_non_null(decoded);
	assert_true(png_image_finish_read(&img, NULL, decoded, 0, NULL));
	for (uint32_t i = 0; i < w * h; i++) {
		uint32_t rgb = (uint32_t)decoded[3 * i] << 16 | (uint32_t)decoded[3 * i + 1] << 8 |
			       decoded[3 * i + 2];

		if (rgb != (shadow[i] & 0xffffff))
			fail_msg("png pixel %u,%u: %06x != %06x", i % w, i / w, rgb,
				 shadow[i] & 0xffffff);
	}
	/* the blue rectangle really is in the picture */
	assert_int_equal(shadow[45 * SD_W + 60] & 0xffffff, 0x0000ff);

	/* the PPM has the same pixels */
	f = fopen(ppm_path, "rb");
	assert_non_null(f);
	assert_int_equal(fscanf(f, "P6 %u %u %u%n", &pw, &ph, &maxv, &off), 3);
	assert_int_equal(pw, SD_W);
	assert_int_equal(ph, SD_H);
	assert_int_equal(maxv, 255);
	assert_int_equal(fgetc(f), '\n');
	ppm = malloc((size_t)pw * ph * 3);
	assert_non_null(ppm);
	assert_int_equal(fread(ppm, 3, (size_t)pw * ph, f), (size_t)pw * ph);
	assert_int_equal(fgetc(f), EOF);
	fclose(f);
	assert_memory_equal(ppm, decoded, (size_t)pw * ph * 3);

	/* counters: one switch, updates with pixels */
	fb_headless_get_stats(hl, &hs);
	assert_int_equal(hs.switches, 1);
	assert_true(hs.ticks >= 2);
	assert_true(hs.rects >= 2);
	assert_true(hs.pixels >= (uint64_t)SD_W * SD_H * 2);
	fb_get_stats(fb, &rs);
	assert_int_equal(rs.switches, 1);
	assert_true(rs.ticks >= 2);
	assert_true(rs.dirty_pages >= 1);

	free(ppm);
	free(decoded);
	free(shadow);
	unlink(png_path);
	unlink(ppm_path);
	fb_render_remove(r, fb);
	fb_headless_free(hl);
	fb_render_free(r);
	fb_free(fb);
	ram_list_free(rl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_screendump_roundtrip),
	};

	return cmocka_run_group_tests_name("fb-screendump", tests, NULL, NULL);
}
