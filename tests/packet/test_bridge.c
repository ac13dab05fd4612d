// SPDX-License-Identifier: GPL-2.0
/*
 * Packet tests of bridging in the driver (bpf/lib/bridge.h); the topology
 * is bridge_fixture.h's.
 *
 * Suite bridge fills the maps the way routerd does: the rd_fdb mirror
 * (routerd/bridge/mirror.c) reads the kernel bridge and writes rd_fdb and the bridge
 * fields of rd_iface; tests change the bridge with bridge(8) and let the
 * mirror follow (rd_fdb_poll()). Suite vlan fills the maps by hand: this
 * kernel has no VLAN filtering for bridges, so VLAN-aware bridges exist
 * only as map contents here; suite mirror_vlan feeds the mirror the link
 * and VLAN messages such a bridge would produce, built by hand.
 * test_bridge_route.c has routed traffic into and out of the bridge.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/bpf.h>
#include <linux/if_bridge.h>
#include <linux/if_ether.h>
#include <linux/if_link.h>
#include <linux/if_packet.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/rtnetlink.h>
#include <linux/udp.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <criterion/criterion.h>

#include <routerd/bridge.h>
#include <routerd/maps.h>

#include "daemon/datapath.h"
#include "bridge/mirror.h"
#include "daemon/ifaces.h"
#include "common/log.h"
#include "routerd.skel.h"

#include "bridge_fixture.h"
#include "stats_bytes.h"

/* ------------------------------------------------------------------ */
/* suite bridge: maps filled by the mirror                             */

TestSuite(bridge, .init = setup_mirror, .fini = teardown, .timeout = 30);

Test(bridge, the_mirror_describes_ports_and_entries)
{
	struct rd_fdb_entry e;
	struct rd_fdb_key k = { .bridge = (__u32)br_ifindex };
	struct rd_iface val = read_iface(1);

	cr_assert_eq(val.bridge_ifindex, (__u32)br_ifindex, "brp1: bridge %u, want %d",
		     val.bridge_ifindex, br_ifindex);
	cr_assert_eq(val.br_flags, RD_BRPORT_FORWARDING | RD_BRPORT_LEARNING, "brp1 flags %#x",
		     val.br_flags);
	cr_assert_eq(val.slot, 1, "the mirror keeps ifaces.c's fields");
	for (int n = 1; n <= N_MANAGED; n++) {
		memcpy(k.mac, vm[n], ETH_ALEN);
		cr_assert_eq(bpf_map__lookup_elem(skel->maps.rd_fdb, &k, sizeof(k), &e, sizeof(e), 0),
			     0, "VM %d's entry is mirrored", n);
		cr_assert_eq(e.port, (__u32)ifindex[n], "VM %d on port %u, want brp%d", n, e.port, n);
		cr_assert_eq(e.flags, RD_FDB_STATIC, "VM %d flags %#x", n, e.flags);
	}
	memcpy(k.mac, vm[5], ETH_ALEN);
	cr_assert_neq(bpf_map__lookup_elem(skel->maps.rd_fdb, &k, sizeof(k), &e, sizeof(e), 0), 0,
		      "the entry behind the unmanaged brp5 is not mirrored");
	memcpy(k.mac, bridge_mac, ETH_ALEN);
	cr_assert_eq(bpf_map__lookup_elem(skel->maps.rd_fdb, &k, sizeof(k), &e, sizeof(e), 0), 0,
		     "the bridge's own address is mirrored");
	cr_assert_eq(e.flags, RD_FDB_LOCAL | RD_FDB_STATIC);
	cr_assert_eq(e.port, (__u32)br_ifindex);
}

Test(bridge, known_unicast_goes_to_its_port)
{
	struct frame f12 = frame_to(vm[2], vm[1]), f13 = frame_to(vm[3], vm[1]);
	struct frame f41 = frame_to(vm[1], vm[4]), f46 = frame_to(vm[6], vm[4]);

	expect_bridged(1, &f12, 2);
	expect_bridged(1, &f13, 3);
	expect_bridged(4, &f41, 1);
	expect_bridged(4, &f46, 1);
}

/* Bridging does not touch L3: whatever the frame carries leaves as it came
 * (TTL 1, broken IP headers, ARP, anything). */
Test(bridge, frames_are_bridged_byte_for_byte)
{
	struct frame f = frame_to(vm[2], vm[1]);
	struct frame bad_ip = f, arp = f, other = f, short_frame = f, ipv6 = f;

	((struct iphdr *)(bad_ip.data + ETH_HLEN))->ihl = 3;
	set_proto(&arp, ETH_P_ARP);
	set_proto(&other, 0x88b5); /* local experimental ethertype */
	short_frame.len = ETH_HLEN + 2;
	set_proto(&ipv6, ETH_P_IPV6);
	ipv6.data[ETH_HLEN] = 0x60;
	ipv6.data[ETH_HLEN + 7] = 0; /* hop limit 0 */
	expect_bridged(1, &f, 2);
	expect_bridged(1, &bad_ip, 2);
	expect_bridged(1, &arp, 2);
	expect_bridged(1, &other, 2);
	expect_bridged(1, &short_frame, 2);
	expect_bridged(1, &ipv6, 2);
}

