/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Dispatching: a CPU's drain pass over its pending bitmap, the dispatcher
 * thread and its idle policies (sleep, spin, adaptive), and the CPUs' setup.
 *
 * A pass loads the summary words and exchanges with 0 each word they name
 * that has bits, and runs each set line's flow, all inside one read-side
 * section (rcu.c); a summary bit stays set while its word has events and is
 * cleared by the CPU when it finds the word empty (word_look). The tasklets
 * queued on the CPU run after the pass, outside the section. Why no event
 * is lost between raisers and a CPU going to sleep: see raise.c.
 *
 * Grace periods
 * -------------
 * A CPU enters its read-side section once per drain pass and runs every
 * handler of the pass inside it. free_irq() unlinks an action and waits for
 * a grace period: every section that could have seen the action has ended,
 * so the handler can no longer run when free_irq() returns.
 */
#include "core.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <linux/futex.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static void futex_wait(_Atomic uint32_t *addr, uint32_t expected)
{
	syscall(SYS_futex, addr, FUTEX_WAIT | FUTEX_PRIVATE_FLAG, expected, NULL, NULL, 0);
}

/* ---- ck_ec operations for the irq threads' event counts ---- */

static int ec_gettime(const struct ck_ec_ops *ops, struct timespec *out)
{
	(void)ops;
	return clock_gettime(CLOCK_MONOTONIC, out);
}

static void ec_wait32(const struct ck_ec_wait_state *st, const uint32_t *addr,
		      uint32_t expected, const struct timespec *deadline)
{
	(void)st;
	syscall(SYS_futex, addr, FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG, expected,
		deadline, NULL, FUTEX_BITSET_MATCH_ANY);
}

static void ec_wait64(const struct ck_ec_wait_state *st, const uint64_t *addr,
		      uint64_t expected, const struct timespec *deadline)
{
	/* 64-bit event counts are unused; wait on the low half like ck's tests */
	ec_wait32(st, (const uint32_t *)addr, (uint32_t)expected, deadline);
}

static void ec_wake32(const struct ck_ec_ops *ops, const uint32_t *addr)
{
	(void)ops;
	syscall(SYS_futex, addr, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, INT_MAX, NULL, NULL, 0);
}

static void ec_wake64(const struct ck_ec_ops *ops, const uint64_t *addr)
{
	ec_wake32(ops, (const uint32_t *)addr);
}

static const struct ck_ec_ops irqc_ec_ops = {
	.gettime = ec_gettime,
	.wait32 = ec_wait32,
	.wait64 = ec_wait64,
	.wake32 = ec_wake32,
	.wake64 = ec_wake64,
};

/* ---- draining ---- */

/*
 * Priority classes (Q1, Q2)
 * -------------------------
 * A CPU has one pending bitmap per class (core/raise.c); bit p of its
 * levels word says that class p > 0 may have pending lines. A pass takes
 * the highest class above the CPU's level that has some (a seq_cst
 * fetch_and of its bit: the CPU's side of the raisers' step 2c), drains it,
 * and starts again from the top; class 0, which has no bit, comes last.
 * Classes in use (irqc.prio_mask) below the highest one are drained one
 * line at a time: the CPU clears one bit of the word (fetch_and, where a
 * class with nothing above it exchanges the whole word), runs the line,
 * and looks at levels (a relaxed load beside `sleeping`). If a higher class
 * has become pending, or the CPU's level rose to the class, it stops: the
 * lines it has not taken are still set in their words, whose summary bits
 * it has left set, and it sets again the class's levels bit it took
 * (class_restore). Only setting a bit, which raisers do too, this keeps the
 * raisers' argument: a raiser that sees the bit set sees it before the
 * CPU's next fetch_and of it. So a line of a higher class waits at most for
 * the one handler running when it became pending.
 */

