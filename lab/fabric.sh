# shellcheck shell=bash
# lab/fabric.sh: the `fabric` topology, a leaf-spine fabric of routerd
# routers with FRR (BGP unnumbered, ECMP, BFD). Sourced by lab/lib.sh (so
# `lab/topo.sh up fabric` works), lab/demo.sh --fabric, tests/fabric and
# tests/bench/fabric.sh.
#
# Topology (FABRIC_LEAVES=2..4 leaves, default 2; always 2 spines):
#
#        s1 (AS 65100)         s2 (AS 65100)
#        eth0 eth1 ..          eth0 eth1 ..       spine sJ ethI-1 <-> leaf lI
#          |    \               /    |
#          |     `--- [w] ---'       |           every leaf-spine link goes
#          |    /               \    |           through its own bridge bIJ
#        eth1 eth2             eth1 eth2          in the wire namespace w
#        l1 (AS 65201)         l2 (AS 65202)      leaf lI: eth1 -> s1, eth2 -> s2
#        eth0  [eth3 -- f]     eth0
#         |                     |
#        h1 198.18.1.2         h2 198.18.2.2      host hI behind leaf lI
#
#   host hI eth0 198.18.I.2/24 2001:db8:I::2/64, default via lI (.1/::1)
#   leaf lI eth0 198.18.I.1    2001:db8:I::1
#   leaf-spine links: no global address at all, only IPv6 link-local:
#   BGP unnumbered (RFC 5549/8950: IPv4 routes via inet6 fe80::)
#   router ids 198.19.255.N (spines 1x, leaves 2x, feeder 30)
#   f (FABRIC_FEEDER=1): a feeder behind l1 (the edge), eth0 <-> l1 eth3
#   (FABRIC_FEEDER=2: also eth1 <-> l2 eth3, two edges fed side by side),
#   BGP unnumbered too (AS 65300), announcing what its kernel holds
#   (`redistribute kernel`: blackhole routes the tests and benchmarks add
#   with fabric_feed, outside the test ranges; never sent traffic).
#
# Wire namespace w: bridge bIJ joins ports lIsJ (to leaf I) and sJlI (to
# spine J), as frr.sh's switch does (GRO on, tx checksum offload off), so
# that a link can fail silently (bridge down: carriers stay up, only BFD
# notices) or loudly (ports down: both routers lose carrier).
#
# FRR per router: zebra, bgpd, bfdd (lab/frr.sh runs them, private dirs in
# /run/routerd-lab/P/frr-NODE). BGP: peer group `fabric` on the leaf-spine
# links (`neighbor ethX interface`, remote-as external), timers 1 3, BFD
# profile `fast` (FABRIC_BFD_MS=100 ms tx/rx, detect multiplier 3: a
# silent failure is noticed in ~300 ms; FABRIC_BFD=0: no BFD, the hold
# time notices it, 3 s), maximum-paths 4 (ECMP over the spines; routers
# hash L4 ports, fib_multipath_hash_policy=1). Leaves send the spines only what lies in
# the test ranges (route-maps FABRIC-OUT4/6): the feeder's full table stays
# on the edge leaf l1, as an edge router's table does.
#
# routerd (FABRIC_ROUTERD=1, the default for `lab/topo.sh up fabric`) on
# every routed port of every router: leaves eth0-eth2 (+eth3 on the edge),
# spines eth0..eth(L-1); sockets/pins as lab_sock/lab_pin_dir, PID in
# /run/routerd-lab/P/rd.NODE.pid.
#
# Functions:
#   fabric_routers P            routers of the lab, spines first
#   fabric_ifaces P NODE        NODE's routed ports
#   fabric_frr_start P [NODE..] configs + daemons (all routers and f)
#   fabric_rd_start P [NODE..]  routerd on NODEs (default all routers)
#   fabric_rd_stop P [NODE..]   SIGTERM routerd, bounded wait
#   fabric_rd_pid P NODE        routerd's PID on NODE (empty if none)
#   fabric_wait_converged P SECS   every leaf has a path over every spine
#                               to every other leaf's host prefix (both
#                               families) and its BFD peers are up
#   fabric_feed P V4 V6 [START] blackhole routes in f: V4 /24s from
#                               20.0.0.0 and V6 /48s from 2a00::, as one
#                               `ip -batch` (START: first index, default 0)
#   fabric_unfeed P             removes them again (flush proto 99)
#   FABRIC_FEED="V4 V6" at lab_up: fabric_feed before FRR starts in f;
#   FABRIC_FEED_HOLD=1: f's session to l1 starts shut down, until
#   fabric_feed_release P (the table then arrives at l1 in one go)
#   fabric_bgp_count P NODE FAM routes of NODE's kernel from BGP (4|6)
#   fabric_xdp_sum P KEY        routerd counter KEY summed over every box
#   fabric_kfwd_sum P           kernel IPv4+IPv6 forwarded datagrams, all boxes
#   fabric_link_down P LEAF SPINE [silent|carrier], fabric_link_up ...

