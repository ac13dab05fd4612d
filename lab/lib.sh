# shellcheck shell=bash
# lab/lib.sh: network-namespace topologies for routerd and a way to start
# routerd inside them. Sourced by lab/topo.sh, lab/demo.sh and tests/e2e.
#
# Naming (fixed, so tests and the demo can rely on it):
#   namespaces   PREFIX-NODE            e.g. rdlab-h1, rdlab-r
#   interfaces   eth0, eth1, ... inside every namespace; eth0 faces h1
#   pin dirs     /sys/fs/bpf/PREFIX-NODE        (lab_pin_dir PREFIX NODE)
#   sockets      /run/routerd-lab/PREFIX/NODE.sock (lab_sock PREFIX NODE)
#   logs         /run/routerd-lab/PREFIX/NODE.log
#
# Functions (each returns non-zero and says why on stderr on failure):
#   lab_up TOPOLOGY PREFIX       build a topology (basic, chain, ecmp)
#   lab_down PREFIX              stop what runs in PREFIX-*, remove it all
#   lab_status PREFIX            print namespaces, interfaces, addresses
#   rd_start NS SOCK PIN IFACE... [-- ROUTERD_ARGS...]
#       start routerd in namespace NS (full name) in the foreground as a
#       background job of the calling shell; sets RD_PID to routerd's PID
#       and returns once `routerctl -s SOCK status` answers (at most
#       RD_START_TIMEOUT seconds, default 5). Log: RD_LOG or SOCK's .log.
#   rd_stop PID [TIMEOUT]        SIGTERM, wait (bounded), return its status
#
# Addresses come only from 198.18.0.0/15 and 2001:db8::/32:
#   segment n (1 = h1 side, 2 = h2 side, 3.. = between routers) is
#   198.18.n.0/24 and 2001:db8:n::/64; hosts are .2/::2, the router .1/::1.

LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${RD_ROOT:=$(cd "$LAB_DIR/.." && pwd)}"
: "${RD_BUILD_DIR:=$RD_ROOT/build}"
: "${ROUTERD:=$RD_BUILD_DIR/routerd/routerd}"
: "${ROUTERCTL:=$RD_BUILD_DIR/routerd/routerctl}"
LAB_RUN_BASE=/run/routerd-lab
LAB_BPFFS=/sys/fs/bpf
LAB_TOPOLOGIES="basic chain ecmp frr fabric"
LAB_TOPOLOGIES_LATER="bridge"

lab_err() { echo "lab: $*" >&2; }

# A prefix must keep namespace, pin dir and socket names short and must not
# match another lab's names: lower-case letters and digits, at most 12.
lab_check_prefix() {
	if [[ ! $1 =~ ^[a-z][a-z0-9]{0,11}$ ]]; then
		lab_err "bad prefix '$1': use 1-12 lower-case letters and digits, starting with a letter"
		return 1
	fi
}

lab_ns() { echo "$1-$2"; }
lab_run_dir() { echo "$LAB_RUN_BASE/$1"; }
lab_sock() { echo "$LAB_RUN_BASE/$1/$2.sock"; }
lab_log() { echo "$LAB_RUN_BASE/$1/$2.log"; }
lab_pin_dir() { echo "$LAB_BPFFS/$1-$2"; }

# Namespaces of one lab: exactly PREFIX-NODE, NODE without '-', so that
# prefix "rdt1" never matches "rdt12-h1".
lab_namespaces() {
	ip netns list 2>/dev/null | awk '{print $1}' | grep -E "^$1-[^-]+\$" | sort
}

lab_ensure_bpffs() {
	if [ "$(stat -f -c %T "$LAB_BPFFS" 2>/dev/null)" != bpf_fs ]; then
		mkdir -p "$LAB_BPFFS" 2>/dev/null
		# mode=0700: only root creates entries (pin dirs) there
		mount -t bpf -o mode=0700 bpf "$LAB_BPFFS" || {
			lab_err "cannot mount bpffs on $LAB_BPFFS (try: mount -t bpf -o mode=0700 bpf $LAB_BPFFS)"
			return 1
		}
	fi
}

