/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Requesting and freeing handlers, enabling and disabling lines,
 * synchronization: the process-context side (affinity: affinity/affinity.c).
 *
 * Locking rules
 * -------------
 *   desc->request_mutex   serializes request and free of one line; held
 *                         across free_irq's grace period and thread stop.
 *   desc->lock            depth, type, affinity and chain edits; never held
 *                         while waiting. Taken inside request_mutex.
 *   desc->chip_lock       chip callbacks; taken inside desc->lock.
 * A hard handler may take desc->lock (disable_irq_nosync, enable_irq) but
 * never request_mutex: request and free refuse to run in IRQ context, since
 * free_irq waits for the very read-side section the handler runs in.
 *
 * Readers (dispatchers) take none of these: the chain is published with
 * release stores and an unlinked action is freed after a grace period.
 */
#include "core.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static struct irq_desc *desc_of(struct irqaction *action)
{
	return irqc__desc_peek(action->irq);	/* materialized by the request */
}

static irqreturn_t irq_default_primary_handler(int irq, void *dev_id)
{
	(void)irq;
	(void)dev_id;
	return IRQ_WAKE_THREAD;
}

/*
 * R7, forced threading ("threadirqs"): the hard handler becomes the thread
 * function behind the default primary handler and the line turns ONESHOT. A
 * thread_fn given as well moves to a secondary action with its own thread,
 * woken when the forced primary thread returns IRQ_WAKE_THREAD.
 */
static int setup_forced_threading(struct irqaction *new)
{
	if (!(irqc.cfg.flags & IRQCORE_F_THREADIRQS))
		return 0;
	if (new->flags & (IRQF_NO_THREAD | IRQF_PERCPU | IRQF_ONESHOT))
		return 0;
	if (new->handler == irq_default_primary_handler)
		return 0;
	if (atomic_load(&desc_of(new)->status_flags) & IRQ_NOTHREAD)
		return 0;
	new->flags |= IRQF_ONESHOT;
	if (new->thread_fn) {
		struct irqaction *sec = calloc(1, sizeof(*sec));

		if (!sec)
			return -ENOMEM;
		sec->handler = irqc__forced_secondary;
		sec->thread_fn = new->thread_fn;
		sec->dev_id = new->dev_id;
		sec->irq = new->irq;
		sec->name = new->name;
		sec->flags = new->flags;
		new->secondary = sec;
	}
	new->thread_fn = new->handler;
	new->handler = irq_default_primary_handler;
	return 0;
}

/* ---- enable / disable ---- */

/* desc->lock held */
static void disable_locked(struct irq_desc *desc)
{
	unsigned int depth = atomic_load(&desc->depth);

	atomic_store(&desc->depth, depth + 1);
	if (depth == 0) {	/* lazy: not masked until an event arrives (E1) */
		irqc__chip_disable(desc, false);
		irqc__exp_publish(desc);
	}
}

/* desc->lock held */
static void enable_locked(struct irq_desc *desc)
{
	unsigned int depth = atomic_load(&desc->depth);

	/* the last level held by irqcore_suspend is resume's to undo */
	if (depth == 0 || (depth == 1 && desc->suspended)) {
		irqc_warn("Unbalanced enable for IRQ %u", desc->irq);
		return;
	}
	atomic_store(&desc->depth, depth - 1);
	if (depth == 1) {
		uint32_t unblock = IRQS_DISABLED | IRQS_MASKED;

		atomic_fetch_and(&desc->state, ~IRQS_SPURIOUS);
		/* G3: a ONESHOT line stays masked while a woken thread run
		 * is pending or running; the last finalize unmasks it */
		if (atomic_load_explicit(&desc->threads_oneshot, memory_order_acquire))
			unblock = IRQS_DISABLED;
		/* a nested child's event latched while disabled is not run
		 * again (E3: the kernel resends it to the parent) */
		irqc__nested_drop_pending(desc);
		/* E3: the kernel's irq_startup: a line never started starts */
		irqc__line_unblock_how(desc, unblock, IRQC_UNBLOCK_STARTUP);
		irqc__exp_publish(desc);
	}
}

