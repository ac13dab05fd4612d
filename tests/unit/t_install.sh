#!/usr/bin/env bash
# What `meson install` puts on an operator's machine besides the binaries:
# the man pages routerd(8), routerctl(8), routerd.conf(5), rendering
# without a single groff warning, and routerctl's bash completion, which
# must load in a plain bash and complete the commands routerctl --help
# lists, and their options. (Interface names from a running routerd:
# tests/e2e/t_operator.sh.) No privileges or namespaces needed.
set -uo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
: "${RD_BUILD_DIR:=$ROOT/build}"
# shellcheck source=tests/lib/tap.sh
. "$ROOT/tests/lib/tap.sh"

TMP=$(mktemp -d /tmp/rd-install.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
PAGES=(routerd.8 routerctl.8 routerd.conf.5)

# --- the pages render cleanly ----------------------------------------------
for p in "${PAGES[@]}"; do
	src=$ROOT/docs/man/$p
	if [ ! -f "$src" ]; then
		tap_fail "$p exists in docs/man"
		continue
	fi
	out=$(groff -man -ww -z "$src" 2>&1)
	if [ -z "$out" ]; then tap_ok "$p renders with groff -man -ww, no warning"
	else tap_fail "$p renders with groff -man -ww, no warning" "$out"; fi
	missing=""
	for s in NAME SYNOPSIS DESCRIPTION "EXIT STATUS" EXAMPLES "SEE ALSO" FILES; do
		[ "$p" = routerd.conf.5 ] && [ "$s" = "EXIT STATUS" ] && continue
		grep -q "^\.SH \"\{0,1\}$s\"\{0,1\}$" "$src" || missing+=" '$s'"
	done
	[ "$p" = routerd.8 ] && { grep -q '^\.SH SIGNALS$' "$src" || missing+=" SIGNALS"; }
	[ "$p" != routerd.conf.5 ] && { grep -q '^\.SH OPTIONS$' "$src" || missing+=" OPTIONS"; }
	if [ -z "$missing" ]; then tap_ok "$p has the usual sections"
	else tap_fail "$p has the usual sections" "missing:$missing"; fi
done

# --- meson install puts them where man(1) and bash look ---------------------
if out=$(meson install -C "$RD_BUILD_DIR" --destdir "$TMP/dest" 2>&1); then
	tap_ok "meson install --destdir"
else
	tap_fail "meson install --destdir" "${out: -800}"
fi
prefix=$(meson introspect --buildoptions "$RD_BUILD_DIR" |
	python3 -c 'import json,sys; print([o["value"] for o in json.load(sys.stdin) if o["name"] == "prefix"][0])')
D=$TMP/dest$prefix
for f in share/man/man8/routerd.8 share/man/man8/routerctl.8 share/man/man5/routerd.conf.5 \
	share/bash-completion/completions/routerctl sbin/routerd bin/routerctl; do
	if [ -s "$D/$f" ]; then tap_ok "installed: $prefix/$f"
	else tap_fail "installed: $prefix/$f" "$(cd "$TMP/dest" 2>/dev/null && find . -type f | head -20)"; fi
done
if command -v man >/dev/null; then
	out=$(MANWIDTH=80 man --warnings -l "$D/share/man/man8/routerctl.8" 2>&1 >"$TMP/page")
	if [ -z "$out" ] && grep -q "routerctl - query and control a running routerd" "$TMP/page"; then
		tap_ok "man -l renders the installed routerctl(8) without warnings"
	else
		tap_fail "man -l renders the installed routerctl(8) without warnings" "$out" "$(head -5 "$TMP/page")"
	fi
fi

# --- --help points to the pages ------------------------------------------------
for pair in "routerd/routerd:routerd(8)" "routerd/routerctl:routerctl(8)"; do
	bin=$RD_BUILD_DIR/${pair%%:*}
	help=$("$bin" --help)
	if grep -qF "${pair#*:}" <<<"$help"; then tap_ok "${bin##*/} --help points to ${pair#*:}"
	else tap_fail "${bin##*/} --help points to ${pair#*:}"; fi
done

# --- completion ---------------------------------------------------------------------
COMP=$D/share/bash-completion/completions/routerctl
# complete WORDS...: the candidates for the last word, sorted, on one line
complete_words() {
	bash --norc --noprofile -c '
		. "$1" || exit 1
		shift
		COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
		_routerctl
		printf "%s\n" "${COMPREPLY[@]}" | sort | tr "\n" " "' _ "$COMP" "$@"
}
if bash --norc --noprofile -c '. "$1" && complete -p routerctl' _ "$COMP" >/dev/null 2>&1; then
	tap_ok "the completion loads in a plain bash and registers for routerctl"
else
	tap_fail "the completion loads in a plain bash and registers for routerctl" \
		"$(bash --norc -c ". '$COMP'" 2>&1)"
fi
# the commands routerctl --help lists, in the order of the completion's sort
want=$("$RD_BUILD_DIR/routerd/routerctl" --help |
	awk '/^Commands:/ { on = 1; next } on && /^  [a-z]/ { print $1 } on && /^$/ { exit }' |
	sort | tr '\n' ' ')
got=$(complete_words routerctl "")
if [ -n "$want" ] && [ "$got" = "$want" ]; then tap_ok "completes every command of --help: $got"
else tap_fail "completes every command of --help" "got:  $got" "want: $want"; fi
got=$(complete_words routerctl -j st)
if [ "$got" = "stats status " ]; then tap_ok "completes a command after an option (st -> stats status)"
else tap_fail "completes a command after an option" "got: $got"; fi
got=$(complete_words routerctl --)
if [ "$got" = "--help --json --pretty --socket " ]; then tap_ok "completes the long options"
else tap_fail "completes the long options" "got: $got"; fi
got=$(complete_words routerctl -s /x monitor "")
if [ "$got" = "--count --interval -c -i dev " ]; then tap_ok "completes monitor's arguments"
else tap_fail "completes monitor's arguments" "got: $got"; fi
got=$(complete_words routerctl fdb "")
if [ "$got" = "ports stats " ]; then tap_ok "completes fdb's arguments"
else tap_fail "completes fdb's arguments" "got: $got"; fi
tap_done
