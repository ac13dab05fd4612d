#!/usr/bin/python3
"""TCP transfer with an integrity check, for the e2e suites.

  tcp_xfer.py serve PORT        accept one connection (IPv4 or IPv6), read to
                                EOF, print "BYTES SHA256"; "ready" goes to
                                stderr once listening
  tcp_xfer.py send HOST PORT N  send N pseudo-random bytes, print "N SHA256"

Both give up after 30 s of silence, so a broken path fails instead of hanging.
"""
import hashlib
import random
import socket
import sys

TIMEOUT = 30
CHUNK = 1 << 16


def serve(port):
    srv = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    srv.bind(("::", port))
    srv.listen(1)
    srv.settimeout(TIMEOUT)
    print("ready", file=sys.stderr, flush=True)
    conn, _ = srv.accept()
    conn.settimeout(TIMEOUT)
    h, n = hashlib.sha256(), 0
    while True:
        data = conn.recv(CHUNK)
        if not data:
            break
        h.update(data)
        n += len(data)
    conn.close()
    print(n, h.hexdigest(), flush=True)


def send(host, port, total):
    rng = random.Random(42)
    h, sent = hashlib.sha256(), 0
    with socket.create_connection((host, port), timeout=TIMEOUT) as s:
        while sent < total:
            data = rng.randbytes(min(CHUNK, total - sent))
            s.sendall(data)
            h.update(data)
            sent += len(data)
        s.shutdown(socket.SHUT_WR)
        s.recv(1)  # wait for the peer to close: everything was read
    print(sent, h.hexdigest(), flush=True)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "serve":
        serve(int(sys.argv[2]))
    elif len(sys.argv) == 5 and sys.argv[1] == "send":
        send(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    else:
        sys.exit(__doc__)
