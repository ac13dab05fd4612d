// SPDX-License-Identifier: GPL-2.0
/*
 * Packet tests of multi-buffer (jumbo) frames, bpf/lib/frags.h: frames of
 * up to 9014 bytes whose first HEAD bytes are the linear part and the rest
 * fragments, as a driver hands them to an xdp.frags program at MTU 9000.
 * Forwarded byte for byte with the whole frame's length in the MTU check,
 * the fix-ups and the byte counters; a header past the first buffer, an
 * egress that cannot send fragments, a too-long frame: the kernel's,
 * untouched. rdfp-in and rdfp-out1 are raised to MTU 9000; rdfp-out2 stays
 * at 1500. The topology and helpers are in fixture.h.
 */
#include <arpa/inet.h>
#include <linux/udp.h>
#include <netinet/in.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <criterion/criterion.h>

#include "fixture.h"

static void jumbo_setup(void)
{
	__u8 yes = 1;

	setup();
	ip_cmd("link set dev rdfp-in mtu 9000");
	ip_cmd("link set dev rdfp-out1 mtu 9000");
	/* as routerd/daemon/datapath.c writes it for a veth (NDO_XMIT_SG) */
	for (enum port_id p = P_IN; p <= P_OUT2; p++) {
		__u32 key = (__u32)ports[p].ifindex;

		cr_assert_eq(bpf_map__update_elem(skel->maps.rd_tx_frags, &key, sizeof(key), &yes,
						  sizeof(yes), BPF_ANY), 0);
	}
}

TestSuite(jumbo, .init = jumbo_setup, .fini = teardown, .timeout = 30);

#define JUMBO 9014           /* an MTU-9000 frame */
#define VETH_HEAD 3520       /* about what veth puts in the first buffer */

static __u8 in[JUMBO], out[JUMBO], want[JUMBO];

/* A LEN-byte UDP frame from the host behind rdfp-in to DST, the payload a
 * pattern, the headers from the fixture's builders. */
static void jumbo4(const char *dst, __u32 len)
{
	struct frame f = ipv4_packet(SRC4, dst, IPPROTO_UDP, 64, 100);
	struct iphdr *ip = (struct iphdr *)(in + ETH_HLEN);
	struct udphdr *udp = (struct udphdr *)(ip + 1);

	for (__u32 i = 0; i < len; i++)
		in[i] = (__u8)(i * 13 + 5);
	memcpy(in, f.data, ETH_HLEN + sizeof(*ip) + sizeof(*udp));
	ip->tot_len = htons((__u16)(len - ETH_HLEN));
	ip->check = 0;
	ip->check = ipv4_csum(ip);
	udp->len = htons((__u16)(len - ETH_HLEN - sizeof(*ip)));
	udp->check = 0;
}

static void jumbo6(const char *dst, __u32 len)
{
	struct frame f = ipv6_packet(SRC6, dst, IPPROTO_UDP, 64, 100);
	struct ipv6hdr *ip6 = (struct ipv6hdr *)(in + ETH_HLEN);
	struct udphdr *udp = (struct udphdr *)(ip6 + 1);

	for (__u32 i = 0; i < len; i++)
		in[i] = (__u8)(i * 13 + 5);
	memcpy(in, f.data, ETH_HLEN + sizeof(*ip6) + sizeof(*udp));
	ip6->payload_len = htons((__u16)(len - ETH_HLEN - sizeof(*ip6)));
	udp->len = ip6->payload_len;
}

static struct verdict run_jumbo(__u32 len, __u32 head)
{
	struct verdict v;
	int rc = try_run_buffers(ports[P_IN].ifindex, in, len, head, out, &v);

	cr_assert_eq(rc, 0, "%sBPF_PROG_TEST_RUN of a %u-byte frame, %u in the first buffer: %s",
		     label, len, head, strerror(-rc));
	return v;
}

static void expect_same(const __u8 *got, const __u8 *exp, __u32 len, const char *what)
{
	for (__u32 i = 0; i < len; i++)
		cr_assert_eq(got[i], exp[i], "%s%s: byte %u is 0x%02x, want 0x%02x", label, what, i,
			     got[i], exp[i]);
}

/* IN, as the router sends it on to EGRESS's neighbour. */
static void expect_routed(const struct verdict *v, __u32 len, enum port_id egress, bool v4)
{
	cr_assert_eq(v->action, XDP_REDIRECT, "%sverdict %s; want XDP_REDIRECT", label,
		     verdict_str(v));
	memcpy(want, in, len);
	memcpy(want, v4 ? ports[egress].nh4_mac : ports[egress].nh6_mac, ETH_ALEN);
	memcpy(want + ETH_ALEN, ports[egress].mac, ETH_ALEN);
	if (v4) {
		struct iphdr *ip = (struct iphdr *)(want + ETH_HLEN);

		ip->ttl--;
		ip->check = 0;
		ip->check = ipv4_csum(ip);
	} else {
		((struct ipv6hdr *)(want + ETH_HLEN))->hop_limit--;
	}
	expect_same(out, want, len, "forwarded frame");
}

