#!/usr/bin/env bash
# Netfilter keeps its say (docs/firewall.md): every case runs kernel only and
# with routerd on r (lab basic, h1 -- r -- h2), with the same outcome:
#   - nftables forward drops: ip (TCP port), ip6 (ICMPv6 type), inet (by
#     source); a policy-drop allow-list; masquerade and SNAT (h2 sees r's
#     address); DNAT (a port of r forwarded to h2); iptables-legacy and
#     ip6tables-legacy FORWARD drops;
#   - a rule added and removed while a ping runs: the ping never stops, and
#     routerd's counters show IPv4 leaving XDP (pass reason netfilter)
#     within ~1 s of the rule and coming back within ~1 s of its removal;
#   - a ruleset that only accepts, and a drop table in another namespace
#     (h2's): XDP keeps forwarding everything;
#   - an unreadable ruleset (routerd cannot open nf_tables netlink, via an
#     LD_PRELOAD shim): the kernel forwards.
# And, routerd only, `--netfilter off`: XDP bypasses a drop rule (the
# documented price of off).
# With routerd, the counters say which path took the traffic: forwarded_*
# in XDP, or pass_reasons.netfilter to the kernel.
set -uo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../integration/lib.sh"
NF_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
NF_LISTEN=""
for t in nft iptables-legacy ip6tables-legacy conntrack; do
	command -v "$t" >/dev/null || e2e_bail "tool $t installed" "run lab/install-deps.sh"
done

it_setup() {
	it_setup_sources || return 1
	local f=$E2E_TMP/listen.$1
	ip netns exec "$(ns h2)" "$PY" "$NF_DIR/nf_probe.py" listen 5201 5202 >"$f" 2>"$f.err" &
	E2E_PIDS+=("$!")
	NF_LISTEN=$f
	for _ in $(seq 50); do
		grep -qs ready "$f.err" && return 0
		sleep 0.1
	done
	echo "nf_probe.py listen on h2 not ready: $(cat "$f.err")"
	return 1
}

rnft() { ip netns exec "$(ns r)" nft "$@"; }
# tcp DST PORT: connected / timeout / refused, from h1
tcp() { ip netns exec "$(ns h1)" "$PY" "$NF_DIR/nf_probe.py" connect "$1" "$2"; }
# peer PORT: the address h2 saw the last connection to PORT come from
peer() { awk -v p="$1" '$1 == p { a = $2 } END { print a ? a : "none" }' "$NF_LISTEN"; }
# ping4/ping6 DST [PING_ARGS...]: the answer to one ping from h1
ping4() { it_probe "$(ns h1)" "$@"; }
ping6() { it_probe "$(ns h1)" "$1" -6 "${@:2}"; }
# settle [legacy]: past routerd's re-read of the ruleset: nftables changes
# come as events, iptables-legacy is polled every second (kernel mode: no
# wait)
settle() {
	[ -n "${IT_RD_PID[r]:-}" ] || return 0
	if [ "${1:-}" = legacy ]; then sleep 1.3; else sleep 0.3; fi
}
# nf_path MODE FAMILY: what routerd's status says for FAMILY (kernel mode: -)
nf_path() {
	[ "$1" = routerd ] || { echo -; return; }
	"$ROUTERCTL" -s "$(sock r)" -j status | jq -r ".netfilter.$2.path"
}
# held MODE DESC MIN: routerd passed >= MIN packets to the kernel for
# netfilter since it_mark (nothing in kernel mode)
held() { it_rd_ge "$1" "$2: to the kernel for netfilter" r netfilter "$3"; }

case_nft_ip_port() {
	local m=$1
	rnft add table ip t
	rnft add chain ip t forward '{ type filter hook forward priority 0; policy accept; }'
	rnft add rule ip t forward tcp dport 5202 counter drop
	settle
	it_mark
	it_same "$m" "nft ip: tcp dport 5202 dropped" "$(tcp 198.18.2.2 5202)" timeout
	it_same "$m" "nft ip: tcp dport 5201 passes" "$(tcp 198.18.2.2 5201)" connected
	it_same "$m" "nft ip: the drop rule counted" \
		"$(rnft -j list chain ip t forward | jq '[.nftables[].rule.expr[]?.counter.packets // empty] | .[0] > 0')" true
	tap_cmp "[$m] nft ip: routerd says ipv4 $(nf_path "$m" ipv4)" "$(nf_path "$m" ipv4)" = \
		"$([ "$m" = routerd ] && echo kernel || echo -)"
	held "$m" "nft ip" 3
	rnft delete table ip t
}

