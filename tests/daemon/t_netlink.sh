#!/usr/bin/env bash
# The netlink mirror: routerd follows link changes made while it runs, never
# needs a restart, resyncs after losing events, and keeps no routing table.
. "$(dirname "${BASH_SOURCE[0]}")/../e2e/common.sh"
e2e_init

P=rdnl$$
H1=$P-h1 R=$P-r H2=$P-h2
SOCK=$(lab_sock "$P" r) PIN=$(lab_pin_dir "$P" r)

e2e_lab basic "$P"
# a tiny netlink buffer, so a burst of link events overruns it
rd_start "$R" "$SOCK" "$PIN" eth0 eth1 -- --netlink-rcvbuf 2048 ||
	e2e_bail "routerd starts"
E2E_PIDS+=("$RD_PID")

status() { "$ROUTERCTL" -s "$SOCK" -j status; }
iface_field() { "$ROUTERCTL" -s "$SOCK" -j interfaces | jq -r --arg n "$1" --arg f "$2" '.[] | select(.name == $n) | .[$f]'; }
wait_for() { # wait_for SECONDS CMD...: until CMD succeeds
	local deadline=$((SECONDS + $1)); shift
	until "$@" >/dev/null 2>&1; do ((SECONDS >= deadline)) && return 1; sleep 0.1; done
}
forwarded_ping() { # COUNT: all answered and forwarded_ipv4 grew by >= COUNT
	local f0 res
	f0=$(rd_counter "$SOCK" forwarded_ipv4 eth1)
	res=$(e2e_ping "$H1" 198.18.2.2 "$1" 0.02)
	[ "$res" = "$1 $1" ] && (($(rd_counter "$SOCK" forwarded_ipv4 eth1) - f0 >= $1))
}
# The predicates wait_for repeats read their state each time (a
# "$(...)" in wait_for's arguments would be read once, before the wait).
detached() { [ "$(iface_field "$1" attached)" = false ]; }
renamed_away() { detached eth1 && [ -z "$(xdp_id "$R" other1)" ]; }
resynced_since() { [ "$(status | jq .netlink.resyncs)" -gt "$1" ]; }
local_count_is() { [ "$(local_count)" "$1" "$2" ]; }
attached_to() { [ "$(iface_field "$1" ifindex)" = "$2" ] && [ "$(iface_field "$1" attached)" = true ] &&
	[ -n "$(xdp_id "$R" "$1")" ]; }

e2e_ping "$H1" 198.18.2.2 2 0.1 >/dev/null
forwarded_ping 50 && tap_ok "forwarding through XDP before any change" ||
	e2e_fail "forwarding through XDP before any change"

# --- delete eth1 and create it again: new ifindex, re-attached by name
old=$(iface_field eth1 ifindex)
ip -n "$R" link del eth1
wait_for 3 detached eth1 &&
	tap_ok "deleting eth1 is noticed (detached, ifindex $old gone)" ||
	e2e_fail "deleting eth1 is noticed" "$("$ROUTERCTL" -s "$SOCK" interfaces)"
ip -n "$R" link add name eth1 type veth peer name eth0 netns "$H2"
ip netns exec "$R" ethtool -K eth1 gro on >/dev/null 2>&1
ip netns exec "$H2" ethtool -K eth0 tx off gro on >/dev/null 2>&1
ip -n "$R" addr add 198.18.2.1/24 dev eth1
ip -n "$H2" addr add 198.18.2.2/24 dev eth0
ip -n "$R" link set eth1 up; ip -n "$H2" link set eth0 up
ip -n "$H2" route add default via 198.18.2.1
new=$(ip -n "$R" -j link show eth1 | jq -r '.[0].ifindex')
wait_for 3 attached_to eth1 "$new" &&
	tap_ok "re-created eth1 (ifindex $old -> $new) is re-attached automatically" ||
	e2e_fail "re-created eth1 is re-attached" "$("$ROUTERCTL" -s "$SOCK" interfaces)"
e2e_ping "$H1" 198.18.2.2 2 0.1 >/dev/null
forwarded_ping 50 && tap_ok "traffic is forwarded in XDP through the new eth1" ||
	e2e_fail "traffic is forwarded in XDP through the new eth1"

# --- rename eth1 away: routerd follows the name, the renamed device is released
idx=$(iface_field eth1 ifindex)
ip -n "$R" link set eth1 down; ip -n "$R" link set eth1 name other1
wait_for 3 renamed_away &&
	tap_ok "renaming eth1 away detaches XDP from the renamed device" ||
	e2e_fail "renaming eth1 away detaches XDP" "xdp on other1: $(xdp_id "$R" other1)"
