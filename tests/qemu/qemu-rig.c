/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tests/qemu/qemu-rig.c - QEMU and dbus-daemon for the qemu guest's tests
 * (see qemu-rig.h).
 */
#include "fb/clock.h"
#include "tests/qemu/qemu-rig.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tests/server/server-pictures.h"
#include "tests/server/server-proc.h"

/* Bound of waiting for a socket file to appear, and for a child to die. */
#define QR_SOCKET_TIMEOUT_MS 20000u
#define QR_REAP_TIMEOUT_MS 10000u

uint64_t qr_now_ms(void)
{
	return fb_clock_now_ms();
}

static void qr_sleep_ms(unsigned ms)
{
	struct timespec ts = { .tv_sec = ms / 1000u, .tv_nsec = (long)(ms % 1000u) * 1000000L };

	nanosleep(&ts, NULL);
}

/* Forks argv with stdout+stderr to log; the child dies with us. */
static pid_t qr_spawn(const char *const *argv, const char *log)
{
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);
		int nul = open("/dev/null", O_RDONLY);

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		if (nul >= 0)
			dup2(nul, 0);
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	return pid;
}

/* Kills pid with sig and reaps it (bounded). */
static void qr_reap(pid_t *pid, int sig)
{
	uint64_t end = qr_now_ms() + QR_REAP_TIMEOUT_MS;

	if (*pid <= 0)
		return;
	kill(*pid, sig);
	while (qr_now_ms() < end) {
		if (waitpid(*pid, NULL, WNOHANG) == *pid)
			break;
		qr_sleep_ms(10);
	}
	*pid = 0;
}

/* Waits for a Unix socket file while the child lives. The polling here
 * waits on a file that another process creates; no event exists for it. */
static int qr_wait_socket(const char *path, pid_t child)
{
	uint64_t end = qr_now_ms() + QR_SOCKET_TIMEOUT_MS;
	struct stat st;

	while (qr_now_ms() < end) {
		if (stat(path, &st) == 0 && S_ISSOCK(st.st_mode))
			return 0;
		if (waitpid(child, NULL, WNOHANG) == child)
			return -1;
		qr_sleep_ms(10);
	}
	return -1;
}

int qr_setup(struct qr_vm *vm, bool p2p)
{
	char tmpl[] = "/tmp/fbhost-qr-XXXXXX";
	char log[QR_PATH_MAX + 16], addr[QR_PATH_MAX + 16];

	memset(vm, 0, sizeof(*vm));
	vm->p2p = p2p;
	if (!mkdtemp(tmpl))
		return -1;
	snprintf(vm->dir, sizeof(vm->dir), "%s", tmpl);
	snprintf(vm->qmp_path, sizeof(vm->qmp_path), "%s/qmp.sock", tmpl);
	if (p2p) {
		/* A monitor socket of fbhost's own: one QMP socket serves one
		 * client at a time, and the test keeps its own open. */
		snprintf(vm->fbhost_qmp_path, sizeof(vm->fbhost_qmp_path), "%s/fbhost-qmp.sock",
			 tmpl);
		snprintf(vm->guest_arg, sizeof(vm->guest_arg), "qemu:qmp:%s", vm->fbhost_qmp_path);
		return 0;
	}
	snprintf(vm->bus_addr, sizeof(vm->bus_addr), "unix:path=%s/bus.sock", tmpl);
	snprintf(vm->guest_arg, sizeof(vm->guest_arg), "qemu:%s", vm->bus_addr);
	snprintf(log, sizeof(log), "%s/dbus.log", tmpl);
	snprintf(addr, sizeof(addr), "--address=%s", vm->bus_addr);
	{
		const char *argv[] = { "dbus-daemon", "--session",   addr,
				       "--nofork",    "--nopidfile", NULL };
		char sock[QR_PATH_MAX + 16];

		vm->bus_pid = qr_spawn(argv, log);
		snprintf(sock, sizeof(sock), "%s/bus.sock", tmpl);
		if (vm->bus_pid < 0 || qr_wait_socket(sock, vm->bus_pid) < 0) {
			fprintf(stderr, "qemu-rig: dbus-daemon did not start (see %s)\n", log);
			return -1;
		}
	}
	return 0;
}

