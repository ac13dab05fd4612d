// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "daemon/iface_rules.h"
#include "daemon/ifaces.h"
#include "common/log.h"
#include "daemon/sysctl.h"
#include "daemon/xdp_target.h"

#define POLL_S 1.0 /* ports that cannot take redirects, asked again */
#define RECONCILE_DELAY_S 0.02


/* The tc hold of M's port, through the hook main wired (daemon/tc.c). */
static __u8 tc_hold(const struct rd_ifaces *ifs, const struct rd_managed_iface *m)
{
	if (!ifs->hooks.tc_hold)
		return 0;
	return ifs->hooks.tc_hold(ifs->hooks.tc_arg, m->ifindex, m->cfg.tc_bypass);
}
static int read_mac(const char *ifname, __u8 mac[6])
{
	struct ifreq ifr = { 0 };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int rc;

	if (fd < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	rc = ioctl(fd, SIOCGIFHWADDR, &ifr);
	close(fd);
	if (rc)
		return -errno;
	memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	return 0;
}

/* The devmap holds only ports that take redirected frames: a veth whose
 * peer has neither GRO nor XDP drops them all, silently (xdp_target.h), so
 * traffic for it goes to the kernel (pass unmanaged_egress) until it can. */
/* The port's place in rd_tx: in, unless it cannot take redirects (target
 * false) or traffic control holds its egress (tc, RD_TC_HOLD_*). */
static int update_tx(struct rd_ifaces *ifs, struct rd_managed_iface *m, bool target, __u8 tc)
{
	if (target && m->no_tx)
		rd_info("%s: takes XDP redirects now", m->cfg.name);
	m->no_tx = !target;
	if (!target || (tc & RD_TC_HOLD_EGRESS)) {
		rd_dp_tx_delete(ifs->dp, m->ifindex);
		return 0;
	}
	return rd_dp_tx_add(ifs->dp, m->ifindex);
}

/* Keep the slot (and so the counters) an earlier run gave this ifindex. */
static int describe(struct rd_ifaces *ifs, struct rd_managed_iface *m, char *err, size_t errlen)
{
	struct rd_iface val = { 0 };
	int rc;

	/* asked once per device (it can be costly); on_poll_timer re-asks */
	if (m->tx_checked != m->ifindex) {
		m->tx_checked = m->ifindex;
		m->no_tx = rd_xdp_target(m->ifindex) == RD_XDP_TARGET_NO;
		if (m->no_tx)
			rd_warn("%s: cannot take XDP redirects (a veth whose peer has neither GRO "
				"nor an XDP program: ethtool -K PEER gro on); traffic to it goes "
				"through the kernel", m->cfg.name);
	}
	if (!rd_dp_iface_lookup(ifs->dp, m->ifindex, &val) && val.slot != RD_SLOT_UNCONFIGURED &&
	    val.slot < RD_MAX_IFACES) {
		m->slot = val.slot;
	} else {
		if (rd_dp_slot_alloc(ifs->dp, &m->slot))
			return rd_errorf(err, errlen, "no free stats slot for %s", m->cfg.name);
		rd_dp_stats_clear(ifs->dp, m->slot);
	}
	val.slot = m->slot;
	val.fixups = m->cfg.fixups.bits;
	val.mss_clamp = m->cfg.fixups.mss_clamp;
	if (ifs->hooks.bridge_port)
		ifs->hooks.bridge_port(ifs->hooks.arg, m->ifindex, &val);
	rc = read_mac(m->cfg.name, val.mac);
	if (rc)
		return rd_errorf(err, errlen, "cannot read the MAC address of %s: %s", m->cfg.name,
				 strerror(-rc));
	val.rp_filter = rd_ipv4_rp_filter(m->cfg.name);
	val.tc = tc_hold(ifs, m);
	/* A port tc holds is not in rd_tx (update_tx): a redirect to it fails
	 * over to the kernel. The flag that names the reason is set before the
	 * port leaves rd_tx and cleared after it is back, so the count says
	 * `tc`. */
	if (val.tc & RD_TC_HOLD_EGRESS) {
		rc = rd_dp_iface_update(ifs->dp, m->ifindex, &val);
		if (!rc)
			rc = update_tx(ifs, m, !m->no_tx, val.tc);
	} else {
		rc = update_tx(ifs, m, !m->no_tx, val.tc);
		if (!rc)
			rc = rd_dp_iface_update(ifs->dp, m->ifindex, &val);
	}
	if (rc)
		return rd_errorf(err, errlen, "cannot update the maps for %s: %s", m->cfg.name,
				 strerror(-rc));
	return 0;
}

static void forget(struct rd_ifaces *ifs, struct rd_managed_iface *m)
{
	rd_dp_tx_delete(ifs->dp, m->ifindex);
	rd_dp_iface_delete(ifs->dp, m->ifindex);
}

/* Room for one more entry (ifs->list may move). */
static struct rd_managed_iface *append(struct rd_ifaces *ifs)
{
	struct rd_managed_iface *m;

	if (ifs->n == ifs->cap) {
		size_t cap = ifs->cap ? ifs->cap * 2 : 16;

		m = realloc(ifs->list, cap * sizeof(*m));
		if (!m)
			return NULL;
		ifs->list = m;
		ifs->cap = cap;
	}
	m = &ifs->list[ifs->n];
	memset(m, 0, sizeof(*m));
	m->att.link_fd = -1;
	return m;
}

static void sync_rules(struct rd_ifaces *ifs);
static void reconcile_one(struct rd_ifaces *ifs, struct rd_managed_iface *m);

int rd_ifaces_attach_all(struct rd_ifaces *ifs, struct rd_datapath *dp,
			 const struct rd_config *cfg, char *err, size_t errlen)
{
	size_t i, n_names = 0;
	__u32 *keep;

	struct rd_ifaces_hooks hooks = ifs->hooks; /* may be wired before */

	memset(ifs, 0, sizeof(*ifs));
	ifs->hooks = hooks;
	ifs->dp = dp;

	/* Resolve every name before touching anything. */
	for (i = 0; i < cfg->n_ifaces; i++) {
		struct rd_managed_iface *m;

		if (cfg->ifaces[i].match != RD_MATCH_NAME) {
			ifs->rules[ifs->n_rules++] = cfg->ifaces[i];
			continue;
		}
		m = append(ifs);
		if (!m)
			return rd_errorf(err, errlen, "out of memory");
		m->cfg = cfg->ifaces[i];
		m->ifindex = if_nametoindex(m->cfg.name);
		if (!m->ifindex)
			return rd_errorf(err, errlen, "unknown interface '%s': %s", m->cfg.name,
					 strerror(errno));
		n_names++;
		ifs->n++;
	}
	ifs->n = 0;

	for (i = 0; i < n_names; i++) {
		struct rd_managed_iface *m = &ifs->list[i];

		/* The devmap and rd_ifaces first: the program must never run
		 * on an interface it cannot describe or redirect to. */
		if (describe(ifs, m, err, errlen) ||
		    rd_attach(&m->att, &dp->pins, m->cfg.name, m->ifindex, dp->prog_fd,
			      dp->maps_reused, m->cfg.mode, err, errlen)) {
			/* roll back: what we attached comes off, adopted links stay */
			for (size_t k = 0; k <= i; k++) {
				if (!ifs->list[k].att.adopted) {
					rd_attach_release(&ifs->list[k].att, true);
					forget(ifs, &ifs->list[k]);
				} else {
					rd_attach_release(&ifs->list[k].att, false);
				}
			}
			return -1;
		}
		ifs->n++;
		rd_info("%s: XDP %s in %s mode (ifindex %u, program id %u)", m->cfg.name,
			m->att.adopted ? "adopted" : "attached", rd_mode_name(m->att.mode),
			m->ifindex, m->att.prog_id);
	}
	/* what the patterns and bridges select now; failures are logged */
	sync_rules(ifs);
	for (i = 0; i < ifs->n; i++)
		if (ifs->list[i].cfg.match != RD_MATCH_NAME && !ifs->list[i].ifindex)
			reconcile_one(ifs, &ifs->list[i]);
	keep = calloc(ifs->n + 1, sizeof(*keep));
	if (keep) {
		size_t n = 0;

		for (i = 0; i < ifs->n; i++)
			if (ifs->list[i].ifindex)
				keep[n++] = ifs->list[i].ifindex;
		rd_attach_sweep_stale(&dp->pins, dp->prog_fd, keep, n);
		free(keep);
	}
	return 0;
}

static void drop_attachment(struct rd_ifaces *ifs, struct rd_managed_iface *m, bool device_exists)
{
	/* A destroyed device took its XDP link with it; a renamed one still
	 * carries our program, which must come off. */
	rd_attach_release(&m->att, true);
	if (!device_exists)
		rd_info("%s: interface gone (ifindex %u)", m->cfg.name, m->ifindex);
	forget(ifs, m);
	m->ifindex = 0;
}

static void reconcile_one(struct rd_ifaces *ifs, struct rd_managed_iface *m)
{
	__u32 now = if_nametoindex(m->cfg.name);
	char ifname[IF_NAMESIZE];

	if (m->ifindex && now != m->ifindex)
		drop_attachment(ifs, m, if_indextoname(m->ifindex, ifname) != NULL);
	if (!now)
		return;
	if (!m->ifindex) {
		m->ifindex = now;
		if (describe(ifs, m, m->last_error, sizeof(m->last_error)) ||
		    rd_attach(&m->att, &ifs->dp->pins, m->cfg.name, now, ifs->dp->prog_fd,
			      ifs->dp->maps_reused, m->cfg.mode, m->last_error, sizeof(m->last_error))) {
			rd_err("%s: cannot attach: %s", m->cfg.name, m->last_error);
			forget(ifs, m);
			m->ifindex = 0;
			return;
		}
		m->last_error[0] = '\0';
		rd_info("%s: XDP %s in %s mode (ifindex %u, program id %u)", m->cfg.name,
			m->att.adopted ? "adopted" : "attached", rd_mode_name(m->att.mode), now,
			m->att.prog_id);
		return;
	}
	/* Same device: its MAC may have changed. */
	if (describe(ifs, m, m->last_error, sizeof(m->last_error)))
		rd_warn("%s: %s", m->cfg.name, m->last_error);
}

/* The rule-selected part of the list made to match the kernel: entries the
 * rules no longer select are detached and removed, new ones appended
 * (attached by reconcile_one). A failed dump changes nothing. */
static void sync_rules(struct rd_ifaces *ifs)
{
	struct rd_link *links;
	size_t kept = 0;
	int n;

	if (!ifs->n_rules)
		return; /* apply_config dropped what a removed rule had selected */
	n = rd_links_dump(&links);
	if (n < 0) {
		rd_warn("cannot list the interfaces for the pattern and bridge rules: %s",
			strerror(-n));
		return;
	}
	for (size_t i = 0; i < ifs->n; i++) {
		struct rd_managed_iface *m = &ifs->list[i];
		const struct rd_link *l = NULL;
		int r = -1;

		for (int k = 0; m->cfg.match != RD_MATCH_NAME && k < n && !l; k++)
			if (!strcmp(links[k].name, m->cfg.name))
				l = &links[k];
		if (l)
			r = rd_rules_match(ifs->rules, ifs->n_rules, links, n, l);
		if (m->cfg.match == RD_MATCH_NAME ||
		    (r >= 0 && ifs->rules[r].match == m->cfg.match &&
		     !strcmp(ifs->rules[r].name, m->rule))) {
			ifs->list[kept++] = *m;
			continue;
		}
		rd_info("%s: no longer selected by %s %s, detaching", m->cfg.name,
			rd_match_name(m->cfg.match), m->rule);
		if (m->ifindex)
			drop_attachment(ifs, m, l != NULL);
		ifs->rule_removes++;
	}
	ifs->n = kept;
	for (int k = 0; k < n; k++) {
		struct rd_managed_iface *m;
		bool known = false;
		int r = rd_rules_match(ifs->rules, ifs->n_rules, links, n, &links[k]);

		if (r < 0)
			continue;
		for (size_t i = 0; i < ifs->n && !known; i++)
			known = !strcmp(ifs->list[i].cfg.name, links[k].name);
		if (known)
			continue;
		m = append(ifs);
		if (!m) {
			rd_err("%s: out of memory, not managed", links[k].name);
			break;
		}
		m->cfg = ifs->rules[r];
		snprintf(m->cfg.name, sizeof(m->cfg.name), "%s", links[k].name);
		snprintf(m->rule, sizeof(m->rule), "%s", ifs->rules[r].name);
		ifs->n++;
		ifs->rule_adds++;
		rd_info("%s: selected by %s %s", m->cfg.name, rd_match_name(m->cfg.match),
			m->rule);
	}
	free(links);
}

static void reconcile_now(struct rd_ifaces *ifs)
{
	sync_rules(ifs);
	for (size_t i = 0; i < ifs->n; i++)
		reconcile_one(ifs, &ifs->list[i]);
	if (ifs->hooks.changed)
		ifs->hooks.changed(ifs->hooks.arg);
}

void rd_ifaces_update_bridge(struct rd_ifaces *ifs)
{
	if (!ifs->hooks.bridge_port)
		return;
	for (size_t i = 0; i < ifs->n; i++) {
		__u32 ifindex = ifs->list[i].ifindex;
		struct rd_iface cur, want;

		/* only entries describe() wrote: the rest is not ours yet */
		if (!ifindex || rd_dp_iface_lookup(ifs->dp, ifindex, &cur))
			continue;
		want = cur;
		ifs->hooks.bridge_port(ifs->hooks.arg, ifindex, &want);
		if (!memcmp(&cur, &want, sizeof(cur)))
			continue;
		if (rd_dp_iface_update(ifs->dp, ifindex, &want))
			rd_warn("%s: cannot update its bridge fields: %s", ifs->list[i].cfg.name,
				strerror(errno));
		else
			rd_debug("bridge port %u: bridge %u flags %#x pvid %u", ifindex,
				 want.bridge_ifindex, want.br_flags, want.pvid);
	}
}

size_t rd_ifaces_ifindexes(const struct rd_ifaces *ifs, __u32 **out)
{
	__u32 *v = ifs->n ? malloc(ifs->n * sizeof(*v)) : NULL;
	size_t n = 0;

	for (size_t i = 0; v && i < ifs->n; i++)
		if (ifs->list[i].ifindex)
			v[n++] = ifs->list[i].ifindex;
	if (!n) {
		free(v);
		v = NULL;
	}
	*out = v;
	return n;
}

/* Once the loop runs, a burst of link events (a VM host starting a hundred
 * VMs, our own attaches) is reconciled once, RECONCILE_DELAY_S after its
 * first event: each pass walks every managed interface and dumps the links. */
void rd_ifaces_reconcile(struct rd_ifaces *ifs)
{
	if (!ifs->loop) {
		reconcile_now(ifs);
		return;
	}
	if (!ev_is_active(&ifs->reconcile_timer)) {
		ev_timer_set(&ifs->reconcile_timer, RECONCILE_DELAY_S, 0);
		ev_timer_start(ifs->loop, &ifs->reconcile_timer);
	}
}

static void on_reconcile_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	reconcile_now(w->data);
}

