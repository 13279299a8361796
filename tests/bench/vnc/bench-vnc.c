/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tests/bench/vnc/bench-vnc.c - bytes on the wire, server CPU per frame and
 * latency of the VNC frontend, against a baseline measured in the same run.
 *
 * The server is embedded: memory + fb + render thread + vnc, drawn by the
 * bench guest (server/guests/guest-bench.c) at 1920x1080. For every scenario (idle,
 * small = one moving 32x32 rectangle, text = a 600x400 area scrolling 16 px
 * per frame, full = full-frame change) and every encoding (raw, tight), one
 * run with the exact damage and one baseline run with fullframe=1 (the guest
 * marks the whole frame dirty every frame, bypassing the dirty bitmap's
 * precision). Each run has one client: bench-probe (libvncclient), a child
 * process, so this process's CPU (getrusage) is the server's, guest
 * included. Bytes are counted by the probe at its socket.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fb/fb.h"
#include "fb/clock.h"
#include "server/guests/guest-bench-scenes.h"
#include "server/guests/guest.h"
#include "server/lib/fbhost-internal.h"
#include "vnc/vnc.h"

extern char **environ;

#define BENCH_WIDTH_PX 1920u
#define BENCH_HEIGHT_PX 1080u
#define READY_TIMEOUT_MS 30000u
#define POLL_MS 5u
#define PROBE_SLACK_S 60u
/* CPU is sampled from this long before frame 1, so that every server
 * process measured (here and in run-peers.py) gets the same idle lead-in. */
#define CPU_LEAD_IN_NS 500000000ull
#define JSON_MAX_BYTES 4096

struct options {
	unsigned fps, rate_hz, settle_ms;
	double seconds;
	const char *scenarios[4];
	size_t n_scenarios;
	const char *encodings[4];
	size_t n_encodings;
	char probe[PATH_MAX];
	const char *tmpdir;
};

/* What one run measured. */
struct result {
	bool ok;
	double bytes, cpu_s, lat_median_ms, lat_p95_ms, frames_seen, frames_expected;
	double decode_failures, regressions;
	bool final_match;
	unsigned long long server_bytes; /* vnc_server_stats.bytes_sent */
};

