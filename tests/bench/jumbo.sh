#!/usr/bin/env bash
# Jumbo frames through a router: lab basic (h1 -- r -- h2), every link at
# MTU 9000, iperf3 h1 -> h2 once with the kernel forwarding and once with
# routerd on r in native mode (multi-buffer XDP, issue 20). Reports, per
# way, UDP with 8972-byte datagrams (9000-byte packets, 9014-byte frames)
# in Gbit/s and Mpps as r's eth1 transmitted them, and one TCP stream in
# Gbit/s. A measurement, not a test: nothing is asserted; run it on a quiet
# machine (docs/benchmarks.md, "jumbo").
#   sudo tests/bench/jumbo.sh [SECONDS]     (default 5 per measurement)
set -uo pipefail
# shellcheck source=tests/e2e/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../e2e/common.sh"
e2e_init

SECS=${1:-5}
P=rdbj$$
R=$P-r H1=$P-h1 H2=$P-h2
SOCK=$(lab_sock "$P" r) PIN=$(lab_pin_dir "$P" r)
e2e_lab basic "$P"
for l in "$H1 eth0" "$R eth0" "$R eth1" "$H2 eth0"; do
	set -- $l
	ip -n "$1" link set "$2" mtu 9000
done

tx_of() { ip -n "$R" -j -s link show dev eth1 | jq -r ".[0].stats64.tx.$1"; }

# measure WAY: prints "WAY udp GBITS MPPS" and "WAY tcp GBITS"
measure() {
	local way=$1 p0 b0 p1 b1 srv gbit
	ip netns exec "$H2" iperf3 -s -1 -p 5301 >/dev/null 2>&1 &
	srv=$!
	E2E_PIDS+=("$srv")
	e2e_wait_listen "$H2" 5301
	p0=$(tx_of packets) b0=$(tx_of bytes)
	timeout $((SECS + 15)) ip netns exec "$H1" iperf3 -c 198.18.2.2 -p 5301 -u -b 0 -l 8972 \
		-t "$SECS" >/dev/null 2>&1
	p1=$(tx_of packets) b1=$(tx_of bytes)
	wait "$srv" 2>/dev/null
	awk -v w="$way" -v p=$((p1 - p0)) -v b=$((b1 - b0)) -v s="$SECS" \
		'BEGIN { printf "%-8s udp  %7.2f Gbit/s  %6.3f Mpps\n", w, b * 8 / s / 1e9, p / s / 1e6 }'
	ip netns exec "$H2" iperf3 -s -1 -p 5302 >/dev/null 2>&1 &
	srv=$!
	E2E_PIDS+=("$srv")
	e2e_wait_listen "$H2" 5302
	gbit=$(timeout $((SECS + 15)) ip netns exec "$H1" iperf3 -c 198.18.2.2 -p 5302 -t "$SECS" -J 2>/dev/null |
		jq -r '.end.sum_received.bits_per_second / 1e9')
	wait "$srv" 2>/dev/null
	printf "%-8s tcp  %7.2f Gbit/s\n" "$way" "${gbit:-0}"
}

e2e_ping "$H1" 198.18.2.2 3 0.1 >/dev/null
echo "jumbo frames h1 -> r -> h2, MTU 9000, $SECS s each, kernel $(uname -r), $(nproc) CPUs"
measure kernel
rd_start "$R" "$SOCK" "$PIN" eth0 eth1 || e2e_bail "routerd starts"
E2E_PIDS+=("$RD_PID")
e2e_ping "$H1" 198.18.2.2 3 0.1 >/dev/null
echo "routerd: eth0 xdp mode $(ip -n "$R" -j -d link show dev eth0 | jq -r '.[0].xdp.mode'), eth1 $(ip -n "$R" -j -d link show dev eth1 | jq -r '.[0].xdp.mode') (1 native)"
f0=$(rd_counter "$SOCK" forwarded_ipv4)
measure routerd
echo "routerd forwarded_ipv4 grew by $(($(rd_counter "$SOCK" forwarded_ipv4) - f0))"
