// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_ctl: control requests (routerd/daemon/ctl.c) under ASan/UBSan.
 *
 * Each input is what a client writes on the control socket before closing
 * its side. Two things are checked on every run:
 *
 * 1. rd_ctl_parse_request() on the input up to its first NUL: on success
 *    1..RD_CTL_MAX_ARGS arguments, each a non-empty word inside the
 *    buffer without blanks, `json` only from a leading "-j"; on failure a
 *    NUL-terminated message.
 * 2. The real server: a listening socket from rd_ctl_open() in a private
 *    directory, served by rd_ctl_start() on a libev loop, with a handler
 *    that echoes the parsed words. The input is sent on a fresh
 *    connection, the write side shut, the loop run until the server
 *    closes. The reply must be what the protocol promises: for a line
 *    (up to the first newline, within RD_CTL_MAX_REQUEST bytes) exactly
 *    one reply, "ok\n" + the echo of the words rd_ctl_parse_request()
 *    finds, or "error: ...\n" (NUL byte, empty, too many words); for
 *    RD_CTL_MAX_REQUEST bytes without a newline "error: request too
 *    long"; for less without a newline, no reply at all. The request
 *    counters move accordingly.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "daemon/ctl.h"
#include "common/log.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FAIL(...)                                                               \
	do {                                                                    \
		fprintf(stderr, "\nfuzz_ctl: INVARIANT BROKEN: " __VA_ARGS__); \
		fputc('\n', stderr);                                            \
		abort();                                                        \
	} while (0)

static struct rd_ctl ctl;
static struct ev_loop *loop;
static char dir[64], sock_path[108];

static void cleanup(void)
{
	rd_ctl_close(&ctl);
	snprintf(sock_path, sizeof(sock_path), "%s/ctl.sock.lock", dir);
	unlink(sock_path);
	rmdir(dir);
}

static void check_request(const struct rd_ctl_request *req, const char *buf, size_t buflen)
{
	if (req->argc < 1 || req->argc > RD_CTL_MAX_ARGS)
		FAIL("argc %d", req->argc);
	for (int i = 0; i < req->argc; i++) {
		const char *w = req->argv[i];

		if (w < buf || w >= buf + buflen)
			FAIL("argv[%d] points outside the request", i);
		if (!*w || strpbrk(w, " \t"))
			FAIL("argv[%d] = '%s'", i, w);
		if (w + strlen(w) > buf + buflen)
			FAIL("argv[%d] runs past the request", i);
	}
}

/* The handler echoes the words, one per line, after the flags. */
static int echo_handler(void *ctx, const struct rd_ctl_request *req, struct rd_buf *body,
			char *err, size_t errlen)
{
	(void)ctx;
	(void)err;
	(void)errlen;
	if (req->argc < 1 || req->argc > RD_CTL_MAX_ARGS)
		FAIL("handler called with argc %d", req->argc);
	rd_buf_printf(body, "json=%d argc=%d\n", req->json, req->argc);
	for (int i = 0; i < req->argc; i++)
		rd_buf_printf(body, "%s\n", req->argv[i]);
	return 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char err[256];

	rd_log_init(true, RD_LOG_ERR);
	snprintf(dir, sizeof(dir), "/tmp/fuzz_ctl.XXXXXX");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		exit(1);
	}
	snprintf(sock_path, sizeof(sock_path), "%s/ctl.sock", dir);
	if (rd_ctl_open(&ctl, sock_path, NULL, err, sizeof(err))) {
		fprintf(stderr, "fuzz_ctl: %s\n", err);
		exit(1);
	}
	loop = ev_loop_new(EVFLAG_AUTO);
	rd_ctl_start(&ctl, loop, echo_handler, NULL);
	atexit(cleanup);
	return 0;
}

