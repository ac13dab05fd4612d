# shellcheck shell=bash
# lab/bridge.sh: the "bridge" topology (VMs on a Linux bridge), sourced by
# lab/lib.sh.
#
#   vm1 eth0 ---- eth0 \
#   vm2 eth0 ---- eth1  [br0]  r  eth2 ---- eth0 h2
#   vm3 eth0 ==== tap0 /
#
# r's br0 (198.18.1.1/24, 2001:db8:1::1/64, MAC 02:00:00:00:01:01, no STP)
# bridges three "VMs": vm1 and vm2 on veth pairs (containers), vm3 on a tap
# device whose guest end is a tap inside namespace vm3, relayed frame by
# frame by lab/tap_relay.py the way QEMU relays a tap to a guest NIC (both
# taps opened non-blocking). VM n is 198.18.1.1n/24 and 2001:db8:1::1n/64
# with MAC 02:00:00:00:01:1n and a default route via br0. r routes between
# the VMs and h2 (198.18.2.2) on eth2.
#
# routerd on r belongs on the bridge ports and the uplink, never on br0:
#   routerd -i eth0 -i eth1 -i tap0 -i eth2

LAB_TOPOLOGIES+=" bridge"
LAB_TOPOLOGIES_LATER=${LAB_TOPOLOGIES_LATER//bridge/}
LAB_BRIDGE_MAC=02:00:00:00:01:01
LAB_BRIDGE_PORTS="eth0 eth1 tap0"

# lab_vm_mac N: the MAC of VM N (02:00:00:00:01:1N)
lab_vm_mac() { printf '02:00:00:00:01:1%x' "$1"; }

# _lab_wait_carrier NS DEV: until DEV has its carrier (5 s at most)
_lab_wait_carrier() {
	local i
	for i in $(seq 50); do
		ip -n "$1" link show dev "$2" 2>/dev/null | grep -q LOWER_UP && return 0
		sleep 0.1
	done
	lab_err "$2 in $1 has no carrier (is lab/tap_relay.py running? log: $LAB_RUN_BASE/${1%-*}/tap_relay.log)"
	return 1
}

_lab_topo_bridge() {
	local p=$1 r=$1-r i
	_lab_node "$p" r router && _lab_node "$p" h2 host || return 1
	for i in 1 2 3; do _lab_node "$p" "vm$i" host || return 1; done
	_lab_x ip -n "$r" link add name br0 address "$LAB_BRIDGE_MAC" type bridge stp_state 0 ||
		return 1
	_lab_link "$p" vm1 eth0 r eth0 && _lab_link "$p" vm2 eth0 r eth1 || return 1
	# vm3: a tap in r (the bridge port) and one in vm3 (the guest's NIC)
	_lab_x ip -n "$r" tuntap add dev tap0 mode tap &&
	_lab_x ip -n "$p-vm3" tuntap add dev eth0 mode tap || return 1
	for i in 1 2 3; do
		_lab_x ip -n "$p-vm$i" link set eth0 address "$(lab_vm_mac "$i")" up || return 1
	done
	for i in $LAB_BRIDGE_PORTS; do
		_lab_x ip -n "$r" link set "$i" master br0 up || return 1
	done
	_lab_x ip -n "$r" link set br0 up || return 1
	setsid ip netns exec "$r" /usr/bin/python3 "$LAB_DIR/tap_relay.py" tap0 \
		"/run/netns/$p-vm3" eth0 >>"$LAB_RUN_BASE/$p/tap_relay.log" 2>&1 </dev/null &
	_lab_wait_carrier "$p-vm3" eth0 && _lab_wait_carrier "$r" tap0 || return 1
	_lab_addr "$p" r br0 1 1 || return 1
	for i in 1 2 3; do
		_lab_addr "$p" "vm$i" eth0 1 "1$i" && _lab_default "$p" "vm$i" 1 || return 1
	done
	_lab_link "$p" r eth2 h2 eth0 &&
	_lab_addr "$p" r eth2 2 1 && _lab_addr "$p" h2 eth0 2 2 && _lab_default "$p" h2 2
}

_lab_hints_bridge() {
	local p=$1
	echo "  ip netns exec $p-vm1 ping -c 3 -W 1 198.18.1.12      # vm1 -> vm2, bridged"
	echo "  ip netns exec $p-vm1 ping -c 3 -W 1 198.18.1.13      # vm1 -> vm3 (tap)"
	echo "  ip netns exec $p-r bridge -s fdb show br br0         # the kernel's FDB"
	echo "  $ROUTERCTL -s $(lab_sock "$p" r) fdb                 # what XDP bridges with"
}