void irqc__enable_locked(struct irq_desc *desc)
{
	enable_locked(desc);
}

/* No bus lock: the spurious detector's disable (hard context, or a nested
 * child's parent thread, which may hold the bus itself). */
void irqc__disable_nosync(struct irq_desc *desc)
{
	pthread_mutex_lock(&desc->lock);
	disable_locked(desc);
	pthread_mutex_unlock(&desc->lock);
}

/* The public calls: inside the chip's bus lock (process context). */
static void disable_nosync_bus(struct irq_desc *desc)
{
	const struct irq_chip *bus = irqc__bus_lock(desc);

	irqc__disable_nosync(desc);
	irqc__bus_sync_unlock(desc, bus);
}

static struct irq_desc *ctl_desc(unsigned int irq)
{
	if (!irqc__in_range(irq))
		return NULL;	/* E6: silent */
	return irqc__desc_get(irq);
}

void disable_irq_nosync(unsigned int irq)
{
	IRQC_API_GUARD_VOID();
	struct irq_desc *desc = ctl_desc(irq);

	if (desc)
		disable_nosync_bus(desc);
}

/* E5: waiting from a handler of the line (or any hard handler) would wait for
 * the caller itself. */
static bool must_not_wait(unsigned int irq, const char *what)
{
	if (!in_hardirq() && !irqc__in_line_context(irq))
		return false;
	irqc_warn("%s(%u) from IRQ context would wait for itself: not waiting", what, irq);
	return true;
}

void irqc__wait_hardirq(struct irq_desc *desc)
{
	unsigned int us = 1;

	/* a holder running the line on its bias (core/bias.c): revoked, and
	 * waited for; then the owners of the CAS protocol */
	irqc__bias_revoke(desc, true);

	/* seq_cst, an acquire at least: the handler's effects are visible once
	 * INPROGRESS clears (paired with the release CAS in line_release_or_keep); see
	 * free_irq for why seq_cst */
	while (atomic_load_explicit(&desc->state, memory_order_seq_cst) & IRQS_INPROGRESS)
		irqc__backoff_sleep(&us);
}

static bool threads_idle(struct irq_desc *desc)
{
	/* acquire: paired with the release decrement at a thread's end */
	return atomic_load_explicit(&desc->threads_active, memory_order_acquire) == 0;
}

bool synchronize_hardirq(unsigned int irq)
{
	IRQC_API_GUARD(true);
	struct irq_desc *desc;

	if (!irqc__in_range(irq) || !(desc = irqc__desc_peek(irq)))
		return true;
	if (must_not_wait(irq, "synchronize_hardirq"))
		return threads_idle(desc);
	irqc__wait_hardirq(desc);
	return threads_idle(desc);
}

/* No hard handler running and no thread of the line active (E4). */
static void wait_line_idle(struct irq_desc *desc)
{
	unsigned int us = 1;

	for (;;) {
		irqc__wait_hardirq(desc);
		if (threads_idle(desc))
			break;
		irqc__backoff_sleep(&us);
	}
}

void synchronize_irq(unsigned int irq)
{
	IRQC_API_GUARD_VOID();
	struct irq_desc *desc;

	if (!irqc__in_range(irq) || !(desc = irqc__desc_peek(irq)))
		return;
	if (must_not_wait(irq, "synchronize_irq"))
		return;
	wait_line_idle(desc);
}

void disable_irq(unsigned int irq)
{
	IRQC_API_GUARD_VOID();
	struct irq_desc *desc = ctl_desc(irq);

	if (!desc)
		return;
	disable_nosync_bus(desc);
	if (!must_not_wait(irq, "disable_irq"))
		synchronize_irq(irq);
}

bool disable_hardirq(unsigned int irq)
{
	IRQC_API_GUARD(false);
	struct irq_desc *desc = ctl_desc(irq);

	if (!desc)
		return false;
	disable_nosync_bus(desc);
	return synchronize_hardirq(irq);
}

void enable_irq(unsigned int irq)
{
	IRQC_API_GUARD_VOID();
	struct irq_desc *desc = ctl_desc(irq);
	const struct irq_chip *bus;

	if (!desc)
		return;
	bus = irqc__bus_lock(desc);
	pthread_mutex_lock(&desc->lock);
	enable_locked(desc);
	pthread_mutex_unlock(&desc->lock);
	irqc__bus_sync_unlock(desc, bus);
}

