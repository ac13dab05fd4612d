#!/usr/bin/python3
"""Malformed frames for routerd's fast path (tests/security/t_frames.sh).

Usage (inside the sender's namespace):
  frames.py IFACE DST_MAC SRC_IP DST_IP list
  frames.py IFACE DST_MAC SRC_IP DST_IP exact COUNT
  frames.py IFACE DST_MAC SRC_IP DST_IP flood SECONDS

Frames are built with scapy and sent through an AF_PACKET socket on IFACE
toward the router's MAC DST_MAC. Every class has the counter routerd must
count it under (a pass reason, a drop reason or a forwarding counter;
several joined by "+" when a frame moves an event counter too):
`list` prints "class counter" lines; `exact` sends COUNT frames of each
class, paced so that none is lost on the way, and prints "class sent"
lines; `flood` sends all classes round robin as fast as Python can for
SECONDS and prints the same.
"""
import socket
import struct
import sys
import time

from scapy.all import ARP, IP, IPv6, UDP, TCP, Dot1Q, Ether, raw  # noqa: E402

IFACE, DST_MAC, SRC_IP, DST_IP = sys.argv[1:5]
SRC6 = "2001:db8:1::2"
DST6 = "2001:db8:2::2"


def mac(iface):
    with open("/sys/class/net/%s/address" % iface) as f:
        return f.read().strip()


SRC_MAC = mac(IFACE)


def eth(payload_type=0x0800, dst=None):
    return Ether(dst=dst or DST_MAC, src=SRC_MAC, type=payload_type)


def v4(**kw):
    return IP(src=SRC_IP, dst=DST_IP, ttl=64, **kw) / UDP(sport=4242, dport=9) / (b"x" * 40)


def v6(**kw):
    return IPv6(src=SRC6, dst=DST6, hlim=64, **kw) / UDP(sport=4242, dport=9) / (b"y" * 40)


def with_ip_bytes(pkt, edit):
    """The frame's bytes with edit(bytearray of the IP part) applied."""
    b = bytearray(raw(pkt))
    ip = b[14:]
    edit(ip)
    return bytes(b[:14] + ip)


def v4_checksum(ip):
    ip[10:12] = b"\0\0"
    s = sum(struct.unpack("!10H", bytes(ip[:20])))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    ip[10:12] = struct.pack("!H", ~s & 0xFFFF)


def edit_v4(fn, fix_csum=True):
    def edit(ip):
        fn(ip)
        if fix_csum:
            v4_checksum(ip)
    return edit


