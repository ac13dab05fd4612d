// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_netlink: rtnetlink messages through routerd's own netlink handling,
 * under ASan/UBSan, without a socket.
 *
 * Each input is a buffer as recvfrom() on a NETLINK_ROUTE socket returns
 * it: netlink messages back to back, possibly truncated or lying about
 * their lengths. The buffer is copied to a heap block of exactly its size
 * (so ASan sees any read past the data) and fed to:
 *
 *   1. libmnl: mnl_cb_run(buf, len, 0, 0, rd_freshness_on_neigh, fr), as
 *      routerd/daemon/freshness.c read_kernel_states() does with a neighbour dump,
 *      with three nexthops in fr->recent. Checked: an entry changes only if
 *      a message names its ifindex and family.
 *   2. the bridge mirror's parsers (routerd/bridge/topology.c
 *      rd_topo_parse, its on_link and on_vlan through mnl_cb_run;
 *      routerd/bridge/entries.c rd_fdb_parse_entry per message), for
 *      memory errors and UB only.
 *   3. the nftables ruleset reader (routerd/netfilter/ruleset.c), as netfilter.c
 *      feeds it a dump: checked, an unreadable buffer holds every family.
 *   4. the one event reader (routerd/daemon/nl_events.c): the buffer is
 *      dispatched as the daemon's event socket delivers it, to netlink.c
 *      (its guard, rd_netlink_msg_refused(); what it lets pass is parsed
 *      by libnl-route into the link or address cache, whose callbacks
 *      on_link_change reconcile one configured interface that does not
 *      exist and on_addr_change rewrites rd_local4 in a loaded copy of the
 *      XDP program's maps) and to a checking consumer of every kind.
 *      Checked: each message handed out lies whole in the buffer and has
 *      the kind rd_nl_kind_of() gives; every refused link or address
 *      message is counted and has the reader's resync armed (and none
 *      arms it otherwise); rd_local4 then holds exactly the IPv4 local and
 *      broadcast addresses of the cache (the kernel map and the daemon's
 *      copy).
 *   4. routerd/daemon/tc.c's qdisc and filter parser (rd_tc_parse) and the state
 *      it folds a qdisc into (rd_tc_note_qdisc), for every message as
 *      routerd's own walk (rd_nlmsg_for_each) delivers it. Checked: only
 *      tc messages parse, and every kind routerd keeps is a terminated
 *      string of its field.
 *
 * netlink.c's static callbacks are reached through tests/fuzz/shim_netlink.c,
 * which compiles routerd/daemon/netlink.c unchanged; the other parsers are
 * entry points of their modules (daemon/freshness.h, bridge/internal.h).
 *
 * RD_FUZZ_WRITE_SEEDS=DIR: write seeds (real link, address and neighbour
 * dumps from a namespace built for the purpose, plus hand-made messages)
 * into DIR and exit.
 * RD_FUZZ_TOLERATE=neigh-short,mnl-huge-len: skip the libmnl path for
 * buffers holding a message too short for a struct ndmsg, or one whose
 * nlmsg_len is 2^31 or more (known bugs, see docs/security.md), so that
 * long runs keep going.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/if_bridge.h>
#include <linux/neighbour.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>

#include <netlink/cache.h>
#include <netlink/msg.h>
#include <netlink/object.h>
#include <netlink/route/addr.h>

#include <bpf/bpf.h>

#include "daemon/nlmsg.h"
#include <bpf/libbpf.h>

#include "daemon/freshness.h"
#include "daemon/netlink.h"
#include "bridge/internal.h"
#include "daemon/nl_events.h"
#include "netfilter/ruleset.h"
#include "daemon/tc.h"
#include "daemon/datapath.h"
#include "routerd.skel.h"
#include "shim.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FAIL(...)                                                                   \
	do {                                                                        \
		fprintf(stderr, "\nfuzz_netlink: INVARIANT BROKEN: " __VA_ARGS__); \
		fputc('\n', stderr);                                                \
		abort();                                                            \
	} while (0)