/* Stop draining class prio? */
static inline __attribute__((always_inline)) bool class_yield(struct irqc_cpu *cpu, unsigned int prio)
{
	/* relaxed: a hint that ends the class early; what is left stays set
	 * in the bitmap (see above) */
	return (atomic_load_explicit(&cpu->levels, memory_order_relaxed) >> prio) > 1 ||
	       cpu->level >= (int)prio;
}

/*
 * Word w of class prio, whose summary bit is set: its bits, or 0 after the
 * CPU has cleared the summary bit of the word it found empty. The summary
 * bit stays set while the word has events, so that a raiser into a busy
 * word pays one RMW (its OR) and not two (see raise.c, step 2).
 */
static inline __attribute__((always_inline)) uint64_t word_look(struct irqc_pend *pd,
								 unsigned int w)
{
	/* relaxed: a non-zero value is taken by an exchange or fetch_and
	 * below, the acquire that pairs with the raisers' fetch_or */
	uint64_t bits = atomic_load_explicit(&pd->words[w], memory_order_relaxed);

	if (likely(bits))
		return bits;
	IRQC_DEBUG_POINT(IRQC_DBG_DRAIN_EMPTY, w * IRQC_BITS);
	/* seq_cst: a raiser whose step-2 load saw the bit set did so before
	 * this fetch_and, hence did its OR before the load below */
	atomic_fetch_and(&pd->summary[w / IRQC_BITS], ~(1ull << (w % IRQC_BITS)));
	/* seq_cst: after the fetch_and (the CPU's look again, step 2) */
	return atomic_load(&pd->words[w]);
}

/* Word w of class prio: run each set line. Returns false if it yielded
 * (step: one line at a time) with lines left in the word. */
static inline __attribute__((always_inline)) bool drain_word(struct irqc_cpu *cpu, unsigned int prio,
							  unsigned int w, bool step,
							  unsigned int *n)
{
	_Atomic uint64_t *word = &cpu->pend[prio].words[w];
	uint64_t bits = word_look(&cpu->pend[prio], w);

	if (!bits)
		return true;
	if (!step) {
		/* seq_cst: paired with raisers' fetch_or on the word */
		bits = atomic_exchange(word, 0);
		*n += irqc__run_lines(cpu, w * IRQC_BITS, bits);
		return true;
	}
	while (bits) {
		uint64_t bit = bits & -bits;
		unsigned int irq = w * IRQC_BITS + (unsigned int)__builtin_ctzll(bits);

		bits &= bits - 1;
		/* seq_cst: the exchange of one bit (the CPU alone clears bits,
		 * so the bit is still set) */
		if (!(atomic_fetch_and(word, ~bit) & bit))
			continue;
		*n += irqc__run_lines(cpu, irq, 1);
		if (bits && class_yield(cpu, prio))
			return false;
	}
	return true;
}

/* Summary word i of class 0: does a word it names have a bit? (Loads only:
 * a summary bit may outlive its word's events until a pass clears it.) */
static inline __attribute__((always_inline)) bool summary_has_work(struct irqc_cpu *cpu,
								   unsigned int i)
{
	/* seq_cst, each: the loads of the sleep announcement's recheck, and
	 * of quiesce's passes (see there) */
	for (uint64_t s = atomic_load(&cpu->summary[i]); s; s &= s - 1)
		if (atomic_load(&cpu->words[i * IRQC_BITS + (unsigned int)__builtin_ctzll(s)]))
			return true;
	return false;
}

static inline __attribute__((always_inline)) bool has_work(struct irqc_cpu *cpu)
{
	/* seq_cst: as in summary_has_work */
	if (atomic_load(&cpu->tasklets))
		return true;
	if (irqc.nr_summary == 1) {
		if (summary_has_work(cpu, 0))
			return true;
	} else {	/* the summary words top names (never cleared) */
		for (uint64_t t = atomic_load(cpu->top); t; t &= t - 1)
			if (summary_has_work(cpu, (unsigned int)__builtin_ctzll(t)))
				return true;
	}
	return atomic_load(&cpu->levels) != 0;	/* classes above 0 (step 2c) */
}

