/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The control socket: owns the listening unix socket, its lock file and
 * client connections, and the dispatch of a request to a verb through the
 * verb table of common/protocol.h (the grammar, limits and privileges
 * routerctl shares): an unknown verb, extra arguments and an unprivileged
 * peer asking for a privileged verb are refused here, before any handler.
 * What the verbs do is not this module's business (see commands.h).
 */
#ifndef RD_CTL_H
#define RD_CTL_H

#include <ev.h>
#include <stdbool.h>

#include "common/json.h"
#include "common/print.h"
#include "common/protocol.h"

/* Connections served at once (a bound on memory: each holds a request
 * buffer; idle ones are dropped after 2 s). At the cap, or out of
 * descriptors, a new connection makes routerd hang up on the oldest client
 * that has not sent its request yet; only when every client is being
 * answered do new ones wait in the backlog. */
#define RD_CTL_MAX_CLIENTS 4096
#define RD_CTL_BACKLOG 128

struct rd_ctl_request {
	bool json;
	bool privileged;            /* the peer is root: may change state */
	int argc;                   /* argv[0] is the verb */
	char *argv[RD_CTL_MAX_ARGS];
};

/* Fills body; returns 0, or -1 with a message in err. */
typedef int (*rd_ctl_handler)(void *ctx, const struct rd_ctl_request *req,
			      struct rd_buf *body, char *err, size_t errlen);

/* One verb: writes its reply through p (text or JSON as the request asked);
 * returns 0, or -1 with a message in err. */
typedef int (*rd_ctl_verb_fn)(void *ctx, const struct rd_ctl_request *req, struct rd_print *p,
			      char *err, size_t errlen);

struct rd_ctl {
	int listen_fd;
	int lock_fd;
	char path[108];
	struct ev_loop *loop;
	ev_io accept_watcher;
	ev_timer accept_retry;      /* after EMFILE: accept again later, not spin */
	unsigned int n_clients;
	struct ctl_client *oldest;  /* clients in accept order, for eviction */
	struct ctl_client *newest;
	unsigned long evicted;
	rd_ctl_handler handler;
	void *handler_ctx;
	unsigned long requests;
	unsigned long bad_requests;
};

/* Takes the instance lock and binds the socket: 0600, or 0660 owned by
 * `group` when one is given (its members get the read-only verbs). Fails
 * with a message naming the socket when another routerd holds it. */
int rd_ctl_open(struct rd_ctl *ctl, const char *path, const char *group, char *err,
		size_t errlen);
void rd_ctl_start(struct rd_ctl *ctl, struct ev_loop *loop, rd_ctl_handler handler, void *ctx);
void rd_ctl_close(struct rd_ctl *ctl);

/* Runs the verb req->argv[0] as handlers[its rd_verb_id] after checking it
 * against rd_verbs: known and served by routerd (a handler), at most its
 * max_args arguments, and a privileged peer for an RD_VERB_PRIVILEGED verb.
 * Returns the handler's result, or -1 with the refusal in err. */
int rd_ctl_dispatch(const rd_ctl_verb_fn handlers[RD_VERB__MAX], void *ctx,
		    const struct rd_ctl_request *req, struct rd_buf *body, char *err,
		    size_t errlen);

/* Splits a request line in place; shared with the tests. */
int rd_ctl_parse_request(char *line, struct rd_ctl_request *req, char *err, size_t errlen);

#endif
