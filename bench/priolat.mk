# SPDX-License-Identifier: BSD-2-Clause
#
# priolat, M9: a high-class line's latency while N bulk lines raised just
# before it are pending on its CPU, with priority classes against the same
# tick in class 0 (no classes) and against the tick with nothing pending,
# same run, samples interleaved. Included from bench/bench.mk. Not gated
# (not in bench/baseline.json).
#
#   make bench-priolat     2000 samples per series, 256 bulk lines (about 3 s)
#   make bench-priolat-ci  500 samples per series
#
# PRIOLAT_ARGS adds options (build/bench/priolat -h lists them).

PRIOLAT      := $(BENCH_DIR)/priolat
PRIOLAT_JSON := $(BENCH_DIR)/priolat.json
PRIOLAT_ARGS ?=

.PHONY: bench-priolat bench-priolat-ci

bench-priolat: $(PRIOLAT)
	$(Q)$(PRIOLAT) -n 2000 $(PRIOLAT_ARGS) --json $(PRIOLAT_JSON)

bench-priolat-ci: $(PRIOLAT)
	$(Q)$(PRIOLAT) -n 500 -q $(PRIOLAT_ARGS) --json $(PRIOLAT_JSON)

$(PRIOLAT): $(BENCH_OBJDIR)/priolat.o $(BENCH_OBJDIR)/benchutil.o $(BENCH_OBJDIR)/hist.o \
		$(STATIC_LIB)
	@mkdir -p $(@D)
	@echo "  LD      $@"
	$(Q)$(CC) $(IRQC_LDFLAGS) -o $@ $^ $(LDLIBS)