case_nft_ip6_icmp() {
	local m=$1
	rnft add table ip6 t
	rnft add chain ip6 t forward '{ type filter hook forward priority 0; policy accept; }'
	rnft add rule ip6 t forward icmpv6 type echo-request drop
	settle
	it_same "$m" "nft ip6: echo request to h2 dropped" "$(ping6 2001:db8:2::2)" none
	it_same "$m" "nft ip6: tcp over IPv6 passes" "$(tcp 2001:db8:2::2 5201)" connected
	# IPv6 is held, IPv4 is not: it stays in XDP
	it_mark
	e2e_ping "$(ns h1)" 198.18.2.2 20 0.01 >/dev/null
	it_path "$m" "nft ip6: IPv4 pings" r ipv4 20 eth0
	rnft delete table ip6 t
}

case_nft_inet_source() {
	local m=$1 s4 s6
	s4=$(it_src ipv4)
	s6=$(it_src ipv6)
	# both ways resolved first, so that no first packet of the flow is
	# the kernel's anyway (no_neigh): the rule alone decides
	it_same "$m" "nft inet: IPv4 from the source, before the rule" \
		"$(ping4 198.18.2.2 -I "$s4")" "reply from 198.18.2.2"
	it_same "$m" "nft inet: IPv6 from the source, before the rule" \
		"$(ping6 2001:db8:2::2 -I "$s6")" "reply from 2001:db8:2::2"
	rnft add table inet t
	rnft add chain inet t forward '{ type filter hook forward priority 0; policy accept; }'
	rnft add rule inet t forward ip saddr "$s4" drop
	rnft add rule inet t forward ip6 saddr "$s6" drop
	settle
	it_same "$m" "nft inet: IPv4 from the dropped source" "$(ping4 198.18.2.2 -I "$s4")" none
	it_same "$m" "nft inet: IPv6 from the dropped source" "$(ping6 2001:db8:2::2 -I "$s6")" none
	it_same "$m" "nft inet: IPv4 from another source" "$(ping4 198.18.2.2)" "reply from 198.18.2.2"
	it_same "$m" "nft inet: IPv6 from another source" "$(ping6 2001:db8:2::2)" "reply from 2001:db8:2::2"
	rnft delete table inet t
}

case_policy_drop() {
	local m=$1
	rnft add table inet t
	rnft add chain inet t forward '{ type filter hook forward priority 0; policy drop; }'
	rnft add rule inet t forward ct state established,related accept
	rnft add rule inet t forward tcp dport 5201 accept
	settle
	it_mark
	it_same "$m" "allow-list: tcp 5201 allowed" "$(tcp 198.18.2.2 5201)" connected
	it_same "$m" "allow-list: tcp 5202 not allowed" "$(tcp 198.18.2.2 5202)" timeout
	it_same "$m" "allow-list: ping not allowed" "$(ping4 198.18.2.2)" none
	held "$m" "allow-list" 3
	rnft delete table inet t
}

case_masquerade() {
	local m=$1
	rnft add table ip nat
	rnft add chain ip nat post '{ type nat hook postrouting priority 100; }'
	rnft add rule ip nat post oifname eth1 masquerade
	settle
	it_same "$m" "masquerade: tcp to h2" "$(tcp 198.18.2.2 5201)" connected
	it_same "$m" "masquerade: h2 sees r's address" "$(peer 5201)" 198.18.2.1
	rnft delete table ip nat
	ip netns exec "$(ns r)" conntrack -F >/dev/null 2>&1
}

case_snat() {
	local m=$1
	ip -n "$(ns r)" addr add 198.18.2.9/32 dev eth1
	rnft add table ip nat
	rnft add chain ip nat post '{ type nat hook postrouting priority 100; }'
	rnft add rule ip nat post oifname eth1 snat to 198.18.2.9
	settle
	it_same "$m" "snat: tcp to h2" "$(tcp 198.18.2.2 5201)" connected
	it_same "$m" "snat: h2 sees the SNAT address" "$(peer 5201)" 198.18.2.9
	rnft delete table ip nat
	ip -n "$(ns r)" addr del 198.18.2.9/32 dev eth1
	ip netns exec "$(ns r)" conntrack -F >/dev/null 2>&1
}

case_dnat() {
	local m=$1
	rnft add table ip nat
	rnft add chain ip nat pre '{ type nat hook prerouting priority -100; }'
	rnft add rule ip nat pre ip daddr 198.18.1.1 tcp dport 8080 dnat to 198.18.2.2:5201
	settle
	it_same "$m" "dnat: r:8080 reaches h2:5201" "$(tcp 198.18.1.1 8080)" connected
	it_same "$m" "dnat: h2 sees h1's address" "$(peer 5201)" 198.18.1.2
	rnft delete table ip nat
	ip netns exec "$(ns r)" conntrack -F >/dev/null 2>&1
}

