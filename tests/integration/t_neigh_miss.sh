#!/usr/bin/env bash
# Integration: a burst towards a neighbour r has not resolved (lab basic,
# kernel only and with routerd on r). r's neighbour entries for h2 are
# flushed, then h1 sends a burst to h2: UDP datagrams back to back, then
# pings with 30 in flight. No packet may be lost in either mode: the kernel
# queues the first ones while it resolves h2 and sends them on. With
# routerd, the first packets are handed to the kernel (pass_reasons
# no_neigh, and r's kernel forwarding counter grows by as many) and, once
# the kernel has resolved h2, the rest go through XDP (forwarded_ipv4/6).
# On veth a neighbour resolves within the sender's own system call, so only
# the first packet of a plain burst meets the unresolved entry; the slow
# case makes resolution take 100-150 ms (the destination address appears on h2
# only then; r solicits every 50 ms) while a paced stream (5 every 5 ms) runs, so
# that dozens of packets wait in the kernel's queue while XDP sees the
# entry unresolved, then XDP takes over.
set -uo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

BURST=${IT_BURST:-400}

# r solicits every 50 ms, up to 20 times, and may queue 4 MiB meanwhile
# (the same in both modes)
it_setup() {
	local f
	for f in ipv4 ipv6; do
		ip netns exec "$(ns r)" sysctl -qw "net.$f.neigh.eth1.retrans_time_ms=50" \
			"net.$f.neigh.eth1.mcast_solicit=20" "net.$f.neigh.eth1.unres_qlen_bytes=4194304" ||
			return 1
	done
}

# neigh_state NODE DEV ADDR: the entry's state ("none" when there is none)
neigh_state() {
	local s
	s=$(ip -n "$(ns "$1")" -j neigh show dev "$2" to "$3" | jq -r '.[0].state[0] // empty')
	echo "${s:-none}"
}

# flush NODE DEV FAMILY ADDR: flush DEV's entries of FAMILY, check ADDR is gone
flush() {
	ip -n "$(ns "$1")" "-${3#ipv}" neigh flush dev "$2"
	case $(neigh_state "$1" "$2" "$4") in
	none | FAILED | INCOMPLETE) return 0 ;;
	*) echo "$4 still in $1's neighbour table: $(ip -n "$(ns "$1")" neigh show dev "$2" to "$4")"; return 1 ;;
	esac
}

# after MODE DESC FAMILY COUNT: the counters once COUNT packets of FAMILY
# went h1 -> h2 through a flushed neighbour entry
after() {
	local m=$1 desc=$2 fam=$3 cnt=$4 nn fw kf
	kf=$(it_k r "$(kfwd_name "$fam")")
	if [ "$m" = kernel ]; then
		tap_cmp "[kernel] $desc: r's kernel forwarded them ($(kfwd_name "$fam"))" "$kf" -ge "$cnt"
		return
	fi
	nn=$(it_rd r no_neigh eth0) fw=$(it_rd r "forwarded_$fam" eth0)
	e2e_diag "[routerd] $desc: $nn handed to the kernel (no_neigh), $fw forwarded in XDP"
	tap_cmp "[routerd] $desc: the first went to the kernel (no_neigh on eth0)" "$nn" -ge 1
	tap_cmp "[routerd] $desc: the later ones went through XDP (forwarded_$fam on eth0)" "$fw" -ge $((cnt / 2))
	tap_cmp "[routerd] $desc: no_neigh + forwarded_$fam account for all of them" $((nn + fw)) -ge "$cnt"
	tap_cmp "[routerd] $desc: r's kernel forwarded exactly the no_neigh ones ($(kfwd_name "$fam"))" \
		"$kf" -le "$nn"
}

case_udp_burst() {
	local m=$1 fam dst srv port=7100 out
	for fam in ipv4 ipv6; do
		dst=198.18.2.2 && [ "$fam" = ipv6 ] && dst=2001:db8:2::2
		port=$((port + 1))
		it_udp_recv srv "$port" "$BURST"
		tap_check "[$m] UDP $fam: r's neighbour entry for h2 flushed" flush r eth1 "$fam" "$dst"
		it_mark
		timeout 30 ip netns exec "$(ns h1)" "$PY" "$IT_DIR/udp_flow.py" send "$dst" "$port" "$BURST"
		timeout 15 tail --pid="$srv" -f /dev/null
		wait "$srv" 2>/dev/null
		out=$(cat "$IT_UDP_OUT")
		it_same "$m" "UDP $fam: burst of $BURST datagrams h1 -> h2 through a flushed neighbour" \
			"$(udp_outcome "$out")" \
			"$BURST received, $BURST distinct, 0 corrupt, 0 out of order"
		it_same "$m" "UDP $fam: r's neighbour entry for h2 afterwards" \
			"$(neigh_state r eth1 "$dst")" REACHABLE
		after "$m" "UDP $fam burst" "$fam" "$BURST"
	done
}

