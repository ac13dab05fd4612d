// SPDX-License-Identifier: GPL-2.0
/*
 * Conntrack offload in the fast path (bpf/lib/conntrack.h, bpf/lib/nat.h;
 * design in include/routerd/conntrack.h). Real conntrack entries are
 * created in the test's namespace through ctnetlink (ct_entry.c), with the
 * translation in their reply tuple as masquerade or a port forward leaves
 * it; rd_cache_ctl and rd_ct_admit are written as routerd and the
 * admission program would. Then crafted frames:
 *  - established, admitted flows are forwarded with their NAT, in both
 *    directions: every byte checked against a frame NATed by hand whose
 *    checksums are recomputed from scratch here;
 *  - everything the design keeps in the kernel passes untouched, with its
 *    reason counted.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <time.h>

#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_conntrack_tcp.h>
#include <linux/udp.h>

#include <routerd/conntrack.h>

#include "ct_entry.h"
#include "fixture.h"

PACKET_SUITE(ct_offload);

#define GEN 7
#define TCP_ESTABLISHED_STATE 3 /* TCP_CONNTRACK_ESTABLISHED */
#define TCP_SYN_RECV_STATE 2    /* TCP_CONNTRACK_SYN_RECV */
#define HELD (RD_NF_HOLD_IPV4 | RD_NF_HOLD_IPV6)
#define OFFLOAD (HELD | RD_NF_OFFLOAD_IPV4 | RD_NF_OFFLOAD_IPV6)

enum dir { ORIG, REPLY };

static __u64 coarse_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (__u64)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* rd_cache_ctl as routerd writes it in `netfilter offload` mode. */
static void publish(__u32 nf, __u32 gen, __u32 tcp_s, bool silent)
{
	struct rd_cache_ctl ctl = { .valid_until_ns = silent ? 1 : coarse_now() + 60000000000ull,
				    .netfilter = nf, .ct_generation = gen,
				    .ct_tcp_timeout_s = tcp_s, .ct_udp_timeout_s = 0 };
	__u32 zero = 0;

	cr_assert_eq(bpf_map__update_elem(skel->maps.rd_cache_ctl, &zero, sizeof(zero), &ctl,
					  sizeof(ctl), 0), 0);
}

/* The entry, as the admission program writes it. */
static void admit(const struct ct_spec *s, __u32 gen, __u32 dirs)
{
	struct rd_ct_admit a = { .generation = gen, .dirs = dirs };
	struct rd_ct_key k;

	ct_admit_key(s, &k);
	cr_assert_eq(bpf_map__update_elem(skel->maps.rd_ct_admit, &k, sizeof(k), &a, sizeof(a), 0),
		     0);
}

static void create(const struct ct_spec *s)
{
	int rc = ct_create(s);

	cr_assert_eq(rc, 0, "ctnetlink create: %s", strerror(-rc));
}

/* An established, liberal, admitted flow, ready to be offloaded. */
static void established(const struct ct_spec *s)
{
	create(s);
	publish(OFFLOAD, GEN, 0, false);
	admit(s, GEN, RD_CT_DIR_ORIGINAL | RD_CT_DIR_REPLY);
}

/* ------------------------------------------------------------------ */
/* Frames and their NAT done by hand                                   */

static __u16 udp_csum(const struct frame *f)
{
	__u8 buf[40 + FRAME_MAX];
	bool v4 = ETH(f)->h_proto == htons(ETH_P_IP);
	const __u8 *seg = v4 ? L4_4(f) : L4_6(f);
	size_t len = v4 ? ntohs(IP4(f)->tot_len) - IP4(f)->ihl * 4u : ntohs(IP6(f)->payload_len);
	size_t p = 0;
	__u16 sum;

	memset(buf, 0, sizeof(buf));
	if (v4) {
		memcpy(buf, &IP4(f)->saddr, 8);
		buf[9] = IPPROTO_UDP;
		buf[10] = (__u8)(len >> 8);
		buf[11] = (__u8)len;
		p = 12;
	} else {
		memcpy(buf, &IP6(f)->saddr, 32);
		buf[34] = (__u8)(len >> 8);
		buf[35] = (__u8)len;
		buf[39] = IPPROTO_UDP;
		p = 40;
	}
	memcpy(buf + p, seg, len);
	((struct udphdr *)(buf + p))->check = 0;
	sum = inet_csum(buf, p + len);
	return sum ? sum : 0xffff;
}

