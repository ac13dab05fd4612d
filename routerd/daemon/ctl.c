// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "daemon/ctl.h"
#include "common/log.h"

#define CLIENT_TIMEOUT 2.0
#define ACCEPT_RETRY_S 0.1

struct ctl_client {
	struct rd_ctl *ctl;
	struct ctl_client *prev, *next; /* accept order */
	int fd;
	ev_io io;
	ev_timer timer;
	bool privileged;
	char req[RD_CTL_MAX_REQUEST + 1];
	size_t req_len;
	struct rd_buf reply;
	size_t sent;
};

static int mkdir_parents(const char *path)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)], *p;

	snprintf(dir, sizeof(dir), "%s", path);
	p = strrchr(dir, '/');
	if (!p || p == dir)
		return 0;
	*p = '\0';
	for (p = dir + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0755) && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return mkdir(dir, 0755) && errno != EEXIST ? -1 : 0;
}

int rd_ctl_open(struct rd_ctl *ctl, const char *path, const char *group, char *err,
		size_t errlen)
{
	struct group *gr = NULL;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char lock_path[sizeof(sa.sun_path) + 8];
	mode_t old_umask;
	struct stat st;

	memset(ctl, 0, sizeof(*ctl));
	ctl->listen_fd = ctl->lock_fd = -1;
	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "socket path too long (at most %zu bytes): %s",
			 sizeof(sa.sun_path) - 1, path);
		return -1;
	}
	snprintf(ctl->path, sizeof(ctl->path), "%s", path);
	if (group && *group && !(gr = getgrnam(group))) {
		snprintf(err, errlen, "socket-group: unknown group '%s'", group);
		return -1;
	}
	if (mkdir_parents(path)) {
		snprintf(err, errlen, "cannot create the directory for socket %s: %s", path,
			 strerror(errno));
		return -1;
	}

	snprintf(lock_path, sizeof(lock_path), "%s.lock", path);
	/* never through a symlink someone planted, never someone else's file */
	ctl->lock_fd = open(lock_path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (ctl->lock_fd < 0) {
		if (errno == ELOOP)
			snprintf(err, errlen, "lock file %s is a symbolic link, which routerd does not "
				 "follow (another user may have planted it): remove it", lock_path);
		else
			snprintf(err, errlen, "cannot open lock file %s: %s", lock_path, strerror(errno));
		return -1;
	}
	if (fstat(ctl->lock_fd, &st))
		memset(&st, 0xff, sizeof(st));
	if (!S_ISREG(st.st_mode) ||
	    (st.st_uid != 0 && st.st_uid != geteuid())) {
		snprintf(err, errlen, "lock file %s is not routerd's (owner uid %u, not a plain file); "
			 "remove it", lock_path, (unsigned)st.st_uid);
		close(ctl->lock_fd);
		ctl->lock_fd = -1;
		return -1;
	}
	if (flock(ctl->lock_fd, LOCK_EX | LOCK_NB)) {
		snprintf(err, errlen, "routerd is already running on socket %s (lock %s held)",
			 path, lock_path);
		close(ctl->lock_fd);
		ctl->lock_fd = -1;
		return -1;
	}
	/* We hold the lock, so any socket file there is left by a dead instance. */
	unlink(path);

	ctl->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (ctl->listen_fd < 0)
		goto fail_errno;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	old_umask = umask(0177);
	if (bind(ctl->listen_fd, (struct sockaddr *)&sa, sizeof(sa))) {
		umask(old_umask);
		goto fail_errno;
	}
	umask(old_umask);
	if (gr && (chown(path, 0, gr->gr_gid) || chmod(path, 0660)))
		goto fail_errno;
	if (listen(ctl->listen_fd, RD_CTL_BACKLOG))
		goto fail_errno;
	return 0;

fail_errno:
	snprintf(err, errlen, "cannot listen on socket %s: %s", path, strerror(errno));
	rd_ctl_close(ctl);
	return -1;
}

int rd_ctl_parse_request(char *line, struct rd_ctl_request *req, char *err, size_t errlen)
{
	char *save = NULL, *word;

	memset(req, 0, sizeof(*req));
	for (word = strtok_r(line, " \t", &save); word; word = strtok_r(NULL, " \t", &save)) {
		if (!req->argc && !strcmp(word, RD_CTL_JSON_FLAG)) {
			req->json = true;
			continue;
		}
		if (req->argc == RD_CTL_MAX_ARGS) {
			snprintf(err, errlen, "too many arguments (at most %d)", RD_CTL_MAX_ARGS - 1);
			return -1;
		}
		req->argv[req->argc++] = word;
	}
	if (!req->argc) {
		snprintf(err, errlen, "empty request");
		return -1;
	}
	return 0;
}

