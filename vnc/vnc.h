/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vnc/vnc.h - the VNC frontend: one LibVNCServer screen per framebuffer,
 * plus an optional HTTP server that serves the noVNC browser viewer.
 *
 * A vnc_server is an fb listener. It keeps its own x8r8g8b8 shadow of the
 * guest picture, sends only the 16 px cells that really changed, follows mode
 * switches live (DesktopSize / ExtendedDesktopSize) and forwards client input
 * and clipboard to the guest through fb_input_*.
 *
 * Every LibVNCServer call runs on the server's own VNC thread; all functions
 * below are callable from any thread.
 *
 * The network edge (vnc-edge.h): an edge thread per server owns every
 * client socket, authenticates, frames the client's messages whole and
 * queues LibVNCServer's output per client, bounded. A client above one
 * frame queued is put on hold: it gets no new update, its damage
 * accumulates (the latest picture wins, memory stays bounded) and it is
 * released once the edge has written the queue down. It is dropped above
 * VNC_EDGE_QUEUE_FRAMES frames or after slow_client_timeout_ms without
 * progress. Nobody else waits for it. WebSocket and TLS (VeNCrypt, wss)
 * end at the edge too: LibVNCServer only ever sees plain RFB.
 *
 * Public prefix: vnc_.
 */
#ifndef FBHOST_VNC_VNC_H
#define FBHOST_VNC_VNC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fb/fb.h"

#define VNC_DEFAULT_PORT 5900
/* The web viewer's default port is the VNC port minus this. */
#define VNC_WEB_PORT_OFFSET 100
/* LibVNCServer's Raw encoder must fit one 32 bpp scanline in its 32 KiB
 * update buffer: wider modes cannot be served. */
#define VNC_MAX_WIDTH_PX 8192u
/* A client that has not drained its socket for this long is disconnected. */
#define VNC_DEFAULT_SLOW_CLIENT_TIMEOUT_MS 5000u
/* LibVNCServer's blocking-read bound (its maxClientWait). It reads and
 * writes only the edge's socketpair, which the edge serves at once, so
 * this bounds nothing a client can cause. */
#define VNC_CLIENT_WAIT_MS 2000

/* vnc_config.port: any free port (read it back with vnc_server_port). */
#define VNC_PORT_ANY 0
/* vnc_config.web_port values besides a port number. */
#define VNC_WEB_PORT_NONE (-1)
/* VNC port - VNC_WEB_PORT_OFFSET, or any free port when port is VNC_PORT_ANY. */
#define VNC_WEB_PORT_DEFAULT (-2)
/* vnc_config.web_port: any free port. */
#define VNC_WEB_PORT_ANY 0

/*
 * What to do with a client's ClientInit "shared" flag (after QEMU's share=).
 * LibVNCServer does not let a server see the flag, so the policies map onto
 * its alwaysShared switch:
 *   - FORCE_SHARED (default): every client is served as shared; one asking
 *     for exclusive access (gvnccapture does) throws nobody out. QEMU
 *     refuses such a client instead; serving it keeps it usable.
 *   - ALLOW_EXCLUSIVE: as the RFB spec suggests, an exclusive client
 *     disconnects the others (shared clients may still join later).
 *   - IGNORE (QEMU's name): the flag is ignored and everybody connects,
 *     which with LibVNCServer is FORCE_SHARED: an alias, not a policy.
 */
enum vnc_share {
	VNC_SHARE_FORCE_SHARED = 0,
	VNC_SHARE_ALLOW_EXCLUSIVE,
	VNC_SHARE_IGNORE = VNC_SHARE_FORCE_SHARED,
};

/* Longest framebuffer name and format name in a vnc_fb_summary, bytes. */
#define VNC_FB_NAME_MAX 64
#define VNC_FB_FORMAT_NAME_MAX 16

