/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * server/lib/web-root.c - where the noVNC browser viewer's files are found when
 * the program or the embedding application names none:
 *   1. the meson option web_root, if it was set;
 *   2. running from the build tree: NULL, i.e. the VNC frontend's own
 *      default, the source tree's vnc/web (viewer and the
 *      node_modules/@novnc/novnc that the set-up step fetched);
 *   3. installed: $datadir/fbhost/web, copied there by meson install;
 *   4. otherwise NULL again (the VNC frontend falls back to Debian's noVNC).
 */
#include <dlfcn.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "server/lib/fbhost-internal.h"

#ifndef FBHOST_WEB_ROOT_OPTION
#define FBHOST_WEB_ROOT_OPTION ""
#endif
#ifndef FBHOST_BUILD_ROOT
#define FBHOST_BUILD_ROOT ""
#endif
#ifndef FBHOST_INSTALLED_WEB_ROOT
#define FBHOST_INSTALLED_WEB_ROOT ""
#endif

static pthread_once_t web_root_once = PTHREAD_ONCE_INIT;
static char web_root[PATH_MAX]; /* written once under web_root_once */

static bool dir_has(const char *dir, const char *file)
{
	char path[PATH_MAX];

	if (!dir[0])
		return false;
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	return access(path, R_OK) == 0;
}

/* Whether path (made absolute) lies under the build tree. */
static bool under_build_root(const char *path)
{
	char real[PATH_MAX];
	size_t n = strlen(FBHOST_BUILD_ROOT);

	if (!path || !n || !realpath(path, real))
		return false;
	return strncmp(real, FBHOST_BUILD_ROOT, n) == 0 && (real[n] == '/' || real[n] == '\0');
}

static void web_root_resolve(void)
{
	Dl_info info;
	bool in_build = under_build_root("/proc/self/exe");

	if (!in_build && dladdr((void *)fbhost_default_web_root, &info) && info.dli_fname)
		in_build = under_build_root(info.dli_fname);

	if (FBHOST_WEB_ROOT_OPTION[0])
		snprintf(web_root, sizeof(web_root), "%s", FBHOST_WEB_ROOT_OPTION);
	else if (!in_build && dir_has(FBHOST_INSTALLED_WEB_ROOT, "viewer.html"))
		snprintf(web_root, sizeof(web_root), "%s", FBHOST_INSTALLED_WEB_ROOT);
}

const char *fbhost_default_web_root(void)
{
	pthread_once(&web_root_once, web_root_resolve);
	return web_root[0] ? web_root : NULL;
}
