// SPDX-License-Identifier: GPL-2.0
/*
 * The bridge mirror: the kernel bridge's FDB, ports and VLANs into the fast
 * path's maps, and NTF_USE refreshes for what XDP bridged (fdb.h).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/if_bridge.h>
#include <linux/if_ether.h>
#include <linux/if_link.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "fdb.h"
#include "log.h"
#include "nlmsg.h"
#include "routerd.skel.h"

/* Newer than some uapi headers this builds against. */
#ifndef NTF_EXT_LOCKED
#define NTF_EXT_LOCKED (1 << 1)
#endif

#define PORTS_DELAY_S 0.01  /* coalesce a burst of link/VLAN events */
#define RESYNC_DELAY_S 0.1  /* after an overrun: once the burst is over */
#define ROUND_INTERVAL_S 1.0
#define NS_PER_S 1000000000ull
#define MIN_PERIOD_NS (1 * NS_PER_S)
#define MAX_PERIOD_NS (30 * NS_PER_S)
#define SEEN_SLACK_NS (1 * NS_PER_S)
#define EVENTS_RCVBUF (4 << 20)

/* One mirror per daemon; the ifaces.c hooks reach it through this. */
static struct rd_fdb *active;

static char rxbuf[1 << 16];

/* ------------------------------------------------------------------ */
/* netlink plumbing                                                    */

struct attr_table {
	const struct nlattr **tb;
	unsigned int max;
};

static int attr_cb(const struct nlattr *a, void *data)
{
	struct attr_table *t = data;
	unsigned int type = mnl_attr_get_type(a);

	if (type <= t->max)
		t->tb[type] = a;
	return MNL_CB_OK;
}

static void parse_nested(const struct nlattr *nest, const struct nlattr **tb, unsigned int max)
{
	struct attr_table t = { tb, max };

	memset(tb, 0, (max + 1) * sizeof(*tb));
	if (nest)
		mnl_attr_parse_nested(nest, attr_cb, &t);
}

static unsigned int attr_u8(const struct nlattr *a, unsigned int dflt)
{
	return a && mnl_attr_get_payload_len(a) >= 1 ? mnl_attr_get_u8(a) : dflt;
}

static unsigned int attr_u16(const struct nlattr *a, unsigned int dflt)
{
	return a && mnl_attr_get_payload_len(a) >= 2 ? mnl_attr_get_u16(a) : dflt;
}

static __u32 attr_u32(const struct nlattr *a, __u32 dflt)
{
	return a && mnl_attr_get_payload_len(a) >= 4 ? mnl_attr_get_u32(a) : dflt;
}

static bool attr_is(const struct nlattr *a, const char *s)
{
	return a && !strncmp(mnl_attr_get_payload(a), s, mnl_attr_get_payload_len(a)) &&
	       mnl_attr_get_payload_len(a) >= strlen(s);
}

/* Drops what a timed-out exchange left on the request socket (late acks),
 * which would otherwise be taken for the next request's answer. */
static void drain(struct rd_fdb *f)
{
	while (recv(mnl_socket_get_fd(f->req), rxbuf, sizeof(rxbuf), MSG_DONTWAIT) > 0)
		;
}

/* Sends REQ and feeds every answer to CB until the dump (or ack) is done.
 * Returns 0 or -errno; *intr tells whether the kernel marked the dump
 * inconsistent (the table changed under it). */