int qr_qemu_start(struct qr_vm *vm, const char *const *extra)
{
	const char *argv[QR_MAX_ARGS];
	char display[QR_PATH_MAX + 32], qmp[QR_PATH_MAX + 32], log[QR_PATH_MAX + 16];
	char qmp2[QR_PATH_MAX + 32];
	uint64_t end;
	char err[256];
	unsigned n = 0, i;

	snprintf(display, sizeof(display), "dbus,%s%s",
		 vm->p2p ? "p2p=yes" : "addr=", vm->p2p ? "" : vm->bus_addr);
	snprintf(qmp, sizeof(qmp), "unix:%s,server=on,wait=off", vm->qmp_path);
	snprintf(log, sizeof(log), "%s/qemu.log", vm->dir);
	unlink(vm->qmp_path);
	argv[n++] = "qemu-system-x86_64";
	argv[n++] = "-machine";
	argv[n++] = "pc,accel=tcg";
	argv[n++] = "-nodefaults";
	argv[n++] = "-display";
	argv[n++] = vm->display ? vm->display : display;
	argv[n++] = "-qmp";
	argv[n++] = qmp;
	if (vm->p2p && !vm->display) {
		snprintf(qmp2, sizeof(qmp2), "unix:%s,server=on,wait=off", vm->fbhost_qmp_path);
		unlink(vm->fbhost_qmp_path);
		argv[n++] = "-qmp";
		argv[n++] = qmp2;
	}
	argv[n++] = "-nic";
	argv[n++] = "none";
	for (i = 0; extra && extra[i] && n < QR_MAX_ARGS - 1; i++)
		argv[n++] = extra[i];
	argv[n] = NULL;
	vm->qemu_pid = qr_spawn(argv, log);
	if (vm->qemu_pid < 0 || qr_wait_socket(vm->qmp_path, vm->qemu_pid) < 0) {
		fprintf(stderr, "qemu-rig: QEMU did not start (see %s)\n", log);
		return -1;
	}
	/* The socket file exists from bind() on; connecting is refused until
	 * QEMU listens. */
	end = qr_now_ms() + QR_START_TIMEOUT_MS;
	do {
		vm->qmp = qemu_qmp_open(vm->qmp_path, QR_START_TIMEOUT_MS, err, sizeof(err));
		if (!vm->qmp && errno == ECONNREFUSED)
			qr_sleep_ms(10);
	} while (!vm->qmp && errno == ECONNREFUSED && qr_now_ms() < end);
	if (!vm->qmp) {
		fprintf(stderr, "qemu-rig: %s\n", err);
		return -1;
	}
	return 0;
}

void qr_qemu_kill(struct qr_vm *vm)
{
	qemu_qmp_close(vm->qmp);
	vm->qmp = NULL;
	qr_reap(&vm->qemu_pid, SIGKILL);
}

void qr_teardown(struct qr_vm *vm)
{
	DIR *d;
	struct dirent *e;

	qr_qemu_kill(vm);
	qr_reap(&vm->bus_pid, SIGTERM);
	if (!vm->dir[0] || getenv("FBHOST_QEMU_KEEP"))
		return;
	d = opendir(vm->dir);
	while (d && (e = readdir(d))) {
		char p[QR_PATH_MAX + 256];

		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s", vm->dir, e->d_name);
		unlink(p);
	}
	if (d)
		closedir(d);
	rmdir(vm->dir);
}

int qr_qmp(struct qr_vm *vm, const char *json, char *reply, size_t size)
{
	if (!vm->qmp)
		return -ENOTCONN;
	return qemu_qmp_command(vm->qmp, json, -1, reply, size, QR_QMP_TIMEOUT_MS);
}

/* Reads a binary PPM (P6, maxval 255) as written by QEMU's screendump. */
static int qr_read_ppm(const char *path, struct qr_picture *pic)
{
	FILE *f = fopen(path, "rb");
	unsigned w, h, maxval;
	size_t i;
	int rc = -1;

	if (!f)
		return -1;
	if (fscanf(f, "P6 %u %u %u", &w, &h, &maxval) != 3 || maxval != 255 || fgetc(f) == EOF ||
	    w == 0 || h == 0 || w > 16384 || h > 16384)
		goto out;
	pic->w = w;
	pic->h = h;
	pic->px = malloc((size_t)w * h * sizeof(uint32_t));
	if (!pic->px)
		goto out;
	for (i = 0; i < (size_t)w * h; i++) {
		unsigned char rgb[3];

		if (fread(rgb, 1, 3, f) != 3) {
			free(pic->px);
			pic->px = NULL;
			goto out;
		}
		pic->px[i] = (uint32_t)rgb[0] << 16 | (uint32_t)rgb[1] << 8 | rgb[2];
	}
	rc = 0;
out:
	fclose(f);
	return rc;
}

int qr_qemu_dump(struct qr_vm *vm, struct qr_picture *pic)
{
	char json[QR_PATH_MAX * 2], path[QR_PATH_MAX + 16];
	int rc;

	snprintf(path, sizeof(path), "%s/qemu.ppm", vm->dir);
	snprintf(json, sizeof(json),
		 "{\"execute\": \"screendump\", \"arguments\": {\"filename\": \"%s\"}}", path);
	rc = qr_qmp(vm, json, NULL, 0);
	if (rc)
		return -1;
	rc = qr_read_ppm(path, pic);
	unlink(path);
	return rc;
}

int qr_fbhost_dump(const char *ctl_sock, const char *dir, struct qr_picture *pic)
{
	char line[QR_PATH_MAX * 2], path[QR_PATH_MAX + 16];
	char *reply = NULL;
	int rc;

	snprintf(path, sizeof(path), "%s/fbhost.png", dir);
	snprintf(line, sizeof(line), "screendump main %s", path);
	rc = sp_request(ctl_sock, line, &reply);
	free(reply);
	if (rc != 0)
		return -1;
	rc = pic_read_png(path, &pic->px, &pic->w, &pic->h);
	unlink(path);
	return rc;
}

