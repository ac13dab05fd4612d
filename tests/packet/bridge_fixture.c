// SPDX-License-Identifier: GPL-2.0
/*
 * The bridge packet tests' fixture (bridge_fixture.h): a namespace with a
 * real bridge and routerd's program, frames, runs under BPF_PROG_TEST_RUN
 * with the counters they moved, and captures on the "VM" side of each port.
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
#include "daemon/daemon.h"
#include "daemon/ifaces.h"
#include "common/log.h"
#include "routerd.skel.h"

#include "bridge_fixture.h"

#define PORT_MAC(n) { 2, 0, 0, 0, 0xaa, n }
#define VM_MAC(n) { 2, 0, 0, 0, 0xbb, n }

const __u8 bridge_mac[ETH_ALEN] = { 2, 0, 0, 0, 0xaa, 0 };
const __u8 vm[8][ETH_ALEN] = { {0}, VM_MAC(1), VM_MAC(2), VM_MAC(3), VM_MAC(4),
				      VM_MAC(5), VM_MAC(6), VM_MAC(7) };
const __u8 port_mac[N_PORTS + 1][ETH_ALEN] = { {0}, PORT_MAC(1), PORT_MAC(2),
						       PORT_MAC(3), PORT_MAC(4), PORT_MAC(5) };
const __u8 unknown_mac[ETH_ALEN] = { 2, 0, 0, 0, 0xcc, 1 };

struct routerd_bpf *skel;
int ifindex[N_PORTS + 1], br_ifindex;
struct rd_datapath dp;
struct rd_ifaces ifs;
static struct rd_managed_iface managed[N_PORTS + 1]; /* ifs.list */
struct rd_fdb mirror;
struct rd_nl_events events; /* the daemon's one event reader, without a loop */
bool mirror_on;


/* ------------------------------------------------------------------ */
/* the namespace                                                       */

void sh(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	rc = system(cmd);
	cr_assert_eq(rc, 0, "command failed (%d): %s", rc, cmd);
}

const char *mac_str(const __u8 *m)
{
	static char buf[4][18];
	static int next;
	char *s = buf[next++ % 4];

	snprintf(s, sizeof(buf[0]), "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4],
		 m[5]);
	return s;
}

void write_iface(int n, const struct rd_iface *val)
{
	__u32 key = (__u32)ifindex[n];

	cr_assert_eq(bpf_map__update_elem(skel->maps.rd_ifaces, &key, sizeof(key), val,
					  sizeof(*val), BPF_ANY), 0, "rd_ifaces[brp%d]", n);
}

struct rd_iface read_iface(int n)
{
	struct rd_iface val;
	__u32 key = (__u32)ifindex[n];

	cr_assert_eq(bpf_map__lookup_elem(skel->maps.rd_ifaces, &key, sizeof(key), &val,
					  sizeof(val), 0), 0, "rd_ifaces[brp%d]", n);
	return val;
}

void set_heartbeat(struct bpf_map *map, __u64 valid_until_ns)
{
	struct rd_bridge_ctl ctl = { .valid_until_ns = valid_until_ns };
	__u32 zero = 0;

	cr_assert_eq(bpf_map__update_elem(map, &zero, sizeof(zero), &ctl, sizeof(ctl), BPF_ANY), 0,
		     "rd_bridge_ctl");
}

