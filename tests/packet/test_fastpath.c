// SPDX-License-Identifier: GPL-2.0
/*
 * Packet tests of the XDP fast path.
 *
 * Every test runs the real program (routerd.skel.h) with BPF_PROG_TEST_RUN
 * in a network namespace of its own: criterion forks each test, and the
 * fixture unshares the namespace and builds this topology with ip(8):
 *
 *   port          router side            neighbour (v4 / v6 lladdr)    in maps
 *   rdfp-in       198.18.1.1 2001:db8:1::1  .1.2 04:01 / ::2 06:01     ifaces+tx
 *   rdfp-out1     198.18.2.1 2001:db8:2::1  .2.2 04:02 / ::2 06:02     ifaces+tx
 *   rdfp-out2     198.18.3.1 2001:db8:3::1  .3.2 04:03 / ::2 06:03     ifaces+tx
 *   rdfp-unm      198.18.4.1 2001:db8:4::1  .4.2 04:04 / ::2 06:04     none
 *   rdfp-mtu      198.18.5.1 2001:db8:5::1  .5.2 04:05 / ::2 06:05     ifaces+tx
 *                 (MTU 1280)
 *
 * (MACs 02:00:00:00:x:y.) Each port is a veth whose peer (NAME-p) is up and
 * carries the v4 neighbour's MAC. The routes behind the DST4_* and DST6_*
 * addresses below give each verdict its own prefix. Frames come from the
 * host behind rdfp-in unless a test says otherwise.
 *
 * Each run snapshots the per-CPU counters before and after, so every test
 * checks that exactly one counter moved, by one, in the ingress port's slot.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <linux/icmp.h>
#include <linux/icmpv6.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <routerd/maps.h>
#include "routerd.skel.h"

/* ------------------------------------------------------------------ */
/* Topology                                                            */

enum port_id { P_IN, P_OUT1, P_OUT2, P_UNMANAGED, P_SMALL_MTU, P__COUNT };

struct port {
	const char *name, *peer;
	__u8 mac[ETH_ALEN];          /* the router's interface */
	const char *addr4, *addr6;   /* its addresses, with prefix length */
	const char *nh4, *nh6;       /* the neighbour on the link */
	__u8 nh4_mac[ETH_ALEN], nh6_mac[ETH_ALEN];
	unsigned mtu;
	bool managed;                /* in rd_ifaces (slot = id + 1) and rd_tx */
	int ifindex;                 /* filled in by setup() */
};

#define MAC(x, y) { 0x02, 0, 0, 0, x, y }

static struct port ports[P__COUNT] = {
	[P_IN] = { "rdfp-in", "rdfp-in-p", MAC(1, 1), "198.18.1.1/24", "2001:db8:1::1/64",
		   "198.18.1.2", "2001:db8:1::2", MAC(4, 1), MAC(6, 1), 1500, true },
	[P_OUT1] = { "rdfp-out1", "rdfp-out1-p", MAC(1, 2), "198.18.2.1/24", "2001:db8:2::1/64",
		     "198.18.2.2", "2001:db8:2::2", MAC(4, 2), MAC(6, 2), 1500, true },
	[P_OUT2] = { "rdfp-out2", "rdfp-out2-p", MAC(1, 3), "198.18.3.1/24", "2001:db8:3::1/64",
		     "198.18.3.2", "2001:db8:3::2", MAC(4, 3), MAC(6, 3), 1500, true },
	[P_UNMANAGED] = { "rdfp-unm", "rdfp-unm-p", MAC(1, 4), "198.18.4.1/24", "2001:db8:4::1/64",
			  "198.18.4.2", "2001:db8:4::2", MAC(4, 4), MAC(6, 4), 1500, false },
	[P_SMALL_MTU] = { "rdfp-mtu", "rdfp-mtu-p", MAC(1, 5), "198.18.5.1/24", "2001:db8:5::1/64",
			  "198.18.5.2", "2001:db8:5::2", MAC(4, 5), MAC(6, 5), 1280, true },
};

/* The sender behind rdfp-in. */
#define SRC4 "198.18.1.2"
#define SRC6 "2001:db8:1::2"

/* Destinations, one prefix per verdict. */
#define DST4_OUT1 "198.18.100.7"
#define DST6_OUT1 "2001:db8:100::7"
#define DST4_OUT2 "198.18.101.7"
#define DST6_OUT2 "2001:db8:101::7"
#define DST4_UNMANAGED "198.18.102.7"
#define DST6_UNMANAGED "2001:db8:102::7"
#define DST4_SMALL_MTU "198.18.103.7"
#define DST6_SMALL_MTU "2001:db8:103::7"
#define DST4_NO_NEIGH "198.18.104.7"
#define DST6_NO_NEIGH "2001:db8:104::7"
#define DST4_BLACKHOLE "198.18.105.7"
#define DST6_BLACKHOLE "2001:db8:105::7"
#define DST4_UNREACHABLE "198.18.106.7"
#define DST6_UNREACHABLE "2001:db8:106::7"
#define DST4_PROHIBIT "198.18.107.7"
#define DST6_PROHIBIT "2001:db8:107::7"
#define DST4_VIA_V6_NH "198.18.108.7"  /* RFC 8950: via inet6 2001:db8:3::2 */
#define DST4_HAIRPIN "198.18.109.7"
#define DST6_HAIRPIN "2001:db8:109::7"
#define DST4_ROUTE_MTU "198.18.110.7"  /* via out1, mtu lock ROUTE_MTU */
#define ROUTE_MTU 1000                 /* as in the route below */
#define LOCAL4 "198.18.1.1"
#define LOCAL6 "2001:db8:1::1"

static const char *const routes[] = {
	"route add 198.18.100.0/24 via 198.18.2.2 dev rdfp-out1",
	"route add 2001:db8:100::/48 via 2001:db8:2::2 dev rdfp-out1",
	"route add 198.18.101.0/24 via 198.18.3.2 dev rdfp-out2",
	"route add 2001:db8:101::/48 via 2001:db8:3::2 dev rdfp-out2",
	"route add 198.18.102.0/24 via 198.18.4.2 dev rdfp-unm",
	"route add 2001:db8:102::/48 via 2001:db8:4::2 dev rdfp-unm",
	"route add 198.18.103.0/24 via 198.18.5.2 dev rdfp-mtu",
	"route add 2001:db8:103::/48 via 2001:db8:5::2 dev rdfp-mtu",
	"route add 198.18.104.0/24 via 198.18.2.99 dev rdfp-out1",
	"route add 2001:db8:104::/48 via 2001:db8:2::99 dev rdfp-out1",
	"route add blackhole 198.18.105.0/24",
	"route add blackhole 2001:db8:105::/48",
	"route add unreachable 198.18.106.0/24",
	"route add unreachable 2001:db8:106::/48",
	"route add prohibit 198.18.107.0/24",
	"route add prohibit 2001:db8:107::/48",
	"route add 198.18.108.0/24 via inet6 2001:db8:3::2 dev rdfp-out2",
	"route add 198.18.109.0/24 via 198.18.1.2 dev rdfp-in",
	"route add 2001:db8:109::/48 via 2001:db8:1::2 dev rdfp-in",
	"route add 198.18.110.0/24 via 198.18.2.2 dev rdfp-out1 mtu lock 1000",
};

