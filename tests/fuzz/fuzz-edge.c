/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tests/fuzz/fuzz-edge.c - libFuzzer target: the VNC edge's handshake state
 * machine (vnc_edge_hs_input) and message framer (vnc_edge_frame), as the
 * edge thread drives them, without sockets. When VeNCrypt asks for TLS, the
 * harness goes on as if the TLS session were up (vnc_edge_hs_tls_ready).
 *
 * Input: byte 0 picks the secrets (none, a password, a password and a
 * view-only one, those with VeNCrypt offered, VeNCrypt only without a
 * password), byte 1 the size of the pieces the rest arrives in; the
 * rest is what a client sends. The handshake is fed piece by piece; once
 * it succeeds, the remaining bytes are framed twice, whole and piece by
 * piece, and both must find the same message boundaries and the same
 * refusal. Every length must stay within the bytes at hand.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vnc/vnc-edge.h"

/* Most message boundaries compared per input. */
#define FUZZ_EDGE_MAX_MESSAGES 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct vnc_edge_secrets fuzz_secrets[5] = {
	{ .password = NULL },
	{ .password = "secret" },
	{ .password = "secret", .view_password = "view" },
	{ .password = "secret", .view_password = "view", .tls = true },
	{ .password = NULL, .tls = true, .tls_only = true },
};

/* Frames p[0..n) arriving in pieces of step bytes: the message ends (offsets
 * after each message) into ends, their count returned; *refused says
 * whether the framer refused what followed the last one. */
static size_t frame_stream(const uint8_t *p, size_t n, size_t step, size_t *ends, bool *refused)
{
	struct vnc_edge_framer f = { .client_init_done = false };
	size_t start = 0, avail = 0, count = 0;
	char why[160];

	*refused = false;
	while (avail < n) {
		avail += step < n - avail ? step : n - avail;
		for (;;) {
			ssize_t len =
				vnc_edge_frame(&f, p + start, avail - start, why, sizeof(why));

			if (len < 0) {
				if (!why[0])
					abort(); /* a refusal always says why */
				*refused = true;
				return count;
			}
			if (len == 0)
				break;
			if ((size_t)len > avail - start)
				abort(); /* a message beyond the bytes at hand */
			start += (size_t)len;
			if (count < FUZZ_EDGE_MAX_MESSAGES)
				ends[count++] = start;
		}
	}
	return count;
}

static void check_framer(const uint8_t *p, size_t n, size_t step)
{
	static size_t whole[FUZZ_EDGE_MAX_MESSAGES], pieces[FUZZ_EDGE_MAX_MESSAGES];
	bool refused_whole, refused_pieces;
	size_t a = frame_stream(p, n, n ? n : 1, whole, &refused_whole);
	size_t b = frame_stream(p, n, step, pieces, &refused_pieces);

	if (a != b || refused_whole != refused_pieces || memcmp(whole, pieces, a * sizeof(*whole)))
		abort(); /* the framing depended on how the bytes arrived */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vnc_edge_hs hs = { .state = VNC_EDGE_HS_VERSION };
	struct vnc_edge_buf in = { 0 }, out = { 0 };
	const struct vnc_edge_secrets *sec;
	size_t step, pos = 0;
	char why[160];
	int rc = 0;

	if (size < 2)
		return -1;
	sec = &fuzz_secrets[data[0] % 5];
	step = 1 + data[1] % 32;
	data += 2;
	size -= 2;
	while (pos < size && rc == 0) {
		size_t n = step < size - pos ? step : size - pos;

		if (vnc_edge_buf_append(&in, data + pos, n) < 0)
			abort();
		pos += n;
		for (;;) {
			size_t used = 0;

			why[0] = '\0';
			rc = vnc_edge_hs_input(&hs, sec, vnc_edge_buf_front(&in), in.len, &used,
					       &out, why, sizeof(why));
			if (used > in.len)
				abort();
			vnc_edge_buf_consume(&in, used);
			if (rc == VNC_EDGE_HS_START_TLS) {
				if (hs.state != VNC_EDGE_HS_TLS || !sec->tls)
					abort(); /* TLS only when offered */
				rc = vnc_edge_hs_tls_ready(&hs, sec, &out, why, sizeof(why));
			}
			if (rc < 0 && !why[0])
				abort(); /* a refusal always says why */
			if (rc != 0 || used == 0)
				break;
		}
	}
	if (rc == 1) {
		/* Authenticated: what is left is the framed stream. */
		size_t rest = in.len + (size - pos);
		uint8_t *stream = malloc(rest + 1);

		if (!stream)
			abort();
		if (in.len)
			memcpy(stream, vnc_edge_buf_front(&in), in.len);
		memcpy(stream + in.len, data + pos, size - pos);
		check_framer(stream, rest, step);
		free(stream);
		if (hs.state != VNC_EDGE_HS_DONE)
			abort();
	}
	if (rc == -EACCES && (hs.state != VNC_EDGE_HS_FAILED || !sec->password))
		abort(); /* a wrong password needs a password to be wrong */
	vnc_edge_buf_free(&in);
	vnc_edge_buf_free(&out);
	return 0;
}