static struct udphdr *udp_of(const struct frame *f)
{
	return (struct udphdr *)(ETH(f)->h_proto == htons(ETH_P_IP) ? L4_4(f) : L4_6(f));
}

/* A packet of the flow `s` in direction `d`, as it arrives on `in` from
 * the neighbour there: TCP ACK (or `flags`) or UDP with a real checksum. */
static struct frame flow_frame(const struct ct_spec *s, enum dir d, enum port_id in, __u8 flags)
{
	const struct ct_tuple *t = d == ORIG ? &s->orig : &s->reply;
	bool v4 = s->family == AF_INET;
	__u16 l4len = s->proto == IPPROTO_TCP ? 40 : 28;
	struct frame f = v4 ? ipv4_packet(t->src, t->dst, s->proto, 64, 20 + l4len)
			    : ipv6_packet(t->src, t->dst, s->proto, 64, 40 + l4len);

	fill_eth(&f, ports[in].mac, v4 ? ports[in].nh4_mac : ports[in].nh6_mac,
		 v4 ? ETH_P_IP : ETH_P_IPV6);
	if (s->proto == IPPROTO_TCP) {
		struct tcphdr *th = tcp_of(&f);

		th->source = htons(t->sport);
		th->dest = htons(t->dport);
		((__u8 *)th)[13] = flags;
		tcp_fix_csum(&f);
	} else {
		udp_of(&f)->source = htons(t->sport);
		udp_of(&f)->dest = htons(t->dport);
		udp_of(&f)->check = udp_csum(&f);
	}
	return f;
}

/* What the kernel's NAT makes of `f`: the other direction's tuple
 * reversed, every checksum recomputed from scratch. */
static struct frame natted(const struct ct_spec *s, enum dir d, const struct frame *f)
{
	const struct ct_tuple *o = d == ORIG ? &s->reply : &s->orig;
	struct frame w = *f;
	bool v4 = s->family == AF_INET;
	bool zero_udp = s->proto == IPPROTO_UDP && udp_of(f)->check == 0;

	if (v4) {
		parse_addr(AF_INET, o->dst, &IP4(&w)->saddr);
		parse_addr(AF_INET, o->src, &IP4(&w)->daddr);
		ipv4_fix_csum(&w);
	} else {
		parse_addr(AF_INET6, o->dst, &IP6(&w)->saddr);
		parse_addr(AF_INET6, o->src, &IP6(&w)->daddr);
	}
	if (s->proto == IPPROTO_TCP) {
		tcp_of(&w)->source = htons(o->dport);
		tcp_of(&w)->dest = htons(o->sport);
		tcp_fix_csum(&w);
	} else {
		udp_of(&w)->source = htons(o->dport);
		udp_of(&w)->dest = htons(o->sport);
		udp_of(&w)->check = zero_udp ? 0 : udp_csum(&w);
	}
	return w;
}

static void expect_offloaded(const struct ct_spec *s, enum dir d, enum port_id in,
			     enum port_id out, const struct frame *f)
{
	struct frame want = natted(s, d, f);
	struct verdict v = run(in, f);
	bool v4 = s->family == AF_INET;

	check_forwarded(&v, &want, out, v4 ? ports[out].nh4_mac : ports[out].nh6_mac);
	EXPECT_COUNTS(&v, slot_of(in), { EVENT, RD_EV_CT_OFFLOADED },
		      { EVENT, v4 ? RD_EV_FORWARDED_IPV4 : RD_EV_FORWARDED_IPV6 });
}

/* LAN host SRC4:40000 to a server behind out1, masqueraded to out1's
 * address, port 50000. */
