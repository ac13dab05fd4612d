#!/usr/bin/env bash
# lab/topo.sh itself: every topology comes up with the fixed names, the
# documented addresses and the veth settings XDP needs, forwards h1 -> h2,
# refuses what it should, and `down` removes exactly its own prefix (twice
# is fine). ECMP spreads flows over both links, with and without routerd.
set -uo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

TOPO=$RD_ROOT/lab/topo.sh
P=rdt$$
e2e_init
E2E_PREFIXES+=("${P}b" "${P}c" "${P}e" "$P")

# ---------------------------------------------------------------------------
out=$("$TOPO" up basic --prefix "${P}b" 2>&1)
rc=$?
tap_cmp "topo.sh up basic exits 0" "$rc" -eq 0
expect_ns() { # PREFIX NODE...
	local p=$1 n missing=""
	shift
	for n in "$@"; do [ -e "/run/netns/$p-$n" ] || missing+=" $p-$n"; done
	[ -z "$missing" ] || { echo "missing namespaces:$missing"; return 1; }
	[ "$(lab_namespaces "$p" | wc -l)" -eq $# ] || { echo "extra: $(lab_namespaces "$p")"; return 1; }
}
tap_check "basic: namespaces ${P}b-h1, -r, -h2" expect_ns "${P}b" h1 r h2
tap_check "basic: r has eth0 and eth1" ip -n "${P}b-r" link show dev eth1
tap_check "basic: up prints the commands to explore it" \
	bash -c "grep -q 'topo.sh down basic --prefix ${P}b' <<<\"\$1\" && grep -q 'routerctl -s' <<<\"\$1\"" _ "$out"

out=$("$TOPO" up chain --prefix "${P}c" 2>&1)
tap_cmp "topo.sh up chain exits 0" "$?" -eq 0
tap_check "chain: namespaces h1 r1 r2 h2" expect_ns "${P}c" h1 r1 r2 h2
out=$("$TOPO" up ecmp --prefix "${P}e" 2>&1)
tap_cmp "topo.sh up ecmp exits 0" "$?" -eq 0
tap_check "ecmp: namespaces h1 r r2 h2" expect_ns "${P}e" h1 r r2 h2
tap_check "ecmp: r has a two-way multipath route to h2's IPv4 prefix" \
	bash -c "[ \$(ip -n ${P}e-r route show 198.18.2.0/24 | grep -c nexthop) -eq 2 ]"
tap_check "ecmp: r has a two-way multipath route to h2's IPv6 prefix" \
	bash -c "[ \$(ip -n ${P}e-r -6 route show 2001:db8:2::/64 | grep -c nexthop) -eq 2 ]"

for p in "${P}b" "${P}c" "${P}e"; do
	e2e_check_ping "$p: IPv4 h1 -> h2 (kernel)" "$p-h1" 198.18.2.2 5 0.05
	e2e_check_ping "$p: IPv6 h1 -> h2 (kernel)" "$p-h1" 2001:db8:2::2 5 0.05
done

# every global address is documentation space
bad=$(for ns in $(lab_namespaces "${P}b") $(lab_namespaces "${P}c") $(lab_namespaces "${P}e"); do
	ip -n "$ns" -j addr show | jq -r '.[].addr_info[] | select(.scope == "global") | .local'
done | /usr/bin/python3 -c '
import ipaddress, sys
ok = [ipaddress.ip_network("198.18.0.0/15"), ipaddress.ip_network("2001:db8::/32")]
for a in sys.stdin.read().split():
    ip = ipaddress.ip_address(a)
    if not any(ip.version == n.version and ip in n for n in ok):
        print(a)')
tap_check "all addresses are in 198.18.0.0/15 and 2001:db8::/32" test -z "$bad"

# veth settings XDP needs (see the kernel notes)
feature() { ip netns exec "$1" ethtool -k "$2" | awk -v f="$3:" '$1 == f { print $2 }'; }
tap_cmp "host h1 eth0: tx checksumming off" "$(feature "${P}b-h1" eth0 tx-checksumming)" = off
tap_cmp "host h2 eth0: GRO on" "$(feature "${P}b-h2" eth0 generic-receive-offload)" = on
tap_cmp "router r eth0: GRO on" "$(feature "${P}b-r" eth0 generic-receive-offload)" = on
tap_cmp "router r2 eth0 (chain, faces r1): GRO on" \
	"$(feature "${P}c-r2" eth0 generic-receive-offload)" = on
tap_cmp "router r forwarding on" \
	"$(ip netns exec "${P}b-r" sysctl -n net.ipv4.ip_forward)/$(ip netns exec "${P}b-r" sysctl -n net.ipv6.conf.all.forwarding)" = 1/1

out=$("$TOPO" status --prefix "${P}b" 2>&1)
tap_check "status lists namespaces, interfaces and addresses" \
	bash -c "for w in ${P}b-h1 ${P}b-r ${P}b-h2 eth1 198.18.1.2/24 2001:db8:2::1/64; do grep -qF -- \"\$w\" <<<\"\$1\" || { echo missing \$w; exit 1; }; done" _ "$out"

# ---------------------------------------------------------------------------
# refusals
out=$("$TOPO" up basic --prefix "${P}b" 2>&1)
rc=$?
tap_cmp "up on a prefix already up fails" "$rc" -ne 0
tap_check "... and says so" grep -q "already up" <<<"$out"
# (bridge, the last "not there yet" topology, is there: tests/bridge/t_bridge.sh)
out=$("$TOPO" list 2>&1)
tap_check "list offers the bridge topology" grep -qE '^bridge +vm1' <<<"$out"
out=$("$TOPO" up nosuch --prefix "$P" 2>&1)
tap_cmp "up of an unknown topology fails" "$?" -ne 0
"$TOPO" up basic --prefix "Bad-Prefix" >/dev/null 2>&1
tap_cmp "a prefix with '-' or capitals is refused" "$?" -ne 0
tap_check "refusals left nothing behind for prefix $P" test -z "$(lab_namespaces "$P")"

# ---------------------------------------------------------------------------
# ECMP: 32 UDP flows h1 -> h2 must use both of r's links to r2
udp_flows() { # NS DST: 32 source ports x 20 datagrams
	ip netns exec "$1" /usr/bin/python3 - "$2" <<'EOF'
import socket, sys
dst = sys.argv[1]
fam = socket.AF_INET6 if ":" in dst else socket.AF_INET
for i in range(32):
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.bind(("", 40000 + i))
    for _ in range(20):
        s.sendto(b"x" * 64, (dst, 9))
    s.close()
EOF
}
rxp() { ip -n "$1" -j -s link show dev "$2" | jq '.[0].stats64.rx.packets'; }
ecmp_spread() { # DESC DST
	local a0 b0 a b
	a0=$(rxp "${P}e-r2" eth0) b0=$(rxp "${P}e-r2" eth1)
	udp_flows "${P}e-h1" "$2"
	sleep 0.3
	a=$(($(rxp "${P}e-r2" eth0) - a0)) b=$(($(rxp "${P}e-r2" eth1) - b0))
	if [ "$a" -ge 32 ] && [ "$b" -ge 32 ] && [ $((a + b)) -ge 640 ]; then
		tap_ok "$1: flows spread over both links ($a via eth1, $b via eth2)"
	else
		e2e_fail "$1: flows spread over both links" "r2 received $a on eth0 and $b on eth1 of 640"
	fi
}
ecmp_spread "ecmp, kernel, IPv4" 198.18.2.2
ecmp_spread "ecmp, kernel, IPv6" 2001:db8:2::2
if rd_start "${P}e-r" "$(lab_sock "${P}e" r)" "$(lab_pin_dir "${P}e" r)" eth0 eth1 eth2 2>"$E2E_TMP/err" &&
	E2E_PIDS+=("$RD_PID") && ECMP_RD=$RD_PID &&
	rd_start "${P}e-r2" "$(lab_sock "${P}e" r2)" "$(lab_pin_dir "${P}e" r2)" eth0 eth1 eth2 2>"$E2E_TMP/err"; then
	E2E_PIDS+=("$RD_PID")
	ECMP_RD2=$RD_PID
	tap_ok "ecmp: routerd on r and r2"
	e2e_ping "${P}e-h1" 198.18.2.2 2 0.05 >/dev/null
	e2e_ping "${P}e-h1" 2001:db8:2::2 2 0.05 >/dev/null
	f=$(rd_counter "$(lab_sock "${P}e" r)" forwarded_ipv4 eth0)
	ecmp_spread "ecmp, routerd, IPv4" 198.18.2.2
	tap_cmp "ecmp: r's routerd forwarded the IPv4 flows in XDP" \
		$(($(rd_counter "$(lab_sock "${P}e" r)" forwarded_ipv4 eth0) - f)) -ge 640
	f=$(rd_counter "$(lab_sock "${P}e" r)" forwarded_ipv6 eth0)
	ecmp_spread "ecmp, routerd, IPv6" 2001:db8:2::2
	tap_cmp "ecmp: r's routerd forwarded the IPv6 flows in XDP" \
		$(($(rd_counter "$(lab_sock "${P}e" r)" forwarded_ipv6 eth0) - f)) -ge 640
else
	e2e_fail "ecmp: routerd on r and r2" "$(cat "$E2E_TMP/err")"
	ECMP_RD='' ECMP_RD2=''
fi

# ---------------------------------------------------------------------------
# down: exactly its own prefix; stops what runs there; twice is fine
"$TOPO" up basic --prefix "$P" >/dev/null 2>&1   # P is a prefix of the others' names
out=$("$TOPO" down basic --prefix "$P" 2>&1)
tap_cmp "down exits 0" "$?" -eq 0
tap_check "down removed $P-*" test -z "$(lab_namespaces "$P")"
tap_check "down of $P left ${P}b, ${P}c, ${P}e alone" \
	test "$(lab_namespaces "${P}b" | wc -l)/$(lab_namespaces "${P}c" | wc -l)/$(lab_namespaces "${P}e" | wc -l)" = 3/4/4
out=$("$TOPO" down basic --prefix "$P" 2>&1)
tap_cmp "down twice exits 0" "$?" -eq 0
"$TOPO" down ecmp --prefix "${P}e" >/dev/null 2>&1
tap_cmp "down with routerd running exits 0" "$?" -eq 0
if [ -n "$ECMP_RD" ] && [ -n "$ECMP_RD2" ]; then
	tap_check "down stopped the routerd instances of the lab" \
		bash -c "! kill -0 $ECMP_RD 2>/dev/null && ! kill -0 $ECMP_RD2 2>/dev/null"
else
	tap_skip "down stopped the routerd instances of the lab" "routerd did not start"
fi
tap_check "down removed the lab's pin dirs and sockets" \
	bash -c "! ls -d $LAB_BPFFS/${P}e-* $LAB_RUN_BASE/${P}e 2>/dev/null | grep -q ."
"$TOPO" down --prefix "${P}b" >/dev/null 2>&1 && "$TOPO" down --prefix "${P}c" >/dev/null 2>&1
tap_check "no namespace of this suite is left" \
	bash -c "! ip netns list | grep -E '^${P}[a-z]?-'"
tap_done
