/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tests/server/test-control-server.c - the control socket's transport with a
 * stand-in handler: owner-only mode, framing (ok/error replies, pipelined
 * requests, CR LF), the 4 KiB line cap with a 1 MiB line, binary garbage,
 * the connection cap, stale and live socket files, removal on stop; a
 * blocked request delays only its own connection; clients on several
 * threads at once. Runs in the 'concurrency' suite too (a thread per
 * connection).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "server/app/control-server.h"
#include "tests/server/server-proc.h"

/* Requests the stand-in handler has seen (atomic: read by the test thread). */
static atomic_uint handled;

/* "block" waits in the handler until the test releases it: blocked says
 * a handler is waiting, release lets it go (both under block_lock). */
static pthread_mutex_t block_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t block_cond = PTHREAD_COND_INITIALIZER;
static bool blocked, release;
#define BLOCK_WAIT_MS 10000u

/* "echo X" replies X; "fail" fails; "big" overflows the reply cap. */
static void fake_handler(void *opaque, const char *line, struct control_reply *r)
{
	(void)opaque;
	atomic_fetch_add(&handled, 1);
	if (strncmp(line, "echo ", 5) == 0) {
		control_reply_line(r, "%s", line + 5);
	} else if (strcmp(line, "fail") == 0) {
		control_reply_line(r, "dropped");
		control_reply_error(r, "failed on purpose");
	} else if (strcmp(line, "block") == 0) {
		struct timespec deadline;
		bool released;

		clock_gettime(CLOCK_REALTIME, &deadline);
		deadline.tv_sec += BLOCK_WAIT_MS / 1000;
		pthread_mutex_lock(&block_lock);
		blocked = true;
		pthread_cond_broadcast(&block_cond);
		while (!release && pthread_cond_timedwait(&block_cond, &block_lock, &deadline) == 0)
			;
		released = release;
		blocked = false;
		pthread_mutex_unlock(&block_lock);
		control_reply_line(r, "%s", released ? "released" : "timed out");
	} else if (strcmp(line, "big") == 0) {
		unsigned i;

		for (i = 0; i < 2 * CONTROL_REPLY_MAX_BYTES / 64; i++)
			control_reply_line(r, "%063u", i);
	} else {
		control_reply_error(r, "unknown \"%s\"", line);
	}
}

struct fixture {
	char dir[64];
	char path[128];
	struct control_server *cs;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char err[256];

	snprintf(f->dir, sizeof(f->dir), "/tmp/fbhost-ctl-test-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/c.sock", f->dir);
	f->cs = control_server_new(f->path, fake_handler, NULL, err, sizeof(err));
	if (!f->cs)
		fail_msg("control_server_new: %s", err);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	control_server_free(f->cs);
	assert_int_not_equal(access(f->path, F_OK), 0); /* removed */
	rmdir(f->dir);
	free(f);
	return 0;
}

