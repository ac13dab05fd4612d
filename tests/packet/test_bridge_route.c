// SPDX-License-Identifier: GPL-2.0
/*
 * Packet tests of routed traffic across a bridge, in routerd's real program
 * (bpf/routerd.bpf.c, bpf/lib/bridge.h): out of the bridge (a VM sends to
 * the bridge's own MAC, the router forwards it to an uplink) and into it (a
 * route whose egress is the bridge leaves through the VM's port).
 *
 * bridge_fixture.h's namespace plus an uplink:
 *
 *   brt0  198.18.50.1/24  2001:db8:50::1/64   VM N: 198.18.50.1N, 2001:db8:50::1N
 *   brup  198.18.51.1/24  2001:db8:51::1/64   behind it (brup-p) the host
 *                                             198.18.51.2 / 2001:db8:51::2
 *
 * Suite route: the FDB mirror (routerd/bridge/mirror.c) fills the bridge maps, as the
 * daemon does. Suite route_vlan: a VLAN-filtering bridge, maps by hand
 * (this kernel has no VLAN filtering), to prove the tag pops and pushes.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/bpf.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <criterion/criterion.h>

#include "bridge_fixture.h"
#include "routerd.skel.h"
#include "daemon/tc.h"

#define UPLINK_SLOT (N_MANAGED + 1)

static const __u8 up_mac[ETH_ALEN] = { 2, 0, 0, 0, 0xdd, 1 };
static const __u8 up_peer[ETH_ALEN] = { 2, 0, 0, 0, 0xdd, 2 };
static int up_ifindex;

static void add_uplink(void)
{
	struct rd_iface val = { .slot = UPLINK_SLOT };
	struct bpf_devmap_val tx;
	__u32 key;

	sh("sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1");
	sh("ip link add name brup address %s type veth peer name brup-p address %s",
	   mac_str(up_mac), mac_str(up_peer));
	sh("sysctl -qw net.ipv6.conf.brup.disable_ipv6=0 net.ipv6.conf.brt0.disable_ipv6=0");
	sh("ip link set brup up && ip link set brup-p up && ethtool -K brup-p gro on >/dev/null");
	sh("ip addr add 198.18.51.1/24 dev brup && ip addr add 198.18.50.1/24 dev " BRIDGE);
	sh("ip addr add 2001:db8:51::1/64 nodad dev brup");
	sh("ip addr add 2001:db8:50::1/64 nodad dev " BRIDGE);
	sh("ip neigh replace 198.18.51.2 lladdr %s nud permanent dev brup", mac_str(up_peer));
	sh("ip neigh replace 2001:db8:51::2 lladdr %s nud permanent dev brup", mac_str(up_peer));
	sh("ip neigh replace 198.18.50.12 lladdr %s nud permanent dev " BRIDGE, mac_str(vm[2]));
	sh("ip neigh replace 2001:db8:50::12 lladdr %s nud permanent dev " BRIDGE, mac_str(vm[2]));
	up_ifindex = (int)if_nametoindex("brup");
	cr_assert_gt(up_ifindex, 0);

	/* what ifaces.c writes for a routed interface */
	key = (__u32)up_ifindex;
	memcpy(val.mac, up_mac, ETH_ALEN);
	tx = (struct bpf_devmap_val){ .ifindex = key };
	cr_assert_eq(bpf_map__update_elem(skel->maps.rd_ifaces, &key, sizeof(key), &val,
					  sizeof(val), BPF_ANY), 0);
	cr_assert_eq(bpf_map__update_elem(skel->maps.rd_tx, &key, sizeof(key), &tx, sizeof(tx),
					  BPF_ANY), 0);
}

/* ------------------------------------------------------------------ */
/* frames                                                              */

/* A UDP datagram from SRC to DST (dotted or colon notation picks the family). */
static struct frame ip_frame(const __u8 *dmac, const __u8 *smac, const char *src,
			     const char *dst, __u8 ttl)
{
	struct frame f = frame_to(dmac, smac);
	struct iphdr *ip = (struct iphdr *)(f.data + ETH_HLEN);
	struct ipv6hdr *ip6 = (struct ipv6hdr *)(f.data + ETH_HLEN);
	__u8 payload[80];

	if (!strchr(dst, ':')) {
		ip->ttl = ttl;
		cr_assert_eq(inet_pton(AF_INET, src, &ip->saddr), 1);
		cr_assert_eq(inet_pton(AF_INET, dst, &ip->daddr), 1);
		ipv4_fix_csum(ip);
		return f;
	}
	memcpy(payload, f.data + ETH_HLEN + sizeof(*ip), sizeof(payload));
	set_proto(&f, ETH_P_IPV6);
	*ip6 = (struct ipv6hdr){ .version = 6, .payload_len = htons(sizeof(payload)),
				 .nexthdr = IPPROTO_UDP, .hop_limit = ttl };
	cr_assert_eq(inet_pton(AF_INET6, src, &ip6->saddr), 1);
	cr_assert_eq(inet_pton(AF_INET6, dst, &ip6->daddr), 1);
	memcpy(ip6 + 1, payload, sizeof(payload));
	f.len = ETH_HLEN + sizeof(*ip6) + sizeof(payload);
	return f;
}

/* What routing makes of F (untagged): new MACs, one hop less. */
static struct frame routed(struct frame f, const __u8 *dmac, const __u8 *smac)
{
	struct ethhdr *eth = (struct ethhdr *)f.data;

	memcpy(eth->h_dest, dmac, ETH_ALEN);
	memcpy(eth->h_source, smac, ETH_ALEN);
	if (eth->h_proto == htons(ETH_P_IP)) {
		struct iphdr *ip = (struct iphdr *)(eth + 1);

		ip->ttl--;
		ipv4_fix_csum(ip);
	} else {
		((struct ipv6hdr *)(eth + 1))->hop_limit--;
	}
	return f;
}