ip -n "$R" link set other1 name eth1; ip -n "$R" link set eth1 up
ip -n "$R" addr replace 198.18.2.1/24 dev eth1
ip -n "$R" route replace 198.18.2.0/24 dev eth1 2>/dev/null
wait_for 3 attached_to eth1 "$idx" && tap_ok "renaming it back re-attaches" ||
	e2e_fail "renaming it back re-attaches" "$("$ROUTERCTL" -s "$SOCK" interfaces)"

# --- MAC change of r's ingress: the fast path learns the new address
newmac=02:00:5e:10:00:01
ip -n "$R" link set eth0 address $newmac
ip -n "$H1" neigh flush dev eth0
wait_for 5 forwarded_ping 20 && tap_ok "after eth0's MAC changes, frames to the new MAC are routed in XDP" ||
	e2e_fail "frames to eth0's new MAC are routed in XDP" \
		"$("$ROUTERCTL" -s "$SOCK" stats -s)"

# --- a burst of link events while routerd is busy (stopped) overruns its
# 2 KiB socket: events are lost, and routerd resyncs, logged and counted
r0=$(status | jq .netlink.resyncs) o0=$(status | jq .netlink.overruns)
# (up to three stopped bursts: the overrun must be seen and acted on; one
# burst has been seen to fit on rare runs, how is not yet understood)
for round in 1 2 3; do
	kill -STOP "$RD_PID"
	{
		for i in $(seq 150); do echo "link add name burst$round-$i type veth peer name bp$round-$i"; done
	} | ip -n "$R" -batch -
	kill -CONT "$RD_PID"
	wait_for 5 resynced_since "$r0" && break
done
tap_diag "overruns $o0 -> $(status | jq .netlink.overruns), resyncs $r0 -> $(status | jq .netlink.resyncs) after $round stopped burst(s)"
[ "$(status | jq .netlink.resyncs)" -gt "$r0" ] &&
	tap_ok "a netlink overrun (ENOBUFS) triggers a resync ($(status | jq .netlink.resyncs) so far)" ||
	e2e_fail "a netlink overrun triggers a resync" "$(status)"
grep -q "netlink resync" "$(lab_log "$P" r)" && tap_ok "the resync is logged" ||
	e2e_fail "the resync is logged" "$(tail -5 "$(lab_log "$P" r)")"
ip -n "$R" -o link show | awk -F': ' '$2 ~ /^burst/ { sub(/@.*/, "", $2); print "link del " $2 }' |
	ip -n "$R" -batch -
forwarded_ping 50 && attached_to eth0 "$(ip -n "$R" -j link show eth0 | jq -r '.[0].ifindex')" &&
	tap_ok "after the resync both interfaces are attached and forwarding" ||
	e2e_fail "after the resync both interfaces are attached and forwarding"

# --- the fast path drops (via the kernel) what the kernel calls a martian
# source: one of r's own addresses, kept current from address events
martian() { "$ROUTERCTL" -s "$SOCK" -j stats | jq '.interfaces[] | select(.name == "eth0") | .pass_reasons.martian'; }
spoof() { # SRC COUNT: UDP from SRC sent by h1 to h2 through r
	ip netns exec "$H1" /usr/bin/python3 -c '
import sys
from scapy.all import Ether, IP, UDP, sendp, conf
conf.verb = 0
sendp(Ether(dst=sys.argv[1]) / IP(src=sys.argv[2], dst="198.18.2.2") / UDP(dport=9), iface="eth0", count=int(sys.argv[3]))
' "$(ip -n "$R" -j link show eth0 | jq -r '.[0].address')" "$1" "$2"
}
local_count() { status | jq .netlink.local_ipv4_addresses; }
m0=$(martian) f0=$(rd_counter "$SOCK" forwarded_ipv4 eth0)
spoof 198.18.2.1 10
tap_cmp "packets spoofing r's own address as source are handed to the kernel as martians" \
	$(($(martian) - m0)) -eq 10
tap_cmp "... and none is forwarded" $(($(rd_counter "$SOCK" forwarded_ipv4 eth0) - f0)) -eq 0
n0=$(local_count)
ip -n "$R" addr add 198.18.9.1/24 dev eth1
wait_for 3 local_count_is -gt "$n0" && tap_ok "an address added at run time is mirrored" ||
	e2e_fail "an address added at run time is mirrored" "$(status)"
