/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* What a device's driver can do with XDP frames (the netdev generic
 * netlink family's xdp-features, Linux 6.3+). The only place routerd asks
 * the kernel for xdp-features: other modules (xdp_target.c) call
 * rd_xdp_features() rather than talk to the netdev family themselves. */
#ifndef RD_XDP_FEATURES_H
#define RD_XDP_FEATURES_H

#include <stdbool.h>
#include <linux/types.h>

/* NETDEV_XDP_ACT_* of include/uapi/linux/netdev.h, which older headers lack */
#define RD_NETDEV_XDP_ACT_NDO_XMIT (1ull << 2)
#define RD_NETDEV_XDP_ACT_NDO_XMIT_SG (1ull << 6)

/* The xdp-features (RD_NETDEV_XDP_ACT_*) of `ifindex` in routerd's network
 * namespace into *features. Returns 0, or -errno: -EOPNOTSUPP when the
 * kernel has no netdev family (before 6.3), -ENODEV for no such device,
 * -ENODATA when the answer carries no xdp-features. */
int rd_xdp_features(__u32 ifindex, __u64 *features);

/* Does `ifindex` transmit multi-buffer XDP frames (NDO_XMIT_SG)? False
 * when the kernel cannot say: such frames are then left to the kernel. */
bool rd_xdp_xmit_sg(__u32 ifindex);

/* Would replacing program `old_prog_id` on `ifname` with bpf_link_update()
 * keep a limit the old program set? On veth, the peer's maximum MTU is set
 * when a program is first attached (~3506 bytes for a program without
 * multi-buffer support) and stays across a replacement, so a link running
 * a routerd build older than the multi-buffer one is re-attached instead. */
bool rd_xdp_replace_keeps_cap(const char *ifname, __u32 old_prog_id);

#endif /* RD_XDP_FEATURES_H */
