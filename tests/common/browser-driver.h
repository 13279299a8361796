/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tests/common/browser-driver.h - runs tests/vnc/browser-driver.mjs (node +
 * playwright-core + Debian's Chromium) as a child and sends it commands; a
 * command that fails or does not answer within BD_REPLY_MS fails the cmocka
 * test. The commands are listed in browser-driver.mjs.
 *
 * Public prefix: bd_.
 */
#ifndef FBHOST_TESTS_BROWSER_DRIVER_H
#define FBHOST_TESTS_BROWSER_DRIVER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define BD_CHROMIUM "/usr/bin/chromium"
#define BD_NODE "/usr/bin/node"
/* One driver command, browser start-up included (sanitizers, 2 cores). */
#define BD_REPLY_MS 90000u

struct bd {
	pid_t pid;
	int to, from;
	char buf[4096];
	size_t len;
};

/* Whether chromium, node, playwright-core and noVNC are there (source_dir
 * is the source tree). Prints why not. */
bool bd_available(const char *source_dir);
/* Starts the driver from source_dir/tests/vnc. */
void bd_start(struct bd *d, const char *source_dir);
/* Sends one command and waits (bounded) for "ok"; fails the test otherwise. */
void bd_cmd(struct bd *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Closes the browser and reaps the driver (bounded). */
void bd_stop(struct bd *d);

#endif