bool irqc__cpu_has_work(struct irqc_cpu *cpu)
{
	return has_work(cpu);
}

/* Give back what a yielding pass took from class prio and has not run:
 * the class's bit in levels (summary and top bits stay set while their
 * words have events). */
static void class_restore(struct irqc_cpu *cpu, unsigned int prio)
{
	/* seq_cst: as the raisers' step 2c */
	if (prio)
		atomic_fetch_or(&cpu->levels, 1ull << prio);
}

/* Summary word i of class prio: drain the words it names. Returns false if
 * it yielded; then the rest is restored. */
static inline __attribute__((always_inline)) bool drain_summary(struct irqc_cpu *cpu,
							     unsigned int prio, unsigned int i,
							     bool step, unsigned int *n)
{
	/* relaxed: which words to look at; each word is looked at, and its
	 * summary bit cleared, by word_look */
	uint64_t s = atomic_load_explicit(&cpu->pend[prio].summary[i], memory_order_relaxed);

	if (!s)
		return true;
	IRQC_DEBUG_POINT(IRQC_DBG_DRAIN, ~0u);
	while (s) {
		unsigned int w = i * IRQC_BITS + (unsigned int)__builtin_ctzll(s);

		s &= s - 1;
		if (!drain_word(cpu, prio, w, step, n) ||
		    (step && s && class_yield(cpu, prio))) {
			class_restore(cpu, prio);
			return false;
		}
	}
	return true;
}

/* Class prio: drain its bitmap. step: one line at a time, yielding to a
 * higher class (see above). Returns false if it yielded. */
static inline __attribute__((always_inline)) bool drain_class(struct irqc_cpu *cpu, unsigned int prio,
							   bool step, unsigned int *n)
{
	struct irqc_pend *pd = &cpu->pend[prio];
	uint64_t t;

	if (irqc.nr_summary == 1)
		return drain_summary(cpu, prio, 0, step, n);
	/* seq_cst: paired with raisers' step 2b. Top bits are never cleared
	 * (core/raise.c): the summary words that ever had an event */
	t = atomic_load(pd->top);
	while (t) {
		unsigned int i = (unsigned int)__builtin_ctzll(t);

		t &= t - 1;
		if (!drain_summary(cpu, prio, i, step, n))
			return false;
		if (step && t && class_yield(cpu, prio)) {
			class_restore(cpu, prio);
			return false;
		}
	}
	return true;
}

/* Every class above the CPU's level, highest first (see above). */
static __attribute__((noinline)) void drain_classes(struct irqc_cpu *cpu, uint64_t in_use,
							    unsigned int *n)
{
	for (;;) {
		/* relaxed: which class to look at; the fetch_and takes it */
		uint64_t lv = atomic_load_explicit(&cpu->levels, memory_order_relaxed);
		int above = cpu->level + 1;
		unsigned int p;

		lv &= ~0ull << above;		/* classes above the level */
		if (lv) {
			p = 63u - (unsigned int)__builtin_clzll(lv);
			/* seq_cst: the CPU's side of step 2c: before its
			 * loads of the class's top and summary words */
			atomic_fetch_and(&cpu->levels, ~(1ull << p));
		} else if (above == 0) {
			p = 0;
		} else {
			return;			/* the rest is deferred */
		}
		/* a class with nothing in use above it cannot be preempted */
		if ((in_use >> p) > 1 ? drain_class(cpu, p, true, n) && p == 0 :
					drain_class(cpu, p, false, n) && p == 0)
			return;
	}
}