static struct routerd_bpf *skel;

static const char *mac_str(const __u8 *m)
{
	static char buf[4][18];
	static int next;
	char *s = buf[next++ % 4];

	snprintf(s, sizeof(buf[0]), "%02x:%02x:%02x:%02x:%02x:%02x",
		 m[0], m[1], m[2], m[3], m[4], m[5]);
	return s;
}

static void write_sysctl(const char *path, const char *value)
{
	FILE *f = fopen(path, "w");

	cr_assert_not_null(f, "open %s: %s", path, strerror(errno));
	cr_assert_gt(fputs(value, f), -1, "write %s", path);
	cr_assert_eq(fclose(f), 0, "write %s: %s", path, strerror(errno));
}

static void set_ipv4_forwarding(bool on)
{
	write_sysctl("/proc/sys/net/ipv4/ip_forward", on ? "1" : "0");
}

static void set_ipv6_forwarding(bool on)
{
	write_sysctl("/proc/sys/net/ipv6/conf/all/forwarding", on ? "1" : "0");
}

/* All of ip(8)'s work in one process: `ip -batch -` stops at the first
 * failing line and exits non-zero. */
static void build_topology(void)
{
	FILE *ip = popen("ip -batch -", "w");
	const struct port *p;

	cr_assert_not_null(ip, "popen ip: %s", strerror(errno));
	fprintf(ip, "link set lo up\n");
	for (p = ports; p < ports + P__COUNT; p++) {
		fprintf(ip, "link add name %s address %s mtu %u type veth peer name %s address %s mtu %u\n",
			p->name, mac_str(p->mac), p->mtu, p->peer, mac_str(p->nh4_mac), p->mtu);
		fprintf(ip, "link set %s up\nlink set %s up\n", p->peer, p->name);
		fprintf(ip, "addr add %s dev %s\n", p->addr4, p->name);
		fprintf(ip, "addr add %s dev %s nodad\n", p->addr6, p->name);
		fprintf(ip, "neigh add %s lladdr %s nud permanent dev %s\n",
			p->nh4, mac_str(p->nh4_mac), p->name);
		fprintf(ip, "neigh add %s lladdr %s nud permanent dev %s\n",
			p->nh6, mac_str(p->nh6_mac), p->name);
	}
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
		fprintf(ip, "%s\n", routes[i]);
	cr_assert_eq(pclose(ip), 0, "ip -batch failed (see its errors above)");
}

static __u32 slot_of(enum port_id p)
{
	return ports[p].managed ? (__u32)p + 1 : RD_SLOT_UNCONFIGURED;
}

/* What the daemon writes for a managed port: its description for frames
 * received there, and its devmap entry for frames sent there. */
static void fill_maps(void)
{
	for (enum port_id id = 0; id < P__COUNT; id++) {
		struct port *p = &ports[id];
		struct rd_iface ifc = { .slot = slot_of(id) };
		struct bpf_devmap_val tx = { .ifindex = (__u32)p->ifindex };
		__u32 key = (__u32)p->ifindex;

		if (!p->managed)
			continue;
		memcpy(ifc.mac, p->mac, ETH_ALEN);
		cr_assert_eq(bpf_map__update_elem(skel->maps.rd_ifaces, &key, sizeof(key), &ifc,
						  sizeof(ifc), BPF_ANY), 0, "rd_ifaces[%s]", p->name);
		cr_assert_eq(bpf_map__update_elem(skel->maps.rd_tx, &key, sizeof(key), &tx,
						  sizeof(tx), BPF_ANY), 0, "rd_tx[%s]", p->name);
	}
}

static void setup(void)
{
	cr_assert_eq(unshare(CLONE_NEWNET), 0, "unshare(CLONE_NEWNET): %s (needs root)",
		     strerror(errno));
	/* per-namespace; set before the links exist so they inherit it */
	set_ipv4_forwarding(true);
	set_ipv6_forwarding(true);
	build_topology();
	for (struct port *p = ports; p < ports + P__COUNT; p++) {
		p->ifindex = (int)if_nametoindex(p->name);
		cr_assert_gt(p->ifindex, 0, "if_nametoindex(%s)", p->name);
	}
	skel = routerd_bpf__open_and_load();
	cr_assert_not_null(skel, "routerd_bpf__open_and_load: %s", strerror(errno));
	fill_maps();
}

static void teardown(void)
{
	routerd_bpf__destroy(skel); /* the namespace goes with the process */
	skel = NULL;
}

TestSuite(forward, .init = setup, .fini = teardown, .timeout = 20);
TestSuite(pass, .init = setup, .fini = teardown, .timeout = 20);
TestSuite(malformed, .init = setup, .fini = teardown, .timeout = 20);
TestSuite(drop, .init = setup, .fini = teardown, .timeout = 20);

/* ------------------------------------------------------------------ */
/* Frames                                                              */

#define FRAME_MAX 2048
/* from <netinet/ip.h>, which would clash with <linux/ip.h> */
#define IP_DF 0x4000
#define IP_MF 0x2000

struct frame {
	__u32 len;
	__u8 data[FRAME_MAX];
};

#define ETH(f) ((struct ethhdr *)(f)->data)
#define IP4(f) ((struct iphdr *)((f)->data + ETH_HLEN))
#define IP6(f) ((struct ipv6hdr *)((f)->data + ETH_HLEN))
#define L4_4(f) ((__u8 *)IP4(f) + IP4(f)->ihl * 4)
#define L4_6(f) ((__u8 *)(IP6(f) + 1))

/* RFC 1071 over LEN bytes; returns the checksum as it is stored. */
static __u16 inet_csum(const void *data, size_t len)
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

/* The checksum an IPv4 header should carry, computed from scratch. */
static __u16 ipv4_csum(const struct iphdr *ip)
{
	__u8 hdr[60];
	size_t len = ip->ihl < 5 ? sizeof(*ip) : ip->ihl * 4u; /* IHL < 5: the fixed part */

	memcpy(hdr, ip, len);
	((struct iphdr *)hdr)->check = 0;
	return inet_csum(hdr, len);
}

static void ipv4_fix_csum(struct frame *f)
{
	IP4(f)->check = ipv4_csum(IP4(f));
}

static void parse_addr(int af, const char *s, void *out)
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

static void fill_eth(struct frame *f, const __u8 *dst, const __u8 *src, __u16 proto)
{
	memcpy(ETH(f)->h_dest, dst, ETH_ALEN);
	memcpy(ETH(f)->h_source, src, ETH_ALEN);
	ETH(f)->h_proto = htons(proto);
}

/* An IPv4 packet of TOT_LEN bytes (header included) from the host behind
 * rdfp-in to the router's MAC, with a correct header checksum. */
