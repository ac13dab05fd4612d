#!/usr/bin/env bash
# The fabric demo (lab/demo.sh --fabric): a leaf-spine fabric of routerd
# routers (2 spines, 2-4 leaves, a host behind each leaf; FRR with BGP
# unnumbered, ECMP and BFD on every router, lab/fabric.sh), traffic from h1
# to every other host, IPv4 and IPv6, pings, UDP flows spread over both
# spines and a TCP stream; then, per box, what routerd forwarded in XDP and
# what the kernel forwarded itself (ForwDatagrams: flat), summed. Tears
# everything down on exit (--keep leaves it up).
#
# Usage: sudo lab/demo.sh --fabric [--leaves N] [--keep] [--build-dir DIR] [--prefix P]
set -uo pipefail

LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$LAB_DIR/.." && pwd)
KEEP=false
PREFIX=rdfab
LEAVES=2
BUILD=${RD_BUILD_DIR:-$ROOT/build}
while (($#)); do
	case $1 in
	--fabric) ;;
	--keep) KEEP=true ;;
	--leaves) LEAVES=${2:?--leaves needs 2, 3 or 4}; shift ;;
	--build-dir) BUILD=${2:?--build-dir needs a value}; shift ;;
	--prefix) PREFIX=${2:?--prefix needs a value}; shift ;;
	-h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
	*) echo "demo: unknown argument '$1' (try --help)" >&2; exit 2 ;;
	esac
	shift
