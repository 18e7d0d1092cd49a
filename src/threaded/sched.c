/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Scheduling of irq threads: SCHED_FIFO at the configured priority (50 by
 * default, like the kernel's irq threads) where the process may use it, and
 * CPU affinity that follows the line's effective CPU (D6): its PU, or with
 * spinning dispatchers the nearest PUs without one (its core, or the cache
 * it shares: affinity/topology.c), applied by the thread itself before a
 * run, unless set for the action.
 *
 * What a thread really runs at is noted in it (sched_*), read back from the
 * kernel after each change, and shown in its line's exported record: a
 * thread refused SCHED_FIFO (no RT privilege, RLIMIT_RTPRIO) runs
 * SCHED_OTHER and its line says so (thread_prio 0, IRQC_EXP_S_PRIO_REFUSED),
 * not the priority that was asked for. The notes are written and read under
 * desc->lock: by the thread when it starts, by irq_set_thread_priority, and
 * by the record's writer (stats/export.c).
 */
#include "threaded.h"

#include <errno.h>
#include <string.h>

static int policy_of(int prio)
{
	return prio > 0 ? SCHED_FIFO : SCHED_OTHER;
}

/* The priority a thread of line desc is to run at: the line's own
 * (irq_set_thread_priority), else the configured one; 0 SCHED_OTHER. */
static int wanted_prio(struct irq_desc *desc)
{
	int prio = atomic_load_explicit(&desc->thread_prio, memory_order_relaxed);

	if (prio >= 0)		/* desc->lock held: stored under it */
		return prio;
	return irqc.cfg.thread_priority == 0 ? 50 :
	       irqc.cfg.thread_priority < 0 ? 0 : irqc.cfg.thread_priority;
}

static int apply(pthread_t tid, int prio)
{
	struct sched_param sp = { .sched_priority = prio };

	return pthread_setschedparam(tid, policy_of(prio), &sp);
}

/* Note what thread t runs at now, as the kernel says. desc->lock held. */
static void note_applied(struct irqc_thread *t, pthread_t tid, bool refused)
{
	struct sched_param sp;
	int policy;

	t->sched_prio = 0;
	if (pthread_getschedparam(tid, &policy, &sp) == 0 &&
	    (policy == SCHED_FIFO || policy == SCHED_RR))
		t->sched_prio = sp.sched_priority;
	t->sched_refused = refused;
	t->sched_noted = true;
}

/* irq_set_thread_priority, with desc->lock held. */
int irqc__thread_set_prio(struct irqc_thread *t, int prio)
{
	int ret = apply(t->tid, prio);

	if (!ret)		/* refused: the thread keeps what it had */
		note_applied(t, t->tid, false);
	return ret ? -ret : 0;
}

/*
 * The thread itself, before its first run. Under desc->lock, so that
 * irq_set_thread_priority cannot change the line's priority between our
 * look and our call, and so that the record we publish shows what we run
 * at. Taking it here is safe: nobody waits for an irq thread while holding
 * desc->lock (free_irq and a failed request stop threads without it).
 */
void irqc__thread_sched_init(struct irqc_thread *t)
{
	struct irq_desc *desc = t->desc;
	bool refused = false;
	int prio, ret;

	t->cpu = -1;
	t->applied = -1;
	pthread_mutex_lock(&desc->lock);
	prio = wanted_prio(desc);
	/* SCHED_OTHER is applied too: a thread inherits its creator's policy */
	ret = apply(pthread_self(), prio);
	if (ret && prio > 0) {
		bool expected = false;

		/* one warning per init */
		if (atomic_compare_exchange_strong(&irqc.fifo_warned, &expected, true))
			irqc_warn("irq threads: SCHED_FIFO priority %d not permitted (%s); "
				  "running SCHED_OTHER", prio, strerror(ret));
		refused = true;
		(void)apply(pthread_self(), 0);	/* what the warning says */
	}
	note_applied(t, pthread_self(), refused);
	irqc__exp_publish(desc);
	pthread_mutex_unlock(&desc->lock);
}

int irqc__line_thread_prio(struct irq_desc *desc, bool *refused)
{
	int prio = -1;

	*refused = false;
	for (struct irqaction *a = atomic_load(&desc->action); a; a = atomic_load(&a->next)) {
		struct irqc_thread *ts[2] = {
			a->thread, a->secondary ? a->secondary->thread : NULL,
		};

		for (int i = 0; i < 2; i++) {
			struct irqc_thread *t = ts[i];
			int p;

			if (!t)
				continue;
			/* not started yet: about to apply the wanted one
			 * (and to publish the record again) */
			p = t->sched_noted ? t->sched_prio : wanted_prio(desc);
			*refused |= t->sched_noted && t->sched_refused;
			if (prio < 0 || p < prio)
				prio = p;
		}
	}
	return prio;
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
	irqc__topo_bind_near((unsigned int)cpu);
}
