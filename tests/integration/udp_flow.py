#!/usr/bin/python3
"""Numbered UDP datagrams with a payload check, for the integration suites.

  udp_flow.py recv PORT COUNT      receive (IPv4 or IPv6) until COUNT distinct
                                   datagrams arrived or 2 s passed without
                                   one (10 s before the first); print
                                   "RECEIVED DISTINCT CORRUPT LATE" (LATE:
                                   arrived after a higher number); "ready" goes
                                   to stderr once bound; SIGTERM stops it
                                   early, with the same line
  udp_flow.py send HOST PORT COUNT [BATCH [PAUSE_MS]]
                                   send COUNT datagrams, BATCH at a time
                                   back to back (default: all of them),
                                   PAUSE_MS between batches (default 1)

Every datagram carries its number and 120 bytes derived from it, so a
datagram damaged on the way (a wrong checksum fix-up, a truncated copy)
counts as corrupt, and a duplicate does not count twice.
"""
import hashlib
import signal
import socket
import struct
import sys
import time


def payload(seq):
    h = hashlib.sha256(struct.pack("!I", seq)).digest()
    return struct.pack("!I", seq) + (h * 4)[:120]


class Stop(Exception):
    pass


def _stop(signum, frame):
    raise Stop


def recv(port, count):
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    # root: past rmem_max, so a burst is not lost in the receiver's buffer
    s.setsockopt(socket.SOL_SOCKET, 33, 8 << 20)  # SO_RCVBUFFORCE
    s.bind(("::", port))
    print("ready", file=sys.stderr, flush=True)
    seen, got, bad, late, top = set(), 0, 0, 0, -1
    s.settimeout(10)
    signal.signal(signal.SIGTERM, _stop)
    try:
        while len(seen) < count:
            try:
                data = s.recv(2048)
            except socket.timeout:
                break
            s.settimeout(2)
            got += 1
            if len(data) < 4:
                bad += 1
                continue
            seq = struct.unpack("!I", data[:4])[0]
            if data != payload(seq):
                bad += 1
                continue
            if seq < top:
                late += 1
            top = max(top, seq)
            seen.add(seq)
    except Stop:
        pass
    print(got, len(seen), bad, late, flush=True)


def send(host, port, count, batch, pause_ms):
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    for seq in range(count):
        s.sendto(payload(seq), (host, port))
        if (seq + 1) % batch == 0:
            time.sleep(pause_ms / 1000)


if __name__ == "__main__":
    a = sys.argv[1:]
    if len(a) == 3 and a[0] == "recv":
        recv(int(a[1]), int(a[2]))
    elif 4 <= len(a) <= 6 and a[0] == "send":
        n = int(a[3])
        send(a[1], int(a[2]), n, int(a[4]) if len(a) > 4 else n,
             float(a[5]) if len(a) > 5 else 1)
    else:
        sys.exit(__doc__)
