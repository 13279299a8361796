/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vnc/vnc-auth.c - reads the VNC password from a file (never from argv,
 * where other users could see it in ps).
 *
 * VNC authentication (RFB security type 2) DES-encrypts the challenge with
 * the first VNC_AUTH_PASSWORD_MAX_BYTES bytes of the password only. A longer
 * password is refused rather than silently cut: its owner would believe the
 * whole of it protects the server, while any password sharing those first
 * bytes gets in.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vnc/vnc-internal.h"

/* Bytes of the password VNC authentication uses. */
#define VNC_AUTH_PASSWORD_MAX_BYTES 8

char *vnc_read_password_file(const char *path, char *err, size_t errlen)
{
	/* Room for a line longer than any accepted one, to tell it apart. */
	char buf[VNC_PASSWORD_MAX_BYTES + 2];
	FILE *f = fopen(path, "r");
	char *pw = NULL;
	size_t n;
	int e;

	if (!f) {
		e = errno;
		snprintf(err, errlen, "cannot read password file %s: %s", path, strerror(e));
		errno = e;
		return NULL;
	}
	/* Unbuffered: no copy of the password stays in a stdio buffer. */
	setvbuf(f, NULL, _IONBF, 0);
	if (!fgets(buf, sizeof(buf), f)) {
		snprintf(err, errlen, "password file %s is empty", path);
		e = EINVAL;
		goto out;
	}
	n = strcspn(buf, "\r\n");
	buf[n] = '\0';
	if (n > VNC_AUTH_PASSWORD_MAX_BYTES) {
		snprintf(err, errlen,
			 "password in %s is longer than %d bytes, all VNC authentication uses: "
			 "shorten it to %d bytes",
			 path, VNC_AUTH_PASSWORD_MAX_BYTES, VNC_AUTH_PASSWORD_MAX_BYTES);
		e = EINVAL;
		goto out;
	}
	if (n == 0) {
		snprintf(err, errlen, "password file %s has an empty first line", path);
		e = EINVAL;
		goto out;
	}
	pw = strdup(buf);
	e = pw ? 0 : ENOMEM;
	if (!pw)
		snprintf(err, errlen, "out of memory");
out:
	explicit_bzero(buf, sizeof(buf));
	fclose(f);
	if (e)
		errno = e;
	return pw;
}
