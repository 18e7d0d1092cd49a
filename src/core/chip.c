/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Chip operations. The MASKED bit of desc->state is the truth the hot path
 * reads; a chip's callbacks mirror it to "hardware". The callbacks of one line
 * are serialized by desc->chip_lock (as the kernel's desc->lock serializes
 * them), taken only when the chip has the callback: the default soft chip has
 * none, so soft lines never take a lock on the hot path.
 */
#include "core.h"

static inline const struct irq_chip *desc_chip(struct irq_desc *desc)
{
	/* acquire: pairs with the release store in irq_set_chip_and_handler_name */
	return atomic_load_explicit(&desc->chip, memory_order_acquire);
}

/*
 * desc->blocked: a copy of state & IRQS_BLOCKED in the line's read-mostly
 * cache line, so that raisers do not read the state word, which the CPU
 * running the line writes on every event. It is a hint: a raiser that sees
 * it clear routes the event, and the flow, which reads the state itself,
 * latches it if the line is blocked after all; a raiser that sees it set
 * latches with a CAS on the state, which routes the event if the line is
 * not blocked. So a stale copy costs a CPU visit or a CAS, never an event.
 * Every change of MASKED or DISABLED is followed by this sync, which leaves
 * the copy equal to the state: all seq_cst, a writer whose state change
 * comes after another's recheck stores after it; one whose change comes
 * before sees it in its recheck and stores again.
 */
void irqc__blocked_sync(struct irq_desc *desc)
{
	uint32_t b;

	do {
		b = atomic_load(&desc->state) & IRQS_BLOCKED;
		atomic_store(&desc->blocked, b);
	} while ((atomic_load(&desc->state) & IRQS_BLOCKED) != b);
}

/* Set MASKED and/or DISABLED in the state (and its copy): returns the old state. */
uint32_t irqc__state_block(struct irq_desc *desc, uint32_t bits)
{
	/* acq_rel: orders with raisers' CAS on state (they latch on BLOCKED) */
	uint32_t old = atomic_fetch_or_explicit(&desc->state, bits, memory_order_acq_rel);

	irqc__blocked_sync(desc);
	return old;
}

void irqc__chip_mask(struct irq_desc *desc)
{
	const struct irq_chip *chip = desc_chip(desc);
	uint32_t old;

	if (!chip->irq_mask) {
		irqc__state_block(desc, IRQS_MASKED);
		return;
	}
	ck_spinlock_fas_lock(&desc->chip_lock);
	old = irqc__state_block(desc, IRQS_MASKED);
	if (!(old & IRQS_MASKED))
		chip->irq_mask(&desc->irq_data);
	ck_spinlock_fas_unlock(&desc->chip_lock);
}

/*
 * Clear MASKED and/or DISABLED. If an event was latched meanwhile (PENDING)
 * and the line may now run and nobody owns it, the token moves to the line's
 * CPU; a level line still asserted refires. When a CPU owns the line
 * (INPROGRESS), its releasing CAS sees PENDING on a runnable line and replays
 * inline. The chip's irq_unmask is called when MASKED is cleared.
 */
void irqc__line_unblock(struct irq_desc *desc, uint32_t bits)
{
	const struct irq_chip *chip = desc_chip(desc);
	uint32_t s, ns;
	bool replay = false, refire = false, unmasked = false;
	bool nested = atomic_load_explicit(&desc->status_flags, memory_order_relaxed) &
		      IRQ_NESTED_THREAD;

	if (chip->irq_unmask)
		ck_spinlock_fas_lock(&desc->chip_lock);
	s = atomic_load_explicit(&desc->state, memory_order_acquire);
	do {
		if (!(s & bits))
			goto out;
		ns = s & ~bits;
		replay = refire = false;
		if (!(ns & (IRQS_INPROGRESS | IRQS_BLOCKED))) {
			if (ns & IRQS_PENDING) {
				ns &= ~IRQS_PENDING;
				replay = true;
			} else if ((ns & (IRQS_LEVEL | IRQS_ASSERTED)) ==
				   (IRQS_LEVEL | IRQS_ASSERTED)) {
				refire = true;
			}
		}
		/* A nested child has no hard flow: its latched event waits
		 * for the next handle_nested_irq, which replays it inline. */
		if (nested && (replay || refire)) {
			ns |= s & IRQS_PENDING;
			replay = refire = false;
		}
		unmasked = (s & IRQS_MASKED) && !(ns & IRQS_MASKED);
		/* acq_rel: pairs with raisers' and owners' CAS on the same word */
	} while (!atomic_compare_exchange_weak_explicit(&desc->state, &s, ns,
							memory_order_acq_rel,
							memory_order_acquire));
	irqc__blocked_sync(desc);
	if (unmasked && chip->irq_unmask)
		chip->irq_unmask(&desc->irq_data);
out:
	if (chip->irq_unmask)
		ck_spinlock_fas_unlock(&desc->chip_lock);
	if (replay || refire)
		irqc__route(desc, replay);
}

void irqc__chip_unmask(struct irq_desc *desc)
{
	irqc__line_unblock(desc, IRQS_MASKED);
}

static void chip_call(struct irq_desc *desc, void (*cb)(struct irq_data *))
{
	ck_spinlock_fas_lock(&desc->chip_lock);
	cb(&desc->irq_data);
	ck_spinlock_fas_unlock(&desc->chip_lock);
}

void irqc__chip_ack(struct irq_desc *desc)
{
	const struct irq_chip *chip = desc_chip(desc);

	if (chip->irq_ack)
		chip_call(desc, chip->irq_ack);
}

void irqc__chip_eoi(struct irq_desc *desc)
{
	const struct irq_chip *chip = desc_chip(desc);

	if (chip->irq_eoi)
		chip_call(desc, chip->irq_eoi);
}

void irqc__chip_mask_ack(struct irq_desc *desc)
{
	irqc__chip_mask(desc);
	irqc__chip_ack(desc);
}
