// SPDX-License-Identifier: GPL-2.0
#include <errno.h>

#include "daemon/nlmsg.h"

int rd_mnl_cb_run(const void *buf, size_t len, unsigned int seq, unsigned int portid,
		  mnl_cb_t cb, void *data)
{
	const struct nlmsghdr *nlh;
	size_t left;

	rd_nlmsg_for_each(nlh, buf, len, left)
		;
	/* what is left must be alignment padding, not a broken message */
	if (left >= sizeof(*nlh) || len > (size_t)INT32_MAX) {
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	return mnl_cb_run(buf, len, seq, portid, cb, data);
}

struct ndmsg *rd_nlmsg_put_neigh(void *buf, int type, int flags, unsigned int seq,
				 int family, int ifindex)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ndmsg *ndm;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = seq;
	ndm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ndm));
	ndm->ndm_family = family;
	ndm->ndm_ifindex = ifindex;
	return ndm;
}
