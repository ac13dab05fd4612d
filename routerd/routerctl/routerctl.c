// SPDX-License-Identifier: GPL-2.0
/* routerctl: ask a running routerd, iproute2 style. */
#include <errno.h>
#include <getopt.h>
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
#include "common/json.h"
#include "common/monitor.h"
#include "common/options.h"
#include "common/print.h"
#include "common/protocol.h"

struct opts {
	const char *sock;
	bool json, pretty;
};

static int run_monitor(const struct opts *o, int argc, char **argv);
static int run_help(const struct opts *o, int argc, char **argv);

/* The verbs routerctl runs itself (RD_VERB_CLIENT in the protocol's table);
 * any other word is sent to routerd as it is, so a daemon newer than this
 * routerctl still answers its own verbs. */
static int (*const client_verbs[RD_VERB__MAX])(const struct opts *o, int argc, char **argv) = {
	[RD_VERB_MONITOR] = run_monitor,
	[RD_VERB_HELP] = run_help,
};

static const struct rd_opt cli_opts[] = {
	{ "socket", 's', "PATH", "control socket (default " RD_DEFAULT_SOCKET ")" },
	{ "json", 'j', NULL, "print JSON, like ip -j" },
	{ "pretty", 'p', NULL, "indent the JSON (implies -j)" },
	{ "help", 'h', NULL, "show this help" },
};
#define N_CLI_OPTS (sizeof(cli_opts) / sizeof(cli_opts[0]))

static void usage(FILE *out)
{
	fputs("Usage: routerctl [OPTIONS] COMMAND [ARGS]\n"
	      "\n"
	      "Query a running routerd over its control socket.\n"
	      "\n"
	      "Options:\n", out);
	rd_opts_usage(cli_opts, N_CLI_OPTS, 21, out);
	fputs("\n"
	      "Commands:\n", out);
	for (size_t i = 0; i < RD_VERB__MAX; i++) {
		const struct rd_verb *v = &rd_verbs[i];
		char head[64];

		snprintf(head, sizeof(head), "  %s%s%s", v->name, *v->args ? " " : "", v->args);
		rd_print_help_row(out, head, 21, true, v->help);
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

#define OK_LEN (sizeof(RD_CTL_REPLY_OK) - 1)
#define ERROR_LEN (sizeof(RD_CTL_REPLY_ERROR) - 1)

/* One request: the words joined, the reply's body in `body`. Returns 0,
 * or the exit status (1, or 2 for a request too long) with the reason
 * printed. */
static int request(const struct opts *o, int argc, char **argv, struct rd_buf *body)
{
	struct rd_buf req = { 0 }, reply = { 0 };
	int fd, rc = 1;

	rd_buf_printf(&req, "%s", o->json ? RD_CTL_JSON_FLAG : "");
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
	if (reply.len >= OK_LEN && !strncmp(reply.data, RD_CTL_REPLY_OK, OK_LEN)) {
		rd_buf_printf(body, "%.*s", (int)(reply.len - OK_LEN), reply.data + OK_LEN);
		rc = body->oom;
	} else if (reply.len > ERROR_LEN && !strncmp(reply.data, RD_CTL_REPLY_ERROR, ERROR_LEN)) {
		fprintf(stderr, "routerctl: %.*s", (int)(reply.len - ERROR_LEN), reply.data + ERROR_LEN);
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

/* Options up to the command (getopt_long, stopping at the first word that
 * is not one: the command's own arguments may start with '-'). Returns -1
 * to go on, or the exit status. */
static int parse_options(int argc, char **argv, struct opts *o)
{
	struct option longs[N_CLI_OPTS + 1];
	char shorts[2 * N_CLI_OPTS + 4];
	int c;

	/* '+': stop at the command; ':': report a missing argument as such */
	rd_opts_getopt(cli_opts, N_CLI_OPTS, "+:", longs, shorts);
	opterr = 0; /* our messages, in routerctl's words */
	while ((c = getopt_long(argc, argv, shorts, longs, NULL)) != -1) {
		switch (c) {
		case 's': o->sock = optarg; break;
		case 'j': o->json = true; break;
		case 'p': o->json = o->pretty = true; break;
		case 'h': usage(stdout); return RD_EXIT_OK;
		case ':':
			fprintf(stderr, "routerctl: option '%s' needs an argument\n"
					"Try 'routerctl --help'.\n", argv[optind - 1]);
			return RD_EXIT_USAGE;
		default:
			if (optopt)
				fprintf(stderr, "routerctl: unknown option '-%c'\n", optopt);
			else
				fprintf(stderr, "routerctl: unknown option '%s'\n", argv[optind - 1]);
			fputs("Try 'routerctl --help'.\n", stderr);
			return RD_EXIT_USAGE;
		}
	}
	return -1;
}

int main(int argc, char **argv)
{
	struct opts o = { .sock = RD_DEFAULT_SOCKET };
	const struct rd_verb *v;
	struct rd_buf body = { 0 };
	int i, rc;

	rc = parse_options(argc, argv, &o);
	if (rc >= 0)
		return rc;
	i = optind;
	if (i == argc) {
		usage(stderr);
		return RD_EXIT_USAGE;
	}
	for (int k = i; k < argc; k++) {
		if (strpbrk(argv[k], " \t\n") || !*argv[k]) {
			fprintf(stderr, "routerctl: invalid argument '%s'\n", argv[k]);
			return RD_EXIT_USAGE;
		}
	}
	v = rd_verb_find(argv[i]);
	if (v && client_verbs[rd_verb_id(v)])
		return client_verbs[rd_verb_id(v)](&o, argc - i, argv + i);

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
