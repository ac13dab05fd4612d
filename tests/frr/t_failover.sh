#!/usr/bin/env bash
# Failover of an ECMP link under continuous pings (-i 0.02, both
# families), kernel-only and with routerd on r1 and r2, in the same lab.
# The failing link is the one that carries h1's IPv4 echo requests; it
# fails in the switch between r1 and r2, two ways:
#   carrier  both switch ports of the link go down: r1 and r2 lose carrier,
#            the kernel drops the dead member from FRR's nexthop group at
#            once, FRR follows. Expected loss: about nothing.
#   silent   the link's bridge goes down: carriers stay up, frames vanish.
#            Only OSPF notices (dead interval 4 s); until then the kernel,
#            and XDP with it, keep sending into the dead link. Expected
#            loss: FRR's detection time / 20 ms.
# The outage is the longest gap between two answered pings (ping -D time
# stamps; ping slows down while answers are missing, so lost pings
# undercount it); the detection time is when the routes of r1 and r2 lost
# the dead path (polled every few ms).
# Asserted per round: the loss stays within FRR's detection bound (dead
# interval 4 s = 200 pings); a silent round's outage ends within 100 ms of
# the detection. Over the rounds, routerd does no worse than kernel
# forwarding: carrier rounds compare lost pings (+ FRR_FAIL_MARGIN pings),
# silent rounds compare the outage beyond each round's detection time
# ("excess", + FRR_FAIL_MARGIN_MS), since the dead timer's phase makes the
# detection time itself vary by up to a second. An excess is exact to about
# +-50 ms: the next ping leaves up to 25 ms after the route changed, and the
# two routers' routes are polled about every 10 ms each.
# Environment: FRR_FAIL_ROUNDS (default 1) rounds per kind and mode,
# FRR_FAIL_MARGIN (default 2) pings and FRR_FAIL_MARGIN_MS (default 100)
# per round.
set -uo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

ROUNDS=${FRR_FAIL_ROUNDS:-1}
MARGIN=${FRR_FAIL_MARGIN:-2}
MARGIN_MS=${FRR_FAIL_MARGIN_MS:-100}
COUNT=300      # 6 s of pings at 20 ms
DOWN_AT=1      # seconds into the pings
BOUND=200      # dead interval 4 s / 20 ms
P=rff$$
frr_suite_init
frr_lab "$P"
e2e_diag "lab frr, prefix $P; $ROUNDS round(s) per kind and mode, $COUNT pings per family at 20 ms, failure after $DOWN_AT s"

frr_start_checked "$P" ospf
converged() {
	frr_converge "$1" 30 "$P-r1" 198.18.2.0/24 2 "$P-r2" 198.18.1.0/24 2 \
		"$P-r1" 2001:db8:2::/64 2 "$P-r2" 2001:db8:1::/64 2
}
converged "OSPF converged: 2 paths each way, both families"

# Which link carries h1's IPv4 echo requests (ICMP hashes on addresses only)
link_of() { # DST: 0 = segment 3 (r1 eth1, br3), 1 = segment 4 (r1 eth2, br4)
	local a0 b0 a b
	a0=$(rxp "$P-r2" eth0) b0=$(rxp "$P-r2" eth1)
	e2e_ping "$P-h1" "$1" 50 0.005 >/dev/null
	a=$(($(rxp "$P-r2" eth0) - a0)) b=$(($(rxp "$P-r2" eth1) - b0))
	if [ "$a" -ge 50 ] && [ "$b" -lt 50 ]; then echo 0
	elif [ "$b" -ge 50 ] && [ "$a" -lt 50 ]; then echo 1
	else echo "?"; fi
}
L4=$(link_of 198.18.2.2) L6=$(link_of 2001:db8:2::2)
case $L4 in
0) BR=br3 PORTS="eth0 eth1" R1DEV=eth1 ;;
1) BR=br4 PORTS="eth2 eth3" R1DEV=eth2 ;;
*) e2e_bail "h1's IPv4 pings take one of the two links" "$(ip -n "$P-r1" route)" ;;
esac
tap_ok "h1's echo requests leave r1 on $R1DEV (IPv4) and on $([ "$L6" = "$L4" ] && echo "the same link" || echo "the other link") (IPv6): $BR fails"

# one_path NS DST: is the route down to a single path (polled fast)
one_path() {
	local out
	out=$(ip -n "$1" route show "$2" 2>/dev/null)
	[ -n "$out" ] && ! grep -q nexthop <<<"$out"
}

# max_gap FILE: longest time (ms) between two answers in ping -D output
max_gap() {
	awk -F'[][]' '/icmp_seq=/ { t = $2 * 1000; if (p && t - p > g) g = t - p; p = t }
		END { printf "%d\n", g }' "$1"
}

