#!/usr/bin/env bash
# Installs every Debian package routerd's build, tests, lab and benchmarks
# need. Idempotent: does nothing (and needs no network) when all are present.
# Usage: lab/install-deps.sh [--quiet]
set -euo pipefail

PACKAGES=(
	# build
	build-essential meson ninja-build pkg-config clang llvm bpftool
	libbpf-dev libelf-dev zlib1g-dev libnl-3-dev libnl-route-3-dev
	libmnl-dev libev-dev libcriterion-dev
	# sanitizer build, fuzzers and security suites (docs/security.md)
	libclang-rt-dev valgrind
	# lab, tests and benchmarks
	iproute2 iputils-ping ethtool iperf3 python3 python3-scapy netsniff-ng
	procps traceroute tcpdump jq gnuplot-nox frr
	# the netfilter suite (tests/netfilter): nft, iptables-legacy, conntrack -F
	nftables iptables conntrack
	# man pages rendered, bash completion, metrics parsed (tests/e2e/t_operator.sh)
	groff bash-completion python3-prometheus-client
)

quiet=false
[[ ${1:-} == --quiet ]] && quiet=true
say() { $quiet || echo "install-deps: $*"; }

missing=()
for p in "${PACKAGES[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
	say "all ${#PACKAGES[@]} packages present"
	exit 0
fi
if ((EUID != 0)); then
	echo "install-deps: missing packages: ${missing[*]}" >&2
	echo "install-deps: run as root (sudo $0) to install them" >&2
	exit 1
fi
say "installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
say "done"
