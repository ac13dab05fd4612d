# shellcheck shell=bash
# Shared by the tests/frr suites (not a suite itself). Builds on the e2e
# helpers (tests/e2e/common.sh) and the frr lab (lab/frr.sh):
#   h1 -- r1 =(eth1, eth2)= r2 -- h2, FRR in r1 and r2, routerd on both.
# Run a suite by hand: sudo RD_BUILD_DIR=build tests/frr/t_ospf.sh

FRR_TESTS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/e2e/common.sh
. "$FRR_TESTS_DIR/../e2e/common.sh"

# Every suite starts with this: without FRR the suite is one visible skip
# (never a silent pass); then the e2e checks (root, binaries, tools).
frr_suite_init() {
	if ! frr_installed; then
		tap_skip "$(basename "$0" .sh): FRR suite" \
			"frr not installed ($FRR_BIN/zebra missing; lab/install-deps.sh installs it)"
		tap_done
		exit 0
	fi
	e2e_init
	command -v jq >/dev/null || e2e_bail "tool jq installed" "run lab/install-deps.sh"
}

# frr_lab P: the frr topology without FRR running (tests start it after
# routerd); FRR's daemons are the lab's processes, lab_down stops them.
frr_lab() {
	FRR_LAB_MODE=none e2e_lab frr "$1"
}

# rd_start_routers P: routerd on r1 and r2, every routed interface; sets
# RD1/RD2 (PIDs) and SOCK1/SOCK2.
rd_start_routers() {
	local p=$1 r pid
	for r in r1 r2; do
		if rd_start "$p-$r" "$(lab_sock "$p" "$r")" "$(lab_pin_dir "$p" "$r")" \
			eth0 eth1 eth2 2>"$E2E_TMP/rd_start.err"; then
			E2E_PIDS+=("$RD_PID")
			pid=$RD_PID
		else
			e2e_bail "routerd starts on $r" "$(cat "$E2E_TMP/rd_start.err")"
		fi
		# shellcheck disable=SC2034 # RD1, SOCK1, RD2, SOCK2: for the suites
		if [ "$r" = r1 ]; then RD1=$pid SOCK1=$(lab_sock "$p" r1)
		else RD2=$pid SOCK2=$(lab_sock "$p" r2); fi
	done
	tap_ok "routerd runs on r1 (pid $RD1) and r2 (pid $RD2), eth0-eth2 attached"
}

# frr_start_checked P MODE: FRR on r1 and r2, or bail out
frr_start_checked() {
	local out
	out=$(frr_start "$1" "$2" 2>&1) || e2e_bail "FRR ($2) starts in r1 and r2" "$out"
	tap_ok "FRR ($2) started in r1 and r2: zebra, $(_frr_daemons "$2")"
}

