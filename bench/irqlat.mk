# SPDX-License-Identifier: BSD-2-Clause
#
# irqlat, the latency tool (M2, M3, M6), the shared benchmark helpers and the
# plots. Included from bench/bench.mk (uses its BENCH_DIR, BENCH_OBJDIR and
# pattern rule, and the Makefile's IRQC_LDFLAGS, LDLIBS and STATIC_LIB).
#
#   make bench-irqlat     full run (about 2.5 minutes): enough samples for a
#                         stable p99.9; JSON into $(BUILDDIR)/bench/irqlat.json
#   make bench-irqlat-ci  short run (about 35 s), same JSON
#   make bench-plot       percentile charts of whatever irqlat.json and
#                         handoff.json exist: $(BUILDDIR)/bench/latency.svg
#
# IRQLAT_ARGS adds options, e.g. IRQLAT_ARGS="-l 2" (two spinning load
# threads) or "-p 0" (SCHED_OTHER instead of SCHED_FIFO 50 for the measuring
# threads); build/bench/irqlat -h lists them.

IRQLAT          := $(BENCH_DIR)/irqlat
IRQLAT_JSON     := $(BENCH_DIR)/irqlat.json
IRQLAT_ARGS     ?=
IRQLAT_OBJS     := $(patsubst bench/%.c,$(BENCH_OBJDIR)/%.o,$(wildcard bench/irqlat*.c)) \
		   $(BENCH_OBJDIR)/benchutil.o $(BENCH_OBJDIR)/hist.o
BENCH_PLOT_SVG  := $(BENCH_DIR)/latency.svg

.PHONY: bench-irqlat bench-irqlat-ci bench-plot

bench-irqlat: $(IRQLAT)
	$(Q)$(IRQLAT) -d 150 -r 10 $(IRQLAT_ARGS) --json $(IRQLAT_JSON)

bench-irqlat-ci: $(IRQLAT)
	$(Q)$(IRQLAT) -d 30 -r 4 -q $(IRQLAT_ARGS) --json $(IRQLAT_JSON)

bench-plot:
	$(Q)bench/plot.sh -o $(BENCH_PLOT_SVG) $(IRQLAT_JSON) $(BENCH_JSON)

$(IRQLAT): $(IRQLAT_OBJS) $(STATIC_LIB)
	@mkdir -p $(@D)
	@echo "  LD      $@"
	$(Q)$(CC) $(IRQC_LDFLAGS) -o $@ $^ $(LDLIBS) -luv

# handoff shares the helpers (its own rule is in bench.mk)
$(BENCH_HANDOFF): $(BENCH_OBJDIR)/benchutil.o
