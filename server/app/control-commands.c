/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * server/app/control-commands.c - the commands of the control protocol
 * (documented in server/app/control-protocol.md). Each handler checks its
 * arguments, acts through libfbhost and writes reply lines; anything wrong
 * becomes one "error: ..." line.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "server/app/control-commands.h"
#include "server/lib/fbhost-internal.h"
#include "server/app/options.h"
#include "server/guests/guest-demo.h"

/* "list" shows a framebuffer's VNC address ("[v6 address]:port", at most
 * INET6_ADDRSTRLEN + 8) and web URL in buffers of these sizes (truncated if
 * longer, never overflowing). */
#define CONTROL_LIST_ADDRESS_MAX_BYTES 96u
#define CONTROL_LIST_URL_MAX_BYTES 256u

/* A request cut into words, with room for a client list: allocated per
 * request, as requests of several connections run at once. */
struct control_words {
	unsigned n;
	char *w[CONTROL_CMD_MAX_WORDS];
	char buf[CONTROL_LINE_MAX_BYTES + 1];
	struct fbhost_client clients[CONTROL_CMD_MAX_CLIENTS];
};

/* Splits line at blanks into at most CONTROL_CMD_MAX_WORDS words; the rest
 * is dropped, as no command takes that many (the dispatcher refuses the
 * line with the first extra argument). */
static void control_split(const char *line, struct control_words *ws)
{
	char *p;

	snprintf(ws->buf, sizeof(ws->buf), "%s", line);
	ws->n = 0;
	p = ws->buf;
	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p || ws->n == CONTROL_CMD_MAX_WORDS)
			return;
		ws->w[ws->n++] = p;
		while (*p && *p != ' ' && *p != '\t')
			p++;
		if (*p)
			*p++ = '\0';
	}
}

/* The framebuffer named by an id or a name; NULL with an error reply. */
static struct fbhost_fb *control_find_fb(struct fbhost *h, const char *word,
					 struct control_reply *r)
{
	unsigned long id;
	struct fbhost_fb *fb;

	if (opt_parse_uint(word, 0, FBHOST_MAX_FRAMEBUFFERS, &id) == 0)
		fb = fbhost_fb_by_id(h, (unsigned)id);
	else
		fb = fbhost_fb_by_name(h, word);
	if (!fb)
		control_reply_error(r, "no framebuffer \"%.64s\" (see list)", word);
	return fb;
}

static void control_list(struct control_cmd_context *ctx, struct control_words *ws,
			 struct control_reply *r)
{
	unsigned i, n = fbhost_fb_count(ctx->host);

	for (i = 0; i < n; i++) {
		struct fbhost_fb *fb = fbhost_fb_by_id(ctx->host, i);
		struct fbhost_mode m;
		struct fbhost_stats st;
		char vnc[CONTROL_LIST_ADDRESS_MAX_BYTES], url[CONTROL_LIST_URL_MAX_BYTES];
		struct fbhost_attach_status as;
		char guest[32];

		if (!fb)
			continue;
		m = fbhost_fb_mode(fb);
		fbhost_get_stats(fb, &st);
		if (fbhost_vnc_address(fb, vnc, sizeof(vnc)))
			strcpy(vnc, "none");
		if (fbhost_web_url(fb, url, sizeof(url)))
			strcpy(url, "none");
		fbhost_attach_status(fb, &as);
		if (as.attached)
			snprintf(guest, sizeof(guest), "attached pid=%d", as.pid);
		else
			snprintf(guest, sizeof(guest), "detached");
		control_reply_line(
			r, "%u %s %ux%u %s vnc=%s web=%s clients=%u guest=%s tracking=%s", i,
			fbhost_fb_name(fb), m.width, m.height, fbhost_format_name(m.format), vnc,
			url, st.clients, guest, as.tracking);
	}
}

