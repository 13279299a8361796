/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vnc/vnc-auth.c - reads the VNC password from a file (never from argv,
 * where other users could see it in ps).
 *
 * The first line is the full-access password; an optional second line is a
 * view-only password (as with TigerVNC's vncpasswd): a client that
 * authenticates with it sees but cannot type, point, resize or set the
 * clipboard.
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

/* Reads one line of f into a malloc'ed string: 0, 1 at EOF (*out NULL),
 * or -errno with err filled. which names the line in messages. */
static int read_line(FILE *f, const char *path, const char *which, char **out, char *err,
		     size_t errlen)
{
	/* Room for a line longer than any accepted one, to tell it apart. */
	char buf[VNC_PASSWORD_MAX_BYTES + 2];
	size_t n;
	int rc = 0;

	*out = NULL;
	if (!fgets(buf, sizeof(buf), f))
		return 1;
	n = strcspn(buf, "\r\n");
	buf[n] = '\0';
	if (n > VNC_AUTH_PASSWORD_MAX_BYTES) {
		snprintf(err, errlen,
			 "%s password in %s is longer than %d bytes, all VNC authentication "
			 "uses: shorten it to %d bytes",
			 which, path, VNC_AUTH_PASSWORD_MAX_BYTES, VNC_AUTH_PASSWORD_MAX_BYTES);
		rc = -EINVAL;
	} else if (n == 0) {
		snprintf(err, errlen, "password file %s has an empty %s line", path, which);
		rc = -EINVAL;
	} else if (!(*out = strdup(buf))) {
		snprintf(err, errlen, "out of memory");
		rc = -ENOMEM;
	}
	explicit_bzero(buf, sizeof(buf));
	return rc;
}

static void free_secret(char *p)
{
	if (p) {
		explicit_bzero(p, strlen(p));
		free(p);
	}
}

char *vnc_read_password_file(const char *path, char **view_only, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	char *pw = NULL;
	int rc;

	*view_only = NULL;
	if (!f) {
		rc = errno;
		snprintf(err, errlen, "cannot read password file %s: %s", path, strerror(rc));
		errno = rc;
		return NULL;
	}
	/* Unbuffered: no copy of the password stays in a stdio buffer. */
	setvbuf(f, NULL, _IONBF, 0);
	rc = read_line(f, path, "first", &pw, err, errlen);
	if (rc == 1) {
		snprintf(err, errlen, "password file %s is empty", path);
		rc = -EINVAL;
	}
	if (rc == 0) {
		/* The second line, as TigerVNC's vncpasswd writes it: view-only. */
		rc = read_line(f, path, "second (view-only)", view_only, err, errlen);
		if (rc == 1)
			rc = 0;
		else if (rc == 0 && !strcmp(pw, *view_only)) {
			snprintf(err, errlen,
				 "password file %s: the view-only password (second line) equals "
				 "the full one",
				 path);
			rc = -EINVAL;
		}
	}
	fclose(f);
	if (rc < 0) {
		free_secret(pw);
		free_secret(*view_only);
		*view_only = NULL;
		errno = -rc;
		return NULL;
	}
	return pw;
}
