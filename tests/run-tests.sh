#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# Runs the irqcore test programs and sums their results.
#
#   tests/run-tests.sh [--timeout S] [--cmd NAME COMMAND]... [--wrap PREFIX]
#                      [--kinds "KIND..."] DIR...
#
# For every DIR (a build's test tree, e.g. build/tests or build/tsan/tests)
# it runs, for each KIND (default "unit stress"; tests/torture needs the
# torture build), DIR/KIND/NAME for every tests/KIND/NAME.c, each under
# `timeout S` (default 300). --kinds applies to the DIRs that follow it. A program
# ends with "PROG: N passed, N failed"; those counts are added up. A program
# that is missing (did not build), times out, crashes or prints no count
# line counts as 1 failed; so does one that exits non-zero although it
# reported 0 failed (e.g. a sanitizer report at exit).
#
# --wrap PREFIX runs the programs of the DIRs that follow it as
# `PREFIX PROG` (e.g. "setarch x86_64 -R"); --wrap "" stops wrapping.
# --cmd NAME COMMAND runs a shell command first and counts it as one test.
#
# The last line of the output is exactly "N passed, N failed"; the exit
# status is 1 if anything failed.
set -uo pipefail

cd "$(dirname "$0")/.." || exit 2

timeout_s=300
kinds="unit stress"
wrap=""
total_pass=0
total_fail=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

run_cmd() {	# NAME COMMAND
	local name=$1 cmd=$2 st

	echo "== $name: $cmd"
	bash -c "$cmd"
	st=$?
	if [ "$st" -eq 0 ]; then
		echo "PASS $name"
		total_pass=$((total_pass + 1))
	else
		echo "FAIL $name (exit status $st)"
		total_fail=$((total_fail + 1))
	fi
}

run_prog() {	# PATH
	local prog=$1 st line p f
	local -a pre=()

	if [ ! -x "$prog" ]; then
		echo "FAIL $prog (not built)"
		total_fail=$((total_fail + 1))
		return
	fi
	[ -n "$wrap" ] && read -r -a pre <<<"$wrap"
	echo "== $prog"
	timeout "$timeout_s" "${pre[@]}" "$prog" 2>&1 | tee "$log"
	st=${PIPESTATUS[0]}
	line=$(grep -E ': [0-9]+ passed, [0-9]+ failed$' "$log" | tail -n 1)
	if [ -z "$line" ]; then
		if [ "$st" -eq 124 ]; then
			echo "FAIL $prog (timed out after ${timeout_s}s)"
		else
			echo "FAIL $prog (no count line, exit status $st)"
		fi
		total_fail=$((total_fail + 1))
		return
	fi
	p=$(sed -E 's/.*: ([0-9]+) passed, ([0-9]+) failed$/\1/' <<<"$line")
	f=$(sed -E 's/.*: ([0-9]+) passed, ([0-9]+) failed$/\2/' <<<"$line")
	total_pass=$((total_pass + p))
	total_fail=$((total_fail + f))
	if [ "$st" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "FAIL $prog (exit status $st after reporting 0 failed)"
		total_fail=$((total_fail + 1))
	fi
}

run_dir() {	# DIR
	local dir=$1 kind src

	for kind in $kinds; do
		for src in tests/"$kind"/*.c; do
			[ -e "$src" ] || continue
			run_prog "$dir/$kind/$(basename "$src" .c)"
		done
	done
}

while [ $# -gt 0 ]; do
	case $1 in
	--timeout) timeout_s=$2; shift 2 ;;
	--wrap) wrap=$2; shift 2 ;;
	--kinds) kinds=$2; shift 2 ;;
	--cmd) run_cmd "$2" "$3"; shift 3 ;;
	-*) echo "run-tests.sh: unknown option $1" >&2; exit 2 ;;
	*) run_dir "$1"; shift ;;
	esac
done

echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