static int request(struct rd_fdb *f, struct nlmsghdr *req, mnl_cb_t cb, void *data, bool *intr)
{
	unsigned int portid = mnl_socket_get_portid(f->req);
	int rc;

	drain(f);
	req->nlmsg_seq = ++f->seq;
	if (mnl_socket_sendto(f->req, req, req->nlmsg_len) < 0)
		return -errno;
	for (;;) {
		rc = mnl_socket_recvfrom(f->req, rxbuf, sizeof(rxbuf));
		if (rc < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (intr) {
			const struct nlmsghdr *nlh;
			size_t left;

			rd_nlmsg_for_each(nlh, rxbuf, (size_t)rc, left)
				if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
					*intr = true;
		}
		rc = rd_mnl_cb_run(rxbuf, rc, req->nlmsg_seq, portid, cb, data);
		if (rc < 0)
			return -errno;
		if (rc == MNL_CB_STOP)
			return 0;
	}
}

/* ------------------------------------------------------------------ */
/* the managed set                                                     */

static int cmp_u32(const void *a, const void *b)
{
	__u32 x = *(const __u32 *)a, y = *(const __u32 *)b;

	return x < y ? -1 : x > y;
}

static bool is_managed(const struct rd_fdb *f, __u32 ifindex)
{
	return f->n_managed &&
	       bsearch(&ifindex, f->managed, f->n_managed, sizeof(*f->managed), cmp_u32) != NULL;
}

/* Re-reads the managed set from ifaces; true when it changed. */
static bool update_managed(struct rd_fdb *f)
{
	__u32 now[RD_MAX_CONFIG_IFACES];
	size_t n = 0;

	for (size_t i = 0; f->ifs && i < f->ifs->n; i++)
		if (f->ifs->list[i].ifindex)
			now[n++] = f->ifs->list[i].ifindex;
	qsort(now, n, sizeof(now[0]), cmp_u32);
	if (n == f->n_managed && (!n || !memcmp(now, f->managed, n * sizeof(now[0]))))
		return false;
	free(f->managed);
	f->managed = n ? malloc(n * sizeof(now[0])) : NULL;
	f->n_managed = f->managed ? n : 0;
	if (f->managed)
		memcpy(f->managed, now, n * sizeof(now[0]));
	return true;
}

/* ------------------------------------------------------------------ */
/* ports, bridges, VLANs                                               */

static struct rd_br_port *find_port(const struct rd_fdb *f, __u32 ifindex)
{
	for (size_t i = 0; i < f->n_ports; i++)
		if (f->ports[i].ifindex == ifindex)
			return &f->ports[i];
	return NULL;
}

static struct rd_br_bridge *find_bridge(const struct rd_fdb *f, __u32 ifindex)
{
	for (size_t i = 0; i < f->n_bridges; i++)
		if (f->bridges[i].ifindex == ifindex)
			return &f->bridges[i];
	return NULL;
}

static struct rd_br_vlans *find_vlans(const struct rd_fdb *f, __u32 ifindex)
{
	for (size_t i = 0; i < f->n_vlans; i++)
		if (f->vlans[i].ifindex == ifindex)
			return &f->vlans[i];
	return NULL;
}

/* The picture a link dump and a VLAN dump build, swapped in when whole. */
struct topo {
	struct rd_br_port *ports;
	size_t n_ports, cap_ports;
	struct rd_br_bridge *bridges;
	size_t n_bridges, cap_bridges;
	struct rd_br_vlans *vlans;
	size_t n_vlans, cap_vlans;
	bool oom;
};

static void *grow(void *arr, size_t *cap, size_t n, size_t size, bool *oom)
{
	void *next;

	if (n < *cap)
		return arr;
	next = realloc(arr, (*cap ? *cap * 2 : 16) * size);
	if (!next) {
		*oom = true;
		return NULL;
	}
	*cap = *cap ? *cap * 2 : 16;
	return next;
}

static void topo_free(struct topo *t)
{
	free(t->ports);
	free(t->bridges);
	free(t->vlans);
	memset(t, 0, sizeof(*t));
}

static void parse_bridge(struct topo *t, __u32 ifindex, const char *name, const struct nlattr *data)
{
	const struct nlattr *tb[IFLA_BR_MAX + 1];
	struct rd_br_bridge *b;
	void *arr;

	arr = grow(t->bridges, &t->cap_bridges, t->n_bridges, sizeof(*b), &t->oom);
	if (!arr)
		return;
	t->bridges = arr;
	b = &t->bridges[t->n_bridges++];
	memset(b, 0, sizeof(*b));
	b->ifindex = ifindex;
	snprintf(b->name, sizeof(b->name), "%s", name);
	parse_nested(data, tb, IFLA_BR_MAX);
	b->vlan_filtering = attr_u8(tb[IFLA_BR_VLAN_FILTERING], 0);
	b->vlan_proto = ntohs(attr_u16(tb[IFLA_BR_VLAN_PROTOCOL], htons(ETH_P_8021Q)));
	b->ageing_cs = attr_u32(tb[IFLA_BR_AGEING_TIME], 30000);
	if (tb[IFLA_BR_MULTI_BOOLOPT] &&
	    mnl_attr_get_payload_len(tb[IFLA_BR_MULTI_BOOLOPT]) >= sizeof(struct br_boolopt_multi)) {
		const struct br_boolopt_multi *bm = mnl_attr_get_payload(tb[IFLA_BR_MULTI_BOOLOPT]);

		b->mst = bm->optval & (1u << BR_BOOLOPT_MST_ENABLE);
	}
}

static void parse_port(struct topo *t, __u32 ifindex, __u32 master, const char *name,
		       const struct nlattr *data)
{
	const struct nlattr *tb[IFLA_BRPORT_MAX + 1];
	struct rd_br_port *p;
	void *arr;

	arr = grow(t->ports, &t->cap_ports, t->n_ports, sizeof(*p), &t->oom);
	if (!arr)
		return;
	t->ports = arr;
	p = &t->ports[t->n_ports++];
	memset(p, 0, sizeof(*p));
	p->ifindex = ifindex;
	p->master = master;
	snprintf(p->name, sizeof(p->name), "%s", name);
	parse_nested(data, tb, IFLA_BRPORT_MAX);
	/* attributes a kernel does not report are taken at their defaults */
	p->state = attr_u8(tb[IFLA_BRPORT_STATE], BR_STATE_DISABLED);
	p->learning = attr_u8(tb[IFLA_BRPORT_LEARNING], 1);
	p->isolated = attr_u8(tb[IFLA_BRPORT_ISOLATED], 0);
	p->locked = attr_u8(tb[IFLA_BRPORT_LOCKED], 0);
	p->hairpin = attr_u8(tb[IFLA_BRPORT_MODE], 0);
	p->neigh_kernel = attr_u8(tb[IFLA_BRPORT_PROXYARP], 0) ||
			  attr_u8(tb[IFLA_BRPORT_PROXYARP_WIFI], 0) ||
			  attr_u8(tb[IFLA_BRPORT_NEIGH_SUPPRESS], 0);
}

/* RTM_NEWLINK, family AF_UNSPEC: IFLA_LINKINFO carries the bridge's
 * IFLA_BR_* (INFO_DATA) and a bridge port's IFLA_BRPORT_* (SLAVE_DATA). */
static int on_link(const struct nlmsghdr *nlh, void *data)
{
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[IFLA_MAX + 1] = { 0 }, *info[IFLA_INFO_MAX + 1];
	struct attr_table at = { tb, IFLA_MAX };
	struct topo *t = data;
	char name[IF_NAMESIZE] = "";

	if (nlh->nlmsg_type != RTM_NEWLINK || nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*ifi)))
		return MNL_CB_OK;
	mnl_attr_parse(nlh, sizeof(*ifi), attr_cb, &at);
	if (tb[IFLA_IFNAME])
		snprintf(name, sizeof(name), "%.*s", (int)mnl_attr_get_payload_len(tb[IFLA_IFNAME]),
			 (const char *)mnl_attr_get_payload(tb[IFLA_IFNAME]));
	if (!tb[IFLA_LINKINFO])
		return MNL_CB_OK;
	parse_nested(tb[IFLA_LINKINFO], info, IFLA_INFO_MAX);
	if (attr_is(info[IFLA_INFO_KIND], "bridge"))
		parse_bridge(t, ifi->ifi_index, name, info[IFLA_INFO_DATA]);
	if (attr_is(info[IFLA_INFO_SLAVE_KIND], "bridge") && tb[IFLA_MASTER])
		parse_port(t, ifi->ifi_index, attr_u32(tb[IFLA_MASTER], 0), name,
			   info[IFLA_INFO_SLAVE_DATA]);
	return MNL_CB_OK;
}

static struct rd_br_vlans *topo_vlans(struct topo *t, __u32 ifindex)
{
	void *arr;

	for (size_t i = 0; i < t->n_vlans; i++)
		if (t->vlans[i].ifindex == ifindex)
			return &t->vlans[i];
	arr = grow(t->vlans, &t->cap_vlans, t->n_vlans, sizeof(*t->vlans), &t->oom);
	if (!arr)
		return NULL;
	t->vlans = arr;
	memset(&t->vlans[t->n_vlans], 0, sizeof(t->vlans[0]));
	t->vlans[t->n_vlans].ifindex = ifindex;
	return &t->vlans[t->n_vlans++];
}

static void set_bit64(__u64 *bits, __u16 vid)
{
	bits[(vid >> 6) & (RD_VLAN_WORDS - 1)] |= 1ull << (vid & 63);
}

/* RTM_NEWVLAN (the RTM_GETVLAN dump): BRIDGE_VLANDB_ENTRY per VLAN or
 * range, with its flags and per-VLAN STP state. On the bridge device only
 * BRENTRY entries are memberships (the others are context for ports). */
