# SPDX-License-Identifier: BSD-2-Clause
#
# Benchmarks (included from the Makefile; uses its BUILDDIR, IRQC_CFLAGS,
# IRQC_LDFLAGS, LDLIBS and STATIC_LIB). Not part of `make check`.
#
#   make bench-hist-test  build and run the latency histogram self-test
#   make bench-handoff    build and run bench/handoff (hard handler ->
#                         thread_fn hand-off against bare wake-ups, same run);
#                         JSON into $(BUILDDIR)/bench/handoff.json
#   make bench            the full set (minutes): every figure M1-M7, the
#                         summary table, plots, comparison with the baseline
#   make bench-ci         a short version for CI (1-2 minutes; at most about
#                         4 with re-measurements): the three tools, then
#                         bench-gate
#   make bench-gate       summary and gate over the JSON at hand; a figure
#                         that trips is re-measured (its tool re-run) up to
#                         BENCH_REMEASURE (2) more times and fails only if it
#                         trips every time (bench/README.md, "The gate")
#
# The gate's self-test (synthetic JSON, no benchmark, a few seconds):
#   python3 bench/compare_test.py
#
# BENCH_ARGS adds options to handoff (e.g. BENCH_ARGS="-n 4000 -v").
# Every tool writes its figures (JSON, schema in bench/README.md) into
# $(BUILDDIR)/bench/; bench/summarize merges and prints them, bench/compare
# checks their ratios against bench/baseline.json.

