/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tests/qemu/qemu-rig.h - runs a real QEMU (TCG, no network, no disk) with
 * its D-Bus display, on a private dbus-daemon (bus mode) or handed over
 * through QMP (p2p mode), for the qemu guest's tests; takes QEMU's own QMP
 * screendump as the reference picture. Children die with the test
 * (PR_SET_PDEATHSIG). Every wait is bounded. Public prefix: qr_.
 */
#ifndef FBHOST_TESTS_QEMU_RIG_H
#define FBHOST_TESTS_QEMU_RIG_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "server/guests/qemu/qemu-qmp.h"

#define QR_PATH_MAX 160u
#define QR_MAX_ARGS 48u
/* Bound of QEMU's start (until QMP answers), in ms. */
#define QR_START_TIMEOUT_MS 30000u
/* Bound of one QMP command, in ms. */
#define QR_QMP_TIMEOUT_MS 20000u

/* One VM and its bus. */
struct qr_vm {
	bool p2p;
	/* Set after qr_setup to replace -display dbus,...: e.g. "none" (with
	 * -vnc in the extra arguments) for QEMU's own VNC server. */
	const char *display;
	char dir[QR_PATH_MAX];		   /* private temporary directory */
	char bus_addr[QR_PATH_MAX];	   /* unix:path=DIR/bus.sock (bus mode) */
	char qmp_path[QR_PATH_MAX];	   /* DIR/qmp.sock, the test's */
	char fbhost_qmp_path[QR_PATH_MAX]; /* DIR/fbhost-qmp.sock (p2p mode) */
	char guest_arg[2 * QR_PATH_MAX];   /* fbhost's --guest value */
	pid_t bus_pid;
	pid_t qemu_pid;
	struct qemu_qmp *qmp; /* the test's own QMP connection */
};

/* A picture, x8r8g8b8 (0x00RRGGBB), stride = w. */
struct qr_picture {
	uint32_t w, h;
	uint32_t *px;
};

/* Boots the test Linux guest (qr_setup first): the kernel of a Debian
 * linux-image package, an initramfs made by $FBHOST_QEMU_INITRAMFS, a
 * virtio-vga display and its serial console written to serial (a path).
 * 0, -ENOENT when there is no readable kernel (the test skips), or -1. */
int qr_linux_start(struct qr_vm *vm, char *serial, size_t serial_size);

/* Makes the directory and (bus mode) starts dbus-daemon. 0 or -1. */
int qr_setup(struct qr_vm *vm, bool p2p);
/* Starts qemu-system-x86_64 with the display and QMP options and extra
 * (NULL-terminated: machine, devices, kernel...), then connects QMP. 0 or -1. */
int qr_qemu_start(struct qr_vm *vm, const char *const *extra);
/* SIGKILLs QEMU and reaps it. */
void qr_qemu_kill(struct qr_vm *vm);
/* Kills everything and removes the directory. */
void qr_teardown(struct qr_vm *vm);
/* Runs one QMP command on the test's connection. 0 or -errno. */
int qr_qmp(struct qr_vm *vm, const char *json, char *reply, size_t size);

/* QEMU's QMP screendump of console 0. 0 or -1. */
int qr_qemu_dump(struct qr_vm *vm, struct qr_picture *pic);
/* fbhost's screendump of framebuffer "main" through its control socket. */
int qr_fbhost_dump(const char *ctl_sock, const char *dir, struct qr_picture *pic);
void qr_picture_free(struct qr_picture *pic);
/* Whether two pictures are the same size and pixels (x byte ignored). */
bool qr_picture_equal(const struct qr_picture *a, const struct qr_picture *b);
/* Pixels that are not black. */
size_t qr_picture_lit(const struct qr_picture *pic);

/* Path of the kernel the Linux tests boot (/boot/vmlinuz-*, or $FBHOST_QEMU_KERNEL),
 * or NULL. */
const char *qr_kernel(void);

uint64_t qr_now_ms(void);

#endif

/* Polling interval of qr_wait_mirrored, in ms: QEMU's picture has no
 * change event that a test can wait on, so both sides are sampled. */
#define QR_POLL_MS 100u

/*
 * Waits until fbhost's screendump of "main" has equalled QEMU's in every
 * sample for stable_ms, each sample taken as QEMU, fbhost, QEMU (equal QEMU
 * dumps on both sides: the same moment: fbhost's picture must equal one of the
 * two QEMU dumps around it, as a blinking text cursor may change the
 * picture in between). min_lit: the picture must have at least
 * that many non-black pixels. 0, or -1 after timeout_ms with
 * the last difference in why.
 */
int qr_wait_mirrored(struct qr_vm *vm, const char *ctl_sock, const char *dir, unsigned stable_ms,
		     size_t min_lit, unsigned timeout_ms, char *why, size_t whylen);
