#!/usr/bin/env bash
# Neighbour freshness: XDP-forwarded traffic never touches the kernel's
# neighbour table, so routerd must make the kernel re-validate the entries
# the fast path uses, as kernel forwarding would. Without it the entry sits
# in STALE with whatever MAC it had, forever.
. "$(dirname "${BASH_SOURCE[0]}")/../e2e/common.sh"
e2e_init

P=rdfr$$
H1=$P-h1 R=$P-r H2=$P-h2
SOCK=$(lab_sock "$P" r) PIN=$(lab_pin_dir "$P" r)
DURATION=30

e2e_lab basic "$P"
# Short timers: an entry nobody uses goes STALE 2-6 s after its last
# confirmation and stays there; one in use is re-probed 1 s after going
# stale. (Keep reachable time above delay_first_probe_time: otherwise the
# kernel's own probe refreshes the entry's use time and it cycles forever,
# used or not.)
for fam in ipv4 ipv6; do
	ip netns exec "$R" sysctl -qw net.$fam.neigh.eth1.base_reachable_time_ms=4000 \
		net.$fam.neigh.eth1.delay_first_probe_time=1 net.$fam.neigh.eth1.gc_stale_time=2 \
		net.$fam.neigh.eth1.retrans_time_ms=300
done
# The hosts never ask r anything (permanent entries for r): their own ARP/NS
# would refresh r's entries and hide whether routerd does.
for side in "$H1 eth0 1" "$H2 eth1 2"; do
	read -r ns rif seg <<<"$side"
	rmac=$(ip -n "$R" -j link show "$rif" | jq -r '.[0].address')
	ip -n "$ns" neigh replace 198.18.$seg.1 lladdr "$rmac" nud permanent dev eth0
	ip -n "$ns" neigh replace 2001:db8:$seg::1 lladdr "$rmac" nud permanent dev eth0
done
rd_start "$R" "$SOCK" "$PIN" eth0 eth1 || e2e_bail "routerd starts"
E2E_PIDS+=("$RD_PID")
e2e_ping "$H1" 198.18.2.2 2 0.1 >/dev/null
e2e_ping "$H1" 2001:db8:2::2 2 0.1 >/dev/null

state_of() { ip -n "$R" neigh show "$1" dev eth1 | awk '{ print $NF }'; }
fresh() { "$ROUTERCTL" -s "$SOCK" -j status | jq .freshness.refreshes; }

f0=$(rd_counter "$SOCK" forwarded_ipv4) s0=$(fresh)
count=$((DURATION * 20))
ip netns exec "$H1" ping -q -n -c $count -i 0.05 -W 1 198.18.2.2 >"$E2E_TMP/ping4" 2>&1 &
E2E_PIDS+=("$!"); p4=$!
ip netns exec "$H1" ping -q -n -c $count -i 0.05 -W 1 2001:db8:2::2 >"$E2E_TMP/ping6" 2>&1 &
E2E_PIDS+=("$!"); p6=$!
: >"$E2E_TMP/states"
while kill -0 $p4 2>/dev/null || kill -0 $p6 2>/dev/null; do
	echo "$(state_of 198.18.2.2) $(state_of 2001:db8:2::2)" >>"$E2E_TMP/states"
	sleep 0.25
done
wait $p4; wait $p6
read -r tx rx <<<"$(e2e_ping_parse "$(cat "$E2E_TMP/ping4")")"
tap_cmp "IPv4: no loss in ${DURATION}s of traffic through XDP ($rx/$tx)" "$rx" -eq $count
read -r tx rx <<<"$(e2e_ping_parse "$(cat "$E2E_TMP/ping6")")"
tap_cmp "IPv6: no loss in ${DURATION}s of traffic through XDP ($rx/$tx)" "$rx" -eq $count
tap_cmp "the traffic went through XDP (forwarded_ipv4 grew)" \
	$(($(rd_counter "$SOCK" forwarded_ipv4) - f0)) -ge $((2 * count))
