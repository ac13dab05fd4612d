#!/usr/bin/env bash
# routerd benchmark suite. Builds what it needs, creates its own network
# namespaces, measures, prints a table and the ratios, removes everything.
#
# Usage: tests/bench/run.sh [--quick] [--json FILE]
#   --quick      shorter runs (0.3 CPU-s per way), 3 rounds, 100,000 IPv6 and
#                20,000 IPv4 routes instead of 1,000,000 each (the daemon's
#                "routes" figure is then for 20,000), no diagnostic ways (no
#                ECMP nexthop group); the churn case still runs at the full
#                10,000 changes/s, only shorter (< 2 min in all)
#   --json FILE  also write the results as JSON
# Environment (all optional):
#   RD_BUILD_DIR        build directory (default: build/ in the checkout)
#   BENCH_DURATION      CPU-seconds per live-frames measurement
#   BENCH_SKB_DURATION  CPU-seconds (of trafgen) per skb measurement
#   BENCH_ROUNDS        interleaved rounds (the ratios are medians of rounds)
#   BENCH_CPU           the CPU the live-frames generator and router run on
#   BENCH_SCALE_V6      IPv6 routes for the route-scale case (0 skips)
#   BENCH_SCALE_V4      IPv4 routes for the route-scale case (0 skips): tables
#                       of <= 131,072 prefixes of 198.18.0.0/15, one per
#                       source rule (docs/benchmarks.md, "scale")
#   BENCH_CHURN_RATE    route changes per second in the churn case (10000)
#   BENCH_PROG_CALLS    BPF_PROG_TEST_RUN batches per program and case
#   BENCH_EXTRAS        1: also the diagnostic ways (routerd without its route
#                       cache, min_fwd variants, kernel via XDP_PASS); default
#                       1 for a full run, 0 for --quick
#   BENCH_PHASES        subset of prog,live,skb,nexthop,nat,churn,scale
#   BENCH_NS_PREFIX     namespace name prefix (default rdb<pid>)
#   BENCH_CANDIDATE_OBJ another build of routerd.bpf.o (same program and map
#                       names) to measure beside the embedded one: the
#                       candidate_* cases and ratios
#   BENCH_DRIVER_ARGS   more options for xdp_bench (build/tests/bench/xdp_bench --help)
# Progress goes to stderr; the table and ratios to stdout. docs/benchmarks.md
# explains every case.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${RD_BUILD_DIR:-$ROOT/build}
QUICK=false
JSON=
while (($#)); do
	case $1 in
	--quick) QUICK=true ;;
	--json) JSON=${2:?--json needs a file}; shift ;;
	--json=*) JSON=${1#--json=} ;;
	-h|--help) sed -n '2,37p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "run.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
	esac
	shift
done

if $QUICK; then
	MODE=quick
	: "${BENCH_DURATION:=0.3}" "${BENCH_SKB_DURATION:=0.6}" "${BENCH_ROUNDS:=3}"
	: "${BENCH_SCALE_V6:=100000}" "${BENCH_SCALE_V4:=20000}"
	: "${BENCH_PROG_CALLS:=30}" "${BENCH_EXTRAS:=0}"
else
	MODE=full
	: "${BENCH_DURATION:=2}" "${BENCH_SKB_DURATION:=2}" "${BENCH_ROUNDS:=7}"
	: "${BENCH_SCALE_V6:=1000000}" "${BENCH_SCALE_V4:=1000000}"
	: "${BENCH_PROG_CALLS:=100}" "${BENCH_EXTRAS:=1}"
fi
: "${BENCH_CPU:=0}" "${BENCH_PHASES:=prog,live,skb,nexthop,nat,churn,scale}"
: "${BENCH_CHURN_RATE:=10000}"
P=${BENCH_NS_PREFIX:-rdb$$}
NS_GEN=$P-gen NS_R=$P-r NS_RB=$P-rb NS_RS=$P-rs NS_RC=$P-rc NS_SINK=$P-sink
ALL_NS=("$NS_GEN" "$NS_R" "$NS_RB" "$NS_RS" "$NS_RC" "$NS_SINK")
BPFFS=/sys/fs/bpf
PIN_RC=$BPFFS/$P-rc PIN_RB=$BPFFS/$P-rb
START=$(date +%s.%N)
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)

say() { echo "bench [$(date +%T)]: $*" >&2; }
fail() { echo "run.sh: $*" >&2; exit 1; }

