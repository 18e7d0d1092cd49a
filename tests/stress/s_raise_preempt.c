/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * s_raise_preempt — one preempted raiser must not hide other raisers' events
 * (finding 1).
 *
 * A raise ORs the line's bit into a 64-line pending word of its CPU and makes
 * the word visible (summary bit, event count). A raiser whose OR finds the
 * word already non-zero must not rely on the raiser that made it non-zero to
 * do that: if that raiser is preempted between its OR and its summary OR,
 * every other line of the word stays invisible to the CPU, and
 * irqcore_quiesce() returns although raises made before it are unhandled.
 *
 * Set-up: more raiser threads than cores (6 raisers, 1 or 2 dispatchers, on
 * a machine that may have only 2 PUs), every line in ONE 64-line word (lines
 * 0..63). Raiser r owns the lines l with l % 6 == r, so a line's raised count
 * is exactly its owner's raises. With two dispatchers the lines alternate
 * CPUs (l % 2), so each CPU's word 0 is shared by three raisers.
 *
 * To make preemption inside irq_raise() likely, half of the raisers run
 * SCHED_IDLE (best effort) and mostly raise: a normal thread that wakes up
 * preempts them at once, wherever they are, and keeps them off the PU while
 * it runs. The other raisers (normal class) raise in bursts, quiesce after
 * one burst in four and sleep a little now and then; two "preempter" threads
 * sleep briefly and then burn the PU for a while, so that a preempted raiser
 * stays preempted while the others raise and quiesce.
 *
 * Invariants:
 *  - after a raiser's irqcore_quiesce() returns 0, for every line it owns:
 *    raised == its own successful raises and raised == count + coalesced
 *    (nothing it raised before the call is still pending). Violations are
 *    counted and must be 0;
 *  - at the end (raisers joined, quiesce), on every line: raised == the
 *    owner's raises == count + coalesced, handler runs == count (fixed
 *    single-CPU affinity: no replays), kstat_irqs_usr == count.
 *
 * Probabilistic on the unfixed code (it needs a raiser preempted in a window
 * of a few instructions); the finding saw about one quiesce in five fail with
 * 6 raisers on 2 cores. Here the unfixed code usually fails one or more of
 * the tests in the normal build (1cpu_spin most often) and nearly always
 * under TSan/ASan, whose slower atomics widen the window. tests/torture/
 * t_preempt.c is the deterministic version. Each test runs
 * th_stress_seconds() * 0.75.
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
#include <stdint.h>
#include <string.h>
#include <time.h>

#define NR_LINES	64		/* one pending word: lines 0..63 */
#define NR_RAISERS	6
#define NR_PREEMPTERS	2
#define STRESS_TIMEOUT	((int)(th_stress_seconds() * 4) + 120)

static atomic_ullong calls[NR_LINES];
static atomic_ullong bad_calls;
static int line_cpu[NR_LINES];
static double deadline;
static pthread_barrier_t start_barrier;

struct raiser {
	pthread_t tid;
	unsigned int idx;
	unsigned long long raised[NR_LINES];	/* own lines only */
	unsigned long long failed;
	bool idle_class;			/* runs SCHED_IDLE */
	unsigned long long quiesces, quiesce_errors;
	unsigned long long violations;		/* lines behind after a quiesce */
	unsigned long long first_bad_line, first_raised, first_count,
			   first_coalesced, first_mine;
};

static struct raiser raisers[NR_RAISERS];

static irqreturn_t count_handler(int irq, void *dev_id)
{
	(void)dev_id;
	if (irq < 0 || irq >= NR_LINES || !in_hardirq() ||
	    smp_processor_id() != line_cpu[irq])
		atomic_fetch_add_explicit(&bad_calls, 1, memory_order_relaxed);
	else
		atomic_fetch_add_explicit(&calls[irq], 1, memory_order_relaxed);
	return IRQ_HANDLED;
}