static int on_vlan(const struct nlmsghdr *nlh, void *data)
{
	const struct br_vlan_msg *bvm = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *a, *e[BRIDGE_VLANDB_ENTRY_MAX + 1];
	struct topo *t = data;
	bool is_bridge = false;
	struct rd_br_vlans *v;

	if (nlh->nlmsg_type != RTM_NEWVLAN || nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*bvm)))
		return MNL_CB_OK;
	for (size_t i = 0; i < t->n_bridges; i++)
		is_bridge |= t->bridges[i].ifindex == bvm->ifindex;
	v = topo_vlans(t, bvm->ifindex);
	if (!v)
		return MNL_CB_OK;
	mnl_attr_for_each(a, nlh, sizeof(*bvm)) {
		const struct bridge_vlan_info *vi;
		unsigned int vid, end, state;

		if (mnl_attr_get_type(a) != BRIDGE_VLANDB_ENTRY)
			continue;
		parse_nested(a, e, BRIDGE_VLANDB_ENTRY_MAX);
		if (!e[BRIDGE_VLANDB_ENTRY_INFO] ||
		    mnl_attr_get_payload_len(e[BRIDGE_VLANDB_ENTRY_INFO]) < sizeof(*vi))
			continue;
		vi = mnl_attr_get_payload(e[BRIDGE_VLANDB_ENTRY_INFO]);
		if (is_bridge && !(vi->flags & BRIDGE_VLAN_INFO_BRENTRY))
			continue;
		vid = vi->vid;
		end = attr_u16(e[BRIDGE_VLANDB_ENTRY_RANGE], vid);
		state = attr_u8(e[BRIDGE_VLANDB_ENTRY_STATE], BR_STATE_FORWARDING);
		if (vid < 1 || vid > 4094 || end < vid || end > 4094)
			continue;
		for (; vid <= end; vid++) {
			set_bit64(v->bits.member, vid);
			if (vi->flags & BRIDGE_VLAN_INFO_UNTAGGED)
				set_bit64(v->bits.untagged, vid);
			if (state != BR_STATE_FORWARDING)
				set_bit64(v->bits.blocked, vid);
			if (vi->flags & BRIDGE_VLAN_INFO_PVID)
				v->pvid = vid;
		}
	}
	return MNL_CB_OK;
}

