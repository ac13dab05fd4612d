// SPDX-License-Identifier: GPL-2.0
/* xdp_target.h: does XDP redirect into an interface? The NDO_XMIT flag
 * comes from xdp_features.c; this module owns the veth peer's GRO and XDP. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/ethtool.h>
#include <linux/if_link.h>
#include <linux/net_namespace.h>
#include <linux/rtnetlink.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "daemon/xdp_features.h"
#include "daemon/xdp_target.h"

static struct mnl_socket *sk;
static unsigned int seq;

struct link_info {
	bool veth;
	__u32 peer;       /* IFLA_LINK */
	bool other_ns;    /* IFLA_LINK_NETNSID present */
	__s32 nsid;
	bool have_nsid;   /* RTM_GETNSID answer */
};

static int on_linkinfo_attr(const struct nlattr *a, void *data)
{
	struct link_info *li = data;

	if (mnl_attr_get_type(a) == IFLA_INFO_KIND && mnl_attr_get_payload_len(a) >= 5 &&
	    !strncmp(mnl_attr_get_payload(a), "veth", 5))
		li->veth = true;
	return MNL_CB_OK;
}

static int on_link_attr(const struct nlattr *a, void *data)
{
	struct link_info *li = data;

	switch (mnl_attr_get_type(a)) {
	case IFLA_LINK:
		if (mnl_attr_get_payload_len(a) >= 4)
			li->peer = mnl_attr_get_u32(a);
		break;
	case IFLA_LINK_NETNSID:
		if (mnl_attr_get_payload_len(a) >= 4) {
			li->nsid = (__s32)mnl_attr_get_u32(a);
			li->other_ns = true;
		}
		break;
	case IFLA_LINKINFO:
		mnl_attr_parse_nested(a, on_linkinfo_attr, li);
		break;
	}
	return MNL_CB_OK;
}

static int on_nsid_attr(const struct nlattr *a, void *data)
{
	struct link_info *li = data;

	if (mnl_attr_get_type(a) == NETNSA_NSID && mnl_attr_get_payload_len(a) >= 4) {
		li->nsid = (__s32)mnl_attr_get_u32(a);
		li->have_nsid = true;
	}
	return MNL_CB_OK;
}

static int on_msg(const struct nlmsghdr *nlh, void *data)
{
	if (nlh->nlmsg_type == RTM_NEWLINK && nlh->nlmsg_len >= mnl_nlmsg_size(sizeof(struct ifinfomsg)))
		mnl_attr_parse(nlh, sizeof(struct ifinfomsg), on_link_attr, data);
	if (nlh->nlmsg_type == RTM_NEWNSID && nlh->nlmsg_len >= mnl_nlmsg_size(sizeof(struct rtgenmsg)))
		mnl_attr_parse(nlh, NLMSG_ALIGN(sizeof(struct rtgenmsg)), on_nsid_attr, data);
	return MNL_CB_OK;
}

/* One rtnetlink request and its answer on S; each message goes to CB.
 * Returns 0 or -errno. */