int rd_ctl_dispatch(const rd_ctl_verb_fn handlers[RD_VERB__MAX], void *ctx,
		    const struct rd_ctl_request *req, struct rd_buf *body, char *err,
		    size_t errlen)
{
	const struct rd_verb *v = rd_verb_find(req->argv[0]);
	struct rd_print p;

	if (!v || !handlers[rd_verb_id(v)]) {
		struct rd_buf known = { 0 };

		for (size_t i = 0; i < RD_VERB__MAX; i++)
			if (handlers[i])
				rd_buf_printf(&known, "%s%s", known.len ? ", " : "", rd_verbs[i].name);
		snprintf(err, errlen, "unknown command '%.32s' (try: %s)", req->argv[0],
			 known.data ? known.data : "");
		rd_buf_free(&known);
		return -1;
	}
	if (v->max_args >= 0 && req->argc - 1 > v->max_args) {
		if (v->max_args)
			snprintf(err, errlen, "%s takes at most %d argument%s", v->name,
				 v->max_args, v->max_args > 1 ? "s" : "");
		else
			snprintf(err, errlen, "%s takes no arguments", v->name);
		return -1;
	}
	if ((v->flags & RD_VERB_PRIVILEGED) && !req->privileged) {
		snprintf(err, errlen, "%s: permission denied (root only)", v->name);
		return -1;
	}
	rd_print_init(&p, body, req->json);
	return handlers[rd_verb_id(v)](ctx, req, &p, err, errlen);
}

/* Accepting stops while the server is full or out of descriptors, and
 * resumes when a client leaves or the retry timer fires. */
static void accept_pause(struct rd_ctl *ctl, bool retry_later)
{
	ev_io_stop(ctl->loop, &ctl->accept_watcher);
	if (retry_later && !ev_is_active(&ctl->accept_retry)) {
		/* re-arm: a fired one-shot timer restarted as is fires at once */
		ev_timer_set(&ctl->accept_retry, ACCEPT_RETRY_S, 0);
		ev_timer_start(ctl->loop, &ctl->accept_retry);
	}
}

static void accept_resume(struct rd_ctl *ctl)
{
	if (ctl->listen_fd >= 0 && !ev_is_active(&ctl->accept_retry))
		ev_io_start(ctl->loop, &ctl->accept_watcher);
}

static void client_link(struct rd_ctl *ctl, struct ctl_client *c)
{
	c->prev = ctl->newest;
	if (ctl->newest)
		ctl->newest->next = c;
	else
		ctl->oldest = c;
	ctl->newest = c;
}

static void client_unlink(struct rd_ctl *ctl, struct ctl_client *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else
		ctl->oldest = c->next;
	if (c->next)
		c->next->prev = c->prev;
	else
		ctl->newest = c->prev;
}

static void client_free(struct ctl_client *c)
{
	struct rd_ctl *ctl = c->ctl;

	client_unlink(ctl, c);
	ev_io_stop(ctl->loop, &c->io);
	ev_timer_stop(ctl->loop, &c->timer);
	close(c->fd);
	rd_buf_free(&c->reply);
	free(c);
	ctl->n_clients--;
	accept_resume(ctl);
}

/* CLIENT_TIMEOUT from now (the loop's clock brought up to date: a large
 * reply may have taken a while to build). */
static void client_deadline(struct ev_loop *loop, struct ctl_client *c)
{
	ev_now_update(loop);
	ev_timer_stop(loop, &c->timer);
	ev_timer_set(&c->timer, CLIENT_TIMEOUT, 0);
	ev_timer_start(loop, &c->timer);
}

static void on_client_write(struct ev_loop *loop, ev_io *w, int revents)
{
	struct ctl_client *c = w->data;

	while (c->sent < c->reply.len) {
		ssize_t n = send(c->fd, c->reply.data + c->sent, c->reply.len - c->sent,
				 MSG_NOSIGNAL);

		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n <= 0)
			break;
		c->sent += n;
		/* a large reply (fdb -j with 65536 entries: megabytes) may take
		 * longer than CLIENT_TIMEOUT to a reader that keeps reading; a
		 * client that stops reading still times out */
		client_deadline(loop, c);
	}
	client_free(c);
}

/* The request is read: stop reading, send what is in c->reply, close. */
static void start_reply(struct ctl_client *c)
{
	/* the time to send starts now, not when the request came in: building
	 * a large reply on a loaded box must not use it up */
	client_deadline(c->ctl->loop, c);
	ev_io_stop(c->ctl->loop, &c->io);
	ev_io_init(&c->io, on_client_write, c->fd, EV_WRITE);
	c->io.data = c;
	ev_io_start(c->ctl->loop, &c->io);
}

static void reply_error(struct ctl_client *c, const char *msg)
{
	c->ctl->bad_requests++;
	rd_buf_reset(&c->reply);
	rd_buf_printf(&c->reply, RD_CTL_REPLY_ERROR "%s\n", msg);
}