static void die(const char *what)
{
	fprintf(stderr, "fuzz_netlink: %s: %s\n", what, strerror(errno));
	exit(1);
}

static struct rd_datapath dp;
static struct rd_ifaces ifs;
static struct rd_managed_iface managed[1]; /* ifs.list */
static struct rd_netlink nl;
static struct rd_nl_events events; /* the daemon's one reader, without a socket */
static void check_dispatch(void *arg, enum rd_nl_kind kind, const struct nlmsghdr *nlh);
static struct rd_freshness fr;
static struct ev_loop *loop;

static const struct rd_nh_use nexthops[] = {
	{ .ifindex = 2, .family = AF_INET, .addr = { 0x020112c6 } },           /* 198.18.1.2 */
	{ .ifindex = 2, .family = AF_INET6, .addr = { 0xb80d0120, 0x100, 0, 0x2000000 } },
	{ .ifindex = 7, .family = AF_INET6, .addr = { 0x80fe, 0, 0, 0x1000000 } }, /* fe80::1 */
};
#define N_NEXTHOPS (sizeof(nexthops) / sizeof(nexthops[0]))

/* ------------------------------------------------------------------ */
/* Seeds                                                               */

static int seed_no;

static void write_seed(const char *dir, const void *buf, size_t len)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/seed-%03d", dir, seed_no++);
	f = fopen(path, "w");
	if (!f || fwrite(buf, 1, len, f) != len || fclose(f))
		die(path);
}

static void dump_seeds(const char *dir, struct mnl_socket *sk, int type, unsigned char family)
{
	static char buf[32768];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct rtgenmsg *g;
	unsigned seq = (unsigned)time(NULL);
	int n;

	nlh->nlmsg_type = (__u16)type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	if (NFNL_SUBSYS_ID(type) == NFNL_SUBSYS_NFTABLES) {
		struct nfgenmsg *nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));

		nfg->nfgen_family = family;
		nfg->version = NFNETLINK_V0;
	} else if (type == RTM_GETVLAN) {
		struct br_vlan_msg *bvm = mnl_nlmsg_put_extra_header(nlh, sizeof(*bvm));

		bvm->family = family;
	} else {
		g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
		g->rtgen_family = family;
	}
	if (mnl_socket_sendto(sk, nlh, nlh->nlmsg_len) < 0)
		die("netlink dump request");
	while ((n = (int)mnl_socket_recvfrom(sk, buf, sizeof(buf))) > 0) {
		write_seed(dir, buf, (size_t)n);
		if (mnl_cb_run(buf, (size_t)n, seq, mnl_socket_get_portid(sk), NULL, NULL) <= MNL_CB_STOP)
			break;
	}
}

/* Qdiscs (a shaper, a hook qdisc) and an ingress filter, dumped as
 * routerd/daemon/tc.c dumps them. Skipped where the kernel lacks them. */
static void dump_tc_seeds(const char *dir, struct mnl_socket *sk)
{
	static char buf[32768];
	static const struct {
		__u16 type;
		__u32 parent;
	} dumps[] = { { RTM_GETQDISC, 0 }, { RTM_GETTFILTER, 0xfffffff2 } };
	unsigned int ifindex = if_nametoindex("fz0");
	int n;

	if (system("tc qdisc add dev fz0 root handle 1: htb default 10 2>/dev/null && "
		   "tc class add dev fz0 parent 1: classid 1:10 htb rate 10mbit 2>/dev/null && "
		   "tc qdisc add dev fz0 clsact 2>/dev/null && "
		   "tc filter add dev fz0 ingress protocol ip u32 match ip dst 198.18.1.1/32 "
		   "classid 1:1 2>/dev/null"))
		fprintf(stderr, "fuzz_netlink: no tc seeds beyond what the kernel has\n");
	for (size_t i = 0; i < sizeof(dumps) / sizeof(dumps[0]); i++) {
		struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
		struct tcmsg *tcm;
		unsigned seq = (unsigned)time(NULL) + (unsigned)i;

		nlh->nlmsg_type = dumps[i].type;
		nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
		nlh->nlmsg_seq = seq;
		tcm = mnl_nlmsg_put_extra_header(nlh, sizeof(*tcm));
		tcm->tcm_ifindex = dumps[i].type == RTM_GETTFILTER ? (int)ifindex : 0;
		tcm->tcm_parent = dumps[i].parent;
		if (mnl_socket_sendto(sk, nlh, nlh->nlmsg_len) < 0)
			die("netlink tc dump request");
		while ((n = (int)mnl_socket_recvfrom(sk, buf, sizeof(buf))) > 0) {
			write_seed(dir, buf, (size_t)n);
			if (mnl_cb_run(buf, (size_t)n, seq, mnl_socket_get_portid(sk), NULL,
				       NULL) <= MNL_CB_STOP)
				break;
		}
	}
}

