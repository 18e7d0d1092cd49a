/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Wake-up lines and the suspend/resume pair.
 *
 * irq_set_irq_wake() counts enables per line and tells the chip (irq_set_wake)
 * on the first enable and the last disable, as the kernel does.
 *
 * irqcore_suspend() disables (one more depth level) every line that has an
 * action, except lines with an IRQF_NO_SUSPEND action; with
 * IRQCHIP_MASK_ON_SUSPEND a line is masked at once, otherwise lazily. A wake
 * line is disabled as well but armed (WAKE_ARMED): its first event latches
 * as on any disabled line, and whoever latches it (core/chip.c,
 * irqc__disabled_event) records the wake-up instead of running the handler —
 * the kernel's irq_pm_check_wakeup. irqcore_resume() undoes the disable of
 * every line that suspend disabled: latched events are replayed then.
 * IRQF_NO_SUSPEND lines keep running their handlers throughout.
 */
#include "core.h"

#include <errno.h>

/* ---- wake ---- */

static int set_wake_real(struct irq_desc *desc, unsigned int on)
{
	const struct irq_chip *chip = atomic_load(&desc->chip);
	int ret;

	if (chip->flags & IRQCHIP_SKIP_SET_WAKE)
		return 0;
	if (!chip->irq_set_wake)
		return -ENXIO;
	irqc__chip_lock(desc);
	ret = chip->irq_set_wake(&desc->irq_data, on);
	irqc__chip_unlock(desc);
	return ret;
}

int irq_set_irq_wake(unsigned int irq, unsigned int on)
{
	IRQC_API_GUARD(-ENODEV);
	const struct irq_chip *bus;
	struct irq_desc *desc;
	unsigned int depth;
	int ret;

	ret = irqc__desc_lookup(irq, &desc);
	if (ret) {
		if (ret == -EINVAL)
			irqc_warn("irq_set_irq_wake(%u): no such line", irq);
		return ret;
	}
	bus = irqc__bus_lock(desc);
	pthread_mutex_lock(&desc->lock);
	/* written under desc->lock only; atomic for irqd_is_wakeup_set's
	 * lock-free snapshot */
	depth = atomic_load_explicit(&desc->wake_depth, memory_order_relaxed);
	if (on) {
		if (depth == 0)
			ret = set_wake_real(desc, 1);
		if (!ret)
			atomic_store_explicit(&desc->wake_depth, depth + 1, memory_order_relaxed);
	} else if (depth == 0) {
		irqc_warn("Unbalanced IRQ %u wake disable", irq);
		ret = -EINVAL;
	} else {
		if (depth == 1)
			ret = set_wake_real(desc, 0);
		if (!ret)
			atomic_store_explicit(&desc->wake_depth, depth - 1, memory_order_relaxed);
	}
	pthread_mutex_unlock(&desc->lock);
	irqc__bus_sync_unlock(desc, bus);
	return ret;
}

int enable_irq_wake(unsigned int irq)
{
	return irq_set_irq_wake(irq, 1);
}

int disable_irq_wake(unsigned int irq)
{
	return irq_set_irq_wake(irq, 0);
}

bool irqd_is_wakeup_set(struct irq_data *d)
{
	struct irq_desc *desc = irqc__desc_of_data(d);

	/* relaxed: a snapshot, as the kernel's irqd bit test */
	return desc && atomic_load_explicit(&desc->wake_depth, memory_order_relaxed) > 0;
}

/* ---- suspend and resume ---- */

void irqc__pm_wakeup(struct irq_desc *desc)
{
	/* relaxed RMW: only decides which latching event reports (RMWs on
	 * the word are totally ordered); the report itself orders nothing */
	uint32_t old = atomic_fetch_and_explicit(&desc->state, ~IRQS_WAKE_ARMED,
						 memory_order_relaxed);
	int none = -1;

	if (!(old & IRQS_WAKE_ARMED))
		return;			/* another event reported it */
	/* the first wake line wins; relaxed: a report, read after the fact
	 * (irqcore_wakeup_irq) by whoever waits for it */
	atomic_compare_exchange_strong_explicit(&irqc.wakeup_irq, &none, (int)desc->irq,
						memory_order_relaxed, memory_order_relaxed);
	irqc__log(IRQCORE_LOG_INFO, "irq %u woke the system", desc->irq);
}

