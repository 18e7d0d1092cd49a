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
#   make bench-ci         a short version (under 2 minutes) for CI
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

.PHONY: bench bench-ci bench-handoff bench-handoff-ci bench-hist-test bench-summary

BENCH_SUMMARY  := $(BENCH_DIR)/summary.json
BENCH_BASELINE := bench/baseline.json
BENCH_FIGURES  := $(BENCH_DIR)/gbench.json $(BENCH_DIR)/irqlat.json $(BENCH_JSON)

# The full set: minutes. Plots need gnuplot (bench-deps installs it).
bench: bench-deps
	$(Q)$(MAKE) --no-print-directory bench-hist-test
	$(Q)$(MAKE) --no-print-directory bench-gbench
	$(Q)$(MAKE) --no-print-directory bench-irqlat
	$(Q)$(MAKE) --no-print-directory bench-handoff
	$(Q)$(MAKE) --no-print-directory bench-plot
	$(Q)$(MAKE) --no-print-directory bench-summary

# The short set for CI (under 2 minutes on 2 cores): fails only when a ratio
# grew beyond the tolerance of bench/compare against bench/baseline.json.
bench-ci: deps
	$(Q)$(MAKE) --no-print-directory bench-gbench-ci
	$(Q)$(MAKE) --no-print-directory bench-irqlat-ci
	$(Q)$(MAKE) --no-print-directory bench-handoff-ci
	$(Q)$(MAKE) --no-print-directory bench-summary

bench-summary:
	$(Q)python3 bench/summarize -o $(BENCH_SUMMARY) $(BENCH_FIGURES)
	$(Q)python3 bench/compare $(BENCH_SUMMARY) $(BENCH_BASELINE)

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
