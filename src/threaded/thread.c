/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Threaded handlers: one thread per action with a thread_fn, named
 * "irq/<N>-<name>", woken by the hard path (IRQ_WAKE_THREAD).
 *
 * Wake-up protocol
 * ----------------
 * The waker accounts the run first (threads_oneshot |= thread_mask,
 * threads_active++), then sets RUNTHREAD; if RUNTHREAD was already set the
 * wake-ups coalesce and the accounting is taken back (D3). Then it bumps the
 * thread's event count (ck_ec), which makes a futex call only when the thread
 * announced that it sleeps. The thread reads the event count before it looks
 * at RUNTHREAD and sleeps only if the count did not move, so a wake-up that
 * comes after its look is never lost. Accounting before RUNTHREAD means the
 * thread can never finish (and decrement) a run that was not yet counted.
 */
#include "threaded.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* t->flags */
#define IRQTF_RUNTHREAD	0x1u
#define IRQTF_STOP	0x2u

static void thread_name(char buf[16], unsigned int irq, const char *sep, const char *name)
{
	/* the kernel's comm is 15 characters: longer names are cut */
	snprintf(buf, 16, "irq/%u-%s%s", irq, sep, name ? name : "");
}

/*
 * Take the line as a flow would (INPROGRESS) while holding desc->lock, so
 * that no flow, no other finalize and no irq_wake_thread runs while we
 * decide (G3): a flow that comes meanwhile latches its event as PENDING,
 * which irqc__line_release_or_keep hands to the line's CPU. Never waits while
 * holding desc->lock (a hard handler may take it): if the line is busy, let
 * go and wait for its owner, then try again.
 */
/* Take the line with desc->lock held; false if the line is busy (desc->lock
 * still held then). */
static bool try_take_line_locked(struct irq_desc *desc)
{
	pthread_mutex_lock(&desc->lock);
	return irqc__line_try_take(desc);
}

static void take_line_locked(struct irq_desc *desc)
{
	while (!try_take_line_locked(desc)) {
		pthread_mutex_unlock(&desc->lock);
		irqc__wait_hardirq(desc);	/* never wait holding desc->lock */
	}
}

static void give_line_unlock(struct irq_desc *desc)
{
	irqc__line_release_or_keep(desc, false);	/* latched events go to the CPU */
	pthread_mutex_unlock(&desc->lock);
}

/*
 * D5: the run is over; unmask a ONESHOT line when the last woken thread of
 * the line is done (and it is not disabled). With the line taken (above):
 * keep the bit if a wake-up is pending (its run keeps the line masked),
 * else clear it, and if no bit is left, unmask. Nothing can set a bit or
 * run a hard handler of the line between our look at RUNTHREAD and the
 * unmask: hard handlers run only in flows, and flows wait for the line.
 */
static void finalize_oneshot(struct irq_desc *desc, struct irqaction *action)
{
	struct irqc_thread *t = action->thread;
	const struct irq_chip *bus;

	if (!action->thread_mask)
		return;
	/* a slow-bus chip's unmask reaches the bus at the sync_unlock (C2);
	 * nobody waits for this thread while holding the bus lock */
	bus = irqc__bus_lock(desc);
	take_line_locked(desc);
	IRQC_DEBUG_POINT(IRQC_DBG_FINALIZE, desc->irq);
	/* acquire: paired with the waker's fetch_or of RUNTHREAD */
	if (!(atomic_load_explicit(&t->flags, memory_order_acquire) & IRQTF_RUNTHREAD)) {
		/* acq_rel: paired with the waker's OR of the same bit */
		unsigned long left = atomic_fetch_and_explicit(&desc->threads_oneshot,
							       ~action->thread_mask,
							       memory_order_acq_rel) &
				     ~action->thread_mask;

		if (!left && !(atomic_load_explicit(&desc->state, memory_order_acquire) &
			       IRQS_DISABLED))
			irqc__chip_unmask(desc);
	}
	give_line_unlock(desc);
	irqc__bus_sync_unlock(desc, bus);
}

static void run_once(struct irqc_thread *t)
{
	struct irqaction *action = t->action;
	struct irq_desc *desc = t->desc;
	irqreturn_t ret;
	uint64_t t0;

	irqc__thread_apply_affinity(t);
	t0 = irqc__mono_ns();		/* threads are not the hard path */
	ret = action->thread_fn((int)action->irq, action->dev_id);
	irqc__exp_thread_time(action->irq, irqc__mono_ns() - t0);
	if (ret == IRQ_HANDLED)		/* S2: judged at the next event */
		atomic_fetch_add_explicit(&desc->threads_handled, 1, memory_order_relaxed);
	else if (ret == IRQ_WAKE_THREAD && action->secondary)
		irqc__thread_wake(desc, action->secondary);
	finalize_oneshot(desc, action);
	/* release: the run's effects before synchronize_irq/quiesce see the
	 * count drop (paired with their acquire loads) */
	atomic_fetch_sub_explicit(&desc->threads_active, 1, memory_order_release);
	atomic_fetch_sub_explicit(&irqc.threads_active, 1, memory_order_release);
}

