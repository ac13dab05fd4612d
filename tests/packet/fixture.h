// SPDX-License-Identifier: GPL-2.0
/*
 * The packet test fixture, shared by every tests/packet/test_*.c.
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
 * (MACs 02:00:00:00:x:y; every IPv4 address is a /24 with its broadcast
 * address set, as `brd +` does.) Each port is a veth whose peer (NAME-p) is
 * up and carries the v4 neighbour's MAC. The routes behind the DST4_* and
 * DST6_* addresses below give each verdict its own prefix. Frames come from
 * the host behind rdfp-in unless a test says otherwise.
 *
 * The maps are filled as the daemon fills them: rd_ifaces and rd_tx for the
 * managed ports (no fix-ups unless a test sets them), rd_local4 with every
 * IPv4 address of the namespace and every broadcast address (sync_local4()).
 *
 * Each run snapshots the per-CPU counters before and after, so every test
 * checks exactly which counters moved, by one, in the ingress port's slot.
 *
 * fixture.c: topology and maps; frames.c: frame builders and checksums;
 * run.c: counters, running the program, expectations.
 */
#ifndef RD_TEST_PACKET_FIXTURE_H
#define RD_TEST_PACKET_FIXTURE_H

#include <stdbool.h>
#include <stddef.h>

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/types.h>

#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <routerd/maps.h>
#include "routerd.skel.h"

#include "capture.h"

/* ------------------------------------------------------------------ */
/* Topology (fixture.c)                                                */

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

extern struct port ports[P__COUNT];

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
#define ROUTE_MTU 1000                 /* as in the route in fixture.c */
#define LOCAL4 "198.18.1.1"
#define LOCAL6 "2001:db8:1::1"

extern struct routerd_bpf *skel;

/* The suites' .init and .fini: a namespace with the topology, the program
 * loaded, its maps filled, and routerd's heartbeat current for good with
 * the route cache off (set_cache_ctl(0, ~0ull)), as a running routerd with
 * `route-cache off` keeps it. */
void setup(void);
void teardown(void);

/* rd_cache_ctl as routerd/daemon/cachectl.c publishes it: the cache's generation
 * (0: off) and the heartbeat's deadline (CLOCK_MONOTONIC_COARSE; past:
 * routerd is silent, lib/unattended.h). */
void set_cache_ctl(__u64 generation, __u64 valid_until_ns);
/* Per-CPU state (route cache, rd_nh_used): BPF_PROG_TEST_RUN runs on the
 * caller's CPU, so a test that expects state from an earlier run stays on
 * one CPU. pin_to_cpu() is false when the CPU cannot be had. */
bool pin_to_cpu(int cpu);
void stay_on_this_cpu(void);

#define PACKET_SUITE(name) TestSuite(name, .init = setup, .fini = teardown, .timeout = 20)