static struct frame ipv4_packet(const char *src, const char *dst, __u8 proto, __u8 ttl,
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

/* An IPv6 packet of L3_LEN bytes (header included), as above. */
static struct frame ipv6_packet(const char *src, const char *dst, __u8 nexthdr, __u8 hop_limit,
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

/* The everyday packets: 100 bytes at L3, TTL 64. */
static struct frame udp4(const char *dst)
{
	return ipv4_packet(SRC4, dst, IPPROTO_UDP, 64, 100);
}

static struct frame udp6(const char *dst)
{
	return ipv6_packet(SRC6, dst, IPPROTO_UDP, 64, 100);
}

/* ------------------------------------------------------------------ */
/* Counters                                                            */

#define N_EVENTS RD_EV__MAX
#define N_COUNTERS (RD_EV__MAX + RD_PASS__MAX + RD_DROP__MAX)
_Static_assert(sizeof(struct rd_stats) == N_COUNTERS * sizeof(__u64), "rd_stats is flat");

enum counter_kind { EVENT, PASS, DROP };

#define KEY(name, key) key,
static const char *const event_names[] = { RD_EVENTS(KEY) };
static const char *const pass_names[] = { RD_PASS_REASONS(KEY) };
static const char *const drop_names[] = { RD_DROP_REASONS(KEY) };

struct counter {
	__u32 slot;
	enum counter_kind kind;
	unsigned index;
};

static struct counter counter_at(__u32 slot, unsigned flat)
{
	if (flat < N_EVENTS)
		return (struct counter){ slot, EVENT, flat };
	if (flat < N_EVENTS + RD_PASS__MAX)
		return (struct counter){ slot, PASS, flat - N_EVENTS };
	return (struct counter){ slot, DROP, flat - N_EVENTS - RD_PASS__MAX };
}

static const char *counter_str(struct counter c)
{
	static char buf[4][64];
	static int next;
	char *s = buf[next++ % 4];

	snprintf(s, sizeof(buf[0]), "%s.%s in slot %u",
		 c.kind == EVENT ? "events" : c.kind == PASS ? "pass" : "drop",
		 c.kind == EVENT ? event_names[c.index] : c.kind == PASS ? pass_names[c.index]
									 : drop_names[c.index],
		 c.slot);
	return s;
}

/* rd_stats summed over the CPUs, one row per slot. */
static __u64 stats_before[RD_MAX_IFACES][N_COUNTERS], stats_after[RD_MAX_IFACES][N_COUNTERS];

static void read_stats(__u64 sums[RD_MAX_IFACES][N_COUNTERS])
{
	int ncpus = libbpf_num_possible_cpus();
	int fd = bpf_map__fd(skel->maps.rd_stats);
	__u64 *percpu;

	cr_assert_gt(ncpus, 0);
	percpu = calloc((size_t)ncpus, sizeof(struct rd_stats));
	cr_assert_not_null(percpu);
	for (__u32 slot = 0; slot < RD_MAX_IFACES; slot++) {
		cr_assert_eq(bpf_map_lookup_elem(fd, &slot, percpu), 0, "rd_stats[%u]", slot);
		memset(sums[slot], 0, sizeof(sums[slot]));
		for (int cpu = 0; cpu < ncpus; cpu++)
			for (unsigned i = 0; i < N_COUNTERS; i++)
				sums[slot][i] += percpu[(size_t)cpu * N_COUNTERS + i];
	}
	free(percpu);
}

/* ------------------------------------------------------------------ */
/* Running the program                                                 */

struct verdict {
	int action;
	struct frame out;
	unsigned n_moved;       /* counters that changed during the run */
	struct counter moved;   /* the first of them */
	__u64 delta;            /* and by how much */
};

static const char *action_str(int action)
{
	static const char *const names[] = { "XDP_ABORTED", "XDP_DROP", "XDP_PASS", "XDP_TX",
					     "XDP_REDIRECT" };

	return action >= 0 && action <= XDP_REDIRECT ? names[action] : "XDP_?";
}

static const char *verdict_str(const struct verdict *v)
{
	static char buf[128];

	if (!v->n_moved)
		snprintf(buf, sizeof(buf), "%s, no counter moved", action_str(v->action));
	else
		snprintf(buf, sizeof(buf), "%s, %u counter(s) moved, first %s by %llu",
			 action_str(v->action), v->n_moved, counter_str(v->moved),
			 (unsigned long long)v->delta);
	return buf;
}

static void diff_stats(struct verdict *v)
{
	v->n_moved = 0;
	for (__u32 slot = 0; slot < RD_MAX_IFACES; slot++)
		for (unsigned i = 0; i < N_COUNTERS; i++) {
			if (stats_after[slot][i] == stats_before[slot][i])
				continue;
			if (!v->n_moved++) {
				v->moved = counter_at(slot, i);
				v->delta = stats_after[slot][i] - stats_before[slot][i];
			}
		}
}

/* Names the case in every failure message of the parameterized tests,
 * whose TAP lines all carry the same name. */
static char label[96];

static void set_label(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void set_label(const char *fmt, ...)
{
	va_list ap;

	label[0] = '[';
	va_start(ap, fmt);
	vsnprintf(label + 1, sizeof(label) - 3, fmt, ap);
	va_end(ap);
	strcat(label, "] ");
}

static void expect_bytes(const __u8 *got, const __u8 *want, size_t len, const char *what)
{
	for (size_t i = 0; i < len; i++)
		cr_assert_eq(got[i], want[i], "%s%s: byte %zu is 0x%02x, want 0x%02x", label, what,
			     i, got[i], want[i]);
}

/* One BPF_PROG_TEST_RUN of IN received on INGRESS. Returns 0 or -errno.
 *
 * The kernel wants at least ETH_HLEN bytes of input; a shorter frame is
 * padded with zeros that go into a fragment (on kernels where ctx.data_end
 * sets the linear part, as 6.18 does), so the program sees only IN->len. */
static int try_run(int ingress_ifindex, const struct frame *in, __u32 flags, struct verdict *v)
{
	bool live = flags & BPF_F_TEST_XDP_LIVE_FRAMES;
	__u32 size_in = in->len < ETH_HLEN ? ETH_HLEN : in->len;
	__u8 data[FRAME_MAX] = { 0 }, out[FRAME_MAX + 256];
	struct xdp_md ctx = { .data_end = in->len, .ingress_ifindex = (__u32)ingress_ifindex };
	LIBBPF_OPTS(bpf_test_run_opts, opts,
		.data_in = data, .data_size_in = size_in,
		.data_out = live ? NULL : out, .data_size_out = live ? 0 : sizeof(out),
		.ctx_in = &ctx, .ctx_size_in = sizeof(ctx),
		.repeat = 1, .flags = flags);
	int rc;

	memcpy(data, in->data, in->len);
	memset(v, 0, sizeof(*v));
	read_stats(stats_before);
	rc = bpf_prog_test_run_opts(bpf_program__fd(skel->progs.routerd_xdp), &opts);
	if (rc)
		return -errno;
	read_stats(stats_after);
	diff_stats(v);
	v->action = (int)opts.retval;
	if (!live) {
		cr_assert_eq(opts.data_size_out, size_in, "%soutput of %u bytes, input %u", label,
			     opts.data_size_out, size_in);
		expect_bytes(out + in->len, data + in->len, size_in - in->len, "padding fragment");
		v->out.len = in->len;
		memcpy(v->out.data, out, in->len);
	}
	return 0;
}

static struct verdict run(enum port_id ingress, const struct frame *in)
{
	struct verdict v;
	int rc = try_run(ports[ingress].ifindex, in, 0, &v);

	if (rc == -EINVAL && in->len < ETH_HLEN)
		cr_skip_test("this kernel's BPF_PROG_TEST_RUN cannot present a linear part shorter "
			     "than %d bytes", ETH_HLEN);
	cr_assert_eq(rc, 0, "%sBPF_PROG_TEST_RUN of a %u-byte frame: %s", label, in->len,
		     strerror(-rc));
	return v;
}

/* ------------------------------------------------------------------ */
/* Expectations                                                        */

static void expect_frame(const struct frame *got, const struct frame *want, const char *what)
{
	cr_assert_eq(got->len, want->len, "%s%s: %u bytes, want %u", label, what, got->len,
		     want->len);
	expect_bytes(got->data, want->data, want->len, what);
}

static void expect_counted(const struct verdict *v, __u32 slot, enum counter_kind kind,
			   unsigned index)
{
	struct counter want = { slot, kind, index };

	cr_assert(v->n_moved == 1 && v->delta == 1 && v->moved.slot == slot &&
		  v->moved.kind == kind && v->moved.index == index,
		  "%scounted: %s; want %s by 1 and nothing else", label, verdict_str(v),
		  counter_str(want));
}

/* The program hands the frame to the kernel (or drops it) untouched. */
static void expect_untouched(enum port_id ingress, const struct frame *in, int action,
			     enum counter_kind kind, unsigned reason)
{
	struct verdict v = run(ingress, in);

	cr_assert_eq(v.action, action, "%sverdict %s; want %s", label, verdict_str(&v),
		     action_str(action));
	expect_frame(&v.out, in, "frame handed on");
	expect_counted(&v, slot_of(ingress), kind, reason);
}

static void expect_pass(enum port_id ingress, const struct frame *in, enum rd_pass_reason why)
{
	expect_untouched(ingress, in, XDP_PASS, PASS, why);
}

static void expect_drop(enum port_id ingress, const struct frame *in, enum rd_drop_reason why)
{
	expect_untouched(ingress, in, XDP_DROP, DROP, why);
}

/* Redirected out of EGRESS to the neighbour NH_MAC: MACs rewritten, TTL or
 * hop limit one less, IPv4 checksum right, every other byte as it came. */
static struct verdict expect_forwarded(enum port_id ingress, const struct frame *in,
				       enum port_id egress, const __u8 *nh_mac)
{
	struct verdict v = run(ingress, in);
	struct frame want = *in;
	bool v4 = ETH(in)->h_proto == htons(ETH_P_IP);

	cr_assert_eq(v.action, XDP_REDIRECT, "%sverdict %s; want XDP_REDIRECT", label,
		     verdict_str(&v));
	cr_assert_eq(v.out.len, in->len, "%soutput %u bytes, want %u", label, v.out.len, in->len);
	cr_assert_arr_eq(ETH(&v.out)->h_dest, nh_mac, ETH_ALEN, "%sdst MAC %s, want %s (neighbour)",
			 label, mac_str(ETH(&v.out)->h_dest), mac_str(nh_mac));
	cr_assert_arr_eq(ETH(&v.out)->h_source, ports[egress].mac, ETH_ALEN,
			 "%ssrc MAC %s, want %s (%s)", label, mac_str(ETH(&v.out)->h_source),
			 mac_str(ports[egress].mac), ports[egress].name);
	memcpy(ETH(&want)->h_dest, nh_mac, ETH_ALEN);
	memcpy(ETH(&want)->h_source, ports[egress].mac, ETH_ALEN);
	if (v4) {
		cr_assert_eq(IP4(&v.out)->ttl, IP4(in)->ttl - 1, "%sTTL %u, want %u", label,
			     IP4(&v.out)->ttl, IP4(in)->ttl - 1);
		cr_assert_eq(IP4(&v.out)->check, ipv4_csum(IP4(&v.out)),
			     "%sIPv4 checksum 0x%04x (input 0x%04x), recomputed 0x%04x", label,
			     ntohs(IP4(&v.out)->check), ntohs(IP4(in)->check),
			     ntohs(ipv4_csum(IP4(&v.out))));
		IP4(&want)->ttl--;
		ipv4_fix_csum(&want);
	} else {
		cr_assert_eq(IP6(&v.out)->hop_limit, IP6(in)->hop_limit - 1,
			     "%shop limit %u, want %u", label, IP6(&v.out)->hop_limit,
			     IP6(in)->hop_limit - 1);
		IP6(&want)->hop_limit--;
	}
	expect_frame(&v.out, &want, "forwarded frame");
	expect_counted(&v, slot_of(ingress),
		       EVENT, v4 ? RD_EV_FORWARDED_IPV4 : RD_EV_FORWARDED_IPV6);
	return v;
}

static void expect_forwarded4(const struct frame *in, enum port_id egress)
{
	expect_forwarded(P_IN, in, egress, ports[egress].nh4_mac);
}

static void expect_forwarded6(const struct frame *in, enum port_id egress)
{
	expect_forwarded(P_IN, in, egress, ports[egress].nh6_mac);
}

/* ------------------------------------------------------------------ */
/* Forwarded                                                           */

Test(forward, ipv4_udp)
{
	struct frame f = udp4(DST4_OUT1);

	expect_forwarded4(&f, P_OUT1);
}

Test(forward, ipv4_tcp)
{
	struct frame f = ipv4_packet(SRC4, DST4_OUT1, IPPROTO_TCP, 64, 120);

	expect_forwarded4(&f, P_OUT1);
}

Test(forward, ipv4_icmp_echo)
{
	struct frame f = ipv4_packet(SRC4, DST4_OUT1, IPPROTO_ICMP, 64, 84);

	expect_forwarded4(&f, P_OUT1);
}

Test(forward, ipv6_udp)
{
	struct frame f = udp6(DST6_OUT1);

	expect_forwarded6(&f, P_OUT1);
}

Test(forward, ipv6_tcp)
{
	struct frame f = ipv6_packet(SRC6, DST6_OUT1, IPPROTO_TCP, 64, 120);

	expect_forwarded6(&f, P_OUT1);
}

Test(forward, ipv6_icmp_echo)
{
	struct frame f = ipv6_packet(SRC6, DST6_OUT1, IPPROTO_ICMPV6, 64, 104);

	expect_forwarded6(&f, P_OUT1);
}

/* RFC 8950: the dst MAC is the IPv6 gateway's (06:03), not the IPv4
 * neighbour's on the same link (04:03); the packet keeps its addresses. */
Test(forward, ipv4_via_ipv6_nexthop)
{
	struct frame f = udp4(DST4_VIA_V6_NH);

	expect_forwarded(P_IN, &f, P_OUT2, ports[P_OUT2].nh6_mac);
}

/* Non-live runs do not execute the redirect; the rewritten MACs prove
 * which port the FIB chose, and each prefix picks a different one. */
Test(forward, egress_follows_the_fib)
{
	struct frame a4 = udp4(DST4_OUT1), b4 = udp4(DST4_OUT2);
	struct frame a6 = udp6(DST6_OUT1), b6 = udp6(DST6_OUT2);

	expect_forwarded4(&a4, P_OUT1);
	expect_forwarded4(&b4, P_OUT2);
	expect_forwarded6(&a6, P_OUT1);
	expect_forwarded6(&b6, P_OUT2);
}

/* Frames arriving on another managed port are routed and counted there. */
Test(forward, from_another_ingress)
{
	struct frame f = ipv4_packet("198.18.3.2", DST4_OUT1, IPPROTO_UDP, 64, 100);

	memcpy(ETH(&f)->h_dest, ports[P_OUT2].mac, ETH_ALEN);
	memcpy(ETH(&f)->h_source, ports[P_OUT2].nh4_mac, ETH_ALEN);
	expect_forwarded(P_OUT2, &f, P_OUT1, ports[P_OUT1].nh4_mac);
}

/* No room for ports: the ECMP hash falls back to L3, and the kernel would
 * forward such a packet too. */
Test(forward, tcp_without_ports)
{
	struct frame f4 = ipv4_packet(SRC4, DST4_OUT1, IPPROTO_TCP, 64, sizeof(struct iphdr));
	struct frame f6 = ipv6_packet(SRC6, DST6_OUT1, IPPROTO_TCP, 64, sizeof(struct ipv6hdr));

	expect_forwarded4(&f4, P_OUT1);
	expect_forwarded6(&f6, P_OUT1);
}

/* Fragments are forwarded as they are (their L4 bytes are not ports). */
Test(forward, ipv4_fragments)
{
	struct frame first = udp4(DST4_OUT1), later = udp4(DST4_OUT1);

	IP4(&first)->frag_off = htons(IP_MF);
	ipv4_fix_csum(&first);
	IP4(&later)->frag_off = htons(IP_MF | 100);
	ipv4_fix_csum(&later);
	expect_forwarded4(&first, P_OUT1);
	expect_forwarded4(&later, P_OUT1);
}

/* Ethernet padding after a short IPv4 packet is carried along untouched. */
Test(forward, ipv4_with_ethernet_padding)
{
	struct frame f = ipv4_packet(SRC4, DST4_OUT1, IPPROTO_UDP, 64, 28);

	f.len = 60;
	expect_forwarded4(&f, P_OUT1);
}

Test(forward, ttl_2_is_the_lowest_forwarded)
{
	struct frame f4 = ipv4_packet(SRC4, DST4_OUT1, IPPROTO_UDP, 2, 100);
	struct frame f6 = ipv6_packet(SRC6, DST6_OUT1, IPPROTO_UDP, 2, 100);

	expect_forwarded4(&f4, P_OUT1);
	expect_forwarded6(&f6, P_OUT1);
}

/* A packet of exactly the egress MTU still fits. */
Test(forward, exactly_the_egress_mtu)
{
	struct frame f4 = ipv4_packet(SRC4, DST4_SMALL_MTU, IPPROTO_UDP, 64, 1280);
	struct frame f6 = ipv6_packet(SRC6, DST6_SMALL_MTU, IPPROTO_UDP, 64, 1280);
	struct frame r4 = ipv4_packet(SRC4, DST4_ROUTE_MTU, IPPROTO_UDP, 64, ROUTE_MTU);

	expect_forwarded4(&f4, P_SMALL_MTU);
	expect_forwarded6(&f6, P_SMALL_MTU);
	expect_forwarded4(&r4, P_OUT1);
}

/* Checksum edges of the incremental TTL update (RFC 1624): headers whose
 * checksum field is CHECK before the decrement. The ID field is chosen so
 * that a from-scratch checksum gives CHECK; 0xffff, which no computation
 * yields, is the other zero of one's complement and equally valid. */
struct csum_case {
	__u16 check;
	__u8 ttl;
};

static struct frame ipv4_with_checksum(__u16 check, __u8 ttl)
{
	struct frame f = ipv4_packet(SRC4, DST4_OUT1, IPPROTO_UDP, ttl, 100);
	__u16 want = check == 0xffff ? 0 : check;
	__u32 rest, sum;

	/* sum of the header without ID; the ID must bring it to ~want */
	IP4(&f)->id = 0;
	rest = (__u16)~ntohs(ipv4_csum(IP4(&f)));
	sum = (__u16)~want + (__u16)~rest;
	sum = (sum & 0xffff) + (sum >> 16);
	IP4(&f)->id = htons((__u16)sum);
	cr_assert_eq(ntohs(ipv4_csum(IP4(&f))), want, "cannot build a header with checksum 0x%04x",
		     want);
	IP4(&f)->check = htons(check);
	cr_assert_eq(inet_csum(IP4(&f), sizeof(struct iphdr)), 0,
		     "the input header with checksum 0x%04x does not verify", check);
	return f;
}

ParameterizedTestParameters(forward, checksum_edges)
{
	static struct csum_case cases[] = {
		{ 0xfeff, 64 },  /* + 0x0100 = 0xffff, written as 0x0000 */
		{ 0x0000, 64 },  /* the zero a computation gives */
		{ 0xffff, 64 },  /* the other zero: the sum carries out */
		{ 0xfeff, 2 },   /* the wrap on the last forwardable TTL */
		{ 0x0000, 255 },
		{ 0xfffe, 64 },  /* carries out in the low byte (on big-endian words) */
	};

	return cr_make_param_array(struct csum_case, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct csum_case *c, forward, checksum_edges)
{
	struct frame f;

	set_label("checksum 0x%04x, TTL %u", c->check, c->ttl);
	f = ipv4_with_checksum(c->check, c->ttl);
	expect_forwarded4(&f, P_OUT1);
}

/* The frame really leaves through the port the FIB chose: with the peer's
 * GRO on, a redirect into a veth arrives there (otherwise it is dropped). */
static int packet_socket(const char *ifname)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL),
				   .sll_ifindex = (int)if_nametoindex(ifname) };
	int fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK, htons(ETH_P_ALL));

	cr_assert_geq(fd, 0, "AF_PACKET socket: %s", strerror(errno));
	cr_assert_eq(bind(fd, (struct sockaddr *)&sll, sizeof(sll)), 0, "bind to %s: %s", ifname,
		     strerror(errno));
	return fd;
}