/* Sleep until the event count moves from v. With the adaptive or spinning
 * idle policies the thread first spins for the spin budget, so a wake-up that
 * comes soon after a run costs no system call on either side. */
static void wait_for_wake(struct irqc_thread *t, uint32_t v)
{
	if (irqc.cfg.idle != IRQCORE_IDLE_SLEEP) {
		uint64_t start = irqc__mono_ns();

		do {
			for (int i = 0; i < 64; i++) {
				/* acquire: as ck_ec_value */
				if (ck_ec_value(&t->ec) != v)
					return;
				irqc__cpu_relax();
			}
		} while (irqc__mono_ns() - start < irqc.cfg.spin_budget_ns);
	}
	ck_ec_wait(&t->ec, &irqc.ec_mode, v, NULL);
}

static void *irq_thread_main(void *arg)
{
	struct irqc_thread *t = arg;

	pthread_setname_np(pthread_self(), t->name);
	irqc_ctx.thread_irq = (int)t->action->irq;
	irqc__thread_sched_init(t);
	for (;;) {
		/* acquire (ck_ec_value): read before RUNTHREAD, see above */
		uint32_t v = ck_ec_value(&t->ec);
		uint32_t f = atomic_load_explicit(&t->flags, memory_order_acquire);

		if (f & IRQTF_RUNTHREAD) {
			/* acq_rel: paired with the waker's fetch_or */
			atomic_fetch_and_explicit(&t->flags, ~IRQTF_RUNTHREAD,
						  memory_order_acq_rel);
			run_once(t);
			continue;	/* D4: set again meanwhile? run again */
		}
		if (f & IRQTF_STOP)
			break;		/* a pending run was done above (F2) */
		wait_for_wake(t, v);
	}
	return NULL;
}

void irqc__thread_wake(struct irq_desc *desc, struct irqaction *action)
{
	struct irqc_thread *t = action->thread;

	if (!t)
		return;
	IRQC_DEBUG_POINT(IRQC_DBG_THREAD_WAKE, desc->irq);
	/* Coalesce when a run is already pending: an RMW that changes
	 * nothing, but whose release the thread's acquire clear of RUNTHREAD
	 * reads, so that what the hard handler wrote happens before the run
	 * that covers this wake-up (G4). A plain load would not order it. */
	if (atomic_fetch_or_explicit(&t->flags, 0, memory_order_release) & IRQTF_RUNTHREAD)
		return;
	/* account first (see the protocol above); no RMW for a mask of 0 */
	if (action->thread_mask)
		atomic_fetch_or_explicit(&desc->threads_oneshot, action->thread_mask,
					 memory_order_acq_rel);
	atomic_fetch_add_explicit(&desc->threads_active, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&irqc.threads_active, 1, memory_order_relaxed);
	/* acq_rel: publishes the accounting to the thread that clears it */
	if (atomic_fetch_or_explicit(&t->flags, IRQTF_RUNTHREAD, memory_order_acq_rel) &
	    IRQTF_RUNTHREAD) {
		/* lost the race with another waker: its run covers ours; the
		 * ONESHOT bit is the action's own and stays for that run */
		atomic_fetch_sub_explicit(&desc->threads_active, 1, memory_order_relaxed);
		atomic_fetch_sub_explicit(&irqc.threads_active, 1, memory_order_relaxed);
		return;
	}
	ck_ec_inc(&t->ec, &irqc.ec_mode);	/* futex only if it sleeps */
}

static int start_thread(struct irq_desc *desc, struct irqaction *action, const char *sep)
{
	struct irqc_thread *t = calloc(1, sizeof(*t));
	int ret;

	if (!t)
		return -ENOMEM;
	t->desc = desc;
	t->action = action;
	t->cpu = -1;
	ck_ec_init(&t->ec, 0);
	thread_name(t->name, action->irq, sep, action->name);
	ret = pthread_create(&t->tid, NULL, irq_thread_main, t);
	if (ret) {
		free(t);
		irqc_err("irq %u: cannot start thread for %s: %s", action->irq,
			 action->name ? action->name : "", strerror(ret));
		return -ret;
	}
	/* named before the request returns, as the kernel's kthreads are
	 * (the thread names itself too, for the window before this) */
	pthread_setname_np(t->tid, t->name);
	action->thread = t;
	return 0;
}

int irqc__thread_setup(struct irq_desc *desc, struct irqaction *action)
{
	int ret = start_thread(desc, action, "");

	if (ret || !action->secondary)
		return ret;
	ret = start_thread(desc, action->secondary, "s-");
	if (ret)
		irqc__thread_stop(action);
	return ret;
}

