/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * server/lib/fbhost-internal.h - libfbhost's private structures, shared by its
 * source files and by the fbhost program (which links the library's static
 * core for the helpers below). Guests use fbhost.h only. Not installed.
 */
#ifndef FBHOST_SERVER_FBHOST_INTERNAL_H
#define FBHOST_SERVER_FBHOST_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "fb/fb.h"
#include "fb/headless.h"
#include "server/lib/fbhost-name.h"
#include "server/lib/fbhost.h"

/* Most framebuffers one host holds (ids are never reused). */
#define FBHOST_MAX_FRAMEBUFFERS 64u

struct vnc_server;
struct sdl_window;
struct attach_server;

/* One input handler of a framebuffer (fbhost-input.c). */
struct fbhost_input_handler {
	struct fbhost_input_callbacks cb;
	void *opaque;
	bool embedder; /* installed by fbhost_set_input (else fbhost_input_add) */
};

/* One host: the guest RAM, the render thread and the framebuffers. */
struct fbhost {
	/* Immutable after fbhost_new. */
	struct ram_list *ram;
	struct fb_render *render;
	unsigned rate_hz;
	struct timespec started; /* CLOCK_MONOTONIC */
	void (*log_fn)(void *opaque, enum fbhost_log_level level, const char *line);
	void *log_opaque;
	_Atomic int log_level; /* atomic: set from any thread */

	pthread_mutex_t lock;				/* protects everything below */
	struct fbhost_fb *fbs[FBHOST_MAX_FRAMEBUFFERS]; /* by id; NULL = removed */
	unsigned nfbs;					/* ids handed out */
	void (*quit_fn)(void *opaque);
	void *quit_opaque;
	struct attach_server *attach; /* fbhost_attach_listen (server/lib/attach/) */
	/* Framebuffers in use by the library's own threads (the web
	 * directory, fbhost_fb_use): fbhost_fb_remove waits for 0 after it
	 * unpublished its framebuffer, signalled by fb_users_done. */
	unsigned fb_users;
	pthread_cond_t fb_users_done;
};

/* Saved VNC/web settings of a framebuffer (strings owned). */
struct fbhost_vnc_settings {
	bool vnc_on;
	char *host; /* NULL = loopback */
	int port;   /* fbhost_vnc_options.port convention */
	char *password_file;
	bool insecure;
	char *cert_file;
	bool tls_only;
	bool view_only;
	bool web_on;
	int web_port;	/* fbhost_enable_web convention */
	char *web_root; /* NULL = default */
};

/* One framebuffer of a host. */
struct fbhost_fb {
	/* Immutable after fbhost_fb_add. */
	struct fbhost *host;
	unsigned id;
	char name[FBHOST_NAME_MAX_BYTES + 1];
	struct fb_device *dev;

	pthread_mutex_t lock; /* protects every field below */
	struct fbhost_vnc_settings vnc_set;
	unsigned vnc_set_gen; /* bumped at every change of vnc_set */
	/* A thread is creating the VNC server outside the lock (vnc_server_new
	 * may wait behind a slow client); others leave fb->vnc to it. */
	bool vnc_starting;
	struct vnc_server *vnc;
	struct fb_headless *headless; /* created by the first screendump */
	struct sdl_window *sdl;

	/* A lock of its own, so frontend threads delivering input never wait
	 * for a frontend being started or stopped under fb->lock. */
	pthread_mutex_t input_lock; /* protects inputs and ninputs */
	/* In call order: the embedder's (fbhost_set_input) first, then those
	 * of fbhost_input_add in the order added. */
	struct fbhost_input_handler inputs[FBHOST_INPUT_HANDLERS_MAX];
	unsigned ninputs;
};
/* Fails a call: formats the message, keeps it as this thread's
 * fbhost_last_error(), logs it at FBHOST_LOG_ERROR (after "FB_NAME: " when
 * fb_name is not NULL) and returns err, a negative errno. */
int fbhost_fail(struct fbhost *h, const char *fb_name, int err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* fbhost_format <-> pixman format; 0 / FBHOST_FORMAT_INVALID if none. */
pixman_format_code_t fbhost_format_to_pixman(enum fbhost_format format);
enum fbhost_format fbhost_format_from_pixman(pixman_format_code_t format);
/* "127.0.0.1:5900" (or "[::1]:5900", "*:5900") of the VNC listener; -ENOENT
 * if VNC is off. Any thread. */
int fbhost_vnc_address(struct fbhost_fb *fb, char *buf, size_t size);
/* The web root used when none is given (see web-root.c); NULL = the VNC
 * frontend's own default. */
const char *fbhost_default_web_root(void);
/* Fills d with the host's framebuffers for the web index page (see
 * web-directory.c; VNC builds only). */
struct vnc_directory;
void fbhost_web_directory(struct fbhost *h, struct vnc_directory *d);
/* Whether mode can be served by fb's VNC server: true when VNC is off or the
 * mode is within VNC's limits (vnc_mode_check, the one rule). Any thread. */
bool fbhost_vnc_mode_fits(struct fbhost_fb *fb, const struct fb_mode *mode);
/* Frees the strings of s and zeroes it. */
void fbhost_vnc_settings_clear(struct fbhost_vnc_settings *s);
/* The VNC server's counters into st (unchanged when VNC is off). */
void fbhost_vnc_get_stats(struct fbhost_fb *fb, struct fbhost_stats *st);
/* Frees a VNC server / SDL window taken out of fb (NULL is a no-op). */
void fbhost_vnc_server_free(struct vnc_server *vnc);
void fbhost_sdl_window_free(struct sdl_window *w);
/* Stops every frontend of fb (under nothing; takes fb->lock). */
void fbhost_fb_stop_frontends(struct fbhost_fb *fb);
/* Framebuffer id, kept from being freed until fbhost_fb_unuse (for the
 * library's own threads, which an embedder's fbhost_fb_remove does not
 * know about); NULL if there is none. */
struct fbhost_fb *fbhost_fb_use(struct fbhost *h, unsigned id);
void fbhost_fb_unuse(struct fbhost *h);
/* Stops the attach server, if any (fbhost_free). */
void fbhost_attach_stop(struct fbhost *h);
/* Elapsed seconds since the host started. */
double fbhost_uptime_s(struct fbhost *h);

#endif