((EUID == 0)) || fail "needs root (network namespaces, XDP, BPF)"
for t in ip meson clang bpftool awk; do
	command -v "$t" >/dev/null || fail "missing tool: $t (run lab/install-deps.sh)"
done
SKB_GEN=trafgen
if ! command -v trafgen >/dev/null; then
	SKB_GEN=sendmmsg
	say "trafgen is not installed (netsniff-ng): the skb cases use xdp_bench's AF_PACKET sendmmsg generator"
fi

# ---- build -----------------------------------------------------------------
if [ ! -f "$BUILD/build.ninja" ]; then
	say "meson setup $BUILD"
	meson setup "$BUILD" "$ROOT" >&2 || fail "meson setup failed"
fi
say "meson compile (xdp_bench, routerd, routerctl)"
meson compile -C "$BUILD" xdp_bench routerd routerctl >"$BUILD/bench-compile.log" 2>&1 ||
	{ tail -30 "$BUILD/bench-compile.log" >&2; fail "build failed (log: $BUILD/bench-compile.log)"; }
BENCH_BIN=$BUILD/tests/bench/xdp_bench
ROUTERD=$BUILD/routerd/routerd ROUTERCTL=$BUILD/routerd/routerctl
for b in "$BENCH_BIN" "$ROUTERD" "$ROUTERCTL"; do
	[ -x "$b" ] || fail "no $b after the build"
done

