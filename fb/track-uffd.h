/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fb/track-uffd.h - kernel write tracking of one mapping (Linux 6.7+):
 * userfaultfd async write-protect and PAGEMAP_SCAN. Internal to fb/.
 */
#ifndef FBHOST_FB_TRACK_UFFD_H
#define FBHOST_FB_TRACK_UFFD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Page size the kernel tracks writes in. */
#define FB_UFFD_PAGE_BYTES 4096u
/* Written ranges taken per PAGEMAP_SCAN call (more: the call repeats). */
#define FB_UFFD_SCAN_RANGES 256u

/* A userfaultfd in WP_ASYNC mode for this process: fd, or -errno (-ENOTSUP
 * when the kernel lacks the features; *why then says which). */
int fb_uffd_open(const char **why);
/* Registers [addr, addr+len) (page-aligned) for write-protect tracking and
 * protects it, so the next write to each page counts. 0 or -errno. */
int fb_uffd_protect(int uffd, void *addr, size_t len);
/* Calls mark(opaque, rel, len) for each written range of [addr, addr+len)
 * of the address space pagemap_fd describes (offsets relative to addr), and
 * write-protects those ranges again in the same call. 0 or -errno. */
int fb_uffd_scan(int pagemap_fd, uint64_t addr, uint64_t len,
		 void (*mark)(void *opaque, uint64_t rel, uint64_t len), void *opaque);

#endif
