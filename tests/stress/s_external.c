/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * s_external — external CPUs (IRQCORE_F_EXTERNAL_CPUS) driven by control
 * loops.
 *
 * nr_cpus 3, no dispatcher threads: three control-loop threads each attach
 * as CPU i and loop irqcore_poll(), sometimes doing a chunk of "work" inside
 * local_irq_save()/local_irq_restore() (no handler may run on that CPU in
 * the section; the events wait and come out at the latest on the restore).
 * Three raiser threads raise lines spread over the CPUs with
 * irq_set_affinity(). At the end the raisers stop, the control loops keep
 * polling until irqcore_quiesce() returns, then detach.
 *
 * Invariants:
 *  - every handler runs on the control-loop thread of the CPU its line is
 *    affine to (smp_processor_id() == that CPU == the thread's CPU);
 *  - no handler runs inside a local_irq_save() section of its CPU;
 *  - irqcore_poll() never fails on an attached thread;
 *  - at the return of quiesce (the control loops still polling), per line:
 *    raised == count + coalesced, raised == the test's own successful
 *    raises, handler runs == count; the loops' later polls add nothing.
 *
 * The second test moves the lines among the three CPUs while they are
 * raised and checks non-reentrancy (a line never runs on two control loops
 * at once) and the same accounting.
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

#define NR_CPUS		3
#define NR_LINES	24
#define NR_RAISERS	3
#define FIRST_LINE	100u

#define STRESS_TIMEOUT	((int)(th_stress_seconds() * 4) + 120)

struct line {
	unsigned int irq;
	atomic_int cpu;			/* affine CPU (moved by the flipper) */
	atomic_int inflight, max_inflight;
	atomic_ullong calls;
	atomic_ullong wrong_cpu;
	atomic_int running_cpu;		/* CPU of the handler in flight, or -1 */
};

static struct line lines[NR_LINES];
static double deadline;
static atomic_bool stop_polling, raisers_done;
static bool moving;			/* the flipper test: CPU not fixed */
static pthread_barrier_t attached_barrier, start_barrier;
static atomic_ullong bad_context, in_irqs_off, poll_errors, attach_errors;
static atomic_ullong polled_events, irqs_off_sections;

static _Thread_local int my_cpu = -1;
static _Thread_local bool my_irqs_off;

struct raiser {
	pthread_t tid;
	unsigned int idx;
	unsigned long long raised[NR_LINES];
	unsigned long long failed;
};

static irqreturn_t ext_handler(int irq, void *dev_id)
{
	struct line *ln = dev_id;
	int cpu = smp_processor_id();
	int now;

	now = atomic_fetch_add_explicit(&ln->inflight, 1, memory_order_acq_rel) + 1;
	note_max(&ln->max_inflight, now);
	if ((unsigned int)irq != ln->irq || !in_hardirq() || cpu != my_cpu)
		atomic_fetch_add_explicit(&bad_context, 1, memory_order_relaxed);
	if (my_irqs_off)
		atomic_fetch_add_explicit(&in_irqs_off, 1, memory_order_relaxed);
	if (!moving && cpu != atomic_load_explicit(&ln->cpu, memory_order_relaxed))
		atomic_fetch_add_explicit(&ln->wrong_cpu, 1, memory_order_relaxed);
	atomic_store_explicit(&ln->running_cpu, cpu, memory_order_relaxed);
	if (moving && (ln->irq & 1))
		spin(20000);
	atomic_store_explicit(&ln->running_cpu, -1, memory_order_relaxed);
	atomic_fetch_add_explicit(&ln->calls, 1, memory_order_relaxed);
	atomic_fetch_sub_explicit(&ln->inflight, 1, memory_order_acq_rel);
	return IRQ_HANDLED;
}

static void poll_once(void)
{
	int n = irqcore_poll();

	if (n < 0)
		atomic_fetch_add_explicit(&poll_errors, 1, memory_order_relaxed);
	else
		atomic_fetch_add_explicit(&polled_events, (unsigned)n,
					  memory_order_relaxed);
	if (n == 0)
		sched_yield();	/* share the machine's few PUs */
}

static void *control_main(void *arg)
{
	unsigned int cpu = (unsigned int)(uintptr_t)arg;
	unsigned long long seed = 0x9e3779b97f4a7c15ULL * (cpu + 11);
	int ret;

	pin_self(cpu);
	ret = irqcore_cpu_attach(cpu);
	if (ret)
		atomic_fetch_add(&attach_errors, 1);
	else
		my_cpu = (int)cpu;
	pthread_barrier_wait(&attached_barrier);
	pthread_barrier_wait(&start_barrier);
	if (ret)
		return NULL;
	ASSERT_EQ(smp_processor_id(), (int)cpu);

	while (!atomic_load_explicit(&stop_polling, memory_order_acquire)) {
		unsigned long long x = xorshift(&seed);

		if ((x & 15) == 0) {
			unsigned long flags;

			/* A chunk of control work that must not be interrupted. */
			local_irq_save(flags);
			my_irqs_off = true;
			if (!irqs_disabled())
				atomic_fetch_add(&bad_context, 1);
			spin(1000 + (unsigned int)((x >> 8) % 10000));
			/* Polling while disabled must deliver nothing. */
			if (irqcore_poll() < 0)
				atomic_fetch_add(&poll_errors, 1);
			spin(1000);
			my_irqs_off = false;
			local_irq_restore(flags);
			if (irqs_disabled())
				atomic_fetch_add(&bad_context, 1);
			atomic_fetch_add_explicit(&irqs_off_sections, 1,
						  memory_order_relaxed);
		}
		poll_once();
	}
	/* Whatever is left (nothing, after quiesce) is ours to drain. */
	poll_once();
	if (irqcore_cpu_detach() != 0)
		atomic_fetch_add(&attach_errors, 1);
	return NULL;
}

static void *raiser_main(void *arg)
{
	struct raiser *r = arg;
	unsigned long long seed = 0xc2b2ae3d27d4eb4fULL * (r->idx + 1);

	pin_self(r->idx + NR_CPUS);
	pthread_barrier_wait(&start_barrier);
	while (th_now() < deadline) {
		for (int k = 0; k < 64; k++) {
			unsigned int l = (unsigned int)(xorshift(&seed) % NR_LINES);

			raise_counted(lines[l].irq, &r->raised[l], &r->failed);
		}
	}
	return NULL;
}

struct flipper {
	unsigned long long flips, targeted, raised[NR_LINES], failed;
};

/*
 * Half of the moves are targeted: wait briefly until a slow (odd) line runs
 * on some CPU, move it to the next CPU and raise it at once, so that the new
 * CPU sees the edge while the old one is still in the handler.
 */
static void *flipper_main(void *arg)
{
	struct flipper *f = arg;
	unsigned long long seed = 0x2545f4914f6cdd1dULL;

	pthread_barrier_wait(&start_barrier);
	while (!atomic_load_explicit(&raisers_done, memory_order_acquire)) {
		unsigned int l = (unsigned int)(xorshift(&seed) % NR_LINES);
		int cpu = (int)(xorshift(&seed) % NR_CPUS), running = -1;
		bool targeted = false;
		cpu_set_t mask;

		if (xorshift(&seed) & 1) {
			while ((lines[l].irq & 1) == 0)
				l = (l + 1) % NR_LINES;
			for (int i = 0; i < 200000 && running < 0; i++)
				running = atomic_load_explicit(&lines[l].running_cpu,
							       memory_order_relaxed);
			if (running >= 0) {
				cpu = (running + 1) % NR_CPUS;
				targeted = true;
			}
		}
		CPU_ZERO(&mask);
		CPU_SET(cpu, &mask);
		ASSERT_EQ(irq_set_affinity(lines[l].irq, &mask), 0);
		atomic_store_explicit(&lines[l].cpu, cpu, memory_order_relaxed);
		f->flips++;
		if (targeted) {
			raise_counted(lines[l].irq, &f->raised[l], &f->failed);
			f->targeted++;
		} else {
			sched_yield();
		}
	}
	return NULL;
}

static void run_scenario(bool move)
{
	struct irqcore_config cfg;
	struct raiser raisers[NR_RAISERS];
	pthread_t controls[NR_CPUS], flip_tid;
	struct flipper flip = { 0 };
	struct irq_status at_quiesce[NR_LINES];
	unsigned long long calls_at_quiesce[NR_LINES];
	unsigned long long tot_raised = 0, tot_count = 0, tot_coal = 0;
	unsigned int nthreads = NR_CPUS + NR_RAISERS + 1 + (move ? 1 : 0);

	irqcore_config_init(&cfg);
	cfg.nr_cpus = NR_CPUS;
	cfg.flags |= IRQCORE_F_NO_EXPORT | IRQCORE_F_EXTERNAL_CPUS;
	cfg.log = th_log;
	ASSERT_EQ(irqcore_init(&cfg), 0);
	moving = move;
	atomic_store(&stop_polling, false);
	atomic_store(&raisers_done, false);

	/* The control loops attach first: their CPUs are then online. */
	ASSERT_EQ(pthread_barrier_init(&attached_barrier, NULL, NR_CPUS + 1), 0);
	ASSERT_EQ(pthread_barrier_init(&start_barrier, NULL, nthreads), 0);
	for (unsigned int c = 0; c < NR_CPUS; c++)
		ASSERT_EQ(pthread_create(&controls[c], NULL, control_main,
					 (void *)(uintptr_t)c), 0);
	pthread_barrier_wait(&attached_barrier);
	ASSERT_EQ(ld(&attach_errors), 0);

	for (unsigned int l = 0; l < NR_LINES; l++) {
		struct line *ln = &lines[l];
		cpu_set_t mask;

		memset(ln, 0, sizeof(*ln));
		ln->irq = FIRST_LINE + 7 * l;
		atomic_store(&ln->cpu, (int)(l % NR_CPUS));
		atomic_store(&ln->running_cpu, -1);
		ASSERT_EQ(request_irq(ln->irq, ext_handler, 0, "ext", ln), 0);
		CPU_ZERO(&mask);
		CPU_SET(l % NR_CPUS, &mask);
		ASSERT_EQ(irq_set_affinity(ln->irq, &mask), 0);
	}

	memset(raisers, 0, sizeof(raisers));
	deadline = th_now() + th_stress_seconds();
	for (unsigned int i = 0; i < NR_RAISERS; i++) {
		raisers[i].idx = i;
		ASSERT_EQ(pthread_create(&raisers[i].tid, NULL, raiser_main,
					 &raisers[i]), 0);
	}
	if (move)
		ASSERT_EQ(pthread_create(&flip_tid, NULL, flipper_main, &flip), 0);
	pthread_barrier_wait(&start_barrier);

	for (unsigned int i = 0; i < NR_RAISERS; i++)
		ASSERT_EQ(pthread_join(raisers[i].tid, NULL), 0);
	atomic_store_explicit(&raisers_done, true, memory_order_release);
	if (move)
		ASSERT_EQ(pthread_join(flip_tid, NULL), 0);
	/*
	 * The control loops are still polling (and entering irqs-off
	 * sections): they drain what is left. The state at the return of
	 * quiesce is what is checked; the loops' last polls after it must
	 * find nothing more.
	 */
	ASSERT_EQ(irqcore_quiesce(10000), 0);
	for (unsigned int l = 0; l < NR_LINES; l++) {
		ASSERT_EQ(irq_get_status(lines[l].irq, &at_quiesce[l]), 0);
		calls_at_quiesce[l] = ld(&lines[l].calls);
	}
	atomic_store_explicit(&stop_polling, true, memory_order_release);
	for (unsigned int c = 0; c < NR_CPUS; c++)
		ASSERT_EQ(pthread_join(controls[c], NULL), 0);
	pthread_barrier_destroy(&attached_barrier);
	pthread_barrier_destroy(&start_barrier);

	{
		unsigned long long attach_err = atomic_load(&attach_errors);
		unsigned long long poll_err = atomic_load(&poll_errors);
		unsigned long long bad_ctx = atomic_load(&bad_context);
		unsigned long long ran_irqs_off = atomic_load(&in_irqs_off);
		unsigned long long sections = atomic_load(&irqs_off_sections);

		ASSERT_EQ(attach_err, 0);
		ASSERT_EQ(poll_err, 0);
		ASSERT_EQ(bad_ctx, 0);
		ASSERT_EQ(ran_irqs_off, 0);
		ASSERT_GT(sections, 0);
	}

	for (unsigned int l = 0; l < NR_LINES; l++) {
		struct line *ln = &lines[l];
		struct irq_status st, now;
		unsigned long long mine = 0, calls = calls_at_quiesce[l];

		unsigned long long wrong_cpu = atomic_load(&ln->wrong_cpu);
		int max_inflight = atomic_load(&ln->max_inflight);

		for (unsigned int i = 0; i < NR_RAISERS; i++) {
			ASSERT_EQ(raisers[i].failed, 0);
			mine += raisers[i].raised[l];
		}
		mine += flip.raised[l];
		st = at_quiesce[l];
		ASSERT_EQ(irq_get_status(ln->irq, &now), 0);
		ASSERT_EQ(now.count, st.count);
		ASSERT_EQ(now.coalesced, st.coalesced);
		ASSERT_EQ(ld(&ln->calls), calls);
		ASSERT_EQ(wrong_cpu, 0);
		ASSERT_EQ(max_inflight, mine ? 1 : 0);
		ASSERT_EQ(st.raised, mine);
		ASSERT_EQ(st.raised, st.count + st.coalesced);
		if (move) {
			ASSERT_GE(calls, st.count);
			ASSERT_LE(calls, st.count + st.coalesced);
		} else {
			ASSERT_EQ(calls, st.count);
			ASSERT_EQ(st.effective_cpu, (int)(l % NR_CPUS));
			ASSERT_EQ(kstat_irqs_cpu(ln->irq, (int)(l % NR_CPUS)),
				  (unsigned int)st.count);
		}
		tot_raised += st.raised;
		tot_count += st.count;
		tot_coal += st.coalesced;
	}
	ASSERT_EQ(flip.failed, 0);
	printf("  s_external%s: raised=%llu count=%llu coalesced=%llu polled=%llu "
	       "irqs-off sections=%llu flips=%llu (targeted %llu)\n",
	       move ? " (moving)" : "",
	       tot_raised, tot_count, tot_coal,
	       (unsigned long long)atomic_load(&polled_events),
	       (unsigned long long)atomic_load(&irqs_off_sections), flip.flips,
	       flip.targeted);

	for (unsigned int l = 0; l < NR_LINES; l++)
		ASSERT_TRUE(free_irq(lines[l].irq, &lines[l]) != NULL);
	irqcore_shutdown();
}

TEST_T(external_cpus_fixed_affinity, STRESS_TIMEOUT)
{
	run_scenario(false);
}

TEST_T(external_cpus_moving_affinity, STRESS_TIMEOUT)
{
	run_scenario(true);
}
