/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * s_bias — biased ownership of lines (src/core/bias.c) under load: lines
 * that stay on one CPU long enough to be biased to it, then are taken by
 * another CPU, by synchronize_irq(), disable_irq() and the irq threads'
 * process-context paths, over and over.
 *
 * Three external CPUs each loop: a burst of generic_handle_irq() on one
 * line (1 to 4000 events: long bursts earn a bias, the next burst on
 * another CPU revokes it), or a poll (the events that found the holder
 * running were sent to it). Two raisers raise the same lines, routed to
 * CPUs that an affinity flipper moves. A syncer calls synchronize_irq(),
 * and disable_irq()/enable_irq() pairs, on random lines; half the lines
 * are shared by two actions.
 *
 * Invariants:
 *  - no line's handlers ever run on two CPUs at once (a per-line in-flight
 *    count);
 *  - no handler runs between the return of disable_irq() and its
 *    enable_irq() (the syncer marks the line off, the handler checks);
 *  - at quiesce, per line: raised == count + coalesced, raised == the
 *    test's own raises and generic_handle_irq() calls, and each action's
 *    runs >= count and <= raised (a replay runs the chain for an event
 *    folded into it).
 * The debug-yield build widens every window of the protocol; TSan checks
 * that the holder's plain stores give the next owner the handler's effects.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "stress.h"
#include "../harness.h"

#include <stdint.h>
#include <string.h>

#define NR_CPUS		3
#define NR_LINES	16
#define NR_RAISERS	2
#define FIRST_LINE	40u

#define STRESS_TIMEOUT	((int)(th_stress_seconds() * 4) + 120)

struct line {
	unsigned int irq;
	atomic_int inflight;
	atomic_bool off;		/* between disable_irq()'s return and enable_irq() */
	atomic_ullong calls[2];		/* per action */
	atomic_ullong ghi;		/* generic_handle_irq() calls that returned 0 */
};

static struct line lines[NR_LINES];
static double deadline;
static atomic_bool stop_polling, load_done;
static pthread_barrier_t start_barrier;
static atomic_ullong overlaps, ran_disabled, errors, bursts;

static irqreturn_t bias_handler(int irq, void *dev_id)
{
	atomic_ullong *calls = dev_id;
	struct line *ln = &lines[(irq - FIRST_LINE) / 3];

	/* acq_rel: the in-flight count is the check of non-reentrancy (the
	 * two actions of a shared line run one after the other) */
	if (atomic_fetch_add_explicit(&ln->inflight, 1, memory_order_acq_rel) != 0)
		atomic_fetch_add(&overlaps, 1);
	if (atomic_load_explicit(&ln->off, memory_order_acquire))
		atomic_fetch_add(&ran_disabled, 1);
	spin(50);
	atomic_fetch_add_explicit(calls, 1, memory_order_relaxed);
	atomic_fetch_sub_explicit(&ln->inflight, 1, memory_order_acq_rel);
	return IRQ_HANDLED;
}

static void poll_once(void)
{
	int n = irqcore_poll();

	if (n < 0)
		atomic_fetch_add(&errors, 1);
	if (n == 0)
		sched_yield();	/* share the machine's few PUs */
}

static void *cpu_main(void *arg)
{
	unsigned int cpu = (unsigned int)(uintptr_t)arg;
	unsigned long long seed = raiser_seed(cpu + 17);

	if (irqcore_cpu_attach(cpu))
		atomic_fetch_add(&errors, 1);
	pthread_barrier_wait(&start_barrier);
	while (!atomic_load_explicit(&load_done, memory_order_acquire)) {
		unsigned long long x = xorshift(&seed);
		struct line *ln = &lines[x % NR_LINES];
		unsigned int n = 1 + (unsigned int)((x >> 16) % 4000);

		if ((x >> 40) & 1) {
			poll_once();
			continue;
		}
		for (unsigned int i = 0; i < n; i++) {
			if (generic_handle_irq(ln->irq) == 0)
				atomic_fetch_add_explicit(&ln->ghi, 1, memory_order_relaxed);
			else
				atomic_fetch_add(&errors, 1);
			if ((i & 63) == 63)
				poll_once();
		}
		atomic_fetch_add(&bursts, 1);
	}
	while (!atomic_load_explicit(&stop_polling, memory_order_acquire))
		poll_once();
	poll_once();
	if (irqcore_cpu_detach())
		atomic_fetch_add(&errors, 1);
	return NULL;
}

struct raiser {
	pthread_t tid;
	unsigned int idx;
	unsigned long long raised[NR_LINES], failed;
};

static void *raiser_main(void *arg)
{
	struct raiser *r = arg;
	unsigned long long seed = raiser_seed(r->idx + 3);

	pthread_barrier_wait(&start_barrier);
	while (th_now() < deadline) {
		unsigned int l = (unsigned int)(xorshift(&seed) % NR_LINES);

		raise_counted(lines[l].irq, &r->raised[l], &r->failed);
		if ((xorshift(&seed) & 31) == 0)
			sched_yield();
	}
	return NULL;
}

