/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * server/guests/guest-pattern.h - the pattern guest's test card, for tests and
 * screenshots. The card for a mode is deterministic:
 *   - GUEST_PATTERN_BAR_COUNT colour bars across the top three quarters, bar
 *     i spanning x in [i*W/8, (i+1)*W/8);
 *   - a grey ramp of as many steps across the bottom quarter;
 *   - a 1-pixel grid in GUEST_PATTERN_GRID_RGB on every line and column that
 *     is a multiple of GUEST_PATTERN_GRID_STEP_PX, plus the last ones;
 *   - the mode ("1024x768 x8r8g8b8") in white on black in the top-left corner.
 */
#ifndef FBHOST_SERVER_GUEST_PATTERN_H
#define FBHOST_SERVER_GUEST_PATTERN_H

#include <pixman.h>
#include <stddef.h>
#include <stdint.h>

#define GUEST_PATTERN_BAR_COUNT 8u
#define GUEST_PATTERN_GRID_STEP_PX 32
#define GUEST_PATTERN_GRID_RGB 0x808080u
#define GUEST_PATTERN_LABEL_FG_RGB 0xffffffu
#define GUEST_PATTERN_LABEL_BG_RGB 0x000000u
/* The label's black box starts here; its text is inset by the padding. */
#define GUEST_PATTERN_LABEL_X_PX 8
#define GUEST_PATTERN_LABEL_Y_PX 8
#define GUEST_PATTERN_LABEL_PAD_PX 4
#define GUEST_PATTERN_LABEL_SCALE 2
/* The label text buffer, NUL included. */
#define GUEST_PATTERN_LABEL_MAX 48u

/* Colour of bar i (white, yellow, cyan, green, magenta, red, blue, black). */
uint32_t guest_pattern_bar_rgb(unsigned i);
/* Colour of grey ramp step i. */
uint32_t guest_pattern_ramp_rgb(unsigned i);
/* First line of the grey ramp for a card height. */
int guest_pattern_bars_height(int height);
/* Writes the label for a mode into buf; returns its length. */
size_t guest_pattern_label(char *buf, size_t size, int width, int height,
			   pixman_format_code_t format);
/* Draws the card for img's size and format over all of img. Pure function of
 * the size and format; thread-safe. */
void guest_pattern_draw(pixman_image_t *img);

#endif
