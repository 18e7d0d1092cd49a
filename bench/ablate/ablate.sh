#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
#
# What M1 (generic_handle_irq -> 1 handler) pays for: builds the library
# from copies of this working tree with one guarantee removed at a time
# (bench/ablate/variants.py; incorrect builds, for measurement only), then
# runs bench/ablate/m1loop against each, interleaved, ROUNDS times, and
# prints the best ns per event, the ratio to a direct call, and the
# instructions per event (callgrind, where valgrind is installed). Then the
# floors (bench/ablate/floor.c): toy dispatch functions with nothing but the
# steps every design pays, with and without the two compare-and-swaps that
# take and give back a line. Last, the contended line (bench/ablate/
# contend.c, against the unmodified build): two CPUs on one line at once.
#
#   bench/ablate/ablate.sh [ROUNDS]      (make bench-ablate; about 3 minutes)
set -eu
ROUNDS=${1:-5}
TOP=$(cd "$(dirname "$0")/../.." && pwd)
WORK=${ABLATE_DIR:-$TOP/build/ablate}
VARIANTS="none nocas noguard nocount nochecks nocas,noguard,nocount nocas,noguard,nocount,nochecks"

rm -rf "$WORK"
mkdir -p "$WORK"
for v in $VARIANTS; do
	d="$WORK/$v"
	mkdir -p "$d"
	(cd "$TOP" && git ls-files -z | xargs -0 cp --parents -t "$d")
	# shellcheck disable=SC2046
	python3 "$TOP/bench/ablate/variants.py" "$d" $(echo "$v" | tr , ' ')
	make -C "$d" -j2 lib >/dev/null
	cc -O2 -I"$d/include" "$TOP/bench/ablate/m1loop.c" "$d/build/lib/libirqcore.a" \
		-lck -lhwloc -lpthread -o "$WORK/m1loop.$v"
done
cc -O2 "$TOP/bench/ablate/floor.c" -o "$WORK/floor"
cc -O2 -I"$WORK/none/include" "$TOP/bench/ablate/contend.c" \
	"$WORK/none/build/lib/libirqcore.a" -lck -lhwloc -lpthread -o "$WORK/contend"
r=0
while [ $r -lt "$ROUNDS" ]; do
	for v in $VARIANTS; do
		echo "$v $("$WORK/m1loop.$v")"
	done
	echo "floor $("$WORK/floor")" >>"$WORK/floors"
	r=$((r + 1))
done >"$WORK/times"
# the direct call is the same code in every binary: its best over all
direct=$(awk '{ if (NR == 1 || $3 < d) d = $3 } END { printf "%.2f", d }' "$WORK/times")
echo "direct call: $direct ns (best of all runs); ratio: ns/event / direct"
printf '%-34s %9s %7s %12s\n' "removed" "ns/event" "ratio" "instr/event"
for v in $VARIANTS; do
	best=$(awk -v v="$v" -v d="$direct" '$1 == v { if (!n || $2 < b) b = $2; n++ }
		END { printf "%.2f %.1f", b, b / d }' "$WORK/times")
	ins=-
	if command -v valgrind >/dev/null; then
		a=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null \
			"$WORK/m1loop.$v" count 100000 2>&1 | awk '/Collected/ { print $4 }')
		b=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null \
			"$WORK/m1loop.$v" count 200000 2>&1 | awk '/Collected/ { print $4 }')
		ins=$(( (b - a) / 100000 ))
	fi
	# shellcheck disable=SC2086
	printf '%-34s %9s %7s %12s\n' "$v" $best "$ins"
done
# the floors: each column's best, against the best direct call of all the
# binaries (the same code; where a loop lands in memory moves it by ~0.3 ns)
awk -v d="$direct" '{ for (i = 2; i <= 6; i++) if (NR == 1 || $i < b[i]) b[i] = $i }
	END {
		if (b[6] < d)
			d = b[6]
		printf "floors (bench/ablate/floor.c), against the best direct call: %.2f ns\n", d
		printf "%-34s %9.2f %7.2f\n", "floor: lookup + handler call", b[2], b[2] / d
		printf "%-34s %9.2f %7.2f\n", "floor: + read side, count, plain", b[3], b[3] / d
		printf "%-34s %9.2f %7.2f\n", "floor: take by CAS, give by store", b[4], b[4] / d
		printf "%-34s %9.2f %7.2f\n", "floor: take and give by CAS", b[5], b[5] / d
	}' "$WORK/floors"
# The contended line: the median of 5 runs of each figure (wall clock, so
# the host's noise shows; a figure for comparing designs, not a gate).
for r in 1 2 3 4 5; do
	"$WORK/contend" 500000
done >"$WORK/contend.times"
sort -n -k1,1 "$WORK/contend.times" | awk 'NR == 3 { ns = $1 }
	END { printf "contended line (2 external CPUs, one line, 5 runs): median %s ns/event,", ns }'
sort -n -k2,2 "$WORK/contend.times" | awk 'NR == 3 {
	printf " median %.0f%% of events ran the handler (the rest coalesced)\n", $2 * 100 }'