static int dump_links(struct rd_fdb *f, struct topo *t, bool *intr)
{
	char buf[256];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifinfomsg *ifi;

	nlh->nlmsg_type = RTM_GETLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_u32(nlh, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
	return request(f, nlh, on_link, t, intr);
}

static int dump_vlans(struct rd_fdb *f, struct topo *t, bool *intr)
{
	char buf[256];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct br_vlan_msg *bvm;

	nlh->nlmsg_type = RTM_GETVLAN;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	bvm = mnl_nlmsg_put_extra_header(nlh, sizeof(*bvm));
	bvm->family = AF_BRIDGE;
	return request(f, nlh, on_vlan, t, intr);
}

/* The bridge fields of a port's rd_iface, from the current picture. */
static void fill_iface(const struct rd_fdb *f, __u32 ifindex, struct rd_iface *val)
{
	const struct rd_br_port *p = find_port(f, ifindex);
	const struct rd_br_bridge *b = p ? find_bridge(f, p->master) : NULL;
	const struct rd_br_vlans *v;
	__u16 flags = 0;

	val->bridge_ifindex = 0;
	val->br_flags = 0;
	val->pvid = 0;
	if (!b)
		return;
	if (p->state == BR_STATE_FORWARDING)
		flags |= RD_BRPORT_FORWARDING;
	if (p->learning)
		flags |= RD_BRPORT_LEARNING;
	if (p->isolated)
		flags |= RD_BRPORT_ISOLATED;
	if (p->locked || b->mst)
		flags |= RD_BRPORT_KERNEL_ONLY;
	if (b->neigh_kernel)
		flags |= RD_BRPORT_NEIGH_KERNEL;
	if (b->vlan_filtering) {
		flags |= RD_BRPORT_VLAN_FILTERING;
		if (b->vlan_proto == ETH_P_8021AD)
			flags |= RD_BRPORT_VLAN_8021AD;
		else if (b->vlan_proto != ETH_P_8021Q)
			flags |= RD_BRPORT_KERNEL_ONLY;
		if (!b->vlans_known)
			flags |= RD_BRPORT_KERNEL_ONLY;
		v = find_vlans(f, ifindex);
		val->pvid = v ? v->pvid : 0;
	}
	val->bridge_ifindex = b->ifindex;
	val->br_flags = flags;
}

static void warn_map(struct rd_fdb *f, const char *what, int err)
{
	if (!f->map_errors++ || !(f->map_errors % 1000))
		rd_warn("bridge mirror: cannot update %s: %s (%lu errors so far)", what,
			strerror(err), f->map_errors);
}

/* rd_port_vlans: exactly the managed ports of VLAN-filtering bridges. */
static void write_port_vlans(struct rd_fdb *f)
{
	int fd = bpf_map__fd(f->dp->skel->maps.rd_port_vlans);
	__u32 key, next, *prev = NULL, stale[RD_MAX_IFACES];
	struct rd_port_vlans cur;
	size_t n_stale = 0;

	for (size_t i = 0; i < f->n_managed; i++) {
		const struct rd_br_port *p = find_port(f, f->managed[i]);
		const struct rd_br_bridge *b = p ? find_bridge(f, p->master) : NULL;
		const struct rd_br_vlans *v = find_vlans(f, f->managed[i]);

		if (!b || !b->vlan_filtering || !v)
			continue;
		if (!bpf_map_lookup_elem(fd, &v->ifindex, &cur) && !memcmp(&cur, &v->bits, sizeof(cur)))
			continue;
		if (bpf_map_update_elem(fd, &v->ifindex, &v->bits, BPF_ANY))
			warn_map(f, "rd_port_vlans", errno);
	}
	while (!bpf_map_get_next_key(fd, prev, &next) && n_stale < RD_MAX_IFACES) {
		const struct rd_br_port *p = find_port(f, next);
		const struct rd_br_bridge *b = p ? find_bridge(f, p->master) : NULL;

		if (!is_managed(f, next) || !b || !b->vlan_filtering || !find_vlans(f, next))
			stale[n_stale++] = next;
		key = next;
		prev = &key;
	}
	for (size_t i = 0; i < n_stale; i++)
		bpf_map_delete_elem(fd, &stale[i]);
}

/* rd_bridges: every bridge, for routed traffic into it. */
static void write_bridges(struct rd_fdb *f)
{
	int fd = bpf_map__fd(f->dp->skel->maps.rd_bridges);
	__u32 key, next, *prev = NULL, stale[RD_MAX_BRIDGES];
	size_t n_stale = 0;

	for (size_t i = 0; i < f->n_bridges; i++) {
		const struct rd_br_bridge *b = &f->bridges[i];
		const struct rd_br_vlans *v = find_vlans(f, b->ifindex);
		struct rd_bridge_dev want = { 0 }, cur;

		if (b->vlan_filtering) {
			want.flags = RD_BRPORT_VLAN_FILTERING;
			if (b->vlan_proto == ETH_P_8021AD)
				want.flags |= RD_BRPORT_VLAN_8021AD;
			want.pvid = v && b->vlans_known ? v->pvid : 0;
		}
		if (!bpf_map_lookup_elem(fd, &b->ifindex, &cur) && !memcmp(&cur, &want, sizeof(cur)))
			continue;
		if (bpf_map_update_elem(fd, &b->ifindex, &want, BPF_ANY))
			warn_map(f, "rd_bridges", errno);
	}
	while (!bpf_map_get_next_key(fd, prev, &next) && n_stale < RD_MAX_BRIDGES) {
		if (!find_bridge(f, next))
			stale[n_stale++] = next;
		key = next;
		prev = &key;
	}
	for (size_t i = 0; i < n_stale; i++)
		bpf_map_delete_elem(fd, &stale[i]);
}

/* The rd_iface of every managed port that is described already (ifaces.c
 * writes the entry; this module only owns its bridge fields). */
static void write_ifaces(struct rd_fdb *f)
{
	for (size_t i = 0; i < f->n_managed; i++) {
		struct rd_iface cur, want;

		if (rd_dp_iface_lookup(f->dp, f->managed[i], &cur))
			continue;
		want = cur;
		fill_iface(f, f->managed[i], &want);
		if (!memcmp(&cur, &want, sizeof(cur)))
			continue;
		if (rd_dp_iface_update(f->dp, f->managed[i], &want))
			warn_map(f, "rd_ifaces", errno);
		else
			rd_debug("bridge port %u: bridge %u flags %#x pvid %u", f->managed[i],
				 want.bridge_ifindex, want.br_flags, want.pvid);
	}
}

/* routerd on a bridge device sees only what the bridge delivers to the
 * host: say once that the ports are what it wants. */
static void note_bridge_devices(const struct rd_fdb *f)
{
	static __u32 told[16];

	for (size_t i = 0; i < f->n_managed; i++) {
		const struct rd_br_bridge *b = find_bridge(f, f->managed[i]);
		bool known = false;

		if (!b)
			continue;
		for (size_t k = 0; k < sizeof(told) / sizeof(told[0]) && told[k]; k++)
			known |= told[k] == b->ifindex;
		if (known)
			continue;
		for (size_t k = 0; k < sizeof(told) / sizeof(told[0]); k++)
			if (!told[k]) {
				told[k] = b->ifindex;
				break;
			}
		rd_warn("%s is a bridge device: routerd bridges and routes in XDP only on "
			"interfaces it manages, so give it the bridge's ports instead "
			"(docs/bridging.md)", b->name);
	}
}

static void note_netfilter(const struct rd_fdb *f)
{
	static bool said;
	char v = '0';
	FILE *fp;

	if (said)
		return;
	for (size_t i = 0; i < f->n_managed; i++) {
		if (!find_port(f, f->managed[i]))
			continue;
		said = true;
		fp = fopen("/proc/sys/net/bridge/bridge-nf-call-iptables", "r");
		if (fp && fread(&v, 1, 1, fp) == 1 && v == '1')
			rd_info("bridge mirror: frames bridged in XDP bypass br_netfilter "
				"(bridge-nf-call-iptables is 1) and nftables/ebtables bridge "
				"rules; see docs/bridging.md");
		if (fp)
			fclose(fp);
		return;
	}
}

/* Swaps in a new picture (T, emptied) and rewrites the maps that depend on
 * it. VLANS_OK: the VLAN dump answered (if one was needed). */
static void apply_topo(struct rd_fdb *f, struct topo *t, bool vlans_ok)
{
	for (size_t i = 0; i < t->n_bridges; i++) {
		struct rd_br_bridge *b = &t->bridges[i], *old = find_bridge(f, b->ifindex);

		b->vlans_known = vlans_ok;
		b->last_refresh_ns = old ? old->last_refresh_ns : 0;
		for (size_t k = 0; k < t->n_ports; k++)
			if (t->ports[k].master == b->ifindex && t->ports[k].neigh_kernel)
				b->neigh_kernel = true;
	}
	free(f->ports);
	free(f->bridges);
	free(f->vlans);
	f->ports = t->ports;
	f->n_ports = t->n_ports;
	f->bridges = t->bridges;
	f->n_bridges = t->n_bridges;
	f->vlans = t->vlans;
	f->n_vlans = t->n_vlans;
	memset(t, 0, sizeof(*t));
	write_ifaces(f);
	write_port_vlans(f);
	write_bridges(f);
	note_netfilter(f);
	note_bridge_devices(f);
}

/* Re-reads ports, bridges and VLANs and rewrites the maps that depend on
 * them. The old picture stays if the link dump fails. */
static void sync_ports(struct rd_fdb *f)
{
	struct topo t = { 0 };
	bool intr = false, any_vlan = false;
	int rc;

	f->ports_dirty = false;
	f->port_syncs++;
	rc = dump_links(f, &t, &intr);
	if (rc || t.oom) {
		rd_err("bridge mirror: link dump failed: %s", rc ? strerror(-rc) : "out of memory");
		topo_free(&t);
		return;
	}
	for (size_t i = 0; i < t.n_bridges; i++)
		any_vlan |= t.bridges[i].vlan_filtering;
	if (any_vlan) {
		rc = dump_vlans(f, &t, &intr);
		if (rc || t.oom)
			rd_warn("bridge mirror: VLAN dump failed (%s): ports of VLAN-filtering "
				"bridges are left to the kernel",
				rc ? strerror(-rc) : "out of memory");
	}
	apply_topo(f, &t, !rc && !t.oom);
	if (intr)
		f->ports_dirty = true; /* changed while we read: once more */
}

void rd_fdb_apply_dump(struct rd_fdb *f, const void *links, size_t links_len, const void *vlans,
		       size_t vlans_len)
{
	struct topo t = { 0 };

	update_managed(f);
	rd_mnl_cb_run(links, links_len, 0, 0, on_link, &t);
	if (vlans)
		rd_mnl_cb_run(vlans, vlans_len, 0, 0, on_vlan, &t);
	apply_topo(f, &t, vlans != NULL && !t.oom);
}

/* ------------------------------------------------------------------ */
/* the FDB                                                             */

struct fdb_msg {
	struct rd_fdb_key key;
	struct rd_fdb_entry val;
	bool locked;
};

/* A bridge FDB entry (family AF_BRIDGE, NDA_MASTER present, not one of a
 * device's own "self" entries). */
static bool parse_fdb(const struct nlmsghdr *nlh, struct fdb_msg *m)
{
	const struct ndmsg *ndm = mnl_nlmsg_get_payload(nlh);
	bool have_mac = false, have_master = false;
	const struct nlattr *a;

	memset(m, 0, sizeof(*m));
	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*ndm)) || ndm->ndm_family != AF_BRIDGE ||
	    (ndm->ndm_flags & NTF_SELF))
		return false;
	mnl_attr_for_each(a, nlh, sizeof(*ndm)) {
		size_t len = mnl_attr_get_payload_len(a);

		switch (mnl_attr_get_type(a)) {
		case NDA_LLADDR:
			if (len == ETH_ALEN) {
				memcpy(m->key.mac, mnl_attr_get_payload(a), ETH_ALEN);
				have_mac = true;
			}
			break;
		case NDA_MASTER:
			if (len == 4) {
				m->key.bridge = mnl_attr_get_u32(a);
				have_master = true;
			}
			break;
		case NDA_VLAN:
			if (len == 2)
				m->key.vid = mnl_attr_get_u16(a);
			break;
		case NDA_FLAGS_EXT:
			if (len == 4 && (mnl_attr_get_u32(a) & NTF_EXT_LOCKED))
				m->locked = true;
			break;
		}
	}
	if (!have_mac || !have_master)
		return false;
	m->val.port = ndm->ndm_ifindex;
	if (ndm->ndm_state & NUD_PERMANENT)
		m->val.flags |= RD_FDB_LOCAL | RD_FDB_STATIC;
	else if (ndm->ndm_state & NUD_NOARP)
		m->val.flags |= RD_FDB_STATIC;
	if (ndm->ndm_flags & NTF_EXT_LEARNED)
		m->val.flags |= RD_FDB_EXTERN;
	if (ndm->ndm_flags & NTF_STICKY)
		m->val.flags |= RD_FDB_STICKY;
	return true;
}

