/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Conntrack offload (include/routerd/conntrack.h has the design): which
 * packets of a held family may still be forwarded in XDP, and with which
 * NAT. Two halves:
 *  - admission, in the netfilter program (rd_ct_admit_skb()): the kernel
 *    accepted a packet of this flow, in this direction, under the current
 *    ruleset generation;
 *  - the check in the XDP program (rd_ct_offload()): the conntrack entry
 *    is established, plain (no helper, no sequence adjustment), liberal
 *    for TCP, admitted, and the packet carries no SYN/FIN/RST. It yields
 *    the NAT (lib/nat.h) from the entry's tuples and keeps the entry's
 *    timeout where the kernel would keep it.
 *
 * Every entry bpf_xdp_ct_lookup() returns is released before
 * rd_ct_offload() returns: what the rest of the walk needs is copied out.
 */
#ifndef RD_BPF_CONNTRACK_H
#define RD_BPF_CONNTRACK_H

#include "common.h"
#include "parse.h"
#include "cache.h"
#include "nat.h"
#include <bpf/bpf_core_read.h>
#include <routerd/conntrack.h>

/* Not in vmlinux.h (#defines) */
#define IP_CT_TCP_FLAG_BE_LIBERAL 0x08
#define NFCT_INFOMASK 7ul
#define NF_ACCEPT 1
#define RD_TCP_SYN_FIN_RST bpf_htons(0x0007) /* in TCP's 13th-14th bytes: ...R S F */

/* The flows the kernel accepted, keyed by their original tuple; written
 * by the admission program only. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, RD_CT_ADMIT_ENTRIES);
	__type(key, struct rd_ct_key);
	__type(value, struct rd_ct_admit);
} rd_ct_admit SEC(".maps");

/* Admitted TCP flows that still need BE_LIBERAL from routerd. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, RD_CT_EVENTS_BYTES);
} rd_ct_events SEC(".maps");

/* Per CPU, what an offloaded packet carries through the routing walk: in
 * a map, since the walk's stack frame has no room for it. */
struct rd_ct_scratch {
	struct rd_nat nat;
	union { /* the IP header the route is looked up on */
		struct iphdr h4;
		struct ipv6hdr h6;
	};
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct rd_ct_scratch);
} rd_ct_scratch SEC(".maps");

static __always_inline struct rd_ct_scratch *rd_ct_scratch_get(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&rd_ct_scratch, &zero);
}

/* Points `pkt`'s header and destination port at the lookup's view: the
 * packet's IP header with the translated destination. The caller puts the
 * packet's own back once the route is found. */
static __always_inline void rd_ct_lookup_view(struct rd_pkt *pkt, struct rd_ct_scratch *ct,
					      const bool v4)
{
	if (v4) {
		ct->h4 = *pkt->ip4;
		ct->h4.daddr = ct->nat.daddr[0];
		pkt->ip4 = &ct->h4;
	} else {
		ct->h6 = *pkt->ip6;
		__builtin_memcpy(&ct->h6.daddr, ct->nat.daddr, sizeof(ct->h6.daddr));
		pkt->ip6 = &ct->h6;
	}
	pkt->dport = ct->nat.dport;
}

extern struct nf_conn *bpf_xdp_ct_lookup(struct xdp_md *ctx, struct bpf_sock_tuple *tuple,
					 __u32 tuple__sz, struct bpf_ct_opts *opts,
					 __u32 opts__sz) __ksym;
extern void bpf_ct_release(struct nf_conn *ct) __ksym;
extern int bpf_ct_change_timeout(struct nf_conn *ct, __u32 timeout) __ksym;
extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym;

/* The tick, for ct->timeout (jiffies). Without a kernel config to read,
 * assume the slowest tick: refreshes then come earlier, never later. */
extern unsigned int CONFIG_HZ __kconfig __weak;

/* Both bits of the family, its hold and its offload, are set. */
static __always_inline bool rd_ct_offloads(__u32 nf, const bool v4)
{
	__u32 want = v4 ? RD_NF_HOLD_IPV4 | RD_NF_OFFLOAD_IPV4 : RD_NF_HOLD_IPV6 | RD_NF_OFFLOAD_IPV6;

	return (nf & want) == want;
}

/* A conntrack address into OUT as the key and the NAT data keep it: an
 * IPv4 address in the first word (the rest left as the caller zeroed it). */
