/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vnc/vnc-edge-buf.c - the edge's byte queues: contiguous, consumed from
 * the front, moved down when the front gap is large, and freed when empty
 * so that an idle connection holds no buffer. Callers bound their size.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vnc/vnc-edge.h"

/* Smallest allocation. */
#define BUF_MIN_BYTES (16u * 1024)

/* Makes room for n more bytes at the end. */
static int reserve(struct vnc_edge_buf *b, size_t n)
{
	size_t need = b->len + n, cap;
	uint8_t *d;

	if (b->head + need <= b->cap)
		return 0;
	if (need <= b->cap && b->head >= b->cap / 2) {
		memmove(b->data, b->data + b->head, b->len);
		b->head = 0;
		return 0;
	}
	cap = b->cap ? b->cap : BUF_MIN_BYTES;
	while (cap < need)
		cap *= 2;
	if (b->head) {
		memmove(b->data, b->data + b->head, b->len);
		b->head = 0;
	}
	d = realloc(b->data, cap);
	if (!d)
		return -ENOMEM;
	b->data = d;
	b->cap = cap;
	return 0;
}

int vnc_edge_buf_append(struct vnc_edge_buf *b, const void *p, size_t n)
{
	if (n == 0)
		return 0;
	if (reserve(b, n) < 0)
		return -ENOMEM;
	memcpy(b->data + b->head + b->len, p, n);
	b->len += n;
	return 0;
}

void vnc_edge_buf_consume(struct vnc_edge_buf *b, size_t n)
{
	b->head += n;
	b->len -= n;
	if (b->len == 0)
		vnc_edge_buf_free(b);
}

ssize_t vnc_edge_buf_write(struct vnc_edge_buf *b, int fd)
{
	ssize_t w;

	if (b->len == 0)
		return 0;
	w = send(fd, b->data + b->head, b->len, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (w < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -errno;
	vnc_edge_buf_consume(b, (size_t)w);
	return w;
}

void vnc_edge_buf_free(struct vnc_edge_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->head = b->len = b->cap = 0;
}
