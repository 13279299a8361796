/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * memory/ram.h - guest RAM blocks and their per-client dirty bitmaps.
 *
 * Guest RAM is a set of named blocks laid out in one address space
 * (ram_addr_t). Every page of that space has one dirty bit per dirty client
 * (DIRTY_MEMORY_VGA for the display, DIRTY_MEMORY_MIGRATION for snapshots).
 *
 * Each client's bitmap is split into fixed-size bitmap blocks of
 * cfg.block_pages bits, reached through an RCU-protected array of pointers.
 * When ram_block_add() extends the address space the array is replaced by a
 * longer copy (old blocks are shared, never copied) and the old array is freed
 * after a grace period. So:
 *   - every dirty_* call is lock-free and may run concurrently with growth;
 *   - ram_block_add/resize/remove serialise on the ram_list mutex;
 *   - any thread may call any function without registering with RCU first
 *     (memory/ uses liburcu's urcu-bp flavour, which registers on first use
 *     and unregisters at thread exit).
 *
 * Ranges: a byte range [start, start+length) covers every page it touches. An
 * empty range is never dirty. Ranges past ram_list_size() are clamped.
 *
 * Ordering: dirty_set*() are sequentially consistent read-modify-writes
 * (a full barrier on x86 and a release+acquire elsewhere), and
 * dirty_test_and_clear()/dirty_snapshot_and_clear() are atomic exchanges of
 * the same strength. A writer that stores pixels and then sets a bit, and a
 * reader that clears the bit and then reads pixels, therefore never lose an
 * update: either the reader sees the new pixels, or the bit stays set for the
 * next round.
 */
#ifndef FBHOST_MEMORY_RAM_H
#define FBHOST_MEMORY_RAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint64_t ram_addr_t;

enum { DIRTY_MEMORY_VGA, DIRTY_MEMORY_MIGRATION, DIRTY_MEMORY_NUM };
#define DIRTY_CLIENTS_ALL ((1u << DIRTY_MEMORY_NUM) - 1)

/* Defaults used where a field of ram_list_config is 0. */
#define RAM_DEFAULT_PAGE_BITS 12u
#define RAM_DEFAULT_BLOCK_PAGES (UINT64_C(1) << 21)

/* 0 = defaults: 12, and 1<<21 pages per bitmap block */
struct ram_list_config {
	unsigned page_bits;
	uint64_t block_pages;
	/* Dirty clients tracked from the start (bit 1 << client); 0 = all.
	 * See ram_dirty_tracking_start(). */
	unsigned tracked_clients;
};

struct ram_list;
struct ram_block;
struct dirty_snapshot;

/* NULL cfg = defaults; NULL+EINVAL if block_pages is not a power of two or is
 * below the bits in a long, or page_bits is outside 9..30. */
struct ram_list *ram_list_new(const struct ram_list_config *cfg);
/* Frees every block and waits for pending RCU callbacks. No other thread may
 * use rl any more. */
void ram_list_free(struct ram_list *rl);
size_t ram_page_size(const struct ram_list *rl);

/* Adds a page-aligned block in the first gap of the address space that holds
 * max_length bytes. It starts dirty for every client. NULL+errno on failure
 * (EINVAL for a zero or inverted size, ENOMEM, EMFILE/ENFILE without a free
 * descriptor for its memfd). */
struct ram_block *ram_block_add(struct ram_list *rl, const char *name, size_t used_length,
				size_t max_length);
/* 0, or -errno if beyond max_length; host pointer never moves. Newly used pages
 * start dirty for every client. */
int ram_block_resize(struct ram_list *rl, struct ram_block *b, size_t used_length);
/*
 * Adds a block whose memory is length bytes of another process's file (a
 * memfd that QEMU shares) from offset on, mapped privately: its writes stay
 * visible here, and writes here stay here (copy on write). Nothing is copied
 * or cleared; it starts dirty for every client like any block. That process
 * may shrink the file at any time: an access past its new end then meets
 * zero pages instead of SIGBUS (ram-guard.c replaces the whole mapping), and
 * ram_block_file_lost(b) turns true. The fd is not kept (ram_block_fd is -1).
 * NULL+errno: EINVAL (zero length, a file shorter than offset+length, not a
 * regular file), ENOSPC (RAM_GUARD_MAX_MAPPINGS such blocks already), or
 * mmap's errno.
 */