# ---- topology --------------------------------------------------------------
# Four chains of the same shape, one router namespace each:
#   gen:gK <-> R:r0 | R:r1 <-> sink:sK     198.18.0.0/24 | 198.18.1.0/24
#                   | R:r2 <-> sink:tK     198.18.2.0/24 (second leg, ECMP)
#   r  (K=0) the main chain: prog, live, skb, nexthop; min_fwd under churn
#   rb (K=1) r-big: the route-scale tables; a routerd daemon serving r1
#   rs (K=2) r-small: one route per table, the IPv4 scale reference
#   rc (K=3) the churn chain: the real routerd daemon serves r0, r1, r2
# r and rc route 198.19.0.0/16 and 2001:db8:8000::/33 to the sink side,
# whose addresses (198.18.1.2, 198.18.2.2, 2001:db8:1::2, 2001:db8:2::2) are
# static neighbours (PERMANENT, see setup_router): nothing answers
# ARP/ND there, the sink drops every frame in XDP. rb and rs have no IPv4 address (their routes are onlink),
# so that all of 198.18.0.0/15 can be routed there, none of it local.
# The sink's MAC is r0's MAC (another L2 segment, so no conflict): a frame
# routerd forwarded is addressed to r0 again, which keeps BPF_PROG_TEST_RUN
# with repeat on the forwarding path (the buffer is reused in place; a TTL
# of 255 covers the decrements).
TMP=$(mktemp -d /tmp/rdbench.XXXXXX)
DRIVER_PID=
DAEMON_PIDS=()
cleanup() {
	local rc=$? ns pid
	set +e
	trap - EXIT INT TERM
	if [ -n "$DRIVER_PID" ]; then
		kill "$DRIVER_PID" 2>/dev/null
		wait "$DRIVER_PID" 2>/dev/null
	fi
	for pid in "${DAEMON_PIDS[@]}"; do # SIGTERM: detach, unpin, exit
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	for ns in "${ALL_NS[@]}"; do
		for pid in $(ip netns pids "$ns" 2>/dev/null); do kill "$pid" 2>/dev/null; done
		ip netns del "$ns" 2>/dev/null
	done
	rm -rf "$TMP" "$PIN_RC" "$PIN_RB"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

for ns in "${ALL_NS[@]}"; do
	ip netns list | awk '{print $1}' | grep -qx "$ns" && fail "namespace $ns exists already"
done
for d in "$PIN_RC" "$PIN_RB"; do
	[ -e "$d" ] && fail "pin dir $d exists already"
done
[ "$(stat -f -c %T "$BPFFS" 2>/dev/null)" = bpf_fs ] || mount -t bpf bpf "$BPFFS" ||
	fail "cannot mount bpffs on $BPFFS"

say "namespaces $P-{gen,r,rb,rs,rc,sink}"
setup_router() { # NS K MAC_PREFIX V4ADDR(yes|no)
	local ns=$1 k=$2 m=$3 smac=$3:01 l
	ip -n "$NS_GEN" link add name "g$k" type veth peer name r0 netns "$ns"
	ip -n "$ns" link add name r1 type veth peer name "s$k" netns "$NS_SINK"
	ip -n "$ns" link add name r2 type veth peer name "t$k" netns "$NS_SINK"
	ip -n "$NS_GEN" link set dev "g$k" address "$m:00"
	ip -n "$ns" link set dev r0 address "$m:01"
	ip -n "$ns" link set dev r1 address "$m:02"
	ip -n "$ns" link set dev r2 address "$m:03"
	ip -n "$NS_SINK" link set dev "s$k" address "$smac"
	ip -n "$NS_SINK" link set dev "t$k" address "$smac"
	ip netns exec "$ns" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 \
		net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
	if [ "$4" = yes ]; then
		for l in 0 1 2; do ip -n "$ns" addr add "198.18.$l.1/24" dev "r$l"; done
	fi
	ip -n "$ns" addr add 2001:db8::1/64 dev r0 nodad
	ip -n "$ns" addr add 2001:db8:1::1/64 dev r1 nodad
	ip -n "$ns" addr add 2001:db8:2::1/64 dev r2 nodad
	ip -n "$ns" link set dev lo up
	for l in 0 1 2; do ip -n "$ns" link set dev "r$l" up; done
	ip -n "$NS_GEN" link set dev "g$k" up
	ip -n "$NS_SINK" link set dev "s$k" up
	ip -n "$NS_SINK" link set dev "t$k" up
	# The sink's neighbour entries are static: nothing answers ARP/ND there.
	# (routerd's freshness leaves PERMANENT entries alone: NTF_USE would
	# clear the flag on this kernel and the entry would fail.)
	for l in 1 2; do
		ip -n "$ns" neigh replace "198.18.$l.2" lladdr "$smac" dev "r$l" nud permanent
		ip -n "$ns" -6 neigh replace "2001:db8:$l::2" lladdr "$smac" dev "r$l" nud permanent
	done
}
for ns in "${ALL_NS[@]}"; do ip netns add "$ns"; done
for ns in "$NS_GEN" "$NS_SINK"; do
	# hosts that only send (gen) or only drop (sink): no IPv6 chatter
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
	ip -n "$ns" link set dev lo up
done
setup_router "$NS_R" 0 02:b0:00:00:01 yes
setup_router "$NS_RB" 1 02:b0:00:00:02 no
setup_router "$NS_RS" 2 02:b0:00:00:03 no
setup_router "$NS_RC" 3 02:b0:00:00:04 yes
for ns in "$NS_R" "$NS_RC"; do
	ip -n "$ns" route add 198.19.0.0/16 via 198.18.1.2 dev r1
	ip -n "$ns" -6 route add 2001:db8:8000::/33 via 2001:db8:1::2 dev r1
done
# the nexthop case (tests/bench/nexthop.c): four sibling /24s in r
ip -n "$NS_R" route add 198.19.100.0/24 via 198.18.1.2 dev r1
ip -n "$NS_R" route add 198.19.101.0/24 nexthop via 198.18.1.2 dev r1 nexthop via 198.18.2.2 dev r2
ip -n "$NS_R" route add 198.19.102.0/24 via inet6 2001:db8:1::2 dev r1
ip -n "$NS_R" nexthop add id 11 via 198.18.1.2 dev r1
ip -n "$NS_R" nexthop add id 12 via 198.18.2.2 dev r2
ip -n "$NS_R" nexthop add id 10 group 11/12
ip -n "$NS_R" route add 198.19.103.0/24 nhid 10

# ---- the routerd daemons ------------------------------------------------------
# rc: the real daemon on all of rc's interfaces, from a config file, as a
# user runs it (route cache on): the churn case measures it. rb: a daemon
# serving r1 only (r0 is the benchmark's), to follow the route-scale table:
# its RSS and CPU with N routes. Both are started with nsenter, which execs
# routerd: $! is routerd's PID.
start_daemon() { # NS NAME PIN INTERFACE...
	local ns=$1 name=$2 pin=$3 conf=$TMP/$2.conf sock=$TMP/$2.sock i pid
	shift 3
	{
		echo "# tests/bench/run.sh: routerd in $ns"
		for i in "$@"; do echo "interface $i mode native"; done
		echo "socket $sock"
		echo "pin-dir $pin"
		echo "log-level warning"
		echo "route-cache on"
	} >"$conf"
	nsenter --net="/run/netns/$ns" "$ROUTERD" -f -c "$conf" >>"$TMP/$name.log" 2>&1 &
	pid=$!
	DAEMON_PIDS+=("$pid")
	for i in $(seq 50); do
		kill -0 "$pid" 2>/dev/null || { cat "$TMP/$name.log" >&2; fail "routerd in $ns exited"; }
		"$ROUTERCTL" -s "$sock" status >/dev/null 2>&1 && break
		sleep 0.1
	done
	"$ROUTERCTL" -s "$sock" status >/dev/null 2>&1 || fail "routerd in $ns did not answer on $sock"
	eval "DAEMON_${name^^}=$pid"
}
DAEMON_ARGS=()
if [[ ,$BENCH_PHASES, == *,churn,* ]]; then
	start_daemon "$NS_RC" rc "$PIN_RC" r0 r1 r2
	DAEMON_ARGS+=(--rc "$NS_RC" --rc-pid "$DAEMON_RC" --rc-pin "$PIN_RC")
	say "routerd daemon in $NS_RC (pid $DAEMON_RC): r0 r1 r2"
fi
if [[ ,$BENCH_PHASES, == *,scale,* ]]; then
	start_daemon "$NS_RB" rb "$PIN_RB" r1
	DAEMON_ARGS+=(--rb-pid "$DAEMON_RB")
	say "routerd daemon in $NS_RB (pid $DAEMON_RB): r1"
fi

# ---- measure -----------------------------------------------------------------
say "mode $MODE: live ${BENCH_DURATION}s, skb ${BENCH_SKB_DURATION}s per way, $BENCH_ROUNDS rounds, CPU $BENCH_CPU, scale v6 $BENCH_SCALE_V6 / v4 $BENCH_SCALE_V4 routes, churn $BENCH_CHURN_RATE/s"
RESULTS=$TMP/results
EXTRA_ARGS=()
((BENCH_EXTRAS)) || EXTRA_ARGS+=(--no-extras)
# shellcheck disable=SC2206 # BENCH_DRIVER_ARGS is a list of options
EXTRA_ARGS+=(${BENCH_DRIVER_ARGS:-})
"$BENCH_BIN" --gen "$NS_GEN" --sink "$NS_SINK" --r "$NS_R" --rb "$NS_RB" --rs "$NS_RS" \
	--tmp "$TMP" "${DAEMON_ARGS[@]}" --churn-rate "$BENCH_CHURN_RATE" \
	--phases "$BENCH_PHASES" --duration "$BENCH_DURATION" --skb-duration "$BENCH_SKB_DURATION" \
	--rounds "$BENCH_ROUNDS" --prog-calls "$BENCH_PROG_CALLS" --cpu "$BENCH_CPU" \
	--scale-v6 "$BENCH_SCALE_V6" --scale-v4 "$BENCH_SCALE_V4" \
	--candidate "${BENCH_CANDIDATE_OBJ:-}" --skb-gen "$SKB_GEN" "${EXTRA_ARGS[@]}" >"$RESULTS" &
DRIVER_PID=$!
wait "$DRIVER_PID" || { rc=$?; DRIVER_PID=; fail "xdp_bench failed (status $rc)"; }
DRIVER_PID=
for pid in "${DAEMON_PIDS[@]}"; do
	kill -0 "$pid" 2>/dev/null || fail "a routerd daemon (pid $pid) died during the run; logs in $TMP"
done
LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)
ELAPSED=$(awk -v s="$START" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')

# ---- report ------------------------------------------------------------------
KERNEL=$(uname -r)
CPUS=$(nproc)
CPU_MODEL=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)