case_ping_burst() {
	local m=$1 fam dst res tx rx n=200
	for fam in ipv4 ipv6; do
		dst=198.18.2.2 && [ "$fam" = ipv6 ] && dst=2001:db8:2::2
		tap_check "[$m] ping $fam: r's neighbour entry for h2 flushed" flush r eth1 "$fam" "$dst"
		it_mark
		res=$(timeout 20 ip netns exec "$(ns h1)" ping -q -n -c "$n" -l 30 -i 0.002 -W 1 "$dst" 2>&1)
		read -r tx rx <<<"$(e2e_ping_parse "$res")"
		it_same "$m" "ping $fam: $n echo requests (30 in flight) through a flushed neighbour" \
			"$rx/$tx answered" "$n/$n answered"
		after "$m" "ping $fam burst" "$fam" "$n"
	done
}
# a paced stream to an address that h2 only gets 100 ms after the stream began
# a stream to an address h2 only takes 100 ms after the stream began
case_slow_resolution() {
	local m=$1 fam dst srv snd port=7200 out i=30 n=$BURST nn fw kf
	for fam in ipv4 ipv6; do
		i=$((i + 1)) port=$((port + 1))
		dst=198.18.2.$i && [ "$fam" = ipv6 ] && dst=2001:db8:2::$i
		it_udp_recv srv "$port" "$n"
		it_mark
		# 5 datagrams every 5 ms: ~0.4-0.6 s
		ip netns exec "$(ns h1)" "$PY" "$IT_DIR/udp_flow.py" send "$dst" "$port" "$n" 5 5 &
		snd=$!
		E2E_PIDS+=("$snd")
		# the stream has begun once r solicits h2 (INCOMPLETE); 100 ms on
		for _ in $(seq 100); do
			[ "$(neigh_state r eth1 "$dst")" = INCOMPLETE ] && break
			sleep 0.02
		done
		sleep 0.1
		if [ "$fam" = ipv4 ]; then
			ip -n "$(ns h2)" addr add "$dst/24" dev eth0
		else
			ip -n "$(ns h2)" -6 addr add "$dst/64" dev eth0 nodad
		fi
		timeout 15 tail --pid="$snd" -f /dev/null
		timeout 15 tail --pid="$srv" -f /dev/null
		wait "$srv" "$snd" 2>/dev/null
		out=$(cat "$IT_UDP_OUT")
		it_same "$m" "UDP $fam: $n datagrams paced h1 -> h2 while r resolves h2 for 100+ ms" \
			"$(udp_outcome "$out")" \
			"$n received, $n distinct, 0 corrupt, 0 out of order"
		kf=$(it_k r "$(kfwd_name "$fam")")
		if [ "$m" = kernel ]; then
			tap_cmp "[kernel] UDP $fam slow resolution: r's kernel forwarded them" "$kf" -ge "$n"
			continue
		fi
		nn=$(it_rd r no_neigh eth0) fw=$(it_rd r "forwarded_$fam" eth0)
		e2e_diag "[routerd] UDP $fam slow resolution: $nn handed to the kernel (no_neigh), $fw forwarded in XDP"
		tap_cmp "[routerd] UDP $fam slow resolution: those sent while unresolved went to the kernel (no_neigh)" \
			"$nn" -ge 10
		tap_cmp "[routerd] UDP $fam slow resolution: the rest went through XDP (forwarded_$fam)" \
			"$fw" -ge $((n / 8))
		tap_cmp "[routerd] UDP $fam slow resolution: no_neigh + forwarded account for all" \
			$((nn + fw)) -ge "$n"
		tap_cmp "[routerd] UDP $fam slow resolution: r's kernel forwarded the no_neigh ones" \
			"$kf" -le "$nn"
	done
}

it_main basic nm case_udp_burst case_ping_burst case_slow_resolution
