// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * What devices and programs can do with XDP frames. This module owns the
 * one way routerd asks the kernel for a device's xdp-features: the netdev
 * generic netlink family (libbpf 1.1 has no bpf_xdp_query() feature flags),
 * its family id resolution, the DEV_GET request and the parsing of
 * NETDEV_A_DEV_XDP_FEATURES, all in rd_xdp_features(), asked synchronously
 * on a socket of its own. On top of it: NDO_XMIT_SG for multi-buffer
 * frames (issue 20), once per managed port when it joins the fast path
 * (xdp_target.c asks it for NDO_XMIT); and whether replacing a pinned
 * program in place would keep a limit the old one set.
 */
#include "daemon/xdp_features.h"

#include <bpf/bpf.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/ethtool.h>
#include <linux/genetlink.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/types.h>
#include <unistd.h>

/* include/uapi/linux/netdev.h, which older headers lack */
#define RD_NETDEV_FAMILY "netdev"
#define RD_NETDEV_CMD_DEV_GET 1
#define RD_NETDEV_A_DEV_IFINDEX 1
#define RD_NETDEV_A_DEV_XDP_FEATURES 3

static __u16 netdev_family;    /* 0: not known (yet) */
static bool no_netdev_family;  /* the kernel has none (before 6.3) */

struct reply {
	__u16 family;
	__u64 features;
	bool found;
};

static int family_attr(const struct nlattr *a, void *data)
{
	struct reply *r = data;

	if (mnl_attr_get_type(a) == CTRL_ATTR_FAMILY_ID &&
	    mnl_attr_validate(a, MNL_TYPE_U16) >= 0) {
		r->family = mnl_attr_get_u16(a);
		r->found = r->family != 0;
	}
	return MNL_CB_OK;
}

static int dev_attr(const struct nlattr *a, void *data)
{
	struct reply *r = data;

	if (mnl_attr_get_type(a) == RD_NETDEV_A_DEV_XDP_FEATURES &&
	    mnl_attr_validate(a, MNL_TYPE_U64) >= 0) {
		r->features = mnl_attr_get_u64(a);
		r->found = true;
	}
	return MNL_CB_OK;
}

static int on_family(const struct nlmsghdr *nlh, void *data)
{
	return mnl_attr_parse(nlh, sizeof(struct genlmsghdr), family_attr, data);
}

static int on_dev(const struct nlmsghdr *nlh, void *data)
{
	return mnl_attr_parse(nlh, sizeof(struct genlmsghdr), dev_attr, data);
}

/* One request, its answer through `cb`: 0, or -errno (-ENODATA when the
 * answer lacks what `cb` looks for). */
static int ask(struct mnl_socket *nl, __u16 type, __u8 cmd, __u16 attr, const void *val,
	       size_t len, mnl_cb_t cb, struct reply *r)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *g;
	unsigned int seq = 1, port = mnl_socket_get_portid(nl);
	ssize_t n;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	nlh->nlmsg_seq = seq;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = cmd;
	g->version = 1;
	mnl_attr_put(nlh, attr, len, val);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	r->found = false;
	n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
	if (n < 0)
		return -errno;
	if (n == 0)
		return -ENODATA;
	if (mnl_cb_run(buf, n, seq, port, cb, r) < 0)
		return -errno;
	return r->found ? 0 : -ENODATA;
}

/* A socket of its own per question, so the answer is always about the
 * namespace routerd is in; asked again whenever a port is described (every
 * link event), so the answer follows a veth whose peer gains or loses GRO
 * or XDP. The family id is resolved once, its absence remembered. */
int rd_xdp_features(__u32 ifindex, __u64 *features)
{
	struct timeval tv = { .tv_sec = 1 };
	struct reply r = { 0 };
	struct mnl_socket *nl;
	int rc;

	if (no_netdev_family)
		return -EOPNOTSUPP;
	nl = mnl_socket_open(NETLINK_GENERIC);
	if (!nl)
		return -errno;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		rc = -errno;
		goto out;
	}
	setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (!netdev_family) {
		rc = ask(nl, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, CTRL_ATTR_FAMILY_NAME,
			 RD_NETDEV_FAMILY, sizeof(RD_NETDEV_FAMILY), on_family, &r);
		if (rc == -ENOENT) {
			no_netdev_family = true;
			rc = -EOPNOTSUPP;
		}
		if (rc)
			goto out;
		netdev_family = r.family;
	}
	rc = ask(nl, netdev_family, RD_NETDEV_CMD_DEV_GET, RD_NETDEV_A_DEV_IFINDEX, &ifindex,
		 sizeof(ifindex), on_dev, &r);
	if (!rc)
		*features = r.features;
out:
	mnl_socket_close(nl);
	return rc;
}

bool rd_xdp_xmit_sg(__u32 ifindex)
{
	__u64 features;

	return !rd_xdp_features(ifindex, &features) &&
	       (features & RD_NETDEV_XDP_ACT_NDO_XMIT_SG);
}

/* The ethtool driver name of `ifname` in this network namespace. */
static bool driver_is(const char *ifname, const char *driver)
{
	struct ethtool_drvinfo info = { .cmd = ETHTOOL_GDRVINFO };
	struct ifreq ifr = { 0 };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	bool is = false;

	if (fd < 0)
		return false;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	ifr.ifr_data = (void *)&info;
	if (!ioctl(fd, SIOCETHTOOL, &ifr))
		is = !strcmp(info.driver, driver);
	close(fd);
	return is;
}

/* Does program `prog_id` use a map named `name`? */
static bool prog_uses_map(__u32 prog_id, const char *name)
{
	__u32 ids[64], len = sizeof(struct bpf_prog_info);
	struct bpf_prog_info info = { 0 };
	int fd = bpf_prog_get_fd_by_id(prog_id);
	bool found = false;

	if (fd < 0)
		return false;
	info.nr_map_ids = sizeof(ids) / sizeof(ids[0]);
	info.map_ids = (__u64)(unsigned long)ids;
	if (!bpf_obj_get_info_by_fd(fd, &info, &len)) {
		for (__u32 i = 0; i < info.nr_map_ids && i < sizeof(ids) / sizeof(ids[0]) && !found; i++) {
			struct bpf_map_info m = { 0 };
			__u32 mlen = sizeof(m);
			int mfd = bpf_map_get_fd_by_id(ids[i]);

			if (mfd < 0)
				continue;
			found = !bpf_obj_get_info_by_fd(mfd, &m, &mlen) && !strcmp(m.name, name);
			close(mfd);
		}
	}
	close(fd);
	return found;
}

bool rd_xdp_replace_keeps_cap(const char *ifname, __u32 old_prog_id)
{
	/* Every multi-buffer aware build has rd_tx_frags (bpf/lib/frags.h). */
	return driver_is(ifname, "veth") && !prog_uses_map(old_prog_id, "rd_tx_frags");
}