/* IN, received on IFX, is routed as WANT (verdict, bytes, one counter:
 * EVENT in SLOT), then really sent: it arrives on device TO_DEV only (of
 * TO_DEV, brp1-p..brp5-p and brup-p). */
static void expect_routed(int ifx, int slot, const struct frame *in, const char *to_dev,
			  const struct frame *want, int event)
{
	static const char *const devs[] = { "brp1-p", "brp2-p", "brp3-p", "brp4-p", "brp5-p",
					    "brup-p" };
	struct result r = run_on_dev(ifx, in, 0);
	int fd[6];

	cr_assert_eq(r.action, XDP_REDIRECT, "verdict %s (%s), want REDIRECT", action_str(r.action),
		     moved_str(&r));
	expect_frame(&r.out, want, "routed frame");
	expect_counted(&r, slot, event);

	for (int i = 0; i < 6; i++)
		fd[i] = packet_socket(devs[i]);
	r = run_on_dev(ifx, in, BPF_F_TEST_XDP_LIVE_FRAMES);
	expect_counted(&r, slot, event);
	for (int i = 0; i < 6; i++) {
		if (!strcmp(devs[i], to_dev))
			cr_assert(received(fd[i], want, 2000), "the routed frame did not arrive on %s",
				  to_dev);
		else
			cr_assert_not(received(fd[i], want, 0), "the routed frame also arrived on %s",
				      devs[i]);
		close(fd[i]);
	}
}

static struct rd_fdb_entry fdb_entry(__u16 vid, const __u8 *mac)
{
	struct rd_fdb_key k = { .bridge = (__u32)br_ifindex, .vid = vid };
	struct rd_fdb_entry e = { 0 };

	memcpy(k.mac, mac, ETH_ALEN);
	cr_assert_eq(bpf_map__lookup_elem(skel->maps.rd_fdb, &k, sizeof(k), &e, sizeof(e), 0), 0,
		     "no rd_fdb entry for %s in VLAN %u", mac_str(mac), vid);
	return e;
}

/* ------------------------------------------------------------------ */
/* suite route: the mirror fills the maps                              */

static void setup_route(void)
{
	setup_mirror();
	add_uplink();
}

TestSuite(route, .init = setup_route, .fini = teardown, .timeout = 30);

Test(route, the_mirror_describes_the_bridge_device)
{
	struct rd_bridge_dev b;
	__u32 key = (__u32)br_ifindex;

	cr_assert_eq(bpf_map__lookup_elem(skel->maps.rd_bridges, &key, sizeof(key), &b, sizeof(b),
					  0), 0, "rd_bridges has no brt0");
	cr_assert_arr_eq(b.mac, bridge_mac, ETH_ALEN, "bridge MAC %s", mac_str(b.mac));
	cr_assert_eq(b.flags & RD_BRPORT_VLAN_FILTERING, 0);
}

Test(route, a_vm_reaches_the_uplink_through_the_bridge_address)
{
	struct frame in = ip_frame(bridge_mac, vm[1], "198.18.50.11", "198.18.51.2", 64);
	struct frame want = routed(in, up_peer, up_mac);

	expect_routed(ifindex[1], 1, &in, "brup-p", &want, EV(FORWARDED_IPV4));
	in = ip_frame(bridge_mac, vm[3], "2001:db8:50::13", "2001:db8:51::2", 64);
	want = routed(in, up_peer, up_mac);
	expect_routed(ifindex[3], 3, &in, "brup-p", &want, EV(FORWARDED_IPV6));
}

Test(route, routed_out_refreshes_the_vms_fdb_entry)
{
	struct frame in = ip_frame(bridge_mac, vm[1], "198.18.50.11", "198.18.51.2", 64);

	/* the kernel bridge never sees these frames: the fast path stamps the
	 * source's entry for the daemon to refresh (NTF_USE) */
	cr_assert_eq(fdb_entry(0, vm[1]).seen_ns, 0);
	cr_assert_eq(run_on(1, &in, 0).action, XDP_REDIRECT);
	cr_assert_neq(fdb_entry(0, vm[1]).seen_ns, 0, "VM 1's entry was not stamped");
}

Test(route, the_uplink_reaches_a_vm_through_its_port)
{
	struct frame in = ip_frame(up_mac, up_peer, "198.18.51.2", "198.18.50.12", 64);
	struct frame want = routed(in, vm[2], bridge_mac);

	expect_routed(up_ifindex, UPLINK_SLOT, &in, "brp2-p", &want, EV(FORWARDED_IPV4));
	cr_assert_neq(fdb_entry(0, vm[2]).used_ns, 0, "VM 2's entry was not stamped");
	in = ip_frame(up_mac, up_peer, "2001:db8:51::2", "2001:db8:50::12", 64);
	want = routed(in, vm[2], bridge_mac);
	expect_routed(up_ifindex, UPLINK_SLOT, &in, "brp2-p", &want, EV(FORWARDED_IPV6));
}

Test(route, what_stays_with_the_kernel)
{
	struct frame f = ip_frame(bridge_mac, vm[1], "198.18.50.11", "198.18.51.2", 1);

	expect_pass(1, &f, PASS(TTL)); /* routed, and the kernel sends the ICMP */
	f = ip_frame(bridge_mac, vm[1], "198.18.50.11", "198.18.50.1", 64);
	expect_pass(1, &f, PASS(LOCAL)); /* for the box */
	f = ip_frame(bridge_mac, vm[1], "198.18.50.11", "198.18.50.12", 64);
	expect_pass(1, &f, PASS(HAIRPIN)); /* back into the bridge: an ICMP redirect */
	f = ip_frame(bridge_mac, vm[1], "198.18.50.11", "198.18.51.2", 64);
	set_proto(&f, ETH_P_ARP);
	expect_pass(1, &f, PASS(ARP));
	f = tagged(ip_frame(bridge_mac, vm[1], "198.18.50.11", "198.18.51.2", 64), ETH_P_8021Q, 5);
	expect_pass(1, &f, PASS(VLAN)); /* for a VLAN device on the bridge */
	f = ip_frame(port_mac[2], vm[1], "198.18.50.11", "198.18.51.2", 64);
	expect_pass(1, &f, PASS(BRIDGE_LOCAL)); /* a port's own MAC: not the IP stack's */
	f = ip_frame(bridge_mac, unknown_mac, "198.18.50.11", "198.18.51.2", 64);
	expect_pass(1, &f, PASS(FDB_LEARN)); /* the bridge learns the sender first */
	/* the uplink to an address without a neighbour: the kernel resolves it */
	f = ip_frame(up_mac, up_peer, "198.18.51.2", "198.18.50.99", 64);
	{
		struct result r = run_on_dev(up_ifindex, &f, 0);

		cr_assert_eq(r.action, XDP_PASS, "%s", moved_str(&r));
		expect_frame(&r.out, &f, "frame handed on");
		expect_counted(&r, UPLINK_SLOT, PASS(NO_NEIGH));
	}
}