m0=$(martian)
spoof 198.18.9.1 5
tap_cmp "a source equal to the new address is a martian" $(($(martian) - m0)) -eq 5
ip -n "$R" addr del 198.18.9.1/24 dev eth1
wait_for 3 local_count_is -eq "$n0"
m0=$(martian) f0=$(rd_counter "$SOCK" forwarded_ipv4 eth0)
spoof 198.18.9.1 5
tap_cmp "after the address is deleted, that source is forwarded again" \
	$(($(rd_counter "$SOCK" forwarded_ipv4 eth0) - f0)) -eq 5
tap_cmp "... and no longer counted as martian" $(($(martian) - m0)) -eq 0

# --- malformed link events, unicast to routerd's event socket (a
# CAP_NET_ADMIN process can; the kernel never sends them): libnl 3.7 crashes
# parsing them, so routerd refuses them first, counts them and resyncs
events_port() { # the port id of the one event socket: in groups RTNLGRP_LINK and _IPV4_IFADDR
	local inodes port groups
	inodes=$(find "/proc/$RD_PID/fd" -lname 'socket:*' -printf '%l\n' 2>/dev/null | tr -dc '0-9\n')
	ip netns exec "$R" cat /proc/net/netlink | awk -v inodes="$inodes" '
		BEGIN { n = split(inodes, a, "\n"); for (i = 1; i <= n; i++) want[a[i]] = 1 }
		NR > 1 && $2 == 0 && want[$NF] { print $3, $4 }' |
		while read -r port groups; do
			(((16#$groups & 0x11) == 0x11)) && echo "$port"
		done
}
port=$(events_port)
rj0=$(status | jq .netlink.rejected) r0=$(status | jq .netlink.resyncs)
REG=$RD_ROOT/tests/fuzz/regressions/netlink
if [ -n "$port" ] && [ "$(wc -w <<<"$port")" -eq 1 ]; then
	ip netns exec "$R" /usr/bin/python3 -c '
import socket, sys
s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, socket.NETLINK_ROUTE)
s.bind((0, 0))
for f in sys.argv[2:]:
    s.sendto(open(f, "rb").read(), (int(sys.argv[1]), 0))
' "$port" "$REG/libnl-linkinfo-xstats-without-data-minimal" "$REG/libnl-veth-info-peer"
	wait_for 3 resynced_since "$r0"
	kill -0 "$RD_PID" 2>/dev/null && tap_ok "routerd survives link events that crash libnl" ||
		e2e_bail "routerd survives link events that crash libnl"
	tap_cmp "both are refused and counted (netlink.rejected)" \
		$(($(status | jq .netlink.rejected) - rj0)) -eq 2
	[ "$(status | jq .netlink.resyncs)" -gt "$r0" ] &&
		grep -q "netlink resync (refused event: " "$(lab_log "$P" r)" &&
		tap_ok "a refused event triggers a resync, logged with the reason" ||
		e2e_fail "a refused event triggers a resync" "$(status | jq -c .netlink)" \
			"$(tail -5 "$(lab_log "$P" r)")"
	forwarded_ping 20 && tap_ok "forwarding still runs in XDP after the refused events" ||
		e2e_fail "forwarding still runs in XDP after the refused events"
else
	e2e_fail "routerd's event socket found in /proc/net/netlink" "ports: ${port:-none}" \
		"$(ip netns exec "$R" cat /proc/net/netlink)"
fi

# --- no copy of the routing table: RSS stays flat with 100k routes installed
rss() { awk '/^VmRSS/ { print $2 }' "/proc/$RD_PID/status"; }
rss0=$(rss)
# 100k /32s inside 198.19.0.0/16, via h2
awk 'BEGIN { for (i = 0; i < 100000; i++) printf "route add 198.19.%d.%d/32 via 198.18.2.2 metric %d\n", int(i / 256) % 256, i % 256, int(i / 65536) + 1 }' >"$E2E_TMP/routes"
ip -n "$R" -batch "$E2E_TMP/routes" 2>/dev/null
n=$(ip -n "$R" route show | wc -l)
sleep 1
rss1=$(rss)
tap_diag "routerd RSS ${rss0} KiB before, ${rss1} KiB after installing $n routes"
tap_cmp "routerd's RSS grows by less than 2 MiB with $n routes installed (KiB)" $((rss1 - rss0)) -lt 2048
forwarded_ping 20 && tap_ok "forwarding still runs in XDP with $n routes" ||
	e2e_fail "forwarding still runs in XDP with $n routes"

tap_done
