#!/usr/bin/env bash
# Protocol fix-ups end to end (docs/fixups.md): h1 sends, with scapy, IPv4
# packets in IPv6-typed frames (and the reverse) to h2 through r. With the
# fix-up on r's ingress, h2 receives every one intact and the fix-up counter
# equals the count; invalid candidates are counted and not touched; with the
# fix-ups off (SIGHUP reload) nothing arrives. MSS clamping is read back from
# the MSS h2's TCP server ends up with.
. "$(dirname "${BASH_SOURCE[0]}")/../e2e/common.sh"
e2e_init

P=rdfx$$
TRAFFIC=$RD_ROOT/tests/fixups/fixup_traffic.py
PY=/usr/bin/python3 # Debian's, which sees python3-scapy
H1=$P-h1 R=$P-r H2=$P-h2
SOCK=$(lab_sock "$P" r) PIN=$(lab_pin_dir "$P" r) CONF=$E2E_TMP/routerd.conf
N=200

e2e_lab basic "$P"
"$PY" -c 'import scapy' 2>/dev/null || e2e_bail "python3-scapy available" "run lab/install-deps.sh"
cat >"$CONF" <<CONF
interface eth0 fixups ipv4-in-ipv6,ipv6-in-ipv4,mss-clamp=1400
interface eth1
CONF
rd_start "$R" "$SOCK" "$PIN" -- -c "$CONF" || e2e_bail "routerd starts with fix-ups"
E2E_PIDS+=("$RD_PID")
RMAC=$(ip -n "$R" -j link show eth0 | jq -r '.[0].address')
# resolve the neighbours both ways, so the test traffic takes the fast path
e2e_ping "$H1" 198.18.2.2 2 0.1 >/dev/null
e2e_ping "$H1" 2001:db8:2::2 2 0.1 >/dev/null

# send_and_count KIND FAMILY SRC DST COUNT: prints how many h2 received
send_and_count() {
	local out=$E2E_TMP/recv.$RANDOM port=$((20000 + RANDOM % 10000)) i
	ip netns exec "$H2" "$PY" "$TRAFFIC" recv "$2" "$port" 8 >"$out" &
	E2E_PIDS+=("$!")
	for i in $(seq 50); do grep -q ready "$out" && break; sleep 0.1; done
	ip netns exec "$H1" "$PY" "$TRAFFIC" send "$1" eth0 "$RMAC" "$3" "$4" "$port" "$5"
	wait "${E2E_PIDS[-1]}"
	tail -n 1 "$out"
}

counter() { rd_counter "$SOCK" "$1" eth0; }
reason() {
	"$ROUTERCTL" -s "$SOCK" -j stats | jq -r --arg k "$1" '.interfaces[] | select(.name == "eth0") | .pass_reasons[$k]'
}

# server_mss: the TCP_MAXSEG h2's server ends up with for a connection from h1
server_mss() {
	local out=$E2E_TMP/mss.$RANDOM port=$((30000 + RANDOM % 10000)) i
	ip netns exec "$H2" "$PY" "$TRAFFIC" mss-server 198.18.2.2 "$port" >"$out" &
	E2E_PIDS+=("$!")
	for i in $(seq 50); do grep -q ready "$out" && break; sleep 0.1; done
	ip netns exec "$H1" "$PY" "$TRAFFIC" mss-client 198.18.2.2 "$port"
	wait "${E2E_PIDS[-1]}"
	tail -n 1 "$out"
}

# --- fix-ups on
f0=$(counter fixup_ipv4_in_ipv6) fw0=$(counter forwarded_ipv4)
got=$(send_and_count v4-in-v6 4 198.18.1.2 198.18.2.2 $N)
tap_cmp "ipv4-in-ipv6 on: h2 receives every IPv4 packet sent in 0x86DD frames" "$got" -eq $N
tap_cmp "ipv4-in-ipv6 on: fixup_ipv4_in_ipv6 equals the count" "$(($(counter fixup_ipv4_in_ipv6) - f0))" -eq $N
tap_cmp "ipv4-in-ipv6 on: the repaired packets were forwarded in XDP" "$(($(counter forwarded_ipv4) - fw0))" -ge $N

f0=$(counter fixup_ipv6_in_ipv4) fw0=$(counter forwarded_ipv6)
got=$(send_and_count v6-in-v4 6 2001:db8:1::2 2001:db8:2::2 $N)
tap_cmp "ipv6-in-ipv4 on: h2 receives every IPv6 packet sent in 0x0800 frames" "$got" -eq $N
tap_cmp "ipv6-in-ipv4 on: fixup_ipv6_in_ipv4 equals the count" "$(($(counter fixup_ipv6_in_ipv4) - f0))" -eq $N
tap_cmp "ipv6-in-ipv4 on: the repaired packets were forwarded in XDP" "$(($(counter forwarded_ipv6) - fw0))" -ge $N

r0=$(reason fixup_rejected) f0=$(counter fixup_ipv4_in_ipv6)
got=$(send_and_count v4-in-v6-badsum 4 198.18.1.2 198.18.2.2 50)
tap_cmp "a candidate with a bad IPv4 checksum is not repaired: h2 receives none" "$got" -eq 0
tap_cmp "... and is counted as fixup_rejected" "$(($(reason fixup_rejected) - r0))" -eq 50
tap_cmp "... and not as a repair" "$(($(counter fixup_ipv4_in_ipv6) - f0))" -eq 0

m0=$(counter fixup_mss_clamp)
mss=$(server_mss)
tap_cmp "mss-clamp=1400: h2's server sees an MSS of at most 1400" "${mss:-99999}" -le 1400
tap_cmp "mss-clamp=1400: fixup_mss_clamp counted the SYN" "$(($(counter fixup_mss_clamp) - m0))" -ge 1
"$ROUTERCTL" -s "$SOCK" fixups | grep -q "eth0 .*ipv4-in-ipv6,ipv6-in-ipv4,mss-clamp=1400" &&
	tap_ok "routerctl fixups lists the enabled fix-ups" ||
	e2e_fail "routerctl fixups lists the enabled fix-ups" "$("$ROUTERCTL" -s "$SOCK" fixups 2>&1)"

# --- fix-ups off, applied with SIGHUP
printf 'interface eth0\ninterface eth1\n' >"$CONF"
kill -HUP "$RD_PID"
for i in $(seq 30); do
	"$ROUTERCTL" -s "$SOCK" -j interfaces | jq -e '.[] | select(.name == "eth0" and .fixups == "off")' >/dev/null && break
	sleep 0.1
done
f0=$(counter fixup_ipv4_in_ipv6)
got=$(send_and_count v4-in-v6 4 198.18.1.2 198.18.2.2 100)
tap_cmp "ipv4-in-ipv6 off: no IPv4-in-0x86DD packet reaches h2 (Linux drops them)" "$got" -eq 0
tap_cmp "ipv4-in-ipv6 off: nothing counted as repaired" "$(($(counter fixup_ipv4_in_ipv6) - f0))" -eq 0
got=$(send_and_count v6-in-v4 6 2001:db8:1::2 2001:db8:2::2 100)
tap_cmp "ipv6-in-ipv4 off: no IPv6-in-0x0800 packet reaches h2" "$got" -eq 0
mss=$(server_mss)
tap_cmp "mss-clamp off: h2's server sees the unclamped MSS" "${mss:-0}" -gt 1400

tap_done
