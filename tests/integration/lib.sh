# shellcheck shell=bash
# Shared by the tests/integration suites (not a suite itself: tests/run.sh
# only runs t_*.sh).
#
# The integration suites prove that with routerd attached the network
# behaves exactly as with kernel forwarding alone. Every case is one shell
# function taking the mode; it_main runs all of a suite's cases twice, each
# time in a fresh lab of the same topology:
#   kernel   routerd not running: the kernel forwards everything
#   routerd  routerd on every router of the lab, all of its interfaces
# A case asserts the observable outcome (what the hosts see) against what
# it expects, in both modes, with it_same/it_ok; those outcomes are recorded
# and, once both modes ran, compared one by one ("same in both modes").
# Counters show which path handled the traffic: in kernel mode the kernel's
# own (nstat) counters must move, in routerd mode routerd's counters
# (routerctl -j stats) must move and, for forwarded traffic, the kernel's
# forwarding counters must not.
#
# A suite looks like:
#   . "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
#   it_setup() { ...extra config, same in both modes, before routerd... }
#   case_foo() { local m=$1; ...; it_same "$m" "foo answer" "$got" "$want"; }
#   it_main basic xx case_foo case_bar
#
# Environment: IT_MODES (default "kernel routerd") runs fewer modes when
# debugging a suite by hand; RD_BUILD_DIR, ROUTERD, ROUTERCTL as for e2e.
# shellcheck source=tests/e2e/common.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")/../e2e" && pwd)/common.sh"
IT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export IT_DIR # used by the suites
PY=/usr/bin/python3 # Debian's python3 sees python3-scapy

IT_P=""        # the prefix of the lab running now
IT_RD_ARGS=()  # extra routerd arguments a suite sets (e.g. --netfilter off)
IT_ROUTERS=()  # routers of the lab running now
IT_MARK=""     # directory of the last it_mark snapshot
declare -A IT_RD_PID=()    # router -> routerd PID (routerd mode)
declare -A IT_OUT=()       # "mode|desc" -> outcome
IT_DESCS=()                # outcome descriptions in the order first seen
IT_SRC_N=0                 # next spare source address (it_src)

# ns NODE: the namespace of NODE in the running lab
ns() { echo "$IT_P-$1"; }
# sock NODE: routerd's control socket for router NODE
sock() { lab_sock "$IT_P" "$1"; }

it_init() {
	e2e_init
	local t
	for t in ping traceroute nstat tcpdump; do
		command -v "$t" >/dev/null || e2e_bail "tool $t installed" "run lab/install-deps.sh"
	done
	"$PY" -c 'import scapy' 2>/dev/null || e2e_bail "python3-scapy installed for $PY"
}

# ---------------------------------------------------------------------------
# outcomes

# it_same MODE DESC ACTUAL EXPECTED: ok when ACTUAL == EXPECTED; records
# ACTUAL so that it_compare can check both modes saw the same.
it_same() {
	local m=$1 desc=$2 got=$3 want=$4
	it_record "$m" "$desc" "$got"
	if [ "$got" = "$want" ]; then
		tap_ok "[$m] $desc: $got"
	else
		e2e_fail "[$m] $desc" "got:      $got" "expected: $want"
	fi
}

# it_ok MODE DESC OUTCOME CMD...: ok when CMD succeeds; records OUTCOME
# when it does and "NOT: OUTCOME" when it does not.
it_ok() {
	local m=$1 desc=$2 outcome=$3 out
	shift 3
	if out=$("$@" 2>&1); then
		it_record "$m" "$desc" "$outcome"
		tap_ok "[$m] $desc: $outcome"
	else
		it_record "$m" "$desc" "NOT: $outcome"
		e2e_fail "[$m] $desc" "expected: $outcome" "${out: -600}"
	fi
}

it_record() {
	local key="$1|$2"
	[ -n "${IT_SEEN[$2]:-}" ] || { IT_SEEN[$2]=1; IT_DESCS+=("$2"); }
	IT_OUT[$key]=$3
}
declare -A IT_SEEN=()

