# SPDX-License-Identifier: BSD-2-Clause
#
# irqcore build (GNU make).
#
#   make              build/lib/libirqcore.a and libirqcore.so
#   make tests        build every test program (build/tests/{unit,stress}/NAME)
#   make check        install missing Debian packages, build, run all tests,
#                     then again under ThreadSanitizer, plus install-test;
#                     the last line of the output is "N passed, N failed"
#   make run          install the packages it needs, build and run the control-loop
#                     demo (examples/controlloop/controlloop.c; DEMO_ARGS="-t 10")
#   make drivers      build the example drivers (build/examples/drivers/NAME)
#   make tsan | asan  sanitizer builds (build/tsan, build/asan) + all tests
#   make install      PREFIX=/usr/local DESTDIR= (header, libs, irqcore.pc)
#   make install-test install into a temporary prefix and build the demo
#                     against it with pkg-config
#   make deps         apt-get install the missing Debian packages
#   make clean
#
# Variables: VARIANT=normal|tsan|asan (selects BUILDDIR and flags), CFLAGS
# and LDFLAGS (appended), V=1 (show command lines), TEST_TIMEOUT (seconds per
# test program, default 300), DEMO_ARGS (arguments of `make run`).

VERSION    := 0.1.0
SOVERSION  := 0

PREFIX     ?= /usr/local
DESTDIR    ?=
INCLUDEDIR ?= $(PREFIX)/include
LIBDIR     ?= $(PREFIX)/lib

PKG_CONFIG   ?= pkg-config
TEST_TIMEOUT ?= 300
DEMO_ARGS    ?=

MAKEFLAGS += --no-print-directory

ifeq ($(V),1)
Q :=
else
Q := @
endif

# ---------------------------------------------------------------------------
# Variants: each one has its own object, library and test tree.
VARIANT ?= normal
ifeq ($(VARIANT),normal)
BUILDDIR     := build
VARIANT_CFLAGS  := -O2 -g
VARIANT_LDFLAGS :=
else ifeq ($(VARIANT),tsan)
BUILDDIR     := build/tsan
# ck_pr's inline asm is invisible to TSan; the compiler builtins are not.
VARIANT_CFLAGS  := -fsanitize=thread -O1 -g -DCK_USE_CC_BUILTINS=1
VARIANT_LDFLAGS := -fsanitize=thread
else ifeq ($(VARIANT),asan)
BUILDDIR     := build/asan
VARIANT_CFLAGS  := -fsanitize=address,undefined -fno-omit-frame-pointer -O1 -g
VARIANT_LDFLAGS := -fsanitize=address,undefined
else ifeq ($(VARIANT),torture)
# debug-yield build: random yields at the marked points (src/torture/)
BUILDDIR     := build/torture
VARIANT_CFLAGS  := -O1 -g -DIRQC_TORTURE
VARIANT_LDFLAGS :=
else
$(error VARIANT must be normal, tsan, asan or torture)
endif

HWLOC_CFLAGS := $(shell $(PKG_CONFIG) --cflags hwloc 2>/dev/null)
HWLOC_LIBS   := $(shell $(PKG_CONFIG) --libs hwloc 2>/dev/null)
ifeq ($(strip $(HWLOC_LIBS)),)
HWLOC_LIBS   := -lhwloc
endif

WARN_CFLAGS := -Wall -Wextra -Wno-unused-parameter
IRQC_CFLAGS  = -std=c11 -D_GNU_SOURCE $(VARIANT_CFLAGS) $(WARN_CFLAGS) \
	       -pthread -Iinclude $(HWLOC_CFLAGS) -fPIC $(CFLAGS)
IRQC_LDFLAGS = $(VARIANT_LDFLAGS) -pthread $(LDFLAGS)
LDLIBS      := -lck $(HWLOC_LIBS) -lpthread -ldl -lm
# The library exports the public API only (include/irqcore.h sets default
# visibility for what it declares) and reaches its thread-local context
# without __tls_get_addr.
LIB_ONLY_CFLAGS := -fvisibility=hidden -ftls-model=initial-exec

