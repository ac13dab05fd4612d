/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Netlink buffers, checked before anything walks them. libmnl 1.0.4's
 * mnl_nlmsg_ok() compares (int)nlmsg_len with the bytes left, so a length
 * of 2^31 or more passes and mnl_nlmsg_next() jumps gigabytes away; the
 * kernel never sends such a message, but routerd does not rely on it.
 */
#ifndef RD_NLMSG_H
#define RD_NLMSG_H

#include <libmnl/libmnl.h>
#include <linux/neighbour.h>
#include <stdbool.h>
#include <stddef.h>

/* A whole message header and a length that fits in the `left` bytes, padding
 * included: libmnl's attribute walks (mnl_attr_for_each) end at the aligned
 * tail, so a last message of unaligned length would let an attribute reach
 * up to three bytes past the buffer. The kernel pads every message. */
static inline bool rd_nlmsg_ok(const struct nlmsghdr *nlh, size_t left)
{
	return left >= sizeof(*nlh) && nlh->nlmsg_len >= sizeof(*nlh) &&
	       nlh->nlmsg_len <= left && MNL_ALIGN((size_t)nlh->nlmsg_len) <= left;
}

static inline const struct nlmsghdr *rd_nlmsg_next(const struct nlmsghdr *nlh, size_t *left)
{
	size_t step = MNL_ALIGN(nlh->nlmsg_len);

	step = step < *left ? step : *left;
	*left -= step;
	return (const struct nlmsghdr *)((const char *)nlh + step);
}

#define rd_nlmsg_for_each(nlh, buf, len, left)                                     \
	for (left = (len), nlh = (const struct nlmsghdr *)(buf); rd_nlmsg_ok(nlh, left); \
	     nlh = rd_nlmsg_next(nlh, &left))

/* Starts a neighbour message in BUF: TYPE (RTM_*NEIGH), NLM_F_REQUEST |
 * FLAGS, SEQ, and an ndmsg for FAMILY on IFINDEX, which it returns for the
 * caller to fill in further; attributes follow with mnl_attr_put(). */
struct ndmsg *rd_nlmsg_put_neigh(void *buf, int type, int flags, unsigned int seq,
				 int family, int ifindex);

/* mnl_cb_run() on a buffer whose every message length was checked first;
 * a malformed buffer is refused whole (MNL_CB_ERROR, errno EBADMSG). */
int rd_mnl_cb_run(const void *buf, size_t len, unsigned int seq, unsigned int portid,
		  mnl_cb_t cb, void *data);

#endif
