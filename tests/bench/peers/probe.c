/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tests/bench/peers/probe.c - bench-probe: a libvncclient viewer that
 * measures one benchmark run against any VNC server.
 *
 * It keeps an update request outstanding at all times (libvncclient sends
 * the next incremental request as soon as an update is handled), counts the
 * bytes received at the socket (TCP_INFO tcpi_bytes_received, counted by the
 * kernel), decodes the frame-number strip after every update, and when the
 * run is over reads the drawing client's frame log and prints one JSON line.
 * The run starts with the first update after which the picture shows the
 * scenario's frame 0 (drawn before the probe connects): bytes and updates
 * are counted from there. The line holds bytes, updates, rectangles per
 * drawing primitive, frames seen, latency median/p95 against the log, decode
 * failures, and whether the final picture equals the scenario's expected
 * pixels exactly.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <linux/tcp.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <rfb/rfbclient.h>

#include "fb/clock.h"
#include "server/guests/guest-bench-scenes.h"

#define PROBE_WAIT_SLICE_US 20000u
#define PROBE_DEFAULT_TIMEOUT_S 120u
#define PROBE_DEFAULT_LINGER_MS 1000u
#define PROBE_CONNECT_TIMEOUT_S 10u
#define PROBE_MAX_FRAMES 1000000u
#define NS_PER_MS 1000000.0
/* The run starts when the picture shows frame 0: at most this share of
 * pixels may be off by more than the tolerance (JPEG). */
#define PROBE_READY_TOLERANCE 32
#define PROBE_READY_MAX_DIFF_SHARE 0.01

/* Options from the command line. */
struct probe_options {
	const char *host;
	int port;
	const char *encodings; /* libvncclient encodingsString */
	enum bench_scenario scenario;
	unsigned fps;
	double seconds;
	const char *log_path;
	const char *ready_path;
	const char *label;
	unsigned timeout_s;
	unsigned linger_ms;
	double observe_s; /* idle: how long to watch after the first update */
	int quality;	  /* -1: libvncclient default */
	int compress;	  /* -1: libvncclient default */
	bool no_jpeg;
	bool verbose; /* one stderr line per update */
};

/* Everything measured; touched only by the probe's single thread. */
struct probe_state {
	struct probe_options opt;
	rfbClient *client;
	uint32_t last_frame; /* N */
	uint64_t *seen_ns;   /* [0..N]: first receipt time, 0 = not seen */
	uint64_t updates;    /* after the first update */
	uint64_t rects, copyrects, fills, bitmaps;
	uint64_t decode_failures; /* after the first strip decoded */
	uint64_t undecoded_before_first;
	uint64_t regressions; /* a decoded frame older than the previous one */
	uint64_t beyond;      /* a decoded frame number above N */
	bool have_last;
	uint32_t last_decoded;
	bool ready;
	uint32_t ready_frame; /* the frame shown when the run started (0 if on time) */
	uint64_t ready_ns;
	uint64_t bytes_at_ready;
	uint64_t final_seen_ns;
	/* libvncclient's own drawing primitives, chained by the counters */
	GotCopyRectProc copy_rect;
	GotFillRectProc fill_rect;
	GotBitmapProc bitmap;
};

static struct probe_state *state_of(rfbClient *cl)
{
	return rfbClientGetClientData(cl, (void *)state_of);
}

static uint64_t socket_bytes_received(int sock)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	memset(&ti, 0, sizeof(ti));
	if (getsockopt(sock, IPPROTO_TCP, TCP_INFO, &ti, &len) < 0)
		return 0;
	return ti.tcpi_bytes_received;
}

/* 0x00RRGGBB of the client's pixel at (x, y) (32 bpp, little endian). */
static uint32_t client_rgb(const rfbClient *cl, int x, int y)
{
	const uint32_t *fb = (const uint32_t *)cl->frameBuffer;
	uint32_t p = fb[(size_t)y * (size_t)cl->width + (size_t)x];
	uint32_t r = (p >> cl->format.redShift) & cl->format.redMax;
	uint32_t g = (p >> cl->format.greenShift) & cl->format.greenMax;
	uint32_t b = (p >> cl->format.blueShift) & cl->format.blueMax;

	return r << 16 | g << 8 | b;
}