static const struct ct_spec snat_tcp4 = {
	.family = AF_INET, .proto = IPPROTO_TCP,
	.orig = { SRC4, DST4_OUT1, 40000, 443 },
	.reply = { DST4_OUT1, "198.18.2.1", 443, 50000 },
	.status = IPS_SEEN_REPLY | IPS_ASSURED, .tcp_state = TCP_ESTABLISHED_STATE,
	.liberal = true, .timeout_s = 300,
};

Test(ct_offload, masquerade_tcp4_both_directions)
{
	struct frame o = flow_frame(&snat_tcp4, ORIG, P_IN, TH_ACK);
	struct frame r = flow_frame(&snat_tcp4, REPLY, P_OUT1, TH_ACK);

	established(&snat_tcp4);
	expect_offloaded(&snat_tcp4, ORIG, P_IN, P_OUT1, &o);
	expect_offloaded(&snat_tcp4, REPLY, P_OUT1, P_IN, &r);
}

/* A port forward: out1's address, port 8080, to the LAN host's port 80.
 * Its first packet is addressed to the box: only a lookup on the
 * translated destination forwards it. */
static const struct ct_spec dnat_tcp4 = {
	.family = AF_INET, .proto = IPPROTO_TCP,
	.orig = { DST4_OUT1, "198.18.2.1", 5555, 8080 },
	.reply = { SRC4, DST4_OUT1, 80, 5555 },
	.status = IPS_SEEN_REPLY | IPS_ASSURED, .tcp_state = TCP_ESTABLISHED_STATE,
	.liberal = true, .timeout_s = 300,
};

Test(ct_offload, port_forward_tcp4_both_directions)
{
	struct frame o = flow_frame(&dnat_tcp4, ORIG, P_OUT1, TH_ACK | 0x08 /* PSH */);
	struct frame r = flow_frame(&dnat_tcp4, REPLY, P_IN, TH_ACK);

	established(&dnat_tcp4);
	expect_offloaded(&dnat_tcp4, ORIG, P_OUT1, P_IN, &o);
	expect_offloaded(&dnat_tcp4, REPLY, P_IN, P_OUT1, &r);
}

static const struct ct_spec snat_udp4 = {
	.family = AF_INET, .proto = IPPROTO_UDP,
	.orig = { SRC4, DST4_OUT1, 4242, 53 },
	.reply = { DST4_OUT1, "198.18.2.1", 53, 61000 },
	.status = IPS_SEEN_REPLY, .timeout_s = 60,
};

Test(ct_offload, masquerade_udp4_both_directions)
{
	struct frame o = flow_frame(&snat_udp4, ORIG, P_IN, 0);
	struct frame r = flow_frame(&snat_udp4, REPLY, P_OUT1, 0);

	established(&snat_udp4);
	expect_offloaded(&snat_udp4, ORIG, P_IN, P_OUT1, &o);
	expect_offloaded(&snat_udp4, REPLY, P_OUT1, P_IN, &r);
}

Test(ct_offload, udp4_without_checksum_stays_without)
{
	struct frame o = flow_frame(&snat_udp4, ORIG, P_IN, 0);
	struct verdict v;

	established(&snat_udp4);
	udp_of(&o)->check = 0;
	expect_offloaded(&snat_udp4, ORIG, P_IN, P_OUT1, &o);
	v = run(P_IN, &o);
	cr_assert_eq(udp_of(&v.out)->check, 0, "a UDP checksum of 0 (none) stays 0");
}

/* Checksum edges: a translation whose incremental update lands on the
 * values where one's complement arithmetic goes wrong if done carelessly
 * (0x0000/0xffff). Walks the source port so the UDP checksum sweeps. */
