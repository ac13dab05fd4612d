#!/usr/bin/env bash
# A VM migrates to a port whose peer was down when routerd started (the
# contract: an interface down at start is attached and forwards once it
# comes up): vm1's MAC and address move from eth0 to vp4 or vp5, announced
# by an ARP request, while vm2 pings it every 50 ms. vp4's VM side has GRO
# on; vp5's does not, as a veth made by hand or by a container runtime: a
# frame XDP redirects into such a veth is dropped by the kernel without a
# trace, so routerd must leave traffic *to* vp5 to the kernel (and say so)
# and still bridge what comes *from* it. Each migration runs kernel only
# first, then with routerd: no more than one ping more may be lost.
set -uo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../e2e/common.sh"

P=rdvm$$
R=$P-r VM1=$P-vm1 VM2=$P-vm2
SOCK=$(lab_sock "$P" r) PIN=$(lab_pin_dir "$P" r)
MAC1=$(lab_vm_mac 1)

e2e_init
e2e_lab bridge "$P"
for i in 4 5; do
	_lab_node "$P" vm$i host && _lab_link "$P" vm$i eth0 r vp$i &&
		ip -n "$R" link set vp$i master br0 || e2e_bail "vm$i on port vp$i comes up"
done
ip netns exec "$P-vm5" ethtool -K eth0 gro off
ctl() { "$ROUTERCTL" -s "$SOCK" "$@"; }
counter() { rd_counter "$SOCK" "$@"; }

# the VMs behind vp4 and vp5 are off
vms_off() { ip -n "$P-vm4" link set eth0 down; ip -n "$P-vm5" link set eth0 down; }

# migrate NODE: vm1 stops, NODE takes its MAC and address and says so with
# an ARP request (for vm2), while vm2 pings 198.18.1.11 for 3 s. Prints
# how many pings were lost; moves vm1 back afterwards.
migrate() {
	local n=$1 out tx rx
	timeout 15 ip netns exec "$VM2" ping -q -n -c 60 -i 0.05 -W 1 198.18.1.11 >"$E2E_TMP/mig" 2>&1 &
	local pp=$!
	sleep 0.5
	ip -n "$VM1" link set eth0 down
	ip -n "$n" link set eth0 address "$MAC1"
	ip -n "$n" addr add 198.18.1.11/24 dev eth0
	ip -n "$n" link set eth0 up
	timeout 3 ip netns exec "$n" ping -q -c 1 -W 1 198.18.1.12 >/dev/null 2>&1
	wait $pp
	read -r tx rx <<<"$(e2e_ping_parse "$(cat "$E2E_TMP/mig")")"
	echo $((tx - rx))
	ip -n "$n" link set eth0 down
	ip -n "$n" addr flush dev eth0
	ip -n "$VM1" link set eth0 up
	e2e_ping "$VM1" 198.18.1.12 3 0.05 >/dev/null
}

vms_off
e2e_ping "$VM1" 198.18.1.12 3 0.05 >/dev/null
k4=$(migrate "$P-vm4")
k5=$(migrate "$P-vm5")
# A migration costs the kernel a ping or three here (the moment vm1 goes
# down against the 50 ms interval): routerd is held to the worse of the
# two kernel runs, plus one.
K=$((k4 > k5 ? k4 : k5))
tap_cmp "kernel only: migrations to vp4 and vp5 lose a few pings ($k4, $k5)" "$K" -le 5

vms_off
sleep 0.2
if rd_start "$R" "$SOCK" "$PIN" eth0 eth1 tap0 eth2 vp4 vp5 2>"$E2E_TMP/start.err"; then
	E2E_PIDS+=("$RD_PID")
	tap_ok "routerd starts on the bridge ports, vp4 and vp5 without carrier"
else
	e2e_bail "routerd starts on the bridge ports" "$(cat "$E2E_TMP/start.err")"
fi
grep -q "vp5: cannot take XDP redirects" "$(lab_log "$P" r)" &&
	tap_ok "routerd says vp5 cannot take XDP redirects (its peer has no GRO)" ||
	e2e_fail "routerd says vp5 cannot take XDP redirects" "$(tail -n 20 "$(lab_log "$P" r)")"

b2=$(counter bridged eth1) b4=$(counter bridged vp4)
r4=$(migrate "$P-vm4")
tap_cmp "routerd: migration to vp4 (down at start) loses $r4 pings, kernel only $K" "$r4" -le $((K + 1))
tap_cmp "... vm2's pings bridged in XDP (bridged on eth1)" $(($(counter bridged eth1) - b2)) -ge 45
tap_cmp "... and vm4's replies (bridged on vp4)" $(($(counter bridged vp4) - b4)) -ge 45

b5=$(counter bridged vp5) u2=$(rd_counter "$SOCK" passed eth1)
r5=$(migrate "$P-vm5")
tap_cmp "routerd: migration to vp5 (down at start, peer without GRO) loses $r5 pings, kernel only $K" \
	"$r5" -le $((K + 1))
tap_cmp "... replies from vp5 bridged in XDP (bridged on vp5)" $(($(counter bridged vp5) - b5)) -ge 45
tap_cmp "... pings to vp5 handed to the kernel bridge (passed on eth1)" \
	$(($(rd_counter "$SOCK" passed eth1) - u2)) -ge 45

# GRO turned on in the VM later (while its eth0 is up: the kernel updates
# vp5's xdp-features only then): routerd notices within a couple of seconds
ip -n "$P-vm5" link set eth0 up
ip netns exec "$P-vm5" ethtool -K eth0 gro on
ip -n "$P-vm5" link set eth0 down
for _ in $(seq 30); do grep -q "vp5: takes XDP redirects now" "$(lab_log "$P" r)" && break; sleep 0.1; done
grep -q "vp5: takes XDP redirects now" "$(lab_log "$P" r)" &&
	tap_ok "peer's GRO turned on: vp5 takes XDP redirects now" ||
	e2e_fail "peer's GRO turned on: vp5 takes XDP redirects now" "$(tail -n 5 "$(lab_log "$P" r)")"
b2=$(counter bridged eth1)
r5=$(migrate "$P-vm5")
tap_cmp "... migration to vp5 loses $r5 pings" "$r5" -le $((K + 1))
tap_cmp "... and vm2's pings to it are bridged in XDP now (bridged on eth1)" \
	$(($(counter bridged eth1) - b2)) -ge 45
tap_done