/* ---- requesting ---- */

static void mismatch(struct irq_desc *desc, struct irqaction *new, struct irqaction *old)
{
	if (!(new->flags & IRQF_PROBE_SHARED))
		irqc_err("Flags mismatch irq %u. %08x (%s) vs. %08x (%s)", desc->irq,
			 (unsigned int)new->flags, new->name ? new->name : "",
			 (unsigned int)old->flags, old->name ? old->name : "");
}

/* First action on a line (R6). desc->lock held. */
static int first_action_locked(struct irq_desc *desc, struct irqaction *new)
{
	uint32_t trig = (uint32_t)(new->flags & IRQF_TRIGGER_MASK);
	int ret;

	if (trig) {
		ret = irqc__set_type_locked(desc, trig);
		if (ret)
			return ret;
		desc->trigger_set = true;
	}
	irqc__spurious_reset(desc);
	atomic_store(&desc->threads_oneshot, 0);
	if (new->flags & IRQF_ONESHOT)
		atomic_fetch_or(&desc->state, IRQS_ONESHOT);
	else
		atomic_fetch_and(&desc->state, ~IRQS_ONESHOT);
	if (new->flags & IRQF_NOBALANCING)
		atomic_fetch_or(&desc->status_flags, IRQ_NO_BALANCING);
	if (new->flags & IRQF_PERCPU)
		atomic_fetch_or(&desc->status_flags, IRQ_PER_CPU);
	return 0;
}

/* Sharing checks (R3, R5). desc->lock held. Returns the tail link. */
static int share_locked(struct irq_desc *desc, struct irqaction *new, struct irqaction *old,
			unsigned long *thread_mask)
{
	unsigned long oldtype;

	/* R3: a line whose type nobody set takes the newcomer's, recorded
	 * only (the chip is not called during the share check), and from then
	 * on counts as set: a later sharer naming another type is refused. */
	if (desc->trigger_set) {
		oldtype = atomic_load(&desc->trigger);
	} else {
		oldtype = new->flags & IRQF_TRIGGER_MASK;
		irqc__record_type_locked(desc, (unsigned int)oldtype);
	}
	if (!((old->flags & new->flags) & IRQF_SHARED) ||
	    oldtype != (new->flags & IRQF_TRIGGER_MASK))
		goto bad;
	if ((old->flags & IRQF_ONESHOT) && (new->flags & IRQF_COND_ONESHOT))
		new->flags |= IRQF_ONESHOT;
	else if ((old->flags ^ new->flags) & IRQF_ONESHOT)
		goto bad;
	if ((old->flags & IRQF_PERCPU) != (new->flags & IRQF_PERCPU))
		goto bad;
	for (struct irqaction *a = old; a; a = atomic_load(&a->next))
		*thread_mask |= a->thread_mask;
	return 0;
bad:
	mismatch(desc, new, old);
	return -EBUSY;
}

