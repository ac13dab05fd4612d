/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Fixture of the bridge packet tests (test_bridge.c, test_bridge_route.c):
 * routerd's real program under BPF_PROG_TEST_RUN, in a network namespace
 * per test with a real bridge:
 *
 *   brt0 (MAC 02:00:00:00:aa:00, no STP) with ports
 *     brp1..brp4  veths, managed (rd_ifaces slot N, rd_tx)   "VM" N behind
 *     brp5        veth, NOT managed                          each peer
 *   VM N has MAC 02:00:00:00:bb:0N, a static FDB entry on brpN; VM 6
 *   (02:00:00:00:bb:06) sits behind brp1 as well.
 *
 * A frame's fate is checked twice: a plain run gives the verdict, the bytes
 * and the counters; a live-frames run really sends it, and it must arrive
 * (exactly so) on the peer of the egress port and nowhere else.
 */
#ifndef RD_TEST_BRIDGE_FIXTURE_H
#define RD_TEST_BRIDGE_FIXTURE_H

#include <stdbool.h>
#include <linux/types.h>
#include <linux/if_ether.h>

#include <routerd/bridge.h>
#include <routerd/counters.h>
#include <routerd/maps.h>

#include "daemon/datapath.h"
#include "bridge/mirror.h"
#include "daemon/nl_events.h"
#include "daemon/ifaces.h"

#include "capture.h"

#define N_PORTS 5 /* brp1..brp5; brp5 unmanaged */
#define N_MANAGED 4
#define BRIDGE "brt0"

extern const __u8 bridge_mac[ETH_ALEN];
extern const __u8 vm[8][ETH_ALEN];
extern const __u8 port_mac[N_PORTS + 1][ETH_ALEN];
extern const __u8 unknown_mac[ETH_ALEN];

extern struct routerd_bpf *skel;
extern int ifindex[N_PORTS + 1], br_ifindex;
extern struct rd_datapath dp;
extern struct rd_ifaces ifs;
extern struct rd_fdb mirror; /* rd_fdb_start()ed by setup_mirror() */
extern struct rd_nl_events events; /* the event reader it follows */
extern bool mirror_on;

/* the namespace */
void sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
const char *mac_str(const __u8 *m);
void write_iface(int n, const struct rd_iface *val);
struct rd_iface read_iface(int n);
void set_heartbeat(struct bpf_map *map, __u64 valid_until_ns);
void build(void);        /* the namespace, the bridge, the program */
void setup_mirror(void); /* build() + the FDB mirror fills the maps */
void teardown(void);
/* A change made with bridge(8) or ip(8), then the mirror follows it. */
void change(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* frames: IPv4/UDP, TTL 1 (routing would never forward it) */
struct frame frame_to(const __u8 *dst, const __u8 *src);
void set_proto(struct frame *f, __u16 proto);
struct iphdr;
void ipv4_fix_csum(struct iphdr *ip);
struct frame tagged(struct frame f, __u16 tpid, __u16 tci); /* a tag after the MACs */

/* runs and counters: index (flat) of a counter, slot = port number */
#define N_COUNTERS RD_COUNTERS
#define N_SLOTS (N_MANAGED + 2) /* + one for a routed uplink */
#define EV(x) (RD_EV_##x)
#define PASS(x) (RD_EV__MAX + RD_PASS_##x)
#define DROP(x) (RD_EV__MAX + RD_PASS__MAX + RD_DROP_##x)

struct result {
	int action;
	struct frame out;
	__u64 delta[N_SLOTS][N_COUNTERS];
};

extern const char *const counter_names[N_COUNTERS];
struct result run_on(int port, const struct frame *in, __u32 flags); /* on brpN */
struct result run_on_dev(int ifx, const struct frame *in, __u32 flags);
const char *action_str(int a);
const char *moved_str(const struct result *r);
void expect_counted(const struct result *r, int slot, int index); /* exactly one, by one */
void expect_frame(const struct frame *got, const struct frame *want, const char *what);
void expect_untouched(int port, const struct frame *in, int action, int counter);
void expect_pass(int port, const struct frame *in, int counter);
void expect_drop(int port, const struct frame *in, int counter);

/* the VM side: where a redirect went */
int capture(int port); /* packet_socket() (capture.h) on brpN's peer */
void expect_bridged_as(int from, const struct frame *in, int to, const struct frame *want);
void expect_bridged(int from, const struct frame *in, int to);

/* maps filled by hand (VLAN-filtering bridges exist only as map contents
 * on this kernel) */
void set_vlans(int n, __u16 pvid, const __u16 *member, const __u16 *untagged,
	       const __u16 *blocked, __u16 flags_extra);
void fdb_put(int n, __u16 vid, const __u8 *mac);

#endif /* RD_TEST_BRIDGE_FIXTURE_H */
