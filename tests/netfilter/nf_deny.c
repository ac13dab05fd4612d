// SPDX-License-Identifier: GPL-2.0
/*
 * LD_PRELOAD shim for tests/netfilter/t_netfilter.sh: a process that cannot
 * open an nf_tables netlink socket (socket(AF_NETLINK, ..., NETLINK_NETFILTER)
 * fails with EACCES), as under a policy that denies it. routerd must then
 * assume rules and leave forwarding to the kernel. Everything else passes.
 */
#include <dlfcn.h>
#include <errno.h>
#include <linux/netlink.h>
#include <sys/socket.h>

int socket(int domain, int type, int protocol)
{
	static int (*real)(int, int, int);

	if (domain == AF_NETLINK && protocol == NETLINK_NETFILTER) {
		errno = EACCES;
		return -1;
	}
	if (!real)
		real = (int (*)(int, int, int))dlsym(RTLD_NEXT, "socket");
	return real ? real(domain, type, protocol) : (errno = ENOSYS, -1);
}