static int setup_irq(struct irq_desc *desc, struct irqaction *new, bool nested)
{
	struct irqaction *old, *_Atomic *link;
	const struct irq_chip *bus;
	unsigned long thread_mask = 0;
	bool shared, resources = false;
	int ret;

	/* A caller that names no trigger takes the line's. */
	if (!(new->flags & IRQF_TRIGGER_MASK))
		new->flags |= atomic_load(&desc->trigger) & IRQF_TRIGGER_MASK;

	if (new->thread_fn && !nested) {
		ret = irqc__thread_setup(desc, new);
		if (ret)
			return ret;
	}

	pthread_mutex_lock(&desc->request_mutex);
	bus = irqc__bus_lock(desc);
	/* the first action asks the chip for its resources (may sleep) */
	if (!atomic_load(&desc->action)) {
		ret = irqc__chip_request_resources(desc);
		if (ret) {
			irqc_err("Failed to request resources for %s (irq %u) on irqchip %s",
				 new->name ? new->name : "", desc->irq,
				 atomic_load(&desc->chip)->name);
			goto fail_bus;
		}
		resources = true;
	}
	pthread_mutex_lock(&desc->lock);
	old = atomic_load(&desc->action);
	shared = old != NULL;
	if (shared) {
		ret = share_locked(desc, new, old, &thread_mask);
		if (ret)
			goto fail;
	}
	if (new->flags & IRQF_ONESHOT) {
		if (thread_mask == ~0ul) {
			ret = -EBUSY;
			goto fail;
		}
		new->thread_mask = 1ul << __builtin_ctzl(~thread_mask);
	}
	if (!shared) {
		ret = first_action_locked(desc, new);
		if (ret)
			goto fail;
	}
	/* R6: the spurious window restarts with every new action */
	atomic_store(&desc->irq_count, 0);
	atomic_store(&desc->irqs_unhandled, 0);
	if (new->flags & IRQF_NO_DEBUG)
		atomic_fetch_or(&desc->status_flags, IRQC_NO_DEBUG);

	if (!shared) {
		/* its mask (the default one unless set), the least loaded
		 * online CPU of it, counted there (A7) */
		irqc__place_line(desc);
	}
	for (link = &desc->action; (old = atomic_load(link)); link = &old->next)
		;
	/* release: the action is fully built before a dispatcher can load it
	 * (paired with the acquire loads in walk_chain) */
	atomic_store_explicit(link, new, memory_order_release);
	atomic_fetch_add(&desc->nr_actions, 1);

	if (!shared) {
		if ((new->flags & IRQF_NO_AUTOEN) ||
		    (atomic_load(&desc->status_flags) & IRQ_NOAUTOEN)) {
			atomic_store(&desc->depth, 1);
			irqc__state_block(desc, IRQS_DISABLED);
		} else {
			atomic_store(&desc->depth, 0);
			/* R6: the chip starts the line (irq_startup, ...) */
			irqc__line_unblock_how(desc, IRQS_DISABLED | IRQS_MASKED,
					       IRQC_UNBLOCK_STARTUP);
		}
	} else if (atomic_load(&desc->state) & IRQS_SPURIOUS) {
		/* R6: a newcomer may be the handler the line was missing */
		atomic_fetch_and(&desc->state, ~IRQS_SPURIOUS);
		enable_locked(desc);
	}
	irqc__exp_publish(desc);
	pthread_mutex_unlock(&desc->lock);
	irqc__bus_sync_unlock(desc, bus);
	pthread_mutex_unlock(&desc->request_mutex);
	return 0;

fail:
	pthread_mutex_unlock(&desc->lock);
	if (resources)
		irqc__chip_release_resources(desc);
fail_bus:
	irqc__bus_sync_unlock(desc, bus);
	pthread_mutex_unlock(&desc->request_mutex);
	irqc__thread_stop(new);		/* no-op without a thread */
	return ret;
}

