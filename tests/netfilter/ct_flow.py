#!/usr/bin/python3
"""Long two-way flows for the conntrack offload suite (t_offload.sh).

  ct_flow.py serve PORT            TCP and UDP echo on PORT (IPv4 and IPv6):
                                   every datagram and every TCP byte comes
                                   back; per TCP connection or UDP peer,
                                   "tcp|udp PEER" is printed; "ready" goes to
                                   stderr once listening
  ct_flow.py udp DST PORT SECONDS [INTERVAL_MS [SPORT]]
  ct_flow.py tcp DST PORT SECONDS [INTERVAL_MS [SPORT]]
                                   one flow: a numbered 1000-byte message
                                   every INTERVAL_MS (default 5), each checked
                                   when it comes back; TCP ends with a clean
                                   close (FIN) and waits for the server's.
                                   Prints "SENT ECHOED CORRUPT MAXGAP_MS
                                   LAST_ECHO END" on one line: LAST_ECHO is
                                   the wall-clock time of the last good echo,
                                   END "ok", "reset", "timeout" or an error.
Both sides give up after 10 s of silence. CT_FLOW_SIZE in the environment
sets the message size (default 1000 bytes).
"""
import hashlib
import os
import select
import socket
import struct
import sys
import time

SIZE = int(os.environ.get("CT_FLOW_SIZE", "1000"))


def payload(seq):
    h = hashlib.sha256(struct.pack("!I", seq)).digest()
    return struct.pack("!I", seq) + (h * (SIZE // 32 + 1))[: SIZE - 4]


def serve(port):
    t = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    t.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    t.bind(("::", port))
    t.listen(16)
    u = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    u.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    u.bind(("::", port))
    print("ready", file=sys.stderr, flush=True)
    conns, peers = [], set()

    def name(addr):
        return addr[7:] if addr.startswith("::ffff:") else addr

    while True:
        ready, _, _ = select.select([t, u] + conns, [], [])
        for s in ready:
            if s is t:
                c, peer = t.accept()
                print("tcp", name(peer[0]), flush=True)
                conns.append(c)
            elif s is u:
                data, peer = u.recvfrom(65536)
                if peer[0] not in peers:
                    peers.add(peer[0])
                    print("udp", name(peer[0]), flush=True)
                u.sendto(data, peer)
            else:
                try:
                    data = s.recv(65536)
                except OSError:
                    data = b""
                if data:
                    s.sendall(data)
                else:
                    s.close()
                    conns.remove(s)


def recv_exact(s, n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            raise EOFError
        buf += chunk
    return buf


def flow(proto, dst, port, seconds, interval, sport):
    fam = socket.AF_INET6 if ":" in dst else socket.AF_INET
    kind = socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM
    s = socket.socket(fam, kind)
    s.settimeout(10)
    if sport:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("::" if fam == socket.AF_INET6 else "0.0.0.0", sport))
    sent = echoed = bad = 0
    last = 0.0
    maxgap = 0.0
    end = "ok"
    try:
        s.connect((dst, port))
        start = prev = time.time()
        while time.time() - start < seconds:
            seq = sent
            s.sendall(payload(seq)) if kind == socket.SOCK_STREAM else s.send(payload(seq))
            sent += 1
            if kind == socket.SOCK_STREAM:
                data = recv_exact(s, SIZE)
            else:
                # a lost datagram is not an error: wait at most a second
                r, _, _ = select.select([s], [], [], 1.0)
                data = s.recv(65536) if r else None
                while data is not None and data[:4] != struct.pack("!I", seq):
                    r, _, _ = select.select([s], [], [], 0.2)
                    data = s.recv(65536) if r else None
            now = time.time()
            if data is not None:
                if data == payload(seq):
                    echoed += 1
                    maxgap = max(maxgap, now - prev)
                    prev = last = now
                else:
                    bad += 1
            time.sleep(interval / 1000.0)
        if kind == socket.SOCK_STREAM:
            s.shutdown(socket.SHUT_WR)  # FIN, then the server's
            if s.recv(1) != b"":
                end = "data after close"
    except ConnectionResetError:
        end = "reset"
    except (socket.timeout, EOFError) as e:
        end = "timeout" if isinstance(e, socket.timeout) else "eof"
    except OSError as e:
        end = (e.strerror or str(e)).replace(" ", "_")
    finally:
        s.close()
    print(sent, echoed, bad, int(maxgap * 1000), "%.3f" % last, end, flush=True)


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        serve(int(sys.argv[2]))
    else:
        flow(sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4]),
             float(sys.argv[5]) if len(sys.argv) > 5 else 5.0,
             int(sys.argv[6]) if len(sys.argv) > 6 else 0)
