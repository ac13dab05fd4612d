// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_fastpath: libFuzzer harness for the XDP fast path.
 *
 * Every input is one frame (after a selector byte that picks the ingress
 * port) run through the real program (routerd.skel.h) with
 * BPF_PROG_TEST_RUN, inside a private network namespace built once at
 * start-up. The maps are filled with the daemon's own datapath functions
 * (slots, rd_ifaces, rd_tx, rd_local4), the way routerd/daemon/ifaces.c and
 * routerd/daemon/netlink.c fill them:
 *
 *   port     router side               neighbour v4 / v6 MAC   fix-ups
 *   fz-in    198.18.1.1 2001:db8:1::1  02:..:04:01 / 06:01     ipv4-in-ipv6,ipv6-in-ipv4,mss-clamp=1400
 *   fz-out1  198.18.2.1 2001:db8:2::1  02:..:04:02 / 06:02     mss-clamp=auto
 *   fz-out2  198.18.3.1 2001:db8:3::1  02:..:04:03 / 06:03     off
 *   fz-mtu   198.18.5.1 2001:db8:5::1  02:..:04:05 / 06:05     on (both ethertype repairs), MTU 1280
 *   fz-unm   198.18.4.1 2001:db8:4::1  02:..:04:04 / 06:04     not managed (not in the maps)
 *
 * Selector byte % 8: 0-3 fz-in, 4 fz-out1, 5 fz-out2, 6 fz-mtu, 7 fz-unm.
 * Routes give every verdict its own prefix (see `routes` below).
 *
 * Invariants checked on every run (a violation aborts: libFuzzer keeps the
 * input as crash-*):
 *   - the action is XDP_PASS, XDP_DROP or XDP_REDIRECT, never XDP_ABORTED;
 *   - exactly one verdict counter (forwarded_*, bridged, a pass reason or a
 *     drop reason) moved, by one, in the ingress port's slot (slot 0 for an
 *     unmanaged port, reason `unconfigured`), and it matches the action;
 *     event counters (fix-ups) move by at most one, nothing else moves;
 *   - the frame's length went to its verdict's byte counter, in that slot,
 *     and no other byte counter moved;
 *   - a passed or dropped frame is byte-identical to the input, except for
 *     the innermost ethertype when an ethertype repair was counted (and the
 *     ingress has that repair enabled);
 *   - a redirected frame was addressed to the ingress MAC, leaves from
 *     another managed port with that port's MAC as source and the
 *     neighbour's MAC as destination, and carries a valid IP header:
 *     IPv4 without options, TTL exactly one lower, a correct header
 *     checksum (recomputed), lengths within the frame, no martian or
 *     multicast address; IPv6 with the hop limit one lower, the rest of
 *     the header unchanged, no link-local, multicast or loopback address;
 *     every byte after the L3 header is unchanged except an MSS option
 *     lowered to the configured limit in a TCP SYN (with the TCP checksum
 *     adjusted so the segment's one's-complement sum is unchanged), and
 *     only inside the IP packet and the TCP header; the frame ends where
 *     the IP packet does (bytes after it are trimmed, as the kernel does).
 *     Only a forwarded frame may come out shorter than it went in.
 *
 * libFuzzer cannot see coverage inside the kernel, so each run reports its
 * outcome (ingress, verdict, fix-up events, L3 kind) as extra coverage
 * counters, and a custom mutator repairs IPv4 checksums and lengths in most
 * mutants so that mutations get past the header checks.
 *
 * RD_FUZZ_WRITE_SEEDS=DIR: write the seed corpus (valid v4/v6/VLAN/fix-up
 * frames for every verdict) into DIR and exit.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <routerd/maps.h>
#include "daemon/datapath.h"
#include "routerd.skel.h"

#define FRAME_MAX 2048

/* ------------------------------------------------------------------ */
/* Topology                                                            */

enum port_id { P_IN, P_OUT1, P_OUT2, P_MTU, P_UNM, P__COUNT };

struct port {
	const char *name, *peer;
	__u8 mac[ETH_ALEN];
	const char *addr4, *addr6, *nh4, *nh6;
	__u8 nh4_mac[ETH_ALEN], nh6_mac[ETH_ALEN];
	unsigned mtu;
	bool managed;
	__u32 fixups;
	__u16 mss_clamp;
	int ifindex;
	__u32 slot;
};

#define MAC(x, y) { 0x02, 0, 0, 0, x, y }
#define ALL_FIXUPS (RD_FIXUP_IPV4_IN_IPV6 | RD_FIXUP_IPV6_IN_IPV4)

static struct port ports[P__COUNT] = {
	[P_IN] = { "fz-in", "fz-in-p", MAC(1, 1), "198.18.1.1/24", "2001:db8:1::1/64",
		   "198.18.1.2", "2001:db8:1::2", MAC(4, 1), MAC(6, 1), 1500, true,
		   ALL_FIXUPS | RD_FIXUP_MSS_CLAMP, 1400, 0, 0 },
	[P_OUT1] = { "fz-out1", "fz-out1-p", MAC(1, 2), "198.18.2.1/24", "2001:db8:2::1/64",
		     "198.18.2.2", "2001:db8:2::2", MAC(4, 2), MAC(6, 2), 1500, true,
		     RD_FIXUP_MSS_CLAMP, RD_MSS_CLAMP_AUTO, 0, 0 },
	[P_OUT2] = { "fz-out2", "fz-out2-p", MAC(1, 3), "198.18.3.1/24", "2001:db8:3::1/64",
		     "198.18.3.2", "2001:db8:3::2", MAC(4, 3), MAC(6, 3), 1500, true, 0, 0, 0, 0 },
	[P_MTU] = { "fz-mtu", "fz-mtu-p", MAC(1, 5), "198.18.5.1/24", "2001:db8:5::1/64",
		    "198.18.5.2", "2001:db8:5::2", MAC(4, 5), MAC(6, 5), 1280, true, ALL_FIXUPS, 0,
		    0, 0 },
	[P_UNM] = { "fz-unm", "fz-unm-p", MAC(1, 4), "198.18.4.1/24", "2001:db8:4::1/64",
		    "198.18.4.2", "2001:db8:4::2", MAC(4, 4), MAC(6, 4), 1500, false, 0, 0, 0, 0 },
};

static const enum port_id ingress_of[8] = { P_IN, P_IN, P_IN, P_IN, P_OUT1, P_OUT2, P_MTU, P_UNM };

#define ROUTE_MTU 1000 /* 198.18.110.0/24: mtu lock */

static const char *const routes[] = {
	"route add 198.18.100.0/24 via 198.18.2.2 dev fz-out1",
	"route add 2001:db8:100::/48 via 2001:db8:2::2 dev fz-out1",
	"route add 198.18.101.0/24 via 198.18.3.2 dev fz-out2",
	"route add 2001:db8:101::/48 via 2001:db8:3::2 dev fz-out2",
	"route add 198.18.102.0/24 via 198.18.4.2 dev fz-unm",
	"route add 2001:db8:102::/48 via 2001:db8:4::2 dev fz-unm",
	"route add 198.18.103.0/24 via 198.18.5.2 dev fz-mtu",
	"route add 2001:db8:103::/48 via 2001:db8:5::2 dev fz-mtu",
	"route add 198.18.104.0/24 via 198.18.2.99 dev fz-out1",
	"route add 2001:db8:104::/48 via 2001:db8:2::99 dev fz-out1",
	"route add blackhole 198.18.105.0/24",
	"route add blackhole 2001:db8:105::/48",
	"route add unreachable 198.18.106.0/24",
	"route add unreachable 2001:db8:106::/48",
	"route add prohibit 198.18.107.0/24",
	"route add prohibit 2001:db8:107::/48",
	"route add 198.18.108.0/24 via inet6 2001:db8:3::2 dev fz-out2",
	"route add 198.18.109.0/24 via 198.18.1.2 dev fz-in",
	"route add 2001:db8:109::/48 via 2001:db8:1::2 dev fz-in",
	"route add 198.18.110.0/24 via 198.18.2.2 dev fz-out1 mtu lock 1000",
	"route add 198.18.111.0/24 nexthop via 198.18.2.2 dev fz-out1 nexthop via 198.18.3.2 dev fz-out2",
	"route add 2001:db8:111::/48 nexthop via 2001:db8:2::2 dev fz-out1 nexthop via 2001:db8:3::2 dev fz-out2",
	"route add 198.18.112.0/24 via 198.18.5.2 dev fz-mtu",
};

