# shellcheck shell=bash
# Shared by the tests/security suites (not a suite itself). On top of
# tests/e2e/common.sh (TAP, labs, rd_start/rd_stop, cleanup) it knows the
# sanitizer build (tests/fuzz/lib.sh):
#   sec_san_init         build it (once, serialised) and set SAN_ROUTERD and
#                        SAN_ROUTERCTL; bails out of the suite when it fails
#   sec_expect DESC RC SUBSTRING CMD...
#                        ok when CMD exits with RC, says SUBSTRING on stderr
#                        (or stdout) in at most two lines, and was not
#                        killed by a signal or a sanitizer
#   sec_sanitizer_clean LOG   ok-able check: no ASan/UBSan/LSan report in LOG

SEC_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/e2e/common.sh
. "$SEC_DIR/../e2e/common.sh"
# shellcheck source=tests/fuzz/lib.sh
. "$SEC_DIR/../fuzz/lib.sh"

sec_san_init() {
	local out
	if ! out=$(rd_san_build 2>&1); then
		e2e_bail "sanitizer build ($(rd_san_dir))" "$out"
	fi
	SAN_ROUTERD=$(rd_san_dir)/routerd/routerd
	SAN_ROUTERCTL=$(rd_san_dir)/routerd/routerctl
	rd_san_env
}

sec_sanitizer_clean() {
	! grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:|SUMMARY: UndefinedBehaviorSanitizer' "$1"
}

sec_expect() {
	local desc=$1 want_rc=$2 want=$3 out rc lines
	shift 3
	out=$(timeout 20 "$@" 2>&1)
	rc=$?
	lines=$(printf '%s\n' "$out" | grep -vcE '^Try .routerd --help.|^$')
	if [ "$rc" -eq "$want_rc" ] && [[ $out == *"$want"* ]] && [ "$lines" -le 2 ] &&
		! grep -qE 'Sanitizer|runtime error:' <<<"$out"; then
		tap_ok "$desc (exit $rc: ${out%%$'\n'*})"
	else
		e2e_fail "$desc" "want exit $want_rc and '$want' in one line; got exit $rc:" "${out:0:1500}"
	fi
}

# A daemon run to watch for memory errors and leaks (t_valgrind, t_asan_daemon):
# requests of every kind, bad requests, traffic, a reload with a changed
# config, and link churn: PREFIX's r:eth1 deleted and re-created N times,
# waiting each time until routerd has let go of it and attached it again.
# Uses P, R, H1, H2, SOCK, CONF; the caller started routerd with -c "$CONF".
sec_iface_field() {
	"$ROUTERCTL" -s "$SOCK" -j interfaces 2>/dev/null |
		jq -r --arg n "$1" --arg f "$2" '.[] | select(.name == $n) | .[$f]'
}
sec_wait_for() { # SECONDS CMD...
	local deadline=$((SECONDS + $1))
	shift
	until "$@" >/dev/null 2>&1; do ((SECONDS >= deadline)) && return 1; sleep 0.2; done
}
sec_attached() { [ "$(sec_iface_field eth1 attached)" = true ] && [ -n "$(xdp_id "$R" eth1)" ]; }
sec_detached() { [ "$(sec_iface_field eth1 attached)" = false ]; }

sec_exercise() {
	local n=$1 i fails=0 v
	for v in status interfaces stats "stats -s" neigh fixups metrics "monitor -i 0.1 -c 1"; do
		# shellcheck disable=SC2086
		"$ROUTERCTL" -s "$SOCK" $v >/dev/null 2>&1 || fails=$((fails + 1))
		# shellcheck disable=SC2086
		"$ROUTERCTL" -s "$SOCK" -j $v >/dev/null 2>&1 || fails=$((fails + 1))
		# shellcheck disable=SC2086
		"$ROUTERCTL" -s "$SOCK" -j -p $v >/dev/null 2>&1 || fails=$((fails + 1))
	done
	((fails == 0)) && tap_ok "every verb answers, text, JSON and pretty JSON" ||
		e2e_fail "every verb answers, text, JSON and pretty JSON" "$fails failed"
	/usr/bin/python3 "$SEC_DIR/ctl_abuse.py" "$SOCK" requests >"$E2E_TMP/abuse.out" 2>&1
	grep -q '^not ok' "$E2E_TMP/abuse.out" &&
		e2e_fail "bad requests get error replies" "$(grep -A2 '^not ok' "$E2E_TMP/abuse.out" | head -20)" ||
		tap_ok "$(grep -c '^ok' "$E2E_TMP/abuse.out") bad and odd requests answered as they should be"
	e2e_check_ping "IPv4 through r" "$H1" 198.18.2.2 20 0.05
	e2e_check_ping "IPv6 through r" "$H1" 2001:db8:2::2 20 0.05

	sed -i 's/^interface eth0.*/interface eth0 fixups ipv4-in-ipv6,mss-clamp=auto/' "$CONF"
	"$ROUTERCTL" -s "$SOCK" reload >/dev/null 2>&1 &&
		[ "$("$ROUTERCTL" -s "$SOCK" -j interfaces | jq -r '.[] | select(.name == "eth0") | .fixups')" = "ipv4-in-ipv6,mss-clamp=auto" ] &&
		tap_ok "reload with changed fix-ups applies them" || e2e_fail "reload with changed fix-ups applies them"
	kill -HUP "$RD_PID"

	for i in $(seq "$n"); do
		ip -n "$R" link del eth1
		sec_wait_for 20 sec_detached || { fails=$((fails + 1)); continue; }
		ip -n "$R" link add name eth1 type veth peer name eth0 netns "$H2"
		ip netns exec "$R" ethtool -K eth1 gro on >/dev/null 2>&1
		ip netns exec "$H2" ethtool -K eth0 tx off gro on >/dev/null 2>&1
		ip -n "$R" addr add 198.18.2.1/24 dev eth1
		ip -n "$R" addr add 2001:db8:2::1/64 dev eth1 nodad
		ip -n "$H2" addr add 198.18.2.2/24 dev eth0
		ip -n "$H2" addr add 2001:db8:2::2/64 dev eth0 nodad
		ip -n "$R" link set eth1 up
		ip -n "$H2" link set eth0 up
		ip -n "$H2" route add default via 198.18.2.1
		ip -n "$H2" -6 route add default via 2001:db8:2::1
		sec_wait_for 20 sec_attached || fails=$((fails + 1))
		"$ROUTERCTL" -s "$SOCK" -j stats >/dev/null 2>&1 || fails=$((fails + 1))
	done
	((fails == 0)) && tap_ok "eth1 deleted and re-created $n times: let go of and re-attached each time" ||
		e2e_fail "eth1 deleted and re-created $n times" "$fails steps failed" \
			"$("$ROUTERCTL" -s "$SOCK" interfaces 2>&1)"
	e2e_check_ping "IPv4 through r after the churn" "$H1" 198.18.2.2 20 0.05
}
