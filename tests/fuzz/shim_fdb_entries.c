// SPDX-License-Identifier: GPL-2.0
/* routerd/bridge/entries.c as it is, plus one entry point running the bridge
 * mirror's netlink parsers over a buffer: bridge links and VLANs
 * (shim_bridge_topo.c), then FDB entries (see shim.h). */
#include "bridge/entries.c"
#include "shim.h"

void fz_fdb_parse(const void *buf, size_t len)
{
	const struct nlmsghdr *nlh = buf;
	struct fdb_msg m;
	int left = (int)len;

	fz_bridge_topo_parse(buf, len);
	/* FDB entries, as events and dumps parse them */
	while (left >= (int)sizeof(*nlh) && nlh->nlmsg_len >= sizeof(*nlh) &&
	       nlh->nlmsg_len <= (unsigned)left) {
		parse_fdb(nlh, &m);
		nlh = mnl_nlmsg_next(nlh, &left);
	}
}
