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
#include <time.h>
#include <unistd.h>

#include "common/config.h"
#include "daemon/ctl.h"
#include "common/json.h"
#include "common/monitor.h"

/* The verbs: what help shows and, for the few routerctl runs itself, how.
 * Any other word is sent to routerd as it is, so a daemon newer than this
 * routerctl still answers its own verbs. */
struct opts {
	const char *sock;
	bool json, pretty;
};

static int run_monitor(const struct opts *o, int argc, char **argv);
static int run_help(const struct opts *o, int argc, char **argv);

static const struct verb {
	const char *name;
	const char *args;
	const char *help; /* '\n' continues on the next line */
	int (*run)(const struct opts *o, int argc, char **argv); /* NULL: routerd's */
} verbs[] = {
	{ "status", "", "version, uptime, attached program and modes, daemon figures", NULL },
	{ "interfaces", "", "managed interfaces, link state, XDP mode, fix-ups", NULL },
	{ "stats", "[-s]", "per-interface counters; -s adds the bytes and every\n"
			   "non-zero pass/drop reason (JSON always has them all)", NULL },
	{ "neigh", "", "nexthops the fast path forwards to, the kernel's\n"
		       "neighbour state for each and when XDP last used it", NULL },
	{ "fdb", "[ports|stats]", "bridge FDB entries mirrored for XDP bridging (port,\n"
				  "VLAN, when XDP last bridged from/to each); ports: the\n"
				  "bridge ports and their state; stats: the mirror's counters", NULL },
	{ "fixups", "", "per-interface protocol fix-ups and their counters", NULL },
	{ "conntrack", "", "conntrack offload: families, generation, ct_* counters\n"
			   "and the admitted flows", NULL },
	{ "metrics", "", "counters and daemon figures in the Prometheus text\n"
			 "format (for node_exporter's textfile collector)", NULL },
	{ "monitor", "[-i SEC] [-c N] [dev IFACE]",
	  "live per-interface packet and bit rates, XDP share, top\n"
	  "pass reasons; every SEC (1) s, N times or until interrupted;\n"
	  "-j: one JSON object per interval", run_monitor },
	{ "reload", "", "re-read the config file (like SIGHUP)", NULL },
	{ "help", "", "this help", run_help },
};
#define N_VERBS (sizeof(verbs) / sizeof(verbs[0]))

static void usage(FILE *out)
{
	fputs("Usage: routerctl [OPTIONS] COMMAND [ARGS]\n"
	      "\n"
	      "Query a running routerd over its control socket.\n"
	      "\n"
	      "Options:\n"
	      "  -s, --socket PATH  control socket (default " RD_DEFAULT_SOCKET ")\n"
	      "  -j, --json         print JSON, like ip -j\n"
	      "  -p, --pretty       indent the JSON (implies -j)\n"
	      "  -h, --help         show this help\n"
	      "\n"
	      "Commands:\n", out);
	for (size_t i = 0; i < N_VERBS; i++) {
		char head[64];
		const char *h = verbs[i].help, *nl;

		snprintf(head, sizeof(head), "%s%s%s", verbs[i].name, *verbs[i].args ? " " : "",
			 verbs[i].args);
		fprintf(out, "  %-*s", strlen(head) > 17 ? 0 : 19, head);
		if (strlen(head) > 17)
			fprintf(out, "\n  %19s", "");
		while ((nl = strchr(h, '\n'))) {
			fprintf(out, "%.*s\n  %19s", (int)(nl - h), h, "");
			h = nl + 1;
		}
		fprintf(out, "%s\n", h);
	}
	fputs("\n"
	      "Exit status: 0 on success, 1 when routerd answers with an error or cannot\n"
	      "be reached, 2 on bad usage. See routerctl(8), routerd(8), routerd.conf(5).\n",
	      out);
}

static int run_help(const struct opts *o, int argc, char **argv)
{
	usage(stdout);
	return 0;
}

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

/* One request: the words joined, the reply's body in `body`. Returns 0,
 * or the exit status (1, or 2 for a request too long) with the reason
 * printed. */
static int request(const struct opts *o, int argc, char **argv, struct rd_buf *body)
{
	struct rd_buf req = { 0 }, reply = { 0 };
	int fd, rc = 1;

	rd_buf_printf(&req, "%s", o->json ? "-j" : "");
	for (int i = 0; i < argc; i++)
		rd_buf_printf(&req, "%s%s", req.len ? " " : "", argv[i]);
	rd_buf_printf(&req, "\n");
	if (req.oom || req.len > RD_CTL_MAX_REQUEST) {
		fprintf(stderr, "routerctl: request too long\n");
		rc = 2; /* bad usage, as before any connection */
		goto out;
	}
	fd = connect_socket(o->sock);
	if (fd < 0)
		goto out;
	if (send_all(fd, req.data, req.len) || read_all(fd, &reply)) {
		fprintf(stderr, "routerctl: lost the connection to routerd at %s: %s\n", o->sock,
			strerror(errno));
		close(fd);
		goto out;
	}
	close(fd);
	if (reply.len >= 3 && !strncmp(reply.data, "ok\n", 3)) {
		rd_buf_printf(body, "%.*s", (int)(reply.len - 3), reply.data + 3);
		rc = body->oom;
	} else if (reply.len > 7 && !strncmp(reply.data, "error: ", 7)) {
		fprintf(stderr, "routerctl: %.*s", (int)(reply.len - 7), reply.data + 7);
	} else {
		fprintf(stderr, "routerctl: malformed reply from routerd at %s\n", o->sock);
	}
out:
	rd_buf_free(&req);
	rd_buf_free(&reply);
	return rc;
}