static __always_inline void rd_ct_addr(__u32 out[4], const union nf_inet_addr *a, const bool v4)
{
	if (v4) {
		out[0] = a->ip;
		return;
	}
	out[0] = a->all[0];
	out[1] = a->all[1];
	out[2] = a->all[2];
	out[3] = a->all[3];
}

/* One direction's tuple as a struct rd_ct_key (fully written: it is a
 * hash key). `t` points into a conntrack entry. */
static __always_inline void rd_ct_key_from(struct rd_ct_key *k, const struct nf_conntrack_tuple *t,
					   __u8 proto, const bool v4)
{
	__builtin_memset(k, 0, sizeof(*k));
	rd_ct_addr(k->saddr, &t->src.u3, v4);
	rd_ct_addr(k->daddr, &t->dst.u3, v4);
	k->sport = t->src.u.all;
	k->dport = t->dst.u.all;
	k->family = v4 ? AF_INET : AF_INET6;
	k->l4proto = proto;
}

static __always_inline bool rd_ct_liberal(const struct nf_conn *ct)
{
	return ct->proto.tcp.seen[0].flags & ct->proto.tcp.seen[1].flags & IP_CT_TCP_FLAG_BE_LIBERAL;
}

/* ---- admission: the netfilter program ---- */

static __always_inline void rd_ct_notify(struct rd_ct_admit *a, const struct rd_ct_key *k,
					 __u64 now)
{
	struct rd_ct_event *ev;

	if (a->notified_ns && now - a->notified_ns < RD_CT_NOTIFY_INTERVAL_NS)
		return;
	a->notified_ns = now;
	ev = bpf_ringbuf_reserve(&rd_ct_events, sizeof(*ev), 0);
	if (!ev)
		return; /* routerd behind: the next packet tries again in a second */
	ev->key = *k;
	ev->generation = a->generation;
	ev->dirs = a->dirs;
	bpf_ringbuf_submit(ev, 0);
}

/* The kernel accepted `skb` (the hook is the last on forward): record its
 * flow and direction under the current generation. */
static __always_inline void rd_ct_admit_skb(const struct sk_buff *skb)
{
	unsigned long nfct = skb->_nfct;
	__u32 ctinfo = nfct & NFCT_INFOMASK, zero = 0, dir, gen;
	const struct rd_cache_ctl *ctl;
	struct rd_ct_admit *a, fresh;
	struct rd_ct_key key;
	struct nf_conn *ct;
	__u16 l3num;
	__u8 proto;

	/* established in either direction (0, 3); not new, related or untracked */
	if (ctinfo != IP_CT_ESTABLISHED && ctinfo != IP_CT_ESTABLISHED_REPLY)
		return;
	ct = bpf_rdonly_cast((void *)(nfct & ~NFCT_INFOMASK), bpf_core_type_id_kernel(struct nf_conn));
	if (!ct)
		return;
	ctl = bpf_map_lookup_elem(&rd_cache_ctl, &zero);
	gen = ctl ? ctl->ct_generation : 0;
	if (!gen)
		return;
	proto = ct->tuplehash[IP_CT_DIR_ORIGINAL].tuple.dst.protonum;
	if (proto != NEXTHDR_TCP && proto != NEXTHDR_UDP)
		return;
	l3num = ct->tuplehash[IP_CT_DIR_ORIGINAL].tuple.src.l3num;
	if (l3num == AF_INET)
		rd_ct_key_from(&key, &ct->tuplehash[IP_CT_DIR_ORIGINAL].tuple, proto, true);
	else if (l3num == AF_INET6)
		rd_ct_key_from(&key, &ct->tuplehash[IP_CT_DIR_ORIGINAL].tuple, proto, false);
	else
		return;
	dir = ctinfo == IP_CT_ESTABLISHED ? RD_CT_DIR_ORIGINAL : RD_CT_DIR_REPLY;

	a = bpf_map_lookup_elem(&rd_ct_admit, &key);
	if (!a || a->generation != gen) {
		fresh = (struct rd_ct_admit){ .generation = gen, .dirs = dir };
		if (a)
			fresh.notified_ns = a->notified_ns;
		if (bpf_map_update_elem(&rd_ct_admit, &key, &fresh, BPF_ANY))
			return;
		a = bpf_map_lookup_elem(&rd_ct_admit, &key);
		if (!a)
			return;
	} else if (!(a->dirs & dir)) {
		/* not atomic (a 32-bit atomic needs -mcpu=v3): a bit lost to a
		 * race costs the flow one more packet through the kernel */
		a->dirs |= dir;
	}
	if (proto == NEXTHDR_TCP && !rd_ct_liberal(ct))
		rd_ct_notify(a, &key, bpf_ktime_get_ns());
}

