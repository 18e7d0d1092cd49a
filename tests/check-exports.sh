#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# tests/check-exports.sh SO HEADER... — the shared library exports exactly
# the functions the HEADERs declare: nothing internal (irqc__*), nothing
# missing. The declared set comes from the compiler (gcc -aux-info), not a
# regex; static inline functions of a header are not exports.
set -uo pipefail
so=$1
shift
headers=("$@")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

: > "$tmp/x.c"
for h in "${headers[@]}"; do
	printf '#include "%s"\n' "$(realpath "$h")" >> "$tmp/x.c"
done
if ! gcc -std=c11 -D_GNU_SOURCE -fsyntax-only -aux-info "$tmp/aux" "$tmp/x.c"; then
	echo "check-exports: cannot compile ${headers[*]}"
	exit 1
fi
for h in "${headers[@]}"; do
	grep -F "/* $(realpath "$h"):" "$tmp/aux"
done | grep -v '\*/ static ' |
	sed -E 's/\(.*//; s/.*[ *]([A-Za-z_][A-Za-z0-9_]*) *$/\1/' | sort -u > "$tmp/declared"
nm -D --defined-only "$so" | awk '$2 ~ /^[TtWi]$/ {print $3}' | sort -u > "$tmp/exported"

extra=$(comm -13 "$tmp/declared" "$tmp/exported")
missing=$(comm -23 "$tmp/declared" "$tmp/exported")
echo "check-exports: $(wc -l < "$tmp/exported") exported, $(wc -l < "$tmp/declared") declared"
[ -n "$extra" ] && printf 'exported but not in %s:\n%s\n' "${headers[*]}" "$extra"
[ -n "$missing" ] && printf 'declared but not exported:\n%s\n' "$missing"
[ -z "$extra" ] && [ -z "$missing" ]
