#!/usr/bin/env bash
# BGP unnumbered (RFC 8950) next to routerd. The links between r1 and r2
# carry no IPv4 address, so bgpd's sessions run over IPv6 link-local
# addresses (`neighbor ethX interface`) and zebra installs IPv4 routes via
# IPv6 nexthops: `198.18.2.0/24 ... via inet6 fe80::... dev eth1`.
# routerd starts first; IPv4 (and IPv6) h1 <-> h2 traffic must then be
# forwarded by XDP on both routers: bpf_fib_lookup answers AF_INET6 for
# these routes and the fast path must still rewrite the IPv4 frame.
# Environment: FRR_PINGS (default 500) pings per family.
set -uo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

N=${FRR_PINGS:-500}
P=rfb$$
frr_suite_init
frr_lab "$P"
e2e_diag "lab frr, prefix $P; routerd $ROUTERD"

out=$(frr_unnumbered "$P" 2>&1)
tap_check "IPv4 addresses removed from the r1-r2 links" test -z "$out"
left=$(for n in r1 r2; do ip -n "$P-$n" -4 -j addr show | jq -r '.[] | select(.ifname != "lo" and .ifname != "'"$([ $n = r1 ] && echo eth0 || echo eth2)"'") | .addr_info[].local'; done)
tap_check "... r1 eth1/eth2 and r2 eth0/eth1 have no IPv4 address" test -z "$left"

rd_start_routers "$P"
frr_start_checked "$P" bgp
frr_converge "BGP converged: 2-path routes to the other host segment on r1 and r2 (IPv4 and IPv6)" 30 \
	"$P-r1" 198.18.2.0/24 2 "$P-r2" 198.18.1.0/24 2 \
	"$P-r1" 2001:db8:2::/64 2 "$P-r2" 2001:db8:1::/64 2
e2e_diag "BGP unnumbered convergence after FRR start: $FRR_CONVERGED s (timers 1 3)"

# --- RFC 8950 routes in the kernel -----------------------------------------
for r in r1 r2; do
	dst=198.18.2.0/24
	[ $r = r2 ] && dst=198.18.1.0/24
	j=$(ip -n "$P-$r" -j route show "$dst")
	proto=$(jq -r '.[0].protocol' <<<"$j")
	# every path: an IPv6 link-local gateway ("via inet6 fe80::...")
	gws=$(jq -r '.[0].nexthops[] | "\(.via.family // "inet")/\(.via.host // .gateway)"' <<<"$j" 2>/dev/null)
	bad=$(grep -cv '^inet6/fe80:' <<<"$gws")
	if [ "$proto" = bgp ] && [ -n "$gws" ] && [ "$bad" -eq 0 ]; then
		tap_ok "$r: IPv4 route $dst from bgpd via IPv6 link-local nexthops (${gws//$'\n'/ })"
	else
		e2e_fail "$r: IPv4 route $dst from bgpd via inet6 fe80::" "$(ip -n "$P-$r" route show "$dst")"
	fi
done
tap_check "r1's route text says 'via inet6 fe80::' (as iproute2 prints it)" bash -c \
	"ip -n $P-r1 route show 198.18.2.0/24 | grep -q 'via inet6 fe80::'"
nhid=$(ip -n "$P-r1" -j route show 198.18.2.0/24 | jq -r '.[0].nhid // empty')
tap_check "r1's route uses a nexthop group (nhid $nhid) of IPv6 nexthops" bash -c \
	"[ -n '$nhid' ] && ip -n $P-r1 -j nexthop show id $nhid | jq -e '.[0].group | length == 2'"
tap_check "bgpd: both sessions Established, extended nexthop (RFC 8950) negotiated" bash -c \
	". '$RD_ROOT/lab/lib.sh'; j=\$(frr_vtysh $P r1 -c 'show bgp neighbors json');
	 jq -e '[.[] | select(.bgpState == \"Established\")] | length == 2' <<<\"\$j\" >/dev/null &&
	 jq -e '[.[] | select(.neighborCapabilities.extendedNexthop == \"advertisedAndReceived\")] | length == 2' <<<\"\$j\" >/dev/null"

# --- traffic ---------------------------------------------------------------
xdp_forwarding "RFC 8950 IPv4 routes" "$P" 198.18.2.2 "$N"
xdp_forwarding "BGP IPv6 routes" "$P" 2001:db8:2::2 "$N"

# IPv4 traffic left r1 towards an IPv6 neighbour: routerd keeps it fresh
neigh=$("$ROUTERCTL" -s "$SOCK1" neigh 2>&1)
if grep -q 'fe80::' <<<"$neigh"; then
	tap_ok "routerctl neigh on r1 lists the fe80:: nexthops XDP forwarded to"
else
	e2e_fail "routerctl neigh on r1 lists the fe80:: nexthops XDP forwarded to" "$neigh"
fi

# TCP over the RFC 8950 path (frames rewritten by XDP with IPv6 neighbours' MACs)
if ip netns exec "$P-h2" iperf3 -s -1 -D -p 5201 >/dev/null 2>&1 && e2e_wait_listen "$P-h2" 5201; then
	f0=$(rd_counter "$SOCK1" forwarded_ipv4)
	k0=$(kfwd4 "$P-r1")
	if out=$(timeout 20 ip netns exec "$P-h1" iperf3 -c 198.18.2.2 -p 5201 -t 1 -J 2>&1); then
		bps=$(jq '.end.sum_received.bits_per_second // 0' <<<"$out" | cut -d. -f1)
		retr=$(jq '.end.sum_sent.retransmits // 0' <<<"$out")
		f=$(($(rd_counter "$SOCK1" forwarded_ipv4) - f0)) k=$(($(kfwd4 "$P-r1") - k0))
		# a stalled transfer still exits 0: ask for real throughput
		if [ "$bps" -ge 100000000 ] && [ "$f" -ge 10000 ] && [ $((k * 100)) -lt $((5 * f)) ]; then
			tap_ok "TCP h1 -> h2 over RFC 8950 routes ($((bps / 1000000)) Mbit/s, $retr retransmits; r1: XDP $f, kernel $k packets)"
		else
			e2e_fail "TCP h1 -> h2 over RFC 8950 routes at >= 100 Mbit/s through XDP" \
				"$((bps / 1000000)) Mbit/s, $retr retransmits; r1: XDP $f, kernel $k packets"
		fi
	else
		e2e_fail "TCP h1 -> h2 over RFC 8950 routes" "${out: -400}"
	fi
else
	e2e_fail "iperf3 server on h2 listens" ""
fi

# BGP's own packets (TCP between link-local addresses) reach the kernel
st=$("$ROUTERCTL" -s "$SOCK1" -j stats | jq -r '.interfaces[] | select(.name == "eth1") |
	"\(.pass_reasons.link_local) \(.counters.dropped)"')
read -r ll dr <<<"$st"
tap_cmp "r1 eth1: BGP sessions' link-local packets passed to the kernel (pass link_local)" "$ll" -gt 0
tap_cmp "r1 eth1: nothing dropped" "$dr" -eq 0
tap_check "both BGP sessions still Established after the traffic" bash -c \
	". '$RD_ROOT/lab/lib.sh'; frr_vtysh $P r1 -c 'show bgp neighbors json' |
	 jq -e '[.[] | select(.bgpState == \"Established\")] | length == 2' >/dev/null"
tap_done
