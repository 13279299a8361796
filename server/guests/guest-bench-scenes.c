/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * server/guests/guest-bench-scenes.c - the benchmark scenarios, pixel for pixel
 * (shared/notes/bench-scenarios.md), the frame-number strip and the pacing.
 */
#include "server/guests/guest-bench-scenes.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define GLYPHS 64
#define GLYPH_W_PX 6
#define GLYPH_H_PX 10
#define GLYPH_X_PX 1
#define GLYPH_Y_PX 3
#define STRIP_CHECK_SALT 0xA5u
#define STRIP_FRAME_MASK 0xFFFFFFu
#define LUMA_ONE_THRESHOLD 128.0
#define STRIP_INNER_FROM_PX 2
#define STRIP_INNER_PX 4

/* One scenario at one size. Owned by one thread. */
struct bench_scene {
	enum bench_scenario scenario;
	unsigned width, height;
	/* glyph[g][gy] bit gx set = ink (text, idle) */
	uint8_t glyph[GLYPHS][GLYPH_H_PX];
	/* scratch: one text line (600x16), or the whole screen (full) */
	uint32_t *scratch;
	uint32_t strip[BENCH_STRIP_H_PX * BENCH_STRIP_W_PX];
};

static const char *const scenario_names[] = {
	[BENCH_SCENARIO_SMALL] = "small",
	[BENCH_SCENARIO_TEXT] = "text",
	[BENCH_SCENARIO_FULL] = "full",
	[BENCH_SCENARIO_IDLE] = "idle",
};

