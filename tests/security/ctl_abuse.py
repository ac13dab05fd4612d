#!/usr/bin/python3
"""Hostile clients for routerd's control socket (tests/security/t_ctl.sh).

Usage: ctl_abuse.py SOCKET SCENARIO [ARGS]

Prints one line per check, "ok - DESC" or "not ok - DESC", followed by
"# detail" lines; the suite turns them into TAP. Scenarios:
  requests          malformed, oversized, truncated, NUL, garbage requests,
                    each on its own connection, against the expected reply
  concurrent N      N clients connected at once, each with a request: all
                    answered
  idle N SECONDS    N clients that connect and say nothing, held open for
                    SECONDS (the suite meanwhile checks that routerctl still
                    gets answers); then: did routerd close them?
  slowloris N SECONDS  N clients trickling one byte of a request every
                    0.2 s; reports when routerd hung up on them
  flood N           N connect+close cycles without a word
"""
import os
import random
import resource
import select
import socket
import sys
import time

SOCK = sys.argv[1]
MAX_REQUEST = 4096


def report(ok, desc, *details):
    print(("ok - " if ok else "not ok - ") + desc)
    for d in details:
        for line in str(d).splitlines() or [""]:
            print("# " + line)
    sys.stdout.flush()


def connect(timeout=10.0):
    """A blocking connect: with a full listen backlog it waits for routerd
    to accept (as routerctl does) instead of failing with EAGAIN."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(SOCK)
    s.settimeout(timeout)
    return s


def exchange(data, shut=True, timeout=5.0):
    """Send data on a fresh connection; return everything routerd sends
    back before it closes (None if it never closes within timeout)."""
    s = connect()
    try:
        s.sendall(data)
    except (BrokenPipeError, ConnectionResetError):
        pass  # routerd answered (and closed) before reading it all
    if shut:
        try:
            s.shutdown(socket.SHUT_WR)
        except OSError:
            pass
    s.settimeout(timeout)
    reply = b""
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            reply += chunk
    except socket.timeout:
        s.close()
        return None
    except ConnectionResetError:
        pass
    s.close()
    return reply


def expect(desc, data, want_prefix, shut=True):
    reply = exchange(data, shut)
    ok = reply is not None and reply.startswith(want_prefix)
    if ok and want_prefix.startswith(b"error:"):
        ok = reply.count(b"\n") == 1 and reply.endswith(b"\n")
    report(ok, desc, *([] if ok else ["sent %d bytes, got %r" % (len(data), reply[:200] if reply else reply)]))


def expect_truncated(desc, data, want_prefix, byte):
    """An error reply that echoes at most 32 bytes (of byte) of what was sent,
    between quotes."""
    reply = exchange(data)
    quoted = reply.split(b"'")[1] if reply and reply.count(b"'") >= 2 else b""
    ok = (reply is not None and reply.startswith(want_prefix) and reply.count(b"\n") == 1 and
          0 < len(quoted) <= 32 and quoted == byte * len(quoted))
    report(ok, desc, *([] if ok else ["got %r" % (reply[:300] if reply else reply)]))


def requests():
    rnd = random.Random(1)
    expect("a good request is answered", b"status\n", b"ok\n")
    expect("10000 bytes without a newline: 'request too long'", b"a" * 10000,
           b"error: request too long")
    expect("a newline only after 5000 bytes: 'request too long'",
           b"status" + b" " * 5000 + b"\n", b"error: request too long")
    expect("a line of exactly %d bytes is still served" % (MAX_REQUEST - 1),
           b"status" + b" " * (MAX_REQUEST - 1 - 6) + b"\n", b"ok\n")
    expect("a line of %d bytes is too long" % MAX_REQUEST,
           b"status" + b" " * (MAX_REQUEST - 6) + b"\n", b"error: request too long")
    expect("truncated request, then close: no reply, no crash", b"stat", b"")
    expect("a whole request without its newline, then close: no reply", b"status", b"")
    expect("nothing at all, then close", b"", b"")
    expect("unknown verb: named in the error", b"frobnicate\n",
           b"error: unknown command 'frobnicate'")
    expect_truncated("a verb of 4000 bytes: an error, echoing at most 32 bytes of it",
                     b"x" * 4000 + b"\n", b"error: unknown command 'xxxx", b"x")
    expect_truncated("a bad argument of 4000 bytes to stats: echoing at most 32 bytes of it",
                     b"stats " + b"y" * 4000 + b"\n", b"error: stats: unknown argument 'yyyy", b"y")
    expect("NUL bytes: 'request contains a NUL byte'", b"stat\0us\n",
           b"error: request contains a NUL byte")
    expect("only NUL bytes", b"\0" * 100 + b"\n", b"error: request contains a NUL byte")
    expect("an empty line: 'empty request'", b"\n", b"error: empty request")
    expect("blanks only", b" \t \t\n", b"error: empty request")
    expect("too many words", b"stats" + b" -s" * 40 + b"\n", b"error: too many arguments")
    expect("arguments to a verb that takes none", b"status now please\n",
           b"error: status takes no arguments")
    expect("a bad argument to stats", b"stats --all\n", b"error: stats: unknown argument")
    expect("CR LF line end", b"status\r\n", b"error: unknown command 'status\r'")
    expect("10000 requests pipelined on one connection: the first is served",
           b"status\n" * 10000, b"ok\n")
    for i in range(20):
        junk = bytes(rnd.choice(range(1, 256)) for _ in range(rnd.randint(1, 300)))
        junk = junk.replace(b"\n", b"").replace(b"\0", b"") or b"?"
        if junk.split()[0:1] in ([b"status"], [b"stats"], [b"interfaces"], [b"neigh"],
                                 [b"fdb"], [b"fixups"], [b"reload"], [b"-j"]):
            continue
        want = b"error: " if junk.strip(b" \t") else b"error: empty request"
        expect("garbage bytes #%d (%d bytes): an error reply" % (i, len(junk)),
               junk + b"\n", want)
    # a client that sends a request and never reads: routerd must not wait
    s = connect()
    s.sendall(b"status\n")
    time.sleep(0.2)
    s.close()
    expect("after a client that never read its reply, the next is served", b"status\n", b"ok\n")


def raise_nofile(n):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = max(soft, n + 64)
    if hard != resource.RLIM_INFINITY and want > hard:
        want = hard
    resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))


def concurrent(n):
    raise_nofile(n)
    socks = []
    t0 = time.time()
    failed = []
    for i in range(n):
        try:
            s = connect(timeout=10)
            s.sendall(b"status\n")
            socks.append(s)
        except OSError as e:
            failed.append("client %d: %s" % (i, e))
    answered = 0
    bad = []
    deadline = time.time() + 30
    pending = {s.fileno(): [s, b""] for s in socks}
    while pending and time.time() < deadline:
        r, _, _ = select.select(list(pending), [], [], 1.0)
        for fd in r:
            s, buf = pending[fd]
            try:
                chunk = s.recv(65536)
            except OSError:
                chunk = b""
            if chunk:
                pending[fd][1] += chunk
                continue
            if buf.startswith(b"ok\n"):
                answered += 1
            else:
                bad.append(buf[:80])
            s.close()
            del pending[fd]
    took = time.time() - t0
    report(answered == n, "%d clients at once, each with a request: all answered" % n,
           "answered %d/%d in %.1f s; connect failures %d; bad replies %d; unanswered %d"
           % (answered, n, took, len(failed), len(bad), len(pending)),
           *(failed[:3] + [repr(b) for b in bad[:3]]))


def idle(n, seconds):
    raise_nofile(n)
    socks = []
    for i in range(n):
        try:
            socks.append(connect(timeout=10))
        except OSError as e:
            report(False, "%d idle clients connect" % n, "client %d: %s" % (i, e))
            break
    else:
        report(True, "%d idle clients connected" % n)
    print("READY", flush=True)
    time.sleep(seconds)
    closed = 0
    for s in socks:
        s.setblocking(False)
        try:
            closed += s.recv(1) == b""
        except BlockingIOError:
            pass
        except OSError:
            closed += 1
        s.close()
    report(closed == len(socks),
           "routerd hung up on the idle clients within %.0f s" % seconds,
           "%d of %d closed by routerd" % (closed, len(socks)))


def slowloris(n, seconds):
    raise_nofile(n)
    socks = [connect() for _ in range(n)]
    print("READY", flush=True)
    start = time.time()
    payload = b"status" + b" " * 4000
    pos = 0
    hung_up = {}
    while time.time() - start < seconds and len(hung_up) < n:
        for i, s in enumerate(socks):
            if i in hung_up:
                continue
            try:
                s.send(payload[pos:pos + 1])
                s.setblocking(False)
                try:
                    if s.recv(1) == b"":
                        hung_up[i] = time.time() - start
                except BlockingIOError:
                    pass
                s.setblocking(True)
            except OSError:
                hung_up[i] = time.time() - start
        pos += 1
        time.sleep(0.2)
    worst = max(hung_up.values()) if hung_up else None
    report(len(hung_up) == n,
           "routerd hung up on %d slowloris clients (one byte every 0.2 s)" % n,
           "%d of %d hung up on, the last after %s s" %
           (len(hung_up), n, "%.1f" % worst if worst is not None else "-"))
    for s in socks:
        s.close()


def flood(n):
    t0 = time.time()
    errors = 0
    for _ in range(n):
        try:
            connect(timeout=5).close()
        except OSError:
            errors += 1
    report(errors == 0, "%d connect+close cycles without a word" % n,
           "%.1f s, %d connect errors" % (time.time() - t0, errors))


def main():
    scenario = sys.argv[2]
    if scenario == "requests":
        requests()
    elif scenario == "concurrent":
        concurrent(int(sys.argv[3]))
    elif scenario == "idle":
        idle(int(sys.argv[3]), float(sys.argv[4]))
    elif scenario == "slowloris":
        slowloris(int(sys.argv[3]), float(sys.argv[4]))
    elif scenario == "flood":
        flood(int(sys.argv[3]))
    else:
        sys.exit("unknown scenario " + scenario)


if __name__ == "__main__":
    main()
