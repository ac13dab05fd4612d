# shellcheck shell=bash
# Waiting for a condition instead of sleeping a fixed time: a suite polls
# what it is about to assert on, so that it moves on as soon as that holds
# and still waits the whole bound on a slow machine. Sourced by tap.sh.
#   wait_until SECONDS CMD...   runs CMD (output discarded) every 50 ms
#                               until it succeeds; 0 then, 1 after SECONDS
#                               (a fraction is fine: 0.5)
#   wait_ms SECONDS CMD...      the same, printing the milliseconds it took
#                               (nothing on a timeout)

# _wait_us SECONDS: SECONDS (e.g. 2 or 0.5) in microseconds
_wait_us() {
	local s=${1%%.*} f=${1#*.}
	[ "$f" = "$1" ] && f=
	f=${f}000000
	echo $((${s:-0} * 1000000 + 10#${f:0:6}))
}

wait_ms() {
	local t0=${EPOCHREALTIME/./} end
	end=$((t0 + $(_wait_us "$1")))
	shift
	until "$@" >/dev/null 2>&1; do
		((${EPOCHREALTIME/./} > end)) && return 1
		sleep 0.05
	done
	echo $(((${EPOCHREALTIME/./} - t0) / 1000))
}

wait_until() { wait_ms "$@" >/dev/null; }
