// SPDX-License-Identifier: GPL-2.0
/*
 * Packet tests: the byte counters (include/routerd/counters.h,
 * RD_BYTE_COUNTERS). Every frame adds its length as received, exactly once,
 * to the byte counter of its verdict in the ingress port's slot: forwarded,
 * passed or dropped here (bridged in test_bridge.c). The topology and
 * helpers are in fixture.h.
 */
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "fixture.h"
#include "stats_bytes.h"

PACKET_SUITE(bytes);

#define KEY(name, key) key,
static const char *const bytes_names[] = { RD_BYTE_COUNTERS(KEY) };
#undef KEY

/* rd_stats[slot].bytes, summed over the CPUs. */
static void read_bytes(__u32 slot, __u64 out[RD_BYTES__MAX])
{
	read_slot_bytes(bpf_map__fd(skel->maps.rd_stats), slot, out);
}

/* Runs F on INGRESS; the verdict must be ACTION, and of all the byte
 * counters of every slot exactly WHICH in INGRESS's slot moved, by F's
 * length. */
static void expect_bytes_counted(enum port_id ingress, const struct frame *f, int action,
				 enum rd_bytes which)
{
	__u64 before[RD_MAX_IFACES][RD_BYTES__MAX], after[RD_BYTES__MAX];
	__u32 slot = slot_of(ingress);
	struct verdict v;

	for (__u32 s = 0; s < P__COUNT + 1; s++)
		read_bytes(s, before[s]);
	v = run(ingress, f);
	cr_assert_eq(v.action, action, "%s%u-byte frame: %s, want %s", label, f->len,
		     verdict_str(&v), action_str(action));
	for (__u32 s = 0; s < P__COUNT + 1; s++) {
		read_bytes(s, after);
		for (int i = 0; i < RD_BYTES__MAX; i++) {
			__u64 want = s == slot && i == (int)which ? f->len : 0;

			cr_assert_eq(after[i] - before[s][i], want,
				     "%s%u-byte frame: %s in slot %u moved by %llu, want %llu", label,
				     f->len, bytes_names[i], s,
				     (unsigned long long)(after[i] - before[s][i]),
				     (unsigned long long)want);
		}
	}
}

/* Sizes from the smallest IPv4 frame to a full 1500-byte MTU. */
static const __u16 l3_sizes[] = { 46, 100, 299, 576, 1280, 1500 };
#define N_SIZES (sizeof(l3_sizes) / sizeof(l3_sizes[0]))

Test(bytes, forwarded_ipv4_counts_each_frame_length)
{
	for (size_t i = 0; i < N_SIZES; i++) {
		struct frame f = ipv4_packet(SRC4, DST4_OUT1, IPPROTO_UDP, 64, l3_sizes[i]);

		set_label("ipv4 %u", l3_sizes[i]);
		cr_assert_eq(f.len, ETH_HLEN + l3_sizes[i]);
		expect_bytes_counted(P_IN, &f, XDP_REDIRECT, RD_BYTES_FORWARDED);
	}
}

Test(bytes, forwarded_ipv6_counts_each_frame_length)
{
	for (size_t i = 0; i < N_SIZES; i++) {
		struct frame f = ipv6_packet(SRC6, DST6_OUT2, IPPROTO_UDP, 64, l3_sizes[i]);

		set_label("ipv6 %u", l3_sizes[i]);
		expect_bytes_counted(P_IN, &f, XDP_REDIRECT, RD_BYTES_FORWARDED);
	}
}

/* The frames the kernel gets, for whatever reason, are counted in passed. */
Test(bytes, passed_frames)
{
	struct frame ttl = ipv4_packet(SRC4, DST4_OUT1, IPPROTO_UDP, 1, 777);
	struct frame local = ipv6_packet(SRC6, LOCAL6, IPPROTO_UDP, 64, 333);
	struct frame no_neigh = ipv4_packet(SRC4, DST4_NO_NEIGH, IPPROTO_UDP, 64, 1001);
	struct frame arp = udp4(DST4_OUT1);
	struct frame tagged = udp4(DST4_OUT1);

	ETH(&arp)->h_proto = htons(ETH_P_ARP);
	push_vlan(&tagged, ETH_P_8021Q, 7);
	expect_bytes_counted(P_IN, &ttl, XDP_PASS, RD_BYTES_PASSED);
	expect_bytes_counted(P_IN, &local, XDP_PASS, RD_BYTES_PASSED);
	expect_bytes_counted(P_IN, &no_neigh, XDP_PASS, RD_BYTES_PASSED);
	expect_bytes_counted(P_IN, &arp, XDP_PASS, RD_BYTES_PASSED);
	/* the tag counts: the length as received */
	cr_assert_eq(tagged.len, arp.len + 4);
	expect_bytes_counted(P_IN, &tagged, XDP_PASS, RD_BYTES_PASSED);
}

/* A frame on an interface routerd does not manage is passed and counted
 * in the unconfigured slot, bytes too. */
Test(bytes, unconfigured_ingress)
{
	struct frame f = ipv4_packet("198.18.4.2", DST4_OUT1, IPPROTO_UDP, 64, 640);

	expect_bytes_counted(P_UNMANAGED, &f, XDP_PASS, RD_BYTES_PASSED);
}

Test(bytes, dropped_frames)
{
	struct frame v4 = ipv4_packet(SRC4, DST4_BLACKHOLE, IPPROTO_UDP, 64, 555);
	struct frame v6 = ipv6_packet(SRC6, DST6_BLACKHOLE, IPPROTO_UDP, 64, 1234);

	expect_bytes_counted(P_IN, &v4, XDP_DROP, RD_BYTES_DROPPED);
	expect_bytes_counted(P_IN, &v6, XDP_DROP, RD_BYTES_DROPPED);
}

/* Frames of several verdicts in a row: each adds its own length, not the
 * one before it (the length is noted per frame). */
Test(bytes, lengths_do_not_carry_over)
{
	struct frame big = ipv4_packet(SRC4, DST4_OUT1, IPPROTO_UDP, 64, 1500);
	struct frame small_pass = ipv4_packet(SRC4, DST4_OUT1, IPPROTO_UDP, 1, 46);
	struct frame mid_drop = ipv4_packet(SRC4, DST4_BLACKHOLE, IPPROTO_UDP, 64, 700);

	expect_bytes_counted(P_IN, &big, XDP_REDIRECT, RD_BYTES_FORWARDED);
	expect_bytes_counted(P_IN, &small_pass, XDP_PASS, RD_BYTES_PASSED);
	expect_bytes_counted(P_IN, &mid_drop, XDP_DROP, RD_BYTES_DROPPED);
	expect_bytes_counted(P_IN, &small_pass, XDP_PASS, RD_BYTES_PASSED);
	expect_bytes_counted(P_IN, &big, XDP_REDIRECT, RD_BYTES_FORWARDED);
}
