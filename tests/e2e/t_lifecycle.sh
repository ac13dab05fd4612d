#!/usr/bin/env bash
# routerd's error handling and lifecycle, as the product contract states it:
# bad input leaves the interfaces untouched and says what is wrong; one
# instance per socket/pin dir; a stale socket is replaced; SIGTERM detaches
# without loss; kill -9 keeps forwarding and a restart adopts the program
# (same id, counters continue); two instances side by side in two
# namespaces; routerctl errors; garbage on the control socket.
set -uo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

P=rdl$$
R=$P-r H1=$P-h1
SOCK=$(lab_sock "$P" r)
PIN=$(lab_pin_dir "$P" r)

e2e_init
e2e_lab basic "$P"
e2e_diag "lab basic, prefix $P; routerd $ROUTERD"
e2e_ping "$H1" 198.18.2.2 2 0.05 >/dev/null
e2e_ping "$H1" 2001:db8:2::2 2 0.05 >/dev/null

# routerd in r's namespace in the foreground, bounded; output in $out, status in $rc
rd_run() {
	out=$(timeout "${RD_RUN_TIMEOUT:-10}" nsenter --net="/run/netns/$R" "$ROUTERD" -f "$@" 2>&1)
	rc=$?
}

# expect_in DESC TEXT NEEDLE...: ok when TEXT contains every NEEDLE
expect_in() {
	local desc=$1 text=$2 n
	shift 2
	for n in "$@"; do
		if [[ $text != *"$n"* ]]; then
			e2e_fail "$desc" "expected the message to contain: $n" "message: ${text:0:500}"
			return 1
		fi
	done
	tap_ok "$desc"
}

# exits_nonzero DESC: on $rc of the last rd_run
exits_nonzero() {
	if [ "$rc" -ne 0 ] && [ "$rc" -ne 124 ]; then tap_ok "$1 (exit $rc)"
	elif [ "$rc" -eq 124 ]; then e2e_fail "$1" "routerd did not exit: it started and ran until timeout stopped it" "${out:0:400}"
	else e2e_fail "$1" "exit status 0" "${out:0:400}"; fi
}

no_link_pins() {
	local f
	f=$(ls "$1"/xdp_link_* 2>/dev/null)
	[ -z "$f" ] || { echo "pinned XDP links left: $f"; return 1; }
}

# ---------------------------------------------------------------------------
# configuration check, privileges, bad interface, pin dir off bpffs
cat >"$E2E_TMP/good.conf" <<'EOF'
# a comment
interface eth0
interface eth1 mode auto fixups off
EOF
cat >"$E2E_TMP/bad.conf" <<'EOF'
# a comment
interface eth0
interface eth1 mode turbo
EOF
out=$("$ROUTERD" --check-config -c "$E2E_TMP/good.conf" 2>&1)
rc=$?
tap_cmp "--check-config accepts a good file" "$rc" -eq 0
out=$("$ROUTERD" --check-config -c "$E2E_TMP/bad.conf" 2>&1)
rc=$?
exits_nonzero "--check-config rejects a bad line"
expect_in "--check-config names FILE:LINE of the bad line" "$out" "$E2E_TMP/bad.conf:3"

# root without capabilities (empty bounding set): a missing privilege
out=$(timeout 10 nsenter --net="/run/netns/$R" setpriv --inh-caps=-all --ambient-caps=-all \
	--bounding-set=-all "$ROUTERD" -f --socket "$E2E_TMP/nocap.sock" --pin-dir "$PIN-nocap" \
	-i eth0 2>&1)
rc=$?
exits_nonzero "without capabilities routerd refuses to start"
expect_in "the missing privilege is named" "$out" "CAP_"
tap_check "without capabilities: nothing attached to eth0" e2e_no_xdp "$R" eth0

rd_run --socket "$SOCK" --pin-dir "$PIN" -i eth0 -i bogus0
exits_nonzero "unknown interface: routerd refuses to start"
expect_in "unknown interface: the message names it" "$out" bogus0
tap_check "unknown interface in '-i eth0 -i bogus0': eth0 and eth1 untouched (no XDP)" \
	e2e_no_xdp "$R" eth0 eth1
tap_check "unknown interface: no pinned XDP link left" no_link_pins "$PIN"

mkdir -p "$E2E_TMP/notbpf"
rd_run --socket "$SOCK" --pin-dir "$E2E_TMP/notbpf/pins" -i eth0 -i eth1
exits_nonzero "pin dir not on bpffs: routerd refuses to start"
expect_in "pin dir not on bpffs: the message gives the path and the mount -t bpf fix" \
	"$out" "$E2E_TMP/notbpf" "mount -t bpf"