/* One pass: drain every set bit, inside one read-side section. */
unsigned int irqc__cpu_pass(struct irqc_cpu *cpu)
{
	unsigned int n = 0;

	if (has_work(cpu)) {
		/* relaxed: the classes ever given to a line; with only class 0
		 * the pass is the plain one */
		uint64_t in_use = atomic_load_explicit(&irqc.prio_mask, memory_order_relaxed);

		(void)irqc__rcu_enter();	/* the dispatcher is joined before any free */
		if (likely(in_use == 1 && cpu->level < 0 &&
			   !atomic_load_explicit(&cpu->levels, memory_order_relaxed)))
			drain_class(cpu, 0, false, &n);
		else
			drain_classes(cpu, in_use, &n);
		irqc__rcu_exit();
		/* bottom halves: after the hard handlers, outside the section;
		 * an attached CPU inside local_bh_disable runs them at its
		 * local_bh_enable (port/softirq.c) */
		if (irqc__tasklets_pending(cpu) && !irqc_ctx.bh_off) {
			uint64_t t0 = irqc__mono_ns();

			n += irqc__run_tasklets(cpu);
			irqc__exp_busy_add(cpu, irqc__mono_ns() - t0);
		}
		irqc__inc_owned_n(&cpu->handled, n);
		irqc__exp_pass(cpu);		/* stats: a drain pass */
	}
	/* quiesce reads seq and relies on the pass after the next one seeing
	 * every raise made before its read: the store must come before this
	 * CPU's next loads of the bitmap. The light half of an asymmetric
	 * pair: quiesce issues membarrier() before it reads (see quiesce.c),
	 * so a busy CPU pays no fence per pass; a fence where the kernel has
	 * no membarrier, a seq_cst store under TSan. */
#if defined(__SANITIZE_THREAD__)
	atomic_store(&cpu->seq, atomic_load_explicit(&cpu->seq, memory_order_relaxed) + 1);
#else
	atomic_store_explicit(&cpu->seq, atomic_load_explicit(&cpu->seq, memory_order_relaxed) + 1,
			      memory_order_release);
	irqc__light_barrier();
#endif
	return n;
}

static const char *dispatcher_name(unsigned int id, char name[16])
{
	snprintf(name, 16, "irqcore/%u", id);
	return name;
}

static bool stopping(void)
{
	/* seq_cst: paired with the store in stop_threads before its kicks */
	return atomic_load(&irqc.stop);
}

/* Sleep until a raiser, a kick or stop_threads wakes us (see the top of
 * this file for why no wake-up is lost). */
static void cpu_sleep(struct irqc_cpu *cpu)
{
	uint32_t kicks = irqc__idle_kicks(cpu);	/* before the look at polled fds */

	/* polled fds: in ppoll on them (sources/poll.c) */
	if (irqc__poll_sleep(cpu, 0, kicks))
		return;
	IRQC_DEBUG_POINT(IRQC_DBG_IDLE_SLEEP, ~0u);
	/* seq_cst: the store half of the Dekker pair with irqc__cpu_kick and
	 * with a poke (irqc__may_sleep) */
	atomic_store(&cpu->sleeping, 1);
	if (irqc__may_sleep(cpu, kicks))
		futex_wait(&cpu->sleeping, 1);	/* returns at once if no longer 1 */
	atomic_store_explicit(&cpu->sleeping, 0, memory_order_relaxed);
}

/* Idle and spinning: loads only, until there is work, a kick or stop (no
 * pass, hence no store, per spin): returns true then. A CPU home to
 * IRQCORE_SRC_F_POLL sources polls their fds on each spin (one poll() for
 * them all; a CPU without any pays one load of cpu->polls). Returns false after
 * budget_ns when budget_ns != 0 (adaptive), reading the clock once per 256
 * spins. */
static bool cpu_spin(struct irqc_cpu *cpu, uint64_t budget_ns)
{
	uint32_t kicks = atomic_load_explicit(&cpu->kicks, memory_order_acquire);
	uint64_t start = budget_ns ? irqc__mono_ns() : 0;

	for (unsigned int spins = 1;; spins++) {
		/* acquire: paired with the release add in request_pass */
		if (irqc__cpu_has_work(cpu) || stopping() ||
		    atomic_load_explicit(&cpu->kicks, memory_order_acquire) != kicks)
			return true;
		if (!irqc__poll_run(cpu))	/* a read raised: work next turn */
			irqc__cpu_relax();
		if (spins % 256)
			continue;
		if (budget_ns && irqc__mono_ns() - start >= budget_ns)
			return false;
		if (!budget_ns && spins % 4096 == 0)
			sched_yield();		/* oversubscribed machines */
	}
}

