// SPDX-License-Identifier: GPL-2.0
/* Conntrack offload against this kernel, each test in a network namespace
 * of its own (criterion runs every test in a child process): the liberal
 * update on a real conntrack entry, read back over ctnetlink, and the
 * admission link (BPF_LINK_CREATE for BPF_NETFILTER, filled by hand) on a
 * minimal netfilter program. Needs root; skipped without it. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <limits.h>
#include <netinet/in.h>
#include <linux/bpf.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_tcp.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "netfilter/ctnetlink.h"
#include "netfilter/offload.h"

static void own_netns(void)
{
	if (geteuid() != 0)
		cr_skip_test("needs root");
	cr_assert_eq(unshare(CLONE_NEWNET), 0, "unshare: %s", strerror(errno));
}

static struct mnl_socket *ctnl(void)
{
	struct mnl_socket *nl = mnl_socket_open(NETLINK_NETFILTER);
	struct timeval tv = { .tv_sec = 2 };

	cr_assert_not_null(nl);
	cr_assert_eq(mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID), 0);
	setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return nl;
}

static struct rd_ct_tuple flow(void)
{
	struct rd_ct_tuple t = { .family = AF_INET, .proto = IPPROTO_TCP };

	inet_pton(AF_INET, "127.0.0.1", &t.saddr[0]);
	inet_pton(AF_INET, "127.0.0.1", &t.daddr[0]);
	t.sport = htons(40000);
	t.dport = htons(5201);
	return t;
}

static int get(struct mnl_socket *nl, const struct rd_ct_tuple *t, struct rd_ct_info *info)
{
	char buf[512];
	size_t len = rd_ct_build_get(buf, sizeof(buf), t, 2);

	cr_assert_gt(len, 0);
	return rd_ct_request(nl, buf, len, info);
}

/* A TCP connection over lo, 127.0.0.1:40000 -> 127.0.0.1:5201, tracked
 * by conntrack (a ct rule turns tracking on in the namespace) with window
 * tracking as a real handshake leaves it: not liberal. (An entry made with
 * `conntrack -I` is liberal from the start.) */
static void tcp_connection(int *fds)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(5201) };
	struct sockaddr_in b = { .sin_family = AF_INET, .sin_port = htons(40000) };
	int one = 1;

	cr_assert_eq(system("ip link set lo up && nft add table ip t && nft add chain ip t o "
			    "'{ type filter hook output priority 0; }' && "
			    "nft add rule ip t o ct state established accept"),
		     0, "tracking on");
	a.sin_addr.s_addr = b.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fds[0] = socket(AF_INET, SOCK_STREAM, 0);
	fds[1] = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(fds[1], SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	cr_assert_eq(bind(fds[0], (struct sockaddr *)&a, sizeof(a)), 0);
	cr_assert_eq(listen(fds[0], 1), 0);
	cr_assert_eq(bind(fds[1], (struct sockaddr *)&b, sizeof(b)), 0);
	cr_assert_eq(connect(fds[1], (struct sockaddr *)&a, sizeof(a)), 0);
	fds[2] = accept(fds[0], NULL, NULL);
	cr_assert_geq(fds[2], 0);
	cr_assert_eq(write(fds[1], "x", 1), 1);
	cr_assert_eq(write(fds[2], "y", 1), 1);
}

Test(offload_kernel, liberal_update_on_a_live_entry)
{
	struct rd_ct_tuple t = flow(), reply = flow();
	struct mnl_socket *nl;
	struct rd_ct_info info;
	char buf[512];
	size_t len;
	int fds[3];

	own_netns();
	tcp_connection(fds);
	nl = ctnl();
	cr_assert_eq(get(nl, &t, &info), 0);
	cr_assert_eq(info.tcp_state, TCP_CONNTRACK_ESTABLISHED);
	cr_assert_eq(info.tcp_flags[0] & IP_CT_TCP_FLAG_BE_LIBERAL, 0);
	cr_assert_eq(info.tcp_flags[1] & IP_CT_TCP_FLAG_BE_LIBERAL, 0);

	len = rd_ct_build_liberal(buf, sizeof(buf), &t, 3);
	cr_assert_eq(rd_ct_request(nl, buf, len, NULL), 0, "the update is accepted");
	cr_assert_eq(get(nl, &t, &info), 0);
	cr_assert_eq(info.tcp_flags[0] & IP_CT_TCP_FLAG_BE_LIBERAL, IP_CT_TCP_FLAG_BE_LIBERAL);
	cr_assert_eq(info.tcp_flags[1] & IP_CT_TCP_FLAG_BE_LIBERAL, IP_CT_TCP_FLAG_BE_LIBERAL);
	cr_assert_eq(info.tcp_state, TCP_CONNTRACK_ESTABLISHED, "the state is left alone");
	cr_assert_gt(info.timeout_s, 250, "the timeout is left alone");

	/* the reply direction's tuple finds the same entry */
	reply.saddr[0] = t.daddr[0];
	reply.daddr[0] = t.saddr[0];
	reply.sport = t.dport;
	reply.dport = t.sport;
	cr_assert_eq(get(nl, &reply, &info), 0);

	/* gone: the update must not create it again */
	cr_assert_eq(system("conntrack -F >/dev/null 2>&1"), 0);
	len = rd_ct_build_liberal(buf, sizeof(buf), &t, 4);
	cr_assert_eq(rd_ct_request(nl, buf, len, NULL), -ENOENT);
	cr_assert_eq(get(nl, &t, &info), -ENOENT);
	mnl_socket_close(nl);
}

/* return NF_ACCEPT */
static int accept_prog(void)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = NF_ACCEPT },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = 45 /* BPF_NETFILTER */);
	int fd = bpf_prog_load(32 /* BPF_PROG_TYPE_NETFILTER */, "accept", "GPL", insns, 2, &opts);

	cr_assert_geq(fd, 0, "a netfilter program loads: %s", strerror(errno));
	return fd;
}

Test(offload_kernel, admission_link_on_the_forward_hooks)
{
	int prog, l4, l6;

	own_netns();
	prog = accept_prog();
	/* the last priority itself is the kernel's (conntrack confirm) */
	cr_assert_eq(rd_offload_link_create(prog, NFPROTO_IPV4, NF_INET_FORWARD, INT_MAX), -ERANGE);
	l4 = rd_offload_link_create(prog, NFPROTO_IPV4, NF_INET_FORWARD, INT_MAX - 1);
	l6 = rd_offload_link_create(prog, NFPROTO_IPV6, NF_INET_FORWARD, INT_MAX - 1);
	cr_assert_geq(l4, 0, "%s", strerror(-l4));
	cr_assert_geq(l6, 0, "%s", strerror(-l6));
	cr_assert_eq(rd_offload_link_create(prog, 99, NF_INET_FORWARD, 0) < 0, true,
		     "a bad family is refused");
	close(l4);
	close(l6);
	close(prog);
}