: "${FABRIC_LEAVES:=2}"
: "${FABRIC_BFD_MS:=100}"
FABRIC_FEED_PROTO=99 # rtprot of the feeder's routes (ip route ... proto 99)

_fabric_leaves() { seq 1 "$(cat "$LAB_RUN_BASE/$1/fabric.leaves" 2>/dev/null || echo "$FABRIC_LEAVES")"; }

fabric_routers() {
	local i
	printf "%s\n" s1 s2
	for i in $(_fabric_leaves "$1"); do echo "l$i"; done
}

fabric_ifaces() {
	local p=$1 node=$2 i out=""
	case $node in
	s*) for i in $(_fabric_leaves "$p"); do out+="eth$((i - 1)) "; done ;;
	l*) out="eth0 eth1 eth2"
	    _fabric_fed "$p" "$node" && out+=" eth3" ;;
	esac
	echo "${out% }"
}

# a leaf with a feeder behind it (eth3)
_fabric_fed() { ip -n "$1-$2" link show eth3 >/dev/null 2>&1; }

_lab_topo_fabric() {
	local p=$1 n=${FABRIC_LEAVES} i j r
	if [[ ! $n =~ ^[234]$ ]]; then lab_err "FABRIC_LEAVES=$n: use 2, 3 or 4"; return 1; fi
	if ! frr_installed || [ ! -x "$FRR_BIN/bfdd" ]; then
		lab_err "frr (zebra, bgpd, bfdd in $FRR_BIN) is not installed: run lab/install-deps.sh"
		return 1
	fi
	echo "$n" >"$LAB_RUN_BASE/$p/fabric.leaves"
	_lab_node "$p" w switch && _lab_node "$p" s1 router && _lab_node "$p" s2 router || return 1
	local feedpid=
	if [ "${FABRIC_FEEDER:-0}" != 0 ]; then
		# no RA from l1 (zebra sends them on BGP unnumbered links): the
		# feeder announces what its kernel holds, never a learnt default
		_lab_node "$p" f host &&
		_lab_x ip netns exec "$p-f" sysctl -qw net.ipv6.conf.all.accept_ra=0 \
			net.ipv6.conf.default.accept_ra=0 || return 1
		# a table prepared in the feeder's kernel before its zebra starts
		# (one netlink dump for zebra instead of a notification per
		# route), while the rest of the lab is built
		if [ -n "${FABRIC_FEED:-}" ]; then
			# shellcheck disable=SC2086
			fabric_feed "$p" $FABRIC_FEED &
			feedpid=$!
		fi
	fi
	for i in $(seq 1 "$n"); do
		_lab_node "$p" "l$i" router && _lab_node "$p" "h$i" host &&
		_lab_link "$p" "h$i" eth0 "l$i" eth0 &&
		_lab_addr "$p" "h$i" eth0 "$i" 2 && _lab_addr "$p" "l$i" eth0 "$i" 1 &&
		_lab_default "$p" "h$i" "$i" || return 1
		for j in 1 2; do
			_lab_link "$p" "l$i" "eth$j" w "l${i}s$j" &&
			_lab_link "$p" "s$j" "eth$((i - 1))" w "s${j}l$i" &&
			_fabric_bridge "$p" "b$i$j" "l${i}s$j" "s${j}l$i" || return 1
		done
	done
	if [ "${FABRIC_FEEDER:-0}" != 0 ]; then
		_lab_link "$p" f eth0 l1 eth3 || return 1
		if [ "$FABRIC_FEEDER" = 2 ]; then _lab_link "$p" f eth1 l2 eth3 || return 1; fi
	fi
	for r in $(fabric_routers "$p") $([ "${FABRIC_FEEDER:-0}" != 0 ] && echo f); do
		_lab_x ip netns exec "$p-$r" sysctl -qw net.ipv4.fib_multipath_hash_policy=1 \
			net.ipv6.fib_multipath_hash_policy=1 net.ipv6.conf.all.keep_addr_on_down=1 ||
			return 1
	done
	if [ -n "$feedpid" ] && ! wait "$feedpid"; then
		lab_err "feeding the feeder ($FABRIC_FEED) failed"; return 1
	fi
	fabric_frr_start "$p" || return 1
	if [ "${FABRIC_ROUTERD:-1}" = 1 ]; then
		fabric_rd_start "$p" || return 1
	fi
}

