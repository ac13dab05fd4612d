#!/usr/bin/env bash
# Traffic control keeps its say (routerd/daemon/tc.c): lab basic (h1 -- r -- h2),
# kernel only and with routerd on r. Shapers (tbf, htb) on r's egress hold
# a TCP flow to their rate in both modes; a shaper added and removed while
# a flow runs makes XDP leave and come back within a second; tc filters
# (u32 with a mirred mirror, the one action this kernel has) on the egress
# (clsact) and on the ingress (ingress qdisc) see every packet in both
# modes; and the kernel's default qdiscs, or a hook qdisc without filters,
# leave the traffic in XDP.
set -uo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../integration/lib.sh"
# shellcheck source=tests/tc/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

RATE=20000 # kbit/s
SECS=${TC_SECS:-2}
N=100

rtc() { ip netns exec "$(ns r)" tc "$@"; }
rsock() { sock r; }

# Only in routerd mode: waits until routerd's status says WANT for IFACE,
# within a second of the change.
held() {
	local m=$1 iface=$2 want=$3 desc=$4 ms
	[ "$m" = routerd ] || return 0
	ms=$(tc_wait "$(rsock)" "$iface" "$want" 3)
	if [ "$ms" != timeout ] && [ "$ms" -le 1000 ]; then
		tap_ok "[routerd] $desc: status says $iface '$want' (held egress, ingress) after $ms ms"
	else
		e2e_fail "[routerd] $desc: status says $iface '$want' within 1 s" \
			"got: $(tc_status "$(rsock)" "$iface") after $ms" \
			"$("$ROUTERCTL" -s "$(rsock)" status 2>&1)"
	fi
}

# shaped MODE DESC FAMILY DST: a TCP flow h1 -> h2 through the shaper on
# r's eth1 gets the shaper's rate; with routerd, through the kernel
shaped() {
	local m=$1 desc=$2 fam=$3 dst=$4 kbit
	it_mark
	kbit=$(tc_iperf "$(ns h1)" "$(ns h2)" "$dst" "$SECS")
	it_same "$m" "$desc: TCP $fam h1 -> h2 for $SECS s" "$(tc_rate_outcome "$kbit" $RATE)" \
		"within 1.5x of the configured rate"
	e2e_diag "[$m] $desc: $kbit kbit/s for a rate of $RATE kbit/s"
	it_rd_ge "$m" "$desc" r tc 100 eth0
	it_rd_le "$m" "$desc: XDP forwarded nothing into the shaper" r "forwarded_$fam" 20 eth0
}

case_tbf() {
	local m=$1
	rtc qdisc replace dev eth1 root tbf rate ${RATE}kbit burst 32kb latency 50ms
	held "$m" eth1 "true false" "tbf on eth1"
	shaped "$m" "tbf ${RATE}kbit on eth1" ipv4 198.18.2.2
	rtc qdisc del dev eth1 root
	held "$m" eth1 "false false" "tbf removed from eth1"
}

case_htb() {
	local m=$1
	rtc qdisc replace dev eth1 root handle 1: htb default 10
	rtc class add dev eth1 parent 1: classid 1:10 htb rate ${RATE}kbit ceil ${RATE}kbit \
		quantum 1514
	held "$m" eth1 "true false" "htb on eth1"
	shaped "$m" "htb ${RATE}kbit on eth1" ipv6 2001:db8:2::2
	rtc qdisc del dev eth1 root
	held "$m" eth1 "false false" "htb removed from eth1"
}

