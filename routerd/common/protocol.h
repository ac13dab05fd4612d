/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The control protocol, shared by routerd (daemon/ctl.c, daemon/commands.c)
 * and routerctl: the request grammar, its limits, the reply, the exit
 * statuses, and the verbs with their arguments, privilege and help. Owns
 * no code that touches a socket; both sides include only this.
 *
 * One request per connection, one line:
 *     [-j] VERB [ARG...]\n          (at most RD_CTL_MAX_REQUEST bytes,
 *                                    words split on blanks, at most
 *                                    RD_CTL_MAX_ARGS with the verb)
 * and one reply, after which the daemon closes the connection:
 *     ok\n<body>    or    error: <message>\n
 */
#ifndef RD_PROTOCOL_H
#define RD_PROTOCOL_H

#include <stdbool.h>
#include <stddef.h>

#define RD_CTL_MAX_REQUEST 4096
#define RD_CTL_MAX_ARGS 16
#define RD_CTL_JSON_FLAG "-j"     /* first word: the reply body is JSON */
#define RD_CTL_REPLY_OK "ok\n"
#define RD_CTL_REPLY_ERROR "error: "

/* routerctl's exit statuses */
enum rd_ctl_exit {
	RD_EXIT_OK = 0,
	RD_EXIT_FAILED = 1, /* routerd answered with an error, or cannot be reached */
	RD_EXIT_USAGE = 2,
};

/* The verbs, in the order help lists them. */
enum rd_verb_id {
	RD_VERB_STATUS,
	RD_VERB_INTERFACES,
	RD_VERB_STATS,
	RD_VERB_NEIGH,
	RD_VERB_FDB,
	RD_VERB_FIXUPS,
	RD_VERB_CONNTRACK,
	RD_VERB_METRICS,
	RD_VERB_MONITOR,
	RD_VERB_RELOAD,
	RD_VERB_HELP,
	RD_VERB__MAX
};

enum rd_verb_flags {
	RD_VERB_PRIVILEGED = 1 << 0, /* changes state: root only (not the socket-group) */
	RD_VERB_CLIENT = 1 << 1,     /* run by routerctl itself, never sent to routerd */
};

struct rd_verb {
	const char *name;
	const char *args;  /* their syntax for help, "" for none */
	int max_args;      /* words after the verb routerd accepts; -1: any */
	unsigned int flags;
	const char *help;  /* one line; '\n' continues it on the next */
};

extern const struct rd_verb rd_verbs[RD_VERB__MAX];

/* The verb named NAME, or NULL. */
const struct rd_verb *rd_verb_find(const char *name);
static inline enum rd_verb_id rd_verb_id(const struct rd_verb *v) { return v - rd_verbs; }

#endif
