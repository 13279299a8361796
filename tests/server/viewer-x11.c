/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tests/server/viewer-x11.c - X11 viewers in the tests (see viewer-x11.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
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
#include "tests/server/viewer-x11.h"

extern char **environ;

/* Children vx_stop_all can stop. */
#define VX_CHILDREN_MAX 16u
/* Programs vx_find_program remembers. */
#define VX_PROGRAMS_MAX 32u
/* Between two checks whether a stopping child has exited. */
#define VX_STOP_POLL_MS 20

/* Children started and not stopped yet, for vx_stop_all (a failed test
 * jumps out before its own vx_stop). */
static pid_t children[VX_CHILDREN_MAX];

static void track(pid_t pid, pid_t replace)
{
	for (unsigned i = 0; i < VX_CHILDREN_MAX; i++)
		if (children[i] == replace) {
			children[i] = pid;
			return;
		}
}

uint64_t vx_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

const char *vx_find_program(const char *name)
{
	/* Looked-up programs; entries are never overwritten. */
	static struct {
		char name[32];
		char path[VX_PATH_MAX];
	} cache[VX_PROGRAMS_MAX];
	static unsigned cached;
	const char *path = getenv("PATH");
	char p[VX_PATH_MAX];

	for (unsigned i = 0; i < cached; i++)
		if (!strcmp(cache[i].name, name))
			return cache[i].path[0] ? cache[i].path : NULL;
	if (cached == VX_PROGRAMS_MAX || strlen(name) >= sizeof(cache[0].name))
		return NULL;
	snprintf(cache[cached].name, sizeof(cache[0].name), "%s", name);
	cache[cached].path[0] = '\0';
	for (const char *d = path ? path : ""; *d;) {
		size_t n = strcspn(d, ":");

		snprintf(p, sizeof(p), "%.*s/%s", (int)n, d, name);
		if (n && access(p, X_OK) == 0) {
			memcpy(cache[cached].path, p, sizeof(p));
			break;
		}
		d += n + (d[n] == ':');
	}
	cached++;
	return cache[cached - 1].path[0] ? cache[cached - 1].path : NULL;
}

pid_t vx_spawn(const char *const *argv, const char *log)
{
	pid_t parent = getpid(), pid;
	size_t n = 0, k = 0;
	char **env;
	int fd, null;

	/* The environment without LD_PRELOAD (the viewers are not the program
	 * under test), built before fork: other threads may be running. */
	while (environ[n])
		n++;
	env = calloc(n + 1, sizeof(*env));
	if (!env)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (strncmp(environ[i], "LD_PRELOAD=", 11) != 0)
			env[k++] = environ[i];
	pid = fork();
	if (pid != 0) {
		free(env);
		if (pid > 0)
			track(pid, 0);
		return pid;
	}
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent)
		_exit(127);
	fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	null = open("/dev/null", O_RDONLY);
	if (fd >= 0) {
		dup2(fd, 1);
		dup2(fd, 2);
	}
	if (null >= 0)
		dup2(null, 0);
	execve(argv[0], (char *const *)argv, env);
	_exit(127);
}

void vx_stop(pid_t pid)
{
	uint64_t end = vx_now_ms() + VX_STOP_MS;

	if (pid <= 0)
		return;
	track(0, pid);
	kill(pid, SIGTERM);
	while (waitpid(pid, NULL, WNOHANG) == 0) {
		struct timespec ts = { 0, VX_STOP_POLL_MS * 1000000L };

		if (vx_now_ms() > end) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			return;
		}
		nanosleep(&ts, NULL);
	}
}

void vx_stop_all(void)
{
	for (unsigned i = 0; i < VX_CHILDREN_MAX; i++)
		vx_stop(children[i]);
}

pid_t vx_start_xvfb(const char *dir, char *display, size_t len)
{
	const char *xvfb = vx_find_program("Xvfb");
	char fdarg[16], buf[16] = "", log[VX_PATH_MAX];
	const char *argv[] = { xvfb,	       "-displayfd", fdarg, "-screen",	"0",
			       VX_XVFB_SCREEN, "-nolisten",  "tcp", "-noreset", NULL };
	uint64_t end = vx_now_ms() + VX_WAIT_MS;
	size_t got = 0;
	int pfd[2];
	pid_t pid;

	if (!xvfb || pipe(pfd) != 0)
		return -1;
	snprintf(fdarg, sizeof(fdarg), "%d", pfd[1]);
	snprintf(log, sizeof(log), "%s/xvfb.log", dir);
	pid = vx_spawn(argv, log);
	track(0, pid); /* outlives vx_stop_all: the caller stops it */
	close(pfd[1]);
	/* It writes the display number and a newline once it serves. */
	while (pid > 0 && got < sizeof(buf) - 1 && !memchr(buf, '\n', got)) {
		struct pollfd p = { .fd = pfd[0], .events = POLLIN };
		uint64_t now = vx_now_ms();
		ssize_t n;

		if (now >= end || poll(&p, 1, (int)(end - now)) <= 0)
			break;
		n = read(pfd[0], buf + got, sizeof(buf) - 1 - got);
		if (n <= 0)
			break;
		got += (size_t)n;
		buf[got] = '\0';
	}
	close(pfd[0]);
	if (pid <= 0 || !memchr(buf, '\n', got)) {
		vx_stop(pid);
		return -1;
	}
	buf[strcspn(buf, "\n")] = '\0';
	snprintf(display, len, ":%s", buf);
	setenv("DISPLAY", display, 1);
	return pid;
}

