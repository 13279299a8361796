/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vnc/vnc-web-api.c - the web server's data for the index page:
 *   GET /api/framebuffers   JSON: every framebuffer of the program (from
 *                           vnc_config.directory) with its mode, clients
 *                           and VNC port, and which one this server serves
 *   GET /api/thumbnail?id=N a PNG of framebuffer N scaled (pixman) to fit
 *                           VNC_WEB_THUMB_MAX_W x VNC_WEB_THUMB_MAX_H
 * A framebuffer whose VNC needs a password gets no thumbnail (403): the
 * HTTP server has no authentication of its own.
 */
#include <errno.h>
#include <pixman.h>
#include <png.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vnc/vnc-web-internal.h"

/* Most framebuffers listed (the program's own limit is lower). */
#define VNC_WEB_LIST_MAX 64u
/* Bytes of JSON per listed framebuffer, at most (names are escaped). */
#define VNC_WEB_LIST_ENTRY_MAX_BYTES (VNC_FB_NAME_MAX * 6 + 256)
#define VNC_WEB_THUMB_MAX_W 320u
#define VNC_WEB_THUMB_MAX_H 200u

/* A growing text or byte buffer; on overflow or ENOMEM, failed is set. */
struct out_buf {
	char *data;
	size_t len, cap;
	bool failed;
};

static void out_bytes(struct out_buf *b, const void *p, size_t n)
{
	if (b->failed)
		return;
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 4096;
		char *d;

		while (cap < b->len + n)
			cap *= 2;
		d = realloc(b->data, cap);
		if (!d) {
			b->failed = true;
			return;
		}
		b->data = d;
		b->cap = cap;
	}
	memcpy(b->data + b->len, p, n);
	b->len += n;
}

static void out_printf(struct out_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void out_printf(struct out_buf *b, const char *fmt, ...)
{
	char tmp[VNC_WEB_LIST_ENTRY_MAX_BYTES];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		b->failed = true;
		return;
	}
	out_bytes(b, tmp, (size_t)n);
}

/* A JSON string literal (control characters, quote and backslash escaped). */
static void out_json_string(struct out_buf *b, const char *s)
{
	out_bytes(b, "\"", 1);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			out_printf(b, "\\%c", c);
		else if (c < 0x20)
			out_printf(b, "\\u%04x", c);
		else
			out_bytes(b, s, 1);
	}
	out_bytes(b, "\"", 1);
}

static enum MHD_Result reply_buf(struct MHD_Connection *conn, struct out_buf *b, const char *type)
{
	struct MHD_Response *r;
	enum MHD_Result rc;