/* Local entries always (frames to them go to the kernel, counted as
 * such); others when XDP can send to their port. Locked entries (MAB) are
 * the kernel's business. */
static bool wanted(const struct rd_fdb *f, const struct fdb_msg *m)
{
	return !m->locked && ((m->val.flags & RD_FDB_LOCAL) || is_managed(f, m->val.port));
}

static int fdb_fd(const struct rd_fdb *f)
{
	return bpf_map__fd(f->dp->skel->maps.rd_fdb);
}

/* Writes one entry unless the map has it already (which keeps the fast
 * path's timestamps). */
static void fdb_put(struct rd_fdb *f, const struct fdb_msg *m)
{
	struct rd_fdb_entry cur;
	int fd = fdb_fd(f);

	if (!bpf_map_lookup_elem(fd, &m->key, &cur) && cur.port == m->val.port &&
	    cur.flags == m->val.flags)
		return;
	if (bpf_map_update_elem(fd, &m->key, &m->val, BPF_ANY))
		warn_map(f, "rd_fdb", errno);
}

static void fdb_event(struct rd_fdb *f, const struct nlmsghdr *nlh)
{
	struct fdb_msg m;

	if (!parse_fdb(nlh, &m))
		return;
	f->fdb_events++;
	if (nlh->nlmsg_type == RTM_NEWNEIGH && wanted(f, &m))
		fdb_put(f, &m);
	else
		bpf_map_delete_elem(fdb_fd(f), &m.key);
}

struct fdb_list {
	struct rd_fdb *f;
	struct fdb_msg *v;
	size_t n, cap;
	bool oom;
};

static int on_fdb_dump(const struct nlmsghdr *nlh, void *data)
{
	struct fdb_list *l = data;
	struct fdb_msg m;
	void *arr;

	if (nlh->nlmsg_type != RTM_NEWNEIGH || !parse_fdb(nlh, &m) || !wanted(l->f, &m))
		return MNL_CB_OK;
	arr = grow(l->v, &l->cap, l->n, sizeof(m), &l->oom);
	if (!arr)
		return MNL_CB_ERROR;
	l->v = arr;
	l->v[l->n++] = m;
	return MNL_CB_OK;
}

static int cmp_key(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct rd_fdb_key));
}

/* Every key in rd_fdb (batched where the kernel can). */
static int read_fdb_map(struct rd_fdb *f, struct rd_fdb_key **keys, struct rd_fdb_entry **vals,
			size_t *n)
{
	int fd = fdb_fd(f);
	size_t cap = 1024, got = 0;
	struct rd_fdb_key *k = malloc(cap * sizeof(*k));
	struct rd_fdb_entry *v = malloc(cap * sizeof(*v));
	__u32 batch_in = 0, batch_out = 0;
	bool first = true;

	if (!k || !v)
		goto oom;
	for (;;) {
		__u32 count = 256;
		int rc;

		if (got + count > cap) {
			void *nk = realloc(k, 2 * cap * sizeof(*k)), *nv;

			if (!nk)
				goto oom;
			k = nk;
			nv = realloc(v, 2 * cap * sizeof(*v));
			if (!nv)
				goto oom;
			v = nv;
			cap *= 2;
		}
		rc = bpf_map_lookup_batch(fd, first ? NULL : &batch_in, &batch_out, k + got, v + got,
					  &count, NULL);
		if (rc && errno != ENOENT) {
			if (first && (errno == EINVAL || errno == ENOTSUP || errno == EOPNOTSUPP))
				break; /* no batch ops: walk the keys */
			free(k);
			free(v);
			return -errno;
		}
		got += count;
		if (rc) /* ENOENT: that was the last batch */
			goto done;
		batch_in = batch_out;
		first = false;
	}
	/* fallback */
	{
		struct rd_fdb_key key, next, *prev = NULL;

		got = 0;
		while (!bpf_map_get_next_key(fd, prev, &next)) {
			if (got == cap) {
				void *nk = realloc(k, 2 * cap * sizeof(*k)), *nv;

				if (!nk)
					goto oom;
				k = nk;
				nv = realloc(v, 2 * cap * sizeof(*v));
				if (!nv)
					goto oom;
				v = nv;
				cap *= 2;
			}
			if (!bpf_map_lookup_elem(fd, &next, &v[got]))
				k[got++] = next;
			key = next;
			prev = &key;
		}
	}
done:
	*keys = k;
	*vals = v;
	*n = got;
	return 0;
oom:
	free(k);
	free(v);
	return -ENOMEM;
}

/* Dumps the kernel's FDB and makes rd_fdb hold exactly what it wants. */
static void sync_fdb(struct rd_fdb *f)
{
	char buf[256];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct fdb_list l = { .f = f };
	struct rd_fdb_key *keys = NULL;
	struct rd_fdb_entry *vals = NULL;
	struct ndmsg *ndm;
	bool intr = false;
	size_t n = 0;
	int rc;

	f->fdb_dirty = false;
	nlh->nlmsg_type = RTM_GETNEIGH;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	ndm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ndm));
	ndm->ndm_family = AF_BRIDGE;
	rc = request(f, nlh, on_fdb_dump, &l, &intr);
	if (rc || l.oom) {
		rd_err("bridge mirror: FDB dump failed: %s", rc ? strerror(-rc) : "out of memory");
		free(l.v);
		f->fdb_dirty = true;
		return;
	}
	for (size_t i = 0; i < l.n; i++)
		fdb_put(f, &l.v[i]);
	if (l.n) /* l.v is NULL when the dump was empty: qsort/bsearch want a pointer */
		qsort(l.v, l.n, sizeof(*l.v), cmp_key);
	if (!read_fdb_map(f, &keys, &vals, &n)) {
		for (size_t i = 0; i < n; i++)
			if (!l.n || !bsearch(&keys[i], l.v, l.n, sizeof(*l.v), cmp_key))
				bpf_map_delete_elem(fdb_fd(f), &keys[i]);
	}
	f->n_entries = l.n;
	free(keys);
	free(vals);
	free(l.v);
	if (intr)
		f->fdb_dirty = true;
}

/* The fast path bridges only while this is pushed ahead (fdb.h). */
static void heartbeat(struct rd_fdb *f, bool alive)
{
	struct rd_bridge_ctl ctl = { .valid_until_ns = alive ? rd_coarse_now_ns() +
								  RD_BRIDGE_HEARTBEAT_NS : 0 };
	__u32 zero = 0;

	if (bpf_map__update_elem(f->dp->skel->maps.rd_bridge_ctl, &zero, sizeof(zero), &ctl,
				 sizeof(ctl), 0))
		warn_map(f, "rd_bridge_ctl", errno);
}

