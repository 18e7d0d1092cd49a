/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Autoprobe (P1): arm every line that has no action, record which of them
 * fire, report the one that did. Armed and fired lines are two bitmaps, so
 * arming 65536 lines materializes no descriptor.
 */
#include "core.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int irqc__probe_init(void)
{
	irqc.probe_armed = calloc(irqc.nr_words, sizeof(*irqc.probe_armed));
	irqc.probe_fired = calloc(irqc.nr_words, sizeof(*irqc.probe_fired));
	if (!irqc.probe_armed || !irqc.probe_fired) {
		irqc__probe_fini();
		return -ENOMEM;
	}
	pthread_mutex_init(&irqc.probe_lock, NULL);
	return 0;
}

void irqc__probe_fini(void)
{
	if (irqc.probe_armed)
		pthread_mutex_destroy(&irqc.probe_lock);
	free(irqc.probe_armed);
	free(irqc.probe_fired);
	irqc.probe_armed = irqc.probe_fired = NULL;
}

/* From a CPU, for an event that found no action. */
bool irqc__probe_hit(unsigned int irq)
{
	uint64_t bit = 1ull << (irq % IRQC_BITS);

	/* acquire: paired with the release OR in probe_irq_on */
	if (!(atomic_load_explicit(&irqc.probe_armed[irq / IRQC_BITS], memory_order_acquire) & bit))
		return false;
	/* release: paired with the acquire exchange in probe_irq_off */
	atomic_fetch_or_explicit(&irqc.probe_fired[irq / IRQC_BITS], bit, memory_order_release);
	return true;
}

/* Start an armed line for the probe (the kernel's irq_startup of probed
 * lines): a line freed earlier is shut down (DISABLED|MASKED), a fresh one
 * may have been masked by a stray event (D9). probe_lock held. */
static void probe_start(struct irq_desc *desc)
{
	pthread_mutex_lock(&desc->lock);
	desc->probing = true;
	desc->probe_was_off = atomic_load(&desc->state) & IRQS_DISABLED;
	/* a latched event is stale: it counted in ERR, or on the action
	 * that was freed */
	/* seq_cst RMW, as every change of the state word: before the unblock
	 * below, which must not replay the stale latch */
	atomic_fetch_and(&desc->state, ~IRQS_PENDING);
	irqc__line_unblock_how(desc, IRQS_DISABLED | IRQS_MASKED, IRQC_UNBLOCK_STARTUP);
	pthread_mutex_unlock(&desc->lock);
}

/* The probe is over: the chip shuts the line down again (irq_shutdown ...);
 * a line that was not shut down before comes back as it was, unblocked (an
 * event latched during the probe then reaches its CPU: ERR, D9). */
static void probe_stop(struct irq_desc *desc)
{
	pthread_mutex_lock(&desc->lock);
	if (desc->probing && !atomic_load(&desc->action)) {
		irqc__chip_shutdown(desc);
		if (!desc->probe_was_off)
			irqc__line_unblock(desc, IRQS_DISABLED | IRQS_MASKED);
	}
	desc->probing = false;
	pthread_mutex_unlock(&desc->lock);
}

unsigned long probe_irq_on(void)
{
	IRQC_API_GUARD(0);
	unsigned long mask = 0;

	pthread_mutex_lock(&irqc.probe_lock);
	for (unsigned int irq = 0; irq < irqc.nr_irqs; irq++) {
		struct irq_desc *desc = irqc__desc_peek(irq);
		uint64_t bit = 1ull << (irq % IRQC_BITS);

		if (desc && (atomic_load(&desc->nr_actions) ||
			     (atomic_load(&desc->status_flags) & IRQ_NOPROBE)))
			continue;
		atomic_fetch_and(&irqc.probe_fired[irq / IRQC_BITS], ~bit);
		/* release: the cleared fired bit before the armed bit */
		atomic_fetch_or_explicit(&irqc.probe_armed[irq / IRQC_BITS], bit,
					 memory_order_release);
		if (desc)
			probe_start(desc);
		if (irq < sizeof(mask) * 8)
			mask |= 1ul << irq;
	}
	pthread_mutex_unlock(&irqc.probe_lock);
	return mask;
}

/*
 * Armed lines of word w with an event raised but not yet handled: a bit in a
 * CPU's pending word (a sleeping dispatcher may not have woken yet), or
 * PENDING latched on the line. The classic probe raises, waits a few
 * microseconds and calls probe_irq_off: the event counts whether or not a
 * CPU ran it.
 */
