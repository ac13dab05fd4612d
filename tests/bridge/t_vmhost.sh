#!/usr/bin/env bash
# A VM host that never touches routerd's config again: routerd starts with
# one `bridge br0` line (plus the routed uplink and a pattern), and VMs
# come and go: a veth VM and a tap VM (opened non-blocking, as QEMU does)
# plugged in after the start are bridged in XDP within a second; a VM
# started and stopped 15 times under the same port name (a new ifindex
# each time) is attached each time and leaves nothing behind; a VM
# migrates to a port created after the start with no more loss than
# kernel only; a port released from the bridge is let go and taken back;
# a port flapping under traffic; STP state and the locked flag changed
# under it; a port moved to another bridge; the bridge itself deleted and
# re-created; an interface matching the pattern.
set -uo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../e2e/common.sh"

P=rdvh$$
R=$P-r VM1=$P-vm1 VM2=$P-vm2
SOCK=$(lab_sock "$P" r) PIN=$(lab_pin_dir "$P" r)
MAC1=$(lab_vm_mac 1)
CYCLES=${VMHOST_CYCLES:-15}

e2e_init
e2e_lab bridge "$P"
ctl() { "$ROUTERCTL" -s "$SOCK" "$@"; }
counter() { rd_counter "$SOCK" "$@"; }
# managed IFACE: routerd manages IFACE with XDP attached on its current ifindex
managed() {
	local idx
	idx=$(ip -n "$R" -j link show dev "$1" 2>/dev/null | jq -r '.[0].ifindex // empty')
	[ -n "$idx" ] && [ -n "$(xdp_id "$R" "$1")" ] &&
		ctl -j interfaces | jq -e --arg n "$1" --argjson i "$idx" \
			'.[] | select(.name == $n and .ifindex == $i and .attached)' >/dev/null
}
# wait_for SECONDS CMD...: until CMD succeeds; prints the milliseconds it took
wait_for() {
	local t0 end
	t0=$(date +%s%N) end=$(($(date +%s%N) + $1 * 1000000000))
	shift
	until "$@"; do
		(($(date +%s%N) > end)) && return 1
		sleep 0.02
	done
	echo $((($(date +%s%N) - t0) / 1000000))
}
not() { ! "$@"; }
# vm_up N PORT: namespace vmN on a new veth PORT in br0, 198.18.1.(20+N)
vm_up() {
	_lab_node "$P" "vm$1" host >/dev/null && _lab_link "$P" "vm$1" eth0 r "$2" >/dev/null &&
		ip -n "$R" link set "$2" master br0 &&
		ip -n "$P-vm$1" addr add "198.18.1.$((20 + $1))/24" dev eth0
}
vm_down() { ip -n "$R" link del "$2" 2>/dev/null; ip netns del "$P-vm$1" 2>/dev/null; }

cat >"$E2E_TMP/routerd.conf" <<CONF
bridge br0          # every VM port, now and later
interface eth2      # the routed uplink
interface up*       # a pattern: present and future names
CONF

# --- kernel only first: a migration to a port created after the start -----
migrate_new() { # NODE PORT: vm1's MAC and address move to NODE on new PORT; pings lost
	local tx rx
	# the VM's namespace and its veth exist; the port joins br0 as it moves
	_lab_node "$P" "${1##*-}" host >/dev/null && _lab_link "$P" "${1##*-}" eth0 r "$2" >/dev/null
	ip -n "$1" link set eth0 down
	ip -n "$1" link set eth0 address "$MAC1"
	ip -n "$1" addr add 198.18.1.11/24 dev eth0
	timeout 15 ip netns exec "$VM2" ping -q -n -c 60 -i 0.05 -W 1 198.18.1.11 >"$E2E_TMP/mig" 2>&1 &
	local pp=$!
	sleep 0.5
	ip -n "$VM1" link set eth0 down
	ip -n "$R" link set "$2" master br0
	ip -n "$1" link set eth0 up
	timeout 3 ip netns exec "$1" ping -q -c 1 -W 1 198.18.1.12 >/dev/null 2>&1
	wait $pp
	read -r tx rx <<<"$(e2e_ping_parse "$(cat "$E2E_TMP/mig")")"
	echo $((tx - rx))
}
migrate_back() { # NODE PORT
	ip -n "$R" link del "$2"
	ip netns del "$1"
	ip -n "$VM1" link set eth0 up
	e2e_ping "$VM1" 198.18.1.12 3 0.05 >/dev/null
}
# flap NODE ADDR: vm2 pings ADDR 100 times while NODE's link goes down and
# up three times (its port loses its carrier); prints how many answered
flap() {
	local tx rx
	timeout 20 ip netns exec "$VM2" ping -q -n -c 100 -i 0.05 -W 1 "$2" >"$E2E_TMP/flap" 2>&1 &
	local pp=$!
	for _ in 1 2 3; do
		sleep 0.5
		ip -n "$1" link set eth0 down
		sleep 0.3
		ip -n "$1" link set eth0 up
	done
	wait $pp
	read -r tx rx <<<"$(e2e_ping_parse "$(cat "$E2E_TMP/flap")")"
	echo "$rx"
}
vm_up 9 vp9 || e2e_bail "vm9 comes up on vp9"
e2e_ping "$P-vm9" 198.18.1.12 2 0.05 >/dev/null
fk=$(flap "$P-vm9" 198.18.1.29)
vm_down 9 vp9
tap_cmp "kernel only: a port flapping 3 times under traffic, $fk of 100 pings answered" "$fk" -ge 60

