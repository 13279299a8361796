/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * server/app/self-check.h - `fbhost --check`: act as a viewer of the running
 * server once, then report. Public prefix: self_check_.
 */
#ifndef FBHOST_SERVER_SELF_CHECK_H
#define FBHOST_SERVER_SELF_CHECK_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* What one framebuffer serves, as the check should find it. */
struct self_check_target {
	const char *name;	/* framebuffer name, for the report */
	const char *vnc_host;	/* listen host; "" or a wildcard = loopback */
	int vnc_port;		/* 0 = no VNC */
	int web_port;		/* 0 = no viewer */
	const char *web_path;	/* e.g. "/viewer.html" */
	uint32_t width, height; /* ServerInit must announce this size */
};

/* Connects to each target's VNC port, runs the RFB handshake to ServerInit
 * (or to the security list when a password is set) and fetches web_path
 * from its viewer port, printing one line per check and a final
 * "check: ok" or "check: FAILED" to out. Bounded by one 10 s deadline.
 * 0 if every check passed, else -EPROTO. */
int self_check_run(const struct self_check_target *targets, unsigned n, FILE *out);

#endif
