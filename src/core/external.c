/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * External CPUs (IRQCORE_F_EXTERNAL_CPUS): a caller's thread is a CPU and
 * drains it itself (a control loop polling between its steps), and the
 * local_irq_* section that defers a CPU's drain. generic_handle_irq, which
 * runs a flow inline on the caller's CPU, is in flow.c, beside the flows.
 */
#include "core.h"

#include <errno.h>
#include <sys/syscall.h>
#include <unistd.h>

/* ---- external CPUs ---- */

pid_t irqc__self_tid(void)
{
	return (pid_t)syscall(SYS_gettid);
}

int irqcore_cpu_attach(unsigned int cpu)
{
	pid_t none = 0;

	IRQC_API_GUARD(-ENODEV);
	if (!(irqc.cfg.flags & IRQCORE_F_EXTERNAL_CPUS))
		return -EOPNOTSUPP;
	if (cpu >= irqc.nr_cpus)
		return -EINVAL;
	if (irqc__this_cpu())
		return -EALREADY;
	/* acquire: the previous owner's drains happen before ours (paired
	 * with the release store in irqcore_cpu_detach) */
	if (!atomic_compare_exchange_strong_explicit(&irqc.cpus[cpu].owner, &none, irqc__self_tid(),
						     memory_order_acquire,
						     memory_order_relaxed))
		return -EBUSY;
	irqc__set_this_cpu(&irqc.cpus[cpu]);
	return 0;
}

int irqcore_cpu_detach(void)
{
	IRQC_API_GUARD(-EPERM);
	struct irqc_cpu *cpu = irqc__this_cpu();

	if (!cpu || !(irqc.cfg.flags & IRQCORE_F_EXTERNAL_CPUS))
		return -EPERM;
	if (in_interrupt())
		return -EBUSY;
	if (cpu->level != IRQCORE_LEVEL_PASSIVE) {
		irqc_warn("irqcore_cpu_detach: CPU %u left at level %d; back to passive",
			  cpu->id, cpu->level);
		cpu->level = IRQCORE_LEVEL_PASSIVE;
	}
	irqc_ctx.cpu = NULL;
	/* release: paired with the acquire CAS of the next attach */
	atomic_store_explicit(&cpu->owner, 0, memory_order_release);
	return 0;
}

int irqcore_poll(void)
{
	IRQC_API_GUARD(-EPERM);
	struct irqc_cpu *cpu = irqc__this_cpu();

	if (!cpu)
		return -EPERM;
	/* in_interrupt(), inline */
	if (irqc_ctx.irq_off || irqc__hardirq_depth() > 0 || irqc_ctx.softirq > 0) {
		cpu->drain_pending = 1;		/* local_irq_enable drains */
		return 0;
	}
	cpu->drain_pending = 0;
	return (int)irqc__cpu_pass(cpu);
}

/* ---- local_irq_* ---- */

unsigned long irqcore_local_irq_save(void)
{
	return irqc_ctx.irq_off++;
}

/* A poll that local_irq_disable deferred, now that it is over. */
static void poll_deferred(void)
{
	IRQC_API_GUARD_VOID();
	struct irqc_cpu *cpu = irqc__this_cpu();

	if (cpu && cpu->drain_pending) {
		cpu->drain_pending = 0;
		irqc__cpu_pass(cpu);
	}
}

void irqcore_local_irq_restore(unsigned long flags)
{
	irqc_ctx.irq_off = (unsigned int)flags;
	if (!flags && irqc_ctx.cpu && !in_interrupt())
		poll_deferred();
}

void local_irq_disable(void)
{
	irqc_ctx.irq_off++;
}

void local_irq_enable(void)
{
	if (!irqc_ctx.irq_off) {
		irqc_warn("local_irq_enable() without local_irq_disable()");
		return;
	}
	irqcore_local_irq_restore(irqc_ctx.irq_off - 1);
}

bool irqs_disabled(void)
{
	return irqc_ctx.irq_off > 0 || irqc__hardirq_depth() > 0;
}
