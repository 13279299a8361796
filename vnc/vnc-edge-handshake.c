/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vnc/vnc-edge-handshake.c - the RFB version and security exchange, run by
 * the edge with the real client (RFB 3.3, 3.7 and 3.8; security types None
 * and VNC authentication), and the canned client side of the same exchange
 * that LibVNCServer reads on its socketpair afterwards.
 *
 * VNC authentication DES-encrypts a random challenge with the password:
 * LibVNCServer's rfbEncryptBytes does the DES, getrandom(2) the challenge
 * (LibVNCServer's rfbRandomBytes uses random()). A client that answers for
 * the second password of the password file is view-only. With a
 * certificate, VeNCrypt 0.2 is offered too (X509Vnc with a password,
 * X509None without): after its subtype is agreed the caller runs TLS and
 * the exchange goes on inside it. Pure code apart from getrandom: fuzzed
 * on its own.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include <rfb/rfb.h>

#include "vnc/vnc-edge.h"

#define SECTYPE_NONE 1
#define SECTYPE_VNC_AUTH 2
#define SECTYPE_VENCRYPT 19
/* VeNCrypt 0.2 subtypes: X509 certificate, then None or VNC auth. */
#define VENCRYPT_X509_NONE 260
#define VENCRYPT_X509_VNC 261
#define CHALLENGE_BYTES 16
#define RESULT_OK 0
#define RESULT_FAILED 1
/* The reason LibVNCServer gives for a wrong password (clients show it). */
#define WRONG_PASSWORD_REASON "password check failed!"

const char vnc_edge_server_version[13] = "RFB 003.008\n";

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static int send32(struct vnc_edge_buf *out, uint32_t v)
{
	uint8_t b[4];

	put32(b, v);
	return vnc_edge_buf_append(out, b, sizeof(b));
}

/* A failed SecurityResult, with the reason string for RFB 3.8. */
static int send_failure(struct vnc_edge_hs *h, struct vnc_edge_buf *out, const char *reason)
{
	size_t len = strlen(reason);
	int rc = send32(out, RESULT_FAILED);

	if (rc == 0 && h->minor >= 8) {
		rc = send32(out, (uint32_t)len);
		if (rc == 0)
			rc = vnc_edge_buf_append(out, reason, len);
	}
	h->state = VNC_EDGE_HS_FAILED;
	return rc;
}

static int send_challenge(struct vnc_edge_hs *h, struct vnc_edge_buf *out, char *why, size_t whylen)
{
	if (getrandom(h->challenge, sizeof(h->challenge), 0) != (ssize_t)sizeof(h->challenge)) {
		snprintf(why, whylen, "no random bytes for the challenge: %s", strerror(errno));
		return -EIO;
	}
	h->state = VNC_EDGE_HS_RESPONSE;
	return vnc_edge_buf_append(out, h->challenge, sizeof(h->challenge));
}

/* Authenticated: the SecurityResult where the version has one. */
static int done(struct vnc_edge_hs *h, struct vnc_edge_buf *out, bool vnc_auth)
{
	h->state = VNC_EDGE_HS_DONE;
	if (vnc_auth || h->minor >= 8)
		return send32(out, RESULT_OK) < 0 ? -ENOMEM : 1;
	return 1;
}

static int on_version(struct vnc_edge_hs *h, const struct vnc_edge_secrets *sec, const uint8_t *p,
		      struct vnc_edge_buf *out, char *why, size_t whylen)
{
	char line[13];
	int major, minor;
	uint8_t type = sec->password ? SECTYPE_VNC_AUTH : SECTYPE_NONE;

	memcpy(line, p, 12);
	line[12] = '\0';
	if (memcmp(line, "RFB ", 4) || line[7] != '.' || line[11] != '\n' ||
	    sscanf(line, "RFB %3d.%3d", &major, &minor) != 2) {
		for (int i = 0; i < 12; i++)
			if (line[i] < 0x20 || line[i] > 0x7e)
				line[i] = '?';
		snprintf(why, whylen, "not an RFB client (version line \"%s\")", line);
		return -EPROTO;
	}
	if (major != 3) {
		snprintf(why, whylen, "RFB version %d.%d is not 3.x", major, minor);
		return -EPROTO;
	}
	/* 3.7 and 3.8 as such; anything newer speaks 3.8; anything else
	 * (3.3, UltraVNC's 3.4 and 3.6) gets 3.3, as the RFB spec says. */
	h->minor = minor >= 8 ? 8 : minor == 7 ? 7 : 3;
	if (h->minor == 3) {
		if (sec->tls_only) {
			/* RFB 3.3 has no VeNCrypt: security type 0 and why. */
			static const char reason[] = "this server takes TLS (VeNCrypt) only";

			snprintf(why, whylen, "RFB 3.3 cannot use TLS, and only TLS is allowed");
			h->state = VNC_EDGE_HS_FAILED;
			if (send32(out, 0) < 0 || send32(out, sizeof(reason) - 1) < 0 ||
			    vnc_edge_buf_append(out, reason, sizeof(reason) - 1) < 0)
				return -ENOMEM;
			return -EPROTO;
		}
		if (send32(out, type) < 0)
			return -ENOMEM;
		if (type == SECTYPE_NONE)
			return done(h, out, false);
		return send_challenge(h, out, why, whylen);
	}
	h->state = VNC_EDGE_HS_SECTYPE;
	/* The plain type first: viewers that take the first type they know
	 * (libvncclient) keep working unchanged when a certificate is set. */
	if (sec->tls_only)
		return vnc_edge_buf_append(out, (uint8_t[]){ 1, SECTYPE_VENCRYPT }, 2);
	if (sec->tls)
		return vnc_edge_buf_append(out, (uint8_t[]){ 2, type, SECTYPE_VENCRYPT }, 3);
	return vnc_edge_buf_append(out, (uint8_t[]){ 1, type }, 2);
}

static int on_sectype(struct vnc_edge_hs *h, const struct vnc_edge_secrets *sec, uint8_t chosen,
		      struct vnc_edge_buf *out, char *why, size_t whylen)
{
	uint8_t type = sec->password ? SECTYPE_VNC_AUTH : SECTYPE_NONE;

	if (chosen == SECTYPE_VENCRYPT && sec->tls) {
		h->state = VNC_EDGE_HS_VENCRYPT_VERSION;
		return vnc_edge_buf_append(out, (uint8_t[]){ 0, 2 }, 2); /* VeNCrypt 0.2 */
	}
	if (chosen != type || sec->tls_only) {
		snprintf(why, whylen, "chose security type %u, which was not offered%s", chosen,
			 sec->tls_only ? " (TLS only)" : "");
		if (send_failure(h, out, "security type not offered") < 0)
			return -ENOMEM;
		return -EPROTO;
	}
	if (type == SECTYPE_NONE)
		return done(h, out, false);
	return send_challenge(h, out, why, whylen);
}

/* Whether response is the challenge encrypted with password. */
static bool answers(const uint8_t *challenge, const uint8_t *response, const char *password)
{
	unsigned char expect[CHALLENGE_BYTES];
	char key[9] = { 0 };
	uint8_t diff = 0;

	if (!password)
		return false;
	/* rfbEncryptBytes uses the first 8 bytes (NUL-padded). */
	strncpy(key, password, 8);
	memcpy(expect, challenge, sizeof(expect));
	rfbEncryptBytes(expect, key);
	for (size_t i = 0; i < sizeof(expect); i++)
		diff |= (uint8_t)(expect[i] ^ response[i]);
	explicit_bzero(key, sizeof(key));
	explicit_bzero(expect, sizeof(expect));
	return diff == 0;
}

static int on_response(struct vnc_edge_hs *h, const struct vnc_edge_secrets *sec, const uint8_t *p,
		       struct vnc_edge_buf *out, char *why, size_t whylen)
{
	if (answers(h->challenge, p, sec->password))
		return done(h, out, true);
	if (answers(h->challenge, p, sec->view_password)) {
		h->view_only = true;
		return done(h, out, true);
	}
	snprintf(why, whylen, "authentication failed");
	if (send_failure(h, out, WRONG_PASSWORD_REASON) < 0)
		return -ENOMEM;
	return -EACCES;
}

static int on_vencrypt_version(struct vnc_edge_hs *h, const struct vnc_edge_secrets *sec,
			       const uint8_t *p, struct vnc_edge_buf *out, char *why, size_t whylen)
{
	uint8_t reply[6] = { 0, 1 };

	if (p[0] != 0 || p[1] != 2) {
		snprintf(why, whylen, "VeNCrypt version %u.%u (only 0.2 is served)", p[0], p[1]);
		h->state = VNC_EDGE_HS_FAILED;
		return vnc_edge_buf_append(out, (uint8_t[]){ 0xff }, 1) < 0 ? -ENOMEM : -EPROTO;
	}
	put32(reply + 2, sec->password ? VENCRYPT_X509_VNC : VENCRYPT_X509_NONE);
	h->state = VNC_EDGE_HS_VENCRYPT_SUBTYPE;
	return vnc_edge_buf_append(out, reply, sizeof(reply));
}

static int on_vencrypt_subtype(struct vnc_edge_hs *h, const struct vnc_edge_secrets *sec,
			       const uint8_t *p, struct vnc_edge_buf *out, char *why, size_t whylen)
{
	uint32_t want = sec->password ? VENCRYPT_X509_VNC : VENCRYPT_X509_NONE;
	uint32_t got = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];

	if (got != want) {
		snprintf(why, whylen, "chose VeNCrypt subtype %u, offered only %u", got, want);
		h->state = VNC_EDGE_HS_FAILED;
		return vnc_edge_buf_append(out, (uint8_t[]){ 0 }, 1) < 0 ? -ENOMEM : -EPROTO;
	}
	h->state = VNC_EDGE_HS_TLS;
	return vnc_edge_buf_append(out, (uint8_t[]){ 1 }, 1) < 0 ? -ENOMEM : VNC_EDGE_HS_START_TLS;
}

