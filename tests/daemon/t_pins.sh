#!/usr/bin/env bash
# Pins removed or bpffs unmounted under a running routerd: forwarding never
# stops (routerd holds the maps and links), routerd says so and pins
# everything again as soon as it can, so a later kill -9 + restart is still
# hitless (same program, counters kept). The re-created pin dir is locked
# again, so a second routerd on it is refused; and a link detached behind
# routerd's back is noticed and attached again.
. "$(dirname "${BASH_SOURCE[0]}")/../e2e/common.sh"
e2e_init

P=rdpn$$
H1=$P-h1 R=$P-r
SOCK=$(lab_sock "$P" r)
FS=$E2E_TMP/bpffs PIN=$E2E_TMP/bpffs/routerd
LOG=$E2E_TMP/routerd.log
e2e_lab basic "$P"
mkdir -p "$FS" && mount -t bpf bpf "$FS" || e2e_bail "a private bpffs is mounted"
unmount_all() { while mountpoint -q "$FS"; do umount -l "$FS" || break; done; }
trap 'unmount_all; e2e_cleanup' EXIT

pins_complete() { # the maps and one link per interface are pinned
	[ -e "$PIN/rd_stats" ] && [ -e "$PIN/rd_ifaces" ] &&
		[ "$(ls "$PIN" 2>/dev/null | grep -c '^xdp_link_')" -eq 2 ]
}
wait_for() { local d=$((SECONDS + $1)); shift; until "$@"; do ((SECONDS >= d)) && return 1; sleep 0.1; done; }
# second_refused WHEN: another routerd on the same pin dir (own socket) is
# refused as a second instance, and the first keeps its program
second_refused() {
	local out rc
	# one that does start is stopped (SIGTERM) after 15 s
	out=$(timeout 15 nsenter --net="/run/netns/$R" "$ROUTERD" -f -i eth0 -i eth1 \
		--socket "$SOCK.2" --pin-dir "$PIN" 2>&1)
	rc=$?
	if [ $rc -ne 0 ] && [ $rc -ne 124 ] && [[ $out == *"already running with pin dir $PIN"* ]]; then
		tap_ok "$1: a second routerd on the pin dir is refused (${out##*error: })"
	else
		e2e_fail "$1: a second routerd on the pin dir is refused" "exit $rc: $out"
	fi
	tap_cmp "$1: the first keeps its program on eth0" "$(xdp_id "$R" eth0)" = "$prog"
}

RD_LOG=$LOG rd_start "$R" "$SOCK" "$PIN" eth0 eth1 || e2e_bail "routerd starts"
E2E_PIDS+=("$RD_PID")
prog=$(xdp_id "$R" eth0)
e2e_ping "$H1" 198.18.2.2 2 0.1 >/dev/null
ip netns exec "$H1" ping -n -q -c 800 -i 0.01 -W 1 198.18.2.2 >"$E2E_TMP/ping" 2>&1 &
E2E_PIDS+=("$!"); pp=$!

rm -rf "$PIN"
wait_for 5 pins_complete && tap_ok "pins removed with rm -rf are restored" ||
	e2e_fail "pins removed with rm -rf are restored" "$(ls -la "$PIN" 2>&1)"
grep -q "had disappeared: restored" "$LOG" && tap_ok "... and routerd logs it" ||
	e2e_fail "... and routerd logs it" "$(tail -3 "$LOG")"
second_refused "pin dir removed and restored"

# routerd holds the pin dir open (its instance lock), so only a lazy
# unmount takes the filesystem away under it
umount -l "$FS" || e2e_bail "bpffs can be unmounted (lazily)"
wait_for 5 grep -q "pins lost" "$LOG" && tap_ok "bpffs unmounted: routerd logs that the pins are lost" ||
	e2e_fail "bpffs unmounted: routerd logs that the pins are lost" "$(tail -3 "$LOG")"
mount -t bpf bpf "$FS"
wait_for 5 pins_complete && tap_ok "bpffs mounted again: every pin is back" ||
	e2e_fail "bpffs mounted again: every pin is back" "$(ls -la "$PIN" 2>&1)"
second_refused "bpffs unmounted and mounted again"

wait $pp
read -r tx rx <<<"$(e2e_ping_parse "$(cat "$E2E_TMP/ping")")"
tap_cmp "no ping lost meanwhile ($rx/$tx)" "$rx" -eq 800
tap_cmp "the program was never replaced" "$(xdp_id "$R" eth0)" = "$prog"

# someone detaches routerd's link on eth0 (bpf_link_detach through its pin)
eth0_idx=$(ip -n "$R" -j link show eth0 | jq -r '.[0].ifindex')
bpftool link detach pinned "$PIN/xdp_link_$eth0_idx" && [ -z "$(xdp_id "$R" eth0)" ] ||
	e2e_bail "eth0's link detached behind routerd's back"
attached_again() { [ "$(xdp_id "$R" eth0)" = "$prog" ]; }
wait_for 10 attached_again && tap_ok "a link detached behind routerd's back is attached again (program $prog)" ||
	e2e_fail "a link detached behind routerd's back is attached again" "eth0: '$(xdp_id "$R" eth0)'" "$(tail -3 "$LOG")"
grep -q "eth0: our XDP link is no longer attached" "$LOG" && tap_ok "... and routerd logs it" ||
	e2e_fail "... and routerd logs it" "$(tail -3 "$LOG")"

f0=$(rd_counter "$SOCK" forwarded_ipv4)
kill -9 "$RD_PID"; wait "$RD_PID" 2>/dev/null
RD_LOG=$LOG rd_start "$R" "$SOCK" "$PIN" eth0 eth1 || e2e_bail "routerd restarts"
E2E_PIDS+=("$RD_PID")
tap_cmp "after kill -9 the restarted routerd adopts the same program" "$(xdp_id "$R" eth0)" = "$prog"
tap_cmp "... with the counters kept" "$(rd_counter "$SOCK" forwarded_ipv4)" -ge "$f0"
tap_done
