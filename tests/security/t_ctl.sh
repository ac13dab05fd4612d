#!/usr/bin/env bash
# Bad input at the control socket (ctl_abuse.py): oversized, truncated and
# garbage requests, NUL bytes, unknown verbs, 1000 clients at once, 2000
# idle clients, more idle clients than the cap, slowloris clients that never
# finish. Each bad request gets
# one "error: ..." line (or, unfinished, no reply); routerd keeps answering
# everyone else throughout, hangs up on the idle and the slow, and is still
# there at the end with its counters adding up.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_init

P=rdct$$
R=$P-r
e2e_lab basic "$P"
SOCK=$(lab_sock "$P" r) PIN=$(lab_pin_dir "$P" r)
rd_start "$R" "$SOCK" "$PIN" eth0 eth1 || e2e_bail "routerd starts"
E2E_PIDS+=("$RD_PID")

# ctl_abuse.py lines -> TAP
tap_from() {
	local line desc=''
	local diag=()
	flush() {
		[ -n "$desc" ] || return 0
		if [ "$ok" = 1 ]; then tap_ok "$desc"; e2e_diag "${diag[@]}"; else e2e_fail "$desc" "${diag[@]}"; fi
		desc='' diag=()
	}
	while IFS= read -r line; do
		case $line in
		"ok - "*) flush; ok=1 desc=${line#ok - } ;;
		"not ok - "*) flush; ok=0 desc=${line#not ok - } ;;
		"# "*) diag+=("${line#\# }") ;;
		READY) ;;
		*) diag+=("$line") ;;
		esac
	done
	flush
}
abuse() { /usr/bin/python3 "$SEC_DIR/ctl_abuse.py" "$SOCK" "$@" 2>&1; }

# routerctl answers within LIMIT seconds (prints the time taken)
answers_within() {
	local limit=$1 t0 t1 out
	t0=$(date +%s%N)
	out=$(timeout 10 "$ROUTERCTL" -s "$SOCK" status 2>&1) || { echo "no answer: $out"; return 1; }
	t1=$(date +%s%N)
	echo "answered in $(((t1 - t0) / 1000000)) ms"
	[ $(((t1 - t0) / 1000000)) -lt $((limit * 1000)) ]
}
cpu_ticks() { awk '{print $14 + $15}' "/proc/$RD_PID/stat"; }

t0=$SECONDS
tap_from < <(abuse requests)
tap_from < <(abuse concurrent 1000)
tap_from < <(abuse flood 5000)
e2e_diag "request scenarios took $((SECONDS - t0)) s"

# background scenarios: wait for READY, probe routerctl meanwhile
background() {
	local out=$E2E_TMP/$1.out
	: >"$out"
	abuse "$@" >"$out" &
	BG=$!
	for _ in $(seq 300); do grep -q READY "$out" && return 0; sleep 0.1; done
	return 1
}

ticks0=$(cpu_ticks)
background idle 2000 4 || e2e_fail "2000 idle clients connect" "$(cat "$E2E_TMP/idle.out")"
if res=$(answers_within 3); then tap_ok "routerctl answered while 2000 idle clients were connected ($res)"
else e2e_fail "routerctl answered while 2000 idle clients were connected" "$res"; fi
wait "$BG"
tap_from <"$E2E_TMP/idle.out"
ticks=$(($(cpu_ticks) - ticks0))
tap_cmp "routerd's CPU time while 2000 clients idled for 4 s (1/100 s)" "$ticks" -lt 150

# More idle clients than routerd serves at once (RD_CTL_MAX_CLIENTS, 4096;
# anyone in the socket group can open them): at the cap routerd hangs up on
# the oldest idle client, as when out of descriptors, instead of leaving
# routerctl in the backlog until idle clients time out (2 s).
e0=$("$ROUTERCTL" -s "$SOCK" -j status | jq -r '.clients_evicted // 0')
background idle 4160 3 || e2e_fail "4160 idle clients connect" "$(cat "$E2E_TMP/idle.out")"
if res=$(answers_within 1); then tap_ok "routerctl answered in under 1 s while 4160 idle clients held the client cap ($res)"
else e2e_fail "routerctl answered in under 1 s while 4160 idle clients held the client cap" "$res"; fi
evicted=$("$ROUTERCTL" -s "$SOCK" -j status | jq -r '.clients_evicted // empty')
tap_cmp "at the cap routerd hung up on the oldest idle clients (clients_evicted ${e0} -> ${evicted:-none})" \
	"$((${evicted:-0} - e0))" -ge $((4160 - 4096))
wait "$BG"
tap_from <"$E2E_TMP/idle.out"

# The same with routerd short of descriptors (a systemd service gets a soft
# limit of 1024): accept() fails with EMFILE while the clients idle.
nofile=$(prlimit --pid "$RD_PID" --nofile --noheadings --output SOFT)
prlimit --pid "$RD_PID" --nofile=128:
ticks0=$(cpu_ticks)
background idle 300 7 || e2e_fail "300 idle clients connect" "$(cat "$E2E_TMP/idle.out")"
if res=$(answers_within 3); then tap_ok "routerctl answered in under 3 s while 300 idle clients held routerd's 128 descriptors ($res)"
else e2e_fail "routerctl answered in under 3 s while 300 idle clients held routerd's 128 descriptors" "$res"; fi
wait "$BG"
tap_from <"$E2E_TMP/idle.out"
ticks=$(($(cpu_ticks) - ticks0))
tap_cmp "routerd does not spin on EMFILE: its CPU time over those 7 s (1/100 s)" "$ticks" -lt 70
prlimit --pid "$RD_PID" --nofile="$nofile":

background slowloris 200 6 || e2e_fail "200 slowloris clients connect" "$(cat "$E2E_TMP/slowloris.out")"
sleep 1
ok=1 times=()
for _ in 1 2 3 4 5; do
	res=$(answers_within 1) || ok=0
	times+=("$res")
	sleep 0.5
done
if [ $ok = 1 ]; then tap_ok "routerctl answered in under 1 s, five times, among 200 slowloris clients"
else e2e_fail "routerctl answered in under 1 s among 200 slowloris clients" "${times[@]}"; fi
wait "$BG"
tap_from <"$E2E_TMP/slowloris.out"

tap_check "routerd is still running" kill -0 "$RD_PID"
json=$("$ROUTERCTL" -s "$SOCK" -j status)
bad=$(jq -r .bad_requests <<<"$json")
tap_cmp "bad requests were counted" "${bad:-0}" -ge 30
stats=$("$ROUTERCTL" -s "$SOCK" -j stats)
if [ -n "$stats" ] && jq -e '[.interfaces[].counters | .rx_packets == .forwarded_ipv4 + .forwarded_ipv6 + .bridged + .passed + .dropped] | all' <<<"$stats" >/dev/null; then
	tap_ok "routerctl stats answers and the counters add up"
else
	e2e_fail "routerctl stats answers and the counters add up" "$stats"
fi
rd_stop "$RD_PID"
tap_cmp "routerd stopped cleanly on SIGTERM (exit status)" "$?" -eq 0
tap_done
