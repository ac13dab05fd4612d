#!/usr/bin/env bash
# Smoke test of the benchmark suite: tests/bench/run.sh --quick --json F with
# short measurements completes, writes the JSON the contract names with
# positive numbers and the newer entries (nexthop, nat, churn, scale, the
# daemon's figures), and removes its namespaces and pin dirs. Speed is never
# asserted.
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
# shellcheck source=/dev/null
. "$ROOT/tests/lib/tap.sh"

PREFIX=rdbsmk$$
OUT=$(mktemp -d /tmp/rdbench-smoke.XXXXXX)
trap 'rm -rf "$OUT"' EXIT
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3

for t in clang bpftool; do
	if ! command -v "$t" >/dev/null; then
		tap_skip "bench smoke" "$t is not installed"
		tap_done
		exit
	fi
done

start=$(date +%s)
BENCH_NS_PREFIX=$PREFIX BENCH_DURATION=0.2 BENCH_SKB_DURATION=0.3 BENCH_ROUNDS=1 \
BENCH_PROG_CALLS=10 BENCH_SCALE_V6=20000 BENCH_SCALE_V4=5000 \
	timeout 200 "$ROOT/tests/bench/run.sh" --quick --json "$OUT/bench.json" \
	>"$OUT/stdout" 2>"$OUT/stderr"
rc=$?
took=$(($(date +%s) - start))
if [ "$rc" -eq 0 ]; then
	tap_ok "run.sh --quick --json completes (${took}s)"
else
	mapfile -t tail_lines < <(tail -15 "$OUT/stderr")
	tap_fail "run.sh --quick --json completes" "exit status $rc after ${took}s" "${tail_lines[@]}"
fi

if [ -s "$OUT/bench.json" ]; then
	if check=$("$PY" - "$OUT/bench.json" <<'PYEOF' 2>&1
import json, sys
d = json.load(open(sys.argv[1]))
bad = []
cases = d.get("cases")
if not isinstance(cases, list) or not cases:
    bad.append("no cases")
for c in cases or []:
    for k in ("name", "mpps", "ns_per_pkt"):
        if k not in c:
            bad.append(f"case without {k}: {c}")
    for k in ("mpps", "ns_per_pkt"):
        v = c.get(k)
        if not isinstance(v, (int, float)) or not v > 0:
            bad.append(f"{c.get('name')}: {k} = {v!r}")
r = d.get("ratios", {})
for k in ("xdp_vs_kernel_forwarding", "fib_fwd_vs_redirect_limit", "vs_minimal_forwarder"):
    v = r.get(k)
    if not isinstance(v, (int, float)) or not v > 0:
        bad.append(f"ratio {k} = {v!r}")
names = {c.get("name") for c in cases or []}
for prefix in ("nexthop_v4_routerd_ecmp", "nexthop_v4_min_fwd_ecmp",
               "nexthop_v4_routerd_v4_via_v6", "nexthop_v4_min_fwd_v4_via_v6",
               "churn_v4_routerd", "churn_v4_routerd_churn",
               "churn_v4_min_fwd", "churn_v4_min_fwd_churn",
               "scale_v4_", "scale_v6_", "nat_skb_v4_kernel_nat",
               "nat_skb_v4_routerd_offload", "nat_live_v4_routerd_offload"):
    if not any(n.startswith(prefix) for n in names):
        bad.append(f"no case {prefix}*")
for k in ("nexthop_ecmp_routerd", "nexthop_v4_via_v6_routerd", "churn_routerd",
          "churn_min_fwd", "route_scale_v4_routerd", "route_scale_v6_routerd",
          "xdp_nat_vs_kernel_nat", "offload_vs_plain"):
    v = r.get(k)
    if not isinstance(v, (int, float)) or not v > 0:
        bad.append(f"ratio {k} = {v!r}")
dm = d.get("daemon", {})
for state in ("idle", "forward", "churn", "routes"):
    o = dm.get(state)
    if not isinstance(o, dict):
        bad.append(f"no daemon.{state}")
        continue
    for k in ("rss_kb", "cpu_s", "seconds"):
        if not isinstance(o.get(k), (int, float)) or o.get(k) < 0 or (k == "rss_kb" and not o[k] > 0):
            bad.append(f"daemon.{state}.{k} = {o.get(k)!r}")
if not dm.get("churn", {}).get("changes", 0) > 0:
    bad.append("daemon.churn: no route change made")
if not d.get("routes", {}).get("v4", {}).get("routes", 0) > 0:
    bad.append("no routes.v4")
print("\n".join(bad) if bad else f"{len(cases)} cases, {len(r)} ratios, daemon {sorted(dm)}")
sys.exit(1 if bad else 0)
PYEOF
	); then
		tap_ok "JSON has the cases, the three ratios, the nexthop/churn/scale cases and the daemon figures ($check)"
	else
		mapfile -t lines <<<"$check"
		tap_fail "JSON has the cases, the three ratios, the nexthop/churn/scale cases and the daemon figures" "${lines[@]:0:10}"
	fi
else
	tap_fail "JSON has the cases and the three ratios, all positive" "no JSON written"
fi

if grep -q "fib_fwd_vs_redirect_limit" "$OUT/stdout" 2>/dev/null; then
	tap_ok "the table shows the ratios"
else
	tap_fail "the table shows the ratios" "$(head -c 300 "$OUT/stdout" 2>/dev/null)"
fi

left=$(ip netns list | awk '{print $1}' | grep -c "^$PREFIX-")
tap_cmp "no namespace of the run is left" "$left" -eq 0
pins=$(find /sys/fs/bpf -maxdepth 1 -name "$PREFIX-*" 2>/dev/null | wc -l)
tap_cmp "no pin dir of the run is left" "$pins" -eq 0
tap_done