const char *mac_str(const __u8 *m);
void write_sysctl(const char *path, const char *value);
void set_ipv4_forwarding(bool on);
void set_ipv6_forwarding(bool on);
/* Runs LINE (formatted) through `ip -batch -`. */
void ip_cmd(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The stats slot of frames received on P. */
__u32 slot_of(enum port_id p);

/* rd_iface of a managed port with these fix-ups (RD_FIXUP_* bits) and
 * rd_iface.mss_clamp. */
void set_fixups(enum port_id p, __u32 fixups, __u16 mss_clamp);
/* Re-reads net.ipv4.conf.{all,PORT}.rp_filter into rd_ifaces, as routerd
 * does on a netconf event. */
void sync_rp_filter(void);

/* Rewrites rd_local4 from the namespace's IPv4 addresses, as the daemon
 * does on every address change: each local and broadcast address in the
 * first free of its RD_LOCAL4_PROBES slots, every other slot 0. Returns
 * how many found no free slot (left out, as the daemon leaves them). */
size_t sync_local4(void);
/* What the last sync_local4() placed (network byte order). */
extern __u32 local4_addrs[];
extern size_t n_local4_addrs;
/* rd_local4[key], read back from the map. */
__u32 local4_at(__u32 key);

/* ------------------------------------------------------------------ */
/* Frames (frames.c)                                                   */

/* from <netinet/ip.h>, which would clash with <linux/ip.h> */
#define IP_DF 0x4000
#define IP_MF 0x2000

#define ETH(f) ((struct ethhdr *)(f)->data)
#define IP4(f) ((struct iphdr *)((f)->data + ETH_HLEN))
#define IP6(f) ((struct ipv6hdr *)((f)->data + ETH_HLEN))
#define L4_4(f) ((__u8 *)IP4(f) + IP4(f)->ihl * 4)
#define L4_6(f) ((__u8 *)(IP6(f) + 1))

/* RFC 1071 over LEN bytes; returns the checksum as it is stored. */
__u16 inet_csum(const void *data, size_t len);
/* The checksum an IPv4 header should carry, computed from scratch. */
__u16 ipv4_csum(const struct iphdr *ip);
void ipv4_fix_csum(struct frame *f);
/* The TCP checksum of the IPv4 (or IPv6) packet in F, computed from scratch
 * over the pseudo-header and the segment, without the Ethernet header
 * (the IP header starts at ETH_HLEN). */
__u16 tcp4_csum(const struct frame *f);
__u16 tcp6_csum(const struct frame *f);

void parse_addr(int af, const char *s, void *out);
void fill_eth(struct frame *f, const __u8 *dst, const __u8 *src, __u16 proto);

/* An IPv4 packet of TOT_LEN bytes (header included) from the host behind
 * rdfp-in to the router's MAC, with a correct header checksum. */
struct frame ipv4_packet(const char *src, const char *dst, __u8 proto, __u8 ttl,
			 __u16 tot_len);
/* An IPv6 packet of L3_LEN bytes (header included), as above. */
struct frame ipv6_packet(const char *src, const char *dst, __u8 nexthdr, __u8 hop_limit,
			 __u16 l3_len);
/* The everyday packets: 100 bytes at L3, TTL 64. */
struct frame udp4(const char *dst);
struct frame udp6(const char *dst);

/* An IPv4 packet to out1 whose header carries OPTS (a multiple of 4). */
struct frame ipv4_with_options(const __u8 *opts, size_t len);
extern const __u8 nop_option[4];

/* Inserts an 802.1Q/802.1ad tag (TPID, TCI) right after the MACs, in front
 * of whatever ethertype or tag was there. */
void push_vlan(struct frame *f, __u16 tpid, __u16 tci);
/* Offset of the innermost ethertype, after the tags (where it would be,
 * if the frame ends before). */
size_t ethertype_offset(const struct frame *f);

/* A TCP segment from the sender behind rdfp-in: header with OPTS (padded
 * to a multiple of 4 with EOL), FLAGS in the 14th byte (TCP_FLAG_* of
 * <linux/tcp.h> are big-endian words, so these are the byte's bits), 20
 * bytes of payload, correct checksums. */
#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_ACK 0x10
struct frame tcp4_segment(const char *dst, __u8 flags, const __u8 *opts, size_t optlen);
struct frame tcp6_segment(const char *dst, __u8 flags, const __u8 *opts, size_t optlen);
/* The TCP header of an IPv4 or IPv6 frame. */
struct tcphdr *tcp_of(const struct frame *f);
/* Recomputes the TCP checksum from scratch. */
void tcp_fix_csum(struct frame *f);

/* ------------------------------------------------------------------ */
/* Counters, runs, expectations (run.c)                                */

enum counter_kind { EVENT, PASS, DROP };

struct counter {
	__u32 slot;
	enum counter_kind kind;
	unsigned index;
};

#define MAX_MOVED 8

struct verdict {
	int action;
	struct frame out;
	unsigned n_moved;       /* counters that changed during the run */
	struct counter moved;   /* the first of them */
	__u64 delta;            /* and by how much */
	struct counter moves[MAX_MOVED]; /* the first MAX_MOVED of them */
	__u64 deltas[MAX_MOVED];
};

const char *counter_str(struct counter c);
const char *action_str(int action);
const char *verdict_str(const struct verdict *v);

/* Names the case in every failure message of the parameterized tests,
 * whose TAP lines all carry the same name. */
extern char label[96];
void set_label(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The parameters 0 .. N-1 of a ParameterizedTest over a table of cases:
 * the table itself stays in the test binary. */
struct criterion_test_params index_params(size_t n);

void expect_bytes(const __u8 *got, const __u8 *want, size_t len, const char *what);

/* One BPF_PROG_TEST_RUN of IN received on INGRESS. Returns 0 or -errno. */
int try_run(int ingress_ifindex, const struct frame *in, __u32 flags, struct verdict *v);
struct verdict run(enum port_id ingress, const struct frame *in);
/* One run of a multi-buffer frame: LEN bytes of IN, the first HEAD of them
 * in the linear part and the rest in fragments; the frame as the program
 * left it goes to OUT (LEN bytes). Returns 0 or -errno. */
int try_run_buffers(int ingress_ifindex, const __u8 *in, __u32 len, __u32 head, __u8 *out,
		    struct verdict *v);
/* How much byte counter KIND (RD_BYTES_*) of SLOT moved in the last run. */
__u64 bytes_moved(__u32 slot, enum rd_bytes kind);

void expect_frame(const struct frame *got, const struct frame *want, const char *what);
/* Exactly one counter moved, by one. */
void expect_counted(const struct verdict *v, __u32 slot, enum counter_kind kind,
		    unsigned index);
/* Exactly these counters moved, each by one, all in SLOT. */
struct count {
	enum counter_kind kind;
	unsigned index;
};
void expect_counts(const struct verdict *v, __u32 slot, size_t n, const struct count *want);
#define EXPECT_COUNTS(v, slot, ...)                                                     \
	expect_counts(v, slot, sizeof((struct count[]){ __VA_ARGS__ }) / sizeof(struct count), \
		      (struct count[]){ __VA_ARGS__ })

/* The program hands the frame to the kernel (or drops it) untouched. */
void expect_untouched(enum port_id ingress, const struct frame *in, int action,
		      enum counter_kind kind, unsigned reason);
void expect_pass(enum port_id ingress, const struct frame *in, enum rd_pass_reason why);
void expect_drop(enum port_id ingress, const struct frame *in, enum rd_drop_reason why);

/* V redirected IN (as it should look on entry) out of EGRESS to the
 * neighbour NH_MAC: MACs rewritten, TTL or hop limit one less, IPv4
 * checksum right, every other byte as it came, and nothing after the IP
 * packet (the frame trimmed to its IPv4 total length / IPv6 payload length
 * + 40). IN is untagged. Counters not checked. */
void check_forwarded(const struct verdict *v, const struct frame *in, enum port_id egress,
		     const __u8 *nh_mac);
/* Runs IN, checks it was forwarded so, and that only forwarded_ipv4/6
 * moved. */
struct verdict expect_forwarded(enum port_id ingress, const struct frame *in,
				enum port_id egress, const __u8 *nh_mac);
void expect_forwarded4(const struct frame *in, enum port_id egress);
void expect_forwarded6(const struct frame *in, enum port_id egress);

/* Live frames (BPF_F_TEST_XDP_LIVE_FRAMES) really leave through the port
 * the FIB chose: with the peer's GRO on, a redirect into a veth arrives
 * there (otherwise it is dropped): packet_socket() and received()
 * (capture.h) catch it. */

#endif /* RD_TEST_PACKET_FIXTURE_H */
