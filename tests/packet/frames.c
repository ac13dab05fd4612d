// SPDX-License-Identifier: GPL-2.0
/*
 * Frames for the packet tests, and the checksums to verify them, computed
 * from scratch (never incrementally, as the program does).
 *
 * The frames are byte buffers read and written through header structs, as
 * in the kernel: the tests are built with -fno-strict-aliasing.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include <linux/icmp.h>
#include <linux/icmpv6.h>
#include <linux/udp.h>

#include "fixture.h"

__u16 inet_csum(const void *data, size_t len)
{
	const __u8 *b = data;
	__u32 sum = 0;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (__u32)b[i] << 8 | b[i + 1];
	if (len & 1)
		sum += (__u32)b[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons((__u16)~sum);
}

__u16 ipv4_csum(const struct iphdr *ip)
{
	__u8 hdr[60];
	size_t len = ip->ihl < 5 ? sizeof(*ip) : ip->ihl * 4u; /* IHL < 5: the fixed part */

	memcpy(hdr, ip, len);
	((struct iphdr *)hdr)->check = 0;
	return inet_csum(hdr, len);
}

void ipv4_fix_csum(struct frame *f)
{
	IP4(f)->check = ipv4_csum(IP4(f));
}

/* The checksum of PSEUDO followed by the segment SEG of LEN bytes, whose
 * checksum field is taken as zero. */
static __u16 tcp_csum(const void *pseudo, size_t pseudo_len, const __u8 *seg, size_t len)
{
	__u8 buf[64 + FRAME_MAX];

	cr_assert_leq(pseudo_len, 64);
	cr_assert_geq(len, sizeof(struct tcphdr));
	cr_assert_leq(len, FRAME_MAX);
	memcpy(buf, pseudo, pseudo_len);
	memcpy(buf + pseudo_len, seg, len);
	((struct tcphdr *)(buf + pseudo_len))->check = 0;
	return inet_csum(buf, pseudo_len + len);
}

__u16 tcp4_csum(const struct frame *f)
{
	const struct iphdr *ip = IP4(f);
	__u16 seg_len = (__u16)(ntohs(ip->tot_len) - ip->ihl * 4);
	struct {
		__be32 saddr, daddr;
		__u8 zero, proto;
		__be16 len;
	} __attribute__((packed)) pseudo = { ip->saddr, ip->daddr, 0, ip->protocol,
					      htons(seg_len) };

	return tcp_csum(&pseudo, sizeof(pseudo), L4_4(f), seg_len);
}

__u16 tcp6_csum(const struct frame *f)
{
	const struct ipv6hdr *ip6 = IP6(f);
	struct {
		struct in6_addr saddr, daddr;
		__be32 len;
		__u8 zero[3], nexthdr;
	} __attribute__((packed)) pseudo = { ip6->saddr, ip6->daddr,
					      htonl(ntohs(ip6->payload_len)), { 0 },
					      ip6->nexthdr };

	return tcp_csum(&pseudo, sizeof(pseudo), L4_6(f), ntohs(ip6->payload_len));
}

void parse_addr(int af, const char *s, void *out)
{
	cr_assert_eq(inet_pton(af, s, out), 1, "bad address %s", s);
}

/* The L4 header (as much as fits in ROOM bytes; nothing if it does not
 * fit) over a recognisable pattern. */
static void fill_l4(__u8 *l4, size_t room, __u8 proto)
{
	for (size_t i = 0; i < room; i++)
		l4[i] = (__u8)(i * 7 + 3);
	switch (proto) {
	case IPPROTO_UDP:
		if (room >= sizeof(struct udphdr))
			*(struct udphdr *)l4 = (struct udphdr){
				.source = htons(4242), .dest = htons(53), .len = htons((__u16)room) };
		break;
	case IPPROTO_TCP:
		if (room >= sizeof(struct tcphdr))
			*(struct tcphdr *)l4 = (struct tcphdr){
				.source = htons(4242), .dest = htons(80), .seq = htonl(1),
				.doff = 5, .syn = 1, .window = htons(8192) };
		break;
	case IPPROTO_ICMP:
		if (room >= 8)
			*(struct icmphdr *)l4 = (struct icmphdr){
				.type = ICMP_ECHO, .un.echo = { htons(7), htons(1) } };
		break;
	case IPPROTO_ICMPV6:
		if (room >= 8)
			*(struct icmp6hdr *)l4 = (struct icmp6hdr){
				.icmp6_type = ICMPV6_ECHO_REQUEST,
				.icmp6_dataun.u_echo = { htons(7), htons(1) } };
		break;
	}
}

void fill_eth(struct frame *f, const __u8 *dst, const __u8 *src, __u16 proto)
{
	memcpy(ETH(f)->h_dest, dst, ETH_ALEN);
	memcpy(ETH(f)->h_source, src, ETH_ALEN);
	ETH(f)->h_proto = htons(proto);
}

struct frame ipv4_packet(const char *src, const char *dst, __u8 proto, __u8 ttl,
			 __u16 tot_len)
{
	struct frame f = { .len = ETH_HLEN + tot_len };
	struct iphdr *ip = IP4(&f);

	cr_assert_leq(f.len, FRAME_MAX);
	fill_eth(&f, ports[P_IN].mac, ports[P_IN].nh4_mac, ETH_P_IP);
	*ip = (struct iphdr){ .version = 4, .ihl = 5, .tot_len = htons(tot_len),
			      .id = htons(0x1234), .frag_off = htons(IP_DF), .ttl = ttl,
			      .protocol = proto };
	parse_addr(AF_INET, src, &ip->saddr);
	parse_addr(AF_INET, dst, &ip->daddr);
	fill_l4(L4_4(&f), tot_len - sizeof(*ip), proto);
	ipv4_fix_csum(&f);
	return f;
}