static double mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A metrics sample, timed halfway through the round trip. */
static int sample(const struct opts *o, struct rd_mon_sample *s)
{
	struct opts text = { .sock = o->sock };
	char *argv[] = { "metrics" };
	struct rd_buf body = { 0 };
	double t0 = mono_now();
	int rc = request(&text, 1, argv, &body);

	s->t = (t0 + mono_now()) / 2;
	if (!rc && rd_mon_parse(body.data ? body.data : "", body.len, s)) {
		fprintf(stderr, "routerctl: routerd's metrics reply does not parse\n");
		rc = 1;
	}
	rd_buf_free(&body);
	return rc;
}

static int run_monitor(const struct opts *o, int argc, char **argv)
{
	double interval = 1, next;
	const char *only = NULL;
	long count = -1;
	struct rd_mon_sample *prev = malloc(sizeof(*prev)), *cur = malloc(sizeof(*cur)), *t;
	bool tty = isatty(STDOUT_FILENO) && !o->json;
	int rc = 2;

	if (!prev || !cur) {
		fprintf(stderr, "routerctl: out of memory\n");
		goto out;
	}
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		char *end;

		if ((!strcmp(a, "-i") || !strcmp(a, "--interval")) && i + 1 < argc) {
			interval = strtod(argv[++i], &end);
			if (*end || !(interval >= 0.1 && interval <= 3600)) {
				fprintf(stderr, "routerctl: monitor: bad interval '%s' (0.1 to 3600 s)\n",
					argv[i]);
				goto out;
			}
		} else if ((!strcmp(a, "-c") || !strcmp(a, "--count")) && i + 1 < argc) {
			count = strtol(argv[++i], &end, 10);
			if (*end || count < 1) {
				fprintf(stderr, "routerctl: monitor: bad count '%s'\n", argv[i]);
				goto out;
			}
		} else if (!strcmp(a, "dev") && i + 1 < argc) {
			only = argv[++i];
		} else {
			fprintf(stderr, "routerctl: monitor: unknown argument '%s'\n"
					"Usage: routerctl [-j] monitor [-i SEC] [-c N] [dev IFACE]\n", a);
			goto out;
		}
	}
	rc = 1;
	if (sample(o, prev))
		goto out;
	next = prev->t;
	while (count) {
		struct rd_buf out = { 0 };
		struct timespec ts;
		double wait;

		/* a fixed schedule: intervals do not drift with the round trips */
		next += interval;
		wait = next - mono_now();
		if (wait > 0) {
			ts.tv_sec = (time_t)wait;
			ts.tv_nsec = (long)((wait - ts.tv_sec) * 1e9);
			while (nanosleep(&ts, &ts) && errno == EINTR)
				;
		}
		if (sample(o, cur))
			goto out;
		if (tty)
			rd_buf_printf(&out, "\033[H\033[2J"); /* redraw, like watch(1) */
		clock_gettime(CLOCK_REALTIME, &ts);
		rd_mon_report(prev, cur, ts.tv_sec + ts.tv_nsec / 1e9, o->json, only, &out);
		if (o->pretty)
			rd_json_pretty_print(out.data, out.len, stdout);
		else
			fwrite(out.data, 1, out.len, stdout);
		fflush(stdout);
		rd_buf_free(&out);
		t = prev, prev = cur, cur = t;
		if (count > 0)
			count--;
	}
	rc = 0;
out:
	free(prev);
	free(cur);
	return rc;
}

int main(int argc, char **argv)
{
	struct opts o = { .sock = RD_DEFAULT_SOCKET };
	struct rd_buf body = { 0 };
	int i, rc;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "-j") || !strcmp(a, "--json")) {
			o.json = true;
		} else if (!strcmp(a, "-p") || !strcmp(a, "--pretty")) {
			o.json = o.pretty = true;
		} else if (!strcmp(a, "-jp") || !strcmp(a, "-pj")) {
			o.json = o.pretty = true;
		} else if ((!strcmp(a, "-s") || !strcmp(a, "--socket")) && i + 1 < argc) {
			o.sock = argv[++i];
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			return 0;
		} else {
			fprintf(stderr, "routerctl: unknown option '%s'\nTry 'routerctl --help'.\n", a);
			return 2;
		}
	}
	if (i == argc) {
		usage(stderr);
		return 2;
	}
	for (int k = i; k < argc; k++) {
		if (strpbrk(argv[k], " \t\n") || !*argv[k]) {
			fprintf(stderr, "routerctl: invalid argument '%s'\n", argv[k]);
			return 2;
		}
	}
	for (size_t v = 0; v < N_VERBS; v++)
		if (verbs[v].run && !strcmp(verbs[v].name, argv[i]))
			return verbs[v].run(&o, argc - i, argv + i);

	rc = request(&o, argc - i, argv + i, &body);
	if (!rc) {
		/* only JSON is re-indented: `metrics` is text even with -j */
		if (o.pretty && body.len && (body.data[0] == '{' || body.data[0] == '['))
			rd_json_pretty_print(body.data, body.len, stdout);
		else if (body.len)
			fwrite(body.data, 1, body.len, stdout);
	}
	rd_buf_free(&body);
	return rc;
}