static void stop_one(struct irqaction *action)
{
	struct irqc_thread *t = action->thread;

	if (!t)
		return;
	/* release: paired with the thread's acquire load of its flags */
	atomic_fetch_or_explicit(&t->flags, IRQTF_STOP, memory_order_acq_rel);
	ck_ec_inc(&t->ec, &irqc.ec_mode);
	pthread_join(t->tid, NULL);
	action->thread = NULL;
	free(t);
}

irqreturn_t irqc__forced_secondary(int irq, void *dev_id)
{
	(void)dev_id;
	irqc_warn("Secondary action handler called for irq %d", irq);
	return IRQ_NONE;
}

void irqc__thread_stop(struct irqaction *action)
{
	stop_one(action);
	if (action->secondary) {
		stop_one(action->secondary);
		free(action->secondary);
		action->secondary = NULL;
	}
}

/* ---- process-context API ---- */

void irq_wake_thread(unsigned int irq, void *dev_id)
{
	IRQC_API_GUARD_VOID();
	struct irq_desc *desc;
	bool owner;

	if (!irqc__in_range(irq) || !(desc = irqc__desc_peek(irq)))
		return;
	/* As finalize: with the line taken, so that a flow's or a finalize's
	 * decision to unmask cannot miss the bit this wake-up sets (G3); from
	 * the line's own hard handler we own it already. desc->lock keeps the
	 * action found on the chain from being freed (free_irq unlinks under
	 * it before it waits). */
	owner = irqc__runs_line(irq);
	if (owner) {
		pthread_mutex_lock(&desc->lock);
	} else if (irqc_ctx.nr_running) {
		/* From another line's flow we may not wait for this line: two
		 * handlers waking each other's lines would wait for each
		 * other. If the line is busy, wake under desc->lock alone (a
		 * flow of the line running right now may then unmask a
		 * ONESHOT line with this run pending: documented in G3). */
		owner = !try_take_line_locked(desc);
	} else {
		take_line_locked(desc);
	}
	for (struct irqaction *a = atomic_load(&desc->action); a; a = atomic_load(&a->next)) {
		if (a->dev_id == dev_id) {
			if (a->thread)
				irqc__thread_wake(desc, a);
			break;
		}
	}
	if (owner)
		pthread_mutex_unlock(&desc->lock);
	else
		give_line_unlock(desc);
}

int irq_set_thread_priority(unsigned int irq, int prio)
{
	struct irq_desc *desc;
	int ret = 0;

	IRQC_API_GUARD(-ENODEV);
	if (!irqc__in_range(irq) || prio < 0 || prio > 99)
		return -EINVAL;
	desc = irqc__desc_get(irq);
	if (!desc)
		return -ENOMEM;
	/* desc->lock, never held while waiting, not request_mutex, which
	 * free_irq holds while it waits for this line's threads: a thread
	 * of the line may call this (G5) */
	pthread_mutex_lock(&desc->lock);
	for (struct irqaction *a = atomic_load(&desc->action); a && !ret; a = atomic_load(&a->next)) {
		if (a->thread)
			ret = irqc__thread_set_prio(a->thread, prio);
		if (!ret && a->secondary && a->secondary->thread)
			ret = irqc__thread_set_prio(a->secondary->thread, prio);
	}
	if (!ret) {
		atomic_store(&desc->thread_prio, prio);
		irqc__exp_publish(desc);
	}
	pthread_mutex_unlock(&desc->lock);
	return ret;
}

int irq_set_thread_affinity(unsigned int irq, void *dev_id, const cpu_set_t *mask)
{
	struct irq_desc *desc;
	struct irqaction *a;
	int ret = -ENOENT;

	IRQC_API_GUARD(-ENODEV);
	if (!irqc__in_range(irq))
		return -EINVAL;
	if (mask) {
		bool any = false;

		for (unsigned int c = 0; c < irqc.nr_cpus; c++)
			any |= CPU_ISSET(c, mask);
		if (!any)
			return -EINVAL;
	}
	if (!(desc = irqc__desc_peek(irq)))
		return -ENOENT;
	pthread_mutex_lock(&desc->lock);	/* not request_mutex: see above */
	for (a = atomic_load(&desc->action); a; a = atomic_load(&a->next))
		if (a->dev_id == dev_id)
			break;
	if (a && a->thread) {
		struct irqc_thread *t = a->thread;

		if (mask) {
			ret = irqc__topo_bind_thread(t->tid, mask);
			if (!ret)
				atomic_store(&t->affinity_set, true);
		} else {
			ret = 0;
			atomic_store(&t->affinity_set, false);
			atomic_fetch_add(&t->reapply, 1);	/* follow the line again */
		}
	} else if (a) {
		ret = -EINVAL;		/* no thread */
	}
	pthread_mutex_unlock(&desc->lock);
	return ret;
}
