/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Frames, and catching them where they arrive: shared by both packet
 * fixtures (fixture.h, bridge_fixture.h include this). A test that sends
 * for real (live frames, bridging into a VM's port) listens on the device
 * behind the egress with packet_socket() and asks received() whether
 * exactly the frame it expects came out there.
 */
#ifndef RD_TEST_PACKET_CAPTURE_H
#define RD_TEST_PACKET_CAPTURE_H

#include <stdbool.h>
#include <linux/types.h>

#define FRAME_MAX 2048

/* LEN bytes as on the wire. */
struct frame {
	__u32 len;
	__u8 data[FRAME_MAX];
};

/* A non-blocking AF_PACKET socket on IFNAME, which reports the outer VLAN
 * tag the receiving stack strips into the skb (PACKET_AUXDATA). */
int packet_socket(const char *ifname);
/* Whether exactly WANT arrives on FD (a frame its device received, the
 * outer tag put back) within TIMEOUT_MS; 0: among what is queued now. */
bool received(int fd, const struct frame *want, int timeout_ms);

#endif /* RD_TEST_PACKET_CAPTURE_H */
