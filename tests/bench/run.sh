#!/usr/bin/env bash
# routerd benchmark suite. Builds what it needs, creates its own network
# namespaces, measures, prints a table and the ratios, removes everything.
#
# Usage: tests/bench/run.sh [--quick] [--json FILE]
#   --quick      shorter runs, fewer rounds, 100k instead of 1M IPv6 routes,
#                no diagnostic ways (< 2 min)
#   --json FILE  also write the results as JSON
# Environment (all optional):
#   RD_BUILD_DIR        build directory (default: build/ in the checkout)
#   BENCH_DURATION      CPU-seconds per live-frames measurement
#   BENCH_SKB_DURATION  CPU-seconds (of trafgen) per skb measurement
#   BENCH_ROUNDS        interleaved rounds (the ratios are medians of rounds)
#   BENCH_CPU           the CPU the live-frames generator and router run on
#   BENCH_SCALE_V6      IPv6 routes for the route-scale case (0 skips)
#   BENCH_SCALE_V4      IPv4 routes for the route-scale case (<= 65536, 0 skips)
#   BENCH_PROG_CALLS    BPF_PROG_TEST_RUN batches per program and case
#   BENCH_EXTRAS        1: also the diagnostic ways (routerd without its route
#                       cache, min_fwd variants, kernel via XDP_PASS); default
#                       1 for a full run, 0 for --quick
#   BENCH_PHASES        subset of prog,live,skb,scale
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
	-h|--help) sed -n '2,28p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
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
	: "${BENCH_SCALE_V6:=1000000}" "${BENCH_SCALE_V4:=50000}"
	: "${BENCH_PROG_CALLS:=100}" "${BENCH_EXTRAS:=1}"
fi
: "${BENCH_CPU:=0}" "${BENCH_PHASES:=prog,live,skb,scale}"
P=${BENCH_NS_PREFIX:-rdb$$}
NS_GEN=$P-gen NS_R=$P-r NS_RB=$P-rb NS_SINK=$P-sink
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
say "meson compile (xdp_bench)"
meson compile -C "$BUILD" xdp_bench >"$BUILD/bench-compile.log" 2>&1 ||
	{ tail -30 "$BUILD/bench-compile.log" >&2; fail "build failed (log: $BUILD/bench-compile.log)"; }
BENCH_BIN=$BUILD/tests/bench/xdp_bench
[ -x "$BENCH_BIN" ] || fail "no $BENCH_BIN after the build"

