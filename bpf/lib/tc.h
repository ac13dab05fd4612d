/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Traffic control holds (routerd/daemon/tc.c, docs/xdp-bypass.md). The hot path
 * never looks here: an ingress hold is a bit of the entry it reads anyway
 * (rd_iface.tc, rd_bridge_dev.tc, rd_vlan_dev.tc), an egress hold is a
 * port missing from rd_tx or a bridge or VLAN device the egress resolution
 * refuses. Only once a redirect has failed does the program ask why.
 */
#ifndef RD_BPF_TC_H
#define RD_BPF_TC_H

#include "bridge.h"
#include "maps.h"

/* Why a redirect to PORT (the resolved egress, or the FIB's bridge or VLAN
 * device when it could not be resolved to a port) failed: traffic control
 * holds it, or it is not routerd's. */
static __always_inline enum rd_pass_reason rd_no_egress_reason(__u32 port)
{
	const struct rd_iface *ifc = rd_iface_get(port);
	const struct rd_bridge_dev *br;
	const struct rd_vlan_dev *vd;

	if (ifc)
		return ifc->tc & RD_TC_HOLD_EGRESS ? RD_PASS_TC : RD_PASS_UNMANAGED_EGRESS;
	br = bpf_map_lookup_elem(&rd_bridges, &port);
	if (br)
		return br->tc & RD_TC_HOLD_EGRESS ? RD_PASS_TC : RD_PASS_UNMANAGED_EGRESS;
	vd = bpf_map_lookup_elem(&rd_vlan_devs, &port);
	if (!vd)
		return RD_PASS_UNMANAGED_EGRESS;
	if (vd->tc & RD_TC_HOLD_EGRESS)
		return RD_PASS_TC;
	br = bpf_map_lookup_elem(&rd_bridges, &vd->lower);
	return br && (br->tc & RD_TC_HOLD_EGRESS) ? RD_PASS_TC : RD_PASS_UNMANAGED_EGRESS;
}

#endif /* RD_BPF_TC_H */
