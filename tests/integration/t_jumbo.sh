#!/usr/bin/env bash
# Integration: jumbo frames (lab basic, every link at MTU 9000), kernel only
# and with routerd on r. routerd's program is frags-aware (xdp.frags), so:
#   - it attaches in native mode on every interface at MTU 9000 (a plain
#     XDP program cannot: veth refuses it above a peer MTU of ~3500);
#   - 8972-byte IPv4 and 8952-byte IPv6 pings and a TCP transfer are
#     forwarded in XDP as multi-buffer frames (routerd's counters grow, the
#     kernel's forwarding counters stay flat);
#   - PMTU stays the kernel's: with the r -- h2 link lowered to 1500 while
#     routerd runs, a 9000-byte DF packet gets frag-needed (IPv4) or
#     packet-too-big (IPv6) with MTU 1500 from r, and packets that fit are
#     still forwarded in XDP (mixed MTUs: 9000 in, 1500 out);
#   - the peer of a veth routerd is attached to can be raised again, to
#     4000, 5000 and back to 9000 (with a plain program the kernel refuses
#     anything above ~3506: "mtu greater than device maximum").
set -uo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

JUMBO=9000
TCP_BYTES=$((32 << 20))

# node:iface of every link end
LINKS="h1:eth0 r:eth0 r:eth1 h2:eth0"

it_setup() {
	local l
	it_setup_sources || return 1
	# PMTU probes go here: h1 keeps what it learns per destination
	ip -n "$(ns h2)" addr add 198.18.2.20/24 dev eth0 || return 1
	ip -n "$(ns h2)" -6 addr add 2001:db8:2::20/64 dev eth0 nodad || return 1
	for l in $LINKS; do
		ip -n "$(ns "${l%%:*}")" link set "${l#*:}" mtu "$JUMBO" || return 1
	done
}

# xdp attach mode of NODE's IFACE as ip(8) reports it: 1 native, 2 generic
xdp_mode() {
	ip -n "$(ns "$1")" -j -d link show dev "$2" | jq -r '.[0].xdp.mode // "none"'
}

case_native_everywhere() {
	local m=$1 i mode
	[ "$m" = routerd ] || return 0
	for i in eth0 eth1; do
		mode=$(xdp_mode r "$i")
		tap_cmp "[routerd] r's $i at MTU $JUMBO: XDP in native mode (1)" "$mode" = 1
	done
	if grep -q "using generic mode" "$(lab_log "$IT_P" r)" 2>/dev/null; then
		e2e_fail "[routerd] routerd did not fall back to generic mode" \
			"$(grep "generic" "$(lab_log "$IT_P" r)")"
	else
		tap_ok "[routerd] routerd did not fall back to generic mode"
	fi
}

jumbo_pings() {
	local m=$1 fam=$2 dst=$3 size=$4 hdrs=$5 res tx rx
	it_warm h1 "$dst"
	it_mark
	res=$(timeout 20 ip netns exec "$(ns h1)" ping -q -n -c 10 -i 0.05 -W 2 -M do -s "$size" "$dst" 2>&1)
	read -r tx rx <<<"$(e2e_ping_parse "$res")"
	it_same "$m" "$fam $((size + hdrs)) bytes h1 -> h2, DF (10 pings)" "$rx/$tx answered" "10/10 answered"
	it_path "$m" "$fam jumbo pings" r "$fam" 20
	it_rd_le "$m" "$fam jumbo pings: none split or held" r split_headers 0
	it_rd_le "$m" "$fam jumbo pings: none held for the egress" r frags_egress 0
}

case_ping_ipv4() { jumbo_pings "$1" ipv4 198.18.2.2 $((JUMBO - 28)) 28; }
case_ping_ipv6() { jumbo_pings "$1" ipv6 2001:db8:2::2 $((JUMBO - 48)) 48; }

