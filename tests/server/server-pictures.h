/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tests/server/server-pictures.h - expected pictures for the server tests:
 * the pattern guest's test card as a viewer sees it, and PNG files read
 * back for comparison. Public prefix: pic_.
 */
#ifndef FBHOST_TESTS_SERVER_PICTURES_H
#define FBHOST_TESTS_SERVER_PICTURES_H

#include <pixman.h>
#include <stdint.h>

/* The pattern guest's card for w x h in format, converted to x8r8g8b8
 * (stride = w) as the VNC frontend converts it. malloc'ed. */
uint32_t *pic_pattern(uint32_t w, uint32_t h, pixman_format_code_t format);
/* Reads a PNG as x8r8g8b8 (0x00RRGGBB, stride = width): 0 or -1. */
int pic_read_png(const char *path, uint32_t **pixels, uint32_t *w, uint32_t *h);
/* First differing pixel of two w x h x8r8g8b8 pictures (x byte ignored):
 * -1 if equal, else its index. */
long pic_diff(const uint32_t *a, const uint32_t *b, uint32_t w, uint32_t h);

#endif
