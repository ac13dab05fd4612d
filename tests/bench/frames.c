// SPDX-License-Identifier: GPL-2.0
/* xdp_bench's test frames: 64-byte IPv4 and IPv6 UDP, built from addresses. */
#include <string.h>
#include <arpa/inet.h>

#include "bench.h"

static __u16 csum16(const void *p, int len)
{
	const __u8 *b = p;
	__u32 sum = 0;

	for (int i = 0; i + 1 < len; i += 2)
		sum += (b[i] << 8) | b[i + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons(~sum & 0xffff);
}

/* Ethernet header and the UDP header (ports 1024 -> 2048, length len) */
static void eth_udp(struct frame *f, const __u8 dmac[6], const __u8 smac[6], __u16 type,
		    __u8 *udp, int len)
{
	memcpy(f->b, dmac, 6);
	memcpy(f->b + 6, smac, 6);
	f->b[12] = type >> 8;
	f->b[13] = type & 0xff;
	udp[0] = 0x04; udp[1] = 0x00;
	udp[2] = 0x08; udp[3] = 0x00;
	udp[4] = len >> 8;
	udp[5] = len & 0xff;
}

/* 64-byte UDP frame; ttl is the TTL or hop limit. */
struct frame build_v4(const __u8 dmac[6], const __u8 smac[6], const char *src, const char *dst,
		      int ttl, bool bad_csum)
{
	struct frame f = { 0 };
	__u8 *ip = f.b + 14, *udp = ip + 20;
	int tot = FRAME_LEN - 14;

	eth_udp(&f, dmac, smac, 0x0800, udp, tot - 20);
	ip[0] = 0x45;
	ip[2] = tot >> 8;
	ip[3] = tot & 0xff;
	ip[8] = ttl;
	ip[9] = 17;
	inet_pton(AF_INET, src, ip + 12);
	inet_pton(AF_INET, dst, ip + 16);
	*(__u16 *)(ip + 10) = csum16(ip, 20);
	if (bad_csum)
		ip[10] ^= 0x5a;
	return f;
}

struct frame build_v6(const __u8 dmac[6], const __u8 smac[6], const char *src, const char *dst,
		      int hlim)
{
	struct frame f = { 0 };
	__u8 *ip6 = f.b + 14, *udp = ip6 + 40;
	int plen = FRAME_LEN - 14 - 40;

	eth_udp(&f, dmac, smac, 0x86dd, udp, plen);
	ip6[0] = 0x60;
	ip6[4] = plen >> 8;
	ip6[5] = plen & 0xff;
	ip6[6] = 17;
	ip6[7] = hlim;
	inet_pton(AF_INET6, src, ip6 + 8);
	inet_pton(AF_INET6, dst, ip6 + 24);
	return f;
}