struct frame ipv6_packet(const char *src, const char *dst, __u8 nexthdr, __u8 hop_limit,
			 __u16 l3_len)
{
	struct frame f = { .len = ETH_HLEN + l3_len };
	struct ipv6hdr *ip6 = IP6(&f);

	cr_assert_leq(f.len, FRAME_MAX);
	fill_eth(&f, ports[P_IN].mac, ports[P_IN].nh6_mac, ETH_P_IPV6);
	*ip6 = (struct ipv6hdr){ .version = 6, .flow_lbl = { 0x01, 0x23, 0x45 },
				 .payload_len = htons(l3_len - sizeof(*ip6)),
				 .nexthdr = nexthdr, .hop_limit = hop_limit };
	parse_addr(AF_INET6, src, &ip6->saddr);
	parse_addr(AF_INET6, dst, &ip6->daddr);
	fill_l4(L4_6(&f), l3_len - sizeof(*ip6), nexthdr);
	return f;
}

struct frame udp4(const char *dst)
{
	return ipv4_packet(SRC4, dst, IPPROTO_UDP, 64, 100);
}

struct frame udp6(const char *dst)
{
	return ipv6_packet(SRC6, dst, IPPROTO_UDP, 64, 100);
}

struct frame ipv4_with_options(const __u8 *opts, size_t len)
{
	struct frame f = udp4(DST4_OUT1);
	struct iphdr *ip = IP4(&f);
	__u8 *l4 = L4_4(&f);

	memmove(l4 + len, l4, f.len - (size_t)(l4 - f.data));
	memcpy(l4, opts, len);
	ip->ihl += len / 4;
	ip->tot_len = htons(ntohs(ip->tot_len) + len);
	f.len += len;
	ipv4_fix_csum(&f);
	return f;
}

const __u8 nop_option[4] = { IPOPT_NOOP, IPOPT_NOOP, IPOPT_NOOP, IPOPT_END };

void push_vlan(struct frame *f, __u16 tpid, __u16 tci)
{
	__be16 tag[2] = { htons(tpid), htons(tci) };

	cr_assert_geq(f->len, 2 * ETH_ALEN);
	cr_assert_leq(f->len + sizeof(tag), FRAME_MAX);
	memmove(f->data + 2 * ETH_ALEN + sizeof(tag), f->data + 2 * ETH_ALEN, f->len - 2 * ETH_ALEN);
	memcpy(f->data + 2 * ETH_ALEN, tag, sizeof(tag));
	f->len += sizeof(tag);
}

size_t ethertype_offset(const struct frame *f)
{
	size_t off = 2 * ETH_ALEN;

	while (off + 2 <= f->len) {
		__u16 proto = (__u16)(f->data[off] << 8 | f->data[off + 1]);

		if (proto != ETH_P_8021Q && proto != ETH_P_8021AD)
			break;
		off += 4;
	}
	return off;
}

struct tcphdr *tcp_of(const struct frame *f)
{
	const __u8 *l3 = f->data + ETH_HLEN;

	return (struct tcphdr *)((*l3 >> 4) == 4 ? L4_4(f) : L4_6(f));
}

void tcp_fix_csum(struct frame *f)
{
	const __u8 *l3 = f->data + ETH_HLEN;

	tcp_of(f)->check = (*l3 >> 4) == 4 ? tcp4_csum(f) : tcp6_csum(f);
}

#define TCP_PAYLOAD 20

/* F carries a TCP header of the default shape (fill_l4()) and room for the
 * options and the payload: set the options, flags, checksum. */
static void tcp_finish(struct frame *f, __u8 flags, const __u8 *opts, size_t optlen)
{
	struct tcphdr *tcp = tcp_of(f);
	size_t padded = (optlen + 3) & ~(size_t)3;

	cr_assert_leq(padded, 40, "TCP options of %zu bytes", optlen);
	tcp->doff = (__u16)(5 + padded / 4);
	((__u8 *)tcp)[13] = flags;
	memcpy(tcp + 1, opts, optlen);
	memset((__u8 *)(tcp + 1) + optlen, 0 /* EOL */, padded - optlen);
	tcp_fix_csum(f);
}

static size_t tcp_len(size_t optlen)
{
	return sizeof(struct tcphdr) + ((optlen + 3) & ~(size_t)3) + TCP_PAYLOAD;
}

struct frame tcp4_segment(const char *dst, __u8 flags, const __u8 *opts, size_t optlen)
{
	struct frame f = ipv4_packet(SRC4, dst, IPPROTO_TCP, 64,
				     (__u16)(sizeof(struct iphdr) + tcp_len(optlen)));

	tcp_finish(&f, flags, opts, optlen);
	return f;
}

struct frame tcp6_segment(const char *dst, __u8 flags, const __u8 *opts, size_t optlen)
{
	struct frame f = ipv6_packet(SRC6, dst, IPPROTO_TCP, 64,
				     (__u16)(sizeof(struct ipv6hdr) + tcp_len(optlen)));

	tcp_finish(&f, flags, opts, optlen);
	return f;
}
