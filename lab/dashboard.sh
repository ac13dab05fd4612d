#!/usr/bin/env bash
# Draws docs/dashboard.png, the dashboard of docs/operations.md, from real
# counters: a namespace lab (h1 -- r -- h2) with routerd on r, a scripted
# minute of traffic, `routerctl -j monitor` sampling every second, and
# the daemon's metrics at the start and the end; gnuplot draws it.
#
# Usage: sudo lab/dashboard.sh [OUT.png]   (default: docs/dashboard.png)
# Traffic (seconds from the start):
#   2-44   a steady UDP flow h1 -> h2, 800 datagrams/s of 1200 bytes
#   5-40   a UDP flow h2 -> h1, 400 datagrams/s of 600 bytes
#   14-24  a second flow h1 -> h2 at 3000/s (iperf3 UDP): the rate steps up
#   8-18   UDP with TTL 1, 150/s: passed to the kernel, reason ttl
#   22-32  UDP to an address with no neighbour, 60/s: reason no_neigh
#   28-38  UDP into a blackhole route, 250/s: dropped in XDP
set -uo pipefail # lab/lib.sh is not written for set -e

LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$LAB_DIR/.." && pwd)
OUT=${1:-$ROOT/docs/dashboard.png}
export RD_ROOT=$ROOT RD_BUILD_DIR=${RD_BUILD_DIR:-$ROOT/build}
# shellcheck source=lab/lib.sh
. "$LAB_DIR/lib.sh"
PY=/usr/bin/python3
SECS=46
P=rddash$$
R=$P-r H1=$P-h1 H2=$P-h2
SOCK=$(lab_sock "$P" r) PIN=$(lab_pin_dir "$P" r)
TMP=$(mktemp -d /tmp/rd-dashboard.XXXXXX)
PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || :; done
	[ -n "${RD_PID:-}" ] && rd_stop "$RD_PID" >/dev/null 2>&1
	lab_down "$P" >/dev/null 2>&1
	rm -rf "$TMP"
}
trap cleanup EXIT
((EUID == 0)) || { echo "dashboard: run as root (namespaces, XDP)" >&2; exit 1; }
command -v gnuplot >/dev/null || { echo "dashboard: gnuplot missing (lab/install-deps.sh)" >&2; exit 1; }

die() { echo "dashboard: $*" >&2; exit 1; }
lab_up basic "$P" >/dev/null || die "the lab did not come up"
ip -n "$R" route add blackhole 198.18.99.0/24 || die "cannot add the blackhole route"
rd_start "$R" "$SOCK" "$PIN" eth0 eth1 || die "routerd did not start"
ip netns exec "$H1" ping -q -c 2 -i 0.1 198.18.2.2 >/dev/null
"$ROUTERCTL" -s "$SOCK" metrics >"$TMP/metrics.start"

at() { # at SECONDS CMD...: run CMD in the background after SECONDS
	local t=$1
	shift
	(sleep "$t"; exec "$@") >/dev/null 2>&1 &
	PIDS+=($!)
}
ip netns exec "$H2" iperf3 -s -1 -D -p 5201 >/dev/null 2>&1 || :
at 2 ip netns exec "$H1" "$PY" "$ROOT/tests/e2e/paced_udp.py" 198.18.2.2 9 800 42 1200
at 14 ip netns exec "$H1" iperf3 -c 198.18.2.2 -p 5201 -u -l 1200 -b 28.8M -t 10
at 5 ip netns exec "$H2" "$PY" "$ROOT/tests/e2e/paced_udp.py" 198.18.1.2 9 400 35 600
at 8 ip netns exec "$H1" "$PY" "$ROOT/tests/e2e/paced_udp.py" 198.18.2.2 9 150 10 200 1
at 22 ip netns exec "$H1" "$PY" "$ROOT/tests/e2e/paced_udp.py" 198.18.2.99 9 60 10 200
at 28 ip netns exec "$H1" "$PY" "$ROOT/tests/e2e/paced_udp.py" 198.18.99.1 9 250 10 200
"$ROUTERCTL" -s "$SOCK" -j monitor -i 1 -c "$SECS" >"$TMP/samples.jsonl" || die "monitor failed"
"$ROUTERCTL" -s "$SOCK" metrics >"$TMP/metrics.end" || die "metrics failed"