Test(bridge, unknown_unicast_goes_to_the_kernel)
{
	struct frame f = frame_to(unknown_mac, vm[1]);

	expect_pass(1, &f, PASS(FDB_MISS));
}

Test(bridge, entries_behind_unmanaged_ports_are_the_kernels)
{
	struct frame f = frame_to(vm[5], vm[1]);

	expect_pass(1, &f, PASS(FDB_MISS));
}

Test(bridge, broadcast_and_multicast_go_to_the_kernel)
{
	const __u8 bcast[ETH_ALEN] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	const __u8 mcast4[ETH_ALEN] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x01 };
	const __u8 mcast6[ETH_ALEN] = { 0x33, 0x33, 0x00, 0x00, 0x00, 0x01 };
	struct frame b = frame_to(bcast, vm[1]), m4 = frame_to(mcast4, vm[1]),
		     m6 = frame_to(mcast6, vm[1]);

	expect_pass(1, &b, PASS(MULTICAST));
	expect_pass(1, &m4, PASS(MULTICAST));
	expect_pass(1, &m6, PASS(MULTICAST));
}

Test(bridge, link_local_control_frames_go_to_the_kernel)
{
	const __u8 stp[ETH_ALEN] = { 0x01, 0x80, 0xc2, 0, 0, 0x00 };
	const __u8 lacp[ETH_ALEN] = { 0x01, 0x80, 0xc2, 0, 0, 0x02 };
	const __u8 lldp[ETH_ALEN] = { 0x01, 0x80, 0xc2, 0, 0, 0x0e };
	struct frame bpdu = frame_to(stp, vm[1]), l = frame_to(lacp, vm[1]),
		     d = frame_to(lldp, vm[1]);

	bpdu.len = 60;
	set_proto(&bpdu, 0x0026); /* 802.3 length: LLC follows */
	set_proto(&l, 0x8809);
	set_proto(&d, 0x88cc);
	expect_pass(1, &bpdu, PASS(BRIDGE_CONTROL));
	expect_pass(1, &l, PASS(BRIDGE_CONTROL));
	expect_pass(1, &d, PASS(BRIDGE_CONTROL));
}

/* The kernel must see what it would learn: a source MAC it does not have
 * on this port (new, or moved here from another port). */
Test(bridge, unlearned_sources_go_to_the_kernel)
{
	struct frame unknown_src = frame_to(vm[2], unknown_mac);
	struct frame moved = frame_to(vm[3], vm[2]); /* VM 2 is on brp2, not brp1 */
	struct frame local_src = frame_to(vm[2], bridge_mac);

	expect_pass(1, &unknown_src, PASS(FDB_LEARN));
	expect_pass(1, &moved, PASS(FDB_LEARN));
	expect_pass(1, &local_src, PASS(FDB_LEARN));
}

Test(bridge, invalid_sources_go_to_the_kernel)
{
	const __u8 mcast_src[ETH_ALEN] = { 0x01, 0, 0, 0, 0xbb, 1 }, zero[ETH_ALEN] = { 0 };
	struct frame m = frame_to(vm[2], mcast_src), z = frame_to(vm[2], zero);

	expect_pass(1, &m, PASS(MALFORMED));
	expect_pass(1, &z, PASS(MALFORMED));
}

/* To the bridge's own MAC: routed (test_bridge_route.c); this TTL 1
 * packet then goes to the kernel, which owes the sender an ICMP error. */
Test(bridge, frames_for_the_box_go_up_the_stack)
{
	struct frame to_br = frame_to(bridge_mac, vm[1]), to_port = frame_to(port_mac[2], vm[1]);

	ipv4_fix_csum((struct iphdr *)(to_br.data + ETH_HLEN));
	expect_pass(1, &to_br, PASS(TTL));
	expect_pass(1, &to_port, PASS(BRIDGE_LOCAL));
}

Test(bridge, destination_behind_the_ingress_port_goes_to_the_kernel)
{
	struct frame f = frame_to(vm[6], vm[1]);

	expect_pass(1, &f, PASS(HAIRPIN));
}

Test(bridge, ingress_port_not_forwarding)
{
	struct frame f = frame_to(vm[2], vm[1]);
	const __u8 stp[ETH_ALEN] = { 0x01, 0x80, 0xc2, 0, 0, 0 };
	struct frame bpdu = frame_to(stp, vm[1]);

	change("bridge link set dev brp1 state 0"); /* disabled: sticks without STP */
	cr_assert_eq(read_iface(1).br_flags & RD_BRPORT_FORWARDING, 0);
	expect_pass(1, &f, PASS(PORT_STATE));
	expect_pass(1, &bpdu, PASS(BRIDGE_CONTROL)); /* STP still gets its BPDUs */
	change("bridge link set dev brp1 state 3");
	expect_bridged(1, &f, 2);
}

Test(bridge, egress_port_not_forwarding)
{
	struct frame f = frame_to(vm[2], vm[1]);

	change("bridge link set dev brp2 state 0");
	expect_pass(1, &f, PASS(PORT_STATE));
}