Test(route, the_bridges_rp_filter_applies)
{
	/* 198.18.51.7 lives behind the uplink: from a VM it is spoofed */
	struct frame f = ip_frame(bridge_mac, vm[1], "198.18.51.7", "198.18.51.2", 64);

	sh("sysctl -qw net.ipv4.conf.all.rp_filter=0");
	rd_fdb_sync(&mirror);
	cr_assert_eq(run_on(1, &f, 0).action, XDP_REDIRECT, "rp_filter 0");
	sh("sysctl -qw net.ipv4.conf.brt0.rp_filter=1");
	rd_fdb_sync(&mirror);
	expect_pass(1, &f, PASS(MARTIAN));
	/* the port's own setting is not the one that counts */
	sh("sysctl -qw net.ipv4.conf.brt0.rp_filter=0 net.ipv4.conf.brp1.rp_filter=1");
	rd_fdb_sync(&mirror);
	cr_assert_eq(run_on(1, &f, 0).action, XDP_REDIRECT, "brt0 rp_filter 0 again");
}

Test(route, a_bridge_going_down_is_the_kernels_again)
{
	struct frame f = ip_frame(bridge_mac, vm[1], "198.18.50.11", "198.18.51.2", 64);

	cr_assert_eq(run_on(1, &f, 0).action, XDP_REDIRECT);
	change("ip link set " BRIDGE " down");
	cr_assert_eq(run_on(1, &f, 0).action, XDP_PASS, "brt0 is down");
}

Test(route, without_a_heartbeat_the_kernel_routes)
{
	struct frame f = ip_frame(bridge_mac, vm[1], "198.18.50.11", "198.18.51.2", 64);

	set_heartbeat(skel->maps.rd_bridge_ctl, 1);
	expect_pass(1, &f, PASS(BRIDGE_STALE));
}

/* Traffic control on the bridge device itself (routerd/daemon/tc.c): routerd's
 * own state, read from the namespace, makes the mirror mark brt0. */
static __u8 bridge_tc(void)
{
	struct rd_bridge_dev b;
	__u32 key = (__u32)br_ifindex;

	cr_assert_eq(bpf_map__lookup_elem(skel->maps.rd_bridges, &key, sizeof(key), &b, sizeof(b),
					  0), 0);
	return b.tc;
}

static void set_bridge_tc(__u8 bits)
{
	struct rd_bridge_dev b;
	__u32 key = (__u32)br_ifindex;

	cr_assert_eq(bpf_map__lookup_elem(skel->maps.rd_bridges, &key, sizeof(key), &b, sizeof(b),
					  0), 0);
	b.tc = bits;
	cr_assert_eq(bpf_map__update_elem(skel->maps.rd_bridges, &key, sizeof(key), &b, sizeof(b),
					  0), 0);
}

/* The mirror's tc hook, as daemon.c wires it (rd_wire_tc, rd_wire_bridge). */
static __u8 tc_hold(void *tc, __u32 dev, bool bypass)
{
	return rd_tc_hold(tc, dev, bypass);
}

Test(route, a_shaper_on_the_bridge_device_is_marked)
{
	static struct rd_ifaces none;
	struct rd_tc tc;
	char err[256];

	cr_assert_eq(rd_tc_open(&tc, &none, err, sizeof(err)), 0, "%s", err);
	mirror.hooks.tc_hold = tc_hold;
	mirror.hooks.tc_arg = &tc;
	cr_assert_eq(bridge_tc(), 0);
	sh("tc qdisc add dev " BRIDGE " root tbf rate 10mbit burst 32kb latency 50ms");
	rd_tc_refresh(&tc);
	rd_fdb_sync(&mirror);
	cr_assert_eq(bridge_tc(), RD_TC_HOLD_EGRESS);
	sh("tc qdisc del dev " BRIDGE " root && tc qdisc add dev " BRIDGE " ingress && "
	   "tc filter add dev " BRIDGE " parent ffff: protocol ip u32 match u32 0 0 classid 1:1");
	rd_tc_refresh(&tc);
	rd_fdb_sync(&mirror);
	cr_assert_eq(bridge_tc(), RD_TC_HOLD_INGRESS);
	sh("tc qdisc del dev " BRIDGE " ingress");
	rd_tc_refresh(&tc);
	rd_fdb_sync(&mirror);
	cr_assert_eq(bridge_tc(), 0);
	mirror.hooks.tc_hold = NULL;
	rd_tc_stop(&tc);
}

/* Routed into the bridge past its shaper: the kernel transmits on brt0. */
Test(route, a_bridge_device_shaper_keeps_routed_traffic)
{
	struct frame in = ip_frame(up_mac, up_peer, "198.18.51.2", "198.18.50.12", 64);
	struct result r;

	set_bridge_tc(RD_TC_HOLD_EGRESS);
	r = run_on_dev(up_ifindex, &in, 0);
	cr_assert_eq(r.action, XDP_PASS, "%s", moved_str(&r));
	expect_frame(&r.out, &in, "frame handed on unchanged");
	expect_counted(&r, UPLINK_SLOT, PASS(TC));
	/* out of the bridge is not through its qdisc */
	in = ip_frame(bridge_mac, vm[1], "198.18.50.11", "198.18.51.2", 64);
	cr_assert_eq(run_on(1, &in, 0).action, XDP_REDIRECT);
}