static void control_resize(struct control_cmd_context *ctx, struct control_words *ws,
			   struct control_reply *r)
{
	struct fbhost_fb *fb;
	struct fbhost_mode m;
	char err[256];
	uint32_t w, h;
	int rc;

	fb = control_find_fb(ctx->host, ws->w[1], r);
	if (!fb)
		return;
	m = fbhost_fb_mode(fb);
	if (opt_parse_mode(ws->w[2], &w, &h, &m.format, NULL, err, sizeof(err))) {
		control_reply_error(r, "%s", err);
		return;
	}
	rc = fbhost_resize(fb, w, h, m.format);
	if (rc)
		control_reply_error(r, "%s", fbhost_last_error());
	else
		control_reply_line(r, "%u %s %ux%u %s", fbhost_fb_id(fb), fbhost_fb_name(fb), w, h,
				   fbhost_format_name(m.format));
}

/* "cycle ID": the demo guest's F2 mode cycle, from the control socket. */
static void control_cycle(struct control_cmd_context *ctx, struct control_words *ws,
			  struct control_reply *r)
{
	struct fbhost_fb *fb;
	struct fbhost_mode cur, next;
	int rc;

	fb = control_find_fb(ctx->host, ws->w[1], r);
	if (!fb)
		return;
	cur = fbhost_fb_mode(fb);
	next = guest_demo_next_mode(&cur);
	rc = fbhost_resize(fb, next.width, next.height, next.format);
	if (rc)
		control_reply_error(r, "%s", fbhost_last_error());
	else
		control_reply_line(r, "%u %s %ux%u %s", fbhost_fb_id(fb), fbhost_fb_name(fb),
				   next.width, next.height, fbhost_format_name(next.format));
}

static void control_screendump(struct control_cmd_context *ctx, struct control_words *ws,
			       struct control_reply *r)
{
	const char *path = ws->w[2];
	size_t len = strlen(path);
	struct fbhost_fb *fb;
	int rc;

	fb = control_find_fb(ctx->host, ws->w[1], r);
	if (!fb)
		return;
	if (len < 5 || strncasecmp(path + len - 4, ".png", 4) != 0) {
		control_reply_error(r, "screendump writes PNG: the file name must end in .png");
		return;
	}
	rc = fbhost_screendump(fb, path);
	if (rc)
		control_reply_error(r, "%s", fbhost_last_error());
	else
		control_reply_line(r, "%s", path);
}

/* Writes s as a JSON string body (names and addresses are plain ASCII, but
 * escape anything else anyway). */
static void control_json_escape(char *out, size_t size, const char *s)
{
	size_t o = 0;

	for (; *s && o + 7 < size; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			o += (size_t)snprintf(out + o, size - o, "\\%c", ch);
		else if (ch < 0x20 || ch >= 0x7f)
			o += (size_t)snprintf(out + o, size - o, "\\u%04x", ch);
		else
			out[o++] = (char)ch;
	}
	out[o] = '\0';
}

/* One framebuffer's stats as text reply lines, or as JSON into line.
 * clients is room for CONTROL_CMD_MAX_CLIENTS. */
static void control_stats_one(struct fbhost_fb *fb, bool json, char *line, size_t size,
			      struct fbhost_client *clients, struct control_reply *r)
{
	struct fbhost_mode m = fbhost_fb_mode(fb);
	struct fbhost_stats st;
	size_t n, i, o;
	char name[2 * FBHOST_ADDRESS_MAX];

