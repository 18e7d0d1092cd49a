/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Scheduling of irq threads: CPU affinity follows the line's effective CPU
 * (D6), applied by the thread itself before a run when it changed.
 */
#include "threaded.h"

void irqc__thread_sched_init(struct irqc_thread *t)
{
	t->cpu = -1;
}

void irqc__thread_apply_affinity(struct irqc_thread *t)
{
	int cpu = atomic_load_explicit(&t->desc->effective_cpu, memory_order_relaxed);

	if (cpu == t->cpu || irqc.cfg.no_pinning)
		return;
	t->cpu = cpu;
	irqc__topo_bind((unsigned int)cpu);
}
