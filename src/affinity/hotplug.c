/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * CPU offline/online (A6): irqcore_cpu_offline() takes every line off a
 * dispatcher CPU, irqcore_cpu_online() gives the CPU its lines back.
 *
 * What offline means. The CPU's offline flag (set under place_lock) keeps
 * every placement from picking it (affinity.c); the call then walks every
 * materialized line under its desc->lock and moves those whose effective
 * CPU it is to the least loaded online CPU of their mask, or of the default
 * mask when their mask has none online ("affinity broken", with a warning).
 * The dispatcher thread itself keeps running: it sleeps on its futex and
 * wakes for whatever still lands in its bitmap. That is why no raise is
 * lost:
 *
 *  - A raiser reads a line's effective CPU (relaxed), then sets the line's
 *    bit in that CPU's bitmap and kicks it (core/raise.c). One that read the
 *    old CPU before the move sets its bit there after it: a stray bit on
 *    the offline CPU. That CPU's dispatcher is still the bitmap's one
 *    consumer and the raiser's kick still wakes it (the usual pairing of
 *    its sleep announcement with the kick), so it drains the bit and runs
 *    the line's flow, exactly as after any affinity change (A1).
 *  - Running the flow there is safe: INPROGRESS (core/flow.c) lets one CPU
 *    own the line at a time; an event that finds it owned elsewhere is
 *    latched (PENDING) and replayed by the owner. A line never runs on two
 *    CPUs at once, offline or not.
 *  - Strays are finite: one per raise that read the old CPU. A stray raise
 *    is a token like any other (internal.h), counted when its flow starts or
 *    where it merges, so raised == count + coalesced still holds once the
 *    line is quiet, and irqcore_quiesce(), which waits for a pass of every
 *    CPU (offline ones too), still covers every raise made before it.
 *
 * Stopping the thread instead would need a handover of the bits left in its
 * bitmap after a grace period of every raiser; a sleeping thread costs
 * nothing, so it stays, and "offline" is a placement state, not a thread
 * state. Work queued on the CPU before (tasklets, timer lines armed there)
 * runs there as before; irq threads follow their line, since each binds
 * itself to its line's effective CPU before a run (threaded/sched.c).
 *
 * Lines never materialized route to irq % nr_cpus (core/raise.c): their
 * events find no action and are counted in ERR by whichever CPU drains
 * them, offline or not. A line materialized during the walk may start on
 * the CPU going offline (it read the flag before it was set); its request,
 * under desc->lock, places it on an online CPU.
 *
 * Online clears the flag, then gives back to the CPU the lines an offline
 * moved off it (desc->home_cpu, the first CPU a line was moved off; any
 * placement by the caller since, irq_set_affinity or a new request, clears
 * it), and the lines whose affinity was broken (their CPU outside their
 * mask) whose mask holds it. Other lines stay: no balancer yet.
 *
 * External CPUs (IRQCORE_F_EXTERNAL_CPUS): -EOPNOTSUPP. Such a CPU is driven
 * by a caller's loop, which would have to learn that its CPU went away; not
 * done.
 *
 * Lock order: hotplug_lock (one offline/online at a time), desc->lock,
 * place_lock (affinity.c).
 */
#include "internal.h"

#include <errno.h>

/* The checks both calls share: 0 to go on, else the error. */
static int hotplug_check(const char *what, unsigned int cpu)
{
	if (in_interrupt()) {
		irqc_warn("%s(%u) from IRQ context refused", what, cpu);
		return -EPERM;
	}
	if (cpu >= irqc.nr_cpus) {
		irqc_warn("%s(%u): no such CPU (%u dispatchers)", what, cpu, irqc.nr_cpus);
		return -EINVAL;
	}
	if (irqc.cfg.flags & IRQCORE_F_EXTERNAL_CPUS) {
		irqc_warn("%s(%u): not with external CPUs", what, cpu);
		return -EOPNOTSUPP;
	}
	return 0;
}

/* Mark cpu offline (or online); -EBUSY for the last online CPU. */
static int set_offline(unsigned int cpu, bool offline)
{
	int ret = 0;

	pthread_mutex_lock(&irqc.place_lock);
	if (offline && irqc.nr_online == 1) {
		ret = -EBUSY;
	} else {
		irqc.nr_online += offline ? -1u : 1u;
		/* relaxed: pickers read it under place_lock; the lock-free
		 * reader (a fresh line, irqc__online_from) is a hint */
		atomic_store_explicit(&irqc.cpus[cpu].offline, offline, memory_order_relaxed);
	}
	pthread_mutex_unlock(&irqc.place_lock);
	if (!ret)	/* relaxed: a value irqtop shows, no ordering */
		__atomic_store_n(&irqc_exp.cpus[cpu].offline, offline ? 1u : 0u,
				 __ATOMIC_RELAXED);
	return ret;
}

int irqcore_cpu_offline(unsigned int cpu)
{
	IRQC_API_GUARD(-ENODEV);
	struct irq_desc *desc;
	int ret = hotplug_check("irqcore_cpu_offline", cpu);

	if (ret)
		return ret;
	pthread_mutex_lock(&irqc.hotplug_lock);
	if (!irqc__cpu_is_online(cpu))
		goto out;		/* already offline: 0 */
	ret = set_offline(cpu, true);
	if (ret) {
		irqc_warn("irqcore_cpu_offline(%u): the last online CPU stays", cpu);
		goto out;
	}
	irqc_for_each_desc(desc, it) {
		pthread_mutex_lock(&desc->lock);
		if (atomic_load_explicit(&desc->effective_cpu, memory_order_relaxed) == (int)cpu) {
			if (desc->home_cpu < 0)
				desc->home_cpu = (int)cpu;
			irqc__evacuate_line(desc);
			irqc__exp_publish(desc);
		}
		pthread_mutex_unlock(&desc->lock);
	}
out:
	pthread_mutex_unlock(&irqc.hotplug_lock);
	return ret;
}

/* Does line desc come back to cpu? desc->lock held. */
static bool returns_to(struct irq_desc *desc, unsigned int cpu)
{
	int eff = atomic_load_explicit(&desc->effective_cpu, memory_order_relaxed);

	if (!CPU_ISSET(cpu, &desc->affinity))
		return false;
	return desc->home_cpu == (int)cpu || !CPU_ISSET((unsigned int)eff, &desc->affinity);
}

int irqcore_cpu_online(unsigned int cpu)
{
	IRQC_API_GUARD(-ENODEV);
	struct irq_desc *desc;
	int ret = hotplug_check("irqcore_cpu_online", cpu);

	if (ret)
		return ret;
	pthread_mutex_lock(&irqc.hotplug_lock);
	if (irqc__cpu_is_online(cpu))
		goto out;		/* already online: 0 */
	set_offline(cpu, false);
	irqc_for_each_desc(desc, it) {
		pthread_mutex_lock(&desc->lock);
		if (returns_to(desc, cpu)) {
			desc->home_cpu = -1;
			irqc__move_line(desc, cpu);
			irqc__exp_publish(desc);
		}
		pthread_mutex_unlock(&desc->lock);
	}
out:
	pthread_mutex_unlock(&irqc.hotplug_lock);
	return ret;
}
