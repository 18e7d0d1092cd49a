# SPDX-License-Identifier: BSD-2-Clause
#
# m5pair: M5 (1 raiser -> 1 dispatcher, distinct raises/s) as a paired
# comparison, alternating 10 ms slices of irqcore and its baseline, the
# median of the per-pair ratios (bench/m5pair.c says why). Included from
# bench/bench.mk; part of `make bench`, not of bench-ci (not gated).
#
#   make bench-m5pair     200 pairs (about 5 s) -> build/bench/m5pair.json
#   make bench-m5pair-ci  20 pairs of 5 ms (about a second): bench-ci runs it
#                         so that the tool is known to work; not gated
#
# M5PAIR_ARGS adds options (build/bench/m5pair -h lists them).

M5PAIR      := $(BENCH_DIR)/m5pair
M5PAIR_JSON := $(BENCH_DIR)/m5pair.json
M5PAIR_ARGS ?=

.PHONY: bench-m5pair bench-m5pair-ci

bench-m5pair: $(M5PAIR)
	$(Q)$(M5PAIR) $(M5PAIR_ARGS) --json $(M5PAIR_JSON)

bench-m5pair-ci: $(M5PAIR)
	$(Q)$(M5PAIR) -n 20 -s 5 $(M5PAIR_ARGS) --json $(M5PAIR_JSON)

$(M5PAIR): $(BENCH_OBJDIR)/m5pair.o $(BENCH_OBJDIR)/benchutil.o $(BENCH_OBJDIR)/hist.o \
		$(STATIC_LIB)
	@mkdir -p $(@D)
	@echo "  LD      $@"
	$(Q)$(CC) $(IRQC_LDFLAGS) -o $@ $^ $(LDLIBS)