case_tcp() {
	local m=$1 srv tx rx
	it_mark
	ip netns exec "$(ns h2)" "$PY" "$E2E_DIR/tcp_xfer.py" serve 5201 \
		>"$E2E_TMP/rx" 2>"$E2E_TMP/rx.err" &
	srv=$!
	E2E_PIDS+=("$srv")
	if ! e2e_wait_listen "$(ns h2)" 5201; then
		e2e_fail "[$m] TCP receiver listens on h2" "$(cat "$E2E_TMP/rx.err")"
		return
	fi
	tx=$(timeout 60 ip netns exec "$(ns h1)" "$PY" "$E2E_DIR/tcp_xfer.py" send \
		198.18.2.2 5201 "$TCP_BYTES" 2>"$E2E_TMP/tx.err")
	timeout 10 tail --pid="$srv" -f /dev/null
	rx=$(cat "$E2E_TMP/rx")
	it_same "$m" "TCP $TCP_BYTES bytes h1 -> h2 at MTU $JUMBO arrives intact" \
		"$([ -n "$tx" ] && [ "$tx" = "$rx" ] && echo "${tx%% *} bytes, same sha256")" \
		"$TCP_BYTES bytes, same sha256"
	# the data segments are ~8948 bytes: at least a third of the MTU-sized
	# count, whatever GRO on the veths merged
	it_path "$m" "TCP at MTU $JUMBO" r ipv4 $((TCP_BYTES / 9000 / 3))
}

# The r -- h2 link lowered to 1500 while routerd runs; the kernel's PMTU.
case_mixed_mtu() {
	local m=$1 src res tx rx
	ip -n "$(ns r)" link set eth1 mtu 1500
	ip -n "$(ns h2)" link set eth0 mtu 1500
	# routerd follows the change (and the route cache its generation); the
	# kernel alone has nothing to wait for
	[ "$m" = routerd ] && sleep 1
	src=$(it_src ipv4)
	it_mark
	it_same "$m" "IPv4 9000 bytes DF h1 -> h2 over a 1500 link" \
		"$(it_probe "$(ns h1)" 198.18.2.20 -M "do" -s $((JUMBO - 28)) -I "$src")" \
		"198.18.1.1: Frag needed and DF set (mtu = 1500)"
	it_k_ge "$m" "IPv4 9000 -> 1500" r IcmpOutDestUnreachs 1
	it_rd_ge "$m" "IPv4 9000 -> 1500 handed to the kernel" r frag_needed 1 eth0
	it_rd_le "$m" "IPv4 9000 -> 1500 not forwarded in XDP" r forwarded_ipv4 0 eth0
	src=$(it_src ipv6)
	it_mark
	it_same "$m" "IPv6 9000 bytes h1 -> h2 over a 1500 link" \
		"$(it_probe "$(ns h1)" 2001:db8:2::20 -s $((JUMBO - 48)) -I "$src")" \
		"2001:db8:1::1: Packet too big: mtu=1500"
	it_k_ge "$m" "IPv6 9000 -> 1500" r Icmp6OutPktTooBigs 1
	it_rd_ge "$m" "IPv6 9000 -> 1500 handed to the kernel" r frag_needed 1 eth0
	# what fits the 1500 link still takes the fast path
	it_mark
	res=$(timeout 10 ip netns exec "$(ns h1)" ping -q -n -c 10 -i 0.05 -W 1 -M do -s 1472 198.18.2.2 2>&1)
	read -r tx rx <<<"$(e2e_ping_parse "$res")"
	it_same "$m" "IPv4 1500 bytes DF h1 (MTU 9000) -> h2 (MTU 1500)" "$rx/$tx answered" "10/10 answered"
	it_path "$m" "1500-byte pings across mixed MTUs" r ipv4 20
}

# The peer of r's eth1 raised while routerd's program is attached to eth1
# (issue 23: a plain program caps it at ~3506).
case_peer_raised() {
	local m=$1 mtu res tx rx
	for mtu in 4000 5000 $JUMBO; do
		it_ok "$m" "h2's eth0 (peer of r's eth1) raised to MTU $mtu" "mtu $mtu set" \
			ip -n "$(ns h2)" link set eth0 mtu "$mtu"
	done
	it_ok "$m" "r's eth1 raised back to MTU $JUMBO" "mtu $JUMBO set" \
		ip -n "$(ns r)" link set eth1 mtu "$JUMBO"
	if [ "$m" = routerd ]; then
		sleep 1
		tap_cmp "[routerd] r's eth1 still in native mode after the MTU changes" "$(xdp_mode r eth1)" = 1
	fi
	it_mark
	res=$(timeout 20 ip netns exec "$(ns h1)" ping -q -n -c 10 -i 0.05 -W 2 -M do -s $((JUMBO - 28)) 198.18.2.2 2>&1)
	read -r tx rx <<<"$(e2e_ping_parse "$res")"
	it_same "$m" "IPv4 9000 bytes DF h1 -> h2 after the MTU changes" "$rx/$tx answered" "10/10 answered"
	it_path "$m" "jumbo pings after the MTU changes" r ipv4 20
}

it_main basic jb case_native_everywhere case_ping_ipv4 case_ping_ipv6 case_tcp \
	case_mixed_mtu case_peer_raised