int vnc_edge_hs_tls_ready(struct vnc_edge_hs *h, const struct vnc_edge_secrets *sec,
			  struct vnc_edge_buf *out, char *why, size_t whylen)
{
	if (h->state != VNC_EDGE_HS_TLS) {
		snprintf(why, whylen, "TLS outside VeNCrypt");
		return -EPROTO;
	}
	if (!sec->password)
		return done(h, out, false);
	return send_challenge(h, out, why, whylen);
}

int vnc_edge_hs_input(struct vnc_edge_hs *h, const struct vnc_edge_secrets *sec, const uint8_t *p,
		      size_t n, size_t *used, struct vnc_edge_buf *out, char *why, size_t whylen)
{
	int rc = 0;

	*used = 0;
	switch (h->state) {
	case VNC_EDGE_HS_VERSION:
		if (n < 12)
			return 0;
		*used = 12;
		rc = on_version(h, sec, p, out, why, whylen);
		break;
	case VNC_EDGE_HS_SECTYPE:
		if (n < 1)
			return 0;
		*used = 1;
		rc = on_sectype(h, sec, p[0], out, why, whylen);
		break;
	case VNC_EDGE_HS_VENCRYPT_VERSION:
		if (n < 2)
			return 0;
		*used = 2;
		rc = on_vencrypt_version(h, sec, p, out, why, whylen);
		break;
	case VNC_EDGE_HS_VENCRYPT_SUBTYPE:
		if (n < 4)
			return 0;
		*used = 4;
		rc = on_vencrypt_subtype(h, sec, p, out, why, whylen);
		break;
	case VNC_EDGE_HS_TLS:
		return 0; /* nothing until TLS is up */
	case VNC_EDGE_HS_RESPONSE:
		if (n < CHALLENGE_BYTES)
			return 0;
		*used = CHALLENGE_BYTES;
		rc = on_response(h, sec, p, out, why, whylen);
		break;
	case VNC_EDGE_HS_DONE:
		return 1;
	case VNC_EDGE_HS_FAILED:
		snprintf(why, whylen, "input after a refusal");
		return -EPROTO;
	}
	if (rc == -ENOMEM)
		snprintf(why, whylen, "out of memory");
	return rc;
}

size_t vnc_edge_canned_client(bool vnc_auth, uint8_t *out, size_t cap)
{
	size_t n = 12 + 1 + (vnc_auth ? CHALLENGE_BYTES : 0);

	if (cap < n)
		return 0;
	memcpy(out, vnc_edge_server_version, 12);
	out[12] = vnc_auth ? SECTYPE_VNC_AUTH : SECTYPE_NONE;
	/* Any response: fbhost's passwordCheck accepts an edge client. */
	memset(out + 13, 0, n - 13);
	return n;
}

size_t vnc_edge_canned_reply_len(bool vnc_auth, const uint8_t *first, size_t n)
{
	/* Version (12), the security type list (count + types), the
	 * challenge if any, the SecurityResult (4). */
	if (n < 13)
		return 0;
	return 12 + 1 + (size_t)first[12] + (vnc_auth ? CHALLENGE_BYTES : 0) + 4;
}
