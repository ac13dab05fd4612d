#!/usr/bin/env bash
# Integration: path MTU through r (lab basic) with a 1280-byte MTU on the
# r -- h2 link (r's eth1 and h2's eth0), kernel only and with routerd on r.
#   - IPv4 with DF larger than 1280: r answers frag-needed carrying MTU
#     1280, and h1 learns it (its next try fails locally with mtu=1280);
#   - IPv6 larger than 1280: packet-too-big with MTU 1280, after which h1
#     fragments at the source and the pings go through;
#   - IPv4 without DF larger than 1280: r fragments, h2 reassembles, the
#     pings are answered;
#   - the boundary: exactly 1280 bytes goes through, 1281 does not.
# With routerd the too-big packets are handed to the kernel
# (pass_reasons.frag_needed) and never forwarded in XDP; packets that fit
# are. Every probe goes to its own address of h2 (a PMTU learned for one
# destination must not change the next probe) from its own source (ICMP
# errors are rate-limited per destination host).
set -uo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

it_setup() {
	local i
	it_setup_sources || return 1
	ip -n "$(ns r)" link set eth1 mtu 1280 || return 1
	ip -n "$(ns h2)" link set eth0 mtu 1280 || return 1
	for i in $(seq 20 29); do
		ip -n "$(ns h2)" addr add "198.18.2.$i/24" dev eth0 || return 1
		ip -n "$(ns h2)" -6 addr add "2001:db8:2::$i/64" dev eth0 nodad || return 1
	done
}

case_df_set_ipv4() {
	local m=$1 src
	src=$(it_src ipv4)
	it_mark
	it_same "$m" "IPv4 1428 bytes DF set h1 -> h2" \
		"$(it_probe "$(ns h1)" 198.18.2.20 -M "do" -s 1400 -I "$src")" \
		"198.18.1.1: Frag needed and DF set (mtu = 1280)"
	it_k_ge "$m" "IPv4 DF too big" r IcmpOutDestUnreachs 1
	it_cmp "$m" "IPv4 DF too big: h2 got none of it (IpInReceives)" "$(it_k h2 IpInReceives)" -eq 0
	it_rd_ge "$m" "IPv4 DF too big handed to the kernel" r frag_needed 1 eth0
	it_rd_le "$m" "IPv4 DF too big not forwarded in XDP" r forwarded_ipv4 0 eth0
	# the MTU in the ICMP reached h1's route cache
	it_same "$m" "IPv4 1428 bytes DF set h1 -> h2, second try" \
		"$(it_probe "$(ns h1)" 198.18.2.20 -M "do" -s 1400 -I "$src")" \
		"local error: message too long, mtu=1280"
}

case_df_clear_ipv4() {
	local m=$1 res tx rx
	it_mark
	res=$(timeout 10 ip netns exec "$(ns h1)" ping -q -n -c 5 -i 0.1 -W 1 -M dont -s 1400 198.18.2.21 2>&1)
	read -r tx rx <<<"$(e2e_ping_parse "$res")"
	it_same "$m" "IPv4 1428 bytes DF clear h1 -> h2 (5 pings)" "$rx/$tx answered" "5/5 answered"
	it_k_ge "$m" "IPv4 DF clear: r fragmented" r IpFragCreates 10
	it_k_ge "$m" "IPv4 DF clear: r fragmented" r IpFragOKs 5
	it_k_ge "$m" "IPv4 DF clear: h2 reassembled" h2 IpReasmOKs 5
	it_cmp "$m" "IPv4 DF clear: r sent no frag-needed" "$(it_k r IcmpOutDestUnreachs)" -eq 0
	it_rd_ge "$m" "IPv4 DF clear handed to the kernel to fragment" r frag_needed 5 eth0
	# h2 fragments its replies to fit its own 1280 MTU: those fit r's eth0
	it_rd_ge "$m" "IPv4 DF clear: reply fragments forwarded in XDP" r forwarded_ipv4 10 eth1
}

case_too_big_ipv6() {
	local m=$1 src res tx rx
	src=$(it_src ipv6)
	it_mark
	it_same "$m" "IPv6 1448 bytes h1 -> h2" \
		"$(it_probe "$(ns h1)" 2001:db8:2::20 -s 1400 -I "$src")" \
		"2001:db8:1::1: Packet too big: mtu=1280"
	it_k_ge "$m" "IPv6 too big" r Icmp6OutPktTooBigs 1
	it_rd_ge "$m" "IPv6 too big handed to the kernel" r frag_needed 1 eth0
	it_rd_le "$m" "IPv6 too big not forwarded in XDP" r forwarded_ipv6 0 eth0
	# h1 learned 1280 from the ICMPv6 and now fragments at the source
	it_warm r "$src" 2001:db8:2::20
	it_mark
	res=$(timeout 10 ip netns exec "$(ns h1)" ping -q -n -c 5 -i 0.1 -W 1 -s 1400 -I "$src" \
		2001:db8:2::20 2>&1)
	read -r tx rx <<<"$(e2e_ping_parse "$res")"
	it_same "$m" "IPv6 1448 bytes h1 -> h2 after the packet-too-big (5 pings)" "$rx/$tx answered" "5/5 answered"
	it_k_ge "$m" "IPv6 after packet-too-big: h2 reassembled" h2 Ip6ReasmOKs 5
	it_cmp "$m" "IPv6 after packet-too-big: no more packet-too-big" "$(it_k r Icmp6OutPktTooBigs)" -eq 0
	it_path "$m" "IPv6 after packet-too-big: the fragments" r ipv6 10 eth0
}

# 1280 bytes fit the link, 1281 do not (IPv4: -s 1252/1253, IPv6: 1232/1233)
case_boundary() {
	local m=$1 fam src ok big dst
	for fam in ipv4 ipv6; do
		if [ "$fam" = ipv4 ]; then
			ok=1252 dst=198.18.2.22 big="198.18.1.1: Frag needed and DF set (mtu = 1280)"
		else
			ok=1232 dst=2001:db8:2::22 big="2001:db8:1::1: Packet too big: mtu=1280"
		fi
		src=$(it_src "$fam")
		it_warm r "$src" "$dst"
		it_mark
		it_same "$m" "$fam packet of exactly 1280 bytes h1 -> h2" \
			"$(it_probe "$(ns h1)" "$dst" -M "do" -s "$ok" -I "$src")" "reply from $dst"
		it_path "$m" "$fam 1280 bytes (request and reply)" r "$fam" 2
		it_rd_le "$m" "$fam 1280 bytes" r frag_needed 0
		it_mark
		it_same "$m" "$fam packet of 1281 bytes h1 -> h2" \
			"$(it_probe "$(ns h1)" "$dst" -M "do" -s "$((ok + 1))" -I "$(it_src "$fam")")" "$big"
		it_rd_ge "$m" "$fam 1281 bytes" r frag_needed 1 eth0
	done
}

it_main basic pm case_df_set_ipv4 case_df_clear_ipv4 case_too_big_ipv6 case_boundary