struct ram_block *ram_block_add_file(struct ram_list *rl, const char *name, int fd, uint64_t offset,
				     size_t length);
/* Whether the file behind b shrank under an access and b now reads zeros.
 * Any thread. Always false for blocks of ram_block_add. */
bool ram_block_file_lost(const struct ram_block *b);
/* Mappings the SIGBUS guard replaced with zero pages, process-wide. */
uint64_t ram_guard_faults(void);
/* Unlinks b and frees it after a grace period. */
void ram_block_remove(struct ram_list *rl, struct ram_block *b);
ram_addr_t ram_block_offset(const struct ram_block *b);
void *ram_block_host(const struct ram_block *b);
/* The block's memory is a memfd (MAP_SHARED at ram_block_host), sealed
 * against shrinking and growing: another process may map it to write guest
 * RAM. The fd belongs to the block (close-on-exec; closed when the block is
 * freed): dup it to keep it. -1 for a block of ram_block_add_file. */
int ram_block_fd(const struct ram_block *b);
size_t ram_block_used_length(const struct ram_block *b);
/* end of the RAM address space in use */
ram_addr_t ram_list_size(struct ram_list *rl);

/*
 * Dirty tracking, after QEMU's global dirty-tracking switch: dirty_set,
 * dirty_set_range and dirty_set_lebitmap mark only the clients being tracked
 * (a per-list mask, read with each call), so a client nobody reads (say
 * MIGRATION while no snapshot runs) costs writers nothing. New and resized
 * blocks still start dirty for every client.
 *
 * ram_dirty_tracking_start() turns a client on mid-stream and loses nothing:
 * it sets the mask bit, then marks every page dirty for the client, so a
 * write that missed the new mask happened before that marking (sequentially
 * consistent operations) and its page is dirty either way. It serialises with
 * block add/resize/remove; 0 or -EINVAL. ram_dirty_tracking_stop() turns the
 * client off (its bits stay until cleared). Any thread.
 */
int ram_dirty_tracking_start(struct ram_list *rl, unsigned client);
int ram_dirty_tracking_stop(struct ram_list *rl, unsigned client);
/* The mask of the clients tracked now. Any thread. */
unsigned ram_dirty_tracked(struct ram_list *rl);

bool dirty_get(struct ram_list *rl, ram_addr_t start, ram_addr_t length, unsigned client);
bool dirty_all(struct ram_list *rl, ram_addr_t start, ram_addr_t length, unsigned client);
void dirty_set(struct ram_list *rl, ram_addr_t addr, unsigned client);
void dirty_set_range(struct ram_list *rl, ram_addr_t start, ram_addr_t length,
		     unsigned client_mask);
bool dirty_test_and_clear(struct ram_list *rl, ram_addr_t start, ram_addr_t length,
			  unsigned client);
/* KVM dirty-log path: bit i of the little-endian bitmap is page
 * (start >> page_bits) + i. Marks the clients in client_mask. */
void dirty_set_lebitmap(struct ram_list *rl, const unsigned long *bitmap, ram_addr_t start,
			ram_addr_t pages, unsigned client_mask);
/* MIGRATION client only: moves the range's bits into dest (indexed by
 * absolute page number) and returns how many pages were newly set there. */
uint64_t dirty_sync_bitmap(struct ram_list *rl, unsigned long *dest, ram_addr_t start,
			   ram_addr_t length);
/* Atomically takes and clears exactly the pages of the range, never a bit
 * outside it. NULL+errno (ENOMEM) on failure. */
struct dirty_snapshot *dirty_snapshot_and_clear(struct ram_list *rl, ram_addr_t start,
						ram_addr_t length, unsigned client);
/* Whether any page of [start, start+length) is dirty in the snapshot; the
 * part of the range outside the snapshot reads as clean. */
bool dirty_snapshot_get(const struct dirty_snapshot *snap, ram_addr_t start, ram_addr_t length);
void dirty_snapshot_free(struct dirty_snapshot *snap);

#endif