Test(bridge, isolated_ports)
{
	struct frame f12 = frame_to(vm[2], vm[1]), f13 = frame_to(vm[3], vm[1]);
	struct frame f31 = frame_to(vm[1], vm[3]);

	change("bridge link set dev brp1 isolated on");
	expect_bridged(1, &f12, 2); /* one isolated port: fine */
	change("bridge link set dev brp2 isolated on");
	expect_pass(1, &f12, PASS(ISOLATED));
	expect_bridged(1, &f13, 3);
	expect_bridged(3, &f31, 1);
}

/* Learning off: nothing to learn, so an unknown source is no reason to
 * involve the kernel. */
Test(bridge, learning_off)
{
	struct frame f = frame_to(vm[2], unknown_mac);

	change("bridge link set dev brp1 learning off");
	cr_assert_eq(read_iface(1).br_flags & RD_BRPORT_LEARNING, 0);
	expect_bridged(1, &f, 2);
}

/* flood off only concerns unknown unicast, which is the kernel's anyway. */
Test(bridge, flood_off)
{
	struct frame known = frame_to(vm[2], vm[1]), unknown = frame_to(unknown_mac, vm[1]);

	change("bridge link set dev brp2 flood off");
	expect_bridged(1, &known, 2);
	expect_pass(1, &unknown, PASS(FDB_MISS));
}

Test(bridge, locked_ports_are_the_kernels)
{
	struct frame f = frame_to(vm[2], vm[1]);

	change("bridge link set dev brp1 locked on");
	expect_pass(1, &f, PASS(PORT_STATE));
}

Test(bridge, neighbour_suppression_keeps_arp_and_nd_in_the_kernel)
{
	struct frame arp = frame_to(vm[2], vm[1]), ip = frame_to(vm[2], vm[1]), nd;

	set_proto(&arp, ETH_P_ARP);
	nd = ip;
	set_proto(&nd, ETH_P_IPV6);
	nd.data[ETH_HLEN] = 0x60;
	nd.data[ETH_HLEN + 6] = IPPROTO_ICMPV6;
	change("bridge link set dev brp3 neigh_suppress on"); /* any port: the bridge's */
	expect_pass(1, &arp, PASS(ARP));
	expect_pass(1, &nd, PASS(ND));
	expect_bridged(1, &ip, 2);
}

/* nomaster: the port is no bridge port any more, at once; its entries go. */
Test(bridge, a_port_leaving_the_bridge)
{
	struct frame f12 = frame_to(vm[2], vm[1]), f21 = frame_to(vm[1], vm[2]);
	struct rd_fdb_key k = { .bridge = (__u32)br_ifindex };
	struct rd_fdb_entry e;

	change("ip link set brp2 nomaster");
	cr_assert_eq(read_iface(2).bridge_ifindex, 0, "brp2 still described as a bridge port");
	memcpy(k.mac, vm[2], ETH_ALEN);
	cr_assert_neq(bpf_map__lookup_elem(skel->maps.rd_fdb, &k, sizeof(k), &e, sizeof(e), 0), 0,
		      "brp2's entry is still mirrored");
	expect_pass(1, &f12, PASS(FDB_MISS));
	/* brp2 is a plain interface now: the routing path sees the frame */
	expect_pass(2, &f21, PASS(OTHER_HOST));
}

Test(bridge, the_mirror_follows_fdb_changes)
{
	struct frame f17 = frame_to(vm[7], vm[1]);

	expect_pass(1, &f17, PASS(FDB_MISS));
	change("bridge fdb add %s dev brp3 master static", mac_str(vm[7]));
	expect_bridged(1, &f17, 3);
	change("bridge fdb replace %s dev brp4 master static", mac_str(vm[7])); /* moved */
	expect_bridged(1, &f17, 4);
	change("bridge fdb del %s dev brp4 master", mac_str(vm[7]));
	expect_pass(1, &f17, PASS(FDB_MISS));
}

/* routerd killed: nobody follows the bridge, so the maps cannot be
 * trusted; once the heartbeat runs out, the kernel bridges everything. */
Test(bridge, without_a_heartbeat_the_kernel_bridges)
{
	struct frame f = frame_to(vm[2], vm[1]);

	expect_bridged(1, &f, 2);
	set_heartbeat(skel->maps.rd_bridge_ctl, 1);
	expect_pass(1, &f, PASS(BRIDGE_STALE));
	rd_fdb_poll(&mirror); /* a live mirror pushes it again */
	expect_bridged(1, &f, 2);
	rd_fdb_stop(&mirror); /* and a stopping one switches bridging off */
	mirror_on = false;
	expect_pass(1, &f, PASS(BRIDGE_STALE));
}

/* Events lost to an overrun (ENOBUFS): a full resync makes the mirror
 * match the kernel again. */