e2e_ping "$VM1" 198.18.1.12 3 0.05 >/dev/null
k=$(migrate_new "$P-vm6" vp6)
migrate_back "$P-vm6" vp6
tap_cmp "kernel only: migration to a new port loses a few pings ($k)" "$k" -le 5

# --- start with one bridge line ---------------------------------------------
if rd_start "$R" "$SOCK" "$PIN" -- -c "$E2E_TMP/routerd.conf" 2>"$E2E_TMP/start.err"; then
	E2E_PIDS+=("$RD_PID")
	tap_ok "routerd starts with 'bridge br0', 'interface eth2' and 'interface up*'"
else
	e2e_bail "routerd starts with a bridge line" "$(cat "$E2E_TMP/start.err")"
fi
src=$(ctl -j interfaces | jq -r 'sort_by(.name) | .[] | "\(.name):\(.source):\(.source_name // "")"' | paste -sd' ')
[ "$src" = "eth0:bridge:br0 eth1:bridge:br0 eth2:configured: tap0:bridge:br0" ] &&
	tap_ok "routerctl -j interfaces: br0's ports from 'bridge br0', eth2 configured ($src)" ||
	e2e_fail "routerctl -j interfaces: sources" "got: $src"
ctl interfaces | grep -Eq '^eth0 .* from bridge br0' &&
	tap_ok "routerctl interfaces says 'from bridge br0'" ||
	e2e_fail "routerctl interfaces says 'from bridge br0'" "$(ctl interfaces)"

# --- a veth VM plugged in later ---------------------------------------------
vm_up 4 vp4 || e2e_bail "vm4 comes up on vp4"
if ms=$(wait_for 3 managed vp4); then
	tap_cmp "vp4, enslaved after the start, is attached within a second (${ms} ms)" "$ms" -le 1000
else
	e2e_fail "vp4, enslaved after the start, is attached" "$(ctl interfaces)"
fi
e2e_ping "$P-vm4" 198.18.1.12 2 0.05 >/dev/null
b4=$(counter bridged vp4) b2=$(counter bridged eth1)
e2e_check_ping "vm4 (plugged in later) -> vm2" "$P-vm4" 198.18.1.12 50 0.02
tap_cmp "... bridged in XDP from vp4" $(($(counter bridged vp4) - b4)) -ge 50
tap_cmp "... and back to it" $(($(counter bridged eth1) - b2)) -ge 50

# --- a tap VM plugged in later (relayed like QEMU, non-blocking) ------------
_lab_node "$P" vm5 host >/dev/null &&
	ip -n "$R" tuntap add dev tap5 mode tap && ip -n "$P-vm5" tuntap add dev eth0 mode tap &&
	ip -n "$P-vm5" link set eth0 address 02:00:00:00:01:15 up &&
	ip -n "$P-vm5" addr add 198.18.1.25/24 dev eth0 &&
	ip -n "$R" link set tap5 master br0 up || e2e_bail "vm5 on tap5 comes up"
ip netns exec "$R" /usr/bin/python3 "$RD_ROOT/lab/tap_relay.py" tap5 "/run/netns/$P-vm5" eth0 \
	>"$E2E_TMP/relay5" 2>&1 &
