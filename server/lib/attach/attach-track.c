/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * server/lib/attach/attach-track.c - fbhost_fb_track_writes: write tracking for
 * drawing code in the embedding process itself (fb/track.c does the work).
 */
#include <errno.h>

#include "server/lib/fbhost-internal.h"

const char *fbhost_fb_track_writes(struct fbhost_fb *fb)
{
	struct fb_track_config tc = { .mode = FB_TRACK_UFFD, .pagemap_fd = -1 };
	struct fb_device *dev;
	const char *why = NULL;
	int rc;

	if (!fb) {
		errno = EINVAL;
		return NULL;
	}
	dev = (fb)->dev;
	if (fb_track_uffd_supported(&why)) {
		rc = fb_track_start(dev, &tc);
		if (rc == 0)
			return fb_track_mode_name(FB_TRACK_UFFD);
		why = "userfaultfd setup failed";
	}
	fbhost_log(fb->host, FBHOST_LOG_WARN, "%s: write tracking by compare: %s", fb->name, why);
	tc.mode = FB_TRACK_COMPARE;
	rc = fb_track_start(dev, &tc);
	if (rc) {
		errno = -rc;
		return NULL;
	}
	return fb_track_mode_name(FB_TRACK_COMPARE);
}
