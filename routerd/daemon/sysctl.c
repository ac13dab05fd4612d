// SPDX-License-Identifier: GPL-2.0
/* /proc/sys readers (sysctl.h). */
#include <stdio.h>

#include "daemon/sysctl.h"

int rd_sysctl_int(const char *path, int dflt)
{
	FILE *f = fopen(path, "re");
	int v;

	if (!f)
		return dflt;
	if (fscanf(f, "%d", &v) != 1)
		v = dflt;
	fclose(f);
	return v;
}

/* The kernel applies the larger of conf/all and conf/IFACE (IN_DEV_RPFILTER). */
__u8 rd_ipv4_rp_filter(const char *ifname)
{
	char path[96];
	int all, dev;

	all = rd_sysctl_int("/proc/sys/net/ipv4/conf/all/rp_filter", 0);
	snprintf(path, sizeof(path), "/proc/sys/net/ipv4/conf/%s/rp_filter", ifname);
	dev = rd_sysctl_int(path, 0);
	return (all > dev ? all : dev) & 3;
}

int rd_bridge_nf_call_iptables(void)
{
	return rd_sysctl_int("/proc/sys/net/bridge/bridge-nf-call-iptables", 0);
}
