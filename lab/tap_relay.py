#!/usr/bin/python3
"""A "VM" on a tap device, the way QEMU connects one: relays Ethernet frames
between a tap on the host side (a bridge port) and a tap inside another
network namespace that plays the guest's NIC.

  tap_relay.py HOST_TAP GUEST_NETNS GUEST_TAP

Run it in the host's namespace (ip netns exec HOST ...): it attaches to
HOST_TAP there, then enters GUEST_NETNS (a path such as /run/netns/NAME) and
attaches to GUEST_TAP. Both taps must exist (ip tuntap add ... mode tap);
their carrier is up while the relay runs. Both are opened non-blocking, as
QEMU does: frames written into a tap opened so go through the native XDP
program attached to it. Stops on SIGTERM/SIGINT.
"""
import ctypes
import fcntl
import os
import select
import signal
import struct
import sys

TUNSETIFF = 0x400454CA
IFF_TAP = 0x0002
IFF_NO_PI = 0x1000
CLONE_NEWNET = 0x40000000


def open_tap(name):
    fd = os.open("/dev/net/tun", os.O_RDWR | os.O_NONBLOCK | os.O_CLOEXEC)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", name.encode(), IFF_TAP | IFF_NO_PI))
    return fd


def enter_netns(path):
    libc = ctypes.CDLL(None, use_errno=True)
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    if libc.setns(fd, CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        raise OSError(err, "setns %s: %s" % (path, os.strerror(err)))
    os.close(fd)


def relay(a, b):
    peer = {a: b, b: a}
    poll = select.poll()
    poll.register(a, select.POLLIN)
    poll.register(b, select.POLLIN)
    while True:
        for fd, _ in poll.poll():
            for _ in range(64):  # a burst per wake-up, then poll again
                try:
                    frame = os.read(fd, 65536)
                except BlockingIOError:
                    break
                try:
                    os.write(peer[fd], frame)
                except OSError:
                    pass  # guest side down: the frame is lost, as on a wire


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    host = open_tap(sys.argv[1])
    enter_netns(sys.argv[2])
    guest = open_tap(sys.argv[3])
    print("relaying %s <-> %s:%s" % (sys.argv[1], sys.argv[2], sys.argv[3]), flush=True)
    try:
        relay(host, guest)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
