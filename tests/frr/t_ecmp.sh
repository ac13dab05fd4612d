#!/usr/bin/env bash
# ECMP through FRR's nexthop objects. FRR 8.4 installs routes as
# `nhid N` pointing at a nexthop group (ip nexthop), one member per link.
# With fib_multipath_hash_policy=1 the kernel hashes L4 ports, and so must
# the XDP fast path (it fills sport/dport in bpf_fib_lookup): UDP flows
# with different source ports spread over both r1 -> r2 links, each flow
# stays on one link, and a flow takes the same link with routerd as
# without it (XDP's hash is the kernel's software hash).
# h1 sends IPv6 without automatic flow labels: with them, the sender's skb
# carries an L4 hash across the veth and the kernel's forwarding hash
# short-circuits to it (skb->l4_hash; on real NICs the RSS hash does the
# same), which XDP does not see; about half of the IPv6 flows then take
# another link with routerd than without (measured: 16 of 32).
# Per-link counts are r2's rx packets on eth0 (link via r1 eth1) and eth1
# (via r1 eth2).
# Environment: FRR_FLOWS (default 32) flows per family.
set -uo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

FLOWS=${FRR_FLOWS:-32}
PER=30
P=rfe$$
frr_suite_init
frr_lab "$P"
e2e_diag "lab frr, prefix $P; $FLOWS flows x $PER datagrams per family"

ip netns exec "$P-h1" sysctl -qw net.ipv6.auto_flowlabels=0
frr_start_checked "$P" ospf
frr_converge "OSPF converged: 2-path routes r1 -> h2 and r2 -> h1 (IPv4 and IPv6)" 30 \
	"$P-r1" 198.18.2.0/24 2 "$P-r2" 198.18.1.0/24 2 \
	"$P-r1" 2001:db8:2::/64 2 "$P-r2" 2001:db8:1::/64 2

# --- FRR's nexthop objects --------------------------------------------------
for dst in 198.18.2.0/24 2001:db8:2::/64; do
	fam=-4
	[[ $dst == *:* ]] && fam=-6
	nhid=$(ip -n "$P-r1" $fam -j route show "$dst" | jq -r '.[0].nhid // empty')
	if [ -z "$nhid" ]; then
		e2e_fail "r1's route to $dst uses a nexthop object (nhid)" "$(ip -n "$P-r1" $fam route show "$dst")"
		continue
	fi
	members=$(ip -n "$P-r1" -j nexthop show id "$nhid" | jq -r '[.[0].group[].id] | join(" ")')
	devs=$(for m in $members; do ip -n "$P-r1" -j nexthop show id "$m" | jq -r '.[0].dev'; done | sort | tr '\n' ' ')
	if [ "$devs" = "eth1 eth2 " ]; then
		tap_ok "r1's route to $dst: nhid $nhid, a group of nexthops $members on eth1 and eth2"
	else
		e2e_fail "r1's route to $dst: nhid group over eth1 and eth2" \
			"nhid $nhid members '$members' devs '$devs'" "$(ip -n "$P-r1" nexthop)"
	fi
done
tap_cmp "r1 hashes L4 ports (fib_multipath_hash_policy IPv4/IPv6)" \
	"$(ip netns exec "$P-r1" sysctl -n net.ipv4.fib_multipath_hash_policy)/$(ip netns exec "$P-r1" sysctl -n net.ipv6.fib_multipath_hash_policy)" = 1/1

# flows_of DST: "PORT LINK" per flow (LINK 0 = r2 eth0 = via r1 eth1,
# 1 = r2 eth1 = via r1 eth2)
flows_of() { flow_links "$P-h1" "$P-r2" "$1" "$FLOWS" "$PER" 40000 eth0 eth1; }

declare -A KMAP
for dst in 198.18.2.2 2001:db8:2::2; do
	e2e_ping "$P-h1" "$dst" 2 0.05 >/dev/null
	KMAP[$dst]=$(flows_of "$dst")
	n0=$(grep -c ' 0$' <<<"${KMAP[$dst]}") n1=$(grep -c ' 1$' <<<"${KMAP[$dst]}")
	mixed=$(grep -c '?' <<<"${KMAP[$dst]}")
	tap_cmp "kernel, $dst: every flow on one link ($n0 via eth1, $n1 via eth2, $mixed mixed)" $((n0 + n1)) -eq "$FLOWS"
	tap_check "kernel, $dst: flows use both links" test "$n0" -ge 4 -a "$n1" -ge 4