static uint64_t raised_not_handled(unsigned int w, uint64_t armed)
{
	uint64_t bits = 0;

	/* seq_cst: a raise that happened before this call set its bit with a
	 * seq_cst fetch_or (irqc__pending_set, step 1); the load sees it
	 * unless the CPU's exchange took it first (see wait_passes_in_flight) */
	for (unsigned int c = 0; c < irqc.nr_cpus; c++)
		for (unsigned int p = 0; p < IRQ_NR_PRIO; p++)	/* every class */
			bits |= atomic_load(&irqc.cpus[c].pend[p].words[w]) & armed;
	for (uint64_t m = armed & ~bits; m; m &= m - 1) {
		unsigned int irq = w * IRQC_BITS + (unsigned int)__builtin_ctzll(m);
		struct irq_desc *desc = irqc__desc_peek(irq);

		if (desc && (atomic_load(&desc->state) & IRQS_PENDING))
			bits |= m & -m;
	}
	return bits;
}

/*
 * An event that a dispatcher took from its word before we looked, and whose
 * flow has not recorded it yet, is in a pass in progress: wait until each
 * dispatcher has ended the pass that was running when we looked, and the
 * one after it (which may have taken the word between snap and our look),
 * or has gone to sleep, which it announces only after a pass with nothing
 * left (a spinning CPU is kicked into its passes, as quiesce does). Its
 * flows record their hits before the pass ends (the release store of seq
 * that ends it), so probe_fired has them afterwards. External CPUs are
 * driven by their callers: not waited for (the caller may be one).
 */
static void wait_passes_in_flight(const uint64_t *snap)
{
	struct irqc_cpu *self = irqc__this_cpu();

	if (!snap || (irqc.cfg.flags & IRQCORE_F_EXTERNAL_CPUS) || irqc__in_handler_context())
		return;
	for (unsigned int c = 0; c < irqc.nr_cpus; c++) {
		struct irqc_cpu *cpu = &irqc.cpus[c];
		unsigned int us = 1;

		if (cpu == self)
			continue;
		/* seq_cst (acquire at least): paired with the CPU's release
		 * store of seq (end of a pass) and its seq_cst store of
		 * sleeping (after a pass found nothing) */
		while (atomic_load(&cpu->seq) < snap[c] + 2 && !atomic_load(&cpu->sleeping)) {
			/* an idle spinning CPU passes only when kicked;
			 * release: paired with the acquire load in cpu_spin */
			atomic_fetch_add_explicit(&cpu->kicks, 1, memory_order_release);
			irqc__backoff_sleep(&us);
		}
	}
}

int probe_irq_off(unsigned long val)
{
	struct irq_desc *desc;
	uint64_t *snap;
	int found = 0, nr = 0;

	IRQC_API_GUARD(0);
	(void)val;	/* like the kernel: every armed line counts */
	snap = calloc(irqc.nr_cpus, sizeof(*snap));	/* NULL: no waiting */
	pthread_mutex_lock(&irqc.probe_lock);
	for (unsigned int c = 0; snap && c < irqc.nr_cpus; c++)
		snap[c] = atomic_load(&irqc.cpus[c].seq);	/* seq_cst: as above */
	/* still armed: a CPU that runs an event now records it as well */
	for (unsigned int w = 0; w < irqc.nr_words; w++) {
		uint64_t armed = atomic_load(&irqc.probe_armed[w]);
		uint64_t pend = armed ? raised_not_handled(w, armed) : 0;

		/* relaxed: read below by this thread, under probe_lock */
		if (pend)
			atomic_fetch_or_explicit(&irqc.probe_fired[w], pend,
						 memory_order_relaxed);
	}
	wait_passes_in_flight(snap);
	for (unsigned int w = 0; w < irqc.nr_words; w++) {
		uint64_t armed = atomic_exchange(&irqc.probe_armed[w], 0);
		/* acquire: paired with the release OR in irqc__probe_hit */
		uint64_t fired = atomic_exchange_explicit(&irqc.probe_fired[w], 0,
							  memory_order_acquire) & armed;

		while (fired) {
			unsigned int irq = w * IRQC_BITS + (unsigned int)__builtin_ctzll(fired);

			fired &= fired - 1;
			if (!nr++)
				found = (int)irq;
		}
	}
	irqc_for_each_desc(desc, it)
		if (desc->probing)
			probe_stop(desc);
	pthread_mutex_unlock(&irqc.probe_lock);
	free(snap);
	return nr > 1 ? -found : found;
}
