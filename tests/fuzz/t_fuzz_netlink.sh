#!/usr/bin/env bash
# Netlink messages under libFuzzer with ASan/UBSan (fuzz_netlink.c):
# freshness.c on_neigh through mnl_cb_run, netlink.c's libnl cache
# callbacks and the rd_local4 table they write. Seeds: real dumps.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
fuzz_suite_init
fuzz_regressions netlink "$FUZZ_BIN/fuzz_netlink"
fuzz_bounded netlink "$FUZZ_BIN/fuzz_netlink" 12 2000000 -max_len=16384
tap_done
