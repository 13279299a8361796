/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tests/attach/attach-rig.h - what the attach tests share: an fbhost with
 * --guest none (server-proc), its attach socket, a libvncclient viewer per
 * framebuffer, the stats, and a guest child process driven step by step
 * over a pipe pair. Every wait is bounded. Prefix: rig_.
 */
#ifndef FBHOST_TESTS_ATTACH_RIG_H
#define FBHOST_TESTS_ATTACH_RIG_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "tests/common/vnc-test-client.h"
#include "tests/server/server-proc.h"

#define RIG_WAIT_MS 20000u

struct rig {
	struct sp_server srv;
	char attach[SP_PATH_MAX + 16]; /* the attach socket */
};

/* Starts fbhost --guest none with the given --fb specs (NULL-terminated). */
void rig_start(struct rig *r, const char *const *fbs);
void rig_stop(struct rig *r);
/* A raw-encoding viewer of framebuffer id. */
struct vtc *rig_viewer(struct rig *r, unsigned id);
/* A counter of framebuffer id from "stats ID": the number after "key=". */
uint64_t rig_stat(struct rig *r, unsigned id, const char *key);
/* The "list" line of framebuffer id (malloc'ed). */
char *rig_list_line(struct rig *r, unsigned id);

/* A child process and its two pipes: the parent writes commands to it and
 * reads its answers. */
struct rig_child {
	pid_t pid;
	int to_child, from_child; /* parent's ends */
	int cmd, reply;		  /* child's ends */
};
/* Forks; in the child runs fn(child) and _exits with its return value. */
void rig_fork(struct rig_child *c, int (*fn)(struct rig_child *c, void *arg), void *arg);
/* Parent: sends one command byte and waits (bounded) for one reply byte. */
uint8_t rig_command(struct rig_child *c, uint8_t cmd);
/* Child: waits for a command byte (-1 at EOF); replies. */
int rig_child_next(struct rig_child *c);
void rig_child_reply(struct rig_child *c, uint8_t b);
/* Parent: waits for the child to exit: its status, or -1 (killed/timeout). */
int rig_wait_child(struct rig_child *c);

/* xorshift64* */
uint64_t rig_rand(uint64_t *s);

#endif
