// SPDX-License-Identifier: GPL-2.0
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>

#include "daemon/attach.h"
#include "common/log.h"
#include "daemon/xdp_features.h"

#define LINK_PIN_PREFIX "xdp_link_"

static int prog_info(int prog_fd, struct bpf_prog_info *info)
{
	__u32 len = sizeof(*info);

	memset(info, 0, sizeof(*info));
	return bpf_obj_get_info_by_fd(prog_fd, info, &len);
}

static int link_xdp_info(int link_fd, struct bpf_link_info *info)
{
	__u32 len = sizeof(*info);

	memset(info, 0, sizeof(*info));
	if (bpf_obj_get_info_by_fd(link_fd, info, &len))
		return -errno;
	return info->type == BPF_LINK_TYPE_XDP ? 0 : -EINVAL;
}

static int query_mode(__u32 ifindex, enum rd_xdp_mode *mode)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	int rc = bpf_xdp_query(ifindex, 0, &q);

	if (rc)
		return rc;
	*mode = q.attach_mode == XDP_ATTACHED_SKB ? RD_MODE_GENERIC : RD_MODE_NATIVE;
	return 0;
}

/* The program's name as the kernel reports it (at most 15 bytes). */
static int prog_name(__u32 id, int fd, char name[BPF_OBJ_NAME_LEN])
{
	struct bpf_prog_info info;
	int own = fd < 0, rc;

	if (own && (fd = bpf_prog_get_fd_by_id(id)) < 0)
		return -1;
	rc = prog_info(fd, &info);
	if (own)
		close(fd);
	if (!rc)
		memcpy(name, info.name, BPF_OBJ_NAME_LEN);
	return rc;
}

static int same_program(int prog_fd, __u32 other_id)
{
	struct bpf_prog_info mine, other;
	int other_fd = bpf_prog_get_fd_by_id(other_id);
	int same;

	if (other_fd < 0)
		return 0;
	same = !prog_info(prog_fd, &mine) && !prog_info(other_fd, &other) &&
	       !memcmp(mine.tag, other.tag, sizeof(mine.tag));
	close(other_fd);
	return same;
}

enum link_owner { LINK_GONE, LINK_OURS, LINK_FOREIGN };

/*
 * Whose is this link? XDP link info has the ifindex but not the network
 * namespace, and a link pinned by a routerd in another namespace (or
 * symlinked here by someone hoping we detach it) can carry the same
 * ifindex and the same program. What only holds here: the program it runs
 * is the one the kernel reports attached on that ifindex in our namespace.
 * With prog_fd >= 0 the program must also be named like ours (an older
 * build of routerd has the same entry point). why says what did not hold.
 */
static enum link_owner link_owner(int link_fd, __u32 ifindex, int prog_fd,
				  struct bpf_link_info *info, char *why, size_t len)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	char mine[BPF_OBJ_NAME_LEN], theirs[BPF_OBJ_NAME_LEN];

	if (link_xdp_info(link_fd, info)) {
		snprintf(why, len, "not an XDP link");
		return LINK_FOREIGN;
	}
	if (!info->xdp.ifindex) {
		snprintf(why, len, "its device is gone");
		return LINK_GONE;
	}
	if (info->xdp.ifindex != ifindex) {
		snprintf(why, len, "attached to ifindex %u, not %u", info->xdp.ifindex, ifindex);
		return LINK_FOREIGN;
	}
	if (bpf_xdp_query(ifindex, 0, &q) ||
	    (info->prog_id != q.drv_prog_id && info->prog_id != q.skb_prog_id)) {
		snprintf(why, len, "its program (id %u) is not the one attached to ifindex %u in "
			 "this network namespace: it serves another namespace", info->prog_id,
			 ifindex);
		return LINK_FOREIGN;
	}
	if (prog_fd >= 0 && (prog_name(0, prog_fd, mine) || prog_name(info->prog_id, -1, theirs) ||
			     strncmp(mine, theirs, BPF_OBJ_NAME_LEN))) {
		snprintf(why, len, "it runs program id %u, which is not a routerd program",
			 info->prog_id);
		return LINK_FOREIGN;
	}
	return LINK_OURS;
}

static int refuse_pin(const struct rd_attachment *a, const char *what, char *err, size_t errlen)
{
	return rd_errorf(err, errlen,
			 "pinned link %s/%s: %s; routerd leaves it alone: remove that pin, or use "
			 "another --pin-dir", a->pins->path, a->pin_name, what);
}

