/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Nested lines (R8): children of a parent whose threaded handler talks to a
 * slow bus (think of a GPIO expander on I2C). The parent's thread calls
 * handle_nested_irq(child); the child's thread_fn runs right there, in the
 * parent's thread, under the same ownership rules as a flow: the child line
 * is taken with INPROGRESS, a second event meanwhile is latched and replayed,
 * a disabled child latches its events.
 */
#include "threaded.h"

#include <errno.h>

irqreturn_t irqc__nested_primary(int irq, void *dev_id)
{
	(void)dev_id;
	irqc_warn("Primary handler called for nested irq %d", irq);
	return IRQ_NONE;
}

int irq_set_nested_thread(unsigned int irq, bool nest)
{
	return nest ? irq_set_status_flags(irq, IRQ_NESTED_THREAD) :
		      irq_clear_status_flags(irq, IRQ_NESTED_THREAD);
}

static irqreturn_t run_children(struct irq_desc *desc)
{
	irqreturn_t ret = IRQ_NONE;

	/* E5/F3/G5: we are the child's handler and still the parent's
	 * thread (thread_irq): a wait for either would wait for us */
	irqc_ctx.running[irqc_ctx.nr_running++] = desc->irq;
	irqc_ctx.nr_nested++;		/* thread context: not a hard handler */
	/* No read-side section here: line ownership (INPROGRESS) keeps free_irq
	 * waiting in irqc__wait_hardirq after it unlinks, so the actions we
	 * see stay valid; seq_cst pairs with free_irq's unlink (see there). */
	for (struct irqaction *a = atomic_load_explicit(&desc->action, memory_order_seq_cst); a;
	     a = atomic_load_explicit(&a->next, memory_order_acquire))
		if (a->thread_fn)	/* a line that is not nested may have none */
			ret |= a->thread_fn((int)desc->irq, a->dev_id);
	irqc_ctx.nr_nested--;
	irqc_ctx.nr_running--;
	return ret;
}

void handle_nested_irq(unsigned int irq)
{
	struct irq_desc *desc;
	bool replay = false;

	IRQC_API_GUARD_VOID();
	if (!irqc__in_range(irq))
		return;
	if (in_interrupt()) {
		irqc_warn("handle_nested_irq(%u) from IRQ context: it may sleep", irq);
		return;
	}
	if (irqc_ctx.nr_running >= IRQC_MAX_NEST) {
		irqc_warn("handle_nested_irq(%u): nesting deeper than %d", irq, IRQC_MAX_NEST);
		return;
	}
	irqc__count_raised(irq);
	desc = irqc__desc_peek(irq);
	if (!desc && !(desc = irqc__desc_for_stray(irq, NULL)))
		return;
	/* A child without a driver: an ERR event (D9), not one latched for
	 * a later driver (the kernel's resend of a nested line goes to its
	 * parent, which finds nothing to do). */
	if (!atomic_load_explicit(&desc->action, memory_order_acquire)) {
		irqc__no_action_count_mask_log(desc, NULL);
		return;
	}
	if (!irqc__line_take_or_latch(desc))
		return;			/* latched or coalesced */
	do {
		struct irqc_cpu *slot = &irqc.cpus[atomic_load(&desc->effective_cpu)];

		if (irqc__no_action_count_mask_log(desc, NULL)) {
			irqc__line_release_or_keep(desc, false);
			return;
		}
		/* the line's owner writes its counters: here, the slot of
		 * its effective CPU (ownership passes with acq_rel CASes) */
		if (!replay)
			irqc__exp_nested_event(desc, slot);	/* kstat, latency */
		else
			irqc__count_coalesced(irq);
		replay = true;
		atomic_fetch_add_explicit(&desc->threads_active, 1, memory_order_relaxed);
		irqc__note_interrupt(desc, run_children(desc));
		/* release: paired with synchronize_irq's acquire load */
		atomic_fetch_sub_explicit(&desc->threads_active, 1, memory_order_release);
	} while (irqc__line_release_or_keep(desc, true));
}

void irqc__nested_drop_pending(struct irq_desc *desc)
{
	uint32_t old;

	if (!(atomic_load_explicit(&desc->status_flags, memory_order_relaxed) &
	      IRQ_NESTED_THREAD))
		return;
	/* acq_rel: as the other RMWs of the state word; the token it held
	 * is accounted as coalesced (folded into the parent's next event) */
	old = atomic_fetch_and_explicit(&desc->state, ~IRQS_PENDING, memory_order_acq_rel);
	if (old & IRQS_PENDING)
		irqc__count_coalesced(desc->irq);
}
