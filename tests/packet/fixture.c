// SPDX-License-Identifier: GPL-2.0
/*
 * The packet test fixture: a namespace with the topology of fixture.h, the
 * program loaded, and its maps filled as the daemon fills them.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "daemon/datapath.h"
#include "fixture.h"

struct port ports[P__COUNT] = {
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

struct routerd_bpf *skel;

const char *mac_str(const __u8 *m)
{
	static char buf[4][18];
	static int next;
	char *s = buf[next++ % 4];

	snprintf(s, sizeof(buf[0]), "%02x:%02x:%02x:%02x:%02x:%02x",
		 m[0], m[1], m[2], m[3], m[4], m[5]);
	return s;
}

void write_sysctl(const char *path, const char *value)
{
	FILE *f = fopen(path, "w");

	cr_assert_not_null(f, "open %s: %s", path, strerror(errno));
	cr_assert_gt(fputs(value, f), -1, "write %s", path);
	cr_assert_eq(fclose(f), 0, "write %s: %s", path, strerror(errno));
}

void set_ipv4_forwarding(bool on)
{
	write_sysctl("/proc/sys/net/ipv4/ip_forward", on ? "1" : "0");
}

void set_ipv6_forwarding(bool on)
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
		fprintf(ip, "addr add %s brd + dev %s\n", p->addr4, p->name);
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

void ip_cmd(const char *fmt, ...)
{
	FILE *ip = popen("ip -batch -", "w");
	va_list ap;

	cr_assert_not_null(ip, "popen ip: %s", strerror(errno));
	va_start(ap, fmt);
	vfprintf(ip, fmt, ap);
	va_end(ap);
	fputc('\n', ip);
	cr_assert_eq(pclose(ip), 0, "ip %s failed (see its errors above)", fmt);
}

__u32 slot_of(enum port_id p)
{
	return ports[p].managed ? (__u32)p + 1 : RD_SLOT_UNCONFIGURED;
}

static void write_iface(enum port_id id, const struct rd_iface *ifc)
{
	__u32 key = (__u32)ports[id].ifindex;

	cr_assert_eq(bpf_map__update_elem(skel->maps.rd_ifaces, &key, sizeof(key), ifc,
					  sizeof(*ifc), BPF_ANY), 0, "rd_ifaces[%s]", ports[id].name);
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
		write_iface(id, &ifc);
		cr_assert_eq(bpf_map__update_elem(skel->maps.rd_tx, &key, sizeof(key), &tx,
						  sizeof(tx), BPF_ANY), 0, "rd_tx[%s]", p->name);
	}
}

/* As routerd/daemon/ifaces.c: the larger of conf/all and conf/PORT (0 when the
 * sysctl cannot be read, as there). */
static __u8 effective_rp_filter(const char *name)
{
	char path[96];
	int all = 0, dev = 0;
	FILE *f;

	if ((f = fopen("/proc/sys/net/ipv4/conf/all/rp_filter", "r"))) {
		if (fscanf(f, "%d", &all) != 1)
			all = 0;
		fclose(f);
	}
	snprintf(path, sizeof(path), "/proc/sys/net/ipv4/conf/%s/rp_filter", name);
	if ((f = fopen(path, "r"))) {
		if (fscanf(f, "%d", &dev) != 1)
			dev = 0;
		fclose(f);
	}
	return (all > dev ? all : dev) & 3;
}

void sync_rp_filter(void)
{
	for (enum port_id id = 0; id < P__COUNT; id++) {
		__u32 key = (__u32)ports[id].ifindex;
		struct rd_iface ifc;

		if (!ports[id].managed)
			continue;
		cr_assert_eq(bpf_map__lookup_elem(skel->maps.rd_ifaces, &key, sizeof(key), &ifc,
						  sizeof(ifc), 0), 0);
		ifc.rp_filter = effective_rp_filter(ports[id].name);
		write_iface(id, &ifc);
	}
}

void set_fixups(enum port_id id, __u32 fixups, __u16 mss_clamp)
{
	struct rd_iface ifc = { .slot = slot_of(id), .fixups = fixups, .mss_clamp = mss_clamp };

	cr_assert(ports[id].managed, "%s is not managed", ports[id].name);
	memcpy(ifc.mac, ports[id].mac, ETH_ALEN);
	write_iface(id, &ifc);
}