done
case $BUILD in /*) ;; *) BUILD=$PWD/$BUILD ;; esac
export RD_ROOT=$ROOT RD_BUILD_DIR=$BUILD
export ROUTERD=$BUILD/routerd/routerd ROUTERCTL=$BUILD/routerd/routerctl
# shellcheck source=lab/lib.sh
. "$LAB_DIR/lib.sh"

if [ -t 1 ]; then B=$'\e[1m' G=$'\e[32m' RED=$'\e[31m' N=$'\e[0m'; else B='' G='' RED='' N=''; fi
STEPS=6 STEP=0 LAB_MADE=false TMP='' K0=()
step() { STEP=$((STEP + 1)); printf '\n%s[%d/%d] %s ...%s\n' "$B" "$STEP" "$STEPS" "$1" "$N"; }
ok() { printf '      %sok%s %s\n' "$G" "$N" "${1:-}"; }
fail() {
	printf '\n%sdemo: step %d/%d failed: %s%s\n' "$RED" "$STEP" "$STEPS" "$1" "$N" >&2
	shift
	local l
	for l in "$@"; do echo "  fix: $l" >&2; done
	exit 1
}
teardown() {
	local rc=$?
	trap - EXIT INT TERM
	[ -n "$TMP" ] && rm -rf "$TMP"
	if $LAB_MADE && ! $KEEP; then
		echo; echo "tearing the fabric down ..."
		lab_down "$PREFIX" >/dev/null
		echo "done: namespaces, FRR, routerd, pins and sockets of '$PREFIX' removed"
	elif $LAB_MADE; then
		echo
		echo "${B}The fabric is still up (--keep).${N}"
		_lab_hints_fabric "$PREFIX"
		echo "  $ROUTERCTL -s $(lab_sock "$PREFIX" l1) stats -s"
		echo "Tear it down: $LAB_DIR/topo.sh down fabric --prefix $PREFIX"
	fi
	exit "$rc"
}
trap teardown EXIT
trap 'echo; echo "demo: interrupted" >&2; KEEP=false; exit 130' INT TERM

((EUID == 0)) || { echo "demo: needs root (network namespaces, XDP): sudo $0 --fabric" >&2; exit 1; }
TMP=$(mktemp -d /tmp/routerd-fabric-demo.XXXXXX)

# ---------------------------------------------------------------------------
step "checking dependencies and the build"
"$LAB_DIR/install-deps.sh" --quiet >"$TMP/deps.log" 2>&1 ||
	{ cat "$TMP/deps.log" >&2; fail "lab/install-deps.sh failed" "run it yourself and read its error"; }
frr_installed && [ -x "$FRR_BIN/bfdd" ] || fail "FRR (zebra, bgpd, bfdd) is not installed" "apt-get install frr"
if [ ! -f "$BUILD/build.ninja" ]; then
	meson setup "$BUILD" "$ROOT" >"$TMP/setup.log" 2>&1 || { tail -20 "$TMP/setup.log" >&2; fail "meson setup failed"; }
fi
meson compile -C "$BUILD" >"$TMP/compile.log" 2>&1 || { tail -30 "$TMP/compile.log" >&2; fail "the build failed"; }
ok "$ROUTERD"

# ---------------------------------------------------------------------------
step "bringing up the fabric: 2 spines, $LEAVES leaves, FRR + routerd on every router"
[ -z "$(lab_namespaces "$PREFIX")" ] ||
	fail "a lab with prefix '$PREFIX' is already up" "$LAB_DIR/topo.sh down --prefix $PREFIX"
lab_ensure_bpffs || fail "bpffs is not mounted" "mount -t bpf -o mode=0700 bpf /sys/fs/bpf"
LAB_MADE=true
FABRIC_LEAVES=$LEAVES lab_up fabric "$PREFIX" || fail "the fabric could not be built (see above)"
cat <<EOF
              s1 (AS 65100)        s2 (AS 65100)          BGP unnumbered (IPv6 link-local only),
                 |     \\          /     |                BFD ${FABRIC_BFD_MS} ms x 3, ECMP over both spines
              l1 (AS 65201) ... l$LEAVES (AS 6520$LEAVES)          every link through a bridge in $PREFIX-w
                 |                 |
              h1 198.18.1.2     h$LEAVES 198.18.$LEAVES.2      (2001:db8:N::2)
EOF
ok "$(lab_namespaces "$PREFIX" | tr '\n' ' ')"

# ---------------------------------------------------------------------------
step "waiting for BGP and BFD to converge"
t0=$SECONDS
fabric_wait_converged "$PREFIX" 60 || fail "the fabric did not converge within 60 s" \
	"look at: vtysh --vty_socket $(frr_dir "$PREFIX" l1) -c 'show bgp summary'"
echo "      l1's route to h2 (one path per spine, via the spines' link-local addresses):"
ip -n "$PREFIX-l1" route show 198.18.2.0/24 | sed 's/^/        /'
echo "      l1's BFD peers up: $(fabric_bfd_up "$PREFIX" l1)"
ok "converged in $((SECONDS - t0)) s"

# ---------------------------------------------------------------------------
step "traffic from h1 to every other host: pings, 64 UDP flows, TCP"
for r in $(fabric_routers "$PREFIX"); do
	K0[${#K0[@]}]=$(fabric_kfwd "$PREFIX-$r")
done
for i in $(seq 2 "$LEAVES"); do
	for dst in "198.18.$i.2" "2001:db8:$i::2"; do
		out=$(timeout 30 ip netns exec "$PREFIX-h1" ping -q -n -c 500 -i 0.002 -W 1 "$dst" 2>&1)
		echo "      $dst: $(echo "$out" | grep 'transmitted')"
		echo "$out" | grep -q ' 0% packet loss' || fail "pings h1 -> $dst were lost" "rerun with --keep and look at routerctl stats"
	done
done
ip netns exec "$PREFIX-h1" /usr/bin/python3 - 198.18.2.2 <<'EOF'
import socket, sys
for port in range(40000, 40064):        # 64 flows: the leaves hash them over both spines
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("", port))
    for _ in range(50):
        s.sendto(b"x" * 64, (sys.argv[1], 9))
    s.close()
EOF
echo "      64 UDP flows x 50 datagrams h1 -> h2"
ip netns exec "$PREFIX-h2" iperf3 -s -1 -p 5201 >/dev/null 2>&1 &
for _ in $(seq 50); do ip netns exec "$PREFIX-h2" ss -Hltn 'sport = :5201' | grep -q . && break; sleep 0.1; done
gbit=$(timeout 20 ip netns exec "$PREFIX-h1" iperf3 -c 198.18.2.2 -p 5201 -t 2 -J 2>/dev/null |
	jq -r '.end.sum_received.bits_per_second / 1e9 | . * 100 | floor / 100')
echo "      TCP h1 -> h2: ${gbit:-?} Gbit/s (iperf3, 2 s)"
ok

# ---------------------------------------------------------------------------
step "what each box did (routerctl -j stats; kernel: /proc/net/snmp{,6})"
printf '      %-4s %12s %12s %10s %12s\n' box "XDP fwd v4" "XDP fwd v6" "XDP pass" "kernel fwd"
n=0 t4=0 t6=0 tp=0 tk=0
for r in $(fabric_routers "$PREFIX"); do
	read -r f4 f6 ps < <("$ROUTERCTL" -s "$(lab_sock "$PREFIX" "$r")" -j stats |
		jq -r '[([.interfaces[].counters.forwarded_ipv4] | add), ([.interfaces[].counters.forwarded_ipv6] | add), ([.interfaces[].counters.passed] | add)] | @tsv')
	k=$(($(fabric_kfwd "$PREFIX-$r") - K0[n]))
	n=$((n + 1))
	printf '      %-4s %12d %12d %10d %12d\n' "$r" "$f4" "$f6" "$ps" "$k"
	t4=$((t4 + f4)) t6=$((t6 + f6)) tp=$((tp + ps)) tk=$((tk + k))
done
printf '      %-4s %12d %12d %10d %12d\n' all "$t4" "$t6" "$tp" "$tk"
cat <<EOF

What happened: every packet between the hosts crossed a leaf, a spine and a
leaf, and each of those routers forwarded it in XDP, in the driver: $((t4 + t6))
packets in all, while the kernels of the $n routers forwarded $tk themselves.
Both spines carried traffic (their rows): the leaves' ECMP routes, installed by
FRR as nexthop groups via IPv6 link-local addresses, are followed by
bpf_fib_lookup flow by flow. "XDP pass" is what went to the kernel on purpose:
BGP, BFD, neighbour discovery, packets to the routers themselves.
EOF
[ "$t4" -gt 0 ] && [ "$t6" -gt 0 ] || fail "nothing was forwarded in XDP" "routerctl -s $(lab_sock "$PREFIX" l1) stats -s"
printf '\n%sfabric demo finished.%s\n' "$G" "$N"
$KEEP || echo "(run with --keep to leave the fabric up and explore it)"
