#!/usr/bin/env bash
# A hostile pin dir (docs/security.md, local users). bpffs mounted the
# kernel's default way is mode 1777, so an unprivileged user can create the
# pin dir before routerd does, make it a symlink, plant symlinks in it to
# another namespace's pinned XDP links and maps, or hold its lock; and root's
# own pin dir may hold pins of links that serve another namespace. Each time
# routerd (release and ASan build) refuses with a message naming the path,
# attaches nothing, and the victim namespace V, whose XDP links are pinned on
# the same bpffs, keeps exactly the programs it had (ip -j link). Links that
# are not provably routerd's in this namespace are left alone by the stale
# sweep too. A symlinked socket lock file is not followed. Meanwhile a fresh
# pin dir on that 1777 bpffs still works.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_init
sec_san_init

PIN_LINK=$RD_BUILD_DIR/tests/daemon/pin_xdp_link
OBJ=$RD_BUILD_DIR/bpf/routerd.bpf.o
[ -x "$PIN_LINK" ] && [ -f "$OBJ" ] || e2e_bail "test helpers built" "missing $PIN_LINK or $OBJ"
P=rdhp$$
R=$P-r V=$P-v
e2e_lab basic "$P"
SOCK=$(lab_sock "$P" r)
FS=$E2E_TMP/bpffs
mkdir -p "$FS" && mount -t bpf bpf "$FS" || e2e_bail "a private bpffs is mounted"
unmount_all() { while mountpoint -q "$FS"; do umount -l "$FS" || break; done; }
trap 'unmount_all; e2e_cleanup' EXIT
chmod 1777 "$FS"     # the kernel's default mode for a bpffs mount
chmod o+x "$E2E_TMP" # so that user nobody reaches it
as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }

# The victim: veths in V carrying XDP through pinned links, as a routerd
# there would (the same object, so the same program name and tag). vb has
# the ifindex of r's eth0, so its pin has the name r's eth0 link would have.
EIDX=$(ip -n "$R" -j link show eth0 | jq -r '.[0].ifindex')
ip netns add "$V" || e2e_bail "namespace $V"
ip -n "$V" link add va index 999 type veth peer name vb index "$EIDX" &&
	ip -n "$V" link set va up && ip -n "$V" link set vb up || e2e_bail "veths in $V"
VPIN=$FS/v
mkdir -m 0700 "$VPIN"
declare -A vlink
for dev in va vb; do
	idx=$(ip -n "$V" -j link show "$dev" | jq -r '.[0].ifindex')
	vlink[$dev]=$VPIN/xdp_link_$idx
	nsenter --net="/run/netns/$V" "$PIN_LINK" "$OBJ" "$dev" "${vlink[$dev]}" >/dev/null ||
		e2e_bail "XDP attached to $V's $dev through a pinned link"
done
vprog=$(xdp_id "$V" va)
vmap=$(bpftool -j prog show id "$vprog" | jq -r '.map_ids[]' | while read -r m; do
	[ "$(bpftool -j map show id "$m" | jq -r .name)" = rd_stats ] && echo "$m"; done)
[ -n "$vmap" ] && bpftool map pin id "$vmap" "$VPIN/rd_stats" || e2e_bail "$V's rd_stats pinned"
victim() { echo "va=$(xdp_id "$V" va) vb=$(xdp_id "$V" vb)"; }
V0=$(victim)
[ -n "$(xdp_id "$V" va)" ] && [ -n "$(xdp_id "$V" vb)" ] || e2e_bail "victim has XDP" "$V0"
tap_ok "victim $V: XDP on va and vb ($V0), links pinned under $VPIN"

untouched() { # DESC: V as it was, its pins there, nothing attached on r
	local now
	now=$(victim)
	if [ "$now" = "$V0" ] && [ -e "${vlink[va]}" ] && [ -e "${vlink[vb]}" ] &&
		[ -z "$(xdp_id "$R" eth0)$(xdp_id "$R" eth1)" ]; then
		tap_ok "$1: victim's XDP untouched ($now), nothing attached on r"
	else
		e2e_fail "$1: victim's XDP untouched, nothing attached on r" "victim before: $V0" \
			"victim now: $now" "$(ls -l "$VPIN" 2>&1)" \
			"r: eth0 '$(xdp_id "$R" eth0)' eth1 '$(xdp_id "$R" eth1)'"
		# put things back for the next case
		rd_cleanup_r
	fi
}
rd_cleanup_r() {
	ip -n "$R" link set eth0 xdp off 2>/dev/null
	ip -n "$R" link set eth1 xdp off 2>/dev/null
}