/*
 * Interrupt coalescing (D10)
 * --------------------------
 * A raiser's OR and a CPU's exchange meet on the bitmap's cache line. A
 * dispatcher that comes back to the line as soon as its handlers return
 * takes it from a raiser that is streaming events at every raise, so each
 * raise pays a transfer of the line (100-150 ns on a VM) and each pass
 * finds one or two events. After a pass that handled n events the
 * dispatcher therefore stays off its bitmaps for min(n, 16) x coalesce_ns:
 * the raiser sets more bits meanwhile, the next pass finds more, and so
 * waits longer; bounded by 16 events' worth. A pass that found one event
 * waits coalesce_ns (20 ns by default), which an event 5 us after the
 * last does not see; on the 2-vCPU VM this took M5 from 3 to 22-24
 * million raises a second (bench/m5pair, README M5).
 *
 * The wait watches, with loads of lines that raisers do not write on
 * every event, what must not wait: levels (a line of a class above 0 was
 * raised: the pass takes it at once, D10 and Q1), kicks (quiesce), stop
 * (shutdown) and tasklets scheduled from another thread. Class 0 events,
 * timer lines and polled fds wait for the end, at most 16 x coalesce_ns.
 * The length is counted in cpu_relax()es, measured once per process
 * against the clock (a clock read costs about as much as the wait).
 */
static bool coalesce_forever;	/* torture: a wait lasts until one of its ends */

static inline bool coalesce_ends(struct irqc_cpu *cpu, uint32_t kicks)
{
	/* relaxed, each: hints that end a wait early; the pass that follows
	 * looks at everything with its own orderings */
	return atomic_load_explicit(&cpu->levels, memory_order_relaxed) ||
	       atomic_load_explicit(&cpu->kicks, memory_order_relaxed) != kicks ||
	       atomic_load_explicit(&irqc.stop, memory_order_relaxed) ||
	       atomic_load_explicit(&cpu->tasklets, memory_order_relaxed);
}

/* After a pass that handled n events. */
static void cpu_coalesce(struct irqc_cpu *cpu, unsigned int n)
{
	unsigned int spins = (n < IRQC_COALESCE_EVENTS ? n : IRQC_COALESCE_EVENTS) *
			     irqc.coalesce_spins;
	/* relaxed: compared in coalesce_ends, as cpu_spin does */
	uint32_t kicks = atomic_load_explicit(&cpu->kicks, memory_order_relaxed);

	IRQC_DEBUG_POINT(IRQC_DBG_COALESCE, n);
	for (unsigned int i = 0; i < spins || unlikely(coalesce_forever); i++) {
		if (coalesce_ends(cpu, kicks))
			return;
		irqc__cpu_relax();
	}
}

/* cpu_relax()es per event of a coalescing wait: coalesce_ns over the
 * length of one, measured once per process (the best of 5 runs of 2048);
 * 0 when coalescing is off. */
static unsigned int coalesce_spins(void)
{
	static _Atomic uint32_t relax_ps;	/* picoseconds per cpu_relax() */
	/* relaxed: any thread's measurement will do */
	uint64_t ps = atomic_load_explicit(&relax_ps, memory_order_relaxed), spins;

	if (irqc.cfg.coalesce_ns < 0)
		return 0;
	if (!ps) {
		for (int run = 0; run < 5; run++) {
			uint64_t t0 = irqc__mono_ns(), t;

			for (int i = 0; i < 2048; i++)
				irqc__cpu_relax();
			t = (irqc__mono_ns() - t0) * 1000 / 2048;
			if (!run || t < ps)
				ps = t;
		}
		if (!ps)
			ps = 1;
		atomic_store_explicit(&relax_ps, (uint32_t)(ps < UINT32_MAX ? ps : UINT32_MAX),
				      memory_order_relaxed);
	}
	spins = ((uint64_t)irqc.cfg.coalesce_ns * 1000 + ps / 2) / ps;
	return spins ? (unsigned int)spins : 1;
}

