// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "common/log.h"
#include "daemon/pindir.h"

#ifndef BPF_FS_MAGIC
#define BPF_FS_MAGIC 0xcafe4a11
#endif

#define MOUNT_FIX "mount -t bpf -o mode=0700 bpf /sys/fs/bpf"

static bool ours(const struct stat *st)
{
	return st->st_uid == 0 || st->st_uid == geteuid();
}

static bool on_bpffs(int fd)
{
	struct statfs fs;

	return !fstatfs(fd, &fs) && fs.f_type == BPF_FS_MAGIC;
}

/* A directory on the way to the pin dir: nobody but us may rename or
 * replace what is in it. A sticky directory (/sys/fs/bpf at 1777, /tmp)
 * is fine: others cannot move our entries there, and the next component
 * is checked in turn. */
static int check_parent(int fd, const char *path, const char *shown, char *err, size_t errlen)
{
	struct stat st;

	if (fstat(fd, &st))
		return rd_errorf(err, errlen, "pin dir %s: cannot stat %s: %s", path, shown,
				 strerror(errno));
	if (ours(&st) && (!(st.st_mode & 022) || (st.st_mode & S_ISVTX)))
		return 0;
	return rd_errorf(err, errlen,
			 "pin dir %s: %s can be changed by other users (owner uid %u, mode %04o); "
			 "use a directory that only root can write, e.g. on a bpffs mounted with '"
			 MOUNT_FIX "'", path, shown, (unsigned)st.st_uid, st.st_mode & 07777);
}

static int check_pin_dir(int fd, const char *path, char *err, size_t errlen)
{
	struct stat st;

	if (fstat(fd, &st))
		return rd_errorf(err, errlen, "cannot stat pin dir %s: %s", path, strerror(errno));
	if (!on_bpffs(fd))
		return rd_errorf(err, errlen,
				 "pin dir %s is not on a BPF filesystem; mount one with '" MOUNT_FIX
				 "' (or pass --pin-dir on a mounted bpffs)", path);
	if (!ours(&st))
		return rd_errorf(err, errlen,
				 "pin dir %s belongs to uid %u, not root: another user may have made it "
				 "to plant pins in it; remove it (rm -rf %s) and mount bpffs with '"
				 MOUNT_FIX "' so that only root can create entries there",
				 path, (unsigned)st.st_uid, path);
	if (st.st_mode & 022)
		return rd_errorf(err, errlen,
				 "pin dir %s is writable by other users (mode %04o); make it root's "
				 "alone (chmod 0700 %s) or remove it and let routerd create it",
				 path, st.st_mode & 07777, path);
	return 0;
}

/* Opens path one component at a time, never following a symlink, creating
 * missing directories (0700) only below a bpffs mount. */
static int walk(const char *path, bool *created, char *err, size_t errlen)
{
	char buf[PATH_MAX], shown[PATH_MAX];
	char *save = NULL, *comp, *next;
	int fd, sub;

	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf) - 64)
		return rd_errorf(err, errlen, "pin dir %s: path too long", path);
	snprintf(shown, sizeof(shown), "%s", path[0] == '/' ? "/" : ".");
	fd = open(shown, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return rd_errorf(err, errlen, "pin dir %s: cannot open %s: %s", path, shown,
				 strerror(errno));
	*created = false;
	for (comp = strtok_r(buf, "/", &save); comp; comp = next) {
		next = strtok_r(NULL, "/", &save);
		if (!strcmp(comp, "."))
			continue;
		if (check_parent(fd, path, shown, err, errlen))
			goto fail;
		snprintf(shown + strlen(shown), sizeof(shown) - strlen(shown), "%s%s",
			 shown[strlen(shown) - 1] == '/' ? "" : "/", comp);
		sub = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub < 0 && errno == ENOENT) {
			if (!on_bpffs(fd)) {
				rd_errorf(err, errlen,
					  "pin dir %s is not on a BPF filesystem; mount one with '"
					  MOUNT_FIX "' (or pass --pin-dir on a mounted bpffs)", path);
				goto fail;
			}
			if (mkdirat(fd, comp, 0700) && errno != EEXIST) {
				rd_errorf(err, errlen, "cannot create pin dir %s: %s", shown,
					  strerror(errno));
				goto fail;
			}
			*created = !next;
			sub = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		}
		if (sub < 0) {
			struct stat st;
			int e = errno;

			if (!fstatat(fd, comp, &st, AT_SYMLINK_NOFOLLOW) && S_ISLNK(st.st_mode))
				rd_errorf(err, errlen,
					  "pin dir %s%s%s is a symbolic link, which routerd does not "
					  "follow there (another user may have planted it); remove it "
					  "or give the real path", path, next ? ": " : "",
					  next ? shown : "");
			else if (e == ENOTDIR)
				rd_errorf(err, errlen, "pin dir %s: %s exists and is not a directory",
					  path, shown);
			else
				rd_errorf(err, errlen, "cannot open pin dir %s: %s", shown, strerror(e));
			goto fail;
		}
		close(fd);
		fd = sub;
	}
	if (check_pin_dir(fd, path, err, errlen))
		goto fail;
	return fd;
fail:
	close(fd);
	return -1;
}

/* Who holds the flock on (dev, ino), from /proc/locks: its pid, or 0. */
static pid_t lock_holder(dev_t dev, ino_t ino)
{
	FILE *f = fopen("/proc/locks", "re");
	char line[256];
	pid_t found = 0;

	if (!f)
		return 0;
	while (!found && fgets(line, sizeof(line), f)) {
		unsigned int maj, min;
		unsigned long long i;
		char type[16];
		int pid;

		if (sscanf(line, "%*d: %15s %*s %*s %d %x:%x:%llu", type, &pid, &maj, &min, &i) == 5 &&
		    !strcmp(type, "FLOCK") && makedev(maj, min) == dev && i == ino)
			found = pid;
	}
	fclose(f);
	return found;
}

