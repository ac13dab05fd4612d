# shellcheck shell=bash
# lab/frr.sh: the `frr` topology and FRR daemon control, without systemd.
# Sourced by lab/lib.sh (so `lab/topo.sh up frr` works) and by tests/frr.
#
# Topology frr (namespaces P-h1, P-r1, P-r2, P-h2 and the switch P-s):
#
#   h1 eth0 --- eth0 r1 eth1 --- eth0 [s br3] eth1 --- eth0 r2 eth2 --- eth0 h2
#                       eth2 --- eth2 [s br4] eth3 --- eth1
#
#   h1 eth0 198.18.1.2/24  2001:db8:1::2/64   default via r1 (.1/::1)
#   r1 eth0 198.18.1.1     2001:db8:1::1
#   r1 eth1 198.18.3.1     2001:db8:3::1      r2 eth0 198.18.3.2  2001:db8:3::2
#   r1 eth2 198.18.4.1     2001:db8:4::1      r2 eth1 198.18.4.2  2001:db8:4::2
#   r2 eth2 198.18.2.1     2001:db8:2::1
#   h2 eth0 198.18.2.2/24  2001:db8:2::2/64   default via r2 (.1/::1)
#
# The two parallel r1-r2 links (segments 3 and 4) each go through a bridge
# in the switch namespace s (br3: eth0+eth1, br4: eth2+eth3), as links
# through a switch do: taking a bridge down is a silent failure (both
# routers keep carrier; only the routing protocol notices), taking the
# switch ports down is a carrier failure. Like the hosts, the switch ports
# have GRO on and tx checksum offload off (see _frr_bridge).
# No static routes between r1 and r2: FRR fills the kernel's routing table
# (routes over both links: ECMP, nexthop groups). Routers hash L4 ports
# (fib_multipath_hash_policy=1, both families) and keep their IPv6
# addresses while a link is down (keep_addr_on_down=1, as a router should:
# OSPFv3 re-advertises the prefix when the link comes back). Router ids
# 198.19.255.N.
#
# FRR runs per router namespace with private files in
# /run/routerd-lab/P/frr-NODE/ (configs, pid files, logs, zserv.api and the
# vty sockets): zebra first, then the protocol daemons, all with the same
# -z and --vty_socket (zebra also with -s 90000000, as Debian starts it).
# Modes:
#   ospf  ospfd + ospf6d, area 0, point-to-point links, hello 1 / dead 4 /
#         retransmit 1; the host segment is passive.
#   bgp   BGP unnumbered (eBGP, AS 6500N, `neighbor ethX interface`), timers
#         1 3, IPv4 and IPv6 unicast, maximum-paths 2. For RFC 8950 routes
#         (IPv4 via inet6 fe80::) remove the links' IPv4 addresses first:
#         frr_unnumbered P (FRR picks IPv4 nexthops while they are there).
#   none  no FRR (tests start it later, after routerd).
# zebra runs with `zebra nexthop-group keep 1`: FRR 8.4 keeps an unused
# nexthop group 180 s and reuses it when the route comes back, although the
# kernel flushed the members of a link that went down meanwhile (fixed in
# FRR 9.0, FRRouting/frr#13413); see docs/frr.md.
# `lab_up frr P` starts FRR in mode $FRR_LAB_MODE (default ospf; with bgp
# it also removes the links' IPv4 addresses).
#
# Functions (non-zero and a message on stderr on failure):
#   frr_installed                  FRR daemons present (/usr/lib/frr/zebra)
#   frr_start P MODE [NODE...]     write configs, start the daemons of every
#                                  router (or NODEs), wait until they answer
#   frr_stop P [NODE...]           SIGTERM the daemons (protocols, then
#                                  zebra), bounded wait, then SIGKILL
#   frr_vtysh P NODE ARGS...       vtysh on NODE's private vty sockets
#   frr_unnumbered P               remove IPv4 addresses from r1-r2 links
#   frr_paths NS DST               number of paths of NS's route to DST
#                                  (0 when there is none)
#   frr_wait_paths NS DST N SECS   until the route to DST has N paths
#   frr_dir P NODE                 FRR's directory of NODE

: "${FRR_BIN:=/usr/lib/frr}"
: "${FRR_VTYSH:=vtysh}"
: "${FRR_USER:=frr}"
: "${FRR_GROUP:=frr}"

frr_installed() { [ -x "$FRR_BIN/zebra" ] && command -v "$FRR_VTYSH" >/dev/null 2>&1; }

frr_dir() { echo "$LAB_RUN_BASE/$1/frr-$2"; }

