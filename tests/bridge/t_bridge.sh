#!/usr/bin/env bash
# Bridging VM traffic in the driver: lab "bridge" (vm1, vm2 on veth, vm3 on
# a tap, all on br0 in r; h2 routed behind r) with routerd on the bridge
# ports and the uplink. Pings and TCP between the VMs must be bridged in
# XDP (the `bridged` counter) while the kernel bridge forwards none of it,
# and routed VM <-> h2 traffic forwarded in XDP both ways;
# the FDB stays alive under a 3 s ageing time only because routerd
# refreshes it; a MAC that moves, isolated ports, a port leaving the bridge
# and an STP-blocked port (a second bridge br1 looped to a switch sw) all
# behave as with the kernel bridge alone; after kill -9 the kernel bridge
# takes over until a new routerd adopts the maps.
set -uo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../e2e/common.sh"

P=rdbr$$
R=$P-r VM1=$P-vm1 VM2=$P-vm2 VM3=$P-vm3 H2=$P-h2 SW=$P-sw H4=$P-h4
SOCK=$(lab_sock "$P" r) PIN=$(lab_pin_dir "$P" r)
MAC1=$(lab_vm_mac 1) MAC2=$(lab_vm_mac 2) MAC3=$(lab_vm_mac 3)
N=200

e2e_init
e2e_lab bridge "$P"
e2e_diag "lab bridge, prefix $P; routerd $ROUTERD"

ctl() { "$ROUTERCTL" -s "$SOCK" "$@"; }
# fdb_port MAC: the port routerd's mirror has for MAC (empty: none)
fdb_port() { ctl -j fdb 2>/dev/null | jq -r --arg m "$1" '.[] | select(.mac == $m) | .port'; }
# kernel_fdb MAC: "USED UPDATED" seconds ago, from bridge -s fdb (empty: gone)
kernel_fdb() {
	ip netns exec "$R" bridge -s fdb show br br0 |
		awk -v m="$1" '$1 == m { for (i = 1; i < NF; i++) if ($i == "used") { split($(i + 1), t, "/"); print t[1], t[2] } }'
}
xdp_xmit() { ip netns exec "$R" ethtool -S "$1" | awk '/tx_queue_0_xdp_xmit:/ { print $2 }'; }
pass_reason() {
	ctl -j stats | jq -r --arg i "$2" --arg k "$1" '.interfaces[] | select(.name == $i) | .pass_reasons[$k]'
}

# --- STP: br1 in r, looped twice to switch sw (the root); h4 behind sw ----
_lab_node "$P" sw router && _lab_node "$P" h4 host &&
	_lab_link "$P" r s0 sw e0 && _lab_link "$P" r s1 sw e1 && _lab_link "$P" sw e2 h4 eth0 ||
	e2e_bail "STP part of the lab comes up"
STP_OPTS=(stp_state 1 forward_delay 200 hello_time 100 max_age 600)
ip -n "$SW" link add name swbr type bridge "${STP_OPTS[@]}" priority 4096 &&
	ip -n "$R" link add name br1 type bridge "${STP_OPTS[@]}" priority 61440 &&
	for i in e0 e1 e2; do ip -n "$SW" link set $i master swbr; done &&
	ip -n "$R" link set s0 master br1 && ip -n "$R" link set s1 master br1 &&
	ip -n "$SW" link set swbr up && ip -n "$R" link set br1 up &&
	ip -n "$R" addr add 198.18.9.1/24 dev br1 && ip -n "$H4" addr add 198.18.9.4/24 dev eth0 ||
	e2e_bail "STP bridges configured"

# --- kernel only: the kernel bridge forwards, its FDB entries are "used" --
e2e_ping "$VM1" 198.18.1.12 3 0.05 >/dev/null
e2e_ping "$VM1" 198.18.1.13 3 0.05 >/dev/null
e2e_ping "$VM2" 198.18.1.13 3 0.05 >/dev/null
e2e_check_ping "kernel only: $N pings vm1 -> vm2" "$VM1" 198.18.1.12 $N 0.02
read -r used _ <<<"$(kernel_fdb "$MAC2")"
tap_cmp "kernel only: the bridge forwarded to vm2 (its FDB entry used ${used:-?}s ago)" \
	"${used:-99}" -le 1