static int exchange(struct mnl_socket *s, struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	char buf[8192];
	int rc;

	while (recv(mnl_socket_get_fd(s), buf, sizeof(buf), MSG_DONTWAIT) > 0)
		; /* what a timed-out exchange left */
	nlh->nlmsg_seq = ++seq;
	if (mnl_socket_sendto(s, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	rc = mnl_socket_recvfrom(s, buf, sizeof(buf));
	if (rc < 0)
		return -errno;
	rc = mnl_cb_run(buf, rc, seq, mnl_socket_get_portid(s), cb, data);
	return rc < 0 ? -errno : 0;
}

/* The same on the module's socket in our namespace (opened on first use). */
static int ask(struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	int rc;

	if (!sk) {
		struct timeval tv = { .tv_sec = 1 };

		sk = mnl_socket_open(NETLINK_ROUTE);
		if (!sk)
			return -errno;
		if (mnl_socket_bind(sk, 0, MNL_SOCKET_AUTOPID) < 0) {
			rc = -errno;
			mnl_socket_close(sk);
			sk = NULL;
			return rc;
		}
		setsockopt(mnl_socket_get_fd(sk), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		if (!seq)
			seq = time(NULL);
	}
	return exchange(sk, nlh, cb, data);
}

/* NETDEV_XDP_ACT_NDO_XMIT of IFINDEX (xdp_features.c): 1, 0, or -1 (the
 * kernel cannot say: before 6.3 there is no such flag, and __xdp_enqueue()
 * does not check one). */
static int ndo_xmit(__u32 ifindex)
{
	__u64 features;

	if (rd_xdp_features(ifindex, &features))
		return -1;
	return !!(features & RD_NETDEV_XDP_ACT_NDO_XMIT);
}

static int get_link(__u32 ifindex, struct link_info *li)
{
	char buf[256];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifinfomsg *ifi;

	nlh->nlmsg_type = RTM_GETLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_index = ifindex;
	mnl_attr_put_u32(nlh, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
	return ask(nlh, on_msg, li);
}

/* The id our namespace gives the namespace behind FD, or -1. */
static __s32 nsid_of(int fd)
{
	char buf[128];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct link_info li = { 0 };
	struct rtgenmsg *g;

	nlh->nlmsg_type = RTM_GETNSID;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	g = mnl_nlmsg_put_extra_header(nlh, NLMSG_ALIGN(sizeof(*g)));
	g->rtgen_family = AF_UNSPEC;
	mnl_attr_put_u32(nlh, NETNSA_FD, fd);
	if (ask(nlh, on_msg, &li) || !li.have_nsid)
		return -1;
	return li.nsid;
}

/* A descriptor of the namespace NSID names, or -1: the named namespaces
 * first (ip netns), then every process's. */
static int open_nsid(__s32 nsid)
{
	static const char *const dirs[] = { "/run/netns", "/proc" };
	char path[PATH_MAX];

	for (size_t d = 0; d < sizeof(dirs) / sizeof(dirs[0]); d++) {
		DIR *dir = opendir(dirs[d]);
		struct dirent *e;
		ino_t last = 0;

		if (!dir)
			continue;
		while ((e = readdir(dir))) {
			struct stat st;
			int fd;

			if (e->d_name[0] == '.' || (d == 1 && (e->d_name[0] < '0' || e->d_name[0] > '9')))
				continue;
			snprintf(path, sizeof(path), d ? "/proc/%s/ns/net" : "/run/netns/%s", e->d_name);
			if (stat(path, &st) || st.st_ino == last)
				continue; /* most processes share a handful of namespaces */
			last = st.st_ino;
			fd = open(path, O_RDONLY | O_CLOEXEC);
			if (fd < 0)
				continue;
			if (nsid_of(fd) == nsid) {
				closedir(dir);
				return fd;
			}
			close(fd);
		}
		closedir(dir);
	}
	return -1;
}

/* ETHTOOL_GGRO for IFINDEX in the namespace of a socket FD: 1, 0, -1. */
static int gro_on(int fd, __u32 ifindex)
{
	struct ethtool_value ev = { .cmd = ETHTOOL_GGRO };
	struct ifreq ifr = { .ifr_ifindex = ifindex };

	if (ioctl(fd, SIOCGIFNAME, &ifr))
		return -1;
	ifr.ifr_data = (void *)&ev;
	if (ioctl(fd, SIOCETHTOOL, &ifr))
		return -1;
	return ev.data != 0;
}

/* A socket (DOMAIN, TYPE, PROTO) in the namespace behind NSFD (-1: ours). */
static int socket_in(int nsfd, int domain, int type, int proto)
{
	int self, fd;

	if (nsfd < 0)
		return socket(domain, type | SOCK_CLOEXEC, proto);
	self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self < 0)
		return -1;
	fd = -1;
	if (!setns(nsfd, CLONE_NEWNET)) {
		fd = socket(domain, type | SOCK_CLOEXEC, proto);
		if (setns(self, CLONE_NEWNET)) {
			/* cannot get home: nothing else of routerd would work */
			rd_err("cannot return to its own network namespace: %s", strerror(errno));
			_exit(1);
		}
	}
	close(self);
	return fd;
}

static int on_xdp_attr(const struct nlattr *a, void *data)
{
	if (mnl_attr_get_type(a) == IFLA_XDP_ATTACHED && mnl_attr_get_payload_len(a) >= 1)
		*(bool *)data = mnl_attr_get_u8(a) != XDP_ATTACHED_NONE;
	return MNL_CB_OK;
}

static int on_peer_attr(const struct nlattr *a, void *data)
{
	if (mnl_attr_get_type(a) == IFLA_XDP)
		mnl_attr_parse_nested(a, on_xdp_attr, data);
	return MNL_CB_OK;
}

static int on_peer_msg(const struct nlmsghdr *nlh, void *data)
{
	if (nlh->nlmsg_type == RTM_NEWLINK && nlh->nlmsg_len >= mnl_nlmsg_size(sizeof(struct ifinfomsg)))
		mnl_attr_parse(nlh, sizeof(struct ifinfomsg), on_peer_attr, data);
	return MNL_CB_OK;
}

/* Has IFINDEX, in the namespace behind NSFD (-1: ours), an XDP program? A
 * veth whose peer runs one takes redirected frames whatever its GRO says
 * (another routerd, a sink that drops in XDP). 1, 0, or -1. Our namespace
 * is asked on the module's socket; another through a socket opened there. */
static int xdp_attached(int nsfd, __u32 ifindex)
{
	struct timeval tv = { .tv_sec = 1 };
	char buf[256];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifinfomsg *ifi;
	struct mnl_socket *there;
	bool attached = false;
	int fd, rc;

	nlh->nlmsg_type = RTM_GETLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_index = (int)ifindex;
	if (nsfd < 0) {
		rc = ask(nlh, on_peer_msg, &attached);
	} else {
		fd = socket_in(nsfd, AF_NETLINK, SOCK_RAW, NETLINK_ROUTE);
		if (fd < 0)
			return -1;
		there = mnl_socket_fdopen(fd);
		if (!there) {
			close(fd);
			return -1;
		}
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		rc = exchange(there, nlh, on_peer_msg, &attached);
		mnl_socket_close(there);
	}
	return rc ? -1 : attached;
}

enum rd_xdp_target rd_xdp_target(__u32 ifindex)
{
	struct link_info li = { 0 };
	int nsfd = -1, fd, gro;

	/* the kernel refuses to transmit into a device without the flag */
	if (!ndo_xmit(ifindex))
		return RD_XDP_TARGET_NO;
	if (get_link(ifindex, &li) || !li.veth)
		return RD_XDP_TARGET_YES;
	if (!li.peer)
		return RD_XDP_TARGET_UNKNOWN;
	if (li.other_ns && (nsfd = open_nsid(li.nsid)) < 0)
		return RD_XDP_TARGET_UNKNOWN;
	if (xdp_attached(nsfd, li.peer) == 1) {
		if (nsfd >= 0)
			close(nsfd);
		return RD_XDP_TARGET_YES;
	}
	fd = socket_in(nsfd, AF_INET, SOCK_DGRAM, 0);
	if (nsfd >= 0)
		close(nsfd);
	if (fd < 0)
		return RD_XDP_TARGET_UNKNOWN;
	gro = gro_on(fd, li.peer);
	close(fd);
	return gro < 0 ? RD_XDP_TARGET_UNKNOWN : gro ? RD_XDP_TARGET_YES : RD_XDP_TARGET_NO;
}
