/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Spurious-interrupt detection ("nobody cared"), misrouted-IRQ polling and
 * the poller of spurious-disabled lines (SEMANTICS S1-S5).
 *
 * The window (irq_count, irqs_unhandled, last_unhandled) is written only by
 * the CPU that owns the line (INPROGRESS), so plain relaxed loads and stores
 * suffice; irq_get_status reads them racily, as /proc/irq/N/spurious does.
 */
#include "core.h"

#include <dlfcn.h>
#include <errno.h>
#include <string.h>
#include <time.h>

#define SPURIOUS_WINDOW		100000u
#define SPURIOUS_LIMIT		99900u
#define UNHANDLED_RESET_NS	100000000ull	/* 100 ms */
#define POLL_INTERVAL_NS	100000000ull	/* 100 ms */

_Atomic int irqc_bogus_reports_left = 100;

#define LD(p)		atomic_load_explicit((p), memory_order_relaxed)
#define ST(p, v)	atomic_store_explicit((p), (v), memory_order_relaxed)

static const char *symbol_of(const void *fn, char *buf, size_t len)
{
	Dl_info info;

	if (dladdr(fn, &info) && info.dli_sname)
		return info.dli_sname;
	snprintf(buf, len, "%p", fn);
	return buf;
}

/* The handler list after a report: each action, its handler's symbol where
 * the dynamic symbol table has it, and its thread function. */
static void report_handlers(struct irq_desc *desc)
{
	irqc__log(IRQCORE_LOG_ERR, "handlers:");
	for (struct irqaction *a = atomic_load_explicit(&desc->action, memory_order_acquire); a;
	     a = atomic_load_explicit(&a->next, memory_order_acquire)) {
		char b1[32], b2[32];

		if (a->thread_fn)
			irqc__log(IRQCORE_LOG_ERR, "[<%p>] %s (%s) threaded [<%p>] %s",
				  (void *)a->handler, symbol_of((void *)a->handler, b1, sizeof(b1)),
				  a->name ? a->name : "", (void *)a->thread_fn,
				  symbol_of((void *)a->thread_fn, b2, sizeof(b2)));
		else
			irqc__log(IRQCORE_LOG_ERR, "[<%p>] %s (%s)", (void *)a->handler,
				  symbol_of((void *)a->handler, b1, sizeof(b1)),
				  a->name ? a->name : "");
	}
}

void irqc__spurious_reset(struct irq_desc *desc)
{
	ST(&desc->irq_count, 0);
	ST(&desc->irqs_unhandled, 0);
	ST(&desc->last_unhandled, 0);
	ST(&desc->threads_handled_last, 0);
	atomic_fetch_and(&desc->state, ~IRQS_SPURIOUS);
}

/* ---- misrouted IRQs (S4) ---- */

static _Atomic int misrouted_active;

static bool poll_one(struct irq_desc *desc, bool force)
{
	unsigned int st = atomic_load(&desc->status_flags);
	struct irqaction *first;

	if (st & (IRQ_PER_CPU | IRQ_NESTED_THREAD | IRQ_IS_POLLED))
		return false;
	if (!force && (atomic_load(&desc->state) & IRQS_DISABLED))
		return false;
	first = atomic_load_explicit(&desc->action, memory_order_acquire);
	if (!first)
		return false;
	/* All actions of a line agree on SHARED: the first tells. The poller
	 * of a spurious-disabled line polls it whether shared or not. */
	if (!force && (!(first->flags & IRQF_SHARED) || (first->flags & __IRQF_TIMER)))
		return false;
	return irqc__try_run_line(desc);
}

/* Poll every other line's handlers; true if one of them handled. */
static bool misrouted_irq(unsigned int irq)
{
	struct irq_desc *desc;
	bool ok = false;

	/* one poller at a time (acq_rel: the flag is only a guard) */
	if (atomic_fetch_add_explicit(&misrouted_active, 1, memory_order_acq_rel) != 0)
		goto out;
	irqc_for_each_desc(desc, it)
		if (desc->irq != irq && atomic_load(&desc->nr_actions))
			ok |= poll_one(desc, false);
out:
	atomic_fetch_sub_explicit(&misrouted_active, 1, memory_order_acq_rel);
	return ok;
}

