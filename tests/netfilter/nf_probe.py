#!/usr/bin/env python3
"""TCP probes for the netfilter suite.

  nf_probe.py listen PORT...       accept on every PORT (IPv4 and IPv6); per
                                   connection print "PORT PEER" and answer "ok"
  nf_probe.py connect DST PORT     one connection, 1 s at most; prints
                                   "connected", "timeout", "refused" or the error
"""
import select
import socket
import sys


def listen(ports):
    socks = []
    for port in ports:
        s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        s.bind(("::", port))
        s.listen(64)
        socks.append(s)
    print("ready", file=sys.stderr, flush=True)
    while True:
        ready, _, _ = select.select(socks, [], [])
        for s in ready:
            c, peer = s.accept()
            addr = peer[0]
            if addr.startswith("::ffff:"):
                addr = addr[7:]
            print(s.getsockname()[1], addr, flush=True)
            try:
                c.sendall(b"ok\n")
            finally:
                c.close()


def connect(dst, port):
    try:
        s = socket.create_connection((dst, port), timeout=1)
        data = s.recv(16)
        s.close()
        print("connected" if data.startswith(b"ok") else "no answer")
    except socket.timeout:
        print("timeout")
    except ConnectionRefusedError:
        print("refused")
    except OSError as e:
        print(e.strerror or str(e))


if __name__ == "__main__":
    if sys.argv[1] == "listen":
        listen([int(p) for p in sys.argv[2:]])
    else:
        connect(sys.argv[2], int(sys.argv[3]))
