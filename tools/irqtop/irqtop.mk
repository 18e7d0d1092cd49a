# SPDX-License-Identifier: BSD-2-Clause
#
# irqtop (included from the top-level Makefile; uses its BUILDDIR,
# IRQC_CFLAGS, IRQC_LDFLAGS, Q, PKG_CONFIG, VERSION, PREFIX, DESTDIR,
# HARNESS_OBJ, STATIC_LIB, LDLIBS and its $(BUILDDIR)/obj/%.o rule).
#
#   make irqtop              $(BUILDDIR)/irqtop (ncursesw + libsmartcols;
#                            it reads the segment, it does not link irqcore)
#   make irqtop-tests        the test programs and helpers of tests/irqtop
#   make irqtop-check        builds and runs the irqtop tests (t_segment,
#                            live.sh, screen.sh, a short fuzz run); the last
#                            line is "N passed, N failed"
#   make irqtop-fuzz-short   the fuzz target for IRQTOP_FUZZ_RUNS inputs
#                            (20000) or IRQTOP_FUZZ_SHORT_SECS (10 s),
#                            whichever comes first
#   make irqtop-fuzz | fuzz  the fuzz target for IRQTOP_FUZZ_SECS (300)
#   make irqtop-bench        the reader benchmark (65536 lines x 64 CPUs)
#   make irqtop-install | irqtop-uninstall
#                            PREFIX/bin/irqtop, PREFIX/share/man/man1/irqtop.1
#
# IRQTOP_DEB_PACKAGES are added to DEB_PACKAGES (make deps): clang and its
# runtime for libFuzzer, tmux for the screen test.

IRQTOP_DEB_PACKAGES := clang libclang-rt-dev tmux
DEB_PACKAGES += $(IRQTOP_DEB_PACKAGES)

IRQTOP_DIR     := tools/irqtop
IRQTOP         := $(BUILDDIR)/irqtop
IRQTOP_OBJDIR  := $(BUILDDIR)/obj/tools/irqtop
IRQTOP_TESTDIR := $(BUILDDIR)/tests/irqtop
IRQTOP_FUZZDIR := $(BUILDDIR)/fuzz/irqtop
BINDIR         ?= $(PREFIX)/bin
MANDIR         ?= $(PREFIX)/share/man

IRQTOP_CURSES_CFLAGS := $(shell $(PKG_CONFIG) --cflags ncursesw 2>/dev/null || \
			  $(PKG_CONFIG) --cflags ncurses 2>/dev/null)
IRQTOP_CURSES_LIBS   := $(shell $(PKG_CONFIG) --libs ncursesw 2>/dev/null || \
			  $(PKG_CONFIG) --libs ncurses 2>/dev/null || echo -lncursesw)
IRQTOP_SCOLS_CFLAGS  := $(shell $(PKG_CONFIG) --cflags smartcols 2>/dev/null || \
			  echo -I/usr/include/libsmartcols)
IRQTOP_SCOLS_LIBS    := $(shell $(PKG_CONFIG) --libs smartcols 2>/dev/null || \
			  echo -lsmartcols)

# segment.c and view.c are pure (no curses, no libsmartcols): the tests,
# the benchmark and the fuzzer use them.
IRQTOP_CORE_OBJS := $(IRQTOP_OBJDIR)/segment.o $(IRQTOP_OBJDIR)/view.o
IRQTOP_OBJS      := $(IRQTOP_CORE_OBJS) $(IRQTOP_OBJDIR)/table.o \
		    $(IRQTOP_OBJDIR)/screen.o $(IRQTOP_OBJDIR)/irqtop.o
IRQTOP_SYNTH_OBJ := $(IRQTOP_OBJDIR)/synth.o