case_iptables_legacy() {
	local m=$1 r
	r=$(ns r)
	ip netns exec "$r" iptables-legacy -A FORWARD -p icmp -j DROP
	ip netns exec "$r" ip6tables-legacy -A FORWARD -p ipv6-icmp --icmpv6-type echo-request -j DROP
	settle legacy
	it_mark
	it_same "$m" "iptables-legacy: ping dropped" "$(ping4 198.18.2.2)" none
	it_same "$m" "ip6tables-legacy: ping dropped" "$(ping6 2001:db8:2::2)" none
	it_same "$m" "iptables-legacy: tcp passes" "$(tcp 198.18.2.2 5201)" connected
	held "$m" "iptables-legacy" 3
	ip netns exec "$r" iptables-legacy -F FORWARD
	ip netns exec "$r" ip6tables-legacy -F FORWARD
	ip netns exec "$r" iptables-legacy -t nat -A POSTROUTING -o eth1 -j MASQUERADE
	settle legacy
	it_same "$m" "iptables-legacy: ping passes once flushed" "$(ping4 198.18.2.2)" "reply from 198.18.2.2"
	it_same "$m" "iptables-legacy MASQUERADE: h2 sees r's address" \
		"$(tcp 198.18.2.2 5201 >/dev/null; peer 5201)" 198.18.2.1
	ip netns exec "$r" iptables-legacy -t nat -F POSTROUTING
	ip netns exec "$r" conntrack -F >/dev/null 2>&1
	ip netns exec "$r" ip6tables-legacy -P FORWARD DROP
	settle legacy
	it_same "$m" "ip6tables-legacy policy DROP: ping dropped" "$(ping6 2001:db8:2::2)" none
	ip netns exec "$r" ip6tables-legacy -P FORWARD ACCEPT
}

# rate NODE KEY SECONDS: how much routerd's KEY grew over SECONDS
rate() {
	it_mark
	sleep "$3"
	it_rd "$1" "$2"
}

case_live_change() {
	local m=$1 pingf fwd nf secs=6
	[ "$m" = routerd ] && secs=12 # room for two 2-second measurements
	# stopped (SIGINT: ping's summary) half a second after the last change
	# was measured; the count is only an upper bound for a loaded machine
	it_ping_bg pingf "$(ns h1)" 198.18.2.2 "$secs"
	sleep 1
	# a rule that could act on IPv4 (it drops another destination)
	rnft add table ip t
	rnft add chain ip t forward '{ type filter hook forward priority 0; policy accept; }'
	rnft add rule ip t forward ip daddr 198.18.9.9 drop
	if [ "$m" = routerd ]; then
		sleep 1
		it_mark
		sleep 1
		fwd=$(it_rd r forwarded_ipv4 eth0) nf=$(it_rd r netfilter eth0)
		tap_cmp "[routerd] live: within 1 s of the rule, XDP forwards no IPv4" "$fwd" -le 1
		tap_cmp "[routerd] live: ... and the kernel gets it (netfilter)" "$nf" -ge 10
	else
		sleep 1
	fi
	rnft delete table ip t
	if [ "$m" = routerd ]; then
		sleep 1
		it_mark
		sleep 1
		fwd=$(it_rd r forwarded_ipv4 eth0) nf=$(it_rd r netfilter eth0)
		tap_cmp "[routerd] live: within 1 s of its removal, XDP forwards IPv4 again" "$fwd" -ge 10
		tap_cmp "[routerd] live: ... and nothing is held" "$nf" -le 1
	else
		sleep 1
	fi
	sleep 0.5
	kill -INT "${IT_BG_PIDS[@]}" 2>/dev/null
	it_bg_wait
	it_gap_ok "$m" "live: the ping across both changes" "$pingf" 500
}

case_accept_only() {
	local m=$1
	rnft add table inet t
	rnft add chain inet t forward '{ type filter hook forward priority 0; policy accept; }'
	rnft add rule inet t forward ct state established,related accept
	rnft add rule inet t forward ip saddr 198.18.1.0/24 accept
	rnft add rule inet t forward ip6 saddr 2001:db8:1::/64 accept
	rnft add rule inet t forward tcp dport 22 accept
	settle
	tap_cmp "[$m] accept-only: routerd says ipv4 $(nf_path "$m" ipv4)" "$(nf_path "$m" ipv4)" = \
		"$([ "$m" = routerd ] && echo xdp || echo -)"
	it_mark
	e2e_ping "$(ns h1)" 198.18.2.2 20 0.01 >/dev/null
	e2e_ping "$(ns h1)" 2001:db8:2::2 20 0.01 >/dev/null
	it_path "$m" "accept-only: IPv4 pings" r ipv4 20 eth0
	it_path "$m" "accept-only: IPv6 pings" r ipv6 20 eth0
	rnft delete table inet t
}