tap_check "pin dir not on bpffs: eth0 and eth1 untouched" e2e_no_xdp "$R" eth0 eth1

# a pin dir on a bpffs mounted somewhere else than /sys/fs/bpf works
mkdir -p "$E2E_TMP/bpffs"
if mount -t bpf bpf "$E2E_TMP/bpffs"; then
	if rd_start "$R" "$E2E_TMP/alt.sock" "$E2E_TMP/bpffs/r" eth0 eth1 2>"$E2E_TMP/err"; then
		tap_ok "pin dir on a bpffs mounted at $E2E_TMP/bpffs works"
		rd_stop "$RD_PID"
		tap_cmp "... and SIGTERM stops it with exit 0" "$?" -eq 0
	else
		e2e_fail "pin dir on a bpffs mounted at $E2E_TMP/bpffs works" "$(cat "$E2E_TMP/err")"
		[ -n "$RD_PID" ] && E2E_PIDS+=("$RD_PID") && rd_stop "$RD_PID"
	fi
	umount "$E2E_TMP/bpffs"
else
	tap_skip "pin dir on a bpffs mounted elsewhere" "cannot mount bpffs at $E2E_TMP/bpffs"
fi
tap_check "interfaces clean before the lifecycle tests" e2e_no_xdp "$R" eth0 eth1

# ---------------------------------------------------------------------------
# one instance, then a second one on the same paths
if rd_start "$R" "$SOCK" "$PIN" eth0 eth1 2>"$E2E_TMP/err"; then
	PID1=$RD_PID
	E2E_PIDS+=("$PID1")
	tap_ok "routerd starts (pid $PID1)"
else
	e2e_bail "routerd starts on r" "$(cat "$E2E_TMP/err")"
fi
ID=$(xdp_id "$R" eth0)
st_id=$("$ROUTERCTL" -s "$SOCK" -j status | jq -r '.interfaces[0].program_id')
if [ -n "$ID" ] && [ "$(xdp_id "$R" eth1)" = "$ID" ] && [ "$st_id" = "$ID" ]; then
	tap_ok "XDP program $ID on eth0 and eth1, as routerctl status says"
else
	e2e_fail "XDP program on eth0 and eth1 as routerctl status says" \
		"ip link: eth0 '$ID' eth1 '$(xdp_id "$R" eth1)'; routerctl: '$st_id'"
fi

rd_run --socket "$SOCK" --pin-dir "$PIN" -i eth0 -i eth1
exits_nonzero "second instance on the same socket and pin dir is refused"
expect_in "second instance: the message names the socket" "$out" "$SOCK"
pid=$("$ROUTERCTL" -s "$SOCK" -j status 2>/dev/null | jq -r .pid)
tap_cmp "second instance: the first one still answers" "${pid:-0}" -eq "$PID1"
tap_check "second instance: XDP still attached on eth0 and eth1" \
	test "$(xdp_id "$R" eth0)/$(xdp_id "$R" eth1)" = "$ID/$ID"

# Same pin dir, another socket: the same maps and links, so the same
# "already running" refusal; accepting it lets the second instance detach
# the first one's XDP when it stops.
RD_RUN_TIMEOUT=3 rd_run --socket "$(lab_run_dir "$P")/other.sock" --pin-dir "$PIN" -i eth0 -i eth1
exits_nonzero "second instance on the same pin dir (another socket) is refused"
if [ "$rc" -ne 0 ] && [ "$rc" -ne 124 ]; then
	expect_in "second instance on the same pin dir: the message names the pin dir" "$out" "$PIN"
else
	e2e_fail "second instance on the same pin dir: the message names the pin dir" "it started"
fi
if [ "$(xdp_id "$R" eth0)/$(xdp_id "$R" eth1)" != "$ID/$ID" ] || ! _lab_alive "$PID1"; then
	e2e_diag "the first instance lost its XDP programs: restarting it"
	rd_stop "$PID1"
	rm -rf "$PIN"
	rd_start "$R" "$SOCK" "$PIN" eth0 eth1 || e2e_bail "routerd restarts"
	PID1=$RD_PID
	E2E_PIDS+=("$PID1")
	ID=$(xdp_id "$R" eth0)
fi

f0=$(rd_counter "$SOCK" forwarded_ipv4)
e2e_check_ping "first instance forwards" "$H1" 198.18.2.2 20 0.01
tap_cmp "first instance counts what it forwards" $(($(rd_counter "$SOCK" forwarded_ipv4) - ${f0:-0})) -ge 40