IRQTOP_T_SRCS    := $(sort $(wildcard tests/irqtop/*.c))
IRQTOP_T_BINS    := $(IRQTOP_T_SRCS:tests/irqtop/%.c=$(IRQTOP_TESTDIR)/%)
IRQTOP_FAKE      := $(IRQTOP_TESTDIR)/fake_proc
IRQTOP_REAL      := $(IRQTOP_TESTDIR)/real_proc
IRQTOP_BENCH     := $(BUILDDIR)/irqtop-bench/bench_reader

$(IRQTOP_OBJDIR)/%.o: IRQC_CFLAGS += $(IRQTOP_CURSES_CFLAGS) $(IRQTOP_SCOLS_CFLAGS) \
	-DIRQTOP_VERSION='"$(VERSION)"'
$(BUILDDIR)/obj/tests/irqtop/%.o: IRQC_CFLAGS += -I$(IRQTOP_DIR)

.PHONY: irqtop irqtop-tests irqtop-check irqtop-fuzz irqtop-fuzz-short fuzz \
	irqtop-bench irqtop-install irqtop-uninstall

irqtop: $(IRQTOP)

$(IRQTOP): $(IRQTOP_OBJS)
	@mkdir -p $(@D)
	@echo "  LD      $@"
	$(Q)$(CC) $(IRQC_LDFLAGS) -o $@ $^ $(IRQTOP_CURSES_LIBS) $(IRQTOP_SCOLS_LIBS) -lm

irqtop-tests: $(IRQTOP_T_BINS) $(IRQTOP_FAKE) $(IRQTOP_REAL)

$(IRQTOP_TESTDIR)/%: $(BUILDDIR)/obj/tests/irqtop/%.o $(HARNESS_OBJ) \
		$(IRQTOP_CORE_OBJS) $(IRQTOP_SYNTH_OBJ)
	@mkdir -p $(@D)
	@echo "  LD      $@"
	$(Q)$(CC) $(IRQC_LDFLAGS) -o $@ $^

# helpers of live.sh and screen.sh: a fake irqcore process writing a
# synthetic segment, and a real one using libirqcore
$(IRQTOP_FAKE): $(BUILDDIR)/obj/tests/irqtop/helpers/fake_proc.o $(IRQTOP_SYNTH_OBJ)
	@mkdir -p $(@D)
	@echo "  LD      $@"
	$(Q)$(CC) $(IRQC_LDFLAGS) -o $@ $^

$(IRQTOP_REAL): $(BUILDDIR)/obj/tests/irqtop/helpers/real_proc.o $(STATIC_LIB)
	@mkdir -p $(@D)
	@echo "  LD      $@"
	$(Q)$(CC) $(IRQC_LDFLAGS) -o $@ $^ $(LDLIBS)

.SECONDARY: $(IRQTOP_T_SRCS:%.c=$(BUILDDIR)/obj/%.o) \
	$(BUILDDIR)/obj/tests/irqtop/helpers/fake_proc.o \
	$(BUILDDIR)/obj/tests/irqtop/helpers/real_proc.o

-include $(IRQTOP_OBJS:.o=.d) $(IRQTOP_SYNTH_OBJ:.o=.d) \
	$(IRQTOP_T_SRCS:%.c=$(BUILDDIR)/obj/%.d) \
	$(BUILDDIR)/obj/tests/irqtop/helpers/fake_proc.d \
	$(BUILDDIR)/obj/tests/irqtop/helpers/real_proc.d \
	$(IRQTOP_OBJDIR)/bench_reader.d

IRQTOP_CHECK_TIMEOUT ?= 120
irqtop-check:
	-$(Q)$(MAKE) --no-print-directory -k irqtop irqtop-tests
	$(Q)tests/run-tests.sh --timeout $(IRQTOP_CHECK_TIMEOUT) \
		--kinds irqtop $(BUILDDIR)/tests \
		--cmd irqtop-live "tests/irqtop/live.sh $(BUILDDIR)" \
		--cmd irqtop-screen "tests/irqtop/screen.sh $(BUILDDIR)" \
		--cmd irqtop-fuzz-short "$(MAKE) --no-print-directory irqtop-fuzz-short"

# ---------------------------------------------------------------------------
# libFuzzer target over the reader (clang from Debian: clang, libclang-rt-dev)
IRQTOP_FUZZ_CC    ?= clang
IRQTOP_FUZZ_RUNS  ?= 20000
IRQTOP_FUZZ_SHORT_SECS ?= 10
IRQTOP_FUZZ_SECS  ?= 300
IRQTOP_FUZZ       := $(IRQTOP_FUZZDIR)/fuzz_segment
IRQTOP_FUZZ_SRCS  := $(IRQTOP_DIR)/fuzz_segment.c $(IRQTOP_DIR)/segment.c \
		     $(IRQTOP_DIR)/view.c $(IRQTOP_DIR)/table.c $(IRQTOP_DIR)/synth.c
IRQTOP_FUZZ_FLAGS := -std=c11 -D_GNU_SOURCE -g -O1 -fno-omit-frame-pointer \
		     -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
		     -Iinclude -I$(IRQTOP_DIR) $(IRQTOP_SCOLS_CFLAGS)
IRQTOP_FUZZ_ENV   := ASAN_OPTIONS=detect_leaks=1:allow_user_segv_handler=1 \
		     UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1

$(IRQTOP_FUZZ): $(IRQTOP_FUZZ_SRCS) $(IRQTOP_DIR)/segment.h $(IRQTOP_DIR)/irqtop.h \
		$(IRQTOP_DIR)/synth.h src/stats/export_abi.h
	@mkdir -p $(@D)
	@echo "  CLANG   $@"
	$(Q)$(IRQTOP_FUZZ_CC) $(IRQTOP_FUZZ_FLAGS) -o $@ $(IRQTOP_FUZZ_SRCS) \
		$(IRQTOP_SCOLS_LIBS) -lm

# seeds: valid segments of a few shapes, written by the target itself
$(IRQTOP_FUZZDIR)/seeds/.done: $(IRQTOP_FUZZ)
	$(Q)rm -rf $(@D) && mkdir -p $(@D) $(IRQTOP_FUZZDIR)/corpus
	$(Q)IRQTOP_FUZZ_WRITE_SEEDS=$(@D) $(IRQTOP_FUZZ) >/dev/null 2>&1
	$(Q)touch $@

irqtop-fuzz-short: $(IRQTOP_FUZZDIR)/seeds/.done
	@echo "  FUZZ    $(IRQTOP_FUZZ) ($(IRQTOP_FUZZ_RUNS) runs or $(IRQTOP_FUZZ_SHORT_SECS) s)"
	$(Q)log=$(IRQTOP_FUZZDIR)/short.log; \
	$(IRQTOP_FUZZ_ENV) $(IRQTOP_FUZZ) -runs=$(IRQTOP_FUZZ_RUNS) \
		-max_total_time=$(IRQTOP_FUZZ_SHORT_SECS) -print_final_stats=1 \
		$(IRQTOP_FUZZDIR)/corpus $(IRQTOP_FUZZDIR)/seeds >$$log 2>&1; \
	st=$$?; \
	if [ $$st -ne 0 ]; then tail -n 80 $$log; \
	else grep -E '^(Done|stat::number_of_executed_units|stat::peak_rss)' $$log; fi; \
	exit $$st

irqtop-fuzz: $(IRQTOP_FUZZDIR)/seeds/.done
	$(Q)$(IRQTOP_FUZZ_ENV) $(IRQTOP_FUZZ) -max_total_time=$(IRQTOP_FUZZ_SECS) \
		-print_final_stats=1 $(IRQTOP_FUZZDIR)/corpus $(IRQTOP_FUZZDIR)/seeds

fuzz: irqtop-fuzz

# ---------------------------------------------------------------------------
IRQTOP_BENCH_ARGS ?=
$(IRQTOP_BENCH): $(BUILDDIR)/obj/tools/irqtop/bench_reader.o $(IRQTOP_CORE_OBJS) \
		$(IRQTOP_OBJDIR)/table.o $(IRQTOP_SYNTH_OBJ)
	@mkdir -p $(@D)
	@echo "  LD      $@"
	$(Q)$(CC) $(IRQC_LDFLAGS) -o $@ $^ $(IRQTOP_SCOLS_LIBS) -lm

irqtop-bench: $(IRQTOP_BENCH)
	$(Q)$(IRQTOP_BENCH) $(IRQTOP_BENCH_ARGS)

# ---------------------------------------------------------------------------
irqtop-install: irqtop
	@echo "  INSTALL $(DESTDIR)$(BINDIR)/irqtop"
	$(Q)install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1
	$(Q)install -m 755 $(IRQTOP) $(DESTDIR)$(BINDIR)/irqtop
	$(Q)install -m 644 $(IRQTOP_DIR)/irqtop.1 $(DESTDIR)$(MANDIR)/man1/irqtop.1

irqtop-uninstall:
	rm -f $(DESTDIR)$(BINDIR)/irqtop $(DESTDIR)$(MANDIR)/man1/irqtop.1
