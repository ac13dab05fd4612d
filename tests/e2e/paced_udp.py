#!/usr/bin/python3
"""A UDP flow at a fixed packet rate, for the rate checks of t_operator.sh.

  paced_udp.py HOST PORT RATE SECONDS PAYLOAD [TTL]

sends RATE datagrams a second of PAYLOAD bytes each for SECONDS seconds on
an absolute schedule: a sender that was descheduled catches up at once, so
every second of the flow carries RATE datagrams, give or take the ones
around the window's edges. Prints how many it sent and in how long.
"""
import socket
import sys
import time


def main():
    host, port, rate, secs, size = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), \
        float(sys.argv[4]), int(sys.argv[5])
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    if len(sys.argv) > 6:
        ttl = int(sys.argv[6])
        if fam == socket.AF_INET:
            s.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, ttl)
        else:
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_UNICAST_HOPS, ttl)
    data = bytes(size)
    start = time.monotonic()
    n, total = 0, int(rate * secs)
    while n < total:
        due = start + n / rate
        now = time.monotonic()
        if due > now:
            time.sleep(due - now)
        s.sendto(data, (host, port))
        n += 1
    print(n, round(time.monotonic() - start, 3), flush=True)


main()