frr_vtysh() {
	local d
	d=$(frr_dir "$1" "$2")
	shift 2
	"$FRR_VTYSH" --vty_socket "$d" "$@"
}

# ---------------------------------------------------------------------------
# topology

_lab_topo_frr() {
	local p=$1 mode=${FRR_LAB_MODE:-ospf} r
	case $mode in
	ospf|bgp|none) ;;
	*) lab_err "FRR_LAB_MODE '$mode': use ospf, bgp or none"; return 1 ;;
	esac
	if [ "$mode" != none ] && ! frr_installed; then
		lab_err "frr is not installed ($FRR_BIN/zebra missing): run lab/install-deps.sh"
		return 1
	fi
	_lab_node "$p" h1 host && _lab_node "$p" r1 router &&
	_lab_node "$p" r2 router && _lab_node "$p" h2 host && _lab_node "$p" s switch &&
	_lab_link "$p" h1 eth0 r1 eth0 &&
	_lab_link "$p" r1 eth1 s eth0 && _lab_link "$p" s eth1 r2 eth0 &&
	_lab_link "$p" r1 eth2 s eth2 && _lab_link "$p" s eth3 r2 eth1 &&
	_lab_link "$p" r2 eth2 h2 eth0 &&
	_frr_bridge "$p" br3 eth0 eth1 && _frr_bridge "$p" br4 eth2 eth3 &&
	_lab_addr "$p" h1 eth0 1 2 && _lab_addr "$p" r1 eth0 1 1 &&
	_lab_addr "$p" r1 eth1 3 1 && _lab_addr "$p" r1 eth2 4 1 &&
	_lab_addr "$p" r2 eth0 3 2 && _lab_addr "$p" r2 eth1 4 2 &&
	_lab_addr "$p" r2 eth2 2 1 && _lab_addr "$p" h2 eth0 2 2 &&
	_lab_default "$p" h1 1 && _lab_default "$p" h2 2 || return 1
	for r in r1 r2; do
		_lab_x ip netns exec "$p-$r" sysctl -qw net.ipv4.fib_multipath_hash_policy=1 \
			net.ipv6.fib_multipath_hash_policy=1 net.ipv6.conf.all.keep_addr_on_down=1 ||
			return 1
	done
	case $mode in
	none) return 0 ;;
	bgp) frr_unnumbered "$p" || return 1 ;;
	esac
	frr_start "$p" "$mode"
}

# _frr_bridge P BRIDGE PORT PORT: a plain learning bridge in the switch
# (no STP, no multicast snooping: OSPF/ND multicast is simply flooded).
# Its ports send into the routers' XDP, so, like hosts, they must not send
# partial checksums: GRO on the ports builds CHECKSUM_PARTIAL skbs, a veth
# with tx checksum offload passes them on unfinished, and a frame that XDP
# redirects loses the metadata (the next hop drops it as corrupt; TCP
# stalls). tx off makes the switch finish the checksums.
_frr_bridge() {
	local ns=$1-s
	_lab_x ip netns exec "$ns" ethtool -K "$3" tx off || return 1
	_lab_x ip netns exec "$ns" ethtool -K "$4" tx off || return 1
	_lab_x ip -n "$ns" link add name "$2" type bridge stp_state 0 mcast_snooping 0 || return 1
	_lab_x ip -n "$ns" link set "$3" master "$2" || return 1
	_lab_x ip -n "$ns" link set "$4" master "$2" || return 1
	_lab_x ip -n "$ns" link set "$2" up
}

# The inter-router links of the frr topology, "NODE IFACE" per line.
_frr_links() { printf '%s\n' "r1 eth1" "r1 eth2" "r2 eth0" "r2 eth1"; }

frr_unnumbered() {
	local p=$1 node dev
	while read -r node dev; do
		_lab_x ip -n "$p-$node" -4 addr flush dev "$dev" || return 1
	done < <(_frr_links)
}

# ---------------------------------------------------------------------------
# configuration (one file per daemon, generated)

# _frr_node_info NODE: sets FRR_N (router number), FRR_HOST_IF, FRR_CORE_IFS
_frr_node_info() {
	case $1 in
	r1) FRR_N=1 FRR_HOST_IF=eth0 FRR_CORE_IFS="eth1 eth2" FRR_HOST_SEG=1 ;;
	r2) FRR_N=2 FRR_HOST_IF=eth2 FRR_CORE_IFS="eth0 eth1" FRR_HOST_SEG=2 ;;
	*) lab_err "frr: unknown router '$1' (r1, r2)"; return 1 ;;
	esac
}