CLASSES = [
    # name, expected counter, frame bytes
    ("valid_udp", "counters.forwarded_ipv4", raw(eth() / v4())),
    ("udp_length_lies", "counters.forwarded_ipv4",  # L4 is not routerd's business
     with_ip_bytes(eth() / v4(), lambda ip: ip.__setitem__(slice(24, 26), b"\xff\xff"))),
    ("bad_ip_checksum", "pass_reasons.malformed",
     with_ip_bytes(eth() / v4(), lambda ip: ip.__setitem__(slice(10, 12), b"\x12\x34"))),
    ("total_length_beyond_frame", "pass_reasons.malformed",
     with_ip_bytes(eth() / v4(), edit_v4(lambda ip: ip.__setitem__(slice(2, 4), b"\x05\xdc")))),
    ("total_length_below_header", "pass_reasons.malformed",
     with_ip_bytes(eth() / v4(), edit_v4(lambda ip: ip.__setitem__(slice(2, 4), b"\x00\x10")))),
    ("ihl_below_5", "pass_reasons.malformed",
     with_ip_bytes(eth() / v4(), edit_v4(lambda ip: ip.__setitem__(0, 0x44)))),
    ("ip_version_5", "pass_reasons.malformed",
     with_ip_bytes(eth() / v4(), edit_v4(lambda ip: ip.__setitem__(0, 0x55)))),
    ("truncated_ipv4_header", "pass_reasons.malformed", raw(eth() / v4())[:14 + 12]),
    ("ipv6_payload_beyond_frame", "pass_reasons.malformed",
     with_ip_bytes(eth(0x86DD) / v6(), lambda ip: ip.__setitem__(slice(4, 6), b"\x03\xe8"))),
    ("ipv6_payload_length_65535", "pass_reasons.malformed",
     with_ip_bytes(eth(0x86DD) / v6(), lambda ip: ip.__setitem__(slice(4, 6), b"\xff\xff"))),
    ("truncated_ipv6_header", "pass_reasons.malformed", raw(eth(0x86DD) / v6())[:14 + 20]),
    ("ethertype_only", "pass_reasons.malformed", raw(eth())[:14]),
    ("ip_options", "pass_reasons.ip_options",
     raw(eth() / IP(src=SRC_IP, dst=DST_IP, ttl=64, options=b"\x01\x01\x01\x00") /
         UDP(sport=4242, dport=9) / b"z")),
    ("ttl_1", "pass_reasons.ttl", raw(eth() / IP(src=SRC_IP, dst=DST_IP, ttl=1) / UDP() / b"t")),
    ("martian_source", "pass_reasons.martian",
     raw(eth() / IP(src="127.0.0.1", dst=DST_IP, ttl=64) / UDP() / b"m")),
    ("unknown_ethertype", "pass_reasons.not_ip", raw(eth(0x88B5)) + b"\0" * 46),
    ("other_host", "pass_reasons.other_host", raw(eth(dst="02:00:00:00:99:99") / v4())),
    ("vlan_tagged", "pass_reasons.vlan", raw(eth(0x8100) / Dot1Q(vlan=7) / v4())),
    ("arp_garbage", "pass_reasons.arp", raw(eth(0x0806)) + b"\xde\xad" * 14),
    # the ethertype repairs (fixups on on the router's eth0)
    ("ipv4_under_ipv6_ethertype", "counters.fixup_ipv4_in_ipv6+counters.forwarded_ipv4",
     bytes(raw(eth() / v4())[:12]) + b"\x86\xdd" + bytes(raw(eth() / v4())[14:])),
    ("ipv4_under_ipv6_ethertype_bad_checksum", "pass_reasons.fixup_rejected",
     bytes(raw(eth() / v4())[:12]) + b"\x86\xdd" +
     with_ip_bytes(eth() / v4(), lambda ip: ip.__setitem__(slice(10, 12), b"\x12\x34"))[14:]),
    ("ipv6_under_ipv4_ethertype_truncated", "pass_reasons.fixup_rejected",
     bytes(raw(eth(0x86DD) / v6())[:12]) + b"\x08\x00" + bytes(raw(eth(0x86DD) / v6())[14:14 + 30])),
    ("syn_with_huge_data_offset", "counters.forwarded_ipv4",
     raw(eth() / IP(src=SRC_IP, dst=DST_IP, ttl=64) / TCP(sport=1, dport=2, flags="S", dataofs=15))),
]
_ = ARP  # scapy import kept for the arp class' ethertype readers


def main():
    mode = sys.argv[5]
    if mode == "list":
        for name, counter, _ in CLASSES:
            print(name, counter)
        return
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((IFACE, 0))
    sent = {name: 0 for name, _, _ in CLASSES}
    if mode == "exact":
        count = int(sys.argv[6])
        for name, _, frame in CLASSES:
            for i in range(count):
                s.send(frame)
                sent[name] += 1
                if i % 25 == 24:
                    time.sleep(0.02)  # well below the veth ring: nothing lost
            time.sleep(0.05)
    elif mode == "flood":
        frames = [(name, frame) for name, _, frame in CLASSES]
        end = time.time() + float(sys.argv[6])
        send = s.send
        while time.time() < end:
            for _ in range(200):
                for name, frame in frames:
                    try:
                        send(frame)
                    except OSError:
                        continue  # ENOBUFS: the qdisc is full
                    sent[name] += 1
    for name, n in sent.items():
        print(name, n)


if __name__ == "__main__":
    main()
