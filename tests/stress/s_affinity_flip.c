/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * s_affinity_flip — non-reentrancy and accounting while affinity changes.
 *
 * Several lines, four raiser threads, one thread that keeps moving the lines
 * among the dispatchers with irq_set_affinity() (single-CPU masks, random
 * multi-CPU masks, all CPUs). An edge in flight during a move may be drained
 * by the old CPU while the new one already takes the next edge: the line
 * must still never run on two CPUs at once (SEMANTICS D7, A1).
 *
 * Invariants:
 *  - per-line in-flight count seen by the handler never exceeds 1;
 *  - smp_processor_id() inside the handler is a valid CPU, in_hardirq();
 *  - irq_set_affinity() of a non-empty mask succeeds, irq_get_affinity()
 *    reads it back and the effective affinity is one CPU of it;
 *  - after irqcore_quiesce(): raised == count + coalesced per line, raised
 *    == the test's own successful irq_raise() calls, and the handler ran at
 *    least once per counted event and at most once per accepted raise
 *    (a PENDING replay runs the handler for a coalesced raise).
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

#define NR_LINES	12
#define NR_RAISERS	4
#define FIRST_LINE	32u

#define STRESS_TIMEOUT	((int)(th_stress_seconds() * 4) + 120)

struct line {
	unsigned int irq;
	atomic_int inflight;
	atomic_int max_inflight;
	atomic_ullong calls;
	atomic_ullong per_cpu[16];	/* where it ran (first 16 CPUs) */
	atomic_int running_cpu;		/* CPU of the handler in flight, or -1 */
};

static struct line lines[NR_LINES];
static unsigned int nr_cpus;
static double deadline;
static atomic_bool raisers_done;
static pthread_barrier_t start_barrier;
static atomic_ullong bad_cpu, not_hardirq, wrong_line;

struct raiser {
	pthread_t tid;
	unsigned int idx;
	unsigned long long raised[NR_LINES];
	unsigned long long failed;
};

struct flipper {
	unsigned long long flips, set_errors, readback_errors, eff_errors;
	unsigned long long raised[NR_LINES], failed, targeted;
};

static irqreturn_t flip_handler(int irq, void *dev_id)
{
	struct line *ln = dev_id;
	int cpu = smp_processor_id();
	int now;

	now = atomic_fetch_add_explicit(&ln->inflight, 1, memory_order_acq_rel) + 1;
	note_max(&ln->max_inflight, now);
	if ((unsigned int)irq != ln->irq)
		atomic_fetch_add_explicit(&wrong_line, 1, memory_order_relaxed);
	if (cpu < 0 || cpu >= (int)nr_cpus)
		atomic_fetch_add_explicit(&bad_cpu, 1, memory_order_relaxed);
	else if (cpu < 16)
		atomic_fetch_add_explicit(&ln->per_cpu[cpu], 1, memory_order_relaxed);
	if (!in_hardirq())
		atomic_fetch_add_explicit(&not_hardirq, 1, memory_order_relaxed);
	/* Odd lines are slow: a long window for a second CPU to collide. */
	atomic_store_explicit(&ln->running_cpu, cpu, memory_order_relaxed);
	if (ln->irq & 1)
		spin(20000);
	atomic_store_explicit(&ln->running_cpu, -1, memory_order_relaxed);
	atomic_fetch_add_explicit(&ln->calls, 1, memory_order_relaxed);
	atomic_fetch_sub_explicit(&ln->inflight, 1, memory_order_acq_rel);
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
			unsigned int l = (unsigned int)(xorshift(&seed) % NR_LINES);

			raise_counted(lines[l].irq, &r->raised[l], &r->failed);
			/* Sometimes the same line back to back, from here. */
			if ((xorshift(&seed) & 15) == 0) {
				raise_counted(lines[l].irq, &r->raised[l], &r->failed);
			}
		}
	}
	return NULL;
}

