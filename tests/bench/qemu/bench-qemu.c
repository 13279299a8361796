/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tests/bench/qemu/bench-qemu.c - the same Linux VM (Debian kernel,
 * busybox initramfs, virtio-vga, TCG) and the same workloads seen by the
 * same libvncclient viewer through three setups, in one run:
 *   fbhost   QEMU -display dbus,p2p=yes and fbhost --guest qemu:qmp:...
 *   qemu-vnc QEMU's own -vnc server (-display none)
 *   no-vnc   QEMU -display none, no viewer: the baseline of QEMU's CPU
 *   dbus-null QEMU -display dbus,p2p=yes and bench-qemu-null-listener, which
 *            answers every display call and does nothing else, no viewer:
 *            the least any D-Bus display client pays with this QEMU
 * Workloads: "idle" (the shell prompt, 10 s) and "scroll" (the guest prints
 * lines for 10 s at BENCH_SCROLL_RATE lines a second; started over QMP
 * send-key, the same in every setup).
 * Measured: bytes the viewer received (TCP_INFO), viewer updates, CPU of
 * fbhost and of QEMU (/proc/PID/stat utime+stime), and key-to-echo latency:
 * a key sent by the viewer until the viewer's picture changes (median of
 * BENCH_KEYS keys at the idle prompt; guest input, guest drawing and the
 * display path together, the same for both servers). CPU compared: fbhost
 * plus its QEMU (which feeds the D-Bus display) against QEMU with its own
 * VNC; each also as the extra over QEMU without a display. Ratios are
 * against qemu-vnc from the same run.
 *
 * Usage: bench-qemu [--encodings "tight copyrect"] [--fbhost-only] (the
 * latter skips the qemu-vnc and no-vnc setups, for profiling; needs FBHOST_EXE and
 * FBHOST_QEMU_INITRAMFS in the environment, as meson sets for the tests).
 */
#include <dirent.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/common/vnc-test-client.h"
#include "tests/qemu/qemu-rig.h"
#include "tests/server/server-proc.h"

#define BENCH_BOOT_TIMEOUT_MS 180000u
#define BENCH_PHASE_S 10u
#define BENCH_SCROLL_TIMEOUT_MS 120000u
#define BENCH_KEYS 15u
#define BENCH_KEY_TIMEOUT_MS 5000u
#define BENCH_SETTLE_MS 2000u
#define BENCH_QEMU_VNC_DISPLAY 77 /* -vnc 127.0.0.1:77 = port 5977 */
/* Lines a second the scroll workload prints: a paced guest, so that QEMU's
 * CPU is not all guest code (unpaced, TCG runs the guest flat out and the
 * display's cost only shows as fewer lines). */
#define BENCH_SCROLL_RATE "50"

/* Threads of fbhost whose CPU is reported one by one (by name). */
#define BENCH_THREADS_MAX 128u
#define BENCH_COMM_BYTES 16u

enum bench_setup { BENCH_FBHOST, BENCH_QEMU_VNC, BENCH_NO_VNC, BENCH_DBUS_NULL, BENCH_SETUPS };
static const char *const bench_setup_name[BENCH_SETUPS] = { "fbhost", "qemu-vnc", "no-vnc",
							    "dbus-null" };

extern char **environ;

/* CPU ticks of each thread of a process, by thread id. */
struct bench_threads {
	unsigned n;
	struct {
		int tid;
		char comm[BENCH_COMM_BYTES];
		unsigned long long ticks;
	} t[BENCH_THREADS_MAX];
};

/* One workload's numbers in one setup. */
struct bench_result {
	uint64_t bytes;
	uint64_t updates;
	double server_cpu_s; /* fbhost (0 for QEMU's own VNC) */
	double qemu_cpu_s;
	double wall_s;
	struct bench_threads threads;	   /* fbhost's, per thread (ticks over the phase) */
	struct bench_threads qemu_threads; /* QEMU's, the same */
};

/* Everything one setup measured. */
struct bench_setup_result {
	struct bench_result idle, scroll;
	double key_ms; /* median key-to-echo latency, -1 if not measured */
	bool exact;    /* final scroll frame equals QEMU's screendump */
};

static const char *bench_encodings = "tight copyrect";

