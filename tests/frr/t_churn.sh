#!/usr/bin/env bash
# Route churn next to FRR. While h1 pings h2 (IPv4 and IPv6, every 5 ms)
# over OSPF routes forwarded by XDP, r1's kernel table flaps 10,000 IPv4
# and 10,000 IPv6 routes (ip -batch add / del in a loop, for as long as
# the pings run): half of the IPv4 ones through a nexthop group
# (`nhid`), like FRR's. The stable prefixes must lose nothing and stay in
# XDP; routerd's CPU time and RSS over the churn are reported, and its
# RSS may grow by less than 2 MiB (routerd keeps no copy of the routes).
# Environment: FRR_CHURN_SECS (default 10) seconds of churn.
set -uo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

SECS=${FRR_CHURN_SECS:-10}
N=10000
P=rfc$$
INTERVAL=0.005
PINGS=$(awk -v s="$SECS" -v i="$INTERVAL" 'BEGIN { printf "%d", s / i }')
frr_suite_init
frr_lab "$P"
e2e_diag "lab frr, prefix $P; $N IPv4 + $N IPv6 routes flapped on r1 for ~$SECS s; $PINGS pings per family"

rd_start_routers "$P"
frr_start_checked "$P" ospf
frr_converge "OSPF converged: 2 paths each way, both families" 30 \
	"$P-r1" 198.18.2.0/24 2 "$P-r2" 198.18.1.0/24 2 \
	"$P-r1" 2001:db8:2::/64 2 "$P-r2" 2001:db8:1::/64 2

