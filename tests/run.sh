#!/usr/bin/env bash
# Installs what is missing, builds, runs every test suite and ends with one
# line "N passed, N failed, N skipped". Exit status is non-zero on any failure.
# Each suite's line ends with its wall time, each stage with its total.
#
# Usage: tests/run.sh [-k] [SUITE_PATTERN...]
#   SUITE_PATTERN  run only suites whose name contains one of the patterns
#   -k             keep the TAP logs (their directory is printed)
# Environment: RD_BUILD_DIR (default: build/ in the checkout);
# RD_TEST_JOBS (default 4): criterion workers per suite. Each criterion test
# runs in a process (and network namespace) of its own, and most of its
# time is spent waiting for the kernel (namespace and veth set-up and
# teardown), not on the CPU: four at a time take about half the time of one
# at a time on 2 cores.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${RD_BUILD_DIR:-$ROOT/build}
KEEP=false
PATTERNS=()
for a in "$@"; do
	case $a in
	-k) KEEP=true ;;
	-h|--help) sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) PATTERNS+=("$a") ;;
	esac
done

# Each phase ends with its wall time; tally prints each suite's.
PHASE=
PHASE_T0=0
phase_end() {
	[ -n "$PHASE" ] && printf '%-66s %7s s\n' "-- $PHASE" "$(elapsed "$PHASE_T0")"
	PHASE=
}
step() { phase_end; PHASE=$*; PHASE_T0=$(now); printf '\n== %s\n' "$*"; }
# microseconds since the epoch; elapsed T0 prints the seconds since T0
now() { echo "${EPOCHREALTIME/./}"; }
elapsed() { seconds $(($(now) - $1)); }
seconds() { printf '%d.%d' $(($1 / 1000000)) $(($1 / 100000 % 10)); }
die() { echo "tests/run.sh: $*" >&2; echo "0 passed, 1 failed, 0 skipped"; exit 1; }

RUN_T0=$(now)
step "dependencies"
"$ROOT/lab/install-deps.sh" || die "installing dependencies failed"
if ! mount | grep -q ' type bpf '; then
	mount -t bpf -o mode=0700 bpf /sys/fs/bpf || die "cannot mount bpffs on /sys/fs/bpf"
fi

step "build ($BUILD)"
if [ ! -f "$BUILD/build.ninja" ]; then
	meson setup "$BUILD" "$ROOT" >/dev/null || die "meson setup failed"
fi
meson compile -C "$BUILD" >"$BUILD/compile.log" 2>&1 || { tail -40 "$BUILD/compile.log"; die "build failed"; }
echo "built"

export RD_ROOT=$ROOT RD_BUILD_DIR=$BUILD
export ROUTERD=$BUILD/routerd/routerd ROUTERCTL=$BUILD/routerd/routerctl

LOGS=$(mktemp -d /tmp/routerd-tests.XXXXXX)
passed=0 failed=0 skipped=0
failed_suites=()