/* A neighbour message as the kernel sends it. */
static size_t neigh_msg(char *buf, int family, int ifindex, const void *dst, const void *lladdr,
			__u16 state)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ndmsg *ndm;

	nlh->nlmsg_type = RTM_NEWNEIGH;
	nlh->nlmsg_flags = NLM_F_MULTI;
	ndm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ndm));
	ndm->ndm_family = (__u8)family;
	ndm->ndm_ifindex = ifindex;
	ndm->ndm_state = state;
	mnl_attr_put(nlh, NDA_DST, family == AF_INET ? 4 : 16, dst);
	if (lladdr)
		mnl_attr_put(nlh, NDA_LLADDR, 6, lladdr);
	return nlh->nlmsg_len;
}

static void write_seeds(const char *dir)
{
	static char buf[8192];
	struct mnl_socket *sk;
	FILE *ip;
	size_t len;

	if (mkdir(dir, 0700) && errno != EEXIST)
		die(dir);
	if (unshare(CLONE_NEWNET))
		die("unshare(CLONE_NEWNET) (needs root)");
	ip = popen("ip -batch -", "w");
	if (!ip)
		die("popen ip");
	fputs("link set lo up\n"
	      "link add name fz0 address 02:00:00:00:01:01 type veth peer name fz0p\n"
	      "link set fz0 up\nlink set fz0p up\n"
	      "addr add 198.18.1.1/24 brd + dev fz0\n"
	      "addr add 198.18.9.1/32 dev fz0 label fz0:x\n"
	      "addr add 2001:db8:1::1/64 dev fz0 nodad\n"
	      "neigh add 198.18.1.2 lladdr 02:00:00:00:04:01 nud permanent dev fz0\n"
	      "neigh add 198.18.1.3 lladdr 02:00:00:00:04:02 nud stale dev fz0\n"
	      "neigh add 2001:db8:1::2 lladdr 02:00:00:00:06:01 nud reachable dev fz0\n"
	      "link add name fzbr type bridge\nlink set fz0p master fzbr\n"
	      "link set fzbr up\n",
	      ip);
	if (pclose(ip))
		die("ip -batch");
	if (system("bridge fdb add 02:00:00:00:07:01 dev fz0p master static"))
		die("bridge fdb add");
	/* VLAN filtering, where the kernel has it (richer VLAN dumps) */
	if (!system("ip link set fzbr type bridge vlan_filtering 1 2>/dev/null"))
		(void)!system("bridge vlan add dev fz0p vid 10 pvid untagged && "
			      "bridge vlan add dev fz0p vid 20-30");
	sk = mnl_socket_open(NETLINK_ROUTE);
	if (!sk || mnl_socket_bind(sk, 0, MNL_SOCKET_AUTOPID) < 0)
		die("netlink socket");
	dump_seeds(dir, sk, RTM_GETLINK, AF_UNSPEC);
	dump_seeds(dir, sk, RTM_GETADDR, AF_UNSPEC);
	dump_seeds(dir, sk, RTM_GETNEIGH, AF_UNSPEC);
	dump_seeds(dir, sk, RTM_GETNEIGH, AF_BRIDGE);
	dump_seeds(dir, sk, RTM_GETVLAN, AF_BRIDGE);
	dump_tc_seeds(dir, sk);
	mnl_socket_close(sk);

	/* an nftables ruleset with base chains of every kind netfilter.c
	 * judges, recorded as the kernel dumps it */
	if (system("nft -f - <<'EOF'\n"
		   "table inet fw {\n"
		   "  set allow { type ipv4_addr; elements = { 198.18.1.2 }; }\n"
		   "  chain other { ip6 saddr 2001:db8::/32 drop; }\n"
		   "  chain forward { type filter hook forward priority 0; policy drop;\n"
		   "    ct state established,related accept;\n"
		   "    ip saddr @allow tcp dport { 22, 5201 } counter accept;\n"
		   "    icmp type echo-request limit rate 10/second accept;\n"
		   "    meta mark set 1 jump other; }\n"
		   "}\n"
		   "table ip nat {\n"
		   "  chain post { type nat hook postrouting priority 100; oifname \"fz0\" masquerade; }\n"
		   "  chain pre { type nat hook prerouting priority -100;\n"
		   "    tcp dport 8080 dnat to 198.18.2.2:5201; }\n"
		   "}\n"
		   "table bridge br { chain fw { type filter hook forward priority 0; }; }\n"
		   "EOF"))
		die("nft -f (the nftables seeds)");
	sk = mnl_socket_open(NETLINK_NETFILTER);
	if (!sk || mnl_socket_bind(sk, 0, MNL_SOCKET_AUTOPID) < 0)
		die("nf_tables netlink socket");
	dump_seeds(dir, sk, NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_GETCHAIN, AF_UNSPEC);
	dump_seeds(dir, sk, NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_GETRULE, AF_UNSPEC);
	mnl_socket_close(sk);

	/* the nexthops fr->recent holds, in kernel-shaped messages */
	len = neigh_msg(buf, AF_INET, 2, nexthops[0].addr, "\x02\0\0\0\x04\x01", NUD_REACHABLE);
	len += neigh_msg(buf + len, AF_INET6, 2, nexthops[1].addr, "\x02\0\0\0\x06\x01", NUD_STALE);
	len += neigh_msg(buf + len, AF_INET6, 7, nexthops[2].addr, NULL, NUD_FAILED);
	write_seed(dir, buf, len);
	fprintf(stderr, "fuzz_netlink: wrote %d seeds to %s\n", seed_no, dir);
}