case_other_namespace() {
	local m=$1 h2
	h2=$(ns h2)
	ip netns exec "$h2" nft add table inet t
	ip netns exec "$h2" nft add chain inet t forward \
		'{ type filter hook forward priority 0; policy drop; }'
	settle
	it_mark
	e2e_ping "$(ns h1)" 198.18.2.2 20 0.01 >/dev/null
	it_path "$m" "table in h2's namespace: IPv4 pings" r ipv4 20 eth0
	ip netns exec "$h2" nft delete table inet t
}

# routerd on r again, with ARGS (the previous one stopped first)
restart_routerd() {
	rd_stop "${IT_RD_PID[r]}"
	it_rd_start r "$@" || return 1
	it_warm h1 198.18.2.2 2001:db8:2::2
}

# A rule added while routerd is dead (kill -9): nobody reads the ruleset,
# so once routerd is silent (bpf/lib/unattended.h) the program hands every
# routed packet to the kernel, and the new rule applies as without routerd.
case_dead_daemon() {
	local m=$1 pid probe
	it_mark
	if [ "$m" = routerd ]; then
		pid=${IT_RD_PID[r]}
		kill -KILL "$pid"
		wait "$pid" 2>/dev/null
		sleep 1.5 # past the silence bound (about 1 s after the last heartbeat)
	fi
	rnft add table ip t
	rnft add chain ip t forward '{ type filter hook forward priority 0; policy accept; }'
	rnft add rule ip t forward icmp type echo-request counter drop
	probe=$(ping4 198.18.2.2)
	it_same "$m" "dead routerd: a ping dropped by a rule added meanwhile" "$probe" none
	it_same "$m" "dead routerd: the new rule counted it" \
		"$(rnft -j list chain ip t forward | jq '[.nftables[].rule.expr[]?.counter.packets // empty] | .[0] > 0')" true
	rnft delete table ip t
	[ "$m" = routerd ] || return 0
	# back: the restarted routerd adopts the program (counters kept)
	it_rd_start r || return 1
	held "$m" "dead routerd" 1
	settle
	it_warm h1 198.18.2.2
	it_mark
	e2e_ping "$(ns h1)" 198.18.2.2 20 0.01 >/dev/null
	it_path "$m" "dead routerd, restarted, no rule: IPv4 pings" r ipv4 20 eth0
}

case_unreadable() {
	local m=$1 shim=$RD_BUILD_DIR/tests/netfilter/libnf_deny.so
	[ "$m" = routerd ] || return 0
	if [ ! -e "$shim" ]; then
		e2e_fail "[routerd] unreadable: the shim $shim is built"
		return
	fi
	LD_PRELOAD=$shim restart_routerd || return
	it_mark
	e2e_ping "$(ns h1)" 198.18.2.2 10 0.01 >/dev/null
	tap_cmp "[routerd] unreadable: ipv4 to the kernel" "$(nf_path "$m" ipv4)" = kernel
	"$ROUTERCTL" -s "$(sock r)" -j status | jq -r '.netfilter.ipv4.reasons[0]' >"$E2E_TMP/why"
	tap_check "[routerd] unreadable: status says why ($(cat "$E2E_TMP/why"))" \
		grep -q unreadable "$E2E_TMP/why"
	held "$m" "unreadable" 10
	# case_off, next, restarts routerd without the shim
}

case_off() {
	local m=$1
	[ "$m" = routerd ] || return 0
	restart_routerd --netfilter off || return
	rnft add table ip t
	rnft add chain ip t forward '{ type filter hook forward priority 0; policy accept; }'
	rnft add rule ip t forward icmp type echo-request drop
	settle
	tap_cmp "[routerd] off: a dropped ping gets through (XDP bypasses netfilter)" \
		"$(ping4 198.18.2.2)" = "reply from 198.18.2.2"
	tap_check "[routerd] off: the start warns about it" \
		grep -q "netfilter off: XDP forwarding bypasses" "$(lab_log "$IT_P" r)"
	tap_cmp "[routerd] off: status says off" \
		"$("$ROUTERCTL" -s "$(sock r)" -j status | jq -r .netfilter.mode)" = off
	rnft delete table ip t
}

it_main basic nf case_nft_ip_port case_nft_ip6_icmp case_nft_inet_source case_policy_drop \
	case_masquerade case_snat case_dnat case_iptables_legacy case_live_change \
	case_accept_only case_other_namespace case_dead_daemon case_unreadable case_off
