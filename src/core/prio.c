/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Priority classes and CPU levels (Q1-Q3): the public calls. The classes'
 * bitmaps, and how a pass drains them highest first, are raise.c's and
 * dispatch.c's.
 *
 * A line's class is one relaxed word on its read-mostly cache line: a
 * raise that reads the old class sets its bit in the old class's bitmap of
 * the same CPU, which drains both, so a change loses nothing. irqc.prio_mask
 * only grows while irqcore runs: a pass that reads it late drains a class
 * in whole words instead of one line at a time, which delays a higher class
 * by at most that word (Q1 holds from the next pass on).
 *
 * A CPU's level is a plain int of its CPU context: only the thread that is
 * the CPU (its dispatcher running a handler, or an attached external CPU's
 * thread) reads or writes it.
 */
#include "core.h"

#include <errno.h>

int irq_set_priority(unsigned int irq, unsigned int prio)
{
	IRQC_API_GUARD(-ENODEV);
	struct irq_desc *desc;

	if (!irqc__in_range(irq))
		return -EINVAL;
	if (prio >= IRQ_NR_PRIO) {
		irqc_warn("irq %u: priority class %u out of range 0..%u", irq, prio,
			  IRQ_NR_PRIO - 1);
		return -EINVAL;
	}
	desc = irqc__desc_get(irq);
	if (!desc)
		return -ENOMEM;
	/* relaxed, both: see the top of this file */
	atomic_fetch_or_explicit(&irqc.prio_mask, 1ull << prio, memory_order_relaxed);
	atomic_store_explicit(&desc->prio, prio, memory_order_relaxed);
	return 0;
}

int irq_get_priority(unsigned int irq)
{
	IRQC_API_GUARD(-ENODEV);
	struct irq_desc *desc;

	if (!irqc__in_range(irq))
		return -EINVAL;
	desc = irqc__desc_get(irq);
	if (!desc)
		return -ENOMEM;
	/* relaxed: a value the caller reads, no data behind it */
	return (int)atomic_load_explicit(&desc->prio, memory_order_relaxed);
}

/* The caller's CPU, or NULL when the caller is none (Q3). */
static struct irqc_cpu *level_cpu(const char *what)
{
	struct irqc_cpu *cpu = irqc__this_cpu();

	if (!cpu)
		irqc_warn("%s: the caller is not a CPU (a dispatcher's handler or an "
			  "attached external CPU)", what);
	return cpu;
}

int irqcore_raise_level(int level)
{
	IRQC_API_GUARD(-ENODEV);
	struct irqc_cpu *cpu = level_cpu("irqcore_raise_level");
	int old;

	if (!cpu)
		return -ENXIO;
	old = cpu->level;
	if (level < IRQCORE_LEVEL_PASSIVE || level >= IRQ_NR_PRIO || level < old) {
		irqc_warn("irqcore_raise_level(%d): out of range or below the CPU's level %d",
			  level, old);
		return -EINVAL;
	}
	cpu->level = level;
	return old;
}

int irqcore_restore_level(int old)
{
	IRQC_API_GUARD(-ENODEV);
	struct irqc_cpu *cpu = level_cpu("irqcore_restore_level");

	if (!cpu)
		return -ENXIO;
	if (old < IRQCORE_LEVEL_PASSIVE || old >= IRQ_NR_PRIO || old > cpu->level) {
		irqc_warn("irqcore_restore_level(%d): out of range or above the CPU's level %d",
			  old, cpu->level);
		return -EINVAL;
	}
	cpu->level = old;
	/* an external CPU outside a handler takes what was deferred now, as
	 * local_irq_enable does; in IRQ context the running pass does */
	if ((irqc.cfg.flags & IRQCORE_F_EXTERNAL_CPUS) && !in_interrupt()) {
		if (irqc_ctx.irq_off)
			cpu->drain_pending = 1;	/* local_irq_enable drains */
		else
			irqc__cpu_pass(cpu);
	}
	return 0;
}

/* A dispatcher whose handler left its level raised: say so once, and go
 * back to passive so the deferred lines are not stranded. */
void irqc__level_leaked(struct irqc_cpu *cpu)
{
	static _Atomic bool warned;
	bool expected = false;

	/* relaxed: only the one warning depends on it */
	if (atomic_compare_exchange_strong_explicit(&warned, &expected, true,
						    memory_order_relaxed, memory_order_relaxed))
		irqc_warn("CPU %u: a handler returned at level %d; back to passive "
			  "(irqcore_restore_level missing)", cpu->id, cpu->level);
	cpu->level = IRQCORE_LEVEL_PASSIVE;
}
