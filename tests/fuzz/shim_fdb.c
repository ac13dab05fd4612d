// SPDX-License-Identifier: GPL-2.0
/* routerd/fdb.c as it is, plus one entry point running its netlink parsers
 * (bridge links, VLANs, FDB entries) over a buffer (see shim.h). */
#include "fdb.c"
#include "shim.h"

void fz_fdb_parse(const void *buf, size_t len)
{
	const struct nlmsghdr *nlh = buf;
	struct topo t = { 0 };
	struct fdb_msg m;
	int left = (int)len;

	/* the dumps, as dump_links()/dump_vlans() feed them */
	rd_mnl_cb_run(buf, len, 0, 0, on_link, &t);
	rd_mnl_cb_run(buf, len, 0, 0, on_vlan, &t);
	topo_free(&t);
	/* FDB entries, as events and dumps parse them */
	while (left >= (int)sizeof(*nlh) && nlh->nlmsg_len >= sizeof(*nlh) &&
	       nlh->nlmsg_len <= (unsigned)left) {
		parse_fdb(nlh, &m);
		nlh = mnl_nlmsg_next(nlh, &left);
	}
}