static int decode_client_strip(const rfbClient *cl, uint32_t *frame)
{
	uint32_t strip[BENCH_STRIP_H_PX * BENCH_STRIP_W_PX];

	if (cl->width < BENCH_STRIP_W_PX || cl->height < BENCH_STRIP_H_PX)
		return -EBADMSG;
	for (int y = 0; y < BENCH_STRIP_H_PX; y++)
		for (int x = 0; x < BENCH_STRIP_W_PX; x++)
			strip[y * BENCH_STRIP_W_PX + x] = client_rgb(cl, x, y);
	return bench_strip_decode(strip, BENCH_STRIP_W_PX, frame);
}

static void write_ready_file(const char *path)
{
	FILE *f = fopen(path, "w");

	if (!f) {
		fprintf(stderr, "bench-probe: cannot create %s: %s\n", path, strerror(errno));
		return;
	}
	fputs("ready\n", f);
	fclose(f);
}

/* Pixels of the client's picture that differ from the scenario's frame by
 * more than `tolerance` in some channel, or -1 if the scene cannot be
 * rendered at this size. */
static long picture_diff(struct probe_state *st, uint32_t frame, int tolerance)
{
	rfbClient *cl = st->client;
	struct bench_scene *scene =
		bench_scene_new(st->opt.scenario, (unsigned)cl->width, (unsigned)cl->height);
	uint32_t *want;
	long diff = 0;

	if (!scene)
		return -1;
	want = malloc((size_t)cl->width * (size_t)cl->height * sizeof(uint32_t));
	if (!want) {
		bench_scene_free(scene);
		return -1;
	}
	bench_scene_render(scene, frame, want, (size_t)cl->width);
	for (int y = 0; y < cl->height; y++)
		for (int x = 0; x < cl->width; x++) {
			uint32_t a = client_rgb(cl, x, y);
			uint32_t b = want[(size_t)y * (size_t)cl->width + (size_t)x];

			for (int shift = 0; shift <= 16; shift += 8) {
				int d = (int)((a >> shift) & 0xFF) - (int)((b >> shift) & 0xFF);

				if (d > tolerance || d < -tolerance) {
					diff++;
					break;
				}
			}
		}
	free(want);
	bench_scene_free(scene);
	return diff;
}

/* The picture shows the scenario (its strip decodes; idle: frame 0 within
 * a lossy encoding's tolerance): the run starts. */
static bool shows_scenario(struct probe_state *st)
{
	rfbClient *cl = st->client;
	uint32_t frame;
	long diff;

	if (st->rects == 0 || !cl->frameBuffer)
		return false;
	/* The strip is drawn last in the same update, and survives JPEG. */
	if (bench_scenario_has_strip(st->opt.scenario))
		return decode_client_strip(cl, &frame) == 0;
	diff = picture_diff(st, 0, PROBE_READY_TOLERANCE);
	return diff >= 0 &&
	       (double)diff <= PROBE_READY_MAX_DIFF_SHARE * (double)cl->width * (double)cl->height;
}

/* End of one FramebufferUpdate: decode the strip, note first receipts. */
static void on_update_done(rfbClient *cl)
{
	struct probe_state *st = state_of(cl);
	uint64_t now = fb_clock_now_ns();
	uint32_t frame;

	if (st->opt.verbose)
		fprintf(stderr,
			"bench-probe: update at %.3f s: %" PRIu64 " bytes, %" PRIu64 " rects\n",
			(double)now / BENCH_NS_PER_S, socket_bytes_received(cl->sock), st->rects);
	if (!st->ready) {
		if (!shows_scenario(st))
			return;
		st->ready = true;
		st->ready_ns = now;
		if (bench_scenario_has_strip(st->opt.scenario) &&
		    decode_client_strip(cl, &frame) == 0)
			st->ready_frame = frame;
		st->bytes_at_ready = socket_bytes_received(cl->sock);
		if (st->opt.ready_path)
			write_ready_file(st->opt.ready_path);
	} else {
		st->updates++;
	}
	if (!bench_scenario_has_strip(st->opt.scenario))
		return;
	if (decode_client_strip(cl, &frame) < 0) {
		if (st->have_last)
			st->decode_failures++;
		else
			st->undecoded_before_first++;
		return;
	}
	if (st->have_last && frame < st->last_decoded)
		st->regressions++;
	st->have_last = true;
	st->last_decoded = frame;
	if (frame > st->last_frame) {
		st->beyond++;
		return;
	}
	if (!st->seen_ns[frame])
		st->seen_ns[frame] = now;
	if (frame == st->last_frame && !st->final_seen_ns)
		st->final_seen_ns = now;
}

