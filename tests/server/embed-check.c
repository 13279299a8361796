/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tests/server/embed-check.c - reads the frame served by the README's
 * embedding example (server/lib/example/embed.c) with libvncclient and checks
 * it pixel for pixel: a 640x480 0x203040 background, a 200x120 0xff8000 box
 * at (100,100), and the grey gradient in row 10.
 * Usage: embed-check PORT. Exit 0 if the picture matches within the bound.
 */
#include <stdio.h>
#include <stdlib.h>

#include "tests/common/vnc-test-client.h"

#define EMBED_WAIT_MS 30000u
#define EMBED_W 640u
#define EMBED_H 480u

int main(int argc, char **argv)
{
	struct vtc_options o = { .encodings = "raw" };
	static uint32_t want[EMBED_W * EMBED_H];
	struct vtc *v;
	char err[256];
	uint32_t x, y;
	int rc;

	if (argc != 2 || (o.port = atoi(argv[1])) <= 0) {
		fprintf(stderr, "usage: embed-check PORT\n");
		return 2;
	}
	for (y = 0; y < EMBED_H; y++)
		for (x = 0; x < EMBED_W; x++)
			want[y * EMBED_W + x] = 0x203040;
	for (y = 100; y < 220; y++)
		for (x = 100; x < 300; x++)
			want[y * EMBED_W + x] = 0xff8000;
	for (x = 0; x < EMBED_W; x++)
		want[10 * EMBED_W + x] = x * 255 / EMBED_W * 0x010101;

	v = vtc_connect(&o, err, sizeof(err));
	if (!v) {
		fprintf(stderr, "embed-check: cannot connect to port %d: %s\n", o.port, err);
		return 1;
	}
	rc = vtc_wait_picture(v, want, EMBED_W, EMBED_H, EMBED_W, EMBED_WAIT_MS);
	if (rc)
		fprintf(stderr, "embed-check: %s\n", vtc_last_mismatch(v));
	else
		printf("embed-check: 640x480 frame matches\n");
	vtc_free(v);
	return rc ? 1 : 0;
}
