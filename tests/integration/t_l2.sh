#!/usr/bin/env bash
# Integration: what XDP must leave to the kernel on a link (lab basic,
# kernel only and with routerd on r):
#   - ARP: flushed entries on h1 and r re-resolve when h1 pings h2; direct
#     who-has probes for r's near address, r's far address (Linux answers
#     for any of its addresses) and h2's (nobody answers: no proxy ARP);
#   - ND: the same with neighbour solicitations (r answers for its near
#     address with the router flag, not for its far one or h2's);
#   - multicast: pings to 224.0.0.1 and ff02::1 on the h1 link, answered by
#     r; pings to 239.1.2.3 / ff0e::1234 go nowhere (r does no multicast
#     routing) and never reach h2;
#   - broadcast: ping -b to the link's broadcast address, to
#     255.255.255.255 and to h2's subnet broadcast (r answers; it does not
#     forward directed broadcasts to h2).
# With routerd, pass_reasons arp / nd / multicast / local count them and
# nothing is forwarded. Set-up, the same in both modes: r answers
# broadcast and multicast pings (icmp_echo_ignore_broadcasts=0); h1 does
# not answer its own multicast pings, so that ping shows r's answers only.
set -uo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

it_setup() {
	ip netns exec "$(ns r)" sysctl -qw net.ipv4.icmp_echo_ignore_broadcasts=0 &&
		ip netns exec "$(ns h1)" sysctl -qw net.ipv6.icmp.echo_ignore_multicast=1 &&
		ip netns exec "$(ns h2)" sysctl -qw net.ipv4.icmp_echo_ignore_broadcasts=0
}

mac() { ip -n "$(ns "$1")" -j link show dev "$2" | jq -r '.[0].address'; }
lladdr6() {
	ip -n "$(ns "$1")" -j -6 addr show dev "$2" scope link | jq -r '[.[0].addr_info[] | .local // empty][0]'
}

