#!/usr/bin/env bash
# The operator's view of a running routerd (lab "basic": h1 -- r -- h2):
#  - byte counters: pings of a known size move forwarded_bytes by exactly
#    packets x frame size, per interface and family;
#  - routerctl metrics: parsed by prometheus_client's parser, named after
#    Prometheus' rules, and equal to -j stats taken at the same moment;
#  - routerctl monitor -j: rates within 10% of a paced UDP flow (over the
#    three intervals; each within 25% on a loaded machine); the text
#    view prints a line per interface;
#  - bash completion offers the daemon's interface names.
# Environment: E2E_PINGS (default 200) pings per family.
set -uo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

N=${E2E_PINGS:-200}
P=rdop$$
R=$P-r H1=$P-h1 H2=$P-h2
SOCK=$(lab_sock "$P" r)
PIN=$(lab_pin_dir "$P" r)
PY=/usr/bin/python3
ctl() { "$ROUTERCTL" -s "$SOCK" "$@"; }

e2e_init
"$PY" -c 'import prometheus_client' 2>/dev/null ||
	e2e_bail "python3-prometheus-client installed" "run lab/install-deps.sh"
e2e_lab basic "$P"
if rd_start "$R" "$SOCK" "$PIN" eth0 eth1 2>"$E2E_TMP/start.err"; then
	E2E_PIDS+=("$RD_PID")
	tap_ok "routerd starts on r"
else
	e2e_bail "routerd starts on r" "$(cat "$E2E_TMP/start.err")"
fi
# resolve the neighbours: the counted pings are all forwarded in XDP
e2e_ping "$H1" 198.18.2.2 3 0.05 >/dev/null
e2e_ping "$H1" 2001:db8:2::2 3 0.05 >/dev/null