void qr_picture_free(struct qr_picture *pic)
{
	free(pic->px);
	pic->px = NULL;
	pic->w = pic->h = 0;
}

bool qr_picture_equal(const struct qr_picture *a, const struct qr_picture *b)
{
	return a->px && b->px && a->w == b->w && a->h == b->h &&
	       pic_diff(a->px, b->px, a->w, a->h) < 0;
}

size_t qr_picture_lit(const struct qr_picture *pic)
{
	size_t i, n = 0;

	for (i = 0; pic->px && i < (size_t)pic->w * pic->h; i++)
		n += (pic->px[i] & 0xffffffu) != 0;
	return n;
}

const char *qr_kernel(void)
{
	static char path[QR_PATH_MAX];
	const char *env = getenv("FBHOST_QEMU_KERNEL");
	glob_t gl;

	if (env && env[0])
		return access(env, R_OK) == 0 ? env : NULL;
	if (glob("/boot/vmlinuz-*", 0, NULL, &gl) != 0)
		return NULL;
	snprintf(path, sizeof(path), "%s", gl.gl_pathv[gl.gl_pathc - 1]);
	globfree(&gl);
	return access(path, R_OK) == 0 ? path : NULL;
}

int qr_wait_mirrored(struct qr_vm *vm, const char *ctl_sock, const char *dir, unsigned stable_ms,
		     size_t min_lit, unsigned timeout_ms, char *why, size_t whylen)
{
	uint64_t end = qr_now_ms() + timeout_ms, since = qr_now_ms();
	int rc = -1;

	snprintf(why, whylen, "no sample taken");
	while (qr_now_ms() < end) {
		struct qr_picture q1 = { 0 }, f = { 0 }, q2 = { 0 };

		const struct qr_picture *ref;

		if (qr_qemu_dump(vm, &q1) || qr_fbhost_dump(ctl_sock, dir, &f) ||
		    qr_qemu_dump(vm, &q2)) {
			snprintf(why, whylen, "a screendump failed");
			since = qr_now_ms();
			goto next;
		}
		/* fbhost's picture is from a moment between the two dumps */
		ref = qr_picture_equal(&f, &q2) ? &q2 : &q1;
		if (qr_picture_lit(ref) < min_lit) {
			snprintf(why, whylen, "QEMU's picture has %zu lit pixels, want %zu",
				 qr_picture_lit(ref), min_lit);
			since = qr_now_ms();
		} else if (!qr_picture_equal(ref, &f)) {
			long d = f.w == ref->w && f.h == ref->h
					 ? pic_diff(ref->px, f.px, ref->w, ref->h)
					 : -1;

			snprintf(why, whylen,
				 "fbhost %ux%u != QEMU %ux%u (first difference at pixel %ld: "
				 "0x%06x != 0x%06x)",
				 f.w, f.h, ref->w, ref->h, d, d >= 0 ? f.px[d] & 0xffffffu : 0,
				 d >= 0 ? ref->px[d] & 0xffffffu : 0);
			since = qr_now_ms();
		} else if (qr_now_ms() - since >= stable_ms) {
			rc = 0;
		}
	next:
		qr_picture_free(&q2);
		qr_picture_free(&q1);
		qr_picture_free(&f);
		if (rc == 0)
			break;
		qr_sleep_ms(QR_POLL_MS);
	}
	return rc;
}

int qr_linux_start(struct qr_vm *vm, char *serial, size_t serial_size)
{
	const char *kernel = qr_kernel();
	const char *script = getenv("FBHOST_QEMU_INITRAMFS");
	char initrd[QR_PATH_MAX + 16], serial_arg[QR_PATH_MAX + 32];
	char *out = NULL;

	if (!kernel) {
		fprintf(stderr, "no readable /boot/vmlinuz-* (install linux-image-amd64)\n");
		return -ENOENT;
	}
	if (!script) {
		fprintf(stderr, "FBHOST_QEMU_INITRAMFS is not set\n");
		return -1;
	}
	snprintf(initrd, sizeof(initrd), "%s/initrd.cpio", vm->dir);
	{
		const char *argv[] = { "/bin/sh", script, initrd, kernel, NULL };

		if (sp_run(argv, &out, NULL, 60000) != 0)
			fprintf(stderr, "make-initramfs: %s\n", out ? out : "");
		free(out);
	}
	snprintf(serial, serial_size, "%s/serial.log", vm->dir);
	snprintf(serial_arg, sizeof(serial_arg), "file:%s", serial);
	{
		const char *qemu_args[] = { "-m",	  "256",
					    "-device",	  "virtio-vga",
					    "-kernel",	  kernel,
					    "-initrd",	  initrd,
					    "-append",	  "console=tty0 quiet loglevel=1 panic=-1",
					    "-serial",	  serial_arg,
					    "-no-reboot", NULL };

		return qr_qemu_start(vm, qemu_args);
	}
}
