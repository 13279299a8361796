/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vnc/vnc-charset.h - the clipboard's Latin-1 <-> UTF-8 conversion, with
 * glibc's iconv. RFB's plain ClientCutText/ServerCutText carry Latin-1
 * (ISO-8859-1); the guest's clipboard is UTF-8.
 *
 * Policy for UTF-8 -> Latin-1: every character Latin-1 lacks and every
 * invalid sequence becomes one '?', and the bytes after it are converted
 * normally (so "\xc3A" gives "?A", never swallowing the 'A'). Latin-1 ->
 * UTF-8 always succeeds. Locale-independent (no //TRANSLIT).
 *
 * Header only (static inline): used by vnc-clients.c and vnc-clipboard.c and
 * unit-tested directly. Any thread (each call opens its own iconv state).
 */
#ifndef FBHOST_VNC_VNC_CHARSET_H
#define FBHOST_VNC_VNC_CHARSET_H

#include <errno.h>
#include <iconv.h>
#include <stdlib.h>

/* Converts len bytes with iconv from one charset to another into out
 * (room for out_max bytes, which the caller sized for the worst case).
 * Each sequence iconv refuses becomes one '?' (with the UTF-8 continuation
 * bytes after it). The output length, or -1 with errno. */
static inline long vnc_charset_convert(const char *to, const char *from, const char *in, size_t len,
				       char *out, size_t out_max)
{
	iconv_t cd = iconv_open(to, from);
	char *inp = (char *)in, *outp = out;
	size_t inleft = len, outleft = out_max;

	if (cd == (iconv_t)-1)
		return -1;
	while (inleft > 0) {
		if (iconv(cd, &inp, &inleft, &outp, &outleft) != (size_t)-1)
			break;
		if (errno != EILSEQ && errno != EINVAL) {
			int e = errno; /* E2BIG: the caller's worst case was wrong */

			iconv_close(cd);
			errno = e;
			return -1;
		}
		/* Invalid, unmappable or truncated: one '?' for the sequence. */
		if (outleft == 0) {
			iconv_close(cd);
			errno = E2BIG;
			return -1;
		}
		*outp++ = '?';
		outleft--;
		inp++;
		inleft--;
		while (inleft > 0 && ((unsigned char)*inp & 0xc0) == 0x80) {
			inp++;
			inleft--;
		}
		iconv(cd, NULL, NULL, NULL, NULL); /* reset the shift state */
	}
	iconv_close(cd);
	return (long)(outp - out);
}

/* vnc_charset_convert into a malloc'ed NUL-terminated string of *out_len
 * bytes, at most cap of them; NULL with errno. */
static inline char *vnc_charset_convert_alloc(const char *to, const char *from, const char *in,
					      size_t len, size_t cap, size_t *out_len)
{
	char *out = malloc(cap + 1);
	long n;

	if (!out)
		return NULL;
	n = vnc_charset_convert(to, from, in, len, out, cap);
	if (n < 0) {
		int e = errno;

		free(out);
		errno = e;
		return NULL;
	}
	out[n] = '\0';
	*out_len = (size_t)n;
	return out;
}

/* Latin-1 to UTF-8: a malloc'ed NUL-terminated string of *out_len bytes,
 * or NULL with errno. At most 2 bytes per character. */
static inline char *vnc_charset_latin1_to_utf8(const char *latin1, size_t len, size_t *out_len)
{
	return vnc_charset_convert_alloc("UTF-8", "ISO-8859-1", latin1, len, 2 * len, out_len);
}

/* UTF-8 to Latin-1 ('?' for what Latin-1 lacks, see above): a malloc'ed
 * NUL-terminated string of *out_len bytes, or NULL with errno. Every
 * character or '?' uses at least one input byte. The Latin-1 side is named
 * plainly: iconv rejects, never approximates. */
static inline char *vnc_charset_utf8_to_latin1(const char *utf8, size_t len, size_t *out_len)
{
	return vnc_charset_convert_alloc("ISO-8859-1", "UTF-8", utf8, len, len, out_len);
}

#endif