static int lock(struct rd_pindir *pd, int fd, char *err, size_t errlen)
{
	char proc[32];
	struct stat st;
	pid_t pid;

	if (fstat(fd, &st))
		return rd_errorf(err, errlen, "cannot stat pin dir %s: %s", pd->path, strerror(errno));
	if (!flock(fd, LOCK_EX | LOCK_NB)) {
		pd->dev = st.st_dev;
		pd->ino = st.st_ino;
		return 0;
	}
	pid = lock_holder(st.st_dev, st.st_ino);
	snprintf(proc, sizeof(proc), "/proc/%d", (int)pid);
	if (pid > 0 && !stat(proc, &st) && !ours(&st))
		return rd_errorf(err, errlen,
				 "pin dir %s is locked by pid %d of uid %u, which is not a routerd of "
				 "root's; stop it and make the pin dir root's alone (chmod 0700 %s)",
				 pd->path, (int)pid, (unsigned)st.st_uid, pd->path);
	if (pid > 0)
		return rd_errorf(err, errlen,
				 "routerd is already running with pin dir %s (another instance holds it: "
				 "pid %d)", pd->path, (int)pid);
	return rd_errorf(err, errlen,
			 "routerd is already running with pin dir %s (another instance holds it)",
			 pd->path);
}

int rd_pindir_open(struct rd_pindir *pd, const char *path, char *err, size_t errlen)
{
	bool created;
	int fd;

	memset(pd, 0, sizeof(*pd));
	pd->fd = -1;
	snprintf(pd->path, sizeof(pd->path), "%s", path);
	fd = walk(path, &created, err, errlen);
	if (fd < 0)
		return -1;
	if (lock(pd, fd, err, errlen)) {
		close(fd);
		return -1;
	}
	if (created)
		rd_info("created pin dir %s (mode 0700)", path);
	pd->fd = fd;
	return 0;
}

int rd_pindir_revalidate(struct rd_pindir *pd, char *err, size_t errlen)
{
	struct stat st;
	bool created;
	int fd;

	if (pd->fd >= 0 && !fstat(pd->fd, &st) && st.st_nlink &&
	    !fstatat(AT_FDCWD, pd->path, &st, AT_SYMLINK_NOFOLLOW) && st.st_dev == pd->dev &&
	    st.st_ino == pd->ino)
		return 0;
	/* Gone, or another directory under that name (bpffs mounted again): make
	 * it ours and lock it before a second routerd can, then let go of the
	 * old one. */
	fd = walk(pd->path, &created, err, errlen);
	if (fd < 0)
		return -1;
	if (lock(pd, fd, err, errlen)) {
		close(fd);
		return -1;
	}
	if (pd->fd >= 0)
		close(pd->fd);
	pd->fd = fd;
	rd_info("pin dir %s %s and locked again", pd->path, created ? "created" : "opened");
	return 1;
}

void rd_pindir_close(struct rd_pindir *pd, bool remove)
{
	struct stat st;

	if (pd->fd < 0)
		return;
	/* only the directory we hold, if that is still what the path names */
	if (remove && !fstatat(AT_FDCWD, pd->path, &st, AT_SYMLINK_NOFOLLOW) &&
	    st.st_dev == pd->dev && st.st_ino == pd->ino)
		rmdir(pd->path); /* fails harmlessly if something else lives there */
	close(pd->fd);
	pd->fd = -1;
}

int rd_pindir_check(const struct rd_pindir *pd, const char *name)
{
	struct stat st;

	if (pd->fd < 0)
		return -EBADF;
	if (fstatat(pd->fd, name, &st, AT_SYMLINK_NOFOLLOW))
		return -errno;
	if (S_ISLNK(st.st_mode))
		return -ELOOP;
	/* bpffs shows pinned maps, programs and links as regular files */
	if (!S_ISREG(st.st_mode) || !ours(&st))
		return -EPERM;
	return 0;
}

const char *rd_pindir_problem(int rc)
{
	switch (rc) {
	case -ELOOP: return "a symbolic link, not a pin of routerd's";
	case -EPERM: return "not a pin of routerd's (another owner, or not a pin)";
	case -ENOENT: return "missing";
	default: return strerror(-rc);
	}
}

static void entry_path(const struct rd_pindir *pd, const char *name, char *path, size_t len)
{
	snprintf(path, len, "/proc/self/fd/%d/%s", pd->fd, name);
}

int rd_pindir_get(const struct rd_pindir *pd, const char *name)
{
	char path[64 + NAME_MAX];
	int rc = rd_pindir_check(pd, name), fd;

	if (rc)
		return rc;
	entry_path(pd, name, path, sizeof(path));
	fd = bpf_obj_get(path);
	return fd < 0 ? -errno : fd;
}

int rd_pindir_pin(const struct rd_pindir *pd, int fd, const char *name)
{
	char path[64 + NAME_MAX];

	if (pd->fd < 0)
		return -EBADF;
	entry_path(pd, name, path, sizeof(path));
	return bpf_obj_pin(fd, path) ? -errno : 0;
}

int rd_pindir_unlink(const struct rd_pindir *pd, const char *name)
{
	if (pd->fd < 0)
		return -EBADF;
	return unlinkat(pd->fd, name, 0) ? -errno : 0;
}