# --- routerd on the bridge ports and the uplink ---------------------------
if rd_start "$R" "$SOCK" "$PIN" eth0 eth1 tap0 eth2 s0 s1 2>"$E2E_TMP/start.err"; then
	E2E_PIDS+=("$RD_PID")
	tap_ok "routerd starts on r's bridge ports (veth and tap) and uplink"
else
	e2e_bail "routerd starts on r's bridge ports and uplink" "$(cat "$E2E_TMP/start.err")"
fi
ids=$(for i in eth0 eth1 tap0 eth2; do xdp_id "$R" $i; done | sort -u)
[ "$(echo "$ids" | wc -w)" -eq 1 ] && tap_ok "one XDP program on eth0, eth1, tap0, eth2 ($ids)" ||
	e2e_fail "one XDP program on eth0, eth1, tap0, eth2" "ids: $ids"
bad=""
[ "$(fdb_port "$MAC1")" = eth0 ] || bad+=" vm1"
[ "$(fdb_port "$MAC2")" = eth1 ] || bad+=" vm2"
[ "$(fdb_port "$MAC3")" = tap0 ] || bad+=" vm3"
[ -z "$bad" ] && tap_ok "routerctl fdb lists each VM's MAC on its port" ||
	e2e_fail "routerctl fdb lists each VM's MAC on its port" "wrong:$bad" "$(ctl fdb)"
ctl -j fdb | jq -e --arg m "$MAC1" '.[] | select(.mac == $m) | has("port") and has("vlan") and has("used_ms_ago")' >/dev/null &&
	tap_ok "routerctl -j fdb has port, vlan and used_ms_ago" ||
	e2e_fail "routerctl -j fdb has port, vlan and used_ms_ago" "$(ctl -j fdb | head -c 400)"

# --- VM to VM, bridged in XDP ---------------------------------------------
b0=$(rd_counter "$SOCK" bridged eth0) b1=$(rd_counter "$SOCK" bridged eth1)
x1=$(xdp_xmit eth1)
e2e_check_ping "routerd: $N IPv4 pings vm1 -> vm2 (veth to veth)" "$VM1" 198.18.1.12 $N 0.02
read -r used _ <<<"$(kernel_fdb "$MAC2")"
tap_cmp "vm1 -> vm2 bridged in XDP: requests counted on eth0" \
	$(($(rd_counter "$SOCK" bridged eth0) - b0)) -ge $N
tap_cmp "... and the replies on eth1" $(($(rd_counter "$SOCK" bridged eth1) - b1)) -ge $N
tap_cmp "... reaching vm2 by XDP redirect (eth1 tx_queue_0_xdp_xmit)" \
	$(($(xdp_xmit eth1) - x1)) -ge $N
tap_cmp "... while the kernel bridge forwarded nothing to vm2 (FDB entry used ${used:-?}s ago)" \
	"${used:-0}" -ge 3
e2e_check_ping "routerd: $N IPv6 pings vm1 -> vm2" "$VM1" 2001:db8:1::12 $N 0.01
b3=$(rd_counter "$SOCK" bridged tap0)
e2e_check_ping "routerd: $N IPv4 pings vm1 -> vm3 (veth to tap)" "$VM1" 198.18.1.13 $N 0.01
e2e_check_ping "routerd: $N IPv6 pings vm3 -> vm2 (tap to veth)" "$VM3" 2001:db8:1::12 $N 0.01
tap_cmp "frames from the tap VM are bridged in XDP (tap0 bridged)" \
	$(($(rd_counter "$SOCK" bridged tap0) - b3)) -ge $((2 * N))

# TCP, with an integrity check
tcp() { # NS_SERVER NS_CLIENT DST BYTES PORT
	local out want
	ip netns exec "$1" /usr/bin/python3 "$RD_ROOT/tests/e2e/tcp_xfer.py" serve "$5" \
		>"$E2E_TMP/srv" 2>/dev/null &
	E2E_PIDS+=("$!")
	e2e_wait_listen "$1" "$5" || { echo "no listener"; return 1; }
	want=$(timeout 60 ip netns exec "$2" /usr/bin/python3 "$RD_ROOT/tests/e2e/tcp_xfer.py" send "$3" "$5" "$4")
	wait "$!" 2>/dev/null
	sleep 0.2
	out=$(cat "$E2E_TMP/srv")
	[ -n "$want" ] && [ "$out" = "$want" ] || { echo "sent '$want', received '$out'"; return 1; }
}
b0=$(rd_counter "$SOCK" bridged)
tap_check "TCP vm1 -> vm2 over IPv4, 16 MB intact" tcp "$VM2" "$VM1" 198.18.1.12 $((16 << 20)) 5201
tap_check "TCP vm3 (tap) -> vm1 over IPv6, 4 MB intact" tcp "$VM1" "$VM3" 2001:db8:1::11 $((4 << 20)) 5202
tap_cmp "the TCP segments were bridged in XDP" $(($(rd_counter "$SOCK" bridged) - b0)) -ge 2000