# one row per second: t, rx Mbit/s eth0 eth1, pkt/s forwarded passed
# dropped (both interfaces), XDP share (%), then pkt/s per pass reason
"$PY" - "$TMP" <<'PYEOF'
import json, sys
d = sys.argv[1]
rows = [json.loads(l) for l in open(f"{d}/samples.jsonl")]
reasons = sorted({r["reason"] for s in rows for i in s["interfaces"] for r in i["top_pass_reasons"]})
t0 = rows[0]["time"] - rows[0]["interval_s"]
with open(f"{d}/dash.dat", "w") as f:
    f.write("# t eth0_mbit eth1_mbit fwd pass drop share " + " ".join(reasons) + "\n")
    for s in rows:
        by = {i["name"]: i for i in s["interfaces"]}
        ifs = list(by.values())
        tot = lambda k: sum(i[k] for i in ifs)
        rx = tot("rx_pps")
        share = 100 * (tot("forwarded_pps") + tot("bridged_pps") + tot("dropped_pps")) / rx if rx else 100
        per = {r: 0.0 for r in reasons}
        for i in ifs:
            for r in i["top_pass_reasons"]:
                per[r["reason"]] += r["pps"]
        f.write(" ".join(str(round(v, 3)) for v in [
            s["time"] - t0, by["eth0"]["rx_bps"] / 1e6, by["eth1"]["rx_bps"] / 1e6,
            tot("forwarded_pps"), tot("passed_pps"), tot("dropped_pps"), share] +
            [per[r] for r in reasons]) + "\n")
with open(f"{d}/reasons", "w") as f:
    f.write(" ".join(reasons))
def metric(path, name):
    for line in open(path):
        if line.startswith(name + " "):
            return float(line.split()[1])
    return 0
with open(f"{d}/daemon", "w") as f:
    f.write("netlink events %d, resyncs %d, freshness rounds %d, nexthops in use %d, RSS %.1f MiB" % (
        metric(f"{d}/metrics.end", "routerd_netlink_events_total"),
        metric(f"{d}/metrics.end", "routerd_netlink_resyncs_total"),
        metric(f"{d}/metrics.end", "routerd_freshness_rounds_total"),
        metric(f"{d}/metrics.end", "routerd_freshness_nexthops_in_use"),
        metric(f"{d}/metrics.end", "routerd_resident_memory_bytes") / 2**20))
PYEOF
[ -s "$TMP/dash.dat" ] || die "no samples"

read -r -a REASONS <"$TMP/reasons"
plot_reasons=""
for k in "${!REASONS[@]}"; do
	plot_reasons+="${plot_reasons:+, }'$TMP/dash.dat' using 1:$((8 + k)) with lines lw 2 title '${REASONS[k]}'"
done
[ -n "$plot_reasons" ] || plot_reasons="0 with lines title 'none'"
gnuplot <<EOF
set terminal pngcairo size 1100,900 font "DejaVu Sans,10" noenhanced
set output "$OUT"
set multiplot layout 3,1 title "routerd dashboard: routerctl -j monitor, one sample a second, lab h1 -- r -- h2\n$(cat "$TMP/daemon")"
set grid
set key outside right top
set xrange [0:$SECS]
set xlabel "seconds"
set ylabel "Mbit/s received"
set title "Traffic in, per interface (routerd_rx_bytes_total)"
plot '$TMP/dash.dat' using 1:2 with lines lw 2 title 'eth0 (from h1)', \
     '$TMP/dash.dat' using 1:3 with lines lw 2 title 'eth1 (from h2)'
set title "Verdicts, both interfaces (routerd_{forwarded,passed,dropped}_packets_total)"
set ylabel "packets/s"
set y2label "XDP share %"
set y2range [0:105]
set y2tics
plot '$TMP/dash.dat' using 1:4 with lines lw 2 title 'forwarded', \
     '$TMP/dash.dat' using 1:5 with lines lw 2 title 'passed', \
     '$TMP/dash.dat' using 1:6 with lines lw 2 title 'dropped', \
     '$TMP/dash.dat' using 1:7 axes x1y2 with lines dt 2 lw 1 title 'XDP share'
unset y2label
unset y2tics
set title "Pass reasons (routerd_passed_packets_total by reason)"
set ylabel "packets/s"
plot $plot_reasons
unset multiplot
EOF
[ $? -eq 0 ] || die "gnuplot failed"
echo "dashboard: wrote $OUT"
