# shellcheck shell=bash
# The sanitizer build and the libFuzzer runs, shared by tests/run.sh (its
# sanitizer stage), the tests/fuzz suites and the tests/security suites.
# Not a suite itself (tests/run.sh runs only t_*.sh).
#
#   rd_san_dir               the sanitizer build directory: $RD_SAN_BUILD_DIR,
#                            default ${RD_BUILD_DIR:-ROOT/build}-san
#   rd_san_build             set it up (clang, -Db_sanitize=address,undefined,
#                            -Db_lundef=false, -Dfuzz=true) and compile what
#                            the suites run from it (rd_san_targets);
#                            serialised with flock, quiet unless it fails
#   rd_san_targets DIR       those targets: routerd, routerctl, the unit
#                            suites and the fuzzers (not the packet suites,
#                            the benchmarks or the helpers of other suites,
#                            which run from the main build)
#   rd_san_env               export ASAN_OPTIONS/UBSAN_OPTIONS: every report
#                            is fatal, leaks included
#   fuzz_regressions NAME BIN
#                            replay tests/fuzz/regressions/NAME/*: one TAP
#                            line per reproducer
#   fuzz_bounded NAME BIN SECONDS RUNS [LIBFUZZER_ARGS...]
#                            a bounded run from the seeds (the harness's own
#                            and tests/fuzz/corpus/NAME): one TAP line with
#                            the exec count
# Environment: RD_FUZZ_SECONDS_SCALE (default 1) multiplies every bound, for
# longer runs by hand; RD_FUZZ_ARTIFACTS keeps crash inputs (default
# /tmp/routerd-fuzz-artifacts).

FUZZ_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${RD_ROOT:=$(cd "$FUZZ_DIR/../.." && pwd)}"
: "${RD_FUZZ_ARTIFACTS:=/tmp/routerd-fuzz-artifacts}"

rd_san_dir() { echo "${RD_SAN_BUILD_DIR:-${RD_BUILD_DIR:-$RD_ROOT/build}-san}"; }

rd_san_targets() {
	meson introspect "$1" --targets 2>/dev/null | jq -r --arg d "$(cd "$1" && pwd)/" '
		.[] | select(.type == "executable") | .filename[0] | ltrimstr($d) |
		select(test("^(routerd/(routerd|routerctl)|tests/unit/test_[a-z0-9_]+|tests/fuzz/fuzz_[a-z0-9_]+)$"))'
}

rd_san_build() {
	local dir log rc tag
	dir=$(rd_san_dir)
	tag=$(printf %s "$dir" | md5sum | cut -c1-12)
	log=${TMPDIR:-/tmp}/routerd-san.$tag.log
	command -v clang >/dev/null || { echo "clang not found (lab/install-deps.sh installs it)"; return 1; }
	mkdir -p "$(dirname "$dir")"
	(
		flock 9
		if [ ! -f "$dir/build.ninja" ]; then
			# a set-up that failed half way is started again
			[ -d "$dir/meson-private" ] && rm -rf "$dir"
			CC=clang meson setup "$dir" "$RD_ROOT" -Dfuzz=true \
				-Db_sanitize=address,undefined -Db_lundef=false \
				-Dwerror=false || exit 1
		fi
		# shellcheck disable=SC2046 # one target per word
		meson compile -C "$dir" $(rd_san_targets "$dir")
	) >"$log" 2>&1 9>"${TMPDIR:-/tmp}/routerd-san.$tag.lock"
	rc=$?
	if [ $rc -ne 0 ]; then
		echo "sanitizer build in $dir failed; the end of $log:"
		tail -25 "$log"
	fi
	return $rc
}

rd_san_env() {
	export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:halt_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
	export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
	export LSAN_OPTIONS="${LSAN_OPTIONS:-}"
}

# Known bugs a bounded run tolerates (their reproducers in regressions/
# still fail): tests/fuzz/known-bugs lists "NAME TAG" lines.
_fuzz_tolerate() {
	local f=$FUZZ_DIR/known-bugs
	[ -f "$f" ] || return 0
	awk -v n="$1" '$1 == n { printf "%s%s", sep, $2; sep = "," }' "$f"
}

