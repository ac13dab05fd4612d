#!/usr/bin/env bash
# Integration: what routers answer themselves, kernel only and with routerd
# on both routers (lab chain, h1 -- r1 -- r2 -- h2):
#   - traceroute (UDP) and ping with TTL/hop limit 1 and 2: time-exceeded
#     from r1's address, then from r2's (the TTL 2 probe crosses r1, in XDP
#     with routerd, which must decrement it exactly once);
#   - echo requests to r1's own addresses, near side and far side;
#   - unreachable / prohibit / blackhole routes on r1 and no route at all:
#     the right ICMP type and code (as ping words them: type 3 code 1 "Host
#     Unreachable", code 13 "Packet filtered", code 0 "Net Unreachable";
#     ICMPv6 type 1 code 0 "No route", code 1 "Administratively
#     prohibited"), blackhole silent.
# With routerd, its counters say which path took each probe: pass_reasons
# ttl / local / unreachable / prohibit, drop_reasons blackhole,
# forwarded_ipv4/6 for the probes that cross r1.
# Every error probe uses its own source address: the kernel rate-limits ICMP
# errors per destination host.
set -uo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

it_setup() {
	it_setup_sources || return 1
	local r1 t i=50
	r1=$(ns r1)
	for t in unreachable prohibit blackhole; do
		ip -n "$r1" route add "$t" "198.18.$i.0/24" || return 1
		ip -n "$r1" -6 route add "$t" "2001:db8:$i::/64" || return 1
		i=$((i + 1))
	done
}

# hops NS TRACEROUTE_ARGS...: the addresses traceroute lists, one per hop
hops() {
	local n=$1
	shift
	timeout 20 ip netns exec "$n" traceroute -n -q 1 -w 1 -N 1 -m 5 "$@" 2>&1 |
		awk '/^ *[0-9]+ / { print $2 }' | paste -sd' ' -
}

case_traceroute() {
	local m=$1 fam src
	for fam in ipv4 ipv6; do
		src=$(it_src "$fam")
		it_mark
		if [ "$fam" = ipv4 ]; then
			it_same "$m" "traceroute $fam h1 -> h2" "$(hops "$(ns h1)" -s "$src" 198.18.2.2)" \
				"198.18.1.1 198.18.3.2 198.18.2.2"
			it_k_ge "$m" "traceroute $fam" r1 IcmpOutTimeExcds 1
			it_k_ge "$m" "traceroute $fam" r2 IcmpOutTimeExcds 1
		else
			it_same "$m" "traceroute $fam h1 -> h2" "$(hops "$(ns h1)" -6 -s "$src" 2001:db8:2::2)" \
				"2001:db8:1::1 2001:db8:3::2 2001:db8:2::2"
			it_k_ge "$m" "traceroute $fam" r1 Icmp6OutTimeExcds 1
			it_k_ge "$m" "traceroute $fam" r2 Icmp6OutTimeExcds 1
		fi
		# hop 1 expires at r1; hops 2 and 3 cross it, hop 2 expires at r2
		it_rd_ge "$m" "traceroute $fam" r1 ttl 1 eth0
		it_rd_ge "$m" "traceroute $fam" r1 "forwarded_$fam" 2 eth0
		it_rd_ge "$m" "traceroute $fam" r2 ttl 1 eth0
	done
}

case_ping_ttl() {
	local m=$1 fam ttl want src
	for fam in ipv4 ipv6; do
		for ttl in 1 2; do
			src=$(it_src "$fam")
			if [ "$fam" = ipv4 ]; then
				want="198.18.$((ttl == 1 ? 1 : 3)).$ttl: Time to live exceeded"
				it_mark
				it_same "$m" "ping $fam -t $ttl h1 -> h2" \
					"$(it_probe "$(ns h1)" 198.18.2.2 -t "$ttl" -I "$src")" "$want"
				it_k_ge "$m" "ping $fam -t $ttl" "r$ttl" IcmpOutTimeExcds 1
			else
				want="2001:db8:$((ttl == 1 ? 1 : 3))::$ttl: Time exceeded: Hop limit"
				it_mark
				it_same "$m" "ping $fam -t $ttl h1 -> h2" \
					"$(it_probe "$(ns h1)" 2001:db8:2::2 -t "$ttl" -I "$src")" "$want"
				it_k_ge "$m" "ping $fam -t $ttl" "r$ttl" Icmp6OutTimeExcds 1
			fi
			it_rd_ge "$m" "ping $fam -t $ttl" "r$ttl" ttl 1 eth0
			if [ "$ttl" = 2 ]; then
				it_rd_ge "$m" "ping $fam -t 2 crosses r1" r1 "forwarded_$fam" 1 eth0
			else
				it_rd_le "$m" "ping $fam -t 1 stops at r1" r1 "forwarded_$fam" 0 eth0
			fi
		done
	done
}