E2E_PIDS+=("$!")
if ms=$(wait_for 5 managed tap5); then
	tap_ok "tap5, enslaved after the start, is attached (${ms} ms)"
else
	e2e_fail "tap5, enslaved after the start, is attached" "$(ctl interfaces)"
fi
_lab_wait_carrier "$P-vm5" eth0 2>/dev/null
e2e_ping "$P-vm5" 198.18.1.12 3 0.05 >/dev/null
b5=$(counter bridged tap5)
e2e_check_ping "vm5 (tap, plugged in later) -> vm2" "$P-vm5" 198.18.1.12 30 0.02
tap_cmp "... bridged in XDP from tap5" $(($(counter bridged tap5) - b5)) -ge 30

# --- start/stop cycles under one port name ----------------------------------
ok=0 idxs=""
for c in $(seq "$CYCLES"); do
	vm_up 7 vp7 || { e2e_diag "cycle $c: vm7 did not come up"; continue; }
	idxs+=" $(ip -n "$R" -j link show dev vp7 | jq -r '.[0].ifindex')"
	if wait_for 3 managed vp7 >/dev/null; then
		b=$(counter bridged vp7)
		read -r tx rx <<<"$(e2e_ping "$P-vm7" 198.18.1.12 5 0.01)"
		[ "$rx" -ge 4 ] && [ "$(($(counter bridged vp7) - ${b:-0}))" -ge 4 ] && ok=$((ok + 1)) ||
			e2e_diag "cycle $c: $rx/$tx answered, bridged $(counter bridged vp7) (was $b)"
	else
		e2e_diag "cycle $c: vp7 not attached: $(ctl interfaces | grep vp7)"
	fi
	vm_down 7 vp7
	wait_for 3 not managed vp7 >/dev/null
done
tap_cmp "$CYCLES start/stop cycles of vm7 on vp7 (ifindexes$idxs): attached and bridged in XDP each time" \
	"$ok" -eq "$CYCLES"
[ "$(echo "$idxs" | wc -w)" -eq "$(echo "$idxs" | tr ' ' '\n' | sort -u | grep -c .)" ] &&
	tap_ok "... with a new ifindex each time" || e2e_fail "... with a new ifindex each time" "$idxs"
ctl -j interfaces | jq -e 'all(.[]; .name != "vp7")' >/dev/null &&
	tap_ok "... and vp7 gone from routerctl interfaces once deleted" ||
	e2e_fail "vp7 gone from routerctl interfaces" "$(ctl interfaces)"
ctl -j stats | jq -e 'all(.interfaces[]; .name != "vp7")' >/dev/null &&
	tap_ok "... and from routerctl stats" || e2e_fail "vp7 gone from routerctl stats" "$(ctl -j stats | jq -c '[.interfaces[].name]')"
ntx=$(bpftool map dump pinned "$PIN/rd_tx" -j 2>/dev/null | jq length)
nif=$(ctl -j interfaces | jq length)
tap_cmp "... the devmap holds the managed ports only ($ntx entries, $nif interfaces)" "${ntx:-99}" -eq "$nif"
stale=$(ctl -j fdb | jq '[.[] | select(.port == "vp7" or (.port | test("^[0-9]+$")))] | length')
tap_cmp "... no FDB entry left on the deleted port" "$stale" -eq 0

# --- migration to a port created after the start ----------------------------
e2e_ping "$VM2" 198.18.1.11 3 0.05 >/dev/null
b2=$(counter bridged eth1)
r=$(migrate_new "$P-vm6" vp6)
tap_cmp "migration to vp6, created after the start, loses $r pings, kernel only $k" "$r" -le $((k + 1))
tap_cmp "... vm2's pings bridged in XDP (bridged on eth1)" $(($(counter bridged eth1) - b2)) -ge 45
managed vp6 && tap_ok "... vp6 is managed (from bridge br0)" || e2e_fail "vp6 is managed" "$(ctl interfaces)"
migrate_back "$P-vm6" vp6

# --- released from the bridge, and back -------------------------------------
ip -n "$R" link set vp4 nomaster
if wait_for 3 not managed vp4 >/dev/null && [ -z "$(xdp_id "$R" vp4)" ]; then
	tap_ok "vp4 released from br0: detached, no XDP program left on it"
else
	e2e_fail "vp4 released from br0: detached" "$(ctl interfaces)" "xdp: $(xdp_id "$R" vp4)"