# One line per outcome both modes recorded: the same, or the difference.
it_compare() {
	local d k r
	for d in "${IT_DESCS[@]}"; do
		if [ -z "${IT_OUT[kernel|$d]+x}" ] || [ -z "${IT_OUT[routerd|$d]+x}" ]; then
			continue
		fi
		k=${IT_OUT[kernel|$d]} r=${IT_OUT[routerd|$d]}
		if [ "$k" = "$r" ]; then
			tap_ok "same in both modes: $d ($k)"
		else
			e2e_fail "same in both modes: $d" "kernel only: $k" "routerd:     $r"
		fi
	done
}

# it_cmp MODE DESC ACTUAL OP EXPECTED: tap_cmp with the mode in front
it_cmp() { tap_cmp "[$1] $2" "$3" "$4" "$5"; }

# ---------------------------------------------------------------------------
# counters: it_mark snapshots the kernel's SNMP counters of every namespace
# of the lab and routerd's stats of every router; it_k / it_rd print how
# much one of them grew since.

it_mark() {
	local n
	IT_MARK=$E2E_TMP/mark
	rm -rf "$IT_MARK"
	mkdir -p "$IT_MARK"
	for n in $(it_nodes); do
		_it_nstat "$n" >"$IT_MARK/k.$n"
		_it_links "$n" >"$IT_MARK/l.$n"
		[ -n "${IT_RD_PID[$n]:-}" ] && "$ROUTERCTL" -s "$(sock "$n")" -j stats >"$IT_MARK/rd.$n" 2>/dev/null
	done
	return 0
}

it_nodes() { local n; for n in $(lab_namespaces "$IT_P"); do echo "${n#"$IT_P"-}"; done; }

_it_nstat() { ip netns exec "$(ns "$1")" nstat -asz 2>/dev/null | awk 'NF >= 2 && $1 !~ /^#/ { print $1, $2 }'; }

# it_kabs NODE NAME: a kernel counter (nstat name, e.g. IpForwDatagrams)
# now. A name nstat does not know prints -1000000000 (and says so on
# stderr), so that a misspelt counter fails every comparison.
it_kabs() { _it_nstat "$1" | _it_kval "$2"; }
_it_kval() {
	awk -v k="$1" '$1 == k { print $2; f = 1 }
		END { if (!f) { print -1000000000; print "no kernel counter " k > "/dev/stderr" } }'
}

# it_k NODE NAME: growth of a kernel counter since it_mark
it_k() {
	local now was
	now=$(it_kabs "$1" "$2")
	was=$(_it_kval "$2" <"$IT_MARK/k.$1" 2>/dev/null)
	if [ "$now" = -1000000000 ] || [ "$was" = -1000000000 ]; then echo -1000000000; else echo $((now - was)); fi
}