/* The entry of CFG that selects M: its name, or the rule that did. */
static const struct rd_iface_config *find_config(const struct rd_config *cfg,
						 const struct rd_managed_iface *m)
{
	for (size_t i = 0; i < cfg->n_ifaces; i++) {
		const struct rd_iface_config *c = &cfg->ifaces[i];

		if (c->match == m->cfg.match &&
		    !strcmp(c->name, m->cfg.match == RD_MATCH_NAME ? m->cfg.name : m->rule))
			return c;
	}
	return NULL;
}

void rd_ifaces_apply_config(struct rd_ifaces *ifs, const struct rd_config *cfg)
{
	size_t kept = 0;

	for (size_t i = 0; i < ifs->n; i++) {
		struct rd_managed_iface *m = &ifs->list[i];
		const struct rd_iface_config *want = find_config(cfg, m);
		char name[IFNAMSIZ];

		if (!want || want->mode != m->cfg.mode) {
			rd_info("%s: %s", m->cfg.name, want ? "mode changed, re-attaching"
							    : "removed from the config, detaching");
			if (m->ifindex)
				drop_attachment(ifs, m, true);
			if (!want)
				continue;
		}
		if (memcmp(&want->fixups, &m->cfg.fixups, sizeof(want->fixups)))
			rd_info("%s: fix-ups changed", m->cfg.name);
		memcpy(name, m->cfg.name, sizeof(name));
		m->cfg = *want;
		memcpy(m->cfg.name, name, sizeof(name)); /* a rule's entry keeps its interface */
		ifs->list[kept++] = *m;
	}
	ifs->n = kept;
	ifs->n_rules = 0;
	for (size_t i = 0; i < cfg->n_ifaces; i++) {
		struct rd_managed_iface *m = NULL;

		if (cfg->ifaces[i].match != RD_MATCH_NAME) {
			ifs->rules[ifs->n_rules++] = cfg->ifaces[i];
			continue;
		}
		for (size_t k = 0; k < ifs->n && !m; k++)
			if (!strcmp(ifs->list[k].cfg.name, cfg->ifaces[i].name))
				m = &ifs->list[k];
		if (m && m->cfg.match == RD_MATCH_NAME)
			continue;
		if (m) { /* a rule had it: named now, attached as it is */
			m->cfg = cfg->ifaces[i];
			m->rule[0] = '\0';
			continue;
		}
		m = append(ifs);
		if (!m) {
			rd_err("%s: out of memory, not added", cfg->ifaces[i].name);
			continue;
		}
		m->cfg = cfg->ifaces[i];
		ifs->n++;
		rd_info("%s: added to the config", cfg->ifaces[i].name);
	}
	reconcile_now(ifs);
}

