/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * server/app/control-commands.h - the control protocol's commands (list,
 * resize, screendump, stats, clients, disconnect, quit, help) on top of the
 * libfbhost API. Public prefix: control_cmd_.
 */
#ifndef FBHOST_SERVER_CONTROL_COMMANDS_H
#define FBHOST_SERVER_CONTROL_COMMANDS_H

#include "server/app/control-server.h"
#include "server/lib/fbhost.h"

/* Most words of a request looked at (more than any command takes). */
#define CONTROL_CMD_MAX_WORDS 8u
/* Most clients listed per framebuffer. */
#define CONTROL_CMD_MAX_CLIENTS 64u

/* What the commands act on. */
struct control_cmd_context {
	struct fbhost *host;
	/* Called by "quit" on a control connection's thread; must only signal. */
	void (*quit)(void *opaque);
	void *quit_opaque;
};

/* The control_handler_fn; opaque is a struct control_cmd_context. */
void control_cmd_handle(void *opaque, const char *line, struct control_reply *r);

#endif