# ---------------------------------------------------------------------------
# routerctl errors and garbage on the socket
out=$("$ROUTERCTL" -s "$E2E_TMP/missing.sock" status 2>&1)
rc=$?
tap_cmp "routerctl against a missing socket exits 1" "$rc" -eq 1
expect_in "routerctl against a missing socket names it" "$out" "$E2E_TMP/missing.sock"
out=$("$ROUTERCTL" -s "$SOCK" bogus 2>&1)
rc=$?
tap_cmp "routerctl bogus exits 1" "$rc" -eq 1
expect_in "routerctl bogus: routerd's error names the command" "$out" "unknown command" bogus

garbage=$(/usr/bin/python3 - "$SOCK" <<'EOF'
import socket, sys, time
path = sys.argv[1]
def ask(payload, close_write=False):
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(5)
    s.connect(path)
    s.sendall(payload)
    if close_write:
        s.shutdown(socket.SHUT_WR)
    data = b""
    try:
        while True:
            d = s.recv(4096)
            if not d:
                break
            data += d
    except OSError as e:
        data += b"<" + str(e).encode() + b">"
    s.close()
    return data.decode(errors="replace").split("\n")[0]
# a silent client holding a connection must not block anyone else
idle = socket.socket(socket.AF_UNIX); idle.connect(path); idle.sendall(b"sta")
print("long:", ask(b"x" * 5000))
print("binary:", ask(bytes(range(1, 256)) * 4 + b"\n"))
print("nul:", ask(b"status\0junk\n"))
print("empty:", ask(b"\n"))
t = time.time()
print("status:", ask(b"status\n"))
print("slow:", "yes" if time.time() - t > 1 else "no")
idle.close()
EOF
)
e2e_diag "replies to garbage:" "$(echo "$garbage" | cut -c1-120 | sed 's/^/  /')"
for k in long binary nul empty; do
	line=$(echo "$garbage" | grep "^$k: ")
	expect_in "garbage ($k) on the socket gets an error reply" "$line" "$k: error:"
done
expect_in "a silent client does not block a status request" "$(echo "$garbage" | grep -E '^(status|slow): ')" \
	"status: ok" "slow: no"
tap_check "routerd survives the garbage (still running, answers)" \
	bash -c "kill -0 $PID1 && '$ROUTERCTL' -s '$SOCK' status"

# ---------------------------------------------------------------------------
# kill -9 under continuous ping: XDP keeps forwarding, the socket is stale,
# a restart adopts the program (same id) and the counters continue. Once
# routerd has been silent for a second the program hands each nexthop's
# first packet of every 500 ms to the kernel (neigh_recheck,
# bpf/lib/unattended.h), and, under the default netfilter auto, every
# routed packet (netfilter: a rule added meanwhile would go unseen).
f4=$(rd_counter "$SOCK" forwarded_ipv4) f6=$(rd_counter "$SOCK" forwarded_ipv6)
nr0=$("$ROUTERCTL" -s "$SOCK" -j stats | jq '[.interfaces[].pass_reasons.neigh_recheck] | add')
nf0=$("$ROUTERCTL" -s "$SOCK" -j stats | jq '[.interfaces[].pass_reasons.netfilter] | add')
k4=$(kfwd4 "$R") k6=$(kfwd6 "$R")
NP=800
ip netns exec "$H1" ping -q -n -i 0.005 -c $NP -W 1 198.18.2.2 >"$E2E_TMP/ping4" 2>&1 &
ping4=$!
ip netns exec "$H1" ping -q -n -i 0.005 -c $NP -W 1 2001:db8:2::2 >"$E2E_TMP/ping6" 2>&1 &
ping6=$!
E2E_PIDS+=("$ping4" "$ping6")
sleep 1
kill -KILL "$PID1"
wait "$PID1" 2>/dev/null
tap_check "after kill -9: XDP program $ID still attached on eth0 and eth1" \
	test "$(xdp_id "$R" eth0)/$(xdp_id "$R" eth1)" = "$ID/$ID"
tap_check "after kill -9: the socket file is left behind (stale)" test -S "$SOCK"
out=$("$ROUTERCTL" -s "$SOCK" status 2>&1)
rc=$?
tap_cmp "after kill -9: routerctl status fails" "$rc" -eq 1
sleep 1
if rd_start "$R" "$SOCK" "$PIN" eth0 eth1 2>"$E2E_TMP/err"; then
	PID2=$RD_PID
	E2E_PIDS+=("$PID2")
	tap_ok "restart after kill -9 replaces the stale socket and answers (pid $PID2)"