/* After a successful quiesce: every line r raised is fully accounted. */
static void check_own_lines(struct raiser *r)
{
	for (unsigned int l = r->idx; l < NR_LINES; l += NR_RAISERS) {
		struct irq_status st;

		if (irq_get_status(l, &st) != 0) {
			r->violations++;
			continue;
		}
		if (st.raised != r->raised[l] || st.raised != st.count + st.coalesced) {
			if (!r->violations++) {
				r->first_bad_line = l;
				r->first_raised = st.raised;
				r->first_count = st.count;
				r->first_coalesced = st.coalesced;
				r->first_mine = r->raised[l];
			}
		}
	}
}

static void *raiser_main(void *arg)
{
	struct raiser *r = arg;
	unsigned long long seed = raiser_seed(r->idx);
	unsigned int nown = (NR_LINES - r->idx + NR_RAISERS - 1) / NR_RAISERS;

	if (r->idx >= NR_RAISERS / 2) {
		/* SCHED_IDLE: preempted at once whenever a normal thread
		 * wakes up, at whatever instruction it is, and kept off the
		 * CPU while normal threads run. Best effort. */
		struct sched_param sp = { .sched_priority = 0 };

		r->idle_class = pthread_setschedparam(pthread_self(), SCHED_IDLE, &sp) == 0;
	}
	pthread_barrier_wait(&start_barrier);
	while (th_now() < deadline) {
		unsigned long long x = xorshift(&seed);
		unsigned int burst = 1 + (unsigned int)(x % 48);

		for (unsigned int b = 0; b < burst; b++) {
			unsigned int l = r->idx +
				NR_RAISERS * (unsigned int)(xorshift(&seed) % nown);

			if (irq_raise(l) == 0)
				r->raised[l]++;
			else
				r->failed++;
		}
		/* Quiesce after about one burst in four (one in 64 for the
		 * SCHED_IDLE raisers, which mostly raise). */
		if ((x >> 32) % (r->idle_class ? 64 : 4) == 0) {
			r->quiesces++;
			if (irqcore_quiesce(10000) == 0)
				check_own_lines(r);
			else
				r->quiesce_errors++;
		}
		/* The normal raisers sleep a little now and then: each of
		 * their wake-ups preempts a SCHED_IDLE raiser. */
		if (!r->idle_class && (x >> 40) % 2 == 0) {
			struct timespec ts = { 0, (long)((x >> 48) % 100) * 1000 };

			nanosleep(&ts, NULL);
		}
	}
	return NULL;
}

/*
 * A preempter: sleeps a little, then burns the PU for a while. Its wake-up
 * preempts a SCHED_IDLE raiser wherever it is, and its burn keeps that
 * raiser off the PU while the other raisers raise and quiesce.
 */
static void *preempter_main(void *arg)
{
	unsigned long long seed = 0x2545f4914f6cdd1dULL + (uintptr_t)arg;

	pthread_barrier_wait(&start_barrier);
	while (th_now() < deadline) {
		unsigned long long x = xorshift(&seed);
		struct timespec ts = { 0, (long)(x % 200) * 1000 };

		nanosleep(&ts, NULL);
		spin(20000 + (unsigned int)((x >> 20) % 200000));
	}
	return NULL;
}