static uint64_t cpu_ns_self(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * BENCH_NS_PER_S +
	       (uint64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000u;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

static void quiet_vnc_log(void *opaque, const char *line)
{
}

/* A number (or true/false) from the probe's JSON line; NAN if absent. */
static double json_number(const char *json, const char *key)
{
	char pattern[64];
	const char *p;

	snprintf(pattern, sizeof(pattern), "\"%s\":", key);
	p = strstr(json, pattern);
	if (!p)
		return NAN;
	p += strlen(pattern);
	if (strncmp(p, "true", 4) == 0)
		return 1;
	if (strncmp(p, "false", 5) == 0 || strncmp(p, "null", 4) == 0)
		return strncmp(p, "null", 4) == 0 ? NAN : 0;
	return strtod(p, NULL);
}

/* The frame-0 time in a guest log, or 0 if not there yet. */
static uint64_t log_frame0_ns(const char *path)
{
	FILE *f = fopen(path, "r");
	unsigned frame;
	unsigned long long ns = 0;

	if (!f)
		return 0;
	if (fscanf(f, "%u %llu", &frame, &ns) != 2 || frame != 0)
		ns = 0;
	fclose(f);
	return ns;
}

static int spawn_probe(const struct options *o, int port, const char *scenario,
		       const char *encoding, const char *log, const char *ready, const char *out,
		       pid_t *pid)
{
	char port_s[16], fps_s[16], seconds_s[32], timeout_s[16];
	const char *encs = strcmp(encoding, "tight") == 0 ? "tight copyrect" : encoding;
	posix_spawn_file_actions_t fa;
	int ret;

	snprintf(port_s, sizeof(port_s), "%d", port);
	snprintf(fps_s, sizeof(fps_s), "%u", o->fps);
	snprintf(seconds_s, sizeof(seconds_s), "%g", o->seconds);
	snprintf(timeout_s, sizeof(timeout_s), "%u",
		 (unsigned)(o->seconds + o->settle_ms / 1000.0) + PROBE_SLACK_S);
	char *argv[] = {
		(char *)o->probe,
		"--port",
		port_s,
		"--scenario",
		(char *)scenario,
		"--encodings",
		(char *)encs,
		"--fps",
		fps_s,
		"--seconds",
		seconds_s,
		"--log",
		(char *)log,
		"--ready",
		(char *)ready,
		"--timeout",
		timeout_s,
		"--label",
		(char *)encoding,
		NULL,
	};

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, out, O_WRONLY | O_CREAT | O_TRUNC,
					 0600);
	ret = posix_spawn(pid, o->probe, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	return -ret;
}

/* Waits for the probe's first update: 0, or -1 if it died or timed out. */
static int wait_ready(pid_t pid, const char *ready)
{
	struct stat sb;

	for (unsigned waited = 0; waited < READY_TIMEOUT_MS; waited += POLL_MS) {
		int status;

		if (stat(ready, &sb) == 0)
			return 0;
		if (waitpid(pid, &status, WNOHANG) == pid)
			return -1;
		sleep_ms(POLL_MS);
	}
	return -1;
}

/* One measured run: a fresh server, the guest, one probe. */
static struct result run_one(const struct options *o, const char *scenario, const char *encoding,
			     bool baseline)
{
	struct result res = { 0 };
	struct vnc_config vcfg;
	struct vnc_server_stats vs0, vs1;
	char err[256] = "", args[PATH_MAX + 128], log[PATH_MAX], ready[PATH_MAX], out[PATH_MAX];
	char json[JSON_MAX_BYTES] = "";
	const char *gerr = NULL;
	struct fbhost *host;
	struct fbhost_fb *hfb = NULL;
	struct fb_device *fb;
	struct vnc_server *vs;
	void *guest = NULL;
	uint64_t cpu0 = 0, cpu1, f0;
	pid_t pid;
	int status;
	FILE *f;

	snprintf(log, sizeof(log), "%s/bench-vnc-%d.log", o->tmpdir, (int)getpid());
	snprintf(ready, sizeof(ready), "%s/bench-vnc-%d.ready", o->tmpdir, (int)getpid());
	snprintf(out, sizeof(out), "%s/bench-vnc-%d.json", o->tmpdir, (int)getpid());
	unlink(ready);
	/* libfbhost's host and framebuffer; the VNC server goes straight on
	 * the device, to measure the frontend alone. */
	host = fbhost_new(&(struct fbhost_config){ .rate_hz = o->rate_hz });
	if (host)
		hfb = fbhost_fb_add(host, "bench", BENCH_WIDTH_PX, BENCH_HEIGHT_PX,
				    FBHOST_FORMAT_X8R8G8B8);
	if (!hfb) {
		fprintf(stderr, "bench-vnc: cannot set up the framebuffer: %s\n", strerror(errno));
		exit(1);
	}
	fb = hfb->dev;
	vnc_config_init(&vcfg);
	vcfg.port = VNC_PORT_ANY;
	vcfg.web_port = VNC_WEB_PORT_NONE;
	vcfg.log = quiet_vnc_log;
	vs = vnc_server_new(fb, &vcfg, err, sizeof(err));
	if (!vs) {
		fprintf(stderr, "bench-vnc: cannot start VNC: %s\n", err);
		exit(1);
	}
	snprintf(args, sizeof(args), "%s,fps=%u,seconds=%g,settle=%u,log=%s%s", scenario, o->fps,
		 o->seconds, o->settle_ms, log, baseline ? ",fullframe=1" : "");
	if (guest_bench_ops.start(host, hfb, args, &guest, &gerr) < 0) {
		fprintf(stderr, "bench-vnc: %s\n", gerr);
		exit(1);
	}
	if (spawn_probe(o, vnc_server_port(vs), scenario, encoding, log, ready, out, &pid) < 0) {
		fprintf(stderr, "bench-vnc: cannot run %s: %s\n", o->probe, strerror(errno));
		exit(1);
	}
	if (wait_ready(pid, ready) < 0) {
		fprintf(stderr, "bench-vnc: the probe did not connect (%s %s)\n", scenario,
			encoding);
		kill(pid, SIGTERM);
		waitpid(pid, &status, 0);
		goto out;
	}
	/* Measure from CPU_LEAD_IN_NS before frame 1. */
	f0 = log_frame0_ns(log);
	if (f0) {
		uint64_t t = f0 + (uint64_t)o->settle_ms * 1000000u;

		if (t > CPU_LEAD_IN_NS && fb_clock_now_ns() < t - CPU_LEAD_IN_NS)
			fb_clock_sleep_until_ns(t - CPU_LEAD_IN_NS);
	}
	cpu0 = cpu_ns_self();
	vnc_server_get_stats(vs, &vs0);
	waitpid(pid, &status, 0);
	cpu1 = cpu_ns_self();
	vnc_server_get_stats(vs, &vs1);
	f = fopen(out, "r");
	if (f) {
		if (!fgets(json, sizeof(json), f))
			json[0] = '\0';
		fclose(f);
	}
	res.ok = WIFEXITED(status) && WEXITSTATUS(status) == 0 && json[0];
	if (!res.ok)
		fprintf(stderr, "bench-vnc: probe failed (%s %s%s): %s\n", scenario, encoding,
			baseline ? " baseline" : "", json);
	res.bytes = json_number(json, "bytes");
	res.cpu_s = (double)(cpu1 - cpu0) / BENCH_NS_PER_S;
	res.lat_median_ms = json_number(json, "latency_ms_median");
	res.lat_p95_ms = json_number(json, "latency_ms_p95");
	res.frames_seen = json_number(json, "frames_seen");
	res.frames_expected = json_number(json, "frames_expected");
	res.decode_failures = json_number(json, "decode_failures");
	res.regressions = json_number(json, "regressions");
	res.final_match = json_number(json, "final_match") == 1;
	res.server_bytes = vs1.bytes_sent - vs0.bytes_sent;
out:
	guest_bench_ops.stop(guest);
	vnc_server_free(vs);
	fbhost_free(host);
	unlink(log);
	unlink(ready);
	unlink(out);
	return res;
}

static void print_ms(double v)
{
	if (isnan(v))
		printf(" – |");
	else
		printf(" %.1f |", v);
}

static void print_ratio(double num, double den)
{
	if (den > 0)
		printf(" %.4f |", num / den);
	else
		printf(" – |");
}

static int parse_list(char *s, const char **out, size_t max, size_t *n, const char *const *allowed)
{
	*n = 0;
	for (char *save = NULL, *tok = strtok_r(s, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		bool ok = false;

		for (const char *const *a = allowed; *a; a++)
			ok |= strcmp(*a, tok) == 0;
		if (!ok || *n == max)
			return -EINVAL;
		out[(*n)++] = tok;
	}
	return *n ? 0 : -EINVAL;
}

static void default_probe_path(char *path, size_t size)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *slash;

	if (n <= 0) {
		snprintf(path, size, "bench-probe");
		return;
	}
	self[n] = '\0';
	slash = strrchr(self, '/');
	if (slash)
		*slash = '\0';
	if (strlen(self) + sizeof("/../peers/bench-probe") > size) {
		snprintf(path, size, "bench-probe");
		return;
	}
	strcpy(path, self);
	strcat(path, "/../peers/bench-probe");
}

static void usage(FILE *f)
{
	fputs("usage: bench-vnc [--seconds S] [--fps N] [--rate HZ] [--settle MS]\n"
	      "                 [--scenarios idle,small,text,full] [--encodings raw,tight]\n"
	      "                 [--probe PATH]\n",
	      f);
}

static int parse_options(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "seconds", required_argument, NULL, 'S' },
		{ "fps", required_argument, NULL, 'f' },
		{ "rate", required_argument, NULL, 'r' },
		{ "settle", required_argument, NULL, 'w' },
		{ "scenarios", required_argument, NULL, 's' },
		{ "encodings", required_argument, NULL, 'e' },
		{ "probe", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const char *const scenarios[] = { "idle", "small", "text", "full", NULL };
	static const char *const encodings[] = { "raw", "tight", "zrle", "hextile", "zlib", NULL };
	static char scen_buf[64] = "idle,small,text,full", enc_buf[64] = "raw,tight";
	const char *err = NULL;
	char *end;
	int c;

	*o = (struct options){ .fps = 30, .rate_hz = 60, .settle_ms = 2000, .seconds = 10 };
	o->tmpdir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	default_probe_path(o->probe, sizeof(o->probe));
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'S':
			o->seconds = strtod(optarg, &end);
			if (*end || !*optarg)
				goto bad;
			break;
		case 'f':
			o->fps = (unsigned)strtoul(optarg, &end, 10);
			if (*end || !*optarg || *optarg == '-')
				goto bad;
			break;
		case 'r':
			o->rate_hz = (unsigned)strtoul(optarg, &end, 10);
			if (*end || !*optarg || *optarg == '-' || !o->rate_hz || o->rate_hz > 1000)
				goto bad;
			break;
		case 'w':
			o->settle_ms = (unsigned)strtoul(optarg, &end, 10);
			if (*end || !*optarg || *optarg == '-')
				goto bad;
			break;
		case 's':
			snprintf(scen_buf, sizeof(scen_buf), "%s", optarg);
			break;
		case 'e':
			snprintf(enc_buf, sizeof(enc_buf), "%s", optarg);
			break;
		case 'p':
			snprintf(o->probe, sizeof(o->probe), "%s", optarg);
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -EINVAL;
		}
	}
	if (optind != argc)
		goto bad_usage;
	if (parse_list(scen_buf, o->scenarios, 4, &o->n_scenarios, scenarios) < 0) {
		fprintf(stderr, "bench-vnc: --scenarios takes idle, small, text, full\n");
		return -EINVAL;
	}
	if (parse_list(enc_buf, o->encodings, 4, &o->n_encodings, encodings) < 0) {
		fprintf(stderr, "bench-vnc: --encodings takes up to 4 of raw, tight, zrle, "
				"hextile, zlib\n");
		return -EINVAL;
	}
	if (bench_pacing_check(o->fps, o->seconds, o->settle_ms, &err) < 0) {
		fprintf(stderr, "bench-vnc: %s\n", err);
		return -EINVAL;
	}
	if (access(o->probe, X_OK) < 0) {
		fprintf(stderr, "bench-vnc: no probe at %s (build tests/bench/peers, or --probe)\n",
			o->probe);
		return -ENOENT;
	}
	return 0;

bad:
	fprintf(stderr, "bench-vnc: bad option value \"%s\"\n", optarg);
bad_usage:
	usage(stderr);
	return -EINVAL;
}

