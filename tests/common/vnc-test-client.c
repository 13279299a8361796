/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tests/common/vnc-test-client.c - a VNC test client on libvncclient; see
 * vnc-test-client.h.
 */
#include <errno.h>
#include <pthread.h>
#include <linux/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "tests/common/vnc-test-client.h"

#define VTC_DEFAULT_CONNECT_TIMEOUT_MS 10000u
#define VTC_READ_TIMEOUT_S 10

struct vtc {
	rfbClient *cl;
	char *password;
	char *ca_file;
	uint64_t updates, rects, resizes;
	char *cut;
	char mismatch[192];
	struct vtc_cursor cursor;
	uint32_t *cursor_pixels; /* cursor.pixels */
	uint8_t *cursor_mask;	 /* cursor.mask */
};

static int vtc_tag;

/* The last libvncclient log line of this thread, for error messages. */
static __thread char vtc_last_log[256];

static void vtc_log(const char *format, ...)
{
	va_list ap;
	size_t n;

	va_start(ap, format);
	vsnprintf(vtc_last_log, sizeof(vtc_last_log), format, ap);
	va_end(ap);
	n = strlen(vtc_last_log);
	while (n > 0 && vtc_last_log[n - 1] == '\n')
		vtc_last_log[--n] = '\0';
	if (getenv("VTC_DEBUG"))
		fprintf(stderr, "vtc: %s\n", vtc_last_log);
}

/* libvncclient's log hooks are process-wide: installed once. */
static pthread_once_t vtc_log_once = PTHREAD_ONCE_INIT;

static void vtc_install_log(void)
{
	rfbClientLog = vtc_log;
	rfbClientErr = vtc_log;
}

static struct vtc *of(rfbClient *cl)
{
	return rfbClientGetClientData(cl, &vtc_tag);
}

/* A cursor shape (libvncclient put it in rcSource/rcMask in our format). */
static void on_cursor_shape(rfbClient *cl, int xhot, int yhot, int width, int height, int bpp)
{
	struct vtc *c = of(cl);
	size_t n = (size_t)width * (size_t)height;
	uint32_t *px = bpp == 4 ? malloc(n * 4 + 4) : NULL;
	uint8_t *mask = malloc(n + 1);

	if (!px || !mask) {
		free(px);
		free(mask);
		return;
	}
	memcpy(px, cl->rcSource, n * 4);
	memcpy(mask, cl->rcMask, n);
	/* libvncclient 0.9.14 allocates a new mask for every shape without
	 * freeing the last one, and frees neither at cleanup: ours now. */
	free(cl->rcMask);
	cl->rcMask = NULL;
	free(c->cursor_pixels);
	free(c->cursor_mask);
	c->cursor_pixels = px;
	c->cursor_mask = mask;
	c->cursor.pixels = px;
	c->cursor.mask = mask;
	c->cursor.width = (uint32_t)width;
	c->cursor.height = (uint32_t)height;
	c->cursor.hot_x = xhot;
	c->cursor.hot_y = yhot;
	c->cursor.shapes++;
}

static rfbBool on_cursor_pos(rfbClient *cl, int x, int y)
{
	struct vtc *c = of(cl);

	c->cursor.x = x;
	c->cursor.y = y;
	c->cursor.moves++;
	return TRUE;
}