/* Waits up to TIMEOUT_MS for WANT among the frames received on FD. */
static bool received(int fd, const struct frame *want, int timeout_ms)
{
	struct timespec start, now;
	__u8 buf[FRAME_MAX];

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		struct sockaddr_ll from;
		socklen_t fromlen = sizeof(from);
		ssize_t n;
		long left;

		while ((n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from,
				     &fromlen)) >= 0) {
			if (from.sll_pkttype != PACKET_OUTGOING && (size_t)n == want->len &&
			    !memcmp(buf, want->data, want->len))
				return true;
			fromlen = sizeof(from);
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		left = timeout_ms - ((now.tv_sec - start.tv_sec) * 1000 +
				     (now.tv_nsec - start.tv_nsec) / 1000000);
		if (left <= 0)
			return false;
		poll(&pfd, 1, (int)left);
	}
}

Test(forward, live_frame_leaves_through_the_chosen_port)
{
	struct frame f = udp4(DST4_OUT1);
	struct verdict expected = expect_forwarded(P_IN, &f, P_OUT1, ports[P_OUT1].nh4_mac);
	struct verdict live;
	int out1, out2, rc;

	cr_assert_eq(system("ethtool -K rdfp-out1-p gro on >/dev/null && "
			    "ethtool -K rdfp-out2-p gro on >/dev/null"), 0, "ethtool -K gro on");
	out1 = packet_socket(ports[P_OUT1].peer);
	out2 = packet_socket(ports[P_OUT2].peer);

	rc = try_run(ports[P_IN].ifindex, &f, BPF_F_TEST_XDP_LIVE_FRAMES, &live);
	cr_assert_eq(rc, 0, "live BPF_PROG_TEST_RUN: %s", strerror(-rc));
	expect_counted(&live, slot_of(P_IN), EVENT, RD_EV_FORWARDED_IPV4);

	cr_assert(received(out1, &expected.out, 2000),
		  "the forwarded frame did not arrive on %s", ports[P_OUT1].peer);
	cr_assert_not(received(out2, &expected.out, 0), "the frame also arrived on %s",
		      ports[P_OUT2].peer);
	close(out1);
	close(out2);
}