# XDP leaves while a shaper is there and comes back once it is gone; the
# flow (pings every 50 ms) never notices.
case_live() {
	local m=$1 pf ms
	# long enough for a loaded machine; stopped (SIGINT: ping's summary)
	# once both changes were seen
	it_ping_bg pf "$(ns h1)" 198.18.2.2 15
	sleep 1
	it_mark
	rtc qdisc replace dev eth1 root handle 1: htb default 10
	rtc class add dev eth1 parent 1: classid 1:10 htb rate 100mbit quantum 1514
	if [ "$m" = routerd ]; then
		ms=$(first_ms tc)
		it_cmp "$m" "shaper added during a flow: XDP hands it to the kernel within 1 s (${ms} ms)" \
			"$ms" -le 1000
		it_mark
		sleep 0.5
		it_cmp "$m" "shaper in place: nothing forwarded in XDP into it for 0.5 s" \
			"$(it_rd r forwarded_ipv4 eth0)" -eq 0
		it_cmp "$m" "shaper in place: the flow goes through the kernel (tc)" \
			"$(it_rd r tc eth0)" -ge 5
	else
		sleep 1
	fi
	it_mark
	rtc qdisc del dev eth1 root
	if [ "$m" = routerd ]; then
		ms=$(first_ms forwarded_ipv4)
		it_cmp "$m" "shaper removed during a flow: XDP forwards again within 1 s (${ms} ms)" \
			"$ms" -le 1000
	fi
	sleep 0.5
	kill -INT "${IT_BG_PIDS[@]}" 2>/dev/null
	it_bg_wait
	it_gap_ok "$m" "pings every 50 ms while a shaper comes and goes" "$pf" 1000
}

# first_ms KEY: milliseconds from now until r's routerd counts KEY on eth0
# again since it_mark (the change was made just before); "timeout" after 3 s
first_ms() {
	local t0 now
	t0=$(date +%s%N)
	while :; do
		now=$(date +%s%N)
		if [ "$(it_rd r "$1" eth0)" -gt 0 ] 2>/dev/null; then
			echo $(((now - t0) / 1000000))
			return
		fi
		((now - t0 > 3000000000)) && { echo timeout; return; }
		sleep 0.02
	done
}

# The kernel's defaults and hook qdiscs without filters: nothing to hold.
case_defaults() {
	local m=$1 res
	rtc qdisc replace dev eth1 root pfifo_fast
	rtc qdisc add dev eth1 clsact
	rtc qdisc add dev eth0 ingress
	held "$m" eth1 "false false" "pfifo_fast root and clsact without filters on eth1"
	held "$m" eth0 "false false" "ingress qdisc without filters on eth0"
	it_warm h1 198.18.2.2
	it_mark
	res=$(e2e_ping "$(ns h1)" 198.18.2.2 $N 0.01)
	it_same "$m" "default qdiscs: $N pings h1 -> h2" "$res" "$N $N"
	it_path "$m" "default qdiscs" r ipv4 $((2 * N))
	it_rd_le "$m" "default qdiscs" r tc 0
	rtc qdisc del dev eth1 root
	rtc qdisc del dev eth1 clsact
	rtc qdisc del dev eth0 ingress
}

# A monitor port in r: what is mirrored to mon0 arrives on mon1.
mon_up() {
	ip -n "$(ns r)" link add name mon0 type veth peer name mon1 &&
		ip -n "$(ns r)" link set mon0 up && ip -n "$(ns r)" link set mon1 up
}
mon_down() { ip -n "$(ns r)" link del mon0 2>/dev/null; }

# mirrored MODE DESC: N pings h1 -> h2, all answered and all mirrored
mirrored() {
	local m=$1 desc=$2 res before
	it_warm h1 198.18.2.2
	it_mark
	before=$(tc_rx "$(ns r)" mon1)
	res=$(e2e_ping "$(ns h1)" 198.18.2.2 $N 0.01)
	it_same "$m" "$desc: $N pings h1 -> h2" "$res" "$N $N"
	it_same "$m" "$desc: the filter mirrored every request" \
		"$(( $(tc_rx "$(ns r)" mon1) - before >= N ? N : $(tc_rx "$(ns r)" mon1) - before ))" "$N"
	it_rd_ge "$m" "$desc" r tc "$N" eth0
}

