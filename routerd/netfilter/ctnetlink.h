/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ctnetlink, the little routerd asks of it: owns the conntrack netlink
 * messages of conntrack offload (offload.h), built and parsed here and
 * nowhere else.
 *  - the update that makes TCP window tracking liberal on both directions
 *    of one entry (IPCTNL_MSG_CT_NEW without NLM_F_CREATE: the kernel only
 *    changes an entry that exists, ctnetlink_change_conntrack()), so that
 *    conntrack does not call the rest of a connection invalid after XDP
 *    carried its middle;
 *  - the lookup of one entry (IPCTNL_MSG_CT_GET) and the parse of its
 *    answer, for `routerctl conntrack`.
 * The builders and the parser are pure (a buffer in, a buffer out), so the
 * unit tests check them byte by byte; rd_ct_request() is the one place
 * that talks to the kernel.
 */
#ifndef RD_NF_CTNETLINK_H
#define RD_NF_CTNETLINK_H

#include <linux/types.h>
#include <stdbool.h>
#include <stddef.h>

struct nlmsghdr;
struct mnl_socket;

/* One direction of a flow as seen on the wire; addresses and ports in
 * network byte order, an IPv4 address in addr[0]. */
struct rd_ct_tuple {
	__u8 family; /* AF_INET or AF_INET6 */
	__u8 proto;  /* IPPROTO_TCP or IPPROTO_UDP */
	__be16 sport, dport;
	__be32 saddr[4], daddr[4];
};

/* What routerctl conntrack shows of an entry. */
struct rd_ct_info {
	struct rd_ct_tuple orig, reply;
	__u32 status;       /* IPS_* */
	__u32 timeout_s;    /* left */
	__u8 tcp_state;     /* TCP_CONNTRACK_*; 0 for UDP */
	__u8 tcp_flags[2];  /* IP_CT_TCP_FLAG_* of the original and reply direction */
	bool have_tcp;
};

/* Each returns the message's length, or 0 if BUF (LEN bytes) is too small
 * or the tuple is not TCP/UDP over IPv4/IPv6. */
size_t rd_ct_build_liberal(void *buf, size_t len, const struct rd_ct_tuple *t, __u32 seq);
size_t rd_ct_build_get(void *buf, size_t len, const struct rd_ct_tuple *t, __u32 seq);
/* An IPCTNL_MSG_CT_NEW message (a GET's answer, a dump part): 0, or -1 if
 * it is not one or is malformed. */
int rd_ct_parse(const struct nlmsghdr *nlh, struct rd_ct_info *out);
/* "tcp 198.18.1.2:40000 -> 198.18.2.2:5201" into buf. */
const char *rd_ct_tuple_str(const struct rd_ct_tuple *t, char *buf, size_t len);

/* Sends MSG on NL and waits for its answer: 0 (an ack or, with INFO,
 * the entry parsed), or -errno (-ENOENT: no such entry). */
int rd_ct_request(struct mnl_socket *nl, void *msg, size_t len, struct rd_ct_info *info);

#endif
