/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Can XDP redirect into an interface? The kernel says so in the device's
 * xdp-features (NETDEV_XDP_ACT_NDO_XMIT, 6.3+), which this module gets from
 * rd_xdp_features() (xdp_features.h, the one place that asks the netdev
 * genetlink family): without the flag it drops every frame redirected into
 * it. What this module owns is the veth peer: a veth takes redirected
 * frames only while its peer has GRO on or an XDP program (which leaves
 * GRO off, so both are asked): without, the kernel drops every frame
 * redirected into it,
 * silently and uncounted (docs/bridging.md). The veth's flag alone cannot
 * tell: once XDP is attached to it, it claims to take redirects whatever
 * its peer does. So this module asks the peer, in whatever namespace it
 * lives (a container's or a VM's): RTM_GETLINK for the peer's ifindex and
 * namespace id, the namespace found among /run/netns and /proc/PID/ns/net
 * (RTM_GETNSID), and IFLA_XDP then ETHTOOL_GGRO on the peer there. Every other kind of
 * interface is taken to accept redirects, as is a veth whose peer cannot
 * be found.
 */
#ifndef RD_XDP_TARGET_H
#define RD_XDP_TARGET_H

#include <stdbool.h>
#include <linux/types.h>

enum rd_xdp_target {
	RD_XDP_TARGET_UNKNOWN = -1, /* a veth whose peer could not be asked */
	RD_XDP_TARGET_NO = 0,
	RD_XDP_TARGET_YES = 1,
};

/* Whether IFINDEX (in routerd's namespace) takes XDP redirects now. */
enum rd_xdp_target rd_xdp_target(__u32 ifindex);

#endif
