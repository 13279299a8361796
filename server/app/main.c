/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * server/app/main.c - the fbhost program: parses the command line, creates one
 * framebuffer per --fb with a guest drawing into it, serves each over VNC
 * (port base+i), the noVNC viewer (web base+i) and optionally SDL, opens the
 * control socket, then waits for SIGINT/SIGTERM (signalfd) or "quit", and
 * shuts everything down cleanly.
 *
 * Exit status: 0 after a clean stop, 1 if serving failed to start, 2 for a
 * bad command line.
 */
#include <malloc.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "server/app/control-commands.h"
#include "server/app/control-server.h"
#include "server/lib/fbhost-internal.h"
#include "server/guests/guest.h"
#include "server/app/options.h"
#include "server/app/self-check.h"

/* Allocations at least this large get their own mapping (see main). */
#define MAIN_MMAP_THRESHOLD_BYTES (256 * 1024)

#define MAIN_URL_MAX_BYTES 512u

/* The guests this build has. */
static const struct guest_ops *main_find_guest(const char *name)
{
	static const struct guest_ops *const guests[] = {
		&guest_demo_ops, &guest_pattern_ops, &guest_bench_ops, &guest_qemu_ops, NULL,
	};
	size_t i;

	for (i = 0; guests[i]; i++)
		if (strcmp(guests[i]->name, name) == 0)
			return guests[i];
	return NULL;
}

/* The running program. */
struct main_state {
	struct opt_config opt;
	struct fbhost *host;
	struct fbhost_fb *fbs[OPT_MAX_FRAMEBUFFERS];
	const struct guest_ops *guest;
	void *guest_state[OPT_MAX_FRAMEBUFFERS];
	struct control_server *control;
	struct control_cmd_context ctl;
	char control_path[OPT_SOCKET_PATH_MAX_BYTES + 1];
	char attach_path[OPT_SOCKET_PATH_MAX_BYTES + 16]; /* --guest none: "" if off */
	int quit_fd; /* eventfd: "quit" or a closed SDL window */
	int signal_fd;
	bool usage_error; /* a start failure caused by a bad argument */
};

/* From a control connection's thread or the SDL thread: ask main to stop. */
static void main_request_quit(void *opaque)
{
	struct main_state *ms = opaque;
	uint64_t one = 1;

	if (write(ms->quit_fd, &one, sizeof(one)) != sizeof(one)) {
		/* cannot fail for an eventfd short of overflow */
	}
}

static bool main_have_display(void)
{
	const char *drv = getenv("SDL_VIDEODRIVER");

	return (drv && drv[0]) || getenv("DISPLAY") || getenv("WAYLAND_DISPLAY");
}

/* Creates framebuffer i with its guest and frontends; prints nothing. */
static int main_start_fb(struct main_state *ms, unsigned i)
{
	const struct opt_fb *spec = &ms->opt.fbs[i];
	struct fbhost_fb *fb;
	int err;

	fb = fbhost_fb_add(ms->host, spec->name, spec->width, spec->height, spec->format);
	if (!fb)
		return -errno;
	ms->fbs[i] = fb;
	if (ms->guest) {
		const char *gerr = NULL;

		err = ms->guest->start(ms->host, fb, ms->opt.guest_args, &ms->guest_state[i],
				       &gerr);
		if (err) {
			fprintf(stderr, "fbhost: --guest: %s\n", gerr ? gerr : strerror(-err));
			ms->guest_state[i] = NULL;
			ms->usage_error = err == -EINVAL;
			return err;
		}
	}
	if (ms->opt.web_on) {
		err = fbhost_enable_web(
			fb, ms->opt.web_port ? ms->opt.web_port + (int)i : FBHOST_PORT_ANY,
			ms->opt.web_root);
		if (err)
			return err;
	}
	if (ms->opt.vnc_on) {
		struct fbhost_vnc_options vo = {
			.host = ms->opt.vnc_host[0] ? ms->opt.vnc_host : NULL,
			.port = ms->opt.vnc_port ? ms->opt.vnc_port + (int)i : FBHOST_PORT_ANY,
			.password_file = ms->opt.password_file,
			.insecure = ms->opt.insecure,
			.cert_file = ms->opt.cert_file,
			.tls_only = ms->opt.tls_only,
		};

		err = fbhost_enable_vnc(fb, &vo);
		if (err == -ENOENT && ms->opt.web_on) {
			/* No noVNC files: serve VNC alone rather than nothing. */
			fprintf(stderr,
				"fbhost: warning: %s: no web viewer (noVNC missing: run "
				"server/run.sh or npm install in vnc/web); VNC only\n",
				spec->name);
			fbhost_disable_web(fb);
			err = fbhost_enable_vnc(fb, &vo);
		}
		if (err)
			return err;
	}
	if (ms->opt.sdl) {
		if (!main_have_display()) {
			if (i == 0)
				fprintf(stderr, "fbhost: warning: --sdl: no display (DISPLAY and "
						"WAYLAND_DISPLAY unset); no window opened\n");
		} else if (fbhost_enable_sdl(fb, &ms->opt.sdl_opts) != 0) {
			fprintf(stderr, "fbhost: warning: --sdl: no window for %s\n", spec->name);
		}
	}
	return 0;
}

