#!/usr/bin/env bash
# Netfilter on bridged traffic (docs/firewall.md), lab "bridge" (vm1, vm2,
# vm3 on br0 in r, h2 routed behind r), each case kernel only and with
# routerd on the bridge ports and the uplink, with the same outcome:
#   - a bridge-family drop rule (what ebtables-nft writes too) stops pings
#     between two VMs; once it is gone they are bridged in XDP again;
#   - br_netfilter (bridge-nf-call-iptables=1, the default once loaded):
#     an ip-family forward drop rule applies to bridged IPv4 as well; with
#     bridge-nf-call-iptables=0 it no longer does, and XDP bridges again
#     while routed IPv4 stays with the kernel.
# With routerd, the counters say which path took the frames: `bridged` in
# XDP, pass_reasons.netfilter to the kernel.
set -uo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../integration/lib.sh"
command -v nft >/dev/null || e2e_bail "tool nft installed" "run lab/install-deps.sh"

rnft() { ip netns exec "$(ns r)" nft "$@"; }
# vmping N DST: the answer to one ping from vm N
vmping() { it_probe "$(ns "vm$1")" "$2"; }
settle() { [ -z "${IT_RD_PID[r]:-}" ] || sleep 0.3; }
brnf() { echo "/proc/sys/net/bridge/bridge-nf-call-$1"; }

it_setup() {
	# every VM's entry learned, both ways
	local a b
	for a in 1 2 3; do
		for b in 1 2 3; do
			[ "$a" = "$b" ] || e2e_ping "$(ns "vm$a")" "198.18.1.1$b" 2 0.05 >/dev/null
		done
	done
	return 0
}

case_bridge_family() {
	local m=$1
	rnft add table bridge t
	rnft add chain bridge t forward '{ type filter hook forward priority 0; policy accept; }'
	rnft add rule bridge t forward icmp type echo-request drop
	settle
	it_mark
	it_same "$m" "bridge family: vm1 -> vm2 echo request dropped" "$(vmping 1 198.18.1.12)" none
	it_rd_ge "$m" "bridge family" r netfilter 1 eth0
	rnft delete table bridge t
	settle
	it_mark
	e2e_ping "$(ns vm1)" 198.18.1.12 20 0.01 >/dev/null
	it_same "$m" "bridge family: vm1 -> vm2 once the rule is gone" "$(vmping 1 198.18.1.12)" \
		"reply from 198.18.1.12"
	it_rd_ge "$m" "bridge family gone: bridged in XDP again" r bridged 20 eth0
}

case_br_netfilter() {
	local m=$1 call
	call=$(brnf iptables)
	if ! ip netns exec "$(ns r)" test -e "$call"; then
		tap_skip "[$m] br_netfilter" "not loaded (no $call)"
		return
	fi
	ip netns exec "$(ns r)" sh -c "echo 1 >$call"
	rnft add table ip t
	rnft add chain ip t forward '{ type filter hook forward priority 0; policy accept; }'
	rnft add rule ip t forward icmp type echo-request drop
	settle
	it_mark
	it_same "$m" "br_netfilter on: bridged vm1 -> vm2 ping dropped by the ip rule" \
		"$(vmping 1 198.18.1.12)" none
	it_rd_ge "$m" "br_netfilter on" r netfilter 1 eth0
	ip netns exec "$(ns r)" sh -c "echo 0 >$call"
	sleep 1.3 # polled, not an event
	it_mark
	e2e_ping "$(ns vm1)" 198.18.1.12 20 0.01 >/dev/null
	it_same "$m" "br_netfilter off: bridged vm1 -> vm2 ping passes" "$(vmping 1 198.18.1.12)" \
		"reply from 198.18.1.12"
	it_rd_ge "$m" "br_netfilter off: bridged in XDP again" r bridged 20 eth0
	it_same "$m" "br_netfilter off: routed vm1 -> h2 still dropped" "$(vmping 1 198.18.2.2)" none
	rnft delete table ip t
	ip netns exec "$(ns r)" sh -c "echo 1 >$call"
}

it_main bridge nb case_bridge_family case_br_netfilter