fi
ip -n "$R" link set vp4 master br0
wait_for 3 managed vp4 >/dev/null && tap_ok "vp4 enslaved again: attached again" ||
	e2e_fail "vp4 enslaved again: attached again" "$(ctl interfaces)"
e2e_ping "$P-vm4" 198.18.1.12 2 0.05 >/dev/null
b4=$(counter bridged vp4)
e2e_check_ping "vm4 -> vm2 after re-enslaving" "$P-vm4" 198.18.1.12 30 0.02
tap_cmp "... bridged in XDP" $(($(counter bridged vp4) - b4)) -ge 30

# --- a port flapping under traffic -------------------------------------------
b4=$(counter bridged vp4)
fr=$(flap "$P-vm4" 198.18.1.24)
tap_cmp "vp4 flapping 3 times under traffic: $fr of vm2's 100 pings answered, kernel only $fk" \
	"$fr" -ge $((fk - 3))
tap_cmp "... bridged in XDP between the flaps (bridged on vp4)" $(($(counter bridged vp4) - b4)) -ge 50
b4=$(counter bridged vp4)
e2e_check_ping "... and all of them once it is up again" "$P-vm4" 198.18.1.12 30 0.02
tap_cmp "... bridged in XDP" $(($(counter bridged vp4) - b4)) -ge 30

# --- STP state and locked flag, set while routerd runs ------------------------
pass_reason() {
	ctl -j stats | jq -r --arg i "$2" --arg k "$1" '.interfaces[] | select(.name == $i) | .pass_reasons[$k]'
}
ip netns exec "$R" bridge link set dev vp4 state 2 # learning: no data forwarded
sleep 0.3
ps0=$(pass_reason port_state vp4)
read -r tx rx <<<"$(e2e_ping "$P-vm4" 198.18.1.12 5 0.05)"
tap_cmp "vp4 set to STP learning: vm4's pings go nowhere, as with the kernel bridge ($rx/$tx)" "$rx" -eq 0
tap_cmp "... XDP handed them to the kernel (pass port_state on vp4)" \
	$(($(pass_reason port_state vp4) - ps0)) -ge 5
ip netns exec "$R" bridge link set dev vp4 state 3 # forwarding
sleep 0.3
e2e_ping "$P-vm4" 198.18.1.12 2 0.05 >/dev/null
b4=$(counter bridged vp4)
e2e_check_ping "vp4 forwarding again: vm4 -> vm2" "$P-vm4" 198.18.1.12 20 0.02
tap_cmp "... bridged in XDP" $(($(counter bridged vp4) - b4)) -ge 20
ip netns exec "$R" bridge link set dev vp4 locked on
sleep 0.3
ps0=$(pass_reason port_state vp4)
e2e_ping "$P-vm4" 198.18.1.12 5 0.05 >/dev/null
tap_cmp "vp4 locked: its frames go to the kernel (pass port_state)" \
	$(($(pass_reason port_state vp4) - ps0)) -ge 5
ip netns exec "$R" bridge link set dev vp4 locked off

# --- moved to another bridge, and back ------------------------------------------
ip -n "$R" link add name br2 type bridge stp_state 0 && ip -n "$R" link set br2 up
ip -n "$R" link set vp4 master br2
wait_for 3 not managed vp4 >/dev/null && [ -z "$(xdp_id "$R" vp4)" ] &&
	tap_ok "vp4 moved to br2 (not configured): detached" ||
	e2e_fail "vp4 moved to br2: detached" "$(ctl interfaces)"
ip -n "$R" link set vp4 master br0
wait_for 3 managed vp4 >/dev/null && tap_ok "vp4 back in br0: attached" ||
	e2e_fail "vp4 back in br0: attached" "$(ctl interfaces)"

# --- the bridge deleted and re-created -------------------------------------------
ip -n "$R" link del br0
wait_for 3 not managed eth0 >/dev/null && [ -z "$(xdp_id "$R" eth1)" ] &&
	tap_ok "br0 deleted: its ports detached" || e2e_fail "br0 deleted: its ports detached" "$(ctl interfaces)"
ip -n "$R" link add name br0 address "$LAB_BRIDGE_MAC" type bridge stp_state 0 &&
	for i in eth0 eth1 tap0 vp4; do ip -n "$R" link set $i master br0; done &&
	ip -n "$R" link set br0 up && ip -n "$R" addr add 198.18.1.1/24 dev br0
