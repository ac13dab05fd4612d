// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ifaces.h"
#include "log.h"

static int fail(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
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

/* Keep the slot (and so the counters) an earlier run gave this ifindex. */
static int describe(struct rd_ifaces *ifs, struct rd_managed_iface *m, char *err, size_t errlen)
{
	struct rd_iface val = { 0 };
	int rc;

	if (!rd_dp_iface_lookup(ifs->dp, m->ifindex, &val) && val.slot != RD_SLOT_UNCONFIGURED &&
	    val.slot < RD_MAX_IFACES) {
		m->slot = val.slot;
	} else {
		if (rd_dp_slot_alloc(ifs->dp, &m->slot))
			return fail(err, errlen, "no free stats slot for %s", m->cfg.name);
		rd_dp_stats_clear(ifs->dp, m->slot);
	}
	val.slot = m->slot;
	val.fixups = m->cfg.fixups;
	rc = read_mac(m->cfg.name, val.mac);
	if (rc)
		return fail(err, errlen, "cannot read the MAC address of %s: %s", m->cfg.name,
			    strerror(-rc));
	rc = rd_dp_iface_update(ifs->dp, m->ifindex, &val);
	if (!rc)
		rc = rd_dp_tx_add(ifs->dp, m->ifindex);
	if (rc)
		return fail(err, errlen, "cannot update the maps for %s: %s", m->cfg.name,
			    strerror(-rc));
	return 0;
}

static void forget(struct rd_ifaces *ifs, struct rd_managed_iface *m)
{
	rd_dp_tx_delete(ifs->dp, m->ifindex);
	rd_dp_iface_delete(ifs->dp, m->ifindex);
}

int rd_ifaces_attach_all(struct rd_ifaces *ifs, struct rd_datapath *dp,
			 const struct rd_config *cfg, char *err, size_t errlen)
{
	__u32 keep[RD_MAX_CONFIG_IFACES];
	size_t i;

	memset(ifs, 0, sizeof(*ifs));
	ifs->dp = dp;

	/* Resolve every name before touching anything. */
	for (i = 0; i < cfg->n_ifaces; i++) {
		struct rd_managed_iface *m = &ifs->list[i];

		m->cfg = cfg->ifaces[i];
		m->att.link_fd = -1;
		m->ifindex = if_nametoindex(m->cfg.name);
		if (!m->ifindex)
			return fail(err, errlen, "unknown interface '%s': %s", m->cfg.name,
				    strerror(errno));
		keep[i] = m->ifindex;
	}

	for (i = 0; i < cfg->n_ifaces; i++) {
		struct rd_managed_iface *m = &ifs->list[i];

		/* The devmap and rd_ifaces first: the program must never run
		 * on an interface it cannot describe or redirect to. */
		if (describe(ifs, m, err, errlen) ||
		    rd_attach(&m->att, dp->pin_dir, m->cfg.name, m->ifindex, dp->prog_fd,
			      m->cfg.mode, err, errlen)) {
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
	rd_attach_sweep_stale(dp->pin_dir, keep, cfg->n_ifaces);
	return 0;
}

void rd_ifaces_release_all(struct rd_ifaces *ifs, bool detach)
{
	for (size_t i = 0; i < ifs->n; i++) {
		rd_attach_release(&ifs->list[i].att, detach);
		if (detach)
			forget(ifs, &ifs->list[i]);
	}
	ifs->n = 0;
}
