// SPDX-License-Identifier: GPL-2.0
/*
 * Conntrack offload's admission program (routerd_nf_admit, bpf/lib/
 * conntrack.h) on the real forward hook: BPF_PROG_TEST_RUN cannot give a
 * netfilter program a packet with a conntrack entry, so the test attaches
 * it as routerd does (bpf_link_create(BPF_NETFILTER), IPv4 and IPv6, at
 * RD_CT_ADMIT_PRIORITY) in the fixture's namespace and lets the kernel
 * forward frames sent from the neighbours' ends of the veths. What the
 * kernel forwards as an established flow is admitted, per direction, under
 * the current generation; what the ruleset drops, what is not yet
 * established, and anything under generation 0 is not.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <linux/netfilter/nf_conntrack_common.h>

#include <bpf/bpf.h>
#include <routerd/conntrack.h>

#include "daemon/datapath.h"
#include "ct_entry.h"
#include "fixture.h"

PACKET_SUITE(ct_admit);

#define GEN 3
/* not in the 6.1 uapi headers */
#define RD_BPF_PROG_TYPE_NETFILTER 32
#define RD_BPF_NETFILTER 45
#define RD_NFPROTO_IPV4 2
#define RD_NFPROTO_IPV6 10
#define RD_NF_INET_FORWARD 2

static struct routerd_bpf *nf;

/* bpf_link_create(prog, 0, BPF_NETFILTER) with pf, hook and priority, the
 * attribute filled by hand: link_create.netfilter starts at byte 16. */
static int nf_link(int prog_fd, __u32 pf)
{
	union bpf_attr attr;
	__u32 *w = (__u32 *)&attr;
	int fd;

	memset(&attr, 0, sizeof(attr));
	w[0] = (__u32)prog_fd;
	w[1] = 0;
	w[2] = RD_BPF_NETFILTER;
	w[3] = 0;
	w[4] = pf;
	w[5] = RD_NF_INET_FORWARD;
	w[6] = (__u32)RD_CT_ADMIT_PRIORITY;
	w[7] = 0;
	fd = (int)syscall(__NR_bpf, BPF_LINK_CREATE, &attr, sizeof(attr));
	cr_assert_geq(fd, 0, "BPF_LINK_CREATE netfilter pf %u: %s", pf, strerror(errno));
	return fd;
}

/* The program loaded as routerd loads it, and attached to both families. */
static void attach(void)
{
	struct bpf_program *p;

	nf = routerd_bpf__open();
	cr_assert_not_null(nf);
	p = nf->progs.routerd_nf_admit;
	cr_assert_eq(bpf_program__set_type(p, RD_BPF_PROG_TYPE_NETFILTER), 0);
	cr_assert_eq(bpf_program__set_expected_attach_type(p, RD_BPF_NETFILTER), 0);
	cr_assert_eq(bpf_program__set_autoload(p, true), 0);
	cr_assert_eq(rd_dp_size_maps(nf->obj), 0);
	cr_assert_eq(routerd_bpf__load(nf), 0, "load: %s", strerror(errno));
	nf_link(bpf_program__fd(p), RD_NFPROTO_IPV4);
	nf_link(bpf_program__fd(p), RD_NFPROTO_IPV6);
	/* Conntrack runs in a namespace only once something uses it: here, a
	 * stateful forward chain that accepts everything, as any ruleset
	 * with `ct state` would. (Without conntrack there is no entry, and
	 * nothing is admitted.) */
	cr_assert_eq(system("nft 'add table inet rdct_test; "
			    "add chain inet rdct_test fw { type filter hook forward priority 0; }; "
			    "add chain inet rdct_test pre { type filter hook prerouting priority 0; }; "
			    "add rule inet rdct_test pre ct state new,established counter'"), 0);
}

static void generation(__u32 gen)
{
	struct rd_cache_ctl ctl = { .valid_until_ns = ~0ull, .ct_generation = gen };
	__u32 zero = 0;

	cr_assert_eq(bpf_map__update_elem(nf->maps.rd_cache_ctl, &zero, sizeof(zero), &ctl,
					  sizeof(ctl), 0), 0);
}

/* A frame from the neighbour on port `p`, sent into the router there. */
static void send_from(enum port_id p, const struct frame *f)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_halen = ETH_ALEN };
	int fd = socket(AF_PACKET, SOCK_RAW, 0);

	cr_assert_geq(fd, 0);
	sll.sll_ifindex = (int)if_nametoindex(ports[p].peer);
	cr_assert_gt(sll.sll_ifindex, 0);
	cr_assert_eq(sendto(fd, f->data, f->len, 0, (struct sockaddr *)&sll, sizeof(sll)),
		     (ssize_t)f->len, "send: %s", strerror(errno));
	close(fd);
}

static struct frame udp_frame(const struct ct_spec *s, bool reply, enum port_id from)
{
	const struct ct_tuple *t = reply ? &s->reply : &s->orig;
	bool v4 = s->family == AF_INET;
	struct frame f = v4 ? ipv4_packet(t->src, t->dst, IPPROTO_UDP, 64, 100)
			    : ipv6_packet(t->src, t->dst, IPPROTO_UDP, 64, 100);
	__u16 *ports_ = (__u16 *)(v4 ? L4_4(&f) : L4_6(&f));