/* One framebuffer of the program, as the web index page lists it. */
struct vnc_fb_summary {
	unsigned id;
	char name[VNC_FB_NAME_MAX];
	uint32_t width, height;
	char format[VNC_FB_FORMAT_NAME_MAX]; /* "x8r8g8b8", "r5g6b5"... */
	unsigned clients;		     /* connected VNC clients */
	int vnc_port;			     /* -1 = VNC off */
	bool password;			     /* VNC needs a password: no thumbnail is served */
};

/*
 * What the web server knows of the other framebuffers of its program (the
 * index page at /, /api/framebuffers and /api/thumbnail). The program
 * provides it; without one, the web server lists its own framebuffer only,
 * without thumbnails. Both functions are called from the web server's
 * thread, with no lock of the VNC frontend held, and must be thread-safe.
 */
struct vnc_directory {
	/* Fills up to max entries; returns how many there are. */
	size_t (*list)(void *opaque, struct vnc_fb_summary *out, size_t max);
	/* A copy of framebuffer id's picture: *pixels malloc'ed x8r8g8b8,
	 * stride width*4. 0, -ENOENT (no such framebuffer), -EACCES (it has
	 * a password) or another -errno. */
	int (*pixels)(void *opaque, unsigned id, uint32_t **pixels, uint32_t *width,
		      uint32_t *height);
	void *opaque; /* must outlive every vnc_server given it */
};

/* Server configuration. Start from vnc_config_init(); the strings are
 * copied by vnc_server_new. */
struct vnc_config {
	/* Listen address: NULL = loopback only (127.0.0.1 and ::1). Any other
	 * address (IPv4 or IPv6 literal, "0.0.0.0", "::" or "*" for all)
	 * requires password_file unless insecure is set. */
	const char *host;
	int port;     /* VNC port (also WebSocket); VNC_PORT_ANY = any free */
	int web_port; /* HTTP viewer port, or VNC_WEB_PORT_* */
	/* File whose first line is the VNC password and whose optional
	 * second line is a view-only password (VNC auth uses 8 bytes: a
	 * longer one is refused). NULL = no authentication. */
	const char *password_file;
	bool insecure; /* allow a non-loopback listen without a password */
	/* PEM certificate and key for VeNCrypt X509 on the VNC port
	 * (X509Vnc with a password, X509None without), wss:// and the web
	 * viewer's https:// (key may be NULL if the cert file holds both).
	 * NULL = no TLS. */
	const char *cert_file;
	const char *key_file;
	/* Refuse every client that does not use TLS: VeNCrypt X509 on the
	 * VNC port, or wss://. Needs cert_file. */
	bool tls_only;
	enum vnc_share share;
	bool view_only; /* drop every client's keyboard and pointer input */
	/* Directory with the pages (index.html, viewer.html and their .js
	 * and .css files, served from its top level only) and
	 * node_modules/@novnc/novnc, like vnc/web after 'npm install'; a
	 * directory holding noVNC itself (core/rfb.js) works too. Without
	 * noVNC there, vnc_server_new fails with ENOENT; without viewer.html,
	 * the build's vnc/web provides the page. NULL = the build's vnc/web,
	 * then Debian's /usr/share/novnc for noVNC. */
	const char *web_root;
	const char *desktop_name; /* NULL = fb_name() */
	/* The program's framebuffers for the web index page (copied);
	 * NULL = this one only. */
	const struct vnc_directory *directory;
	/* A client whose queued output does not drain for this long is
	 * disconnected; 0 = VNC_DEFAULT_SLOW_CLIENT_TIMEOUT_MS. */
	unsigned slow_client_timeout_ms;
	/* A connection not authenticated this long after its accept is
	 * dropped; 0 = VNC_EDGE_HANDSHAKE_MS (30 s). */
	unsigned handshake_timeout_ms;
	/* Log sink for connects, disconnects and errors (one line, no
	 * newline). NULL = stderr. Called from the server's threads (VNC,
	 * render, web) and from callers of vnc_*: must be thread-safe. */
	void (*log)(void *opaque, const char *line);
	void *log_opaque;
};