declare -A LOSS EXCESS
# round MODE KIND N
round() {
	local mode=$1 kind=$2 n=$3 p4 p6 t0 now d1="" d2="" tx rx l4 l6 f0=0 f="" det x g4 g6
	[ "$mode" = routerd ] && f0=$(rd_counter "$SOCK1" forwarded_ipv4)
	ip netns exec "$P-h1" ping -D -n -i 0.02 -c "$COUNT" -W 1 198.18.2.2 >"$E2E_TMP/p4" 2>&1 &
	p4=$!
	ip netns exec "$P-h1" ping -D -n -i 0.02 -c "$COUNT" -W 1 2001:db8:2::2 >"$E2E_TMP/p6" 2>&1 &
	p6=$!
	E2E_PIDS+=("$p4" "$p6")
	sleep "$DOWN_AT"
	t0=$(date +%s%N)
	if [ "$kind" = carrier ]; then
		for x in $PORTS; do ip -n "$P-s" link set "$x" down; done
	else
		ip -n "$P-s" link set "$BR" down
	fi
	# detection: r1's route to h2 and r2's route to h1 down to one path
	while [ -z "$d1" ] || [ -z "$d2" ]; do
		now=$(date +%s%N)
		[ -z "$d1" ] && one_path "$P-r1" 198.18.2.0/24 && d1=$(((now - t0) / 1000000))
		[ -z "$d2" ] && one_path "$P-r2" 198.18.1.0/24 && d2=$(((now - t0) / 1000000))
		((now - t0 > 8000000000)) && break
		sleep 0.002
	done
	wait "$p4" "$p6"
	read -r tx rx <<<"$(e2e_ping_parse "$(cat "$E2E_TMP/p4")")"
	l4=$((tx - rx))
	read -r tx rx <<<"$(e2e_ping_parse "$(cat "$E2E_TMP/p6")")"
	l6=$((tx - rx))
	g4=$(max_gap "$E2E_TMP/p4") g6=$(max_gap "$E2E_TMP/p6")
	[ "$mode" = routerd ] && f=$(($(rd_counter "$SOCK1" forwarded_ipv4) - f0))
	if [ "$kind" = carrier ]; then
		for x in $PORTS; do ip -n "$P-s" link set "$x" up; done
	else
		ip -n "$P-s" link set "$BR" up
	fi
	det=$(( ${d1:-9999} > ${d2:-9999} ? ${d1:-9999} : ${d2:-9999} ))
	e2e_diag "round $n, $kind, $mode: lost IPv4 $l4/$COUNT (outage $g4 ms), IPv6 $l6/$COUNT (outage $g6 ms); route down to 1 path after ${d1:-?} ms (r1), ${d2:-?} ms (r2)${f:+; r1 XDP forwarded $f IPv4 packets}"
	if [ -n "$d1" ] && [ -n "$d2" ]; then
		tap_ok "round $n, $kind, $mode: r1 and r2 dropped the dead path (${d1} / ${d2} ms)"
	else
		e2e_fail "round $n, $kind, $mode: r1 and r2 dropped the dead path within 8 s" \
			"$(ip -n "$P-r1" route)" "$(ip -n "$P-r2" route)"
	fi
	[ "$mode" = routerd ] && tap_cmp "round $n, $kind, routerd: r1 forwarded the IPv4 pings in XDP" "$f" -ge $((COUNT - l4))
	tap_cmp "round $n, $kind, $mode: IPv4 loss within the detection bound ($BOUND)" "$l4" -le "$BOUND"
	tap_cmp "round $n, $kind, $mode: IPv6 loss within the detection bound ($BOUND)" "$l6" -le "$BOUND"
	if [ "$kind" = silent ]; then
		# echo requests go into the dead link until r1 (or, for the
		# replies, r2) moves off it: the outage is the detection time
		x=$((g4 - det))
		tap_cmp "round $n, silent, $mode: the IPv4 outage ends with FRR's detection (outage $g4 ms, detection $det ms; excess $x ms)" "$x" -le 100
		EXCESS[$mode]=$((${EXCESS[$mode]:-0} + x))
	fi
	LOSS[$kind$mode]=$((${LOSS[$kind$mode]:-0} + l4))
	LOSS[${kind}${mode}6]=$((${LOSS[${kind}${mode}6]:-0} + l6))
	converged "round $n, $kind, $mode: link back, both paths back"
	# neighbours of the restored path resolved before the next round
	e2e_ping "$P-h1" 198.18.2.2 4 0.02 >/dev/null
	e2e_ping "$P-h1" 2001:db8:2::2 4 0.02 >/dev/null
}

for ((i = 1; i <= ROUNDS; i++)); do
	for kind in carrier silent; do
		round kernel "$kind" "$i"
		rd_start_routers "$P"
		round routerd "$kind" "$i"
		rd_stop "$RD1"; rd_stop "$RD2"
		tap_check "routerd stopped on r1 and r2 (XDP detached)" e2e_no_xdp "$P-r1" eth0 eth1 eth2
	done
done

e2e_diag "failover loss, $ROUNDS round(s) of $COUNT pings per kind:" \
	"  carrier: kernel-only IPv4 ${LOSS[carrierkernel]}, IPv6 ${LOSS[carrierkernel6]}; routerd IPv4 ${LOSS[carrierrouterd]}, IPv6 ${LOSS[carrierrouterd6]}" \
	"  silent:  kernel-only IPv4 ${LOSS[silentkernel]}, IPv6 ${LOSS[silentkernel6]}; routerd IPv4 ${LOSS[silentrouterd]}, IPv6 ${LOSS[silentrouterd6]}" \
	"  silent, IPv4 outage beyond the detection time: kernel-only ${EXCESS[kernel]} ms, routerd ${EXCESS[routerd]} ms"
tap_cmp "carrier failures: routerd loses no more IPv4 pings than kernel forwarding (+$MARGIN per round)" \
	"${LOSS[carrierrouterd]}" -le $((LOSS[carrierkernel] + MARGIN * ROUNDS))
tap_cmp "carrier failures: routerd loses no more IPv6 pings than kernel forwarding (+$MARGIN per round)" \
	"${LOSS[carrierrouterd6]}" -le $((LOSS[carrierkernel6] + MARGIN * ROUNDS))
tap_cmp "silent failures: routerd's IPv4 outage beyond FRR's detection is no longer than the kernel's (+$MARGIN_MS ms per round)" \
	"${EXCESS[routerd]}" -le $((EXCESS[kernel] + MARGIN_MS * ROUNDS))
tap_done