/* A port left out of the devmap is asked again until it takes redirects. */
static void on_poll_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct rd_ifaces *ifs = w->data;

	for (size_t i = 0; i < ifs->n; i++) {
		struct rd_managed_iface *m = &ifs->list[i];

		if (m->ifindex && m->no_tx && rd_xdp_target(m->ifindex) != RD_XDP_TARGET_NO)
			update_tx(ifs, m, true, tc_hold(ifs, m));
	}
}

void rd_ifaces_start(struct rd_ifaces *ifs, struct ev_loop *loop)
{
	ifs->loop = loop;
	ev_timer_init(&ifs->poll_timer, on_poll_timer, POLL_S, POLL_S);
	ifs->poll_timer.data = ifs;
	ev_timer_start(loop, &ifs->poll_timer);
	ev_timer_init(&ifs->reconcile_timer, on_reconcile_timer, RECONCILE_DELAY_S, 0);
	ifs->reconcile_timer.data = ifs;
}

int rd_ifaces_repin(struct rd_ifaces *ifs)
{
	int restored = 0;

	for (size_t i = 0; i < ifs->n; i++) {
		int rc = rd_attach_repin(&ifs->list[i].att);

		if (rc < 0)
			return -1;
		restored += rc;
	}
	return restored;
}

int rd_ifaces_verify(struct rd_ifaces *ifs)
{
	char why[160], ifname[IF_NAMESIZE];
	int lost = 0;

	for (size_t i = 0; i < ifs->n; i++) {
		struct rd_managed_iface *m = &ifs->list[i];

		/* a device that is gone is reconcile's business */
		if (!m->ifindex || m->att.link_fd < 0 || !if_indextoname(m->ifindex, ifname) ||
		    !rd_attach_verify(&m->att, why, sizeof(why)))
			continue;
		/* Our link lost its place (another process detached it): let go
		 * of it and attach afresh, so that what status says holds. */
		rd_err("%s: our XDP link is no longer attached (%s); attaching again",
		       m->cfg.name, why);
		rd_attach_release(&m->att, true);
		lost++;
		if (rd_attach(&m->att, &ifs->dp->pins, m->cfg.name, m->ifindex, ifs->dp->prog_fd,
			      ifs->dp->maps_reused, m->cfg.mode, m->last_error,
			      sizeof(m->last_error))) {
			rd_err("%s: cannot attach: %s", m->cfg.name, m->last_error);
			forget(ifs, m);
			m->ifindex = 0;
		}
	}
	return lost;
}

void rd_ifaces_release_all(struct rd_ifaces *ifs, bool detach)
{
	if (ifs->loop) {
		ev_timer_stop(ifs->loop, &ifs->poll_timer);
		ev_timer_stop(ifs->loop, &ifs->reconcile_timer);
	}
	ifs->loop = NULL;
	for (size_t i = 0; i < ifs->n; i++) {
		rd_attach_release(&ifs->list[i].att, detach);
		if (detach)
			forget(ifs, &ifs->list[i]);
	}
	ifs->n = 0;
	free(ifs->list);
	ifs->list = NULL;
	ifs->cap = 0;
}