/* ------------------------------------------------------------------ */
/* Set-up                                                              */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *seeds = getenv("RD_FUZZ_WRITE_SEEDS");

	if (seeds) {
		write_seeds(seeds);
		exit(0);
	}
	rd_log_init(true, RD_LOG_ERR);
	if (unshare(CLONE_NEWNET))
		die("unshare(CLONE_NEWNET) (the netlink fuzzer needs root)");

	memset(&dp, 0, sizeof(dp));
	dp.pins.fd = -1;
	dp.n_cpus = libbpf_num_possible_cpus();
	dp.skel = rd_dp_load_unpinned();
	if (!dp.skel)
		die("loading the XDP program");

	/* one configured interface that does not exist: reconcile looks it up */
	ifs.dp = &dp;
	ifs.list = managed;
	ifs.cap = 1;
	ifs.n = 1;
	snprintf(ifs.list[0].cfg.name, sizeof(ifs.list[0].cfg.name), "fz-absent");
	ifs.list[0].att.link_fd = -1;

	loop = ev_loop_new(EVFLAG_AUTO);
	/* the resync a refused event asks for is armed, as in the daemon; the
	 * loop never runs */
	rd_nl_events_init(&events, loop);
	if (fz_netlink_init(&nl, &events, loop, &ifs, &dp) ||
	    !rd_nl_events_add(&events, &(struct rd_nl_consumer){
		    .name = "check", .kinds = ~0u, .msg = check_dispatch }))
	{
		fprintf(stderr, "fuzz_netlink: cannot set up the event reader\n");
		exit(1);
	}
	fr.dp = &dp;
	return 0;
}

