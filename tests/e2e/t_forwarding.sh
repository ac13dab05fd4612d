#!/usr/bin/env bash
# Foundation acceptance test: h1 -- r -- h2 (lab "basic") with routerd on r.
# Pings and TCP go through r; routerd's forwarded_* counters must account
# for them while r's kernel forwarding counters barely move. The same pings
# are first sent without routerd, where the kernel counters must grow: the
# measurement can tell the two apart.
# Environment: E2E_PINGS (default 1000) pings per family and phase.
set -uo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

N=${E2E_PINGS:-1000}
P=rdf$$
R=$P-r H1=$P-h1 H2=$P-h2
SOCK=$(lab_sock "$P" r)
PIN=$(lab_pin_dir "$P" r)
TCP_BYTES=$((32 * 1024 * 1024))

e2e_init
e2e_lab basic "$P"
e2e_diag "lab basic, prefix $P, $N pings per family; routerd $ROUTERD"

# Resolve neighbours first so that the counted phases see steady state.
e2e_ping "$H1" 198.18.2.2 2 0.05 >/dev/null
e2e_ping "$H1" 2001:db8:2::2 2 0.05 >/dev/null

# --- kernel only: the kernel counters do grow -----------------------------
k4=$(kfwd4 "$R") k6=$(kfwd6 "$R")
e2e_check_ping "kernel only: $N IPv4 pings h1 -> h2" "$H1" 198.18.2.2 "$N" 0.002
e2e_check_ping "kernel only: $N IPv6 pings h1 -> h2" "$H1" 2001:db8:2::2 "$N" 0.002
tap_cmp "kernel only: r's IpForwDatagrams counts requests and replies" \
	$(($(kfwd4 "$R") - k4)) -ge $((2 * N))
tap_cmp "kernel only: r's Ip6OutForwDatagrams counts requests and replies" \
	$(($(kfwd6 "$R") - k6)) -ge $((2 * N))

# --- with routerd ---------------------------------------------------------
if rd_start "$R" "$SOCK" "$PIN" eth0 eth1 2>"$E2E_TMP/start.err"; then
	E2E_PIDS+=("$RD_PID")
	tap_ok "routerd starts on r and answers on $SOCK"
else
	e2e_bail "routerd starts on r and answers on $SOCK" "$(cat "$E2E_TMP/start.err")"
fi
id0=$(xdp_id "$R" eth0) id1=$(xdp_id "$R" eth1)
if [ -n "$id0" ] && [ "$id0" = "$id1" ]; then
	tap_ok "XDP program $id0 attached on r's eth0 and eth1"
else
	e2e_fail "XDP attached on r's eth0 and eth1" "eth0 prog '$id0', eth1 prog '$id1'"
fi

f4=$(rd_counter "$SOCK" forwarded_ipv4) f6=$(rd_counter "$SOCK" forwarded_ipv6)
f4_0=$(rd_counter "$SOCK" forwarded_ipv4 eth0) f4_1=$(rd_counter "$SOCK" forwarded_ipv4 eth1)
f6_0=$(rd_counter "$SOCK" forwarded_ipv6 eth0) f6_1=$(rd_counter "$SOCK" forwarded_ipv6 eth1)
if [ -z "$f4" ] || [ -z "$f6" ] || [ -z "$f4_0" ] || [ -z "$f6_1" ]; then
	e2e_bail "routerctl -j stats has forwarded_ipv4/forwarded_ipv6 per interface" \
		"$("$ROUTERCTL" -s "$SOCK" -j stats 2>&1 | head -c 600)"
fi
k4=$(kfwd4 "$R") k6=$(kfwd6 "$R")

e2e_check_ping "routerd: $N IPv4 pings h1 -> h2" "$H1" 198.18.2.2 "$N" 0.002
e2e_check_ping "routerd: $N IPv6 pings h1 -> h2" "$H1" 2001:db8:2::2 "$N" 0.002

d4=$(($(rd_counter "$SOCK" forwarded_ipv4) - f4))
d6=$(($(rd_counter "$SOCK" forwarded_ipv6) - f6))
e2e_diag "routerd forwarded $d4 IPv4 and $d6 IPv6 packets; kernel forwarded" \
	"$(($(kfwd4 "$R") - k4)) IPv4 and $(($(kfwd6 "$R") - k6)) IPv6"
