#!/usr/bin/env bash
# Control-socket access: root only by default (0600); with socket-group,
# members get the read-only verbs and nothing else.
. "$(dirname "${BASH_SOURCE[0]}")/../e2e/common.sh"
e2e_init

P=rdsg$$
R=$P-r
e2e_lab basic "$P"
as_nobody() { setpriv --reuid=nobody --regid="$1" --clear-groups "${@:2}"; }

SOCK=$(lab_sock "$P" r) PIN=$(lab_pin_dir "$P" r)
rd_start "$R" "$SOCK" "$PIN" eth0 eth1 || e2e_bail "routerd starts"
E2E_PIDS+=("$RD_PID")
tap_cmp "without socket-group the socket is mode 0600" "$(stat -c %a "$SOCK")" = 600
chmod o+x "$(dirname "$SOCK")"
as_nobody nogroup "$ROUTERCTL" -s "$SOCK" status >/dev/null 2>&1 &&
	e2e_fail "an unprivileged user cannot query it" || tap_ok "an unprivileged user cannot query it"
rd_stop "$RD_PID" >/dev/null

rd_start "$R" "$SOCK" "$PIN" eth0 eth1 -- --socket-group nogroup || e2e_bail "routerd starts with --socket-group"
E2E_PIDS+=("$RD_PID")
tap_cmp "with socket-group the socket is mode 0660" "$(stat -c %a "$SOCK")" = 660
tap_cmp "... owned by the group" "$(stat -c %G "$SOCK")" = nogroup
chmod o+x "$(dirname "$SOCK")"
for verb in status interfaces stats neigh fixups metrics "monitor -c 1 -i 0.1"; do
	# shellcheck disable=SC2086 # "monitor -c 1 -i 0.1" is a verb with its arguments
	tap_check "a group member may run '$verb'" as_nobody nogroup "$ROUTERCTL" -s "$SOCK" $verb
done
out=$(as_nobody nogroup "$ROUTERCTL" -s "$SOCK" reload 2>&1)
rc=$?
[ $rc -ne 0 ] && [[ $out == *"permission denied"* ]] &&
	tap_ok "a group member may not reload (exit $rc: $out)" ||
	e2e_fail "a group member may not reload" "exit $rc: $out"
tap_check "root may reload" "$ROUTERCTL" -s "$SOCK" reload
out=$(nsenter --net="/run/netns/$R" "$ROUTERD" -f -i lo --socket "$E2E_TMP/x.sock" --pin-dir "$PIN-x" --socket-group no-such-group-x 2>&1)
rc=$?
[ $rc -ne 0 ] && [[ $out == *"unknown group 'no-such-group-x'"* ]] &&
	tap_ok "an unknown socket-group is refused by name" || e2e_fail "an unknown socket-group is refused" "$out"
tap_done
