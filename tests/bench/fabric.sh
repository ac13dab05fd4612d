#!/usr/bin/env bash
# The fabric at full-table scale (docs/benchmarks.md, "Fabric and full
# table"): lab fabric (lab/fabric.sh: spines s1 s2, leaves l1 l2, hosts h1
# h2, FRR BGP unnumbered + BFD 100 ms x 3) with a feeder f behind BOTH
# leaves. l1 runs routerd, l2 is the kernel-only edge beside it: both load
# the same table from the same feeder at the same time. Phases:
#   table     the feeder (its table prepared in its kernel while the lab
#             came up, blackhole routes outside the test ranges: traffic is
#             never sent to them) opens its sessions; until both edges have
#             every route in their kernels: load time per edge, h2 -> h1
#             pings every 10 ms through both (loss), l1's XDP vs kernel
#             forwarding during the load, routerd's RSS and CPU (sampled
#             every second: $OUT/table.tsv), CPU per 10k updates
#   churn     a flapping subset: 500 prefixes withdrawn and re-announced
#             every 0.5 s (1k changes/s) for CHURN_SECS, after as long a
#             quiet baseline: routerd's CPU, route-cache invalidations and
#             misses per forwarded packet, ping loss through both edges
#   failures  spine death (silent), link cut (silent), link carrier loss,
#             BGP session reset (l1 with the spine carrying the pings),
#             routerd SIGKILL on l1; each kernel-only (routerd stopped on
#             every router) and with routerd on all four, same FRR and BFD
#             timers: detection, pings lost, longest outage. The spine
#             rounds' ping time stamps become $OUT/failover.tsv and, with
#             gnuplot, $OUT/failover.png and an ASCII plot
# A measurement, not a test: nothing is asserted. Heavy with the defaults
# (1,000,000 IPv4 + 200,000 IPv6 prefixes: a few GB of RAM in FRR); run it
# niced on a quiet machine.
#   sudo nice -n 10 tests/bench/fabric.sh [--v4 N] [--v6 N] [--phases LIST]
#        [--rounds N] [--out DIR]
# Environment: CHURN_SECS (20).
set -uo pipefail
# shellcheck source=tests/fabric/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../fabric/lib.sh"

V4=1000000 V6=200000 PHASES=table,churn,failures ROUNDS=1 OUT=
CHURN_SECS=${CHURN_SECS:-20}
while (($#)); do
	case $1 in
	--v4) V4=$2; shift ;;
	--v6) V6=$2; shift ;;
	--phases) PHASES=$2; shift ;;
	--rounds) ROUNDS=$2; shift ;;
	--out) OUT=$2; shift ;;
	-h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
	*) echo "fabric.sh: unknown argument '$1'" >&2; exit 2 ;;
	esac
	shift
done
[ -n "$OUT" ] || OUT=$(mktemp -d /tmp/rdbench-fabric.XXXXXX)
mkdir -p "$OUT"
fab_suite_init
P=rbf$$
say() { echo "$*" | tee -a "$OUT/summary.txt"; }
ms_since() { echo $((($(date +%s%N) - $1) / 1000000)); }
has() { [[ ,$PHASES, == *,$1,* ]]; }

say "fabric bench: $V4 IPv4 + $V6 IPv6 prefixes, kernel $(uname -r), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg); output in $OUT"
t=$(date +%s%N)
FABRIC_ROUTERD=0 FABRIC_FEEDER=2 FABRIC_LEAVES=2 FABRIC_FEED="$V4 $V6" FABRIC_FEED_HOLD=1 e2e_lab fabric "$P"
say "lab up, feeder's table prepared: $(ms_since "$t") ms"
fabric_wait_converged "$P" 120 || e2e_bail "fabric converges"
# routerd on the spines and l1; l2 is the kernel-only edge
fab_rd_start "$P" s1 s2 l1
RDL1=$(fabric_rd_pid "$P" l1) L1SOCK=$(lab_sock "$P" l1)
e2e_ping "$P-h2" 198.18.1.2 5 0.05 >/dev/null

fib_total() { # NODE: routes zebra has in the kernel (FIB), both families
	local a b
	a=$(frr_vtysh "$P" "$1" -c 'show ip route summary json' 2>/dev/null | jq '.routesTotalFib // 0')
	b=$(frr_vtysh "$P" "$1" -c 'show ipv6 route summary json' 2>/dev/null | jq '.routesTotalFib // 0')
	echo $((${a:-0} + ${b:-0}))
}
status_of() { "$ROUTERCTL" -s "$L1SOCK" -j status 2>/dev/null | jq -r "$1"; }
HZ=$(getconf CLK_TCK)