static void on_rect(rfbClient *cl, int x, int y, int w, int h)
{
	state_of(cl)->rects++;
}

static void on_copy_rect(rfbClient *cl, int sx, int sy, int w, int h, int dx, int dy)
{
	struct probe_state *st = state_of(cl);

	st->copyrects++;
	st->copy_rect(cl, sx, sy, w, h, dx, dy);
}

static void on_fill_rect(rfbClient *cl, int x, int y, int w, int h, uint32_t colour)
{
	struct probe_state *st = state_of(cl);

	st->fills++;
	st->fill_rect(cl, x, y, w, h, colour);
}

static void on_bitmap(rfbClient *cl, const uint8_t *buf, int x, int y, int w, int h)
{
	struct probe_state *st = state_of(cl);

	st->bitmaps++;
	st->bitmap(cl, buf, x, y, w, h);
}

static void quiet_log(const char *format, ...)
{
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of sorted v[0..n), n > 0. */
static uint64_t percentile(const uint64_t *v, size_t n, double p)
{
	size_t rank = (size_t)ceil(p / 100.0 * (double)n);

	return v[rank ? rank - 1 : 0];
}

/* Reads "frame ns" lines into log_ns[0..N] (0 = absent): lines read or -errno. */
static long read_frame_log(const char *path, uint32_t last_frame, uint64_t *log_ns)
{
	FILE *f = fopen(path, "r");
	unsigned long frame;
	unsigned long long ns;
	long lines = 0;

	if (!f)
		return -errno;
	while (fscanf(f, "%lu %llu", &frame, &ns) == 2) {
		if (frame <= last_frame)
			log_ns[frame] = ns;
		lines++;
	}
	fclose(f);
	return lines;
}

static void print_ms(const char *key, double ms, bool valid)
{
	if (valid)
		printf(",\"%s\":%.3f", key, ms);
	else
		printf(",\"%s\":null", key);
}

/* Prints the one JSON line of the run. */
static void report(struct probe_state *st, bool timed_out, const char *error)
{
	uint32_t n = st->last_frame;
	uint64_t *log_ns = calloc((size_t)n + 1, sizeof(uint64_t));
	uint64_t *lat = calloc((size_t)n + 1, sizeof(uint64_t));
	uint64_t bytes_total = st->client ? socket_bytes_received(st->client->sock) : 0;
	long logged = -1, diff = -1;
	size_t nlat = 0, seen = 0, missed = 0, negative = 0;
	uint32_t final_frame = bench_scenario_has_strip(st->opt.scenario) ? n : 0;
	bool final_ok = false;

	if (!log_ns || !lat) {
		fprintf(stderr, "bench-probe: out of memory\n");
		exit(1);
	}
	if (st->opt.log_path) {
		logged = read_frame_log(st->opt.log_path, n, log_ns);
		if (logged < 0)
			fprintf(stderr, "bench-probe: cannot read log %s: %s\n", st->opt.log_path,
				strerror((int)-logged));
	}
	for (uint32_t i = 1; i <= n && bench_scenario_has_strip(st->opt.scenario); i++) {
		if (st->seen_ns[i])
			seen++;
		if (logged > 0 && log_ns[i] && !st->seen_ns[i])
			missed++;
		if (logged > 0 && log_ns[i] && st->seen_ns[i]) {
			if (st->seen_ns[i] < log_ns[i])
				negative++; /* seen before logged: the write raced the log */
			else
				lat[nlat++] = st->seen_ns[i] - log_ns[i];
		}
	}
	qsort(lat, nlat, sizeof(lat[0]), cmp_u64);
	if (st->client && st->ready &&
	    (!bench_scenario_has_strip(st->opt.scenario) ||
	     (st->have_last && st->last_decoded == n))) {
		diff = picture_diff(st, final_frame, 0);
		final_ok = diff == 0;
	}

	printf("{\"label\":\"%s\",\"scenario\":\"%s\",\"encodings\":\"%s\"", st->opt.label,
	       bench_scenario_name(st->opt.scenario), st->opt.encodings);
	if (error)
		printf(",\"error\":\"%s\"", error);
	printf(",\"started_at_frame\":%u", st->ready_frame);
	printf(",\"width\":%d,\"height\":%d", st->client ? st->client->width : 0,
	       st->client ? st->client->height : 0);
	printf(",\"bytes\":%" PRIu64 ",\"bytes_total\":%" PRIu64,
	       st->ready ? bytes_total - st->bytes_at_ready : 0, bytes_total);
	printf(",\"updates\":%" PRIu64 ",\"rects\":%" PRIu64 ",\"copyrect\":%" PRIu64
	       ",\"fill\":%" PRIu64 ",\"bitmap\":%" PRIu64,
	       st->updates, st->rects, st->copyrects, st->fills, st->bitmaps);
	printf(",\"frames_expected\":%u,\"frames_logged\":%ld,\"frames_seen\":%zu"
	       ",\"frames_missed\":%zu,\"decode_failures\":%" PRIu64
	       ",\"undecoded_before_first\":%" PRIu64 ",\"regressions\":%" PRIu64
	       ",\"beyond_last\":%" PRIu64 ",\"seen_before_logged\":%zu",
	       n, logged, seen, missed, st->decode_failures, st->undecoded_before_first,
	       st->regressions, st->beyond, negative);
	print_ms("latency_ms_median", nlat ? percentile(lat, nlat, 50) / NS_PER_MS : 0, nlat > 0);
	print_ms("latency_ms_p95", nlat ? percentile(lat, nlat, 95) / NS_PER_MS : 0, nlat > 0);
	print_ms("latency_ms_max", nlat ? lat[nlat - 1] / NS_PER_MS : 0, nlat > 0);
	printf(",\"final_frame\":%u,\"final_match\":%s,\"final_diff_px\":%ld", final_frame,
	       final_ok ? "true" : "false", diff);
	printf(",\"timed_out\":%s}\n", timed_out ? "true" : "false");
	fflush(stdout);
	free(log_ns);
	free(lat);
}

static bool run_finished(struct probe_state *st, uint64_t now)
{
	if (!st->ready)
		return false;
	if (!bench_scenario_has_strip(st->opt.scenario))
		return now >= st->ready_ns + (uint64_t)(st->opt.observe_s * BENCH_NS_PER_S);
	return st->final_seen_ns &&
	       now >= st->final_seen_ns + (uint64_t)st->opt.linger_ms * 1000000u;
}

/* Connects and pumps messages until the run is over: 0, or -1 on error. */
static int run(struct probe_state *st, bool *timed_out, const char **error)
{
	rfbClient *cl = rfbGetClient(8, 3, 4);
	char *argv[] = { (char *)"bench-probe", NULL };
	int argc = 1;
	uint64_t deadline = fb_clock_now_ns() + (uint64_t)st->opt.timeout_s * BENCH_NS_PER_S;

	if (!cl) {
		*error = "rfbGetClient failed";
		return -1;
	}
	rfbClientSetClientData(cl, (void *)state_of, st);
	free(cl->serverHost); /* rfbGetClient's default "" */
	cl->serverHost = strdup(st->opt.host);
	cl->serverPort = st->opt.port;
	cl->appData.encodingsString = st->opt.encodings;
	cl->appData.shareDesktop = TRUE;
	if (st->opt.quality >= 0)
		cl->appData.qualityLevel = st->opt.quality;
	if (st->opt.compress >= 0)
		cl->appData.compressLevel = st->opt.compress;
	if (st->opt.no_jpeg)
		cl->appData.enableJPEG = FALSE;
	cl->connectTimeout = PROBE_CONNECT_TIMEOUT_S;
	cl->canHandleNewFBSize = TRUE;
	cl->FinishedFrameBufferUpdate = on_update_done;
	cl->GotFrameBufferUpdate = on_rect;
	st->copy_rect = cl->GotCopyRect;
	st->fill_rect = cl->GotFillRect;
	st->bitmap = cl->GotBitmap;
	cl->GotCopyRect = on_copy_rect;
	cl->GotFillRect = on_fill_rect;
	cl->GotBitmap = on_bitmap;
	st->client = cl;
	if (!rfbInitClient(cl, &argc, argv)) {
		/* rfbInitClient frees the client on failure. */
		st->client = NULL;
		*error = "cannot connect";
		return -1;
	}
	for (;;) {
		uint64_t now = fb_clock_now_ns();

		if (run_finished(st, now))
			return 0;
		if (now >= deadline) {
			*timed_out = true;
			return -1;
		}
		/* libvncclient 0.9.14's WaitForMessage ignores its own buffer. */
		if (cl->buffered == 0) {
			int ready = WaitForMessage(cl, PROBE_WAIT_SLICE_US);

			if (ready < 0) {
				*error = "select failed";
				return -1;
			}
			if (ready == 0)
				continue;
		}
		if (!HandleRFBServerMessage(cl)) {
			*error = "connection closed by the server";
			return -1;
		}
	}
}

static void usage(FILE *f)
{
	fputs("usage: bench-probe --port PORT --scenario small|text|full|idle [options]\n"
	      "  --host HOST          server address (default 127.0.0.1)\n"
	      "  --encodings LIST     libvncclient encodings, e.g. \"tight copyrect\" (default) or "
	      "raw\n"
	      "  --fps N --seconds S  the run's pacing (default 30, 10): the last frame is "
	      "round(S*N)\n"
	      "  --log FILE           the drawing client's frame log (frame_no monotonic_ns)\n"
	      "  --ready FILE         created once the first update has arrived\n"
	      "  --observe S          idle: seconds to watch after the first update (default S)\n"
	      "  --linger MS          after the last frame, keep counting bytes (default 1000)\n"
	      "  --timeout S          give up after S seconds (default 120)\n"
	      "  --quality N --compress N --no-jpeg   Tight settings (default: libvncclient's)\n"
	      "  --label TEXT         copied into the JSON line\n"
	      "  --verbose            one line per update on stderr\n",
	      f);
}

static int parse_uint_opt(const char *s, unsigned max, unsigned *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || !*s || *s == '-' || v > max)
		return -EINVAL;
	*out = (unsigned)v;
	return 0;
}

