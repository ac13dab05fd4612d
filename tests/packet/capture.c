// SPDX-License-Identifier: GPL-2.0
/* capture.h: frames as a device receives them. */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <linux/if_ether.h>
#include <linux/if_packet.h>

#include <criterion/criterion.h>

#include "capture.h"

int packet_socket(const char *ifname)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL),
				   .sll_ifindex = (int)if_nametoindex(ifname) };
	int fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK, htons(ETH_P_ALL));

	cr_assert_geq(fd, 0, "AF_PACKET socket: %s", strerror(errno));
	cr_assert_eq(bind(fd, (struct sockaddr *)&sll, sizeof(sll)), 0, "bind to %s: %s", ifname,
		     strerror(errno));
	/* the receiving stack strips the outer VLAN tag into the skb; the
	 * packet socket reports it on the side */
	cr_assert_eq(setsockopt(fd, SOL_PACKET, PACKET_AUXDATA, &(int){ 1 }, sizeof(int)), 0);
	return fd;
}

/* One frame from FD as it was on the wire (outer tag put back), or -1. */
static ssize_t recv_frame(int fd, __u8 *buf, size_t size, struct sockaddr_ll *from)
{
	union {
		struct cmsghdr hdr;
		char space[CMSG_SPACE(sizeof(struct tpacket_auxdata))];
	} ctl;
	struct iovec iov = { .iov_base = buf, .iov_len = size - 4 };
	struct msghdr msg = { .msg_name = from, .msg_namelen = sizeof(*from), .msg_iov = &iov,
			      .msg_iovlen = 1, .msg_control = &ctl, .msg_controllen = sizeof(ctl) };
	ssize_t n = recvmsg(fd, &msg, 0);

	if (n < 0)
		return n;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
		struct tpacket_auxdata aux;
		__be16 tag[2];

		if (c->cmsg_level != SOL_PACKET || c->cmsg_type != PACKET_AUXDATA)
			continue;
		memcpy(&aux, CMSG_DATA(c), sizeof(aux));
		if (!(aux.tp_status & TP_STATUS_VLAN_VALID) || n < 12)
			continue;
		tag[0] = htons(aux.tp_status & TP_STATUS_VLAN_TPID_VALID ? aux.tp_vlan_tpid
									  : ETH_P_8021Q);
		tag[1] = htons(aux.tp_vlan_tci);
		memmove(buf + 16, buf + 12, (size_t)n - 12);
		memcpy(buf + 12, tag, 4);
		n += 4;
	}
	return n;
}

bool received(int fd, const struct frame *want, int timeout_ms)
{
	struct timespec start, now;
	__u8 buf[FRAME_MAX];

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		struct sockaddr_ll from;
		ssize_t n;
		long left;

		while ((n = recv_frame(fd, buf, sizeof(buf), &from)) >= 0) {
			if (from.sll_pkttype != PACKET_OUTGOING && (size_t)n == want->len &&
			    !memcmp(buf, want->data, want->len))
				return true;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		left = timeout_ms - ((now.tv_sec - start.tv_sec) * 1000 +
				     (now.tv_nsec - start.tv_nsec) / 1000000);
		if (left <= 0)
			return false;
		poll(&pfd, 1, (int)left);
	}
}