/* Take over a link pinned by an earlier run. Returns 1 when adopted, 0 when
 * there is nothing (usable) to adopt, -1 when the pin is not ours to touch. */
static int adopt(struct rd_attachment *a, const char *ifname, int prog_fd, bool maps_reused,
		 char *err, size_t errlen)
{
	struct bpf_link_info info;
	char why[160];
	int fd = rd_pindir_get(a->pins, a->pin_name);

	if (fd == -ENOENT)
		return 0;
	if (fd < 0)
		return refuse_pin(a, rd_pindir_problem(fd), err, errlen);
	switch (link_owner(fd, a->ifindex, prog_fd, &info, why, sizeof(why))) {
	case LINK_GONE:
		/* the interface it served is gone: the kernel already detached it */
		close(fd);
		rd_pindir_unlink(a->pins, a->pin_name);
		return 0;
	case LINK_FOREIGN:
		close(fd);
		return refuse_pin(a, why, err, errlen);
	case LINK_OURS:
		break;
	}
	if (!maps_reused || !same_program(prog_fd, info.prog_id)) {
		if (rd_xdp_replace_keeps_cap(ifname, info.prog_id)) {
			rd_warn("%s: the pinned link runs a build without multi-buffer support, "
				"whose cap on the veth peer's MTU an in-place replacement would "
				"keep: detaching it and attaching anew, the kernel forwards "
				"meanwhile", ifname);
			bpf_link_detach(fd);
			close(fd);
			rd_pindir_unlink(a->pins, a->pin_name);
			return 0;
		}
		if (bpf_link_update(fd, prog_fd, NULL)) {
			int e = errno;

			/* The kernel or the driver refuses this pair of
			 * programs on one link (e.g. veth at a jumbo MTU:
			 * multi-buffer aware and plain builds, issue 20): the
			 * old link goes, a new one is created; the kernel
			 * forwards in between. */
			if (e == EINVAL || e == ERANGE || e == EOPNOTSUPP) {
				rd_warn("ifindex %u: the pinned link's program cannot be replaced "
					"atomically (%s); detaching it and attaching anew, the "
					"kernel forwards meanwhile", a->ifindex, strerror(e));
				bpf_link_detach(fd);
				close(fd);
				rd_pindir_unlink(a->pins, a->pin_name);
				return 0;
			}
			close(fd);
			return rd_errorf(err, errlen, "cannot replace the program on the pinned link %s/%s: %s",
					 a->pins->path, a->pin_name, strerror(e));
		}
		rd_info("replaced the program on ifindex %u atomically (%s)", a->ifindex,
			maps_reused ? "new build" : "new maps");
	}
	a->link_fd = fd;
	a->adopted = true;
	return 1;
}

static int create_link(struct rd_attachment *a, const char *ifname, int prog_fd,
		       enum rd_xdp_mode want, char *err, size_t errlen)
{
	LIBBPF_OPTS(bpf_link_create_opts, opts);
	int fd, rc;

	opts.flags = want == RD_MODE_GENERIC ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE;
	fd = bpf_link_create(prog_fd, a->ifindex, BPF_XDP, &opts);
	if (fd < 0 && want == RD_MODE_AUTO && errno != EBUSY && errno != EEXIST) {
		rd_warn("%s: native XDP not available (%s), using generic mode", ifname,
			strerror(errno));
		opts.flags = XDP_FLAGS_SKB_MODE;
		fd = bpf_link_create(prog_fd, a->ifindex, BPF_XDP, &opts);
	}
	if (fd < 0) {
		int e = errno;

		if (e == EBUSY || e == EEXIST)
			return rd_errorf(err, errlen,
					 "%s already has another XDP program attached; detach it with "
					 "'ip link set dev %s xdp off' first",
					 ifname, ifname);
		return rd_errorf(err, errlen, "cannot attach XDP (%s mode) to %s: %s",
				 rd_mode_name(want), ifname, strerror(e));
	}
	rc = rd_pindir_pin(a->pins, fd, a->pin_name);
	if (rc) {
		close(fd); /* detaches: the link was never visible to anyone */
		return rd_errorf(err, errlen, "cannot pin the XDP link at %s/%s: %s", a->pins->path,
				 a->pin_name, strerror(-rc));
	}
	a->link_fd = fd;
	return 0;
}