/* utime + stime of pid, in seconds. */
static double bench_cpu_s(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long ut = 0, st = 0;
	FILE *f;

	if (pid <= 0)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	if (!fgets(buf, sizeof(buf), f)) {
		fclose(f);
		return 0;
	}
	fclose(f);
	p = strrchr(buf, ')');
	if (!p ||
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
		return 0;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* The utime + stime ticks of every thread of pid (name from comm). */
static void bench_read_threads(pid_t pid, struct bench_threads *out)
{
	char path[64];
	struct dirent *de;
	DIR *d;

	out->n = 0;
	if (pid <= 0)
		return;
	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	d = opendir(path);
	if (!d)
		return;
	while ((de = readdir(d)) && out->n < BENCH_THREADS_MAX) {
		char file[sizeof(path) + sizeof(de->d_name) + 8], buf[1024], *open, *close;
		unsigned long long ut, st;
		size_t len;
		FILE *f;

		if (de->d_name[0] == '.')
			continue;
		snprintf(file, sizeof(file), "%s/%s/stat", path, de->d_name);
		f = fopen(file, "r");
		if (!f)
			continue;
		len = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		buf[len] = '\0';
		open = strchr(buf, '(');
		close = strrchr(buf, ')');
		if (!open || !close || close < open ||
		    sscanf(close + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut,
			   &st) != 2)
			continue;
		len = (size_t)(close - open - 1);
		if (len >= BENCH_COMM_BYTES)
			len = BENCH_COMM_BYTES - 1;
		memcpy(out->t[out->n].comm, open + 1, len);
		out->t[out->n].comm[len] = '\0';
		out->t[out->n].tid = atoi(de->d_name);
		out->t[out->n].ticks = ut + st;
		out->n++;
	}
	closedir(d);
}

/* end - begin per thread (threads that came and went count from 0). */
static void bench_threads_diff(struct bench_threads *begin, const struct bench_threads *end)
{
	struct bench_threads d = { 0 };

	for (unsigned i = 0; i < end->n; i++) {
		unsigned long long before = 0;

		for (unsigned j = 0; j < begin->n; j++)
			if (begin->t[j].tid == end->t[i].tid)
				before = begin->t[j].ticks;
		d.t[d.n] = end->t[i];
		d.t[d.n].ticks = end->t[i].ticks - before;
		d.n++;
	}
	*begin = d;
}

/* Waits for text in the serial log (polled: another process writes it),
 * pumping the viewer if any. */
static int bench_wait_serial(const char *serial, struct vtc *c, const char *text,
			     unsigned timeout_ms)
{
	uint64_t end = qr_now_ms() + timeout_ms;

	while (qr_now_ms() < end) {
		char *log = sp_read_file(serial);
		bool found = log && strstr(log, text);

		free(log);
		if (found)
			return 0;
		if (c)
			vtc_pump(c, QR_POLL_MS);
		else
			usleep(QR_POLL_MS * 1000u);
	}
	return -ETIMEDOUT;
}

/* Types letters, digits, spaces, '-', '/', ';', '>' and '\n' with QMP
 * send-key, one key (with Shift where needed) at a time: the same in
 * every setup. */
static int bench_qmp_type(struct qr_vm *vm, const char *text)
{
	for (; *text; text++) {
		char key[16], json[200];
		bool shift = (*text >= 'A' && *text <= 'Z') || *text == '>';

		if (*text == '\n')
			snprintf(key, sizeof(key), "ret");
		else if (*text == ' ')
			snprintf(key, sizeof(key), "spc");
		else if (*text == '/')
			snprintf(key, sizeof(key), "slash");
		else if (*text == '-')
			snprintf(key, sizeof(key), "minus");
		else if (*text == ';')
			snprintf(key, sizeof(key), "semicolon");
		else if (*text == '>')
			snprintf(key, sizeof(key), "dot");
		else
			snprintf(key, sizeof(key), "%c", shift ? *text - 'A' + 'a' : *text);
		snprintf(json, sizeof(json),
			 "{\"execute\": \"send-key\", \"arguments\": {\"keys\": [%s{\"type\": "
			 "\"qcode\", \"data\": \"%s\"}]}}",
			 shift ? "{\"type\": \"qcode\", \"data\": \"shift\"}, " : "", key);
		if (qr_qmp(vm, json, NULL, 0))
			return -1;
	}
	return 0;
}

/* Pumps the viewer (if any) for ms. */
static void bench_watch(struct vtc *c, unsigned ms)
{
	uint64_t end = qr_now_ms() + ms;

	while (qr_now_ms() < end) {
		if (c)
			vtc_pump(c, 50);
		else
			usleep(50000);
	}
}

static int bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Key-to-echo: 'x' pressed by the viewer until its picture changes. */
static double bench_key_latency(struct vtc *c)
{
	double ms[BENCH_KEYS];
	unsigned i, n = 0;

	for (i = 0; i < BENCH_KEYS; i++) {
		size_t bytes = (size_t)vtc_width(c) * vtc_height(c) * 4u;
		uint32_t *before = malloc(bytes);
		uint64_t t0, end;
		bool changed = false;

		bench_watch(c, 300); /* let the cursor blink settle the picture */
		memcpy(before, vtc_pixels(c), bytes);
		t0 = qr_now_ms();
		vtc_key(c, 'x', true);
		vtc_key(c, 'x', false);
		end = t0 + BENCH_KEY_TIMEOUT_MS;
		while (!changed && qr_now_ms() < end) {
			vtc_pump(c, 5);
			changed = memcmp(before, vtc_pixels(c), bytes) != 0;
		}
		if (changed)
			ms[n++] = (double)(qr_now_ms() - t0);
		free(before);
	}
	vtc_key(c, 0xff0d, true); /* Return: the shell says "xxx: not found" */
	vtc_key(c, 0xff0d, false);
	bench_watch(c, BENCH_SETTLE_MS);
	if (!n)
		return -1;
	qsort(ms, n, sizeof(ms[0]), bench_cmp_double);
	return ms[n / 2];
}

static void bench_begin(struct bench_result *r, struct vtc *c, pid_t server, pid_t qemu,
			uint64_t *t0)
{
	r->bytes = c ? vtc_bytes_received(c) : 0;
	r->updates = c ? vtc_updates(c) : 0;
	r->server_cpu_s = bench_cpu_s(server);
	r->qemu_cpu_s = bench_cpu_s(qemu);
	bench_read_threads(server, &r->threads);
	bench_read_threads(qemu, &r->qemu_threads);
	*t0 = qr_now_ms();
}

static void bench_end(struct bench_result *r, struct vtc *c, pid_t server, pid_t qemu, uint64_t t0)
{
	r->bytes = c ? vtc_bytes_received(c) - r->bytes : 0;
	r->updates = c ? vtc_updates(c) - r->updates : 0;
	r->server_cpu_s = bench_cpu_s(server) - r->server_cpu_s;
	r->qemu_cpu_s = bench_cpu_s(qemu) - r->qemu_cpu_s;
	{
		struct bench_threads now;

		bench_read_threads(server, &now);
		bench_threads_diff(&r->threads, &now);
		bench_read_threads(qemu, &now);
		bench_threads_diff(&r->qemu_threads, &now);
	}
	r->wall_s = (double)(qr_now_ms() - t0) / 1000.0;
}

/* Starts bench-qemu-null-listener (next to this program) on the QMP
 * socket fbhost would use. Its pid, or -1. */
static pid_t bench_null_start(const char *qmp_path)
{
	char self[PATH_MAX], exe[PATH_MAX + 32];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *argv[] = { exe, (char *)qmp_path, NULL };
	pid_t pid;

	if (n < 0)
		return -1;
	self[n] = '\0';
	snprintf(exe, sizeof(exe), "%s/bench-qemu-null-listener", dirname(self));
	if (posix_spawn(&pid, exe, NULL, NULL, argv, environ) != 0)
		return -1;
	return pid;
}

/* Stops the null listener: false if it had already exited (it failed). */
static bool bench_null_stop(pid_t pid)
{
	int status;
	bool alive = waitpid(pid, &status, WNOHANG) == 0;

	if (alive) {
		kill(pid, SIGTERM);
		waitpid(pid, &status, 0);
	}
	return alive;
}

static int bench_run(enum bench_setup setup, const char *kernel, const char *initrd,
		     struct bench_setup_result *out)
{
	char serial[QR_PATH_MAX + 16], serial_arg[QR_PATH_MAX + 32], vnc_arg[64], err[256];
	const char *fb_args[] = { "--guest", NULL, NULL };
	struct vtc_options vo = { .encodings = bench_encodings };
	struct sp_server s = { 0 };
	pid_t null_pid = 0;
	struct qr_vm vm;
	struct vtc *c = NULL;
	uint64_t t0;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	out->key_ms = -1;
	if (qr_setup(&vm, true))
		return -1;
	if (setup != BENCH_FBHOST && setup != BENCH_DBUS_NULL)
		vm.display = "none";
	snprintf(serial, sizeof(serial), "%s/serial.log", vm.dir);
	snprintf(serial_arg, sizeof(serial_arg), "file:%s", serial);
	snprintf(vnc_arg, sizeof(vnc_arg), "127.0.0.1:%d", BENCH_QEMU_VNC_DISPLAY);
	{
		const char *qemu_args[] = {
			"-m", "256", "-device", "virtio-vga", "-kernel", kernel, "-initrd", initrd,
			"-append", "console=tty0 quiet loglevel=1 panic=-1", "-serial", serial_arg,
			/* thread names: "CPU 0/TCG" apart */
			"-name", "bench,debug-threads=on", "-no-reboot",
			setup == BENCH_QEMU_VNC ? "-vnc" : NULL, vnc_arg, NULL
		};

		if (qr_qemu_start(&vm, qemu_args))
			goto out;
	}
	if (setup == BENCH_FBHOST) {
		fb_args[1] = vm.guest_arg;
		if (sp_start(&s, fb_args))
			goto out;
		vo.port = sp_vnc_port(&s, 0);
	} else if (setup == BENCH_DBUS_NULL) {
		null_pid = bench_null_start(vm.fbhost_qmp_path);
		if (null_pid < 0)
			goto out;
		s.pid = null_pid; /* its CPU is the "server" CPU */
	} else {
		vo.port = 5900 + BENCH_QEMU_VNC_DISPLAY;
	}
	if (bench_wait_serial(serial, NULL, "FBHOST-GUEST-READY", BENCH_BOOT_TIMEOUT_MS))
		goto out;
	if (setup != BENCH_NO_VNC && setup != BENCH_DBUS_NULL) {
		c = vtc_connect(&vo, err, sizeof(err));
		if (!c) {
			fprintf(stderr, "bench-qemu: %s: %s\n", bench_setup_name[setup], err);
			goto out;
		}
	}
	bench_watch(c, BENCH_SETTLE_MS);

	bench_begin(&out->idle, c, s.pid, vm.qemu_pid, &t0);
	bench_watch(c, BENCH_PHASE_S * 1000u);
	bench_end(&out->idle, c, s.pid, vm.qemu_pid, t0);

	if (c)
		out->key_ms = bench_key_latency(c);

	bench_begin(&out->scroll, c, s.pid, vm.qemu_pid, &t0);
	if (bench_qmp_type(&vm,
			   "scroll 10 " BENCH_SCROLL_RATE "; echo scroll-finished > /dev/ttyS0\n"))
		goto out;
	if (bench_wait_serial(serial, c, "scroll-finished", BENCH_SCROLL_TIMEOUT_MS))
		goto out;
	bench_watch(c, BENCH_SETTLE_MS);
	bench_end(&out->scroll, c, s.pid, vm.qemu_pid, t0);
	if (c) {
		struct qr_picture q = { 0 };

		if (qr_qemu_dump(&vm, &q) == 0)
			out->exact = vtc_wait_picture(c, q.px, q.w, q.h, q.w, 5000) == 0;
		qr_picture_free(&q);
	}
	rc = 0;
out:
	vtc_free(c);
	if (null_pid > 0) {
		if (!bench_null_stop(null_pid)) {
			fprintf(stderr, "bench-qemu: the null listener exited early\n");
			rc = -1;
		}
	} else if (s.pid) {
		sp_stop(&s);
	}
	qr_teardown(&vm);
	return rc;
}

static double bench_ratio(double a, double b)
{
	return b > 0 ? a / b : 0;
}

/* A process's CPU per thread over one workload, merged by name, busiest
 * first. */
static void bench_print_threads(const char *workload, const char *who,
				const struct bench_threads *t)
{
	struct bench_threads m = { 0 };
	double hz = (double)sysconf(_SC_CLK_TCK);

	for (unsigned i = 0; i < t->n; i++) {
		unsigned j;

		for (j = 0; j < m.n && strcmp(m.t[j].comm, t->t[i].comm) != 0; j++)
			;
		if (j == m.n)
			m.t[m.n++] = t->t[i];
		else
			m.t[j].ticks += t->t[i].ticks;
	}
	printf("%-7s %s threads:", workload, who);
	while (m.n) {
		unsigned best = 0;

		for (unsigned j = 1; j < m.n; j++)
			if (m.t[j].ticks > m.t[best].ticks)
				best = j;
		if (m.t[best].ticks == 0)
			break;
		printf(" %s %.2f s", m.t[best].comm, (double)m.t[best].ticks / hz);
		m.t[best] = m.t[--m.n];
	}
	printf("\n");
}

static void bench_print(const char *workload, const struct bench_result *f,
			const struct bench_result *q, const struct bench_result *base)
{
	double f_total = f->server_cpu_s + f->qemu_cpu_s;

	printf("%-7s bytes: fbhost %.3f MB, qemu-vnc %.3f MB (%.2fx); updates %llu / %llu\n",
	       workload, (double)f->bytes / 1e6, (double)q->bytes / 1e6,
	       bench_ratio((double)f->bytes, (double)q->bytes), (unsigned long long)f->updates,
	       (unsigned long long)q->updates);
	printf("%-7s cpu: fbhost %.2f s + its QEMU %.2f s = %.2f s; QEMU with its own VNC %.2f s "
	       "(%.2fx); QEMU without display %.2f s (extra over it: fbhost setup %+.2f s, "
	       "qemu-vnc %+.2f s)\n",
	       workload, f->server_cpu_s, f->qemu_cpu_s, f_total, q->qemu_cpu_s,
	       bench_ratio(f_total, q->qemu_cpu_s), base->qemu_cpu_s, f_total - base->qemu_cpu_s,
	       q->qemu_cpu_s - base->qemu_cpu_s);
}

/* Whether comm names a vCPU thread of QEMU ("CPU 0/TCG", "CPU 1/KVM"). */
static bool bench_is_vcpu(const char *comm)
{
	return strncmp(comm, "CPU ", 4) == 0 && strchr(comm, '/') != NULL;
}

/* QEMU's CPU over a phase without its vCPU threads, in seconds: the
 * guest's own work (TCG), which moves by about half a second between runs
 * of the same workload, is left out; the main loop (the display devices,
 * the display's own work), VNC's worker and GDBus's thread stay. */
static double bench_qemu_io_s(const struct bench_result *r)
{
	unsigned long long ticks = 0;

	for (unsigned i = 0; i < r->qemu_threads.n; i++)
		if (!bench_is_vcpu(r->qemu_threads.t[i].comm))
			ticks += r->qemu_threads.t[i].ticks;
	return (double)ticks / (double)sysconf(_SC_CLK_TCK);
}

/* The display's cost without the guest's TCG time: fbhost plus its QEMU's
 * non-vCPU threads against QEMU's own VNC's, each over QEMU without a
 * display. */
static void bench_print_io(const char *workload, const struct bench_result *f,
			   const struct bench_result *q, const struct bench_result *base)
{
	double f_io = f->server_cpu_s + bench_qemu_io_s(f), q_io = bench_qemu_io_s(q);
	double base_io = bench_qemu_io_s(base);

	printf("%-7s cpu without QEMU's vCPU threads: fbhost %.2f s + its QEMU %.2f s = %.2f s; "
	       "QEMU with its own VNC %.2f s (%.2fx); QEMU without display %.2f s (display's "
	       "cost over it: fbhost setup %+.2f s, qemu-vnc %+.2f s)\n",
	       workload, f->server_cpu_s, bench_qemu_io_s(f), f_io, q_io, bench_ratio(f_io, q_io),
	       base_io, f_io - base_io, q_io - base_io);
}

/* What a client that does nothing with the pixels costs (dbus-null). */
static void bench_print_null(const char *workload, const struct bench_result *n,
			     const struct bench_result *q)
{
	double total = n->server_cpu_s + n->qemu_cpu_s;

	printf("%-7s cpu: null D-Bus listener %.2f s + its QEMU %.2f s = %.2f s; QEMU with its "
	       "own VNC %.2f s (%.2fx)\n",
	       workload, n->server_cpu_s, n->qemu_cpu_s, total, q->qemu_cpu_s,
	       bench_ratio(total, q->qemu_cpu_s));
}

int main(int argc, char **argv)
{
	const char *kernel = qr_kernel(), *script = getenv("FBHOST_QEMU_INITRAMFS");
	struct bench_setup_result r[BENCH_SETUPS];
	char dir[] = "/tmp/fbhost-bq-XXXXXX", initrd[64];
	int i, setups = BENCH_SETUPS;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--encodings") == 0 && i + 1 < argc) {
			bench_encodings = argv[++i];
		} else if (strcmp(argv[i], "--fbhost-only") == 0) {
			setups = BENCH_FBHOST + 1;
		} else {
			fprintf(stderr,
				"usage: bench-qemu [--encodings ENCODINGS] [--fbhost-only]\n");
			return 2;
		}
	}
	if (!kernel || !script || !mkdtemp(dir)) {
		fprintf(stderr, "bench-qemu: needs /boot/vmlinuz-* and FBHOST_QEMU_INITRAMFS\n");
		return 1;
	}
	snprintf(initrd, sizeof(initrd), "%s/initrd.cpio", dir);
	{
		const char *mk[] = { "/bin/sh", script, initrd, kernel, NULL };

		if (sp_run(mk, NULL, NULL, 60000) != 0)
			return 1;
	}
	memset(r, 0, sizeof(r));
	for (i = 0; i < setups; i++) {
		fprintf(stderr, "bench-qemu: %s...\n", bench_setup_name[i]);
		if (bench_run((enum bench_setup)i, kernel, initrd, &r[i])) {
			fprintf(stderr, "bench-qemu: %s failed\n", bench_setup_name[i]);
			return 1;
		}
	}
	unlink(initrd);
	rmdir(dir);
	printf("bench-qemu: same VM and workloads, viewer encodings \"%s\", %u s phases\n",
	       bench_encodings, BENCH_PHASE_S);
	if (setups < BENCH_SETUPS)
		printf("(fbhost only: the qemu-vnc and no-vnc columns were not measured)\n");
	bench_print("idle", &r[BENCH_FBHOST].idle, &r[BENCH_QEMU_VNC].idle, &r[BENCH_NO_VNC].idle);
	bench_print("scroll", &r[BENCH_FBHOST].scroll, &r[BENCH_QEMU_VNC].scroll,
		    &r[BENCH_NO_VNC].scroll);
	bench_print_io("idle", &r[BENCH_FBHOST].idle, &r[BENCH_QEMU_VNC].idle,
		       &r[BENCH_NO_VNC].idle);
	bench_print_io("scroll", &r[BENCH_FBHOST].scroll, &r[BENCH_QEMU_VNC].scroll,
		       &r[BENCH_NO_VNC].scroll);
	bench_print_threads("idle", "fbhost", &r[BENCH_FBHOST].idle.threads);
	bench_print_threads("scroll", "fbhost", &r[BENCH_FBHOST].scroll.threads);
	bench_print_threads("scroll", "fbhost's QEMU", &r[BENCH_FBHOST].scroll.qemu_threads);
	bench_print_threads("scroll", "QEMU -vnc", &r[BENCH_QEMU_VNC].scroll.qemu_threads);
	bench_print_threads("scroll", "QEMU, no display", &r[BENCH_NO_VNC].scroll.qemu_threads);
	bench_print_null("idle", &r[BENCH_DBUS_NULL].idle, &r[BENCH_QEMU_VNC].idle);
	bench_print_null("scroll", &r[BENCH_DBUS_NULL].scroll, &r[BENCH_QEMU_VNC].scroll);
	printf("scroll  wall: fbhost %.1f s, qemu-vnc %.1f s, no display %.1f s; final frame "
	       "exact: "
	       "fbhost %s, qemu-vnc %s\n",
	       r[BENCH_FBHOST].scroll.wall_s, r[BENCH_QEMU_VNC].scroll.wall_s,
	       r[BENCH_NO_VNC].scroll.wall_s, r[BENCH_FBHOST].exact ? "yes" : "no",
	       r[BENCH_QEMU_VNC].exact ? "yes" : "no");
	printf("key-to-echo latency (median of %u): fbhost %.0f ms, qemu-vnc %.0f ms (%.2fx)\n",
	       BENCH_KEYS, r[BENCH_FBHOST].key_ms, r[BENCH_QEMU_VNC].key_ms,
	       bench_ratio(r[BENCH_FBHOST].key_ms, r[BENCH_QEMU_VNC].key_ms));
	return 0;
}
