// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "datapath.h"
#include "log.h"
#include "routerd.skel.h"

#ifndef BPF_FS_MAGIC
#define BPF_FS_MAGIC 0xcafe4a11
#endif

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

/* mkdir -p, but only below a bpffs mount: never create directories on an
 * unmounted /sys/fs/bpf (sysfs) or anywhere else. */
int rd_dp_prepare_pin_dir(const char *dir, char *err, size_t errlen)
{
	char path[PATH_MAX], *slash;
	struct statfs fs;
	struct stat st;

	if (snprintf(path, sizeof(path), "%s", dir) >= (int)sizeof(path))
		return fail(err, errlen, "pin dir %s: path too long", dir);
	if (!stat(path, &st)) {
		if (!S_ISDIR(st.st_mode))
			return fail(err, errlen, "pin dir %s exists and is not a directory", dir);
		if (statfs(path, &fs) || fs.f_type != BPF_FS_MAGIC)
			return fail(err, errlen,
				    "pin dir %s is not on a BPF filesystem; mount one with "
				    "'mount -t bpf bpf %s' (or pass --pin-dir on a bpffs)",
				    dir, dir);
		return 0;
	}
	slash = strrchr(path, '/');
	if (!slash || slash == path)
		return fail(err, errlen,
			    "pin dir %s is not on a BPF filesystem; mount one with 'mount -t bpf bpf /sys/fs/bpf'",
			    dir);
	*slash = '\0';
	if (rd_dp_prepare_pin_dir(path, err, errlen))
		return -1;
	if (mkdir(dir, 0700) && errno != EEXIST)
		return fail(err, errlen, "cannot create pin dir %s: %s", dir, strerror(errno));
	return 0;
}

static int set_pin_paths(struct rd_datapath *dp, char *err, size_t errlen)
{
	struct bpf_map *map;
	char path[PATH_MAX];

	bpf_object__for_each_map(map, dp->skel->obj) {
		if (snprintf(path, sizeof(path), "%s/%s", dp->pin_dir, bpf_map__name(map)) >=
		    (int)sizeof(path))
			return fail(err, errlen, "pin dir %s: path too long", dp->pin_dir);
		if (!access(path, F_OK))
			dp->maps_reused = true;
		if (bpf_map__set_pin_path(map, path))
			return fail(err, errlen, "cannot set pin path %s", path);
	}
	return 0;
}

static void unpin_maps(struct rd_datapath *dp)
{
	struct bpf_map *map;

	bpf_object__for_each_map(map, dp->skel->obj)
		if (bpf_map__pin_path(map))
			unlink(bpf_map__pin_path(map));
}

static int open_and_load(struct rd_datapath *dp, char *err, size_t errlen)
{
	int rc;

	dp->skel = routerd_bpf__open();
	if (!dp->skel)
		return fail(err, errlen, "cannot open the embedded BPF object: %s", strerror(errno));
	if (set_pin_paths(dp, err, errlen))
		return -1;
	rc = routerd_bpf__load(dp->skel);
	if (rc)
		return fail(err, errlen, "cannot load the XDP program: %s%s", strerror(-rc),
			    rc == -EPERM ? " (routerd needs root: CAP_BPF, CAP_NET_ADMIN and CAP_SYS_ADMIN)"
					 : "");
	return 0;
}

int rd_dp_open(struct rd_datapath *dp, const char *pin_dir, char *err, size_t errlen)
{
	memset(dp, 0, sizeof(*dp));
	dp->prog_fd = -1;
	snprintf(dp->pin_dir, sizeof(dp->pin_dir), "%s", pin_dir);
	if (rd_dp_prepare_pin_dir(pin_dir, err, errlen))
		return -1;
	dp->n_cpus = libbpf_num_possible_cpus();
	if (dp->n_cpus <= 0)
		return fail(err, errlen, "cannot count possible CPUs");

	if (open_and_load(dp, err, errlen)) {
		if (!dp->maps_reused)
			return -1;
		/* Pinned maps from an older build with another layout: start
		 * them afresh rather than refuse to run. */
		rd_warn("pinned maps in %s do not match this build (%s); recreating them, counters restart",
			pin_dir, err);
		unpin_maps(dp);
		routerd_bpf__destroy(dp->skel);
		dp->maps_reused = false;
		if (open_and_load(dp, err, errlen))
			return -1;
	}
	dp->prog_fd = bpf_program__fd(dp->skel->progs.routerd_xdp);
	return 0;
}