if wait_for 3 managed eth0 >/dev/null && wait_for 3 managed eth1 >/dev/null; then
	tap_ok "br0 re-created with its ports: attached again"
else
	e2e_fail "br0 re-created with its ports: attached again" "$(ctl interfaces)"
fi
sleep 0.5 # the re-created bridge: ports through listening? (stp off: at once)
e2e_ping "$VM1" 198.18.1.12 3 0.05 >/dev/null
b=$(counter bridged eth0)
e2e_check_ping "vm1 -> vm2 on the re-created br0" "$VM1" 198.18.1.12 30 0.02
tap_cmp "... bridged in XDP" $(($(counter bridged eth0) - b)) -ge 30

# --- a pattern: an interface named up* that appears later --------------------
ip -n "$R" link add name up1 type veth peer name pv1 && ip -n "$R" link set up1 up
if ms=$(wait_for 3 managed up1); then
	tap_ok "up1, created after the start, is attached by the pattern 'up*' (${ms} ms)"
else
	e2e_fail "up1 is attached by the pattern 'up*'" "$(ctl interfaces)"
fi
ctl -j interfaces | jq -e '.[] | select(.name == "up1") | .source == "pattern" and .source_name == "up*"' >/dev/null &&
	tap_ok "... shown as from pattern up*" || e2e_fail "... shown as from pattern up*" "$(ctl -j interfaces)"
managed pv1 && e2e_fail "the pattern does not take pv1, up1's peer" ||
	tap_ok "the pattern does not take pv1, up1's peer"
ip -n "$R" link set up1 name down1
wait_for 3 not managed up1 >/dev/null && [ -z "$(xdp_id "$R" down1)" ] &&
	tap_ok "renamed to down1: no longer matched, detached" ||
	e2e_fail "renamed to down1: detached" "$(ctl interfaces)"

# --- reload without the pattern line ------------------------------------------
ip -n "$R" link add name up2 type veth peer name pv2 && ip -n "$R" link set up2 up
wait_for 3 managed up2 >/dev/null || e2e_diag "up2 not attached: $(ctl interfaces | grep up2)"
id0=$(xdp_id "$R" eth0) link0=$(ctl -j interfaces | jq '.[] | select(.name == "eth0") | .program_id')
sed -i '/^interface up\*/d' "$E2E_TMP/routerd.conf"
ctl reload >/dev/null || e2e_fail "routerctl reload" "$(ctl reload 2>&1)"
wait_for 3 not managed up2 >/dev/null && [ -z "$(xdp_id "$R" up2)" ] &&
	tap_ok "reload without 'interface up*': up2 detached" ||
	e2e_fail "reload without 'interface up*': up2 detached" "$(ctl interfaces)"
managed eth0 && [ "$(xdp_id "$R" eth0)" = "$id0" ] &&
	tap_ok "... br0's ports left as they were (program $id0)" ||
	e2e_fail "... br0's ports left as they were" "$(ctl interfaces)" "was program $link0"

# --- kill -9 and a new routerd: the bridge's ports adopted, hitless ------------
b=$(counter bridged eth0)
kill -KILL "$RD_PID"
wait "$RD_PID" 2>/dev/null
if rd_start "$R" "$SOCK" "$PIN" -- -c "$E2E_TMP/routerd.conf" 2>"$E2E_TMP/start2.err"; then
	E2E_PIDS+=("$RD_PID")
	[ "$(xdp_id "$R" eth0)" = "$id0" ] && managed eth0 && managed vp4 &&
		tap_ok "kill -9, restart: br0's ports adopted, same program ($id0)" ||
		e2e_fail "kill -9, restart: br0's ports adopted" "$(ctl interfaces)"
	grep -q "eth0: XDP adopted" "$(lab_log "$P" r)" && tap_ok "... and logged as adopted" ||
		e2e_fail "... and logged as adopted" "$(tail -n 12 "$(lab_log "$P" r)")"
	e2e_check_ping "... vm1 -> vm2" "$VM1" 198.18.1.12 20 0.02
	tap_cmp "... bridged in XDP, the counters continued" "$(counter bridged eth0)" -ge $((b + 20))
else
	e2e_fail "routerd restarts after kill -9" "$(cat "$E2E_TMP/start2.err")"
fi
tap_done
