/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * local_bh_disable/local_bh_enable: a per-thread nesting count. A CPU's
 * drain pass skips its tasklets while the count of the thread driving it
 * is not 0 (core/dispatch.c), so on an attached external CPU a
 * local_bh_disable section defers them, as the kernel's does on its CPU;
 * the enable that ends the section polls the CPU to run what became due.
 * Nothing is shared: no atomics.
 */
#include "port.h"

void local_bh_disable(void)
{
	irqc_ctx.bh_off++;
}

/* The tasklets that a bh-disabled section held back on this CPU. */
static void run_deferred(void)
{
	IRQC_API_GUARD_VOID();
	struct irqc_cpu *cpu = irqc__this_cpu();

	/* irqcore_poll defers itself inside local_irq_disable or IRQ
	 * context (to the local_irq_enable, or to the running pass) */
	if (cpu && irqc__tasklets_pending(cpu))
		irqcore_poll();
}

void local_bh_enable(void)
{
	if (!irqc_ctx.bh_off) {
		irqc_warn("local_bh_enable() without local_bh_disable()");
		return;
	}
	if (--irqc_ctx.bh_off == 0)
		run_deferred();
}