lab_check_tools() {
	local t missing=()
	for t in ip ethtool nsenter sysctl; do
		command -v "$t" >/dev/null 2>&1 || missing+=("$t")
	done
	if ((${#missing[@]})); then
		lab_err "missing tools: ${missing[*]} (run lab/install-deps.sh)"
		return 1
	fi
	if ((EUID != 0)); then
		lab_err "the lab needs root (network namespaces, XDP): run it with sudo"
		return 1
	fi
}

# Runs a command; on failure says which one and returns 1.
_lab_x() {
	local out
	if ! out=$("$@" 2>&1); then
		lab_err "failed: $*"
		[ -n "$out" ] && echo "$out" | sed 's/^/lab:   /' >&2
		return 1
	fi
}

# _lab_node PREFIX NODE host|router
_lab_node() {
	local ns=$1-$2
	_lab_x ip netns add "$ns" || return 1
	_lab_x ip -n "$ns" link set lo up || return 1
	# no DAD, no router solicitations: addresses usable at once, no noise
	_lab_x ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 \
		net.ipv6.conf.default.accept_dad=0 net.ipv6.conf.default.router_solicitations=0 ||
		return 1
	if [ "$3" = router ]; then
		_lab_x ip netns exec "$ns" sysctl -qw net.ipv4.ip_forward=1 \
			net.ipv6.conf.all.forwarding=1 || return 1
	fi
	echo "$3" >"$LAB_RUN_BASE/$1/role.$2"
}

# _lab_link PREFIX NODE1 IF1 NODE2 IF2: a veth pair, created directly in
# the namespaces (nothing ever appears in the host's namespace).
_lab_link() {
	local a=$1-$2 b=$1-$4
	_lab_x ip -n "$a" link add name "$3" type veth peer name "$5" netns "$b" || return 1
	_lab_tune "$1" "$2" "$3" || return 1
	_lab_tune "$1" "$4" "$5" || return 1
	_lab_x ip -n "$a" link set "$3" up || return 1
	_lab_x ip -n "$b" link set "$5" up
}

# Veth facts (docs: shared kernel notes): an XDP redirect into a veth is
# dropped unless the peer has GRO on (or an XDP program), so GRO goes on
# everywhere; hosts also need tx checksum offload off, or TCP through an
# XDP-forwarded path carries partial checksums nobody completes.
_lab_tune() {
	local ns=$1-$2 role
	role=$(cat "$LAB_RUN_BASE/$1/role.$2")
	if [ "$role" = host ]; then
		_lab_x ip netns exec "$ns" ethtool -K "$3" tx off gro on
	else
		_lab_x ip netns exec "$ns" ethtool -K "$3" gro on
	fi
}

# _lab_addr PREFIX NODE IF SEGMENT HOSTPART: 198.18.SEG.H/24, 2001:db8:SEG::H/64
_lab_addr() {
	local ns=$1-$2
	_lab_x ip -n "$ns" addr add "198.18.$4.$5/24" dev "$3" || return 1
	_lab_x ip -n "$ns" -6 addr add "2001:db8:$4::$5/64" dev "$3" nodad
}

# _lab_route PREFIX NODE SEGMENT_TO via SEGMENT_VIA HOSTPART
_lab_route() {
	local ns=$1-$2
	_lab_x ip -n "$ns" route add "198.18.$3.0/24" via "198.18.$4.$5" || return 1
	_lab_x ip -n "$ns" -6 route add "2001:db8:$3::/64" via "2001:db8:$4::$5"
}

# _lab_default PREFIX NODE SEGMENT: default routes via the router (.1) there
_lab_default() {
	local ns=$1-$2
	_lab_x ip -n "$ns" route add default via "198.18.$3.1" || return 1
	_lab_x ip -n "$ns" -6 route add default via "2001:db8:$3::1"
}

_lab_topo_basic() {
	local p=$1
	_lab_node "$p" h1 host && _lab_node "$p" r router && _lab_node "$p" h2 host &&
	_lab_link "$p" h1 eth0 r eth0 && _lab_link "$p" r eth1 h2 eth0 &&
	_lab_addr "$p" h1 eth0 1 2 && _lab_addr "$p" r eth0 1 1 &&
	_lab_addr "$p" r eth1 2 1 && _lab_addr "$p" h2 eth0 2 2 &&
	_lab_default "$p" h1 1 && _lab_default "$p" h2 2
}

_lab_topo_chain() {
	local p=$1
	_lab_node "$p" h1 host && _lab_node "$p" r1 router &&
	_lab_node "$p" r2 router && _lab_node "$p" h2 host &&
	_lab_link "$p" h1 eth0 r1 eth0 && _lab_link "$p" r1 eth1 r2 eth0 &&
	_lab_link "$p" r2 eth1 h2 eth0 &&
	_lab_addr "$p" h1 eth0 1 2 && _lab_addr "$p" r1 eth0 1 1 &&
	_lab_addr "$p" r1 eth1 3 1 && _lab_addr "$p" r2 eth0 3 2 &&
	_lab_addr "$p" r2 eth1 2 1 && _lab_addr "$p" h2 eth0 2 2 &&
	_lab_default "$p" h1 1 && _lab_default "$p" h2 2 &&
	_lab_route "$p" r1 2 3 2 && _lab_route "$p" r2 1 3 1
}

# _lab_ecmp_route PREFIX NODE SEGMENT_TO HOSTPART DEV1:SEG1 DEV2:SEG2
_lab_ecmp_route() {
	local ns=$1-$2 to=$3 h=$4 d1=${5%%:*} s1=${5#*:} d2=${6%%:*} s2=${6#*:}
	_lab_x ip -n "$ns" route add "198.18.$to.0/24" \
		nexthop via "198.18.$s1.$h" dev "$d1" weight 1 \
		nexthop via "198.18.$s2.$h" dev "$d2" weight 1 || return 1
	_lab_x ip -n "$ns" -6 route add "2001:db8:$to::/64" \
		nexthop via "2001:db8:$s1::$h" dev "$d1" weight 1 \
		nexthop via "2001:db8:$s2::$h" dev "$d2" weight 1 || return 1
	# hash on L4 ports too, so that flows (not just host pairs) spread
	_lab_x ip netns exec "$ns" sysctl -qw net.ipv4.fib_multipath_hash_policy=1 \
		net.ipv6.fib_multipath_hash_policy=1
}

_lab_topo_ecmp() {
	local p=$1
	_lab_node "$p" h1 host && _lab_node "$p" r router &&
	_lab_node "$p" r2 router && _lab_node "$p" h2 host &&
	_lab_link "$p" h1 eth0 r eth0 &&
	_lab_link "$p" r eth1 r2 eth0 && _lab_link "$p" r eth2 r2 eth1 &&
	_lab_link "$p" r2 eth2 h2 eth0 &&
	_lab_addr "$p" h1 eth0 1 2 && _lab_addr "$p" r eth0 1 1 &&
	_lab_addr "$p" r eth1 4 1 && _lab_addr "$p" r eth2 5 1 &&
	_lab_addr "$p" r2 eth0 4 2 && _lab_addr "$p" r2 eth1 5 2 &&
	_lab_addr "$p" r2 eth2 2 1 && _lab_addr "$p" h2 eth0 2 2 &&
	_lab_default "$p" h1 1 && _lab_default "$p" h2 2 &&
	_lab_ecmp_route "$p" r 2 2 eth1:4 eth2:5 &&
	_lab_ecmp_route "$p" r2 1 1 eth0:4 eth1:5
}

# One line per topology, for usage messages.
lab_describe() {
	case $1 in
	basic) echo "h1 -- r -- h2: one router, dual stack" ;;
	chain) echo "h1 -- r1 -- r2 -- h2: two routers, static routes" ;;
	ecmp) echo "h1 -- r =(2 links)= r2 -- h2: equal-cost multipath r -> h2 (and back)" ;;
	frr) echo "h1 -- r1 =(2 links via switch s)= r2 -- h2: FRR fills the routes (OSPF; FRR_LAB_MODE=bgp|none)" ;;
	fabric) echo "2 spines, FABRIC_LEAVES (2-4) leaves, a host per leaf: FRR BGP unnumbered + ECMP + BFD, routerd everywhere (lab/fabric.sh)" ;;
	bridge) echo "vm1, vm2 (veth), vm3 (tap) on br0 in r, routed to h2: bridging (lab/bridge.sh)" ;;
	esac
}

