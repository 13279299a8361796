/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vnc/vnc-edge-framer.c - splits a client's byte stream into whole RFB
 * messages, by the length rules of LibVNCServer 0.9.14's
 * rfbProcessClientNormalMessage, so that LibVNCServer only ever reads a
 * complete message and never waits on a client. A type it does not accept,
 * one it would drop the client for, or a length beyond the stated limits
 * is refused here with a reason. Pure code: fuzzed on its own. A positive
 * return must be consumed by the caller (the framer's state moves on).
 */
#include <errno.h>
#include <stdio.h>

#include "vnc/vnc-edge.h"

/* rfbEncodingExtendedClipboard: enables the negative ClientCutText form. */
#define ENCODING_EXTENDED_CLIPBOARD 0xC0A1E5CEu
/* TextChat lengths that are commands without text (rfbTextChatOpen,
 * rfbTextChatClose, rfbTextChatFinished). */
#define TEXT_CHAT_COMMAND_MIN 0xFFFFFFFDu

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static ssize_t refuse(char *why, size_t whylen, const char *fmt, unsigned long v)
{
	snprintf(why, whylen, fmt, v);
	return -EPROTO;
}

/* Fixed-size messages: their length, or 0 for the others. */
static size_t fixed_length(uint8_t type)
{
	switch (type) {
	case VNC_MSG_SET_PIXEL_FORMAT:
		return 20;
	case VNC_MSG_UPDATE_REQUEST:
		return 10;
	case VNC_MSG_KEY:
		return 8;
	case VNC_MSG_POINTER:
		return 6;
	case VNC_MSG_SET_SCALE:
	case VNC_MSG_SET_SERVER_INPUT:
	case VNC_MSG_PALM_SCALE:
	case VNC_MSG_XVP:
		return 4;
	case VNC_MSG_SET_SW:
		return 6;
	default:
		return 0;
	}
}

static ssize_t set_encodings(struct vnc_edge_framer *f, const uint8_t *p, size_t n, char *why,
			     size_t whylen)
{
	size_t count, len;

	if (n < 4)
		return 0;
	count = be16(p + 2);
	if (count > VNC_EDGE_MAX_ENCODINGS)
		return refuse(why, whylen, "SetEncodings with %lu encodings (limit %lu)",
			      (unsigned long)count);
	len = 4 + 4 * count;
	if (n < len)
		return 0;
	f->ext_clipboard = false;
	f->qemu_key = false;
	for (size_t i = 0; i < count; i++) {
		uint32_t enc = be32(p + 4 + 4 * i);

		if (enc == ENCODING_EXTENDED_CLIPBOARD)
			f->ext_clipboard = true;
		else if (enc == VNC_ENCODING_QEMU_KEY_EVENT)
			f->qemu_key = true;
	}
	return (ssize_t)len;
}

/* QEMU's client message: only the extended key event (subtype 0), and only
 * from a client that announced it (the server acknowledges it then). */
static ssize_t qemu_message(const struct vnc_edge_framer *f, const uint8_t *p, size_t n, char *why,
			    size_t whylen)
{
	if (n < 2)
		return 0;
	if (p[1] != VNC_QEMU_SUBTYPE_KEY_EVENT)
		return refuse(why, whylen, "unknown QEMU message subtype %lu", p[1]);
	if (!f->qemu_key)
		return refuse(why, whylen,
			      "QEMU extended key event without the QEMU Extended Key Event "
			      "encoding (-%lu)",
			      (unsigned long)-(int32_t)VNC_ENCODING_QEMU_KEY_EVENT);
	return n >= VNC_QEMU_KEY_EVENT_BYTES ? VNC_QEMU_KEY_EVENT_BYTES : 0;
}

static ssize_t cut_text(const struct vnc_edge_framer *f, const uint8_t *p, size_t n, char *why,
			size_t whylen)
{
	uint32_t len;

	if (n < 8)
		return 0;
	len = be32(p + 4);
	if (len & 0x80000000u) {
		/* The extended form: the length negated. */
		if (!f->ext_clipboard)
			return refuse(why, whylen,
				      "extended ClientCutText (length 0x%lx) without the "
				      "ExtendedClipboard encoding",
				      (unsigned long)len);
		len = (uint32_t)-len;
	}
	if (len > VNC_EDGE_CUT_TEXT_MAX_BYTES)
		return refuse(why, whylen, "ClientCutText of %lu bytes (limit 1 MiB)",
			      (unsigned long)len);
	return n >= 8 + (size_t)len ? (ssize_t)(8 + len) : 0;
}

static ssize_t text_chat(const uint8_t *p, size_t n, char *why, size_t whylen)
{
	uint32_t len;

	if (n < 8)
		return 0;
	len = be32(p + 4);
	if (len >= TEXT_CHAT_COMMAND_MIN)
		return 8;
	if (len == 0 || len >= VNC_EDGE_TEXT_CHAT_MAX_BYTES)
		return refuse(why, whylen, "TextChat of %lu bytes (limit 4095)",
			      (unsigned long)len);
	return n >= 8 + (size_t)len ? (ssize_t)(8 + len) : 0;
}

ssize_t vnc_edge_frame(struct vnc_edge_framer *f, const uint8_t *p, size_t n, char *why,
		       size_t whylen)
{
	size_t len;

	if (n == 0)
		return 0;
	if (!f->client_init_done) {
		f->client_init_done = true; /* ClientInit: the shared flag */
		return 1;
	}
	len = fixed_length(p[0]);
	if (len)
		return n >= len ? (ssize_t)len : 0;
	switch (p[0]) {
	case VNC_MSG_SET_ENCODINGS:
		return set_encodings(f, p, n, why, whylen);
	case VNC_MSG_CUT_TEXT:
		return cut_text(f, p, n, why, whylen);
	case VNC_MSG_TEXT_CHAT:
		return text_chat(p, n, why, whylen);
	case VNC_MSG_SET_DESKTOP_SIZE:
		/* type, pad, width, height, number of screens, pad; 16 bytes
		 * per screen. */
		if (n < 8)
			return 0;
		len = 8 + 16 * (size_t)p[6];
		return n >= len ? (ssize_t)len : 0;
	case VNC_MSG_QEMU:
		return qemu_message(f, p, n, why, whylen);
	case VNC_MSG_FIX_COLOUR_MAP:
		return refuse(why, whylen, "FixColourMapEntries (type %lu) is not supported", 1);
	case VNC_MSG_FILE_TRANSFER:
		return refuse(why, whylen, "file transfer (type %lu) is not supported", 7);
	default:
		return refuse(why, whylen, "unknown message type %lu", p[0]);
	}
}