static int parse_args(int argc, char **argv, struct probe_options *o)
{
	static const struct option longopts[] = {
		{ "host", required_argument, NULL, 'H' },
		{ "port", required_argument, NULL, 'p' },
		{ "encodings", required_argument, NULL, 'e' },
		{ "scenario", required_argument, NULL, 's' },
		{ "fps", required_argument, NULL, 'f' },
		{ "seconds", required_argument, NULL, 'S' },
		{ "log", required_argument, NULL, 'l' },
		{ "ready", required_argument, NULL, 'r' },
		{ "observe", required_argument, NULL, 'o' },
		{ "linger", required_argument, NULL, 'L' },
		{ "timeout", required_argument, NULL, 't' },
		{ "quality", required_argument, NULL, 'q' },
		{ "compress", required_argument, NULL, 'c' },
		{ "no-jpeg", no_argument, NULL, 'J' },
		{ "label", required_argument, NULL, 'b' },
		{ "help", no_argument, NULL, 'h' },
		{ "verbose", no_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 },
	};
	bool have_scenario = false;
	unsigned u;
	int c;
	char *end;

	*o = (struct probe_options){
		.host = "127.0.0.1",
		.port = -1,
		.encodings = "tight copyrect",
		.fps = 30,
		.seconds = 10,
		.label = "",
		.timeout_s = PROBE_DEFAULT_TIMEOUT_S,
		.linger_ms = PROBE_DEFAULT_LINGER_MS,
		.observe_s = -1,
		.quality = -1,
		.compress = -1,
	};
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'H':
			o->host = optarg;
			break;
		case 'p':
			if (parse_uint_opt(optarg, 65535, &u) < 0 || u == 0)
				goto bad;
			o->port = (int)u;
			break;
		case 'e':
			o->encodings = optarg;
			break;
		case 's':
			if (bench_scenario_parse(optarg, &o->scenario) < 0)
				goto bad;
			have_scenario = true;
			break;
		case 'f':
			if (parse_uint_opt(optarg, BENCH_MAX_FPS, &o->fps) < 0 || o->fps == 0)
				goto bad;
			break;
		case 'S':
			o->seconds = strtod(optarg, &end);
			if (*end || !*optarg ||
			    !(o->seconds >= 0 && o->seconds <= BENCH_MAX_SECONDS))
				goto bad;
			break;
		case 'o':
			o->observe_s = strtod(optarg, &end);
			if (*end || !*optarg ||
			    !(o->observe_s >= 0 && o->observe_s <= BENCH_MAX_SECONDS))
				goto bad;
			break;
		case 'l':
			o->log_path = optarg;
			break;
		case 'r':
			o->ready_path = optarg;
			break;
		case 'L':
			if (parse_uint_opt(optarg, 600000, &o->linger_ms) < 0)
				goto bad;
			break;
		case 't':
			if (parse_uint_opt(optarg, 86400, &o->timeout_s) < 0 || o->timeout_s == 0)
				goto bad;
			break;
		case 'q':
			if (parse_uint_opt(optarg, 9, &u) < 0)
				goto bad;
			o->quality = (int)u;
			break;
		case 'c':
			if (parse_uint_opt(optarg, 9, &u) < 0)
				goto bad;
			o->compress = (int)u;
			break;
		case 'J':
			o->no_jpeg = true;
			break;
		case 'v':
			o->verbose = true;
			break;
		case 'b':
			o->label = optarg;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -EINVAL;
		}
	}
	if (optind != argc || o->port < 0 || !have_scenario) {
		fprintf(stderr, "bench-probe: --port and --scenario are required\n");
		usage(stderr);
		return -EINVAL;
	}
	if (o->observe_s < 0)
		o->observe_s = o->seconds;
	return 0;