done

# --- the same with routerd on both routers ------------------------------------
rd_start_routers "$P"
for dst in 198.18.2.2 2001:db8:2::2; do
	key=forwarded_ipv4 kf=kfwd4
	[[ $dst == *:* ]] && key=forwarded_ipv6 kf=kfwd6
	e2e_ping "$P-h1" "$dst" 2 0.05 >/dev/null
	f0=$(rd_counter "$SOCK1" "$key" eth0) k0=$($kf "$P-r1")
	map=$(flows_of "$dst")
	df=$(($(rd_counter "$SOCK1" "$key" eth0) - f0)) dk=$(($($kf "$P-r1") - k0))
	n0=$(grep -c ' 0$' <<<"$map") n1=$(grep -c ' 1$' <<<"$map") mixed=$(grep -c '?' <<<"$map")
	tap_cmp "routerd, $dst: every flow on one link ($n0 via eth1, $n1 via eth2, $mixed mixed)" $((n0 + n1)) -eq "$FLOWS"
	tap_check "routerd, $dst: flows use both links" test "$n0" -ge 4 -a "$n1" -ge 4
	if [ "$df" -ge $((FLOWS * PER)) ] && [ $((dk * 100)) -lt $((5 * FLOWS * PER)) ]; then
		tap_ok "routerd, $dst: r1 forwarded the flows in XDP ($key +$df, kernel +$dk)"
	else
		e2e_fail "routerd, $dst: r1 forwarded the flows in XDP" "$key +$df of $((FLOWS * PER)), kernel +$dk"
	fi
	moved=$(diff <(echo "${KMAP[$dst]}") <(echo "$map") | grep -c '^>')
	if [ "$moved" -eq 0 ]; then
		tap_ok "routerd, $dst: each flow takes the same link as with kernel forwarding"
	else
		e2e_fail "routerd, $dst: each flow takes the same link as with kernel forwarding" \
			"$moved of $FLOWS flows differ (port link: kernel vs routerd)" \
			"$(diff <(echo "${KMAP[$dst]}") <(echo "$map") | head -20)"
	fi
done

# one long flow stays on one link
a0=$(rxp "$P-r2" eth0) b0=$(rxp "$P-r2" eth1)
f0=$(rd_counter "$SOCK1" forwarded_ipv4 eth0)
udp_flows "$P-h1" 198.18.2.2 1 2000 41000
sleep 0.1
a=$(($(rxp "$P-r2" eth0) - a0)) b=$(($(rxp "$P-r2" eth1) - b0))
df=$(($(rd_counter "$SOCK1" forwarded_ipv4 eth0) - f0))
if { [ "$a" -ge 2000 ] && [ "$b" -le 5 ]; } || { [ "$b" -ge 2000 ] && [ "$a" -le 5 ]; }; then
	tap_ok "routerd: one flow of 2000 datagrams stays on one link ($a via eth1, $b via eth2; XDP $df)"
else
	e2e_fail "routerd: one flow of 2000 datagrams stays on one link" "r2 rx: eth0 +$a, eth1 +$b"
fi

# the flows of a many-flow burst, counted on r1's egress (tx) this time
t1=$(txp "$P-r1" eth1) t2=$(txp "$P-r1" eth2)
udp_flows "$P-h1" 198.18.2.2 256 4 42000
sleep 0.1
t1=$(($(txp "$P-r1" eth1) - t1)) t2=$(($(txp "$P-r1" eth2) - t2))
e2e_diag "256 IPv4 flows x 4 datagrams through routerd: r1 eth1 tx +$t1, eth2 tx +$t2"
tap_check "routerd: 256 flows split over both links, neither above 70% ($t1 / $t2)" \
	test $((t1 * 10)) -le $(((t1 + t2) * 7)) -a $((t2 * 10)) -le $(((t1 + t2) * 7)) -a $((t1 + t2)) -ge 1024
tap_done