# _fabric_bridge P BRIDGE PORT PORT: a link through the wire namespace, as
# frr.sh's _frr_bridge (tx checksum offload off on the ports: see there)
_fabric_bridge() {
	local ns=$1-w
	_lab_x ip netns exec "$ns" ethtool -K "$3" tx off &&
	_lab_x ip netns exec "$ns" ethtool -K "$4" tx off &&
	_lab_x ip -n "$ns" link add name "$2" type bridge stp_state 0 mcast_snooping 0 &&
	_lab_x ip -n "$ns" link set "$3" master "$2" &&
	_lab_x ip -n "$ns" link set "$4" master "$2" &&
	_lab_x ip -n "$ns" link set "$2" up
}

# ---------------------------------------------------------------------------
# FRR

_fabric_bgpd_conf() { # P NODE DIR
	local p=$1 node=$2 d=$3 as id i
	case $node in
	s[12]) as=65100 id=198.19.255.1${node#s} ;;
	l*) as=6520${node#l} id=198.19.255.2${node#l} ;;
	f) as=65300 id=198.19.255.30 ;;
	esac
	_frr_conf_common "$node" bgpd "$d"
	printf 'router bgp %s\n bgp router-id %s\n' "$as" "$id"
	printf ' no bgp ebgp-requires-policy\n no bgp network import-check\n'
	printf ' no bgp default ipv4-unicast\n timers bgp 1 3\n'
	printf ' neighbor fabric peer-group\n neighbor fabric remote-as external\n'
	printf ' neighbor fabric timers 1 3\n neighbor fabric timers connect 1\n'
	printf ' neighbor fabric advertisement-interval 0\n'
	if [ "$node" != f ] && [ "${FABRIC_BFD:-1}" = 1 ]; then
		printf ' neighbor fabric bfd\n neighbor fabric bfd profile fast\n'
	fi
	case $node in
	s*) for i in $(fabric_ifaces "$p" "$node"); do printf ' neighbor %s interface peer-group fabric\n' "$i"; done ;;
	l*) printf ' neighbor eth1 interface peer-group fabric\n neighbor eth2 interface peer-group fabric\n'
	    _fabric_fed "$p" "$node" &&
		printf ' neighbor feed peer-group\n neighbor feed remote-as external\n neighbor feed timers 1 3\n neighbor feed timers connect 1\n neighbor feed advertisement-interval 0\n neighbor eth3 interface peer-group feed\n' ;;
	f) for i in eth0 eth1; do
		ip -n "$p-f" link show "$i" >/dev/null 2>&1 || continue
		printf ' neighbor %s interface peer-group fabric\n' "$i"
		[ "${FABRIC_FEED_HOLD:-0}" = 1 ] && printf ' neighbor %s shutdown\n' "$i"
	   done ;;
	esac
	for fam in ipv4 ipv6; do
		printf ' !\n address-family %s unicast\n' "$fam"
		case $node in
		l*) [ "$fam" = ipv4 ] && printf '  network 198.18.%s.0/24\n' "${node#l}"
		    [ "$fam" = ipv6 ] && printf '  network 2001:db8:%s::/64\n' "${node#l}"
		    printf '  neighbor fabric route-map FABRIC-OUT%s out\n' "${fam#ipv}"
		    _fabric_fed "$p" "$node" && printf '  neighbor feed activate\n' ;;
		f) printf '  redistribute kernel\n' ;;
		esac
		printf '  neighbor fabric activate\n  maximum-paths 4\n exit-address-family\n'
	done
	printf '!\nip prefix-list TEST4 seq 5 permit 198.18.0.0/15 le 32\n'
	printf 'ipv6 prefix-list TEST6 seq 5 permit 2001:db8::/32 le 128\n'
	printf 'route-map FABRIC-OUT4 permit 10\n match ip address prefix-list TEST4\n!\n'
	printf 'route-map FABRIC-OUT6 permit 10\n match ipv6 address prefix-list TEST6\n!\n'
}

