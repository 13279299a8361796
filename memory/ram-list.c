/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * memory/ram-list.c - the RAM address space: config, block layout, resizing,
 * and growth of the RCU-published dirty bitmap arrays.
 *
 * RCU flavour: liburcu's urcu-bp. Callers never register threads: urcu-bp
 * registers a thread on its first read-side section and unregisters it when
 * the thread exits, so any thread (including ones memory/ did not create)
 * may call any function here. call_rcu callbacks run on liburcu's default
 * call_rcu worker thread; ram_list_free() drains them with rcu_barrier()
 * before it frees anything.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "memory/bitops.h"
#include "memory/ram-internal.h"

#ifdef RAM_RCU_TSAN
/* The grace-period token of memory/ram-rcu.h (ThreadSanitizer builds only). */
char ram_rcu_grace_token;
#endif

static bool is_power_of_two(uint64_t v)
{
	return v && !(v & (v - 1));
}

struct ram_list *ram_list_new(const struct ram_list_config *cfg)
{
	unsigned page_bits = cfg && cfg->page_bits ? cfg->page_bits : RAM_DEFAULT_PAGE_BITS;
	uint64_t block_pages = cfg && cfg->block_pages ? cfg->block_pages : RAM_DEFAULT_BLOCK_PAGES;
	struct ram_list *rl;

	if (page_bits < RAM_MIN_PAGE_BITS || page_bits > RAM_MAX_PAGE_BITS ||
	    !is_power_of_two(block_pages) || block_pages < BITS_PER_LONG ||
	    block_pages > RAM_MAX_BLOCK_PAGES) {
		errno = EINVAL;
		return NULL;
	}
	rl = calloc(1, sizeof(*rl));
	if (!rl)
		return NULL;
	rl->page_bits = page_bits;
	rl->tracked = cfg && cfg->tracked_clients ? cfg->tracked_clients & DIRTY_CLIENTS_ALL
						  : DIRTY_CLIENTS_ALL;
	rl->block_pages = block_pages;
	rl->block_shift = (unsigned)__builtin_ctzll(block_pages);
	if (pthread_mutex_init(&rl->mutex, NULL) != 0) {
		free(rl);
		errno = ENOMEM;
		return NULL;
	}
	CDS_INIT_LIST_HEAD(&rl->blocks);
	return rl;
}

static void ram_block_destroy(struct ram_block *b)
{
	/* No thread can touch the mapping any more: the guard may go. */
	ram_guard_remove(b->guard_slot);
	munmap(b->map_base, b->map_bytes);
	if (b->fd >= 0)
		close(b->fd);
	free(b->name);
	free(b);
}

static void ram_block_free_rcu(struct rcu_head *head)
{
	ram_rcu_callback_enter();
	ram_block_destroy(caa_container_of(head, struct ram_block, rcu));
}

static void dirty_blocks_free_rcu(struct rcu_head *head)
{
	ram_rcu_callback_enter();
	free(caa_container_of(head, struct dirty_blocks, rcu));
}

void ram_list_free(struct ram_list *rl)
{
	struct ram_block *b, *tmp;
	struct dirty_blocks *a;
	unsigned c;
	uint64_t i;

	if (!rl)
		return;
	/* Pending callbacks may still use rl (an owner's reclaim callback
	 * calling ram_block_remove, which queues a callback of its own): let
	 * them run while everything is intact, twice for that second level. */
	ram_rcu_barrier();
	ram_rcu_barrier();
	cds_list_for_each_entry_safe(b, tmp, &rl->blocks, node) ram_block_destroy(b);
	for (c = 0; c < DIRTY_MEMORY_NUM; c++) {
		a = rl->dirty[c];
		if (!a)
			continue;
		/* The current array holds every bitmap block ever allocated. */
		for (i = 0; i < a->nblocks; i++)
			free(a->blocks[i]);
		free(a);
	}
	pthread_mutex_destroy(&rl->mutex);
	free(rl);
}

size_t ram_page_size(const struct ram_list *rl)
{
	return (size_t)1 << rl->page_bits;
}