Test(bridge, an_overrun_is_followed_by_a_full_resync)
{
	const char *batch = "/tmp/rd-test-bridge-batch";
	int tiny = 1, fd = bpf_map__fd(skel->maps.rd_fdb);
	struct rd_fdb_key key, next, *prev = NULL;
	struct rd_fdb_entry e;
	unsigned on_brp3 = 0;
	FILE *b = fopen(batch, "w");

	cr_assert_not_null(b);
	for (int i = 0; i < 400; i++)
		fprintf(b, "fdb add 02:00:00:01:%02x:%02x dev brp3 master static\n", i >> 8, i & 0xff);
	cr_assert_eq(fclose(b), 0);
	cr_assert_eq(setsockopt(mnl_socket_get_fd(events.sk), SOL_SOCKET, SO_RCVBUF, &tiny,
				sizeof(tiny)), 0);
	change("bridge -batch %s", batch);
	unlink(batch);
	cr_assert_geq(mirror.overruns, 1, "no overrun provoked");
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		if (!bpf_map_lookup_elem(fd, &next, &e) && e.port == (__u32)ifindex[3] &&
		    !(e.flags & RD_FDB_LOCAL))
			on_brp3++;
		key = next;
		prev = &key;
	}
	cr_assert_eq(on_brp3, 401, "%u entries on brp3 mirrored, want 400 + VM 3's", on_brp3);
}

/* What XDP bridged is stamped, for the daemon's NTF_USE refresh. */
Test(bridge, bridged_entries_are_stamped)
{
	struct frame f = frame_to(vm[2], vm[1]);
	struct rd_fdb_key k = { .bridge = (__u32)br_ifindex };
	struct rd_fdb_entry src, dst;

	expect_bridged(1, &f, 2);
	memcpy(k.mac, vm[1], ETH_ALEN);
	cr_assert_eq(bpf_map__lookup_elem(skel->maps.rd_fdb, &k, sizeof(k), &src, sizeof(src), 0), 0);
	memcpy(k.mac, vm[2], ETH_ALEN);
	cr_assert_eq(bpf_map__lookup_elem(skel->maps.rd_fdb, &k, sizeof(k), &dst, sizeof(dst), 0), 0);
	cr_assert_neq(src.seen_ns, 0, "the source's seen_ns is stamped");
	cr_assert_neq(dst.used_ns, 0, "the destination's used_ns is stamped");
	cr_assert_eq(dst.seen_ns, 0, "the destination did not send anything");
}

/* The refresh of a dynamic entry XDP saw: the kernel's "updated" time is
 * reset (bridge -s fdb: used/updated seconds ago). */
Test(bridge, refresh_keeps_dynamic_entries_updated)
{
	struct frame f = frame_to(vm[2], vm[7]);
	char line[256] = "";
	FILE *p;
	unsigned used, updated;

	/* VM 7 learned (dynamically) on brp1 */
	change("bridge fdb add %s dev brp1 master dynamic", mac_str(vm[7]));
	sleep(2);
	expect_bridged(1, &f, 2);
	rd_fdb_refresh(&mirror, true);
	cr_assert_geq(mirror.refreshes, 1, "no refresh sent (errors %lu, absent %lu)",
		      mirror.refresh_errors, mirror.refresh_absent);
	p = popen("bridge -s fdb show dev brp1 | grep 02:00:00:00:bb:07", "r");
	cr_assert_not_null(p);
	cr_assert_not_null(fgets(line, sizeof(line), p), "VM 7's entry is gone");
	pclose(p);
	cr_assert_eq(sscanf(strstr(line, "used ") ? strstr(line, "used ") : "", "used %u/%u", &used,
			    &updated), 2, "cannot read used/updated in: %s", line);
	cr_assert_leq(updated, 1, "updated %u s ago after the refresh: %s", updated, line);
}

/* ------------------------------------------------------------------ */
/* suite vlan: a VLAN-filtering bridge, maps filled by hand            */

/*
 *   port  membership                              pvid
 *   brp1  10 untagged                             10    (access port)
 *   brp2  10, 20, 40 tagged                       -     (trunk)
 *   brp3  20 untagged, 10 tagged                  20
 *   brp4  10 untagged, 30 tagged, 40 tagged       10    (STP: 40 blocked)
 *
 *   FDB   VLAN 10: VM1 brp1, VM2 brp2, VM3 brp3, VM4 brp4
 *         VLAN 20: VM2 brp2, VM3 brp3
 *         VLAN 30: VM4 brp4, VM5 brp3 (brp3 is not in 30)
 *         VLAN 40: VM1 brp2, VM6 brp4
 */
static void fill_vlans(__u16 extra)
{
	set_vlans(1, 10, (const __u16[]){ 10, 0 }, (const __u16[]){ 10, 0 }, NULL, extra);
	set_vlans(2, 0, (const __u16[]){ 10, 20, 40, 0 }, NULL, NULL, extra);
	set_vlans(3, 20, (const __u16[]){ 10, 20, 0 }, (const __u16[]){ 20, 0 }, NULL, extra);
	set_vlans(4, 10, (const __u16[]){ 10, 30, 40, 0 }, (const __u16[]){ 10, 0 },
		  (const __u16[]){ 40, 0 }, extra);
	for (int n = 1; n <= 4; n++)
		fdb_put(n, 10, vm[n]);
	fdb_put(2, 20, vm[2]);
	fdb_put(3, 20, vm[3]);
	fdb_put(4, 30, vm[4]);
	fdb_put(3, 30, vm[5]);
	fdb_put(2, 40, vm[1]);
	fdb_put(4, 40, vm[6]);
}