static bool try_misrouted(struct irq_desc *desc, irqreturn_t ret)
{
	struct irqaction *first;

	if (irqc.cfg.flags & IRQCORE_F_IRQFIXUP)
		return ret == IRQ_NONE;
	if (!(irqc.cfg.flags & IRQCORE_F_IRQPOLL))
		return false;
	if (ret == IRQ_NONE)
		return true;
	first = atomic_load_explicit(&desc->action, memory_order_acquire);
	return desc->irq == 0 || (first && (first->flags & IRQF_IRQPOLL));
}

/* ---- the poller of spurious-disabled lines (S5) ---- */

static void poll_spurious_lines(void)
{
	struct irq_desc *desc;

	(void)irqc__rcu_enter();	/* the poller is joined before any free */
	irqc_for_each_desc(desc, it)
		if (atomic_load(&desc->state) & IRQS_SPURIOUS)
			poll_one(desc, true);
	irqc__rcu_exit();
}

static void *poller_main(void *arg)
{
	(void)arg;
	pthread_setname_np(pthread_self(), "irqcore/poll");
	pthread_mutex_lock(&irqc.poll_lock);
	while (!atomic_load(&irqc.stop)) {
		struct timespec ts;
		uint64_t at = irqc__mono_ns() + POLL_INTERVAL_NS;

		ts.tv_sec = (time_t)(at / 1000000000ull);
		ts.tv_nsec = (long)(at % 1000000000ull);
		pthread_cond_timedwait(&irqc.poll_cond, &irqc.poll_lock, &ts);
		if (atomic_load(&irqc.stop))
			break;
		pthread_mutex_unlock(&irqc.poll_lock);
		poll_spurious_lines();
		pthread_mutex_lock(&irqc.poll_lock);
	}
	pthread_mutex_unlock(&irqc.poll_lock);
	return NULL;
}

static pthread_once_t poll_lock_once = PTHREAD_ONCE_INIT;

static void poll_lock_init(void)
{
	pthread_mutex_init(&irqc.poll_lock, NULL);
	pthread_condattr_t attr;

	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&irqc.poll_cond, &attr);
	pthread_condattr_destroy(&attr);
}

static void start_poller(void)
{
	pthread_once(&poll_lock_once, poll_lock_init);
	pthread_mutex_lock(&irqc.poll_lock);
	if (!irqc.poll_started) {
		if (pthread_create(&irqc.poll_thread, NULL, poller_main, NULL) == 0)
			irqc.poll_started = true;
		else
			irqc_err("cannot start the spurious-IRQ poller");
	}
	pthread_mutex_unlock(&irqc.poll_lock);
}

void irqc__spurious_fini(void)
{
	pthread_once(&poll_lock_once, poll_lock_init);
	pthread_mutex_lock(&irqc.poll_lock);
	if (!irqc.poll_started) {
		pthread_mutex_unlock(&irqc.poll_lock);
		return;
	}
	atomic_store(&irqc.stop, true);
	pthread_cond_broadcast(&irqc.poll_cond);
	pthread_mutex_unlock(&irqc.poll_lock);
	pthread_join(irqc.poll_thread, NULL);
	irqc.poll_started = false;
}

/* ---- note_interrupt ---- */

static void disable_spurious(struct irq_desc *desc)
{
	irqc_err("irq %u: nobody cared (try the irqpoll option)", desc->irq);
	report_handlers(desc);
	irqc_err("Disabling IRQ #%u", desc->irq);
	atomic_fetch_or(&desc->state, IRQS_SPURIOUS);
	irqc__disable_nosync(desc);
	start_poller();
}

/* cpu: the statistics cells the caller writes (the cumulative unhandled
 * count, per CPU, of the export: stats/export.c), as its kstat. */
