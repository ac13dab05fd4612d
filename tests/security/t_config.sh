#!/usr/bin/env bash
# Bad input in the config file, through the real binaries (release and
# ASan/UBSan) with --check-config: every file of the fuzz corpus
# (tests/fuzz/corpus/config) and a table of bad lines. Each gets "OK" or one
# message naming the file, the line and the problem, exit status 0 or 2,
# never a crash or a sanitizer report; and reading a config stays bounded
# in time and memory whatever the file holds.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_init
sec_san_init

# corpus replay: exit 0 or 2, one line, the file named on errors
for rd in "$ROUTERD" "$SAN_ROUTERD"; do
	tag=routerd
	[ "$rd" = "$SAN_ROUTERD" ] && tag="routerd (ASan/UBSan)"
	bad=()
	n=0
	for f in "$RD_ROOT"/tests/fuzz/corpus/config/* "$RD_ROOT"/tests/fuzz/regressions/config/*; do
		[ -f "$f" ] || continue
		n=$((n + 1))
		out=$(timeout 20 "$rd" --check-config -c "$f" 2>&1)
		rc=$?
		if { [ $rc -ne 0 ] && [ $rc -ne 2 ]; } || grep -qE 'Sanitizer|runtime error' <<<"$out" ||
			[ "$(wc -l <<<"$out")" -ne 1 ] || { [ $rc -eq 2 ] && [[ $out != *"$f"* && $out != *"no interfaces"* ]]; }; then
			bad+=("$(basename "$f"): exit $rc: ${out:0:300}")
		fi
	done
	if ((${#bad[@]} == 0)) && ((n > 0)); then
		tap_ok "$tag: $n corpus configs each give OK or one message naming the file"
	else
		e2e_fail "$tag: corpus configs give OK or one message naming the file" "${bad[@]}"
	fi
done

# one bad line each: FILE:LINE: and the offending word in the message
check_line() {
	local desc=$1 line=$2 want=$3 f=$E2E_TMP/bad.conf
	printf 'interface lo\n# comment\n%s\n' "$line" >"$f"
	sec_expect "$desc" 2 "$f:3: $want" "$ROUTERD" --check-config -c "$f"
	sec_expect "$desc (ASan/UBSan)" 2 "$f:3: $want" "$SAN_ROUTERD" --check-config -c "$f"
}
check_line "unknown keyword" "frobnicate yes" "unknown keyword 'frobnicate'"
check_line "interface without a name" "interface" "'interface' needs a name"
check_line "option without its value" "interface eth9 mode" "'mode' needs a value"
check_line "unknown mode" "interface eth9 mode turbo" "unknown mode 'turbo'"
check_line "mode twice" "interface eth9 mode native mode generic" "'mode' given twice"
check_line "unknown interface option" "interface eth9 speed 10" "unknown interface option 'speed'"
check_line "unknown fix-up" "interface eth9 fixups ipv4-in-ipx" "unknown fix-up 'ipv4-in-ipx'"
check_line "empty fix-up list" "interface eth9 fixups ,,," "empty fix-up list"
check_line "MSS below the minimum" "interface eth9 fixups mss-clamp=535" "mss-clamp: '535'"
check_line "MSS not a number" "interface eth9 fixups mss-clamp=1e3" "mss-clamp: '1e3'"
check_line "MSS overflowing" "interface eth9 fixups mss-clamp=99999999999999999999" "mss-clamp: '99999999999999999999'"
check_line "interface listed twice" "interface lo" "interface 'lo' listed twice"
check_line "name too long" "interface abcdefghijklmnopq" "invalid interface name 'abcdefghijklmnopq'"
check_line "too many words" "interface a b c d e f g h i j k l m n o p q" "too many words"
check_line "socket path too long" "socket /$(head -c 200 /dev/zero | tr '\0' s)" "socket: path too long"
check_line "socket without a path" "socket" "'socket' takes exactly one value"
check_line "two pin dirs" "pin-dir /a /b" "'pin-dir' takes exactly one value"
check_line "unknown log level" "log-level chatty" "unknown log level 'chatty'"
check_line "line of 5000 bytes" "interface $(head -c 5000 /dev/zero | tr '\0' x)" "line too long"

f=$E2E_TMP/nul.conf
printf 'interface lo\ninterface e\0th1\n' >"$f"
sec_expect "a NUL byte in a line" 2 "$f:2: line contains a NUL byte" "$ROUTERD" --check-config -c "$f"

f=$E2E_TMP/many.conf
{ for i in $(seq 300); do echo "interface if$i"; done; } >"$f"
sec_expect "more interfaces than routerd serves" 2 "$f:257: too many interface and bridge lines (at most 256)" \
	"$ROUTERD" --check-config -c "$f"

f=$E2E_TMP/comments.conf
{ echo "interface lo"; for i in $(seq 200000); do echo "# comment $i"; done; } >"$f"
start=$(date +%s%N)
sec_expect "200000 comment lines" 0 "configuration OK: 1 interface(s)" "$ROUTERD" --check-config -c "$f"
tap_cmp "... read in well under a second (ms)" $((($(date +%s%N) - start) / 1000000)) -lt 1000

# A line is at most 1023 bytes: routerd must say so without first reading
# the whole line into memory, and a config that never ends (a device, a
# FIFO) must not take the machine's memory. Bounded here by ulimit -v.
bounded=(bash -c 'ulimit -v 300000; exec "$0" "$@"')
f=$E2E_TMP/bigline.conf
head -c $((400 * 1024 * 1024)) /dev/zero | tr '\0' x >"$f"
sec_expect "a 400 MB line is refused as too long (memory limited to 300 MB)" 2 "$f:1: line too long" \
	"${bounded[@]}" "$ROUTERD" --check-config -c "$f"
rm -f "$f"
sec_expect "an endless config (/dev/zero) is refused, naming it (memory limited to 300 MB)" 2 "/dev/zero" \
	"${bounded[@]}" "$ROUTERD" --check-config -c /dev/zero
tap_done
