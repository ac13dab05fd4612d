#!/usr/bin/env bash
# A shaper on a bridge port keeps its say over bridged and routed traffic:
# lab "bridge" (vm1, vm2, vm3 on br0 in r; h2 routed behind r). A tbf on
# r's eth1 (vm2's port) holds TCP vm1 -> vm2 (bridged) and h2 -> vm2
# (routed into the bridge) to its rate, kernel only and with routerd on
# the ports and the uplink, where those frames go through the kernel
# (pass reason tc); without the shaper the same traffic is bridged in XDP.
# A tbf on br0 itself holds what is routed into the bridge, not what the
# bridge forwards port to port.
set -uo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../e2e/common.sh"
# shellcheck source=tests/tc/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

P=rdtb$$
R=$P-r VM1=$P-vm1 VM2=$P-vm2 H2=$P-h2
SOCK=$(lab_sock "$P" r) PIN=$(lab_pin_dir "$P" r)
RATE=20000 # kbit/s
SECS=2
N=100

e2e_init
e2e_lab bridge "$P"
e2e_diag "lab bridge, prefix $P"

ctl() { "$ROUTERCTL" -s "$SOCK" "$@"; }
pass_reason() {
	ctl -j stats | jq -r --arg i "$2" --arg k "$1" '.interfaces[] | select(.name == $i) | .pass_reasons[$k]'
}
# shaper_on [DEV]: a tbf on DEV (default eth1, vm2's port); shaper_off [DEV]
shaper_on() { ip netns exec "$R" tc qdisc replace dev "${1:-eth1}" root tbf rate ${RATE}kbit burst 32kb latency 50ms; }
shaper_off() { ip netns exec "$R" tc qdisc del dev "${1:-eth1}" root; }

# rate_ok DESC CLIENT_NS ADDR
rate_ok() {
	local kbit
	kbit=$(tc_iperf "$2" "$VM2" "$3" $SECS)
	if [ "$(tc_rate_outcome "$kbit" $RATE)" = "within 1.5x of the configured rate" ]; then
		tap_ok "$1: TCP for $SECS s within 1.5x of $RATE kbit/s ($kbit kbit/s)"
	else
		e2e_fail "$1: TCP for $SECS s within 1.5x of $RATE kbit/s" "got $kbit kbit/s"
	fi
}

e2e_ping "$VM1" 198.18.1.12 3 0.05 >/dev/null
e2e_ping "$H2" 198.18.1.12 3 0.05 >/dev/null

# --- kernel only -------------------------------------------------------
shaper_on
rate_ok "kernel only, tbf on vm2's port: vm1 -> vm2 (bridged)" "$VM1" 198.18.1.12
rate_ok "kernel only, tbf on vm2's port: h2 -> vm2 (routed into br0)" "$H2" 198.18.1.12
shaper_off
shaper_on br0
rate_ok "kernel only, tbf on br0 itself: h2 -> vm2 (routed into br0)" "$H2" 198.18.1.12
shaper_off br0

# --- routerd on the ports and the uplink -------------------------------
if rd_start "$R" "$SOCK" "$PIN" eth0 eth1 tap0 eth2 2>"$E2E_TMP/start.err"; then
	E2E_PIDS+=("$RD_PID")
	tap_ok "routerd starts on r's bridge ports and uplink"
else
	e2e_bail "routerd starts on r's bridge ports and uplink" "$(cat "$E2E_TMP/start.err")"
fi
e2e_ping "$VM1" 198.18.1.12 3 0.05 >/dev/null
b0=$(rd_counter "$SOCK" bridged eth0)
e2e_check_ping "routerd, no shaper: $N pings vm1 -> vm2" "$VM1" 198.18.1.12 $N 0.01
tap_cmp "routerd, no shaper: bridged in XDP" $(($(rd_counter "$SOCK" bridged eth0) - b0)) -ge $N

shaper_on
ms=$(tc_wait "$SOCK" eth1 "true false" 3)
tap_cmp "routerd holds eth1 within 1 s of the tbf (${ms} ms)" "$ms" -le 1000
b0=$(rd_counter "$SOCK" bridged eth0) t0=$(pass_reason tc eth0)
rate_ok "routerd, tbf on vm2's port: vm1 -> vm2 (bridged)" "$VM1" 198.18.1.12
tap_cmp "... through the kernel: tc counted on eth0" $(($(pass_reason tc eth0) - t0)) -ge 100
tap_cmp "... nothing bridged in XDP into the shaper" \
	$(($(rd_counter "$SOCK" bridged eth0) - b0)) -le 20
f0=$(rd_counter "$SOCK" forwarded_ipv4 eth2) t0=$(pass_reason tc eth2)
rate_ok "routerd, tbf on vm2's port: h2 -> vm2 (routed into br0)" "$H2" 198.18.1.12
tap_cmp "... through the kernel: tc counted on eth2" $(($(pass_reason tc eth2) - t0)) -ge 100
tap_cmp "... nothing routed in XDP into the shaper" \
	$(($(rd_counter "$SOCK" forwarded_ipv4 eth2) - f0)) -le 20
ctl status | grep -q "eth1 .*tc: held (qdisc tbf)" &&
	tap_ok "routerctl status: eth1 held by qdisc tbf" ||
	e2e_fail "routerctl status: eth1 held by qdisc tbf" "$(ctl status)"

shaper_off
ms=$(tc_wait "$SOCK" eth1 "false false" 3)
tap_cmp "routerd releases eth1 within 1 s of the tbf's removal (${ms} ms)" "$ms" -le 1000
b0=$(rd_counter "$SOCK" bridged eth0)
e2e_check_ping "routerd, shaper gone: $N pings vm1 -> vm2" "$VM1" 198.18.1.12 $N 0.01
tap_cmp "routerd, shaper gone: bridged in XDP again" \
	$(($(rd_counter "$SOCK" bridged eth0) - b0)) -ge $N

# A shaper on the bridge device itself: routed traffic into the bridge
# passes it (bridged port to port does not).
shaper_on br0
sleep 0.5
f0=$(rd_counter "$SOCK" forwarded_ipv4 eth2) t0=$(pass_reason tc eth2)
rate_ok "routerd, tbf on br0 itself: h2 -> vm2 (routed into br0)" "$H2" 198.18.1.12
tap_cmp "... through the kernel: tc counted on eth2" $(($(pass_reason tc eth2) - t0)) -ge 100
tap_cmp "... nothing routed in XDP past br0's shaper" \
	$(($(rd_counter "$SOCK" forwarded_ipv4 eth2) - f0)) -le 20
reason=$(ctl -j status | jq -r '.tc.devices[] | select(.name == "br0") | .reason')
tap_cmp "routerctl -j status: br0 under tc ($reason)" "$reason" = "qdisc tbf"
b0=$(rd_counter "$SOCK" bridged eth0)
e2e_check_ping "routerd, tbf on br0: $N pings vm1 -> vm2" "$VM1" 198.18.1.12 $N 0.01
tap_cmp "routerd, tbf on br0: vm1 -> vm2 still bridged in XDP (br0's qdisc is not on that path)" \
	$(($(rd_counter "$SOCK" bridged eth0) - b0)) -ge $N
shaper_off br0

rd_stop "$RD_PID"
tap_cmp "routerd exits 0 on SIGTERM" $? -eq 0
tap_done