static void run(unsigned int nr_cpus, int idle)
{
	pthread_t pre[NR_PREEMPTERS];
	struct irqcore_config cfg;
	unsigned long long quiesces = 0, violations = 0;

	irqcore_config_init(&cfg);
	cfg.nr_irqs = 1024;
	cfg.nr_cpus = nr_cpus;
	cfg.idle = idle;
	cfg.flags |= IRQCORE_F_NO_EXPORT;
	cfg.log = th_log;
	ASSERT_EQ(irqcore_init(&cfg), 0);

	for (unsigned int l = 0; l < NR_LINES; l++) {
		cpu_set_t mask;

		atomic_store(&calls[l], 0);
		line_cpu[l] = (int)(l % nr_cpus);
		ASSERT_EQ(request_irq(l, count_handler, 0, "preempt", &calls[l]), 0);
		CPU_ZERO(&mask);
		CPU_SET(line_cpu[l], &mask);
		ASSERT_EQ(irq_set_affinity(l, &mask), 0);
	}

	memset(raisers, 0, sizeof(raisers));
	ASSERT_EQ(pthread_barrier_init(&start_barrier, NULL,
				       NR_RAISERS + NR_PREEMPTERS + 1), 0);
	deadline = th_now() + th_stress_seconds() * 0.75;
	for (unsigned int i = 0; i < NR_RAISERS; i++) {
		raisers[i].idx = i;
		ASSERT_EQ(pthread_create(&raisers[i].tid, NULL, raiser_main, &raisers[i]), 0);
	}
	for (uintptr_t i = 0; i < NR_PREEMPTERS; i++)
		ASSERT_EQ(pthread_create(&pre[i], NULL, preempter_main, (void *)i), 0);
	pthread_barrier_wait(&start_barrier);
	for (unsigned int i = 0; i < NR_RAISERS; i++)
		ASSERT_EQ(pthread_join(raisers[i].tid, NULL), 0);
	for (unsigned int i = 0; i < NR_PREEMPTERS; i++)
		ASSERT_EQ(pthread_join(pre[i], NULL), 0);
	pthread_barrier_destroy(&start_barrier);

	for (unsigned int i = 0; i < NR_RAISERS; i++) {
		struct raiser *r = &raisers[i];

		quiesces += r->quiesces;
		violations += r->violations;
		if (r->violations)
			printf("  raiser %u: %llu violation(s) in %llu quiesce(s); first: "
			       "irq %llu raised=%llu count=%llu coalesced=%llu mine=%llu\n",
			       i, r->violations, r->quiesces, r->first_bad_line,
			       r->first_raised, r->first_count, r->first_coalesced,
			       r->first_mine);
	}
	printf("  s_raise_preempt cpus=%u idle=%d: %llu quiesce calls, %llu violations\n",
	       nr_cpus, idle, quiesces, violations);
	fflush(stdout);

	/* The end state: every raise handled, exactly accounted. */
	ASSERT_EQ(irqcore_quiesce(10000), 0);
	ASSERT_EQ(ld(&bad_calls), 0);
	for (unsigned int l = 0; l < NR_LINES; l++) {
		struct raiser *owner = &raisers[l % NR_RAISERS];
		struct irq_status st;

		ASSERT_EQ(irq_get_status(l, &st), 0);
		ASSERT_FALSE(st.pending);
		ASSERT_EQ(st.raised, owner->raised[l]);
		ASSERT_EQ(st.raised, st.count + st.coalesced);
		ASSERT_EQ(ld(&calls[l]), st.count);
		ASSERT_EQ(kstat_irqs_usr(l), (unsigned int)st.count);
	}
	for (unsigned int i = 0; i < NR_RAISERS; i++) {
		ASSERT_EQ(raisers[i].failed, 0);
		ASSERT_EQ(raisers[i].quiesce_errors, 0);
	}
	ASSERT_GT(quiesces, 0);
	ASSERT_EQ(violations, 0);

	for (unsigned int l = 0; l < NR_LINES; l++)
		ASSERT_TRUE(free_irq(l, &calls[l]) != NULL);
	irqcore_shutdown();
}

TEST_T(raise_preempt_1cpu_sleep, STRESS_TIMEOUT)
{
	run(1, IRQCORE_IDLE_SLEEP);
}

TEST_T(raise_preempt_1cpu_spin, STRESS_TIMEOUT)
{
	run(1, IRQCORE_IDLE_SPIN);
}

TEST_T(raise_preempt_2cpus_sleep, STRESS_TIMEOUT)
{
	run(2, IRQCORE_IDLE_SLEEP);
}

TEST_T(raise_preempt_2cpus_spin, STRESS_TIMEOUT)
{
	run(2, IRQCORE_IDLE_SPIN);
}
