/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * server/guests/qemu/qemu-keymap.h - X11 keysyms to QEMU key numbers
 * ("qnum": PC AT set-1 scancodes, 0xe0-prefixed keys as 0x80 | code) for a
 * US layout, as QEMU's own VNC server maps keysym-only clients with its
 * en-us keymap. Public prefix: qemu_keymap_.
 */
#ifndef FBHOST_GUESTS_QEMU_KEYMAP_H
#define FBHOST_GUESTS_QEMU_KEYMAP_H

#include <stdint.h>

/* The qnum of the key that types keysym on a US keyboard (shifted symbols
 * map to their key: the viewer sends Shift itself), or 0 if none. */
uint32_t qemu_keymap_qnum(uint32_t keysym);

#endif