/* ------------------------------------------------------------------ */
/* events                                                              */

static int on_event(const struct nlmsghdr *nlh, void *data)
{
	struct rd_fdb *f = data;

	switch (nlh->nlmsg_type) {
	case RTM_NEWNEIGH:
	case RTM_DELNEIGH:
		fdb_event(f, nlh);
		break;
	case RTM_NEWLINK:
	case RTM_DELLINK:
		f->link_events++;
		f->ports_dirty = true;
		break;
	case RTM_NEWVLAN:
	case RTM_DELVLAN:
		f->vlan_events++;
		f->ports_dirty = true;
		break;
	}
	return MNL_CB_OK;
}

/* Everything pending on the event socket. Returns true after an overrun
 * (events were lost: a full resync is due). */
static bool read_events(struct rd_fdb *f)
{
	int fd = mnl_socket_get_fd(f->events);
	bool overrun = false;

	for (;;) {
		ssize_t n = recv(fd, rxbuf, sizeof(rxbuf), MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ENOBUFS) {
				f->overruns++;
				overrun = true;
				continue;
			}
			break; /* EAGAIN: drained */
		}
		if (n == 0)
			break;
		rd_mnl_cb_run(rxbuf, n, 0, 0, on_event, f);
	}
	return overrun;
}

void rd_fdb_sync(struct rd_fdb *f)
{
	f->resyncs++;
	update_managed(f);
	sync_ports(f);
	sync_fdb(f);
	heartbeat(f, true);
}

void rd_fdb_poll(struct rd_fdb *f)
{
	if (read_events(f)) {
		rd_warn("bridge mirror: netlink overrun, events lost: full resync");
		rd_fdb_sync(f);
		return;
	}
	if (update_managed(f))
		f->ports_dirty = f->fdb_dirty = true;
	if (f->ports_dirty)
		sync_ports(f);
	if (f->fdb_dirty)
		sync_fdb(f);
	heartbeat(f, true);
}

static void schedule(struct rd_fdb *f)
{
	if (f->loop && (f->ports_dirty || f->fdb_dirty) && !ev_is_active(&f->ports_timer))
		ev_timer_start(f->loop, &f->ports_timer);
}

static void on_readable(struct ev_loop *loop, ev_io *w, int revents)
{
	struct rd_fdb *f = w->data;

	if (read_events(f)) {
		if (!ev_is_active(&f->resync_timer))
			ev_timer_start(loop, &f->resync_timer);
		return;
	}
	schedule(f);
}

static void on_ports_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct rd_fdb *f = w->data;

	rd_fdb_poll(f);
	schedule(f); /* a dump that raced with a change */
}

static void on_resync_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct rd_fdb *f = w->data;

	rd_warn("bridge mirror: netlink overrun, events lost: full resync");
	read_events(f); /* what the resync will cover anyway */
	rd_fdb_sync(f);
}

/* ------------------------------------------------------------------ */
/* freshness                                                           */

static __u64 refresh_period_ns(const struct rd_br_bridge *b)
{
	__u64 p = (__u64)b->ageing_cs * 10000000ull / 4;

	return p < MIN_PERIOD_NS ? MIN_PERIOD_NS : p > MAX_PERIOD_NS ? MAX_PERIOD_NS : p;
}

static size_t put_use(char *buf, unsigned int seq, const struct rd_fdb_key *k,
		      const struct rd_fdb_entry *v)
{
	struct ndmsg *ndm = rd_nlmsg_put_neigh(buf, RTM_NEWNEIGH, NLM_F_ACK, seq, AF_BRIDGE,
					       v->port);
	struct nlmsghdr *nlh = (struct nlmsghdr *)buf;

	ndm->ndm_state = NUD_REACHABLE;
	ndm->ndm_flags = NTF_MASTER | NTF_USE;
	mnl_attr_put(nlh, NDA_LLADDR, ETH_ALEN, k->mac);
	if (k->vid)
		mnl_attr_put_u16(nlh, NDA_VLAN, k->vid);
	return NLMSG_ALIGN(nlh->nlmsg_len);
}

/* Sends a batch of requests and reads one ack per request. */
static void send_batch(struct rd_fdb *f, char *buf, size_t len, size_t count)
{
	size_t acked = 0;

	if (!count)
		return;
	drain(f);
	if (mnl_socket_sendto(f->req, buf, len) < 0) {
		f->refresh_errors += count;
		return;
	}
	while (acked < count) {
		int n = mnl_socket_recvfrom(f->req, rxbuf, sizeof(rxbuf));
		const struct nlmsghdr *nlh;
		size_t left;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			f->refresh_errors += count - acked; /* timed out: give up */
			return;
		}
		rd_nlmsg_for_each(nlh, rxbuf, (size_t)n, left) {
			const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);

			if (nlh->nlmsg_type != NLMSG_ERROR ||
			    mnl_nlmsg_get_payload_len(nlh) < sizeof(*e))
				continue;
			acked++;
			if (!e->error)
				f->refreshes++;
			else if (e->error == -ENOENT || e->error == -ENODEV)
				f->refresh_absent++;
			else
				f->refresh_errors++;
		}
	}
}

void rd_fdb_refresh(struct rd_fdb *f, bool force)
{
	static char buf[1 << 16];
	__u64 now = rd_coarse_now_ns(), since[RD_MAX_BRIDGES];
	bool due[RD_MAX_BRIDGES], any = false;
	struct rd_fdb_key *keys = NULL;
	struct rd_fdb_entry *vals = NULL;
	size_t n = 0, len = 0, count = 0, nb = f->n_bridges < RD_MAX_BRIDGES ? f->n_bridges
									     : RD_MAX_BRIDGES;

	f->refresh_rounds++;
	heartbeat(f, true);
	for (size_t i = 0; i < nb; i++) {
		const struct rd_br_bridge *b = &f->bridges[i];
		__u64 period = refresh_period_ns(b);

		/* a round early rather than a round late */
		due[i] = force || now - b->last_refresh_ns + NS_PER_S / 4 >= period;
		/* seen since (about) the last refresh of this bridge */
		since[i] = now > period + SEEN_SLACK_NS ? now - period - SEEN_SLACK_NS : 0;
		any |= due[i];
	}
	if (!any)
		return;
	/* An entry that moved must not be pulled back to its old port. */
	if (read_events(f)) {
		rd_fdb_sync(f);
		return;
	}
	if (read_fdb_map(f, &keys, &vals, &n)) {
		f->refresh_errors++;
		return;
	}
	for (size_t i = 0; i < n; i++) {
		size_t bi;

		if ((vals[i].flags & (RD_FDB_LOCAL | RD_FDB_STATIC | RD_FDB_EXTERN)) ||
		    !vals[i].seen_ns)
			continue;
		for (bi = 0; bi < nb && f->bridges[bi].ifindex != keys[i].bridge; bi++)
			;
		if (bi == nb || !due[bi] || vals[i].seen_ns < since[bi])
			continue;
		if (len + 128 > sizeof(buf)) {
			send_batch(f, buf, len, count);
			len = count = 0;
		}
		len += put_use(buf + len, ++f->seq, &keys[i], &vals[i]);
		count++;
	}
	send_batch(f, buf, len, count);
	rd_debug("bridge mirror: refresh round, %zu entries, %zu refreshed", n, count);
	for (size_t i = 0; i < nb; i++)
		if (due[i])
			f->bridges[i].last_refresh_ns = now;
	free(keys);
	free(vals);
}