/* ---- the fast path: the XDP program ---- */

/* The timeout the kernel would give the entry now, in seconds. */
static __always_inline __u32 rd_ct_timeout_s(const struct rd_cache_ctl *ctl, __u8 proto)
{
	__u32 t = proto == NEXTHDR_TCP ? ctl->ct_tcp_timeout_s : ctl->ct_udp_timeout_s;

	if (t)
		return t;
	return proto == NEXTHDR_TCP ? RD_CT_TCP_TIMEOUT_DEFAULT_S : RD_CT_UDP_TIMEOUT_DEFAULT_S;
}

/*
 * Keeps an offloaded entry alive as the kernel's per-packet refresh would,
 * without a kfunc call per packet: only once a second of the timeout (a
 * quarter, if that is shorter) has passed since the last refresh, so an
 * idle flow expires at most that much before the kernel would expire it.
 * An entry left with more than the timeout (a UDP flow the kernel saw only
 * briefly keeps its unreplied timeout: it never turns "stream" because the
 * kernel does not see its later packets) is brought down to it, as the
 * kernel would once the flow is a stream, so an idle flow expires on time.
 * A fixed timeout or a dying entry refuses; the kernel's rules stand then.
 */
static __always_inline void rd_ct_refresh(struct nf_conn *ct, const struct rd_cache_ctl *ctl,
					  __u8 proto)
{
	__u32 hz = CONFIG_HZ ?: 100, t = rd_ct_timeout_s(ctl, proto);
	__u64 full = (__u64)t * hz, slack = full / 4 < hz ? full / 4 : hz;
	__s32 left = (__s32)(ct->timeout - (__u32)bpf_jiffies64());

	if (left >= 0 && (__u64)left + slack >= full && (__u64)left <= full + slack)
		return;
	if (t > 0xffffffffu / 1000)
		t = 0xffffffffu / 1000;
	bpf_ct_change_timeout(ct, t * 1000);
}

/* The entry, as the fast path needs it: RD_PARSE_OK or a pass reason. */
static __always_inline int rd_ct_judge(struct nf_conn *ct, __u8 proto)
{
	unsigned long status = ct->status;
	const struct nf_ct_ext *ext;

	if ((status & (IPS_CONFIRMED | IPS_DYING)) != IPS_CONFIRMED)
		return RD_PASS_CT_NO_ENTRY;
	/* a helper's flow (FTP, SIP, ...) and its expectations: the helper
	 * must see every packet, and may rewrite sequence numbers */
	if (status & (IPS_SEQ_ADJUST | IPS_HELPER) || ct->master)
		return RD_PASS_CT_HELPER;
	ext = ct->ext;
	if (ext && ext->offset[NF_CT_EXT_HELPER])
		return RD_PASS_CT_HELPER;
	if (proto == NEXTHDR_TCP) {
		if (ct->proto.tcp.state != TCP_CONNTRACK_ESTABLISHED)
			return RD_PASS_CT_NOT_ESTABLISHED;
		if (!rd_ct_liberal(ct))
			return RD_PASS_CT_NOT_LIBERAL;
	} else if (!(status & IPS_SEEN_REPLY)) {
		return RD_PASS_CT_NOT_ESTABLISHED;
	}
	return RD_PARSE_OK;
}

/* The packet after the NAT matches the other direction's tuple `t`
 * reversed: its source is that tuple's destination, its destination that
 * tuple's source, ports likewise. */
static __always_inline void rd_ct_nat_from(struct rd_nat *nat, const struct nf_conntrack_tuple *t,
					   const bool v4)
{
	__builtin_memset(nat, 0, sizeof(*nat));
	rd_ct_addr(nat->saddr, &t->dst.u3, v4);
	rd_ct_addr(nat->daddr, &t->src.u3, v4);
	nat->sport = t->dst.u.all;
	nat->dport = t->src.u.all;
}

/* The L4 header an offloaded packet must have in its first buffer: TCP's
 * 20 bytes (flags, checksum), UDP's 8. Returns it, or NULL with `why`. */