uint32_t *vx_capture_window(const char *display, const char *id, const char *dir, uint32_t *w,
			    uint32_t *h)
{
	char path[VX_PATH_MAX], dst[VX_PATH_MAX + 8];
	const char *argv[] = {
		vx_find_program("import"), "-display", display, "-window", id, dst, NULL
	};
	uint32_t *px = NULL;

	snprintf(path, sizeof(path), "%s/window.png", dir);
	snprintf(dst, sizeof(dst), "png:%s", path);
	if (!argv[0] || sp_run(argv, NULL, NULL, VX_WAIT_MS) != 0 ||
	    pic_read_png(path, &px, w, h) != 0)
		return NULL;
	for (size_t i = 0; i < (size_t)*w * *h; i++)
		px[i] &= 0xffffffu;
	return px;
}

bool vx_find_picture(const uint32_t *got, uint32_t gw, uint32_t gh, const uint32_t *want,
		     uint32_t ww, uint32_t wh, uint32_t *ox, uint32_t *oy)
{
	for (uint32_t y = 0; y + wh <= gh; y++)
		for (uint32_t x = 0; x + ww <= gw; x++) {
			bool same = true;

			for (uint32_t r = 0; same && r < wh; r++)
				same = !memcmp(got + (size_t)(y + r) * gw + x,
					       want + (size_t)r * ww, (size_t)ww * 4);
			if (same) {
				*ox = x;
				*oy = y;
				return true;
			}
		}
	return false;
}

int vx_find_window(const char *name, char *id, size_t len)
{
	const char *argv[] = {
		vx_find_program("xdotool"), "search", "--onlyvisible", "--name", name, NULL
	};
	uint64_t end = vx_now_ms() + VX_WAIT_MS;

	while (argv[0] && vx_now_ms() < end) {
		char *out = NULL;

		if (sp_run(argv, &out, NULL, VX_WAIT_MS) == 0 && out && out[0]) {
			out[strcspn(out, "\n")] = '\0';
			snprintf(id, len, "%s", out);
			free(out);
			return 0;
		}
		free(out);
	}
	return -1;
}

int vx_focus(const char *id)
{
	const char *argv[] = { vx_find_program("xdotool"), "windowfocus", "--sync", id, NULL };

	return argv[0] && sp_run(argv, NULL, NULL, VX_WAIT_MS) == 0 ? 0 : -1;
}

int vx_make_cert(const char *dir, char *cert, char *both)
{
	const char *openssl = vx_find_program("openssl");
	char key[VX_PATH_MAX], cmd[8 * VX_PATH_MAX];

	if (!openssl)
		return -1;
	snprintf(cert, VX_PATH_MAX, "%s/tls-cert.pem", dir);
	snprintf(key, sizeof(key), "%s/tls-key.pem", dir);
	snprintf(both, VX_PATH_MAX, "%s/tls-both.pem", dir);
	snprintf(cmd, sizeof(cmd),
		 "%s req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost "
		 "-addext subjectAltName=DNS:localhost,IP:127.0.0.1 -keyout %s -out %s "
		 "2>/dev/null && cat %s %s > %s",
		 openssl, key, cert, cert, key, both);
	return system(cmd) == 0 ? 0 : -1;
}

/* Writes text into path: 0 or -1. */
static int write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	int rc;

	if (!f)
		return -1;
	rc = fputs(text, f) < 0 ? -1 : 0;
	if (fclose(f) != 0)
		rc = -1;
	return rc;
}

int vx_gvnc_trust(const char *dir, const char *ca, struct vx_gvnc_env *e)
{
	static const char *const subdirs[] = { "gvnc-home", "gvnc-home/.pki", "gvnc-home/.pki/CA" };
	const char *getent = vx_find_program("getent");
	char path[VX_PATH_MAX + 32], home[VX_PATH_MAX], line[2 * VX_PATH_MAX], uid[16];
	char *pem = sp_read_file(ca), *out = NULL;
	const char *argv[] = { getent, "passwd", uid, NULL };
	int rc = -1;

	if (!pem || !getent)
		goto out;
	for (size_t i = 0; i < sizeof(subdirs) / sizeof(subdirs[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, subdirs[i]);
		if (mkdir(path, 0700) != 0 && errno != EEXIST)
			goto out;
	}
	snprintf(home, sizeof(home), "%s/gvnc-home", dir);
	snprintf(path, sizeof(path), "%s/.pki/CA/cacert.pem", home);
	if (write_file(path, pem) != 0)
		goto out;
	snprintf(e->vars[0], sizeof(e->vars[0]), "NSS_WRAPPER_PASSWD=%s/gvnc-passwd", dir);
	snprintf(line, sizeof(line), "fbhost-test:x:%u:%u:gvnccapture:%s:/bin/false\n",
		 (unsigned)getuid(), (unsigned)getgid(), home);
	if (write_file(strchr(e->vars[0], '=') + 1, line) != 0)
		goto out;
	snprintf(e->vars[1], sizeof(e->vars[1]), "NSS_WRAPPER_GROUP=%s/gvnc-group", dir);
	snprintf(line, sizeof(line), "fbhost-test:x:%u:\n", (unsigned)getgid());
	if (write_file(strchr(e->vars[1], '=') + 1, line) != 0)
		goto out;
	snprintf(e->vars[2], sizeof(e->vars[2]), "LD_PRELOAD=libnss_wrapper.so");
	for (unsigned i = 0; i < 3; i++)
		e->env[i] = e->vars[i];
	e->env[3] = NULL;
	/* Is nss_wrapper there (the loader only warns when it is not)? */
	snprintf(uid, sizeof(uid), "%u", (unsigned)getuid());
	if (sp_run_tty(argv, e->env, NULL, NULL, &out, VX_WAIT_MS) == 0 && out && strstr(out, home))
		rc = 0;
out:
	free(out);
	free(pem);
	return rc;
}