# ---------------------------------------------------------------------------
if has table; then
	last4=$(fabric_feed_lines add "$V4" 0 0 | tail -1 | awk '{print $4}')
	last6=$(fabric_feed_lines add 0 "$V6" 0 | tail -1 | awk '{print $4}')
	f0=$(rd_counter "$L1SOCK" forwarded_ipv4) k0=$(fabric_kfwd "$P-l1") c0=$(proc_ticks "$RDL1")
	ip netns exec "$P-h2" ping -q -n -i 0.01 -W 1 -c 1000000 198.18.1.2 >"$OUT/table-ping.txt" 2>&1 &
	PING=$!
	E2E_PIDS+=("$PING")
	sleep 1
	t0=$(date +%s%N)
	fabric_feed_release "$P"
	done1='' done2='' rssmax=0
	printf 's\tl1_fib\tl2_fib\trouterd_rss_kib\trouterd_cpu_s\tl1_zebra_rss_kib\tl1_bgpd_rss_kib\n' >"$OUT/table.tsv"
	while :; do
		s=$(ms_since "$t0")
		r=$(proc_rss "$RDL1") c=$(proc_ticks "$RDL1")
		((r > rssmax)) && rssmax=$r
		zr=$(proc_rss "$(cat "$(frr_dir "$P" l1)/zebra.pid")") br=$(proc_rss "$(cat "$(frr_dir "$P" l1)/bgpd.pid")")
		printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$(awk -v m="$s" 'BEGIN { printf "%.1f", m / 1000 }')" \
			"$(fib_total l1)" "$(fib_total l2)" "$r" \
			"$(awk -v t=$((c - c0)) -v h="$HZ" 'BEGIN { printf "%.2f", t / h }')" "$zr" "$br" >>"$OUT/table.tsv"
		if [ -z "$done1" ] && [ -n "$(ip -n "$P-l1" route show "$last4")" ] && [ -n "$(ip -n "$P-l1" -6 route show "$last6")" ]; then
			done1=$(ms_since "$t0")
		fi
		if [ -z "$done2" ] && [ -n "$(ip -n "$P-l2" route show "$last4")" ] && [ -n "$(ip -n "$P-l2" -6 route show "$last6")" ]; then
			done2=$(ms_since "$t0")
		fi
		[ -n "$done1" ] && [ -n "$done2" ] && break
		((s > 3600000)) && break
		sleep 1
	done
	sleep 2
	kill -INT "$PING"; wait "$PING"
	read -r tx rx <<<"$(e2e_ping_parse "$(cat "$OUT/table-ping.txt")")"
	f=$(($(rd_counter "$L1SOCK" forwarded_ipv4) - f0)) k=$(($(fabric_kfwd "$P-l1") - k0))
	c=$(($(proc_ticks "$RDL1") - c0))
	n1=$(fabric_bgp_count "$P" l1 4) n1v6=$(fabric_bgp_count "$P" l1 6)
	n2=$(fabric_bgp_count "$P" l2 4) n2v6=$(fabric_bgp_count "$P" l2 6)
	cpu_ms=$((c * 1000 / HZ))
	say "table: l1 (routerd) has every route in its kernel after ${done1:-?} ms, l2 (kernel only) after ${done2:-?} ms"
	say "table: kernel routes from BGP: l1 $n1 IPv4 + $n1v6 IPv6, l2 $n2 + $n2v6"
	say "table: pings h2 -> h1 during the load: $rx of $tx answered; l1 forwarded $f IPv4 packets in XDP, its kernel $k"
	say "table: routerd on l1: RSS max $rssmax KiB, CPU $cpu_ms ms for $((V4 + V6)) routes = $(awk -v c="$cpu_ms" -v n=$((V4 + V6)) 'BEGIN { printf "%.2f", c / (n / 10000) }') ms per 10k updates"
	say "table: FRR on l1 at the end: zebra RSS $(tail -1 "$OUT/table.tsv" | cut -f6) KiB, bgpd $(tail -1 "$OUT/table.tsv" | cut -f7) KiB"
fi

