/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * server/lib/fbhost-name.h - the one rule for framebuffer names, shared by
 * libfbhost (fbhost_fb_add) and the program's --fb option parser.
 */
#ifndef FBHOST_SERVER_FBHOST_NAME_H
#define FBHOST_SERVER_FBHOST_NAME_H

#include <stddef.h>

/* Longest framebuffer name, bytes. */
#define FBHOST_NAME_MAX_BYTES 32u

/* What is wrong with a name, if anything. */
enum fbhost_name_verdict {
	FBHOST_NAME_OK = 0,
	FBHOST_NAME_BAD_LENGTH, /* empty or longer than FBHOST_NAME_MAX_BYTES */
	FBHOST_NAME_BAD_CHAR,	/* a byte other than A-Z a-z 0-9 _ . - */
	FBHOST_NAME_ALL_DIGITS, /* would read as an id */
};

/* Checks the len bytes at name: 1..FBHOST_NAME_MAX_BYTES of [A-Za-z0-9_.-],
 * not all digits (so a name never reads as an id). Any thread. */
enum fbhost_name_verdict fbhost_name_check(const char *name, size_t len);

#endif
