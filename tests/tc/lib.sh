# shellcheck shell=bash
# Shared by the tests/tc suites (not a suite itself): traffic control on
# routerd's interfaces (routerd/daemon/tc.c, docs/xdp-bypass.md). Sourced after
# tests/integration/lib.sh or tests/e2e/common.sh.

# tc_status SOCK IFACE: "EGRESS INGRESS" hold of IFACE (true/false each) as
# `routerctl -j status` reports it, or "none" when routerd does not answer
tc_status() {
	"$ROUTERCTL" -s "$1" -j status 2>/dev/null |
		jq -r --arg i "$2" '.interfaces[] | select(.name == $i) |
			"\(.tc.held_egress) \(.tc.held_ingress)"' 2>/dev/null | grep . || echo none
}

# tc_wait SOCK IFACE WANT [TIMEOUT_S]: polls every 20 ms until tc_status
# says WANT ("true false", ...); prints the milliseconds it took, or
# "timeout"
tc_wait() {
	local t0 now deadline
	t0=$(date +%s%N)
	deadline=$((t0 + ${4:-3} * 1000000000))
	while :; do
		now=$(date +%s%N)
		if [ "$(tc_status "$1" "$2")" = "$3" ]; then
			echo $(((now - t0) / 1000000))
			return 0
		fi
		((now > deadline)) && { echo timeout; return 1; }
		sleep 0.02
	done
}

# tc_iperf NS_CLIENT NS_SERVER ADDR SECONDS [IPERF_ARGS...]: a TCP flow of
# SECONDS from client to server; prints the receiver's rate in kbit/s
# (0 when the flow failed). A flow that did not start (a loaded machine) is
# tried once more; the server never outlives the attempt.
tc_iperf() {
	local try kbit
	for try in 1 2; do
		kbit=$(_tc_iperf_once "$@")
		[ "$kbit" -gt 0 ] 2>/dev/null && break
		e2e_diag "iperf3 $3: no flow on try $try"
	done
	echo "${kbit:-0}"
}
_tc_iperf_once() {
	local c=$1 s=$2 addr=$3 secs=$4 port=$((5300 + RANDOM % 500)) srv out
	shift 4
	ip netns exec "$s" iperf3 -s -1 -p "$port" >/dev/null 2>&1 &
	srv=$!
	E2E_PIDS+=("$srv")
	e2e_wait_listen "$s" "$port"
	out=$(timeout $((secs + 15)) ip netns exec "$c" iperf3 -c "$addr" -p "$port" -t "$secs" \
		--connect-timeout 3000 -J "$@" 2>/dev/null)
	timeout 5 tail --pid="$srv" -f /dev/null
	kill -TERM "$srv" 2>/dev/null
	wait "$srv" 2>/dev/null
	jq -r '(.end.sum_received.bits_per_second // 0) / 1000 | floor' <<<"$out" 2>/dev/null | grep . ||
		echo 0
}

# tc_rate_outcome KBITS RATE_KBITS: "within 1.5x" when a flow got at most
# 1.5 times the configured rate (and at least a tenth of it: it did flow)
tc_rate_outcome() {
	if (($1 * 10 >= $2 && $1 * 2 <= $2 * 3)); then
		echo "within 1.5x of the configured rate"
	else
		echo "outside [0.1x, 1.5x] of the configured rate"
	fi
}

# tc_rx NS IFACE: packets received on IFACE
tc_rx() { ip -n "$1" -j -s link show dev "$2" | jq -r '.[0].stats64.rx.packets'; }
