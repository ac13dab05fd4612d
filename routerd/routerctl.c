// SPDX-License-Identifier: GPL-2.0
/* routerctl: ask a running routerd, iproute2 style. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "config.h"
#include "ctl.h"
#include "json.h"

static const char usage[] =
"Usage: routerctl [OPTIONS] COMMAND [ARGS]\n"
"\n"
"Query a running routerd over its control socket.\n"
"\n"
"Options:\n"
"  -s, --socket PATH  control socket (default " RD_DEFAULT_SOCKET ")\n"
"  -j, --json         print JSON, like ip -j\n"
"  -p, --pretty       indent the JSON (implies -j)\n"
"  -h, --help         show this help\n"
"\n"
"Commands:\n"
"  status             version, uptime, attached program and modes\n"
"  interfaces         managed interfaces, link state, XDP mode, fix-ups\n"
"  stats [-s]         per-interface counters; -s adds every non-zero\n"
"                     pass/drop reason (JSON always has them all)\n"
"  neigh              nexthops the fast path forwards to, the kernel's\n"
"                     neighbour state for each and when XDP last used it\n"
"  fdb [ports|stats]  bridge FDB entries mirrored for XDP bridging (port,\n"
"                     VLAN, when XDP last bridged from/to each); ports: the\n"
"                     bridge ports and their state; stats: the mirror's counters\n"
"  fixups             per-interface protocol fix-ups and their counters\n"
"  reload             re-read the config file (like SIGHUP)\n"
"\n"
"Exit status: 0 on success, 1 when routerd answers with an error or cannot\n"
"be reached, 2 on bad usage.\n";

#define TIMEOUT_S 5

static int connect_socket(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = TIMEOUT_S };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "routerctl: socket path too long: %s\n", path);
		return -1;
	}
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		fprintf(stderr, "routerctl: cannot reach routerd at %s: %s%s\n", path,
			strerror(errno),
			errno == ENOENT || errno == ECONNREFUSED ? " (is routerd running?)" : "");
		close(fd);
		return -1;
	}
	return fd;
}

static int send_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= n;
	}
	return 0;
}

static int read_all(int fd, struct rd_buf *reply)
{
	char chunk[4096];
	ssize_t n;

	while ((n = recv(fd, chunk, sizeof(chunk), 0)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		rd_buf_printf(reply, "%.*s", (int)n, chunk);
	}
	return reply->oom ? -1 : 0;
}

int main(int argc, char **argv)
{
	const char *sock = RD_DEFAULT_SOCKET;
	bool json = false, pretty = false;
	struct rd_buf req = { 0 }, reply = { 0 };
	int i, fd, rc = 1;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		const char *o = argv[i];

		if (!strcmp(o, "-j") || !strcmp(o, "--json")) {
			json = true;
		} else if (!strcmp(o, "-p") || !strcmp(o, "--pretty")) {
			json = pretty = true;
		} else if (!strcmp(o, "-jp") || !strcmp(o, "-pj")) {
			json = pretty = true;
		} else if ((!strcmp(o, "-s") || !strcmp(o, "--socket")) && i + 1 < argc) {
			sock = argv[++i];
		} else if (!strcmp(o, "-h") || !strcmp(o, "--help")) {
			fputs(usage, stdout);
			return 0;
		} else {
			fprintf(stderr, "routerctl: unknown option '%s'\nTry 'routerctl --help'.\n", o);
			return 2;
		}
	}
	if (i == argc) {
		fputs(usage, stderr);
		return 2;
	}
	if (!strcmp(argv[i], "help")) {
		fputs(usage, stdout);
		return 0;
	}

	rd_buf_printf(&req, "%s", json ? "-j" : "");
	for (; i < argc; i++) {
		if (strpbrk(argv[i], " \t\n") || !*argv[i]) {
			fprintf(stderr, "routerctl: invalid argument '%s'\n", argv[i]);
			return 2;
		}
		rd_buf_printf(&req, "%s%s", req.len ? " " : "", argv[i]);
	}
	rd_buf_printf(&req, "\n");
	if (req.oom || req.len > RD_CTL_MAX_REQUEST) {
		fprintf(stderr, "routerctl: request too long\n");
		return 2;
	}

	fd = connect_socket(sock);
	if (fd < 0)
		goto out;
	if (send_all(fd, req.data, req.len) || read_all(fd, &reply)) {
		fprintf(stderr, "routerctl: lost the connection to routerd at %s: %s\n", sock,
			strerror(errno));
		close(fd);
		goto out;
	}
	close(fd);

	if (reply.len >= 3 && !strncmp(reply.data, "ok\n", 3)) {
		if (pretty)
			rd_json_pretty_print(reply.data + 3, reply.len - 3, stdout);
		else
			fwrite(reply.data + 3, 1, reply.len - 3, stdout);
		rc = 0;
	} else if (reply.len > 7 && !strncmp(reply.data, "error: ", 7)) {
		fprintf(stderr, "routerctl: %.*s", (int)(reply.len - 7), reply.data + 7);
	} else {
		fprintf(stderr, "routerctl: malformed reply from routerd at %s\n", sock);
	}
out:
	rd_buf_free(&req);
	rd_buf_free(&reply);
	return rc;
}