static struct rd_datapath dp;
static int prog_fd, stats_fd;

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "fuzz_fastpath: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static const char *mac_str(const __u8 *m)
{
	static char buf[4][18];
	static int next;
	char *s = buf[next++ % 4];

	snprintf(s, sizeof(buf[0]), "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4],
		 m[5]);
	return s;
}

static void write_file(const char *path, const char *value)
{
	FILE *f = fopen(path, "w");

	if (!f || fputs(value, f) < 0 || fclose(f))
		die("cannot write %s: %s", path, strerror(errno));
}

static void build_topology(void)
{
	FILE *ip = popen("ip -batch -", "w");

	if (!ip)
		die("popen ip: %s", strerror(errno));
	fprintf(ip, "link set lo up\n");
	for (struct port *p = ports; p < ports + P__COUNT; p++) {
		fprintf(ip, "link add name %s address %s mtu %u type veth peer name %s address %s mtu %u\n",
			p->name, mac_str(p->mac), p->mtu, p->peer, mac_str(p->nh4_mac), p->mtu);
		fprintf(ip, "link set %s up\nlink set %s up\n", p->peer, p->name);
		fprintf(ip, "addr add %s brd + dev %s\n", p->addr4, p->name);
		fprintf(ip, "addr add %s dev %s nodad\n", p->addr6, p->name);
		fprintf(ip, "neigh add %s lladdr %s nud permanent dev %s\n", p->nh4,
			mac_str(p->nh4_mac), p->name);
		fprintf(ip, "neigh add %s lladdr %s nud permanent dev %s\n", p->nh6,
			mac_str(p->nh6_mac), p->name);
	}
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
		fprintf(ip, "%s\n", routes[i]);
	if (pclose(ip))
		die("ip -batch failed (see its errors above)");
}

/* rd_local4 as routerd/daemon/netlink.c fills it: every local IPv4 address and
 * broadcast address of the box. */
static void fill_local4(void)
{
	__u32 addrs[64];
	size_t n = 0;
	struct ifaddrs *ifa, *i;

	if (getifaddrs(&ifa))
		die("getifaddrs: %s", strerror(errno));
	for (i = ifa; i; i = i->ifa_next) {
		if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET || n + 2 > 64)
			continue;
		addrs[n++] = ((struct sockaddr_in *)i->ifa_addr)->sin_addr.s_addr;
		if ((i->ifa_flags & IFF_BROADCAST) && i->ifa_broadaddr)
			addrs[n++] = ((struct sockaddr_in *)i->ifa_broadaddr)->sin_addr.s_addr;
	}
	freeifaddrs(ifa);
	if (rd_dp_set_local4(&dp, addrs, n))
		die("rd_local4: addresses left over");
}

/* rd_ifaces and rd_tx as routerd/daemon/ifaces.c describe() writes them. */
static void fill_maps(void)
{
	for (struct port *p = ports; p < ports + P__COUNT; p++) {
		struct rd_iface val = { 0 };

		if (!p->managed) {
			p->slot = RD_SLOT_UNCONFIGURED;
			continue;
		}
		if (rd_dp_slot_alloc(&dp, &p->slot) || rd_dp_stats_clear(&dp, p->slot))
			die("no stats slot for %s", p->name);
		val.slot = p->slot;
		val.fixups = p->fixups;
		val.mss_clamp = p->mss_clamp;
		memcpy(val.mac, p->mac, ETH_ALEN);
		if (rd_dp_iface_update(&dp, (__u32)p->ifindex, &val) ||
		    rd_dp_tx_add(&dp, (__u32)p->ifindex))
			die("cannot fill the maps for %s: %s", p->name, strerror(errno));
	}
	fill_local4();
}

/* ------------------------------------------------------------------ */
/* Frames (seeds)                                                      */

struct frame {
	__u32 len;
	__u8 d[FRAME_MAX];
};

static __u32 csum_add(__u32 sum, const __u8 *b, size_t len)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (__u32)b[i] << 8 | b[i + 1];
	if (len & 1)
		sum += (__u32)b[len - 1] << 8;
	return sum;
}

static __u16 csum_fold(__u32 sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)sum;
}

/* The IPv4 header checksum to store, computed from scratch (host order). */
static __u16 ipv4_csum(const __u8 *ip, size_t hlen)
{
	__u32 sum = csum_add(0, ip, 10);

	sum = csum_add(sum, ip + 12, hlen - 12);
	return (__u16)~csum_fold(sum);
}