Test(ct_offload, checksum_sweep_udp4_and_tcp4)
{
	struct ct_spec u = snat_udp4, t = snat_tcp4;

	publish(OFFLOAD, GEN, 0, false);
	for (__u16 p = 1; p < 400; p += 7) {
		struct frame fu, ft;

		u.orig.sport = t.orig.sport = (__u16)(20000 + p);
		u.reply.dport = t.reply.dport = (__u16)(65535 - p * 151);
		create(&u);
		create(&t);
		admit(&u, GEN, RD_CT_DIR_ORIGINAL | RD_CT_DIR_REPLY);
		admit(&t, GEN, RD_CT_DIR_ORIGINAL | RD_CT_DIR_REPLY);
		fu = flow_frame(&u, ORIG, P_IN, 0);
		ft = flow_frame(&t, ORIG, P_IN, TH_ACK);
		set_label("port %u: ", p);
		expect_offloaded(&u, ORIG, P_IN, P_OUT1, &fu);
		expect_offloaded(&t, ORIG, P_IN, P_OUT1, &ft);
	}
}

/* NAT66 masquerade */
static const struct ct_spec snat_tcp6 = {
	.family = AF_INET6, .proto = IPPROTO_TCP,
	.orig = { SRC6, DST6_OUT1, 40000, 443 },
	.reply = { DST6_OUT1, "2001:db8:2::1", 443, 50000 },
	.status = IPS_SEEN_REPLY | IPS_ASSURED, .tcp_state = TCP_ESTABLISHED_STATE,
	.liberal = true, .timeout_s = 300,
};

static const struct ct_spec snat_udp6 = {
	.family = AF_INET6, .proto = IPPROTO_UDP,
	.orig = { SRC6, DST6_OUT1, 4242, 53 },
	.reply = { DST6_OUT1, "2001:db8:2::1", 53, 61000 },
	.status = IPS_SEEN_REPLY, .timeout_s = 60,
};

Test(ct_offload, masquerade66_tcp_and_udp_both_directions)
{
	struct frame to = flow_frame(&snat_tcp6, ORIG, P_IN, TH_ACK);
	struct frame tr = flow_frame(&snat_tcp6, REPLY, P_OUT1, TH_ACK);
	struct frame uo = flow_frame(&snat_udp6, ORIG, P_IN, 0);
	struct frame ur = flow_frame(&snat_udp6, REPLY, P_OUT1, 0);

	established(&snat_tcp6);
	established(&snat_udp6);
	expect_offloaded(&snat_tcp6, ORIG, P_IN, P_OUT1, &to);
	expect_offloaded(&snat_tcp6, REPLY, P_OUT1, P_IN, &tr);
	expect_offloaded(&snat_udp6, ORIG, P_IN, P_OUT1, &uo);
	expect_offloaded(&snat_udp6, REPLY, P_OUT1, P_IN, &ur);
}

/* ------------------------------------------------------------------ */
/* What stays with the kernel                                          */

static void expect_kernel(enum port_id in, const struct frame *f, enum rd_pass_reason why)
{
	expect_untouched(in, f, XDP_PASS, PASS, why);
}

Test(ct_offload, syn_fin_rst_go_to_the_kernel)
{
	static const __u8 flags[] = { TH_SYN, TH_SYN | TH_ACK, TH_FIN | TH_ACK, 0x04 /* RST */,
				      0x04 | TH_ACK };

	established(&snat_tcp4);
	established(&snat_tcp6);
	for (size_t i = 0; i < sizeof(flags); i++) {
		struct frame f4 = flow_frame(&snat_tcp4, ORIG, P_IN, flags[i]);
		struct frame f6 = flow_frame(&snat_tcp6, REPLY, P_OUT1, flags[i]);

		set_label("flags 0x%02x: ", flags[i]);
		expect_kernel(P_IN, &f4, RD_PASS_CT_TCP_FLAGS);
		expect_kernel(P_OUT1, &f6, RD_PASS_CT_TCP_FLAGS);
	}
}