# --- byte counters: exact -------------------------------------------------
# ping -s 1000: IPv4 14 + 20 + 8 + 1000 = 1042 bytes a frame, IPv6 1062;
# requests arrive on r's eth0, replies on eth1, each forwarded once.
check_bytes() {
	local fam=$1 dst=$2 frame=$3 key=forwarded_$1 i p0 b0 r0 p1 b1 r1 res tx rx try
	# a ping lost on a loaded machine spoils the count: once more then
	for try in 1 2; do
		for i in eth0 eth1; do
			p0[${i#eth}]=$(rd_counter "$SOCK" "$key" "$i")
			b0[${i#eth}]=$(rd_counter "$SOCK" forwarded_bytes "$i")
			r0[${i#eth}]=$(rd_counter "$SOCK" rx_bytes "$i")
		done
		res=$(timeout 60 ip netns exec "$H1" ping -q -n -c "$N" -i 0.005 -s 1000 -W 2 "$dst" 2>&1)
		read -r tx rx <<<"$(e2e_ping_parse "$res")"
		[ "$tx" -eq "$N" ] && [ "$rx" -eq "$N" ] && break
	done
	if [ "$tx" -ne "$N" ] || [ "$rx" -ne "$N" ]; then
		e2e_fail "$fam: $N pings of 1000 bytes answered" "sent $tx, answered $rx" "$res"
		return
	fi
	for i in eth0 eth1; do
		p1=$(($(rd_counter "$SOCK" "$key" "$i") - p0[${i#eth}]))
		b1=$(($(rd_counter "$SOCK" forwarded_bytes "$i") - b0[${i#eth}]))
		r1=$(($(rd_counter "$SOCK" rx_bytes "$i") - r0[${i#eth}]))
		tap_cmp "$fam: $i $key grew by the $N pings" "$p1" -eq "$N"
		tap_cmp "$fam: $i forwarded_bytes grew by exactly $N x $frame bytes" "$b1" -eq $((N * frame))
		tap_cmp "$fam: $i rx_bytes grew by at least as much" "$r1" -ge $((N * frame))
	done
}
check_bytes ipv4 198.18.2.2 1042
check_bytes ipv6 2001:db8:2::2 1062

# --- metrics: parsed, named, equal to -j stats ------------------------------
# The counters must not move between the three snapshots; the lab is quiet
# but a stray ND or ARP frame may come: take them again then.
ok=false out="the counters never held still for three snapshots"
for attempt in 1 2 3 4 5; do
	ctl -j stats >"$E2E_TMP/stats1" && ctl metrics >"$E2E_TMP/metrics" &&
		ctl -j status >"$E2E_TMP/status" && ctl -j stats >"$E2E_TMP/stats2" || break
	if cmp -s "$E2E_TMP/stats1" "$E2E_TMP/stats2"; then
		out=$("$PY" "$RD_ROOT/tests/e2e/metrics_check.py" "$E2E_TMP/metrics" \
			"$E2E_TMP/stats1" "$E2E_TMP/status" 2>&1) && { ok=true; break; }
	fi
	sleep 0.3
done
if $ok; then
	tap_ok "metrics parse with prometheus_client and equal -j stats (${out##*$'\n'})"
else
	e2e_fail "metrics parse with prometheus_client and equal -j stats" "$out" \
		"$(head -c 1500 "$E2E_TMP/metrics")"
fi
for opt in -j -p; do
	out=$(ctl "$opt" metrics 2>&1)
	if grep -q '^# TYPE routerd_rx_packets_total counter$' <<<"$out"; then
		tap_ok "metrics is the text format with $opt too"
	else
		e2e_fail "metrics is the text format with $opt too" "$(head -5 <<<"$out")"
	fi
done

# --- monitor: rates of a paced flow ----------------------------------------
# 250 datagrams/s of 472 bytes: 14 + 20 + 8 + 472 = 514-byte frames into eth0.
RATE=250 FRAME=514
monitor_once() {
	local flow pid
	ip netns exec "$H1" "$PY" "$RD_ROOT/tests/e2e/paced_udp.py" 198.18.2.2 9 "$RATE" 6 472 \
		>"$E2E_TMP/flow" 2>&1 &
	pid=$!
	E2E_PIDS+=("$pid")
	sleep 1.2 # past the flow's first packets and the neighbour resolution
	timeout 20 "$ROUTERCTL" -s "$SOCK" -j monitor -i 1 -c 3 dev eth0 >"$E2E_TMP/monitor"
	wait "$pid"
	# the flow's packet and bit rates over the three intervals within 10%,
	# each interval within 25% (a loaded machine delays the sender or the
	# sampling by tens of ms), and the forwarded bits exactly the packets'
	# frame size (only the flow is forwarded on eth0; an ARP may be passed)
	jq -e --argjson r "$RATE" --argjson f "$FRAME" -s '
		def mean(k): [.[].interfaces[0][k]] | add / length;
		length == 3 and
		(mean("rx_pps") - $r | fabs) <= 0.1 * $r and
		(mean("forwarded_pps") - $r | fabs) <= 0.1 * $r and
		(mean("rx_bps") - $r * $f * 8 | fabs) <= 0.1 * $r * $f * 8 and
		(mean("forwarded_bps") - $r * $f * 8 | fabs) <= 0.1 * $r * $f * 8 and
		all(.[];
			(.interfaces | length) == 1 and .interfaces[0].name == "eth0" and
			(.interval_s > 0.9 and .interval_s < 1.3) and
			(.interfaces[0] | (.rx_pps - $r | fabs) <= 0.25 * $r and
				(.forwarded_bps / .forwarded_pps / 8 - $f | fabs) < 0.1 and
				.xdp_share > 0.9))' \
		"$E2E_TMP/monitor" >/dev/null
}
# a loaded machine may starve the sender for a while: try again then
if monitor_once || monitor_once || monitor_once; then
	tap_ok "monitor -j -c 3: rx and forwarded packet and bit rates within 10% of a $RATE pkt/s flow of $FRAME-byte frames (each second within 25%)"
else
	e2e_fail "monitor -j -c 3: rates within 10% of a $RATE pkt/s flow" \
		"flow: $(cat "$E2E_TMP/flow")" "$(cat "$E2E_TMP/monitor")"
fi
out=$(timeout 10 "$ROUTERCTL" -s "$SOCK" monitor -i 0.2 -c 2 2>&1)
if [ "$(grep -c '^eth[01] ' <<<"$out")" -eq 4 ] && [ "$(grep -c '^IFACE ' <<<"$out")" -eq 2 ]; then
	tap_ok "monitor -c 2: a header and a line per interface, twice"
else
	e2e_fail "monitor -c 2: a header and a line per interface, twice" "$out"
fi
# --- completion: interface names from the daemon -------------------------------
got=$(bash --norc --noprofile -c '
	. "$1" || exit 1
	COMP_WORDS=("$2" -s "$3" monitor dev ""); COMP_CWORD=5
	_routerctl
	printf "%s\n" "${COMPREPLY[@]}" | sort | tr "\n" " "' _ \
	"$RD_ROOT/routerd/routerctl/routerctl.bash-completion" "$ROUTERCTL" "$SOCK" 2>&1)
if [ "$got" = "eth0 eth1 " ]; then
	tap_ok "completion of 'monitor dev' offers the daemon's interfaces: $got"
else
	e2e_fail "completion of 'monitor dev' offers the daemon's interfaces" "got: $got"
fi
out=$(ctl monitor -c 0 2>&1)
if [ $? -eq 2 ] && grep -q "bad count" <<<"$out"; then
	tap_ok "monitor -c 0 is bad usage (exit 2)"
else
	e2e_fail "monitor -c 0 is bad usage (exit 2)" "$out"
fi
tap_done
