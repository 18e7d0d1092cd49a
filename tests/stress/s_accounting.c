/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * s_accounting — the accounting invariant under load.
 *
 * Many lines (256 of 1024, or 512 spread over 65536), four dispatchers, four
 * raiser threads hammering random lines (with short same-line bursts), one
 * test per idle policy. Every line has one action and a fixed single-CPU
 * affinity, spread over the CPUs; every eighth line has a slow handler so
 * that raises pile up on set pending bits (coalescing).
 *
 * Invariants after irqcore_quiesce() == 0, per line:
 *  - raised == count + coalesced;
 *  - raised == the test's own successful irq_raise() calls (so the sums
 *    match too);
 *  - the handler ran exactly count times (fixed affinity: no cross-CPU
 *    PENDING replay); on toggled lines between count and count + coalesced
 *    (a flow replays an edge latched while the line was disabled under it);
 * and coalesced > 0 somewhere (the test did stress coalescing).
 *
 * The toggle variant also has a thread that disables (nosync or sync) and
 * re-enables a quarter of the lines, nested sometimes, while they are being
 * raised; events latched while disabled must come out on the final enable.
 * At the end each toggled line is disabled once more, raised K times,
 * checked to stay latched through a quiesce, then enabled: exactly one more
 * handler run, and the invariant still holds.
 *
 * Two more spinning runs change the dispatchers' coalescing wait (D10):
 * none (coalesce_ns -1), and the longest (100 us per event, up to 1.6 ms
 * after a busy pass), where raises pile up during waits and quiesce's
 * kicks end them.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "irqcore.h"
#include "../harness.h"
#include "stress.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>

#define MAX_LINES	512
#define NR_RAISERS	4
#define NR_CPUS		4
#define LATCH_RAISES	5

#define STRESS_TIMEOUT	((int)(th_stress_seconds() * 4) + 120)

struct line {
	unsigned int irq;
	bool slow;
	bool toggled;
	atomic_ullong calls;
	atomic_ullong wrong_cpu;
	int cpu;			/* its affinity */
};

static struct line lines[MAX_LINES];
static unsigned int nr_lines;
static double deadline;
static pthread_barrier_t start_barrier;
static atomic_ullong bad_calls;
static int coalesce_ns;			/* the configuration's; 0: default */

struct raiser {
	pthread_t tid;
	unsigned int idx;
	unsigned long long raised[MAX_LINES];
	unsigned long long failed;
};

static struct raiser raisers[NR_RAISERS];

static irqreturn_t acct_handler(int irq, void *dev_id)
{
	struct line *ln = dev_id;

	if ((unsigned int)irq != ln->irq || !in_hardirq())
		atomic_fetch_add_explicit(&bad_calls, 1, memory_order_relaxed);
	if (smp_processor_id() != ln->cpu)
		atomic_fetch_add_explicit(&ln->wrong_cpu, 1, memory_order_relaxed);
	if (ln->slow)
		spin(5000);
	atomic_fetch_add_explicit(&ln->calls, 1, memory_order_relaxed);
	return IRQ_HANDLED;
}

static void *raiser_main(void *arg)
{
	struct raiser *r = arg;
	unsigned long long seed = raiser_seed(r->idx);

	pin_self(r->idx);
	pthread_barrier_wait(&start_barrier);
	while (th_now() < deadline) {
		for (int k = 0; k < 64; k++) {
			unsigned long long x = xorshift(&seed);
			unsigned int l = (unsigned int)(x % nr_lines);
			/* A burst of 1..4 raises of the same line. */
			unsigned int burst = (x >> 40) & 7 ? 1 : 1 + ((x >> 44) & 3);

			for (unsigned int b = 0; b < burst; b++) {
				raise_counted(lines[l].irq, &r->raised[l], &r->failed);
			}
		}
	}
	return NULL;
}

struct toggler {
	unsigned long long toggles;
};

static void *toggler_main(void *arg)
{
	struct toggler *t = arg;
	unsigned long long seed = 0x2545f4914f6cdd1dULL;

	pin_self(NR_RAISERS);
	pthread_barrier_wait(&start_barrier);
	while (th_now() < deadline) {
		unsigned int l = (unsigned int)(xorshift(&seed) % nr_lines);
		unsigned long long x = xorshift(&seed);
		unsigned int depth = (x & 3) == 0 ? 2 : 1;

		if (!lines[l].toggled)
			continue;
		for (unsigned int d = 0; d < depth; d++) {
			if (x & 4)
				disable_irq(lines[l].irq);
			else
				disable_irq_nosync(lines[l].irq);
		}
		/* Let some raises land on the disabled line. */
		if (x & 8)
			sched_yield();
		else
			spin(2000 + (unsigned int)((x >> 16) % 20000));
		for (unsigned int d = 0; d < depth; d++)
			enable_irq(lines[l].irq);
		t->toggles++;
	}
	return NULL;
}