# refused DESC PIN WANT...: both builds refuse, naming each WANT, and touch nothing
refused() {
	local desc=$1 pin=$2 rd tag out rc ok w
	shift 2
	for rd in "$ROUTERD" "$SAN_ROUTERD"; do
		tag=release
		[ "$rd" = "$SAN_ROUTERD" ] && tag=asan
		# a routerd that does start is stopped (SIGTERM) after 15 s
		out=$(timeout 15 nsenter --net="/run/netns/$R" "$rd" -f -i eth0 -i eth1 \
			--socket "$SOCK" --pin-dir "$pin" 2>&1)
		rc=$?
		ok=1
		[ $rc -ne 0 ] && [ $rc -ne 124 ] || ok=0
		for w in "$@"; do [[ $out == *"$w"* ]] || ok=0; done
		grep -qE 'Sanitizer|runtime error:' <<<"$out" && ok=0
		if [ $ok = 1 ]; then
			tap_ok "$tag: $desc: refused (exit $rc: $(grep -m1 -E 'error|refus' <<<"$out"))"
		else
			e2e_fail "$tag: $desc: refused, naming: $*" "exit $rc:" "${out:0:1500}"
		fi
		untouched "$tag: $desc"
	done
}

# 1. pre-created by nobody, with symlinks to V's links and maps
D=$FS/routerd
as_nobody sh -c "mkdir '$D' && ln -s '${vlink[va]}' '$D/xdp_link_999' &&
	ln -s '${vlink[vb]}' '$D/xdp_link_$EIDX' && ln -s '$VPIN/rd_stats' '$D/rd_stats'" ||
	e2e_bail "user nobody plants a pin dir"
refused "pin dir made by user nobody, with symlinks to another namespace's pins" "$D" \
	"pin dir $D belongs to uid $(id -u nobody)" "mode=0700"

# ... and nobody holds its lock
setpriv --reuid=nobody --regid=nogroup --clear-groups /usr/bin/python3 -c '
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDONLY | os.O_DIRECTORY)
fcntl.flock(fd, fcntl.LOCK_EX)
print("locked", flush=True)
time.sleep(60)' "$D" >"$E2E_TMP/lock.out" &
locker=$!
E2E_PIDS+=("$locker")
sec_wait_for 10 grep -q locked "$E2E_TMP/lock.out" || e2e_bail "user nobody locks $D"
refused "pin dir made and locked by user nobody" "$D" "pin dir $D belongs to uid"
kill "$locker"; wait "$locker" 2>/dev/null

# ... and a root-owned pin dir whose mode lets others in, locked by nobody
D=$FS/loose
mkdir -m 0755 "$D"
setpriv --reuid=nobody --regid=nogroup --clear-groups /usr/bin/python3 -c '
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDONLY | os.O_DIRECTORY)
fcntl.flock(fd, fcntl.LOCK_EX)
print("locked", flush=True)
time.sleep(60)' "$D" >"$E2E_TMP/lock2.out" &
locker=$!
E2E_PIDS+=("$locker")
sec_wait_for 10 grep -q locked "$E2E_TMP/lock2.out" || e2e_bail "user nobody locks $D"
refused "root's pin dir (mode 0755) locked by user nobody: the holder is named" "$D" \
	"pin dir $D is locked by pid $locker of uid $(id -u nobody)"
kill "$locker"; wait "$locker" 2>/dev/null

# 2. the pin dir is nobody's symlink to V's pin dir
D=$FS/routerd2
as_nobody ln -s "$VPIN" "$D"
refused "pin dir is a symlink to another namespace's pin dir" "$D" "$D" "symbolic link"

# 3. root's, but writable by everyone, with nobody's symlinks in it
D=$FS/shared
mkdir -m 1777 "$D" && chmod 1777 "$D"
as_nobody sh -c "ln -s '${vlink[vb]}' '$D/xdp_link_$EIDX'"
refused "root's pin dir writable by others (1777) with symlinks planted" "$D" \
	"pin dir $D is writable by other users" "chmod 0700"

# 4. root's own 0700 pin dir holding symlinks: never followed
D=$FS/withlinks
mkdir -m 0700 "$D"
ln -s "$VPIN/rd_stats" "$D/rd_stats"
refused "a symlinked map pin in root's pin dir" "$D" "$D" "rd_stats is a symbolic link"
rm "$D/rd_stats"
ln -s "${vlink[vb]}" "$D/xdp_link_$EIDX"
refused "a symlinked link pin in root's pin dir" "$D" "$D/xdp_link_$EIDX" "symbolic link"
rm -rf "$D"