	fbhost_get_stats(fb, &st);
	n = fbhost_clients(fb, clients, CONTROL_CMD_MAX_CLIENTS);
	if (n > CONTROL_CMD_MAX_CLIENTS)
		n = CONTROL_CMD_MAX_CLIENTS;
	if (!json) {
		control_reply_line(
			r,
			"fb %u %s %ux%u %s: ticks=%llu dirty_pages=%llu rects=%llu pixels=%llu "
			"switches=%llu updates=%llu bytes_sent=%llu clients=%u rate_hz=%u "
			"measured_hz=%.1f last_tick_us=%llu latency_us=%llu tracking=%s "
			"tracked_pages=%llu",
			fbhost_fb_id(fb), fbhost_fb_name(fb), m.width, m.height,
			fbhost_format_name(m.format), (unsigned long long)st.ticks,
			(unsigned long long)st.dirty_pages, (unsigned long long)st.rects,
			(unsigned long long)st.pixels, (unsigned long long)st.switches,
			(unsigned long long)st.vnc_updates, (unsigned long long)st.vnc_bytes_sent,
			st.clients, st.rate_hz, st.ticks_per_s,
			(unsigned long long)(st.last_tick_ns / 1000),
			(unsigned long long)(st.latency_ns_last / 1000), st.tracking,
			(unsigned long long)st.tracked_pages);
		for (i = 0; i < n; i++)
			control_reply_line(r,
					   "  client %llu %s %s%s updates=%llu rects=%llu "
					   "bytes_sent=%llu connected_ms=%llu",
					   (unsigned long long)clients[i].id, clients[i].address,
					   clients[i].encoding,
					   clients[i].websocket ? " websocket" : "",
					   (unsigned long long)clients[i].updates,
					   (unsigned long long)clients[i].rects,
					   (unsigned long long)clients[i].bytes_sent,
					   (unsigned long long)clients[i].connected_ms);
		return;
	}
	control_json_escape(name, sizeof(name), fbhost_fb_name(fb));
	o = (size_t)snprintf(
		line, size,
		"{\"id\":%u,\"name\":\"%s\",\"width\":%u,\"height\":%u,\"format\":\"%s\","
		"\"ticks\":%llu,\"dirty_pages\":%llu,\"rects\":%llu,\"pixels\":%llu,"
		"\"switches\":%llu,\"updates\":%llu,\"bytes_sent\":%llu,\"rate_hz\":%u,"
		"\"measured_hz\":%.2f,\"last_tick_us\":%llu,\"latency_us\":%llu,"
		"\"connects\":%llu,\"disconnects\":%llu,\"tracking\":\"%s\",\"tracked_pages\":%llu,"
		"\"client_count\":%u,\"clients\":[",
		fbhost_fb_id(fb), name, m.width, m.height, fbhost_format_name(m.format),
		(unsigned long long)st.ticks, (unsigned long long)st.dirty_pages,
		(unsigned long long)st.rects, (unsigned long long)st.pixels,
		(unsigned long long)st.switches, (unsigned long long)st.vnc_updates,
		(unsigned long long)st.vnc_bytes_sent, st.rate_hz, st.ticks_per_s,
		(unsigned long long)(st.last_tick_ns / 1000),
		(unsigned long long)(st.latency_ns_last / 1000),
		(unsigned long long)st.vnc_connects, (unsigned long long)st.vnc_disconnects,
		st.tracking, (unsigned long long)st.tracked_pages, st.clients);
	for (i = 0; i < n && o < size; i++) {
		char addr[2 * FBHOST_ADDRESS_MAX], enc[2 * FBHOST_ENCODING_MAX];

		control_json_escape(addr, sizeof(addr), clients[i].address);
		control_json_escape(enc, sizeof(enc), clients[i].encoding);
		o += (size_t)snprintf(line + o, size - o,
				      "%s{\"id\":%llu,\"address\":\"%s\",\"encoding\":\"%s\","
				      "\"websocket\":%s,\"updates\":%llu,\"rects\":%llu,"
				      "\"bytes_sent\":%llu,\"connected_ms\":%llu}",
				      i ? "," : "", (unsigned long long)clients[i].id, addr, enc,
				      clients[i].websocket ? "true" : "false",
				      (unsigned long long)clients[i].updates,
				      (unsigned long long)clients[i].rects,
				      (unsigned long long)clients[i].bytes_sent,
				      (unsigned long long)clients[i].connected_ms);
	}
	if (o < size)
		snprintf(line + o, size - o, "]}");
}

