/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * server/lib/fbhost-name.c - the framebuffer name rule (see fbhost-name.h).
 */
#include "server/lib/fbhost-name.h"

#include <stdbool.h>

enum fbhost_name_verdict fbhost_name_check(const char *name, size_t len)
{
	bool digits_only = true;
	size_t i;

	if (!name || len == 0 || len > FBHOST_NAME_MAX_BYTES)
		return FBHOST_NAME_BAD_LENGTH;
	for (i = 0; i < len; i++) {
		char c = name[i];

		if (c >= '0' && c <= '9')
			continue;
		digits_only = false;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '-' ||
		      c == '.'))
			return FBHOST_NAME_BAD_CHAR;
	}
	return digits_only ? FBHOST_NAME_ALL_DIGITS : FBHOST_NAME_OK;
}