# --- routed through the bridge's address ----------------------------------
# Out of the bridge: frames to br0's own MAC are routed in XDP with br0 as
# the FIB's ingress (counted on the VM's port); into it: the lookup answers
# br0, which XDP cannot transmit on, so the FDB names the VM's port
# (bpf/lib/bridge.h rd_bridge_egress) and XDP sends it there.
o4=$(rd_counter "$SOCK" forwarded_ipv4 eth0) o6=$(rd_counter "$SOCK" forwarded_ipv6 eth0)
e2e_check_ping "vm1 -> h2 (routed by r via br0's address), IPv4" "$VM1" 198.18.2.2 50 0.01
e2e_check_ping "vm1 -> h2, IPv6" "$VM1" 2001:db8:2::2 50 0.01
# a first request may find h2's neighbour entry unresolved (the kernel's)
tap_cmp "... requests routed out of the bridge in XDP (forwarded_ipv4 on eth0)" \
	$(($(rd_counter "$SOCK" forwarded_ipv4 eth0) - o4)) -ge 45
tap_cmp "... and over IPv6 (forwarded_ipv6 on eth0)" \
	$(($(rd_counter "$SOCK" forwarded_ipv6 eth0) - o6)) -ge 45
o4=$(rd_counter "$SOCK" forwarded_ipv4 eth1) f0=$(rd_counter "$SOCK" forwarded_ipv4 eth2)
tap_check "TCP vm2 -> h2 routed out of the bridge, 4 MB intact" tcp "$H2" "$VM2" 198.18.2.2 $((4 << 20)) 5204
tap_check "TCP h2 -> vm2 routed into the bridge, 4 MB intact" tcp "$VM2" "$H2" 198.18.1.12 $((4 << 20)) 5203
tap_cmp "... vm2's segments routed in XDP out of the bridge (forwarded_ipv4 on eth1)" \
	$(($(rd_counter "$SOCK" forwarded_ipv4 eth1) - o4)) -ge 1000
tap_cmp "... h2's segments routed in XDP straight to vm2's port (forwarded_ipv4 on eth2)" \
	$(($(rd_counter "$SOCK" forwarded_ipv4 eth2) - f0)) -ge 1000

# --- ageing 3 s: the FDB entries XDP uses stay alive ----------------------
ip -n "$R" link set br0 type bridge ageing_time 300
e2e_ping "$VM1" 198.18.1.12 3 0.05 >/dev/null # (re)learned, whatever the ageing did
# the control: an entry nobody uses (the VMs themselves may chat: ND, ARP)
IDLE=02:00:00:00:01:99
ip netns exec "$R" bridge fdb add $IDLE dev eth0 master dynamic
for _ in $(seq 20); do [ "$(fdb_port $IDLE)" = eth0 ] && break; sleep 0.05; done
ip netns exec "$R" bridge monitor fdb >"$E2E_TMP/fdbmon" 2>&1 &
E2E_PIDS+=("$!"); mon=$!
ip netns exec "$VM1" ping -q -n -c 300 -i 0.05 -W 1 198.18.1.12 >"$E2E_TMP/age_ping" 2>&1 &
E2E_PIDS+=("$!"); pp=$!
: >"$E2E_TMP/age_fdb"
while kill -0 $pp 2>/dev/null; do
	echo "$(kernel_fdb "$MAC1" | wc -l) $(kernel_fdb "$MAC2" | wc -l) $(kernel_fdb "$MAC2" | cut -d' ' -f2)" >>"$E2E_TMP/age_fdb"
	sleep 0.25
