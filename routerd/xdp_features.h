/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* What a device's driver can do with XDP frames (the netdev generic
 * netlink family's xdp-features, Linux 6.3+). */
#ifndef RD_XDP_FEATURES_H
#define RD_XDP_FEATURES_H

#include <stdbool.h>
#include <linux/types.h>

/* Does `ifindex` transmit multi-buffer XDP frames (NDO_XMIT_SG)? False
 * when the kernel cannot say: such frames are then left to the kernel. */
bool rd_xdp_xmit_sg(__u32 ifindex);

#endif /* RD_XDP_FEATURES_H */