BENCH_DIR       := $(BUILDDIR)/bench
BENCH_OBJDIR    := $(BENCH_DIR)/obj
BENCH_HANDOFF   := $(BENCH_DIR)/handoff
BENCH_HIST_TEST := $(BENCH_DIR)/hist_test
BENCH_JSON      := $(BENCH_DIR)/handoff.json
BENCH_ARGS      ?=
BENCH_OBJS      := $(patsubst bench/%.c,$(BENCH_OBJDIR)/%.o,$(wildcard bench/*.c))

.PHONY: bench bench-ci bench-gate bench-handoff bench-handoff-ci bench-hist-test bench-summary

BENCH_SUMMARY  := $(BENCH_DIR)/summary.json
BENCH_BASELINE := bench/baseline.json
BENCH_FIGURES  := $(BENCH_DIR)/gbench.json $(BENCH_DIR)/gbench-shared.json \
		  $(BENCH_DIR)/irqlat.json $(BENCH_JSON) $(BENCH_DIR)/timerlat.json \
		  $(BENCH_DIR)/priolat.json

# The full set: minutes. Plots need gnuplot (bench-deps installs it).
bench: bench-deps
	$(Q)$(MAKE) --no-print-directory bench-hist-test
	$(Q)$(MAKE) --no-print-directory bench-gbench
	$(Q)$(MAKE) --no-print-directory bench-m5pair
	$(Q)$(MAKE) --no-print-directory bench-irqlat
	$(Q)$(MAKE) --no-print-directory bench-handoff
	$(Q)$(MAKE) --no-print-directory bench-timerlat
	$(Q)$(MAKE) --no-print-directory bench-priolat
	$(Q)$(MAKE) --no-print-directory bench-plot
	$(Q)$(MAKE) --no-print-directory bench-summary

# The short set for CI: fails only when a gated ratio grew beyond its
# tolerance (bench/compare) against bench/baseline.json in every attempt.
bench-ci: deps
	$(Q)$(MAKE) --no-print-directory bench-gbench-ci
	$(Q)$(MAKE) --no-print-directory bench-irqlat-ci
	$(Q)$(MAKE) --no-print-directory bench-handoff-ci
	$(Q)$(MAKE) --no-print-directory bench-timerlat-ci
	$(Q)$(MAKE) --no-print-directory bench-priolat-ci
	$(Q)$(MAKE) --no-print-directory bench-m5pair-ci
	$(Q)$(MAKE) --no-print-directory bench-gate

# The gate with re-measurement. Attempt 1 judges every figure; bench/compare
# exits 3 when gated figures tripped and more attempts are left, and writes
# one line per tool to re-run to $(BENCH_GATE_RERUN): "gbench M1 M7",
# "irqlat M3", "handoff M4". Only those tools run again (bench-<tool>-ci
# through $(BENCH_RERUN_MAKE); gbench only for the tripped ids, by
# --benchmark_filter), the summary is rebuilt, and the next attempt re-judges
# only the figures that tripped in every attempt so far. A further attempt
# starts only while the time spent re-measuring, plus the duration of the
# last re-measurement, stays within BENCH_GATE_BUDGET seconds; otherwise the
# attempt at hand is the last. Each attempt's summary stays in
# $(BENCH_DIR)/summary.attempt<N>.json (from attempt 2 on, only the re-run
# tools' figures are new); the last one is $(BENCH_SUMMARY).
BENCH_REMEASURE   ?= 2
BENCH_GATE_BUDGET ?= 150
BENCH_GATE_STATE  := $(BENCH_DIR)/gate-state.json
BENCH_GATE_RERUN  := $(BENCH_DIR)/gate-rerun.txt
BENCH_RERUN_MAKE  ?= $(MAKE) --no-print-directory
COMPARE_ARGS      ?=

bench-gate:
	$(Q)rm -f $(BENCH_GATE_STATE) $(BENCH_GATE_RERUN) $(BENCH_DIR)/summary.attempt*; \
	max=$$(($(BENCH_REMEASURE) + 1)); attempts=$$max; n=1; \
	start=$$(date +%s); last=0; \
	while :; do \
		if [ $$n -gt 1 ] && [ $$n -lt $$max ] && \
		   [ $$(($$(date +%s) - start + last)) -ge $(BENCH_GATE_BUDGET) ]; then \
			attempts=$$n; \
			echo "bench-gate: attempt $$n is the last: $$(($$(date +%s) - start)) s spent re-measuring, the last re-measurement took $$last s (BENCH_GATE_BUDGET=$(BENCH_GATE_BUDGET))"; \
		fi; \
		if [ $$n -eq 1 ]; then \
			python3 bench/summarize -o $(BENCH_SUMMARY) $(BENCH_FIGURES) || exit 2; \
		else \
			python3 bench/summarize -o $(BENCH_SUMMARY) $(BENCH_FIGURES) \
				>$(BENCH_DIR)/summary.attempt$$n.txt || exit 2; \
		fi; \
		cp $(BENCH_SUMMARY) $(BENCH_DIR)/summary.attempt$$n.json; \
		python3 bench/compare $(COMPARE_ARGS) --state $(BENCH_GATE_STATE) \
			--attempt $$n --attempts $$attempts --rerun $(BENCH_GATE_RERUN) \
			$(BENCH_SUMMARY) $(BENCH_BASELINE); \
		rc=$$?; \
		[ $$rc -eq 3 ] || exit $$rc; \
		n=$$((n + 1)); t0=$$(date +%s); \
		while read -r tool ids <&3; do \
			echo "bench-gate: attempt $$n of $$attempts: re-measuring $$ids with bench-$$tool-ci"; \
			case $$tool in \
			gbench) $(BENCH_RERUN_MAKE) bench-gbench-ci \
				"GBENCH_ARGS=$(GBENCH_ARGS) --benchmark_filter='^($$(echo $$ids | tr ' ' '|'))/'" \
				3<&- || exit 2;; \
			irqlat|handoff) $(BENCH_RERUN_MAKE) bench-$$tool-ci 3<&- || exit 2;; \
			*) echo "bench-gate: unknown tool $$tool" >&2; exit 2;; \
			esac; \
		done 3<$(BENCH_GATE_RERUN); \
		last=$$(($$(date +%s) - t0)); \
	done

# One summary and one comparison, no re-measurement (make bench).
# make bench's summary has the figures of bench-ci's tools and m5pair's
bench-summary:
	$(Q)python3 bench/summarize -o $(BENCH_SUMMARY) $(BENCH_FIGURES) $(M5PAIR_JSON)
	$(Q)python3 bench/compare $(COMPARE_ARGS) $(BENCH_SUMMARY) $(BENCH_BASELINE)

bench-handoff-ci: $(BENCH_HANDOFF)
	$(Q)$(BENCH_HANDOFF) -n 6000 -q --json $(BENCH_JSON)

bench-hist-test: $(BENCH_HIST_TEST)
	$(Q)$(BENCH_HIST_TEST)

bench-handoff: $(BENCH_HANDOFF)
	$(Q)$(BENCH_HANDOFF) $(BENCH_ARGS) --json $(BENCH_JSON)


$(BENCH_OBJDIR)/%.o: bench/%.c
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(CC) $(IRQC_CFLAGS) -Ibench -MMD -MP -c -o $@ $<

$(BENCH_HANDOFF): $(BENCH_OBJDIR)/handoff.o $(BENCH_OBJDIR)/hist.o $(STATIC_LIB)
	@mkdir -p $(@D)
	@echo "  LD      $@"
	$(Q)$(CC) $(IRQC_LDFLAGS) -o $@ $^ $(LDLIBS)

$(BENCH_HIST_TEST): $(BENCH_OBJDIR)/hist_test.o $(BENCH_OBJDIR)/hist.o
	@mkdir -p $(@D)
	@echo "  LD      $@"
	$(Q)$(CC) $(IRQC_LDFLAGS) -o $@ $^ $(LDLIBS)

-include $(BENCH_OBJS:.o=.d)

# The two harnesses: Google Benchmark programs (M1, M5, M7) and the latency
# tool irqlat (M2, M3, M6; M4 is handoff).
-include bench/gbench.mk
-include bench/irqlat.mk
-include bench/timerlat.mk
-include bench/priolat.mk
-include bench/srcpoll.mk
-include bench/m5pair.mk

# What M1 pays for, guarantee by guarantee (bench/ablate/ablate.sh; builds
# incorrect variants of the library for measurement; about 3 minutes).
.PHONY: bench-ablate
bench-ablate: deps
	$(Q)bench/ablate/ablate.sh