static void setup_vlan(void)
{
	build();
	fill_vlans(0);
}

static void setup_vlan_8021ad(void)
{
	build();
	fill_vlans(RD_BRPORT_VLAN_8021AD);
}

TestSuite(vlan, .init = setup_vlan, .fini = teardown, .timeout = 30);
TestSuite(vlan_8021ad, .init = setup_vlan_8021ad, .fini = teardown, .timeout = 30);

/* trunk (tagged 10, PCP 5) -> access port (untagged in 10): the tag comes off */
Test(vlan, tagged_in_untagged_out)
{
	struct frame plain = frame_to(vm[1], vm[2]);
	struct frame in = tagged(plain, ETH_P_8021Q, 0xa000 | 10);

	expect_bridged_as(2, &in, 1, &plain);
}

/* access port (untagged, pvid 10) -> trunk: an 802.1Q tag for VLAN 10,
 * PCP 0, goes on */
Test(vlan, untagged_in_tagged_out)
{
	struct frame plain = frame_to(vm[2], vm[1]);
	struct frame want = tagged(plain, ETH_P_8021Q, 10);

	expect_bridged_as(1, &plain, 2, &want);
}

/* tagged 10 -> tagged 10: the tag, PCP included, stays as it came */
Test(vlan, tagged_in_tagged_out)
{
	struct frame in = tagged(frame_to(vm[3], vm[2]), ETH_P_8021Q, 0x6000 | 10);

	expect_bridged(2, &in, 3);
}

Test(vlan, untagged_in_untagged_out)
{
	struct frame f = frame_to(vm[4], vm[1]);

	expect_bridged(1, &f, 4);
}

/* The ingress VLAN (pvid 20 on brp3) picks the entry: VM2 in 20 is on the
 * trunk, tagged; VM1 is not known in 20 at all. */
Test(vlan, the_vlan_selects_the_fdb_entry)
{
	struct frame from3 = frame_to(vm[2], vm[3]);
	struct frame want = tagged(from3, ETH_P_8021Q, 20);
	struct frame to1_in20 = tagged(frame_to(vm[1], vm[2]), ETH_P_8021Q, 20);

	expect_bridged_as(3, &from3, 2, &want);
	expect_pass(2, &to1_in20, PASS(FDB_MISS));
}

Test(vlan, ingress_membership_violations_are_dropped)
{
	struct frame not_member = tagged(frame_to(vm[2], vm[1]), ETH_P_8021Q, 30);
	struct frame no_pvid = frame_to(vm[1], vm[2]); /* untagged on the trunk */
	struct frame reserved = tagged(frame_to(vm[2], vm[1]), ETH_P_8021Q, 4095);

	expect_drop(1, &not_member, DROP(VLAN_INGRESS));
	expect_drop(2, &no_pvid, DROP(VLAN_INGRESS));
	expect_drop(1, &reserved, DROP(VLAN_INGRESS));
}

/* VM5 is in VLAN 30 behind brp3, which is not in 30 */
Test(vlan, egress_membership_violations_are_dropped)
{
	struct frame f = tagged(frame_to(vm[5], vm[4]), ETH_P_8021Q, 30);

	expect_drop(4, &f, DROP(VLAN_EGRESS));
}

Test(vlan, priority_tagged_frames_go_to_the_kernel)
{
	struct frame f = tagged(frame_to(vm[2], vm[1]), ETH_P_8021Q, 0xe000); /* VID 0 */

	expect_pass(1, &f, PASS(VLAN));
}

/* brp4 is blocked in VLAN 40 (per-VLAN STP state): neither in nor out */
Test(vlan, blocked_vlans_go_to_the_kernel)
{
	struct frame in = tagged(frame_to(vm[1], vm[4]), ETH_P_8021Q, 40);
	struct frame out = tagged(frame_to(vm[6], vm[1]), ETH_P_8021Q, 40);

	fdb_put(4, 40, vm[4]);
	expect_pass(4, &in, PASS(PORT_STATE));
	expect_pass(2, &out, PASS(PORT_STATE));
}

/* 802.1ad bridge: its tags are 88a8; an 802.1Q-tagged frame is untagged
 * to it (the pvid applies, the S-tag goes in front of the C-tag). */
Test(vlan_8021ad, service_tags)
{
	struct frame plain = frame_to(vm[2], vm[1]), back = frame_to(vm[1], vm[2]);
	struct frame want = tagged(plain, ETH_P_8021AD, 10);
	struct frame s_in = tagged(back, ETH_P_8021AD, 10);
	struct frame c_tagged = tagged(plain, ETH_P_8021Q, 99);
	struct frame c_want = tagged(c_tagged, ETH_P_8021AD, 10);

	expect_bridged_as(1, &plain, 2, &want);
	expect_bridged_as(2, &s_in, 1, &back);
	expect_bridged_as(1, &c_tagged, 2, &c_want);
}

