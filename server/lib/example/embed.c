/* SPDX-License-Identifier: GPL-2.0-or-later */
/* embed.c - draw into a framebuffer, resize it and serve it over VNC with libfbhost.
 * Build: cc embed.c $(pkg-config --cflags --libs fbhost) -o embed
 * Run:   ./embed [PORT]   (0 = any free port), then point a VNC viewer at it. */
#include <fbhost.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	int port = argc > 1 ? atoi(argv[1]) : 5900, sig;
	struct fbhost_vnc_options vnc = { .port = port ? port : FBHOST_PORT_ANY };
	struct fbhost_pixels px;
	sigset_t stop;

	sigemptyset(&stop); /* block SIGINT/SIGTERM in every thread: sigwait takes them */
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);

	struct fbhost *host = fbhost_new(NULL); /* guest RAM + render thread */
	struct fbhost_fb *fb = fbhost_fb_add(host, "example", 320, 240, FBHOST_FORMAT_X8R8G8B8);
	if (!fb || fbhost_resize(fb, 640, 480, FBHOST_FORMAT_X8R8G8B8) != 0)
		return 1;
	fbhost_fill(fb, 0, 0, 640, 480, 0x203040); /* helpers mark their own damage */
	fbhost_fill(fb, 100, 100, 200, 120, 0xff8000);
	fbhost_pixels_begin(fb, &px); /* direct access: a gradient row */
	for (uint32_t x = 0; x < px.width; x++)
		((uint32_t *)px.data)[10 * px.stride / 4 + x] = x * 255 / px.width * 0x010101;
	fbhost_pixels_end(fb, &px);
	fbhost_damage(fb, 0, 10, 640, 1);
	if (fbhost_enable_vnc(fb, &vnc) != 0)
		return 1;
	printf("serving 640x480 on 127.0.0.1:%d\n", fbhost_vnc_port(fb));
	fflush(stdout);
	sigwait(&stop, &sig);
	fbhost_free(host); /* disconnects viewers, stops the render thread */
	return 0;
}