static void expect_kernels(const struct verdict *v, __u32 len, enum rd_pass_reason why)
{
	cr_assert_eq(v->action, XDP_PASS, "%sverdict %s; want XDP_PASS", label, verdict_str(v));
	expect_counted(v, slot_of(P_IN), PASS, why);
	expect_same(out, in, len, "frame handed on");
}

static const __u32 heads[] = { 64, 1514, VETH_HEAD };

Test(jumbo, ipv4_forwarded_byte_for_byte_whatever_the_first_buffer)
{
	for (size_t i = 0; i < sizeof(heads) / sizeof(heads[0]); i++) {
		struct verdict v;

		set_label("head %u", heads[i]);
		jumbo4(DST4_OUT1, JUMBO);
		v = run_jumbo(JUMBO, heads[i]);
		expect_routed(&v, JUMBO, P_OUT1, true);
		expect_counted(&v, slot_of(P_IN), EVENT, RD_EV_FORWARDED_IPV4);
		cr_assert_eq(bytes_moved(slot_of(P_IN), RD_BYTES_FORWARDED), JUMBO,
			     "%sforwarded_bytes moved by %llu, want the whole frame, %u", label,
			     (unsigned long long)bytes_moved(slot_of(P_IN), RD_BYTES_FORWARDED),
			     JUMBO);
	}
}

Test(jumbo, ipv6_forwarded_byte_for_byte_whatever_the_first_buffer)
{
	for (size_t i = 0; i < sizeof(heads) / sizeof(heads[0]); i++) {
		struct verdict v;

		set_label("head %u", heads[i]);
		jumbo6(DST6_OUT1, JUMBO);
		v = run_jumbo(JUMBO, heads[i]);
		expect_routed(&v, JUMBO, P_OUT1, false);
		expect_counted(&v, slot_of(P_IN), EVENT, RD_EV_FORWARDED_IPV6);
		cr_assert_eq(bytes_moved(slot_of(P_IN), RD_BYTES_FORWARDED), JUMBO);
	}
}

/* The MTU check reads the whole packet: 3000 bytes toward rdfp-out2's 1500
 * go to the kernel (which sends frag-needed / packet-too-big) even though
 * the first buffer alone would fit. The passed bytes are the whole frame. */
Test(jumbo, mtu_check_counts_the_fragments)
{
	struct verdict v;

	set_label("v4");
	jumbo4(DST4_OUT2, 3014);
	v = run_jumbo(3014, 1000);
	expect_kernels(&v, 3014, RD_PASS_FRAG_NEEDED);
	cr_assert_eq(bytes_moved(slot_of(P_IN), RD_BYTES_PASSED), 3014);

	set_label("v6");
	jumbo6(DST6_OUT2, 3014);
	v = run_jumbo(3014, 1000);
	expect_kernels(&v, 3014, RD_PASS_FRAG_NEEDED);

	/* and 9000 toward an egress lowered to 8000 */
	set_label("v4 to 8000");
	ip_cmd("link set dev rdfp-out1 mtu 8000");
	jumbo4(DST4_OUT1, JUMBO);
	v = run_jumbo(JUMBO, VETH_HEAD);
	expect_kernels(&v, JUMBO, RD_PASS_FRAG_NEEDED);
}

/* Headers the parser would have to read past the first buffer. */
Test(jumbo, split_headers_go_to_the_kernel)
{
	struct verdict v;

	set_label("ipv4 header split");
	jumbo4(DST4_OUT1, JUMBO);
	v = run_jumbo(JUMBO, ETH_HLEN + 10);
	expect_kernels(&v, JUMBO, RD_PASS_SPLIT_HEADERS);

	set_label("udp ports split");
	v = run_jumbo(JUMBO, ETH_HLEN + sizeof(struct iphdr) + 2);
	expect_kernels(&v, JUMBO, RD_PASS_SPLIT_HEADERS);

	set_label("ipv6 header split");
	jumbo6(DST6_OUT1, JUMBO);
	v = run_jumbo(JUMBO, ETH_HLEN + 30);
	expect_kernels(&v, JUMBO, RD_PASS_SPLIT_HEADERS);
}

/* Lengths beyond the whole frame are still malformed. */
Test(jumbo, lengths_beyond_the_frame_are_malformed)
{
	struct iphdr *ip = (struct iphdr *)(in + ETH_HLEN);
	struct verdict v;

	set_label("ipv4 tot_len");
	jumbo4(DST4_OUT1, JUMBO);
	ip->tot_len = htons(JUMBO - ETH_HLEN + 1);
	ip->check = 0;
	ip->check = ipv4_csum(ip);
	v = run_jumbo(JUMBO, VETH_HEAD);
	expect_kernels(&v, JUMBO, RD_PASS_MALFORMED);

	set_label("ipv6 payload_len");
	jumbo6(DST6_OUT1, JUMBO);
	((struct ipv6hdr *)(in + ETH_HLEN))->payload_len = htons(JUMBO - ETH_HLEN - 40 + 1);
	v = run_jumbo(JUMBO, VETH_HEAD);
	expect_kernels(&v, JUMBO, RD_PASS_MALFORMED);
}