static void random_mask(unsigned long long *seed, cpu_set_t *mask)
{
	CPU_ZERO(mask);
	switch (xorshift(seed) % 3) {
	case 0:					/* one CPU */
		CPU_SET(xorshift(seed) % nr_cpus, mask);
		break;
	case 1:					/* a random subset */
		for (unsigned int c = 0; c < nr_cpus; c++)
			if (xorshift(seed) & 1)
				CPU_SET(c, mask);
		if (CPU_COUNT(mask) == 0)
			CPU_SET(xorshift(seed) % nr_cpus, mask);
		break;
	default:				/* all CPUs */
		for (unsigned int c = 0; c < nr_cpus; c++)
			CPU_SET(c, mask);
		break;
	}
}

/*
 * Targeted move: wait (briefly) until line l runs somewhere, move it to a
 * single other CPU and raise it at once, so that the new CPU takes the edge
 * while the old one is still in the handler. Returns false if the line was
 * not caught running.
 */
static bool targeted_move(struct flipper *f, unsigned int l, cpu_set_t *mask)
{
	struct line *ln = &lines[l];
	int cpu = -1;

	for (int i = 0; i < 200000 && cpu < 0; i++)
		cpu = atomic_load_explicit(&ln->running_cpu, memory_order_relaxed);
	if (cpu < 0 || nr_cpus < 2)
		return false;
	CPU_ZERO(mask);
	CPU_SET(((unsigned int)cpu + 1) % nr_cpus, mask);
	if (irq_set_affinity(ln->irq, mask) != 0) {
		f->set_errors++;
		return true;
	}
	if (irq_raise(ln->irq) == 0)
		f->raised[l]++;
	else
		f->failed++;
	f->targeted++;
	return true;
}

static void *flipper_main(void *arg)
{
	struct flipper *f = arg;
	unsigned long long seed = 0x2545f4914f6cdd1dULL;

	pin_self(NR_RAISERS);
	pthread_barrier_wait(&start_barrier);
	while (!atomic_load_explicit(&raisers_done, memory_order_acquire)) {
		unsigned int l = (unsigned int)(xorshift(&seed) % NR_LINES);
		cpu_set_t mask, back, eff;

		/* Odd lines are the slow ones: easier to catch running. */
		if ((xorshift(&seed) & 1) && targeted_move(f, l | 1, &mask)) {
			f->flips++;
			continue;
		}
		random_mask(&seed, &mask);
		if (irq_set_affinity(lines[l].irq, &mask) != 0) {
			f->set_errors++;
			continue;
		}
		f->flips++;
		/* Only this thread changes affinity: read-backs are stable. */
		if (irq_get_affinity(lines[l].irq, &back) != 0 ||
		    !CPU_EQUAL(&back, &mask))
			f->readback_errors++;
		if (irq_get_effective_affinity(lines[l].irq, &eff) != 0) {
			f->eff_errors++;
		} else {
			cpu_set_t both;

			CPU_AND(&both, &eff, &mask);
			if (CPU_COUNT(&eff) != 1 || !CPU_EQUAL(&both, &eff))
				f->eff_errors++;
		}
		if (xorshift(&seed) & 1)
			sched_yield();
	}
	return NULL;
}