/* ------------------------------------------------------------------ */
/* 1. libmnl: on_neigh                                                  */

/* mnl_nlmsg_ok() of libmnl 1.0.4 compares (int)nlmsg_len, so a length of
 * 2^31 or more passes and mnl_nlmsg_next() jumps gigabytes away: the
 * harness walks messages with unsigned comparisons of its own. */
static bool msg_ok(const struct nlmsghdr *nlh, int left)
{
	return left >= (int)sizeof(*nlh) && nlh->nlmsg_len >= sizeof(*nlh) &&
	       nlh->nlmsg_len <= (unsigned)left;
}

static bool has_huge_len(const char *buf, size_t len)
{
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
	int left = (int)len;

	while (left >= (int)sizeof(*nlh) && nlh->nlmsg_len >= sizeof(*nlh)) {
		if (nlh->nlmsg_len > (unsigned)left)
			return nlh->nlmsg_len >= 0x80000000u;
		nlh = mnl_nlmsg_next(nlh, &left);
	}
	return false;
}

static bool has_short_neigh(const char *buf, size_t len)
{
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
	int left = (int)len;

	while (msg_ok(nlh, left)) {
		if (nlh->nlmsg_type >= NLMSG_MIN_TYPE &&
		    mnl_nlmsg_get_payload_len(nlh) < sizeof(struct ndmsg))
			return true;
		nlh = mnl_nlmsg_next(nlh, &left);
	}
	return false;
}

/* Does some message (that libmnl would deliver) name this ifindex/family? */
static bool named(const char *buf, size_t len, const struct rd_nh_use *u)
{
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
	int left = (int)len;

	while (msg_ok(nlh, left)) {
		if (nlh->nlmsg_type >= NLMSG_MIN_TYPE &&
		    mnl_nlmsg_get_payload_len(nlh) >= sizeof(struct ndmsg)) {
			const struct ndmsg *ndm = mnl_nlmsg_get_payload(nlh);

			if ((__u32)ndm->ndm_ifindex == u->ifindex && ndm->ndm_family == u->family)
				return true;
		}
		nlh = mnl_nlmsg_next(nlh, &left);
	}
	return false;
}

static void run_mnl(const char *buf, size_t len)
{
	const char *tolerate = getenv("RD_FUZZ_TOLERATE");

	if (tolerate && strstr(tolerate, "neigh-short") && has_short_neigh(buf, len))
		return;
	if (tolerate && strstr(tolerate, "mnl-huge-len") && has_huge_len(buf, len))
		return;
	fr.n_recent = N_NEXTHOPS;
	for (size_t i = 0; i < N_NEXTHOPS; i++)
		fr.recent[i] = (struct rd_nh_recent){ .use = nexthops[i] };
	rd_mnl_cb_run(buf, len, 0, 0, rd_freshness_on_neigh, &fr); /* as freshness.c does */
	for (size_t i = 0; i < N_NEXTHOPS; i++) {
		static const __u8 zero[6];
		const struct rd_nh_recent *r = &fr.recent[i];

		if (memcmp(&r->use, &nexthops[i], sizeof(r->use)))
			FAIL("on_neigh changed nexthop %zu itself", i);
		if ((r->kernel_state || memcmp(r->lladdr, zero, 6)) && !named(buf, len, &r->use))
			FAIL("nexthop %zu got state %#x from no message about it", i, r->kernel_state);
	}
}

/* ------------------------------------------------------------------ */
/* the bridge mirror's parsers                                         */

/* The buffer as a link dump and a VLAN dump (bridge/topology.c), then each
 * message that fits as an FDB entry (bridge/entries.c), as events and dumps
 * parse them. For memory errors and UB only. */