Test(ct_offload, not_established_goes_to_the_kernel)
{
	struct ct_spec t = snat_tcp4, u = snat_udp4;
	struct frame ft, fu;

	t.tcp_state = TCP_SYN_RECV_STATE;
	u.status = 0; /* no reply seen */
	established(&t);
	established(&u);
	ft = flow_frame(&t, ORIG, P_IN, TH_ACK);
	fu = flow_frame(&u, ORIG, P_IN, 0);
	expect_kernel(P_IN, &ft, RD_PASS_CT_NOT_ESTABLISHED);
	expect_kernel(P_IN, &fu, RD_PASS_CT_NOT_ESTABLISHED);
}

Test(ct_offload, not_liberal_goes_to_the_kernel)
{
	struct ct_spec t = snat_tcp4;
	struct frame f;

	t.liberal = false;
	established(&t);
	f = flow_frame(&t, ORIG, P_IN, TH_ACK);
	expect_kernel(P_IN, &f, RD_PASS_CT_NOT_LIBERAL);
}

Test(ct_offload, no_entry_goes_to_the_kernel)
{
	struct frame f = flow_frame(&snat_tcp4, ORIG, P_IN, TH_ACK);
	struct frame u = flow_frame(&snat_udp6, ORIG, P_IN, 0);

	publish(OFFLOAD, GEN, 0, false);
	admit(&snat_tcp4, GEN, RD_CT_DIR_ORIGINAL | RD_CT_DIR_REPLY);
	expect_kernel(P_IN, &f, RD_PASS_CT_NO_ENTRY);
	expect_kernel(P_IN, &u, RD_PASS_CT_NO_ENTRY);
}

/* A ruleset change (a new generation) sends every flow back to the kernel
 * until the kernel accepts one of its packets again, in each direction. */
Test(ct_offload, admission_of_another_generation_or_direction_does_not_count)
{
	struct frame o = flow_frame(&snat_tcp4, ORIG, P_IN, TH_ACK);
	struct frame r = flow_frame(&snat_tcp4, REPLY, P_OUT1, TH_ACK);

	established(&snat_tcp4);
	publish(OFFLOAD, GEN + 1, 0, false); /* the ruleset changed */
	expect_kernel(P_IN, &o, RD_PASS_CT_NOT_ADMITTED);
	expect_kernel(P_OUT1, &r, RD_PASS_CT_NOT_ADMITTED);
	admit(&snat_tcp4, GEN + 1, RD_CT_DIR_ORIGINAL); /* the kernel accepted one, one way */
	expect_offloaded(&snat_tcp4, ORIG, P_IN, P_OUT1, &o);
	expect_kernel(P_OUT1, &r, RD_PASS_CT_NOT_ADMITTED);
	publish(OFFLOAD, 0, 0, false); /* generation 0 admits nothing */
	admit(&snat_tcp4, 0, RD_CT_DIR_ORIGINAL | RD_CT_DIR_REPLY);
	expect_kernel(P_IN, &o, RD_PASS_CT_NOT_ADMITTED);
}

Test(ct_offload, never_admitted_goes_to_the_kernel)
{
	struct frame o = flow_frame(&snat_udp4, ORIG, P_IN, 0);

	create(&snat_udp4);
	publish(OFFLOAD, GEN, 0, false);
	expect_kernel(P_IN, &o, RD_PASS_CT_NOT_ADMITTED);
}

Test(ct_offload, what_conntrack_offload_does_not_cover)
{
	struct frame icmp = ipv4_packet(SRC4, DST4_OUT1, IPPROTO_ICMP, 64, 100);
	struct frame frag = flow_frame(&snat_udp4, ORIG, P_IN, 0);
	struct frame shortt = ipv4_packet(SRC4, DST4_OUT1, IPPROTO_TCP, 64, 20 + 16);
	struct frame err = ipv4_packet(SRC4, DST4_OUT1, IPPROTO_ICMP, 64, 56);

	established(&snat_udp4);
	expect_kernel(P_IN, &icmp, RD_PASS_NETFILTER); /* ICMP: the ruleset's */
	((__u8 *)L4_4(&err))[0] = 3;                   /* an ICMP error: the kernel's */
	((__u8 *)L4_4(&err))[1] = 4;
	expect_kernel(P_IN, &err, RD_PASS_NETFILTER);
	IP4(&frag)->frag_off = htons(IP_MF);
	ipv4_fix_csum(&frag);
	expect_kernel(P_IN, &frag, RD_PASS_CT_FRAGMENT);
	expect_kernel(P_IN, &shortt, RD_PASS_MALFORMED); /* a TCP header cut short */
}

