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
		if (desc) {
			/* an earlier stray event masked the line; a latched
			 * one is stale (it counted in ERR already) */
			atomic_fetch_and(&desc->state, ~IRQS_PENDING);
			irqc__chip_unmask(desc);
		}
		if (irq < sizeof(mask) * 8)
			mask |= 1ul << irq;
	}
	pthread_mutex_unlock(&irqc.probe_lock);
	return mask;
}

int probe_irq_off(unsigned long val)
{
	int found = 0, nr = 0;

	IRQC_API_GUARD(0);
	(void)val;	/* like the kernel: every armed line counts */
	pthread_mutex_lock(&irqc.probe_lock);
	for (unsigned int w = 0; w < irqc.nr_words; w++) {
		uint64_t armed = atomic_exchange(&irqc.probe_armed[w], 0);
		uint64_t fired = atomic_exchange_explicit(&irqc.probe_fired[w], 0,
							  memory_order_acquire) & armed;

		while (fired) {
			unsigned int irq = w * IRQC_BITS + (unsigned int)__builtin_ctzll(fired);

			fired &= fired - 1;
			if (!nr++)
				found = (int)irq;
		}
	}
	pthread_mutex_unlock(&irqc.probe_lock);
	return nr > 1 ? -found : found;
}