/* ------------------------------------------------------------------ */
/* suite mirror_vlan: the mirror's reading of VLAN-filtering bridges   */

/*
 * This kernel cannot build a VLAN-filtering bridge, so the messages the
 * link and VLAN dumps would return for one are built here and fed to the
 * mirror (rd_fdb_apply_dump()), which writes the maps as after a dump.
 */
static char links_buf[16384], vlans_buf[16384];
static size_t links_len, vlans_len;

struct port_desc {
	__u8 state, learning, locked, neigh_suppress;
};

static void put_bridge(__u8 vlan_filtering, __u16 proto, bool mst)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(links_buf + links_len);
	struct ifinfomsg *ifi;
	struct nlattr *li, *data;

	nlh->nlmsg_type = RTM_NEWLINK;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_index = br_ifindex;
	ifi->ifi_flags = IFF_UP;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, BRIDGE);
	mnl_attr_put(nlh, IFLA_ADDRESS, ETH_ALEN, bridge_mac);
	li = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "bridge");
	data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
	mnl_attr_put_u32(nlh, IFLA_BR_AGEING_TIME, 30000);
	mnl_attr_put_u8(nlh, IFLA_BR_VLAN_FILTERING, vlan_filtering);
	mnl_attr_put_u16(nlh, IFLA_BR_VLAN_PROTOCOL, htons(proto));
	if (mst) {
		struct br_boolopt_multi bm = { .optval = 1u << BR_BOOLOPT_MST_ENABLE,
					       .optmask = 1u << BR_BOOLOPT_MST_ENABLE };

		mnl_attr_put(nlh, IFLA_BR_MULTI_BOOLOPT, sizeof(bm), &bm);
	}
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, li);
	links_len += NLMSG_ALIGN(nlh->nlmsg_len);
}

static void put_port(int n, struct port_desc d)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(links_buf + links_len);
	struct ifinfomsg *ifi;
	struct nlattr *li, *data;
	char name[IF_NAMESIZE];

	snprintf(name, sizeof(name), "brp%d", n);
	nlh->nlmsg_type = RTM_NEWLINK;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_index = ifindex[n];
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	mnl_attr_put_u32(nlh, IFLA_MASTER, (__u32)br_ifindex);
	li = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "veth");
	mnl_attr_put_strz(nlh, IFLA_INFO_SLAVE_KIND, "bridge");
	data = mnl_attr_nest_start(nlh, IFLA_INFO_SLAVE_DATA);
	mnl_attr_put_u8(nlh, IFLA_BRPORT_STATE, d.state);
	mnl_attr_put_u8(nlh, IFLA_BRPORT_LEARNING, d.learning);
	mnl_attr_put_u8(nlh, IFLA_BRPORT_LOCKED, d.locked);
	mnl_attr_put_u8(nlh, IFLA_BRPORT_NEIGH_SUPPRESS, d.neigh_suppress);
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, li);
	links_len += NLMSG_ALIGN(nlh->nlmsg_len);
}

#define FWD { BR_STATE_FORWARDING, 1, 0, 0 }

struct vlan_desc {
	__u16 flags, vid, range_end;
	int state; /* -1: no state attribute */
};

/* One RTM_NEWVLAN message for device IFX with these entries. */
static void put_vlans(int ifx, const struct vlan_desc *v, size_t n)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(vlans_buf + vlans_len);
	struct br_vlan_msg *bvm;

	nlh->nlmsg_type = RTM_NEWVLAN;
	bvm = mnl_nlmsg_put_extra_header(nlh, sizeof(*bvm));
	bvm->family = AF_BRIDGE;
	bvm->ifindex = (__u32)ifx;
	for (size_t i = 0; i < n; i++) {
		struct bridge_vlan_info info = { .flags = v[i].flags, .vid = v[i].vid };
		struct nlattr *e = mnl_attr_nest_start(nlh, BRIDGE_VLANDB_ENTRY);

		mnl_attr_put(nlh, BRIDGE_VLANDB_ENTRY_INFO, sizeof(info), &info);
		if (v[i].range_end)
			mnl_attr_put_u16(nlh, BRIDGE_VLANDB_ENTRY_RANGE, v[i].range_end);
		if (v[i].state >= 0)
			mnl_attr_put_u8(nlh, BRIDGE_VLANDB_ENTRY_STATE, (__u8)v[i].state);
		mnl_attr_nest_end(nlh, e);
	}
	vlans_len += NLMSG_ALIGN(nlh->nlmsg_len);
}

#define PVID_UNTAGGED (BRIDGE_VLAN_INFO_PVID | BRIDGE_VLAN_INFO_UNTAGGED)

/*
 *   brp1  10 pvid untagged
 *   brp2  10-12 tagged (a range), 40 tagged with STP state blocking
 *   brp3  20 pvid untagged, 10 tagged
 *   brp4  10 pvid untagged
 *   brt0  1 pvid untagged (BRENTRY: the bridge device is a member), 10 as
 *         context only (no BRENTRY)
 */