int rd_attach(struct rd_attachment *a, const struct rd_pindir *pins, const char *ifname,
	      __u32 ifindex,
	      int prog_fd, bool maps_reused, enum rd_xdp_mode want, char *err, size_t errlen)
{
	struct bpf_link_info info;
	int rc;

	memset(a, 0, sizeof(*a));
	a->link_fd = -1;
	a->ifindex = ifindex;
	a->pins = pins;
	snprintf(a->pin_name, sizeof(a->pin_name), LINK_PIN_PREFIX "%u", ifindex);

	rc = adopt(a, ifname, prog_fd, maps_reused, err, errlen);
	if (rc < 0)
		return -1;
	if (rc == 0 && create_link(a, ifname, prog_fd, want, err, errlen))
		return -1;

	if (query_mode(ifindex, &a->mode))
		a->mode = want == RD_MODE_GENERIC ? RD_MODE_GENERIC : RD_MODE_NATIVE;
	if (!link_xdp_info(a->link_fd, &info))
		a->prog_id = info.prog_id;
	if (want != RD_MODE_AUTO && a->mode != want)
		rd_warn("%s: running in %s mode (kept from the earlier run), config asks for %s",
			ifname, rd_mode_name(a->mode), rd_mode_name(want));
	return 0;
}

int rd_attach_repin(struct rd_attachment *a)
{
	int rc;

	if (a->link_fd < 0 || rd_pindir_check(a->pins, a->pin_name) != -ENOENT)
		return 0;
	rc = rd_pindir_pin(a->pins, a->link_fd, a->pin_name);
	if (rc)
		errno = -rc;
	return rc ? -1 : 1;
}

int rd_attach_verify(const struct rd_attachment *a, char *why, size_t len)
{
	struct bpf_link_info info;
	int rc;

	/* Cheap enough for every second on every interface (one syscall, where
	 * bpf_xdp_query would dump every link): a link that is detached, by
	 * bpf_link_detach or with its device, reports ifindex 0; while it is
	 * attached nobody else can put another program in its place. */
	if (a->link_fd < 0)
		return 0;
	rc = link_xdp_info(a->link_fd, &info);
	if (rc) {
		snprintf(why, len, "cannot read its info: %s", strerror(-rc));
		return -1;
	}
	if (info.xdp.ifindex == a->ifindex)
		return 0;
	snprintf(why, len, "the link reports ifindex %u, not %u: detached", info.xdp.ifindex,
		 a->ifindex);
	return -1;
}

void rd_attach_release(struct rd_attachment *a, bool detach)
{
	if (a->link_fd < 0)
		return;
	if (detach) {
		bpf_link_detach(a->link_fd);
		rd_pindir_unlink(a->pins, a->pin_name);
	}
	close(a->link_fd);
	a->link_fd = -1;
}

void rd_attach_sweep_stale(const struct rd_pindir *pins, int prog_fd, const __u32 *keep,
			   size_t n_keep)
{
	struct bpf_link_info info;
	struct dirent *de;
	char why[160];
	int dfd = pins->fd < 0 ? -1 : openat(pins->fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = dfd < 0 ? NULL : fdopendir(dfd);

	if (!d) {
		if (dfd >= 0)
			close(dfd);
		return;
	}
	while ((de = readdir(d))) {
		unsigned long ifindex;
		char *end;
		size_t i;
		int fd;

		if (strncmp(de->d_name, LINK_PIN_PREFIX, strlen(LINK_PIN_PREFIX)))
			continue;
		ifindex = strtoul(de->d_name + strlen(LINK_PIN_PREFIX), &end, 10);
		if (*end || !ifindex || ifindex > UINT32_MAX)
			continue;
		for (i = 0; i < n_keep && keep[i] != ifindex; i++)
			;
		if (i < n_keep)
			continue;
		fd = rd_pindir_get(pins, de->d_name);
		if (fd < 0) {
			if (fd != -ENOENT)
				rd_warn("pin dir %s: %s is %s; left alone", pins->path, de->d_name,
					rd_pindir_problem(fd));
			continue;
		}
		switch (link_owner(fd, ifindex, prog_fd, &info, why, sizeof(why))) {
		case LINK_OURS:
			bpf_link_detach(fd);
			rd_pindir_unlink(pins, de->d_name);
			rd_info("detached XDP from ifindex %lu (no longer configured)", ifindex);
			break;
		case LINK_GONE:
			rd_pindir_unlink(pins, de->d_name);
			rd_info("removed the pin of a link whose device is gone (ifindex %lu)", ifindex);
			break;
		case LINK_FOREIGN:
			rd_warn("pinned link %s/%s: %s; left alone", pins->path, de->d_name, why);
			break;
		}
		close(fd);
	}
	closedir(d);
}
