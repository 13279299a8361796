/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vnc/vnc-log.c - log lines of the VNC frontend, and LibVNCServer's own
 * logging routed away from stdout.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "vnc/vnc-internal.h"

void vnc_log(struct vnc_server *s, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (s && s->cfg.log)
		s->cfg.log(s->cfg.log_opaque, line);
	else
		fprintf(stderr, "fbhost-vnc: %s\n", line);
}

/* LibVNCServer's informational chatter (encodings enabled, etc.) is
 * dropped: our own connect/disconnect lines say what matters. */
static void lvs_quiet(const char *format, ...)
{
	(void)format;
}

/* Its errors go to stderr with a prefix. */
static void lvs_err(const char *format, ...)
{
	char line[512];
	va_list ap;
	size_t n;

	va_start(ap, format);
	vsnprintf(line, sizeof(line), format, ap);
	va_end(ap);
	n = strlen(line);
	while (n > 0 && line[n - 1] == '\n')
		line[--n] = '\0';
	/* Widths that are not a multiple of 4 are fine for every viewer we
	 * serve; the warning on each such mode switch is noise. */
	if (strstr(line, "is not a multiple of 4"))
		return;
	/* rfbNewClient on the edge's socketpair: no TCP peer to name and no
	 * TCP_NODELAY to set (the edge set it on the real socket). */
	if (strstr(line, "error in getnameinfo") || strstr(line, "can't set TCP_NODELAY"))
		return;
	fprintf(stderr, "fbhost-vnc: libvncserver: %s\n", line);
}

void vnc_log_install_libvncserver(void)
{
	/* rfbLog/rfbErr are process-wide pointers; every server installs the
	 * same functions, so concurrent installs store identical values. */
	rfbLog = lvs_quiet;
	rfbErr = lvs_err;
}