# names NODE:IFACE... : a sed script turning their MACs and link-local
# addresses into "NODE's IFACE MAC" / "NODE's IFACE link-local", so that
# outcomes read the same in both modes' labs
names() {
	local x n i
	for x in "$@"; do
		n=${x%%:*} i=${x#*:}
		printf 's/%s/%s/g;s/%s/%s/g;' "$(mac "$n" "$i")" "$n's $i MAC" \
			"$(lladdr6 "$n" "$i")" "$n's $i link-local"
	done
}

# neigh NODE DEV ADDR: "MAC-as-name STATE" of an entry, "none" if absent
neigh() {
	local out
	out=$(ip -n "$(ns "$1")" -j neigh show dev "$2" to "$3" |
		jq -r '.[0] | select(.) | "\(.lladdr // "-") \(.state[0])"')
	sed "$(names r:eth0 h1:eth0)" <<<"${out:-none}"
}

# l2probe arp|ns TARGET: from h1's eth0
l2probe() {
	local src=198.18.1.2
	[ "$1" = ns ] && src=2001:db8:1::2
	timeout 15 ip netns exec "$(ns h1)" "$PY" "$IT_DIR/l2probe.py" "$1" eth0 "$src" "$2" 2>&1 |
		sed "$(names r:eth0 h1:eth0)" | paste -sd';' -
}

# resolve MODE FAMILY: h1's entries flushed, h1 pings h2 and resolves r;
# then r's entries flushed, h2 pings h1 and r resolves h1
resolve() {
	local m=$1 fam=$2 what r1 h1a h2a res tx rx
	if [ "$fam" = ipv4 ]; then
		what=ARP r1=198.18.1.1 h1a=198.18.1.2 h2a=198.18.2.2
	else
		what=ND r1=2001:db8:1::1 h1a=2001:db8:1::2 h2a=2001:db8:2::2
	fi
	ip -n "$(ns h1)" "-${fam#ipv}" neigh flush dev eth0
	it_same "$m" "$what: h1's entry for r after a flush" "$(neigh h1 eth0 "$r1")" none
	it_mark
	res=$(e2e_ping "$(ns h1)" "$h2a" 3 0.1)
	read -r tx rx <<<"$res"
	it_same "$m" "$what: 3 pings h1 -> h2 after h1's flush" "$rx/$tx answered" "3/3 answered"
	it_same "$m" "$what: h1's entry for r re-resolved" "$(neigh h1 eth0 "$r1")" "r's eth0 MAC REACHABLE"
	if [ "$fam" = ipv4 ]; then
		it_rd_ge "$m" "$what: h1's who-has (broadcast)" r arp 1 eth0
	else
		it_rd_ge "$m" "$what: h1's solicitation (multicast)" r multicast 1 eth0
	fi
	it_rd_ge "$m" "$what: the pings after it" r "forwarded_$fam" 2 eth0

	ip -n "$(ns r)" "-${fam#ipv}" neigh flush dev eth0
	it_same "$m" "$what: r's entry for h1 after a flush" "$(neigh r eth0 "$h1a")" none
	it_mark
	res=$(e2e_ping "$(ns h2)" "$h1a" 3 0.1)
	read -r tx rx <<<"$res"
	it_same "$m" "$what: 3 pings h2 -> h1 after r's flush" "$rx/$tx answered" "3/3 answered"
	it_same "$m" "$what: r's entry for h1 re-resolved" "$(neigh r eth0 "$h1a")" "h1's eth0 MAC REACHABLE"
	if [ "$fam" = ipv4 ]; then
		it_rd_ge "$m" "$what: h1's reply to r's who-has (unicast)" r arp 1 eth0
	else
		it_rd_ge "$m" "$what: h1's advertisement (unicast)" r nd 1 eth0
	fi
	it_rd_ge "$m" "$what: the first ping request waited for it in the kernel" r no_neigh 1 eth1
	it_rd_ge "$m" "$what: the later ping requests" r "forwarded_$fam" 2 eth1
}

case_arp() {
	local m=$1
	resolve "$m" ipv4
	it_mark
	it_same "$m" "ARP who-has 198.18.1.1 (r, this link)" "$(l2probe arp 198.18.1.1)" "is-at r's eth0 MAC"
	it_same "$m" "ARP who-has 198.18.2.1 (r, other link)" "$(l2probe arp 198.18.2.1)" "is-at r's eth0 MAC"
	it_same "$m" "ARP who-has 198.18.2.2 (h2, other link)" "$(l2probe arp 198.18.2.2)" none
	it_rd_ge "$m" "ARP who-has probes" r arp 3 eth0
}

case_nd() {
	local m=$1
	resolve "$m" ipv6
	it_mark
	it_same "$m" "ND solicitation for 2001:db8:1::1 (r, this link)" "$(l2probe ns 2001:db8:1::1)" \
		"na r's eth0 MAC router=1 solicited=1"
	it_same "$m" "ND solicitation for 2001:db8:2::1 (r, other link)" "$(l2probe ns 2001:db8:2::1)" none
	it_same "$m" "ND solicitation for 2001:db8:2::2 (h2, other link)" "$(l2probe ns 2001:db8:2::2)" none
	it_rd_ge "$m" "ND solicitations" r multicast 3 eth0
}

# replies NS DST PING_ARGS...: "N from ADDR[, N from ADDR2]" for 3 pings
replies() {
	local n=$1 dst=$2
	shift 2
	timeout 10 ip netns exec "$(ns "$n")" ping -n -c 3 -i 0.2 -W 1 "$@" "$dst" 2>&1 |
		awk '/ bytes from / { a = $4; sub(/:$/, "", a); sub(/%.*/, "", a); c[a]++ }
			END { for (a in c) printf "%s%d from %s", (n++ ? ", " : ""), c[a], a; if (!n) printf "none" }' |
		sed "$(names r:eth0 h1:eth0)"
}

case_multicast() {
	local m=$1
	it_mark
	it_same "$m" "3 pings to 224.0.0.1 on h1's link" "$(replies h1 224.0.0.1 -I eth0)" "3 from 198.18.1.1"
	it_same "$m" "3 pings to ff02::1 on h1's link" "$(replies h1 ff02::1%eth0)" "3 from r's eth0 link-local"
	it_k_ge "$m" "multicast pings" r IcmpInEchos 3
	it_k_ge "$m" "multicast pings" r Icmp6InEchos 3
	it_rd_ge "$m" "multicast pings" r multicast 6 eth0
	# group addresses beyond the link: r does no multicast routing
	it_mark
	it_same "$m" "3 pings to 239.1.2.3 (TTL 5) from h1" "$(replies h1 239.1.2.3 -I eth0 -t 5)" none
	it_same "$m" "3 pings to ff0e::1234 (hop limit 5) from h1" "$(replies h1 ff0e::1234 -I eth0 -t 5)" none
	it_same "$m" "multicast beyond the link: packets h2 received" \
		"$(($(it_k h2 IpExtInMcastPkts) + $(it_k h2 Ip6InMcastPkts) + $(it_k h2 IpInReceives)))" 0
	it_cmp "$m" "multicast beyond the link: r forwarded none (IpForwDatagrams + Ip6OutForwDatagrams)" \
		$(($(it_k r IpForwDatagrams) + $(it_k r Ip6OutForwDatagrams))) -eq 0
	it_rd_ge "$m" "multicast beyond the link" r multicast 6 eth0
	it_rd_le "$m" "multicast beyond the link" r forwarded_ipv4 0
	it_rd_le "$m" "multicast beyond the link" r forwarded_ipv6 0
}

case_broadcast() {
	local m=$1
	it_mark
	it_same "$m" "3 pings -b 198.18.1.255 (h1's link)" "$(replies h1 198.18.1.255 -b)" "3 from 198.18.1.1"
	it_same "$m" "3 pings -b 255.255.255.255" "$(replies h1 255.255.255.255 -b)" "3 from 198.18.1.1"
	it_k_ge "$m" "broadcast pings" r IcmpInEchos 6
	it_rd_ge "$m" "broadcast pings" r multicast 6 eth0
	# h2's subnet broadcast: a unicast frame to r, which answers it and
	# does not forward it (bc_forwarding off)
	it_mark
	it_same "$m" "3 pings -b 198.18.2.255 (h2's subnet)" "$(replies h1 198.18.2.255 -b)" "3 from 198.18.1.1"
	it_same "$m" "directed broadcast: packets h2 received" \
		"$(($(it_k h2 IpExtInBcastPkts) + $(it_k h2 IpInReceives)))" 0
	it_cmp "$m" "directed broadcast: r forwarded none (IpForwDatagrams)" "$(it_k r IpForwDatagrams)" -eq 0
	it_rd_le "$m" "directed broadcast" r forwarded_ipv4 0
	[ "$m" = routerd ] && e2e_diag "[routerd] directed broadcast: pass_reasons local $(it_rd r local eth0), martian $(it_rd r martian eth0)"
	it_rd_ge "$m" "directed broadcast handed to the kernel (local or martian)" r passed 3 eth0
}

it_main basic l2 case_arp case_nd case_multicast case_broadcast
