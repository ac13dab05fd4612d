/* SPDX-License-Identifier: GPL-2.0 */
/*
 * XDP attachment of one interface: owns the bpf_link and its pin. Links are
 * pinned so the program keeps forwarding when the daemon dies (kill -9), and
 * a restarted daemon adopts them: same program kept when the build is the
 * same, an atomic bpf_link_update() otherwise. Nothing is detached until
 * rd_attach_release() is asked to.
 *
 * A pinned link is adopted, updated or detached only when its own info
 * proves it is routerd's and serves this interface in this network
 * namespace: it runs a program named like ours, and that program is the
 * one the kernel reports attached on the ifindex here (XDP link info
 * carries the ifindex but not the namespace). Anything else in the pin
 * dir is left alone and reported.
 */
#ifndef RD_ATTACH_H
#define RD_ATTACH_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "common/config.h"
#include "daemon/pindir.h"

struct rd_attachment {
	int link_fd;             /* -1 when not attached */
	__u32 ifindex;
	__u32 prog_id;
	enum rd_xdp_mode mode;   /* what the kernel reports: native or generic */
	bool adopted;            /* taken over from an earlier run */
	const struct rd_pindir *pins;
	char pin_name[32];       /* xdp_link_IFINDEX in the pin dir */
};

/* maps_reused: prog_fd uses the same maps as a program adopted from the pin;
 * when false an adopted link is always switched to prog_fd, since an old
 * program reading old maps would no longer see the daemon's updates. */
int rd_attach(struct rd_attachment *a, const struct rd_pindir *pins, const char *ifname,
	      __u32 ifindex, int prog_fd, bool maps_reused, enum rd_xdp_mode want,
	      char *err, size_t errlen);
/* Pins the link again if its pin disappeared; 1 if it did, 0 if nothing
 * was missing, -1 with errno on failure. */
int rd_attach_repin(struct rd_attachment *a);
/* The link is still attached to its interface: 0, else -1 with why
 * (detached by someone else, device gone). */
int rd_attach_verify(const struct rd_attachment *a, char *why, size_t len);
/* Detaches and unpins when `detach`; otherwise only closes our fd. */
void rd_attach_release(struct rd_attachment *a, bool detach);

/* Detaches every pinned link in the pin dir whose ifindex is not in
 * keep[] (interfaces removed from the config while routerd was down),
 * if it is routerd's in this namespace (see above). */
void rd_attach_sweep_stale(const struct rd_pindir *pins, int prog_fd, const __u32 *keep,
			   size_t n_keep);

#endif