/* ------------------------------------------------------------------ */
/* Handed to the kernel                                                */

static const __u8 broadcast_mac[ETH_ALEN] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

/* An IPv4 packet to out1 whose header carries OPTS (a multiple of 4). */
static struct frame ipv4_with_options(const __u8 *opts, size_t len)
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

static const __u8 nop_option[4] = { IPOPT_NOOP, IPOPT_NOOP, IPOPT_NOOP, IPOPT_END };

/* UDP to out1 with an 802.1Q/802.1ad tag (VID 10) in front of the IPv4
 * ethertype. */
static struct frame vlan_tagged(__u16 tpid)
{
	struct frame f = udp4(DST4_OUT1);
	__be16 tag[2] = { htons(tpid), htons(10) };

	memmove(f.data + 2 * ETH_ALEN + sizeof(tag), f.data + 2 * ETH_ALEN, f.len - 2 * ETH_ALEN);
	memcpy(f.data + 2 * ETH_ALEN, tag, sizeof(tag));
	f.len += sizeof(tag);
	return f;
}

#define ARPOP_REQUEST_ 1
#define ARPOP_REPLY_ 2

/* Ethernet/IPv4 ARP between the host behind rdfp-in and the router. */
static struct frame arp(__u16 op, const __u8 *dst_mac)
{
	struct frame f = { .len = 60 }; /* padded to the Ethernet minimum */
	__u8 *a = f.data + ETH_HLEN;
	static const __u8 fixed[8] = { 0, 1, 0x08, 0x00, ETH_ALEN, 4 }; /* htype, ptype, hlen, plen */