static _Atomic bool fifo_warned;	/* per init: one warning */

/* cfg.dispatcher_priority: SCHED_FIFO, or one warning and SCHED_OTHER. */
static void set_priority(void)
{
	struct sched_param sp = { .sched_priority = irqc.cfg.dispatcher_priority };
	int ret;
	bool expected = false;

	if (!sp.sched_priority)
		return;
	ret = pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp);
	if (ret && atomic_compare_exchange_strong(&fifo_warned, &expected, true))
		irqc_warn("dispatchers: SCHED_FIFO priority %d not permitted (%s); "
			  "running SCHED_OTHER", sp.sched_priority, strerror(ret));
}

static void *dispatcher_main(void *arg)
{
	struct irqc_cpu *cpu = arg;
	char name[16];

	pthread_setname_np(pthread_self(), dispatcher_name(cpu->id, name));
	if (!irqc.cfg.no_pinning)
		irqc__topo_bind(cpu->id);
	set_priority();
	irqc__set_this_cpu(cpu);	/* and its counter row, before the first event */

	while (!stopping()) {
		irqc__timer_run(cpu);		/* deadline timer lines (sources/timer.c) */
		irqc__poll_run(cpu);		/* polled fds (sources/poll.c) */
		unsigned int n = irqc__cpu_pass(cpu);

		if (n) {
			if (unlikely(cpu->level != IRQCORE_LEVEL_PASSIVE))
				irqc__level_leaked(cpu);
			if (irqc.coalesce_spins)
				cpu_coalesce(cpu, n);
			continue;
		}
		if (irqc__timer_wait(cpu))	/* slept or spun towards a deadline */
			continue;
		switch (irqc.cfg.idle) {
		case IRQCORE_IDLE_SPIN:
			cpu_spin(cpu, 0);
			break;
		case IRQCORE_IDLE_ADAPTIVE:
			if (cpu_spin(cpu, irqc.cfg.spin_budget_ns))
				break;
			/* fall through */
		default:
			cpu_sleep(cpu);
		}
	}
	irqc_ctx.cpu = NULL;
	return NULL;
}

/* ---- setup ---- */

static size_t map_bytes;		/* the size of each class's bitmap */

static void cpu_free_maps(struct irqc_cpu *cpu)
{
	/* one block: the classes' bitmaps follow */
	irqc__topo_free_local(cpu->top, map_bytes * IRQ_NR_PRIO);
	cpu->top = NULL;
}

/*
 * A CPU's pending bitmap is one block, on its NUMA node: the top word, the
 * summary words, then the bitmap words right after them. With up to 384
 * lines (one summary word and six bitmap words) an event's whole trip (the
 * raiser's OR of the word and its look at the summary, the CPU's look at
 * the summary and exchange of the word) touches one cache line; with more, the first lines' words still share
 * the summary's line. The top word is used only with more than one summary
 * word (more than 4096 lines); its bits are never cleared (core/raise.c).
 * The bitmaps of priority classes 1..IRQ_NR_PRIO-1, of the same shape,
 * follow in the same block (65536 lines: 8 KiB each).
 */
