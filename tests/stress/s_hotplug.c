/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * s_hotplug — raises in flight while CPUs go offline and online (A6).
 *
 * Several lines (some with two-CPU masks, some with every CPU, a few
 * threaded), four raiser threads, and one thread that takes random CPUs
 * offline and brings them back (never the last online one), now and then
 * setting a line's mask too. A raiser that read a line's old CPU sets its
 * bit on a CPU going offline: that CPU must still drain it.
 *
 * Invariants:
 *  - per-line in-flight count seen by the hard handler never exceeds 1;
 *    smp_processor_id() in it is a valid CPU;
 *  - after each offline/online (the hotplug thread alone changes CPU states
 *    and masks): every line's effective CPU is online, and in its mask
 *    whenever the mask has an online CPU;
 *  - after a final irqcore_quiesce(): raised == the raisers' successful
 *    irq_raise() calls == count + coalesced per line; the hard handler ran
 *    at least once per counted event and at most once per accepted raise;
 *    threaded lines ran their thread_fn at least once if they ran at all.
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

#define NR_LINES	16
#define NR_RAISERS	4
#define FIRST_LINE	64u
#define MAX_CPUS	16

#define STRESS_TIMEOUT	((int)(th_stress_seconds() * 4) + 120)

struct line {
	unsigned int irq;
	bool threaded;
	atomic_int inflight;
	atomic_int max_inflight;
	atomic_ullong calls, thread_calls;
};

static struct line lines[NR_LINES];
static unsigned int nr_cpus;
static double deadline;
static atomic_bool raisers_done;
static pthread_barrier_t start_barrier;
static atomic_ullong bad_cpu, ran_offline;
static atomic_uint offline_bits;	/* the hotplug thread's view, for the figure */

struct raiser {
	pthread_t tid;
	unsigned int idx;
	unsigned long long raised[NR_LINES];
	unsigned long long failed;
};

struct plugger {
	unsigned long long offlines, onlines, busy, errors, placement_errors, masks;
};

static irqreturn_t hp_handler(int irq, void *dev_id)
{
	struct line *ln = dev_id;
	int cpu = smp_processor_id();
	int now;

	now = atomic_fetch_add_explicit(&ln->inflight, 1, memory_order_acq_rel) + 1;
	note_max(&ln->max_inflight, now);
	if (cpu < 0 || cpu >= (int)nr_cpus)
		atomic_fetch_add_explicit(&bad_cpu, 1, memory_order_relaxed);
	else if (atomic_load_explicit(&offline_bits, memory_order_relaxed) & (1u << cpu))
		atomic_fetch_add_explicit(&ran_offline, 1, memory_order_relaxed);
	if (ln->irq & 1)
		spin(5000);		/* a window for a second CPU to collide */
	atomic_fetch_add_explicit(&ln->calls, 1, memory_order_relaxed);
	atomic_fetch_sub_explicit(&ln->inflight, 1, memory_order_acq_rel);
	return ln->threaded ? IRQ_WAKE_THREAD : IRQ_HANDLED;
}

static irqreturn_t hp_thread(int irq, void *dev_id)
{
	struct line *ln = dev_id;

	atomic_fetch_add_explicit(&ln->thread_calls, 1, memory_order_relaxed);
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
		}
	}
	return NULL;
}

/* Every line's effective CPU online, in its mask when the mask has an
 * online CPU. Only the hotplug thread changes states and masks. */
static void check_placement(struct plugger *p, unsigned int off)
{
	for (unsigned int l = 0; l < NR_LINES; l++) {
		struct irq_status st;
		cpu_set_t m;
		bool mask_online = false;

		if (irq_get_status(lines[l].irq, &st) || irq_get_affinity(lines[l].irq, &m)) {
			p->errors++;
			continue;
		}
		for (unsigned int c = 0; c < nr_cpus; c++)
			mask_online |= CPU_ISSET(c, &m) && !(off & (1u << c));
		if (st.effective_cpu < 0 || st.effective_cpu >= (int)nr_cpus ||
		    (off & (1u << st.effective_cpu)) ||
		    (mask_online && !CPU_ISSET(st.effective_cpu, &m)))
			p->placement_errors++;
	}
}

static void *plugger_main(void *arg)
{
	struct plugger *p = arg;
	unsigned long long seed = 0x2545f4914f6cdd1dULL;
	unsigned int off = 0;

	pin_self(NR_RAISERS);
	pthread_barrier_wait(&start_barrier);
	while (!atomic_load_explicit(&raisers_done, memory_order_acquire)) {
		unsigned int c = (unsigned int)(xorshift(&seed) % nr_cpus);
		int ret;

		if (off & (1u << c)) {
			ret = irqcore_cpu_online(c);
			if (ret == 0) {
				off &= ~(1u << c);
				p->onlines++;
			}
		} else {
			ret = irqcore_cpu_offline(c);
			if (ret == 0) {
				off |= 1u << c;
				p->offlines++;
			} else if (ret == -EBUSY) {
				p->busy++;
				ret = 0;
			}
		}
		if (ret)
			p->errors++;
		atomic_store_explicit(&offline_bits, off, memory_order_relaxed);
		if ((xorshift(&seed) & 7) == 0) {	/* a new mask now and then */
			unsigned int l = (unsigned int)(xorshift(&seed) % NR_LINES);
			cpu_set_t m;

			CPU_ZERO(&m);
			CPU_SET(xorshift(&seed) % nr_cpus, &m);
			CPU_SET(xorshift(&seed) % nr_cpus, &m);
			ret = irq_set_affinity(lines[l].irq, &m);
			/* -EINVAL: every CPU of the mask offline */
			if (ret == 0)
				p->masks++;
			else if (ret != -EINVAL)
				p->errors++;
		}
		check_placement(p, off);
		if (xorshift(&seed) & 1)
			sched_yield();
	}
	for (unsigned int c = 0; c < nr_cpus; c++)
		if (irqcore_cpu_online(c))
			p->errors++;
	atomic_store_explicit(&offline_bits, 0, memory_order_relaxed);
	check_placement(p, 0);
	return NULL;
}

