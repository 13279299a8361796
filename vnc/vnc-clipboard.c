/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vnc/vnc-clipboard.c - guest clipboard text to the VNC clients. Runs on
 * the VNC thread.
 *
 * Why not rfbSendServerCutTextUTF8 alone: in LibVNCServer 0.9.14 its
 * Latin-1 fallback (for clients without Extended Clipboard) goes out with
 * the UTF-8 text's length in its header (fixed upstream after 0.9.14,
 * commit 5a464a2a), so for non-ASCII text the client reads bytes of the
 * next message as clipboard text and its stream desynchronises. And both
 * it and rfbSendServerCutText write to every client, also to one still in
 * its handshake, whose next expected message is not a ServerCutText.
 *
 * Nor with a NULL fallback: then it leaves the sendMutex of every client
 * without Extended Clipboard locked (0.9.14 and upstream master), and the
 * next rfbNewFramebuffer or disconnect deadlocks.
 *
 * So each client past its handshake without Extended Clipboard gets a
 * plain Latin-1 ServerCutText with its own length from us, and
 * rfbSendServerCutTextUTF8 (NULL fallback) runs with only the Extended
 * Clipboard clients visible to it. A client still in its handshake misses
 * the text.
 */
#include <stdlib.h>
#include <string.h>

#include "vnc/vnc-charset.h"
#include "vnc/vnc-internal.h"

/* Writes one ServerCutText of len Latin-1 bytes to cl; closes cl if the
 * write fails. Single-threaded LibVNCServer: no other thread writes to cl,
 * so sendMutex is not needed. */
static void send_latin1(struct vnc_server *s, rfbClientPtr cl, const char *latin1, size_t len)
{
	struct vnc_client *c = cl->clientData;
	rfbServerCutTextMsg msg;

	memset(&msg, 0, sizeof(msg));
	msg.type = rfbServerCutText;
	msg.length = Swap32IfLE((uint32_t)len);
	if (rfbWriteExact(cl, (const char *)&msg, sz_rfbServerCutTextMsg) < 0 ||
	    rfbWriteExact(cl, latin1, (int)len) < 0) {
		if (c && !c->close_reason)
			c->close_reason = "write of clipboard text failed";
		vnc_log(s, "client #%llu: clipboard text could not be written",
			c ? (unsigned long long)c->id : 0ull);
		rfbCloseClient(cl);
		s->reap_due = true;
		return;
	}
	rfbStatRecordMessageSent(cl, rfbServerCutText, sz_rfbServerCutTextMsg + (int)len,
				 sz_rfbServerCutTextMsg + (int)len);
}

/*
 * rfbSendServerCutTextUTF8 for the Extended Clipboard clients only. Every
 * other client is hidden from the library's client iterator for the call
 * (rfbClientIteratorNext skips a client whose sock is -1) and restored
 * right after; this thread is the only one that touches the clients.
 */
static void send_extended(struct vnc_server *s, const char *utf8, size_t len)
{
	struct hidden {
		rfbClientPtr cl;
		int sock;
	} *hidden = NULL;
	size_t n = 0, cap = 0;
	rfbClientIteratorPtr it = rfbGetClientIterator(s->screen);

	for (rfbClientPtr cl; (cl = rfbClientIteratorNext(it));) {
		if (cl->state == RFB_NORMAL && cl->enableExtendedClipboard)
			continue;
		if (n == cap) {
			size_t ncap = cap ? 2 * cap : 8;
			struct hidden *nh = realloc(hidden, ncap * sizeof(*nh));

			if (!nh) {
				vnc_log(s, "clipboard text for Extended Clipboard clients "
					   "dropped: out of memory");
				rfbReleaseClientIterator(it);
				goto restore;
			}
			hidden = nh;
			cap = ncap;
		}
		hidden[n++] = (struct hidden){ cl, cl->sock };
	}
	rfbReleaseClientIterator(it);
	for (size_t i = 0; i < n; i++)
		hidden[i].cl->sock = -1;
	rfbSendServerCutTextUTF8(s->screen, (char *)utf8, (int)len, NULL, 0);
restore:
	for (size_t i = 0; i < n; i++)
		hidden[i].cl->sock = hidden[i].sock;
	free(hidden);
}

void vnc_clipboard_send(struct vnc_server *s, const char *utf8, size_t len)
{
	rfbClientIteratorPtr it;
	size_t latin1_len;
	char *latin1 = vnc_charset_utf8_to_latin1(utf8, len, &latin1_len);
	bool extended = false;

	if (!latin1) {
		vnc_log(s, "clipboard text of %zu bytes dropped: out of memory", len);
		return;
	}
	it = rfbGetClientIterator(s->screen);
	for (rfbClientPtr cl; (cl = rfbClientIteratorNext(it));) {
		if (cl->state != RFB_NORMAL)
			continue;
		if (cl->enableExtendedClipboard)
			extended = true;
		else
			send_latin1(s, cl, latin1, latin1_len);
	}
	rfbReleaseClientIterator(it);
	if (extended)
		send_extended(s, utf8, len);
	free(latin1);
}