# requests come in on eth0, replies on eth1: both directions in XDP
tap_cmp "routerd: forwarded_ipv4 counts requests and replies" "$d4" -ge $((2 * N))
tap_cmp "routerd: forwarded_ipv6 counts requests and replies" "$d6" -ge $((2 * N))
tap_cmp "routerd: eth0 forwarded_ipv4 (echo requests)" \
	$(($(rd_counter "$SOCK" forwarded_ipv4 eth0) - f4_0)) -ge "$N"
tap_cmp "routerd: eth1 forwarded_ipv4 (echo replies)" \
	$(($(rd_counter "$SOCK" forwarded_ipv4 eth1) - f4_1)) -ge "$N"
tap_cmp "routerd: eth0 forwarded_ipv6 (echo requests)" \
	$(($(rd_counter "$SOCK" forwarded_ipv6 eth0) - f6_0)) -ge "$N"
tap_cmp "routerd: eth1 forwarded_ipv6 (echo replies)" \
	$(($(rd_counter "$SOCK" forwarded_ipv6 eth1) - f6_1)) -ge "$N"
# fewer than 5% of the 2N packets that crossed r went through the kernel
tap_cmp "routerd: r's kernel IpForwDatagrams grew by < 5% of the packets" \
	$(($(kfwd4 "$R") - k4)) -lt $((2 * N * 5 / 100))
tap_cmp "routerd: r's kernel Ip6OutForwDatagrams grew by < 5% of the packets" \
	$(($(kfwd6 "$R") - k6)) -lt $((2 * N * 5 / 100))

# --- TCP through XDP: 32 MiB each way, checked end to end -----------------
for dst in 198.18.2.2 2001:db8:2::2; do
	fam=ipv4 kf=kfwd4
	[[ $dst == *:* ]] && fam=ipv6 kf=kfwd6
	ip netns exec "$H2" /usr/bin/python3 "$E2E_DIR/tcp_xfer.py" serve 5201 \
		>"$E2E_TMP/rx" 2>"$E2E_TMP/rx.err" &
	srv=$!
	E2E_PIDS+=("$srv")
	if ! e2e_wait_listen "$H2" 5201; then
		e2e_fail "TCP over $fam: receiver listens on h2" "$(cat "$E2E_TMP/rx.err")"
		continue
	fi
	f=$(rd_counter "$SOCK" "forwarded_$fam") k=$($kf "$R")
	tx=$(timeout 40 ip netns exec "$H1" /usr/bin/python3 "$E2E_DIR/tcp_xfer.py" send \
		"$dst" 5201 "$TCP_BYTES" 2>"$E2E_TMP/tx.err")
	timeout 10 tail --pid="$srv" -f /dev/null
	rx=$(cat "$E2E_TMP/rx")
	if [ -n "$tx" ] && [ "$tx" = "$rx" ] && [ "${tx%% *}" -eq "$TCP_BYTES" ]; then
		tap_ok "TCP over $fam: $TCP_BYTES bytes h1 -> h2 arrived intact (sha256 ${tx#* })"
	else
		e2e_fail "TCP over $fam: $TCP_BYTES bytes h1 -> h2 arrive intact" \
			"sent: ${tx:-nothing} $(head -c 300 "$E2E_TMP/tx.err")" \
			"received: ${rx:-nothing} $(head -c 300 "$E2E_TMP/rx.err")"
	fi
	df=$(($(rd_counter "$SOCK" "forwarded_$fam") - f)) dk=$(($($kf "$R") - k))
	# 32 MiB is > 22000 full-size segments one way, plus the ACKs back
	tap_cmp "TCP over $fam: routerd forwarded the segments" "$df" -ge $((TCP_BYTES / 1500))
	tap_cmp "TCP over $fam: kernel forwarded < 5% of what routerd did" \
		"$dk" -lt $((df * 5 / 100))
done

tap_check "routerd still answers routerctl status" "$ROUTERCTL" -s "$SOCK" status
tap_done
