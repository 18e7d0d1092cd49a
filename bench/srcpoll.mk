# SPDX-License-Identifier: BSD-2-Clause
#
# srcpoll: an eventfd line's write -> handler latency with IRQCORE_SRC_F_POLL
# (the spinning dispatcher polls the fd) against the source thread's epoll,
# same run, ratios. Included from bench/bench.mk. Not gated.
#
#   make bench-srcpoll      4 rounds x 20000 samples per side (about 10 s)
#
# SRCPOLL_ARGS adds options (build/bench/srcpoll -h lists them).

SRCPOLL      := $(BENCH_DIR)/srcpoll
SRCPOLL_JSON := $(BENCH_DIR)/srcpoll.json
SRCPOLL_ARGS ?=

.PHONY: bench-srcpoll

bench-srcpoll: $(SRCPOLL)
	$(Q)$(SRCPOLL) $(SRCPOLL_ARGS) --json $(SRCPOLL_JSON)

$(SRCPOLL): $(BENCH_OBJDIR)/srcpoll.o $(BENCH_OBJDIR)/benchutil.o $(BENCH_OBJDIR)/hist.o \
		$(STATIC_LIB)
	@mkdir -p $(@D)
	@echo "  LD      $@"
	$(Q)$(CC) $(IRQC_LDFLAGS) -o $@ $^ $(LDLIBS)