static void run_bridge(const char *buf, size_t len)
{
	const struct nlmsghdr *nlh = (const void *)buf;
	struct topo t = { 0 };
	struct fdb_msg m;
	int left = (int)len;

	rd_topo_parse(&t, buf, len, buf, len);
	rd_topo_free(&t);
	while (left >= (int)sizeof(*nlh) && nlh->nlmsg_len >= sizeof(*nlh) &&
	       nlh->nlmsg_len <= (unsigned)left) {
		rd_fdb_parse_entry(nlh, &m);
		nlh = mnl_nlmsg_next(nlh, &left);
	}
}

/* ------------------------------------------------------------------ */
/* the nftables ruleset reader                                         */

static void run_nf(const char *buf, size_t len)
{
	struct rd_nf_ruleset rs;
	struct rd_nf_verdict v;

	memset(&v, 0, sizeof(v));
	rd_nf_ruleset_init(&rs);
	rd_nf_ruleset_add_buf(&rs, buf, len);
	rd_nf_ruleset_verdict(&rs, &v);
	if (rs.bad && v.hold != RD_NF_HOLD_ALL)
		FAIL("an unreadable nf_tables dump holds %#x, not every family", v.hold);
	for (size_t i = 0; i < rs.n; i++)
		if (rs.chains[i].acting > rs.chains[i].rules)
			FAIL("chain %zu: %u acting rules of %u", i, rs.chains[i].acting,
			     rs.chains[i].rules);
	rd_nf_ruleset_free(&rs);
}

/* ------------------------------------------------------------------ */
/* 2. libnl: the link and address caches                              */

struct want_local4 {
	__u32 addrs[2 * RD_LOCAL4_SLOTS];
	size_t n;
};

static void want_cb(struct nl_object *obj, void *arg)
{
	struct rtnl_addr *a = (struct rtnl_addr *)obj;
	struct nl_addr *srcs[2] = { rtnl_addr_get_local(a), rtnl_addr_get_broadcast(a) };
	struct want_local4 *w = arg;

	if (rtnl_addr_get_family(a) != AF_INET)
		return;
	for (int i = 0; i < 2; i++)
		if (srcs[i] && nl_addr_get_len(srcs[i]) == 4 && w->n < 2 * RD_LOCAL4_SLOTS)
			memcpy(&w->addrs[w->n++], nl_addr_get_binary_addr(srcs[i]), 4);
}

static void check_local4(void)
{
	static struct want_local4 w;
	static __u32 map[RD_LOCAL4_SLOTS], keys[RD_LOCAL4_SLOTS];
	__u32 count = RD_LOCAL4_SLOTS, out_batch;
	LIBBPF_OPTS(bpf_map_batch_opts, opts);

	w.n = 0;
	nl_cache_foreach(nl.addrs, want_cb, &w);
	if (bpf_map_lookup_batch(bpf_map__fd(dp.skel->maps.rd_local4), NULL, &out_batch, keys, map,
				 &count, &opts) && errno != ENOENT)
		die("rd_local4 batch lookup");
	for (size_t k = 0; k < RD_LOCAL4_SLOTS; k++) {
		if (map[k] != dp.local4[k])
			FAIL("rd_local4[%zu] holds %08x, the daemon thinks %08x", k, map[k],
			     dp.local4[k]);
	}
	/* The fast path probes until the address or an empty slot: every local
	 * address must be found that way, unless its whole probe window is
	 * taken by others (routerd then warns that it could not place it). */
	for (size_t i = 0; i < w.n; i++) {
		for (__u32 p = 0; w.addrs[i] && p < RD_LOCAL4_PROBES; p++) {
			__u32 slot = map[rd_local4_slot(w.addrs[i], p)];

			if (slot == w.addrs[i])
				break;
			if (!slot)
				FAIL("local address %08x not found in rd_local4 (probe %u empty)",
				     w.addrs[i], p);
		}
	}
	for (size_t k = 0; k < RD_LOCAL4_SLOTS; k++) {
		bool wanted = !map[k];

		for (size_t i = 0; i < w.n && !wanted; i++)
			wanted = w.addrs[i] == map[k];
		if (!wanted)
			FAIL("rd_local4[%zu] holds %08x, which is no local address", k, map[k]);
	}
}