/* Room for one client's JSON object: its fixed keys plus FBHOST_ADDRESS_MAX,
 * FBHOST_ENCODING_MAX and four 20-digit counters. */
#define CONTROL_JSON_CLIENT_MAX_BYTES 320u
/* Room for one framebuffer's JSON without its clients. */
#define CONTROL_JSON_FB_BASE_MAX_BYTES 1024u
/* Room for one framebuffer's JSON with CONTROL_CMD_MAX_CLIENTS clients. */
#define CONTROL_JSON_FB_MAX_BYTES                                                                  \
	(CONTROL_JSON_FB_BASE_MAX_BYTES + CONTROL_CMD_MAX_CLIENTS * CONTROL_JSON_CLIENT_MAX_BYTES)
/* Room for the JSON array's brackets and separators around the framebuffers. */
#define CONTROL_JSON_FRAME_MAX_BYTES 256u

static void control_stats(struct control_cmd_context *ctx, struct control_words *ws,
			  struct control_reply *r)
{
	struct fbhost_fb *only = NULL;
	bool json = false;
	unsigned i, n;
	char *line, *all;
	size_t o = 0, cap;

	for (i = 1; i < ws->n; i++) {
		if (strcmp(ws->w[i], "--json") == 0 && !json) {
			json = true;
		} else if (!only && ws->w[i][0] != '-') {
			only = control_find_fb(ctx->host, ws->w[i], r);
			if (!only)
				return;
		} else {
			control_reply_error(r, "usage: stats [ID] [--json]");
			return;
		}
	}
	n = fbhost_fb_count(ctx->host);
	if (!json) {
		for (i = 0; i < n; i++) {
			struct fbhost_fb *fb = fbhost_fb_by_id(ctx->host, i);

			if (fb && (!only || fb == only))
				control_stats_one(fb, false, NULL, 0, ws->clients, r);
		}
		return;
	}
	cap = (size_t)(n + 1) * CONTROL_JSON_FB_MAX_BYTES + CONTROL_JSON_FRAME_MAX_BYTES;
	line = malloc(CONTROL_JSON_FB_MAX_BYTES);
	all = malloc(cap);
	if (!line || !all) {
		free(line);
		free(all);
		control_reply_error(r, "out of memory");
		return;
	}
	o = (size_t)snprintf(all, cap, "{\"uptime_s\":%.3f,\"framebuffers\":[",
			     fbhost_uptime_s(ctx->host));
	for (i = 0; i < n; i++) {
		struct fbhost_fb *fb = fbhost_fb_by_id(ctx->host, i);

		if (!fb || (only && fb != only))
			continue;
		control_stats_one(fb, true, line, CONTROL_JSON_FB_MAX_BYTES, ws->clients, r);
		o += (size_t)snprintf(all + o, cap - o, "%s%s", all[o - 1] == '[' ? "" : ",", line);
	}
	snprintf(all + o, cap - o, "]}");
	control_reply_line(r, "%s", all);
	free(line);
	free(all);
}

static void control_clients(struct control_cmd_context *ctx, struct control_words *ws,
			    struct control_reply *r)
{
	struct fbhost_client *clients = ws->clients;
	struct fbhost_fb *fb;
	size_t n, i;

	fb = control_find_fb(ctx->host, ws->w[1], r);
	if (!fb)
		return;
	n = fbhost_clients(fb, clients, CONTROL_CMD_MAX_CLIENTS);
	for (i = 0; i < n && i < CONTROL_CMD_MAX_CLIENTS; i++)
		control_reply_line(r, "%llu %s %s%s updates=%llu bytes_sent=%llu connected_ms=%llu",
				   (unsigned long long)clients[i].id, clients[i].address,
				   clients[i].encoding, clients[i].websocket ? " websocket" : "",
				   (unsigned long long)clients[i].updates,
				   (unsigned long long)clients[i].bytes_sent,
				   (unsigned long long)clients[i].connected_ms);
}