void build(void)
{
	FILE *ip;

	rd_log_init(true, RD_LOG_WARN);
	cr_assert_eq(unshare(CLONE_NEWNET), 0, "unshare(CLONE_NEWNET): %s (needs root)",
		     strerror(errno));
	/* quiet peers: no IPv6 router solicitations or ND on the wires */
	sh("sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1");
	ip = popen("ip -batch -", "w");
	cr_assert_not_null(ip);
	fprintf(ip, "link set lo up\n");
	fprintf(ip, "link add name %s address %s type bridge stp_state 0 ageing_time 100000\n",
		BRIDGE, mac_str(bridge_mac));
	for (int n = 1; n <= N_PORTS; n++) {
		fprintf(ip, "link add name brp%d address %s type veth peer name brp%d-p address %s\n",
			n, mac_str(port_mac[n]), n, mac_str(vm[n]));
		fprintf(ip, "link set brp%d master %s\n", n, BRIDGE);
		fprintf(ip, "link set brp%d-p up\nlink set brp%d up\n", n, n);
	}
	fprintf(ip, "link set %s up\n", BRIDGE);
	cr_assert_eq(pclose(ip), 0, "ip -batch failed");
	/* a redirect into a veth needs GRO (or XDP) on its peer */
	for (int n = 1; n <= N_PORTS; n++)
		sh("ethtool -K brp%d-p gro on >/dev/null", n);
	for (int n = 1; n <= N_PORTS; n++)
		sh("bridge fdb add %s dev brp%d master static", mac_str(vm[n]), n);
	sh("bridge fdb add %s dev brp1 master static", mac_str(vm[6]));
	br_ifindex = (int)if_nametoindex(BRIDGE);
	for (int n = 1; n <= N_PORTS; n++) {
		char name[IF_NAMESIZE];

		snprintf(name, sizeof(name), "brp%d", n);
		ifindex[n] = (int)if_nametoindex(name);
		cr_assert_gt(ifindex[n], 0, "%s", name);
	}

	skel = rd_dp_load_unpinned();
	cr_assert_not_null(skel, "rd_dp_load_unpinned: %s", strerror(errno));
	/* what ifaces.c writes for a managed port */
	ifs.list = managed;
	ifs.cap = sizeof(managed) / sizeof(managed[0]);
	for (int n = 1; n <= N_MANAGED; n++) {
		struct rd_iface val = { .slot = (__u32)n };
		struct bpf_devmap_val tx = { .ifindex = (__u32)ifindex[n] };
		__u32 key = (__u32)ifindex[n];

		memcpy(val.mac, port_mac[n], ETH_ALEN);
		write_iface(n, &val);
		cr_assert_eq(bpf_map__update_elem(skel->maps.rd_tx, &key, sizeof(key), &tx,
						  sizeof(tx), BPF_ANY), 0, "rd_tx[brp%d]", n);
		ifs.list[ifs.n++].ifindex = key;
	}
	dp.skel = skel;
	dp.n_cpus = libbpf_num_possible_cpus();
	set_heartbeat(skel->maps.rd_bridge_ctl, ~0ull); /* maps filled by hand stay valid */
	/* routerd's own heartbeat, with the route cache off (routerd/daemon/cachectl.c) */
	cr_assert_eq(bpf_map__update_elem(skel->maps.rd_cache_ctl, &(__u32){ 0 }, sizeof(__u32),
					  &(struct rd_cache_ctl){ .valid_until_ns = ~0ull },
					  sizeof(struct rd_cache_ctl), 0), 0, "rd_cache_ctl");
}

