/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Scheduling of irq threads: SCHED_FIFO at the configured priority (50 by
 * default, like the kernel's irq threads) where the process may use it, and
 * CPU affinity that follows the line's effective CPU (D6), applied by the
 * thread itself before a run, unless set for the action.
 */
#include "threaded.h"

#include <errno.h>
#include <string.h>

static int policy_of(int prio)
{
	return prio > 0 ? SCHED_FIFO : SCHED_OTHER;
}

int irqc__thread_set_prio(struct irqc_thread *t, int prio)
{
	struct sched_param sp = { .sched_priority = prio };
	int ret = pthread_setschedparam(t->tid, policy_of(prio), &sp);

	return ret ? -ret : 0;
}

void irqc__thread_sched_init(struct irqc_thread *t)
{
	int prio = atomic_load(&t->desc->thread_prio);
	struct sched_param sp;
	int ret;

	t->cpu = -1;
	t->applied = -1;
	if (prio < 0)		/* line not set: the configured default */
		prio = irqc.cfg.thread_priority == 0 ? 50 :
		       irqc.cfg.thread_priority < 0 ? 0 : irqc.cfg.thread_priority;
	if (prio == 0)
		return;
	sp.sched_priority = prio;
	ret = pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp);
	if (ret) {
		bool expected = false;

		/* one warning per init */
		if (atomic_compare_exchange_strong(&irqc.fifo_warned, &expected, true))
			irqc_warn("irq threads: SCHED_FIFO priority %d not permitted (%s); "
				  "running SCHED_OTHER", prio, strerror(ret));
	}
}

void irqc__thread_apply_affinity(struct irqc_thread *t)
{
	int cpu = atomic_load_explicit(&t->desc->effective_cpu, memory_order_relaxed);
	int gen = atomic_load_explicit(&t->reapply, memory_order_relaxed);

	if (irqc.cfg.no_pinning || atomic_load_explicit(&t->affinity_set, memory_order_relaxed))
		return;
	if (cpu == t->cpu && gen == t->applied)
		return;
	t->cpu = cpu;
	t->applied = gen;
	irqc__topo_bind((unsigned int)cpu);
}