int request_threaded_irq(unsigned int irq, irq_handler_t handler, irq_handler_t thread_fn,
			 unsigned long flags, const char *name, void *dev_id)
{
	struct irqaction *action;
	struct irq_desc *desc;
	bool nested;
	int ret;

	IRQC_API_GUARD(-ENODEV);
	/* R1, in order */
	if (!irqc__in_range(irq))
		return -EINVAL;
	if ((flags & IRQF_SHARED) && !dev_id)
		return -EINVAL;
	if ((flags & IRQF_SHARED) && (flags & IRQF_NO_AUTOEN))
		return -EINVAL;
	if ((flags & IRQF_COND_SUSPEND) &&
	    (!(flags & IRQF_SHARED) || (flags & IRQF_NO_SUSPEND)))
		return -EINVAL;
	if (!handler && !thread_fn)
		return -EINVAL;
	if (in_interrupt()) {
		irqc_warn("request_irq(%u) from IRQ context refused", irq);
		return -EPERM;
	}
	/* G5: a free_irq of this line holds request_mutex while it waits for
	 * the line's threads, the caller among them */
	if (irqc__in_line_context(irq)) {
		irqc_warn("request_irq(%u) from a thread of the line would wait for itself: refused",
			  irq);
		return -EDEADLK;
	}
	desc = irqc__desc_get(irq);
	action = desc ? calloc(1, sizeof(*action)) : NULL;
	if (!action)
		return -ENOMEM;
	/* a per-CPU-devid line needs request_percpu_irq, which irqcore lacks */
	if (atomic_load(&desc->status_flags) & (IRQ_NOREQUEST | IRQ_PER_CPU_DEVID)) {
		ret = -EINVAL;
		goto out_free;
	}
	nested = atomic_load(&desc->status_flags) & IRQ_NESTED_THREAD;
	if (nested) {
		/* R8: the child's thread_fn runs in its parent's thread */
		if (!thread_fn) {
			ret = -EINVAL;
			goto out_free;
		}
		handler = irqc__nested_primary;
	} else if (!handler) {
		/* R2; a ONESHOT-safe chip needs no masking while threads run */
		if (!(flags & IRQF_ONESHOT) &&
		    !(atomic_load(&desc->chip)->flags & IRQCHIP_ONESHOT_SAFE)) {
			irqc_err("Threaded irq requested with handler=NULL and !ONESHOT for %s (irq %u)",
				 name ? name : "", irq);
			ret = -EINVAL;
			goto out_free;
		}
		handler = irq_default_primary_handler;
	}
	action->handler = handler;
	action->thread_fn = thread_fn;
	action->flags = flags;
	action->name = name;
	action->dev_id = dev_id;
	action->irq = irq;
	if (!nested) {
		ret = setup_forced_threading(action);
		if (ret)
			goto out_free;
	}
	/* the chip masks nothing between the event and the thread's end */
	if (atomic_load(&desc->chip)->flags & IRQCHIP_ONESHOT_SAFE)
		action->flags &= ~(unsigned long)IRQF_ONESHOT;
	ret = setup_irq(desc, action, nested);
	if (!ret)
		return 0;
out_free:
	free(action->secondary);
	free(action);
	return ret;
}

int request_irq(unsigned int irq, irq_handler_t handler, unsigned long flags,
		const char *name, void *dev_id)
{
	return request_threaded_irq(irq, handler, NULL, flags | IRQF_COND_ONESHOT, name, dev_id);
}

int request_any_context_irq(unsigned int irq, irq_handler_t handler, unsigned long flags,
			    const char *name, void *dev_id)
{
	struct irq_desc *desc;
	int ret;

	IRQC_API_GUARD(-ENODEV);
	ret = irqc__desc_lookup(irq, &desc);
	if (ret)
		return ret;
	if (atomic_load(&desc->status_flags) & IRQ_NESTED_THREAD) {
		ret = request_threaded_irq(irq, NULL, handler, flags, name, dev_id);
		return ret ? ret : IRQC_IS_NESTED;
	}
	ret = request_irq(irq, handler, flags, name, dev_id);
	return ret ? ret : IRQC_IS_HARDIRQ;
}

/* ---- freeing ---- */

/* The last action is gone: the line is shut down (F2). desc->lock held. */
static void shutdown_locked(struct irq_desc *desc)
{
	atomic_store(&desc->depth, atomic_load(&desc->depth) + 1);
	irqc__chip_shutdown(desc);	/* irq_shutdown, else irq_disable, else irq_mask */
	atomic_fetch_and(&desc->state, ~IRQS_ONESHOT);
	/* as the kernel: DISABLE_UNLAZY belongs to the driver that set it */
	atomic_fetch_and(&desc->status_flags, ~(IRQC_NO_DEBUG | IRQ_NO_BALANCING | IRQ_PER_CPU |
						IRQ_DISABLE_UNLAZY));
	irqc__unplace_line(desc);
	desc->trigger_set = false;
	/* a line freed while suspended: resume has nothing to undo */
	desc->suspended = false;
	atomic_fetch_and(&desc->state, ~IRQS_WAKE_ARMED);	/* seq_cst RMW: as the others */
}