/* The mirror fills rd_fdb and the bridge fields of rd_iface. */
void setup_mirror(void)
{
	struct rd_fdb_hooks hooks;
	char err[256];

	build();
	/* wired to the interface table as main does: it writes the ports'
	 * bridge fields the mirror describes */
	ifs.dp = &dp;
	rd_wire_bridge(&ifs, &mirror, &hooks);
	cr_assert_eq(rd_nl_events_open(&events, 0, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(rd_fdb_start(&mirror, NULL, &dp, &events, &hooks, err, sizeof(err)), 0, "%s",
		     err);
	mirror_on = true;
}

void teardown(void)
{
	if (mirror_on) {
		rd_fdb_stop(&mirror);
		rd_nl_events_close(&events);
	}
	mirror_on = false;
	routerd_bpf__destroy(skel);
	skel = NULL;
}

/* A change made with bridge(8) or ip(8), then the mirror follows it. */
void change(const char *fmt, ...)
{
	char cmd[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	sh("%s", cmd);
	usleep(20000); /* the notifications are queued by now */
	rd_fdb_poll(&mirror);
}

/* ------------------------------------------------------------------ */
/* frames                                                              */

/* An IPv4/UDP packet that routing would never forward (TTL 1, to a
 * multicast-free but unroutable address): bridging must not care. */
struct frame frame_to(const __u8 *dst, const __u8 *src)
{
	struct frame f = { .len = ETH_HLEN + 100 };
	struct ethhdr *eth = (struct ethhdr *)f.data;
	struct iphdr *ip = (struct iphdr *)(eth + 1);
	struct udphdr *udp = (struct udphdr *)(ip + 1);

	memcpy(eth->h_dest, dst, ETH_ALEN);
	memcpy(eth->h_source, src, ETH_ALEN);
	eth->h_proto = htons(ETH_P_IP);
	*ip = (struct iphdr){ .version = 4, .ihl = 5, .tot_len = htons(100), .ttl = 1,
			      .protocol = IPPROTO_UDP, .saddr = htonl(0xc6120b0b),
			      .daddr = htonl(0xc6120b0c) };
	*udp = (struct udphdr){ .source = htons(1234), .dest = htons(5678), .len = htons(80) };
	for (int i = 0; i < 72; i++)
		((__u8 *)(udp + 1))[i] = (__u8)(i * 13 + 5);
	return f;
}

void ipv4_fix_csum(struct iphdr *ip)
{
	__u32 sum = 0;

	ip->check = 0;
	for (int i = 0; i < 10; i++)
		sum += ntohs(((__u16 *)ip)[i]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	ip->check = htons((__u16)~sum);
}

void set_proto(struct frame *f, __u16 proto)
{
	((struct ethhdr *)f->data)->h_proto = htons(proto);
}

/* Inserts a TPID/TCI tag after the MACs. */
struct frame tagged(struct frame f, __u16 tpid, __u16 tci)
{
	__be16 tag[2] = { htons(tpid), htons(tci) };

	memmove(f.data + 16, f.data + 12, f.len - 12);
	memcpy(f.data + 12, tag, 4);
	f.len += 4;
	return f;
}

/* ------------------------------------------------------------------ */
/* runs and counters                                                   */



static void read_stats(__u64 sums[N_SLOTS][N_COUNTERS])
{
	int ncpus = libbpf_num_possible_cpus();
	__u64 *percpu = calloc((size_t)ncpus, sizeof(struct rd_stats));
	int fd = bpf_map__fd(skel->maps.rd_stats);

	cr_assert_not_null(percpu);
	for (__u32 slot = 0; slot < N_SLOTS; slot++) {
		cr_assert_eq(bpf_map_lookup_elem(fd, &slot, percpu), 0);
		memset(sums[slot], 0, sizeof(sums[slot]));
		for (int cpu = 0; cpu < ncpus; cpu++)
			for (int i = 0; i < N_COUNTERS; i++)
				sums[slot][i] += percpu[(size_t)cpu * RD_STATS_WORDS + i];
	}
	free(percpu);
}

struct result run_on_dev(int ifx, const struct frame *in, __u32 flags)
{
	bool live = flags & BPF_F_TEST_XDP_LIVE_FRAMES;
	static __u64 before[N_SLOTS][N_COUNTERS], after[N_SLOTS][N_COUNTERS];
	__u8 data[FRAME_MAX], out[FRAME_MAX + 256];
	struct xdp_md ctx = { .data_end = in->len, .ingress_ifindex = (__u32)ifx };
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = data, .data_size_in = in->len,
		    .data_out = live ? NULL : out, .data_size_out = live ? 0 : sizeof(out),
		    .ctx_in = &ctx, .ctx_size_in = sizeof(ctx), .repeat = 1, .flags = flags);
	struct result r = { 0 };

	memcpy(data, in->data, in->len);
	read_stats(before);
	cr_assert_eq(bpf_prog_test_run_opts(bpf_program__fd(skel->progs.routerd_xdp), &opts), 0,
		     "BPF_PROG_TEST_RUN: %s", strerror(errno));
	read_stats(after);
	r.action = (int)opts.retval;
	for (int s = 0; s < N_SLOTS; s++)
		for (int i = 0; i < N_COUNTERS; i++)
			r.delta[s][i] = after[s][i] - before[s][i];
	if (!live) {
		cr_assert_leq(opts.data_size_out, sizeof(r.out.data));
		r.out.len = opts.data_size_out;
		memcpy(r.out.data, out, r.out.len);
	}
	return r;
}

struct result run_on(int port, const struct frame *in, __u32 flags)
{
	return run_on_dev(ifindex[port], in, flags);
}

const char *action_str(int a)
{
	static const char *const names[] = { "ABORTED", "DROP", "PASS", "TX", "REDIRECT" };

	return a >= 0 && a <= XDP_REDIRECT ? names[a] : "?";
}

#define KEY(name, key) key,
const char *const counter_names[N_COUNTERS] = { RD_EVENTS(KEY) RD_PASS_REASONS(KEY)
							  RD_DROP_REASONS(KEY) };
#undef KEY

/* Exactly one counter moved, by one: INDEX (flat) in SLOT. */
void expect_counted(const struct result *r, int slot, int index)
{
	for (int s = 0; s < N_SLOTS; s++)
		for (int i = 0; i < N_COUNTERS; i++) {
			__u64 want = s == slot && i == index;

			cr_assert_eq(r->delta[s][i], want,
				     "counter %s in slot %d moved by %llu, want %llu (expected only "
				     "%s in slot %d)",
				     counter_names[i], s, (unsigned long long)r->delta[s][i],
				     (unsigned long long)want, counter_names[index], slot);
		}
}


/* The counters that moved, for failure messages. */
const char *moved_str(const struct result *r)
{
	static char buf[256];
	size_t len = 0;

	buf[0] = '\0';
	for (int s = 0; s < N_SLOTS; s++)
		for (int i = 0; i < N_COUNTERS; i++)
			if (r->delta[s][i] && len < sizeof(buf) - 64)
				len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%s+%llu in slot %d",
							len ? ", " : "", counter_names[i],
							(unsigned long long)r->delta[s][i], s);
	return len ? buf : "no counter moved";
}

void expect_frame(const struct frame *got, const struct frame *want, const char *what)
{
	cr_assert_eq(got->len, want->len, "%s: %u bytes, want %u", what, got->len, want->len);
	for (__u32 i = 0; i < want->len; i++)
		cr_assert_eq(got->data[i], want->data[i], "%s: byte %u is 0x%02x, want 0x%02x", what,
			     i, got->data[i], want->data[i]);
}

void expect_untouched(int port, const struct frame *in, int action, int counter)
{
	struct result r = run_on(port, in, 0);

	cr_assert_eq(r.action, action, "verdict %s, want %s (%s)", action_str(r.action),
		     action_str(action), counter_names[counter]);
	expect_frame(&r.out, in, "frame handed on");
	expect_counted(&r, port <= N_MANAGED ? port : 0, counter);
}

void expect_pass(int port, const struct frame *in, int counter)
{
	expect_untouched(port, in, XDP_PASS, counter);
}

void expect_drop(int port, const struct frame *in, int counter)
{
	expect_untouched(port, in, XDP_DROP, counter);
}

int capture(int port)
{
	char name[IF_NAMESIZE];

	snprintf(name, sizeof(name), "brp%d-p", port);
	return packet_socket(name);
}

/* IN received on port FROM is bridged to port TO as WANT: the verdict, the
 * bytes, only `bridged` counted; then for real, WANT arrives on TO's peer
 * and on no other. */
void expect_bridged_as(int from, const struct frame *in, int to, const struct frame *want)
{
	struct result r = run_on(from, in, 0);
	int fd[N_PORTS + 1];

	cr_assert_eq(r.action, XDP_REDIRECT, "verdict %s (%s), want REDIRECT", action_str(r.action),
		     moved_str(&r));
	expect_frame(&r.out, want, "bridged frame");
	expect_counted(&r, from, EV(BRIDGED));

	for (int n = 1; n <= N_PORTS; n++)
		fd[n] = capture(n);
	/* live mode reports no action: the counters tell */
	r = run_on(from, in, BPF_F_TEST_XDP_LIVE_FRAMES);
	expect_counted(&r, from, EV(BRIDGED));
	cr_assert(received(fd[to], want, 2000), "the frame did not arrive behind brp%d", to);
	for (int n = 1; n <= N_PORTS; n++) {
		if (n != to)
			cr_assert_not(received(fd[n], want, 0), "the frame also arrived behind brp%d",
				      n);
		close(fd[n]);
	}
}

void expect_bridged(int from, const struct frame *in, int to)
{
	expect_bridged_as(from, in, to, in);
}

/* VLAN-filtering bridges exist only as map contents on this kernel. */
void set_vlans(int n, __u16 pvid, const __u16 *member, const __u16 *untagged,
		      const __u16 *blocked, __u16 flags_extra)
{
	struct rd_port_vlans v = { 0 };
	struct rd_iface val = read_iface(n);
	__u32 key = (__u32)ifindex[n];

	for (; member && *member; member++)
		v.member[*member / 64] |= 1ull << (*member % 64);
	for (; untagged && *untagged; untagged++)
		v.untagged[*untagged / 64] |= 1ull << (*untagged % 64);
	for (; blocked && *blocked; blocked++)
		v.blocked[*blocked / 64] |= 1ull << (*blocked % 64);
	cr_assert_eq(bpf_map__update_elem(skel->maps.rd_port_vlans, &key, sizeof(key), &v,
					  sizeof(v), BPF_ANY), 0);
	val.bridge_ifindex = (__u32)br_ifindex;
	val.br_flags = RD_BRPORT_FORWARDING | RD_BRPORT_LEARNING | RD_BRPORT_VLAN_FILTERING |
		       flags_extra;
	val.pvid = pvid;
	write_iface(n, &val);
}

void fdb_put(int n, __u16 vid, const __u8 *mac)
{
	struct rd_fdb_key k = { .bridge = (__u32)br_ifindex, .vid = vid };
	struct rd_fdb_entry e = { .port = (__u32)ifindex[n] };

	memcpy(k.mac, mac, ETH_ALEN);
	cr_assert_eq(bpf_map__update_elem(skel->maps.rd_fdb, &k, sizeof(k), &e, sizeof(e), BPF_ANY),
		     0);
}