/* ------------------------------------------------------------------ */
/* rd_local4, as routerd/daemon/netlink.c and rd_dp_set_local4() fill it      */

#define LOCAL4_MAX 128

__u32 local4_addrs[LOCAL4_MAX];
size_t n_local4_addrs;

/* The first free of ADDR's probe slots (or its own, if listed twice);
 * false if there is none, which the daemon only warns about. */
static bool place_local4(__u32 *table, __u32 addr)
{
	for (__u32 probe = 0; probe < RD_LOCAL4_PROBES; probe++) {
		__u32 *slot = &table[rd_local4_slot(addr, probe)];

		if (*slot == addr)
			return true;
		if (!*slot) {
			*slot = addr;
			return true;
		}
	}
	return false;
}

static void add_local4(const char *s)
{
	__u32 addr;

	parse_addr(AF_INET, s, &addr);
	cr_assert_lt(n_local4_addrs, LOCAL4_MAX, "too many local addresses");
	local4_addrs[n_local4_addrs++] = addr;
}

/* `ip -4 -o addr show` prints one address per line, with its IFA_LOCAL
 * after "inet" (A/LEN) and its IFA_BROADCAST, if any, after "brd": the
 * attributes routerd reads with rtnl_addr_get_local()/_get_broadcast(). */
size_t sync_local4(void)
{
	static __u32 table[RD_LOCAL4_SLOTS];
	FILE *ip = popen("ip -4 -o addr show", "r");
	size_t unplaced = 0;
	char line[512];

	cr_assert_not_null(ip, "popen ip: %s", strerror(errno));
	n_local4_addrs = 0;
	while (fgets(line, sizeof(line), ip)) {
		char *save, *prev = NULL;

		for (char *tok = strtok_r(line, " \t\n\\", &save); tok;
		     prev = tok, tok = strtok_r(NULL, " \t\n\\", &save)) {
			if (prev && !strcmp(prev, "inet")) {
				tok[strcspn(tok, "/")] = '\0';
				add_local4(tok);
			} else if (prev && !strcmp(prev, "brd"))
				add_local4(tok);
		}
	}
	cr_assert_eq(pclose(ip), 0, "ip -4 -o addr show failed");
	cr_assert_gt(n_local4_addrs, 0, "no IPv4 address in the namespace");

	memset(table, 0, sizeof(table));
	for (size_t i = 0; i < n_local4_addrs; i++)
		if (!place_local4(table, local4_addrs[i]))
			unplaced++;
	for (__u32 key = 0; key < RD_LOCAL4_SLOTS; key++)
		cr_assert_eq(bpf_map__update_elem(skel->maps.rd_local4, &key, sizeof(key),
						  &table[key], sizeof(table[key]), BPF_ANY), 0,
			     "rd_local4[%u]", key);
	return unplaced;
}

__u32 local4_at(__u32 key)
{
	__u32 value;

	cr_assert_eq(bpf_map__lookup_elem(skel->maps.rd_local4, &key, sizeof(key), &value,
					  sizeof(value), 0), 0, "rd_local4[%u]", key);
	return value;
}

/* ------------------------------------------------------------------ */

bool pin_to_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return !sched_setaffinity(0, sizeof(set), &set);
}

void stay_on_this_cpu(void)
{
	int cpu = sched_getcpu();

	cr_assert_geq(cpu, 0);
	cr_assert(pin_to_cpu(cpu));
}

void set_cache_ctl(__u64 generation, __u64 valid_until_ns)
{
	struct rd_cache_ctl ctl = { .generation = generation, .valid_until_ns = valid_until_ns };
	__u32 zero = 0;

	cr_assert_eq(bpf_map__update_elem(skel->maps.rd_cache_ctl, &zero, sizeof(zero), &ctl,
					  sizeof(ctl), 0), 0, "rd_cache_ctl");
}

void setup(void)
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
	skel = rd_dp_load_unpinned();
	cr_assert_not_null(skel, "rd_dp_load_unpinned: %s", strerror(errno));
	fill_maps();
	cr_assert_eq(sync_local4(), 0, "the topology's addresses do not fit rd_local4");
	set_cache_ctl(0, ~0ull);
}

void teardown(void)
{
	routerd_bpf__destroy(skel); /* the namespace goes with the process */
	skel = NULL;
}