/* Parses and dispatches; returns 0 with the reply body, or -1 with err. */
static int serve(struct ctl_client *c, struct rd_buf *body, char *err, size_t errlen)
{
	struct rd_ctl_request req;

	if (strlen(c->req) != c->req_len) {
		snprintf(err, errlen, "request contains a NUL byte");
		return -1;
	}
	if (rd_ctl_parse_request(c->req, &req, err, errlen))
		return -1;
	req.privileged = c->privileged;
	if (c->ctl->handler(c->ctl->handler_ctx, &req, body, err, errlen)) {
		if (!err[0])
			snprintf(err, errlen, "request failed");
		return -1;
	}
	if (body->oom) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

static void handle_request(struct ctl_client *c)
{
	struct rd_buf body = { 0 };
	char err[256] = "";

	c->ctl->requests++;
	c->req[c->req_len] = '\0';
	if (serve(c, &body, err, sizeof(err))) {
		reply_error(c, err);
	} else {
		rd_buf_printf(&c->reply, RD_CTL_REPLY_OK "%s", body.len ? body.data : "");
		if (c->reply.oom)
			reply_error(c, "out of memory");
	}
	rd_buf_free(&body);
	start_reply(c);
}

static void on_client_read(struct ev_loop *loop, ev_io *w, int revents)
{
	struct ctl_client *c = w->data;
	ssize_t n = recv(c->fd, c->req + c->req_len, RD_CTL_MAX_REQUEST - c->req_len, 0);
	char *nl;

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		client_free(c); /* closed before finishing a request: nothing to answer */
		return;
	}
	c->req_len += n;
	nl = memchr(c->req, '\n', c->req_len);
	if (nl) {
		c->req_len = nl - c->req;
		handle_request(c);
	} else if (c->req_len == RD_CTL_MAX_REQUEST) {
		char msg[64];

		snprintf(msg, sizeof(msg), "request too long (at most %d bytes)",
			 RD_CTL_MAX_REQUEST - 1);
		reply_error(c, msg);
		start_reply(c);
	}
}

static void on_client_timeout(struct ev_loop *loop, ev_timer *w, int revents)
{
	client_free(w->data);
}

static bool peer_is_root(int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	return !getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) && cred.uid == 0;
}

static bool evict_idle(struct rd_ctl *ctl)
{
	for (struct ctl_client *c = ctl->oldest; c; c = c->next) {
		if (c->reply.len)
			continue; /* answered, its reply is on the way */
		ctl->evicted++;
		client_free(c);
		return true;
	}
	return false;
}

static void on_accept(struct ev_loop *loop, ev_io *w, int revents)
{
	struct rd_ctl *ctl = w->data;
	struct ctl_client *c;
	int fd;

	/* At the cap, make room as on EMFILE: hang up on the oldest client
	 * still short of a request, so that idle connections (a socket-group
	 * member can open thousands) cannot keep root's routerctl waiting in
	 * the backlog; when every client is being answered, wait for one. */
	if (ctl->n_clients >= RD_CTL_MAX_CLIENTS && !evict_idle(ctl)) {
		accept_pause(ctl, false);
		return;
	}
	fd = accept4(ctl->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0) {
		/* Out of descriptors or memory: the connection stays queued and
		 * the socket readable, so retrying at once would spin. Make room
		 * by hanging up on the oldest client still short of a request
		 * (so idle connections cannot lock routerctl out), else wait. */
		if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
			if (!evict_idle(ctl))
				accept_pause(ctl, true);
		}
		return;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		close(fd);
		accept_pause(ctl, true);
		return;
	}
	ctl->n_clients++;
	c->ctl = ctl;
	c->fd = fd;
	client_link(ctl, c);
	c->privileged = peer_is_root(fd);
	ev_io_init(&c->io, on_client_read, fd, EV_READ);
	c->io.data = c;
	ev_io_start(loop, &c->io);
	ev_timer_init(&c->timer, on_client_timeout, CLIENT_TIMEOUT, 0);
	c->timer.data = c;
	ev_timer_start(loop, &c->timer);
}

static void on_accept_retry(struct ev_loop *loop, ev_timer *w, int revents)
{
	accept_resume(w->data);
}

void rd_ctl_start(struct rd_ctl *ctl, struct ev_loop *loop, rd_ctl_handler handler, void *ctx)
{
	ctl->loop = loop;
	ctl->handler = handler;
	ctl->handler_ctx = ctx;
	ev_timer_init(&ctl->accept_retry, on_accept_retry, ACCEPT_RETRY_S, 0);
	ctl->accept_retry.data = ctl;
	ev_io_init(&ctl->accept_watcher, on_accept, ctl->listen_fd, EV_READ);
	ctl->accept_watcher.data = ctl;
	ev_io_start(loop, &ctl->accept_watcher);
}

void rd_ctl_close(struct rd_ctl *ctl)
{
	if (ctl->loop) {
		ev_io_stop(ctl->loop, &ctl->accept_watcher);
		ev_timer_stop(ctl->loop, &ctl->accept_retry);
	}
	if (ctl->listen_fd >= 0) {
		close(ctl->listen_fd);
		unlink(ctl->path);
	}
	if (ctl->lock_fd >= 0)
		close(ctl->lock_fd); /* the lock file stays: unlinking it would race */
	ctl->listen_fd = ctl->lock_fd = -1;
}
