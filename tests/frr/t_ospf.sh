#!/usr/bin/env bash
# OSPFv2 and OSPFv3 next to routerd. routerd starts on r1 and r2 BEFORE
# FRR, when the routers know no route to each other's hosts; FRR's ospfd
# and ospf6d then install routes (nexthop groups over both links) and
# routerd must follow them without a restart: h1 <-> h2 traffic is
# forwarded by XDP on both routers (routerd's forwarded_* counters grow,
# the kernel's Ip ForwDatagrams / Ip6OutForwDatagrams barely move), while
# OSPF's own packets reach the kernel (pass reasons multicast/link_local).
# Environment: FRR_PINGS (default 500) pings per family.
set -uo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

N=${FRR_PINGS:-500}
P=rfo$$
frr_suite_init
frr_lab "$P"
e2e_diag "lab frr, prefix $P; routerd $ROUTERD; $(ip netns exec "$P-r1" "$FRR_BIN/zebra" --version 2>/dev/null | head -1)"

# --- routerd first: nothing to forward yet ----------------------------------
rd_start_routers "$P"
tap_cmp "before FRR: r1 has no route to h2's IPv4 prefix" "$(frr_paths "$P-r1" 198.18.2.0/24)" -eq 0
tap_cmp "before FRR: r1 has no route to h2's IPv6 prefix" "$(frr_paths "$P-r1" 2001:db8:2::/64)" -eq 0
read -r _ rx <<<"$(e2e_ping "$P-h1" 198.18.2.2 1 0.1)"
tap_cmp "before FRR: h1 cannot reach h2 (answered)" "$rx" -eq 0

# --- FRR: OSPFv2 + OSPFv3 -----------------------------------------------------
frr_start_checked "$P" ospf
frr_converge "OSPF converged: r1 and r2 have 2-path routes to the other host segment (IPv4 and IPv6)" 30 \
	"$P-r1" 198.18.2.0/24 2 "$P-r2" 198.18.1.0/24 2 \
	"$P-r1" 2001:db8:2::/64 2 "$P-r2" 2001:db8:1::/64 2
e2e_diag "OSPF convergence after FRR start: $FRR_CONVERGED s (hello 1, dead 4, retransmit 1)"

proto4=$(ip -n "$P-r1" -j route show 198.18.2.0/24 | jq -r '.[0].protocol')
proto6=$(ip -n "$P-r1" -6 -j route show 2001:db8:2::/64 | jq -r '.[0].protocol')
tap_cmp "r1's IPv4 route to h2 comes from ospfd" "$proto4" = ospf
tap_cmp "r1's IPv6 route to h2 comes from ospf6d" "$proto6" = ospf
tap_check "FRR sees the routes (show ip route ospf / show ipv6 route ospf6)" bash -c \
	". '$RD_ROOT/lab/lib.sh'; frr_vtysh $P r1 -c 'show ip route 198.18.2.0/24 json' | jq -e '.[\"198.18.2.0/24\"][0].protocol == \"ospf\"' &&
	 frr_vtysh $P r1 -c 'show ipv6 route 2001:db8:2::/64 json' | jq -e '.[\"2001:db8:2::/64\"][0].protocol == \"ospf6\"'"

for r in r1 r2; do
	tap_cmp "routerd on $r is the one started before FRR (no restart)" \
		"$("$ROUTERCTL" -s "$(lab_sock "$P" "$r")" -j status | jq .pid)" -eq \
		"$([ $r = r1 ] && echo "$RD1" || echo "$RD2")"
done

# --- traffic ------------------------------------------------------------------
xdp_forwarding "OSPFv2 routes" "$P" 198.18.2.2 "$N"
xdp_forwarding "OSPFv3 routes" "$P" 2001:db8:2::2 "$N"

# TCP both ways through both routers
if ip netns exec "$P-h2" iperf3 -s -1 -D -p 5201 >/dev/null 2>&1 && e2e_wait_listen "$P-h2" 5201; then
	f0=$(rd_counter "$SOCK1" forwarded_ipv4)
	if out=$(timeout 20 ip netns exec "$P-h1" iperf3 -c 198.18.2.2 -p 5201 -t 1 -J 2>&1); then
		bps=$(jq '.end.sum_received.bits_per_second // 0' <<<"$out" | cut -d. -f1)
		retr=$(jq '.end.sum_sent.retransmits // 0' <<<"$out")
		f=$(($(rd_counter "$SOCK1" forwarded_ipv4) - f0))
		# a stalled transfer still exits 0: ask for real throughput
		if [ "$bps" -ge 100000000 ] && [ "$f" -ge 10000 ]; then
			tap_ok "TCP h1 -> h2 over the OSPF routes ($((bps / 1000000)) Mbit/s, $retr retransmits; r1 forwarded $f IPv4 packets in XDP)"
		else
			e2e_fail "TCP h1 -> h2 over the OSPF routes at >= 100 Mbit/s through XDP" \
				"$((bps / 1000000)) Mbit/s, $retr retransmits, r1 forwarded $f IPv4 packets in XDP"
		fi
	else
		e2e_fail "TCP h1 -> h2 over the OSPF routes" "${out: -400}"
	fi