# 5. root's own pin dir holding real pins of V's links (bpftool link pin):
# the pin's name says r's eth0, the link's own info says another namespace
D=$FS/foreign
mkdir -m 0700 "$D"
bpftool link pin pinned "${vlink[vb]}" "$D/xdp_link_$EIDX" || e2e_bail "V's link pinned again"
refused "a pin of another namespace's link named like r's eth0 link" "$D" \
	"$D/xdp_link_$EIDX" "another namespace"
rm -rf "$D"

# 6. the stale-link sweep: pins not in the config, V's va link pinned as
# xdp_link_999 and V's vb link symlinked as xdp_link_998 in root's pin dir.
# routerd starts and leaves both alone, then stops (SIGTERM) leaving them too.
D=$FS/sweep
mkdir -m 0700 "$D"
bpftool link pin pinned "${vlink[va]}" "$D/xdp_link_999" || e2e_bail "V's link pinned again"
ln -s "${vlink[vb]}" "$D/xdp_link_998"
LOG=$E2E_TMP/sweep.log
if RD_LOG=$LOG rd_start "$R" "$SOCK" "$D" eth0 eth1; then
	E2E_PIDS+=("$RD_PID")
	tap_cmp "stale sweep: routerd starts on r, XDP on eth0" "$(xdp_id "$R" eth0)" != ""
	tap_cmp "stale sweep: the victim's XDP untouched" "$(victim)" = "$V0"
	grep -q "xdp_link_999: .*another namespace.*left alone" "$LOG" &&
		grep -q "xdp_link_998 is a symbolic link.*left alone" "$LOG" &&
		tap_ok "stale sweep: routerd says it left both alone" ||
		e2e_fail "stale sweep: routerd says it left both alone" "$(cat "$LOG")"
	rd_stop "$RD_PID"
	untouched "stale sweep, after SIGTERM"
	[ -e "$D/xdp_link_999" ] && [ -L "$D/xdp_link_998" ] && tap_ok "... and their pins stay" ||
		e2e_fail "... and their pins stay" "$(ls -l "$D" 2>&1)"
else
	e2e_fail "stale sweep: routerd starts on r" "$(tail -5 "$LOG")"
	untouched "stale sweep"
fi
rm -rf "$D"

# 7. a symlinked socket lock file is not followed (nor its target created)
RUN=$(lab_run_dir "$P")
ln -s "$E2E_TMP/planted" "$RUN/x.sock.lock"
out=$(timeout 20 nsenter --net="/run/netns/$R" "$ROUTERD" -f -i eth0 -i eth1 \
	--socket "$RUN/x.sock" --pin-dir "$FS/x" 2>&1)
rc=$?
if [ $rc -ne 0 ] && [[ $out == *"$RUN/x.sock.lock is a symbolic link"* ]] && [ ! -e "$E2E_TMP/planted" ]; then
	tap_ok "symlinked lock file: refused, target not created ($out)"
else
	e2e_fail "symlinked lock file: refused, target not created" "exit $rc: $out" "$(ls -l "$E2E_TMP/planted" 2>&1)"
fi
untouched "symlinked lock file"

# 8. on this 1777 bpffs a pin dir routerd creates itself is fine
D=$FS/fresh
LOG=$E2E_TMP/fresh.log
if RD_LOG=$LOG rd_start "$R" "$SOCK" "$D" eth0 eth1; then
	E2E_PIDS+=("$RD_PID")
	tap_ok "a fresh pin dir on a mode 1777 bpffs: routerd starts"
	tap_cmp "... creates it mode 0700, root's" "$(stat -c '%a %U' "$D")" = "700 root"
	grep -q "created pin dir $D (mode 0700)" "$LOG" && tap_ok "... and says so" ||
		e2e_fail "... and says so" "$(cat "$LOG")"
	e2e_check_ping "... and forwards" "$P-h1" 198.18.2.2 5 0.1
	rd_stop "$RD_PID"
	tap_cmp "... and stops cleanly" "$?" -eq 0
else
	e2e_fail "a fresh pin dir on a mode 1777 bpffs: routerd starts" "$(tail -5 "$LOG")"
fi
tap_cmp "the victim's XDP untouched at the end" "$(victim)" = "$V0"
tap_done
