#!/usr/bin/env bash
# Bad input at the command line: unknown flags, missing values, huge values.
# Each gets one clear message naming the problem and exit status 2 (bad
# usage), from the release build and from the ASan/UBSan build (which must
# stay silent). Nothing here gets past option parsing, so nothing is touched.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_init
sec_san_init

long() { head -c "$1" /dev/zero | tr '\0' "${2:-x}"; }
many_i=()
for i in $(seq 257); do many_i+=(-i "if$i"); done

cases() {
	local rd=$1 tag=$2
	sec_expect "$tag: unknown flag" 2 "unrecognized option '--bogus'" "$rd" --bogus
	sec_expect "$tag: unknown short flag" 2 "invalid option -- 'Z'" "$rd" -Z
	sec_expect "$tag: -i without its value" 2 "requires an argument" "$rd" -i
	sec_expect "$tag: --socket without its value" 2 "requires an argument" "$rd" -i lo --socket
	sec_expect "$tag: --pin-dir without its value" 2 "requires an argument" "$rd" -i lo --pin-dir
	sec_expect "$tag: -c without its value" 2 "requires an argument" "$rd" -c
	sec_expect "$tag: --log-level without its value" 2 "requires an argument" "$rd" -i lo --log-level
	sec_expect "$tag: a stray argument" 2 "unexpected argument 'extra'" "$rd" -i lo extra
	sec_expect "$tag: unknown log level" 2 "unknown level 'loud'" "$rd" --check-config -i lo --log-level loud
	sec_expect "$tag: empty interface name" 2 "invalid interface name ''" "$rd" --check-config -i ''
	sec_expect "$tag: 5000-byte interface name" 2 "invalid interface name" "$rd" --check-config -i "$(long 5000)"
	sec_expect "$tag: interface name with a slash" 2 "invalid interface name 'a/b'" "$rd" --check-config -i a/b
	sec_expect "$tag: the same interface twice" 2 "interface 'lo' listed twice" "$rd" --check-config -i lo -i lo
	sec_expect "$tag: 257 interfaces" 2 "too many -i and -b (at most 256)" "$rd" --check-config "${many_i[@]}"
	sec_expect "$tag: 200-byte socket path" 2 "--socket: path too long" "$rd" --check-config -i lo --socket "/$(long 200)"
	sec_expect "$tag: empty socket path" 2 "--socket: empty path" "$rd" --check-config -i lo --socket ''
	sec_expect "$tag: 5000-byte pin dir" 2 "--pin-dir: path too long" "$rd" --check-config -i lo --pin-dir "/$(long 5000)"
	sec_expect "$tag: 100-byte socket group" 2 "--socket-group: path too long" "$rd" --check-config -i lo --socket-group "$(long 100 g)"
	sec_expect "$tag: huge --netlink-rcvbuf" 2 "--netlink-rcvbuf: bad size" "$rd" --check-config -i lo --netlink-rcvbuf 99999999999999999999999
	sec_expect "$tag: negative --netlink-rcvbuf" 2 "--netlink-rcvbuf: bad size" "$rd" --check-config -i lo --netlink-rcvbuf -5
	sec_expect "$tag: --netlink-rcvbuf with junk" 2 "--netlink-rcvbuf: bad size '12abc'" "$rd" --check-config -i lo --netlink-rcvbuf 12abc
	sec_expect "$tag: missing config file" 2 "/nonexistent/routerd.conf" "$rd" --check-config -c /nonexistent/routerd.conf
	sec_expect "$tag: a directory as config file" 2 "$E2E_TMP" "$rd" --check-config -c "$E2E_TMP"
	sec_expect "$tag: 64 KB of arguments" 2 "unexpected argument" "$rd" -i lo "$(long 65536)"
	sec_expect "$tag: no interface at all" 2 "no interfaces configured" "$rd" --check-config -c /dev/null
	out=$("$rd" --help 2>&1)
	[ $? -eq 0 ] && [[ $out == "Usage: routerd"* ]] && tap_ok "$tag: --help prints the usage, exit 0" ||
		e2e_fail "$tag: --help prints the usage, exit 0" "${out:0:300}"
	sec_expect "$tag: a good command line is accepted" 0 "configuration OK: 1 interface(s)" "$rd" --check-config -i lo
}

cases "$ROUTERD" routerd
cases "$SAN_ROUTERD" "routerd (ASan/UBSan)"
tap_done