/*
 * Makes every client's bitmap cover at least pages bits. Allocates only the
 * bitmap blocks past allocated_bitmap_blocks (an explicit count: the live RAM
 * blocks say nothing about what was allocated before a removal), publishes a
 * longer pointer array per client, and frees the old arrays after a grace
 * period. Either every client grows or none does. Called with rl->mutex held.
 */
static int dirty_grow(struct ram_list *rl, uint64_t pages)
{
	uint64_t needed = (pages + rl->block_pages - 1) >> rl->block_shift;
	uint64_t have = rl->allocated_bitmap_blocks;
	size_t block_bytes = BITS_TO_LONGS(rl->block_pages) * sizeof(unsigned long);
	struct dirty_blocks *fresh[DIRTY_MEMORY_NUM] = { 0 };
	unsigned c;
	uint64_t i;

	if (needed <= have)
		return 0;
	for (c = 0; c < DIRTY_MEMORY_NUM; c++) {
		fresh[c] = malloc(sizeof(*fresh[c]) + needed * sizeof(fresh[c]->blocks[0]));
		if (!fresh[c])
			goto fail_alloc;
		fresh[c]->nblocks = needed;
		if (have)
			memcpy(fresh[c]->blocks, rl->dirty[c]->blocks,
			       have * sizeof(fresh[c]->blocks[0]));
		for (i = have; i < needed; i++)
			fresh[c]->blocks[i] = NULL;
		for (i = have; i < needed; i++) {
			fresh[c]->blocks[i] = calloc(1, block_bytes);
			if (!fresh[c]->blocks[i])
				goto fail_alloc;
		}
	}
	for (c = 0; c < DIRTY_MEMORY_NUM; c++) {
		struct dirty_blocks *old = rl->dirty[c];

		if (!have)
			rl->block0[c] = fresh[c]->blocks[0];
		ram_rcu_assign(rl->dirty[c], fresh[c]);
		if (old)
			ram_rcu_call(&old->rcu, dirty_blocks_free_rcu);
	}
	rl->allocated_bitmap_blocks = needed;
	return 0;

fail_alloc:
	for (c = 0; c < DIRTY_MEMORY_NUM && fresh[c]; c++) {
		for (i = have; i < needed; i++)
			free(fresh[c]->blocks[i]);
		free(fresh[c]);
	}
	return -ENOMEM;
}

/* Pages touched by the first bytes bytes of a block at page-aligned offset. */
static uint64_t pages_end(const struct ram_list *rl, ram_addr_t offset, uint64_t bytes)
{
	return (offset + bytes + ram_page_size(rl) - 1) >> rl->page_bits;
}

/* The first gap of the address space that holds len bytes; the block to
 * insert before goes to *next (the list head if none). Called with mutex. */
static int find_first_gap(struct ram_list *rl, uint64_t len, ram_addr_t *offset,
			  struct cds_list_head **next)
{
	ram_addr_t candidate = 0;
	struct ram_block *b;

	cds_list_for_each_entry(b, &rl->blocks, node)
	{
		if (b->offset - candidate >= len) {
			*offset = candidate;
			*next = &b->node;
			return 0;
		}
		candidate = b->offset + b->max_length;
	}
	if (candidate > RAM_MAX_SPACE_BYTES || RAM_MAX_SPACE_BYTES - candidate < len)
		return -ENOSPC;
	*offset = candidate;
	*next = &rl->blocks;
	return 0;
}

/* Places b (max_length and used_length set) in the first gap of the address
 * space, its used pages dirty for every client. 0 or -errno. */
