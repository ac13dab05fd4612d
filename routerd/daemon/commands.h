/* SPDX-License-Identifier: GPL-2.0 */
/* routerd's verbs: owns how the daemon's state is presented, each report
 * written once through the print layer (common/print.h) for text and JSON.
 * Which verbs exist, their arguments and privilege are the protocol's table
 * (common/protocol.h); ctl.c dispatches through it to the handlers here. */
#ifndef RD_COMMANDS_H
#define RD_COMMANDS_H

#include "daemon/ctl.h"

/* An rd_ctl_handler; ctx is the struct rd_daemon. */
int rd_commands_dispatch(void *ctx, const struct rd_ctl_request *req, struct rd_buf *body,
			 char *err, size_t errlen);

#endif
