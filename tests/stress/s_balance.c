/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * s_balance — the balancer moving lines under raisers (A8, A1, A2).
 *
 * Four dispatchers, the balancer thread every 1 ms with a low threshold and
 * a one-pass cooldown (as restless as it gets), plus a thread running
 * irqcore_balance_now() now and then (passes serialize). 64 lines the
 * balancer may move, 4 IRQF_NOBALANCING lines and 4 lines whose mask the
 * test set (one CPU each, spread). Raisers make a moving hot spot: every
 * 20 ms another CPU is "hot", and lines found effectively on it are raised
 * in bursts, the others seldom, so the balancer keeps finding work and
 * moves lines while they are raised. Some handlers are slow (raises pile
 * up: coalescing, PENDING replays across a move).
 *
 * Invariants:
 *  - a line's handler never runs twice at once (a move never runs a line
 *    on two CPUs);
 *  - NOBALANCING and caller-set lines only ever run on their first CPU and
 *    are still there at the end;
 *  - after irqcore_quiesce() == 0, per line: raised == count + coalesced,
 *    raised == the test's own successful raises, count <= handler runs <=
 *    count + coalesced (a PENDING replay folded into a flow runs the
 *    handler once more).
 * The third scenario adds a thread taking CPUs 1-3 offline and back (A6)
 * while the balancer moves lines: right after irqcore_cpu_offline(c)
 * returns no line serves c (the balancer's moves and hotplug's take the
 * same lock), and the invariants above hold but for "pinned lines stay":
 * an offline CPU takes its pinned lines elsewhere (affinity broken).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "irqcore.h"
#include "../harness.h"
#include "stress.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

#define NR_CPUS		4
#define NR_RAISERS	3
#define NR_FREE		64	/* lines the balancer may move */
#define NR_NOBAL	4
#define NR_SET		4
#define NR_LINES	(NR_FREE + NR_NOBAL + NR_SET)

#define STRESS_TIMEOUT	((int)(th_stress_seconds() * 4) + 120)

struct line {
	unsigned int irq;
	bool pinned;		/* NOBALANCING or mask set: must not move */
	bool slow;
	int cpu;		/* pinned: where it must run */
	atomic_int inflight;
	atomic_ullong calls;
	atomic_ullong overlap;
	atomic_ullong wrong_cpu;
};

static struct line lines[NR_LINES];
static double deadline;
static pthread_barrier_t start_barrier;

struct raiser {
	pthread_t tid;
	unsigned int idx;
	unsigned long long raised[NR_LINES];
	unsigned long long failed;
};

static struct raiser raisers[NR_RAISERS];
static bool hotplug;			/* the third scenario */
static atomic_ullong on_offline;	/* lines found on a CPU just offlined */

static irqreturn_t bal_handler(int irq, void *dev_id)
{
	struct line *ln = dev_id;

	(void)irq;
	if (atomic_fetch_add_explicit(&ln->inflight, 1, memory_order_acq_rel) != 0)
		atomic_fetch_add_explicit(&ln->overlap, 1, memory_order_relaxed);
	if (ln->pinned && !hotplug && smp_processor_id() != ln->cpu)
		atomic_fetch_add_explicit(&ln->wrong_cpu, 1, memory_order_relaxed);
	if (ln->slow)
		spin(3000);
	atomic_fetch_add_explicit(&ln->calls, 1, memory_order_relaxed);
	atomic_fetch_sub_explicit(&ln->inflight, 1, memory_order_acq_rel);
	return IRQ_HANDLED;
}

static int eff_cpu(unsigned int irq)
{
	cpu_set_t m;

	if (irq_get_effective_affinity(irq, &m))
		return -1;
	for (int c = 0; c < NR_CPUS; c++)
		if (CPU_ISSET(c, &m))
			return c;
	return -1;
}

static void raise_n(struct raiser *r, unsigned int l, unsigned int n)
{
	for (unsigned int b = 0; b < n; b++) {
		raise_counted(lines[l].irq, &r->raised[l], &r->failed);
	}
}

static void *raiser_main(void *arg)
{
	struct raiser *r = arg;
	unsigned long long seed = raiser_seed(r->idx);

	pin_self(r->idx);
	pthread_barrier_wait(&start_barrier);
	while (th_now() < deadline) {
		int hot = (int)(th_now() * 50) % NR_CPUS;	/* moves every 20 ms */

		for (int k = 0; k < 64; k++) {
			unsigned long long x = xorshift(&seed);
			unsigned int l = (unsigned int)(x % NR_LINES);

			if (eff_cpu(lines[l].irq) == hot)
				raise_n(r, l, 1 + ((x >> 40) & 3));
			else if (((x >> 44) & 7) == 0)
				raise_n(r, l, 1);
		}
	}
	return NULL;
}

/* Passes on demand, racing the thread's. */
static void *caller_main(void *arg)
{
	unsigned long long *moves = arg;

	pthread_barrier_wait(&start_barrier);
	while (th_now() < deadline) {
		int n = irqcore_balance_now();

		ASSERT_GE(n, 0);
		*moves += (unsigned long long)n;
		usleep(3000);
	}
	return NULL;
}

/* CPUs 1-3 offline and back, one at a time; after each offline, no line
 * may be served by that CPU. */
static void *hotplug_main(void *arg)
{
	unsigned long long *rounds = arg;

	pthread_barrier_wait(&start_barrier);
	for (unsigned int c = 1; th_now() < deadline; c = c % (NR_CPUS - 1) + 1) {
		ASSERT_EQ(irqcore_cpu_offline(c), 0);
		for (unsigned int l = 0; l < NR_LINES; l++)
			if (eff_cpu(lines[l].irq) == (int)c)
				atomic_fetch_add(&on_offline, 1);
		usleep(2000);
		ASSERT_EQ(irqcore_cpu_online(c), 0);
		usleep(1000);
		(*rounds)++;
	}
	return NULL;
}