# the churn: 198.19.0.0/18 /32s (odd ones via nexthop group 9000) and
# 2001:db8:ff00:X::/64s, towards r2 on segment 3 / the group
ip -n "$P-r1" nexthop add id 9001 via 198.18.3.2 dev eth1
ip -n "$P-r1" nexthop add id 9002 via 198.18.4.2 dev eth2
ip -n "$P-r1" nexthop add id 9000 group 9001/9002
/usr/bin/python3 - "$E2E_TMP" "$N" <<'EOF'
import sys
d, n = sys.argv[1], int(sys.argv[2])
with open(d + "/add", "w") as a, open(d + "/del", "w") as r:
    for i in range(n):
        p4 = "198.19.%d.%d/32" % (i // 256, i % 256)
        via = "nhid 9000" if i % 2 else "via 198.18.3.2 dev eth1"
        a.write("route add %s %s\n" % (p4, via))
        r.write("route del %s\n" % p4)
        p6 = "2001:db8:ff00:%x::/64" % i
        a.write("route add %s via 2001:db8:3::2 dev eth1\n" % p6)
        r.write("route del %s\n" % p6)
EOF
tap_check "churn batch: $N + $N routes install" ip -n "$P-r1" -batch "$E2E_TMP/add"
n4=$(ip -n "$P-r1" -4 route show | grep -c '^198\.19\.')
n6=$(ip -n "$P-r1" -6 route show | grep -c '^2001:db8:ff00:')
tap_cmp "churn batch: r1 holds the $N IPv4 and $N IPv6 routes" "$n4/$n6" = "$N/$N"
tap_check "churn batch: and removes them" ip -n "$P-r1" -batch "$E2E_TMP/del"

# warm up the stable path, then measure
e2e_ping "$P-h1" 198.18.2.2 3 0.05 >/dev/null
e2e_ping "$P-h1" 2001:db8:2::2 3 0.05 >/dev/null
HZ=$(getconf CLK_TCK)
zpid=$(cat "$(frr_dir "$P" r1)/zebra.pid")
c0=$(proc_ticks "$RD1") z0=$(proc_ticks "$zpid") m0=$(proc_rss "$RD1")
res0=$("$ROUTERCTL" -s "$SOCK1" -j status | jq '.netlink.resyncs // 0')
f4=$(rd_counter "$SOCK1" forwarded_ipv4) f6=$(rd_counter "$SOCK1" forwarded_ipv6)
k4=$(kfwd4 "$P-r1") k6=$(kfwd6 "$P-r1")
t0=$(date +%s%N)

ip netns exec "$P-h1" ping -n -q -i "$INTERVAL" -c "$PINGS" -W 1 198.18.2.2 >"$E2E_TMP/p4" 2>&1 &
p4=$!
ip netns exec "$P-h1" ping -n -q -i "$INTERVAL" -c "$PINGS" -W 1 2001:db8:2::2 >"$E2E_TMP/p6" 2>&1 &
p6=$!
E2E_PIDS+=("$p4" "$p6")
cycles=0 bad=0 mmax=$m0
while _lab_alive "$p4" || _lab_alive "$p6"; do
	ip -n "$P-r1" -batch "$E2E_TMP/add" >/dev/null 2>&1 || bad=$((bad + 1))
	m=$(proc_rss "$RD1")
	((m > mmax)) && mmax=$m
	ip -n "$P-r1" -batch "$E2E_TMP/del" >/dev/null 2>&1 || bad=$((bad + 1))
	cycles=$((cycles + 1))
done
wait "$p4" "$p6"
t1=$(date +%s%N)
c1=$(proc_ticks "$RD1") z1=$(proc_ticks "$zpid") m1=$(proc_rss "$RD1")
res1=$("$ROUTERCTL" -s "$SOCK1" -j status | jq '.netlink.resyncs // 0')
wall_ms=$(((t1 - t0) / 1000000))
changes=$((cycles * 4 * N))
rd_ms=$(((c1 - c0) * 1000 / HZ)) z_ms=$(((z1 - z0) * 1000 / HZ))
e2e_diag "churn: $cycles cycles of add+del of $N IPv4 + $N IPv6 routes in $wall_ms ms ($changes route changes, $((changes * 1000 / (wall_ms > 0 ? wall_ms : 1))) per s)" \
	"routerd on r1: CPU $rd_ms ms ($(awk -v a="$rd_ms" -v b="$wall_ms" 'BEGIN { printf "%.2f", b ? 100 * a / b : 0 }')% of one core), RSS $m0 -> $m1 KiB (peak sampled $mmax KiB), netlink resyncs +$((res1 - res0))" \
	"for scale, zebra on r1: CPU $z_ms ms ($(awk -v a="$z_ms" -v b="$wall_ms" 'BEGIN { printf "%.1f", b ? 100 * a / b : 0 }')%)"
if [ "$cycles" -ge 2 ] && [ "$bad" -eq 0 ]; then
	tap_ok "churn ran: $cycles add/del cycles, every batch succeeded"
else
	e2e_fail "churn ran: at least 2 add/del cycles, every batch succeeded" "cycles $cycles, failed batches $bad"
fi

for fam in 4 6; do
	read -r tx rx <<<"$(e2e_ping_parse "$(cat "$E2E_TMP/p$fam")")"
	if [ "$tx" -eq "$PINGS" ] && [ "$rx" -eq "$PINGS" ]; then
		tap_ok "IPv$fam pings to the stable prefix during the churn: $rx/$tx answered"
	else
		e2e_fail "IPv$fam pings to the stable prefix during the churn: none lost" "sent $tx, answered $rx of $PINGS"
	fi
done
df4=$(($(rd_counter "$SOCK1" forwarded_ipv4) - f4)) df6=$(($(rd_counter "$SOCK1" forwarded_ipv6) - f6))
dk4=$(($(kfwd4 "$P-r1") - k4)) dk6=$(($(kfwd6 "$P-r1") - k6))
tap_check "r1 forwarded them in XDP during the churn (IPv4 +$df4, IPv6 +$df6; kernel +$dk4, +$dk6)" \
	test "$df4" -ge $((2 * PINGS)) -a "$df6" -ge $((2 * PINGS)) \
	-a $((dk4 * 100)) -lt $((5 * 2 * PINGS)) -a $((dk6 * 100)) -lt $((5 * 2 * PINGS))
tap_cmp "routerd's RSS grew by less than 2 MiB over the churn (KiB, peak sampled $mmax)" $((mmax - m0)) -lt 2048
tap_check "routerd on r1 still answers" "$ROUTERCTL" -s "$SOCK1" status
tap_cmp "no churn route left on r1" "$(ip -n "$P-r1" route show | grep -c '^198\.19\.')" -eq 0
tap_cmp "FRR's routes untouched: r1 still has 2 paths to h2" "$(frr_paths "$P-r1" 198.18.2.0/24)" -eq 2
if _lab_alive "$zpid"; then
	tap_ok "zebra on r1 survived the churn (pid $zpid)"
else
	e2e_fail "zebra on r1 survived the churn (pid $zpid)" "zebra.log:" "$(tail -n 8 "$(frr_dir "$P" r1)/zebra.log")"
fi
xdp_forwarding "after the churn" "$P" 198.18.2.2 100
tap_done