static __always_inline void *rd_ct_l4(const struct rd_pkt *pkt, int *why, const bool v4)
{
	__u32 hlen = v4 ? sizeof(struct iphdr) : sizeof(struct ipv6hdr);
	__u32 need = pkt->l4_proto == NEXTHDR_TCP ? 20 : 8;
	void *l4 = pkt->l3 + hlen;

	if (pkt->l3_len < hlen + need) {
		*why = RD_PASS_MALFORMED;
		return NULL;
	}
	if (l4 + need > pkt->data_end) {
		*why = rd_short(pkt);
		return NULL;
	}
	return l4;
}

/*
 * May this packet of an offloaded family be forwarded in XDP? RD_PARSE_OK
 * with `nat` set to its new addresses and ports, or the pass reason.
 * Anything not TCP or UDP stays under the family's hold.
 */
static __always_inline int rd_ct_offload(struct xdp_md *ctx, const struct rd_pkt *pkt,
					 const struct rd_cache_ctl *ctl, struct rd_nat *nat,
					 const bool v4)
{
	struct bpf_ct_opts opts = { .netns_id = -1, .l4proto = pkt->l4_proto };
	union { /* one after the other: the stack is tight */
		struct bpf_sock_tuple tup;
		struct rd_ct_key orig;
	} u;
	struct rd_ct_admit *a;
	struct nf_conn *ct;
	__u32 tup_sz;
	int why = RD_PARSE_OK;
	void *l4;

	if (!ctl || (pkt->l4_proto != NEXTHDR_TCP && pkt->l4_proto != NEXTHDR_UDP))
		return RD_PASS_NETFILTER;
	if (v4 && (pkt->ip4->frag_off & bpf_htons(IP_MF | IP_OFFSET)))
		return RD_PASS_CT_FRAGMENT;
	l4 = rd_ct_l4(pkt, &why, v4);
	if (!l4)
		return why;
	if (pkt->l4_proto == NEXTHDR_TCP) {
		if (((__be16 *)l4)[6] & RD_TCP_SYN_FIN_RST)
			return RD_PASS_CT_TCP_FLAGS;
	} else if (!v4 && !((struct udphdr *)l4)->check) {
		return RD_PASS_MALFORMED; /* IPv6 requires a UDP checksum */
	}

	__builtin_memset(&u.tup, 0, sizeof(u.tup));
	if (v4) {
		u.tup.ipv4.saddr = pkt->ip4->saddr;
		u.tup.ipv4.daddr = pkt->ip4->daddr;
		u.tup.ipv4.sport = ((__be16 *)l4)[0];
		u.tup.ipv4.dport = ((__be16 *)l4)[1];
		tup_sz = sizeof(u.tup.ipv4);
	} else {
		__builtin_memcpy(u.tup.ipv6.saddr, &pkt->ip6->saddr, 16);
		__builtin_memcpy(u.tup.ipv6.daddr, &pkt->ip6->daddr, 16);
		u.tup.ipv6.sport = ((__be16 *)l4)[0];
		u.tup.ipv6.dport = ((__be16 *)l4)[1];
		tup_sz = sizeof(u.tup.ipv6);
	}
	ct = bpf_xdp_ct_lookup(ctx, &u.tup, tup_sz, &opts, sizeof(opts));
	if (!ct)
		return RD_PASS_CT_NO_ENTRY;

	why = rd_ct_judge(ct, pkt->l4_proto);
	if (why == RD_PARSE_OK) {
		rd_ct_key_from(&u.orig, &ct->tuplehash[IP_CT_DIR_ORIGINAL].tuple, pkt->l4_proto, v4);
		a = bpf_map_lookup_elem(&rd_ct_admit, &u.orig);
		if (!a || a->generation != ctl->ct_generation || !ctl->ct_generation ||
		    !(a->dirs & (opts.dir == IP_CT_DIR_ORIGINAL ? RD_CT_DIR_ORIGINAL
								: RD_CT_DIR_REPLY))) {
			why = RD_PASS_CT_NOT_ADMITTED;
		} else if (opts.dir == IP_CT_DIR_ORIGINAL) {
			rd_ct_nat_from(nat, &ct->tuplehash[IP_CT_DIR_REPLY].tuple, v4);
		} else {
			rd_ct_nat_from(nat, &ct->tuplehash[IP_CT_DIR_ORIGINAL].tuple, v4);
		}
		if (why == RD_PARSE_OK)
			rd_ct_refresh(ct, ctl, pkt->l4_proto);
	}
	bpf_ct_release(ct);
	return why;
}

#endif /* RD_BPF_CONNTRACK_H */
