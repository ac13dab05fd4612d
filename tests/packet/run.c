// SPDX-License-Identifier: GPL-2.0
/*
 * Running the program on a frame, the counters it moved, and the
 * expectations the tests state about both.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <linux/if_packet.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "fixture.h"

/* ------------------------------------------------------------------ */
/* Counters                                                            */

#define N_EVENTS RD_EV__MAX
#define N_COUNTERS RD_COUNTERS

#define KEY(name, key) key,
static const char *const event_names[] = { RD_EVENTS(KEY) };
static const char *const pass_names[] = { RD_PASS_REASONS(KEY) };
static const char *const drop_names[] = { RD_DROP_REASONS(KEY) };

static struct counter counter_at(__u32 slot, unsigned flat)
{
	if (flat < N_EVENTS)
		return (struct counter){ slot, EVENT, flat };
	if (flat < N_EVENTS + RD_PASS__MAX)
		return (struct counter){ slot, PASS, flat - N_EVENTS };
	return (struct counter){ slot, DROP, flat - N_EVENTS - RD_PASS__MAX };
}

const char *counter_str(struct counter c)
{
	static char buf[8][64];
	static int next;
	char *s = buf[next++ % 8];

	snprintf(s, sizeof(buf[0]), "%s.%s in slot %u",
		 c.kind == EVENT ? "events" : c.kind == PASS ? "pass" : "drop",
		 c.kind == EVENT ? event_names[c.index] : c.kind == PASS ? pass_names[c.index]
									 : drop_names[c.index],
		 c.slot);
	return s;
}

/* rd_stats summed over the CPUs, one row per slot. */
/* (The byte counters follow the packet counters: RD_COUNTERS + RD_BYTES_*.) */
#define N_WORDS (RD_COUNTERS + RD_BYTES__MAX)
static __u64 stats_before[RD_MAX_IFACES][N_WORDS], stats_after[RD_MAX_IFACES][N_WORDS];

static void read_stats(__u64 sums[RD_MAX_IFACES][N_WORDS])
{
	int ncpus = libbpf_num_possible_cpus();
	int fd = bpf_map__fd(skel->maps.rd_stats);
	__u64 *percpu;

	cr_assert_gt(ncpus, 0);
	percpu = calloc((size_t)ncpus, sizeof(struct rd_stats));
	cr_assert_not_null(percpu);
	for (__u32 slot = 0; slot < RD_MAX_IFACES; slot++) {
		cr_assert_eq(bpf_map_lookup_elem(fd, &slot, percpu), 0, "rd_stats[%u]", slot);
		memset(sums[slot], 0, sizeof(sums[slot]));
		for (int cpu = 0; cpu < ncpus; cpu++)
			for (unsigned i = 0; i < N_WORDS; i++)
				sums[slot][i] += percpu[(size_t)cpu * RD_STATS_WORDS + i];
	}
	free(percpu);
}

/* ------------------------------------------------------------------ */
/* Running the program                                                 */

const char *action_str(int action)
{
	static const char *const names[] = { "XDP_ABORTED", "XDP_DROP", "XDP_PASS", "XDP_TX",
					     "XDP_REDIRECT" };

	return action >= 0 && action <= XDP_REDIRECT ? names[action] : "XDP_?";
}

const char *verdict_str(const struct verdict *v)
{
	static char buf[128];

	if (!v->n_moved)
		snprintf(buf, sizeof(buf), "%s, no counter moved", action_str(v->action));
	else
		snprintf(buf, sizeof(buf), "%s, %u counter(s) moved, first %s by %llu",
			 action_str(v->action), v->n_moved, counter_str(v->moved),
			 (unsigned long long)v->delta);
	return buf;
}

static void diff_stats(struct verdict *v)
{
	v->n_moved = 0;
	for (__u32 slot = 0; slot < RD_MAX_IFACES; slot++)
		for (unsigned i = 0; i < N_COUNTERS; i++) {
			if (stats_after[slot][i] == stats_before[slot][i])
				continue;
			if (v->n_moved < MAX_MOVED) {
				v->moves[v->n_moved] = counter_at(slot, i);
				v->deltas[v->n_moved] = stats_after[slot][i] - stats_before[slot][i];
			}
			if (!v->n_moved++) {
				v->moved = counter_at(slot, i);
				v->delta = stats_after[slot][i] - stats_before[slot][i];
			}
		}
}

char label[96];

void set_label(const char *fmt, ...)
{
	va_list ap;

	label[0] = '[';
	va_start(ap, fmt);
	vsnprintf(label + 1, sizeof(label) - 3, fmt, ap);
	va_end(ap);
	strcat(label, "] ");
}

struct criterion_test_params index_params(size_t n)
{
	static int index[256];

	cr_assert_leq(n, sizeof(index) / sizeof(index[0]));
	for (size_t i = 0; i < n; i++)
		index[i] = (int)i;
	return cr_make_param_array(int, index, n);
}