lab_up() {
	local topo=$1 p=$2
	lab_check_prefix "$p" || return 1
	case " $LAB_TOPOLOGIES " in
	*" $topo "*) ;;
	*)
		case " $LAB_TOPOLOGIES_LATER " in
		*" $topo "*) lab_err "topology '$topo' is not there yet (planned); available: $LAB_TOPOLOGIES" ;;
		*) lab_err "unknown topology '$topo'; available: $LAB_TOPOLOGIES" ;;
		esac
		return 1
		;;
	esac
	lab_check_tools || return 1
	if [ -n "$(lab_namespaces "$p")" ]; then
		lab_err "a lab with prefix '$p' is already up ($(lab_namespaces "$p" | tr '\n' ' '))"
		lab_err "tear it down first: lab/topo.sh down $(lab_topology "$p") --prefix $p"
		return 1
	fi
	lab_ensure_bpffs || return 1
	# leftovers of a lab whose namespaces are gone (pins from a routerd
	# killed with -9 would hand old counters to the next routerd)
	lab_down "$p" >/dev/null
	mkdir -p "$LAB_RUN_BASE/$p" || return 1
	echo "$topo" >"$LAB_RUN_BASE/$p/topology"
	if ! "_lab_topo_$topo" "$p"; then
		lab_err "bringing up '$topo' (prefix $p) failed; removing what was made"
		lab_down "$p" >/dev/null
		return 1
	fi
}