_frr_conf_common() { # NODE DAEMON DIR
	printf 'frr version 8.4\nhostname %s\nlog file %s/%s.log informational\nlog timestamp precision 3\n!\n' \
		"$1" "$3" "$2"
}

_frr_write_configs() { # P NODE MODE DIR
	local node=$2 mode=$3 d=$4 i
	_frr_node_info "$node" || return 1
	{ _frr_conf_common "$node" zebra "$d"; printf "zebra nexthop-group keep 1\n!\n"; } >"$d/zebra.conf"
	case $mode in
	ospf)
		{
			_frr_conf_common "$node" ospfd "$d"
			printf 'interface %s\n ip ospf area 0\n ip ospf passive\n!\n' "$FRR_HOST_IF"
			for i in $FRR_CORE_IFS; do
				printf 'interface %s\n ip ospf area 0\n ip ospf network point-to-point\n' "$i"
				printf ' ip ospf hello-interval 1\n ip ospf dead-interval 4\n'
				printf ' ip ospf retransmit-interval 1\n!\n'
			done
			printf 'router ospf\n ospf router-id 198.19.255.%s\n' "$FRR_N"
			printf ' timers throttle spf 0 50 500\n maximum-paths 2\n!\n'
		} >"$d/ospfd.conf"
		{
			_frr_conf_common "$node" ospf6d "$d"
			printf 'interface %s\n ipv6 ospf6 area 0\n ipv6 ospf6 passive\n!\n' "$FRR_HOST_IF"
			for i in $FRR_CORE_IFS; do
				printf 'interface %s\n ipv6 ospf6 area 0\n ipv6 ospf6 network point-to-point\n' "$i"
				printf ' ipv6 ospf6 hello-interval 1\n ipv6 ospf6 dead-interval 4\n'
				printf ' ipv6 ospf6 retransmit-interval 1\n!\n'
			done
			printf 'router ospf6\n ospf6 router-id 198.19.255.%s\n' "$FRR_N"
			printf ' timers throttle spf 0 50 500\n maximum-paths 2\n!\n'
		} >"$d/ospf6d.conf"
		;;
	bgp)
		{
			_frr_conf_common "$node" bgpd "$d"
			printf 'router bgp 6500%s\n bgp router-id 198.19.255.%s\n' "$FRR_N" "$FRR_N"
			printf ' no bgp ebgp-requires-policy\n no bgp network import-check\n'
			printf ' timers bgp 1 3\n'
			printf ' neighbor core peer-group\n neighbor core remote-as external\n'
			printf ' neighbor core timers 1 3\n neighbor core timers connect 1\n'
			printf ' neighbor core advertisement-interval 0\n'
			for i in $FRR_CORE_IFS; do
				printf ' neighbor %s interface peer-group core\n' "$i"
			done
			printf ' !\n address-family ipv4 unicast\n  network 198.18.%s.0/24\n' "$FRR_HOST_SEG"
			printf '  neighbor core activate\n  maximum-paths 2\n exit-address-family\n'
			printf ' !\n address-family ipv6 unicast\n  network 2001:db8:%s::/64\n' "$FRR_HOST_SEG"
			printf '  neighbor core activate\n  maximum-paths 2\n exit-address-family\n!\n'
		} >"$d/bgpd.conf"
		;;
	*) lab_err "frr: mode '$mode': use ospf or bgp"; return 1 ;;
	esac
	chown -R "$FRR_USER:$FRR_GROUP" "$d"
}

_frr_daemons() { # MODE: the protocol daemons, in start order
	case $1 in
	ospf) echo "ospfd ospf6d" ;;
	bgp) echo "bgpd" ;;
	esac
}

# ---------------------------------------------------------------------------
# start / stop

# _frr_run NS DIR DAEMON: one daemon, daemonized (-d): it returns once the
# daemon has read its config.
# zebra gets Debian's -s 90000000 (netlink receive buffer): zebra exits on
# a netlink overrun ("netlink-listen recvmsg overrun"), which fast route
# churn causes with the default buffer.
_frr_run() {
	local ns=$1 d=$2 daemon=$3 extra=()
	[ "$daemon" = zebra ] && extra=(-s 90000000)
	_lab_x ip netns exec "$ns" "$FRR_BIN/$daemon" -d -u "$FRR_USER" -g "$FRR_GROUP" -P 0 \
		-f "$d/$daemon.conf" -i "$d/$daemon.pid" -z "$d/zserv.api" --vty_socket "$d" "${extra[@]}"
}