# ---- topology --------------------------------------------------------------
# Two identical chains; rb gets the route-scale table, r keeps one route.
#   gen:g0 <-> r:r0 | r:r1 <-> sink:s0        198.18.0.0/24 | 198.18.1.0/24
#   gen:g1 <-> rb:r0 | rb:r1 <-> sink:s1      (same addresses, other namespace)
# r routes 198.19.0.0/16 and 2001:db8:8000::/33 to the sink side, whose
# address (198.18.1.2, 2001:db8:1::2) is a permanent neighbour: nothing
# answers ARP/ND there, the sink drops every frame in XDP.
# The sink's MAC is r0's MAC (another L2 segment, so no conflict): a frame
# routerd forwarded is addressed to r0 again, which keeps BPF_PROG_TEST_RUN
# with repeat on the forwarding path (the buffer is reused in place; a TTL
# of 255 covers the decrements).
TMP=$(mktemp -d /tmp/rdbench.XXXXXX)
DRIVER_PID=
cleanup() {
	local rc=$? ns pid
	set +e
	trap - EXIT INT TERM
	if [ -n "$DRIVER_PID" ]; then
		kill "$DRIVER_PID" 2>/dev/null
		wait "$DRIVER_PID" 2>/dev/null
	fi
	for ns in "$NS_GEN" "$NS_R" "$NS_RB" "$NS_SINK"; do
		for pid in $(ip netns pids "$ns" 2>/dev/null); do kill "$pid" 2>/dev/null; done
		ip netns del "$ns" 2>/dev/null
	done
	rm -rf "$TMP"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

for ns in "$NS_GEN" "$NS_R" "$NS_RB" "$NS_SINK"; do
	ip netns list | awk '{print $1}' | grep -qx "$ns" && fail "namespace $ns exists already"
done

say "namespaces $P-{gen,r,rb,sink}"
setup_router() { # NS GEN_IF SINK_IF MAC_PREFIX
	local ns=$1 gif=$2 sif=$3 m=$4 smac=$4:01
	ip -n "$NS_GEN" link add name "$gif" type veth peer name r0 netns "$ns"
	ip -n "$ns" link add name r1 type veth peer name "$sif" netns "$NS_SINK"
	ip -n "$NS_GEN" link set dev "$gif" address "$m:00"
	ip -n "$ns" link set dev r0 address "$m:01"
	ip -n "$ns" link set dev r1 address "$m:02"
	ip -n "$NS_SINK" link set dev "$sif" address "$smac"
	ip netns exec "$ns" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 \
		net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
	ip -n "$ns" addr add 198.18.0.1/24 dev r0
	ip -n "$ns" addr add 198.18.1.1/24 dev r1
	ip -n "$ns" addr add 2001:db8::1/64 dev r0 nodad
	ip -n "$ns" addr add 2001:db8:1::1/64 dev r1 nodad
	ip -n "$ns" link set dev lo up
	ip -n "$ns" link set dev r0 up
	ip -n "$ns" link set dev r1 up
	ip -n "$NS_GEN" link set dev "$gif" up
	ip -n "$NS_SINK" link set dev "$sif" up
	ip -n "$ns" neigh replace 198.18.1.2 lladdr "$smac" dev r1 nud permanent
	ip -n "$ns" -6 neigh replace 2001:db8:1::2 lladdr "$smac" dev r1 nud permanent
}
for ns in "$NS_GEN" "$NS_R" "$NS_RB" "$NS_SINK"; do ip netns add "$ns"; done
for ns in "$NS_GEN" "$NS_SINK"; do
	# hosts that only send (gen) or only drop (sink): no IPv6 chatter
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
	ip -n "$ns" link set dev lo up
done
setup_router "$NS_R" g0 s0 02:b0:00:00:01
setup_router "$NS_RB" g1 s1 02:b0:00:00:02
ip -n "$NS_R" route add 198.19.0.0/16 via 198.18.1.2 dev r1
ip -n "$NS_R" -6 route add 2001:db8:8000::/33 via 2001:db8:1::2 dev r1

# ---- measure -----------------------------------------------------------------
say "mode $MODE: live ${BENCH_DURATION}s, skb ${BENCH_SKB_DURATION}s per way, $BENCH_ROUNDS rounds, CPU $BENCH_CPU, scale v6 $BENCH_SCALE_V6 / v4 $BENCH_SCALE_V4 routes"
RESULTS=$TMP/results
EXTRA_ARGS=()
((BENCH_EXTRAS)) || EXTRA_ARGS+=(--no-extras)
# shellcheck disable=SC2206 # BENCH_DRIVER_ARGS is a list of options
EXTRA_ARGS+=(${BENCH_DRIVER_ARGS:-})
"$BENCH_BIN" --gen "$NS_GEN" --sink "$NS_SINK" --r "$NS_R" --rb "$NS_RB" --tmp "$TMP" \
	--phases "$BENCH_PHASES" --duration "$BENCH_DURATION" --skb-duration "$BENCH_SKB_DURATION" \
	--rounds "$BENCH_ROUNDS" --prog-calls "$BENCH_PROG_CALLS" --cpu "$BENCH_CPU" \
	--scale-v6 "$BENCH_SCALE_V6" --scale-v4 "$BENCH_SCALE_V4" \
	--candidate "${BENCH_CANDIDATE_OBJ:-}" --skb-gen "$SKB_GEN" "${EXTRA_ARGS[@]}" >"$RESULTS" &
DRIVER_PID=$!
wait "$DRIVER_PID" || { rc=$?; DRIVER_PID=; fail "xdp_bench failed (status $rc)"; }
DRIVER_PID=
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
BEGIN { printf "routerd benchmarks (%s run, kernel %s, %d CPUs, load %s -> %s)\n\n", mode, kernel, cpus, l0, l1
        printf "%-44s %10s %10s\n", "case", "Mpps", "ns/pkt" }
END { printf "\nratios (median of per-round ratios; min, max over rounds)\n%s", ratios
      if (notes != "") printf "\n%s", notes
      printf "\ntook %s s\n", elapsed }
' "$RESULTS"

if [ -n "$JSON" ]; then
	awk -v mode="$MODE" -v kernel="$KERNEL" -v cpus="$CPUS" -v model="$CPU_MODEL" \
	    -v elapsed="$ELAPSED" -v rounds="$BENCH_ROUNDS" -v dur="$BENCH_DURATION" \
	    -v skbdur="$BENCH_SKB_DURATION" -v s6="$BENCH_SCALE_V6" -v s4="$BENCH_SCALE_V4" \
	    -v date="$(date -u +%Y-%m-%dT%H:%M:%SZ)" -v l0="$LOAD_START" -v l1="$LOAD_END" \
	    -v cpu="$BENCH_CPU" '
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
	END {
		printf "{\n  \"mode\": %s,\n  \"date\": %s,\n", q(mode), q(date)
		printf "  \"machine\": {\"kernel\": %s, \"cpus\": %d, \"cpu_model\": %s, \"loadavg_start\": %s, \"loadavg_end\": %s},\n", q(kernel), cpus, q(model), q(l0), q(l1)
		printf "  \"settings\": {\"rounds\": %d, \"live_cpu_seconds\": %s, \"skb_cpu_seconds\": %s, \"cpu\": %d, \"scale_v6_routes\": %d, \"scale_v4_routes\": %d},\n", rounds, dur, skbdur, cpu, s6, s4
		printf "  \"elapsed_s\": %s,\n", elapsed
		printf "  \"cases\": [\n    %s\n  ],\n", cases
		printf "  \"ratios\": {\n    %s\n  },\n", ratios
		printf "  \"ratio_details\": {\n    %s\n  },\n", details
		printf "  \"notes\": [\n    %s\n  ]\n}\n", notes
	}' "$RESULTS" >"$JSON"
	say "wrote $JSON"
fi