lab_topology() { cat "$LAB_RUN_BASE/$1/topology" 2>/dev/null || echo TOPOLOGY; }

lab_routers() {
	local f
	for f in "$LAB_RUN_BASE/$1"/role.*; do
		[ -f "$f" ] && [ "$(cat "$f")" = router ] && echo "${f##*/role.}"
	done
}

# Alive and not a zombie waiting to be reaped.
_lab_alive() {
	local st
	kill -0 "$1" 2>/dev/null || return 1
	st=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
	[ "$st" != Z ]
}

# Waits (bounded) for PIDs that need not be children of this shell.
_lab_wait_gone() {
	local deadline=$((SECONDS + $1)) pid alive
	shift
	while :; do
		alive=()
		for pid in "$@"; do _lab_alive "$pid" && alive+=("$pid"); done
		((${#alive[@]} == 0)) && return 0
		((SECONDS >= deadline)) && { echo "${alive[*]}"; return 1; }
		sleep 0.1
	done
}

lab_down() {
	local p=$1 ns pids=() left d
	lab_check_prefix "$p" || return 1
	local nss
	nss=$(lab_namespaces "$p")
	# a topology's own first step (the fabric kills FRR outright: routers
	# with big tables take long to shut down, and their namespaces go)
	declare -F "_lab_predown_$(lab_topology "$p")" >/dev/null && "_lab_predown_$(lab_topology "$p")" "$p"
	# Processes living in the lab's namespaces (routerd, iperf3, ping) are
	# the lab's own: SIGTERM first so routerd detaches cleanly.
	for ns in $nss; do
		mapfile -t -O "${#pids[@]}" pids < <(ip netns pids "$ns" 2>/dev/null)
	done
	if ((${#pids[@]})); then
		kill -TERM "${pids[@]}" 2>/dev/null
		if left=$(_lab_wait_gone 5 "${pids[@]}"); then :; else
			lab_err "killing (-9) what did not stop on SIGTERM: $left"
			# shellcheck disable=SC2086
			kill -KILL $left 2>/dev/null
			_lab_wait_gone 2 $left >/dev/null
		fi
	fi
	for ns in $nss; do
		ip netns del "$ns" 2>/dev/null || lab_err "cannot delete namespace $ns"
	done
	for d in "$LAB_BPFFS/$p"-*; do
		[ -d "$d" ] && [[ ${d##*/} =~ ^$p-[^-]+$ ]] && rm -rf "$d"
	done
	rm -rf "${LAB_RUN_BASE:?}/$p"
	if [ -n "$nss" ]; then
		echo "removed: $(echo $nss)"
	else
		echo "nothing to remove for prefix $p"
	fi
}

lab_status() {
	local p=$1 ns nss dev pids
	lab_check_prefix "$p" || return 1
	nss=$(lab_namespaces "$p")
	if [ -z "$nss" ]; then
		echo "no lab with prefix $p is up"
		return 0
	fi
	echo "lab $p: topology $(lab_topology "$p")"
	for ns in $nss; do
		echo
		echo "namespace $ns ($(cat "$LAB_RUN_BASE/$p/role.${ns#"$p"-}" 2>/dev/null || echo "?"))"
		ip -n "$ns" -br addr show | grep -v '^lo ' | sed 's/^/  /'
		# XDP programs attached, one line per interface that has one
		ip -n "$ns" -o link show | awk '/prog\/xdp/ {
			name = $2; sub(/:$/, "", name); sub(/@.*/, "", name)
			for (i = 1; i <= NF; i++) if ($i == "prog/xdp") id = $(i + 2)
			printf "  %s: XDP program id %s\n", name, id }'
		pids=$(ip netns pids "$ns" 2>/dev/null | paste -sd, -)
		[ -n "$pids" ] && echo "  processes: $(ps -o pid=,comm= -p "$pids" 2>/dev/null | awk '{printf "%s (pid %s) ", $2, $1}')"
	done
	for dev in "$LAB_RUN_BASE/$p"/*.sock; do
		[ -S "$dev" ] && echo && echo "routerd socket: $dev"
	done
	return 0
}

# Prints the commands worth knowing for a lab that is up.
lab_hints() {
	local p=$1 r topo
	topo=$(lab_topology "$p")
	echo "Explore it:"
	echo "  ip netns exec $p-h1 ping -c 3 -W 1 198.18.2.2       # IPv4 h1 -> h2"
	echo "  ip netns exec $p-h1 ping -c 3 -W 1 2001:db8:2::2    # IPv6 h1 -> h2"
	for r in $(lab_routers "$p"); do
		local i ifs=""
		for i in $(_lab_router_ifaces "$p" "$r"); do ifs+=" -i $i"; done
		echo "  ip netns exec $p-$r ip route                          # $r's routes"
		echo "  nsenter --net=/run/netns/$p-$r $ROUTERD -f --socket $(lab_sock "$p" "$r") \\"
		echo "      --pin-dir $(lab_pin_dir "$p" "$r")$ifs &     # routerd on $r"
		echo "  $ROUTERCTL -s $(lab_sock "$p" "$r") stats"
	done
	declare -F "_lab_hints_$topo" >/dev/null && "_lab_hints_$topo" "$p"
	echo "  $LAB_DIR/topo.sh status $topo --prefix $p"
	echo "  $LAB_DIR/topo.sh down $topo --prefix $p"
}

_lab_router_ifaces() {
	# not lo, not bridge devices (routerd runs on their ports)
	ip -n "$1-$2" -o link show | awk -F': ' '$2 != "lo" { sub(/@.*/, "", $2); print $2 }' |
		grep -vxF -f <(ip -n "$1-$2" -o link show type bridge | awk -F': ' '{ print $2 }') |
		sort | tr '\n' ' ' | sed 's/ $//'
}

# rd_start NS SOCK PIN IFACE... [-- ROUTERD_ARGS...]
rd_start() {
	local ns=$1 sock=$2 pin=$3 args=() log deadline
	shift 3
	while (($#)); do
		if [ "$1" = -- ]; then
			shift
			args+=("$@")
			break
		fi
		args+=(-i "$1")
		shift
	done
	log=${RD_LOG:-${sock%.sock}.log}
	RD_PID=
	if [ ! -x "$ROUTERD" ]; then
		lab_err "routerd not found at $ROUTERD (build it: meson setup build && meson compile -C build)"
		return 1
	fi
	if [ ! -e "/run/netns/$ns" ]; then
		lab_err "no network namespace $ns (bring the lab up first: lab/topo.sh up ...)"
		return 1
	fi
	mkdir -p "$(dirname "$log")"
	# nsenter execs routerd, so $! is routerd's own PID (signals reach it)
	nsenter --net="/run/netns/$ns" "$ROUTERD" -f --socket "$sock" --pin-dir "$pin" \
		"${args[@]}" >>"$log" 2>&1 &
	RD_PID=$!
	deadline=$((SECONDS + ${RD_START_TIMEOUT:-5}))
	while :; do
		if ! _lab_alive "$RD_PID"; then
			lab_err "routerd in $ns exited during start-up; its log ($log):"
			tail -n 15 "$log" | sed 's/^/lab:   /' >&2
			wait "$RD_PID" 2>/dev/null
			RD_PID=
			return 1
		fi
		if "$ROUTERCTL" -s "$sock" -j status 2>/dev/null | grep -Eq "\"pid\": *${RD_PID}[,}]"; then
			return 0
		fi
		if ((SECONDS >= deadline)); then
			lab_err "routerd in $ns (pid $RD_PID) did not answer on $sock within ${RD_START_TIMEOUT:-5} s; log: $log"
			tail -n 15 "$log" | sed 's/^/lab:   /' >&2
			return 1
		fi
		sleep 0.1
	done
}

# rd_stop PID [TIMEOUT]: SIGTERM, wait at most TIMEOUT (5) s, then SIGKILL.
# Returns routerd's exit status when it is a child of this shell.
rd_stop() {
	local pid=$1 t=${2:-5}
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return $?; }
	if ! _lab_wait_gone "$t" "$pid" >/dev/null; then
		lab_err "routerd (pid $pid) did not stop within $t s of SIGTERM; killing it"
		kill -KILL "$pid" 2>/dev/null
	fi
	wait "$pid" 2>/dev/null
}

# the frr topology and FRR daemon control
# shellcheck source=lab/frr.sh
. "$LAB_DIR/frr.sh"

# the fabric topology (leaf-spine, FRR BGP unnumbered, BFD)
# shellcheck source=lab/fabric.sh
. "$LAB_DIR/fabric.sh"

# the bridge topology
# shellcheck source=lab/bridge.sh
. "$LAB_DIR/bridge.sh"
