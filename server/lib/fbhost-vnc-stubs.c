/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * server/lib/fbhost-vnc-stubs.c - libfbhost without LibVNCServer: the VNC
 * and web viewer calls answer -ENOTSUP (or "not serving"), as QEMU's
 * vnc-stubs.c does. Replaces fbhost-vnc.c in such builds.
 */
#include <errno.h>

#include "server/lib/fbhost-internal.h"

int fbhost_enable_vnc(struct fbhost_fb *fb, const struct fbhost_vnc_options *opt)
{
	return fbhost_fail(fb->host, fb->name, -ENOTSUP, "built without VNC support");
}

int fbhost_enable_web(struct fbhost_fb *fb, int port, const char *web_root)
{
	return fbhost_fail(fb->host, fb->name, -ENOTSUP, "built without VNC support");
}

void fbhost_disable_web(struct fbhost_fb *fb)
{
}

void fbhost_disable_vnc(struct fbhost_fb *fb)
{
}

int fbhost_vnc_port(struct fbhost_fb *fb)
{
	return -1;
}

int fbhost_web_port(struct fbhost_fb *fb)
{
	return -1;
}

int fbhost_web_url(struct fbhost_fb *fb, char *buf, size_t size)
{
	if (size)
		buf[0] = '\0';
	return -ENOENT;
}

int fbhost_vnc_address(struct fbhost_fb *fb, char *buf, size_t size)
{
	if (size)
		buf[0] = '\0';
	return -ENOENT;
}

bool fbhost_vnc_mode_fits(struct fbhost_fb *fb, const struct fb_mode *mode)
{
	return true;
}

void fbhost_vnc_get_stats(struct fbhost_fb *fb, struct fbhost_stats *st)
{
}

void fbhost_vnc_server_free(struct vnc_server *vnc)
{
}

size_t fbhost_clients(struct fbhost_fb *fb, struct fbhost_client *out, size_t max)
{
	return 0;
}

int fbhost_disconnect(struct fbhost_fb *fb, uint64_t client_id)
{
	return -ENOENT;
}
