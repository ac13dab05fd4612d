// SPDX-License-Identifier: GPL-2.0
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>

#include "attach.h"
#include "log.h"

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

/* Take over a link pinned by an earlier run. Returns 1 when adopted, 0 when
 * there is nothing (usable) to adopt. */
static int adopt(struct rd_attachment *a, int prog_fd, bool maps_reused, char *err,
		 size_t errlen)
{
	struct bpf_link_info info;
	int fd = bpf_obj_get(a->pin_path);

	if (fd < 0)
		return 0;
	if (link_xdp_info(fd, &info) || info.xdp.ifindex != a->ifindex) {
		/* the interface it served is gone: the kernel already detached it */
		close(fd);
		unlink(a->pin_path);
		return 0;
	}
	if (!maps_reused || !same_program(prog_fd, info.prog_id)) {
		if (bpf_link_update(fd, prog_fd, NULL)) {
			int e = errno;

			close(fd);
			return rd_errorf(err, errlen, "cannot replace the program on the pinned link %s: %s",
					 a->pin_path, strerror(e));
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
	int fd;

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
	if (bpf_obj_pin(fd, a->pin_path)) {
		int e = errno;

		close(fd); /* detaches: the link was never visible to anyone */
		return rd_errorf(err, errlen, "cannot pin the XDP link at %s: %s", a->pin_path,
				 strerror(e));
	}
	a->link_fd = fd;
	return 0;
}

int rd_attach(struct rd_attachment *a, const char *pin_dir, const char *ifname, __u32 ifindex,
	      int prog_fd, bool maps_reused, enum rd_xdp_mode want, char *err, size_t errlen)
{
	struct bpf_link_info info;
	int rc;

	memset(a, 0, sizeof(*a));
	a->link_fd = -1;
	a->ifindex = ifindex;
	snprintf(a->pin_path, sizeof(a->pin_path), "%s/" LINK_PIN_PREFIX "%u", pin_dir, ifindex);

	rc = adopt(a, prog_fd, maps_reused, err, errlen);
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
	if (a->link_fd < 0 || !access(a->pin_path, F_OK))
		return 0;
	return bpf_obj_pin(a->link_fd, a->pin_path) ? -1 : 1;
}

void rd_attach_release(struct rd_attachment *a, bool detach)
{
	if (a->link_fd < 0)
		return;
	if (detach) {
		bpf_link_detach(a->link_fd);
		unlink(a->pin_path);
	}
	close(a->link_fd);
	a->link_fd = -1;
}

void rd_attach_sweep_stale(const char *pin_dir, const __u32 *keep, size_t n_keep)
{
	DIR *d = opendir(pin_dir);
	struct dirent *de;
	char path[PATH_MAX];

	if (!d)
		return;
	while ((de = readdir(d))) {
		unsigned long ifindex;
		char *end;
		size_t i;
		int fd;

		if (strncmp(de->d_name, LINK_PIN_PREFIX, strlen(LINK_PIN_PREFIX)))
			continue;
		ifindex = strtoul(de->d_name + strlen(LINK_PIN_PREFIX), &end, 10);
		if (*end)
			continue;
		for (i = 0; i < n_keep && keep[i] != ifindex; i++)
			;
		if (i < n_keep)
			continue;
		snprintf(path, sizeof(path), "%s/%s", pin_dir, de->d_name);
		fd = bpf_obj_get(path);
		if (fd >= 0) {
			bpf_link_detach(fd);
			close(fd);
		}
		unlink(path);
		rd_info("detached XDP from ifindex %lu (no longer configured)", ifindex);
	}
	closedir(d);
}
