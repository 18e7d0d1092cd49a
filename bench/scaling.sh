#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
#
# scaling.sh — the figures worth taking on a machine larger than CI's:
# M5 over a grid of raisers x dispatchers, M1/M7, the latency set (M2, M3,
# M6), M8 and M9, each tool's JSON into OUTDIR (default build/bench/scaling).
#
#   make bench-gbench-build build/bench/irqlat build/bench/timerlat build/bench/priolat
#   bench/scaling.sh [OUTDIR]
#
# BIN (default build/bench) is where the tools are; RUN (default empty) is
# prefixed to every command, e.g. a dynamic loader with --library-path for
# binaries carried to a machine without the libraries. GRID (default
# "1,2,4,8") lists the raiser and dispatcher counts of M5.
set -u
OUTDIR=${1:-build/bench/scaling}
BIN=${BIN:-build/bench}
RUN=${RUN:-}
GRID=${GRID:-1,2,4,8}
mkdir -p "$OUTDIR"
{ nproc; uname -r; grep -m1 'model name' /proc/cpuinfo; cat /proc/loadavg; } > "$OUTDIR/machine.txt"
GB="--benchmark_out_format=json --benchmark_enable_random_interleaving=true \
--benchmark_repetitions=3 --benchmark_display_aggregates_only=true --benchmark_min_time=0.1"
IRQBENCH_M5_DISPATCHERS=$GRID IRQBENCH_M5_RAISERS=$GRID timeout 300 $RUN "$BIN/irqbench" \
	--benchmark_filter='^M5/' --benchmark_out="$OUTDIR/m5.raw.json" $GB > "$OUTDIR/m5.txt" 2>&1
echo "M5 rc=$?"
timeout 120 $RUN "$BIN/irqbench" --benchmark_filter='^M1/|^M7/' \
	--benchmark_out="$OUTDIR/m1m7.raw.json" $GB > "$OUTDIR/m1m7.txt" 2>&1
echo "M1/M7 rc=$?"
timeout 120 $RUN "$BIN/irqlat" -d 30 -r 4 -q --json "$OUTDIR/irqlat.json" > "$OUTDIR/irqlat.txt" 2>&1
echo "irqlat rc=$?"
timeout 60 $RUN "$BIN/timerlat" -n 3000 --json "$OUTDIR/timerlat.json" > "$OUTDIR/timerlat.txt" 2>&1
echo "timerlat rc=$?"
timeout 60 $RUN "$BIN/priolat" -n 2000 --json "$OUTDIR/priolat.json" > "$OUTDIR/priolat.txt" 2>&1
echo "priolat rc=$?"
cat "$OUTDIR/timerlat.txt" "$OUTDIR/priolat.txt"
# the gbench JSON as figures (bench/gbench_figures.py), where python3 is
command -v python3 >/dev/null && for f in m5 m1m7; do
	python3 bench/gbench_figures.py "$OUTDIR/$f.raw.json" -o "$OUTDIR/$f.json"
done
exit 0