# ---------------------------------------------------------------------------
# Sources and outputs: every src/*/*.c (src/core, src/threaded, src/affinity,
# src/stats, src/port: the porting kit of include/irqcore/linux.h)
LIB_SRCS    := $(shell find src -name '*.c' -not -path 'src/torture/*' 2>/dev/null | LC_ALL=C sort)
ifeq ($(VARIANT),torture)
LIB_SRCS    += $(sort $(wildcard src/torture/*.c))
endif
LIB_OBJS    := $(LIB_SRCS:%.c=$(BUILDDIR)/obj/%.o)

UNIT_SRCS   := $(sort $(wildcard tests/unit/*.c))
STRESS_SRCS := $(sort $(wildcard tests/stress/*.c))
TORTURE_SRCS := $(sort $(wildcard tests/torture/*.c))
UNIT_BINS   := $(UNIT_SRCS:tests/unit/%.c=$(BUILDDIR)/tests/unit/%)
STRESS_BINS := $(STRESS_SRCS:tests/stress/%.c=$(BUILDDIR)/tests/stress/%)
TORTURE_BINS := $(TORTURE_SRCS:tests/torture/%.c=$(BUILDDIR)/tests/torture/%)
TEST_OBJS   := $(UNIT_SRCS:%.c=$(BUILDDIR)/obj/%.o) \
	       $(STRESS_SRCS:%.c=$(BUILDDIR)/obj/%.o) \
	       $(TORTURE_SRCS:%.c=$(BUILDDIR)/obj/%.o)
HARNESS_OBJ := $(BUILDDIR)/obj/tests/harness.o

DEMO        := $(BUILDDIR)/controlloop
DEMO_OBJ    := $(BUILDDIR)/obj/examples/controlloop/controlloop.o

STATIC_LIB  := $(BUILDDIR)/lib/libirqcore.a
SONAME      := libirqcore.so.$(SOVERSION)
SHARED_REAL := $(BUILDDIR)/lib/libirqcore.so.$(VERSION)
SHARED_LIB  := $(BUILDDIR)/lib/libirqcore.so

ifeq ($(VARIANT),normal)
LIBS        := $(STATIC_LIB) $(SHARED_LIB)
else
LIBS        := $(STATIC_LIB)
endif

TSAN_ENV := TSAN_OPTIONS="halt_on_error=1 exitcode=66 suppressions=$(CURDIR)/tests/tsan.supp"
ASAN_ENV := ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
# Older libtsan cannot map its shadow with a high mmap_rnd_bits; running
# without address-space randomization avoids that where it is allowed.
TSAN_WRAP = $(shell setarch $$(uname -m) -R true >/dev/null 2>&1 && echo "setarch $$(uname -m) -R")
RUN_TESTS := tests/run-tests.sh --timeout $(TEST_TIMEOUT)

DEB_PACKAGES := libck-dev libhwloc-dev libncurses-dev libsmartcols-dev \
		libbenchmark-dev libuv1-dev python3 pkg-config gcc g++ make
# only for the plots of `make bench`
BENCH_DEB_PACKAGES := gnuplot-nox
# what `make run` needs: the library's build
RUN_DEB_PACKAGES := libck-dev libhwloc-dev pkg-config gcc make

.PHONY: all lib tests shared-tests demo drivers check run tsan asan torture deps run-deps bench-deps install install-test \
	uninstall clean

all: lib

lib: $(LIBS)

# tests/torture needs the hooks of the torture build (tests/torture/debug_hook.h)
ifeq ($(VARIANT),torture)
tests: $(UNIT_BINS) $(STRESS_BINS) $(TORTURE_BINS)
else
tests: $(UNIT_BINS) $(STRESS_BINS)
endif

demo: $(DEMO)

# ---------------------------------------------------------------------------
# Compiling and linking
$(BUILDDIR)/obj/%.o: %.c
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(CC) $(IRQC_CFLAGS) -MMD -MP -c -o $@ $<

$(BUILDDIR)/obj/tests/%.o: IRQC_CFLAGS += -Itests
# Only the library sees src/: tests, benchmarks and examples compile
# against the public header (irqtop and the export tests include the
# segment layout by path, src/stats/export_abi.h).
$(BUILDDIR)/obj/src/%.o: IRQC_CFLAGS += -Isrc $(LIB_ONLY_CFLAGS)

$(STATIC_LIB): $(LIB_OBJS)
	@mkdir -p $(@D)
	@echo "  AR      $@"
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(SHARED_REAL): $(LIB_OBJS)
	@mkdir -p $(@D)
	@echo "  LD      $@"
	$(Q)$(CC) -shared -Wl,-soname,$(SONAME) -Wl,--no-undefined $(IRQC_LDFLAGS) -o $@ $^ $(LDLIBS)

$(SHARED_LIB): $(SHARED_REAL)
	$(Q)ln -sf $(notdir $<) $(BUILDDIR)/lib/$(SONAME)
	$(Q)ln -sf $(SONAME) $@

# Test programs and the demo link the static library (tests may use internals).
$(BUILDDIR)/tests/unit/%: $(BUILDDIR)/obj/tests/unit/%.o $(HARNESS_OBJ) $(STATIC_LIB)
	@mkdir -p $(@D)
	@echo "  LD      $@"
	$(Q)$(CC) $(IRQC_LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILDDIR)/tests/stress/%: $(BUILDDIR)/obj/tests/stress/%.o $(HARNESS_OBJ) $(STATIC_LIB)
	@mkdir -p $(@D)
	@echo "  LD      $@"
	$(Q)$(CC) $(IRQC_LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILDDIR)/tests/torture/%: $(BUILDDIR)/obj/tests/torture/%.o $(HARNESS_OBJ) $(STATIC_LIB)
	@mkdir -p $(@D)
	@echo "  LD      $@"
	$(Q)$(CC) $(IRQC_LDFLAGS) -o $@ $^ $(LDLIBS)

# The same test programs linked against the shared library (make check runs
# them once that way): only the exported API is reachable there.
SHARED_TEST_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILDDIR)/shared/tests/unit/%) \
		    $(STRESS_SRCS:tests/stress/%.c=$(BUILDDIR)/shared/tests/stress/%)
SHARED_RPATH := -Wl,-rpath,$(abspath $(BUILDDIR)/lib)

shared-tests: $(SHARED_TEST_BINS)

$(BUILDDIR)/shared/tests/%: $(BUILDDIR)/obj/tests/%.o $(HARNESS_OBJ) $(SHARED_LIB)
	@mkdir -p $(@D)
	@echo "  LD      $@"
	$(Q)$(CC) $(IRQC_LDFLAGS) -o $@ $(filter %.o,$^) -L$(BUILDDIR)/lib $(SHARED_RPATH) \
		-lirqcore $(LDLIBS)

$(DEMO): $(DEMO_OBJ) $(STATIC_LIB)
	@mkdir -p $(@D)
	@echo "  LD      $@"
	$(Q)$(CC) $(IRQC_LDFLAGS) -o $@ $^ $(LDLIBS)

# Example drivers (examples/drivers/NAME.c, on the porting kit): a program
# each (NAME_main.c + NAME.c + the simulated hardware), and a unit test
# tests/unit/t_drv_NAME.c linked with the driver and the simulation.
DRV_NAMES   := gpio_expander uio_genirq
DRV_OBJDIR  := $(BUILDDIR)/obj/examples/drivers
DRV_SIM_OBJ := $(DRV_OBJDIR)/sim_hw.o
DRV_PROGS   := $(DRV_NAMES:%=$(BUILDDIR)/examples/drivers/%)
DRV_OBJS    := $(DRV_SIM_OBJ) $(DRV_NAMES:%=$(DRV_OBJDIR)/%.o) $(DRV_NAMES:%=$(DRV_OBJDIR)/%_main.o)

drivers: $(DRV_PROGS)

$(BUILDDIR)/examples/drivers/%: $(DRV_OBJDIR)/%_main.o $(DRV_OBJDIR)/%.o $(DRV_SIM_OBJ) $(STATIC_LIB)
	@mkdir -p $(@D)
	@echo "  LD      $@"
	$(Q)$(CC) $(IRQC_LDFLAGS) -o $@ $^ $(LDLIBS)

define drv_test
$(BUILDDIR)/tests/unit/t_drv_$(1): $(BUILDDIR)/obj/tests/unit/t_drv_$(1).o $(DRV_OBJDIR)/$(1).o \
		$(DRV_SIM_OBJ) $(HARNESS_OBJ) $(STATIC_LIB)
	@mkdir -p $$(@D)
	@echo "  LD      $$@"
	$(Q)$$(CC) $$(IRQC_LDFLAGS) -o $$@ $$^ $$(LDLIBS)

$(BUILDDIR)/shared/tests/unit/t_drv_$(1): $(BUILDDIR)/obj/tests/unit/t_drv_$(1).o \
		$(DRV_OBJDIR)/$(1).o $(DRV_SIM_OBJ) $(HARNESS_OBJ) $(SHARED_LIB)
	@mkdir -p $$(@D)
	@echo "  LD      $$@"
	$(Q)$$(CC) $$(IRQC_LDFLAGS) -o $$@ $$(filter %.o,$$^) -L$(BUILDDIR)/lib $$(SHARED_RPATH) \
		-lirqcore $$(LDLIBS)
endef
$(foreach d,$(DRV_NAMES),$(eval $(call drv_test,$(d))))

# Objects made through the pattern rules are kept (they are not temporaries).
.SECONDARY: $(TEST_OBJS) $(HARNESS_OBJ) $(DEMO_OBJ) $(DRV_OBJS)

-include $(LIB_OBJS:.o=.d) $(TEST_OBJS:.o=.d) $(HARNESS_OBJ:.o=.d) $(DEMO_OBJ:.o=.d) \
	 $(DRV_OBJS:.o=.d)

# ---------------------------------------------------------------------------
# Running. The build steps use -k and never stop the run: a test program
# that did not build is counted by the runner as one failure.
check: deps
	-$(Q)$(MAKE) -k lib tests shared-tests demo drivers irqtop irqtop-tests
	-$(Q)$(MAKE) -k VARIANT=tsan tests
	-$(Q)$(MAKE) -k VARIANT=torture tests
	$(Q)$(TSAN_ENV) $(RUN_TESTS) --cmd install-test "$(MAKE) install-test" \
		--cmd exports "tests/check-exports.sh $(SHARED_LIB) include/irqcore.h include/irqcore/linux.h" \
		--cmd bench-hist-test "$(MAKE) --no-print-directory bench-hist-test" \
		--cmd bench-compare-test "python3 bench/compare_test.py" \
		--cmd irqtop-live "tests/irqtop/live.sh build" \
		--cmd irqtop-screen "tests/irqtop/screen.sh build" \
		--cmd irqtop-fuzz-short "$(MAKE) --no-print-directory irqtop-fuzz-short" \
		build/tests build/shared/tests --kinds irqtop build/tests \
		--kinds torture build/torture/tests \
		--kinds "unit stress" --wrap "$(TSAN_WRAP)" build/tsan/tests

run: run-deps
	$(Q)$(MAKE) demo
	$(Q)$(DEMO) $(DEMO_ARGS)

tsan: deps
	-$(Q)$(MAKE) -k VARIANT=tsan tests
	$(Q)$(TSAN_ENV) $(RUN_TESTS) --wrap "$(TSAN_WRAP)" build/tsan/tests

asan: deps
	-$(Q)$(MAKE) -k VARIANT=asan tests
	$(Q)$(ASAN_ENV) $(RUN_TESTS) build/asan/tests

# The debug-yield build: the stress tests and the hook tests against a
# library that yields at random at every marked point, TORTURE_SECS seconds
# per stress test (default 60).
TORTURE_SECS ?= 60
torture: deps
	-$(Q)$(MAKE) -k VARIANT=torture tests
	$(Q)TH_STRESS_SECS=$(TORTURE_SECS) $(RUN_TESTS) --timeout $$(( $(TORTURE_SECS) * 8 + 300 )) \
		--kinds "stress torture" build/torture/tests

deps:
	@$(call install_missing,$(DEB_PACKAGES))

run-deps:
	@$(call install_missing,$(RUN_DEB_PACKAGES))

bench-deps: deps
	@$(call install_missing,$(BENCH_DEB_PACKAGES))

# $(call install_missing,PACKAGES): apt-get install those dpkg does not know
define install_missing
missing=; \
	for p in $(1); do \
		dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		if ! command -v apt-get >/dev/null 2>&1; then \
			echo "deps: missing$$missing (no apt-get here: install them yourself)" >&2; \
			exit 1; \
		fi; \
		sudo=; [ "$$(id -u)" -eq 0 ] || sudo=sudo; \
		echo "deps: installing$$missing"; \
		$$sudo apt-get update && \
		$$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y $$missing; \
	fi
endef

# ---------------------------------------------------------------------------
# Installing. irqcore.pc names the directories relative to ${prefix} where
# they lie under PREFIX.
PC_LIBDIR     = $(patsubst $(PREFIX)/%,$${prefix}/%,$(LIBDIR))
PC_INCLUDEDIR = $(patsubst $(PREFIX)/%,$${prefix}/%,$(INCLUDEDIR))

install: lib irqtop-install
	@echo "  INSTALL $(DESTDIR)$(PREFIX)"
	$(Q)install -d $(DESTDIR)$(INCLUDEDIR)/irqcore $(DESTDIR)$(LIBDIR)/pkgconfig
	$(Q)install -m 644 include/irqcore.h $(DESTDIR)$(INCLUDEDIR)/
	$(Q)install -m 644 include/irqcore/linux.h $(DESTDIR)$(INCLUDEDIR)/irqcore/
	$(Q)install -m 644 $(STATIC_LIB) $(DESTDIR)$(LIBDIR)/
	$(Q)install -m 755 $(SHARED_REAL) $(DESTDIR)$(LIBDIR)/
	$(Q)ln -sf libirqcore.so.$(VERSION) $(DESTDIR)$(LIBDIR)/$(SONAME)
	$(Q)ln -sf $(SONAME) $(DESTDIR)$(LIBDIR)/libirqcore.so
	$(Q)sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@LIBDIR@|$(PC_LIBDIR)|g' \
		-e 's|@INCLUDEDIR@|$(PC_INCLUDEDIR)|g' -e 's|@VERSION@|$(VERSION)|g' \
		irqcore.pc.in > $(DESTDIR)$(LIBDIR)/pkgconfig/irqcore.pc

uninstall: irqtop-uninstall
	rm -f $(DESTDIR)$(INCLUDEDIR)/irqcore.h $(DESTDIR)$(INCLUDEDIR)/irqcore/linux.h \
	      $(DESTDIR)$(LIBDIR)/libirqcore.a \
	      $(DESTDIR)$(LIBDIR)/libirqcore.so.$(VERSION) \
	      $(DESTDIR)$(LIBDIR)/$(SONAME) $(DESTDIR)$(LIBDIR)/libirqcore.so \
	      $(DESTDIR)$(LIBDIR)/pkgconfig/irqcore.pc

# Install into a temporary prefix, build examples/demo.c and the UIO example
# driver (irqcore/linux.h) against it with pkg-config and run them briefly.
install-test: lib
	$(Q)set -e; tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	$(MAKE) install PREFIX="$$tmp/prefix" DESTDIR= >/dev/null; \
	export PKG_CONFIG_PATH="$$tmp/prefix/lib/pkgconfig"; \
	echo "  CC      demo (pkg-config --cflags --libs irqcore)"; \
	$(CC) -o "$$tmp/demo" examples/demo.c $$($(PKG_CONFIG) --cflags --libs irqcore); \
	LD_LIBRARY_PATH="$$tmp/prefix/lib" "$$tmp/demo" -t 1 >/dev/null; \
	echo "  CC      controlloop (pkg-config --cflags --libs irqcore)"; \
	$(CC) -o "$$tmp/controlloop" examples/controlloop/controlloop.c \
		$$($(PKG_CONFIG) --cflags --libs irqcore); \
	LD_LIBRARY_PATH="$$tmp/prefix/lib" "$$tmp/controlloop" -t 1 >/dev/null; \
	echo "  CC      examples/drivers/uio_genirq (irqcore/linux.h)"; \
	$(CC) -o "$$tmp/uio" examples/drivers/uio_genirq_main.c examples/drivers/uio_genirq.c \
		examples/drivers/sim_hw.c $$($(PKG_CONFIG) --cflags --libs irqcore); \
	LD_LIBRARY_PATH="$$tmp/prefix/lib" "$$tmp/uio" -n 5 >/dev/null; \
	echo "install-test: OK"

clean:
	rm -rf build

include bench/bench.mk
include tools/irqtop/irqtop.mk
