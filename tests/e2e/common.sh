# shellcheck shell=bash
# Shared by the tests/e2e suites (not a suite itself: tests/run.sh only runs
# t_*.sh). Sets sensible defaults when a suite is run by hand:
#   sudo tests/e2e/t_forwarding.sh
# uses build/ of this checkout; RD_BUILD_DIR, ROUTERD and ROUTERCTL override.

E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${RD_ROOT:=$(cd "$E2E_DIR/../.." && pwd)}"
: "${RD_BUILD_DIR:=$RD_ROOT/build}"
: "${ROUTERD:=$RD_BUILD_DIR/routerd/routerd}"
: "${ROUTERCTL:=$RD_BUILD_DIR/routerd/routerctl}"
export RD_ROOT RD_BUILD_DIR ROUTERD ROUTERCTL

# shellcheck source=tests/lib/tap.sh disable=SC1094
. "$RD_ROOT/tests/lib/tap.sh"
# shellcheck source=lab/lib.sh
. "$RD_ROOT/lab/lib.sh"

E2E_PREFIXES=()   # labs to tear down
E2E_PIDS=()       # background processes of this suite (routerd, ping, iperf3)
E2E_TMP=$(mktemp -d "/tmp/rd-e2e.XXXXXX")

# tap_fail / tap_diag with every line of every argument on its own "#" line
# (multi-line command output must not look like TAP).
e2e_fail() {
	local desc=$1 a lines=()
	shift
	for a in "$@"; do mapfile -t -O "${#lines[@]}" lines <<<"$a"; done
	tap_fail "$desc" "${lines[@]}"
}
e2e_diag() {
	local a lines=()
	for a in "$@"; do mapfile -t -O "${#lines[@]}" lines <<<"$a"; done
	tap_diag "${lines[@]}"
}

# Ends the suite right away: one failed test line explaining why, the plan.
e2e_bail() {
	e2e_fail "$1" "${@:2}"
	tap_done
	exit 1
}

e2e_cleanup() {
	local pid p
	for pid in "${E2E_PIDS[@]}"; do
		_lab_alive "$pid" && kill -TERM "$pid" 2>/dev/null
	done
	[ ${#E2E_PIDS[@]} -gt 0 ] && _lab_wait_gone 5 "${E2E_PIDS[@]}" >/dev/null
	for pid in "${E2E_PIDS[@]}"; do
		_lab_alive "$pid" && kill -KILL "$pid" 2>/dev/null
	done
	for p in "${E2E_PREFIXES[@]}"; do lab_down "$p" >/dev/null 2>&1; done
	rm -rf "$E2E_TMP"
}

e2e_init() {
	trap e2e_cleanup EXIT
	trap 'exit 130' INT TERM
	((EUID == 0)) || e2e_bail "e2e suites need root" "run: sudo $0"
	local f
	for f in "$ROUTERD" "$ROUTERCTL"; do
		[ -x "$f" ] || e2e_bail "binary $f exists" \
			"build first: meson setup build && meson compile -C build"
	done
	for f in jq iperf3 nsenter ethtool python3; do
		command -v "$f" >/dev/null || e2e_bail "tool $f installed" "run lab/install-deps.sh"
	done
	lab_ensure_bpffs || e2e_bail "bpffs mounted on /sys/fs/bpf"
}

# e2e_lab TOPOLOGY PREFIX: bring a lab up, registered for teardown.
e2e_lab() {
	local out
	E2E_PREFIXES+=("$2")
	lab_down "$2" >/dev/null 2>&1  # leftovers of an earlier run with this pid
	if ! out=$(lab_up "$1" "$2" 2>&1); then
		e2e_bail "lab '$1' ($2) comes up" "$out"
	fi
}

# rd_counter SOCK KEY [IFACE]: a counters.KEY of routerd, summed over its
# interfaces or for IFACE only. Prints nothing when routerd does not answer.
rd_counter() {
	"$ROUTERCTL" -s "$1" -j stats 2>/dev/null |
		jq -r --arg k "$2" --arg i "${3:-}" \
			'[.interfaces[] | select($i == "" or .name == $i) | .counters[$k]] | add // empty'
}

# Kernel forwarding counters of a namespace (what the kernel, not XDP, forwarded).
kfwd4() {
	ip netns exec "$1" awk '$1 == "Ip:" { if (!h) { for (i = 2; i <= NF; i++) if ($i == "ForwDatagrams") c = i; h = 1 } else print $c }' /proc/net/snmp
}
kfwd6() {
	ip netns exec "$1" awk '$1 == "Ip6OutForwDatagrams" { print $2 }' /proc/net/snmp6
}

# xdp_id NS IFACE: id of the XDP program attached, empty when none.
xdp_id() {
	ip -n "$1" -j link show dev "$2" 2>/dev/null | jq -r '.[0].xdp.prog.id // empty'
}

# e2e_ping NS DST COUNT INTERVAL: prints "TRANSMITTED RECEIVED"; bounded.
e2e_ping() {
	local out
	out=$(timeout $((10 + $3 / 50)) ip netns exec "$1" ping -q -n -c "$3" -i "$4" -W 1 "$2" 2>&1)
	e2e_ping_parse "$out"
}
e2e_ping_parse() {
	local tx rx
	tx=$(echo "$1" | sed -n 's/^\([0-9]*\) packets transmitted.*/\1/p')
	rx=$(echo "$1" | sed -n 's/.* \([0-9]*\) received.*/\1/p')
	echo "${tx:-0} ${rx:-0}"
}

# ok when COUNT pings were all sent and all answered
e2e_check_ping() {
	local desc=$1 res tx rx
	res=$(e2e_ping "$2" "$3" "$4" "$5")
	read -r tx rx <<<"$res"
	if [ "$tx" -eq "$4" ] && [ "$rx" -eq "$4" ]; then
		tap_ok "$desc ($rx/$tx answered)"
	else
		e2e_fail "$desc" "sent $tx, answered $rx, expected $4/$4"
	fi
}

# e2e_wait_listen NS PORT: until a TCP listener is there (5 s at most)
e2e_wait_listen() {
	local i
	for i in $(seq 50); do
		ip netns exec "$1" ss -Hltn "sport = :$2" 2>/dev/null | grep -q . && return 0
		sleep 0.1
	done
	return 1
}

# e2e_no_xdp NS IFACE...: ok when none of them has an XDP program
e2e_no_xdp() {
	local ns=$1 i id bad=""
	shift
	for i in "$@"; do
		id=$(xdp_id "$ns" "$i")
		[ -n "$id" ] && bad+=" $i(prog $id)"
	done
	[ -z "$bad" ] || { echo "XDP still attached on:$bad"; return 1; }
}
