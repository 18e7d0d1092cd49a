/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * s_prio — priority classes under load (Q1, Q2).
 *
 * 192 lines over 1024 (or 65536, top words in use), four dispatchers (more
 * than this machine's cores), four raisers (irq_raise and irq_raise_many on
 * random lines), and a thread that moves lines between classes and between
 * CPUs while they are raised. The drain passes yield between lines of a
 * lower class whenever a higher one has work, which is exactly the path
 * that puts summary/top/levels bits back (dispatch.c): an error there loses
 * an event or runs one twice.
 *
 * Invariants, per line, after irqcore_quiesce() == 0:
 *  - raised == count + coalesced, raised == the test's own raises;
 *  - the handler ran between count and count + coalesced times (a flow
 *    replaying a line moved under it may run a coalesced edge);
 *  - never two runs of one line at once (in-flight <= 1).
 * A last round with every line in class 0 again and one raise each gives
 * exactly one more run per line. prio_classes_long_coalescing runs with the
 * longest coalescing wait (D10: 100 us per event), which raises of a class
 * above 0 end.
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
#include <stdint.h>

#define NR_LINES	192
#define NR_RAISERS	4
#define NR_CPUS		4

struct line {
	unsigned int irq;
	atomic_ullong raises;		/* the test's successful raises */
	atomic_ullong calls;
	atomic_int inflight;
};

static struct line lines[NR_LINES];
static atomic_int max_inflight;
static atomic_bool stop;
static double deadline;

static irqreturn_t handler(int irq, void *dev_id)
{
	struct line *l = dev_id;
	int now = atomic_fetch_add(&l->inflight, 1) + 1;

	(void)irq;
	note_max(&max_inflight, now);
	if (l->irq % 5 == 0)
		spin(200);			/* slow lines: drains overlap raises */
	atomic_fetch_add(&l->calls, 1);
	atomic_fetch_sub(&l->inflight, 1);
	return IRQ_HANDLED;
}

static void *raiser(void *arg)
{
	unsigned long long seed = (unsigned long long)(uintptr_t)arg * 7919 + 17;

	while (!atomic_load(&stop)) {
		unsigned int k = (unsigned int)(xorshift(&seed) % NR_LINES);

		if (xorshift(&seed) % 4 == 0) {
			unsigned int batch[8];

			for (unsigned int i = 0; i < 8; i++)
				batch[i] = lines[(k + i * 13) % NR_LINES].irq;
			if (irq_raise_many(batch, 8) == 0)
				for (unsigned int i = 0; i < 8; i++)
					atomic_fetch_add(&lines[(k + i * 13) % NR_LINES].raises, 1);
		} else if (irq_raise(lines[k].irq) == 0) {
			atomic_fetch_add(&lines[k].raises, 1);
		}
	}
	return NULL;
}

static void *mover(void *arg)
{
	unsigned long long seed = 99;

	(void)arg;
	while (!atomic_load(&stop)) {
		unsigned int k = (unsigned int)(xorshift(&seed) % NR_LINES);
		cpu_set_t m;

		ASSERT_EQ(irq_set_priority(lines[k].irq,
					   (unsigned int)(xorshift(&seed) % IRQ_NR_PRIO)), 0);
		if (xorshift(&seed) % 8 == 0) {
			CPU_ZERO(&m);
			CPU_SET((int)(xorshift(&seed) % NR_CPUS), &m);
			ASSERT_EQ(irq_set_affinity(lines[k].irq, &m), 0);
		}
		if (th_now() > deadline)
			atomic_store(&stop, true);
	}
	return NULL;
}

static void run_c(unsigned int nr_irqs, int idle, int coalesce_ns)
{
	struct irqcore_config c;
	pthread_t r[NR_RAISERS], mv;

	irqcore_config_init(&c);
	c.nr_irqs = nr_irqs;
	c.nr_cpus = NR_CPUS;
	c.idle = idle;
	c.flags = IRQCORE_F_NO_EXPORT;
	c.log = th_log;
	if (coalesce_ns)
		c.coalesce_ns = coalesce_ns;
	ASSERT_EQ(irqcore_init(&c), 0);
	for (unsigned int i = 0; i < NR_LINES; i++) {
		struct line *l = &lines[i];

		l->irq = (i * (nr_irqs / NR_LINES)) + i % 7;
		atomic_store(&l->raises, 0);
		atomic_store(&l->calls, 0);
		atomic_store(&l->inflight, 0);
		ASSERT_EQ(request_irq(l->irq, handler, 0, "prio", l), 0);
		ASSERT_EQ(irq_set_priority(l->irq, i % IRQ_NR_PRIO), 0);
	}
	atomic_store(&max_inflight, 0);
	atomic_store(&stop, false);
	deadline = th_now() + th_stress_seconds();
	for (uintptr_t i = 0; i < NR_RAISERS; i++)
		ASSERT_EQ(pthread_create(&r[i], NULL, raiser, (void *)(i + 1)), 0);
	ASSERT_EQ(pthread_create(&mv, NULL, mover, NULL), 0);
	pthread_join(mv, NULL);
	for (unsigned int i = 0; i < NR_RAISERS; i++)
		pthread_join(r[i], NULL);
	ASSERT_EQ(irqcore_quiesce(30000), 0);

	unsigned long long coalesced = 0;

	for (unsigned int i = 0; i < NR_LINES; i++) {
		struct line *l = &lines[i];
		struct irq_status st;
		unsigned long long calls = atomic_load(&l->calls);

		ASSERT_EQ(irq_get_status(l->irq, &st), 0);
		ASSERT_EQ(st.raised, atomic_load(&l->raises));
		ASSERT_EQ(st.raised, st.count + st.coalesced);
		ASSERT_GE(calls, st.count);
		ASSERT_LE(calls, st.count + st.coalesced);
		coalesced += st.coalesced;
	}
	ASSERT_EQ(atomic_load(&max_inflight), 1);
	ASSERT_GT(coalesced, 0);		/* the test did pile raises up */

	/* back to class 0: one raise, one run each */
	for (unsigned int i = 0; i < NR_LINES; i++) {
		atomic_store(&lines[i].calls, 0);
		ASSERT_EQ(irq_set_priority(lines[i].irq, 0), 0);
	}
	for (unsigned int i = 0; i < NR_LINES; i++)
		ASSERT_EQ(irq_raise(lines[i].irq), 0);
	ASSERT_EQ(irqcore_quiesce(30000), 0);
	for (unsigned int i = 0; i < NR_LINES; i++)
		ASSERT_EQ(atomic_load(&lines[i].calls), 1);
	irqcore_shutdown();
}

static void run(unsigned int nr_irqs, int idle)
{
	run_c(nr_irqs, idle, 0);
}

TEST(prio_classes_spin)		{ run(1024, IRQCORE_IDLE_SPIN); }
TEST(prio_classes_long_coalescing) { run_c(1024, IRQCORE_IDLE_SPIN, 100000); }
TEST(prio_classes_sleep)	{ run(1024, IRQCORE_IDLE_SLEEP); }
TEST(prio_classes_wide_adaptive) { run(65536, IRQCORE_IDLE_ADAPTIVE); }