static void put16(__u8 *p, __u16 v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static __u16 get16(const __u8 *p)
{
	return (__u16)(p[0] << 8 | p[1]);
}

static void put_addr(int af, const char *s, __u8 *out)
{
	if (inet_pton(af, s, out) != 1)
		die("bad address %s", s);
}

struct l4spec {
	__u8 proto;
	bool syn;
	__u16 mss;      /* 0: no MSS option */
	bool odd_mss;   /* the option at an odd offset (after one NOP) */
};

/* L4 bytes after the IP header, TCP/UDP/ICMP with a recognisable payload. */
static size_t fill_l4(__u8 *l4, size_t room, const struct l4spec *s)
{
	for (size_t i = 0; i < room; i++)
		l4[i] = (__u8)(i * 7 + 3);
	if (s->proto == IPPROTO_TCP && room >= 20) {
		size_t doff = 20;

		memset(l4, 0, 20);
		put16(l4, 4242);
		put16(l4 + 2, 80);
		l4[7] = 1;
		l4[13] = s->syn ? 0x02 : 0x10;
		put16(l4 + 14, 8192);
		if (s->mss && room >= 28) {
			__u8 *o = l4 + 20;

			if (s->odd_mss)
				*o++ = 1; /* NOP */
			o[0] = 2, o[1] = 4;
			put16(o + 2, s->mss);
			o += 4;
			while ((o - l4) % 4)
				*o++ = 1;
			doff = (size_t)(o - l4);
		}
		l4[12] = (__u8)((doff / 4) << 4);
	} else if (s->proto == IPPROTO_UDP && room >= 8) {
		put16(l4, 4242);
		put16(l4 + 2, 53);
		put16(l4 + 4, (__u16)room);
		put16(l4 + 6, 0);
	} else if ((s->proto == IPPROTO_ICMP || s->proto == IPPROTO_ICMPV6) && room >= 8) {
		memset(l4, 0, 8);
		l4[0] = s->proto == IPPROTO_ICMP ? 8 : 128; /* echo request */
		put16(l4 + 4, 7);
		put16(l4 + 6, 1);
	}
	return room;
}

/* TCP/UDP checksum with the pseudo-header, so seeds are fully valid. */
static void fix_l4_csum(__u8 *l3, bool v6, size_t l4off, size_t l4len, __u8 proto)
{
	__u8 *l4 = l3 + l4off;
	size_t at = proto == IPPROTO_TCP ? 16 : proto == IPPROTO_UDP ? 6 : 0;
	__u32 sum;

	if (!at || l4len < at + 2)
		return;
	put16(l4 + at, 0);
	sum = v6 ? csum_add(0, l3 + 8, 32) : csum_add(0, l3 + 12, 8);
	sum += proto + (__u32)l4len;
	sum = csum_add(sum, l4, l4len);
	put16(l4 + at, (__u16)~csum_fold(sum) ?: 0xffff);
}

static void eth(struct frame *f, const __u8 *dst, const __u8 *src, __u16 proto)
{
	memcpy(f->d, dst, ETH_ALEN);
	memcpy(f->d + 6, src, ETH_ALEN);
	put16(f->d + 12, proto);
}

static struct frame ipv4(enum port_id in, const char *src, const char *dst, __u8 ttl,
			 __u16 tot_len, const struct l4spec *s)
{
	struct frame f = { .len = ETH_HLEN + tot_len };
	__u8 *ip = f.d + ETH_HLEN;

	eth(&f, ports[in].mac, ports[in].nh4_mac, ETH_P_IP);
	memset(ip, 0, 20);
	ip[0] = 0x45;
	put16(ip + 2, tot_len);
	put16(ip + 4, 0x1234);
	put16(ip + 6, 0x4000); /* DF */
	ip[8] = ttl;
	ip[9] = s->proto;
	put_addr(AF_INET, src, ip + 12);
	put_addr(AF_INET, dst, ip + 16);
	fill_l4(ip + 20, tot_len - 20u, s);
	fix_l4_csum(ip, false, 20, tot_len - 20u, s->proto);
	put16(ip + 10, ipv4_csum(ip, 20));
	return f;
}

static struct frame ipv6(enum port_id in, const char *src, const char *dst, __u8 hops,
			 __u16 l3_len, const struct l4spec *s)
{
	struct frame f = { .len = ETH_HLEN + l3_len };
	__u8 *ip6 = f.d + ETH_HLEN;

	eth(&f, ports[in].mac, ports[in].nh6_mac, ETH_P_IPV6);
	memset(ip6, 0, 40);
	ip6[0] = 0x60;
	ip6[1] = 0x01, ip6[2] = 0x23, ip6[3] = 0x45;
	put16(ip6 + 4, l3_len - 40u);
	ip6[6] = s->proto;
	ip6[7] = hops;
	put_addr(AF_INET6, src, ip6 + 8);
	put_addr(AF_INET6, dst, ip6 + 24);
	fill_l4(ip6 + 40, l3_len - 40u, s);
	fix_l4_csum(ip6, true, 40, l3_len - 40u, s->proto);
	return f;
}

/* Insert 802.1Q/802.1ad tags (outermost first) in front of the ethertype. */
static struct frame tagged(struct frame f, int n, const __u16 *tpids)
{
	for (int i = n - 1; i >= 0; i--) {
		memmove(f.d + 16, f.d + 12, f.len - 12);
		put16(f.d + 12, tpids[i]);
		put16(f.d + 14, (__u16)(10 + i));
		f.len += 4;
	}
	return f;
}

static void set_ethertype(struct frame *f, __u16 proto)
{
	size_t off = 12;

	while (get16(f->d + off) == ETH_P_8021Q || get16(f->d + off) == ETH_P_8021AD)
		off += 4;
	put16(f->d + off, proto);
}

static int seed_no;

static void write_seed(const char *dir, enum port_id in, const struct frame *f)
{
	char path[4096];
	FILE *out;
	__u8 sel = 0;

	for (int i = 0; i < 8; i++)
		if (ingress_of[i] == in) {
			sel = (__u8)i;
			break;
		}
	snprintf(path, sizeof(path), "%s/seed-%03d", dir, seed_no++);
	out = fopen(path, "w");
	if (!out || fwrite(&sel, 1, 1, out) != 1 || fwrite(f->d, 1, f->len, out) != f->len ||
	    fclose(out))
		die("cannot write %s: %s", path, strerror(errno));
}

static void write_seeds(const char *dir)
{
	static const struct l4spec udp = { .proto = IPPROTO_UDP }, icmp = { .proto = IPPROTO_ICMP },
				   icmp6 = { .proto = IPPROTO_ICMPV6 }, tcp = { .proto = IPPROTO_TCP },
				   syn = { IPPROTO_TCP, true, 1460, false },
				   syn_odd = { IPPROTO_TCP, true, 1460, true },
				   syn_small = { IPPROTO_TCP, true, 600, false };
	static const char *const v4dst[] = {
		"198.18.100.7", "198.18.101.7", "198.18.102.7", "198.18.103.7", "198.18.104.7",
		"198.18.105.7", "198.18.106.7", "198.18.107.7", "198.18.108.7", "198.18.109.7",
		"198.18.110.7", "198.18.111.7", "198.18.112.7", "198.18.1.1",  "198.18.2.255",
		"198.19.200.1", "224.0.0.5",    "127.0.0.1",    "0.1.2.3",     "255.255.255.255",
	};
	static const char *const v6dst[] = {
		"2001:db8:100::7", "2001:db8:101::7", "2001:db8:102::7", "2001:db8:103::7",
		"2001:db8:104::7", "2001:db8:105::7", "2001:db8:106::7", "2001:db8:107::7",
		"2001:db8:109::7", "2001:db8:111::7", "2001:db8:1::1",   "2001:db8:ffff::1",
		"ff02::1",         "fe80::1",         "::1",
	};
	static const __u16 q[] = { ETH_P_8021Q }, qinq[] = { ETH_P_8021AD, ETH_P_8021Q };
	struct frame f;

	if (mkdir(dir, 0700) && errno != EEXIST)
		die("mkdir %s: %s", dir, strerror(errno));
	for (size_t i = 0; i < sizeof(v4dst) / sizeof(v4dst[0]); i++) {
		f = ipv4(P_IN, "198.18.1.2", v4dst[i], 64, 100, &udp);
		write_seed(dir, P_IN, &f);
	}
	for (size_t i = 0; i < sizeof(v6dst) / sizeof(v6dst[0]); i++) {
		f = ipv6(P_IN, "2001:db8:1::2", v6dst[i], 64, 100, &udp);
		write_seed(dir, P_IN, &f);
	}
	/* TCP SYN with MSS (clamped on fz-in to 1400, on fz-out1 to the MTU) */
	f = ipv4(P_IN, "198.18.1.2", "198.18.100.7", 64, 80, &syn);
	write_seed(dir, P_IN, &f);
	f = ipv4(P_IN, "198.18.1.2", "198.18.101.7", 64, 80, &syn_odd);
	write_seed(dir, P_IN, &f);
	f = ipv4(P_IN, "198.18.1.2", "198.18.100.7", 64, 80, &syn_small);
	write_seed(dir, P_IN, &f);
	f = ipv6(P_IN, "2001:db8:1::2", "2001:db8:100::7", 64, 100, &syn);
	write_seed(dir, P_IN, &f);
	f = ipv6(P_IN, "2001:db8:1::2", "2001:db8:101::7", 64, 100, &syn_odd);
	write_seed(dir, P_IN, &f);
	f = ipv4(P_OUT1, "198.18.2.2", "198.18.101.7", 64, 80, &syn);
	memcpy(f.d, ports[P_OUT1].mac, 6);
	write_seed(dir, P_OUT1, &f);
	f = ipv4(P_OUT1, "198.18.2.2", "198.18.103.7", 64, 80, &syn);
	memcpy(f.d, ports[P_OUT1].mac, 6);
	write_seed(dir, P_OUT1, &f);
	f = ipv6(P_OUT1, "2001:db8:2::2", "2001:db8:103::7", 64, 100, &syn);
	memcpy(f.d, ports[P_OUT1].mac, 6);
	write_seed(dir, P_OUT1, &f);
	/* other protocols, sizes, TTLs */
	f = ipv4(P_IN, "198.18.1.2", "198.18.100.7", 64, 84, &icmp);
	write_seed(dir, P_IN, &f);
	f = ipv4(P_IN, "198.18.1.2", "198.18.100.7", 64, 120, &tcp);
	write_seed(dir, P_IN, &f);
	f = ipv6(P_IN, "2001:db8:1::2", "2001:db8:100::7", 64, 104, &icmp6);
	write_seed(dir, P_IN, &f);
	f = ipv4(P_IN, "198.18.1.2", "198.18.100.7", 2, 100, &udp);
	write_seed(dir, P_IN, &f);
	f = ipv4(P_IN, "198.18.1.2", "198.18.100.7", 1, 100, &udp);
	write_seed(dir, P_IN, &f);
	f = ipv6(P_IN, "2001:db8:1::2", "2001:db8:100::7", 1, 100, &udp);
	write_seed(dir, P_IN, &f);
	f = ipv4(P_IN, "198.18.1.2", "198.18.103.7", 64, 1281, &udp);
	write_seed(dir, P_IN, &f);
	f = ipv4(P_IN, "198.18.1.2", "198.18.110.7", 64, 1001, &udp);
	write_seed(dir, P_IN, &f);
	f = ipv4(P_IN, "198.18.1.2", "198.18.100.7", 64, 28, &udp);
	f.len = 60; /* Ethernet padding */
	write_seed(dir, P_IN, &f);
	f = ipv4(P_IN, "198.18.1.2", "198.18.100.7", 64, 100, &udp);
	f.d[ETH_HLEN + 6] = 0x20; /* MF: a first fragment */
	put16(f.d + ETH_HLEN + 10, ipv4_csum(f.d + ETH_HLEN, 20));
	write_seed(dir, P_IN, &f);
	/* martian and local sources */
	f = ipv4(P_IN, "127.0.0.1", "198.18.100.7", 64, 100, &udp);
	write_seed(dir, P_IN, &f);
	f = ipv4(P_IN, "198.18.2.1", "198.18.100.7", 64, 100, &udp);
	write_seed(dir, P_IN, &f);
	f = ipv6(P_IN, "fe80::2", "2001:db8:100::7", 64, 100, &udp);
	write_seed(dir, P_IN, &f);
	/* IPv4 options, IPv6 hop-by-hop, ND */
	f = ipv4(P_IN, "198.18.1.2", "198.18.100.7", 64, 100, &udp);
	memmove(f.d + ETH_HLEN + 24, f.d + ETH_HLEN + 20, 80);
	memcpy(f.d + ETH_HLEN + 20, "\x01\x01\x01\x00", 4);
	f.d[ETH_HLEN] = 0x46;
	f.len += 4;
	put16(f.d + ETH_HLEN + 2, 104);
	put16(f.d + ETH_HLEN + 10, ipv4_csum(f.d + ETH_HLEN, 24));
	write_seed(dir, P_IN, &f);
	f = ipv6(P_IN, "2001:db8:1::2", "2001:db8:100::7", 64, 100, &udp);
	f.d[ETH_HLEN + 6] = 0;
	write_seed(dir, P_IN, &f);
	f = ipv6(P_IN, "2001:db8:1::2", "2001:db8:1::1", 255, 64, &icmp6);
	f.d[ETH_HLEN + 40] = 135; /* neighbour solicitation */
	write_seed(dir, P_IN, &f);
	/* VLAN */
	f = tagged(ipv4(P_IN, "198.18.1.2", "198.18.100.7", 64, 100, &udp), 1, q);
	write_seed(dir, P_IN, &f);
	f = tagged(ipv6(P_IN, "2001:db8:1::2", "2001:db8:100::7", 64, 100, &udp), 2, qinq);
	write_seed(dir, P_IN, &f);
	/* fix-ups: IPv4 under 0x86DD, IPv6 under 0x0800, plain and tagged */
	f = ipv4(P_IN, "198.18.1.2", "198.18.100.7", 64, 100, &udp);
	set_ethertype(&f, ETH_P_IPV6);
	write_seed(dir, P_IN, &f);
	f = ipv4(P_IN, "198.18.1.2", "198.18.100.7", 64, 80, &syn);
	set_ethertype(&f, ETH_P_IPV6);
	write_seed(dir, P_IN, &f);
	f = ipv6(P_IN, "2001:db8:1::2", "2001:db8:100::7", 64, 100, &udp);
	set_ethertype(&f, ETH_P_IP);
	write_seed(dir, P_IN, &f);
	f = tagged(ipv4(P_IN, "198.18.1.2", "198.18.100.7", 64, 100, &udp), 1, q);
	set_ethertype(&f, ETH_P_IPV6);
	write_seed(dir, P_IN, &f);
	f = tagged(ipv6(P_IN, "2001:db8:1::2", "2001:db8:100::7", 64, 100, &udp), 2, qinq);
	set_ethertype(&f, ETH_P_IP);
	write_seed(dir, P_IN, &f);
	f = ipv4(P_MTU, "198.18.5.2", "198.18.100.7", 64, 100, &udp);
	memcpy(f.d, ports[P_MTU].mac, 6);
	set_ethertype(&f, ETH_P_IPV6);
	write_seed(dir, P_MTU, &f);
	f = ipv4(P_IN, "198.18.1.2", "198.18.100.7", 64, 100, &udp);
	set_ethertype(&f, ETH_P_IPV6);
	f.d[ETH_HLEN + 10] ^= 0xff; /* a rejected candidate */
	write_seed(dir, P_IN, &f);
	f = ipv4(P_OUT2, "198.18.3.2", "198.18.100.7", 64, 100, &udp);
	memcpy(f.d, ports[P_OUT2].mac, 6);
	set_ethertype(&f, ETH_P_IPV6); /* no fix-up on fz-out2 */
	write_seed(dir, P_OUT2, &f);
	/* L2: ARP, other host, multicast, unknown ethertype, runts */
	f = (struct frame){ .len = 60 };
	eth(&f, (const __u8 *)"\xff\xff\xff\xff\xff\xff", ports[P_IN].nh4_mac, 0x0806);
	write_seed(dir, P_IN, &f);
	f = ipv4(P_IN, "198.18.1.2", "198.18.100.7", 64, 100, &udp);
	f.d[5] = 0x77;
	write_seed(dir, P_IN, &f);
	f.d[0] = 0x01;
	write_seed(dir, P_IN, &f);
	f = ipv4(P_IN, "198.18.1.2", "198.18.100.7", 64, 100, &udp);
	put16(f.d + 12, 0x88b5);
	write_seed(dir, P_IN, &f);
	f = ipv4(P_IN, "198.18.1.2", "198.18.100.7", 64, 100, &udp);
	f.len = ETH_HLEN + 19;
	write_seed(dir, P_IN, &f);
	f.len = 13;
	write_seed(dir, P_IN, &f);
	/* the unmanaged port */
	f = ipv4(P_UNM, "198.18.4.2", "198.18.100.7", 64, 100, &udp);
	write_seed(dir, P_UNM, &f);
	fprintf(stderr, "fuzz_fastpath: wrote %d seeds to %s\n", seed_no, dir);
}

/* ------------------------------------------------------------------ */
/* Counters                                                            */

#define N_COUNTERS RD_COUNTERS
#define N_SLOTS 8 /* slot 0 and the managed ports' slots, read on every run */
_Static_assert(P__COUNT < N_SLOTS, "every port's slot is read");

static int n_cpus;
static __u64 before[N_SLOTS][N_COUNTERS], after[N_SLOTS][N_COUNTERS];
static __u64 before_bytes[N_SLOTS][RD_BYTES__MAX], after_bytes[N_SLOTS][RD_BYTES__MAX];
static struct rd_stats *percpu; /* n_cpus * N_SLOTS */
static __u32 *batch_keys;

static void read_slots(__u64 sums[N_SLOTS][N_COUNTERS], __u64 bytes[N_SLOTS][RD_BYTES__MAX])
{
	__u32 count = N_SLOTS, out_batch;
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	int rc = bpf_map_lookup_batch(stats_fd, NULL, &out_batch, batch_keys, percpu, &count, &opts);

	if (rc && errno != ENOENT)
		die("rd_stats batch lookup: %s", strerror(errno));
	if (count != N_SLOTS)
		die("rd_stats batch lookup returned %u slots", count);
	for (__u32 s = 0; s < N_SLOTS; s++) {
		memset(sums[s], 0, sizeof(sums[s]));
		memset(bytes[s], 0, sizeof(bytes[s]));
		for (int cpu = 0; cpu < n_cpus; cpu++) {
			const __u64 *v = (const __u64 *)&percpu[(size_t)s * n_cpus + cpu];

			for (unsigned i = 0; i < N_COUNTERS; i++)
				sums[s][i] += v[i];
			for (unsigned i = 0; i < RD_BYTES__MAX; i++)
				bytes[s][i] += percpu[(size_t)s * n_cpus + cpu].bytes[i];
		}
	}
}

static bool is_verdict(unsigned flat)
{
	return flat == RD_EV_FORWARDED_IPV4 || flat == RD_EV_FORWARDED_IPV6 ||
	       flat == RD_EV_BRIDGED || flat >= RD_EV__MAX;
}

#define KEY(name, key) key,
static const char *const event_names[] = { RD_EVENTS(KEY) };
static const char *const pass_names[] = { RD_PASS_REASONS(KEY) };
static const char *const drop_names[] = { RD_DROP_REASONS(KEY) };
#undef KEY

static const char *counter_name(unsigned flat)
{
	static char buf[4][48];
	static int next;
	char *s = buf[next++ % 4];

	if (flat < RD_EV__MAX)
		snprintf(s, sizeof(buf[0]), "events.%s", event_names[flat]);
	else if (flat < RD_EV__MAX + RD_PASS__MAX)
		snprintf(s, sizeof(buf[0]), "pass.%s", pass_names[flat - RD_EV__MAX]);
	else
		snprintf(s, sizeof(buf[0]), "drop.%s", drop_names[flat - RD_EV__MAX - RD_PASS__MAX]);
	return s;
}

/* Every slot, summed: only the N_SLOTS read per run may ever move. */
static __u64 total_runs, verdict_total_at_start;

static __u64 sum_all_verdicts(void)
{
	struct rd_stats *buf = calloc((size_t)n_cpus, sizeof(*buf));
	__u64 total = 0;

	if (!buf)
		die("out of memory");
	for (__u32 slot = 0; slot < RD_MAX_IFACES; slot++) {
		if (bpf_map_lookup_elem(stats_fd, &slot, buf))
			die("rd_stats[%u]: %s", slot, strerror(errno));
		for (int cpu = 0; cpu < n_cpus; cpu++)
			for (unsigned i = 0; i < N_COUNTERS; i++)
				if (is_verdict(i))
					total += ((const __u64 *)&buf[cpu])[i];
	}
	free(buf);
	return total;
}

/* ------------------------------------------------------------------ */
/* Invariants                                                          */

static const __u8 *cur_in;
static size_t cur_len;
/* the frame as the program sees it: a runt is padded to ETH_HLEN with the
 * rest in a fragment (data_end stays at cur_len), which its byte counters
 * count, as rd_frame_len() does */
static size_t cur_frame_len;
static const __u8 *cur_out;
static enum port_id cur_port;

static void hexdump(const char *what, const __u8 *b, size_t len)
{
	fprintf(stderr, "  %s (%zu bytes):", what, len);
	for (size_t i = 0; i < len && i < 256; i++)
		fprintf(stderr, "%s%02x", i % 16 ? " " : "\n    ", b[i]);
	fputc('\n', stderr);
}

static void violation(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void violation(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "\nfuzz_fastpath: INVARIANT BROKEN (ingress %s): ", ports[cur_port].name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	hexdump("input frame", cur_in, cur_len);
	if (cur_out)
		hexdump("output frame", cur_out, cur_len);
	abort();
}

/*
 * RD_FUZZ_TOLERATE=TAG[,TAG...]: known bugs that do not stop a long run
 * (each is counted and reported at exit; the frame's other checks are
 * skipped). Tags: ipv6-length (payload length beyond the frame forwarded),
 * mss-bounds (MSS clamp outside the IP packet or TCP header).
 */
static __u64 tolerated[2];
static const char *const tolerance_tags[2] = { "ipv6-length", "mss-bounds" };

static bool tolerate(int tag)
{
	const char *list = getenv("RD_FUZZ_TOLERATE");
	size_t n = strlen(tolerance_tags[tag]);

	for (const char *p = list; p && *p; p += strcspn(p, ",") + (p[strcspn(p, ",")] != 0))
		if (!strncmp(p, tolerance_tags[tag], n) && (p[n] == ',' || !p[n])) {
			tolerated[tag]++;
			return true;
		}
	return false;
}

/* The innermost ethertype's offset (after at most two VLAN tags), or 0. */
static size_t ethertype_offset(const __u8 *f, size_t len)
{
	size_t off = 12;

	for (int i = 0; i < 3; i++) {
		__u16 t;

		if (off + 2 > len)
			return 0;
		t = get16(f + off);
		if (t != ETH_P_8021Q && t != ETH_P_8021AD)
			return off;
		if (i == 2)
			return 0;
		off += 4;
	}
	return 0;
}

static bool ipv4_martian_or_multicast(const __u8 *ip)
{
	__u32 s = (__u32)ip[12] << 24 | ip[13] << 16 | ip[14] << 8 | ip[15];
	__u32 d = (__u32)ip[16] << 24 | ip[17] << 16 | ip[18] << 8 | ip[19];
	__u8 s0 = s >> 24, d0 = d >> 24;

	return (d0 & 0xf0) == 0xe0 || d == 0xffffffff || s0 == 0 || s0 == 127 ||
	       (s0 & 0xf0) == 0xe0 || s == 0xffffffff || d0 == 0 || d0 == 127;
}

static bool ipv6_special(const __u8 *a)
{
	static const __u8 zero[15];

	if (a[0] == 0xff || (a[0] == 0xfe && (a[1] & 0xc0) == 0x80))
		return true;
	return !memcmp(a, zero, 15) && (a[15] == 0 || a[15] == 1);
}

static bool is_local4(const __u8 *addr)
{
	__u32 a;

	memcpy(&a, addr, 4);
	for (size_t i = 0; i < RD_LOCAL4_SLOTS; i++)
		if (dp.local4[i] && dp.local4[i] == a)
			return true;
	return false;
}

/* One's-complement sum of a byte range, folded. */
static __u16 ones_sum(const __u8 *b, size_t len)
{
	return csum_fold(csum_add(0, b, len));
}

static bool ones_equal(__u16 a, __u16 b)
{
	return a == b || ((a == 0 || a == 0xffff) && (b == 0 || b == 0xffff));
}

/*
 * Where a correct MSS clamp may write: the value of the first MSS option
 * (kind 2, length 4) found walking the options as the program does (at most
 * 12 options), inside both the TCP header and the IP packet. Returns its
 * offset in the frame, or 0.
 */
static size_t mss_option_offset(const __u8 *f, size_t l4, size_t l3_end)
{
	size_t doff, o, end;

	if (l4 + 20 > l3_end || !(f[l4 + 13] & 0x02)) /* no TCP header, or not a SYN */
		return 0;
	doff = (f[l4 + 12] >> 4) * 4u;
	if (doff <= 20)
		return 0;
	end = l4 + doff < l3_end ? l4 + doff : l3_end;
	o = l4 + 20;
	for (int i = 0; i < 12; i++) {
		__u8 kind, len;

		if (o + 1 > end)
			return 0;
		kind = f[o];
		if (kind == 0)
			return 0;
		if (kind == 1) {
			o++;
			continue;
		}
		if (o + 2 > end)
			return 0;
		len = f[o + 1];
		if (len < 2)
			return 0;
		if (kind == 2 && len == 4)
			return o + 4 <= end ? o + 2 : 0;
		o += len;
	}
	return 0;
}

struct outcome {
	int action;
	unsigned verdict;  /* flat counter index */
	unsigned events;   /* bit per non-verdict event counted */
	__u32 out_len;     /* the frame's length after the program */
};

/* The frame's length, as received, went to its verdict's byte counter in
 * the ingress slot, and no other byte counter moved. */
static void check_bytes(const struct port *p, const struct outcome *o)
{
	unsigned want = o->verdict == RD_EV_BRIDGED ? RD_BYTES_BRIDGED
			: o->verdict < RD_EV__MAX ? RD_BYTES_FORWARDED
			: o->verdict < RD_EV__MAX + RD_PASS__MAX ? RD_BYTES_PASSED
			: RD_BYTES_DROPPED;

	for (__u32 s = 0; s < N_SLOTS; s++)
		for (unsigned i = 0; i < RD_BYTES__MAX; i++) {
			__u64 d = after_bytes[s][i] - before_bytes[s][i];
			__u64 expect = s == p->slot && i == want ? cur_frame_len : 0;

			if (d != expect)
				violation("byte counter %u of slot %u moved by %llu, want %llu (verdict %s)",
					  i, s, (unsigned long long)d, (unsigned long long)expect,
					  counter_name(o->verdict));
		}
}

static void check_counters(const struct port *p, struct outcome *o)
{
	int n_verdicts = 0;

	o->events = 0;
	for (__u32 s = 0; s < N_SLOTS; s++) {
		for (unsigned i = 0; i < N_COUNTERS; i++) {
			__u64 d = after[s][i] - before[s][i];

			if (!d)
				continue;
			if (s != p->slot)
				violation("%s moved by %llu in slot %u, not the ingress slot %u",
					  counter_name(i), (unsigned long long)d, s, p->slot);
			if (d != 1)
				violation("%s moved by %llu", counter_name(i), (unsigned long long)d);
			if (is_verdict(i)) {
				if (n_verdicts++)
					violation("two verdicts counted: %s and %s",
						  counter_name(o->verdict), counter_name(i));
				o->verdict = i;
			} else {
				o->events |= 1u << i;
			}
		}
	}
	if (!n_verdicts)
		violation("no verdict counted (action %d)", o->action);
	switch (o->action) {
	case XDP_REDIRECT:
		if (o->verdict != RD_EV_FORWARDED_IPV4 && o->verdict != RD_EV_FORWARDED_IPV6 &&
		    o->verdict != RD_EV_BRIDGED)
			violation("XDP_REDIRECT counted as %s", counter_name(o->verdict));
		break;
	case XDP_PASS:
		if (o->verdict < RD_EV__MAX || o->verdict >= RD_EV__MAX + RD_PASS__MAX)
			violation("XDP_PASS counted as %s", counter_name(o->verdict));
		break;
	case XDP_DROP:
		if (o->verdict < RD_EV__MAX + RD_PASS__MAX)
			violation("XDP_DROP counted as %s", counter_name(o->verdict));
		break;
	default:
		violation("action %d (%s)", o->action, o->action == XDP_ABORTED ? "XDP_ABORTED" : "?");
	}
	if (!p->managed && o->verdict != RD_EV__MAX + RD_PASS_UNCONFIGURED)
		violation("a frame from an unmanaged port counted as %s", counter_name(o->verdict));
	check_bytes(p, o);
	if (p->managed && o->verdict == RD_EV__MAX + RD_PASS_UNCONFIGURED)
		violation("a frame from a managed port counted as unconfigured");
}

/* Passed or dropped: untouched, but for a counted ethertype repair. */
static void check_untouched(const struct port *p, const struct outcome *o, const __u8 *in,
			    const __u8 *out, size_t len)
{
	bool v4in6 = o->events & (1u << RD_EV_FIXUP_IPV4_IN_IPV6);
	bool v6in4 = o->events & (1u << RD_EV_FIXUP_IPV6_IN_IPV4);
	size_t et = ethertype_offset(in, len);

	if (o->events & (1u << RD_EV_FIXUP_MSS_CLAMP))
		violation("MSS clamp counted on a frame not forwarded");
	if (v4in6 || v6in4) {
		__u16 from = v4in6 ? ETH_P_IPV6 : ETH_P_IP, to = v4in6 ? ETH_P_IP : ETH_P_IPV6;

		if (v4in6 && v6in4)
			violation("both ethertype repairs counted");
		if (!(p->fixups & (v4in6 ? RD_FIXUP_IPV4_IN_IPV6 : RD_FIXUP_IPV6_IN_IPV4)))
			violation("ethertype repair counted on an ingress without it");
		if (!et || get16(in + et) != from || get16(out + et) != to)
			violation("ethertype repair counted but the ethertype is %04x -> %04x",
				  et ? get16(in + et) : 0, et ? get16(out + et) : 0);
		if (memcmp(in, out, et) || memcmp(in + et + 2, out + et + 2, len - et - 2))
			violation("repaired frame changed beyond its ethertype");
		return;
	}
	for (size_t i = 0; i < len; i++)
		if (in[i] != out[i])
			violation("%s frame changed at byte %zu: %02x -> %02x",
				  o->action == XDP_DROP ? "dropped" : "passed", i, in[i], out[i]);
}

static void check_forwarded(const struct port *p, const struct outcome *o, const __u8 *in,
			    const __u8 *out, size_t len)
{
	bool v4 = o->verdict == RD_EV_FORWARDED_IPV4;
	bool v4in6 = o->events & (1u << RD_EV_FIXUP_IPV4_IN_IPV6);
	bool v6in4 = o->events & (1u << RD_EV_FIXUP_IPV6_IN_IPV4);
	bool clamped = o->events & (1u << RD_EV_FIXUP_MSS_CLAMP);
	const struct port *eg = NULL;
	size_t l3 = ETH_HLEN, hlen, l3_end, l4, mss_at = 0;
	__u8 proto;

	if (o->verdict == RD_EV_BRIDGED)
		violation("bridged: this harness has no bridge configured");
	if (len < ETH_HLEN + (v4 ? 20 : 40))
		violation("forwarded a %zu-byte frame", len);
	if (memcmp(in, p->mac, ETH_ALEN))
		violation("forwarded a frame for %s, not the ingress MAC %s", mac_str(in),
			  mac_str(p->mac));
	for (const struct port *q = ports; q < ports + P__COUNT; q++)
		if (!memcmp(out + 6, q->mac, ETH_ALEN))
			eg = q;
	if (!eg || !eg->managed || eg == p)
		violation("forwarded with source MAC %s: not another managed port", mac_str(out + 6));
	if (memcmp(out, eg->nh4_mac, ETH_ALEN) && memcmp(out, eg->nh6_mac, ETH_ALEN))
		violation("forwarded out of %s to %s, not its neighbour", eg->name, mac_str(out));

	/* ethertype: the IP version's, repaired only when counted */
	if (get16(out + 12) != (v4 ? ETH_P_IP : ETH_P_IPV6))
		violation("forwarded IPv%d with ethertype %04x", v4 ? 4 : 6, get16(out + 12));
	if (v4in6 || v6in4) {
		if (!(p->fixups & (v4in6 ? RD_FIXUP_IPV4_IN_IPV6 : RD_FIXUP_IPV6_IN_IPV4)) ||
		    v4in6 != v4 || get16(in + 12) != (v4 ? ETH_P_IPV6 : ETH_P_IP))
			violation("inconsistent ethertype repair: %04x -> %04x", get16(in + 12),
				  get16(out + 12));
	} else if (get16(in + 12) != get16(out + 12)) {
		violation("ethertype changed without a repair: %04x -> %04x", get16(in + 12),
			  get16(out + 12));
	}

	if (v4) {
		const __u8 *ii = in + l3, *oi = out + l3;
		__u16 tot = get16(ii + 2);

		if ((ii[0] >> 4) != 4 || (ii[0] & 15) != 5)
			violation("forwarded IPv4 with version/IHL byte %02x", ii[0]);
		if (tot < 20 || l3 + tot > len)
			violation("forwarded IPv4 with total length %u in a %zu-byte frame", tot, len);
		if (ones_sum(ii, 20) != 0xffff)
			violation("forwarded IPv4 whose input header checksum is wrong");
		if (ipv4_martian_or_multicast(ii) || is_local4(ii + 12))
			violation("forwarded IPv4 with a martian, multicast or local address");
		if (ii[8] <= 1 || oi[8] != ii[8] - 1)
			violation("TTL %u -> %u", ii[8], oi[8]);
		if (ones_sum(oi, 20) != 0xffff)
			violation("IPv4 header checksum %04x after forwarding, recomputed %04x",
				  get16(oi + 10), ipv4_csum(oi, 20));
		if (memcmp(ii, oi, 8) || memcmp(ii + 9, oi + 9, 1) || memcmp(ii + 12, oi + 12, 8))
			violation("IPv4 header changed beyond TTL and checksum");
		hlen = 20;
		l3_end = l3 + tot;
		proto = ii[9];
		if (get16(ii + 6) & 0x1fff)
			proto = 0xff; /* a later fragment: no L4 header */
	} else {
		const __u8 *ii = in + l3, *oi = out + l3;

		if ((ii[0] >> 4) != 6)
			violation("forwarded IPv6 with version %u", ii[0] >> 4);
		if (l3 + 40 + get16(ii + 4) > len) {
			if (tolerate(0))
				return;
			violation("forwarded IPv6 with payload length %u in a %zu-byte frame",
				  get16(ii + 4), len);
		}
		if (ii[6] == 0)
			violation("forwarded IPv6 with a hop-by-hop header");
		if (ipv6_special(ii + 8) || ipv6_special(ii + 24))
			violation("forwarded IPv6 with a link-local, multicast, loopback or unspecified address");
		if (ii[7] <= 1 || oi[7] != ii[7] - 1)
			violation("hop limit %u -> %u", ii[7], oi[7]);
		if (memcmp(ii, oi, 7) || memcmp(ii + 8, oi + 8, 32))
			violation("IPv6 header changed beyond the hop limit");
		hlen = 40;
		l3_end = l3 + 40 + get16(ii + 4);
		proto = ii[6];
		if (proto == 58 && l3_end > l3 + 40 &&
		    ((in[l3 + 40] >= 130 && in[l3 + 40] <= 137) || in[l3 + 40] == 143))
			violation("forwarded ICMPv6 ND/MLD type %u", in[l3 + 40]);
	}

	/* after the L3 header: unchanged, but for an MSS clamp */
	l4 = l3 + hlen;
	if (proto == IPPROTO_TCP && (p->fixups & RD_FIXUP_MSS_CLAMP))
		mss_at = mss_option_offset(in, l4, l3_end);
	if (clamped) {
		__u16 old, new, limit;

		if (!mss_at && tolerate(1))
			return;
		if (!mss_at)
			violation("MSS clamp counted, but the frame is not a TCP SYN with an MSS "
				  "option inside the packet (or the ingress has no clamp)");
		old = get16(in + mss_at);
		new = get16(out + mss_at);
		if (p->mss_clamp != RD_MSS_CLAMP_AUTO)
			limit = p->mss_clamp;
		else
			limit = (__u16)((v4 && in[l3 + 16] == 198 && in[l3 + 17] == 18 &&
					 in[l3 + 18] == 110 ? ROUTE_MTU : eg->mtu) - (v4 ? 40 : 60));
		if (new != limit || old <= limit)
			violation("MSS %u -> %u, limit %u", old, new, limit);
		if (!ones_equal(ones_sum(in + l4, l3_end - l4), ones_sum(out + l4, l3_end - l4)))
			violation("TCP checksum not adjusted for the MSS change (%04x -> %04x)",
				  get16(in + l4 + 16), get16(out + l4 + 16));
	} else if (mss_at && get16(in + mss_at) > (p->mss_clamp != RD_MSS_CLAMP_AUTO ? p->mss_clamp
										    : 65535)) {
		violation("a SYN with MSS %u was forwarded from an ingress clamping to %u unclamped",
			  get16(in + mss_at), p->mss_clamp);
	}
	/* the kernel forwards the IP packet without what follows it */
	if (o->out_len != l3_end)
		violation("forwarded %u bytes of a %zu-byte frame whose IP packet ends at %zu",
			  o->out_len, len, l3_end);
	for (size_t i = l4; i < l3_end; i++) {
		if (in[i] == out[i])
			continue;
		if (clamped && (i == mss_at || i == mss_at + 1 || i == l4 + 16 || i == l4 + 17))
			continue;
		violation("forwarded frame changed at byte %zu (L3 header ends at %zu, packet at "
			  "%zu): %02x -> %02x",
			  i, l4, l3_end, in[i], out[i]);
	}
}

/* ------------------------------------------------------------------ */
/* Coverage of what the kernel did, as libFuzzer extra counters         */

#define N_L3_KINDS 4
#define N_OUTCOMES (P__COUNT * N_COUNTERS * 8 * N_L3_KINDS)
__attribute__((used, section("__libfuzzer_extra_counters"))) static uint8_t outcome_seen[N_OUTCOMES];

static __u64 histogram[N_COUNTERS];

static void note_outcome(enum port_id port, const struct outcome *o, const __u8 *f, size_t len)
{
	size_t et = ethertype_offset(f, len);
	unsigned kind = 0, ev = 0;

	if (et && et + 3 <= len)
		kind = 1 + (f[et + 2] >> 4 == 4 ? 0 : f[et + 2] >> 4 == 6 ? 1 : 2);
	ev = (o->events >> RD_EV_FIXUP_IPV4_IN_IPV6) & 7;
	outcome_seen[(((size_t)port * N_COUNTERS + o->verdict) * 8 + ev) * N_L3_KINDS + kind]++;
	histogram[o->verdict]++;
}

static void report(void)
{
	__u64 total = sum_all_verdicts();

	fprintf(stderr, "fuzz_fastpath: %llu runs; verdicts:", (unsigned long long)total_runs);
	for (unsigned i = 0; i < N_COUNTERS; i++)
		if (histogram[i])
			fprintf(stderr, " %s=%llu", counter_name(i), (unsigned long long)histogram[i]);
	fputc('\n', stderr);
	for (int t = 0; t < 2; t++)
		if (tolerated[t])
			fprintf(stderr, "fuzz_fastpath: known bug '%s' tolerated %llu times\n",
				tolerance_tags[t], (unsigned long long)tolerated[t]);
	if (total - verdict_total_at_start != total_runs) {
		fprintf(stderr, "fuzz_fastpath: INVARIANT BROKEN: %llu verdicts counted over all "
				"slots for %llu runs\n",
			(unsigned long long)(total - verdict_total_at_start),
			(unsigned long long)total_runs);
		_exit(1);
	}
}

/* ------------------------------------------------------------------ */
/* libFuzzer entry points                                              */

/* The route cache as routerd/daemon/cachectl.c runs it: on, one generation, and
 * (unlike the daemon's heartbeat) valid for ever. Looked up by name so the
 * harness builds with or without the cache. */
static int route_cache_miss_event = -1;

static void enable_route_cache(void)
{
	struct bpf_map *m = bpf_object__find_map_by_name(dp.skel->obj, "rd_cache_ctl");
	/* no netfilter hold, no conntrack offload */
	struct rd_cache_ctl ctl = { .generation = 1, .valid_until_ns = ~0ull };
	__u32 zero = 0;

	for (unsigned i = 0; i < RD_EV__MAX; i++)
		if (!strcmp(event_names[i], "route_cache_miss"))
			route_cache_miss_event = (int)i;
	if (!m)
		return;
	if (bpf_map__update_elem(m, &zero, sizeof(zero), &ctl, sizeof(ctl), BPF_ANY))
		die("cannot turn the route cache on (rd_cache_ctl): %s", strerror(errno));
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *seeds = getenv("RD_FUZZ_WRITE_SEEDS");
	if (seeds) {
		write_seeds(seeds);
		exit(0);
	}
	if (unshare(CLONE_NEWNET))
		die("unshare(CLONE_NEWNET): %s (the fast-path fuzzer needs root)", strerror(errno));
	write_file("/proc/sys/net/ipv4/ip_forward", "1");
	write_file("/proc/sys/net/ipv6/conf/all/forwarding", "1");
	write_file("/proc/sys/net/ipv6/conf/default/accept_dad", "0");
	build_topology();
	for (struct port *p = ports; p < ports + P__COUNT; p++)
		if (!(p->ifindex = (int)if_nametoindex(p->name)))
			die("if_nametoindex(%s): %s", p->name, strerror(errno));

	memset(&dp, 0, sizeof(dp));
	dp.pins.fd = -1;
	dp.n_cpus = n_cpus = libbpf_num_possible_cpus();
	dp.skel = rd_dp_load_unpinned();
	if (!dp.skel)
		die("loading the XDP program: %s", strerror(errno));
	prog_fd = bpf_program__fd(dp.skel->progs.routerd_xdp);
	stats_fd = bpf_map__fd(dp.skel->maps.rd_stats);
	fill_maps();

	enable_route_cache();
	percpu = calloc((size_t)n_cpus * N_SLOTS, sizeof(*percpu));
	batch_keys = calloc(N_SLOTS, sizeof(*batch_keys));
	if (!percpu || !batch_keys)
		die("out of memory");
	read_slots(after, after_bytes);
	verdict_total_at_start = sum_all_verdicts();
	atexit(report);
	return 0;
}

/* One BPF_PROG_TEST_RUN of `in` and every invariant on its outcome.
 * Returns false when the kernel cannot run it (a runt on some kernels). */
static bool run_once(struct port *p, const __u8 *in, size_t len, size_t size_in, __u8 *out,
		     struct outcome *o)
{
	static __u8 buf[FRAME_MAX];
	struct xdp_md ctx = { .data_end = (__u32)len, .ingress_ifindex = (__u32)p->ifindex };
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = buf, .data_size_in = (__u32)size_in,
		    .data_out = out, .data_size_out = FRAME_MAX + 256, .ctx_in = &ctx,
		    .ctx_size_in = sizeof(ctx), .repeat = 1);
	int rc;

	memcpy(buf, in, size_in);
	memcpy(before, after, sizeof(before));
	memcpy(before_bytes, after_bytes, sizeof(before_bytes));
	rc = bpf_prog_test_run_opts(prog_fd, &opts);
	if (rc && len < ETH_HLEN && errno == EINVAL)
		return false; /* this kernel cannot present a runt: nothing ran */
	if (rc)
		die("BPF_PROG_TEST_RUN of a %zu-byte frame: %s", len, strerror(errno));
	total_runs++;
	read_slots(after, after_bytes);

	cur_port = (enum port_id)(p - ports);
	cur_in = in;
	cur_len = len;
	cur_frame_len = size_in;
	cur_out = NULL;
	o->action = (int)opts.retval;
	o->out_len = opts.data_size_out;
	/* only a forwarded frame may shrink: trimmed to its IP packet */
	if (opts.data_size_out != size_in &&
	    (o->action != XDP_REDIRECT || opts.data_size_out > len))
		violation("output of %u bytes for %zu in", opts.data_size_out, size_in);
	cur_out = out;
	for (size_t i = len; i < opts.data_size_out; i++)
		if (out[i] != 0)
			violation("padding byte %zu changed", i);

	check_counters(p, o);
	if (o->action == XDP_REDIRECT)
		check_forwarded(p, o, in, out, len);
	else
		check_untouched(p, o, in, out, len);
	return true;
}

/*
 * Each frame runs twice. With the route cache on (as routerd runs it), the
 * second run of a forwarded frame is a cache hit on this CPU, so the pair
 * checks that a hit decides exactly what the full lookup decided: same
 * action, same verdict and events (but the cache miss), same bytes.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static __u8 in[FRAME_MAX], out1[FRAME_MAX + 256], out2[FRAME_MAX + 256];
	const unsigned miss_bit = route_cache_miss_event >= 0 ? 1u << route_cache_miss_event : 0;
	struct outcome o1, o2;
	struct port *p;
	size_t len, size_in;

	if (size < 1 || size - 1 > FRAME_MAX)
		return -1; /* not a frame: keep it out of the corpus */
	p = &ports[ingress_of[data[0] % 8]];
	len = size - 1;
	size_in = len < ETH_HLEN ? ETH_HLEN : len;
	memset(in, 0, size_in);
	memcpy(in, data + 1, len);

	if (!run_once(p, in, len, size_in, out1, &o1))
		return 0;
	note_outcome(cur_port, &o1, in, len);
	if (!run_once(p, in, len, size_in, out2, &o2))
		violation("the second run of the same frame failed");
	if (o1.action != o2.action || o1.verdict != o2.verdict ||
	    (o1.events & ~miss_bit) != (o2.events & ~miss_bit))
		violation("the same frame twice: %s then %s (events %#x, %#x): the route cache "
			  "disagrees with the lookup",
			  counter_name(o1.verdict), counter_name(o2.verdict), o1.events, o2.events);
	if (o1.out_len != o2.out_len || memcmp(out1, out2, o1.out_len < len ? o1.out_len : len))
		violation("the same frame twice, different output: the route cache disagrees "
			  "with the lookup");
	return 0;
}