else
	e2e_fail "restart after kill -9 replaces the stale socket and answers" "$(cat "$E2E_TMP/err")"
	PID2=
fi
tap_cmp "after the restart: forwarded_ipv4 not reset (was $f4 before kill -9)" \
	"$(rd_counter "$SOCK" forwarded_ipv4 || echo 0)" -ge "$f4"
tap_check "after the restart: the same XDP program $ID on eth0 and eth1 (not re-attached)" \
	test "$(xdp_id "$R" eth0)/$(xdp_id "$R" eth1)" = "$ID/$ID"
st=$("$ROUTERCTL" -s "$SOCK" -j status 2>/dev/null)
tap_check "after the restart: routerctl status says the links were adopted" \
	test "$(echo "$st" | jq -c '[.interfaces[].adopted]')" = "[true,true]"
timeout 20 tail --pid="$ping4" -f /dev/null
timeout 20 tail --pid="$ping6" -f /dev/null
for fam in 4 6; do
	read -r tx rx <<<"$(e2e_ping_parse "$(cat "$E2E_TMP/ping$fam")")"
	tap_cmp "IPv$fam ping across kill -9 and restart: no loss ($rx/$tx)" "$rx" -eq $NP
done
d4=$(($(rd_counter "$SOCK" forwarded_ipv4) - f4))
d6=$(($(rd_counter "$SOCK" forwarded_ipv6) - f6))
nr=$(($("$ROUTERCTL" -s "$SOCK" -j stats | jq '[.interfaces[].pass_reasons.neigh_recheck] | add') - nr0))
nf=$(($("$ROUTERCTL" -s "$SOCK" -j stats | jq '[.interfaces[].pass_reasons.netfilter] | add') - nf0))
e2e_diag "across kill -9: forwarded v4 $d4 v6 $d6, neigh_recheck $nr, netfilter $nf"
# every ping of the window went through XDP, dead daemon or not, but for
# those handed to the kernel once routerd was silent, and the counters were
# not reset by the restart
tap_cmp "while routerd was dead, at most 5% went to the kernel to re-check their nexthop" \
	"$nr" -lt $((4 * NP * 5 / 100))
tap_cmp "forwarded continued across kill -9 and restart (XDP, or the kernel once silent)" \
	$((d4 + d6 + nr + nf)) -ge $((4 * NP))
tap_cmp "forwarded_ipv4 continued across kill -9 and restart" $((d4 + nr + nf)) -ge $((2 * NP))
tap_cmp "forwarded_ipv6 continued across kill -9 and restart" $((d6 + nr + nf)) -ge $((2 * NP))
tap_cmp "while routerd was dead the kernel forwarded only what XDP handed it" \
	$(($(kfwd4 "$R") - k4 + $(kfwd6 "$R") - k6)) -le $((nr + nf + 4 * NP * 5 / 100))

# ---------------------------------------------------------------------------
# SIGTERM under continuous ping: exit 0, XDP detached, pins and socket gone,
# no loss (the kernel takes over).
if [ -n "${PID2:-}" ]; then
	NP=600
	ip netns exec "$H1" ping -q -n -i 0.005 -c $NP -W 1 198.18.2.2 >"$E2E_TMP/ping4" 2>&1 &
	ping4=$!
	ip netns exec "$H1" ping -q -n -i 0.005 -c $NP -W 1 2001:db8:2::2 >"$E2E_TMP/ping6" 2>&1 &
	ping6=$!
	E2E_PIDS+=("$ping4" "$ping6")
	sleep 1
	rd_stop "$PID2"
	tap_cmp "SIGTERM: routerd exits with status 0" "$?" -eq 0
	tap_check "SIGTERM: XDP detached from eth0 and eth1" e2e_no_xdp "$R" eth0 eth1
	tap_check "SIGTERM: pins removed" bash -c "! ls -A '$PIN' 2>/dev/null | grep -q ."
	tap_check "SIGTERM: socket removed" test ! -e "$SOCK"
	timeout 20 tail --pid="$ping4" -f /dev/null
	timeout 20 tail --pid="$ping6" -f /dev/null
	for fam in 4 6; do
		read -r tx rx <<<"$(e2e_ping_parse "$(cat "$E2E_TMP/ping$fam")")"
		tap_cmp "IPv$fam ping across SIGTERM: no loss ($rx/$tx)" "$rx" -eq $NP
	done
	k4=$(kfwd4 "$R")
	e2e_check_ping "after SIGTERM: IPv4 ping h1 -> h2" "$H1" 198.18.2.2 20 0.01
	e2e_check_ping "after SIGTERM: IPv6 ping h1 -> h2" "$H1" 2001:db8:2::2 20 0.01
	tap_cmp "after SIGTERM: the kernel forwards again" $(($(kfwd4 "$R") - k4)) -ge 40