_fabric_bfdd_conf() { # NODE DIR
	_frr_conf_common "$1" bfdd "$2"
	printf 'bfd\n profile fast\n  detect-multiplier 3\n  receive-interval %s\n  transmit-interval %s\n !\n!\n' \
		"$FABRIC_BFD_MS" "$FABRIC_BFD_MS"
}

_fabric_frr_start_node() { # P NODE
	local p=$1 node=$2 d daemon daemons
	d=$(frr_dir "$p" "$node")
	if _frr_pids "$p" "$node" | grep -q .; then
		lab_err "FRR already runs in $p-$node"; return 1
	fi
	rm -rf "$d"; mkdir -p "$d" || return 1
	echo fabric >"$d/mode"
	{ _frr_conf_common "$node" zebra "$d"; printf "zebra nexthop-group keep 1\n!\n"; } >"$d/zebra.conf"
	_fabric_bgpd_conf "$p" "$node" "$d" >"$d/bgpd.conf"
	daemons="bfdd bgpd"
	if [ "$node" = f ]; then daemons=bgpd; else _fabric_bfdd_conf "$node" "$d" >"$d/bfdd.conf"; fi
	chown -R "$FRR_USER:$FRR_GROUP" "$d"
	_frr_run "$p-$node" "$d" zebra || return 1
	for daemon in $daemons; do _frr_run "$p-$node" "$d" "$daemon" || return 1; done
}