/* --guest none: serves the framebuffers to guests in other processes on
 * the attach socket beside the control socket ("fbhost.sock" ->
 * "fbhost-guest.sock"). 0, or -1 with err set. */
static int main_start_attach(struct main_state *ms, char *err, size_t errlen)
{
	char base[OPT_SOCKET_PATH_MAX_BYTES + 1];
	size_t n;
	int rc;

	if (ms->control_path[0])
		snprintf(base, sizeof(base), "%s", ms->control_path);
	else if (control_default_path(base, sizeof(base), err, errlen))
		return -1;
	n = strlen(base);
	if (n > 5 && strcmp(base + n - 5, ".sock") == 0)
		base[n - 5] = '\0';
	snprintf(ms->attach_path, sizeof(ms->attach_path), "%s-guest.sock", base);
	rc = fbhost_attach_listen(ms->host, ms->attach_path);
	if (rc) {
		snprintf(err, errlen, "attach socket %s: %s", ms->attach_path, strerror(-rc));
		ms->attach_path[0] = '\0';
		return -1;
	}
	return 0;
}

static void main_print_serving(struct main_state *ms)
{
	unsigned i;

	printf("fbhost %s: %u framebuffer%s, guest %s\n", FBHOST_VERSION_STRING, ms->opt.nfbs,
	       ms->opt.nfbs == 1 ? "" : "s", ms->opt.guest);
	for (i = 0; i < ms->opt.nfbs; i++) {
		struct fbhost_mode m = fbhost_fb_mode(ms->fbs[i]);
		char vnc[96], url[MAIN_URL_MAX_BYTES];

		printf("  %u %s %ux%u %s\n", i, fbhost_fb_name(ms->fbs[i]), m.width, m.height,
		       fbhost_format_name(m.format));
		if (fbhost_vnc_address(ms->fbs[i], vnc, sizeof(vnc)) == 0)
			printf("    VNC:    %s\n", vnc);
		if (fbhost_web_url(ms->fbs[i], url, sizeof(url)) == 0)
			printf("    viewer: %s\n", url);
	}
	if (ms->control)
		printf("  control: %s (fbhost-ctl --socket %s help)\n", ms->control_path,
		       ms->control_path);
	if (ms->attach_path[0])
		printf("  attach:  %s (guests in other processes: fbhost-guest.h)\n",
		       ms->attach_path);
	if (!ms->opt.check)
		printf("Stop with Ctrl+C.\n");
	fflush(stdout);
}

static void main_stop(struct main_state *ms)
{
	unsigned i;

	control_server_free(ms->control);
	ms->control = NULL;
	for (i = 0; i < ms->opt.nfbs; i++) {
		if (ms->guest && ms->guest_state[i])
			ms->guest->stop(ms->guest_state[i]);
		ms->guest_state[i] = NULL;
	}
	fbhost_free(ms->host);
	ms->host = NULL;
}

/* --check: one viewer's visit to every VNC port and viewer page. */
static int main_check(struct main_state *ms)
{
	struct self_check_target t[OPT_MAX_FRAMEBUFFERS];
	unsigned i;

	for (i = 0; i < ms->opt.nfbs; i++) {
		struct fbhost_mode m = fbhost_fb_mode(ms->fbs[i]);
		int vnc = fbhost_vnc_port(ms->fbs[i]), web = fbhost_web_port(ms->fbs[i]);

		t[i] = (struct self_check_target){
			.name = fbhost_fb_name(ms->fbs[i]),
			.vnc_host = ms->opt.vnc_host,
			.vnc_port = vnc > 0 ? vnc : 0,
			/* The check speaks plain HTTP: an https viewer
			 * (--cert) is not visited. */
			.web_port = web > 0 && !ms->opt.cert_file ? web : 0,
			.web_path = "/viewer.html",
			.width = m.width,
			.height = m.height,
		};
	}
	return self_check_run(t, ms->opt.nfbs, stdout);
}