/* What the server must answer for this input: -1 nothing, else the reply. */
static int expected_reply(const uint8_t *data, size_t size, char *want, size_t wantlen)
{
	size_t scan = size < RD_CTL_MAX_REQUEST ? size : RD_CTL_MAX_REQUEST;
	const uint8_t *nl = memchr(data, '\n', scan);
	static char line[RD_CTL_MAX_REQUEST + 1];
	struct rd_ctl_request req;
	char err[256];
	size_t len, off;

	if (!nl) {
		if (size < RD_CTL_MAX_REQUEST)
			return -1;
		snprintf(want, wantlen, "error: request too long");
		return 0;
	}
	len = (size_t)(nl - data);
	memcpy(line, data, len);
	line[len] = '\0';
	if (strlen(line) != len) {
		snprintf(want, wantlen, "error: request contains a NUL byte\n");
		return 0;
	}
	if (rd_ctl_parse_request(line, &req, err, sizeof(err))) {
		snprintf(want, wantlen, "error: %s\n", err);
		return 0;
	}
	off = (size_t)snprintf(want, wantlen, "ok\njson=%d argc=%d\n", req.json, req.argc);
	for (int i = 0; i < req.argc && off < wantlen; i++)
		off += (size_t)snprintf(want + off, wantlen - off, "%s\n", req.argv[i]);
	return 0;
}

static void direct_parse(const uint8_t *data, size_t size)
{
	static char buf[1 << 16];
	struct rd_ctl_request req;
	char err[256];
	size_t len = strnlen((const char *)data, size);
	const char *first;

	memcpy(buf, data, len);
	buf[len] = '\0';
	memset(err, 0xa5, sizeof(err));
	if (rd_ctl_parse_request(buf, &req, err, sizeof(err))) {
		if (!memchr(err, '\0', sizeof(err)) || !err[0])
			FAIL("failure without a NUL-terminated message");
		return;
	}
	check_request(&req, buf, len + 1);
	first = buf + strspn(buf, " \t");
	if (req.json != (!strncmp(first, "-j", 2) && (!first[2] || strchr(" \t", first[2]))))
		FAIL("json flag %d for a request starting '%.8s'", req.json, first);
}

static void via_socket(const uint8_t *data, size_t size)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	static char reply[1 << 17], want[1 << 17];
	unsigned long requests = ctl.requests, bad = ctl.bad_requests;
	size_t sent = 0, got = 0;
	bool eof = false, shut = false;
	int fd, expect;

	expect = expected_reply(data, size, want, sizeof(want));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock_path);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		perror("fuzz_ctl: connect");
		exit(1);
	}
	for (int round = 0; !eof; round++) {
		ssize_t n;

		if (round > 10000)
			FAIL("the server neither answered nor closed");
		while (sent < size) {
			n = send(fd, data + sent, size - sent, MSG_NOSIGNAL);
			if (n <= 0)
				break;
			sent += (size_t)n;
		}
		if (sent == size && !shut) {
			shutdown(fd, SHUT_WR);
			shut = true;
		}
		ev_run(loop, EVRUN_NOWAIT);
		for (;;) {
			n = recv(fd, reply + got, sizeof(reply) - 1 - got, 0);
			if (n > 0) {
				got += (size_t)n;
				continue;
			}
			if (n == 0 || (errno != EAGAIN && errno != EINTR))
				eof = true;
			break;
		}
		if (!eof) {
			/* the server stopped reading (it answered early): stop sending */
			if (got && !shut) {
				shutdown(fd, SHUT_WR);
				shut = true;
				sent = size;
			}
			poll(NULL, 0, 0);
		}
	}
	close(fd);
	ev_run(loop, EVRUN_NOWAIT);
	reply[got] = '\0';

	if (expect < 0) {
		if (got)
			FAIL("a request without a newline was answered: '%s'", reply);
		if (ctl.requests != requests)
			FAIL("an unfinished request was counted");
		return;
	}
	if (!strncmp(want, "error: request too long", 23)) {
		if (strncmp(reply, want, strlen(want)) || ctl.bad_requests != bad + 1)
			FAIL("%zu bytes without a newline: reply '%.80s'", size, reply);
		return;
	}
	if (strcmp(reply, want))
		FAIL("reply\n'%s'\nwant\n'%s'", reply, want);
	if (ctl.requests != requests + 1)
		FAIL("requests counter moved by %lu", ctl.requests - requests);
	if (ctl.bad_requests != bad + (want[0] == 'e'))
		FAIL("bad_requests counter moved by %lu", ctl.bad_requests - bad);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 3 * RD_CTL_MAX_REQUEST)
		return -1;
	direct_parse(data, size);
	via_socket(data, size);
	return 0;
}
