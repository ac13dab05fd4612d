// SPDX-License-Identifier: GPL-2.0
/* routerd/bridge/topology.c as it is, plus one entry point running its link
 * and VLAN parsers over a buffer (see shim.h). */
#include "bridge/topology.c"
#include "shim.h"

void fz_bridge_topo_parse(const void *buf, size_t len)
{
	struct topo t = { 0 };

	/* the dumps, as dump_links()/dump_vlans() feed them */
	rd_mnl_cb_run(buf, len, 0, 0, on_link, &t);
	rd_mnl_cb_run(buf, len, 0, 0, on_vlan, &t);
	topo_free(&t);
}