static bool has_no_suspend_action(struct irq_desc *desc)
{
	for (struct irqaction *a = atomic_load(&desc->action); a; a = atomic_load(&a->next))
		if (a->flags & IRQF_NO_SUSPEND)
			return true;
	return false;
}

/* desc->lock held: true if the line was disabled and must be synchronized. */
static bool suspend_line(struct irq_desc *desc)
{
	const struct irq_chip *chip = atomic_load(&desc->chip);

	if (!atomic_load(&desc->action) || desc->chained || has_no_suspend_action(desc))
		return false;
	desc->suspended = true;
	if (atomic_load(&desc->wake_depth)) {
		/* armed before disabled: whoever latches the first event
		 * sees WAKE_ARMED (acq_rel: paired with the latching CAS) */
		atomic_fetch_or_explicit(&desc->state, IRQS_WAKE_ARMED, memory_order_acq_rel);
		atomic_store(&desc->depth, atomic_load(&desc->depth) + 1);
		/* the chip keeps the line enabled: only its first event masks it */
		irqc__state_block(desc, IRQS_DISABLED);	/* and the raisers' copy */
		irqc__exp_publish(desc);
		return true;
	}
	atomic_store(&desc->depth, atomic_load(&desc->depth) + 1);
	if (atomic_load(&desc->depth) == 1)
		irqc__chip_disable(desc, chip->flags & IRQCHIP_MASK_ON_SUSPEND);
	else if (chip->flags & IRQCHIP_MASK_ON_SUSPEND)
		irqc__chip_mask(desc);
	irqc__exp_publish(desc);
	return true;
}

int irqcore_suspend(void)
{
	IRQC_API_GUARD(-ENODEV);
	struct irq_desc *desc;
	bool expected = false;

	if (irqc__in_handler_context()) {
		irqc_warn("irqcore_suspend() from IRQ context refused");
		return -EPERM;
	}
	/* seq_cst CAS: only one suspend (or resume) at a time; it orders
	 * nothing else, the lines' own locks do */
	if (!atomic_compare_exchange_strong(&irqc.pm_suspended, &expected, true))
		return -EALREADY;
	/* relaxed: a report (see irqc__pm_wakeup); no line is armed yet */
	atomic_store_explicit(&irqc.wakeup_irq, -1, memory_order_relaxed);
	irqc_for_each_desc(desc, it) {
		const struct irq_chip *bus;
		bool sync;

		if (!atomic_load(&desc->nr_actions))
			continue;
		bus = irqc__bus_lock(desc);
		pthread_mutex_lock(&desc->lock);
		sync = suspend_line(desc);
		pthread_mutex_unlock(&desc->lock);
		irqc__bus_sync_unlock(desc, bus);
		if (sync)
			synchronize_irq(desc->irq);
	}
	return 0;
}

int irqcore_resume(void)
{
	IRQC_API_GUARD(-ENODEV);
	struct irq_desc *desc;
	bool expected = true;

	/* seq_cst CAS: as in irqcore_suspend */
	if (!atomic_compare_exchange_strong(&irqc.pm_suspended, &expected, false))
		return -EALREADY;
	irqc_for_each_desc(desc, it) {
		const struct irq_chip *bus;
		bool suspended;

		/* look first: no bus cycle for the lines suspend left alone */
		pthread_mutex_lock(&desc->lock);
		suspended = desc->suspended;
		pthread_mutex_unlock(&desc->lock);
		if (!suspended)
			continue;
		bus = irqc__bus_lock(desc);
		pthread_mutex_lock(&desc->lock);
		if (desc->suspended) {
			desc->suspended = false;
			/* relaxed: the enable below publishes the state with
			 * its own acq_rel CAS */
			atomic_fetch_and_explicit(&desc->state, ~IRQS_WAKE_ARMED,
						  memory_order_relaxed);
			irqc__enable_locked(desc);	/* replays what latched */
		}
		pthread_mutex_unlock(&desc->lock);
		irqc__bus_sync_unlock(desc, bus);
	}
	return 0;
}

bool irqcore_wakeup_pending(void)
{
	IRQC_API_GUARD(false);
	return atomic_load_explicit(&irqc.wakeup_irq, memory_order_relaxed) >= 0;
}

int irqcore_wakeup_irq(void)
{
	IRQC_API_GUARD(-ENODEV);
	int irq = atomic_load_explicit(&irqc.wakeup_irq, memory_order_relaxed);

	return irq >= 0 ? irq : -ENOENT;
}