else
	e2e_fail "SIGTERM tests" "no routerd running (restart failed above)"
fi

# ---------------------------------------------------------------------------
# two instances in two namespaces (chain: h1 -- r1 -- r2 -- h2)
C=${P}c
e2e_lab chain "$C"
S1=$(lab_sock "$C" r1) S2=$(lab_sock "$C" r2)
if rd_start "$C-r1" "$S1" "$(lab_pin_dir "$C" r1)" eth0 eth1 2>"$E2E_TMP/err"; then
	A=$RD_PID
	E2E_PIDS+=("$A")
	tap_ok "chain: routerd on r1 ($S1)"
else
	e2e_fail "chain: routerd on r1" "$(cat "$E2E_TMP/err")"
	A=
fi
if rd_start "$C-r2" "$S2" "$(lab_pin_dir "$C" r2)" eth0 eth1 2>"$E2E_TMP/err"; then
	B=$RD_PID
	E2E_PIDS+=("$B")
	tap_ok "chain: routerd on r2 ($S2) side by side"
else
	e2e_fail "chain: routerd on r2 side by side" "$(cat "$E2E_TMP/err")"
	B=
fi
tap_cmp "chain: each socket answers for its own instance" \
	"$("$ROUTERCTL" -s "$S1" -j status 2>/dev/null | jq -r .pid)/$("$ROUTERCTL" -s "$S2" -j status 2>/dev/null | jq -r .pid)" \
	= "$A/$B"
e2e_ping "$C-h1" 198.18.2.2 2 0.05 >/dev/null   # neighbours resolved first
e2e_ping "$C-h1" 2001:db8:2::2 2 0.05 >/dev/null
a4=$(rd_counter "$S1" forwarded_ipv4) b4=$(rd_counter "$S2" forwarded_ipv4)
a6=$(rd_counter "$S1" forwarded_ipv6) b6=$(rd_counter "$S2" forwarded_ipv6)
k1=$(kfwd4 "$C-r1") k2=$(kfwd4 "$C-r2")
e2e_check_ping "chain: IPv4 ping h1 -> h2 through both" "$C-h1" 198.18.2.2 200 0.005
e2e_check_ping "chain: IPv6 ping h1 -> h2 through both" "$C-h1" 2001:db8:2::2 200 0.005
tap_cmp "chain: r1's routerd forwarded IPv4" $(($(rd_counter "$S1" forwarded_ipv4) - ${a4:-0})) -ge 400
tap_cmp "chain: r2's routerd forwarded IPv4" $(($(rd_counter "$S2" forwarded_ipv4) - ${b4:-0})) -ge 400
tap_cmp "chain: r1's routerd forwarded IPv6" $(($(rd_counter "$S1" forwarded_ipv6) - ${a6:-0})) -ge 400
tap_cmp "chain: r2's routerd forwarded IPv6" $(($(rd_counter "$S2" forwarded_ipv6) - ${b6:-0})) -ge 400
tap_cmp "chain: r1's kernel barely forwarded" $(($(kfwd4 "$C-r1") - k1)) -lt 20
tap_cmp "chain: r2's kernel barely forwarded" $(($(kfwd4 "$C-r2") - k2)) -lt 20
if [ -n "$A" ]; then
	rd_stop "$A"
	tap_cmp "chain: SIGTERM stops r1's routerd with status 0" "$?" -eq 0
fi
tap_check "chain: r1 detached, r2 still attached" \
	bash -c "[ -z \"\$(ip -n $C-r1 -j link show eth0 | jq -r '.[0].xdp.prog.id // empty')\" ] &&
		[ -n \"\$(ip -n $C-r2 -j link show eth0 | jq -r '.[0].xdp.prog.id // empty')\" ]"
tap_check "chain: r2's routerd unaffected, still answers" "$ROUTERCTL" -s "$S2" status
if [ -n "$B" ]; then
	rd_stop "$B"
	tap_cmp "chain: SIGTERM stops r2's routerd with status 0" "$?" -eq 0
fi

tap_done