int irqc__cpus_init(void)
{
	size_t bytes = ((1 + irqc.nr_summary + irqc.nr_words) * sizeof(uint64_t) +
			IRQC_CACHELINE - 1) & ~(size_t)(IRQC_CACHELINE - 1);

	map_bytes = bytes;

	irqc.ec_mode.ops = &irqc_ec_ops;
	irqc.ec_mode.single_producer = false;
	irqc.cpus = aligned_alloc(IRQC_CACHELINE, sizeof(*irqc.cpus) * irqc.nr_cpus);
	if (!irqc.cpus)
		return -ENOMEM;
	memset(irqc.cpus, 0, sizeof(*irqc.cpus) * irqc.nr_cpus);
	for (unsigned int c = 0; c < irqc.nr_cpus; c++) {
		struct irqc_cpu *cpu = &irqc.cpus[c];

		_Atomic uint64_t *block;

		cpu->id = c;
		cpu->bias_tag = (c + 1) << IRQS_HOLDER_SHIFT;
		/* the segment exists: irqc__export_init runs first (init.c) */
		cpu->handled_row = irqc__exp_cell(irqc_exp.handled, c, 0);
		cpu->level = IRQCORE_LEVEL_PASSIVE;
		cpu->poll_wakefd = -1;		/* made by the first polled source */
		/* on the CPU's NUMA node (page-aligned, so cache-aligned) */
		block = irqc__topo_alloc_local(c, bytes * IRQ_NR_PRIO);
		if (!block) {
			for (unsigned int d = 0; d < c; d++)
				cpu_free_maps(&irqc.cpus[d]);
			free(irqc.cpus);
			irqc.cpus = NULL;
			return -ENOMEM;
		}
		memset(block, 0, bytes * IRQ_NR_PRIO);
		for (unsigned int p = 0; p < IRQ_NR_PRIO; p++) {
			struct irqc_pend *pd = &cpu->pend[p];

			pd->top = block + p * (bytes / sizeof(*block));
			pd->summary = pd->top + 1;
			pd->words = pd->summary + irqc.nr_summary;
		}
	}
	return 0;
}

static void stop_threads(void)
{
	/* seq_cst: paired with stopping() after a CPU's sleep announcement */
	atomic_store(&irqc.stop, true);
	for (unsigned int c = 0; c < irqc.nr_cpus; c++) {
		struct irqc_cpu *cpu = &irqc.cpus[c];

		if (!cpu->thread_started)
			continue;
		irqc__cpu_kick(cpu);
		pthread_join(cpu->thread, NULL);
		cpu->thread_started = false;
	}
}

int irqc__cpus_start_threads(void)
{
	irqc.coalesce_spins = 0;	/* external CPUs never wait */
	if (irqc.cfg.flags & IRQCORE_F_EXTERNAL_CPUS)
		return 0;
	atomic_store(&fifo_warned, false);
	irqc.coalesce_spins = coalesce_spins();
#if defined(IRQC_TORTURE)
	coalesce_forever = irqc.coalesce_spins && irqc__torture_coalesce_forever();
#endif
	for (unsigned int c = 0; c < irqc.nr_cpus; c++) {
		struct irqc_cpu *cpu = &irqc.cpus[c];
		int ret = pthread_create(&cpu->thread, NULL, dispatcher_main, cpu);

		if (ret) {
			irqc_err("cannot start dispatcher %u: %s", c, strerror(ret));
			stop_threads();
			return -ret;
		}
		cpu->thread_started = true;
		/* named before init returns (the thread names itself too) */
		pthread_setname_np(cpu->thread, dispatcher_name(cpu->id, (char[16]){ 0 }));
	}
	return 0;
}

void irqc__cpus_fini(void)
{
	if (!irqc.cpus)
		return;
	stop_threads();
	for (unsigned int c = 0; c < irqc.nr_cpus; c++) {
		/* no dispatcher sleeps on it, no raiser is left to write it */
		if (irqc.cpus[c].poll_wakefd >= 0)
			close(irqc.cpus[c].poll_wakefd);
		irqc__tasklets_drop(&irqc.cpus[c]);
		cpu_free_maps(&irqc.cpus[c]);
	}
	free(irqc.cpus);
	irqc.cpus = NULL;
}