static void run_scenario(unsigned int cpus, int idle)
{
	struct irqcore_config cfg;
	struct raiser raisers[NR_RAISERS];
	struct plugger plug = { 0 };
	pthread_t plug_tid;
	unsigned long long tot_raised = 0, tot_count = 0, tot_coal = 0;

	irqcore_config_init(&cfg);
	cfg.nr_cpus = cpus;
	cfg.idle = idle;
	cfg.flags |= IRQCORE_F_NO_EXPORT;
	cfg.log = th_log;
	ASSERT_EQ(irqcore_init(&cfg), 0);
	nr_cpus = cpus;
	atomic_store(&bad_cpu, 0);
	atomic_store(&ran_offline, 0);
	atomic_store(&offline_bits, 0);

	for (unsigned int l = 0; l < NR_LINES; l++) {
		struct line *ln = &lines[l];

		memset(ln, 0, sizeof(*ln));
		ln->irq = FIRST_LINE + l;
		ln->threaded = l % 5 == 0;
		if (l % 2 == 0) {	/* two CPUs, else every CPU */
			cpu_set_t m;

			CPU_ZERO(&m);
			CPU_SET(l % cpus, &m);
			CPU_SET((l + 1) % cpus, &m);
			ASSERT_EQ(irq_set_affinity(ln->irq, &m), 0);
		}
		ASSERT_EQ(request_threaded_irq(ln->irq, hp_handler, ln->threaded ? hp_thread : NULL,
					       0, "hotplug", ln), 0);
	}

	memset(raisers, 0, sizeof(raisers));
	atomic_store(&raisers_done, false);
	ASSERT_EQ(pthread_barrier_init(&start_barrier, NULL, NR_RAISERS + 2), 0);
	deadline = th_now() + th_stress_seconds();
	for (unsigned int i = 0; i < NR_RAISERS; i++) {
		raisers[i].idx = i;
		ASSERT_EQ(pthread_create(&raisers[i].tid, NULL, raiser_main, &raisers[i]), 0);
	}
	ASSERT_EQ(pthread_create(&plug_tid, NULL, plugger_main, &plug), 0);
	pthread_barrier_wait(&start_barrier);
	for (unsigned int i = 0; i < NR_RAISERS; i++)
		ASSERT_EQ(pthread_join(raisers[i].tid, NULL), 0);
	/* CPUs keep going offline and online while the last edges drain */
	ASSERT_EQ(irqcore_quiesce(10000), 0);
	atomic_store_explicit(&raisers_done, true, memory_order_release);
	ASSERT_EQ(pthread_join(plug_tid, NULL), 0);
	pthread_barrier_destroy(&start_barrier);
	ASSERT_EQ(irqcore_quiesce(10000), 0);

	ASSERT_EQ(plug.errors, 0);
	ASSERT_EQ(plug.placement_errors, 0);
	ASSERT_GT(plug.offlines, 0);
	ASSERT_EQ(ld(&bad_cpu), 0);

	for (unsigned int l = 0; l < NR_LINES; l++) {
		struct line *ln = &lines[l];
		struct irq_status st;
		unsigned long long mine = 0, calls;

		for (unsigned int i = 0; i < NR_RAISERS; i++) {
			ASSERT_EQ(raisers[i].failed, 0);
			mine += raisers[i].raised[l];
		}
		ASSERT_EQ(irq_get_status(ln->irq, &st), 0);
		calls = atomic_load(&ln->calls);
		ASSERT_EQ(atomic_load(&ln->max_inflight), 1);
		ASSERT_EQ(atomic_load(&ln->inflight), 0);
		ASSERT_FALSE(st.in_progress);
		ASSERT_EQ(st.raised, mine);
		ASSERT_EQ(st.raised, st.count + st.coalesced);
		ASSERT_GE(calls, st.count);
		ASSERT_LE(calls, st.count + st.coalesced);
		if (ln->threaded && calls > 0)
			ASSERT_GT(ld(&ln->thread_calls), 0);
		tot_raised += st.raised;
		tot_count += st.count;
		tot_coal += st.coalesced;
	}
	printf("  s_hotplug cpus=%u idle=%d: offline=%llu online=%llu busy=%llu masks=%llu "
	       "raised=%llu count=%llu coalesced=%llu ran-on-offline=%llu\n", cpus, idle,
	       plug.offlines, plug.onlines, plug.busy, plug.masks, tot_raised, tot_count,
	       tot_coal, ld(&ran_offline));

	for (unsigned int l = 0; l < NR_LINES; l++)
		ASSERT_TRUE(free_irq(lines[l].irq, &lines[l]) != NULL);
	irqcore_shutdown();
}

TEST_T(hotplug_4cpus_sleep, STRESS_TIMEOUT)
{
	run_scenario(4, IRQCORE_IDLE_SLEEP);
}

TEST_T(hotplug_6cpus_adaptive, STRESS_TIMEOUT)
{
	run_scenario(6, IRQCORE_IDLE_ADAPTIVE);
}