static int ram_block_link(struct ram_list *rl, struct ram_block *b)
{
	struct cds_list_head *next;
	uint64_t new_size;
	int err;

	pthread_mutex_lock(&rl->mutex);
	err = find_first_gap(rl, b->max_length, &b->offset, &next);
	if (err)
		goto out;
	new_size = rl->size_bytes;
	if (b->offset + b->max_length > new_size)
		new_size = b->offset + b->max_length;
	err = dirty_grow(rl, new_size >> rl->page_bits);
	if (err)
		goto out;
	/* Bits first, size last: a reader that sees the new size sees them. The
	 * reserved tail may hold bits of a removed block: clear them. */
	ram_dirty_set_pages(rl, b->offset >> rl->page_bits,
			    pages_end(rl, b->offset, b->used_length), DIRTY_CLIENTS_ALL);
	ram_dirty_clear_pages(rl, pages_end(rl, b->offset, b->used_length),
			      (b->offset + b->max_length) >> rl->page_bits, DIRTY_CLIENTS_ALL);
	cds_list_add_tail(&b->node, next);
	atomic_store_explicit(&rl->size_bytes, new_size, memory_order_release);
out:
	pthread_mutex_unlock(&rl->mutex);
	return err;
}

/* A new unlinked block of max_length bytes (rounded up to pages). */
static struct ram_block *ram_block_alloc(struct ram_list *rl, const char *name, size_t used_length,
					 size_t max_length)
{
	uint64_t page_mask = ram_page_size(rl) - 1;
	struct ram_block *b = calloc(1, sizeof(*b));

	if (!b)
		return NULL;
	b->name = strdup(name);
	if (!b->name) {
		free(b);
		return NULL;
	}
	b->max_length = ((uint64_t)max_length + page_mask) & ~page_mask;
	b->used_length = used_length;
	b->fd = -1;
	b->guard_slot = -1;
	return b;
}

static bool ram_block_args_ok(struct ram_list *rl, const char *name, size_t used_length,
			      size_t max_length)
{
	return rl && name && strnlen(name, RAM_BLOCK_NAME_MAX_BYTES) < RAM_BLOCK_NAME_MAX_BYTES &&
	       used_length != 0 && used_length <= max_length && max_length <= RAM_MAX_SPACE_BYTES;
}

struct ram_block *ram_block_add(struct ram_list *rl, const char *name, size_t used_length,
				size_t max_length)
{
	uint64_t host_page;
	struct ram_block *b;
	int err;

	if (!ram_block_args_ok(rl, name, used_length, max_length)) {
		errno = EINVAL;
		return NULL;
	}
	b = ram_block_alloc(rl, name, used_length, max_length);
	if (!b)
		goto fail_block;
	/* A memfd, so another process can map the same pages (ram_block_fd);
	 * sealed at its size, so no holder of the fd can shrink it under our
	 * mapping (a shrunk memfd turns our accesses into SIGBUS). */
	b->fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (b->fd < 0)
		goto fail_memfd;
	/* Whole host pages, so that any process can map all of it. */
	host_page = (uint64_t)sysconf(_SC_PAGESIZE);
	if (ftruncate(b->fd, (off_t)((b->max_length + host_page - 1) / host_page * host_page)) !=
		    0 ||
	    fcntl(b->fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) != 0)
		goto fail_mmap;
	b->host = mmap(NULL, b->max_length, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE,
		       b->fd, 0);
	if (b->host == MAP_FAILED)
		goto fail_mmap;
	b->map_base = b->host;
	b->map_bytes = b->max_length;
	err = ram_block_link(rl, b);
	if (err)
		goto fail_layout;
	return b;

fail_layout:
	munmap(b->host, b->max_length);
	close(b->fd);
	free(b->name);
	free(b);
	errno = -err;
	return NULL;
fail_mmap:
	err = errno;
	close(b->fd);
	errno = err;
fail_memfd:
	free(b->name);
	free(b);
	if (errno != ENOSPC && errno != EMFILE && errno != ENFILE)
		errno = ENOMEM;
	return NULL;
fail_block:
	errno = ENOMEM;
	return NULL;
}

