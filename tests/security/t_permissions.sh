#!/usr/bin/env bash
# Permissions: what routerd creates is root's alone (socket 0600, its lock
# 0600, pin dir 0700, pins 0600, nothing world-writable, even under umask
# 000), other users cannot talk to it, and without the capabilities it needs
# routerd refuses to start, names the missing one, and touches nothing.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_init

P=rdpm$$
R=$P-r
e2e_lab basic "$P"
RUN=$(lab_run_dir "$P")
SOCK=$RUN/a/b/r.sock PIN=$(lab_pin_dir "$P" r)
mode() { stat -c %a "$1"; }
owner() { stat -c %U:%G "$1"; }

# start under umask 000 from an empty working directory
CWD=$E2E_TMP/cwd
mkdir -p "$CWD"
(cd "$CWD" && umask 000 && RD_LOG=$E2E_TMP/r.log rd_start "$R" "$SOCK" "$PIN" eth0 eth1 && echo "$RD_PID" >"$E2E_TMP/pid") ||
	e2e_bail "routerd starts under umask 000"
RD_PID=$(cat "$E2E_TMP/pid")
E2E_PIDS+=("$RD_PID")

tap_cmp "control socket is mode 0600" "$(mode "$SOCK")" = 600
tap_cmp "control socket belongs to root" "$(owner "$SOCK")" = root:root
tap_cmp "its lock file is mode 0600" "$(mode "$SOCK.lock")" = 600
for d in "$RUN/a" "$RUN/a/b"; do
	m=$(mode "$d")
	tap_cmp "socket directory ${d#"$RUN"/} it created is not group/world writable (mode $m)" $((8#$m & 8#022)) -eq 0
done
tap_cmp "pin dir is mode 0700" "$(mode "$PIN")" = 700
tap_cmp "pin dir belongs to root" "$(owner "$PIN")" = root:root
loose=$(find "$PIN" -mindepth 1 -perm /077 -printf '%m %p\n')
[ -z "$loose" ] && tap_ok "every pin under it is root's alone ($(find "$PIN" -mindepth 1 | wc -l) pins, mode 0600)" ||
	e2e_fail "every pin is root's alone" "$loose"
ww=$(find "$RUN" "$PIN" -perm -o+w ! -type l ! -path "$RUN/role.*" -printf '%m %p\n' 2>/dev/null)
[ -z "$ww" ] && tap_ok "no world-writable file or directory among what routerd created" ||
	e2e_fail "no world-writable file or directory" "$ww"
tap_cmp "nothing left in its working directory" "$(ls -A "$CWD" | wc -l)" -eq 0

chmod o+x "$RUN" "$RUN/a" "$RUN/a/b"
out=$(setpriv --reuid=nobody --regid=nogroup --clear-groups "$ROUTERCTL" -s "$SOCK" status 2>&1)
rc=$?
[ $rc -ne 0 ] && [[ $out == *"ermission denied"* ]] && tap_ok "user nobody cannot use the socket (exit $rc: $out)" ||
	e2e_fail "user nobody cannot use the socket" "exit $rc: $out"
rd_stop "$RD_PID"

# Refusals: the missing capability named, nothing created or attached.
refuse() {
	local desc=$1 want=$2 out rc
	shift 2
	rm -rf "$RUN/x"
	out=$(nsenter --net="/run/netns/$R" "$@" "$ROUTERD" -f -i eth0 -i eth1 \
		--socket "$RUN/x/r.sock" --pin-dir "$PIN-x" 2>&1)
	rc=$?
	if [ $rc -ne 0 ] && [[ $out == *"$want"* ]] && [ ! -e "$RUN/x" ] && [ ! -e "$PIN-x" ] &&
		[ -z "$(xdp_id "$R" eth0)$(xdp_id "$R" eth1)" ]; then
		tap_ok "$desc (exit $rc: $out)"
	else
		e2e_fail "$desc" "want a non-zero exit naming '$want', nothing created, no XDP attached" \
			"exit $rc: $out" "$(ls -d "$RUN/x" "$PIN-x" 2>&1)" "xdp: $(xdp_id "$R" eth0) $(xdp_id "$R" eth1)"
	fi
}
refuse "as user nobody: refused, CAP_NET_ADMIN named" CAP_NET_ADMIN \
	setpriv --reuid=nobody --regid=nogroup --clear-groups
refuse "as root without any capability: refused, CAP_NET_ADMIN named" CAP_NET_ADMIN \
	setpriv --inh-caps=-all --bounding-set=-all
refuse "as root without CAP_NET_ADMIN: refused, named" CAP_NET_ADMIN setpriv --bounding-set=-net_admin
refuse "as root without CAP_SYS_ADMIN: refused, named" CAP_SYS_ADMIN setpriv --bounding-set=-sys_admin
refuse "as root without CAP_BPF: refused, named" CAP_BPF setpriv --bounding-set=-bpf
tap_done