void irqc__note_interrupt_on(struct irq_desc *desc, irqreturn_t ret, unsigned int cpu,
			     uint32_t threads_handled)
{
	uint32_t unhandled;

	/* IRQ_IS_POLLED: the driver polls the line; nothing to judge */
	if (unlikely((irqc.cfg.flags & IRQCORE_F_NOIRQDEBUG) ||
		     (atomic_load_explicit(&desc->status_flags, memory_order_relaxed) &
		      (IRQC_NO_DEBUG | IRQ_IS_POLLED)))) {
		if (unlikely(ret == IRQ_NONE))
			irqc__exp_count_unhandled(desc, cpu);
		return;
	}
	if (unlikely((unsigned int)ret > (IRQ_HANDLED | IRQ_WAKE_THREAD))) {	/* S1 */
		if (atomic_fetch_sub(&irqc_bogus_reports_left, 1) > 0) {
			irqc_err("irq event %u: bogus return value %x", desc->irq, (unsigned int)ret);
			report_handlers(desc);
		}
		return;
	}
	if (ret & IRQ_WAKE_THREAD) {	/* S2 */
		uint32_t last = LD(&desc->threads_handled_last);

		if (ret == IRQ_WAKE_THREAD) {
			uint32_t handled;

			if (!(last & SPURIOUS_DEFERRED)) {
				ST(&desc->threads_handled_last, last | SPURIOUS_DEFERRED);
				return;
			}
			handled = threads_handled | SPURIOUS_DEFERRED;
			if (handled != last) {
				ret = IRQ_HANDLED;
				ST(&desc->threads_handled_last, handled);
			} else {
				ret = IRQ_NONE;
			}
		} else {
			ST(&desc->threads_handled_last, last & ~SPURIOUS_DEFERRED);
		}
	}
	if (unlikely(ret == IRQ_NONE)) {	/* S3 */
		uint64_t now = irqc__now_ns();

		irqc__exp_count_unhandled(desc, cpu);
		if (now - LD(&desc->last_unhandled) > UNHANDLED_RESET_NS)
			ST(&desc->irqs_unhandled, 1);
		else
			ST(&desc->irqs_unhandled, LD(&desc->irqs_unhandled) + 1);
		ST(&desc->last_unhandled, now);
	}
	if (unlikely(try_misrouted(desc, ret))) {	/* S4 */
		bool ok = misrouted_irq(desc->irq);

		if (ret == IRQ_NONE && ok && LD(&desc->irqs_unhandled))
			ST(&desc->irqs_unhandled, LD(&desc->irqs_unhandled) - 1);
	}
	unhandled = LD(&desc->irqs_unhandled);
	if (likely(!unhandled))	/* S5 */
		return;
	ST(&desc->irq_count, LD(&desc->irq_count) + 1);
	if (likely(LD(&desc->irq_count) < SPURIOUS_WINDOW))
		return;
	ST(&desc->irq_count, 0);
	if (unlikely(unhandled > SPURIOUS_LIMIT))
		disable_spurious(desc);
	ST(&desc->irqs_unhandled, 0);
}

void irqc__note_interrupt(struct irq_desc *desc, irqreturn_t ret)
{
	/* nested children wake no thread: the current count will do */
	irqc__note_interrupt_on(desc, ret,
				(unsigned int)atomic_load_explicit(&desc->effective_cpu,
								   memory_order_relaxed),
				atomic_load_explicit(&desc->threads_handled,
						     memory_order_relaxed));
}

int irq_show_spurious(unsigned int irq, FILE *out)
{
	struct irq_desc *desc;
	uint32_t count = 0, unhandled = 0;
	uint64_t last = 0;

	IRQC_API_GUARD(-ENODEV);
	if (!irqc__in_range(irq) || !out)
		return -EINVAL;
	desc = irqc__desc_peek(irq);
	if (desc) {
		count = LD(&desc->irq_count);
		unhandled = LD(&desc->irqs_unhandled);
		last = LD(&desc->last_unhandled);
	}
	if (fprintf(out, "count %u\nunhandled %u\nlast_unhandled %u ms\n", count, unhandled,
		    (unsigned int)(last / 1000000ull)) < 0)
		return -EIO;
	return 0;
}
