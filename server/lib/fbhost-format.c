/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * server/lib/fbhost-format.c - libfbhost's pixel formats: names, sizes, and the
 * mapping to pixman's format codes. Needs nothing but pixman, so the
 * program's option parser uses it too.
 */
#include <string.h>
#include <strings.h>

#include "server/lib/fbhost-internal.h"

/* One row per format: the public enum, pixman's code, names accepted. */
static const struct {
	enum fbhost_format format;
	pixman_format_code_t pixman;
	const char *name;
	const char *depth_alias;
} fbhost_formats[] = {
	{ FBHOST_FORMAT_C8, PIXMAN_c8, "c8", "8" },
	{ FBHOST_FORMAT_X1R5G5B5, PIXMAN_x1r5g5b5, "x1r5g5b5", "15" },
	{ FBHOST_FORMAT_R5G6B5, PIXMAN_r5g6b5, "r5g6b5", "16" },
	{ FBHOST_FORMAT_R8G8B8, PIXMAN_r8g8b8, "r8g8b8", "24" },
	{ FBHOST_FORMAT_X8R8G8B8, PIXMAN_x8r8g8b8, "x8r8g8b8", "32" },
	{ FBHOST_FORMAT_A8R8G8B8, PIXMAN_a8r8g8b8, "a8r8g8b8", NULL },
};
#define FBHOST_N_FORMATS (sizeof(fbhost_formats) / sizeof(fbhost_formats[0]))

pixman_format_code_t fbhost_format_to_pixman(enum fbhost_format format)
{
	size_t i;

	for (i = 0; i < FBHOST_N_FORMATS; i++)
		if (fbhost_formats[i].format == format)
			return fbhost_formats[i].pixman;
	return 0;
}

enum fbhost_format fbhost_format_from_pixman(pixman_format_code_t format)
{
	size_t i;

	for (i = 0; i < FBHOST_N_FORMATS; i++)
		if (fbhost_formats[i].pixman == format)
			return fbhost_formats[i].format;
	return FBHOST_FORMAT_INVALID;
}

const char *fbhost_format_name(enum fbhost_format format)
{
	size_t i;

	for (i = 0; i < FBHOST_N_FORMATS; i++)
		if (fbhost_formats[i].format == format)
			return fbhost_formats[i].name;
	return NULL;
}

enum fbhost_format fbhost_format_parse(const char *name)
{
	size_t i;

	if (!name)
		return FBHOST_FORMAT_INVALID;
	for (i = 0; i < FBHOST_N_FORMATS; i++)
		if (strcasecmp(name, fbhost_formats[i].name) == 0 ||
		    (fbhost_formats[i].depth_alias &&
		     strcmp(name, fbhost_formats[i].depth_alias) == 0))
			return fbhost_formats[i].format;
	return FBHOST_FORMAT_INVALID;
}

unsigned fbhost_format_bytes(enum fbhost_format format)
{
	pixman_format_code_t p = fbhost_format_to_pixman(format);

	return p ? (unsigned)PIXMAN_FORMAT_BPP(p) / 8 : 0;
}