/* Filters on the bridge device's ingress see what goes up brt0. */
Test(route, bridge_device_ingress_filters_keep_what_goes_up)
{
	struct frame in = ip_frame(bridge_mac, vm[1], "198.18.50.11", "198.18.51.2", 64);

	set_bridge_tc(RD_TC_HOLD_INGRESS);
	expect_pass(1, &in, PASS(TC));
	/* bridged port to port never goes up brt0 */
	in = ip_frame(vm[2], vm[1], "198.18.50.11", "198.18.50.12", 64);
	cr_assert_eq(run_on(1, &in, 0).action, XDP_REDIRECT);
}

/* ------------------------------------------------------------------ */
/* suite route_vlan: a VLAN-filtering bridge, maps by hand              */

/*
 *   bridge brt0   pvid 10; VLAN 10 untagged, VLAN 20 and 70 tagged
 *   brp1  10 untagged, pvid 10  (access)      VM 1
 *   brp2  10, 20, 70 tagged     (trunk)       VM 2
 *   brp3  20 untagged, pvid 20; 10 tagged     VM 3
 *   second bridge brt1 (198.18.52.1/24), VLAN 30 tagged on its port brq1,
 *   with VM 7 (198.18.52.17) behind it: a tag rewritten in place
 */
#define BR2 "brt1"
static int br2_ifindex, brq1_ifindex;

static void put_bridge_dev(int ifx, __u16 flags, __u16 pvid, const __u8 *mac,
			   const __u16 *member, const __u16 *untagged)
{
	struct rd_bridge_dev b = { .flags = flags, .pvid = pvid };
	struct rd_port_vlans v = { 0 };
	__u32 key = (__u32)ifx;

	memcpy(b.mac, mac, ETH_ALEN);
	for (; *member; member++)
		v.member[*member / 64] |= 1ull << (*member % 64);
	for (; untagged && *untagged; untagged++)
		v.untagged[*untagged / 64] |= 1ull << (*untagged % 64);
	cr_assert_eq(bpf_map__update_elem(skel->maps.rd_bridges, &key, sizeof(key), &b, sizeof(b),
					  BPF_ANY), 0);
	cr_assert_eq(bpf_map__update_elem(skel->maps.rd_port_vlans, &key, sizeof(key), &v,
					  sizeof(v), BPF_ANY), 0);
}

static void put_fdb(int bridge, __u16 vid, const __u8 *mac, int port, __u32 flags)
{
	struct rd_fdb_key k = { .bridge = (__u32)bridge, .vid = vid };
	struct rd_fdb_entry e = { .port = (__u32)port, .flags = flags };

	memcpy(k.mac, mac, ETH_ALEN);
	cr_assert_eq(bpf_map__update_elem(skel->maps.rd_fdb, &k, sizeof(k), &e, sizeof(e), BPF_ANY),
		     0);
}

static const __u8 br2_mac[ETH_ALEN] = { 2, 0, 0, 0, 0xab, 0 };

static void fill_route_vlans(__u16 proto_flag)
{
	const __u16 flags = RD_BRPORT_VLAN_FILTERING | proto_flag;
	struct rd_iface val = { .slot = N_MANAGED, .bridge_ifindex = 0 };
	struct bpf_devmap_val tx;
	__u32 key;

	set_vlans(1, 10, (const __u16[]){ 10, 0 }, (const __u16[]){ 10, 0 }, NULL, proto_flag);
	set_vlans(2, 0, (const __u16[]){ 10, 20, 70, 0 }, NULL, NULL, proto_flag);
	set_vlans(3, 20, (const __u16[]){ 10, 20, 0 }, (const __u16[]){ 20, 0 }, NULL, proto_flag);
	put_bridge_dev(br_ifindex, flags, 10, bridge_mac, (const __u16[]){ 10, 20, 70, 0 },
		       (const __u16[]){ 10, 0 });
	for (int n = 1; n <= 3; n++)
		fdb_put(n, 10, vm[n]);
	fdb_put(2, 20, vm[2]);
	put_fdb(br_ifindex, 10, bridge_mac, br_ifindex, RD_FDB_LOCAL);
	put_fdb(br_ifindex, 20, bridge_mac, br_ifindex, RD_FDB_LOCAL);

	/* brt1 and its port brq1, slot N_MANAGED (brp4 is not used here) */
	sh("ip link add name " BR2 " address %s type bridge stp_state 0", mac_str(br2_mac));
	sh("ip link add name brq1 type veth peer name brq1-p");
	sh("ip link set brq1 master " BR2 " && ip link set brq1 up && ip link set brq1-p up");
	sh("ip link set " BR2 " up && ethtool -K brq1-p gro on >/dev/null");
	sh("ip addr add 198.18.52.1/24 dev " BR2);
	sh("ip neigh replace 198.18.52.17 lladdr %s nud permanent dev " BR2, mac_str(vm[7]));
	br2_ifindex = (int)if_nametoindex(BR2);
	brq1_ifindex = (int)if_nametoindex("brq1");
	key = (__u32)brq1_ifindex;
	val.bridge_ifindex = (__u32)br2_ifindex;
	val.br_flags = RD_BRPORT_FORWARDING | RD_BRPORT_LEARNING | flags;
	cr_assert_eq(bpf_map__update_elem(skel->maps.rd_ifaces, &key, sizeof(key), &val,
					  sizeof(val), BPF_ANY), 0);
	tx = (struct bpf_devmap_val){ .ifindex = key };
	cr_assert_eq(bpf_map__update_elem(skel->maps.rd_tx, &key, sizeof(key), &tx, sizeof(tx),
					  BPF_ANY), 0);
	put_bridge_dev(br2_ifindex, flags, 30, br2_mac, (const __u16[]){ 30, 0 },
		       (const __u16[]){ 30, 0 });
	{
		struct rd_port_vlans v = { 0 };

		v.member[0] = 1ull << 30; /* VLAN 30, tagged */
		cr_assert_eq(bpf_map__update_elem(skel->maps.rd_port_vlans, &key, sizeof(key), &v,
						  sizeof(v), BPF_ANY), 0);
	}
	put_fdb(br2_ifindex, 30, vm[7], brq1_ifindex, 0);
}

