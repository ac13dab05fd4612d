#!/usr/bin/env bash
# The XDP fast path under libFuzzer (fuzz_fastpath.c: real program,
# BPF_PROG_TEST_RUN, private namespace, invariants on every frame): the
# reproducers of bugs found so far, then a bounded run from the seeds.
# Longer by hand: RD_FUZZ_SECONDS_SCALE=20 tests/fuzz/t_fuzz_fastpath.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
fuzz_suite_init
fuzz_regressions fastpath "$FUZZ_BIN/fuzz_fastpath"
fuzz_bounded fastpath "$FUZZ_BIN/fuzz_fastpath" 25 1500000 -max_len=2048 \
	-dict="$FUZZ_DIR/fastpath.dict"
tap_done
