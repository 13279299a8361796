/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * server/guest-client/fbhost-guest-internal.h - what the files of
 * libfbhost-guest share: the connection's state and the message transport
 * (fbhost-guest-wire.c). Hidden: the library exports fbhost-guest.h only.
 */
#ifndef FBHOST_GUEST_INTERNAL_H
#define FBHOST_GUEST_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fbhost-guest-proto.h"
#include "fbhost-guest.h"

#define GUEST_HIDDEN __attribute__((visibility("hidden")))

/* The kernel tracks writes in pages of this size. */
#define GUEST_KERNEL_PAGE_BYTES 4096u
/* Messages kept for later events; past this, input events are dropped. */
#define GUEST_QUEUE_MAX 256u

/* One received message not yet turned into an event. */
struct guest_msg {
	struct guest_msg *next;
	int fd; /* owned; -1 if none */
	size_t len;
	uint64_t data[FBG_MSG_MAX_BYTES / sizeof(uint64_t)];
};

/* One attachment; used by one thread at a time (fbhost-guest.h). */
struct fbhost_guest {
	int fd;
	char err[FBG_TEXT_BYTES + 64];
	bool closed;
	/* the dirty log */
	uint32_t page_bytes;
	uint64_t log_pages;
	unsigned long *log;
	size_t log_bytes;
	/* the frame */
	struct fbhost_guest_frame frame;
	void *map;
	size_t map_len;
	/* tracking */
	int tracking;
	int uffd; /* FBHOST_GUEST_UFFD: ours; -1 otherwise */
	/* received messages, oldest first */
	struct guest_msg *head, **tail;
	unsigned queued;
	/* text of the last clipboard/error event */
	char text[FBG_MSG_MAX_BYTES + 1];
	/* DAMAGE mode: rectangles not sent yet */
	struct fbg_rect pending[FBG_DAMAGE_MAX_RECTS];
	unsigned npending;
};

/* Sets the error text; returns -code. */
GUEST_HIDDEN int guest_fail(struct fbhost_guest *g, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
GUEST_HIDDEN uint64_t guest_now_ms(void);
/* Sends one message with fd (-1: none) attached. 0 or -errno. */
GUEST_HIDDEN int guest_send(struct fbhost_guest *g, const void *msg, size_t len, int fd);
/* Receives one message within timeout_ms (-1 forever). NULL with *rc = 0
 * on timeout or -errno. */
GUEST_HIDDEN struct guest_msg *guest_recv(struct fbhost_guest *g, int timeout_ms, int *rc);
GUEST_HIDDEN void guest_msg_free(struct guest_msg *m);
/* Keeps m for a later event (input is dropped past GUEST_QUEUE_MAX). */
GUEST_HIDDEN void guest_queue(struct fbhost_guest *g, struct guest_msg *m);
/* Waits for a message of type want (queueing others); an ERROR about
 * want_about is returned too. NULL with *rc on timeout/failure. */
GUEST_HIDDEN struct guest_msg *guest_wait(struct fbhost_guest *g, uint16_t want,
					  uint16_t want_about, int *rc);

#endif