static void setup(unsigned int flags)
{
	struct irqcore_config cfg;

	irqcore_config_init(&cfg);
	cfg.nr_cpus = NR_CPUS;
	cfg.flags = flags;
	cfg.log = th_log;
	cfg.balance_interval_ms = 1;
	cfg.balance_threshold_pct = 110;
	cfg.balance_cooldown = 1;
	ASSERT_EQ(irqcore_init(&cfg), 0);

	for (unsigned int i = 0; i < NR_LINES; i++) {
		struct line *ln = &lines[i];
		unsigned long fl = 0;

		memset(ln, 0, sizeof(*ln));
		ln->irq = 32 + i;
		ln->slow = i % 8 == 3;
		if (i >= NR_FREE) {
			ln->pinned = true;
			if (i < NR_FREE + NR_NOBAL)
				fl = IRQF_NOBALANCING;
		}
		ASSERT_EQ(request_irq(ln->irq, bal_handler, fl, "bal", ln), 0);
		if (i >= NR_FREE + NR_NOBAL) {
			cpu_set_t m;

			CPU_ZERO(&m);
			CPU_SET(i % NR_CPUS, &m);
			ASSERT_EQ(irq_set_affinity(ln->irq, &m), 0);
		}
		ln->cpu = eff_cpu(ln->irq);
		ASSERT_GE(ln->cpu, 0);
	}
}

static void run_scenario(unsigned int flags)
{
	unsigned long long sum_raised = 0, sum_coal = 0, caller_moves = 0, rounds = 0;
	struct irqcore_balance_stats st;
	pthread_t caller, hp;

	setup(flags);
	memset(raisers, 0, sizeof(raisers));
	atomic_store(&on_offline, 0);
	ASSERT_EQ(pthread_barrier_init(&start_barrier, NULL, NR_RAISERS + 2 + hotplug), 0);
	deadline = th_now() + th_stress_seconds();
	for (unsigned int i = 0; i < NR_RAISERS; i++) {
		raisers[i].idx = i;
		ASSERT_EQ(pthread_create(&raisers[i].tid, NULL, raiser_main, &raisers[i]), 0);
	}
	ASSERT_EQ(pthread_create(&caller, NULL, caller_main, &caller_moves), 0);
	if (hotplug)
		ASSERT_EQ(pthread_create(&hp, NULL, hotplug_main, &rounds), 0);
	pthread_barrier_wait(&start_barrier);
	for (unsigned int i = 0; i < NR_RAISERS; i++)
		ASSERT_EQ(pthread_join(raisers[i].tid, NULL), 0);
	ASSERT_EQ(pthread_join(caller, NULL), 0);
	if (hotplug) {
		ASSERT_EQ(pthread_join(hp, NULL), 0);
		ASSERT_GT(rounds, 0);
		ASSERT_EQ(ld(&on_offline), 0);
	}
	pthread_barrier_destroy(&start_barrier);

	ASSERT_EQ(irqcore_quiesce(10000), 0);
	for (unsigned int l = 0; l < NR_LINES; l++) {
		struct line *ln = &lines[l];
		unsigned long long mine = 0;
		struct irq_status s;

		for (unsigned int i = 0; i < NR_RAISERS; i++) {
			ASSERT_EQ(raisers[i].failed, 0);
			mine += raisers[i].raised[l];
		}
		ASSERT_EQ(irq_get_status(ln->irq, &s), 0);
		ASSERT_EQ(ld(&ln->overlap), 0);
		ASSERT_EQ(ld(&ln->wrong_cpu), 0);
		if (ln->pinned && !hotplug)
			ASSERT_EQ(eff_cpu(ln->irq), ln->cpu);
		ASSERT_FALSE(s.pending);
		ASSERT_EQ(s.raised, mine);
		ASSERT_EQ(s.raised, s.count + s.coalesced);
		ASSERT_GE(ld(&ln->calls), s.count);
		ASSERT_LE(ld(&ln->calls), s.count + s.coalesced);
		sum_raised += s.raised;
		sum_coal += s.coalesced;
	}
	/* a pass in flight ends before this one runs; every pass after it
	 * sees no new event and moves nothing: the figures hold still */
	ASSERT_GE(irqcore_balance_now(), 0);
	ASSERT_EQ(irqcore_balance_get_stats(&st), 0);
	ASSERT_GE(st.moves, caller_moves);
	ASSERT_EQ((unsigned long long)th_log_count("balance: irq "), st.moves);
	printf("  s_balance flags=%#x: raised=%llu coalesced=%llu passes=%llu moves=%llu "
	       "(%llu on demand), hotplug rounds=%llu\n", flags, sum_raised, sum_coal,
	       st.passes, st.moves, caller_moves, rounds);
	for (unsigned int l = 0; l < NR_LINES; l++)
		ASSERT_TRUE(free_irq(lines[l].irq, &lines[l]) != NULL);
	irqcore_shutdown();
}

TEST_T(balance_counts_only, STRESS_TIMEOUT)
{
	run_scenario(IRQCORE_F_NO_EXPORT);	/* no handler time: events weigh 1 */
}

TEST_T(balance_timed, STRESS_TIMEOUT)
{
	run_scenario(IRQCORE_F_LATENCY);	/* every run timed: time weighs */
}

TEST_T(balance_with_hotplug, STRESS_TIMEOUT)
{
	hotplug = true;
	run_scenario(IRQCORE_F_NO_EXPORT);
}