static void test_mode_0600(void **state)
{
	struct fixture *f = *state;
	struct stat st;

	assert_int_equal(lstat(f->path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(st.st_uid, getuid());
}

static void test_replies(void **state)
{
	struct fixture *f = *state;
	char *reply;

	assert_int_equal(sp_request(f->path, "echo hello world", &reply), 0);
	assert_string_equal(reply, "hello world\nok\n");
	free(reply);
	assert_int_equal(sp_request(f->path, "fail", &reply), 1);
	assert_string_equal(reply, "error: failed on purpose\n");
	free(reply);
	assert_int_equal(sp_request(f->path, "  nope  ", &reply), 1);
	assert_string_equal(reply, "error: unknown \"nope  \"\n");
	free(reply);
	assert_int_equal(sp_request(f->path, "big", &reply), 1);
	assert_non_null(strstr(reply, "error: reply larger than"));
	free(reply);
}

static void test_pipelined_and_crlf(void **state)
{
	static const char req[] = "echo 1\r\n\n\necho 2\necho 3"; /* last line: no newline */
	struct fixture *f = *state;
	char *reply;

	assert_int_equal(sp_request_raw(f->path, req, sizeof(req) - 1, &reply), 0);
	assert_string_equal(reply, "1\nok\n2\nok\n3\nok\n");
	free(reply);
}

static void test_huge_line(void **state)
{
	struct fixture *f = *state;
	size_t big = 1024 * 1024;
	unsigned before = atomic_load(&handled);
	char *req = malloc(big + 64), *reply;
	int n;

	memset(req, 'a', big);
	n = snprintf(req + big, 64, "\necho after\n");
	assert_int_equal(sp_request_raw(f->path, req, big + (size_t)n, &reply), 0);
	assert_string_equal(reply, "error: request line longer than 4096 bytes\nafter\nok\n");
	free(reply);
	free(req);
	/* the long line never reached the handler */
	assert_int_equal(atomic_load(&handled), before + 1);

	/* exactly at the cap: 4095 bytes + newline is accepted */
	req = malloc(CONTROL_LINE_MAX_BYTES + 1);
	memcpy(req, "echo ", 5);
	memset(req + 5, 'b', CONTROL_LINE_MAX_BYTES - 6);
	req[CONTROL_LINE_MAX_BYTES - 1] = '\n';
	assert_int_equal(sp_request_raw(f->path, req, CONTROL_LINE_MAX_BYTES, &reply), 0);
	assert_int_equal(strlen(reply), CONTROL_LINE_MAX_BYTES - 5 + 3);
	free(reply);
	free(req);
}

static void test_binary_garbage(void **state)
{
	struct fixture *f = *state;
	unsigned char req[70000];
	size_t i;
	char *reply;
	unsigned seed = 12345;

	for (i = 0; i < sizeof(req); i++) {
		seed = seed * 1103515245u + 12345u;
		req[i] = (unsigned char)(seed >> 16);
	}
	memcpy(req + sizeof(req) - 12, "\necho alive\n", 12);
	assert_int_equal(sp_request_raw(f->path, req, sizeof(req), &reply), 0);
	/* every garbage line got an error, and the last request its answer */
	assert_non_null(strstr(reply, "error: "));
	assert_non_null(strstr(reply, "alive\nok\n"));
	/* one final line per request: every other line is an error */
	{
		char *line = reply, *nl;

		while ((nl = strchr(line, '\n')) != NULL) {
			*nl = '\0';
			if (strcmp(line, "alive") != 0 && strcmp(line, "ok") != 0 &&
			    strncmp(line, "error: ", 7) != 0)
				fail_msg("unexpected reply line \"%s\"", line);
			line = nl + 1;
		}
	}
	free(reply);

	/* a NUL inside an otherwise fine line */
	assert_int_equal(sp_request_raw(f->path, "echo a\0b\n", 9, &reply), 0);
	assert_string_equal(reply, "error: request holds binary data or control characters\n");
	free(reply);
	/* garbage without any newline, then the peer closes */
	assert_int_equal(sp_request_raw(f->path, req, 3000, &reply), 0);
	free(reply);
	assert_int_equal(sp_request(f->path, "echo still", &reply), 0);
	assert_string_equal(reply, "still\nok\n");
	free(reply);
}

static int connect_to(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = 10 }; /* bounds every recv below */
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	assert_true(fd >= 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

static void test_connection_cap(void **state)
{
	struct fixture *f = *state;
	int fds[CONTROL_MAX_CLIENTS];
	char buf[128] = "";
	unsigned i;
	ssize_t n;
	int extra;
	char *reply;

	for (i = 0; i < CONTROL_MAX_CLIENTS; i++) {
		fds[i] = connect_to(f->path);
		/* make sure the server took it before the next */
		assert_int_equal(send(fds[i], "echo x\n", 7, 0), 7);
		n = recv(fds[i], buf, sizeof(buf), 0);
		assert_true(n > 0);
	}
	extra = connect_to(f->path);
	n = recv(extra, buf, sizeof(buf) - 1, 0); /* bounded: the server closes it */
	assert_true(n > 0);
	buf[n] = '\0';
	assert_string_equal(buf, "error: too many control connections\n");
	close(extra);
	for (i = 0; i < CONTROL_MAX_CLIENTS; i++)
		close(fds[i]);
	/* slots are freed once the server sees the closes */
	for (i = 0; i < 200; i++) {
		if (sp_request(f->path, "echo back", &reply) == 0 &&
		    strcmp(reply, "back\nok\n") == 0) {
			free(reply);
			return;
		}
		free(reply);
		usleep(20000);
	}
	fail_msg("server did not free its connection slots");
}

/* A request that blocks its handler delays only its own connection:
 * meanwhile other connections are answered. */
static void test_slow_request_alone(void **state)
{
	struct fixture *f = *state;
	struct timespec deadline;
	char buf[64] = "", *reply;
	unsigned i;
	ssize_t n;
	int fd;

	release = false;
	fd = connect_to(f->path);
	assert_int_equal(send(fd, "block\n", 6, 0), 6);
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += BLOCK_WAIT_MS / 1000;
	pthread_mutex_lock(&block_lock);
	while (!blocked && pthread_cond_timedwait(&block_cond, &block_lock, &deadline) == 0)
		;
	assert_true(blocked);
	pthread_mutex_unlock(&block_lock);

	/* other connections, one after the other and pipelined */
	for (i = 0; i < 3; i++) {
		assert_int_equal(sp_request(f->path, "echo meanwhile", &reply), 0);
		assert_string_equal(reply, "meanwhile\nok\n");
		free(reply);
	}
	assert_int_equal(sp_request_raw(f->path, "echo a\necho b\n", 14, &reply), 0);
	assert_string_equal(reply, "a\nok\nb\nok\n");
	free(reply);
	pthread_mutex_lock(&block_lock);
	assert_true(blocked); /* still waiting: the others did not wait for it */
	release = true;
	pthread_cond_broadcast(&block_cond);
	pthread_mutex_unlock(&block_lock);
	n = recv(fd, buf, sizeof(buf) - 1, 0); /* bounded by SO_RCVTIMEO */
	assert_true(n > 0);
	buf[n] = '\0';
	assert_string_equal(buf, "released\nok\n");
	close(fd);
}

/* Clients on several threads at once, each checking its own answers. A
 * client may find every slot taken for a moment (a server thread finishes
 * shortly after its client closed): "too many control connections" is a
 * correct answer then, counted apart. */
#define CONCURRENT_CLIENTS 8u
#define CONCURRENT_REQUESTS 50u

struct concurrent_client {
	pthread_t thread;
	const char *path;
	unsigned id;
	unsigned answered, busy, bad;
};

static void *concurrent_client(void *arg)
{
	struct concurrent_client *c = arg;
	unsigned i;

	for (i = 0; i < CONCURRENT_REQUESTS; i++) {
		char line[64], want[80], *reply = NULL;

		snprintf(line, sizeof(line), "echo client %u request %u", c->id, i);
		snprintf(want, sizeof(want), "client %u request %u\nok\n", c->id, i);
		if (sp_request(c->path, line, &reply) == 0 && strcmp(reply, want) == 0) {
			c->answered++;
		} else if (reply && strcmp(reply, "error: too many control connections\n") == 0) {
			c->busy++;
		} else {
			fprintf(stderr, "client %u: \"%s\": \"%s\"\n", c->id, line,
				reply ? reply : strerror(errno));
			c->bad++;
		}
		free(reply);
	}
	return NULL;
}

static void test_concurrent_clients(void **state)
{
	struct fixture *f = *state;
	struct concurrent_client c[CONCURRENT_CLIENTS];
	unsigned i, answered = 0, busy = 0, bad = 0;

	for (i = 0; i < CONCURRENT_CLIENTS; i++) {
		c[i] = (struct concurrent_client){ .path = f->path, .id = i };
		assert_int_equal(pthread_create(&c[i].thread, NULL, concurrent_client, &c[i]), 0);
	}
	/* all joined before any assertion: the server outlives its clients */
	for (i = 0; i < CONCURRENT_CLIENTS; i++) {
		pthread_join(c[i].thread, NULL);
		answered += c[i].answered;
		busy += c[i].busy;
		bad += c[i].bad;
	}
	print_message("%u answered, %u told the server was full\n", answered, busy);
	assert_int_equal(bad, 0);
	assert_int_equal(answered + busy, CONCURRENT_CLIENTS * CONCURRENT_REQUESTS);
	assert_true(answered > 0);
}

static void test_stale_and_live_socket(void **state)
{
	struct fixture *f = *state;
	struct control_server *second;
	char path[160], err[256];
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;
	char *reply;

	/* a live server's socket is refused */
	second = control_server_new(f->path, fake_handler, NULL, err, sizeof(err));
	assert_null(second);
	assert_int_equal(errno, EADDRINUSE);
	assert_non_null(strstr(err, "another fbhost is serving it"));
	assert_int_equal(sp_request(f->path, "echo first", &reply), 0); /* untouched */
	free(reply);

	/* a stale one (bound, nobody listening) is replaced */
	snprintf(path, sizeof(path), "%s/stale.sock", f->dir);
	assert_true(strlen(path) < sizeof(sa.sun_path));
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);
	second = control_server_new(path, fake_handler, NULL, err, sizeof(err));
	if (!second)
		fail_msg("stale socket not replaced: %s", err);
	assert_int_equal(sp_request(path, "echo second", &reply), 0);
	assert_string_equal(reply, "second\nok\n");
	free(reply);
	control_server_free(second);
	assert_int_not_equal(access(path, F_OK), 0);

	/* a regular file is never removed */
	fd = open(path, O_CREAT | O_WRONLY, 0600);
	close(fd);
	second = control_server_new(path, fake_handler, NULL, err, sizeof(err));
	assert_null(second);
	assert_non_null(strstr(err, "not a socket"));
	assert_int_equal(access(path, F_OK), 0);
	unlink(path);

	/* a path too long for sun_path */
	memset(path, 'p', sizeof(path) - 1);
	path[0] = '/';
	path[sizeof(path) - 1] = '\0';
	assert_null(control_server_new(path, fake_handler, NULL, err, sizeof(err)));
	assert_non_null(strstr(err, "path must be"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_mode_0600, setup, teardown),
		cmocka_unit_test_setup_teardown(test_replies, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pipelined_and_crlf, setup, teardown),
		cmocka_unit_test_setup_teardown(test_huge_line, setup, teardown),
		cmocka_unit_test_setup_teardown(test_binary_garbage, setup, teardown),
		cmocka_unit_test_setup_teardown(test_connection_cap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_slow_request_alone, setup, teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_clients, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stale_and_live_socket, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
