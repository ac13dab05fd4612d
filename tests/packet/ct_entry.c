// SPDX-License-Identifier: GPL-2.0
/* Conntrack entries through ctnetlink: see ct_entry.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_conntrack_tcp.h>

#include <routerd/conntrack.h>

#include "ct_entry.h"
#include "fixture.h"

static void put_tuple(struct nlmsghdr *nlh, __u16 type, int family, __u8 proto,
		      const struct ct_tuple *t)
{
	struct nlattr *tuple = mnl_attr_nest_start(nlh, type), *nest;
	__u8 a[16];

	nest = mnl_attr_nest_start(nlh, CTA_TUPLE_IP);
	inet_pton(family, t->src, a);
	mnl_attr_put(nlh, family == AF_INET ? CTA_IP_V4_SRC : CTA_IP_V6_SRC,
		     family == AF_INET ? 4 : 16, a);
	inet_pton(family, t->dst, a);
	mnl_attr_put(nlh, family == AF_INET ? CTA_IP_V4_DST : CTA_IP_V6_DST,
		     family == AF_INET ? 4 : 16, a);
	mnl_attr_nest_end(nlh, nest);
	nest = mnl_attr_nest_start(nlh, CTA_TUPLE_PROTO);
	mnl_attr_put_u8(nlh, CTA_PROTO_NUM, proto);
	mnl_attr_put_u16(nlh, CTA_PROTO_SRC_PORT, htons(t->sport));
	mnl_attr_put_u16(nlh, CTA_PROTO_DST_PORT, htons(t->dport));
	mnl_attr_nest_end(nlh, nest);
	mnl_attr_nest_end(nlh, tuple);
}

int ct_create(const struct ct_spec *s)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct mnl_socket *nl;
	struct nlmsghdr *nlh;
	struct nfgenmsg *nfg;
	struct nlattr *pi, *tcp;
	int rc = 0;

	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_NEW;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK;
	nlh->nlmsg_seq = (unsigned)time(NULL);
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = (__u8)s->family;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = 0;
	put_tuple(nlh, CTA_TUPLE_ORIG, s->family, s->proto, &s->orig);
	put_tuple(nlh, CTA_TUPLE_REPLY, s->family, s->proto, &s->reply);
	mnl_attr_put_u32(nlh, CTA_TIMEOUT, htonl(s->timeout_s));
	/* ctnetlink confirms the entry before it applies CTA_STATUS, and
	 * refuses (EBUSY) a status that would take IPS_CONFIRMED away */
	mnl_attr_put_u32(nlh, CTA_STATUS, htonl(s->status | IPS_CONFIRMED));
	if (s->proto == IPPROTO_TCP) {
		struct nf_ct_tcp_flags f = { .flags = s->liberal ? IP_CT_TCP_FLAG_BE_LIBERAL : 0,
					     .mask = IP_CT_TCP_FLAG_BE_LIBERAL };

		pi = mnl_attr_nest_start(nlh, CTA_PROTOINFO);
		tcp = mnl_attr_nest_start(nlh, CTA_PROTOINFO_TCP);
		mnl_attr_put_u8(nlh, CTA_PROTOINFO_TCP_STATE, s->tcp_state);
		mnl_attr_put(nlh, CTA_PROTOINFO_TCP_FLAGS_ORIGINAL, sizeof(f), &f);
		mnl_attr_put(nlh, CTA_PROTOINFO_TCP_FLAGS_REPLY, sizeof(f), &f);
		mnl_attr_nest_end(nlh, tcp);
		mnl_attr_nest_end(nlh, pi);
	}

	nl = mnl_socket_open(NETLINK_NETFILTER);
	if (!nl)
		return -errno;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0 ||
	    mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		rc = -errno;
	} else {
		ssize_t n = mnl_socket_recvfrom(nl, buf, sizeof(buf));

		if (n < 0)
			rc = -errno;
		else if (mnl_cb_run(buf, (size_t)n, nlh->nlmsg_seq, mnl_socket_get_portid(nl), NULL,
				    NULL) < 0)
			rc = -errno;
	}
	mnl_socket_close(nl);
	return rc;
}

long ct_timeout_of(const struct ct_spec *s)
{
	char cmd[512], line[1024];
	long t = -1;
	FILE *p;

	snprintf(cmd, sizeof(cmd),
		 "conntrack -L -f %s -p %s -s %s -d %s --sport %u --dport %u 2>/dev/null",
		 s->family == AF_INET ? "ipv4" : "ipv6", s->proto == IPPROTO_TCP ? "tcp" : "udp",
		 s->orig.src, s->orig.dst, s->orig.sport, s->orig.dport);
	p = popen(cmd, "r");
	if (!p)
		return -1;
	/* "tcp      6 299 ESTABLISHED src=..." / "udp      17 119 src=..." */
	while (fgets(line, sizeof(line), p))
		if (sscanf(line, "%*s %*d %ld", &t) == 1)
			break;
	pclose(p);
	return t;
}

void ct_admit_key(const struct ct_spec *s, struct rd_ct_key *k)
{
	memset(k, 0, sizeof(*k));
	parse_addr(s->family, s->orig.src, k->saddr);
	parse_addr(s->family, s->orig.dst, k->daddr);
	k->sport = htons(s->orig.sport);
	k->dport = htons(s->orig.dport);
	k->family = (__u8)s->family;
	k->l4proto = s->proto;
}