static void on_refresh_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	rd_fdb_refresh(w->data, false);
}

/* ------------------------------------------------------------------ */
/* life cycle                                                          */

int rd_fdb_start(struct rd_fdb *f, struct ev_loop *loop, struct rd_datapath *dp,
		 struct rd_ifaces *ifs, char *err, size_t errlen)
{
	static const unsigned int groups[] = { RTNLGRP_LINK, RTNLGRP_NEIGH, RTNLGRP_BRVLAN };
	struct timeval tv = { .tv_sec = 2 };
	int rcvbuf = EVENTS_RCVBUF;

	memset(f, 0, sizeof(*f));
	f->dp = dp;
	f->ifs = ifs;
	f->seq = time(NULL);
	f->events = mnl_socket_open(NETLINK_ROUTE);
	f->req = mnl_socket_open(NETLINK_ROUTE);
	if (!f->events || !f->req || mnl_socket_bind(f->events, 0, MNL_SOCKET_AUTOPID) < 0 ||
	    mnl_socket_bind(f->req, 0, MNL_SOCKET_AUTOPID) < 0) {
		snprintf(err, errlen, "bridge mirror: cannot open a netlink socket: %s",
			 strerror(errno));
		rd_fdb_stop(f);
		return -1;
	}
	for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++) {
		unsigned int g = groups[i];

		/* the VLAN group is missing on old kernels: fine, the link
		 * events cover what they can */
		if (mnl_socket_setsockopt(f->events, NETLINK_ADD_MEMBERSHIP, &g, sizeof(g)) &&
		    g != RTNLGRP_BRVLAN) {
			snprintf(err, errlen, "bridge mirror: cannot subscribe to netlink group %u: %s",
				 g, strerror(errno));
			rd_fdb_stop(f);
			return -1;
		}
	}
	if (setsockopt(mnl_socket_get_fd(f->events), SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf,
		       sizeof(rcvbuf)))
		setsockopt(mnl_socket_get_fd(f->events), SOL_SOCKET, SO_RCVBUF, &rcvbuf,
			   sizeof(rcvbuf));
	/* never hang on a lost ack */
	setsockopt(mnl_socket_get_fd(f->req), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	fcntl(mnl_socket_get_fd(f->events), F_SETFL,
	      fcntl(mnl_socket_get_fd(f->events), F_GETFL) | O_NONBLOCK);

	active = f;
	rd_fdb_sync(f);
	if (!loop)
		return 0;
	f->loop = loop;
	ev_timer_init(&f->ports_timer, on_ports_timer, PORTS_DELAY_S, 0);
	f->ports_timer.data = f;
	ev_timer_init(&f->resync_timer, on_resync_timer, RESYNC_DELAY_S, 0);
	f->resync_timer.data = f;
	ev_timer_init(&f->refresh_timer, on_refresh_timer, ROUND_INTERVAL_S, ROUND_INTERVAL_S);
	f->refresh_timer.data = f;
	ev_io_init(&f->io, on_readable, mnl_socket_get_fd(f->events), EV_READ);
	f->io.data = f;
	ev_io_start(loop, &f->io);
	ev_timer_start(loop, &f->refresh_timer);
	rd_info("bridge mirror: %zu bridge(s), %zu port(s), %zu FDB entries mirrored",
		f->n_bridges, f->n_ports, f->n_entries);
	return 0;
}

void rd_fdb_stop(struct rd_fdb *f)
{
	if (f->req && f->dp)
		heartbeat(f, false); /* nobody follows the bridge any more */
	if (active == f)
		active = NULL;
	if (f->loop) {
		ev_io_stop(f->loop, &f->io);
		ev_timer_stop(f->loop, &f->ports_timer);
		ev_timer_stop(f->loop, &f->resync_timer);
		ev_timer_stop(f->loop, &f->refresh_timer);
	}
	if (f->events)
		mnl_socket_close(f->events);
	if (f->req)
		mnl_socket_close(f->req);
	free(f->ports);
	free(f->bridges);
	free(f->vlans);
	free(f->managed);
	memset(f, 0, sizeof(*f));
}

void rd_fdb_describe_port(__u32 ifindex, struct rd_iface *val)
{
	if (active)
		fill_iface(active, ifindex, val);
}

void rd_fdb_ifaces_changed(void)
{
	if (!active || !update_managed(active))
		return;
	active->ports_dirty = active->fdb_dirty = true;
	if (active->loop)
		schedule(active);
}

/* ------------------------------------------------------------------ */
/* routerctl fdb                                                       */

static const char *ifname(__u32 ifindex, char *buf)
{
	if (!if_indextoname(ifindex, buf))
		snprintf(buf, IF_NAMESIZE, "if%u", ifindex);
	return buf;
}

static const char *state_name(__u8 state)
{
	static const char *const names[] = { "disabled", "listening", "learning", "forwarding",
					     "blocking" };

	return state < sizeof(names) / sizeof(names[0]) ? names[state] : "unknown";
}

static __s64 ms_ago(__u64 stamp, __u64 now)
{
	if (!stamp)
		return -1;
	return stamp > now ? 0 : (__s64)((now - stamp) / 1000000);
}

struct sorted_entry {
	struct rd_fdb_key key;
	struct rd_fdb_entry val;
};

static int cmp_entry(const void *a, const void *b)
{
	const struct rd_fdb_key *x = a, *y = b;

	if (x->bridge != y->bridge)
		return x->bridge < y->bridge ? -1 : 1;
	if (x->vid != y->vid)
		return x->vid < y->vid ? -1 : 1;
	return memcmp(x->mac, y->mac, ETH_ALEN);
}

static void flags_text(__u32 flags, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s%s", flags & RD_FDB_LOCAL ? "local," : "",
		 (flags & RD_FDB_STATIC) && !(flags & RD_FDB_LOCAL) ? "static," : "",
		 flags & RD_FDB_EXTERN ? "extern_learn," : "", flags & RD_FDB_STICKY ? "sticky," : "");
	if (*buf)
		buf[strlen(buf) - 1] = '\0';
	else
		snprintf(buf, len, "-");
}