samples=$(wc -l <"$E2E_TMP/states")
bad=$(grep -cE 'FAILED|INCOMPLETE|^ | $' "$E2E_TMP/states")
tap_cmp "the neighbour entries never went FAILED or away ($samples samples)" "$bad" -eq 0
# re-validation happened: REACHABLE keeps coming back in the second half,
# where without refreshes the entries would sit in STALE
late=$(tail -n $((samples / 2)) "$E2E_TMP/states")
tap_cmp "IPv4 entry re-validated to REACHABLE during the second half" \
	"$(echo "$late" | awk '$1 == "REACHABLE"' | wc -l)" -gt 0
tap_cmp "IPv6 entry re-validated to REACHABLE during the second half" \
	"$(echo "$late" | awk '$2 == "REACHABLE"' | wc -l)" -gt 0
tap_cmp "routerd sent refreshes (NTF_USE)" $(($(fresh) - s0)) -gt 0
"$ROUTERCTL" -s "$SOCK" neigh | grep -q "^198.18.2.2 .*dev eth1" &&
	tap_ok "routerctl neigh lists the nexthop in use" ||
	e2e_fail "routerctl neigh lists the nexthop in use" "$("$ROUTERCTL" -s "$SOCK" neigh 2>&1)"

# --- h2 changes its MAC behind the same IP, without announcing it
newmac=02:00:5e:20:00:02
ip netns exec "$H1" ping -n -i 0.1 -W 1 -c 200 198.18.2.2 >"$E2E_TMP/ping_move" 2>&1 &
E2E_PIDS+=("$!"); pm=$!
sleep 1
ip -n "$H2" link set eth0 address $newmac
t0=$SECONDS
until ip -n "$R" neigh show 198.18.2.2 dev eth1 | grep -q "$newmac.*REACHABLE"; do
	((SECONDS - t0 > 20)) && break
	sleep 0.1
done
moved=$((SECONDS - t0))
f1=$(rd_counter "$SOCK" forwarded_ipv4 eth1)
sleep 2
kill $pm 2>/dev/null; wait $pm 2>/dev/null
tap_cmp "the MAC move is followed: r's entry has the new MAC within 15 s (${moved}s)" "$moved" -le 15
tap_cmp "... and traffic to the new MAC is forwarded in XDP again" \
	$(($(rd_counter "$SOCK" forwarded_ipv4 eth1) - f1)) -gt 5
tail -n 20 "$E2E_TMP/ping_move" | grep -q "bytes from 198.18.2.2" &&
	tap_ok "pings are answered after the move" ||
	e2e_fail "pings are answered after the move" "$(tail -5 "$E2E_TMP/ping_move")"

# --- a static neighbour: never "refreshed" (NTF_USE would clear PERMANENT
# on this kernel, and the entry would fail with nobody answering ARP)
hmac=$(ip -n "$H2" -j link show eth0 | jq -r '.[0].address')
ip -n "$R" neigh replace 198.18.2.2 lladdr "$hmac" nud permanent dev eth1
st0=$("$ROUTERCTL" -s "$SOCK" -j status | jq .freshness.static)
f1=$(rd_counter "$SOCK" forwarded_ipv4 eth1)
read -r tx rx <<<"$(e2e_ping "$H1" 198.18.2.2 80 0.05)"
tap_cmp "static neighbour: 4 s of pings answered ($rx/$tx)" "$rx" -eq "$tx"
tap_cmp "... forwarded in XDP (forwarded_ipv4 on eth1)" \
	$(($(rd_counter "$SOCK" forwarded_ipv4 eth1) - f1)) -ge 70
tap_cmp "... r's entry is still PERMANENT" "$(state_of 198.18.2.2)" = PERMANENT
tap_cmp "... and routerd left it alone (freshness.static grew)" \
	$(($("$ROUTERCTL" -s "$SOCK" -j status | jq .freshness.static) - st0)) -gt 0

tap_done