static void setup(unsigned int nr_irqs, int idle, unsigned int nlines,
		  bool toggle)
{
	struct irqcore_config cfg;

	irqcore_config_init(&cfg);
	cfg.nr_irqs = nr_irqs;
	cfg.nr_cpus = NR_CPUS;
	cfg.idle = idle;
	cfg.flags |= IRQCORE_F_NO_EXPORT;
	cfg.log = th_log;
	if (coalesce_ns)
		cfg.coalesce_ns = coalesce_ns;
	ASSERT_EQ(irqcore_init(&cfg), 0);

	ASSERT_LE(nlines, MAX_LINES);
	nr_lines = nlines;
	for (unsigned int i = 0; i < nlines; i++) {
		struct line *ln = &lines[i];
		unsigned int stride = nr_irqs / nlines;
		cpu_set_t mask;

		memset(ln, 0, sizeof(*ln));
		/* Spread over the range; the last line is nr_irqs - 1. */
		ln->irq = i == nlines - 1 ? nr_irqs - 1 :
			  i * stride + (i * 37u) % stride;
		ln->slow = (i % 8) == 0;
		ln->toggled = toggle && (i % 4) == 1;
		ln->cpu = (int)(i % NR_CPUS);
		ASSERT_EQ(request_irq(ln->irq, acct_handler, 0, "acct", ln), 0);
		CPU_ZERO(&mask);
		CPU_SET(ln->cpu, &mask);
		ASSERT_EQ(irq_set_affinity(ln->irq, &mask), 0);
	}
}

/* Disable, raise K times, stay latched through a quiesce, enable: one run. */
static void check_latch(struct line *ln)
{
	struct irq_status st0, st1, st2;
	unsigned long long calls0;

	disable_irq(ln->irq);
	ASSERT_EQ(irq_get_status(ln->irq, &st0), 0);
	calls0 = atomic_load(&ln->calls);
	for (int i = 0; i < LATCH_RAISES; i++)
		ASSERT_EQ(irq_raise(ln->irq), 0);
	ASSERT_EQ(irqcore_quiesce(10000), 0);	/* latched events excepted */
	ASSERT_EQ(irq_get_status(ln->irq, &st1), 0);
	ASSERT_TRUE(st1.disabled);
	ASSERT_EQ(st1.depth, 1);
	ASSERT_TRUE(st1.pending);
	ASSERT_EQ(ld(&ln->calls), calls0);
	ASSERT_EQ(st1.raised, st0.raised + LATCH_RAISES);

	enable_irq(ln->irq);
	ASSERT_EQ(irqcore_quiesce(10000), 0);
	ASSERT_EQ(irq_get_status(ln->irq, &st2), 0);
	ASSERT_FALSE(st2.disabled);
	ASSERT_FALSE(st2.pending);
	ASSERT_EQ(st2.depth, 0);
	ASSERT_EQ(ld(&ln->calls), calls0 + 1);
	ASSERT_EQ(st2.raised, st0.raised + LATCH_RAISES);
	ASSERT_EQ(st2.raised, st2.count + st2.coalesced);
	ASSERT_EQ(st2.count, st0.count + 1);
}