done
wait $pp
kill $mon 2>/dev/null
read -r tx rx <<<"$(e2e_ping_parse "$(cat "$E2E_TMP/age_ping")")"
tap_cmp "ageing 3 s: 15 s of pings vm1 -> vm2 without loss ($rx/$tx)" "$rx" -eq 300
missing=$(awk '$1 != 1 || $2 != 1' "$E2E_TMP/age_fdb" | wc -l)
tap_cmp "ageing 3 s: both FDB entries present in every sample ($(wc -l <"$E2E_TMP/age_fdb") samples)" \
	"$missing" -eq 0
stale=$(awk '$3 > 2' "$E2E_TMP/age_fdb" | wc -l)
tap_cmp "ageing 3 s: vm2's entry never went 3 s without an update" "$stale" -eq 0
deleted=$(grep -cE "^Deleted ($MAC1|$MAC2) " "$E2E_TMP/fdbmon")
tap_cmp "ageing 3 s: the kernel never deleted them (bridge monitor fdb)" "$deleted" -eq 0
grep -qE "^Deleted $IDLE " "$E2E_TMP/fdbmon" && [ -z "$(fdb_port $IDLE)" ] &&
	tap_ok "ageing 3 s: an idle entry did age out, in the kernel and in the mirror" ||
	e2e_fail "ageing 3 s: an idle entry aged out" "$(cat "$E2E_TMP/fdbmon")" "$(ctl fdb)"
tap_cmp "routerd refreshed entries (NTF_USE)" "$(ctl -j fdb stats | jq .refreshes)" -gt 10

# Routed one way only (h2 ignores the echoes; vm1 knows br0's MAC for good,
# so no ARP goes up either): the kernel bridge never hears from vm1, only
# the fast path's stamp on vm1's entry keeps it alive.
BRMAC=$(ip -n "$R" -j link show br0 | jq -r '.[0].address')
ip -n "$VM1" neigh replace 198.18.1.1 lladdr "$BRMAC" nud permanent dev eth0
ip netns exec "$H2" sysctl -qw net.ipv4.icmp_echo_ignore_all=1
e2e_ping "$VM3" 198.18.1.11 2 0.05 >/dev/null # vm1's entry fresh from the kernel
o4=$(rd_counter "$SOCK" forwarded_ipv4 eth0)
ip netns exec "$R" bridge monitor fdb >"$E2E_TMP/fdbmon2" 2>&1 &
E2E_PIDS+=("$!"); mon=$!
ip netns exec "$VM1" ping -q -n -c 200 -i 0.05 -W 1 198.18.2.2 >/dev/null 2>&1 &
E2E_PIDS+=("$!"); pp=$!
: >"$E2E_TMP/age_routed"
while kill -0 $pp 2>/dev/null; do
	kernel_fdb "$MAC1" | wc -l >>"$E2E_TMP/age_routed"
	sleep 0.25
done
wait $pp
kill $mon 2>/dev/null
ip netns exec "$H2" sysctl -qw net.ipv4.icmp_echo_ignore_all=0
ip -n "$VM1" neigh del 198.18.1.1 dev eth0
tap_cmp "ageing 3 s, routed one way: 10 s of vm1 -> h2 forwarded in XDP (forwarded_ipv4 on eth0)" \
	$(($(rd_counter "$SOCK" forwarded_ipv4 eth0) - o4)) -ge 190
missing=$(grep -c '^0$' "$E2E_TMP/age_routed")
tap_cmp "ageing 3 s, routed one way: vm1's FDB entry present in every sample ($(wc -l <"$E2E_TMP/age_routed") samples)" \
	"$missing" -eq 0
tap_cmp "ageing 3 s, routed one way: the kernel never deleted it (bridge monitor fdb)" \
	"$(grep -cE "^Deleted $MAC1 " "$E2E_TMP/fdbmon2")" -eq 0
ip -n "$R" link set br0 type bridge ageing_time 30000

# --- a MAC moves to another port (a VM migrates) --------------------------
e2e_ping "$VM3" 198.18.1.11 3 0.05 >/dev/null
ip -n "$VM1" link set eth0 down
ip -n "$VM2" link set eth0 address "$MAC1"
ip -n "$VM2" addr add 198.18.1.21/24 dev eth0
t0=$(date +%s%N)
ip netns exec "$VM2" ping -q -c 1 -W 1 -I 198.18.1.21 198.18.1.13 >/dev/null 2>&1 &
E2E_PIDS+=("$!")
moved=""
for _ in $(seq 100); do
	[ "$(fdb_port "$MAC1")" = eth1 ] && { moved=$((($(date +%s%N) - t0) / 1000000)); break; }
	sleep 0.02
