#!/usr/bin/env bash
# The sanitizer build's routerd and routerctl (ASan, UBSan, LSan; see
# tests/fuzz/lib.sh) in a namespace lab: every verb, bad requests, traffic,
# a reload, eth1 deleted and re-created three times, then SIGTERM. Any
# sanitizer report, or a leak found at exit, fails the suite.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_init
sec_san_init
ROUTERD=$SAN_ROUTERD ROUTERCTL=$SAN_ROUTERCTL

P=rdas$$
R=$P-r H1=$P-h1 H2=$P-h2
e2e_lab basic "$P"
SOCK=$(lab_sock "$P" r) PIN=$(lab_pin_dir "$P" r)
CONF=$E2E_TMP/routerd.conf
printf 'interface eth0\ninterface eth1\n' >"$CONF"
LOG=$E2E_TMP/routerd.log
RD_LOG=$LOG RD_START_TIMEOUT=20 rd_start "$R" "$SOCK" "$PIN" -- -c "$CONF" ||
	e2e_bail "the ASan/UBSan routerd starts" "$(tail -30 "$LOG")"
E2E_PIDS+=("$RD_PID")

sec_exercise 3
rd_stop "$RD_PID" 20
rc=$?
tap_cmp "it stopped cleanly on SIGTERM, LeakSanitizer content (exit status)" "$rc" -eq 0
if sec_sanitizer_clean "$LOG"; then
	tap_ok "no ASan, UBSan or LSan report from routerd"
else
	e2e_fail "no ASan, UBSan or LSan report from routerd" \
		"$(grep -E -A25 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$LOG" | head -60)"
fi
tap_done