/* Waits for a signal or a quit request. */
static void main_wait(struct main_state *ms)
{
	struct pollfd pfd[2] = {
		{ .fd = ms->signal_fd, .events = POLLIN },
		{ .fd = ms->quit_fd, .events = POLLIN },
	};

	for (;;) {
		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			perror("fbhost: poll");
			return;
		}
		if (pfd[0].revents) {
			struct signalfd_siginfo si;

			if (read(ms->signal_fd, &si, sizeof(si)) == sizeof(si))
				fprintf(stderr, "fbhost: %s, stopping\n",
					strsignal((int)si.ssi_signo));
			return;
		}
		if (pfd[1].revents) {
			fprintf(stderr, "fbhost: quit requested, stopping\n");
			return;
		}
	}
}

int main(int argc, char **argv)
{
	static struct main_state ms; /* large; zeroed */
	struct fbhost_config hc = { 0 };
	char err[OPT_ERROR_MAX_BYTES];
	sigset_t sigs;
	unsigned i;
	int status = 1;

	/* Pictures, shadows and client queues are megabytes each and come
	 * and go with modes and viewers: with a fixed threshold glibc maps
	 * every block this large on its own and unmaps it on free, so what a
	 * display releases leaves the RSS at once (the default threshold
	 * rises after the first such free and keeps them in the heap). */
	mallopt(M_MMAP_THRESHOLD, MAIN_MMAP_THRESHOLD_BYTES);
	switch (opt_parse(argc, argv, &ms.opt, err, sizeof(err))) {
	case OPT_EXIT_OK:
		return 0;
	case OPT_EXIT_USAGE:
		fprintf(stderr, "fbhost: %s\n", err);
		return 2;
	case OPT_RUN:
		break;
	}
	if (strcmp(ms.opt.guest, "none") != 0) {
		ms.guest = main_find_guest(ms.opt.guest);
		if (!ms.guest) {
			fprintf(stderr, "fbhost: --guest: guest \"%s\" is not in this build\n",
				ms.opt.guest);
			return 2;
		}
	}

	/* Every thread created from here on inherits the blocked signals, so
	 * they arrive only through the signalfd. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	signal(SIGPIPE, SIG_IGN);
	if (pthread_sigmask(SIG_BLOCK, &sigs, NULL) != 0)
		return 1;
	ms.signal_fd = signalfd(-1, &sigs, SFD_CLOEXEC);
	ms.quit_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (ms.signal_fd < 0 || ms.quit_fd < 0) {
		perror("fbhost: signalfd/eventfd");
		return 1;
	}

	hc.rate_hz = ms.opt.rate_hz;
	hc.log_level = ms.opt.log_level;
	ms.host = fbhost_new(&hc);
	if (!ms.host) {
		fprintf(stderr, "fbhost: cannot start: %s\n", strerror(errno));
		return 1;
	}
	fbhost_set_quit_callback(ms.host, main_request_quit, &ms);
	for (i = 0; i < ms.opt.nfbs; i++) {
		int rc = main_start_fb(&ms, i);

		if (rc) {
			status = ms.usage_error ? 2 : 1;
			goto out;
		}
	}
	if (!ms.opt.control_path || strcmp(ms.opt.control_path, "none") != 0) {
		if (ms.opt.control_path) {
			snprintf(ms.control_path, sizeof(ms.control_path), "%s",
				 ms.opt.control_path);
		} else if (control_default_path(ms.control_path, sizeof(ms.control_path), err,
						sizeof(err))) {
			fprintf(stderr, "fbhost: control socket: %s\n", err);
			goto out;
		}
		ms.ctl.host = ms.host;
		ms.ctl.quit = main_request_quit;
		ms.ctl.quit_opaque = &ms;
		ms.control = control_server_new(ms.control_path, control_cmd_handle, &ms.ctl, err,
						sizeof(err));
		if (!ms.control) {
			fprintf(stderr, "fbhost: %s\n", err);
			goto out;
		}
	}
	if (!ms.guest && main_start_attach(&ms, err, sizeof(err)) != 0) {
		fprintf(stderr, "fbhost: %s\n", err);
		goto out;
	}
	main_print_serving(&ms);
	if (ms.opt.check) {
		status = main_check(&ms) ? 1 : 0;
		goto out;
	}
	main_wait(&ms);
	status = 0;
out:
	main_stop(&ms);
	close(ms.signal_fd);
	close(ms.quit_fd);
	return status;
}