int bench_scenario_parse(const char *name, enum bench_scenario *out)
{
	if (!name)
		return -EINVAL;
	for (size_t i = 0; i < sizeof(scenario_names) / sizeof(scenario_names[0]); i++) {
		if (strcmp(name, scenario_names[i]) == 0) {
			*out = (enum bench_scenario)i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *bench_scenario_name(enum bench_scenario s)
{
	if ((unsigned)s >= sizeof(scenario_names) / sizeof(scenario_names[0]))
		return "?";
	return scenario_names[s];
}

int bench_scenario_has_strip(enum bench_scenario s)
{
	return s != BENCH_SCENARIO_IDLE;
}

uint32_t bench_mix32(uint32_t x)
{
	x ^= x >> 16;
	x *= 0x85EBCA6Bu;
	x ^= x >> 13;
	x *= 0xC2B2AE35u;
	x ^= x >> 16;
	return x;
}

uint32_t bench_hash(uint32_t a, uint32_t b, uint32_t c)
{
	return bench_mix32(bench_mix32(bench_mix32(a) ^ b) ^ c);
}

static uint32_t strip_check(uint32_t f)
{
	return ((f >> 16) ^ (f >> 8) ^ f ^ STRIP_CHECK_SALT) & 0xFFu;
}

uint32_t bench_strip_code(uint32_t frame)
{
	uint32_t f = frame & STRIP_FRAME_MASK;

	return f << 8 | strip_check(f);
}

double bench_luma(uint32_t rgb)
{
	return 0.299 * ((rgb >> 16) & 0xFF) + 0.587 * ((rgb >> 8) & 0xFF) + 0.114 * (rgb & 0xFF);
}

int bench_strip_decode_lumas(const double luma[BENCH_STRIP_CELLS], uint32_t *frame)
{
	uint32_t word = 0;

	for (int i = 0; i < BENCH_STRIP_CELLS; i++)
		word = word << 1 | (luma[i] >= LUMA_ONE_THRESHOLD);
	if (strip_check(word >> 8) != (word & 0xFFu))
		return -EBADMSG;
	*frame = word >> 8;
	return 0;
}

int bench_strip_decode(const uint32_t *rgb, size_t stride_px, uint32_t *frame)
{
	double luma[BENCH_STRIP_CELLS];

	for (int i = 0; i < BENCH_STRIP_CELLS; i++) {
		double sum = 0;

		for (int y = STRIP_INNER_FROM_PX; y < STRIP_INNER_FROM_PX + STRIP_INNER_PX; y++)
			for (int x = STRIP_INNER_FROM_PX; x < STRIP_INNER_FROM_PX + STRIP_INNER_PX;
			     x++)
				sum += bench_luma(rgb[(size_t)y * stride_px +
						      (size_t)i * BENCH_STRIP_CELL_PX + x]);
		luma[i] = sum / (STRIP_INNER_PX * STRIP_INNER_PX);
	}
	return bench_strip_decode_lumas(luma, frame);
}

/* ---- scenes ---------------------------------------------------------------- */

static void make_glyphs(struct bench_scene *scene)
{
	for (uint32_t g = 0; g < GLYPHS; g++) {
		for (uint32_t gy = 0; gy < GLYPH_H_PX; gy++) {
			uint8_t row = 0;

			for (uint32_t gx = 0; gx < GLYPH_W_PX; gx++)
				if (bench_hash(g, gx + 8 * gy, 4) % 100 < 40)
					row |= (uint8_t)(1u << gx);
			scene->glyph[g][gy] = row;
		}
	}
}

struct bench_scene *bench_scene_new(enum bench_scenario s, unsigned width, unsigned height)
{
	struct bench_scene *scene;
	size_t scratch_px;

	if ((unsigned)s > BENCH_SCENARIO_IDLE || width < BENCH_MIN_WIDTH_PX ||
	    height < BENCH_MIN_HEIGHT_PX || width > BENCH_MAX_SIDE_PX ||
	    height > BENCH_MAX_SIDE_PX) {
		errno = EINVAL;
		return NULL;
	}
	scene = calloc(1, sizeof(*scene));
	if (!scene)
		goto fail_scene;
	scene->scenario = s;
	scene->width = width;
	scene->height = height;
	if (s == BENCH_SCENARIO_FULL)
		scratch_px = (size_t)width * height;
	else
		scratch_px = (size_t)BENCH_TEXT_W_PX * BENCH_CELL_H_PX;
	scene->scratch = malloc(scratch_px * sizeof(uint32_t));
	if (!scene->scratch)
		goto fail_scratch;
	make_glyphs(scene);
	return scene;

fail_scratch:
	free(scene);
fail_scene:
	errno = ENOMEM;
	return NULL;
}

void bench_scene_free(struct bench_scene *scene)
{
	if (!scene)
		return;
	free(scene->scratch);
	free(scene);
}

static void draw_strip(struct bench_scene *scene, struct bench_canvas *c, uint32_t frame)
{
	uint32_t code = bench_strip_code(frame);

	for (int y = 0; y < BENCH_STRIP_H_PX; y++)
		for (int x = 0; x < BENCH_STRIP_W_PX; x++) {
			int bit = (code >> (31 - x / BENCH_STRIP_CELL_PX)) & 1;

			scene->strip[y * BENCH_STRIP_W_PX + x] = bit ? 0xFFFFFFu : 0;
		}
	c->ops->put(c, 0, 0, BENCH_STRIP_W_PX, BENCH_STRIP_H_PX, scene->strip, BENCH_STRIP_W_PX);
}

/* small: x(i) = 16 + (16 i mod (W - 64)), y = H/2 - 16 */
static int small_x(const struct bench_scene *scene, uint32_t frame)
{
	return (int)(16 + (16ull * frame) % (scene->width - 64));
}

static int small_y(const struct bench_scene *scene)
{
	return (int)scene->height / 2 - 16;
}

/* Renders text line k into the 600x16 scratch and puts it at row `row`. */
static void draw_text_line(struct bench_scene *scene, struct bench_canvas *c, int32_t k, int row)
{
	uint32_t *line = scene->scratch;
	uint32_t uk = (uint32_t)k;
	uint32_t len = 30 + bench_hash(uk, 0, 1) % 46;

	for (size_t i = 0; i < (size_t)BENCH_TEXT_W_PX * BENCH_CELL_H_PX; i++)
		line[i] = BENCH_PAPER_RGB;
	for (uint32_t col = 0; col < len && col < BENCH_TEXT_COLUMNS; col++) {
		uint32_t g;

		if (bench_hash(uk, col, 2) % 6 == 0)
			continue;
		g = bench_hash(uk, col, 3) % GLYPHS;
		for (int gy = 0; gy < GLYPH_H_PX; gy++)
			for (int gx = 0; gx < GLYPH_W_PX; gx++)
				if (scene->glyph[g][gy] >> gx & 1)
					line[(size_t)(GLYPH_Y_PX + gy) * BENCH_TEXT_W_PX +
					     col * BENCH_CELL_W_PX + GLYPH_X_PX + gx] =
						BENCH_INK_RGB;
	}
	c->ops->put(c, BENCH_TEXT_X_PX, BENCH_TEXT_Y_PX + row * BENCH_CELL_H_PX, BENCH_TEXT_W_PX,
		    BENCH_CELL_H_PX, line, BENCH_TEXT_W_PX);
}

/* The text area as frame i shows it: lines i-24..i, top to bottom. */
static void draw_text_area(struct bench_scene *scene, struct bench_canvas *c, uint32_t frame)
{
	for (int row = 0; row < BENCH_TEXT_LINES; row++)
		draw_text_line(scene, c, (int32_t)frame - (BENCH_TEXT_LINES - 1) + row, row);
}

/* Composes the tiles in place when the canvas allows it (one pass over the
 * frame), else in the scratch buffer followed by one put(). */
static void draw_full_tiles(struct bench_scene *scene, struct bench_canvas *c, uint32_t frame)
{
	unsigned w = scene->width, h = scene->height;
	size_t stride = w;
	uint32_t *px = c->ops->direct ? c->ops->direct(c, &stride) : NULL;
	bool in_place = px != NULL;

	if (!in_place) {
		px = scene->scratch;
		stride = w;
	}

	for (unsigned ty = 0; ty * BENCH_TILE_PX < h; ty++) {
		unsigned y0 = ty * BENCH_TILE_PX;
		unsigned y1 = y0 + BENCH_TILE_PX < h ? y0 + BENCH_TILE_PX : h;

		for (unsigned tx = 0; tx * BENCH_TILE_PX < w; tx++) {
			uint32_t colour = bench_hash(tx, ty, frame) & 0xFFFFFFu;
			unsigned x0 = tx * BENCH_TILE_PX;
			unsigned x1 = x0 + BENCH_TILE_PX < w ? x0 + BENCH_TILE_PX : w;

			for (unsigned x = x0; x < x1; x++)
				px[(size_t)y0 * stride + x] = colour;
		}
		for (unsigned y = y0 + 1; y < y1; y++)
			memcpy(px + (size_t)y * stride, px + (size_t)y0 * stride,
			       w * sizeof(uint32_t));
	}
	if (in_place)
		c->ops->touched(c, 0, 0, (int)w, (int)h);
	else
		c->ops->put(c, 0, 0, (int)w, (int)h, px, w);
}

void bench_scene_draw_full(struct bench_scene *scene, struct bench_canvas *c, uint32_t frame)
{
	int w = (int)scene->width, h = (int)scene->height;

	switch (scene->scenario) {
	case BENCH_SCENARIO_SMALL:
		c->ops->fill(c, 0, 0, w, h, BENCH_BACKGROUND_RGB);
		c->ops->fill(c, small_x(scene, frame), small_y(scene), BENCH_RECT_SIDE_PX,
			     BENCH_RECT_SIDE_PX, BENCH_RECT_RGB);
		break;
	case BENCH_SCENARIO_TEXT:
	case BENCH_SCENARIO_IDLE:
		if (scene->scenario == BENCH_SCENARIO_IDLE)
			frame = 0;
		c->ops->fill(c, 0, 0, w, h, BENCH_BACKGROUND_RGB);
		draw_text_area(scene, c, frame);
		break;
	case BENCH_SCENARIO_FULL:
		draw_full_tiles(scene, c, frame);
		break;
	}
	if (bench_scenario_has_strip(scene->scenario))
		draw_strip(scene, c, frame);
}

void bench_scene_draw(struct bench_scene *scene, struct bench_canvas *c, uint32_t frame)
{
	if (frame == 0) {
		bench_scene_draw_full(scene, c, 0);
		return;
	}
	switch (scene->scenario) {
	case BENCH_SCENARIO_SMALL:
		c->ops->fill(c, small_x(scene, frame - 1), small_y(scene), BENCH_RECT_SIDE_PX,
			     BENCH_RECT_SIDE_PX, BENCH_BACKGROUND_RGB);
		c->ops->fill(c, small_x(scene, frame), small_y(scene), BENCH_RECT_SIDE_PX,
			     BENCH_RECT_SIDE_PX, BENCH_RECT_RGB);
		break;
	case BENCH_SCENARIO_TEXT:
		c->ops->copy(c, BENCH_TEXT_X_PX, BENCH_TEXT_Y_PX + BENCH_CELL_H_PX, BENCH_TEXT_X_PX,
			     BENCH_TEXT_Y_PX, BENCH_TEXT_W_PX, BENCH_TEXT_H_PX - BENCH_CELL_H_PX);
		draw_text_line(scene, c, (int32_t)frame, BENCH_TEXT_LINES - 1);
		break;
	case BENCH_SCENARIO_FULL:
		draw_full_tiles(scene, c, frame);
		break;
	case BENCH_SCENARIO_IDLE:
		return;
	}
	draw_strip(scene, c, frame);
}

/* ---- the memory canvas ------------------------------------------------------ */

static void mem_fill(struct bench_canvas *c, int x, int y, int w, int h, uint32_t rgb)
{
	struct bench_memory_canvas *mc = (struct bench_memory_canvas *)c;

	for (int row = y; row < y + h; row++)
		for (int col = x; col < x + w; col++)
			mc->pixels[(size_t)row * mc->stride_px + (size_t)col] = rgb;
}

static void mem_copy(struct bench_canvas *c, int sx, int sy, int dx, int dy, int w, int h)
{
	struct bench_memory_canvas *mc = (struct bench_memory_canvas *)c;
	int step = dy <= sy ? 1 : -1;
	int first = step > 0 ? 0 : h - 1;

	for (int i = 0, row = first; i < h; i++, row += step)
		memmove(mc->pixels + (size_t)(dy + row) * mc->stride_px + dx,
			mc->pixels + (size_t)(sy + row) * mc->stride_px + sx,
			(size_t)w * sizeof(uint32_t));
}

static void mem_put(struct bench_canvas *c, int x, int y, int w, int h, const uint32_t *rgb,
		    size_t stride_px)
{
	struct bench_memory_canvas *mc = (struct bench_memory_canvas *)c;

	for (int row = 0; row < h; row++)
		memcpy(mc->pixels + (size_t)(y + row) * mc->stride_px + x,
		       rgb + (size_t)row * stride_px, (size_t)w * sizeof(uint32_t));
}

static const struct bench_canvas_ops memory_canvas_ops = {
	.fill = mem_fill,
	.copy = mem_copy,
	.put = mem_put,
};

void bench_memory_canvas_init(struct bench_memory_canvas *mc, uint32_t *pixels, unsigned width,
			      unsigned height, size_t stride_px)
{
	mc->canvas.ops = &memory_canvas_ops;
	mc->pixels = pixels;
	mc->width = width;
	mc->height = height;
	mc->stride_px = stride_px;
}

void bench_scene_render(struct bench_scene *scene, uint32_t frame, uint32_t *rgb, size_t stride_px)
{
	struct bench_memory_canvas mc;

	bench_memory_canvas_init(&mc, rgb, scene->width, scene->height, stride_px);
	bench_scene_draw_full(scene, &mc.canvas, frame);
}

/* ---- pacing ------------------------------------------------------------------- */

uint32_t bench_frame_count(double seconds, unsigned fps)
{
	return (uint32_t)lround(seconds * fps);
}

int bench_pacing_check(unsigned fps, double seconds, unsigned settle_ms, const char **err)
{
	if (fps < 1 || fps > BENCH_MAX_FPS) {
		*err = "fps must be 1..1000";
		return -EINVAL;
	}
	if (!(seconds >= 0 && seconds <= BENCH_MAX_SECONDS)) {
		*err = "seconds must be 0..3600";
		return -EINVAL;
	}
	if (settle_ms > BENCH_MAX_SETTLE_MS) {
		*err = "settle must be 0..600000 ms";
		return -EINVAL;
	}
	return 0;
}

uint64_t bench_deadline_ns(uint64_t t0_ns, uint32_t frame, unsigned fps)
{
	return t0_ns + (uint64_t)(frame - 1) * BENCH_NS_PER_S / fps;
}

int bench_log_frame(FILE *log, uint32_t frame, uint64_t t_ns)
{
	if (fprintf(log, "%u %llu\n", frame, (unsigned long long)t_ns) < 0 || fflush(log) != 0)
		return errno ? -errno : -EIO;
	return 0;
}

/* ---- arguments ----------------------------------------------------------------- */

#define BENCH_MAX_ARGS_BYTES (BENCH_MAX_LOG_PATH_BYTES + 256u)

/* A whole-string unsigned number in [min, max]. */
static int parse_uint(const char *s, unsigned min, unsigned max, unsigned *out)
{
	char *end;
	unsigned long v;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -EINVAL;
	*out = (unsigned)v;
	return 0;
}

static int parse_seconds(const char *s, double *out)
{
	char *end;
	double v;

	if ((*s < '0' || *s > '9') && *s != '.')
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (errno || *end || !isfinite(v) || v < 0 || v > BENCH_MAX_SECONDS)
		return -EINVAL;
	*out = v;
	return 0;
}

/* Parses one key=value option into out; `seen` flags repeated keys. */
static int parse_option(char *opt, struct bench_args *out, unsigned *seen, const char **err)
{
	char *eq = strchr(opt, '=');
	const char *val;

	if (!eq) {
		*err = "bench: options are key=value (fps, seconds, log, settle, fullframe)";
		return -EINVAL;
	}
	*eq = '\0';
	val = eq + 1;
	if (strcmp(opt, "fps") == 0) {
		if (*seen & 1u)
			goto repeated;
		*seen |= 1u;
		if (parse_uint(val, 1, BENCH_MAX_FPS, &out->fps) < 0) {
			*err = "bench: fps must be an integer 1..1000";
			return -EINVAL;
		}
	} else if (strcmp(opt, "seconds") == 0) {
		if (*seen & 2u)
			goto repeated;
		*seen |= 2u;
		if (parse_seconds(val, &out->seconds) < 0) {
			*err = "bench: seconds must be a number 0..3600";
			return -EINVAL;
		}
	} else if (strcmp(opt, "log") == 0) {
		if (*seen & 4u)
			goto repeated;
		*seen |= 4u;
		if (!*val || strlen(val) >= sizeof(out->log)) {
			*err = "bench: log needs a file name (shorter than 4096 bytes)";
			return -EINVAL;
		}
		strcpy(out->log, val);
	} else if (strcmp(opt, "settle") == 0) {
		if (*seen & 8u)
			goto repeated;
		*seen |= 8u;
		if (parse_uint(val, 0, BENCH_MAX_SETTLE_MS, &out->settle_ms) < 0) {
			*err = "bench: settle must be an integer 0..600000 (ms)";
			return -EINVAL;
		}
	} else if (strcmp(opt, "fullframe") == 0) {
		unsigned v;

		if (*seen & 16u)
			goto repeated;
		*seen |= 16u;
		if (parse_uint(val, 0, 1, &v) < 0) {
			*err = "bench: fullframe must be 0 or 1";
			return -EINVAL;
		}
		out->fullframe = (int)v;
	} else {
		*err = "bench: unknown option (expected fps, seconds, log, settle, fullframe)";
		return -EINVAL;
	}
	return 0;

repeated:
	*err = "bench: an option is given twice";
	return -EINVAL;
}

int bench_args_parse(const char *args, struct bench_args *out, const char **err)
{
	char buf[BENCH_MAX_ARGS_BYTES];
	char *save = NULL, *tok;
	unsigned seen = 0;
	size_t len;

	*out = (struct bench_args){
		.fps = BENCH_DEFAULT_FPS,
		.seconds = BENCH_DEFAULT_SECONDS,
		.settle_ms = BENCH_SETTLE_MS,
	};
	if (!args || !*args) {
		*err = "bench: needs a scenario: small, text, full or idle";
		return -EINVAL;
	}
	len = strlen(args);
	if (len >= sizeof(buf)) {
		*err = "bench: arguments too long";
		return -EINVAL;
	}
	memcpy(buf, args, len + 1);
	if (buf[0] == ',' || buf[len - 1] == ',' || strstr(buf, ",,")) {
		*err = "bench: empty option";
		return -EINVAL;
	}
	tok = strtok_r(buf, ",", &save);
	if (bench_scenario_parse(tok, &out->scenario) < 0) {
		*err = "bench: unknown scenario (expected small, text, full or idle)";
		return -EINVAL;
	}
	while ((tok = strtok_r(NULL, ",", &save))) {
		int ret = parse_option(tok, out, &seen, err);

		if (ret < 0)
			return ret;
	}
	return 0;
}

void bench_pacing_opts_init(struct bench_pacing_opts *o)
{
	*o = (struct bench_pacing_opts){
		.scenario = BENCH_SCENARIO_SMALL,
		.fps = BENCH_DEFAULT_FPS,
		.settle_ms = BENCH_SETTLE_MS,
		.seconds = BENCH_DEFAULT_SECONDS,
	};
}

/* A whole decimal number without a sign. */
static int parse_unsigned(const char *arg, unsigned *out)
{
	char *end;
	unsigned long v;

	if (!*arg || *arg == '-' || *arg == '+')
		return -EINVAL;
	errno = 0;
	v = strtoul(arg, &end, 10);
	if (*end || errno || v > UINT_MAX)
		return -EINVAL;
	*out = (unsigned)v;
	return 0;
}

int bench_pacing_option(struct bench_pacing_opts *o, int c, const char *arg)
{
	char *end;

	switch (c) {
	case 's':
		if (bench_scenario_parse(arg, &o->scenario) < 0)
			return -EINVAL;
		o->have_scenario = true;
		return 1;
	case 'f':
		return parse_unsigned(arg, &o->fps) < 0 ? -EINVAL : 1;
	case 'S':
		o->seconds = strtod(arg, &end);
		return *end || !*arg ? -EINVAL : 1;
	case 'w':
		return parse_unsigned(arg, &o->settle_ms) < 0 ? -EINVAL : 1;
	case 'l':
		o->log_path = arg;
		return 1;
	default:
		return 0;
	}
}