done
if [ -n "$moved" ]; then
	tap_cmp "MAC move: the mirror follows vm1's MAC to eth1 within a second (${moved} ms)" "$moved" -le 1000
else
	e2e_fail "MAC move: the mirror follows vm1's MAC to eth1" "$(ctl fdb)"
fi
b2=$(rd_counter "$SOCK" bridged tap0)
e2e_check_ping "MAC move: vm3 reaches the MAC at its new port" "$VM3" 198.18.1.21 20 0.02
tap_cmp "... bridged in XDP" $(($(rd_counter "$SOCK" bridged tap0) - b2)) -ge 20
ip -n "$VM2" addr del 198.18.1.21/24 dev eth0
ip -n "$VM2" link set eth0 address "$MAC2"
ip -n "$VM1" link set eth0 up
e2e_ping "$VM1" 198.18.1.12 3 0.05 >/dev/null
e2e_ping "$VM1" 198.18.1.13 3 0.05 >/dev/null

# --- isolated ports ---------------------------------------------------------
ip netns exec "$R" bridge link set dev eth0 isolated on
ip netns exec "$R" bridge link set dev eth1 isolated on
sleep 0.2
i0=$(pass_reason isolated eth0)
read -r tx rx <<<"$(e2e_ping "$VM1" 198.18.1.12 5 0.05)"
tap_cmp "isolated: vm1 (isolated) cannot reach vm2 (isolated)" "$rx" -eq 0
tap_cmp "... XDP handed the frames to the kernel (pass isolated)" \
	$(($(pass_reason isolated eth0) - i0)) -ge 1
e2e_check_ping "isolated: vm1 still reaches vm3 (not isolated)" "$VM1" 198.18.1.13 20 0.02
ip netns exec "$R" bridge link set dev eth0 isolated off
ip netns exec "$R" bridge link set dev eth1 isolated off
sleep 0.2
e2e_check_ping "isolation off: vm1 reaches vm2 again" "$VM1" 198.18.1.12 20 0.02

# --- a port leaves the bridge -----------------------------------------------
ip -n "$R" link set eth1 nomaster
sleep 0.2
ctl -j fdb ports | jq -e '[.[] | select(.name == "eth1")] | length == 0' >/dev/null &&
	tap_ok "nomaster: eth1 is no bridge port for routerd any more" ||
	e2e_fail "nomaster: eth1 is no bridge port for routerd any more" "$(ctl fdb ports)"
[ -z "$(fdb_port "$MAC2")" ] && tap_ok "nomaster: vm2's entry left the mirror" ||
	e2e_fail "nomaster: vm2's entry left the mirror" "$(ctl fdb)"
read -r tx rx <<<"$(e2e_ping "$VM1" 198.18.1.12 5 0.05)"
tap_cmp "nomaster: vm1 no longer reaches vm2" "$rx" -eq 0
ip -n "$R" link set eth1 master br0
sleep 0.2
b0=$(rd_counter "$SOCK" bridged eth0)
e2e_check_ping "master again: vm1 reaches vm2" "$VM1" 198.18.1.12 50 0.02
tap_cmp "... bridged in XDP again" $(($(rd_counter "$SOCK" bridged eth0) - b0)) -ge 40

# --- STP: the blocked port forwards nothing ---------------------------------
for _ in $(seq 150); do
	[ "$(ip netns exec "$R" bridge -j link show dev s1 | jq -r '.[0].state')" = blocking ] &&
		[ "$(ip netns exec "$R" bridge -j link show dev s0 | jq -r '.[0].state')" = forwarding ] && break
	sleep 0.1
done
state=$(ip netns exec "$R" bridge -j link show | jq -r '.[] | select(.master == "br1") | "\(.ifname)=\(.state)"' | tr '\n' ' ')
[[ $state == *s0=forwarding* && $state == *s1=blocking* ]] &&
	tap_ok "STP: r's s0 forwards (root port), s1 is blocking ($state)" ||
	e2e_fail "STP: r's s0 forwards, s1 is blocking" "states: $state"