static void run_scenario(unsigned int cpus, int idle)
{
	struct irqcore_config cfg;
	struct raiser raisers[NR_RAISERS];
	struct flipper flip = { 0 };
	pthread_t flip_tid;
	unsigned long long tot_raised = 0, tot_count = 0, tot_coal = 0, tot_calls = 0;

	irqcore_config_init(&cfg);
	cfg.nr_cpus = cpus;
	cfg.idle = idle;
	cfg.flags |= IRQCORE_F_NO_EXPORT;
	cfg.log = th_log;
	ASSERT_EQ(irqcore_init(&cfg), 0);
	nr_cpus = cpus;

	for (unsigned int l = 0; l < NR_LINES; l++) {
		memset(&lines[l], 0, sizeof(lines[l]));
		lines[l].irq = FIRST_LINE + l;
		atomic_store(&lines[l].running_cpu, -1);
		ASSERT_EQ(request_irq(lines[l].irq, flip_handler, 0, "flip",
				      &lines[l]), 0);
	}

	memset(raisers, 0, sizeof(raisers));
	atomic_store(&raisers_done, false);
	ASSERT_EQ(pthread_barrier_init(&start_barrier, NULL, NR_RAISERS + 2), 0);
	deadline = th_now() + th_stress_seconds();
	for (unsigned int i = 0; i < NR_RAISERS; i++) {
		raisers[i].idx = i;
		ASSERT_EQ(pthread_create(&raisers[i].tid, NULL, raiser_main,
					 &raisers[i]), 0);
	}
	ASSERT_EQ(pthread_create(&flip_tid, NULL, flipper_main, &flip), 0);
	pthread_barrier_wait(&start_barrier);
	for (unsigned int i = 0; i < NR_RAISERS; i++)
		ASSERT_EQ(pthread_join(raisers[i].tid, NULL), 0);
	/* The flipper keeps moving lines while the last edges drain. */
	ASSERT_EQ(irqcore_quiesce(10000), 0);
	atomic_store_explicit(&raisers_done, true, memory_order_release);
	ASSERT_EQ(pthread_join(flip_tid, NULL), 0);
	pthread_barrier_destroy(&start_barrier);
	ASSERT_EQ(irqcore_quiesce(10000), 0);

	ASSERT_EQ(flip.set_errors, 0);
	ASSERT_EQ(flip.readback_errors, 0);
	ASSERT_EQ(flip.eff_errors, 0);
	ASSERT_EQ(flip.failed, 0);
	ASSERT_GT(flip.flips, 0);
	ASSERT_EQ(ld(&bad_cpu), 0);
	ASSERT_EQ(ld(&not_hardirq), 0);
	ASSERT_EQ(ld(&wrong_line), 0);

	for (unsigned int l = 0; l < NR_LINES; l++) {
		struct line *ln = &lines[l];
		struct irq_status st;
		unsigned long long mine = 0, calls;
		int max_inflight, inflight;

		for (unsigned int i = 0; i < NR_RAISERS; i++) {
			ASSERT_EQ(raisers[i].failed, 0);
			mine += raisers[i].raised[l];
		}
		mine += flip.raised[l];
		ASSERT_EQ(irq_get_status(ln->irq, &st), 0);
		calls = atomic_load(&ln->calls);
		max_inflight = atomic_load(&ln->max_inflight);
		inflight = atomic_load(&ln->inflight);
		ASSERT_EQ(max_inflight, 1);
		ASSERT_EQ(inflight, 0);
		ASSERT_FALSE(st.in_progress);
		ASSERT_EQ(st.raised, mine);
		ASSERT_EQ(st.raised, st.count + st.coalesced);
		ASSERT_GE(calls, st.count);
		ASSERT_LE(calls, st.count + st.coalesced);
		tot_raised += st.raised;
		tot_count += st.count;
		tot_coal += st.coalesced;
		tot_calls += calls;
	}
	printf("  s_affinity_flip cpus=%u idle=%d: flips=%llu (targeted %llu) "
	       "raised=%llu count=%llu coalesced=%llu calls=%llu\n", cpus, idle,
	       flip.flips, flip.targeted, tot_raised, tot_count, tot_coal, tot_calls);

	for (unsigned int l = 0; l < NR_LINES; l++)
		ASSERT_TRUE(free_irq(lines[l].irq, &lines[l]) != NULL);
	irqcore_shutdown();
}

TEST_T(affinity_flip_4cpus_sleep, STRESS_TIMEOUT)
{
	run_scenario(4, IRQCORE_IDLE_SLEEP);
}

TEST_T(affinity_flip_8cpus_adaptive, STRESS_TIMEOUT)
{
	run_scenario(8, IRQCORE_IDLE_ADAPTIVE);
}