frr_start() {
	local p=$1 mode=$2 node nodes d daemon deadline
	shift 2
	frr_installed || { lab_err "frr is not installed ($FRR_BIN/zebra missing)"; return 1; }
	if (($#)); then nodes="$*"; else nodes="r1 r2"; fi
	for node in $nodes; do
		[ -e "/run/netns/$p-$node" ] || { lab_err "no namespace $p-$node"; return 1; }
		d=$(frr_dir "$p" "$node")
		if _frr_pids "$p" "$node" | grep -q .; then
			lab_err "FRR already runs in $p-$node (frr_stop $p $node first)"
			return 1
		fi
		rm -rf "$d"
		mkdir -p "$d" || return 1
		echo "$mode" >"$d/mode"
		_frr_write_configs "$p" "$node" "$mode" "$d" || return 1
		_frr_run "$p-$node" "$d" zebra || return 1
		for daemon in $(_frr_daemons "$mode"); do
			_frr_run "$p-$node" "$d" "$daemon" || return 1
		done
	done
	# every daemon answers on its vty socket
	deadline=$((SECONDS + 10))
	for node in $nodes; do
		until frr_vtysh "$p" "$node" -c 'show daemons' 2>/dev/null |
			grep -q "zebra.*$(_frr_daemons "$(cat "$(frr_dir "$p" "$node")/mode")" | awk '{print $NF}')"; do
			if ((SECONDS >= deadline)); then
				lab_err "FRR in $p-$node does not answer on $(frr_dir "$p" "$node")"
				tail -n 5 "$(frr_dir "$p" "$node")"/*.log 2>/dev/null | sed 's/^/lab:   /' >&2
				return 1
			fi
			sleep 0.1
		done
	done
}

# PIDs of NODE's FRR daemons that are alive, one per line
_frr_pids() {
	local f pid
	for f in "$(frr_dir "$1" "$2")"/*.pid; do
		[ -f "$f" ] || continue
		pid=$(cat "$f" 2>/dev/null)
		[ -n "$pid" ] && _lab_alive "$pid" && echo "$pid"
	done
}

frr_stop() {
	local p=$1 node nodes d daemon pid pids left
	shift
	if (($#)); then nodes="$*"; else nodes="r1 r2"; fi
	for node in $nodes; do
		d=$(frr_dir "$p" "$node")
		[ -d "$d" ] || continue
		# protocol daemons first (they withdraw through zebra), zebra last
		for daemon in bgpd bfdd ospf6d ospfd zebra; do
			[ -f "$d/$daemon.pid" ] || continue
			pid=$(cat "$d/$daemon.pid" 2>/dev/null)
			if [ -z "$pid" ] || ! _lab_alive "$pid"; then continue; fi
			kill -TERM "$pid" 2>/dev/null
			if ! left=$(_lab_wait_gone 5 "$pid"); then
				lab_err "FRR $daemon in $p-$node (pid $left) ignored SIGTERM; killing it"
				kill -KILL "$pid" 2>/dev/null
				_lab_wait_gone 2 "$pid" >/dev/null
			fi
		done
		pids=$(_frr_pids "$p" "$node")
		[ -z "$pids" ] || { lab_err "FRR processes left in $p-$node: $pids"; return 1; }
	done
}

# ---------------------------------------------------------------------------
# routes

# frr_paths NS DST: paths of the kernel's route to exactly DST (IPv4 or IPv6)
frr_paths() {
	local fam=-4 n
	[[ $2 == *:* ]] && fam=-6
	n=$(ip -n "$1" "$fam" -j route show "$2" 2>/dev/null |
		jq '[.[0] // {} | if .nexthops then .nexthops[] elif .dev then . else empty end] | length' 2>/dev/null)
	echo "${n:-0}"
}

# frr_wait_paths NS DST N SECS: true once the route to DST has N paths
frr_wait_paths() {
	local deadline=$((SECONDS + $4))
	while :; do
		[ "$(frr_paths "$1" "$2")" -eq "$3" ] && return 0
		((SECONDS >= deadline)) && return 1
		sleep 0.1
	done
}

# `lab/topo.sh up frr` hints
_lab_hints_frr() {
	local p=$1 r
	echo "FRR (mode $(cat "$(frr_dir "$p" r1)/mode" 2>/dev/null || echo none)):"
	for r in r1 r2; do
		echo "  $FRR_VTYSH --vty_socket $(frr_dir "$p" "$r") -c 'show ip route'   # $r"
	done
	echo "  ip -n $p-r1 route; ip -n $p-r1 nexthop               # nhid routes, groups"
}
