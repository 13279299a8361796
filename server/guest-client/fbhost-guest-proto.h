/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fbhost-guest-proto.h - the attach protocol's wire format: messages between
 * fbhost and a guest in another process, on a SOCK_SEQPACKET Unix socket
 * (one message per packet, descriptors with SCM_RIGHTS). The protocol is
 * described in server/lib/attach/attach-protocol.md; this header is its
 * definition. Native byte order and natural alignment (the socket is local;
 * every struct is laid out without padding). Public prefix: fbg_ / FBG_.
 */
#ifndef FBHOST_GUEST_PROTO_H
#define FBHOST_GUEST_PROTO_H

#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define FBG_MAGIC 0x41474246u /* "FBGA" */
#define FBG_VERSION 1u
/* Longest message, header included; a longer one is a protocol error. */
#define FBG_MSG_MAX_BYTES 4096u
/* Most descriptors one message carries. */
#define FBG_MSG_MAX_FDS 1u
/* Longest framebuffer name in HELLO (NUL-padded). */
#define FBG_NAME_BYTES 64u
/* Longest text of TRACK_STATE and ERROR. */
#define FBG_TEXT_BYTES 256u

enum fbg_type {
	/* client -> server */
	FBG_HELLO = 1,	       /* first message: magic, version, framebuffer */
	FBG_TRACK = 2,	       /* tracking mode (+ pagemap fd for uffd-wp) */
	FBG_MODE_ACK = 3,      /* mapped the mode of a MODE message; may draw in it now */
	FBG_MODE_REQUEST = 4,  /* asks for a new mode */
	FBG_DAMAGE = 5,	       /* changed rectangles */
	FBG_FRAME = 6,	       /* a frame is complete: show it now */
	FBG_CLIPBOARD_OUT = 7, /* clipboard text for the viewers */
	/* server -> client */
	FBG_WELCOME = 64,	 /* + fd: the dirty log memfd */
	FBG_MODE = 65,		 /* + fd: the memfd of the mode's pixels */
	FBG_TRACK_STATE = 66,	 /* the tracking mode in force, and why */
	FBG_KEY = 67,		 /* keyboard */
	FBG_POINTER = 68,	 /* pointer */
	FBG_CLIPBOARD_IN = 69,	 /* clipboard text from a viewer */
	FBG_RESIZE_REQUEST = 70, /* a viewer or fbhost-ctl asks for a size */
	FBG_ERROR = 71,		 /* an error; fatal ones close the connection */
};

/* Tracking modes (FBG_TRACK, FBG_TRACK_STATE). */
enum fbg_tracking {
	FBG_TRACK_DAMAGE = 0,  /* the client sends DAMAGE messages */
	FBG_TRACK_LOG = 1,     /* the client sets bits in the shared dirty log */
	FBG_TRACK_UFFD = 2,    /* the kernel: uffd async write-protect, server scans */
	FBG_TRACK_COMPARE = 3, /* the server compares each tick against a shadow */
};

/* Why a MODE message comes. */
enum fbg_mode_reason {
	FBG_MODE_INITIAL = 0, /* after WELCOME */
	FBG_MODE_CLIENT = 1,  /* the client's MODE_REQUEST */
	FBG_MODE_SERVER = 2, /* fbhost-ctl, an embedder, or a viewer's request the server applied */
};

struct fbg_hdr {
	uint16_t type;	/* enum fbg_type */
	uint16_t flags; /* 0 */
	uint32_t size;	/* bytes of the whole message, this header included */
};

struct fbg_hello {
	struct fbg_hdr hdr;
	uint32_t magic;		 /* FBG_MAGIC */
	uint32_t version;	 /* FBG_VERSION */
	char fb[FBG_NAME_BYTES]; /* framebuffer name or decimal id; "" = id 0 */
};

struct fbg_welcome {
	struct fbg_hdr hdr;
	uint32_t magic;
	uint32_t version;
	uint32_t fb_id;
	uint32_t page_bytes; /* bytes per dirty-log bit */
	uint64_t log_pages;  /* bits in the log (fd: log_bytes long) */
	uint64_t log_bytes;
	uint64_t max_bytes; /* largest mode, stride * height */
	uint32_t max_side;  /* px */
	uint32_t reserved;
};

struct fbg_mode {
	struct fbg_hdr hdr;
	uint64_t generation; /* names this mode in MODE_ACK and DAMAGE */
	uint32_t width, height, stride;
	uint32_t format;    /* pixman format code (PIXMAN_x8r8g8b8 = 0x20020888, ...) */
	uint64_t bytes;	    /* stride * height */
	uint64_t map_bytes; /* map this much of the fd, from offset 0 */
	uint32_t reason;    /* enum fbg_mode_reason */
	uint32_t reserved;
};