# _it_rdval FILE KEY [IFACE]: a counter, pass reason or drop reason, summed
# over interfaces or for IFACE only
_it_rdval() {
	jq -r --arg k "$2" --arg i "${3:-}" '[.interfaces[] | select($i == "" or .name == $i) |
		(.counters[$k] // .pass_reasons[$k] // .drop_reasons[$k])] | add // "missing"' "$1" 2>/dev/null
}

# it_rd NODE KEY [IFACE]: growth of a routerd counter since it_mark
# (prints "missing" when routerd does not answer or has no such key)
it_rd() {
	local now was
	"$ROUTERCTL" -s "$(sock "$1")" -j stats >"$E2E_TMP/rd.now" 2>/dev/null
	now=$(_it_rdval "$E2E_TMP/rd.now" "$2" "${3:-}")
	was=$(_it_rdval "$IT_MARK/rd.$1" "$2" "${3:-}")
	if [[ $now =~ ^[0-9]+$ ]] && [[ $was =~ ^[0-9]+$ ]]; then
		echo $((now - was))
	else
		echo missing
	fi
}

# it_rd_ge MODE DESC NODE KEY MIN [IFACE]: in routerd mode, routerd's KEY
# grew by at least MIN since it_mark (nothing to check in kernel mode)
it_rd_ge() {
	[ "$1" = routerd ] || return 0
	local d
	d=$(it_rd "$3" "$4" "${6:-}")
	tap_cmp "[routerd] $2: $3's ${4}${6:+ on $6} grew" "$d" -ge "$5"
}
# it_rd_le MODE DESC NODE KEY MAX [IFACE]
it_rd_le() {
	[ "$1" = routerd ] || return 0
	local d
	d=$(it_rd "$3" "$4" "${6:-}")
	[ "$d" = missing ] && d=999999999
	tap_cmp "[routerd] $2: $3's ${4}${6:+ on $6} grew by at most $5" "$d" -le "$5"
}
# it_k_ge MODE DESC NODE NAME MIN: a kernel counter grew (both modes)
it_k_ge() { tap_cmp "[$1] $2: $3's $4 grew" "$(it_k "$3" "$4")" -ge "$5"; }

kfwd_name() { [ "$1" = ipv6 ] && echo Ip6OutForwDatagrams || echo IpForwDatagrams; }

# it_path MODE DESC NODE FAMILY N [IFACE]: who forwarded N packets of
# FAMILY (ipv4|ipv6) through NODE since it_mark.
#   kernel:  NODE's kernel forwarding counter grew by >= N
#   routerd: routerd's forwarded_FAMILY (on IFACE) grew by >= N, and the
#            kernel forwarded fewer than 5% of N
it_path() {
	local m=$1 desc=$2 n=$3 fam=$4 cnt=$5 iface=${6:-} kf
	kf=$(it_k "$n" "$(kfwd_name "$fam")")
	if [ "$m" = kernel ]; then
		tap_cmp "[kernel] $desc: $n's kernel forwarded them ($(kfwd_name "$fam"))" "$kf" -ge "$cnt"
	else
		tap_cmp "[routerd] $desc: $n's routerd forwarded them (forwarded_$fam${iface:+ on $iface})" \
			"$(it_rd "$n" "forwarded_$fam" "$iface")" -ge "$cnt"
		tap_cmp "[routerd] $desc: $n's kernel forwarded < 5% ($(kfwd_name "$fam"))" \
			"$kf" -lt $(((cnt * 5 + 99) / 100))
	fi
}

# ---------------------------------------------------------------------------
# probes

# it_probe NS DST [PING_ARGS...]: one echo request, bounded; prints what
# came back: "reply from ADDR", "ADDR: ICMP MESSAGE" (as ping words the
# type/code, e.g. "198.18.1.1: Time to live exceeded"), "local error: ..."
# or "none".
it_probe() {
	local n=$1 dst=$2 out
	shift 2
	out=$(timeout 5 ip netns exec "$n" ping -n -c 1 -W 1 "$@" "$dst" 2>&1)
	_it_ping_first "$out"
}
_it_ping_first() {
	awk '
	/^From / { a = $2; $1 = $2 = $3 = ""; sub(/^ +/, ""); print a ": " $0; f = 1; exit }
	/ bytes from / { a = $4; sub(/:$/, "", a); sub(/%.*/, "", a); print "reply from " a; f = 1; exit }
	/local error/ { sub(/.*local error: /, ""); print "local error: " $0; f = 1; exit }
	END { if (!f) print "none" }' <<<"$1"
}

# it_src FAMILY: a source address of h1 not used before in this lab (the
# kernel rate-limits ICMP errors per destination host: each error probe
# gets its own source). it_setup_sources adds them to h1.
it_src() {
	local i=$((100 + IT_SRC_N))
	IT_SRC_N=$((IT_SRC_N + 1))
	if [ "$1" = ipv6 ]; then echo "2001:db8:1::$i"; else echo "198.18.1.$i"; fi
}
it_setup_sources() {
	local i
	for i in $(seq 100 139); do
		ip -n "$(ns h1)" addr add "198.18.1.$i/24" dev eth0 || return 1
		ip -n "$(ns h1)" -6 addr add "2001:db8:1::$i/64" dev eth0 nodad || return 1
	done
}

# it_warm NODE ADDR...: NODE pings each ADDR once, so that its neighbour
# entries are resolved before a case counts what XDP forwarded (the first
# packet to an unresolved neighbour goes through the kernel: no_neigh).
it_warm() {
	local n=$1 a
	shift
	for a in "$@"; do
		timeout 3 ip netns exec "$(ns "$n")" ping -q -n -c 1 -W 1 "$a" >/dev/null 2>&1
	done
	return 0
}

# it_ping_bg VAR NS DST SECONDS [PING_ARGS...]: a continuous ping (every
# 50 ms, timestamps, SECONDS * 20 requests) in the background; its output
# file goes in VAR, its PID in IT_BG_PIDS (it_bg_wait waits for them).
# Not -w: with a deadline, ping stops at the first ICMP error it receives.
IT_BG_PIDS=()
it_ping_bg() {
	local var=$1 n=$2 dst=$3 secs=$4 f
	shift 4
	f=$E2E_TMP/ping.$var.$RANDOM
	timeout $((secs + 10)) ip netns exec "$n" ping -n -D -i 0.05 -W 1 -c $((secs * 20)) "$@" \
		"$dst" >"$f" 2>&1 &
	E2E_PIDS+=("$!")
	IT_BG_PIDS+=("$!")
	printf -v "$var" %s "$f"
}
it_bg_wait() {
	local p
	for p in "${IT_BG_PIDS[@]}"; do
		timeout 30 tail --pid="$p" -f /dev/null
		wait "$p" 2>/dev/null
	done
	IT_BG_PIDS=()
}

# it_ping_gap FILE: "SENT RECEIVED GAP_MS" of a continuous ping: GAP_MS is
# the longest time without an answer, from the reply timestamps, counting
# lost requests at either end at 50 ms each.
it_ping_gap() {
	awk '
	/ bytes from .*icmp_seq=/ && !/DUP!/ {
		ts = $1; gsub(/[][]/, "", ts)
		match($0, /icmp_seq=[0-9]+/); seq = substr($0, RSTART + 9, RLENGTH - 9) + 0
		if (n == 0) { gap = (seq - 1) * 50 }
		else if ((ts - last) * 1000 > gap) { gap = (ts - last) * 1000 }
		last = ts; lastseq = seq; n++
	}
	/packets transmitted/ { tx = $1 }
	END {
		if (n == 0) { printf "%d 0 999999\n", tx; exit }
		if ((tx - lastseq) * 50 > gap) gap = (tx - lastseq) * 50
		printf "%d %d %d\n", tx, n, gap
	}' "$1"
}

# it_gap_ok MODE DESC FILE [MAX_MS]: the ping in FILE never went more than
# MAX_MS (default 1000) without an answer.
it_gap_ok() {
	local m=$1 desc=$2 f=$3 max=${4:-1000} tx rx gap
	read -r tx rx gap <<<"$(it_ping_gap "$f")"
	e2e_diag "[$m] $desc: $rx/$tx answered, longest gap ${gap} ms"
	if [ "${tx:-0}" -ge 10 ] && [ "$gap" -le "$max" ]; then
		it_record "$m" "$desc: longest gap <= $max ms" yes
		tap_ok "[$m] $desc: longest gap ${gap} ms <= $max ms ($rx/$tx answered)"
	else
		it_record "$m" "$desc: longest gap <= $max ms" "no (${gap} ms)"
		e2e_fail "[$m] $desc: longest gap <= $max ms" "$rx/$tx answered, longest gap ${gap} ms" \
			"$(tail -n 5 "$f")"
	fi
}

# it_udp_recv VAR PORT COUNT: udp_flow.py receiving COUNT datagrams on h2,
# PID in VAR, result in the file IT_UDP_OUT once it exits; returns once it
# listens
it_udp_recv() {
	local i
	IT_UDP_OUT=$E2E_TMP/udp.$2.$RANDOM
	ip netns exec "$(ns h2)" "$PY" "$IT_DIR/udp_flow.py" recv "$2" "$3" \
		>"$IT_UDP_OUT" 2>"$IT_UDP_OUT.err" &
	printf -v "$1" %s "$!"
	E2E_PIDS+=("$!")
	for i in $(seq 50); do
		grep -qs ready "$IT_UDP_OUT.err" && return 0
		sleep 0.1
	done
	e2e_diag "udp_flow.py recv on h2 not ready after 5 s: $(cat "$IT_UDP_OUT.err")"
}

# udp_outcome "RECEIVED DISTINCT CORRUPT LATE" (udp_flow.py recv): in words
udp_outcome() {
	awk '{ printf "%s received, %s distinct, %s corrupt, %s out of order", $1, $2, $3, $4 }' <<<"$1"
}

# it_rxp NODE IFACE: packets received on an interface (XDP redirects into
# a veth count there too); it_rxd NODE IFACE: how many since it_mark
it_rxp() { _it_links "$1" | awk -v i="$2" '$1 == i { print $2 }'; }
it_rxd() {
	echo $(($(it_rxp "$1" "$2") - $(awk -v i="$2" '$1 == i { print $2 }' "$IT_MARK/l.$1")))
}
_it_links() { ip -n "$(ns "$1")" -j -s link show | jq -r '.[] | "\(.ifname) \(.stats64.rx.packets)"'; }

# ---------------------------------------------------------------------------
# the two modes

# it_rd_start ROUTER [ARGS...]: routerd on ROUTER with IT_RD_ARGS and ARGS,
# answering (a restart after a stop or kill -9 adopts the pinned program).
it_rd_start() {
	local r=$1
	shift
	# shellcheck disable=SC2046
	if rd_start "$(ns "$r")" "$(sock "$r")" "$(lab_pin_dir "$IT_P" "$r")" \
		$(_lab_router_ifaces "$IT_P" "$r") -- "${IT_RD_ARGS[@]}" "$@" 2>"$E2E_TMP/start.err"; then
		E2E_PIDS+=("$RD_PID")
		IT_RD_PID[$r]=$RD_PID
		return 0
	fi
	e2e_fail "[routerd] routerd starts on $r${*:+ with $*}" "$(cat "$E2E_TMP/start.err")"
	unset "IT_RD_PID[$r]"
	return 1
}

_it_start_routerd() {
	local r ifs
	for r in "${IT_ROUTERS[@]}"; do
		it_rd_start "$r" || return 1
	done
	ifs=$(for r in "${IT_ROUTERS[@]}"; do echo "$r: $(_lab_router_ifaces "$IT_P" "$r")"; done | paste -sd';' -)
	tap_ok "[routerd] routerd runs on every router ($ifs)"
}

_it_stop_routerd() {
	local r rc
	for r in "${!IT_RD_PID[@]}"; do
		if "$ROUTERCTL" -s "$(sock "$r")" status >/dev/null 2>&1; then
			tap_ok "[routerd] routerd on $r still answers after the cases"
		else
			e2e_fail "[routerd] routerd on $r still answers after the cases" \
				"$(tail -n 15 "$(lab_log "$IT_P" "$r")" 2>/dev/null)"
		fi
		rd_stop "${IT_RD_PID[$r]}"
		rc=$?
		tap_cmp "[routerd] routerd on $r exits 0 on SIGTERM" "$rc" -eq 0
	done
	IT_RD_PID=()
}

# it_main TOPOLOGY TAG CASE...: TAG (2 lower-case letters) names the labs
it_main() {
	local topo=$1 tag=$2 m c t0 t
	shift 2
	it_init
	for m in ${IT_MODES:-kernel routerd}; do
		t0=$SECONDS
		IT_P=i$tag$$${m:0:1}
		IT_SRC_N=0
		e2e_lab "$topo" "$IT_P"
		mapfile -t IT_ROUTERS < <(lab_routers "$IT_P" | sort)
		e2e_diag "=== mode $m: lab $topo, prefix $IT_P, routers ${IT_ROUTERS[*]}"
		if declare -F it_setup >/dev/null && ! it_setup "$m" >"$E2E_TMP/setup.out" 2>&1; then
			e2e_bail "[$m] suite set-up" "$(cat "$E2E_TMP/setup.out")"
		fi
		if [ "$m" = routerd ]; then
			_it_start_routerd || e2e_bail "[routerd] routerd starts" "see above"
		else
			tap_check "[kernel] no XDP program on any router interface" _it_no_xdp_anywhere
		fi
		# neighbours resolved: the cases start from steady state
		e2e_ping "$(ns h1)" 198.18.2.2 2 0.05 >/dev/null
		e2e_ping "$(ns h1)" 2001:db8:2::2 2 0.05 >/dev/null
		for c in "$@"; do
			t=$SECONDS
			"$c" "$m"
			e2e_diag "[$m] $c: $((SECONDS - t)) s"
		done
		[ "$m" = routerd ] && _it_stop_routerd
		lab_down "$IT_P" >/dev/null 2>&1
		e2e_diag "=== mode $m done in $((SECONDS - t0)) s"
	done
	it_compare
	tap_done
}

_it_no_xdp_anywhere() {
	local r
	for r in $(lab_routers "$IT_P"); do
		# shellcheck disable=SC2046
		e2e_no_xdp "$(ns "$r")" $(_lab_router_ifaces "$IT_P" "$r") || return 1
	done
}
