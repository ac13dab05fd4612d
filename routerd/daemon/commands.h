/* SPDX-License-Identifier: GPL-2.0 */
/* The control verbs (status, interfaces, stats, fixups): owns how the
 * daemon's state is presented, as text for people and JSON for programs. */
#ifndef RD_COMMANDS_H
#define RD_COMMANDS_H

#include "daemon/ctl.h"

/* An rd_ctl_handler; ctx is the struct rd_daemon. */
int rd_commands_dispatch(void *ctx, const struct rd_ctl_request *req, struct rd_buf *body,
			 char *err, size_t errlen);

#endif
