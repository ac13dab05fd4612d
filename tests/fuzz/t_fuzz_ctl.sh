#!/usr/bin/env bash
# Control requests under libFuzzer with ASan/UBSan (fuzz_ctl.c):
# rd_ctl_parse_request and the real socket server, reply checked against
# the protocol. Seeds: tests/fuzz/corpus/ctl.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
fuzz_suite_init
fuzz_regressions ctl "$FUZZ_BIN/fuzz_ctl"
fuzz_bounded ctl "$FUZZ_BIN/fuzz_ctl" 10 2000000 -max_len=12288
tap_done