	if (b->failed) {
		free(b->data);
		return vnc_web_reply_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
	}
	r = MHD_create_response_from_buffer(b->len, b->data, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(b->data);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	rc = MHD_queue_response(conn, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return rc;
}

/* Without a directory: this server's framebuffer alone. */
static size_t list_self(struct vnc_web *w, struct vnc_fb_summary *out, size_t max)
{
	struct vnc_server *s = w->server;
	struct vnc_server_stats st;
	struct fb_mode m = fb_get_mode(s->fb);
	const char *fmt = fb_format_name(m.format);

	if (!max)
		return 1;
	vnc_server_get_stats(s, &st);
	memset(out, 0, sizeof(*out));
	snprintf(out->name, sizeof(out->name), "%s",
		 s->desktop_name ? s->desktop_name : fb_name(s->fb));
	out->width = st.width ? st.width : m.width;
	out->height = st.height ? st.height : m.height;
	snprintf(out->format, sizeof(out->format), "%s", fmt ? fmt : "");
	out->clients = st.clients;
	out->vnc_port = s->vnc_listen.port;
	out->password = s->password_file != NULL;
	return 1;
}

static enum MHD_Result api_framebuffers(struct vnc_web *w, struct MHD_Connection *conn)
{
	struct vnc_fb_summary *fbs = calloc(VNC_WEB_LIST_MAX, sizeof(*fbs));
	struct out_buf b = { 0 };
	size_t n, i;

	if (!fbs)
		return vnc_web_reply_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
	if (w->directory.list)
		n = w->directory.list(w->directory.opaque, fbs, VNC_WEB_LIST_MAX);
	else
		n = list_self(w, fbs, VNC_WEB_LIST_MAX);
	if (n > VNC_WEB_LIST_MAX)
		n = VNC_WEB_LIST_MAX;
	out_printf(&b, "{\"vnc_port\":%d,\"tls\":%s,\"thumbnails\":%s,\"framebuffers\":[",
		   w->server->vnc_listen.port, w->tls_cert ? "true" : "false",
		   w->directory.pixels ? "true" : "false");
	for (i = 0; i < n; i++) {
		const struct vnc_fb_summary *f = &fbs[i];

		out_printf(&b, "%s{\"id\":%u,\"name\":", i ? "," : "", f->id);
		out_json_string(&b, f->name);
		out_printf(&b, ",\"width\":%u,\"height\":%u,\"format\":", f->width, f->height);
		out_json_string(&b, f->format);
		out_printf(&b, ",\"clients\":%u,\"vnc_port\":%d,\"password\":%s}", f->clients,
			   f->vnc_port, f->password ? "true" : "false");
	}
	out_printf(&b, "]}\n");
	free(fbs);
	return reply_buf(conn, &b, "application/json");
}

static void png_write_out(png_structp png, png_bytep data, png_size_t len)
{
	struct out_buf *b = png_get_io_ptr(png);

	out_bytes(b, data, len);
}

static void png_flush_out(png_structp png)
{
	(void)png;
}

/* Encodes a tightly packed x8r8g8b8 picture as an RGB PNG into b. 0 or -EIO. */
static int encode_png(struct out_buf *b, const uint32_t *px, uint32_t w, uint32_t h)
{
	png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
	png_infop info = png ? png_create_info_struct(png) : NULL;
	png_bytep row = NULL;

	if (!info)
		goto fail;
	row = malloc((size_t)w * 3);
	if (!row)
		goto fail;
	if (setjmp(png_jmpbuf(png)))
		goto fail;
	png_set_write_fn(png, b, png_write_out, png_flush_out);
	png_set_IHDR(png, info, w, h, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
		     PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
	png_write_info(png, info);
	for (uint32_t y = 0; y < h; y++) {
		for (uint32_t x = 0; x < w; x++) {
			uint32_t p = px[(size_t)y * w + x];

			row[x * 3] = (png_byte)(p >> 16);
			row[x * 3 + 1] = (png_byte)(p >> 8);
			row[x * 3 + 2] = (png_byte)p;
		}
		png_write_row(png, row);
	}
	png_write_end(png, NULL);
	png_destroy_write_struct(&png, &info);
	free(row);
	return b->failed ? -ENOMEM : 0;

fail:
	png_destroy_write_struct(&png, info ? &info : NULL);
	free(row);
	return -EIO;
}

/* Scales src (w x h, x8r8g8b8) to fit the thumbnail box, keeping the aspect
 * ratio (never enlarging). NULL on ENOMEM. */
static uint32_t *scale_thumb(uint32_t *src, uint32_t w, uint32_t h, uint32_t *tw, uint32_t *th)
{
	pixman_image_t *s, *d;
	pixman_transform_t t;
	uint32_t *out;
	double k = 1.0;

	if (w > VNC_WEB_THUMB_MAX_W)
		k = (double)VNC_WEB_THUMB_MAX_W / w;
	if (h * k > VNC_WEB_THUMB_MAX_H)
		k = (double)VNC_WEB_THUMB_MAX_H / h;
	*tw = (uint32_t)(w * k) ? (uint32_t)(w * k) : 1;
	*th = (uint32_t)(h * k) ? (uint32_t)(h * k) : 1;
	out = malloc((size_t)*tw * *th * 4);
	if (!out)
		return NULL;
	s = pixman_image_create_bits(PIXMAN_x8r8g8b8, (int)w, (int)h, src, (int)(w * 4));
	d = pixman_image_create_bits(PIXMAN_x8r8g8b8, (int)*tw, (int)*th, out, (int)(*tw * 4));
	if (!s || !d) {
		free(out);
		out = NULL;
		goto done;
	}
	pixman_transform_init_scale(&t, pixman_double_to_fixed((double)w / *tw),
				    pixman_double_to_fixed((double)h / *th));
	pixman_image_set_transform(s, &t);
	pixman_image_set_filter(s, PIXMAN_FILTER_GOOD, NULL, 0);
	pixman_image_set_repeat(s, PIXMAN_REPEAT_PAD);
	pixman_image_composite32(PIXMAN_OP_SRC, s, NULL, d, 0, 0, 0, 0, 0, 0, (int)*tw, (int)*th);
done:
	if (s)
		pixman_image_unref(s);
	if (d)
		pixman_image_unref(d);
	return out;
}

static enum MHD_Result api_thumbnail(struct vnc_web *w, struct MHD_Connection *conn)
{
	const char *arg = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "id");
	struct out_buf b = { 0 };
	uint32_t *px = NULL, *thumb;
	uint32_t pw, ph, tw, th;
	unsigned long id;
	char *end;
	int rc;

	if (!w->directory.pixels)
		return vnc_web_reply_text(conn, MHD_HTTP_NOT_FOUND, "no thumbnails here\n");
	errno = 0;
	id = arg ? strtoul(arg, &end, 10) : 0;
	if (!arg || !*arg || *end || errno || id >= VNC_WEB_LIST_MAX)
		return vnc_web_reply_text(conn, MHD_HTTP_BAD_REQUEST,
					  "usage: /api/thumbnail?id=N\n");
	rc = w->directory.pixels(w->directory.opaque, (unsigned)id, &px, &pw, &ph);
	if (rc == -ENOENT)
		return vnc_web_reply_text(conn, MHD_HTTP_NOT_FOUND, "no such framebuffer\n");
	if (rc == -EACCES)
		return vnc_web_reply_text(conn, MHD_HTTP_FORBIDDEN,
					  "this framebuffer needs a password\n");
	if (rc)
		return vnc_web_reply_text(conn, MHD_HTTP_SERVICE_UNAVAILABLE, "no picture yet\n");
	thumb = scale_thumb(px, pw, ph, &tw, &th);
	free(px);
	if (!thumb)
		return vnc_web_reply_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
	rc = encode_png(&b, thumb, tw, th);
	free(thumb);
	if (rc) {
		free(b.data);
		return vnc_web_reply_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
					  "PNG encoding failed\n");
	}
	return reply_buf(conn, &b, "image/png");
}

enum MHD_Result vnc_web_api(struct vnc_web *w, struct MHD_Connection *conn, const char *url)
{
	if (!strcmp(url, "/api/framebuffers"))
		return api_framebuffers(w, conn);
	if (!strcmp(url, "/api/thumbnail"))
		return api_thumbnail(w, conn);
	return vnc_web_reply_text(conn, MHD_HTTP_NOT_FOUND, "not found\n");
}