awk -v mode="$MODE" -v kernel="$KERNEL" -v cpus="$CPUS" -v elapsed="$ELAPSED" \
    -v l0="$LOAD_START" -v l1="$LOAD_END" '
$1 == "CASE" { printf "%-44s %10.3f %10.1f\n", $2, $3, $4; next }
$1 == "RATIO" { ratios = ratios sprintf("  %-56s %7.3f  (%s %s, %s)\n", $2, $3, $4, $5, $6); next }
$1 == "NOTE" { $1 = ""; notes = notes "  note:" $0 "\n"; next }
$1 == "DAEMON" {
	delete v; more = ""
	for (k = 3; k <= NF; k++) {
		split($k, a, "="); v[a[1]] = a[2]
		if (a[1] !~ /^(pid|seconds|cpu_s|cpu_pct|sched_cpu_s|rss_kb|hwm_kb)$/) more = more " " $k
	}
	daemon = daemon sprintf("  %-8s RSS %7.1f MiB (peak %7.1f)  CPU %7.3f s = %6.2f %% of a core over %6.1f s%s\n",
		$2, v["rss_kb"] / 1024, v["hwm_kb"] / 1024, v["cpu_s"], v["cpu_pct"], v["seconds"], more)
	next
}
$1 == "ROUTES" { $1 = ""; routes = routes "  IPv" substr($0, 3) "\n"; next }
BEGIN { printf "routerd benchmarks (%s run, kernel %s, %d CPUs, load %s -> %s)\n\n", mode, kernel, cpus, l0, l1
        printf "%-44s %10s %10s\n", "case", "Mpps", "ns/pkt" }