/* A port whose driver cannot transmit fragments (a tap, before Linux
 * supports it) gets none: the kernel forwards the frame. Single-buffer
 * frames still go to it. */
Test(jumbo, egress_without_fragment_transmit_gets_none)
{
	__u32 key = (__u32)ports[P_OUT1].ifindex;
	struct frame small = udp4(DST4_OUT1);
	struct verdict v;

	cr_assert_eq(bpf_map__delete_elem(skel->maps.rd_tx_frags, &key, sizeof(key), 0), 0);
	jumbo4(DST4_OUT1, JUMBO);
	v = run_jumbo(JUMBO, VETH_HEAD);
	expect_kernels(&v, JUMBO, RD_PASS_FRAGS_EGRESS);
	expect_forwarded4(&small, P_OUT1);
}

/* The ethertype repair validates the IPv4 header against the whole frame. */
Test(jumbo, ethertype_repair_on_a_jumbo_frame)
{
	struct verdict v;

	set_fixups(P_IN, RD_FIXUP_IPV4_IN_IPV6, 0);
	jumbo4(DST4_OUT1, JUMBO);
	((struct ethhdr *)in)->h_proto = htons(ETH_P_IPV6);
	v = run_jumbo(JUMBO, VETH_HEAD);
	EXPECT_COUNTS(&v, slot_of(P_IN), { EVENT, RD_EV_FIXUP_IPV4_IN_IPV6 },
		      { EVENT, RD_EV_FORWARDED_IPV4 });
	((struct ethhdr *)in)->h_proto = htons(ETH_P_IP);
	expect_routed(&v, JUMBO, P_OUT1, true);
}

/* The TCP checksum of the IPv4 frame in BUF, from scratch. */
static __u16 tcp_csum_of(const __u8 *buf, __u32 len)
{
	static __u8 scratch[12 + JUMBO];
	const struct iphdr *ip = (const struct iphdr *)(buf + ETH_HLEN);
	__u32 seg = len - ETH_HLEN - sizeof(*ip);

	memcpy(scratch, &ip->saddr, 8);
	scratch[8] = 0;
	scratch[9] = IPPROTO_TCP;
	scratch[10] = (__u8)(seg >> 8);
	scratch[11] = (__u8)seg;
	memcpy(scratch + 12, ip + 1, seg);
	return inet_csum(scratch, 12 + seg);
}

/* A jumbo SYN (with data, as TCP Fast Open sends) built from tcp4_segment()'s
 * header, the MSS option at 8960. */
static void jumbo_syn(__u32 len)
{
	static const __u8 mss[4] = { 2, 4, 8960 >> 8, 8960 & 0xff };
	struct frame f = tcp4_segment(DST4_OUT1, TH_SYN, mss, sizeof(mss));
	struct iphdr *ip = (struct iphdr *)(in + ETH_HLEN);
	__u32 hdrs = ETH_HLEN + sizeof(*ip) + sizeof(struct tcphdr) + sizeof(mss);
	struct tcphdr *tcp;

	for (__u32 i = 0; i < len; i++)
		in[i] = (__u8)(i * 13 + 5);
	memcpy(in, f.data, hdrs);
	ip->tot_len = htons((__u16)(len - ETH_HLEN));
	ip->check = 0;
	ip->check = ipv4_csum(ip);
	tcp = (struct tcphdr *)(ip + 1);
	tcp->check = 0;
	tcp->check = tcp_csum_of(in, len);
}

Test(jumbo, mss_clamp_on_a_jumbo_syn)
{
	struct tcphdr *tcp = (struct tcphdr *)(out + ETH_HLEN + sizeof(struct iphdr));
	__u8 *opt = (__u8 *)(tcp + 1);
	struct verdict v;
	__u16 check;

	set_fixups(P_IN, RD_FIXUP_MSS_CLAMP, 1400);
	set_label("header in the first buffer");
	jumbo_syn(JUMBO);
	v = run_jumbo(JUMBO, VETH_HEAD);
	EXPECT_COUNTS(&v, slot_of(P_IN), { EVENT, RD_EV_FIXUP_MSS_CLAMP },
		      { EVENT, RD_EV_FORWARDED_IPV4 });
	cr_assert_eq(v.action, XDP_REDIRECT);
	cr_assert_eq((opt[2] << 8) | opt[3], 1400, "MSS %u, want 1400", (opt[2] << 8) | opt[3]);
	check = tcp->check;
	tcp->check = 0;
	cr_assert_eq(check, tcp_csum_of(out, JUMBO), "TCP checksum 0x%04x, recomputed 0x%04x",
		     ntohs(check), ntohs(tcp_csum_of(out, JUMBO)));

	/* The options could run past the first buffer: not walked, the
	 * kernel's (and its own MSS clamping rules, if any). */
	set_label("options past the first buffer");
	jumbo_syn(JUMBO);
	v = run_jumbo(JUMBO, ETH_HLEN + sizeof(struct iphdr) + sizeof(struct tcphdr) + 2);
	expect_kernels(&v, JUMBO, RD_PASS_SPLIT_HEADERS);
}