static void setup_route_vlan(void)
{
	build();
	add_uplink();
	fill_route_vlans(0);
}

static void setup_route_vlan_8021ad(void)
{
	build();
	add_uplink();
	fill_route_vlans(RD_BRPORT_VLAN_8021AD);
}

TestSuite(route_vlan, .init = setup_route_vlan, .fini = teardown, .timeout = 30);
TestSuite(route_vlan_8021ad, .init = setup_route_vlan_8021ad, .fini = teardown, .timeout = 30);

Test(route_vlan, tagged_in_from_a_trunk_routed_out_untagged)
{
	struct frame plain = ip_frame(bridge_mac, vm[2], "198.18.50.12", "198.18.51.2", 64);
	struct frame in = tagged(plain, ETH_P_8021Q, 10), want = routed(plain, up_peer, up_mac);

	expect_routed(ifindex[2], 2, &in, "brup-p", &want, EV(FORWARDED_IPV4));
}

Test(route_vlan, untagged_in_on_an_access_port_routed_out)
{
	struct frame in = ip_frame(bridge_mac, vm[1], "198.18.50.11", "198.18.51.2", 64);
	struct frame want = routed(in, up_peer, up_mac);

	expect_routed(ifindex[1], 1, &in, "brup-p", &want, EV(FORWARDED_IPV4));
}

Test(route_vlan, routed_into_a_trunk_gets_the_bridges_pvid_tag)
{
	struct frame in = ip_frame(up_mac, up_peer, "198.18.51.2", "198.18.50.12", 64);
	struct frame want = tagged(routed(in, vm[2], bridge_mac), ETH_P_8021Q, 10);

	expect_routed(up_ifindex, UPLINK_SLOT, &in, "brp2-p", &want, EV(FORWARDED_IPV4));
}

Test(route_vlan, routed_into_an_access_port_stays_untagged)
{
	struct frame in = ip_frame(up_mac, up_peer, "198.18.51.2", "198.18.50.12", 64);
	struct frame want = routed(in, vm[1], bridge_mac);

	sh("ip neigh replace 198.18.50.12 lladdr %s nud permanent dev " BRIDGE, mac_str(vm[1]));
	expect_routed(up_ifindex, UPLINK_SLOT, &in, "brp1-p", &want, EV(FORWARDED_IPV4));
}

Test(route_vlan, a_tag_is_rewritten_in_place_between_bridges)
{
	/* priority 5 in, VLAN 10 -> 30: the priority stays */
	struct frame plain = ip_frame(bridge_mac, vm[2], "198.18.50.12", "198.18.52.17", 64);
	struct frame in = tagged(plain, ETH_P_8021Q, (5 << 13) | 10);
	struct frame want = tagged(routed(plain, vm[7], br2_mac), ETH_P_8021Q, (5 << 13) | 30);
	struct result r = run_on(2, &in, 0);

	cr_assert_eq(r.action, XDP_REDIRECT, "verdict %s (%s)", action_str(r.action),
		     moved_str(&r));
	expect_frame(&r.out, &want, "retagged frame");
	expect_counted(&r, 2, EV(FORWARDED_IPV4));
}

/* Bytes after the IP packet are not the packet's: trimmed behind a tag
 * that goes (bpf/lib/parse.h finds the packet after it) and in front of
 * one that comes. */
static struct frame with_junk(struct frame f, size_t n)
{
	for (size_t i = 0; i < n; i++)
		f.data[f.len + i] = (__u8)(0x5a ^ i);
	f.len += n;
	return f;
}

Test(route_vlan, a_trailer_is_trimmed_around_the_tags)
{
	struct frame plain = ip_frame(bridge_mac, vm[2], "198.18.50.12", "198.18.51.2", 64);
	struct frame in = tagged(with_junk(plain, 24), ETH_P_8021Q, 10);
	struct frame want = routed(plain, up_peer, up_mac);

	expect_routed(ifindex[2], 2, &in, "brup-p", &want, EV(FORWARDED_IPV4));
	plain = ip_frame(up_mac, up_peer, "198.18.51.2", "198.18.50.12", 64);
	in = with_junk(plain, 24);
	want = tagged(routed(plain, vm[2], bridge_mac), ETH_P_8021Q, 10);
	expect_routed(up_ifindex, UPLINK_SLOT, &in, "brp2-p", &want, EV(FORWARDED_IPV4));
}

Test(route_vlan, what_stays_with_the_kernel)
{
	struct frame plain = ip_frame(bridge_mac, vm[2], "198.18.50.12", "198.18.51.2", 64);
	struct frame f = tagged(plain, ETH_P_8021Q, 20);

	/* VLAN 20 reaches the bridge tagged: a VLAN device's, the kernel's */
	expect_pass(2, &f, PASS(VLAN));
	/* routed to the kernel: the frame keeps its tag */
	f = tagged(ip_frame(bridge_mac, vm[2], "198.18.50.12", "198.18.51.2", 1), ETH_P_8021Q, 10);
	expect_pass(2, &f, PASS(TTL));
	/* a second (inner) tag the bridge would not strip */
	f = tagged(tagged(plain, ETH_P_8021Q, 7), ETH_P_8021Q, 10);
	expect_pass(2, &f, PASS(VLAN));
	/* a VLAN the ingress port is not in */
	f = tagged(plain, ETH_P_8021Q, 30);
	expect_drop(2, &f, DROP(VLAN_INGRESS));
}