static void describe_vlan_bridge(__u16 proto, bool mst, bool vlan_dump_ok, struct port_desc p1)
{
	const struct vlan_desc v1[] = { { PVID_UNTAGGED, 10, 0, -1 } };
	const struct vlan_desc v2[] = { { 0, 10, 12, BR_STATE_FORWARDING },
					{ 0, 40, 0, BR_STATE_BLOCKING } };
	const struct vlan_desc v3[] = { { PVID_UNTAGGED, 20, 0, -1 }, { 0, 10, 0, -1 } };
	const struct vlan_desc v4[] = { { PVID_UNTAGGED, 10, 0, -1 } };
	const struct vlan_desc vb[] = { { PVID_UNTAGGED | BRIDGE_VLAN_INFO_BRENTRY, 1, 0, -1 },
					{ 0, 10, 0, -1 } };

	links_len = vlans_len = 0;
	put_bridge(1, proto, mst);
	put_port(1, p1);
	for (int n = 2; n <= N_PORTS; n++)
		put_port(n, (struct port_desc)FWD);
	put_vlans(ifindex[1], v1, 1);
	put_vlans(ifindex[2], v2, 2);
	put_vlans(ifindex[3], v3, 2);
	put_vlans(ifindex[4], v4, 1);
	put_vlans(br_ifindex, vb, 2);
	rd_fdb_apply_dump(&mirror, links_buf, links_len, vlan_dump_ok ? vlans_buf : NULL,
			  vlans_len);
}

static struct rd_port_vlans read_vlans(int n)
{
	struct rd_port_vlans v;
	__u32 key = (__u32)ifindex[n];

	cr_assert_eq(bpf_map__lookup_elem(skel->maps.rd_port_vlans, &key, sizeof(key), &v,
					  sizeof(v), 0), 0, "rd_port_vlans[brp%d]", n);
	return v;
}

TestSuite(mirror_vlan, .init = setup_mirror, .fini = teardown, .timeout = 30);

Test(mirror_vlan, ports_and_vlans_of_a_vlan_filtering_bridge)
{
	const __u16 fl = RD_BRPORT_FORWARDING | RD_BRPORT_LEARNING | RD_BRPORT_VLAN_FILTERING;
	struct rd_bridge_dev b;
	struct rd_port_vlans v;
	__u32 key = (__u32)br_ifindex;
	struct rd_iface i1, i2, i3;

	describe_vlan_bridge(ETH_P_8021Q, false, true, (struct port_desc)FWD);
	i1 = read_iface(1);
	i2 = read_iface(2);
	i3 = read_iface(3);
	cr_assert_eq(i1.bridge_ifindex, (__u32)br_ifindex);
	cr_assert_eq(i1.br_flags, fl, "brp1 flags %#x, want %#x", i1.br_flags, fl);
	cr_assert_eq(i1.pvid, 10);
	cr_assert_eq(i2.pvid, 0, "the trunk has no pvid");
	cr_assert_eq(i3.pvid, 20);

	v = read_vlans(2);
	for (__u16 vid = 1; vid < 4095; vid++) {
		bool member = (vid >= 10 && vid <= 12) || vid == 40;

		cr_assert_eq(rd_vlan_bit(v.member, vid), member, "brp2 member of %u", vid);
		cr_assert_eq(rd_vlan_bit(v.untagged, vid), 0, "brp2 untagged in %u", vid);
		cr_assert_eq(rd_vlan_bit(v.blocked, vid), vid == 40, "brp2 blocked in %u", vid);
	}
	v = read_vlans(3);
	cr_assert(rd_vlan_bit(v.member, 20) && rd_vlan_bit(v.untagged, 20));
	cr_assert(rd_vlan_bit(v.member, 10) && !rd_vlan_bit(v.untagged, 10));
	cr_assert_not(rd_vlan_bit(v.member, 11));

	cr_assert_eq(bpf_map__lookup_elem(skel->maps.rd_bridges, &key, sizeof(key), &b, sizeof(b),
					  0), 0, "rd_bridges[brt0]");
	cr_assert_eq(b.flags, RD_BRPORT_VLAN_FILTERING);
	cr_assert_eq(b.pvid, 1, "the bridge device's own pvid");
	cr_assert_arr_eq(b.mac, bridge_mac, ETH_ALEN, "the bridge's MAC, for routing out of it");
	/* the bridge device's own VLANs, for routing: 1 (BRENTRY), not 10 */
	cr_assert_eq(bpf_map__lookup_elem(skel->maps.rd_port_vlans, &key, sizeof(key), &v,
					  sizeof(v), 0), 0, "rd_port_vlans[brt0]");
	cr_assert(rd_vlan_bit(v.member, 1) && rd_vlan_bit(v.untagged, 1));
	cr_assert_not(rd_vlan_bit(v.member, 10), "VLAN 10 is only context on brt0");
	key = (__u32)ifindex[5];
	cr_assert_neq(bpf_map__lookup_elem(skel->maps.rd_port_vlans, &key, sizeof(key), &v,
					   sizeof(v), 0), 0, "unmanaged brp5 has no VLAN entry");
}