/* Mostly valid headers: after libFuzzer's mutation, fix the IPv4 header
 * checksum (and often the IPv4/IPv6 length fields) of whatever header the
 * version nibble announces, so mutants reach the routing code. */
static __u32 rng_next(__u32 *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed)
{
	__u32 rng = seed | 1;
	size_t et, l3;
	__u8 *f;
	size_t len;

	size = LLVMFuzzerMutate(data, size, max_size);
	if (size < 2 || rng_next(&rng) % 4 == 0)
		return size;
	f = data + 1;
	len = size - 1;
	et = ethertype_offset(f, len);
	if (!et)
		return size;
	l3 = et + 2;
	/* mutated ethertypes mostly end as not_ip: sometimes put one back */
	if (l3 < len && rng_next(&rng) % 4 == 0 && ((f[l3] >> 4) == 4 || (f[l3] >> 4) == 6))
		put16(f + et, (f[l3] >> 4) == 4 ? ETH_P_IP : ETH_P_IPV6);
	if (l3 + 20 <= len && (f[l3] >> 4) == 4) {
		size_t hlen = (f[l3] & 15) * 4u;

		if (rng_next(&rng) % 2 && len - l3 <= 0xffff)
			put16(f + l3 + 2, (__u16)(len - l3));
		if (hlen >= 20 && l3 + hlen <= len)
			put16(f + l3 + 10, ipv4_csum(f + l3, hlen));
	} else if (l3 + 40 <= len && (f[l3] >> 4) == 6 && rng_next(&rng) % 2 &&
		   len - l3 - 40 <= 0xffff) {
		put16(f + l3 + 4, (__u16)(len - l3 - 40));
	}
	return size;
}