int main(int argc, char **argv)
{
	struct options o;
	struct result exact[4][4], base[4][4];
	double tick_ms, frames;
	const double full_frame_bytes = 4.0 * BENCH_WIDTH_PX * BENCH_HEIGHT_PX;
	bool all_met = true;

	if (parse_options(argc, argv, &o) < 0)
		return 2;
	frames = bench_frame_count(o.seconds, o.fps);
	tick_ms = 1000.0 / o.fps;
	for (size_t s = 0; s < o.n_scenarios; s++)
		for (size_t e = 0; e < o.n_encodings; e++) {
			fprintf(stderr, "bench-vnc: %s %s ...\n", o.scenarios[s], o.encodings[e]);
			exact[s][e] = run_one(&o, o.scenarios[s], o.encodings[e], false);
			base[s][e] = run_one(&o, o.scenarios[s], o.encodings[e], true);
		}

	printf("## bench-vnc: %ux%u, %u fps, %g s (%g frames), render %u Hz, one client\n\n",
	       BENCH_WIDTH_PX, BENCH_HEIGHT_PX, o.fps, o.seconds, frames, o.rate_hz);
	printf("Baseline: the same server, the guest marking the whole frame dirty every frame.\n"
	       "\"vs raw frames\": bytes / (frames x one raw full frame, %.0f bytes).\n\n",
	       full_frame_bytes);
	printf("| scenario | enc | bytes | bytes/frame | server CPU ms/frame | latency median ms |"
	       " p95 ms | frames seen | torn (strip fails) | final exact | baseline bytes |"
	       " bytes ratio |"
	       " baseline CPU ms/frame | CPU ratio | baseline latency ms | vs raw frames |\n");
	printf("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
	for (size_t s = 0; s < o.n_scenarios; s++)
		for (size_t e = 0; e < o.n_encodings; e++) {
			struct result *x = &exact[s][e], *b = &base[s][e];

			printf("| %s | %s | %.0f | %.1f | %.3f |", o.scenarios[s], o.encodings[e],
			       x->bytes, x->bytes / frames, x->cpu_s * 1000 / frames);
			print_ms(x->lat_median_ms);
			print_ms(x->lat_p95_ms);
			if (strcmp(o.scenarios[s], "idle") == 0)
				printf(" – | – |");
			else
				printf(" %.0f/%.0f | %.0f |", x->frames_seen, x->frames_expected,
				       x->decode_failures);
			printf(" %s | %.0f |", x->final_match ? "yes" : "no", b->bytes);
			print_ratio(x->bytes, b->bytes);
			printf(" %.3f |", b->cpu_s * 1000 / frames);
			print_ratio(x->cpu_s, b->cpu_s);
			print_ms(b->lat_median_ms);
			printf(" %.5f |\n", x->bytes / (frames * full_frame_bytes));
		}

	printf("\nTargets:\n");
	for (size_t s = 0; s < o.n_scenarios; s++)
		for (size_t e = 0; e < o.n_encodings; e++) {
			struct result *x = &exact[s][e], *b = &base[s][e];
			const char *sc = o.scenarios[s], *en = o.encodings[e];
			bool met;

			if (!x->ok || !b->ok) {
				printf("- %s %s: run FAILED\n", sc, en);
				all_met = false;
				continue;
			}
			if (strcmp(sc, "idle") == 0) {
				met = x->bytes == 0;
				printf("- idle %s: %.0f bytes after the first frame (target 0): "
				       "%s\n",
				       en, x->bytes, met ? "met" : "NOT MET");
				all_met &= met;
				continue;
			}
			if (strcmp(sc, "small") == 0) {
				met = x->bytes <= 0.01 * b->bytes;
				printf("- small %s: %.3f%% of the baseline's bytes (target <= "
				       "1%%): %s\n",
				       en, b->bytes > 0 ? 100 * x->bytes / b->bytes : NAN,
				       met ? "met" : "NOT MET");
				printf("  (the cell refinement makes the baseline send the same "
				       "bytes; "
				       "against one raw full frame per frame, %.0f bytes, it is "
				       "%.4f%%)\n",
				       frames * full_frame_bytes,
				       100 * x->bytes / (frames * full_frame_bytes));
				all_met &= met;
			}
			met = !isnan(x->lat_median_ms) && x->lat_median_ms <= tick_ms + 5;
			printf("- %s %s: median latency %.1f ms (target <= %.1f ms): %s\n", sc, en,
			       x->lat_median_ms, tick_ms + 5, met ? "met" : "NOT MET");
			all_met &= met;
		}
	printf("\n%s\n", all_met ? "All targets met." : "Some targets NOT met.");
	return 0;
}