Test(route_vlan_8021ad, service_tags_are_popped_and_pushed)
{
	struct frame plain = ip_frame(bridge_mac, vm[2], "198.18.50.12", "198.18.51.2", 64);
	struct frame in = tagged(plain, ETH_P_8021AD, 10), want = routed(plain, up_peer, up_mac);

	expect_routed(ifindex[2], 2, &in, "brup-p", &want, EV(FORWARDED_IPV4));
	in = ip_frame(up_mac, up_peer, "198.18.51.2", "198.18.50.12", 64);
	want = tagged(routed(in, vm[2], bridge_mac), ETH_P_8021AD, 10);
	expect_routed(up_ifindex, UPLINK_SLOT, &in, "brp2-p", &want, EV(FORWARDED_IPV4));
}

/* ------------------------------------------------------------------ */
/* suite vlan_dev: VLAN devices, maps by hand                          */

/*
 * This kernel has no 8021q module, so no VLAN device can exist; a veth
 * plays each one for the FIB (its own subnet, its own MAC), and the maps
 * say what the daemon would mirror for a real one:
 *
 *   brv60  "brup.60"   198.18.60.1/24, host 198.18.60.2 behind brup, tag 60
 *   brv70  "brt0.70"   198.18.70.1/24, VM 2 (198.18.70.12) on trunk brp2
 */
static const __u8 v60_mac[ETH_ALEN] = { 2, 0, 0, 0, 0x60, 1 };
static const __u8 v70_mac[ETH_ALEN] = { 2, 0, 0, 0, 0x70, 1 };
static int v60_ifindex, v70_ifindex;

static void put_vlan_dev(int ifx, int lower, __u16 vid, __u16 tpid, const __u8 *mac)
{
	struct rd_vlan_dev vd = { .ifindex = (__u32)ifx, .lower = (__u32)lower, .vid = vid,
				  .tpid = tpid };
	struct rd_vlan_key k = { .lower = (__u32)lower, .vid = vid };
	__u32 key = (__u32)ifx;

	memcpy(vd.mac, mac, ETH_ALEN);
	cr_assert_eq(bpf_map__update_elem(skel->maps.rd_vlan_devs, &key, sizeof(key), &vd,
					  sizeof(vd), BPF_ANY), 0);
	cr_assert_eq(bpf_map__update_elem(skel->maps.rd_vlan_in, &k, sizeof(k), &vd, sizeof(vd),
					  BPF_ANY), 0);
}

static int fake_vlan_dev(const char *name, const __u8 *mac, const char *net)
{
	sh("ip link add name %s address %s type veth peer name %s-p", name, mac_str(mac), name);
	sh("ip link set %s up && ip link set %s-p up && ip addr add %s dev %s", name, name, net,
	   name);
	return (int)if_nametoindex(name);
}

static void setup_vlan_dev(void)
{
	setup_route_vlan();
	v60_ifindex = fake_vlan_dev("brv60", v60_mac, "198.18.60.1/24");
	v70_ifindex = fake_vlan_dev("brv70", v70_mac, "198.18.70.1/24");
	sh("ip neigh replace 198.18.60.2 lladdr %s nud permanent dev brv60", mac_str(up_peer));
	sh("ip neigh replace 198.18.70.12 lladdr %s nud permanent dev brv70", mac_str(vm[2]));
	put_vlan_dev(v60_ifindex, up_ifindex, 60, ETH_P_8021Q, v60_mac);
	put_vlan_dev(v70_ifindex, br_ifindex, 70, ETH_P_8021Q, v70_mac);
	fdb_put(2, 70, vm[2]);
	put_fdb(br_ifindex, 70, v70_mac, br_ifindex, RD_FDB_LOCAL);
}

TestSuite(vlan_dev, .init = setup_vlan_dev, .fini = teardown, .timeout = 30);

Test(vlan_dev, out_of_a_vlan_device_on_a_port_with_its_tag)
{
	struct frame in = ip_frame(bridge_mac, vm[1], "198.18.50.11", "198.18.60.2", 64);
	struct frame want = tagged(routed(in, up_peer, v60_mac), ETH_P_8021Q, 60);

	expect_routed(ifindex[1], 1, &in, "brup-p", &want, EV(FORWARDED_IPV4));
}

Test(vlan_dev, into_a_vlan_device_on_a_port_untagged_onwards)
{
	struct frame plain = ip_frame(v60_mac, up_peer, "198.18.60.2", "198.18.50.11", 64);
	struct frame in = tagged(plain, ETH_P_8021Q, 60), want = routed(plain, vm[1], bridge_mac);

	sh("ip neigh replace 198.18.50.11 lladdr %s nud permanent dev " BRIDGE, mac_str(vm[1]));
	expect_routed(up_ifindex, UPLINK_SLOT, &in, "brp1-p", &want, EV(FORWARDED_IPV4));
}

Test(vlan_dev, out_of_a_vlan_device_on_the_bridge_to_a_trunk)
{
	struct frame in = ip_frame(up_mac, up_peer, "198.18.51.2", "198.18.70.12", 64);
	struct frame want = tagged(routed(in, vm[2], v70_mac), ETH_P_8021Q, 70);

	expect_routed(up_ifindex, UPLINK_SLOT, &in, "brp2-p", &want, EV(FORWARDED_IPV4));
}

Test(vlan_dev, into_a_vlan_device_on_the_bridge_from_a_trunk)
{
	struct frame plain = ip_frame(v70_mac, vm[2], "198.18.70.12", "198.18.51.2", 64);
	struct frame in = tagged(plain, ETH_P_8021Q, 70), want = routed(plain, up_peer, up_mac);

	expect_routed(ifindex[2], 2, &in, "brup-p", &want, EV(FORWARDED_IPV4));
}