	fill_eth(&f, dst_mac, ports[P_IN].nh4_mac, ETH_P_ARP);
	memcpy(a, fixed, sizeof(fixed));
	a[7] = (__u8)op;
	memcpy(a + 8, ports[P_IN].nh4_mac, ETH_ALEN);
	parse_addr(AF_INET, SRC4, a + 14);
	if (op == ARPOP_REPLY_)
		memcpy(a + 18, ports[P_IN].mac, ETH_ALEN);
	parse_addr(AF_INET, LOCAL4, a + 24);
	return f;
}

#define ND_NEIGHBOUR_SOLICITATION 135

/* A unicast neighbour solicitation (NUD probe) for a global address. */
static struct frame neighbour_solicitation(const char *target)
{
	struct frame f = ipv6_packet(SRC6, target, IPPROTO_ICMPV6, 255,
				     sizeof(struct ipv6hdr) + 24);
	__u8 *nd = L4_6(&f);

	memset(nd, 0, 24);
	nd[0] = ND_NEIGHBOUR_SOLICITATION;
	parse_addr(AF_INET6, target, nd + 8);
	return f;
}

Test(pass, ttl_ipv4)
{
	for (int ttl = 1; ttl >= 0; ttl--) {
		struct frame f = ipv4_packet(SRC4, DST4_OUT1, IPPROTO_UDP, (__u8)ttl, 100);

		expect_pass(P_IN, &f, RD_PASS_TTL);
	}
}

Test(pass, hop_limit_ipv6)
{
	for (int hops = 1; hops >= 0; hops--) {
		struct frame f = ipv6_packet(SRC6, DST6_OUT1, IPPROTO_UDP, (__u8)hops, 100);

		expect_pass(P_IN, &f, RD_PASS_TTL);
	}
}

/* The gateway has no neighbour entry: the kernel resolves it. */
Test(pass, no_neigh)
{
	struct frame f4 = udp4(DST4_NO_NEIGH), f6 = udp6(DST6_NO_NEIGH);

	expect_pass(P_IN, &f4, RD_PASS_NO_NEIGH);
	expect_pass(P_IN, &f6, RD_PASS_NO_NEIGH);
}

Test(pass, local)
{
	struct frame f4 = udp4(LOCAL4), f6 = udp6(LOCAL6);
	struct frame other4 = udp4("198.18.2.1"); /* the router's address on another port */

	expect_pass(P_IN, &f4, RD_PASS_LOCAL);
	expect_pass(P_IN, &f6, RD_PASS_LOCAL);
	expect_pass(P_IN, &other4, RD_PASS_LOCAL);
}

/* Broadcast on a connected subnet, and the subnet-router anycast address
 * of an IPv6 prefix: both are the router's to receive, not to forward. */
Test(pass, directed_broadcast_and_subnet_anycast_are_local)
{
	struct frame bcast = udp4("198.18.2.255"), anycast = udp6("2001:db8:2::");

	expect_pass(P_IN, &bcast, RD_PASS_LOCAL);
	expect_pass(P_IN, &anycast, RD_PASS_LOCAL);
}

/* No route at all (there is no default route here): the kernel answers. */
Test(pass, no_route_counts_as_local)
{
	struct frame f4 = udp4("198.19.200.1"), f6 = udp6("2001:db8:ffff::1");

	expect_pass(P_IN, &f4, RD_PASS_LOCAL);
	expect_pass(P_IN, &f6, RD_PASS_LOCAL);
}

/* One byte more than the egress (device or route) MTU: the kernel sends
 * frag-needed / packet-too-big (or fragments). */
Test(pass, frag_needed)
{
	struct frame f4 = ipv4_packet(SRC4, DST4_SMALL_MTU, IPPROTO_UDP, 64, 1281);
	struct frame f6 = ipv6_packet(SRC6, DST6_SMALL_MTU, IPPROTO_UDP, 64, 1281);
	struct frame r4 = ipv4_packet(SRC4, DST4_ROUTE_MTU, IPPROTO_UDP, 64, ROUTE_MTU + 1);

	expect_pass(P_IN, &f4, RD_PASS_FRAG_NEEDED);
	expect_pass(P_IN, &f6, RD_PASS_FRAG_NEEDED);
	expect_pass(P_IN, &r4, RD_PASS_FRAG_NEEDED);
}