# echo requests to r1's addresses: near side (eth0) and far side (eth1)
case_own_addresses() {
	local m=$1 a res tx rx
	it_mark
	for a in 198.18.1.1 198.18.3.1 2001:db8:1::1 2001:db8:3::1; do
		it_same "$m" "ping r1's $a from h1" "$(it_probe "$(ns h1)" "$a")" "reply from $a"
		res=$(e2e_ping "$(ns h1)" "$a" 5 0.05)
		read -r tx rx <<<"$res"
		it_same "$m" "5 pings to r1's $a from h1" "$rx/$tx answered" "5/5 answered"
	done
	it_k_ge "$m" "pings to r1's own addresses" r1 IcmpOutEchoReps 12
	it_k_ge "$m" "pings to r1's own addresses" r1 Icmp6OutEchoReplies 12
	it_cmp "$m" "pings to r1's own addresses: r1 forwarded none of them (IpForwDatagrams)" \
		"$(it_k r1 IpForwDatagrams)" -eq 0
	it_rd_ge "$m" "pings to r1's own addresses" r1 local 24 eth0
	it_rd_le "$m" "pings to r1's own addresses" r1 forwarded_ipv4 0
	it_rd_le "$m" "pings to r1's own addresses" r1 forwarded_ipv6 0
	# and from the far side: h2's pings cross r2 and reach r1 on eth1
	it_mark
	for a in 198.18.1.1 2001:db8:1::1; do
		it_same "$m" "ping r1's $a from h2" "$(it_probe "$(ns h2)" "$a")" "reply from $a"
	done
	it_rd_ge "$m" "pings from h2 to r1" r1 local 2 eth1
	it_rd_ge "$m" "pings from h2 to r1 cross r2" r2 forwarded_ipv4 1 eth1
	it_rd_ge "$m" "pings from h2 to r1 cross r2" r2 forwarded_ipv6 1 eth1
}

# DST|EXPECTED|KERNEL_COUNTER (r1 sends it, "-": r1 sends nothing)|REASON
ROUTE_PROBES=(
	"198.18.50.1|198.18.1.1: Destination Host Unreachable|IcmpOutDestUnreachs|unreachable"
	"198.18.51.1|198.18.1.1: Packet filtered|IcmpOutDestUnreachs|prohibit"
	"198.18.52.1|none|-|blackhole"
	"198.19.99.1|198.18.1.1: Destination Net Unreachable|IcmpOutDestUnreachs|local"
	"2001:db8:50::1|2001:db8:1::1: Destination unreachable: No route|Icmp6OutDestUnreachs|unreachable"
	"2001:db8:51::1|2001:db8:1::1: Destination unreachable: Administratively prohibited|Icmp6OutDestUnreachs|prohibit"
	"2001:db8:52::1|none|-|blackhole"
	"2001:db8:99::1|2001:db8:1::1: Destination unreachable: No route|Icmp6OutDestUnreachs|local"
)

# ICMP and ICMPv6 errors NODE sent since it_mark (not Icmp6OutMsgs: that
# counts neighbour discovery too)
icmp_errors() {
	local k sum=0
	for k in IcmpOutDestUnreachs IcmpOutTimeExcds IcmpOutParmProbs IcmpOutRedirects \
		Icmp6OutDestUnreachs Icmp6OutPktTooBigs Icmp6OutTimeExcds Icmp6OutParmProblems \
		Icmp6OutRedirects; do
		sum=$((sum + $(it_k "$1" "$k")))
	done
	echo "$sum"
}

case_route_types() {
	local m=$1 p dst want kc why fam what
	for p in "${ROUTE_PROBES[@]}"; do
		IFS='|' read -r dst want kc why <<<"$p"
		fam=ipv4 && [[ $dst == *:* ]] && fam=ipv6
		case $why in
		local) what="no route" ;;
		*) what="$why route" ;;
		esac
		it_mark
		it_same "$m" "ping $dst ($what on r1)" "$(it_probe "$(ns h1)" "$dst" -I "$(it_src "$fam")")" "$want"
		if [ "$kc" = - ]; then
			it_cmp "$m" "$what $fam: r1 sent no ICMP error" "$(icmp_errors r1)" -eq 0
			it_rd_ge "$m" "$what $fam dropped in XDP" r1 blackhole 1 eth0
		else
			it_k_ge "$m" "$what $fam" r1 "$kc" 1
			it_rd_ge "$m" "$what $fam handed to the kernel" r1 "$why" 1 eth0
		fi
		it_rd_le "$m" "$what $fam" r1 "forwarded_$fam" 0
	done
}

it_main chain ic case_traceroute case_ping_ttl case_own_addresses case_route_types
