// SPDX-License-Identifier: GPL-2.0
/*
 * The bridge mirror's picture of bridges, ports and VLANs (mirror.h,
 * internal.h). Owns:
 *  - the link dump (RTM_GETLINK: IFLA_MASTER, the bridge's IFLA_BR_* and
 *    each port's IFLA_BRPORT_*) and the VLAN dump (RTM_GETVLAN, as
 *    `bridge -d vlan show`), parsed into f->ports, f->bridges, f->vlans;
 *  - the maps that picture decides: rd_port_vlans and rd_bridges
 *    (write_port_vlans, write_bridges); the bridge fields of a port's
 *    rd_iface are the interface table's to write: it asks
 *    rd_fdb_fill_iface() and is told when to ask again (hooks.ports_changed);
 *  - rd_fdb_apply_dump() (the same from buffers, for the tests) and the
 *    one-time notes about bridge devices and br_netfilter.
 * When to re-read (events, timers) is mirror.c's business.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/if_bridge.h>
#include <linux/if_ether.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bridge/internal.h"
#include "common/log.h"
#include "daemon/nlmsg.h"
#include "daemon/sysctl.h"
#include "routerd.skel.h"

/* ------------------------------------------------------------------ */
/* netlink attributes                                                  */

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

/* ------------------------------------------------------------------ */
/* ports, bridges, VLANs                                               */

void rd_topo_free(struct topo *t)
{
	free(t->ports);
	free(t->bridges);
	free(t->vlans);
	free(t->vlan_devs);
	memset(t, 0, sizeof(*t));
}

static void parse_bridge(struct topo *t, const struct ifinfomsg *ifi, const char *name,
			 const struct nlattr *addr, const struct nlattr *data)
{
	const struct nlattr *tb[IFLA_BR_MAX + 1];
	struct rd_br_bridge *b;
	void *arr;

	arr = rd_fdb_grow(t->bridges, &t->cap_bridges, t->n_bridges, sizeof(*b), &t->oom);
	if (!arr)
		return;
	t->bridges = arr;
	b = &t->bridges[t->n_bridges++];
	memset(b, 0, sizeof(*b));
	b->ifindex = ifi->ifi_index;
	snprintf(b->name, sizeof(b->name), "%s", name);
	b->up = ifi->ifi_flags & IFF_UP;
	if (addr && mnl_attr_get_payload_len(addr) == sizeof(b->mac))
		memcpy(b->mac, mnl_attr_get_payload(addr), sizeof(b->mac));
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

	arr = rd_fdb_grow(t->ports, &t->cap_ports, t->n_ports, sizeof(*p), &t->oom);
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
		parse_bridge(t, ifi, name, tb[IFLA_ADDRESS], info[IFLA_INFO_DATA]);
	if (attr_is(info[IFLA_INFO_KIND], "vlan")) {
		struct rd_br_vlan_dev v;
		void *arr;

		if (!rd_vlan_dev_parse(ifi, tb, info[IFLA_INFO_DATA], &v))
			return MNL_CB_OK;
		arr = rd_fdb_grow(t->vlan_devs, &t->cap_vlan_devs, t->n_vlan_devs, sizeof(v),
				  &t->oom);
		if (arr) {
			t->vlan_devs = arr;
			t->vlan_devs[t->n_vlan_devs++] = v;
		}
	}
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
	arr = rd_fdb_grow(t->vlans, &t->cap_vlans, t->n_vlans, sizeof(*t->vlans), &t->oom);
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
	return rd_fdb_request(f, nlh, on_link, t, intr);
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
	return rd_fdb_request(f, nlh, on_vlan, t, intr);
}

/* ------------------------------------------------------------------ */
/* the maps the picture decides                                        */

void rd_fdb_fill_iface(const struct rd_fdb *f, __u32 ifindex, struct rd_iface *val)
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

/* The bridge whose VLANs rd_port_vlans[IFINDEX] should hold: a managed
 * port's, or the bridge device's own, of a VLAN-filtering bridge. */
static const struct rd_br_bridge *vlan_owner(const struct rd_fdb *f, __u32 ifindex)
{
	const struct rd_br_port *p = find_port(f, ifindex);
	const struct rd_br_bridge *b;

	if (p && rd_fdb_is_managed(f, ifindex))
		b = find_bridge(f, p->master);
	else
		b = find_bridge(f, ifindex);
	return b && b->vlan_filtering && find_vlans(f, ifindex) ? b : NULL;
}

