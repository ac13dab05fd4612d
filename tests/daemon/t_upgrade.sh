#!/usr/bin/env bash
# A new build replaces the running program atomically: routerd finds a
# pinned XDP link whose program is not its own (an older build) and swaps
# its program in with bpf_link_update(): the same link, never detached, no
# packet lost. The stand-in old build hands frames to the kernel, so
# traffic flows before (kernel) and after (XDP) the swap.
. "$(dirname "${BASH_SOURCE[0]}")/../e2e/common.sh"
e2e_init

STUB=$RD_BUILD_DIR/tests/daemon/upgrade_stub.bpf.o
PIN_LINK=$RD_BUILD_DIR/tests/daemon/pin_xdp_link
[ -f "$STUB" ] && [ -x "$PIN_LINK" ] || e2e_bail "test helpers built" "missing $STUB or $PIN_LINK"
P=rdup$$
H1=$P-h1 R=$P-r
SOCK=$(lab_sock "$P" r) PIN=$(lab_pin_dir "$P" r)
e2e_lab basic "$P"
mkdir -p "$PIN"

declare -A link_id old_prog
for dev in eth0 eth1; do
	ifindex=$(ip -n "$R" -j link show "$dev" | jq -r '.[0].ifindex')
	link_id[$dev]=$(nsenter --net="/run/netns/$R" "$PIN_LINK" "$STUB" "$dev" "$PIN/xdp_link_$ifindex") ||
		e2e_bail "the old build's program is attached to $dev"
	old_prog[$dev]=$(xdp_id "$R" "$dev")
done
e2e_ping "$H1" 198.18.2.2 2 0.1 >/dev/null
ip netns exec "$H1" ping -n -q -c 300 -i 0.01 -W 1 198.18.2.2 >"$E2E_TMP/ping" 2>&1 &
E2E_PIDS+=("$!"); pp=$!
sleep 0.5
rd_start "$R" "$SOCK" "$PIN" eth0 eth1 || e2e_bail "routerd starts over the old build"
E2E_PIDS+=("$RD_PID")
wait $pp
read -r tx rx <<<"$(e2e_ping_parse "$(cat "$E2E_TMP/ping")")"
tap_cmp "no ping lost while the program is replaced ($rx/$tx)" "$rx" -eq 300
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
f0=$(rd_counter "$SOCK" forwarded_ipv4)
e2e_ping "$H1" 198.18.2.2 50 0.01 >/dev/null
tap_cmp "after the swap, traffic is forwarded in XDP" $(($(rd_counter "$SOCK" forwarded_ipv4) - f0)) -ge 50
tap_done