static void set_vlan_dev_tc(int ifx, int lower, __u16 vid, const __u8 *mac, __u8 bits)
{
	struct rd_vlan_dev vd = { .ifindex = (__u32)ifx, .lower = (__u32)lower, .vid = vid,
				  .tpid = ETH_P_8021Q, .tc = bits };
	struct rd_vlan_key k = { .lower = (__u32)lower, .vid = vid };
	__u32 key = (__u32)ifx;

	memcpy(vd.mac, mac, ETH_ALEN);
	cr_assert_eq(bpf_map__update_elem(skel->maps.rd_vlan_devs, &key, sizeof(key), &vd,
					  sizeof(vd), BPF_ANY), 0);
	cr_assert_eq(bpf_map__update_elem(skel->maps.rd_vlan_in, &k, sizeof(k), &vd, sizeof(vd),
					  BPF_ANY), 0);
}

/* tc on VLAN devices (which this kernel cannot create: the maps by hand) */
Test(vlan_dev, tc_on_a_vlan_device_keeps_its_traffic)
{
	struct frame out = ip_frame(bridge_mac, vm[1], "198.18.50.11", "198.18.60.2", 64);
	struct frame plain = ip_frame(v70_mac, vm[2], "198.18.70.12", "198.18.51.2", 64);
	struct frame in = tagged(plain, ETH_P_8021Q, 70);

	set_vlan_dev_tc(v60_ifindex, up_ifindex, 60, v60_mac, RD_TC_HOLD_EGRESS);
	expect_pass(1, &out, PASS(TC));
	set_vlan_dev_tc(v70_ifindex, br_ifindex, 70, v70_mac, RD_TC_HOLD_INGRESS);
	expect_pass(2, &in, PASS(TC));
}

Test(vlan_dev, what_stays_with_the_kernel)
{
	struct frame plain = ip_frame(v60_mac, up_peer, "198.18.60.2", "198.18.50.11", 64);
	struct frame f = tagged(plain, ETH_P_8021Q, 61);
	struct result r = run_on_dev(up_ifindex, &f, 0);

	/* no VLAN device for VLAN 61 */
	cr_assert_eq(r.action, XDP_PASS);
	expect_frame(&r.out, &f, "frame handed on");
	expect_counted(&r, UPLINK_SLOT, PASS(VLAN));
	/* an 802.1ad tag for an 802.1Q device */
	f = tagged(plain, ETH_P_8021AD, 60);
	r = run_on_dev(up_ifindex, &f, 0);
	expect_counted(&r, UPLINK_SLOT, PASS(VLAN));
	/* the right VLAN, another host's MAC */
	f = tagged(ip_frame(up_mac, up_peer, "198.18.60.2", "198.18.50.11", 64), ETH_P_8021Q, 60);
	r = run_on_dev(up_ifindex, &f, 0);
	cr_assert_eq(r.action, XDP_PASS);
	expect_counted(&r, UPLINK_SLOT, PASS(OTHER_HOST));
	/* the lower device not managed: the kernel transmits */
	{
		__u32 key = (__u32)up_ifindex;

		cr_assert_eq(bpf_map__delete_elem(skel->maps.rd_tx, &key, sizeof(key), 0), 0);
		f = ip_frame(bridge_mac, vm[1], "198.18.50.11", "198.18.60.2", 64);
		expect_pass(1, &f, PASS(UNMANAGED_EGRESS));
	}
}

/* A VLAN device keeps its own tag protocol: a VLAN-unaware bridge carries
 * the tag as the device wrote it (802.1ad here), and a filtering bridge
 * takes only its own protocol (802.1Q here) as a VLAN, so a device with
 * another is left to the kernel. */
Test(vlan_dev, a_service_tag_device_keeps_its_protocol)
{
	struct frame in = ip_frame(up_mac, up_peer, "198.18.51.2", "198.18.70.12", 64);
	struct frame want = tagged(routed(in, vm[2], v70_mac), ETH_P_8021AD, 70);
	__u32 key = (__u32)br_ifindex;
	struct rd_bridge_dev b;
	struct result r;

	put_vlan_dev(v70_ifindex, br_ifindex, 70, ETH_P_8021AD, v70_mac);
	r = run_on_dev(up_ifindex, &in, 0);
	cr_assert_eq(r.action, XDP_PASS, "%s", moved_str(&r));
	expect_counted(&r, UPLINK_SLOT, PASS(UNMANAGED_EGRESS));

	cr_assert_eq(bpf_map__lookup_elem(skel->maps.rd_bridges, &key, sizeof(key), &b, sizeof(b),
					  0), 0);
	b.flags &= ~RD_BRPORT_VLAN_FILTERING;
	cr_assert_eq(bpf_map__update_elem(skel->maps.rd_bridges, &key, sizeof(key), &b, sizeof(b),
					  BPF_EXIST), 0);
	fdb_put(2, 0, vm[2]);
	expect_routed(up_ifindex, UPLINK_SLOT, &in, "brp2-p", &want, EV(FORWARDED_IPV4));
}

/* The VLAN device is the FIB's ingress: iif rules and hairpins see it. */
Test(vlan_dev, the_vlan_device_is_the_ingress)
{
	struct frame f = tagged(ip_frame(v60_mac, up_peer, "198.18.60.2", "198.18.60.99", 64),
				ETH_P_8021Q, 60);
	struct result r;

	sh("ip neigh replace 198.18.60.99 lladdr %s nud permanent dev brv60", mac_str(vm[3]));
	r = run_on_dev(up_ifindex, &f, 0);
	cr_assert_eq(r.action, XDP_PASS, "%s", moved_str(&r));
	expect_counted(&r, UPLINK_SLOT, PASS(HAIRPIN));

	sh("ip route add blackhole 198.18.50.0/24 table 100");
	sh("ip rule add iif brv60 lookup 100 pref 100");
	f = tagged(ip_frame(v60_mac, up_peer, "198.18.60.2", "198.18.50.11", 64), ETH_P_8021Q, 60);
	r = run_on_dev(up_ifindex, &f, 0);
	cr_assert_eq(r.action, XDP_DROP, "%s", moved_str(&r));
	expect_counted(&r, UPLINK_SLOT, DROP(BLACKHOLE));
	/* from the VM, the same destination is routed as before */
	sh("ip neigh replace 198.18.50.11 lladdr %s nud permanent dev " BRIDGE, mac_str(vm[1]));
	f = ip_frame(up_mac, up_peer, "198.18.51.2", "198.18.50.11", 64);
	cr_assert_eq(run_on_dev(up_ifindex, &f, 0).action, XDP_REDIRECT);
}