static bool stale_port_vlans(const struct rd_fdb *f, const void *key)
{
	return !vlan_owner(f, *(const __u32 *)key);
}

/* rd_port_vlans: the managed ports of VLAN-filtering bridges, and those
 * bridges themselves (for routed traffic in and out of them). */
static void write_port_vlans(struct rd_fdb *f)
{
	int fd = bpf_map__fd(f->dp->skel->maps.rd_port_vlans);

	for (size_t i = 0; i < f->n_vlans; i++) {
		const struct rd_br_vlans *v = &f->vlans[i];
		struct rd_port_vlans cur;

		if (!vlan_owner(f, v->ifindex))
			continue;
		if (!bpf_map_lookup_elem(fd, &v->ifindex, &cur) && !memcmp(&cur, &v->bits, sizeof(cur)))
			continue;
		if (bpf_map_update_elem(fd, &v->ifindex, &v->bits, BPF_ANY))
			warn_map(f, "rd_port_vlans", errno);
	}
	rd_fdb_delete_stale(f, fd, sizeof(__u32), stale_port_vlans);
}

static bool stale_bridge(const struct rd_fdb *f, const void *key)
{
	return !find_bridge(f, *(const __u32 *)key);
}

/* rd_bridges: every bridge, for routed traffic into and out of it. Its
 * MAC only while it is up: frames to a bridge that is down are not routed. */
static void write_bridges(struct rd_fdb *f)
{
	int fd = bpf_map__fd(f->dp->skel->maps.rd_bridges);

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
		if (b->up)
			memcpy(want.mac, b->mac, sizeof(want.mac));
		want.rp_filter = rd_ipv4_rp_filter(b->name);
		want.tc = rd_fdb_tc_hold(&f->hooks, b->ifindex);
		if (!bpf_map_lookup_elem(fd, &b->ifindex, &cur) && !memcmp(&cur, &want, sizeof(cur)))
			continue;
		if (bpf_map_update_elem(fd, &b->ifindex, &want, BPF_ANY))
			warn_map(f, "rd_bridges", errno);
	}
	rd_fdb_delete_stale(f, fd, sizeof(__u32), stale_bridge);
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
	if (said)
		return;
	for (size_t i = 0; i < f->n_managed; i++) {
		if (!find_port(f, f->managed[i]))
			continue;
		said = true;
		if (rd_bridge_nf_call_iptables() == 1)
			rd_info("bridge mirror: frames bridged in XDP bypass br_netfilter "
				"(bridge-nf-call-iptables is 1) and nftables/ebtables bridge "
				"rules; see docs/bridging.md");
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
	free(f->vlan_devs);
	f->vlan_devs = t->vlan_devs;
	f->n_vlan_devs = t->n_vlan_devs;
	memset(t, 0, sizeof(*t));
	if (f->hooks.ports_changed)
		f->hooks.ports_changed(f->hooks.arg); /* the ports' rd_iface bridge fields */
	write_port_vlans(f);
	write_bridges(f);
	rd_vlan_devs_write(f);
	note_netfilter(f);
	note_bridge_devices(f);
}

void rd_fdb_sync_ports(struct rd_fdb *f)
{
	struct topo t = { 0 };
	bool intr = false, any_vlan = false;
	int rc;

	f->ports_dirty = false;
	f->port_syncs++;
	rc = dump_links(f, &t, &intr);
	if (rc || t.oom) {
		rd_err("bridge mirror: link dump failed: %s", rc ? strerror(-rc) : "out of memory");
		rd_topo_free(&t);
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

void rd_topo_parse(struct topo *t, const void *links, size_t links_len, const void *vlans,
		   size_t vlans_len)
{
	rd_mnl_cb_run(links, links_len, 0, 0, on_link, t);
	if (vlans)
		rd_mnl_cb_run(vlans, vlans_len, 0, 0, on_vlan, t);
}

void rd_fdb_apply_dump(struct rd_fdb *f, const void *links, size_t links_len, const void *vlans,
		       size_t vlans_len)
{
	struct topo t = { 0 };

	rd_fdb_update_managed(f);
	rd_topo_parse(&t, links, links_len, vlans, vlans_len);
	apply_topo(f, &t, vlans != NULL && !t.oom);
}
