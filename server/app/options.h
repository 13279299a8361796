/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * server/app/options.h - the fbhost program's command line (getopt_long) and
 * the small value parsers it shares with the control socket (framebuffer
 * specs, modes, addresses). Public prefix: opt_.
 */
#ifndef FBHOST_SERVER_OPTIONS_H
#define FBHOST_SERVER_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "server/lib/fbhost-name.h"
#include "server/lib/fbhost.h"

#define OPT_MAX_FRAMEBUFFERS 16u
#define OPT_NAME_MAX_BYTES FBHOST_NAME_MAX_BYTES
#define OPT_DEFAULT_WIDTH_PX 1024u
#define OPT_DEFAULT_HEIGHT_PX 768u
#define OPT_DEFAULT_VNC_PORT 5900
#define OPT_DEFAULT_WEB_PORT 5800
#define OPT_DEFAULT_RATE_HZ 60u
#define OPT_ERROR_MAX_BYTES 256u
/* Longest path accepted for --control (sun_path holds 108 bytes). */
#define OPT_SOCKET_PATH_MAX_BYTES 107u

/* One --fb NAME:WxH[:FORMAT]. */
struct opt_fb {
	char name[OPT_NAME_MAX_BYTES + 1];
	uint32_t width;
	uint32_t height;
	enum fbhost_format format;
};

/* Everything the command line says. Strings point into argv or are static. */
struct opt_config {
	struct opt_fb fbs[OPT_MAX_FRAMEBUFFERS];
	unsigned nfbs;
	const char *guest;	/* "demo", "pattern", "bench", "none" */
	const char *guest_args; /* text after "guest:", or NULL */
	bool vnc_on;
	char vnc_host[64]; /* "" = loopback */
	int vnc_port;	   /* base port; 0 = any free port */
	bool web_on;
	int web_port;	      /* base port; 0 = any free port */
	bool web_given;	      /* --web appeared */
	const char *web_root; /* NULL = default */
	bool sdl;
	struct fbhost_sdl_options sdl_opts; /* from --sdl=OPTIONS */
	const char *password_file;
	bool insecure;
	const char *cert_file;
	bool tls_only; /* --tls-only */
	unsigned rate_hz;
	const char *control_path; /* NULL = default; "none" = no socket */
	enum fbhost_log_level log_level;
	bool check; /* --check: answer one viewer of each port, then exit */
	bool help;
	bool version;
};

/* What opt_parse found. */
enum opt_result {
	OPT_RUN = 0,	/* start the server */
	OPT_EXIT_OK,	/* --help or --version was printed */
	OPT_EXIT_USAGE, /* error: err holds one line */
};

/* Parses argv into cfg (defaults filled in). Prints --help/--version to
 * stdout. On OPT_EXIT_USAGE err holds a line such as
 * "--fb: bad size \"0x5\" (expected WxH, 1..16384)". */
enum opt_result opt_parse(int argc, char **argv, struct opt_config *cfg, char *err, size_t errlen);
void opt_print_help(const char *prog);

/* "WxH[:FORMAT]": 0 or -EINVAL with err. format_out is left unchanged when
 * no format is given. */
int opt_parse_mode(const char *s, uint32_t *w, uint32_t *h, enum fbhost_format *format,
		   bool *has_format, char *err, size_t errlen);
/* "NAME:WxH[:FORMAT]" */
int opt_parse_fb(const char *s, struct opt_fb *out, char *err, size_t errlen);
/* "HOST:PORT", ":DISPLAY", "PORT", "[V6]:PORT" or "none". port 0 = any. */
int opt_parse_vnc(const char *s, bool *on, char *host, size_t hostlen, int *port, char *err,
		  size_t errlen);
/* Decimal in [min, max], the whole string. 0 or -EINVAL. */
int opt_parse_uint(const char *s, unsigned long min, unsigned long max, unsigned long *out);

#endif