wanted() {
	((${#PATTERNS[@]} == 0)) && return 0
	local p
	for p in "${PATTERNS[@]}"; do [[ $1 == *"$p"* ]] && return 0; done
	return 1
}

# Counts one suite's TAP; a suite that crashes or prints no result counts
# as a failure of its own.
tally() {
	local name=$1 tap=$2 rc=$3 t0=$4 t1=${5:-$(now)} p f s
	p=$(grep -cE '^ok ' "$tap" | head -1); s=$(grep -cE '^ok .*# SKIP' "$tap")
	f=$(grep -cE '^not ok ' "$tap")
	p=$((p - s))
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1; echo "not ok - $name exited with status $rc" >>"$tap"
	fi
	if [ $((p + f + s)) -eq 0 ]; then
		f=1; echo "not ok - $name ran no test" >>"$tap"
	fi
	passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
	printf '%-32s %4d passed %4d failed %4d skipped %7s s\n' "$name" "$p" "$f" "$s" "$(seconds $((t1 - t0)))"
	if [ "$f" -ne 0 ]; then
		failed_suites+=("$name")
		# each failure with its diagnostics (indented YAML or "#" lines)
		awk '/^not ok/ { show = 1; print; next } /^(ok|not ok|1\.\.)/ { show = 0 }
		     show && /^( |#)/ { print }' "$tap" | head -60 | sed 's/^/    /'
	fi
}

# shellcheck source=tests/fuzz/lib.sh
. "$ROOT/tests/fuzz/lib.sh"
export RD_SAN_BUILD_DIR=${RD_SAN_BUILD_DIR:-$BUILD-san}

# Namespace suites that need no network timing and only CPU (the bounded
# fuzz runs) run in the background chain below; the others run one at a time.
background_suite() { [[ $1 == fuzz/* ]]; }
ns_suites() {
	local script name
	while IFS= read -r script; do
		name=$(basename "$(dirname "$script")")/$(basename "$script" .sh)
		wanted "$name" && echo "$name $script"
	done < <(find "$ROOT/tests" -mindepth 2 -maxdepth 2 -name 't_*.sh' | sort)
}
# run_suite NAME SCRIPT: its TAP in LOGS, "RC T0 T1" in LOGS/NAME.rc
run_suite() {
	local f=$LOGS/${1//\//_} t0
	t0=$(now)
	timeout 900 bash "$2" </dev/null >"$f.tap" 2>"$f.err"
	echo "$? $t0 $(now)" >"$f.rc"
}

# The background chain: the sanitizer build, then the fuzz suites, while the
# criterion suites run (they mostly wait for the kernel and leave the CPU
# idle), at the lowest priority so that they do not slow those down. The
# sanitizer stage waits for the build (san_build.rc), the namespace stage
# for the whole chain: nothing runs beside the namespace suites.
# needs_san: a suite that runs from the sanitizer build is wanted
needs_san() {
	local p
	for p in "${PATTERNS[@]}"; do
		case $p in san/* | fuzz/* | security/*) return 0 ;; esac
	done
	wanted san/ || wanted fuzz/ || wanted security/
}
BG_PID=
if needs_san; then
	(
		renice -n 19 -p "$BASHPID" >/dev/null
		rd_san_build >"$LOGS/san_build.out" 2>&1
		rc=$?
		echo "$rc" >"$LOGS/san_build.rc"
		((rc == 0)) || exit 0
		ns_suites | while read -r name script; do
			background_suite "$name" && run_suite "$name" "$script"
		done
	) &
	BG_PID=$!
fi

JOBS=${RD_TEST_JOBS:-4}
step "unit and packet suites (criterion, -j$JOBS)"
while IFS= read -r bin; do
	name=$(basename "$bin")
	wanted "$name" || continue
	tap="$LOGS/$name.tap"
	t0=$(now)
	timeout 600 "$bin" -j"$JOBS" --tap="$tap" >"$LOGS/$name.log" 2>&1
	rc=$?
	[ -f "$tap" ] || : >"$tap"
	tally "$name" "$tap" "$rc" "$t0"
done < <(find "$BUILD/tests" -type f -name 'test_*' -perm -u+x 2>/dev/null | sort)

# Sanitizer stage (docs/security.md): a second build with clang,
# -Db_sanitize=address,undefined and the fuzzers (tests/fuzz/lib.sh), and
# the unit suites under ASan/UBSan/LSan; any report fails the suite. The
# fuzz and security suites below reuse this build.
step "sanitizer build and unit suites (ASan/UBSan)"
if [ -n "$BG_PID" ]; then
	while [ ! -f "$LOGS/san_build.rc" ] && kill -0 "$BG_PID" 2>/dev/null; do sleep 0.5; done
	if [ "$(cat "$LOGS/san_build.rc" 2>/dev/null)" = 0 ]; then
		echo "built $RD_SAN_BUILD_DIR (in the background; waited $(elapsed "$PHASE_T0") s for it)"
		while IFS= read -r bin; do
			name=san/$(basename "$bin")
			wanted "$name" || wanted san/ || continue
			tap="$LOGS/${name//\//_}.tap"
			t0=$(now)
			(rd_san_env; timeout 300 "$bin" -j"$JOBS" --tap="$tap" >"$LOGS/${name//\//_}.log" 2>&1)
			rc=$?
			[ -f "$tap" ] || : >"$tap"
			if grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$LOGS/${name//\//_}.log"; then
				echo "not ok - $name: sanitizer report (see ${name//\//_}.log)" >>"$tap"
				grep -E -m5 -A8 'ERROR: (Address|Leak)Sanitizer|runtime error:' \
					"$LOGS/${name//\//_}.log" | sed 's/^/# /' >>"$tap"
			fi
			tally "$name" "$tap" "$rc" "$t0"
		done < <(find "$RD_SAN_BUILD_DIR/tests/unit" -type f -name 'test_*' -perm -u+x 2>/dev/null | sort)
	else
		tap="$LOGS/san_build.tap"
		{ echo "not ok - sanitizer build"; sed 's/^/# /' "$LOGS/san_build.out"; } >"$tap"
		tally san/build "$tap" 1 "$PHASE_T0"
	fi
fi

step "namespace suites"
if [ -n "$BG_PID" ]; then
	t0=$(now)
	wait "$BG_PID"
	echo "(waited $(elapsed "$t0") s for the background chain)"
fi
while read -r name script; do
	f=$LOGS/${name//\//_}
	if ! background_suite "$name" || [ ! -f "$f.rc" ]; then
		run_suite "$name" "$script"
	fi
	read -r rc t0 t1 <"$f.rc"
	tally "$name" "$f.tap" "$rc" "$t0" "$t1"
done < <(ns_suites)

phase_end
printf '%-66s %7s s\n' "-- total" "$(elapsed "$RUN_T0")"
if $KEEP || ((failed)); then echo; echo "logs: $LOGS"; else rm -rf "$LOGS"; fi
((failed)) && echo "failed suites: ${failed_suites[*]}"
echo
echo "$passed passed, $failed failed, $skipped skipped"
((failed == 0))