fabric_frr_start() {
	local p=$1 node nodes deadline
	shift
	if (($#)); then nodes="$*"; else
		nodes="$(fabric_routers "$p" | tr '\n' ' ')"
		[ -e "/run/netns/$p-f" ] && nodes+=" f"
	fi
	# the routers' daemons start in parallel (each node's in order: zebra
	# first), which halves the time the lab takes to come up
	local jobs=() j rc=0
	for node in $nodes; do
		_fabric_frr_start_node "$p" "$node" &
		jobs+=($!)
	done
	for j in "${jobs[@]}"; do wait "$j" || rc=1; done
	((rc == 0)) || return 1
	deadline=$((SECONDS + 15))
	for node in $nodes; do
		until frr_vtysh "$p" "$node" -c 'show daemons' 2>/dev/null | grep -q bgpd; do
			if ((SECONDS >= deadline)); then
				lab_err "FRR in $p-$node does not answer on $(frr_dir "$p" "$node")"
				return 1
			fi
			sleep 0.1
		done
	done
}

# ---------------------------------------------------------------------------
# routerd

fabric_rd_pid() {
	local pid
	pid=$(cat "$LAB_RUN_BASE/$1/rd.$2.pid" 2>/dev/null) || return 0
	_lab_alive "$pid" && echo "$pid"
}

fabric_rd_start() {
	local p=$1 node
	shift
	local nodes=("$@")
	((${#nodes[@]})) || mapfile -t nodes < <(fabric_routers "$p")
	for node in "${nodes[@]}"; do
		[ -n "$(fabric_rd_pid "$p" "$node")" ] && continue
		# shellcheck disable=SC2046
		rd_start "$p-$node" "$(lab_sock "$p" "$node")" "$(lab_pin_dir "$p" "$node")" \
			$(fabric_ifaces "$p" "$node") || return 1
		echo "$RD_PID" >"$LAB_RUN_BASE/$p/rd.$node.pid"
	done
}

fabric_rd_stop() {
	local p=$1 node pid
	shift
	local nodes=("$@")
	((${#nodes[@]})) || mapfile -t nodes < <(fabric_routers "$p")
	for node in "${nodes[@]}"; do
		pid=$(fabric_rd_pid "$p" "$node")
		[ -n "$pid" ] && rd_stop "$pid"
		rm -f "$LAB_RUN_BASE/$p/rd.$node.pid"
	done
	return 0
}

# ---------------------------------------------------------------------------
# state

fabric_bfd_up() { # P NODE: number of BFD peers up
	frr_vtysh "$1" "$2" -c 'show bfd peers json' 2>/dev/null |
		jq '[.[] | select(.status == "up")] | length' 2>/dev/null || echo 0
}

fabric_wait_converged() {
	local p=$1 secs=$2 deadline i j ok
	deadline=$((SECONDS + secs))
	while :; do
		ok=1
		for i in $(_fabric_leaves "$p"); do
			for j in $(_fabric_leaves "$p"); do
				[ "$i" = "$j" ] && continue
				[ "$(frr_paths "$p-l$i" "198.18.$j.0/24")" -eq 2 ] || ok=0
				[ "$(frr_paths "$p-l$i" "2001:db8:$j::/64")" -eq 2 ] || ok=0
			done
			[ "${FABRIC_BFD:-1}" = 0 ] || [ "$(fabric_bfd_up "$p" "l$i")" -ge 2 ] || ok=0
			((ok)) || break
		done
		((ok)) && return 0
		((SECONDS >= deadline)) && return 1
		sleep 0.2
	done
}

fabric_feed() {
	local p=$1 v4=$2 v6=$3 start=${4:-0}
	/usr/bin/python3 - "$v4" "$v6" "$start" "$FABRIC_FEED_PROTO" <<'EOF' | ip -n "$p-f" -batch - >/dev/null
import sys
v4, v6, start, proto = (int(a) for a in sys.argv[1:5])
out = sys.stdout
for i in range(start, start + v4):   # /24s from 20.0.0.0: never 198.18.0.0/15
    out.write("route add blackhole %d.%d.%d.0/24 proto %d\n" % (20 + (i >> 16), (i >> 8) & 255, i & 255, proto))
for i in range(start, start + v6):   # /48s in 2a00::/16: never 2001:db8::/32
    out.write("route add blackhole 2a00:%x:%x::/48 proto %d\n" % (i >> 16, i & 0xffff, proto))
EOF
}

# fabric_feed_batch P CMD V4 V6 START: the same prefixes, as add or del lines (for churn)
fabric_feed_lines() {
	/usr/bin/python3 - "$@" "$FABRIC_FEED_PROTO" <<'EOF'
import sys
cmd = sys.argv[1]
v4, v6, start, proto = (int(a) for a in sys.argv[2:6])
for i in range(start, start + v4):
    print("route %s blackhole %d.%d.%d.0/24 proto %d" % (cmd, 20 + (i >> 16), (i >> 8) & 255, i & 255, proto))
for i in range(start, start + v6):
    print("route %s blackhole 2a00:%x:%x::/48 proto %d" % (cmd, i >> 16, i & 0xffff, proto))
EOF
}

# fabric_feed_release P: the feeder's session to l1, held down with
# FABRIC_FEED_HOLD=1, comes up: l1 receives the whole table at once
fabric_feed_release() {
	local i args=()
	for i in eth0 eth1; do
		ip -n "$1-f" link show "$i" >/dev/null 2>&1 && args+=(-c "no neighbor $i shutdown")
	done
	frr_vtysh "$1" f -c 'configure terminal' -c 'router bgp 65300' "${args[@]}" >/dev/null
}

fabric_unfeed() {
	ip -n "$1-f" route flush proto "$FABRIC_FEED_PROTO" 2>/dev/null
	ip -n "$1-f" -6 route flush proto "$FABRIC_FEED_PROTO" 2>/dev/null
	return 0
}

# routes NODE's kernel got from BGP (proto bgp), family 4 or 6
fabric_bgp_count() {
	ip -n "$1-$2" "-$3" route show proto bgp 2>/dev/null | wc -l
}

fabric_xdp_sum() {
	local p=$1 key=$2 node s=0 v
	for node in $(fabric_routers "$p"); do
		v=$("$ROUTERCTL" -s "$(lab_sock "$p" "$node")" -j stats 2>/dev/null |
			jq -r --arg k "$key" '[.interfaces[].counters[$k]] | add // 0' 2>/dev/null)
		s=$((s + ${v:-0}))
	done
	echo "$s"
}

# kernel forwarding counters (IPv4 ForwDatagrams + Ip6OutForwDatagrams)
fabric_kfwd() {
	ip netns exec "$1" awk '$1 == "Ip:" { if (!h) { for (i = 2; i <= NF; i++) if ($i == "ForwDatagrams") c = i; h = 1 } else v4 = $c }
		END { while ((getline l < "/proc/net/snmp6") > 0) { split(l, f); if (f[1] == "Ip6OutForwDatagrams") v6 = f[2] }
		      print v4 + v6 }' /proc/net/snmp
}

fabric_kfwd_sum() {
	local p=$1 node s=0
	for node in $(fabric_routers "$p"); do s=$((s + $(fabric_kfwd "$p-$node"))); done
	echo "$s"
}

# fabric_link_down P LEAF SPINE [silent|carrier]: LEAF/SPINE as numbers
fabric_link_down() {
	if [ "${4:-silent}" = carrier ]; then
		ip -n "$1-w" link set "l$2s$3" down && ip -n "$1-w" link set "s$3l$2" down
	else
		ip -n "$1-w" link set "b$2$3" down
	fi
}
fabric_link_up() {
	if [ "${4:-silent}" = carrier ]; then
		ip -n "$1-w" link set "l$2s$3" up && ip -n "$1-w" link set "s$3l$2" up
	else
		ip -n "$1-w" link set "b$2$3" up
	fi
}

# the spine "dies": every one of its links fails silently (power cut: no
# carrier change reaches the leaves, only BFD notices)
fabric_spine_down() {
	local i
	for i in $(_fabric_leaves "$1"); do ip -n "$1-w" link set "b$i$2" down; done
}
fabric_spine_up() {
	local i
	for i in $(_fabric_leaves "$1"); do ip -n "$1-w" link set "b$i$2" up; done
}

_lab_predown_fabric() {
	local node pids
	for node in $(fabric_routers "$1") f; do
		pids=$(_frr_pids "$1" "$node")
		# shellcheck disable=SC2086
		[ -n "$pids" ] && kill -KILL $pids 2>/dev/null
	done
	return 0
}

_lab_hints_fabric() {
	local p=$1 r
	echo "Fabric (FRR BGP unnumbered + BFD; routerd on every router unless FABRIC_ROUTERD=0):"
	for r in $(fabric_routers "$p"); do
		echo "  $FRR_VTYSH --vty_socket $(frr_dir "$p" "$r") -c 'show bgp summary' -c 'show bfd peers brief'   # $r"
	done
	echo "  ip -n $p-l1 route show 198.18.2.0/24     # ECMP over s1 and s2 (via inet6 fe80::)"
	echo "  ip -n $p-w link set b11 down              # cut l1-s1 silently (BFD notices)"
}