# frr_converge DESC SECS NS DST PATHS [NS DST PATHS...]: waits until every
# route has its paths; one TAP line with the time it took (FRR_CONVERGED,
# seconds with one decimal). Bails out of the suite when it does not happen.
frr_converge() {
	local desc=$1 secs=$2 t0 t1 left lacking="" deadline
	shift 2
	t0=$(date +%s%N)
	deadline=$((SECONDS + secs))
	while (($# >= 3)); do
		left=$((deadline - SECONDS))
		((left < 1)) && left=1
		frr_wait_paths "$1" "$2" "$3" "$left" ||
			lacking+="$1 $2: $(frr_paths "$1" "$2") paths, want $3; "
		shift 3
	done
	t1=$(date +%s%N)
	FRR_CONVERGED=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", (b - a) / 1e9 }')
	if [ -z "$lacking" ]; then
		tap_ok "$desc (${FRR_CONVERGED} s)"
	else
		e2e_bail "$desc within $secs s" "$lacking" "$(frr_debug_dump)"
	fi
}

# Routes and FRR's view of every router of the labs of this suite.
frr_debug_dump() {
	local p r
	for p in "${E2E_PREFIXES[@]}"; do
		for r in r1 r2; do
			[ -e "/run/netns/$p-$r" ] || continue
			echo "== $p-$r"
			ip -n "$p-$r" route
			ip -n "$p-$r" -6 route
			ip -n "$p-$r" nexthop
			frr_vtysh "$p" "$r" -c 'show ip route' -c 'show ipv6 route' 2>&1 | grep -v '^Codes\|^ *[A-Z]* - \|^$'
		done
	done 2>&1
}

# xdp_forwarding DESC P DST COUNT: COUNT pings h1 -> DST, all answered,
# forwarded in XDP by r1 and r2 (forwarded_* grow by at least 2 x COUNT on
# each: requests and replies), while the kernel's forwarding counters of
# r1 and r2 grow by less than 5% of that.
xdp_forwarding() {
	local desc=$1 p=$2 dst=$3 n=$4 key=forwarded_ipv4 kf=kfwd4 r
	local -A xf0 xk0
	[[ $dst == *:* ]] && key=forwarded_ipv6 kf=kfwd6
	e2e_ping "$p-h1" "$dst" 3 0.05 >/dev/null # neighbours resolved
	for r in r1 r2; do
		xf0[$r]=$(rd_counter "$(lab_sock "$p" "$r")" "$key")
		xk0[$r]=$($kf "$p-$r")
	done
	e2e_check_ping "$desc: $n pings h1 -> $dst" "$p-h1" "$dst" "$n" 0.005
	for r in r1 r2; do
		local df dk
		df=$(($(rd_counter "$(lab_sock "$p" "$r")" "$key") - xf0[$r]))
		dk=$(($($kf "$p-$r") - xk0[$r]))
		if [ "$df" -ge $((2 * n)) ] && [ $((dk * 100)) -lt $((5 * 2 * n)) ]; then
			tap_ok "$desc: $r forwarded in XDP ($key +$df, kernel forwarding +$dk)"
		else
			e2e_fail "$desc: $r forwarded in XDP" \
				"routerd $key grew by $df (want >= $((2 * n))), kernel forwarding counter by $dk (want < 5%)" \
				"$("$ROUTERCTL" -s "$(lab_sock "$p" "$r")" stats -s 2>&1)"
		fi
	done
}

# udp_flows NS DST FLOWS PER_FLOW [FIRST_PORT]: FLOWS UDP flows (source
# ports FIRST_PORT..), PER_FLOW datagrams each, to DST port 9.
udp_flows() {
	ip netns exec "$1" /usr/bin/python3 - "$2" "$3" "$4" "${5:-40000}" <<'EOF'
import socket, sys
dst, flows, per, first = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
fam = socket.AF_INET6 if ":" in dst else socket.AF_INET
for i in range(flows):
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.bind(("", first + i))
    for _ in range(per):
        s.sendto(b"x" * 64, (dst, 9))
    s.close()
EOF
}

# flow_links SRC_NS COUNT_NS DST FLOWS PER FIRST_PORT DEV0 DEV1: sends FLOWS
# UDP flows (source ports FIRST_PORT..) of PER datagrams from SRC_NS to DST,
# one after the other, and tells on which of COUNT_NS's DEV0/DEV1 each one
# arrived (rx packets): one line "PORT 0|1" per flow, or "PORT ? (A/B)"
# when it was not cleanly one link (a few packets of noise allowed: hellos,
# ARP/ND probes).
flow_links() {
	/usr/bin/python3 - "$@" <<'EOF2'
import ctypes, os, socket, sys, time
libc = ctypes.CDLL(None, use_errno=True)
src, cnt, dst = sys.argv[1:4]
flows, per, first = map(int, sys.argv[4:7])
devs = sys.argv[7:9]
def enter(ns):
    fd = os.open("/run/netns/" + ns, os.O_RDONLY)
    if libc.setns(fd, 0x40000000) != 0:  # CLONE_NEWNET
        raise OSError(ctypes.get_errno(), "setns " + ns)
    os.close(fd)
def rx():
    enter(cnt)
    c = {}
    with open("/proc/net/dev") as f:
        for line in f.readlines()[2:]:
            name, data = line.split(":", 1)
            c[name.strip()] = int(data.split()[1])
    return [c[d] for d in devs]
fam = socket.AF_INET6 if ":" in dst else socket.AF_INET
noise = max(2, per // 5)
for i in range(flows):
    enter(src)
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.bind(("", first + i))
    a0 = rx()
    for _ in range(per):
        s.sendto(b"x" * 64, (dst, 9))
    s.close()
    time.sleep(0.01)
    a = [x - y for x, y in zip(rx(), a0)]
    if a[0] >= per and a[1] <= noise:
        print(first + i, 0)
    elif a[1] >= per and a[0] <= noise:
        print(first + i, 1)
    else:
        print(first + i, "? (%d/%d)" % (a[0], a[1]))
EOF2
}

# rx packets / tx packets of NS's DEV
rxp() { ip -n "$1" -j -s link show dev "$2" | jq '.[0].stats64.rx.packets'; }
txp() { ip -n "$1" -j -s link show dev "$2" | jq '.[0].stats64.tx.packets'; }

# CPU time (ticks) and RSS (KiB) of a PID
proc_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
proc_rss() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status"; }