static const void *free_one(unsigned int irq, void *dev_id)
{
	struct irqaction *action, *_Atomic *link;
	const struct irq_chip *bus;
	struct irq_desc *desc;
	const char *name;
	bool no_debug = false, last;

	if (!irqc__in_range(irq)) {
		irqc_warn("Trying to free already-free IRQ %u", irq);
		return NULL;
	}
	if (irqc__in_handler_context()) {
		irqc_warn("Trying to free IRQ %u from IRQ context!", irq);
		return NULL;
	}
	desc = irqc__desc_peek(irq);
	if (!desc) {
		irqc_warn("Trying to free already-free IRQ %u", irq);
		return NULL;
	}
	pthread_mutex_lock(&desc->request_mutex);
	bus = irqc__bus_lock(desc);
	pthread_mutex_lock(&desc->lock);
	for (link = &desc->action; (action = atomic_load(link)); link = &action->next)
		if (action->dev_id == dev_id)
			break;
	if (!action) {
		pthread_mutex_unlock(&desc->lock);
		irqc__bus_sync_unlock(desc, bus);
		pthread_mutex_unlock(&desc->request_mutex);
		irqc_warn("Trying to free already-free IRQ %u", irq);
		return NULL;
	}
	/*
	 * The last action: the line is shut down before the action is
	 * unlinked. The kernel's flow runs under desc->lock, held here across
	 * both steps; irqcore's flow takes no lock, so the order does it: a
	 * flow that finds the chain empty finds the line disabled too (the
	 * shutdown's seq_cst CAS on the state precedes the unlink store,
	 * whose release pairs with the flow's acquire load of the chain), and
	 * latches its event as on any disabled line (E1, flow.c) instead of
	 * reporting a line without a handler (D9).
	 */
	last = atomic_load(&desc->action) == action && !atomic_load(&action->next);
	if (last) {
		shutdown_locked(desc);
		IRQC_DEBUG_POINT(IRQC_DBG_FREE_LAST, irq);
	}
	/* seq_cst (a release would do for hard handlers, which the grace
	 * period covers): readers that still see `action` may follow its next,
	 * valid until the grace period below. Nested children run outside
	 * read-side sections, under INPROGRESS: with this store, the seq_cst load
	 * in irqc__wait_hardirq and the owner's seq_cst CAS and chain load, an
	 * owner that takes the line after our wait sees the action unlinked. */
	atomic_store_explicit(link, atomic_load(&action->next), memory_order_seq_cst);
	atomic_fetch_sub(&desc->nr_actions, 1);
	for (struct irqaction *a = atomic_load(&desc->action); a; a = atomic_load(&a->next))
		no_debug |= (a->flags & IRQF_NO_DEBUG) != 0;
	if (!no_debug)
		atomic_fetch_and(&desc->status_flags, ~IRQC_NO_DEBUG);
	irqc__exp_publish(desc);
	pthread_mutex_unlock(&desc->lock);
	irqc__bus_sync_unlock(desc, bus);

	/* No section that could see the action is left: the handler is done
	 * and will not run again. Then its thread gets a last run and stops. */
	IRQC_DEBUG_POINT(IRQC_DBG_FREE, irq);
	irqc__synchronize_rcu();
	wait_line_idle(desc);		/* no thread of the line active (F2) */
	irqc__thread_stop(action);	/* a pending run runs once more */
	if (last) {
		bus = irqc__bus_lock(desc);
		irqc__chip_release_resources(desc);
		irqc__bus_sync_unlock(desc, bus);
	}
	pthread_mutex_unlock(&desc->request_mutex);

	name = action->name;
	free(action);
	return name;
}

static const void *free_not_running(unsigned int irq)
{
	irqc__log_down("Trying to free already-free IRQ %u", irq);	/* F1 */
	return NULL;
}

const void *free_irq(unsigned int irq, void *dev_id)
{
	IRQC_API_GUARD(free_not_running(irq));
	return free_one(irq, dev_id);
}

void irqc__release_leftovers(void)
{
	struct irq_desc *desc;

	irqc_for_each_desc(desc, it) {
		struct irqaction *a;

		while ((a = atomic_load(&desc->action))) {
			irqc_warn("irqcore_shutdown: IRQ %u action %s still requested, freeing it",
				  desc->irq, a->name ? a->name : "");
			free_one(desc->irq, a->dev_id);
		}
	}
}
