#!/usr/bin/env bash
# Hostile traffic: malformed frames from scapy (frames.py) sent from h1
# through r, where routerd runs with every fix-up on. Truncated headers,
# bad checksums, lengths that lie, options, martians, tags, junk: each frame
# must be counted under its reason (passed to the kernel, which drops what
# is malformed and counts it, or forwarded when only L4 is odd). Then the
# same at full speed for a few seconds: routerd keeps running, `routerctl
# stats` answers, and its counters add up.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_init

P=rdfr$$
R=$P-r H1=$P-h1
e2e_lab basic "$P"
SOCK=$(lab_sock "$P" r) PIN=$(lab_pin_dir "$P" r)
cat >"$E2E_TMP/routerd.conf" <<CONF
interface eth0 fixups ipv4-in-ipv6,ipv6-in-ipv4,mss-clamp=1400
interface eth1
CONF
rd_start "$R" "$SOCK" "$PIN" -- -c "$E2E_TMP/routerd.conf" || e2e_bail "routerd starts"
E2E_PIDS+=("$RD_PID")
R_MAC=$(ip -n "$R" -j link show dev eth0 | jq -r '.[0].address')
# neighbours resolved both ways, so that valid frames are forwarded in XDP
e2e_ping "$H1" 198.18.2.2 3 0.2 >/dev/null
e2e_ping "$H1" 2001:db8:2::2 3 0.2 >/dev/null

frames() { ip netns exec "$H1" /usr/bin/python3 "$SEC_DIR/frames.py" eth0 "$R_MAC" 198.18.1.2 198.18.2.2 "$@"; }
stats() { "$ROUTERCTL" -s "$SOCK" -j stats | jq -c '.interfaces[] | select(.name == "eth0")'; }
counter() { jq -r --arg k "$2" '($k | split(".")) as $p | .[$p[0]][$p[1]]' <<<"$1"; }
kernel_v4_errors() {
	ip netns exec "$R" awk '$1 == "Ip:" { if (!h) { for (i = 2; i <= NF; i++) { if ($i == "InHdrErrors") a = i; if ($i == "InTruncatedPkts") b = i }; h = 1 } else print $a + $b }' /proc/net/snmp
}

declare -A expect
while read -r class counter; do expect[$class]=$counter; done < <(frames list)
((${#expect[@]} > 10)) || e2e_bail "frames.py lists its classes" "$(frames list 2>&1 | tail -5)"

# 1. paced: every frame counted exactly where it belongs
N=50
before=$(stats) k0=$(kernel_v4_errors)
declare -A sent
while read -r class n; do sent[$class]=$n; done < <(frames exact "$N")
sleep 0.5
after=$(stats) k1=$(kernel_v4_errors)
declare -A want_delta
for class in "${!expect[@]}"; do
	for c in ${expect[$class]//+/ }; do
		want_delta[$c]=$((${want_delta[$c]:-0} + ${sent[$class]:-0}))
	done
done
for c in $(printf '%s\n' "${!want_delta[@]}" | sort); do
	d=$(($(counter "$after" "$c") - $(counter "$before" "$c")))
	classes=$(for k in "${!expect[@]}"; do [[ "+${expect[$k]}+" == *"+$c+"* ]] && echo "$k"; done | sort | paste -sd, -)
	if [ "$c" = pass_reasons.arp ]; then # the hosts' own ARP adds to it
		tap_cmp "$c counts every frame of $classes" "$d" -ge "${want_delta[$c]}"
	else
		tap_cmp "$c counts every frame of $classes" "$d" -eq "${want_delta[$c]}"
	fi
done
malformed_v4=$((N * 7))
tap_cmp "the kernel counted the malformed IPv4 frames XDP passed (InHdrErrors + InTruncatedPkts)" \
	$((k1 - k0)) -ge "$malformed_v4"
d6=$(($(counter "$after" counters.forwarded_ipv6) - $(counter "$before" counters.forwarded_ipv6)))
tap_cmp "no malformed IPv6 frame was forwarded (forwarded_ipv6 delta)" "$d6" -eq 0

# 2. flood: as fast as it goes, then routerd still answers and adds up
before=$(stats)
total=0
while read -r class n; do total=$((total + n)); done < <(frames flood 5)
sleep 0.5
tap_check "routerd survived $total malformed frames in 5 s" kill -0 "$RD_PID"
after=$(stats)
if [ -n "$after" ] && jq -e '.counters | .rx_packets == .forwarded_ipv4 + .forwarded_ipv6 + .bridged + .passed + .dropped' <<<"$after" >/dev/null; then
	tap_ok "routerctl stats answers and rx_packets = forwarded + bridged + passed + dropped"
else
	e2e_fail "routerctl stats answers and its counters add up" "$after"
fi
rx=$(($(counter "$after" counters.rx_packets) - $(counter "$before" counters.rx_packets)))
tap_cmp "rx_packets grew by at most what was sent (plus a little background)" "$rx" -le $((total + 50))
tap_cmp "and by a good share of it (veth may drop some under a flood)" "$rx" -ge $((total / 4))
e2e_diag "flood: sent $total frames in 5 s, routerd counted $rx on eth0"
e2e_check_ping "forwarding still works after the flood" "$H1" 198.18.2.2 5 0.2
rd_stop "$RD_PID"
tap_cmp "routerd stopped cleanly on SIGTERM (exit status)" "$?" -eq 0
tap_done
