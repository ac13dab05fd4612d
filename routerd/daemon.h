/* SPDX-License-Identifier: GPL-2.0 */
/* The daemon's state, one instance, shared by main.c and the command
 * handlers. Each member is owned by its module. */
#ifndef RD_DAEMON_H
#define RD_DAEMON_H

#include <time.h>

#include "config.h"
#include "ctl.h"
#include "datapath.h"
#include "ifaces.h"

struct rd_daemon {
	struct rd_config cfg;
	struct rd_datapath dp;
	struct rd_ifaces ifaces;
	struct rd_ctl ctl;
	struct timespec started; /* CLOCK_MONOTONIC */
};

#endif