case_egress_filter() {
	local m=$1
	mon_up
	rtc qdisc add dev eth1 clsact
	rtc filter add dev eth1 egress protocol ip u32 match ip dst 198.18.2.2/32 \
		action mirred egress mirror dev mon0
	held "$m" eth1 "true false" "u32 filter on eth1's clsact egress"
	mirrored "$m" "u32 egress filter on eth1"
	rtc filter del dev eth1 egress
	held "$m" eth1 "false false" "egress filter deleted (clsact stays)"
	rtc qdisc del dev eth1 clsact
	mon_down
}

case_ingress_filter() {
	local m=$1
	mon_up
	rtc qdisc add dev eth0 ingress
	rtc filter add dev eth0 parent ffff: protocol ip u32 match ip dst 198.18.2.2/32 \
		action mirred egress mirror dev mon0
	held "$m" eth0 "false true" "u32 filter on eth0's ingress qdisc"
	mirrored "$m" "u32 ingress filter on eth0"
	# the qdisc goes with its filters: one notification for all of them
	rtc qdisc del dev eth0 ingress
	held "$m" eth0 "false false" "ingress qdisc (and its filter) deleted"
	mon_down
}

# `interface NAME tc bypass`: XDP forwards past the shaper as asked; the
# same config with `tc hold` and a reload: held. routerd only (a restart
# with a config file); the kernel has nothing to bypass.
case_bypass() {
	local m=$1 conf=$E2E_TMP/tc.conf res
	[ "$m" = routerd ] || return 0
	rd_stop "${IT_RD_PID[r]}"
	printf 'interface eth0\ninterface eth1 tc bypass\n' >"$conf"
	if rd_start "$(ns r)" "$(sock r)" "$(lab_pin_dir "$IT_P" r)" -- -c "$conf" \
		2>"$E2E_TMP/start.err"; then
		E2E_PIDS+=("$RD_PID")
		IT_RD_PID[r]=$RD_PID
		tap_ok "[routerd] routerd restarts with 'interface eth1 tc bypass'"
	else
		e2e_fail "[routerd] routerd restarts with 'interface eth1 tc bypass'" \
			"$(cat "$E2E_TMP/start.err")"
		return
	fi
	rtc qdisc replace dev eth1 root tbf rate ${RATE}kbit burst 32kb latency 50ms
	sleep 0.3
	held "$m" eth1 "false false" "tbf on eth1 with tc bypass"
	"$ROUTERCTL" -s "$(rsock)" status | grep -q "eth1 .*tc: bypassed (qdisc tbf)" &&
		tap_ok "[routerd] routerctl status: eth1 'tc: bypassed (qdisc tbf)'" ||
		e2e_fail "[routerd] routerctl status: eth1 'tc: bypassed (qdisc tbf)'" \
			"$("$ROUTERCTL" -s "$(rsock)" status)"
	it_warm h1 198.18.2.2
	it_mark
	res=$(e2e_ping "$(ns h1)" 198.18.2.2 $N 0.01)
	it_cmp "$m" "tc bypass: $N pings h1 -> h2 answered" "${res#* }" -eq $N
	it_path "$m" "tc bypass: XDP forwards past the tbf" r ipv4 $((2 * N))
	it_rd_le "$m" "tc bypass" r tc 0
	printf 'interface eth0\ninterface eth1 tc hold\n' >"$conf"
	"$ROUTERCTL" -s "$(rsock)" reload >/dev/null
	held "$m" eth1 "true false" "reloaded with 'tc hold'"
	"$ROUTERCTL" -s "$(rsock)" interfaces | grep -q "^eth1 .*tc: held (qdisc tbf)" &&
		tap_ok "[routerd] routerctl interfaces: eth1 'tc: held (qdisc tbf)'" ||
		e2e_fail "[routerd] routerctl interfaces: eth1 'tc: held (qdisc tbf)'" \
			"$("$ROUTERCTL" -s "$(rsock)" interfaces)"
	it_mark
	res=$(e2e_ping "$(ns h1)" 198.18.2.2 $N 0.01)
	it_rd_ge "$m" "tc hold after the reload" r tc "$N" eth0
	rtc qdisc del dev eth1 root
}

it_main basic tc case_defaults case_tbf case_htb case_live case_egress_filter case_ingress_filter \
	case_bypass
