// SPDX-License-Identifier: GPL-2.0
/*
 * VLAN devices for the routing path: owns rd_vlan_devs and rd_vlan_in
 * (include/routerd/bridge.h). Part of the bridge mirror: the link dump that
 * describes bridges and ports (topology.c) also hands every VLAN device
 * here, and the maps are rewritten with the rest of the picture. Only VLAN
 * devices whose lower device is a managed interface or a mirrored bridge
 * are written; the fast path routes nothing else through them.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bridge/internal.h"
#include "daemon/sysctl.h"
#include "routerd.skel.h"

bool rd_vlan_dev_parse(const struct ifinfomsg *ifi, const struct nlattr *const *tb,
		       const struct nlattr *info_data, struct rd_br_vlan_dev *out)
{
	const struct nlattr *a, *id = NULL, *proto = NULL;

	/* a lower device in another namespace is not ours to send on */
	if (!info_data || !tb[IFLA_LINK] || tb[IFLA_LINK_NETNSID] ||
	    mnl_attr_validate(tb[IFLA_LINK], MNL_TYPE_U32) < 0)
		return false;
	mnl_attr_for_each_nested(a, info_data) {
		if (mnl_attr_get_type(a) == IFLA_VLAN_ID && !mnl_attr_validate(a, MNL_TYPE_U16))
			id = a;
		else if (mnl_attr_get_type(a) == IFLA_VLAN_PROTOCOL &&
			 !mnl_attr_validate(a, MNL_TYPE_U16))
			proto = a;
	}
	if (!id)
		return false;
	memset(out, 0, sizeof(*out));
	out->dev.ifindex = (__u32)ifi->ifi_index;
	out->dev.lower = mnl_attr_get_u32(tb[IFLA_LINK]);
	out->dev.vid = mnl_attr_get_u16(id);
	out->dev.tpid = proto ? ntohs(mnl_attr_get_u16(proto)) : ETH_P_8021Q;
	if (out->dev.vid < 1 || out->dev.vid > 4094 ||
	    (out->dev.tpid != ETH_P_8021Q && out->dev.tpid != ETH_P_8021AD))
		return false;
	if ((ifi->ifi_flags & IFF_UP) && tb[IFLA_ADDRESS] &&
	    mnl_attr_get_payload_len(tb[IFLA_ADDRESS]) == ETH_ALEN)
		memcpy(out->dev.mac, mnl_attr_get_payload(tb[IFLA_ADDRESS]), ETH_ALEN);
	if (tb[IFLA_IFNAME])
		snprintf(out->name, sizeof(out->name), "%.*s",
			 (int)mnl_attr_get_payload_len(tb[IFLA_IFNAME]),
			 (const char *)mnl_attr_get_payload(tb[IFLA_IFNAME]));
	return true;
}

/* Is V on a device the fast path sends on (managed, or a mirrored bridge)? */
static bool mirrored(const struct rd_fdb *f, const struct rd_br_vlan_dev *v)
{
	return rd_fdb_is_managed(f, v->dev.lower) || find_bridge(f, v->dev.lower);
}

static bool stale_dev(const struct rd_fdb *f, const void *key)
{
	for (size_t i = 0; i < f->n_vlan_devs; i++)
		if (f->vlan_devs[i].dev.ifindex == *(const __u32 *)key)
			return !mirrored(f, &f->vlan_devs[i]);
	return true;
}

static bool stale_in(const struct rd_fdb *f, const void *key)
{
	const struct rd_vlan_key *k = key;

	for (size_t i = 0; i < f->n_vlan_devs; i++) {
		const struct rd_br_vlan_dev *v = &f->vlan_devs[i];

		if (v->dev.lower == k->lower && v->dev.vid == k->vid && mirrored(f, v))
			return false;
	}
	return true;
}

void rd_vlan_devs_write(struct rd_fdb *f)
{
	int devs = bpf_map__fd(f->dp->skel->maps.rd_vlan_devs);
	int in = bpf_map__fd(f->dp->skel->maps.rd_vlan_in);

	for (size_t i = 0; i < f->n_vlan_devs; i++) {
		struct rd_br_vlan_dev *v = &f->vlan_devs[i];
		struct rd_vlan_key k = { .lower = v->dev.lower, .vid = v->dev.vid };

		if (!mirrored(f, v))
			continue;
		v->dev.rp_filter = rd_ipv4_rp_filter(v->name);
		v->dev.tc = rd_fdb_tc_hold(&f->hooks, v->dev.ifindex);
		if (bpf_map_update_elem(devs, &v->dev.ifindex, &v->dev, BPF_ANY) ||
		    bpf_map_update_elem(in, &k, &v->dev, BPF_ANY))
			warn_map(f, "rd_vlan_devs", errno);
	}
	rd_fdb_delete_stale(f, devs, sizeof(__u32), stale_dev);
	rd_fdb_delete_stale(f, in, sizeof(struct rd_vlan_key), stale_in);
}
