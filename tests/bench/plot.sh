#!/usr/bin/env bash
# Plot Mpps per case from a tests/bench/run.sh --json file with gnuplot.
# Usage: tests/bench/plot.sh RESULTS.json OUT.png
# Panels: live frames (XDP throughput, one core), skb traffic through r
# (trafgen), nexthop kinds (single / ECMP / IPv4 via IPv6), route churn,
# route scale; the prog_* cases (program cost in ns, from BPF_PROG_TEST_RUN)
# in ns per packet. The title carries the ratios and the daemon's figures.
set -euo pipefail
JSON=${1:?usage: plot.sh RESULTS.json OUT.png}
OUT=${2:?usage: plot.sh RESULTS.json OUT.png}
command -v gnuplot >/dev/null || { echo "plot.sh: gnuplot missing (apt-get install gnuplot-nox)" >&2; exit 1; }
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
TMP=$(mktemp -d /tmp/rdbench-plot.XXXXXX)
trap 'rm -rf "$TMP"' EXIT

# One data file per panel: index, label, value
"$PY" - "$JSON" "$TMP" <<'PYEOF'
import json, sys
res = json.load(open(sys.argv[1]))
out = sys.argv[2]
panels = {"live": [], "skb": [], "nexthop": [], "churn": [], "scale": [], "prog": []}
for c in res["cases"]:
    n = c["name"]
    for p in panels:
        if n.startswith(p + "_"):
            label = n[len(p) + 1:]
            val = c["ns_per_pkt"] if p == "prog" else c["mpps"]
            panels[p].append((label, val))
for p, rows in panels.items():
    with open(f"{out}/{p}.dat", "w") as f:
        for i, (label, val) in enumerate(rows):
            f.write(f'{i} "{label.replace("_", " ")}" {val}\n')
r = res.get("ratios", {})
m = res.get("machine", {})
def g(k):
    v = r.get(k)
    return "n/a" if v is None else f"{v:.2f}"
title = (f"routerd benchmarks ({res.get('mode','?')} run, kernel {m.get('kernel','?')}, "
         f"{m.get('cpus','?')} CPUs, {res.get('date','')})\\n"
         f"routerd: fib_fwd_vs_redirect_limit {g('fib_fwd_vs_redirect_limit')}, "
         f"vs_minimal_forwarder {g('vs_minimal_forwarder')}, "
         f"xdp_vs_kernel_forwarding {g('xdp_vs_kernel_forwarding')}   "
         f"min_fwd: {g('min_fwd_vs_redirect_limit')}, 1.00, {g('min_fwd_xdp_vs_kernel_forwarding')}")
dm = res.get("daemon", {})
def mib(state, k="rss_kb"):
    v = dm.get(state, {}).get(k)
    return "n/a" if v is None else f"{v / 1024:.1f} MiB"
if dm:
    ch = dm.get("churn", {})
    title += (f"\\ndaemon RSS: idle {mib('idle')}, with {dm.get('routes', {}).get('routes', '?')} IPv4 routes "
              f"{mib('routes')} (peak {mib('routes', 'hwm_kb')}), under churn {mib('churn')}; "
              f"CPU: idle {dm.get('idle', {}).get('cpu_pct', 0):.2f} %, churn at "
              f"{ch.get('changes_per_s', 0):.0f}/s {ch.get('cpu_pct', 0):.1f} % of a core")
open(f"{out}/title", "w").write(title)
PYEOF

panel() { # FILE TITLE YLABEL COLOR
	if [ -s "$TMP/$1.dat" ]; then
		cat <<GP
set title "$2"
set ylabel "$3"
set yrange [0:*]
plot "$TMP/$1.dat" using 1:3:xtic(2) with boxes lc rgb "$4" notitle, \
     "" using 1:3:(sprintf("%.2f", \$3)) with labels offset 0,0.7 font ",8" notitle
GP
	else
		printf 'set title "%s (not run)"\nunset xtics\nplot [0:1][0:1] NaN notitle\nset xtics\n' "$2"
	fi
}

{
	cat <<GP
set terminal pngcairo noenhanced size 1900,1900 font "DejaVu Sans,10"
set output "$OUT"
set multiplot layout 3,2 title "$(cat "$TMP/title")" font ",12"
set style fill solid 0.8 border -1
set boxwidth 0.7
set grid ytics
set xtics rotate by -45 font ",8" nomirror
set bmargin 12
set rmargin 12
set offsets 0.5, 0.5, graph 0.08, 0
GP
	panel live "Live frames, gen -> r -> sink, one core (Mpps per CPU-second)" "Mpps" "#3070b0"
	panel skb "skb traffic (trafgen) through r, one core (Mpps per CPU-second)" "Mpps" "#c06030"
	panel nexthop "Nexthop kinds, 256 destinations in a /24 (Mpps per CPU-second)" "Mpps" "#b08020"
	panel churn "Route churn (10k changes/s) vs none; routerd = the daemon (Mpps)" "Mpps" "#b03060"
	panel scale "Route scale: N routes vs 1, random destinations (Mpps)" "Mpps" "#40a040"
	panel prog "Program cost, BPF_PROG_TEST_RUN (ns per packet, lower is better)" "ns/pkt" "#806090"
	echo "unset multiplot"
} >"$TMP/plot.gp"
gnuplot "$TMP/plot.gp"
echo "plot.sh: wrote $OUT" >&2