struct fbg_mode_ack {
	struct fbg_hdr hdr;
	uint64_t generation;
	uint64_t map_addr; /* uffd-wp: where the client mapped it (registered); else 0 */
};

struct fbg_mode_request {
	struct fbg_hdr hdr;
	uint32_t width, height;
	uint32_t format; /* 0 = keep the current one */
	uint32_t reserved;
};

/* FBG_TRACK flags. */
#define FBG_TRACK_FLAG_FRAMES 1u /* the client sends FRAME after each frame: no polling */

struct fbg_track {
	struct fbg_hdr hdr;
	uint32_t mode;	     /* enum fbg_tracking; UFFD carries the /proc/self/pagemap fd */
	uint32_t flags;	     /* FBG_TRACK_FLAG_* */
	uint64_t generation; /* UFFD: the mode mapped at map_addr */
	uint64_t map_addr;
};

struct fbg_track_state {
	struct fbg_hdr hdr;
	uint32_t mode;		   /* in force now */
	int32_t error;		   /* errno why the asked mode was not taken, or 0 */
	char text[FBG_TEXT_BYTES]; /* NUL-terminated */
};

struct fbg_rect {
	int32_t x, y, w, h;
};
/* Most rectangles in one DAMAGE message. */
#define FBG_DAMAGE_MAX_RECTS ((FBG_MSG_MAX_BYTES - 24u) / sizeof(struct fbg_rect))

struct fbg_damage {
	struct fbg_hdr hdr;
	uint64_t generation; /* the mode drawn in; stale ones are ignored */
	uint32_t count;
	uint32_t reserved;
	struct fbg_rect rects[];
};

struct fbg_key {
	struct fbg_hdr hdr;
	uint32_t keysym; /* X11 keysym */
	uint32_t down;
};

struct fbg_pointer {
	struct fbg_hdr hdr;
	int32_t x, y;	  /* framebuffer pixels */
	uint32_t buttons; /* bit 0 left, 1 middle, 2 right, 3/4 wheel */
	uint32_t reserved;
};

struct fbg_resize_request {
	struct fbg_hdr hdr;
	uint32_t width, height;
};

/* CLIPBOARD_OUT / CLIPBOARD_IN: UTF-8 text after the header, not
 * NUL-terminated, at most FBG_CLIPBOARD_MAX_BYTES. */
#define FBG_CLIPBOARD_MAX_BYTES (FBG_MSG_MAX_BYTES - sizeof(struct fbg_hdr))

struct fbg_error {
	struct fbg_hdr hdr;
	int32_t code;		   /* positive errno */
	uint16_t about;		   /* type of the message it answers, or 0 */
	uint16_t fatal;		   /* 1: the server closes the connection after it */
	char text[FBG_TEXT_BYTES]; /* NUL-terminated */
};

/* Room for the one descriptor a message may carry, aligned for cmsghdr. */
union fbg_fd_control {
	char buf[CMSG_SPACE(sizeof(int))];
	struct cmsghdr align;
};

/* Attaches fd to mh as SCM_RIGHTS, using ctl for the control data; does
 * nothing when fd < 0. The one way both sides (and the tests) pass a
 * descriptor. */
static inline void fbg_msg_attach_fd(struct msghdr *mh, union fbg_fd_control *ctl, int fd)
{
	struct cmsghdr *cm;

	if (fd < 0)
		return;
	memset(ctl, 0, sizeof(*ctl));
	mh->msg_control = ctl->buf;
	mh->msg_controllen = sizeof(ctl->buf);
	cm = CMSG_FIRSTHDR(mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
}

/* Takes the descriptors that a received mh carries: the first max go to
 * fds in order, the rest are closed. How many went to fds. The one way
 * both sides take descriptors. */
static inline unsigned fbg_msg_take_fds(struct msghdr *mh, int *fds, unsigned max)
{
	unsigned n = 0;

	for (struct cmsghdr *cm = CMSG_FIRSTHDR(mh); cm; cm = CMSG_NXTHDR(mh, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		for (size_t k = 0; k < (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int); k++) {
			int fd;

			memcpy(&fd, CMSG_DATA(cm) + k * sizeof(int), sizeof(int));
			if (n < max)
				fds[n++] = fd;
			else
				close(fd);
		}
	}
	return n;
}

#endif
