/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Types, helpers and the constants vmlinux.h does not carry (it has no
 * #defines). Every other header in bpf/lib includes this one first. */
#ifndef RD_BPF_COMMON_H
#define RD_BPF_COMMON_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif
#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

#define ETH_ALEN 6
#define ETH_P_IP 0x0800
#define ETH_P_ARP 0x0806
#define ETH_P_IPV6 0x86DD
#define ETH_P_8021Q 0x8100
#define ETH_P_8021AD 0x88A8

#define AF_INET 2
#define AF_INET6 10

#define IP_MF 0x2000
#define IP_OFFSET 0x1FFF

#define IPV6_FLOWINFO_MASK bpf_htonl(0x0FFFFFFF)

#define NEXTHDR_HOP 0
#define NEXTHDR_TCP 6
#define NEXTHDR_UDP 17
#define NEXTHDR_ICMP 58

#define ICMPV6_MLD_QUERY 130
#define ICMPV6_MLD_DONE 132
#define ICMPV6_ND_FIRST 133 /* router solicitation */
#define ICMPV6_ND_LAST 137  /* redirect */
#define ICMPV6_MLD2_REPORT 143

#endif /* RD_BPF_COMMON_H */
