/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel settings routerd reads from /proc/sys: owns nothing but the
 * reading. A leaf module: the interface table, the bridge mirror and the
 * VLAN devices ask it, it asks no one. Every value is read when asked (a
 * netconf event says it may have changed), never cached.
 */
#ifndef RD_SYSCTL_H
#define RD_SYSCTL_H

#include <linux/types.h>

/* The integer in the file at PATH, or DFLT if it cannot be read. */
int rd_sysctl_int(const char *path, int dflt);
/* The reverse-path filter the kernel applies to IPv4 received on IFNAME
 * (0 off, 1 strict, 2 loose), as rd_iface.rp_filter,
 * rd_bridge_dev.rp_filter and rd_vlan_dev.rp_filter carry it. */
__u8 rd_ipv4_rp_filter(const char *ifname);
/* net.bridge.bridge-nf-call-iptables: bridged IPv4 crosses iptables
 * (br_netfilter loaded and the switch on). */
int rd_bridge_nf_call_iptables(void);

#endif