/* Every consumer of the reader: each message it is handed lies whole in
 * the buffer and is of the kind it was sorted into. */
static const char *dispatched_buf;
static size_t dispatched_len;

static void check_dispatch(void *arg, enum rd_nl_kind kind, const struct nlmsghdr *nlh)
{
	const char *p = (const char *)nlh;
	char name[16];

	(void)arg;
	if (p < dispatched_buf || nlh->nlmsg_len < sizeof(*nlh) ||
	    nlh->nlmsg_len > (size_t)(dispatched_buf + dispatched_len - p))
		FAIL("the reader handed out a message outside the buffer");
	if (kind != rd_nl_kind_of(nlh) || kind >= RD_NLK__MAX)
		FAIL("a message of type %u handed out as kind %d", nlh->nlmsg_type, kind);
	if (!rd_nl_type_name(nlh->nlmsg_type, name, sizeof(name))[0])
		FAIL("type %u has no name", nlh->nlmsg_type);
}

static void run_libnl(const char *buf, size_t len)
{
	const struct nlmsghdr *nlh;
	unsigned long rejected = nl.rejected, refused = 0;
	bool addr_events = false;
	size_t left;

	nl_cache_clear(nl.links);
	nl_cache_clear(nl.addrs);
	rd_dp_set_local4(&dp, NULL, 0);
	/* what the reader will hand netlink.c, and what its guard refuses */
	rd_nlmsg_for_each(nlh, buf, len, left) {
		enum rd_nl_kind kind = rd_nl_kind_of(nlh);

		if (kind != RD_NLK_LINK && kind != RD_NLK_ADDR)
			continue;
		addr_events |= kind == RD_NLK_ADDR;
		refused += rd_netlink_msg_refused(nlh) != NULL;
	}
	ev_timer_stop(loop, &events.resync_timer);
	dispatched_buf = buf;
	dispatched_len = len;
	rd_nl_events_dispatch(&events, buf, len);
	if (nl.rejected - rejected != refused)
		FAIL("%lu messages refused, %lu counted", refused, nl.rejected - rejected);
	if (!!ev_is_active(&events.resync_timer) != (refused > 0))
		FAIL("%lu refused messages, the resync %s", refused,
		     ev_is_active(&events.resync_timer) ? "armed" : "not armed");
	if (addr_events)
		check_local4();
}

/* Step 4: routerd/daemon/tc.c's parser. */
static void run_tc(const char *buf, size_t len)
{
	const struct nlmsghdr *nlh;
	struct rd_tc_dev dev = { .ifindex = 1 };
	size_t left;

	rd_nlmsg_for_each(nlh, buf, len, left) {
		struct rd_tc_msg m;

		if (rd_tc_parse(nlh, &m)) {
			if (rd_tc_msg_type(nlh->nlmsg_type) &&
			    nlh->nlmsg_len >= NLMSG_LENGTH(sizeof(struct tcmsg)))
				FAIL("a whole tc message (type %u) was refused", nlh->nlmsg_type);
			continue;
		}
		if (!rd_tc_msg_type(m.type))
			FAIL("a message of type %u parsed as tc", m.type);
		if (strnlen(m.kind, sizeof(m.kind)) == sizeof(m.kind))
			FAIL("kind not terminated");
		if (m.type == RTM_NEWQDISC)
			rd_tc_note_qdisc(&dev, &m);
	}
	if (strnlen(dev.egress_kind, sizeof(dev.egress_kind)) == sizeof(dev.egress_kind) ||
	    strnlen(dev.hook_kind, sizeof(dev.hook_kind)) == sizeof(dev.hook_kind) ||
	    strnlen(dev.root_kind, sizeof(dev.root_kind)) == sizeof(dev.root_kind))
		FAIL("a kind in the device state is not terminated");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf;

	if (size > 1 << 16)
		return -1;
	buf = malloc(size ? size : 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	run_mnl(buf, size);
	run_bridge(buf, size);
	run_nf(buf, size);
	run_libnl(buf, size);
	run_tc(buf, size);
	free(buf);
	return 0;
}
