#!/usr/bin/env bash
# The config parser under libFuzzer with ASan/UBSan (fuzz_config.c): file vs
# line-by-line agreement, error messages, a round trip of every config that
# parses. Seeds: tests/fuzz/corpus/config.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
fuzz_suite_init
fuzz_regressions config "$FUZZ_BIN/fuzz_config"
fuzz_bounded config "$FUZZ_BIN/fuzz_config" 10 2000000 -max_len=4096 \
	-dict="$FUZZ_DIR/config.dict"
tap_done