/* Fills cfg with the defaults: loopback, VNC_DEFAULT_PORT, web port
 * VNC_WEB_PORT_DEFAULT, force-shared. */
void vnc_config_init(struct vnc_config *cfg);

/* Checks that a mode can be served over VNC (width <= VNC_MAX_WIDTH_PX):
 * 0, or -E2BIG with a user-facing line in err (which may be NULL with errlen
 * 0). The one place of the width rule. Call before fb_set_mode when VNC is
 * on. */
int vnc_mode_check(const struct fb_mode *mode, char *err, size_t errlen);

struct vnc_server;

/*
 * Starts serving fb: binds the VNC port (v4 and v6) and the web port, starts
 * the VNC thread and registers a listener on fb (updates flow once fb is on
 * a render thread). NULL+errno on failure, with one user-facing line in err
 * (EADDRINUSE/EACCES for bind failures, EPERM for a non-loopback listen
 * without a password, ENOENT for a missing password, certificate or noVNC
 * directory, EINVAL for a bad config or password file, E2BIG for a mode
 * wider than VNC_MAX_WIDTH_PX).
 */
struct vnc_server *vnc_server_new(struct fb_device *fb, const struct vnc_config *cfg, char *err,
				  size_t errlen);
/* Unregisters the listener, disconnects every client, stops both servers
 * and frees s. NULL is a no-op. */
void vnc_server_free(struct vnc_server *s);

/* The bound ports (after VNC_PORT_ANY etc.); web port -1 if none. */
int vnc_server_port(const struct vnc_server *s);
int vnc_server_web_port(const struct vnc_server *s);
/* The browser viewer URL,
 * "http[s]://<host>:<web port>/viewer.html?port=<vnc port>&autoconnect=1"
 * (host 127.0.0.1 for loopback and wildcard listens, [addr] for IPv6), or
 * NULL without a web port. Valid until vnc_server_free. */
const char *vnc_server_url(const struct vnc_server *s);

/* Per-server counters (monotonic except clients). Any thread. */
struct vnc_server_stats {
	unsigned clients;  /* connected now */
	uint64_t connects; /* clients accepted so far */
	uint64_t disconnects;
	uint64_t slow_disconnects; /* dropped for not reading */
	uint64_t holds;		   /* times a client was put on hold (queue full) */
	uint64_t updates;	   /* FramebufferUpdate messages, all clients */
	uint64_t rects;
	uint64_t bytes_sent;
	uint64_t cells_compared; /* 16 px cells compared against the shadow */
	uint64_t cells_changed;	 /* ... that differed and were sent on */
	uint64_t switches;	 /* mode switches applied */
	uint32_t width, height;	 /* the mode served now */
};
void vnc_server_get_stats(struct vnc_server *s, struct vnc_server_stats *st);

#define VNC_ADDRESS_MAX 64
#define VNC_ENCODING_NAME_MAX 16

/* One connected client, a snapshot. */
struct vnc_client_info {
	uint64_t id;			      /* unique per server, never reused */
	char address[VNC_ADDRESS_MAX];	      /* "127.0.0.1:40000" or "[::1]:40000" */
	char encoding[VNC_ENCODING_NAME_MAX]; /* preferred encoding: "tight", "raw"... */
	bool websocket;
	bool on_hold;	  /* output queue full: updates withheld */
	uint64_t updates; /* FramebufferUpdate messages sent */
	uint64_t rects;
	uint64_t bytes_sent;   /* all RFB bytes sent */
	uint64_t connected_ms; /* time since connect */
};

/* Copies up to max clients into out; returns the number connected (which
 * may exceed max). Any thread. */
size_t vnc_server_list_clients(struct vnc_server *s, struct vnc_client_info *out, size_t max);
/* Disconnects client id (logged with the reason "disconnected by request").
 * 0 or -ENOENT. Any thread; returns once the request is queued. */
int vnc_server_disconnect_client(struct vnc_server *s, uint64_t id);

#endif
