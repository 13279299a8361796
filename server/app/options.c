/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * server/app/options.c - the fbhost program's command line, parsed with
 * getopt_long into struct opt_config. Every bad option or value yields one
 * line naming the option and what was expected.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "server/app/options.h"

static int opt_fail(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int opt_fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

int opt_parse_uint(const char *s, unsigned long min, unsigned long max, unsigned long *out)
{
	unsigned long v;
	char *end;

	if (!s || s[0] < '0' || s[0] > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

int opt_parse_mode(const char *s, uint32_t *w, uint32_t *h, enum fbhost_format *format,
		   bool *has_format, char *err, size_t errlen)
{
	char buf[64];
	char *x, *colon;
	unsigned long vw, vh;

	if (!s || strlen(s) >= sizeof(buf))
		return opt_fail(err, errlen, "bad mode \"%.40s\" (expected WxH[:FORMAT])",
				s ? s : "");
	strcpy(buf, s);
	colon = strchr(buf, ':');
	if (colon)
		*colon++ = '\0';
	x = strchr(buf, 'x');
	if (!x)
		return opt_fail(err, errlen, "bad size \"%s\" (expected WxH, e.g. 1024x768)", buf);
	*x++ = '\0';
	if (opt_parse_uint(buf, 1, FBHOST_MAX_SIDE_PX, &vw) ||
	    opt_parse_uint(x, 1, FBHOST_MAX_SIDE_PX, &vh))
		return opt_fail(err, errlen, "bad size \"%s\" (expected WxH, each 1..%u)", s,
				FBHOST_MAX_SIDE_PX);
	*w = (uint32_t)vw;
	*h = (uint32_t)vh;
	if (has_format)
		*has_format = colon != NULL;
	if (colon) {
		enum fbhost_format f = fbhost_format_parse(colon);

		if (f == FBHOST_FORMAT_INVALID)
			return opt_fail(err, errlen,
					"unknown format \"%.32s\" (expected c8, x1r5g5b5, r5g6b5, "
					"r8g8b8, x8r8g8b8, a8r8g8b8, 8, 15, 16, 24 or 32)",
					colon);
		*format = f;
	}
	return 0;
}

int opt_parse_fb(const char *s, struct opt_fb *out, char *err, size_t errlen)
{
	const char *colon = strchr(s, ':');
	size_t n = colon ? (size_t)(colon - s) : 0;

	switch (colon ? fbhost_name_check(s, n) : FBHOST_NAME_BAD_LENGTH) {
	case FBHOST_NAME_OK:
		break;
	case FBHOST_NAME_BAD_LENGTH:
		return opt_fail(err, errlen,
				"bad framebuffer \"%.40s\" (expected NAME:WxH[:FORMAT], NAME of "
				"1..%u characters)",
				s, OPT_NAME_MAX_BYTES);
	case FBHOST_NAME_BAD_CHAR:
		return opt_fail(err, errlen,
				"bad framebuffer name \"%.*s\" (use A-Z a-z 0-9 _ . -)", (int)n, s);
	case FBHOST_NAME_ALL_DIGITS:
		return opt_fail(err, errlen,
				"bad framebuffer name \"%.*s\" (must not be all digits: ids are)",
				(int)n, s);
	}
	memcpy(out->name, s, n);
	out->name[n] = '\0';
	out->format = FBHOST_FORMAT_X8R8G8B8;
	return opt_parse_mode(colon + 1, &out->width, &out->height, &out->format, NULL, err,
			      errlen);
}

int opt_parse_vnc(const char *s, bool *on, char *host, size_t hostlen, int *port, char *err,
		  size_t errlen)
{
	const char *colon;
	unsigned long v;
	char buf[64];
	unsigned char addr[16];

	if (strcmp(s, "none") == 0) {
		*on = false;
		return 0;
	}
	*on = true;
	host[0] = '\0';
	if (s[0] == ':') { /* :DISPLAY */
		if (opt_parse_uint(s + 1, 0, 65535 - OPT_DEFAULT_VNC_PORT, &v))
			return opt_fail(err, errlen, "bad display \"%.40s\" (expected :N, N >= 0)",
					s);
		*port = OPT_DEFAULT_VNC_PORT + (int)v;
		return 0;
	}
	colon = strrchr(s, ':');
	if (!colon) { /* PORT */
		if (opt_parse_uint(s, 0, 65535, &v))
			return opt_fail(err, errlen,
					"bad VNC address \"%.40s\" (expected HOST:PORT, :DISPLAY, "
					"PORT or none)",
					s);
		*port = (int)v;
		return 0;
	}
	if (opt_parse_uint(colon + 1, 0, 65535, &v))
		return opt_fail(err, errlen, "bad VNC port in \"%.40s\" (expected 0..65535)", s);
	*port = (int)v;
	if ((size_t)(colon - s) >= sizeof(buf) || colon == s)
		return opt_fail(err, errlen, "bad VNC host in \"%.40s\"", s);
	memcpy(buf, s, (size_t)(colon - s));
	buf[colon - s] = '\0';
	if (buf[0] == '[') { /* [v6]:port */
		size_t n = strlen(buf);

		if (n < 3 || buf[n - 1] != ']')
			return opt_fail(err, errlen, "bad VNC host in \"%.40s\"", s);
		buf[n - 1] = '\0';
		memmove(buf, buf + 1, n - 1);
	}
	if (strcmp(buf, "localhost") == 0)
		return 0; /* loopback, the default */
	if (strcmp(buf, "*") != 0 && inet_pton(AF_INET, buf, addr) != 1 &&
	    inet_pton(AF_INET6, buf, addr) != 1)
		return opt_fail(err, errlen,
				"bad VNC host \"%s\" (expected an IPv4 or IPv6 address, localhost "
				"or *)",
				buf);
	if (strlen(buf) >= hostlen)
		return opt_fail(err, errlen, "VNC host \"%s\" too long", buf);
	strcpy(host, buf);
	return 0;
}

/* 127.0.0.0/8 or ::1 */
static bool opt_is_loopback(const char *host)
{
	struct in_addr a4;
	struct in6_addr a6;

	if (inet_pton(AF_INET, host, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	return inet_pton(AF_INET6, host, &a6) == 1 && IN6_IS_ADDR_LOOPBACK(&a6);
}

enum {
	OPT_VNC = 256,
	OPT_WEB,
	OPT_WEB_ROOT,
	OPT_SDL,
	OPT_PASSWORD_FILE,
	OPT_INSECURE,
	OPT_TLS_ONLY,
	OPT_CERT,
	OPT_RATE,
	OPT_CONTROL,
	OPT_LOG_LEVEL,
	OPT_CHECK,
};

static const struct option opt_long[] = {
	{ "fb", required_argument, NULL, 'f' },
	{ "guest", required_argument, NULL, 'g' },
	{ "vnc", required_argument, NULL, OPT_VNC },
	{ "web", required_argument, NULL, OPT_WEB },
	{ "web-root", required_argument, NULL, OPT_WEB_ROOT },
	{ "sdl", optional_argument, NULL, OPT_SDL },
	{ "password-file", required_argument, NULL, OPT_PASSWORD_FILE },
	{ "insecure", no_argument, NULL, OPT_INSECURE },
	{ "tls-only", no_argument, NULL, OPT_TLS_ONLY },
	{ "cert", required_argument, NULL, OPT_CERT },
	{ "rate", required_argument, NULL, OPT_RATE },
	{ "control", required_argument, NULL, OPT_CONTROL },
	{ "log-level", required_argument, NULL, OPT_LOG_LEVEL },
	{ "check", no_argument, NULL, OPT_CHECK },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

void opt_print_help(const char *prog)
{
	printf("Usage: %s [OPTION]...\n"
	       "Serve emulated guest framebuffers over VNC, a noVNC web viewer and SDL.\n"
	       "\n"
	       "  -f, --fb NAME:WxH[:FORMAT]  add a framebuffer (repeatable; default\n"
	       "                              main:1024x768:x8r8g8b8). FORMAT: c8, x1r5g5b5,\n"
	       "                              r5g6b5, r8g8b8, x8r8g8b8, a8r8g8b8 or 8/15/16/24/32\n"
	       "  -g, --guest NAME[:ARGS]     guest drawing each framebuffer: demo (default),\n"
	       "                              pattern, bench:SCENARIO[,fps=N,...],\n"
	       "                              qemu:DBUS_ADDRESS[,console=N] (a running QEMU\n"
	       "                              with -display dbus), qemu:qmp:PATH[,console=N]\n"
	       "                              (-display dbus,p2p=yes), or none\n"
	       "                              (none: guests in other processes attach)\n"
	       "      --vnc HOST:PORT|:N|PORT|none\n"
	       "                              VNC listen address (default 127.0.0.1:5900);\n"
	       "                              framebuffer i gets PORT+i; port 0 = any free port\n"
	       "      --web PORT|none         noVNC web viewer base port (default: VNC port-100,\n"
	       "                              i.e. 5800); framebuffer i gets PORT+i; 0 = any\n"
	       "      --web-root DIR          directory holding viewer.html and noVNC\n"
	       "      --sdl[=OPTIONS]         open an SDL window per framebuffer; OPTIONS:\n"
	       "                              comma list of integer-scale, resize, no-quit,\n"
	       "                              fullscreen\n"
	       "      --password-file FILE    VNC password (first line of FILE; a second\n"
	       "                              line is a view-only password)\n"
	       "      --insecure              allow a non-loopback VNC listen without password\n"
	       "      --cert FILE             PEM file: certificate and key, for VeNCrypt\n"
	       "                              (X509) on the VNC port, wss:// and the https\n"
	       "                              viewer\n"
	       "      --tls-only              refuse VNC clients without TLS (needs --cert)\n"
	       "      --rate HZ               render rate, 1..%u (default %u)\n"
	       "      --control PATH|none     control socket (default\n"
	       "                              $XDG_RUNTIME_DIR/fbhost.sock or\n"
	       "                              /tmp/fbhost-UID/fbhost.sock)\n"
	       "      --log-level LEVEL       error, warn, info (default) or debug\n"
	       "      --check                 start, connect to every VNC port (and viewer)\n"
	       "                              as a client once, report and exit (0 = ok)\n"
	       "  -h, --help                  show this help and exit\n"
	       "  -V, --version               show the version and exit\n"
	       "\n"
	       "Control it with fbhost-ctl (see fbhost(1)). Stops on SIGINT or SIGTERM.\n",
	       prog, FBHOST_MAX_RATE_HZ, OPT_DEFAULT_RATE_HZ);
}

static void opt_defaults(struct opt_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->guest = "demo";
	cfg->vnc_on = true;
	cfg->vnc_port = OPT_DEFAULT_VNC_PORT;
	cfg->web_on = true;
	cfg->web_port = -1; /* resolved after parsing: VNC port - 100 */
	cfg->rate_hz = OPT_DEFAULT_RATE_HZ;
	cfg->log_level = FBHOST_LOG_INFO;
}

/* Whether path names a readable regular file; err otherwise. */
static int opt_check_file(const char *opt, const char *path, char *err, size_t errlen)
{
	if (access(path, R_OK) != 0)
		return opt_fail(err, errlen, "%s: cannot read \"%.100s\": %s", opt, path,
				strerror(errno));
	return 0;
}

/* Largest certificate file read for the PEM check. */
#define OPT_CERT_MAX_BYTES (1024 * 1024)
/* Longest --sdl=OPTIONS value. */
#define OPT_SDL_MAX_BYTES 128

/* --cert names one PEM file holding the certificate and its private key
 * (LibVNCServer reads it only at the first wss handshake: check it now). */
static int opt_check_cert(const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	char *buf;
	size_t n;
	bool ok;

	if (!f)
		return opt_fail(err, errlen, "--cert: cannot read \"%.100s\": %s", path,
				strerror(errno));
	buf = calloc(1, OPT_CERT_MAX_BYTES + 1);
	n = buf ? fread(buf, 1, OPT_CERT_MAX_BYTES, f) : 0;
	fclose(f);
	ok = buf && memmem(buf, n, "-----BEGIN CERTIFICATE-----", 27) &&
	     memmem(buf, n, "PRIVATE KEY-----", 16);
	free(buf);
	if (!ok)
		return opt_fail(err, errlen,
				"--cert: \"%.100s\" must be a PEM file with the certificate and "
				"its private key",
				path);
	return 0;
}

/* --sdl=OPTIONS: a comma list of integer-scale, resize, no-quit, fullscreen
 * (NULL: defaults). 0 or -EINVAL with the message in err. */
static int opt_parse_sdl(const char *arg, struct fbhost_sdl_options *so, char *err, size_t errlen)
{
	char buf[OPT_SDL_MAX_BYTES], *save = NULL;

	*so = (struct fbhost_sdl_options){ 0 };
	if (!arg)
		return 0;
	if (strlen(arg) >= sizeof(buf))
		return opt_fail(err, errlen, "--sdl: options too long");
	strcpy(buf, arg);
	for (char *w = strtok_r(buf, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
		if (strcmp(w, "integer-scale") == 0)
			so->integer_scale = true;
		else if (strcmp(w, "resize") == 0)
			so->resize_requests = true;
		else if (strcmp(w, "no-quit") == 0)
			so->no_quit = true;
		else if (strcmp(w, "fullscreen") == 0)
			so->fullscreen = true;
		else
			return opt_fail(err, errlen,
					"--sdl: unknown option \"%.40s\" (expected integer-scale, "
					"resize, no-quit or fullscreen)",
					w);
	}
	return 0;
}

static int opt_one(int c, const char *arg, struct opt_config *cfg, char *err, size_t errlen)
{
	char sub[OPT_ERROR_MAX_BYTES];
	unsigned long v;
	unsigned i;

	switch (c) {
	case 'f':
		if (cfg->nfbs >= OPT_MAX_FRAMEBUFFERS)
			return opt_fail(err, errlen, "--fb: at most %u framebuffers",
					OPT_MAX_FRAMEBUFFERS);
		if (opt_parse_fb(arg, &cfg->fbs[cfg->nfbs], sub, sizeof(sub)))
			return opt_fail(err, errlen, "--fb: %s", sub);
		for (i = 0; i < cfg->nfbs; i++)
			if (strcmp(cfg->fbs[i].name, cfg->fbs[cfg->nfbs].name) == 0)
				return opt_fail(err, errlen, "--fb: name \"%s\" used twice",
						cfg->fbs[i].name);
		cfg->nfbs++;
		return 0;
	case 'g': {
		const char *colon = strchr(arg, ':');
		size_t n = colon ? (size_t)(colon - arg) : strlen(arg);
		static const char *const names[] = { "demo", "pattern", "bench", "qemu", "none" };

		for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			if (strlen(names[i]) == n && strncmp(names[i], arg, n) == 0)
				break;
		if (i == sizeof(names) / sizeof(names[0]))
			return opt_fail(err, errlen,
					"--guest: unknown guest \"%.*s\" (expected demo, pattern, "
					"bench, qemu or none)",
					(int)(n > 40 ? 40 : n), arg);
		cfg->guest = names[i];
		cfg->guest_args = colon ? colon + 1 : NULL;
		return 0;
	}
	case OPT_VNC:
		if (opt_parse_vnc(arg, &cfg->vnc_on, cfg->vnc_host, sizeof(cfg->vnc_host),
				  &cfg->vnc_port, sub, sizeof(sub)))
			return opt_fail(err, errlen, "--vnc: %s", sub);
		return 0;
	case OPT_WEB:
		cfg->web_given = true;
		if (strcmp(arg, "none") == 0) {
			cfg->web_on = false;
			return 0;
		}
		if (opt_parse_uint(arg, 0, 65535, &v))
			return opt_fail(err, errlen,
					"--web: bad port \"%.40s\" (expected 0..65535 or none)",
					arg);
		cfg->web_on = true;
		cfg->web_port = (int)v;
		return 0;
	case OPT_WEB_ROOT:
		cfg->web_root = arg;
		return 0;
	case OPT_SDL:
		cfg->sdl = true;
		return opt_parse_sdl(arg, &cfg->sdl_opts, err, errlen);
	case OPT_PASSWORD_FILE:
		cfg->password_file = arg;
		return opt_check_file("--password-file", arg, err, errlen);
	case OPT_TLS_ONLY:
		cfg->tls_only = true;
		return 0;
	case OPT_INSECURE:
		cfg->insecure = true;
		return 0;
	case OPT_CHECK:
		cfg->check = true;
		return 0;
	case OPT_CERT:
		cfg->cert_file = arg;
		return opt_check_cert(arg, err, errlen);
	case OPT_RATE:
		if (opt_parse_uint(arg, 1, FBHOST_MAX_RATE_HZ, &v))
			return opt_fail(err, errlen,
					"--rate: bad rate \"%.40s\" (expected 1..%u Hz)", arg,
					FBHOST_MAX_RATE_HZ);
		cfg->rate_hz = (unsigned)v;
		return 0;
	case OPT_CONTROL:
		if (!arg[0] || strlen(arg) > OPT_SOCKET_PATH_MAX_BYTES)
			return opt_fail(err, errlen,
					"--control: path must be 1..%u bytes (or none)",
					OPT_SOCKET_PATH_MAX_BYTES);
		cfg->control_path = arg;
		return 0;
	case OPT_LOG_LEVEL: {
		static const char *const levels[] = { "error", "warn", "info", "debug" };

		for (i = 0; i < 4; i++)
			if (strcmp(arg, levels[i]) == 0) {
				cfg->log_level = (enum fbhost_log_level)i;
				return 0;
			}
		return opt_fail(err, errlen,
				"--log-level: unknown level \"%.40s\" (expected error, warn, info "
				"or debug)",
				arg);
	}
	case 'h':
		cfg->help = true;
		return 0;
	case 'V':
		cfg->version = true;
		return 0;
	}
	return opt_fail(err, errlen, "internal error: option %d", c);
}

enum opt_result opt_parse(int argc, char **argv, struct opt_config *cfg, char *err, size_t errlen)
{
	int c, idx;

	opt_defaults(cfg);
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":f:g:hV", opt_long, &idx)) != -1) {
		const char *bad = argv[optind - 1] ? argv[optind - 1] : "";

		if (c == '?') {
			if (optopt)
				opt_fail(err, errlen, "unknown option -%c (see --help)", optopt);
			else
				opt_fail(err, errlen, "unknown option %.60s (see --help)", bad);
			return OPT_EXIT_USAGE;
		}
		if (c == ':') {
			opt_fail(err, errlen, "option %.60s needs a value (see --help)", bad);
			return OPT_EXIT_USAGE;
		}
		if (opt_one(c, optarg, cfg, err, errlen))
			return OPT_EXIT_USAGE;
	}
	if (optind < argc) {
		opt_fail(err, errlen, "unexpected argument \"%.60s\" (see --help)", argv[optind]);
		return OPT_EXIT_USAGE;
	}
	if (cfg->help) {
		opt_print_help(argv[0]);
		return OPT_EXIT_OK;
	}
	if (cfg->version) {
		printf("fbhost %s\n", FBHOST_VERSION_STRING);
		return OPT_EXIT_OK;
	}
	if (cfg->nfbs == 0) {
		struct opt_fb *fb = &cfg->fbs[cfg->nfbs++];

		strcpy(fb->name, "main");
		fb->width = OPT_DEFAULT_WIDTH_PX;
		fb->height = OPT_DEFAULT_HEIGHT_PX;
		fb->format = FBHOST_FORMAT_X8R8G8B8;
	}
	if (cfg->vnc_on && cfg->vnc_port && cfg->vnc_port + (int)cfg->nfbs - 1 > 65535) {
		opt_fail(err, errlen, "--vnc: ports %d..%d exceed 65535", cfg->vnc_port,
			 cfg->vnc_port + (int)cfg->nfbs - 1);
		return OPT_EXIT_USAGE;
	}
	if (cfg->vnc_on && cfg->vnc_host[0] && !opt_is_loopback(cfg->vnc_host) &&
	    !cfg->password_file && !cfg->insecure) {
		opt_fail(err, errlen,
			 "--vnc: listening on %s needs --password-file FILE (or --insecure)",
			 cfg->vnc_host);
		return OPT_EXIT_USAGE;
	}
	if (cfg->tls_only && !cfg->cert_file) {
		opt_fail(err, errlen, "--tls-only needs --cert FILE");
		return OPT_EXIT_USAGE;
	}
	if (!cfg->vnc_on && !cfg->web_given)
		cfg->web_on = false;
	if (cfg->web_on && cfg->web_port < 0)
		cfg->web_port = cfg->vnc_port > 100 ? cfg->vnc_port - 100 : 0;
	if (cfg->web_on && !cfg->vnc_on) {
		opt_fail(err, errlen,
			 "--web needs VNC (the viewer connects to the VNC port); "
			 "use --web none with --vnc none");
		return OPT_EXIT_USAGE;
	}
	if (cfg->web_on && cfg->web_port && cfg->web_port + (int)cfg->nfbs - 1 > 65535) {
		opt_fail(err, errlen, "--web: ports %d..%d exceed 65535", cfg->web_port,
			 cfg->web_port + (int)cfg->nfbs - 1);
		return OPT_EXIT_USAGE;
	}
	if (cfg->vnc_on && cfg->web_on && cfg->vnc_port && cfg->web_port) {
		int v0 = cfg->vnc_port, w0 = cfg->web_port, n = (int)cfg->nfbs;

		if (w0 < v0 + n && v0 < w0 + n) {
			opt_fail(err, errlen, "--web: ports %d..%d overlap the VNC ports %d..%d",
				 w0, w0 + n - 1, v0, v0 + n - 1);
			return OPT_EXIT_USAGE;
		}
	}
	return OPT_RUN;
}
