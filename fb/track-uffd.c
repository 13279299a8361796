/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fb/track-uffd.c - write tracking by the kernel. A userfaultfd in
 * UFFD_FEATURE_WP_ASYNC mode write-protects a range; a write to a protected
 * page is resolved inside the kernel without a message (the page becomes
 * writable and counts as written). PAGEMAP_SCAN with PAGE_IS_WRITTEN and
 * PM_SCAN_WP_MATCHING returns the written ranges and protects them again in
 * one call, atomically with respect to further writes. See
 * ioctl_pagemap_scan(2) and Documentation/admin-guide/mm/pagemap.rst.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fb/track-uffd.h"
#include "fb/uffd-compat.h"

int fb_uffd_open(const char **why)
{
	struct uffdio_api api = { .api = UFFD_API, .features = FB_UFFD_WP_FEATURES };
	int fd, err;

	fd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK | UFFD_USER_MODE_ONLY);
	if (fd < 0)
		fd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		err = errno;
		if (why)
			*why = err == ENOSYS ? "the kernel has no userfaultfd"
					     : "userfaultfd is not permitted here "
					       "(vm.unprivileged_userfaultfd)";
		return -(err == ENOSYS ? ENOTSUP : err);
	}
	/* A kernel before 6.7 refuses the unknown WP_ASYNC bit with EINVAL. */
	if (ioctl(fd, UFFDIO_API, &api) != 0 ||
	    (api.features & FB_UFFD_WP_FEATURES) != FB_UFFD_WP_FEATURES) {
		if (why)
			*why = "the kernel lacks userfaultfd WP_ASYNC on shmem (Linux < 6.7)";
		close(fd);
		return -ENOTSUP;
	}
	return fd;
}

int fb_uffd_protect(int uffd, void *addr, size_t len)
{
	struct uffdio_register reg = {
		.range = { .start = (uintptr_t)addr, .len = len },
		.mode = UFFDIO_REGISTER_MODE_WP,
	};
	struct uffdio_writeprotect wp = {
		.range = { .start = (uintptr_t)addr, .len = len },
		.mode = UFFDIO_WRITEPROTECT_MODE_WP,
	};

	if (ioctl(uffd, UFFDIO_REGISTER, &reg) != 0)
		return -errno;
	if (ioctl(uffd, UFFDIO_WRITEPROTECT, &wp) != 0)
		return -errno;
	return 0;
}

int fb_uffd_scan(int pagemap_fd, uint64_t addr, uint64_t len,
		 void (*mark)(void *opaque, uint64_t rel, uint64_t len), void *opaque)
{
	struct page_region vec[FB_UFFD_SCAN_RANGES];
	struct pm_scan_arg arg = {
		.size = sizeof(arg),
		.flags = PM_SCAN_WP_MATCHING | PM_SCAN_CHECK_WPASYNC,
		.start = addr,
		.end = addr + len,
		.vec = (uintptr_t)vec,
		.vec_len = FB_UFFD_SCAN_RANGES,
		.category_mask = PAGE_IS_WRITTEN,
		.return_mask = PAGE_IS_WRITTEN,
	};

	for (;;) {
		long n = ioctl(pagemap_fd, PAGEMAP_SCAN, &arg);

		if (n < 0)
			return -errno;
		for (long i = 0; i < n; i++)
			mark(opaque, vec[i].start - addr, vec[i].end - vec[i].start);
		if (arg.walk_end >= arg.end || n < (long)FB_UFFD_SCAN_RANGES)
			return 0;
		arg.start = arg.walk_end;
	}
}