/* ------------------------------------------------------------------ */
/* suite mirror_vlan_dev: the mirror's reading of VLAN devices         */

/*
 * No VLAN device can exist here, so the link dump that would describe some
 * is built by hand and fed to the mirror (rd_fdb_apply_dump()).
 */
static char links[8192];
static size_t links_len;

static struct nlmsghdr *put_link(int ifx, const char *name, bool up, const __u8 *mac)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(links + links_len);
	struct ifinfomsg *ifi;

	nlh->nlmsg_type = RTM_NEWLINK;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_index = ifx;
	ifi->ifi_flags = up ? IFF_UP : 0;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	mnl_attr_put(nlh, IFLA_ADDRESS, ETH_ALEN, mac);
	return nlh;
}

static void put_vlan_link(int ifx, int lower, __u16 vid, __u16 proto, bool up, bool other_ns)
{
	struct nlmsghdr *nlh = put_link(ifx, "vlandev", up, v70_mac);
	struct nlattr *li, *data;

	mnl_attr_put_u32(nlh, IFLA_LINK, (__u32)lower);
	if (other_ns)
		mnl_attr_put_u32(nlh, IFLA_LINK_NETNSID, 1);
	li = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "vlan");
	data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
	mnl_attr_put_u16(nlh, IFLA_VLAN_ID, vid);
	mnl_attr_put_u16(nlh, IFLA_VLAN_PROTOCOL, htons(proto));
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, li);
	links_len += NLMSG_ALIGN(nlh->nlmsg_len);
}

static void put_bridge_link(void)
{
	struct nlmsghdr *nlh = put_link(br_ifindex, BRIDGE, true, bridge_mac);
	struct nlattr *li = mnl_attr_nest_start(nlh, IFLA_LINKINFO);

	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "bridge");
	mnl_attr_nest_end(nlh, li);
	links_len += NLMSG_ALIGN(nlh->nlmsg_len);
}

static bool vlan_dev_mirrored(int ifx, struct rd_vlan_dev *vd)
{
	__u32 key = (__u32)ifx;
	struct rd_vlan_dev in;
	struct rd_vlan_key k;

	if (bpf_map__lookup_elem(skel->maps.rd_vlan_devs, &key, sizeof(key), vd, sizeof(*vd), 0))
		return false;
	k = (struct rd_vlan_key){ .lower = vd->lower, .vid = vd->vid };
	cr_assert_eq(bpf_map__lookup_elem(skel->maps.rd_vlan_in, &k, sizeof(k), &in, sizeof(in), 0),
		     0, "rd_vlan_devs has %d, rd_vlan_in not", ifx);
	cr_assert_eq(memcmp(&in, vd, sizeof(in)), 0);
	return true;
}

TestSuite(mirror_vlan_dev, .init = setup_mirror, .fini = teardown, .timeout = 30);

Test(mirror_vlan_dev, vlan_devices_on_bridges_and_managed_ports)
{
	const __u8 zero[ETH_ALEN] = { 0 };
	struct rd_vlan_dev vd;

	links_len = 0;
	put_bridge_link();
	put_vlan_link(5000, br_ifindex, 70, ETH_P_8021Q, true, false);
	put_vlan_link(5001, ifindex[1], 80, ETH_P_8021AD, false, false);
	put_vlan_link(5002, 4242, 90, ETH_P_8021Q, true, false);     /* lower unknown */
	put_vlan_link(5003, ifindex[5], 91, ETH_P_8021Q, true, false); /* lower unmanaged */
	put_vlan_link(5004, ifindex[2], 92, ETH_P_8021Q, true, true);  /* lower elsewhere */
	put_vlan_link(5005, ifindex[2], 4095, ETH_P_8021Q, true, false);
	rd_fdb_apply_dump(&mirror, links, links_len, NULL, 0);

	cr_assert(vlan_dev_mirrored(5000, &vd), "brt0.70");
	cr_assert_eq(vd.lower, (__u32)br_ifindex);
	cr_assert_eq(vd.vid, 70);
	cr_assert_eq(vd.tpid, ETH_P_8021Q);
	cr_assert_arr_eq(vd.mac, v70_mac, ETH_ALEN);
	cr_assert(vlan_dev_mirrored(5001, &vd), "brp1.80");
	cr_assert_eq(vd.tpid, ETH_P_8021AD);
	cr_assert_arr_eq(vd.mac, zero, ETH_ALEN, "a device that is down routes nothing");
	for (int ifx = 5002; ifx <= 5005; ifx++)
		cr_assert_not(vlan_dev_mirrored(ifx, &vd), "VLAN device %d mirrored", ifx);

	/* brt0.70 deleted: gone from both maps */
	links_len = 0;
	put_bridge_link();
	put_vlan_link(5001, ifindex[1], 80, ETH_P_8021AD, false, false);
	rd_fdb_apply_dump(&mirror, links, links_len, NULL, 0);
	cr_assert_not(vlan_dev_mirrored(5000, &vd));
	{
		struct rd_vlan_key k = { .lower = (__u32)br_ifindex, .vid = 70 };
		struct rd_vlan_dev in;

		cr_assert_neq(bpf_map__lookup_elem(skel->maps.rd_vlan_in, &k, sizeof(k), &in,
						   sizeof(in), 0), 0, "rd_vlan_in kept brt0.70");
	}
	cr_assert(vlan_dev_mirrored(5001, &vd));
}