void expect_bytes(const __u8 *got, const __u8 *want, size_t len, const char *what)
{
	for (size_t i = 0; i < len; i++)
		cr_assert_eq(got[i], want[i], "%s%s: byte %zu is 0x%02x, want 0x%02x", label, what,
			     i, got[i], want[i]);
}

/* The kernel wants at least ETH_HLEN bytes of input; a shorter frame is
 * padded with zeros that go into a fragment (on kernels where ctx.data_end
 * sets the linear part, as 6.18 does), so the program sees only IN->len. */
int try_run(int ingress_ifindex, const struct frame *in, __u32 flags, struct verdict *v)
{
	bool live = flags & BPF_F_TEST_XDP_LIVE_FRAMES;
	__u32 size_in = in->len < ETH_HLEN ? ETH_HLEN : in->len;
	__u8 data[FRAME_MAX] = { 0 }, out[FRAME_MAX + 256];
	struct xdp_md ctx = { .data_end = in->len, .ingress_ifindex = (__u32)ingress_ifindex };
	LIBBPF_OPTS(bpf_test_run_opts, opts,
		.data_in = data, .data_size_in = size_in,
		.data_out = live ? NULL : out, .data_size_out = live ? 0 : sizeof(out),
		.ctx_in = &ctx, .ctx_size_in = sizeof(ctx),
		.repeat = 1, .flags = flags);
	int rc;

	memcpy(data, in->data, in->len);
	memset(v, 0, sizeof(*v));
	read_stats(stats_before);
	rc = bpf_prog_test_run_opts(bpf_program__fd(skel->progs.routerd_xdp), &opts);
	if (rc)
		return -errno;
	read_stats(stats_after);
	diff_stats(v);
	v->action = (int)opts.retval;
	if (live)
		return 0;
	/* Only a forwarded frame may come out shorter: trimmed to its IP
	 * packet (check_forwarded() says by how much). */
	if (v->action == XDP_REDIRECT && opts.data_size_out < in->len) {
		v->out.len = opts.data_size_out;
	} else {
		cr_assert_eq(opts.data_size_out, size_in, "%soutput of %u bytes, input %u", label,
			     opts.data_size_out, size_in);
		expect_bytes(out + in->len, data + in->len, size_in - in->len, "padding fragment");
		v->out.len = in->len;
	}
	memcpy(v->out.data, out, v->out.len);
	return 0;
}

int try_run_buffers(int ingress_ifindex, const __u8 *in, __u32 len, __u32 head, __u8 *out,
		    struct verdict *v)
{
	struct xdp_md ctx = { .data_end = head, .ingress_ifindex = (__u32)ingress_ifindex };
	LIBBPF_OPTS(bpf_test_run_opts, opts,
		.data_in = in, .data_size_in = len,
		.data_out = out, .data_size_out = len,
		.ctx_in = &ctx, .ctx_size_in = sizeof(ctx),
		.repeat = 1);

	memset(v, 0, sizeof(*v));
	read_stats(stats_before);
	if (bpf_prog_test_run_opts(bpf_program__fd(skel->progs.routerd_xdp), &opts))
		return -errno;
	read_stats(stats_after);
	diff_stats(v);
	v->action = (int)opts.retval;
	cr_assert_eq(opts.data_size_out, len, "%soutput of %u bytes, input %u", label,
		     opts.data_size_out, len);
	return 0;
}

__u64 bytes_moved(__u32 slot, enum rd_bytes kind)
{
	return stats_after[slot][RD_COUNTERS + kind] - stats_before[slot][RD_COUNTERS + kind];
}

struct verdict run(enum port_id ingress, const struct frame *in)
{
	struct verdict v;
	int rc = try_run(ports[ingress].ifindex, in, 0, &v);

	if (rc == -EINVAL && in->len < ETH_HLEN)
		cr_skip_test("this kernel's BPF_PROG_TEST_RUN cannot present a linear part shorter "
			     "than %d bytes", ETH_HLEN);
	cr_assert_eq(rc, 0, "%sBPF_PROG_TEST_RUN of a %u-byte frame: %s", label, in->len,
		     strerror(-rc));
	return v;
}

/* ------------------------------------------------------------------ */
/* Expectations                                                        */

void expect_frame(const struct frame *got, const struct frame *want, const char *what)
{
	cr_assert_eq(got->len, want->len, "%s%s: %u bytes, want %u", label, what, got->len,
		     want->len);
	expect_bytes(got->data, want->data, want->len, what);
}

void expect_counted(const struct verdict *v, __u32 slot, enum counter_kind kind,
		    unsigned index)
{
	struct counter want = { slot, kind, index };

	cr_assert(v->n_moved == 1 && v->delta == 1 && v->moved.slot == slot &&
		  v->moved.kind == kind && v->moved.index == index,
		  "%scounted: %s; want %s by 1 and nothing else", label, verdict_str(v),
		  counter_str(want));
}

static const char *moves_str(const struct verdict *v)
{
	static char buf[512];
	size_t len = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i < v->n_moved && i < MAX_MOVED; i++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%s by %llu",
					i ? ", " : "", counter_str(v->moves[i]),
					(unsigned long long)v->deltas[i]);
	return v->n_moved ? buf : "nothing";
}

