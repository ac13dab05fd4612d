/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The pin directory: owns the bpffs directory that holds routerd's pinned
 * maps and links, and the instance lock on it.
 *
 * bpffs is commonly mounted mode 1777, so any local user can create entries
 * next to the pin dir, or the pin dir itself before routerd does, and plant
 * symlinks to another namespace's pins in it. Hence: every directory on the
 * way must be one that only root (or our euid) can change, the pin dir
 * itself must be ours and writable by nobody else, it is opened without
 * following symlinks and every pin is reached through that descriptor
 * (/proc/self/fd/N/NAME for bpf(2), which takes paths), and an entry is
 * used only when it is a plain pin owned by us, never a symlink.
 */
#ifndef RD_PINDIR_H
#define RD_PINDIR_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct rd_pindir {
	char path[PATH_MAX];
	int fd;             /* O_DIRECTORY|O_NOFOLLOW, flocked; -1 when closed */
	dev_t dev;          /* the directory fd refers to */
	ino_t ino;
};

/* Creates what is missing (mode 0700, only below a bpffs mount), checks
 * that the directory and the path to it are ours, opens and locks it.
 * 0, or -1 with a message naming the path and the fix. */
int rd_pindir_open(struct rd_pindir *pd, const char *path, char *err, size_t errlen);
/* 0 while path still names the directory we hold; 1 when it had gone or
 * was replaced (rm -rf, bpffs unmounted and mounted again) and has been
 * created, opened and locked afresh; -1 with err when it cannot be (the
 * old descriptor is kept then, and tried again next time). */
int rd_pindir_revalidate(struct rd_pindir *pd, char *err, size_t errlen);
/* Removes the directory when `remove` (if empty) and lets go of the lock. */
void rd_pindir_close(struct rd_pindir *pd, bool remove);

/* An entry's state: 0 a pin of ours, -ENOENT absent, -ELOOP a symlink,
 * -EPERM owned by another user or not a plain pin. */
int rd_pindir_check(const struct rd_pindir *pd, const char *name);
/* Why rd_pindir_check refused an entry, for messages. */
const char *rd_pindir_problem(int rc);
/* bpf_obj_get() of a checked entry: an fd, or -errno (-ELOOP/-EPERM as
 * rd_pindir_check says, without ever opening such an entry). */
int rd_pindir_get(const struct rd_pindir *pd, const char *name);
/* bpf_obj_pin() of fd as NAME in the pin dir: 0 or -errno. */
int rd_pindir_pin(const struct rd_pindir *pd, int fd, const char *name);
int rd_pindir_unlink(const struct rd_pindir *pd, const char *name);

#endif