static void run_scenario(unsigned int nr_irqs, int idle, unsigned int nlines,
			 bool toggle)
{
	struct toggler tog = { 0 };
	pthread_t tog_tid;
	unsigned long long sum_mine = 0, sum_raised = 0, sum_count = 0,
			   sum_coal = 0, lines_coal = 0;
	unsigned int nthreads = NR_RAISERS + 1 + (toggle ? 1 : 0);

	setup(nr_irqs, idle, nlines, toggle);

	memset(raisers, 0, sizeof(raisers));
	ASSERT_EQ(pthread_barrier_init(&start_barrier, NULL, nthreads), 0);
	deadline = th_now() + th_stress_seconds();
	for (unsigned int i = 0; i < NR_RAISERS; i++) {
		raisers[i].idx = i;
		ASSERT_EQ(pthread_create(&raisers[i].tid, NULL, raiser_main,
					 &raisers[i]), 0);
	}
	if (toggle)
		ASSERT_EQ(pthread_create(&tog_tid, NULL, toggler_main, &tog), 0);
	pthread_barrier_wait(&start_barrier);
	for (unsigned int i = 0; i < NR_RAISERS; i++)
		ASSERT_EQ(pthread_join(raisers[i].tid, NULL), 0);
	if (toggle)
		ASSERT_EQ(pthread_join(tog_tid, NULL), 0);
	pthread_barrier_destroy(&start_barrier);

	/* Every line is enabled again: nothing may stay latched. */
	ASSERT_EQ(irqcore_quiesce(10000), 0);
	ASSERT_EQ(ld(&bad_calls), 0);

	for (unsigned int l = 0; l < nr_lines; l++) {
		struct line *ln = &lines[l];
		struct irq_status st;
		unsigned long long mine = 0;

		for (unsigned int i = 0; i < NR_RAISERS; i++) {
			ASSERT_EQ(raisers[i].failed, 0);
			mine += raisers[i].raised[l];
		}
		ASSERT_EQ(irq_get_status(ln->irq, &st), 0);
		ASSERT_EQ(ld(&ln->wrong_cpu), 0);
		ASSERT_FALSE(st.disabled);
		ASSERT_FALSE(st.pending);
		ASSERT_EQ(st.depth, 0);
		ASSERT_EQ(st.nr_actions, 1);
		ASSERT_EQ(st.raised, mine);
		ASSERT_EQ(st.raised, st.count + st.coalesced);
		if (ln->toggled) {
			/*
			 * An edge latched while the line was disabled under a
			 * running handler is replayed by that flow when the
			 * enable comes first: one more run, counted as
			 * coalesced (as the kernel's edge flow does).
			 */
			ASSERT_GE(ld(&ln->calls), st.count);
			ASSERT_LE(ld(&ln->calls), st.count + st.coalesced);
		} else {
			ASSERT_EQ(ld(&ln->calls), st.count);
		}
		ASSERT_EQ(kstat_irqs_usr(ln->irq), (unsigned int)st.count);
		sum_mine += mine;
		sum_raised += st.raised;
		sum_count += st.count;
		sum_coal += st.coalesced;
		lines_coal += st.coalesced > 0;
	}
	ASSERT_EQ(sum_mine, sum_raised);
	ASSERT_GT(sum_coal, 0);
	printf("  s_accounting nr_irqs=%u idle=%d lines=%u%s: raised=%llu "
	       "count=%llu coalesced=%llu (on %llu lines) toggles=%llu\n",
	       nr_irqs, idle, nlines, toggle ? " toggle" : "", sum_raised,
	       sum_count, sum_coal, lines_coal, tog.toggles);

	if (toggle) {
		ASSERT_GT(tog.toggles, 0);
		for (unsigned int l = 0; l < nr_lines; l++)
			if (lines[l].toggled)
				check_latch(&lines[l]);
	}

	for (unsigned int l = 0; l < nr_lines; l++)
		ASSERT_TRUE(free_irq(lines[l].irq, &lines[l]) != NULL);
	irqcore_shutdown();
}

TEST_T(accounting_idle_sleep, STRESS_TIMEOUT)
{
	run_scenario(1024, IRQCORE_IDLE_SLEEP, 256, false);
}

TEST_T(accounting_idle_spin, STRESS_TIMEOUT)
{
	run_scenario(1024, IRQCORE_IDLE_SPIN, 256, false);
}

TEST_T(accounting_idle_adaptive, STRESS_TIMEOUT)
{
	run_scenario(1024, IRQCORE_IDLE_ADAPTIVE, 256, false);
}

TEST_T(accounting_65536_lines, STRESS_TIMEOUT)
{
	run_scenario(IRQCORE_MAX_IRQS, IRQCORE_IDLE_SLEEP, 512, false);
}

TEST_T(accounting_disable_enable, STRESS_TIMEOUT)
{
	run_scenario(1024, IRQCORE_IDLE_ADAPTIVE, 64, true);
}

TEST_T(accounting_no_coalescing, STRESS_TIMEOUT)
{
	coalesce_ns = -1;
	run_scenario(1024, IRQCORE_IDLE_SPIN, 256, false);
}

TEST_T(accounting_long_coalescing, STRESS_TIMEOUT)
{
	coalesce_ns = 100000;
	run_scenario(1024, IRQCORE_IDLE_SPIN, 256, true);
}