struct ram_block *ram_block_add_file(struct ram_list *rl, const char *name, int fd, uint64_t offset,
				     size_t length)
{
	uint64_t host_page = (uint64_t)sysconf(_SC_PAGESIZE);
	uint64_t delta = offset % host_page;
	struct ram_block *b;
	struct stat st;
	int err;

	if (!ram_block_args_ok(rl, name, length, length) || fd < 0 || offset > INT64_MAX ||
	    fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size < offset ||
	    (uint64_t)st.st_size - offset < length) {
		errno = EINVAL;
		return NULL;
	}
	b = ram_block_alloc(rl, name, length, length);
	if (!b) {
		errno = ENOMEM;
		return NULL;
	}
	/* Private: what we map is theirs to write, never ours. */
	b->map_bytes = (size_t)((delta + b->max_length + host_page - 1) / host_page * host_page);
	b->map_base = mmap(NULL, b->map_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_NORESERVE,
			   fd, (off_t)(offset - delta));
	if (b->map_base == MAP_FAILED) {
		err = -errno;
		goto fail_mmap;
	}
	b->host = (uint8_t *)b->map_base + delta;
	err = ram_guard_add(b->map_base, b->map_bytes, &b->lost);
	if (err < 0)
		goto fail_guard;
	b->guard_slot = err;
	err = ram_block_link(rl, b);
	if (err)
		goto fail_layout;
	return b;

fail_layout:
	ram_guard_remove(b->guard_slot);
fail_guard:
	munmap(b->map_base, b->map_bytes);
fail_mmap:
	free(b->name);
	free(b);
	errno = -err;
	return NULL;
}

bool ram_block_file_lost(const struct ram_block *b)
{
	return atomic_load_explicit(&b->lost, memory_order_acquire);
}

/* Whether b is one of rl's blocks. Called with mutex. */
static bool ram_list_holds(struct ram_list *rl, const struct ram_block *b)
{
	struct ram_block *it;

	cds_list_for_each_entry(it, &rl->blocks, node)
	{
		if (it == b)
			return true;
	}
	return false;
}

int ram_block_resize(struct ram_list *rl, struct ram_block *b, size_t used_length)
{
	uint64_t old;

	if (!rl || !b)
		return -EINVAL;
	pthread_mutex_lock(&rl->mutex);
	if (!ram_list_holds(rl, b)) {
		pthread_mutex_unlock(&rl->mutex);
		return -ENOENT;
	}
	if (used_length == 0 || used_length > b->max_length) {
		pthread_mutex_unlock(&rl->mutex);
		return -EINVAL;
	}
	old = b->used_length;
	if (used_length > old)
		ram_dirty_set_pages(rl, pages_end(rl, b->offset, old),
				    pages_end(rl, b->offset, used_length), DIRTY_CLIENTS_ALL);
	atomic_store_explicit(&b->used_length, (uint64_t)used_length, memory_order_release);
	pthread_mutex_unlock(&rl->mutex);
	return 0;
}

void ram_block_remove(struct ram_list *rl, struct ram_block *b)
{
	uint64_t new_size = 0;

	if (!rl || !b)
		return;
	pthread_mutex_lock(&rl->mutex);
	if (!ram_list_holds(rl, b)) {
		pthread_mutex_unlock(&rl->mutex);
		return;
	}
	cds_list_del(&b->node);
	if (!cds_list_empty(&rl->blocks)) {
		struct ram_block *last = cds_list_entry(rl->blocks.prev, struct ram_block, node);

		new_size = last->offset + last->max_length;
	}
	/* The bitmap never shrinks; only the range readers may touch does. */
	atomic_store_explicit(&rl->size_bytes, new_size, memory_order_release);
	pthread_mutex_unlock(&rl->mutex);
	ram_rcu_call(&b->rcu, ram_block_free_rcu);
}

ram_addr_t ram_block_offset(const struct ram_block *b)
{
	return b->offset;
}

int ram_block_fd(const struct ram_block *b)
{
	return b->fd;
}

void *ram_block_host(const struct ram_block *b)
{
	return b->host;
}

size_t ram_block_used_length(const struct ram_block *b)
{
	return (size_t)atomic_load_explicit(&b->used_length, memory_order_acquire);
}

ram_addr_t ram_list_size(struct ram_list *rl)
{
	return atomic_load_explicit(&rl->size_bytes, memory_order_acquire);
}
