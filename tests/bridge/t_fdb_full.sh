#!/usr/bin/env bash
# The mirrored FDB map full: more bridge FDB entries than rd_fdb holds
# (RD_FDB_MAX_ENTRIES). Entries that do not fit are not mirrored, counted
# (map_errors), and their frames go to the kernel bridge (fdb_miss), never
# to a wrong port; what was mirrored keeps being bridged in XDP.
. "$(dirname "${BASH_SOURCE[0]}")/../e2e/common.sh"
e2e_init

P=rdff$$
R=$P-r VM1=$P-vm1
SOCK=$(lab_sock "$P" r) PIN=$(lab_pin_dir "$P" r)
MAX=$(awk '/#define RD_FDB_MAX_ENTRIES/ { print $3 }' "$RD_ROOT/include/routerd/bridge.h")
EXTRA=$((MAX + 500))
e2e_lab bridge "$P"
ctl() { "$ROUTERCTL" -s "$SOCK" "$@"; }

e2e_ping "$VM1" 198.18.1.12 3 0.05 >/dev/null
rd_start "$R" "$SOCK" "$PIN" eth0 eth1 tap0 eth2 || e2e_bail "routerd starts on the bridge ports"
E2E_PIDS+=("$RD_PID")

# static entries on vm2's port, more than the map holds
awk -v n=$EXTRA 'BEGIN { for (i = 0; i < n; i++)
	printf "fdb add 02:ee:%02x:%02x:%02x:%02x dev eth1 master static\n",
		int(i / 16777216) % 256, int(i / 65536) % 256, int(i / 256) % 256, i % 256 }' \
	>"$E2E_TMP/fdb"
ip netns exec "$R" bridge -batch "$E2E_TMP/fdb" || e2e_bail "$EXTRA FDB entries added"
errors() { ctl -j fdb stats | jq .map_errors; }
for _ in $(seq 100); do [ "$(errors)" -gt 0 ] 2>/dev/null && break; sleep 0.2; done
tap_cmp "entries beyond the map are counted (map_errors)" "$(errors)" -gt 0
mirrored=$(ctl -j fdb | jq length)
tap_cmp "the map holds at most $MAX entries" "$mirrored" -le "$MAX"
tap_check "routerd is still running" kill -0 "$RD_PID"

b0=$(rd_counter "$SOCK" bridged)
e2e_check_ping "vm1 -> vm2 still works" "$VM1" 198.18.1.12 100 0.01
tap_cmp "... bridged in XDP (entries mirrored before the map filled)" \
	$(($(rd_counter "$SOCK" bridged) - b0)) -ge 100

# a MAC the kernel has on eth1 that did not fit: the kernel's to forward
missing=$(ctl -j fdb | jq -r '.[].mac' | sort >"$E2E_TMP/have"
	awk '{ print $3 }' "$E2E_TMP/fdb" | sort | comm -23 - "$E2E_TMP/have" | head -1)
[ -n "$missing" ] || e2e_bail "an entry that was not mirrored exists"
fdb_miss() { ctl -j stats | jq '.interfaces[] | select(.name == "eth0") | .pass_reasons.fdb_miss'; }
# vm1 must not send anything else through eth0 meanwhile (its unicast ARP
# probes for vm2 are bridged in XDP, rightly): a static entry for vm2
ip -n "$VM1" neigh replace 198.18.1.12 lladdr "$(lab_vm_mac 2)" nud permanent dev eth0
m0=$(fdb_miss) b0=$(rd_counter "$SOCK" bridged eth0)
ip netns exec "$VM1" /usr/bin/python3 -c '
import sys
from scapy.all import Ether, IP, UDP, sendp, conf
conf.verb = 0
sendp(Ether(dst=sys.argv[1]) / IP(src="198.18.1.11", dst="198.18.1.99") / UDP(dport=9), iface="eth0", count=20)
' "$missing"
tap_cmp "frames to an unmirrored MAC ($missing) go to the kernel bridge (fdb_miss)" \
	$(($(fdb_miss) - m0)) -eq 20
tap_cmp "... and none is bridged in XDP" $(($(rd_counter "$SOCK" bridged eth0) - b0)) -eq 0
tap_done