/* With what the mirror wrote, the fast path tags, untags and drops. */
Test(mirror_vlan, the_fast_path_follows_the_mirrored_vlans)
{
	struct frame plain = frame_to(vm[2], vm[1]), back = frame_to(vm[1], vm[2]);
	struct frame want = tagged(plain, ETH_P_8021Q, 10), in = tagged(back, ETH_P_8021Q, 11);
	struct frame not_member = tagged(frame_to(vm[2], vm[1]), ETH_P_8021Q, 20);

	describe_vlan_bridge(ETH_P_8021Q, false, true, (struct port_desc)FWD);
	fdb_put(1, 10, vm[1]);
	fdb_put(2, 10, vm[2]);
	fdb_put(1, 11, vm[1]); /* brp1 is not in 11 */
	fdb_put(2, 11, vm[2]);
	expect_bridged_as(1, &plain, 2, &want);
	expect_drop(2, &in, DROP(VLAN_EGRESS));
	expect_drop(1, &not_member, DROP(VLAN_INGRESS));
}

Test(mirror_vlan, an_8021ad_bridge)
{
	struct rd_iface i1;

	describe_vlan_bridge(ETH_P_8021AD, false, true, (struct port_desc)FWD);
	i1 = read_iface(1);
	cr_assert_eq(i1.br_flags & (RD_BRPORT_VLAN_FILTERING | RD_BRPORT_VLAN_8021AD),
		     RD_BRPORT_VLAN_FILTERING | RD_BRPORT_VLAN_8021AD, "flags %#x", i1.br_flags);
	cr_assert_eq(i1.br_flags & RD_BRPORT_KERNEL_ONLY, 0);
}

/* What the mirror cannot describe, the kernel keeps. */
Test(mirror_vlan, unknown_vlans_mst_and_locked_ports_are_the_kernels)
{
	struct frame f = frame_to(vm[2], vm[1]);

	describe_vlan_bridge(ETH_P_8021Q, false, false, (struct port_desc)FWD);
	cr_assert_neq(read_iface(1).br_flags & RD_BRPORT_KERNEL_ONLY, 0, "VLAN dump failed");
	expect_pass(1, &f, PASS(PORT_STATE));
	describe_vlan_bridge(ETH_P_8021Q, true, true, (struct port_desc)FWD);
	cr_assert_neq(read_iface(2).br_flags & RD_BRPORT_KERNEL_ONLY, 0, "MST enabled");
	describe_vlan_bridge(ETH_P_8021Q, false, true, (struct port_desc){ 3, 1, 1, 0 });
	cr_assert_neq(read_iface(1).br_flags & RD_BRPORT_KERNEL_ONLY, 0, "brp1 locked");
	cr_assert_eq(read_iface(2).br_flags & RD_BRPORT_KERNEL_ONLY, 0, "brp2 not locked");
}

Test(mirror_vlan, port_states_and_neighbour_suppression)
{
	describe_vlan_bridge(ETH_P_8021Q, false, true, (struct port_desc){ BR_STATE_BLOCKING, 0, 0, 1 });
	cr_assert_eq(read_iface(1).br_flags & (RD_BRPORT_FORWARDING | RD_BRPORT_LEARNING), 0);
	cr_assert_neq(read_iface(3).br_flags & RD_BRPORT_NEIGH_KERNEL, 0,
		      "neigh_suppress on one port concerns the whole bridge");
}

/* rd_stats[slot].bytes, summed over the CPUs. */
static void read_bytes(__u32 slot, __u64 out[RD_BYTES__MAX])
{
	read_slot_bytes(bpf_map__fd(skel->maps.rd_stats), slot, out);
}

/* A bridged frame adds its length, as received, to bridged_bytes of the
 * ingress port and to no other byte counter, whatever the length. */
Test(bridge, bridged_frames_count_their_bytes)
{
	struct frame frames[3] = { frame_to(vm[2], vm[1]), frame_to(vm[3], vm[1]),
				   frame_to(vm[2], vm[1]) };

	frames[1].len = 1514;
	frames[2].len = ETH_HLEN + 2;
	for (int k = 0; k < 3; k++) {
		__u64 before[N_SLOTS][RD_BYTES__MAX], after[RD_BYTES__MAX];
		struct result r;

		for (int s = 0; s < N_SLOTS; s++)
			read_bytes(s, before[s]);
		r = run_on(1, &frames[k], 0);
		cr_assert_eq(r.action, XDP_REDIRECT, "frame %d: %s", k, action_str(r.action));
		for (int s = 0; s < N_SLOTS; s++) {
			read_bytes(s, after);
			for (int i = 0; i < RD_BYTES__MAX; i++)
				cr_assert_eq(after[i] - before[s][i],
					     s == 1 && i == RD_BYTES_BRIDGED ? frames[k].len : 0,
					     "frame %d (%u bytes): byte counter %d of slot %d moved by %llu",
					     k, frames[k].len, i, s,
					     (unsigned long long)(after[i] - before[s][i]));
		}
	}
}