static int report_entries(struct rd_fdb *f, bool json, struct rd_buf *out)
{
	struct rd_fdb_key *keys;
	struct rd_fdb_entry *vals;
	struct sorted_entry *s;
	char br[IF_NAMESIZE], port[IF_NAMESIZE], mac[18], fl[64];
	__u64 now = rd_coarse_now_ns();
	struct rd_json j;
	size_t n;

	if (read_fdb_map(f, &keys, &vals, &n))
		return -1;
	s = calloc(n ? n : 1, sizeof(*s));
	if (!s) {
		free(keys);
		free(vals);
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		s[i] = (struct sorted_entry){ keys[i], vals[i] };
	free(keys);
	free(vals);
	qsort(s, n, sizeof(*s), cmp_entry);
	if (json) {
		rd_json_init(&j, out);
		rd_json_open_array(&j, NULL);
	} else {
		rd_buf_printf(out, "%-12s %4s %-17s %-15s %-12s %9s %9s\n", "BRIDGE", "VLAN", "MAC",
			      "PORT", "FLAGS", "SEEN", "USED");
	}
	for (size_t i = 0; i < n; i++) {
		const struct rd_fdb_key *k = &s[i].key;
		const struct rd_fdb_entry *v = &s[i].val;
		__s64 seen = ms_ago(v->seen_ns, now), used = ms_ago(v->used_ns, now);

		snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", k->mac[0], k->mac[1],
			 k->mac[2], k->mac[3], k->mac[4], k->mac[5]);
		ifname(k->bridge, br);
		ifname(v->port, port);
		flags_text(v->flags, fl, sizeof(fl));
		if (!json) {
			char a[16] = "-", b[16] = "-";

			if (seen >= 0)
				snprintf(a, sizeof(a), "%.1fs", seen / 1000.0);
			if (used >= 0)
				snprintf(b, sizeof(b), "%.1fs", used / 1000.0);
			rd_buf_printf(out, "%-12s %4u %-17s %-15s %-12s %9s %9s\n", br, k->vid, mac,
				      port, fl, a, b);
			continue;
		}
		rd_json_open_object(&j, NULL);
		rd_json_string(&j, "mac", mac);
		rd_json_u64(&j, "vlan", k->vid);
		rd_json_string(&j, "bridge", br);
		rd_json_u64(&j, "bridge_ifindex", k->bridge);
		rd_json_string(&j, "port", port);
		rd_json_u64(&j, "ifindex", v->port);
		rd_json_string(&j, "flags", fl);
		rd_json_bool(&j, "local", v->flags & RD_FDB_LOCAL);
		rd_json_i64(&j, "seen_ms_ago", seen);
		rd_json_i64(&j, "used_ms_ago", used);
		rd_json_close_object(&j);
	}
	if (json) {
		rd_json_close_array(&j);
		rd_buf_printf(out, "\n");
	} else {
		rd_buf_printf(out, "%zu entries; %lu FDB events, %lu resyncs, %lu refreshes "
				   "(%lu absent, %lu errors)\n",
			      n, f->fdb_events, f->resyncs, f->refreshes, f->refresh_absent,
			      f->refresh_errors);
	}
	free(s);
	return 0;
}

static void report_ports(struct rd_fdb *f, bool json, struct rd_buf *out)
{
	char br[IF_NAMESIZE];
	struct rd_json j;

	if (json) {
		rd_json_init(&j, out);
		rd_json_open_array(&j, NULL);
	} else {
		rd_buf_printf(out, "%-15s %-12s %-10s %-7s %s\n", "PORT", "BRIDGE", "STATE", "ROUTERD",
			      "FLAGS");
	}
	for (size_t i = 0; i < f->n_ports; i++) {
		const struct rd_br_port *p = &f->ports[i];
		const struct rd_br_bridge *b = find_bridge(f, p->master);
		struct rd_iface val = { 0 };

		fill_iface(f, p->ifindex, &val);
		if (b)
			snprintf(br, sizeof(br), "%s", b->name);
		else
			ifname(p->master, br);
		if (!json) {
			rd_buf_printf(out, "%-15s %-12s %-10s %-7s%s%s%s%s%s%s pvid %u\n", p->name, br,
				      state_name(p->state), is_managed(f, p->ifindex) ? "yes" : "no",
				      p->learning ? " learning" : "", p->isolated ? " isolated" : "",
				      p->locked ? " locked" : "", p->hairpin ? " hairpin" : "",
				      p->neigh_kernel ? " neigh_suppress/proxy_arp" : "",
				      b && b->vlan_filtering ? " vlan_filtering" : "", val.pvid);
			continue;
		}
		rd_json_open_object(&j, NULL);
		rd_json_string(&j, "name", p->name);
		rd_json_u64(&j, "ifindex", p->ifindex);
		rd_json_string(&j, "bridge", br);
		rd_json_u64(&j, "bridge_ifindex", p->master);
		rd_json_string(&j, "state", state_name(p->state));
		rd_json_bool(&j, "managed", is_managed(f, p->ifindex));
		rd_json_bool(&j, "learning", p->learning);
		rd_json_bool(&j, "isolated", p->isolated);
		rd_json_bool(&j, "locked", p->locked);
		rd_json_bool(&j, "hairpin", p->hairpin);
		rd_json_bool(&j, "vlan_filtering", b && b->vlan_filtering);
		rd_json_u64(&j, "pvid", val.pvid);
		rd_json_bool(&j, "xdp_forwarding", (val.br_flags & RD_BRPORT_FORWARDING) &&
							   !(val.br_flags & RD_BRPORT_KERNEL_ONLY));
		rd_json_close_object(&j);
	}
	if (json) {
		rd_json_close_array(&j);
		rd_buf_printf(out, "\n");
	}
}

static void report_stats(struct rd_fdb *f, bool json, struct rd_buf *out)
{
	const struct { const char *key; unsigned long v; } c[] = {
		{ "fdb_events", f->fdb_events },	  { "link_events", f->link_events },
		{ "vlan_events", f->vlan_events },	  { "overruns", f->overruns },
		{ "resyncs", f->resyncs },		  { "port_syncs", f->port_syncs },
		{ "refresh_rounds", f->refresh_rounds },  { "refreshes", f->refreshes },
		{ "refresh_absent", f->refresh_absent },  { "refresh_errors", f->refresh_errors },
		{ "map_errors", f->map_errors },	  { "bridges", f->n_bridges },
		{ "ports", f->n_ports },
	};
	struct rd_json j;

	if (json) {
		rd_json_init(&j, out);
		rd_json_open_object(&j, NULL);
	}
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		if (json)
			rd_json_u64(&j, c[i].key, c[i].v);
		else
			rd_buf_printf(out, "%-16s %lu\n", c[i].key, c[i].v);
	}
	if (json) {
		rd_json_close_object(&j);
		rd_buf_printf(out, "\n");
	}
}

int rd_fdb_report(struct rd_fdb *f, bool json, const char *what, struct rd_buf *out, char *err,
		  size_t errlen)
{
	if (!f->req) {
		snprintf(err, errlen, "the bridge mirror is not running");
		return -1;
	}
	if (!what || !strcmp(what, "show")) {
		if (report_entries(f, json, out)) {
			snprintf(err, errlen, "cannot read the FDB map");
			return -1;
		}
		return 0;
	}
	if (!strcmp(what, "ports")) {
		report_ports(f, json, out);
		return 0;
	}
	if (!strcmp(what, "stats")) {
		report_stats(f, json, out);
		return 0;
	}
	snprintf(err, errlen, "fdb: unknown argument '%.32s' (expected show, ports or stats)", what);
	return -1;
}