ctl -j fdb ports | jq -e '.[] | select(.name == "s1") | .xdp_forwarding == false' >/dev/null &&
	tap_ok "STP: routerd does not forward on blocking s1" ||
	e2e_fail "STP: routerd does not forward on blocking s1" "$(ctl fdb ports)"
e2e_ping "$H4" 198.18.9.1 3 0.05 >/dev/null # r learns h4 behind s0
H4MAC=$(ip -n "$H4" -j link show eth0 | jq -r '.[0].address')
for _ in $(seq 20); do [ "$(fdb_port "$H4MAC")" = s0 ] && break; sleep 0.1; done
[ "$(fdb_port "$H4MAC")" = s0 ] && tap_ok "STP: h4 is known behind s0" ||
	e2e_fail "STP: h4 is known behind s0" "$(ctl fdb)"
# Frames for h4 sent into the blocked port: bridged, they would go out of
# s0 back to sw and on to h4.
PROBE_SRC=02:00:00:00:09:99
timeout 5 ip netns exec "$H4" tcpdump -nn -c 1 -i eth0 "ether src $PROBE_SRC" >"$E2E_TMP/h4cap" 2>&1 &
E2E_PIDS+=("$!"); cap=$!
sleep 1
ps0=$(pass_reason port_state s1)
ip netns exec "$SW" /usr/bin/python3 -c "
from scapy.all import Ether, Raw, sendp
sendp(Ether(dst='$H4MAC', src='$PROBE_SRC', type=0x88b5) / Raw(b'rd-stp-probe' * 4),
      iface='e1', count=10, verbose=0)"
wait $cap
tap_cmp "STP: unicast into blocking s1 reached routerd's XDP and went to the kernel (pass port_state)" \
	$(($(pass_reason port_state s1) - ps0)) -ge 10
grep -q "$PROBE_SRC" "$E2E_TMP/h4cap" &&
	e2e_fail "STP: nothing is forwarded through the blocking port" "$(cat "$E2E_TMP/h4cap")" ||
	tap_ok "STP: nothing is forwarded through the blocking port (h4 saw none of it)"

tap_cmp "no map errors in the mirror" "$(ctl -j fdb stats | jq .map_errors)" -eq 0

# --- routerd killed: XDP stays, the kernel bridge takes over ----------------
# Nobody updates the maps any more: once the heartbeat runs out the fast path
# passes every frame of a bridge port, so a MAC that moves meanwhile is
# followed by the kernel (with the stale FDB copy, XDP would keep sending
# vm1's MAC to eth0, where vm1 is gone).
e2e_ping "$VM3" 198.18.1.11 3 0.05 >/dev/null
kill -KILL "$RD_PID"
wait "$RD_PID" 2>/dev/null
[ -n "$(xdp_id "$R" eth0)" ] && tap_ok "kill -9: XDP stays attached" ||
	e2e_fail "kill -9: XDP stays attached"
sleep 6 # RD_BRIDGE_HEARTBEAT_NS
ip -n "$VM1" link set eth0 down
ip -n "$VM2" link set eth0 address "$MAC1"
ip -n "$VM2" addr add 198.18.1.21/24 dev eth0
e2e_check_ping "kill -9, then a MAC move: vm3 reaches it at its new port" "$VM3" 198.18.1.21 20 0.02
ip -n "$VM2" addr del 198.18.1.21/24 dev eth0
ip -n "$VM2" link set eth0 address "$MAC2"
ip -n "$VM1" link set eth0 up
if rd_start "$R" "$SOCK" "$PIN" eth0 eth1 tap0 eth2 s0 s1 2>"$E2E_TMP/start2.err"; then
	E2E_PIDS+=("$RD_PID")
	ctl -j status | jq -e '.maps_reused' >/dev/null &&
		tap_ok "a new routerd adopts the pinned maps" ||
		e2e_fail "a new routerd adopts the pinned maps" "$(ctl -j status)"
else
	e2e_fail "routerd restarts" "$(cat "$E2E_TMP/start2.err")"
fi
e2e_ping "$VM1" 198.18.1.12 3 0.05 >/dev/null
b0=$(rd_counter "$SOCK" bridged eth0)
e2e_check_ping "after the restart: vm1 -> vm2" "$VM1" 198.18.1.12 50 0.02
tap_cmp "... bridged in XDP again" $(($(rd_counter "$SOCK" bridged eth0) - b0)) -ge 40
tap_done