static void control_disconnect(struct control_cmd_context *ctx, struct control_words *ws,
			       struct control_reply *r)
{
	struct fbhost_fb *fb;
	unsigned long long id;
	char *end;

	fb = control_find_fb(ctx->host, ws->w[1], r);
	if (!fb)
		return;
	errno = 0;
	id = strtoull(ws->w[2], &end, 10);
	if (ws->w[2][0] < '0' || ws->w[2][0] > '9' || *end || errno) {
		control_reply_error(r, "bad client id \"%.64s\" (see clients %s)", ws->w[2],
				    ws->w[1]);
		return;
	}
	if (fbhost_disconnect(fb, id))
		control_reply_error(r, "no client %llu on framebuffer %s (see clients %s)", id,
				    ws->w[1], ws->w[1]);
}

static void control_quit(struct control_cmd_context *ctx, struct control_words *ws,
			 struct control_reply *r)
{
	if (ctx->quit)
		ctx->quit(ctx->quit_opaque);
}

static void control_help(struct control_cmd_context *ctx, struct control_words *ws,
			 struct control_reply *r);

/* The commands; the dispatcher checks the number of arguments (words after
 * the command) against min_args..max_args before calling fn. */
static const struct {
	const char *name;
	void (*fn)(struct control_cmd_context *ctx, struct control_words *ws,
		   struct control_reply *r);
	unsigned min_args, max_args;
	const char *usage;
} control_commands[] = {
	{ "list", control_list, 0, 0, "list" },
	{ "resize", control_resize, 2, 2, "resize ID WxH[:FORMAT]" },
	{ "cycle", control_cycle, 1, 1, "cycle ID" },
	{ "screendump", control_screendump, 2, 2, "screendump ID FILE.png" },
	{ "stats", control_stats, 0, 2, "stats [ID] [--json]" },
	{ "clients", control_clients, 1, 1, "clients ID" },
	{ "disconnect", control_disconnect, 2, 2, "disconnect ID CLIENT" },
	{ "quit", control_quit, 0, 0, "quit" },
	{ "help", control_help, 0, 0, "help" },
};
#define CONTROL_N_COMMANDS (sizeof(control_commands) / sizeof(control_commands[0]))

static void control_help(struct control_cmd_context *ctx, struct control_words *ws,
			 struct control_reply *r)
{
	size_t i;

	(void)ctx;
	(void)ws;
	for (i = 0; i < CONTROL_N_COMMANDS; i++)
		control_reply_line(r, "%s", control_commands[i].usage);
}

void control_cmd_handle(void *opaque, const char *line, struct control_reply *r)
{
	struct control_cmd_context *ctx = opaque;
	struct control_words *ws = malloc(sizeof(*ws));
	size_t i;

	if (!ws) {
		control_reply_error(r, "out of memory");
		return;
	}
	control_split(line, ws);
	if (ws->n == 0) {
		control_reply_error(r, "empty request");
		goto out;
	}
	for (i = 0; i < CONTROL_N_COMMANDS; i++) {
		unsigned args = ws->n - 1;

		if (strcmp(ws->w[0], control_commands[i].name) != 0)
			continue;
		if (args > control_commands[i].max_args)
			control_reply_error(r, "unexpected argument \"%.64s\" (usage: %s)",
					    ws->w[control_commands[i].max_args + 1],
					    control_commands[i].usage);
		else if (args < control_commands[i].min_args)
			control_reply_error(r, "usage: %s", control_commands[i].usage);
		else
			control_commands[i].fn(ctx, ws, r);
		goto out;
	}
	control_reply_error(r, "unknown command \"%.64s\" (try help)", ws->w[0]);
out:
	free(ws);
}
