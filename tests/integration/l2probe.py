#!/usr/bin/python3
"""ARP and neighbour-discovery probes (scapy), for the integration suites.

  l2probe.py arp IFACE SRC_IP TARGET_IP
      broadcast an ARP who-has TARGET_IP from SRC_IP; print
      "is-at MAC" for each answer, or "none" after 1 s
  l2probe.py ns IFACE SRC_IP6 TARGET_IP6
      send a neighbour solicitation for TARGET_IP6 to its solicited-node
      multicast address; print "na MAC router=R solicited=S" for each
      neighbour advertisement, or "none" after 1 s

Answers are listed in the order they came, one per line.
"""
import sys

from scapy.all import ARP, Ether, conf, get_if_hwaddr, srp
from scapy.layers.inet6 import (ICMPv6ND_NA, ICMPv6ND_NS, ICMPv6NDOptDstLLAddr,
                                ICMPv6NDOptSrcLLAddr, IPv6, in6_getnsma,
                                in6_getnsmac, inet_pton)
import socket

conf.verb = 0


def arp(iface, src, target):
    mac = get_if_hwaddr(iface)
    pkt = Ether(dst="ff:ff:ff:ff:ff:ff", src=mac) / ARP(
        op=1, hwsrc=mac, psrc=src, pdst=target)
    ans, _ = srp(pkt, iface=iface, timeout=1, multi=True)
    out = [f"is-at {r[ARP].hwsrc}" for _, r in ans if r[ARP].op == 2]
    print("\n".join(out) if out else "none")


def ns(iface, src, target):
    mac = get_if_hwaddr(iface)
    nsma = in6_getnsma(inet_pton(socket.AF_INET6, target))
    dst = socket.inet_ntop(socket.AF_INET6, nsma)
    pkt = (Ether(dst=in6_getnsmac(nsma), src=mac) /
           IPv6(src=src, dst=dst, hlim=255) /
           ICMPv6ND_NS(tgt=target) / ICMPv6NDOptSrcLLAddr(lladdr=mac))
    ans, _ = srp(pkt, iface=iface, timeout=1, multi=True)
    out = []
    for _, r in ans:
        if ICMPv6ND_NA not in r:
            continue
        na = r[ICMPv6ND_NA]
        ll = r[ICMPv6NDOptDstLLAddr].lladdr if ICMPv6NDOptDstLLAddr in r else "-"
        out.append(f"na {ll} router={na.R} solicited={na.S}")
    print("\n".join(out) if out else "none")


if __name__ == "__main__":
    a = sys.argv[1:]
    if len(a) == 4 and a[0] == "arp":
        arp(a[1], a[2], a[3])
    elif len(a) == 4 and a[0] == "ns":
        ns(a[1], a[2], a[3])
    else:
        sys.exit(__doc__)