END { printf "\nratios (median of per-round ratios; min, max over rounds)\n%s", ratios
      if (routes != "") printf "\nroute-scale tables\n%s", routes
      if (daemon != "") printf "\nrouterd daemon (utime+stime from /proc/PID/stat, VmRSS/VmHWM)\n%s", daemon
      if (notes != "") printf "\n%s", notes
      printf "\ntook %s s\n", elapsed }
' "$RESULTS"

if [ -n "$JSON" ]; then
	awk -v mode="$MODE" -v kernel="$KERNEL" -v cpus="$CPUS" -v model="$CPU_MODEL" \
	    -v elapsed="$ELAPSED" -v rounds="$BENCH_ROUNDS" -v dur="$BENCH_DURATION" \
	    -v skbdur="$BENCH_SKB_DURATION" -v s6="$BENCH_SCALE_V6" -v s4="$BENCH_SCALE_V4" \
	    -v date="$(date -u +%Y-%m-%dT%H:%M:%SZ)" -v l0="$LOAD_START" -v l1="$LOAD_END" \
	    -v cpu="$BENCH_CPU" -v churn="$BENCH_CHURN_RATE" '
	function q(s) { gsub(/\\/, "\\\\", s); gsub(/"/, "\\\"", s); return "\"" s "\"" }
	function kv(i,   out, k, a) {
		out = ""
		for (k = i; k <= NF; k++) {
			split($k, a, "=")
			out = out sprintf(", %s: %s", q(a[1]), a[2])
		}
		return out
	}
	$1 == "CASE" {
		cases = cases (nc++ ? ",\n    " : "") sprintf("{\"name\": %s, \"mpps\": %s, \"ns_per_pkt\": %s%s}", q($2), $3, $4, kv(5))
	}
	$1 == "RATIO" {
		ratios = ratios (nr++ ? ",\n    " : "") sprintf("%s: %s", q($2), $3)
		details = details (nd++ ? ",\n    " : "") sprintf("%s: {\"median\": %s%s}", q($2), $3, kv(4))
	}
	$1 == "NOTE" { $1 = ""; sub(/^ /, ""); notes = notes (nn++ ? ",\n    " : "") q($0) }
	$1 == "DAEMON" { o = kv(3); daemon = daemon (nm++ ? ",\n    " : "") sprintf("%s: {%s}", q($2), substr(o, 3)) }
	$1 == "ROUTES" { o = kv(3); routes = routes (nt++ ? ",\n    " : "") sprintf("%s: {%s}", q($2), substr(o, 3)) }
	END {
		printf "{\n  \"mode\": %s,\n  \"date\": %s,\n", q(mode), q(date)
		printf "  \"machine\": {\"kernel\": %s, \"cpus\": %d, \"cpu_model\": %s, \"loadavg_start\": %s, \"loadavg_end\": %s},\n", q(kernel), cpus, q(model), q(l0), q(l1)
		printf "  \"settings\": {\"rounds\": %d, \"live_cpu_seconds\": %s, \"skb_cpu_seconds\": %s, \"cpu\": %d, \"scale_v6_routes\": %d, \"scale_v4_routes\": %d, \"churn_rate\": %d},\n", rounds, dur, skbdur, cpu, s6, s4, churn
		printf "  \"elapsed_s\": %s,\n", elapsed
		printf "  \"cases\": [\n    %s\n  ],\n", cases
		printf "  \"ratios\": {\n    %s\n  },\n", ratios
		printf "  \"ratio_details\": {\n    %s\n  },\n", details
		printf "  \"daemon\": {\n    %s\n  },\n", daemon
		printf "  \"routes\": {\n    %s\n  },\n", routes
		printf "  \"notes\": [\n    %s\n  ]\n}\n", notes
	}' "$RESULTS" >"$JSON"
	say "wrote $JSON"
fi
