#!/usr/bin/env bash
# tests/docs/make_help.sh — `make help` covers the Makefile (make test's
# `docs` stage; run alone from the repository root).
#
#   docs.make-help.targets    every target in .PHONY has a "## NAME: text"
#                             line, every such line names a rule, and
#                             `make help` lists each
#   docs.make-help.variables  the variables users set (CMDLINE, SMP, MEM,
#                             SITE, TLS_CERT, TLS_KEY, DEBUG) are listed,
#                             each one a variable the build really reads
#
# Prints PASS/FAIL lines; exits 1 if any failed.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 2
failed=0
pass() { echo "PASS docs.make-help.$1${2:+ ($2)}"; }
fail() { echo "FAIL docs.make-help.$1: $2"; failed=1; }

files=(Makefile net/*.mk apps/*/*.mk)
help=$(make --no-print-directory help 2>&1) || { fail targets "make help failed: $help"; exit 1; }
# .PHONY's names, over its continuation lines
phony=$(sed -n '/^\.PHONY:/,/[^\\]$/p' Makefile | sed 's/^\.PHONY://; s/\\$//' | tr -s ' \t' '\n' | sed '/^$/d')
documented=$(sed -n 's/^## \([a-z][a-z0-9-]*\): .*/\1/p' "${files[@]}")
problems=()
for t in $phony; do
	grep -qx "$t" <<<"$documented" || problems+=("$t has no '## $t:' line")
	grep -qE "^  make $t " <<<"$help" || problems+=("make help does not list $t")
done
for t in $documented; do
	grep -qE "^$t:" "${files[@]}" || problems+=("'## $t:' names no rule")
done
if [ ${#problems[@]} -gt 0 ]; then
	fail targets "$(printf '%s; ' "${problems[@]}")"
else
	pass targets "$(wc -w <<<"$phony") targets"
fi

problems=()
for v in CMDLINE SMP MEM SITE TLS_CERT TLS_KEY DEBUG; do
	grep -qE "^  $v " <<<"$help" || problems+=("make help does not list $v")
	grep -qE "^${v}[[:space:]]*[?:]?=" "${files[@]}" || problems+=("$v is not a variable of the build")
done
if [ ${#problems[@]} -gt 0 ]; then
	fail variables "$(printf '%s; ' "${problems[@]}")"
else
	pass variables
fi
exit "$failed"
