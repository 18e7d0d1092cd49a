# SPDX-License-Identifier: BSD-2-Clause
#
# timerlat, M8: the deadline timer line's tick lateness against a timerfd +
# epoll loop and a clock_nanosleep(TIMER_ABSTIME) loop, same run, same
# scheduling class, and a spinning loop as the floor. Included from
# bench/bench.mk. Not gated (not in bench/baseline.json): its p99 ratio
# moves several times between runs on a shared VM.
#
#   make bench-timerlat     5000 ticks per series at 1 kHz (about 25 s)
#   make bench-timerlat-ci  2000 ticks per series (about 10 s)
#
# Both hold /dev/cpu_dma_latency at 0 for the run (-Q), as cyclictest does
# by default, where the machine lets them (the tool says when it cannot).
# TIMERLAT_ARGS adds options (build/bench/timerlat -h lists them).

TIMERLAT      := $(BENCH_DIR)/timerlat
TIMERLAT_JSON := $(BENCH_DIR)/timerlat.json
TIMERLAT_ARGS ?=

.PHONY: bench-timerlat bench-timerlat-ci

bench-timerlat: $(TIMERLAT)
	$(Q)$(TIMERLAT) -n 5000 -Q $(TIMERLAT_ARGS) --json $(TIMERLAT_JSON)

bench-timerlat-ci: $(TIMERLAT)
	$(Q)$(TIMERLAT) -n 2000 -q -Q $(TIMERLAT_ARGS) --json $(TIMERLAT_JSON)

$(TIMERLAT): $(BENCH_OBJDIR)/timerlat.o $(BENCH_OBJDIR)/benchutil.o $(BENCH_OBJDIR)/hist.o \
		$(STATIC_LIB)
	@mkdir -p $(@D)
	@echo "  LD      $@"
	$(Q)$(CC) $(IRQC_LDFLAGS) -o $@ $^ $(LDLIBS)