Test(pass, arp)
{
	struct frame request = arp(ARPOP_REQUEST_, broadcast_mac);
	struct frame reply = arp(ARPOP_REPLY_, ports[P_IN].mac);

	expect_pass(P_IN, &request, RD_PASS_ARP);
	expect_pass(P_IN, &reply, RD_PASS_ARP);
}

Test(pass, nd)
{
	struct frame f = neighbour_solicitation(LOCAL6);

	expect_pass(P_IN, &f, RD_PASS_ND);
}

Test(pass, not_ip)
{
	struct frame f = udp4(DST4_OUT1);

	ETH(&f)->h_proto = htons(0x88b5); /* IEEE local experimental */
	expect_pass(P_IN, &f, RD_PASS_NOT_IP);
}

Test(pass, vlan)
{
	struct frame q = vlan_tagged(ETH_P_8021Q), ad = vlan_tagged(ETH_P_8021AD);

	expect_pass(P_IN, &q, RD_PASS_VLAN);
	expect_pass(P_IN, &ad, RD_PASS_VLAN);
}

Test(pass, link_local)
{
	struct frame src = ipv6_packet("fe80::2", DST6_OUT1, IPPROTO_UDP, 64, 100);
	struct frame dst = ipv6_packet(SRC6, "fe80::1", IPPROTO_UDP, 64, 100);

	expect_pass(P_IN, &src, RD_PASS_LINK_LOCAL);
	expect_pass(P_IN, &dst, RD_PASS_LINK_LOCAL);
}

Test(pass, multicast)
{
	struct frame l2 = udp4(DST4_OUT1);
	struct frame ospf = ipv4_packet(SRC4, "224.0.0.5", IPPROTO_UDP, 64, 100);
	struct frame all = udp4("255.255.255.255");
	struct frame all_nodes = udp6("ff02::1");

	memcpy(ETH(&l2)->h_dest, broadcast_mac, ETH_ALEN);
	/* the others carry the router's unicast MAC: the L3 check catches them */
	expect_pass(P_IN, &l2, RD_PASS_MULTICAST);
	expect_pass(P_IN, &ospf, RD_PASS_MULTICAST);
	expect_pass(P_IN, &all, RD_PASS_MULTICAST);
	expect_pass(P_IN, &all_nodes, RD_PASS_MULTICAST);
}

Test(pass, other_host)
{
	static const __u8 someone_else[ETH_ALEN] = MAC(9, 9);
	struct frame f4 = udp4(DST4_OUT1), f6 = udp6(DST6_OUT1);
	struct frame other_port = udp4(DST4_OUT1);

	memcpy(ETH(&f4)->h_dest, someone_else, ETH_ALEN);
	memcpy(ETH(&f6)->h_dest, someone_else, ETH_ALEN);
	/* another port's MAC is not this port's either */
	memcpy(ETH(&other_port)->h_dest, ports[P_OUT1].mac, ETH_ALEN);
	expect_pass(P_IN, &f4, RD_PASS_OTHER_HOST);
	expect_pass(P_IN, &f6, RD_PASS_OTHER_HOST);
	expect_pass(P_IN, &other_port, RD_PASS_OTHER_HOST);
}

Test(pass, martian)
{
	struct frame loop_src = ipv4_packet("127.0.0.1", DST4_OUT1, IPPROTO_UDP, 64, 100);
	struct frame zero_src = ipv4_packet("0.0.0.0", DST4_OUT1, IPPROTO_UDP, 64, 100);
	struct frame loop_dst = udp4("127.0.0.1");
	struct frame loop6_src = ipv6_packet("::1", DST6_OUT1, IPPROTO_UDP, 64, 100);

	expect_pass(P_IN, &loop_src, RD_PASS_MARTIAN);
	expect_pass(P_IN, &zero_src, RD_PASS_MARTIAN);
	expect_pass(P_IN, &loop_dst, RD_PASS_MARTIAN);
	expect_pass(P_IN, &loop6_src, RD_PASS_MARTIAN);
}

/* The kernel drops an IPv4 packet whose source is one of its own addresses
 * as a martian (fib_validate_source(), even with rp_filter off; counted in
 * /proc/net/stat/rt_cache in_martian_src), so the fast path must not
 * forward it. (IPv6 has no such check: the kernel forwards those.) */
Test(pass, martian_source_is_a_router_address)
{
	struct frame other_port = ipv4_packet("198.18.2.1", DST4_OUT1, IPPROTO_UDP, 64, 100);
	struct frame ingress_port = ipv4_packet("198.18.1.1", DST4_OUT1, IPPROTO_UDP, 64, 100);

	expect_pass(P_IN, &other_port, RD_PASS_MARTIAN);
	expect_pass(P_IN, &ingress_port, RD_PASS_MARTIAN);
}

Test(pass, ip_options)
{
	struct frame f = ipv4_with_options(nop_option, sizeof(nop_option));

	cr_assert_eq(IP4(&f)->ihl, 6);
	expect_pass(P_IN, &f, RD_PASS_IP_OPTIONS);
}

Test(pass, hop_by_hop)
{
	struct frame f = ipv6_packet(SRC6, DST6_OUT1, 0 /* hop-by-hop */, 64, 100);
	static const __u8 hbh[8] = { IPPROTO_UDP, 0, 1 /* PadN */, 4, 0, 0, 0, 0 };

	memcpy(L4_6(&f), hbh, sizeof(hbh));
	expect_pass(P_IN, &f, RD_PASS_HOP_BY_HOP);
}

Test(pass, unreachable)
{
	struct frame f4 = udp4(DST4_UNREACHABLE), f6 = udp6(DST6_UNREACHABLE);

	expect_pass(P_IN, &f4, RD_PASS_UNREACHABLE);
	expect_pass(P_IN, &f6, RD_PASS_UNREACHABLE);
}

Test(pass, prohibit)
{
	struct frame f4 = udp4(DST4_PROHIBIT), f6 = udp6(DST6_PROHIBIT);

	expect_pass(P_IN, &f4, RD_PASS_PROHIBIT);
	expect_pass(P_IN, &f6, RD_PASS_PROHIBIT);
}

/* Each family's sysctl governs that family only. */
Test(pass, forwarding_disabled_ipv4)
{
	struct frame f4 = udp4(DST4_OUT1), f6 = udp6(DST6_OUT1);

	set_ipv4_forwarding(false);
	expect_pass(P_IN, &f4, RD_PASS_FWD_DISABLED);
	expect_forwarded6(&f6, P_OUT1);
}

Test(pass, forwarding_disabled_ipv6)
{
	struct frame f4 = udp4(DST4_OUT1), f6 = udp6(DST6_OUT1);

	set_ipv6_forwarding(false);
	expect_pass(P_IN, &f6, RD_PASS_FWD_DISABLED);
	expect_forwarded4(&f4, P_OUT1);
}

/* IPv4 forwarding is decided per receiving interface (IN_DEV_FORWARD): off
 * on rdfp-in only, frames from rdfp-out2 are still forwarded. (IPv6 has no
 * such per-interface switch in the kernel's forwarding path.) */