else
	e2e_fail "iperf3 server on h2 listens" ""
fi

# --- OSPF's own packets go to the kernel, nothing is dropped ------------------
stats1=$("$ROUTERCTL" -s "$SOCK1" -j stats)
for dev in eth1 eth2; do
	c=$(jq --arg d "$dev" '.interfaces[] | select(.name == $d) |
		"\(.pass_reasons.multicast) \(.pass_reasons.link_local) \(.counters.dropped)"' -r <<<"$stats1")
	read -r mc ll dr <<<"$c"
	if [ "$mc" -gt 0 ] && [ "$dr" -eq 0 ]; then
		tap_ok "r1 $dev: OSPF hellos passed to the kernel (multicast $mc, link_local $ll), none dropped"
	else
		e2e_fail "r1 $dev: OSPF hellos passed to the kernel" "multicast=$mc link_local=$ll dropped=$dr"
	fi
done
tap_check "both OSPFv2 adjacencies still Full after the traffic" bash -c \
	"[ \$(. '$RD_ROOT/lab/lib.sh'; frr_vtysh $P r1 -c 'show ip ospf neighbor' | grep -c Full) -eq 2 ]"
tap_check "both OSPFv3 adjacencies still Full after the traffic" bash -c \
	"[ \$(. '$RD_ROOT/lab/lib.sh'; frr_vtysh $P r1 -c 'show ipv6 ospf6 neighbor' | grep -c Full) -eq 2 ]"

# --- routerd follows a route FRR withdraws ------------------------------------
# r2's host segment disappears from OSPF: r1 loses the route, and what XDP
# does with h2-bound packets must change with it (handed to the kernel, which
# answers net-unreachable).
ip -n "$P-r2" link set eth2 down
if frr_wait_paths "$P-r1" 198.18.2.0/24 0 15; then
	tap_ok "r2's host link down: OSPF withdraws 198.18.2.0/24 from r1"
	l0=$("$ROUTERCTL" -s "$SOCK1" -j stats | jq '.interfaces[] | select(.name == "eth0") | .pass_reasons.local')
	f0=$(rd_counter "$SOCK1" forwarded_ipv4 eth0)
	out=$(timeout 5 ip netns exec "$P-h1" ping -n -c 1 -W 1 198.18.2.2 2>&1)
	l1=$("$ROUTERCTL" -s "$SOCK1" -j stats | jq '.interfaces[] | select(.name == "eth0") | .pass_reasons.local')
	if grep -q 'Unreachable' <<<"$out" && [ "$(rd_counter "$SOCK1" forwarded_ipv4 eth0)" -eq "$f0" ]; then
		tap_ok "... r1 answers net-unreachable, nothing forwarded in XDP (pass 'local' +$((l1 - l0)))"
	else
		e2e_fail "... r1 answers net-unreachable, nothing forwarded in XDP" "$out" \
			"forwarded_ipv4 on eth0: $f0 -> $(rd_counter "$SOCK1" forwarded_ipv4 eth0)"
	fi
	ip -n "$P-r2" link set eth2 up
	frr_converge "r2's host link up again: the route comes back with 2 paths" 20 \
		"$P-r1" 198.18.2.0/24 2 "$P-r1" 2001:db8:2::/64 2
	xdp_forwarding "after the route came back" "$P" 198.18.2.2 100
else
	e2e_fail "r2's host link down: OSPF withdraws 198.18.2.0/24 from r1" "$(ip -n "$P-r1" route)"
fi

# --- FRR stopped: routes gone; routerd still up --------------------------------
out=$(frr_stop "$P" 2>&1)
tap_check "FRR stops on SIGTERM (zebra last)" test -z "$out"
tap_cmp "without FRR, r1 has no route to h2 any more" "$(frr_paths "$P-r1" 198.18.2.0/24)" -eq 0
tap_check "routerd still answers on r1 and r2" bash -c \
	"'$ROUTERCTL' -s '$SOCK1' status >/dev/null && '$ROUTERCTL' -s '$SOCK2' status >/dev/null"
tap_done