bad:
	fprintf(stderr, "bench-probe: bad option value \"%s\"\n", optarg);
	return -EINVAL;
}

int main(int argc, char **argv)
{
	struct probe_state st;
	bool timed_out = false;
	const char *error = NULL;
	int ret;

	memset(&st, 0, sizeof(st));
	if (parse_args(argc, argv, &st.opt) < 0)
		return 2;
	st.last_frame = bench_frame_count(st.opt.seconds, st.opt.fps);
	if (st.last_frame >= PROBE_MAX_FRAMES) {
		fprintf(stderr, "bench-probe: too many frames (max %u)\n", PROBE_MAX_FRAMES);
		return 2;
	}
	st.seen_ns = calloc((size_t)st.last_frame + 1, sizeof(uint64_t));
	if (!st.seen_ns) {
		fprintf(stderr, "bench-probe: out of memory\n");
		return 1;
	}
	rfbClientLog = quiet_log;
	ret = run(&st, &timed_out, &error);
	if (ret < 0 && !timed_out)
		fprintf(stderr, "bench-probe: %s (%s:%d)\n", error, st.opt.host, st.opt.port);
	report(&st, timed_out, timed_out ? "timeout" : error);
	if (st.client) {
		free(st.client->frameBuffer);
		rfbClientCleanup(st.client);
	}
	free(st.seen_ns);
	return ret < 0 ? 1 : 0;
}