	fill_eth(&f, ports[from].mac, v4 ? ports[from].nh4_mac : ports[from].nh6_mac,
		 v4 ? ETH_P_IP : ETH_P_IPV6);
	ports_[0] = htons(t->sport);
	ports_[1] = htons(t->dport);
	if (!v4) { /* IPv6 requires the UDP checksum */
		__u8 buf[40 + 60];
		size_t len = 60;

		memset(buf, 0, sizeof(buf));
		ports_[3] = 0;
		memcpy(buf, &IP6(&f)->saddr, 32);
		buf[35] = (__u8)len;
		buf[39] = IPPROTO_UDP;
		memcpy(buf + 40, L4_6(&f), len);
		ports_[3] = inet_csum(buf, sizeof(buf)) ?: 0xffff;
	}
	return f;
}

/* rd_ct_admit[the flow], waiting up to a second for the kernel to forward
 * what was sent; false if there is none. */
static bool admitted(const struct ct_spec *s, struct rd_ct_admit *a, __u32 want_dirs)
{
	struct rd_ct_key k;

	ct_admit_key(s, &k);
	for (int i = 0; i < 100; i++) {
		if (!bpf_map__lookup_elem(nf->maps.rd_ct_admit, &k, sizeof(k), a, sizeof(*a), 0) &&
		    (a->dirs & want_dirs) == want_dirs)
			return true;
		usleep(10000);
	}
	return false;
}

static const struct ct_spec udp4_flow = {
	.family = AF_INET, .proto = IPPROTO_UDP,
	.orig = { SRC4, DST4_OUT1, 4242, 53 },
	.reply = { DST4_OUT1, SRC4, 53, 4242 },
	.status = IPS_SEEN_REPLY, .timeout_s = 60,
};

static const struct ct_spec udp6_flow = {
	.family = AF_INET6, .proto = IPPROTO_UDP,
	.orig = { SRC6, DST6_OUT1, 4242, 53 },
	.reply = { DST6_OUT1, SRC6, 53, 4242 },
	.status = IPS_SEEN_REPLY, .timeout_s = 60,
};

Test(ct_admit, an_established_flow_is_admitted_per_direction)
{
	struct frame o = udp_frame(&udp4_flow, false, P_IN), r = udp_frame(&udp4_flow, true, P_OUT1);
	struct frame o6 = udp_frame(&udp6_flow, false, P_IN);
	struct rd_ct_admit a;

	attach();
	generation(GEN);
	cr_assert_eq(ct_create(&udp4_flow), 0);
	cr_assert_eq(ct_create(&udp6_flow), 0);
	send_from(P_IN, &o);
	cr_assert(admitted(&udp4_flow, &a, RD_CT_DIR_ORIGINAL), "original direction not admitted");
	cr_assert_eq(a.generation, GEN);
	cr_assert_eq(a.dirs, RD_CT_DIR_ORIGINAL, "dirs %u: only the original direction passed",
		     a.dirs);
	send_from(P_OUT1, &r);
	cr_assert(admitted(&udp4_flow, &a, RD_CT_DIR_ORIGINAL | RD_CT_DIR_REPLY),
		  "reply direction not admitted (dirs %u)", a.dirs);
	/* a new generation: admitted afresh, one direction at a time */
	generation(GEN + 1);
	send_from(P_OUT1, &r);
	for (int i = 0; i < 100 && (!admitted(&udp4_flow, &a, RD_CT_DIR_REPLY) ||
				    a.generation != GEN + 1); i++)
		usleep(10000);
	cr_assert_eq(a.generation, GEN + 1);
	cr_assert_eq(a.dirs, RD_CT_DIR_REPLY, "dirs %u after the bump", a.dirs);
	send_from(P_IN, &o6);
	cr_assert(admitted(&udp6_flow, &a, RD_CT_DIR_ORIGINAL), "IPv6 not admitted");
}

Test(ct_admit, what_the_ruleset_drops_is_not_admitted)
{
	struct frame o = udp_frame(&udp4_flow, false, P_IN);
	struct rd_ct_admit a;

	attach();
	generation(GEN);
	cr_assert_eq(ct_create(&udp4_flow), 0);
	cr_assert_eq(system("nft add rule inet rdct_test fw udp dport 53 drop"), 0);
	send_from(P_IN, &o);
	cr_assert_not(admitted(&udp4_flow, &a, RD_CT_DIR_ORIGINAL), "a dropped packet admitted");
	cr_assert_eq(system("nft flush chain inet rdct_test fw"), 0);
	send_from(P_IN, &o);
	cr_assert(admitted(&udp4_flow, &a, RD_CT_DIR_ORIGINAL), "accepted packet not admitted");
}

Test(ct_admit, new_flows_and_generation_0_are_not_admitted)
{
	struct frame o = udp_frame(&udp4_flow, false, P_IN);
	struct rd_ct_admit a;

	attach();
	generation(GEN);
	send_from(P_IN, &o); /* no entry yet: the kernel makes a NEW one */
	send_from(P_IN, &o); /* still NEW: no reply seen */
	cr_assert_not(admitted(&udp4_flow, &a, RD_CT_DIR_ORIGINAL), "a NEW flow admitted");
	/* the reply makes it established; under generation 0 nothing counts */
	generation(0);
	{
		struct frame r = udp_frame(&udp4_flow, true, P_OUT1);

		send_from(P_OUT1, &r);
		send_from(P_IN, &o);
	}
	cr_assert_not(admitted(&udp4_flow, &a, RD_CT_DIR_ORIGINAL), "admitted under generation 0");
	generation(GEN);
	send_from(P_IN, &o);
	cr_assert(admitted(&udp4_flow, &a, RD_CT_DIR_ORIGINAL), "established flow not admitted");
}
