// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vnc/vnc-auth.c - reads the VNC password from a file (never from argv,
 * where other users could see it in ps).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vnc/vnc-internal.h"

char *vnc_read_password_file(const char *path, char *err, size_t errlen)
{
	char buf[VNC_PASSWORD_MAX_BYTES + 2];
	FILE *f = fopen(path, "r");
	size_t n;
	char *pw;

	if (!f) {
		int e = errno;

		snprintf(err, errlen, "cannot read password file %s: %s", path, strerror(e));
		errno = e;
		return NULL;
	}
	if (!fgets(buf, sizeof(buf), f)) {
		fclose(f);
		snprintf(err, errlen, "password file %s is empty", path);
		errno = EINVAL;
		return NULL;
	}
	fclose(f);
	n = strcspn(buf, "\r\n");
	if (n == strlen(buf) && n > VNC_PASSWORD_MAX_BYTES) {
		snprintf(err, errlen, "password in %s is longer than %d bytes", path,
			 VNC_PASSWORD_MAX_BYTES);
		errno = EINVAL;
		return NULL;
	}
	buf[n] = '\0';
	if (n == 0) {
		snprintf(err, errlen, "password file %s has an empty first line", path);
		errno = EINVAL;
		return NULL;
	}
	pw = strdup(buf);
	memset(buf, 0, sizeof(buf));
	if (!pw) {
		snprintf(err, errlen, "out of memory");
		errno = ENOMEM;
	}
	return pw;
}
