#!/usr/bin/python3
"""Traffic for the fix-up suite: frames whose ethertype contradicts their IP
version (sent with scapy), a UDP receiver that counts what arrives intact, and
a TCP pair that reports the MSS the server ended up with.

  send KIND IFACE DSTMAC SRC DST PORT COUNT   KIND: v4-in-v6 | v6-in-v4 | v4-in-v6-badsum
  recv FAMILY PORT SECONDS                    prints the datagrams received
  mss-server ADDR PORT                        prints the server's TCP_MAXSEG
  mss-client ADDR PORT
"""
import socket
import sys
import time


def send(kind, iface, dstmac, src, dst, port, count):
    from scapy.all import IP, UDP, Ether, IPv6, Raw, conf, sendp
    conf.verb = 0
    payload = Raw(b"routerd-fixup-test")
    if kind.startswith("v4-in-v6"):
        l3 = IP(src=src, dst=dst, ttl=64) / UDP(sport=40000, dport=port) / payload
        if kind.endswith("badsum"):
            l3 = IP(bytes(l3))
            l3.chksum ^= 0x5555
        frame = Ether(dst=dstmac, type=0x86DD) / l3
    elif kind == "v6-in-v4":
        frame = Ether(dst=dstmac, type=0x0800) / IPv6(src=src, dst=dst, hlim=64) / \
            UDP(sport=40000, dport=port) / payload
    else:
        sys.exit(f"unknown kind {kind}")
    sendp(frame, iface=iface, count=count, inter=0.002)


def recv(family, port, seconds):
    fam = socket.AF_INET6 if family == "6" else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.bind(("::" if fam == socket.AF_INET6 else "0.0.0.0", port))
    s.settimeout(0.2)
    n, deadline = 0, time.time() + seconds
    print("ready", flush=True)
    while time.time() < deadline:
        try:
            data = s.recv(2048)
        except socket.timeout:
            continue
        if data == b"routerd-fixup-test":
            n += 1
    print(n, flush=True)


def mss_server(addr, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    s.listen(1)
    s.settimeout(10)
    print("ready", flush=True)
    c, _ = s.accept()
    print(c.getsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG), flush=True)
    c.close()


def mss_client(addr, port):
    c = socket.create_connection((addr, port), timeout=5)
    time.sleep(0.2)
    c.close()


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "send":
        send(args[0], args[1], args[2], args[3], args[4], int(args[5]), int(args[6]))
    elif cmd == "recv":
        recv(args[0], int(args[1]), float(args[2]))
    elif cmd == "mss-server":
        mss_server(args[0], int(args[1]))
    elif cmd == "mss-client":
        mss_client(args[0], int(args[1]))
    else:
        sys.exit(__doc__)
