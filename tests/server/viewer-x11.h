/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tests/server/viewer-x11.h - running X11 VNC viewers in the tests: a
 * private Xvfb, child processes that die with the test, windows found and
 * captured with xdotool and ImageMagick. Every wait is bounded by
 * VX_WAIT_MS. Test thread only. Public prefix: vx_.
 */
#ifndef FBHOST_TESTS_SERVER_VIEWER_X11_H
#define FBHOST_TESTS_SERVER_VIEWER_X11_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Bound of every wait: viewers start slowly on 2 shared cores. */
#define VX_WAIT_MS 45000u
/* How long a child gets to exit on SIGTERM before SIGKILL. */
#define VX_STOP_MS 5000u
#define VX_XVFB_SCREEN "1280x1024x24"
#define VX_PATH_MAX 512u

uint64_t vx_now_ms(void);
/* Full path of a program on PATH (looked up once, valid until exit), or
 * NULL. */
const char *vx_find_program(const char *name);
/* Forks argv (argv[0] a full path) with stdout and stderr in log and stdin
 * from /dev/null; the child dies with the test. Its pid, or -1. */
pid_t vx_spawn(const char *const *argv, const char *log);
/* SIGTERM, then SIGKILL after VX_STOP_MS; reaps pid. <= 0 is a no-op. */
void vx_stop(pid_t pid);
/* vx_stop of every child vx_spawn started and vx_stop did not stop. */
void vx_stop_all(void);
/* Starts Xvfb on a display it picks (its log in dir/xvfb.log), writes ":N"
 * into display and sets DISPLAY. Its pid once it serves, or -1; only
 * vx_stop of that pid stops it. */
pid_t vx_start_xvfb(const char *dir, char *display, size_t len);
/* Captures X window id (through dir/window.png) as x8r8g8b8, x byte
 * cleared, malloc'ed; NULL if that failed (the window may be changing). */
uint32_t *vx_capture_window(const char *display, const char *id, const char *dir, uint32_t *w,
			    uint32_t *h);
/* Whether want (ww x wh) lies exactly inside got (gw x gh); its offset in
 * *ox, *oy. */
bool vx_find_picture(const uint32_t *got, uint32_t gw, uint32_t gh, const uint32_t *want,
		     uint32_t ww, uint32_t wh, uint32_t *ox, uint32_t *oy);
/* Waits until a visible window's name contains name: 0 with its id, or
 * -1 after VX_WAIT_MS. */
int vx_find_window(const char *name, char *id, size_t len);
/* Gives window id the input focus: 0 or -1. */
int vx_focus(const char *id);

/*
 * Makes a self-signed certificate for 127.0.0.1 and localhost (subject and
 * subjectAltName, as viewers check the host name) with openssl: cert gets
 * dir/tls-cert.pem, both dir/tls-both.pem (certificate and key, for
 * cert_file). 0, or -1 (openssl missing or failed).
 */
int vx_make_cert(const char *dir, char *cert, char *both);

/* Environment under which gvnccapture trusts a CA (vx_gvnc_trust). */
struct vx_gvnc_env {
	char vars[3][VX_PATH_MAX + 32];
	const char *env[4]; /* NULL-terminated, pointing into vars */
};

/*
 * gtk-vnc 1.3.1 takes its CA certificate only from /etc/pki/CA/cacert.pem
 * or ~/.pki/CA/cacert.pem, with ~ from getpwuid(getuid()), not $HOME; else
 * it trusts the system's store. Under e->env, nss_wrapper (libnss-wrapper)
 * gives it a passwd entry whose home is dir/gvnc-home, holding ca, so no
 * file of the machine changes. 0, or -1 when nss_wrapper is not installed
 * or that failed.
 */
int vx_gvnc_trust(const char *dir, const char *ca, struct vx_gvnc_env *e);
#endif