/* synchronize_irq, disable/enable pairs, affinity moves: the revokers
 * that wait, and the routing of raised events to other CPUs. */
static void *syncer_main(void *arg)
{
	unsigned long long seed = 0x2545f4914f6cdd1dULL, *ops = arg;

	pthread_barrier_wait(&start_barrier);
	while (th_now() < deadline) {
		unsigned long long x = xorshift(&seed);
		struct line *ln = &lines[x % NR_LINES];
		cpu_set_t mask;

		switch ((x >> 8) % 3) {
		case 0:
			synchronize_irq(ln->irq);
			break;
		case 1:
			disable_irq(ln->irq);
			/* release: the handler's acquire load sees it only
			 * for events that run after disable_irq returned */
			atomic_store_explicit(&ln->off, true, memory_order_release);
			spin(2000);
			atomic_store_explicit(&ln->off, false, memory_order_release);
			enable_irq(ln->irq);
			break;
		default:
			CPU_ZERO(&mask);
			CPU_SET((int)((x >> 20) % NR_CPUS), &mask);
			if (irq_set_affinity(ln->irq, &mask))
				atomic_fetch_add(&errors, 1);
			break;
		}
		(*ops)++;
		sched_yield();
	}
	return NULL;
}

TEST_T(bias_churn, STRESS_TIMEOUT)
{
	struct irqcore_config cfg;
	struct raiser raisers[NR_RAISERS];
	pthread_t cpus[NR_CPUS], syncer;
	unsigned long long ops = 0;

	irqcore_config_init(&cfg);
	cfg.nr_cpus = NR_CPUS;
	cfg.flags |= IRQCORE_F_NO_EXPORT | IRQCORE_F_EXTERNAL_CPUS;
	cfg.log = th_log;
	ASSERT_EQ(irqcore_init(&cfg), 0);
	for (unsigned int l = 0; l < NR_LINES; l++) {
		struct line *ln = &lines[l];

		memset(ln, 0, sizeof(*ln));
		ln->irq = FIRST_LINE + 3 * l;
		ASSERT_EQ(request_irq(ln->irq, bias_handler, (l & 1) ? IRQF_SHARED : 0,
				      "bias", &ln->calls[0]), 0);
		if (l & 1)
			ASSERT_EQ(request_irq(ln->irq, bias_handler, IRQF_SHARED, "bias2",
					      &ln->calls[1]), 0);
	}
	memset(raisers, 0, sizeof(raisers));
	ASSERT_EQ(pthread_barrier_init(&start_barrier, NULL, NR_CPUS + NR_RAISERS + 2), 0);
	deadline = th_now() + th_stress_seconds();
	for (unsigned int c = 0; c < NR_CPUS; c++)
		ASSERT_EQ(pthread_create(&cpus[c], NULL, cpu_main, (void *)(uintptr_t)c), 0);
	for (unsigned int i = 0; i < NR_RAISERS; i++) {
		raisers[i].idx = i;
		ASSERT_EQ(pthread_create(&raisers[i].tid, NULL, raiser_main, &raisers[i]), 0);
	}
	ASSERT_EQ(pthread_create(&syncer, NULL, syncer_main, &ops), 0);
	pthread_barrier_wait(&start_barrier);

	for (unsigned int i = 0; i < NR_RAISERS; i++)
		ASSERT_EQ(pthread_join(raisers[i].tid, NULL), 0);
	ASSERT_EQ(pthread_join(syncer, NULL), 0);
	atomic_store_explicit(&load_done, true, memory_order_release);
	/* the CPUs poll until quiesce has seen every event handled */
	ASSERT_EQ(irqcore_quiesce(20000), 0);
	atomic_store_explicit(&stop_polling, true, memory_order_release);
	for (unsigned int c = 0; c < NR_CPUS; c++)
		ASSERT_EQ(pthread_join(cpus[c], NULL), 0);
	pthread_barrier_destroy(&start_barrier);

	ASSERT_EQ(ld(&errors), 0);
	ASSERT_EQ(ld(&overlaps), 0);
	ASSERT_EQ(ld(&ran_disabled), 0);
	ASSERT_GT(ld(&bursts), 0);
	ASSERT_GT(ops, 0);
	for (unsigned int l = 0; l < NR_LINES; l++) {
		struct line *ln = &lines[l];
		unsigned long long mine = ld(&ln->ghi);
		struct irq_status st;

		for (unsigned int i = 0; i < NR_RAISERS; i++)
			mine += raisers[i].raised[l];
		ASSERT_EQ(irq_get_status(ln->irq, &st), 0);
		ASSERT_EQ(st.raised, mine);
		ASSERT_EQ(st.raised, st.count + st.coalesced);
		ASSERT_FALSE(st.pending);
		for (unsigned int a = 0; a < ((l & 1) ? 2u : 1u); a++) {
			ASSERT_GE(ld(&ln->calls[a]), st.count);
			ASSERT_LE(ld(&ln->calls[a]), st.raised);
		}
		free_irq(ln->irq, &ln->calls[0]);
		if (l & 1)
			free_irq(ln->irq, &ln->calls[1]);
	}
	irqcore_shutdown();
}
