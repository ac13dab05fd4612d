// SPDX-License-Identifier: GPL-2.0
/* The verb table of the control protocol (protocol.h): one place for the
 * names, arguments, privilege and help that routerd dispatches on and
 * routerctl shows. */
#include <string.h>

#include "common/protocol.h"

const struct rd_verb rd_verbs[RD_VERB__MAX] = {
	[RD_VERB_STATUS] = { "status", "", 0, 0,
		"version, uptime, attached program and modes, daemon figures" },
	[RD_VERB_INTERFACES] = { "interfaces", "", 0, 0,
		"managed interfaces, link state, XDP mode, fix-ups" },
	[RD_VERB_STATS] = { "stats", "[-s]", -1, 0,
		"per-interface counters; -s adds the bytes and every\n"
		"non-zero pass/drop reason (JSON always has them all)" },
	[RD_VERB_NEIGH] = { "neigh", "", 0, 0,
		"nexthops the fast path forwards to, the kernel's\n"
		"neighbour state for each and when XDP last used it" },
	[RD_VERB_FDB] = { "fdb", "[ports|stats]", 1, 0,
		"bridge FDB entries mirrored for XDP bridging (port,\n"
		"VLAN, when XDP last bridged from/to each); ports: the\n"
		"bridge ports and their state; stats: the mirror's counters" },
	[RD_VERB_FIXUPS] = { "fixups", "", 0, 0,
		"per-interface protocol fix-ups and their counters" },
	[RD_VERB_CONNTRACK] = { "conntrack", "", 0, 0,
		"conntrack offload: families, generation, ct_* counters\n"
		"and the admitted flows" },
	[RD_VERB_METRICS] = { "metrics", "", 0, 0,
		"counters and daemon figures in the Prometheus text\n"
		"format (for node_exporter's textfile collector)" },
	[RD_VERB_MONITOR] = { "monitor", "[-i SEC] [-c N] [dev IFACE]", -1, RD_VERB_CLIENT,
		"live per-interface packet and bit rates, XDP share, top\n"
		"pass reasons; every SEC (1) s, N times or until interrupted;\n"
		"-j: one JSON object per interval" },
	[RD_VERB_RELOAD] = { "reload", "", 0, RD_VERB_PRIVILEGED,
		"re-read the config file (like SIGHUP)" },
	[RD_VERB_HELP] = { "help", "", 0, RD_VERB_CLIENT, "this help" },
};

const struct rd_verb *rd_verb_find(const char *name)
{
	for (size_t i = 0; i < RD_VERB__MAX; i++)
		if (!strcmp(rd_verbs[i].name, name))
			return &rd_verbs[i];
	return NULL;
}
