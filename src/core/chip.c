/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Chip operations. The MASKED and DISABLED bits of desc->state are the truth
 * the hot path reads; a chip's callbacks mirror them to "hardware". The
 * callbacks of one line, with the CAS on the state that decides them, are
 * serialized by desc->chip_lock (as the kernel's desc->lock serializes them),
 * taken only when the chip has mask-state callbacks: the default soft chip has
 * none, so soft lines never take a lock on the hot path.
 *
 * What the chip was told
 * ----------------------
 * A line the chip has not been told to start (IRQS_STARTED clear) is masked
 * at the chip, as a fresh line is in the kernel, whatever the soft MASKED
 * bit says: that bit only gates where a raise goes (an event on a fresh line
 * still reaches a CPU and is counted in ERR, D9). So the chip sees:
 *   startup   (request of the first action, enable_irq at depth 1 of a line
 *             never started, autoprobe, a chained handler): irq_startup, else
 *             irq_enable, else irq_unmask;
 *   shutdown  (free of the last action, end of a probe): irq_shutdown, else
 *             irq_disable, else irq_mask;
 *   enable    (enable_irq to depth 0): irq_enable, else irq_unmask;
 *   disable   (disable_irq to depth 1): nothing — lazy: the next event masks
 *             (irq_mask) — unless the chip has irq_disable or the line has
 *             IRQ_DISABLE_UNLAZY, then irq_disable, else irq_mask, at once;
 *   mask/unmask at flow time, only when the chip's view changes.
 */
#include "core.h"

#include <errno.h>

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

/* Callbacks whose order must match the state changes they mirror. */
static inline bool chip_locks(const struct irq_chip *chip)
{
	return chip->irq_mask || chip->irq_unmask || chip->irq_enable || chip->irq_disable ||
	       chip->irq_startup || chip->irq_shutdown;
}

/* The chip's view: masked unless started and not soft-masked. */
static inline bool hw_masked(uint32_t s)
{
	return !(s & IRQS_STARTED) || (s & IRQS_MASKED);
}

static inline bool line_nested(struct irq_desc *desc)
{
	return atomic_load_explicit(&desc->status_flags, memory_order_relaxed) &
	       IRQ_NESTED_THREAD;
}

/*
 * Set `set` and clear `clr` in desc->state; `cond`, if not 0, must all be set
 * in the old state, else nothing changes (returns false). The caller holds
 * chip_lock if the chip locks. *old gets the state before the change.
 */
static bool state_change(struct irq_desc *desc, uint32_t set, uint32_t clr, uint32_t cond,
			 uint32_t *old)
{
	uint32_t s = atomic_load_explicit(&desc->state, memory_order_acquire);

	do {
		if ((s & cond) != cond)
			return false;
		/* acq_rel: orders with raisers' and owners' CAS on the same
		 * word (they latch on MASKED/DISABLED) */
	} while (!atomic_compare_exchange_weak_explicit(&desc->state, &s, (s | set) & ~clr,
							memory_order_acq_rel,
							memory_order_acquire));
	*old = s;
	if ((set | clr) & IRQS_BLOCKED)
		irqc__blocked_sync(desc);	/* raisers' copy */
	return true;
}

void irqc__chip_mask(struct irq_desc *desc)
{
	const struct irq_chip *chip = desc_chip(desc);
	uint32_t old;

	if (!chip_locks(chip)) {
		irqc__state_block(desc, IRQS_MASKED);
		return;
	}
	irqc__chip_lock(desc);
	state_change(desc, IRQS_MASKED, 0, 0, &old);
	if (!hw_masked(old) && chip->irq_mask)
		chip->irq_mask(&desc->irq_data);
	irqc__chip_unlock(desc);
}

/* Tell the chip that the line goes from s to ns (chip_lock held). */
static void chip_unblocked(const struct irq_chip *chip, struct irq_desc *desc, uint32_t s,
			   uint32_t ns, enum irqc_unblock how)
{
	struct irq_data *d = &desc->irq_data;

	if (hw_masked(ns))
		return;		/* still masked at the chip (ONESHOT threads) */
	if (how == IRQC_UNBLOCK_STARTUP && !(s & IRQS_STARTED) && chip->irq_startup)
		(void)chip->irq_startup(d);	/* the kernel ignores it here too */
	else if (how == IRQC_UNBLOCK_STARTUP && (s & IRQS_DISABLED || !(s & IRQS_STARTED)) &&
		 chip->irq_enable)
		chip->irq_enable(d);
	else if (hw_masked(s) && chip->irq_unmask)
		chip->irq_unmask(d);
}

/*
 * Clear `bits` (MASKED and/or DISABLED), telling the chip as `how` says. If
 * an event was latched meanwhile (PENDING) and the line may now run and
 * nobody owns it, the token moves to the line's CPU; a level line still
 * asserted refires. When a CPU owns the line (INPROGRESS), its releasing CAS
 * sees PENDING on a runnable line and replays inline. IRQC_UNBLOCK_STARTUP
 * also marks the line started (and tells the chip even if no bit changes).
 */
void irqc__line_unblock_how(struct irq_desc *desc, uint32_t bits, enum irqc_unblock how)
{
	const struct irq_chip *chip = desc_chip(desc);
	bool locks = chip_locks(chip);
	uint32_t s, ns, set = how == IRQC_UNBLOCK_STARTUP ? IRQS_STARTED : 0;
	bool replay = false, refire = false;
	bool nested = line_nested(desc);

	if (locks)
		irqc__chip_lock(desc);
	s = atomic_load_explicit(&desc->state, memory_order_acquire);
	do {
		/* decided anew on each try: a failed CAS may have been a
		 * concurrent unblock that took the latch */
		replay = refire = false;
		if (!(s & bits) && (s & set) == set)
			goto out;
		ns = (s & ~bits) | set;
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
		 * for the next handle_nested_irq, which replays it inline
		 * (enable_irq drops it first: see irqc__nested_drop_pending). */
		if (nested && (replay || refire)) {
			ns |= s & IRQS_PENDING;
			replay = refire = false;
		}
		/* acq_rel: pairs with raisers' and owners' CAS on the same word */
	} while (!atomic_compare_exchange_weak_explicit(&desc->state, &s, ns,
							memory_order_acq_rel,
							memory_order_acquire));
	irqc__blocked_sync(desc);	/* raisers' copy */
	if (locks)
		chip_unblocked(chip, desc, s, ns, how);
out:
	if (locks)
		irqc__chip_unlock(desc);
	if (replay || refire)
		irqc__route(desc, replay);
}

void irqc__line_unblock(struct irq_desc *desc, uint32_t bits)
{
	irqc__line_unblock_how(desc, bits, IRQC_UNBLOCK_UNMASK);
}

void irqc__chip_unmask(struct irq_desc *desc)
{
	irqc__line_unblock(desc, IRQS_MASKED);
}

/*
 * The first disable (desc->lock held): DISABLED now; the chip is told only if
 * it has irq_disable or the line is IRQ_DISABLE_UNLAZY (or unlazy is asked),
 * otherwise the next event masks it (irqc__disabled_event).
 */
void irqc__chip_disable(struct irq_desc *desc, bool unlazy)
{
	const struct irq_chip *chip = desc_chip(desc);
	bool locks = chip_locks(chip);
	uint32_t old, set = IRQS_DISABLED;

	unlazy |= (atomic_load_explicit(&desc->status_flags, memory_order_relaxed) &
		   IRQ_DISABLE_UNLAZY) != 0;
	if (chip->irq_disable || unlazy)
		set |= IRQS_MASKED;
	if (locks)
		irqc__chip_lock(desc);
	state_change(desc, set, 0, 0, &old);
	if (locks && !hw_masked(old) && (set & IRQS_MASKED)) {
		if (chip->irq_disable)
			chip->irq_disable(&desc->irq_data);
		else if (chip->irq_mask)
			chip->irq_mask(&desc->irq_data);
	}
	if (locks)
		irqc__chip_unlock(desc);
}

/* The line stops (desc->lock held): disabled, masked, no longer started. */
void irqc__chip_shutdown(struct irq_desc *desc)
{
	const struct irq_chip *chip = desc_chip(desc);
	bool locks = chip_locks(chip);
	uint32_t old;

	if (locks)
		irqc__chip_lock(desc);
	state_change(desc, IRQS_DISABLED | IRQS_MASKED, IRQS_STARTED, 0, &old);
	if (locks && (old & IRQS_STARTED)) {
		if (chip->irq_shutdown)
			chip->irq_shutdown(&desc->irq_data);
		else if (chip->irq_disable)
			chip->irq_disable(&desc->irq_data);
		else if (!hw_masked(old) && chip->irq_mask)
			chip->irq_mask(&desc->irq_data);
	}
	if (locks)
		irqc__chip_unlock(desc);
}

/*
 * An event latched on a disabled line that was not masked (latched_on: the
 * state before the latching CAS). Lazy disable: the line is masked now, at the chip
 * too, so the device stops signalling until enable_irq. A nested child is
 * not masked (its parent's thread latches its events; the kernel does not
 * mask either). A wake line armed by irqcore_suspend reports the wake-up.
 * Any context; chip_lock.
 */
void irqc__disabled_event(struct irq_desc *desc, uint32_t latched_on)
{
	const struct irq_chip *chip = desc_chip(desc);
	bool locks;
	uint32_t old;

	/* WAKE_ARMED in the state the latching CAS replaced: set by suspend
	 * before DISABLED, so an event that latched on the suspend sees it */
	if (latched_on & IRQS_WAKE_ARMED)
		irqc__pm_wakeup(desc);
	if (line_nested(desc))
		return;
	locks = chip_locks(chip);
	if (locks)
		irqc__chip_lock(desc);
	/* only while still disabled: an enable_irq that came first wins */
	if (state_change(desc, IRQS_MASKED, 0, IRQS_DISABLED, &old) && locks &&
	    !hw_masked(old) && chip->irq_mask)
		chip->irq_mask(&desc->irq_data);
	if (locks)
		irqc__chip_unlock(desc);
}

static void chip_call(struct irq_desc *desc, void (*cb)(struct irq_data *))
{
	irqc__chip_lock(desc);
	cb(&desc->irq_data);
	irqc__chip_unlock(desc);
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

/* ---- slow-bus chips ----
 *
 * irq_bus_lock/irq_bus_sync_unlock bracket every configuration call made
 * from process context or an irq thread (request, free, enable, disable,
 * set_type, set_affinity, set_wake, and the ONESHOT unmask at the end of a
 * thread's run), outside desc->lock, as the kernel's
 * chip_bus_lock does; never in IRQ context, where a slow bus cannot be
 * reached: changes made there (a hard handler's disable_irq_nosync) reach
 * the bus at the next sync_unlock. The chip is the one installed when the
 * lock was taken, so lock and unlock always pair. */
const struct irq_chip *irqc__bus_lock(struct irq_desc *desc)
{
	const struct irq_chip *chip = desc_chip(desc);

	if (!chip->irq_bus_lock || in_interrupt())
		return NULL;
	chip->irq_bus_lock(&desc->irq_data);
	return chip;
}

void irqc__bus_sync_unlock(struct irq_desc *desc, const struct irq_chip *chip)
{
	if (chip && chip->irq_bus_sync_unlock)
		chip->irq_bus_sync_unlock(&desc->irq_data);
}

/* ---- resources ---- */

int irqc__chip_request_resources(struct irq_desc *desc)
{
	const struct irq_chip *chip = desc_chip(desc);

	return chip->irq_request_resources ? chip->irq_request_resources(&desc->irq_data) : 0;
}

void irqc__chip_release_resources(struct irq_desc *desc)
{
	const struct irq_chip *chip = desc_chip(desc);

	if (chip->irq_release_resources)
		chip->irq_release_resources(&desc->irq_data);
}
