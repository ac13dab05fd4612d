# shellcheck shell=bash
# TAP output for shell suites. Source it, call the tap_* functions, end with
# tap_done. tests/run.sh counts the "ok"/"not ok" lines.
#   tap_ok DESC | tap_fail DESC [DIAGNOSTIC...] | tap_skip DESC REASON
#   tap_check DESC CMD...   runs CMD, ok when it exits 0
#   tap_cmp DESC ACTUAL OP EXPECTED   numeric comparison (-eq -lt -ge ...)

TAP_N=0
TAP_FAILED=0

tap_ok() { TAP_N=$((TAP_N + 1)); echo "ok $TAP_N - $1"; }

tap_fail() {
	TAP_N=$((TAP_N + 1)); TAP_FAILED=$((TAP_FAILED + 1))
	echo "not ok $TAP_N - $1"
	shift
	local line
	for line in "$@"; do echo "#   $line"; done
}

tap_skip() { TAP_N=$((TAP_N + 1)); echo "ok $TAP_N - $1 # SKIP $2"; }

tap_check() {
	local desc=$1 out
	shift
	if out=$("$@" 2>&1); then tap_ok "$desc"; else tap_fail "$desc" "command: $*" "${out: -500}"; fi
}

tap_cmp() {
	if [ "$2" "$3" "$4" ] 2>/dev/null; then tap_ok "$1 ($2 $3 $4)"
	else tap_fail "$1" "expected $2 $3 $4"; fi
}

tap_done() { echo "1..$TAP_N"; [ "$TAP_FAILED" -eq 0 ]; }

tap_diag() { local line; for line in "$@"; do echo "# $line"; done; }

# shellcheck source=tests/lib/wait.sh
. "$(dirname "${BASH_SOURCE[0]}")/wait.sh"
