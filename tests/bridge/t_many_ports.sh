#!/usr/bin/env bash
# A VM host with more ports than the fast path used to hold (RD_MAX_IFACES
# was 1024): two bridges of 560 ports each (a Linux bridge takes at most
# 1024), every one attached from two `bridge` lines, the VMs of the lab
# still bridged in XDP among them, and a port deleted and re-created with
# all the others in place picked up again.
set -uo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../e2e/common.sh"

P=rdmp$$
R=$P-r VM1=$P-vm1
SOCK=$(lab_sock "$P" r) PIN=$(lab_pin_dir "$P" r)
N=${MANY_PORTS:-560} # per bridge

e2e_init
e2e_lab bridge "$P"
ctl() { "$ROUTERCTL" -s "$SOCK" "$@"; }

# The "VMs" are the veth peers, left in r with IPv6 off (hundreds of
# link-local routes would make every IPv6 lookup in r crawl).
ip netns exec "$R" sysctl -qw net.ipv6.conf.default.disable_ipv6=1
ip -n "$R" link add name br1 type bridge stp_state 0 && ip -n "$R" link set br1 up ||
	e2e_bail "br1 comes up"
for b in 0 1; do
	for i in $(seq "$N"); do echo "link add name m$b-$i type veth peer name q$b-$i"; done
	for i in $(seq "$N"); do echo "link set m$b-$i master br$b up"; echo "link set q$b-$i up"; done
done >"$E2E_TMP/batch"
ip -n "$R" -batch "$E2E_TMP/batch" || e2e_bail "$((2 * N)) ports on br0 and br1"
total=$((2 * N + 3 + 1)) # the ports, eth0, eth1, tap0 and the uplink eth2

t0=$SECONDS
if RD_START_TIMEOUT=150 rd_start "$R" "$SOCK" "$PIN" eth2 -- -b br0 -b br1 2>"$E2E_TMP/start.err"; then
	E2E_PIDS+=("$RD_PID")
	tap_ok "routerd starts with -b br0 -b br1 ($((SECONDS - t0)) s)"
else
	e2e_bail "routerd starts with -b br0 -b br1" "$(cat "$E2E_TMP/start.err")"
fi
n=$(ctl -j interfaces | jq '[.[] | select(.attached)] | length')
tap_cmp "all $total interfaces attached" "$n" -eq "$total"
x=$(ip -n "$R" -j link show | jq '[.[] | select(.xdp.prog.id != null)] | length')
tap_cmp "... each with XDP ($x)" "$x" -eq "$total"
e2e_ping "$VM1" 198.18.1.12 2 0.05 >/dev/null
b=$(rd_counter "$SOCK" bridged eth0)
e2e_check_ping "vm1 -> vm2 among them" "$VM1" 198.18.1.12 20 0.02
tap_cmp "... bridged in XDP" $(($(rd_counter "$SOCK" bridged eth0) - b)) -ge 20
ip -n "$R" link del m1-7 && ip -n "$R" link add name m1-7 type veth peer name q1-7 &&
	ip -n "$R" link set m1-7 master br1 up
for _ in $(seq 100); do [ -n "$(xdp_id "$R" m1-7)" ] && break; sleep 0.05; done
idx=$(ip -n "$R" -j link show dev m1-7 | jq '.[0].ifindex')
ctl -j interfaces | jq -e --argjson i "$idx" '.[] | select(.name == "m1-7" and .ifindex == $i and .attached)' >/dev/null &&
	tap_ok "m1-7 re-created (ifindex $idx): attached again" ||
	e2e_fail "m1-7 re-created: attached again" "$(ctl interfaces | grep m1-7)"
n=$(ctl -j interfaces | jq length)
tap_cmp "... still $total interfaces" "$n" -eq "$total"
tap_done