# The interesting lines of a libFuzzer/sanitizer log, as TAP diagnostics.
_fuzz_why() {
	grep -E 'INVARIANT BROKEN|ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error|SUMMARY|^    #[0-5] |^  (input|output) frame|^    [0-9a-f]{2} ' "$1" |
		grep -vE '^    #[0-5] .*(libFuzzer|fuzzer::|__sanitizer|libc\.so|__libc|nptl/|signal/|stdlib/)' | head -40
}

fuzz_regressions() {
	local name=$1 bin=$2 f out
	for f in "$FUZZ_DIR/regressions/$name"/*; do
		[ -f "$f" ] || continue
		out=$(mktemp)
		if timeout 60 "$bin" "$f" >"$out" 2>&1; then
			tap_ok "$name regression $(basename "$f") replays cleanly"
		else
			mapfile -t why < <(_fuzz_why "$out")
			tap_fail "$name regression $(basename "$f") replays cleanly" \
				"reproducer: tests/fuzz/regressions/$name/$(basename "$f")" \
				"replay: $bin $f" "${why[@]}"
		fi
		rm -f "$out"
	done
}

fuzz_bounded() {
	local name=$1 bin=$2 secs=$3 runs=$4 work out rc execs took tol scale art
	shift 4
	scale=${RD_FUZZ_SECONDS_SCALE:-1}
	secs=$((secs * scale)) runs=$((runs * scale))
	work=$(mktemp -d "/tmp/rd-fuzz-$name.XXXXXX")
	out=$work/fuzz.log
	mkdir -p "$work/corpus" "$work/seeds" "$work/art"
	# harnesses that generate seeds do so here; the others ignore the variable
	if ! RD_FUZZ_WRITE_SEEDS=$work/seeds timeout 60 "$bin" -runs=0 "$work/seeds" >"$out" 2>&1; then
		mapfile -t why < <(tail -5 "$out")
		tap_fail "$name: fuzzer starts" "${why[@]}"
		rm -rf "$work"
		return 1
	fi
	local corpora=("$work/corpus" "$work/seeds")
	[ -d "$FUZZ_DIR/corpus/$name" ] && corpora+=("$FUZZ_DIR/corpus/$name")
	tol=$(_fuzz_tolerate "$name")
	RD_FUZZ_TOLERATE=$tol timeout $((secs + 120)) "$bin" -seed=1 -runs="$runs" \
		-max_total_time="$secs" -print_final_stats=1 -artifact_prefix="$work/art/" "$@" \
		"${corpora[@]}" >"$out" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out" | tail -1)
	took=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$out" | tail -1)
	if [ $rc -eq 0 ]; then
		tap_ok "$name: ${execs:-?} runs in ${took:-?} s, no crash, no sanitizer report, no invariant broken${tol:+ (known bugs tolerated: $tol)}"
	else
		mkdir -p "$RD_FUZZ_ARTIFACTS/$name"
		art=$(ls "$work/art" 2>/dev/null | head -1)
		[ -n "$art" ] && cp "$work/art/$art" "$RD_FUZZ_ARTIFACTS/$name/"
		mapfile -t why < <(_fuzz_why "$out")
		tap_fail "$name: ${execs:-?} runs, no crash, no sanitizer report, no invariant broken" \
			"exit status $rc after ${execs:-?} runs" \
			"${art:+input kept as $RD_FUZZ_ARTIFACTS/$name/$art (replay: $bin FILE; add it to tests/fuzz/regressions/$name/)}" \
			"${why[@]}"
	fi
	rm -rf "$work"
	return $rc
}

# The start of every fuzz suite: TAP, root, the sanitizer build. Sets
# FUZZ_BIN to the directory of the harnesses.
fuzz_suite_init() {
	# shellcheck source=tests/lib/tap.sh
	. "$RD_ROOT/tests/lib/tap.sh"
	if ((EUID != 0)); then
		tap_fail "fuzz suites need root (namespaces, BPF_PROG_TEST_RUN)" "run: sudo $0"
		tap_done
		exit 1
	fi
	local out
	if ! out=$(rd_san_build 2>&1); then
		mapfile -t why <<<"$out"
		tap_fail "sanitizer/fuzz build ($(rd_san_dir))" "${why[@]}"
		tap_done
		exit 1
	fi
	rd_san_env
	FUZZ_BIN=$(rd_san_dir)/tests/fuzz
}
