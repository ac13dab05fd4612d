#!/usr/bin/env bash
# Integration: IPv4 and IPv6 forwarding of ICMP, UDP and TCP through r (lab
# basic, h1 -- r -- h2), kernel only and with routerd on r. The hosts must
# see the same thing in both modes (every echo answered, every datagram
# delivered intact, the TCP stream intact); r's kernel forwarding counters
# must grow without routerd and barely move (< 5%) with it, while routerd's
# forwarded_* counters account for the packets.
set -uo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PINGS=${IT_PINGS:-500}
DGRAMS=${IT_DGRAMS:-3000}
TCP_BYTES=${IT_TCP_BYTES:-$((16 * 1024 * 1024))}

fams() { echo "ipv4:198.18.2.2 ipv6:2001:db8:2::2"; }

case_icmp() {
	local m=$1 f fam dst res tx rx
	for f in $(fams); do
		fam=${f%%:*} dst=${f#*:}
		it_mark
		res=$(e2e_ping "$(ns h1)" "$dst" "$PINGS" 0.002)
		read -r tx rx <<<"$res"
		it_same "$m" "ICMP $fam: $PINGS echo requests h1 -> h2" "$rx/$tx answered" "$PINGS/$PINGS answered"
		# requests in on eth0, replies in on eth1
		it_path "$m" "ICMP $fam" r "$fam" $((2 * PINGS))
	done
}

case_udp() {
	local m=$1 f fam dst srv out port=7000
	for f in $(fams); do
		fam=${f%%:*} dst=${f#*:}
		port=$((port + 1))
		it_udp_recv srv "$port" "$DGRAMS"
		it_mark
		# 50 back to back, 1 ms pause: ~30k datagrams/s
		timeout 30 ip netns exec "$(ns h1)" "$PY" "$IT_DIR/udp_flow.py" send "$dst" "$port" \
			"$DGRAMS" 50 1
		timeout 15 tail --pid="$srv" -f /dev/null
		wait "$srv" 2>/dev/null
		out=$(cat "$IT_UDP_OUT")
		it_same "$m" "UDP $fam: $DGRAMS datagrams h1 -> h2" \
			"$(udp_outcome "$out")" \
			"$DGRAMS received, $DGRAMS distinct, 0 corrupt, 0 out of order"
		it_path "$m" "UDP $fam" r "$fam" "$DGRAMS" eth0
	done
}

# TCP both ways: from h1 to h2 (segments enter r on eth0) and back (eth1)
case_tcp() {
	local m=$1 f fam src dst addr in srv tx rx segs what
	for f in "ipv4 h1 h2 198.18.2.2 eth0" "ipv6 h1 h2 2001:db8:2::2 eth0" \
		"ipv4 h2 h1 198.18.1.2 eth1" "ipv6 h2 h1 2001:db8:1::2 eth1"; do
		read -r fam src dst addr in <<<"$f"
		what="TCP $fam $src -> $dst"
		ip netns exec "$(ns "$dst")" "$PY" "$E2E_DIR/tcp_xfer.py" serve 5201 \
			>"$E2E_TMP/rx" 2>"$E2E_TMP/rx.err" &
		srv=$!
		E2E_PIDS+=("$srv")
		e2e_wait_listen "$(ns "$dst")" 5201
		it_mark
		tx=$(timeout 40 ip netns exec "$(ns "$src")" "$PY" "$E2E_DIR/tcp_xfer.py" send \
			"$addr" 5201 "$TCP_BYTES" 2>"$E2E_TMP/tx.err")
		timeout 10 tail --pid="$srv" -f /dev/null
		wait "$srv" 2>/dev/null
		rx=$(cat "$E2E_TMP/rx")
		if [ -n "$tx" ] && [ "$tx" = "$rx" ]; then
			it_same "$m" "$what: $TCP_BYTES bytes" "intact (${tx%% *} bytes, same sha256)" \
				"intact ($TCP_BYTES bytes, same sha256)"
		else
			it_same "$m" "$what: $TCP_BYTES bytes" "sent '${tx:-nothing}' received '${rx:-nothing}'" \
				"intact ($TCP_BYTES bytes, same sha256)"
			e2e_diag "$(head -c 300 "$E2E_TMP/tx.err")" "$(head -c 300 "$E2E_TMP/rx.err")"
		fi
		# full-size segments one way; the kernel counts a GRO super-packet
		# once, so without routerd its counter grows by fewer than segs
		segs=$((TCP_BYTES / 1500))
		if [ "$m" = kernel ]; then
			it_path "$m" "$what" r "$fam" $((segs / 64))
			it_cmp "$m" "$what: r received the segments ($in rx packets)" \
				"$(it_rxd r "$in")" -ge "$segs"
		else
			it_path "$m" "$what" r "$fam" "$segs" "$in"
		fi
	done
}

it_main basic fw case_icmp case_udp case_tcp
