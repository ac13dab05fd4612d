// SPDX-License-Identifier: GPL-2.0
/* iface_rules.h: the link dump and the matching of pattern and bridge rules. */
#include <errno.h>
#include <fnmatch.h>
#include <libmnl/libmnl.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>

#include "daemon/iface_rules.h"

struct dump {
	struct rd_link *links;
	size_t n, cap;
	bool oom;
};

static int on_info_attr(const struct nlattr *a, void *data)
{
	struct rd_link *l = data;

	if (mnl_attr_get_type(a) == IFLA_INFO_KIND && mnl_attr_get_payload_len(a) >= 7 &&
	    !strncmp(mnl_attr_get_payload(a), "bridge", 7))
		l->bridge = true;
	return MNL_CB_OK;
}

static int on_attr(const struct nlattr *a, void *data)
{
	struct rd_link *l = data;
	size_t len = mnl_attr_get_payload_len(a);

	switch (mnl_attr_get_type(a)) {
	case IFLA_IFNAME:
		if (len > sizeof(l->name))
			len = sizeof(l->name);
		memcpy(l->name, mnl_attr_get_payload(a), len);
		l->name[sizeof(l->name) - 1] = '\0';
		break;
	case IFLA_MASTER:
		if (len >= 4)
			l->master = mnl_attr_get_u32(a);
		break;
	case IFLA_LINKINFO:
		mnl_attr_parse_nested(a, on_info_attr, l);
		break;
	}
	return MNL_CB_OK;
}

static int on_link(const struct nlmsghdr *nlh, void *data)
{
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
	struct dump *d = data;
	struct rd_link l = { 0 };

	if (nlh->nlmsg_type != RTM_NEWLINK || nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*ifi)))
		return MNL_CB_OK;
	l.ifindex = ifi->ifi_index;
	mnl_attr_parse(nlh, sizeof(*ifi), on_attr, &l);
	if (!l.name[0])
		return MNL_CB_OK;
	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 64;
		struct rd_link *next = realloc(d->links, cap * sizeof(*next));

		if (!next) {
			d->oom = true;
			return MNL_CB_ERROR;
		}
		d->links = next;
		d->cap = cap;
	}
	d->links[d->n++] = l;
	return MNL_CB_OK;
}

int rd_links_dump(struct rd_link **links)
{
	static char buf[1 << 16];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct timeval tv = { .tv_sec = 2 };
	struct mnl_socket *sk;
	struct dump d = { 0 };
	struct ifinfomsg *ifi;
	unsigned int seq = time(NULL), portid;
	int rc;

	*links = NULL;
	sk = mnl_socket_open(NETLINK_ROUTE);
	if (!sk)
		return -errno;
	if (mnl_socket_bind(sk, 0, MNL_SOCKET_AUTOPID) < 0) {
		rc = -errno;
		goto out;
	}
	setsockopt(mnl_socket_get_fd(sk), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	portid = mnl_socket_get_portid(sk);
	nlh->nlmsg_type = RTM_GETLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_u32(nlh, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
	if (mnl_socket_sendto(sk, nlh, nlh->nlmsg_len) < 0) {
		rc = -errno;
		goto out;
	}
	do {
		rc = mnl_socket_recvfrom(sk, buf, sizeof(buf));
		if (rc < 0) {
			rc = -errno;
			goto out;
		}
		rc = mnl_cb_run(buf, rc, seq, portid, on_link, &d);
	} while (rc > MNL_CB_STOP);
	rc = rc < 0 ? (d.oom ? -ENOMEM : -errno) : (int)d.n;
out:
	mnl_socket_close(sk);
	if (rc < 0)
		free(d.links);
	else
		*links = d.links;
	return rc;
}

static const struct rd_link *find(const struct rd_link *links, size_t n, __u32 ifindex)
{
	for (size_t i = 0; i < n; i++)
		if (links[i].ifindex == ifindex)
			return &links[i];
	return NULL;
}

int rd_rules_match(const struct rd_iface_config *rules, size_t n_rules,
		   const struct rd_link *links, size_t n_links, const struct rd_link *l)
{
	const struct rd_link *master = l->master ? find(links, n_links, l->master) : NULL;

	for (size_t i = 0; i < n_rules; i++) {
		switch (rules[i].match) {
		case RD_MATCH_PATTERN:
			if (!l->bridge && strcmp(l->name, "lo") &&
			    !fnmatch(rules[i].name, l->name, 0))
				return i;
			break;
		case RD_MATCH_BRIDGE:
			if (master && master->bridge && !strcmp(master->name, rules[i].name))
				return i;
			break;
		default:
			break;
		}
	}
	return -1;
}