void rd_dp_close(struct rd_datapath *dp, bool unpin)
{
	if (!dp->skel)
		return;
	if (unpin) {
		unpin_maps(dp);
		rmdir(dp->pin_dir); /* fails harmlessly if something else lives there */
	}
	routerd_bpf__destroy(dp->skel);
	dp->skel = NULL;
}

int rd_dp_iface_lookup(struct rd_datapath *dp, __u32 ifindex, struct rd_iface *out)
{
	return bpf_map__lookup_elem(dp->skel->maps.rd_ifaces, &ifindex, sizeof(ifindex), out,
				    sizeof(*out), 0);
}

int rd_dp_iface_update(struct rd_datapath *dp, __u32 ifindex, const struct rd_iface *val)
{
	return bpf_map__update_elem(dp->skel->maps.rd_ifaces, &ifindex, sizeof(ifindex), val,
				    sizeof(*val), BPF_ANY);
}

int rd_dp_iface_delete(struct rd_datapath *dp, __u32 ifindex)
{
	int rc = bpf_map__delete_elem(dp->skel->maps.rd_ifaces, &ifindex, sizeof(ifindex), 0);

	return rc == -ENOENT ? 0 : rc;
}

int rd_dp_slot_alloc(struct rd_datapath *dp, __u32 *slot)
{
	bool used[RD_MAX_IFACES];
	struct bpf_map *map = dp->skel->maps.rd_ifaces;
	__u32 key, next, *prev = NULL;
	struct rd_iface val;

	memset(used, 0, sizeof(used));
	while (!bpf_map__get_next_key(map, prev, &next, sizeof(next))) {
		if (!bpf_map__lookup_elem(map, &next, sizeof(next), &val, sizeof(val), 0) &&
		    val.slot < RD_MAX_IFACES)
			used[val.slot] = true;
		key = next;
		prev = &key;
	}
	for (__u32 s = RD_SLOT_UNCONFIGURED + 1; s < RD_MAX_IFACES; s++) {
		if (!used[s]) {
			*slot = s;
			return 0;
		}
	}
	return -ENOSPC;
}

int rd_dp_stats_clear(struct rd_datapath *dp, __u32 slot)
{
	size_t size = sizeof(struct rd_stats) * dp->n_cpus;
	void *zero = calloc(1, size);
	int rc;

	if (!zero)
		return -ENOMEM;
	rc = bpf_map__update_elem(dp->skel->maps.rd_stats, &slot, sizeof(slot), zero, size, 0);
	free(zero);
	return rc;
}

int rd_dp_stats_read(struct rd_datapath *dp, __u32 slot, struct rd_stats *sum)
{
	size_t size = sizeof(struct rd_stats) * dp->n_cpus;
	struct rd_stats *percpu = malloc(size);
	int rc;

	memset(sum, 0, sizeof(*sum));
	if (!percpu)
		return -ENOMEM;
	rc = bpf_map__lookup_elem(dp->skel->maps.rd_stats, &slot, sizeof(slot), percpu, size, 0);
	for (int cpu = 0; !rc && cpu < dp->n_cpus; cpu++) {
		for (int i = 0; i < RD_EV__MAX; i++)
			sum->events[i] += percpu[cpu].events[i];
		for (int i = 0; i < RD_PASS__MAX; i++)
			sum->pass[i] += percpu[cpu].pass[i];
		for (int i = 0; i < RD_DROP__MAX; i++)
			sum->drop[i] += percpu[cpu].drop[i];
	}
	free(percpu);
	return rc;
}

int rd_dp_tx_add(struct rd_datapath *dp, __u32 ifindex)
{
	struct bpf_devmap_val val = { .ifindex = ifindex };

	return bpf_map__update_elem(dp->skel->maps.rd_tx, &ifindex, sizeof(ifindex), &val,
				    sizeof(val), BPF_ANY);
}

int rd_dp_tx_delete(struct rd_datapath *dp, __u32 ifindex)
{
	int rc = bpf_map__delete_elem(dp->skel->maps.rd_tx, &ifindex, sizeof(ifindex), 0);

	return rc == -ENOENT ? 0 : rc;
}