const struct vtc_cursor *vtc_cursor(const struct vtc *c)
{
	return &c->cursor;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static rfbBool on_malloc_fb(rfbClient *cl)
{
	struct vtc *c = of(cl);
	size_t bytes = (size_t)cl->width * (size_t)cl->height * 4;

	free(cl->frameBuffer);
	cl->frameBuffer = calloc(bytes ? bytes : 4, 1);
	if (c)
		c->resizes++;
	return cl->frameBuffer != NULL;
}

static void on_rect(rfbClient *cl, int x, int y, int w, int h)
{
	(void)x;
	(void)y;
	(void)w;
	(void)h;
	of(cl)->rects++;
}

static void on_finished(rfbClient *cl)
{
	of(cl)->updates++;
}

static void on_cut(rfbClient *cl, const char *text, int len)
{
	struct vtc *c = of(cl);

	free(c->cut);
	c->cut = malloc((size_t)len + 1);
	if (c->cut) {
		memcpy(c->cut, text, (size_t)len);
		c->cut[len] = '\0';
	}
}

static char *on_password(rfbClient *cl)
{
	struct vtc *c = of(cl);

	/* libvncclient frees what we return, except an empty string it
	 * rejects: give it NULL for "no password". */
	return c->password ? strdup(c->password) : NULL;
}

/* VeNCrypt X509: the CA to check the server's certificate against.
 * libvncclient frees the credential and its strings. */
static rfbCredential *on_credential(rfbClient *cl, int type)
{
	struct vtc *c = of(cl);
	rfbCredential *cred;

	if (type != rfbCredentialTypeX509 || !c->ca_file)
		return NULL;
	cred = calloc(1, sizeof(*cred));
	if (!cred)
		return NULL;
	cred->x509Credential.x509CACertFile = strdup(c->ca_file);
	return cred;
}

struct vtc *vtc_connect(const struct vtc_options *opt, char *err, size_t errlen)
{
	struct vtc *c = calloc(1, sizeof(*c));
	unsigned timeout_ms =
		opt->connect_timeout_ms ? opt->connect_timeout_ms : VTC_DEFAULT_CONNECT_TIMEOUT_MS;
	rfbClient *cl;

	pthread_once(&vtc_log_once, vtc_install_log);
	if (!c) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	cl = rfbGetClient(8, 3, 4);
	if (!cl) {
		free(c);
		snprintf(err, errlen, "rfbGetClient failed");
		return NULL;
	}
	c->cl = cl;
	c->password = opt->password ? strdup(opt->password) : NULL;
	c->ca_file = opt->ca_file ? strdup(opt->ca_file) : NULL;
	/* x8r8g8b8: 0x00RRGGBB in a native uint32_t. */
	cl->format.redShift = 16;
	cl->format.greenShift = 8;
	cl->format.blueShift = 0;
	if (opt->encodings)
		cl->appData.encodingsString = opt->encodings;
	cl->appData.compressLevel = opt->compress_level;
	cl->appData.enableJPEG = opt->use_quality && opt->quality_level >= 0;
	cl->appData.qualityLevel =
		opt->use_quality && opt->quality_level >= 0 ? opt->quality_level : 9;
	cl->appData.shareDesktop = !opt->exclusive;
	cl->appData.useRemoteCursor = opt->remote_cursor;
	cl->GotCursorShape = on_cursor_shape;
	cl->HandleCursorPos = on_cursor_pos;
	cl->canHandleNewFBSize = TRUE;
	cl->MallocFrameBuffer = on_malloc_fb;
	cl->GotFrameBufferUpdate = on_rect;
	cl->FinishedFrameBufferUpdate = on_finished;
	cl->GotXCutText = on_cut;
	cl->GetPassword = on_password;
	cl->GetCredential = on_credential;
	free(cl->serverHost); /* rfbGetClient's empty default */
	cl->serverHost = strdup(opt->host ? opt->host : "127.0.0.1");
	cl->serverPort = opt->port;
	cl->connectTimeout = (timeout_ms + 999) / 1000;
	cl->readTimeout = VTC_READ_TIMEOUT_S;
	rfbClientSetClientData(cl, &vtc_tag, c);
	vtc_last_log[0] = '\0';
	if (!rfbInitClient(cl, NULL, NULL)) {
		/* rfbInitClient has freed cl. */
		snprintf(err, errlen, "connect to %s:%d failed: %s",
			 opt->host ? opt->host : "127.0.0.1", opt->port,
			 vtc_last_log[0] ? vtc_last_log : "unknown error");
		free(c->password);
		free(c->ca_file);
		free(c);
		return NULL;
	}
	return c;
}

void vtc_free(struct vtc *c)
{
	if (!c)
		return;
	free(c->cl->frameBuffer);
	c->cl->frameBuffer = NULL;
	free(c->cl->rcSource); /* the last cursor shape: rfbClientCleanup keeps it */
	c->cl->rcSource = NULL;
	rfbClientCleanup(c->cl);
	free(c->password);
	free(c->ca_file);
	free(c->cut);
	free(c->cursor_pixels);
	free(c->cursor_mask);
	free(c);
}

/* Handles one message plus whatever libvncclient already buffered. */
static int handle(struct vtc *c)
{
	do {
		if (!HandleRFBServerMessage(c->cl))
			return -ECONNRESET;
	} while (c->cl->buffered > 0);
	return 0;
}

int vtc_pump(struct vtc *c, unsigned timeout_ms)
{
	int r = WaitForMessage(c->cl, timeout_ms * 1000u);

	if (r < 0)
		return -ECONNRESET;
	if (r == 0)
		return 0;
	if (handle(c) < 0)
		return -ECONNRESET;
	while ((r = WaitForMessage(c->cl, 0)) > 0)
		if (handle(c) < 0)
			return -ECONNRESET;
	return r < 0 ? -ECONNRESET : 0;
}

int vtc_wait_update(struct vtc *c, unsigned timeout_ms)
{
	uint64_t end = now_ms() + timeout_ms, start = c->updates;

	while (c->updates == start) {
		uint64_t now = now_ms();
		int r;

		if (now >= end)
			return -ETIMEDOUT;
		r = vtc_pump(c, (unsigned)(end - now));
		if (r < 0)
			return r;
	}
	return 0;
}

bool vtc_equals(struct vtc *c, const uint32_t *expected, uint32_t w, uint32_t h, size_t stride_px)
{
	const uint32_t *fb = (const uint32_t *)c->cl->frameBuffer;

	if ((uint32_t)c->cl->width != w || (uint32_t)c->cl->height != h) {
		snprintf(c->mismatch, sizeof(c->mismatch), "size %dx%d != expected %ux%u",
			 c->cl->width, c->cl->height, w, h);
		return false;
	}
	for (uint32_t y = 0; y < h; y++)
		for (uint32_t x = 0; x < w; x++) {
			uint32_t got = fb[(size_t)y * w + x] & 0xffffffu;
			uint32_t want = expected[(size_t)y * stride_px + x] & 0xffffffu;

			if (got != want) {
				snprintf(c->mismatch, sizeof(c->mismatch),
					 "pixel (%u,%u) 0x%06x != expected 0x%06x", x, y, got,
					 want);
				return false;
			}
		}
	c->mismatch[0] = '\0';
	return true;
}

int vtc_wait_picture(struct vtc *c, const uint32_t *expected, uint32_t w, uint32_t h,
		     size_t stride_px, unsigned timeout_ms)
{
	uint64_t end = now_ms() + timeout_ms;

	while (!vtc_equals(c, expected, w, h, stride_px)) {
		uint64_t now = now_ms();
		int r;

		if (now >= end)
			return -ETIMEDOUT;
		r = vtc_pump(c, (unsigned)(end - now) < 50 ? (unsigned)(end - now) : 50);
		if (r < 0)
			return r;
	}
	return 0;
}

int vtc_wait_size(struct vtc *c, uint32_t w, uint32_t h, unsigned timeout_ms)
{
	uint64_t end = now_ms() + timeout_ms;

	while ((uint32_t)c->cl->width != w || (uint32_t)c->cl->height != h) {
		uint64_t now = now_ms();
		int r;

		if (now >= end) {
			snprintf(c->mismatch, sizeof(c->mismatch), "size %dx%d != expected %ux%u",
				 c->cl->width, c->cl->height, w, h);
			return -ETIMEDOUT;
		}
		r = vtc_pump(c, (unsigned)(end - now) < 50 ? (unsigned)(end - now) : 50);
		if (r < 0)
			return r;
	}
	return 0;
}

const char *vtc_last_mismatch(const struct vtc *c)
{
	return c->mismatch;
}

uint32_t vtc_width(const struct vtc *c)
{
	return (uint32_t)c->cl->width;
}

uint32_t vtc_height(const struct vtc *c)
{
	return (uint32_t)c->cl->height;
}

const uint32_t *vtc_pixels(const struct vtc *c)
{
	return (const uint32_t *)c->cl->frameBuffer;
}

uint64_t vtc_updates(const struct vtc *c)
{
	return c->updates;
}

uint64_t vtc_rects(const struct vtc *c)
{
	return c->rects;
}

uint64_t vtc_resizes(const struct vtc *c)
{
	return c->resizes;
}

uint64_t vtc_bytes_received(const struct vtc *c)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	memset(&ti, 0, sizeof(ti));
	if (getsockopt(c->cl->sock, IPPROTO_TCP, TCP_INFO, &ti, &len) < 0 ||
	    len < offsetof(struct tcp_info, tcpi_bytes_received) + sizeof(ti.tcpi_bytes_received))
		return 0;
	return ti.tcpi_bytes_received;
}

const char *vtc_cut_text(const struct vtc *c)
{
	return c->cut;
}

int vtc_pointer(struct vtc *c, int x, int y, int buttons)
{
	return SendPointerEvent(c->cl, x, y, buttons) ? 0 : -EIO;
}

int vtc_key(struct vtc *c, uint32_t keysym, bool down)
{
	return SendKeyEvent(c->cl, keysym, down) ? 0 : -EIO;
}

int vtc_cut_text_send(struct vtc *c, const char *text)
{
	return SendClientCutText(c->cl, (char *)text, (int)strlen(text)) ? 0 : -EIO;
}

int vtc_request_size(struct vtc *c, uint32_t w, uint32_t h)
{
	return SendExtDesktopSize(c->cl, (uint16_t)w, (uint16_t)h) ? 0 : -EIO;
}

rfbClient *vtc_rfb(struct vtc *c)
{
	return c->cl;
}