# ---------------------------------------------------------------------------
if has churn; then
	# window SECS: routerd CPU ms, invalidations, misses, forwarded; pings both ways
	window() {
		local secs=$1 c0 i0 m0 f0 c1 i1 m1 f1 p tx rx
		c0=$(proc_ticks "$RDL1") i0=$(status_of .route_cache.invalidations)
		m0=$(rd_counter "$L1SOCK" route_cache_miss) f0=$(rd_counter "$L1SOCK" forwarded_ipv4)
		ip netns exec "$P-h2" ping -q -n -i 0.01 -W 1 -w "$secs" 198.18.1.2 >"$OUT/churn-ping.txt" 2>&1 &
		p=$!
		E2E_PIDS+=("$p")
		wait "$p"
		c1=$(proc_ticks "$RDL1") i1=$(status_of .route_cache.invalidations)
		m1=$(rd_counter "$L1SOCK" route_cache_miss) f1=$(rd_counter "$L1SOCK" forwarded_ipv4)
		read -r tx rx <<<"$(e2e_ping_parse "$(cat "$OUT/churn-ping.txt")")"
		echo "$(((c1 - c0) * 1000 / HZ)) $((i1 - i0)) $((m1 - m0)) $((f1 - f0)) $tx $rx"
	}
	# the flapper: 500 prefixes of the table out, 0.5 s later back in
	fabric_feed_lines del 500 0 0 >"$OUT/flap-del.batch"
	fabric_feed_lines add 500 0 0 >"$OUT/flap-add.batch"
	read -r bc bi bm bf btx brx <<<"$(window "$CHURN_SECS")"
	(
		end=$((SECONDS + CHURN_SECS + 1)) n=0
		while ((SECONDS < end)); do
			ip -n "$P-f" -batch "$OUT/flap-del.batch" >/dev/null 2>&1; sleep 0.4
			ip -n "$P-f" -batch "$OUT/flap-add.batch" >/dev/null 2>&1; sleep 0.4
			n=$((n + 1000))
		done
		echo "$n" >"$OUT/flap.count"
	) &
	FLAP=$!
	read -r cc ci cm cf ctx crx <<<"$(window "$CHURN_SECS")"
	wait "$FLAP"
	changes=$(cat "$OUT/flap.count")
	say "churn: quiet $CHURN_SECS s: routerd CPU $bc ms, $bi cache invalidations, $bm misses / $bf forwarded, pings $brx/$btx"
	say "churn: flapping ~$((changes / (CHURN_SECS + 1))) changes/s ($changes): routerd CPU $cc ms, $ci cache invalidations, $cm misses / $cf forwarded, pings $crx/$ctx"
	say "churn: routerd CPU per 10k route changes: $(awk -v c=$((cc - bc)) -v n="$changes" 'BEGIN { printf "%.1f", c / (n / 10000) }') ms (minus the quiet baseline)"
fi

# ---------------------------------------------------------------------------
if has failures; then
	fab_rd_start "$P" l2
	printf 'kind\tmode\tround\tspine\tdetect_ms\tlost4\tlost6\toutage4_ms\toutage6_ms\n' >"$OUT/failures.tsv"
	for ((n = 1; n <= ROUNDS; n++)); do
		for mode in kernel routerd; do
			if [ "$mode" = kernel ]; then fabric_rd_stop "$P"; else fab_rd_start "$P"; fi
			for kind in spine link carrier reset routerd; do
				[ "$mode" = kernel ] && [ "$kind" = routerd ] && continue
				fab_round "$P" "$kind" 300 0.01 0.7
				printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$kind" "$mode" "$n" "$ROUND_SPINE" "$ROUND_DET" \
					"$ROUND_LOST4" "$ROUND_LOST6" "$ROUND_GAP4" "$ROUND_GAP6" >>"$OUT/failures.tsv"
				[ "$kind" = spine ] && [ "$n" = 1 ] && cp "$E2E_TMP/r4" "$OUT/failover-$mode.ping"
				echo "  $kind $mode: detect $ROUND_DET ms, lost $ROUND_LOST4/$ROUND_LOST6, outage $ROUND_GAP4/$ROUND_GAP6 ms" >&2
			done
		done
	done
	say "failures (pings every 10 ms, both families; outage = longest gap between answers):"
	column -t "$OUT/failures.tsv" | tee -a "$OUT/summary.txt"
	# throughput over time around the spine failure: answered pings per 50 ms bin
	/usr/bin/python3 - "$OUT" <<'EOF'
import re, sys
out = sys.argv[1]
series = {}
for mode in ("kernel", "routerd"):
    ts = [float(m.group(1)) for m in re.finditer(r"^\[(\d+\.\d+)\].*icmp_seq=", open(f"{out}/failover-{mode}.ping").read(), re.M)]
    series[mode] = ts
t0 = {m: min(ts) for m, ts in series.items() if ts}
bins = {m: {} for m in series}
for m, ts in series.items():
    for t in ts:
        b = int((t - t0[m]) / 0.05)
        bins[m][b] = bins[m].get(b, 0) + 1
with open(f"{out}/failover.tsv", "w") as f:
    f.write("t_s\tkernel_pps\trouterd_pps\n")
    for b in range(0, 1 + max(max(bins[m], default=0) for m in bins)):
        f.write("%.2f\t%d\t%d\n" % (b * 0.05, bins["kernel"].get(b, 0) * 20, bins["routerd"].get(b, 0) * 20))
EOF
	if command -v gnuplot >/dev/null; then
		gnuplot <<EOF
set terminal pngcairo size 900,360
set output "$OUT/failover.png"
set title "The spine carrying the pings dies silently at 0.7 s (BFD 100 ms x 3): answered pings h1 -> h2 per second (50 ms bins)" font ",10"
set xlabel "seconds"; set ylabel "replies/s"; set yrange [0:130]; set key top right
plot "$OUT/failover.tsv" using 1:2 with steps lw 2 title "kernel only", "" using 1:3 with steps lw 2 dt 2 title "routerd on every router"
EOF
		gnuplot <<EOF >"$OUT/failover.txt"
set terminal dumb 100 24
set title "spine failure at 0.7 s: replies/s (K kernel only, R routerd)"
set yrange [0:130]
plot "$OUT/failover.tsv" using 1:2 with lines title "K", "" using 1:3 with lines title "R"
EOF
		cat "$OUT/failover.txt"
	fi
fi
say "results in $OUT"
tap_done >/dev/null
