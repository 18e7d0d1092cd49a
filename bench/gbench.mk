# SPDX-License-Identifier: BSD-2-Clause
#
# Google Benchmark figures M1, M5, M7 (included from bench/bench.mk; uses
# BENCH_DIR, BENCH_OBJDIR and the Makefile's BUILDDIR, IRQC_CFLAGS,
# IRQC_LDFLAGS, LDLIBS, STATIC_LIB, Q).
#
#   make bench-gbench     full run: 5 repetitions of ~0.2 s per benchmark
#   make bench-gbench-ci  short run: 3 repetitions of ~0.05 s
#   make bench-gbench-build  only build $(BENCH_DIR)/irqbench
#
# Both write Google Benchmark's JSON to $(BENCH_DIR)/gbench.raw.json and the
# figures (common schema, medians of the repetitions, ratio to the baseline
# measured in the same run) to $(BENCH_DIR)/gbench.json, and print them;
# then M1 again from irqbench-shared (linked with libirqcore.so) into
# gbench-shared.json, cases "<case>/shared".
# GBENCH_ARGS adds options to irqbench (e.g. GBENCH_ARGS=--benchmark_filter=M1);
# IRQBENCH_M5_DISPATCHERS / IRQBENCH_M5_RAISERS (e.g. "1,2,4") choose the M5
# configurations. The C bodies (bench/bench_gb.c, bench/gb_*.c) are compiled
# by bench.mk's rule for bench/*.c; the C++ shim by the rule below.

GB_BIN       := $(BENCH_DIR)/irqbench
GB_RAW       := $(BENCH_DIR)/gbench.raw.json
GB_JSON      := $(BENCH_DIR)/gbench.json
# The same benchmarks linked against the shared library: M1 only, so that
# the figures say what a program linked with -lirqcore pays.
GB_SO_BIN    := $(BENCH_DIR)/irqbench-shared
GB_SO_RAW    := $(BENCH_DIR)/gbench-shared.raw.json
GB_SO_JSON   := $(BENCH_DIR)/gbench-shared.json
GB_SRCS      := bench/bench_gb.c $(wildcard bench/gb_*.c)
GB_OBJS      := $(GB_SRCS:bench/%.c=$(BENCH_OBJDIR)/%.o) $(BENCH_OBJDIR)/gbench_shim.o
GBENCH_ARGS  ?=
PYTHON3      ?= python3

GB_PC_CFLAGS := $(shell $(PKG_CONFIG) --cflags benchmark 2>/dev/null)
GB_PC_LIBS   := $(shell $(PKG_CONFIG) --libs benchmark 2>/dev/null)
ifeq ($(strip $(GB_PC_LIBS)),)
GB_PC_LIBS   := -lbenchmark
endif
# Google Benchmark 1.8 wants a unit on --benchmark_min_time; 1.7 refuses one.
GB_MIN_TIME_UNIT := $(shell $(PKG_CONFIG) --atleast-version=1.8.0 benchmark 2>/dev/null && echo s)
GB_CXXFLAGS  = -std=c++17 -O2 $(VARIANT_CFLAGS) $(WARN_CFLAGS) -pthread -Ibench \
	       $(GB_PC_CFLAGS) $(if $(GB_MIN_TIME_UNIT),-DGB_MIN_TIME_HAS_UNIT=1) $(CXXFLAGS)

# Random interleaving runs the repetitions of all benchmarks in a shuffled
# order, so that drift on a shared machine hits irqcore and its baseline
# alike. --benchmark_display_aggregates_only: the console shows the medians
# etc., the JSON file keeps every repetition.
GB_RUN = $(GB_BIN) --benchmark_out=$(GB_RAW) --benchmark_out_format=json \
	 --benchmark_enable_random_interleaving=true \
	 --benchmark_display_aggregates_only=true

.PHONY: bench-gbench bench-gbench-ci bench-gbench-build

GB_SO_RUN = $(GB_SO_BIN) --benchmark_out=$(GB_SO_RAW) --benchmark_out_format=json \
	    --benchmark_enable_random_interleaving=true \
	    --benchmark_display_aggregates_only=true --benchmark_filter='^M1/'

bench-gbench-build: $(GB_BIN) $(GB_SO_BIN)

bench-gbench: $(GB_BIN) $(GB_SO_BIN)
	$(Q)$(GB_RUN) --benchmark_repetitions=5 \
		--benchmark_min_time=0.2$(GB_MIN_TIME_UNIT) $(GBENCH_ARGS)
	$(Q)$(PYTHON3) bench/gbench_figures.py $(GB_RAW) -o $(GB_JSON)
	$(Q)$(GB_SO_RUN) --benchmark_repetitions=5 --benchmark_min_time=0.2$(GB_MIN_TIME_UNIT)
	$(Q)$(PYTHON3) bench/gbench_figures.py --library shared $(GB_SO_RAW) -o $(GB_SO_JSON)

bench-gbench-ci: $(GB_BIN) $(GB_SO_BIN)
	$(Q)$(GB_RUN) --benchmark_repetitions=3 \
		--benchmark_min_time=0.05$(GB_MIN_TIME_UNIT) $(GBENCH_ARGS)
	$(Q)$(PYTHON3) bench/gbench_figures.py $(GB_RAW) -o $(GB_JSON)
	$(Q)$(GB_SO_RUN) --benchmark_repetitions=3 --benchmark_min_time=0.05$(GB_MIN_TIME_UNIT)
	$(Q)$(PYTHON3) bench/gbench_figures.py --library shared $(GB_SO_RAW) -o $(GB_SO_JSON)

$(BENCH_OBJDIR)/%.o: bench/%.cc
	@mkdir -p $(@D)
	@echo "  CXX     $@"
	$(Q)$(CXX) $(GB_CXXFLAGS) -MMD -MP -c -o $@ $<

$(GB_BIN): $(GB_OBJS) $(STATIC_LIB)
	@mkdir -p $(@D)
	@echo "  LD      $@"
	$(Q)$(CXX) $(IRQC_LDFLAGS) -o $@ $^ $(LDLIBS) $(GB_PC_LIBS) -lpthread

$(GB_SO_BIN): $(GB_OBJS) $(SHARED_LIB)
	@mkdir -p $(@D)
	@echo "  LD      $@"
	$(Q)$(CXX) $(IRQC_LDFLAGS) -o $@ $(GB_OBJS) -L$(BUILDDIR)/lib \
		-Wl,-rpath,$(abspath $(BUILDDIR)/lib) -lirqcore $(LDLIBS) $(GB_PC_LIBS) -lpthread

-include $(BENCH_OBJDIR)/gbench_shim.d