Test(pass, forwarding_disabled_on_the_ingress_port)
{
	struct frame from_in = udp4(DST4_OUT1);
	struct frame from_out2 = ipv4_packet("198.18.3.2", DST4_OUT1, IPPROTO_UDP, 64, 100);

	write_sysctl("/proc/sys/net/ipv4/conf/rdfp-in/forwarding", "0");
	memcpy(ETH(&from_out2)->h_dest, ports[P_OUT2].mac, ETH_ALEN);
	expect_pass(P_IN, &from_in, RD_PASS_FWD_DISABLED);
	expect_forwarded(P_OUT2, &from_out2, P_OUT1, ports[P_OUT1].nh4_mac);
}

/* The FIB picks rdfp-unm, which is not in rd_tx: the kernel forwards. */
Test(pass, unmanaged_egress)
{
	struct frame f4 = udp4(DST4_UNMANAGED), f6 = udp6(DST6_UNMANAGED);

	expect_pass(P_IN, &f4, RD_PASS_UNMANAGED_EGRESS);
	expect_pass(P_IN, &f6, RD_PASS_UNMANAGED_EGRESS);
}

/* Routed back out of the ingress port (which is in rd_tx): the kernel may
 * owe the sender an ICMP redirect. */
Test(pass, hairpin)
{
	struct frame f4 = udp4(DST4_HAIRPIN), f6 = udp6(DST6_HAIRPIN);

	expect_pass(P_IN, &f4, RD_PASS_HAIRPIN);
	expect_pass(P_IN, &f6, RD_PASS_HAIRPIN);
}

/* A routable frame on a port the daemon has not described: slot 0. */
Test(pass, unconfigured)
{
	struct frame f = ipv4_packet("198.18.4.2", DST4_OUT1, IPPROTO_UDP, 64, 100);

	memcpy(ETH(&f)->h_dest, ports[P_UNMANAGED].mac, ETH_ALEN);
	memcpy(ETH(&f)->h_source, ports[P_UNMANAGED].nh4_mac, ETH_ALEN);
	cr_assert_eq(slot_of(P_UNMANAGED), RD_SLOT_UNCONFIGURED);
	expect_pass(P_UNMANAGED, &f, RD_PASS_UNCONFIGURED);
}

/* ------------------------------------------------------------------ */
/* Dropped                                                             */

Test(drop, blackhole)
{
	struct frame f4 = udp4(DST4_BLACKHOLE), f6 = udp6(DST6_BLACKHOLE);

	expect_drop(P_IN, &f4, RD_DROP_BLACKHOLE);
	expect_drop(P_IN, &f6, RD_DROP_BLACKHOLE);
}

/* ------------------------------------------------------------------ */
/* Malformed: frames the kernel would count and drop                   */

/* No ethertype at all. (Were the zero padding of try_run() visible, the
 * program would read ethertype 0 and say not_ip.) */
static void eth_truncated(struct frame *f)
{
	*f = udp4(DST4_OUT1);
	f->len = 2 * ETH_ALEN;
}

static void ipv4_no_header(struct frame *f)
{
	*f = udp4(DST4_OUT1);
	f->len = ETH_HLEN;
}

static void ipv4_truncated_header(struct frame *f)
{
	*f = udp4(DST4_OUT1);
	f->len = ETH_HLEN + sizeof(struct iphdr) - 1;
}

static void ipv4_version_6(struct frame *f)
{
	*f = udp4(DST4_OUT1);
	IP4(f)->version = 6;
	ipv4_fix_csum(f);
}

static void ipv4_ihl_4(struct frame *f)
{
	*f = udp4(DST4_OUT1);
	IP4(f)->ihl = 4;
	ipv4_fix_csum(f);
}

static void ipv4_tot_len_beyond_frame(struct frame *f)
{
	*f = udp4(DST4_OUT1);
	IP4(f)->tot_len = htons(f->len - ETH_HLEN + 1);
	ipv4_fix_csum(f);
}

static void ipv4_tot_len_below_header(struct frame *f)
{
	*f = udp4(DST4_OUT1);
	IP4(f)->tot_len = htons(sizeof(struct iphdr) - 1);
	ipv4_fix_csum(f);
}

static void ipv4_tot_len_below_options(struct frame *f)
{
	*f = ipv4_with_options(nop_option, sizeof(nop_option));
	IP4(f)->tot_len = htons(sizeof(struct iphdr));
	ipv4_fix_csum(f);
}

static void ipv4_bad_checksum(struct frame *f)
{
	*f = udp4(DST4_OUT1);
	IP4(f)->check = htons(ntohs(IP4(f)->check) + 1);
}

static void ipv4_zero_checksum(struct frame *f)
{
	*f = udp4(DST4_OUT1);
	cr_assert_neq(IP4(f)->check, 0);
	IP4(f)->check = 0;
}

static void ipv6_no_header(struct frame *f)
{
	*f = udp6(DST6_OUT1);
	f->len = ETH_HLEN;
}

static void ipv6_truncated_header(struct frame *f)
{
	*f = udp6(DST6_OUT1);
	f->len = ETH_HLEN + sizeof(struct ipv6hdr) - 1;
}

static void ipv6_payload_len_beyond_frame(struct frame *f)
{
	*f = udp6(DST6_OUT1);
	IP6(f)->payload_len = htons(f->len - ETH_HLEN - sizeof(struct ipv6hdr) + 1);
}

static void ipv6_version_4(struct frame *f)
{
	*f = udp6(DST6_OUT1);
	IP6(f)->version = 4;
}

/* A well-formed IPv4 packet labelled IPv6: without the fixup bit in
 * rd_iface.fixups the program must not repair it. */
static void ipv4_packet_in_86dd(struct frame *f)
{
	*f = udp4(DST4_OUT1);
	ETH(f)->h_proto = htons(ETH_P_IPV6);
}

struct shape {
	const char *name;
	void (*make)(struct frame *f);
};

#define SHAPE(fn) { #fn, fn }
static const struct shape malformed_shapes[] = {
	SHAPE(eth_truncated),
	SHAPE(ipv4_no_header),
	SHAPE(ipv4_truncated_header),
	SHAPE(ipv4_version_6),
	SHAPE(ipv4_ihl_4),
	SHAPE(ipv4_tot_len_beyond_frame),
	SHAPE(ipv4_tot_len_below_header),
	SHAPE(ipv4_tot_len_below_options),
	SHAPE(ipv4_bad_checksum),
	SHAPE(ipv4_zero_checksum),
	SHAPE(ipv6_no_header),
	SHAPE(ipv6_truncated_header),
	SHAPE(ipv6_payload_len_beyond_frame),
	SHAPE(ipv6_version_4),
	SHAPE(ipv4_packet_in_86dd),
};
#define N_SHAPES (sizeof(malformed_shapes) / sizeof(malformed_shapes[0]))

/* Parameters are indexes: the table itself stays in the test binary. */
ParameterizedTestParameters(malformed, shapes)
{
	static int index[N_SHAPES];

	for (size_t i = 0; i < N_SHAPES; i++)
		index[i] = (int)i;
	return cr_make_param_array(int, index, N_SHAPES);
}

ParameterizedTest(int *i, malformed, shapes)
{
	const struct shape *s = &malformed_shapes[*i];
	struct frame f;

	set_label("%s", s->name);
	s->make(&f);
	expect_pass(P_IN, &f, RD_PASS_MALFORMED);
}
