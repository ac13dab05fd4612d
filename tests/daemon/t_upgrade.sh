#!/usr/bin/env bash
# A new build replaces the running program atomically: routerd finds a
# pinned XDP link whose program is not its own (an older build) and swaps
# its program in with bpf_link_update(): the same link, never detached, no
# packet lost. The stand-in old build hands frames to the kernel, so
# traffic flows before (kernel) and after (XDP) the swap.
#
# One exception (issue 20): a build from before multi-buffer support, on a
# veth. The kernel caps the veth peer's MTU (~3506 bytes) when a plain
# program is first attached and keeps that cap across bpf_link_update(),
# so routerd detaches such a link and attaches anew (the kernel forwards
# in between), after which the peer takes a jumbo MTU.
. "$(dirname "${BASH_SOURCE[0]}")/../e2e/common.sh"
e2e_init

STUB_FRAGS=$RD_BUILD_DIR/tests/daemon/upgrade_stub_frags.bpf.o
STUB_PLAIN=$RD_BUILD_DIR/tests/daemon/upgrade_stub.bpf.o
PIN_LINK=$RD_BUILD_DIR/tests/daemon/pin_xdp_link
[ -f "$STUB_FRAGS" ] && [ -f "$STUB_PLAIN" ] && [ -x "$PIN_LINK" ] ||
	e2e_bail "test helpers built" "missing $STUB_FRAGS, $STUB_PLAIN or $PIN_LINK"

# upgrade TAG STUB: a lab whose r runs STUB on pinned links, then routerd
# starts over it while h1 pings h2. Sets P, R, SOCK; the ping result in
# TX/RX; link ids in link_id, the old program ids in old_prog.
declare -A link_id old_prog
upgrade() {
	local stub=$2 dev ifindex pp
	P=rdup$1$$
	H1=$P-h1 R=$P-r
	SOCK=$(lab_sock "$P" r) PIN=$(lab_pin_dir "$P" r)
	e2e_lab basic "$P"
	mkdir -p "$PIN"
	for dev in eth0 eth1; do
		ifindex=$(ip -n "$R" -j link show "$dev" | jq -r '.[0].ifindex')
		link_id[$dev]=$(nsenter --net="/run/netns/$R" "$PIN_LINK" "$stub" "$dev" "$PIN/xdp_link_$ifindex") ||
			e2e_bail "the old build's program is attached to $dev"
		old_prog[$dev]=$(xdp_id "$R" "$dev")
	done
	[ "$stub" = "$STUB_PLAIN" ] && peer_mtu no "the plain old build caps the MTU of eth1's peer"
	e2e_ping "$H1" 198.18.2.2 2 0.1 >/dev/null
	ip netns exec "$H1" ping -n -q -c 300 -i 0.01 -W 1 198.18.2.2 >"$E2E_TMP/ping" 2>&1 &
	E2E_PIDS+=("$!")
	pp=$!
	sleep 0.5
	rd_start "$R" "$SOCK" "$PIN" eth0 eth1 || e2e_bail "routerd starts over the old build"
	E2E_PIDS+=("$RD_PID")
	wait $pp
	read -r TX RX <<<"$(e2e_ping_parse "$(cat "$E2E_TMP/ping")")"
}

# peer_mtu WANT DESC: h2's eth0 (the peer of r's eth1) takes MTU 5000 (WANT
# yes) or is refused it (WANT no)
peer_mtu() {
	local out
	if out=$(ip -n "$P-h2" link set eth0 mtu 5000 2>&1); then
		ip -n "$P-h2" link set eth0 mtu 1500
		[ "$1" = yes ] && tap_ok "$2 (5000 set)" || e2e_fail "$2" "h2's eth0 took MTU 5000"
	else
		[ "$1" = no ] && tap_ok "$2 (5000 refused)" || e2e_fail "$2" "$out"
	fi
}

forwarded_in_xdp() {
	local f0
	f0=$(rd_counter "$SOCK" forwarded_ipv4)
	e2e_ping "$H1" 198.18.2.2 50 0.01 >/dev/null
	tap_cmp "$1: traffic is forwarded in XDP" $(($(rd_counter "$SOCK" forwarded_ipv4) - f0)) -ge 50
}

# --- an earlier multi-buffer aware build: replaced in place ----------------
upgrade mb "$STUB_FRAGS"
tap_cmp "no ping lost while the program is replaced ($RX/$TX)" "$RX" -eq 300
for dev in eth0 eth1; do
	now=$(xdp_id "$R" "$dev")
	[ -n "$now" ] && [ "$now" != "${old_prog[$dev]}" ] &&
		tap_ok "$dev runs the new program (id ${old_prog[$dev]} -> $now)" ||
		e2e_fail "$dev runs the new program" "before ${old_prog[$dev]}, now '$now'"
	ids=$(bpftool -j link show 2>/dev/null | jq -r --arg p "$now" '.[] | select(.prog_id == ($p | tonumber)) | .id' | tr '\n' ' ')
	[[ " $ids " == *" ${link_id[$dev]} "* ]] &&
		tap_ok "$dev: the same link (id ${link_id[$dev]}) carries it: never detached" ||
		e2e_fail "$dev: the same link carries it" "links with the new program: $ids; old link ${link_id[$dev]}"
done
grep -q "replaced the program on ifindex .* atomically" "$(lab_log "$P" r)" &&
	tap_ok "routerd logs the atomic replacement" ||
	e2e_fail "routerd logs the atomic replacement" "$(tail -5 "$(lab_log "$P" r)")"
peer_mtu yes "after the swap, eth1's peer takes a jumbo MTU"
forwarded_in_xdp "after the swap"
rd_stop "$RD_PID"
lab_down "$P" >/dev/null 2>&1

# --- a build from before multi-buffer support: re-attached -----------------
upgrade pl "$STUB_PLAIN"
e2e_diag "pings while the plain build was re-attached: $RX/$TX answered"
tap_cmp "almost no ping lost while the link is re-attached ($RX/$TX)" "$RX" -ge 285
peer_cap_log=$(grep -c "without multi-buffer support.*detaching it and attaching anew" "$(lab_log "$P" r)")
tap_cmp "routerd logs why it re-attaches, for each interface" "$peer_cap_log" -eq 2
for dev in eth0 eth1; do
	now=$(xdp_id "$R" "$dev")
	[ -n "$now" ] && [ "$now" != "${old_prog[$dev]}" ] &&
		tap_ok "$dev runs the new program (id ${old_prog[$dev]} -> $now)" ||
		e2e_fail "$dev runs the new program" "before ${old_prog[$dev]}, now '$now'"
done
peer_mtu yes "after the re-attach, eth1's peer takes a jumbo MTU"
forwarded_in_xdp "after the re-attach"
tap_done
