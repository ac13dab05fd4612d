#!/usr/bin/env bash
# Network-namespace topologies for trying and testing routerd.
#
# Usage: lab/topo.sh up TOPOLOGY [--prefix P]
#        lab/topo.sh down [TOPOLOGY] [--prefix P]
#        lab/topo.sh status [TOPOLOGY] [--prefix P]
#        lab/topo.sh list
#
# Topologies (namespaces are P-NODE, default prefix rdlab; interfaces are
# eth0, eth1, ... in every namespace, eth0 facing h1):
#   basic   h1 -- r -- h2
#   chain   h1 -- r1 -- r2 -- h2            (two routerd side by side)
#   ecmp    h1 -- r =(eth1,eth2)= r2 -- h2  (equal-cost multipath to h2)
#   frr     h1 -- r1 =(eth1,eth2 via switch s)= r2 -- h2  FRR per router
#           fills the routes: FRR_LAB_MODE=ospf (default, OSPFv2+v3),
#           bgp (unnumbered), none (details: lab/frr.sh)
#   fabric  2 spines, FABRIC_LEAVES=2..4 leaves, host hI behind leaf lI:
#           FRR (BGP unnumbered, ECMP, BFD) and routerd on every router
#           (FABRIC_ROUTERD=0: FRR only; FABRIC_FEEDER=1: a feeder f behind
#           l1; details: lab/fabric.sh)
#   bridge  vm1, vm2 (veth), vm3 (tap) -- br0 in r -- h2: bridge ports eth0,
#           eth1, tap0 and uplink eth2 for routerd (lab/bridge.sh)
# Addresses: segment n is 198.18.n.0/24 and 2001:db8:n::/64 (h1 side 1,
# h2 side 2, links between routers 3, 4, 5); routers .1/::1, hosts .2/::2.
#
# up      creates the namespaces, veths, addresses and routes; forwarding on
#         for routers; GRO on every veth, tx checksum offload off on hosts.
# down    stops what runs in the lab's namespaces (SIGTERM, then SIGKILL),
#         deletes them, their pin dirs (/sys/fs/bpf/P-*) and sockets
#         (/run/routerd-lab/P); safe to run twice.
# status  namespaces, interfaces, addresses, attached XDP programs.
set -uo pipefail

LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lab/lib.sh
. "$LAB_DIR/lib.sh"

# the header comment, without the '#'
usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; }

prefix=rdlab
cmd=
topo=
while (($#)); do
	case $1 in
	-h|--help) usage; exit 0 ;;
	-p|--prefix)
		[ $# -ge 2 ] || { echo "topo.sh: $1 needs a value" >&2; exit 2; }
		prefix=$2; shift ;;
	--prefix=*) prefix=${1#--prefix=} ;;
	-*) echo "topo.sh: unknown option '$1'" >&2; usage >&2; exit 2 ;;
	*)
		if [ -z "$cmd" ]; then cmd=$1
		elif [ -z "$topo" ]; then topo=$1
		else echo "topo.sh: unexpected argument '$1'" >&2; exit 2
		fi ;;
	esac
	shift
done

lab_check_prefix "$prefix" || exit 2

case $cmd in
up)
	if [ -z "$topo" ]; then
		echo "topo.sh: up needs a topology: $LAB_TOPOLOGIES" >&2
		exit 2
	fi
	lab_up "$topo" "$prefix" || exit 1
	echo "lab '$topo' is up (prefix $prefix): $(lab_namespaces "$prefix" | tr '\n' ' ')"
	echo
	lab_status "$prefix"
	echo
	lab_hints "$prefix"
	;;
down)
	if [ -n "$topo" ] && [ -f "$LAB_RUN_BASE/$prefix/topology" ] &&
		[ "$(lab_topology "$prefix")" != "$topo" ]; then
		echo "topo.sh: note: prefix $prefix holds topology '$(lab_topology "$prefix")', removing it" >&2
	fi
	lab_down "$prefix"
	;;
status)
	lab_status "$prefix"
	;;
list)
	for t in $LAB_TOPOLOGIES; do printf '%-8s %s\n' "$t" "$(lab_describe "$t")"; done
	for t in $LAB_TOPOLOGIES_LATER; do printf '%-8s %s\n' "$t" "not there yet"; done
	;;
'')
	usage >&2
	exit 2
	;;
*)
	echo "topo.sh: unknown command '$cmd' (up, down, status, list)" >&2
	exit 2
	;;
esac
