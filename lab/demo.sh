#!/usr/bin/env bash
# routerd in one command: installs what is missing, builds, brings up a
# namespace lab (h1 -- r -- h2), starts routerd on r, sends IPv4, IPv6 and
# TCP traffic from h1 to h2 through it, shows routerctl stats and what they
# mean, and tears everything down on exit.
#
# Usage: sudo lab/demo.sh [--keep] [--build-dir DIR] [--prefix P]
#        sudo lab/demo.sh --fabric [--leaves N] [--keep] ...
#   --fabric         the leaf-spine fabric demo instead (lab/demo-fabric.sh):
#                    2 spines, N leaves (2-4), FRR BGP + BFD, routerd on all
#   --keep           leave the lab and routerd running, print how to explore
#   --build-dir DIR  build directory (default: build/ in this checkout)
#   --prefix P       namespace prefix (default rdlab: rdlab-h1, rdlab-r, ...)
set -uo pipefail

LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
for a in "$@"; do
	[ "$a" = --fabric ] && exec "$LAB_DIR/demo-fabric.sh" "$@"
done
ROOT=$(cd "$LAB_DIR/.." && pwd)
KEEP=false
PREFIX=rdlab
BUILD=${RD_BUILD_DIR:-$ROOT/build}
while (($#)); do
	case $1 in
	--keep) KEEP=true ;;
	--build-dir) [ $# -ge 2 ] || { echo "demo: --build-dir needs a value" >&2; exit 2; }
		BUILD=$2; shift ;;
	--prefix) [ $# -ge 2 ] || { echo "demo: --prefix needs a value" >&2; exit 2; }
		PREFIX=$2; shift ;;
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

STEPS=7
STEP=0
STEP_NAME=
LAB_MADE=false
INTERRUPTED=false
RD_PID=
IPERF_PID=
SOCK=$(lab_sock "$PREFIX" r)
PIN=$(lab_pin_dir "$PREFIX" r)
R=$PREFIX-r H1=$PREFIX-h1 H2=$PREFIX-h2
T0=$SECONDS

if [ -t 1 ]; then B=$'\e[1m' G=$'\e[32m' RED=$'\e[31m' N=$'\e[0m'; else B='' G='' RED='' N=''; fi

step() {
	STEP=$((STEP + 1))
	STEP_NAME=$1
	printf '\n%s[%d/%d] %s ...%s\n' "$B" "$STEP" "$STEPS" "$1" "$N"
}
# run OUT CMD...: CMD in the background, output to OUT, status in $rc.
# Waiting with the wait builtin lets Ctrl-C reach our trap at once, even
# while a command that handles SIGINT itself (iperf3, meson) is running.
CHILD=
run() {
	local out=$1
	shift
	"$@" >"$out" 2>&1 </dev/null &
	CHILD=$!
	wait "$CHILD"
	rc=$?
	CHILD=
}
ok() { printf '      %sok%s %s\n' "$G" "$N" "${1:-}"; }

# fail WHAT HOW-TO-FIX...
fail() {
	printf '\n%sdemo: step %d/%d (%s) failed: %s%s\n' "$RED" "$STEP" "$STEPS" "$STEP_NAME" "$1" "$N" >&2
	shift
	local l
	for l in "$@"; do echo "  fix: $l" >&2; done
	exit 1
}

teardown() {
	local rc=$?
	trap - EXIT INT TERM
	[ -n "${TMP:-}" ] && rm -rf "$TMP"
	[ -n "$CHILD" ] && kill "$CHILD" 2>/dev/null
	[ -n "$IPERF_PID" ] && kill "$IPERF_PID" 2>/dev/null
	if $LAB_MADE && { ! $KEEP || $INTERRUPTED; }; then
		echo
		echo "tearing the lab down ..."
		[ -n "$RD_PID" ] && rd_stop "$RD_PID"
		lab_down "$PREFIX" >/dev/null
		echo "done: namespaces, routerd, pins and sockets of '$PREFIX' removed"
	elif $LAB_MADE; then
		explore
	fi
	exit "$rc"
}
trap teardown EXIT
trap 'INTERRUPTED=true; echo; echo "demo: interrupted" >&2; exit 130' INT TERM

explore() {
	cat <<EOF

${B}The lab is still up (--keep).${N} routerd runs on $R (pid $RD_PID, log $(lab_log "$PREFIX" r)).
  $ROUTERCTL -s $SOCK stats -s
  $ROUTERCTL -s $SOCK -p stats
  $ROUTERCTL -s $SOCK interfaces
  ip netns exec $H1 ping -c 3 -W 1 198.18.2.2
  ip netns exec $H1 ping -c 3 -W 1 2001:db8:2::2
  ip netns exec $R ip route; ip netns exec $R ip neigh
  ip -n $R link show eth0                  # prog/xdp: routerd's program
  $LAB_DIR/topo.sh status basic${PREFIX:+ --prefix $PREFIX}
Tear it down (stops routerd, removes namespaces and pins):
  $LAB_DIR/topo.sh down basic --prefix $PREFIX
EOF
}

if ((EUID != 0)); then
	echo "demo: needs root (network namespaces, XDP): sudo $0 $*" >&2
	exit 1
fi

# ---------------------------------------------------------------------------
step "checking dependencies (lab/install-deps.sh)"
TMP=$(mktemp -d /tmp/routerd-demo.XXXXXX)
run "$TMP/deps.log" "$LAB_DIR/install-deps.sh" --quiet
[ "$rc" -eq 0 ] || { cat "$TMP/deps.log" >&2
	fail "installing the Debian packages did not work" \
		"run $LAB_DIR/install-deps.sh yourself and read its error (network? apt sources?)"; }
for t in meson ninja clang ip ethtool iperf3 ping python3 nsenter; do
	command -v "$t" >/dev/null 2>&1 || fail "$t is not installed" "apt-get install the package providing $t"
done
ok

# ---------------------------------------------------------------------------
step "building routerd (meson, in $BUILD)"
if [ ! -f "$BUILD/build.ninja" ]; then
	run "$TMP/setup.log" meson setup "$BUILD" "$ROOT"
	if [ "$rc" -ne 0 ]; then
		tail -20 "$TMP/setup.log" >&2
		fail "meson setup $BUILD failed" \
			"check the missing dependency named above; lab/install-deps.sh installs them"
	fi
fi
run "$TMP/compile.log" meson compile -C "$BUILD"
if [ "$rc" -ne 0 ]; then
	tail -30 "$TMP/compile.log" >&2
	cp "$TMP/compile.log" /tmp/routerd-demo-compile.log
	fail "the build failed (log: /tmp/routerd-demo-compile.log)" \
		"fix the compile error above, or rebuild from scratch: rm -rf $BUILD"
fi
[ -x "$ROUTERD" ] && [ -x "$ROUTERCTL" ] ||
	fail "no routerd/routerctl in $BUILD/routerd after the build" "rm -rf $BUILD and run the demo again"
ok "$ROUTERD"

# ---------------------------------------------------------------------------
step "bringing up the lab: h1 -- r -- h2 (namespaces $H1, $R, $H2)"
if [ -n "$(lab_namespaces "$PREFIX")" ]; then
	fail "a lab with prefix '$PREFIX' is already up" \
		"$LAB_DIR/topo.sh down basic --prefix $PREFIX   (or: $0 --prefix other)"
fi
lab_ensure_bpffs || fail "bpffs is not mounted on /sys/fs/bpf" "mount -t bpf -o mode=0700 bpf /sys/fs/bpf"
LAB_MADE=true
lab_up basic "$PREFIX" || fail "the namespaces could not be built (see above)" \
	"$LAB_DIR/topo.sh down basic --prefix $PREFIX, then run the demo again"
cat <<EOF
      h1 eth0 198.18.1.2 2001:db8:1::2  --  eth0 r eth1  --  eth0 h2 198.18.2.2 2001:db8:2::2
                                 198.18.1.1 / 2001:db8:1::1    198.18.2.1 / 2001:db8:2::1
EOF
ok

# ---------------------------------------------------------------------------
step "starting routerd on r (interfaces eth0 eth1, socket $SOCK)"
rd_start "$R" "$SOCK" "$PIN" eth0 eth1 ||
	fail "routerd did not start (its log: $(lab_log "$PREFIX" r))" \
		"read the log above; run it by hand: nsenter --net=/run/netns/$R $ROUTERD -f -i eth0 -i eth1 --socket $SOCK --pin-dir $PIN"
"$ROUTERCTL" -s "$SOCK" status | sed 's/^/      /'
ok "pid $RD_PID"

snmp() { ip netns exec "$R" awk '$1 == "Ip:" { if (!h) { for (i = 2; i <= NF; i++) if ($i == "ForwDatagrams") c = i; h = 1 } else v4 = $c }
	END { while ((getline l < "/proc/net/snmp6") > 0) { split(l, f); if (f[1] == "Ip6OutForwDatagrams") v6 = f[2] }
	      print v4 + v6 }' /proc/net/snmp; }
KFWD0=$(snmp)

# ---------------------------------------------------------------------------
step "ping h1 -> h2, IPv4 and IPv6 (200 each)"
for dst in 198.18.2.2 2001:db8:2::2; do
	run "$TMP/ping" timeout 20 ip netns exec "$H1" ping -q -n -c 200 -i 0.005 -W 1 "$dst"
	line=$(grep 'packets transmitted' "$TMP/ping")
	echo "      $dst: $line"
	echo "$line" | grep -q ' 0% packet loss' ||
		fail "ping $dst from h1 lost packets" \
			"look at: routerctl -s $SOCK stats -s (pass/drop reasons); ip netns exec $R ip neigh" \
			"rerun with --keep to explore the lab"
done
ok

# ---------------------------------------------------------------------------
step "TCP h1 -> h2 with iperf3 (IPv4 2 s, IPv6 1 s)"
ip netns exec "$H2" iperf3 -s -p 5201 >/dev/null 2>&1 &
IPERF_PID=$!
for i in $(seq 50); do
	ip netns exec "$H2" ss -Hltn 'sport = :5201' 2>/dev/null | grep -q . && break
	sleep 0.1
done
for spec in "198.18.2.2 2" "2001:db8:2::2 1"; do
	set -- $spec
	run "$TMP/iperf3" timeout 20 ip netns exec "$H1" iperf3 -c "$1" -p 5201 -t "$2" -f g
	out=$(cat "$TMP/iperf3")
	sum=$(echo "$out" | grep -E 'receiver$' | tail -1 | awk '{print $5, $6, $7, $8}')
	if [ "$rc" -ne 0 ] || [ -z "$sum" ]; then
		echo "$out" | tail -5 | sed 's/^/      /' >&2
		fail "iperf3 to $1 failed" \
			"TCP through XDP needs 'ethtool -K eth0 tx off' on the hosts (topo.sh does it)" \
			"rerun with --keep and try: ip netns exec $H1 iperf3 -c $1"
	fi
	echo "      $1: $sum received by h2"
done
kill "$IPERF_PID" 2>/dev/null
wait "$IPERF_PID" 2>/dev/null
IPERF_PID=
ok

# ---------------------------------------------------------------------------
step "routerctl stats"
"$ROUTERCTL" -s "$SOCK" stats -s | sed 's/^/      /'
KFWD=$(($(snmp) - KFWD0))
"$ROUTERCTL" -s "$SOCK" -j stats >"$TMP/stats.json" ||
	fail "routerctl -j stats did not answer" "is routerd still running? see $(lab_log "$PREFIX" r)"
echo
/usr/bin/python3 - "$TMP/stats.json" "$KFWD" <<'EOF'
import json, sys
why = {
    "arp": "ARP, answered by r's kernel",
    "nd": "IPv6 neighbour discovery, answered by r's kernel",
    "local": "addressed to r itself",
    "no_neigh": "next hop's MAC not known yet: the kernel resolves it and forwards",
    "ttl": "TTL expired: the kernel sends ICMP time exceeded",
    "frag_needed": "too big for the way out: the kernel sends ICMP",
    "link_local": "IPv6 link-local traffic",
    "multicast": "multicast or broadcast",
    "unreachable": "no route: the kernel sends ICMP unreachable",
    "malformed": "malformed: the kernel counts and drops it",
    "not_ip": "neither IPv4 nor IPv6",
    "unmanaged_egress": "leaves through an interface routerd does not manage",
}
st = json.load(open(sys.argv[1]))
kfwd = int(sys.argv[2])
fw4 = fw6 = passed = dropped = 0
reasons = {}
for i in st["interfaces"]:
    c = i["counters"]
    fw4 += c["forwarded_ipv4"]; fw6 += c["forwarded_ipv6"]
    passed += c["passed"]; dropped += c["dropped"]
    for k, v in i["pass_reasons"].items():
        reasons[k] = reasons.get(k, 0) + v
total = fw4 + fw6 + passed + dropped
print("What happened:")
print(f"  routerd's XDP program forwarded {fw4 + fw6:,} of the {total:,} packets r received "
      f"({fw4:,} IPv4, {fw6:,} IPv6)")
print("  in the driver: they never entered r's kernel network stack.")
top = sorted(((v, k) for k, v in reasons.items() if v), reverse=True)[:4]
if passed:
    print(f"  {passed:,} packets went to r's kernel instead (XDP_PASS); the top reasons:")
    for v, k in top:
        print(f"    {v:>8,}  {k}: {why.get(k, k)}")
if dropped:
    print(f"  {dropped:,} packets were dropped in XDP (blackhole routes).")
print(f"  Meanwhile r's kernel forwarded {kfwd:,} packets itself (IpForwDatagrams + Ip6OutForwDatagrams).")
EOF
echo
printf '%sdemo finished in %d s.%s\n' "$G" $((SECONDS - T0)) "$N"
$KEEP || echo "(run with --keep to leave the lab up and explore it)"
