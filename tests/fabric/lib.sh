# shellcheck shell=bash
# Shared by tests/fabric/t_fabric.sh and tests/bench/fabric.sh (not a
# suite). Builds on the FRR test helpers (tests/frr/common.sh: e2e, TAP,
# lab/lib.sh with lab/fabric.sh) and adds the fabric's failure rounds.
#
#   fab_lab P [V4 V6]          the fabric lab with a feeder, FRR running,
#                              routerd not started (the callers decide);
#                              the feeder holds V4/V6 prefixes back until
#                              fabric_feed_release
#   fab_spine_of P DST         1 or 2: the spine carrying h1's pings to DST
#   fab_round P KIND COUNT INTERVAL AT   pings h1 -> h2 (both families)
#                              during a failure of KIND at AT s, then
#                              repairs it and waits for the fabric; sets
#                              ROUND_LOST4/6, ROUND_GAP4/6 (longest gap
#                              between answers, ms), ROUND_DET (ms until
#                              l1's route to h2 changed, -1 if never) and
#                              ROUND_SPINE; ping logs in $E2E_TMP/r4, r6
#   KIND: spine (the spine carrying the pings dies: all its links fail
#   silently, only BFD notices), link (l1's link to that spine fails
#   silently), carrier (that link's switch ports go down), reset (l1 resets
#   its BGP session with that spine: `clear bgp` on the interface),
#   routerd (routerd on l1 is killed with SIGKILL; restarted after)

# shellcheck disable=SC2034 # ROUND_*: for the callers
FAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/frr/common.sh
. "$FAB_DIR/../frr/common.sh"

fab_suite_init() {
	if ! frr_installed || [ ! -x "$FRR_BIN/bfdd" ]; then
		tap_skip "$(basename "$0" .sh): fabric suite" "frr with bfdd not installed (lab/install-deps.sh)"
		tap_done
		exit 0
	fi
	e2e_init
	command -v jq >/dev/null || e2e_bail "tool jq installed" "run lab/install-deps.sh"
}

# fab_lab P [V4 V6]: with a table of V4/V6 prefixes ready in the feeder,
# its session to l1 held down until fabric_feed_release
fab_lab() {
	FABRIC_ROUTERD=0 FABRIC_FEEDER=1 FABRIC_LEAVES=2 FABRIC_FEED="${2:+$2 $3}" \
		FABRIC_FEED_HOLD=$([ -n "${2:-}" ] && echo 1 || echo 0) e2e_lab fabric "$1"
}

# fab_rd_start P [NODE...]: routerd on the routers, PIDs registered for cleanup
fab_rd_start() {
	local p=$1 node out
	shift
	local nodes=("$@")
	((${#nodes[@]})) || mapfile -t nodes < <(fabric_routers "$p")
	for node in "${nodes[@]}"; do
		out=$(fabric_rd_start "$p" "$node" 2>&1) || e2e_bail "routerd starts on $node" "$out"
		E2E_PIDS+=("$(fabric_rd_pid "$p" "$node")")
	done
}

# wire rx of the l1 -> sJ link (what l1 sent towards spine J)
fab_wire_rx() { rxp "$1-w" "l1s$2"; }

fab_spine_of() {
	local p=$1 a0 b0 a b
	a0=$(fab_wire_rx "$p" 1) b0=$(fab_wire_rx "$p" 2)
	e2e_ping "$p-h1" "$2" 40 0.005 >/dev/null
	a=$(($(fab_wire_rx "$p" 1) - a0)) b=$(($(fab_wire_rx "$p" 2) - b0))
	if [ "$a" -ge 40 ] && [ "$b" -lt 40 ]; then echo 1
	elif [ "$b" -ge 40 ] && [ "$a" -lt 40 ]; then echo 2
	else echo "?"; fi
}

# max_gap FILE: longest time (ms) between two answers in ping -D output
fab_max_gap() {
	awk -F'[][]' '/icmp_seq=/ { t = $2 * 1000; if (p && t - p > g) g = t - p; p = t }
		END { printf "%d\n", g }' "$1"
}

# one path left in NS's route to DST
_fab_one_path() {
	local out fam=-4
	[[ $2 == *:* ]] && fam=-6
	out=$(ip -n "$1" "$fam" route show "$2" 2>/dev/null)
	[ -n "$out" ] && ! grep -q nexthop <<<"$out"
}

_fab_break() { # P KIND SPINE
	local p=$1 s=$3
	case $2 in
	spine) fabric_spine_down "$p" "$s" ;;
	link) fabric_link_down "$p" 1 "$s" silent ;;
	carrier) fabric_link_down "$p" 1 "$s" carrier ;;
	reset) frr_vtysh "$p" l1 -c "clear bgp eth$s" >/dev/null ;;
	routerd) kill -KILL "$(fabric_rd_pid "$p" l1)" ;;
	esac
}

_fab_repair() { # P KIND SPINE
	local p=$1 s=$3
	case $2 in
	spine) fabric_spine_up "$p" "$s" ;;
	link) fabric_link_up "$p" 1 "$s" silent ;;
	carrier) fabric_link_up "$p" 1 "$s" carrier ;;
	routerd) fab_rd_start "$p" l1 ;;
	esac
}

fab_round() {
	local p=$1 kind=$2 count=$3 iv=$4 at=$5 p4 p6 t0 now tx rx
	ROUND_SPINE=$(fab_spine_of "$p" 198.18.2.2)
	[ "$ROUND_SPINE" = "?" ] && ROUND_SPINE=1
	ip netns exec "$p-h1" ping -D -n -i "$iv" -c "$count" -W 1 198.18.2.2 >"$E2E_TMP/r4" 2>&1 &
	p4=$!
	ip netns exec "$p-h1" ping -D -n -i "$iv" -c "$count" -W 1 2001:db8:2::2 >"$E2E_TMP/r6" 2>&1 &
	p6=$!
	E2E_PIDS+=("$p4" "$p6")
	sleep "$at"
	t0=$(date +%s%N)
	_fab_break "$p" "$kind" "$ROUND_SPINE"
	ROUND_DET=-1
	# detection: l1's route to h2 down to the other spine (not for a
	# killed routerd: FRR sees nothing)
	if [ "$kind" != routerd ]; then
		while :; do
			now=$(date +%s%N)
			if _fab_one_path "$p-l1" 198.18.2.0/24; then ROUND_DET=$(((now - t0) / 1000000)); break; fi
			((now - t0 > 8000000000)) && break
			sleep 0.002
		done
	fi
	wait "$p4" "$p6"
	read -r tx rx <<<"$(e2e_ping_parse "$(cat "$E2E_TMP/r4")")"
	ROUND_LOST4=$((tx - rx))
	read -r tx rx <<<"$(e2e_ping_parse "$(cat "$E2E_TMP/r6")")"
	ROUND_LOST6=$((tx - rx))
	ROUND_GAP4=$(fab_max_gap "$E2E_TMP/r4") ROUND_GAP6=$(fab_max_gap "$E2E_TMP/r6")
	_fab_repair "$p" "$kind" "$ROUND_SPINE"
	fabric_wait_converged "$p" 60 ||
		e2e_bail "the fabric converges again after the $kind round" "$(frr_vtysh "$p" l1 -c 'show bgp summary' -c 'show bfd peers brief' 2>&1)"
	# neighbours of the restored path resolved before the next round
	e2e_ping "$p-h1" 198.18.2.2 4 0.02 >/dev/null
	e2e_ping "$p-h1" 2001:db8:2::2 4 0.02 >/dev/null
}