void expect_counts(const struct verdict *v, __u32 slot, size_t n, const struct count *want)
{
	cr_assert_eq(v->n_moved, n, "%s%u counter(s) moved (%s); want %zu", label, v->n_moved,
		     moves_str(v), n);
	for (size_t i = 0; i < n; i++) {
		struct counter c = { slot, want[i].kind, want[i].index };
		bool found = false;

		for (unsigned j = 0; j < v->n_moved; j++)
			if (v->moves[j].slot == slot && v->moves[j].kind == c.kind &&
			    v->moves[j].index == c.index && v->deltas[j] == 1)
				found = true;
		cr_assert(found, "%scounted: %s; want %s by 1", label, moves_str(v),
			  counter_str(c));
	}
}

void expect_untouched(enum port_id ingress, const struct frame *in, int action,
		      enum counter_kind kind, unsigned reason)
{
	struct verdict v = run(ingress, in);

	cr_assert_eq(v.action, action, "%sverdict %s; want %s", label, verdict_str(&v),
		     action_str(action));
	expect_frame(&v.out, in, "frame handed on");
	expect_counted(&v, slot_of(ingress), kind, reason);
}

void expect_pass(enum port_id ingress, const struct frame *in, enum rd_pass_reason why)
{
	expect_untouched(ingress, in, XDP_PASS, PASS, why);
}

void expect_drop(enum port_id ingress, const struct frame *in, enum rd_drop_reason why)
{
	expect_untouched(ingress, in, XDP_DROP, DROP, why);
}

void check_forwarded(const struct verdict *v, const struct frame *in, enum port_id egress,
		     const __u8 *nh_mac)
{
	struct frame want = *in;
	bool v4 = ETH(in)->h_proto == htons(ETH_P_IP);

	/* the kernel trims what follows the IP packet, and so does routerd */
	want.len = ETH_HLEN + (v4 ? ntohs(IP4(in)->tot_len)
				  : sizeof(struct ipv6hdr) + ntohs(IP6(in)->payload_len));
	cr_assert_leq(want.len, in->len, "%sthe test's frame is shorter than its IP packet", label);
	cr_assert_eq(v->action, XDP_REDIRECT, "%sverdict %s; want XDP_REDIRECT", label,
		     verdict_str(v));
	cr_assert_eq(v->out.len, want.len, "%soutput %u bytes, want %u (input %u)", label,
		     v->out.len, want.len, in->len);
	cr_assert_arr_eq(ETH(&v->out)->h_dest, nh_mac, ETH_ALEN,
			 "%sdst MAC %s, want %s (neighbour)", label,
			 mac_str(ETH(&v->out)->h_dest), mac_str(nh_mac));
	cr_assert_arr_eq(ETH(&v->out)->h_source, ports[egress].mac, ETH_ALEN,
			 "%ssrc MAC %s, want %s (%s)", label, mac_str(ETH(&v->out)->h_source),
			 mac_str(ports[egress].mac), ports[egress].name);
	memcpy(ETH(&want)->h_dest, nh_mac, ETH_ALEN);
	memcpy(ETH(&want)->h_source, ports[egress].mac, ETH_ALEN);
	if (v4) {
		cr_assert_eq(IP4(&v->out)->ttl, IP4(in)->ttl - 1, "%sTTL %u, want %u", label,
			     IP4(&v->out)->ttl, IP4(in)->ttl - 1);
		cr_assert_eq(IP4(&v->out)->check, ipv4_csum(IP4(&v->out)),
			     "%sIPv4 checksum 0x%04x (input 0x%04x), recomputed 0x%04x", label,
			     ntohs(IP4(&v->out)->check), ntohs(IP4(in)->check),
			     ntohs(ipv4_csum(IP4(&v->out))));
		IP4(&want)->ttl--;
		ipv4_fix_csum(&want);
	} else {
		cr_assert_eq(IP6(&v->out)->hop_limit, IP6(in)->hop_limit - 1,
			     "%shop limit %u, want %u", label, IP6(&v->out)->hop_limit,
			     IP6(in)->hop_limit - 1);
		IP6(&want)->hop_limit--;
	}
	expect_frame(&v->out, &want, "forwarded frame");
}

struct verdict expect_forwarded(enum port_id ingress, const struct frame *in,
				enum port_id egress, const __u8 *nh_mac)
{
	struct verdict v = run(ingress, in);
	bool v4 = ETH(in)->h_proto == htons(ETH_P_IP);

	check_forwarded(&v, in, egress, nh_mac);
	expect_counted(&v, slot_of(ingress),
		       EVENT, v4 ? RD_EV_FORWARDED_IPV4 : RD_EV_FORWARDED_IPV6);
	return v;
}

void expect_forwarded4(const struct frame *in, enum port_id egress)
{
	expect_forwarded(P_IN, in, egress, ports[egress].nh4_mac);
}

void expect_forwarded6(const struct frame *in, enum port_id egress)
{
	expect_forwarded(P_IN, in, egress, ports[egress].nh6_mac);
}