Test(ct_offload, ipv4_options_go_to_the_kernel)
{
	struct frame f = ipv4_with_options(nop_option, 4);
	struct frame o = flow_frame(&snat_udp4, ORIG, P_IN, 0);

	established(&snat_udp4);
	expect_offloaded(&snat_udp4, ORIG, P_IN, P_OUT1, &o);
	f = ipv4_with_options(nop_option, 4);
	expect_kernel(P_IN, &f, RD_PASS_IP_OPTIONS);
}

/* The offload bit alone lifts nothing; the hold alone offloads nothing;
 * a silent routerd offloads nothing (a ruleset change would go unseen). */
Test(ct_offload, only_with_hold_and_offload_and_routerd)
{
	struct frame o = flow_frame(&snat_tcp4, ORIG, P_IN, TH_ACK);
	struct verdict v;

	established(&snat_tcp4);
	publish(HELD, GEN, 0, false);
	expect_kernel(P_IN, &o, RD_PASS_NETFILTER);
	publish(RD_NF_OFFLOAD_IPV4 | RD_NF_OFFLOAD_IPV6, GEN, 0, false);
	v = expect_forwarded(P_IN, &o, P_OUT1, ports[P_OUT1].nh4_mac); /* plain: no NAT */
	publish(OFFLOAD, GEN, 0, true);
	expect_kernel(P_IN, &o, RD_PASS_NETFILTER);
	publish(RD_NF_HOLD_IPV4 | RD_NF_OFFLOAD_IPV6 | RD_NF_HOLD_IPV6, GEN, 0, false);
	expect_kernel(P_IN, &o, RD_PASS_NETFILTER); /* IPv4 not offloaded */
	publish(OFFLOAD, GEN, 0, false);
	expect_offloaded(&snat_tcp4, ORIG, P_IN, P_OUT1, &o);
	(void)v;
}

/* What does not fit the egress MTU goes to the kernel (frag-needed). */
Test(ct_offload, too_big_for_the_egress_goes_to_the_kernel)
{
	struct ct_spec s = snat_udp4;
	struct frame f;

	s.orig.dst = s.reply.src = DST4_SMALL_MTU;
	s.reply.dst = "198.18.5.1";
	established(&s);
	f = flow_frame(&s, ORIG, P_IN, 0);
	expect_offloaded(&s, ORIG, P_IN, P_SMALL_MTU, &f);
	/* grow it past rdfp-mtu's 1280 */
	f = ipv4_packet(SRC4, DST4_SMALL_MTU, IPPROTO_UDP, 64, 1400);
	udp_of(&f)->source = htons(s.orig.sport);
	udp_of(&f)->dest = htons(s.orig.dport);
	udp_of(&f)->check = udp_csum(&f);
	expect_kernel(P_IN, &f, RD_PASS_FRAG_NEEDED);
}

/* An offloaded entry is kept alive as the kernel's refresh would: its
 * timeout goes back up to the configured established timeout. */
Test(ct_offload, the_fast_path_refreshes_the_entry)
{
	struct ct_spec s = snat_tcp4;
	struct frame o = flow_frame(&s, ORIG, P_IN, TH_ACK);
	long before, after;

	s.timeout_s = 30;
	established(&s);
	publish(OFFLOAD, GEN, 600, false);
	before = ct_timeout_of(&s);
	cr_assert(before > 0 && before <= 30, "timeout before: %ld", before);
	expect_offloaded(&s, ORIG, P_IN, P_OUT1, &o);
	after = ct_timeout_of(&s);
	cr_assert(after > 500 && after <= 600, "timeout after: %ld, want about 600", after);
}
