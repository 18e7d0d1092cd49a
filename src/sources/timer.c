/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Deadline timer lines (IRQCORE_SRC_TIMER): a periodic line that its CPU's
 * dispatcher runs itself, at the deadline.
 *
 * A timer is a slot of a static table. Its "home" is the dispatcher that
 * waits for it: the line's effective CPU when attached; when the line's
 * affinity moves, the old home hands the timer over at its next deadline
 * (and kicks the new one). The dispatcher loop (core/dispatch.c) calls
 *   irqc__timer_run(cpu)   at the top of every iteration: fire the due
 *                          timers whose home it is;
 *   irqc__timer_wait(cpu)  when a pass found nothing: if it is home to a
 *                          timer, sleep until the earliest of its timers'
 *                          deadline minus lead (a futex wait with an absolute
 *                          CLOCK_MONOTONIC timeout: the same hrtimer as
 *                          clock_nanosleep(TIMER_ABSTIME), but a raise
 *                          still wakes the CPU), or, within the lead, spin
 *                          to the deadline; returns false otherwise, and
 *                          the CPU idles as its policy says.
 * With IRQCORE_IDLE_SPIN the CPU never sleeps, for timers neither: it
 * spins (handling work) until the lead, then to the deadline. A CPU home
 * to polled sources (IRQCORE_SRC_F_POLL, poll.c) sleeps in ppoll on their
 * fds instead of the futex (same deadline), and polls them while it spins
 * to the lead; not within the lead (the deadline comes first).
 *
 * Lead: a line attached with lead_ns 0 adapts it. After each timed sleep
 * the home CPU measures how late it woke (the host's timer slack, the
 * scheduler's wake-up latency, a hypervisor's) and moves an estimate of
 * the 99.5th percentile of that lateness (a stochastic quantile step: up
 * 19.9 us when a wake-up was later than the estimate, down 0.1 us when not,
 * so it settles where 1 wake-up in 200 is later); the lead is the estimate
 * plus 10 us, between 20 us and half the period. So the CPU wakes early
 * enough to spin to the deadline but for the rare host hiccup, and spins
 * no longer than this machine needs: a maximum would make one hiccup cost
 * half the period in spinning for seconds. A lead the caller gave is kept
 * as given.
 *
 * Phase: deadlines are multiples of the period on CLOCK_MONOTONIC. A line
 * without a handler does not tick (nothing counted) until one is requested. After a
 * run, every deadline that passed before the handler returned is skipped
 * and counted in missed (an overrun); a run that starts a whole period late
 * (the CPU was busy with other lines) skips the deadlines it passed, too.
 * The next deadline is always the previous one plus a multiple of the
 * period: no drift.
 *
 * Who writes what: attach fills a free slot and publishes it (active,
 * release); only the dispatcher that holds the slot's busy flag fires it
 * and writes its deadline and statistics; detach clears active and waits
 * until busy is clear. The busy CAS and the active recheck after it, and
 * detach's store of active and its load of busy, are seq_cst: a Dekker
 * pair, so either the dispatcher sees the timer gone or detach sees it
 * busy and waits: once detach returns, the slot is nobody's.
 */
#include "sources.h"

#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

struct irqc_timer {
	_Atomic bool active;		/* published (see above) */
	_Atomic bool busy;		/* a dispatcher fires it */
	_Atomic int home;		/* the dispatcher that waits for it */
	/* set before active; relaxed atomics: a scan may read a slot that
	 * is being reused (a wrong wait time at worst: timer_fire decides) */
	_Atomic unsigned int irq;
	_Atomic uint64_t period, lead;
	/* the busy holder writes; others read racily (relaxed) */
	_Atomic uint64_t next;		/* the next deadline, ns */
	_Atomic uint64_t deadline;	/* the last run's */
	_Atomic uint64_t events, missed, late_max, spin_ns;
	/* adaptive lead (see above): written by the home CPU after its
	 * sleeps; relaxed, any value is a usable lead */
	_Atomic bool adaptive;
	_Atomic uint64_t wake_late;	/* p99.5 estimate of wake-up lateness */
} IRQC_ALIGNED;

#define LEAD_MIN	20000ull	/* adaptive lead bounds, ns */
#define LEAD_MARGIN	10000ull
#define LEAD_STEP_UP	19900ull	/* the quantile step: 20 us x 0.995 */
#define LEAD_STEP_DOWN	100ull		/* ... and 20 us x 0.005 */

static struct irqc_timer timers[IRQC_MAX_TIMERS];
/* slots [0, hi) may be active: what the dispatchers scan (0: no timer) */
static _Atomic unsigned int timers_hi;

static uint64_t now_ns(void)
{
	return irqc__mono_ns();
}

int irqc__src_line_cpu(unsigned int irq)
{
	struct irq_desc *desc = irqc__desc_peek(irq);

	/* relaxed: a hint; an affinity change is followed at the next deadline */
	int cpu = desc ? atomic_load_explicit(&desc->effective_cpu, memory_order_relaxed) : 0;

	return cpu >= 0 && (unsigned int)cpu < irqc.nr_cpus ? cpu : 0;
}

/* The line has an action: a timer line without one does not tick (its
 * ticks would only count as errors and mask the line, D9). */
static bool line_requested(unsigned int irq)
{
	struct irq_desc *desc = irqc__desc_peek(irq);

	/* acquire: as the flows' load of the chain */
	return desc && atomic_load_explicit(&desc->action, memory_order_acquire);
}

/* Make CPU cpu look at its timers: a spinning CPU sees kicks move (as for
 * quiesce's request_pass), a sleeping one is woken. */
void irqc__src_home_poke(int cpu)
{
	struct irqc_cpu *c = &irqc.cpus[cpu];

	/* seq_cst: paired with the acquire load in dispatch.c's cpu_spin,
	 * and the Dekker half of irqc__may_sleep (before the load of
	 * sleeping in irqc__cpu_kick) */
	atomic_fetch_add(&c->kicks, 1);
	irqc__cpu_kick(c);
}

static void add_relaxed(_Atomic uint64_t *c, uint64_t n)
{
	/* one writer (the busy holder): no RMW needed */
	atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + n,
			      memory_order_relaxed);
}

int irqc__timer_add(struct irqc_src *s, uint64_t period_ns, uint64_t lead_ns)
{
	struct irqc_timer *t = NULL;
	unsigned int i, hi;
	uint64_t now = now_ns();

	for (i = 0; i < IRQC_MAX_TIMERS; i++)	/* src_lock: one adder at a time */
		if (!atomic_load(&timers[i].active) && !atomic_load(&timers[i].busy)) {
			t = &timers[i];
			break;
		}
	if (!t) {
		irqc_warn("irqcore_source_attach: no timer slot left (%u)", IRQC_MAX_TIMERS);
		return -ENOSPC;
	}
	atomic_store_explicit(&t->irq, s->irq, memory_order_relaxed);
	atomic_store_explicit(&t->period, period_ns, memory_order_relaxed);
	atomic_store_explicit(&t->adaptive, lead_ns == 0, memory_order_relaxed);
	if (!lead_ns)			/* adaptive: start from the default */
		lead_ns = IRQC_SRC_DEFAULT_LEAD < period_ns / 2 ? IRQC_SRC_DEFAULT_LEAD
								 : period_ns / 2;
	atomic_store_explicit(&t->lead, lead_ns, memory_order_relaxed);
	atomic_store_explicit(&t->wake_late, 0, memory_order_relaxed);
	atomic_store_explicit(&t->next, (now / period_ns + 1) * period_ns, memory_order_relaxed);
	atomic_store_explicit(&t->deadline, 0, memory_order_relaxed);
	atomic_store_explicit(&t->events, 0, memory_order_relaxed);
	atomic_store_explicit(&t->missed, 0, memory_order_relaxed);
	atomic_store_explicit(&t->late_max, 0, memory_order_relaxed);
	atomic_store_explicit(&t->spin_ns, 0, memory_order_relaxed);
	atomic_store_explicit(&t->home, irqc__src_line_cpu(s->irq), memory_order_relaxed);
	/* seq_cst: the fields above before it (a release at least: paired
	 * with the dispatchers' loads of active), and the Dekker half of
	 * timer_fire's recheck */
	atomic_store(&t->active, true);
	hi = atomic_load_explicit(&timers_hi, memory_order_relaxed);
	if (i + 1 > hi)
		/* release: a dispatcher that scans up to it sees the slot set */
		atomic_store_explicit(&timers_hi, i + 1, memory_order_release);
	s->timer = t;
	/* its home may sleep, or spin, without a timeout: make it look */
	irqc__src_home_poke(atomic_load_explicit(&t->home, memory_order_relaxed));
	return 0;
}

void irqc__timer_del(struct irqc_src *s)
{
	struct irqc_timer *t = s->timer;
	unsigned int us = 1;

	if (!t)
		return;
	/* seq_cst: the Dekker pair with timer_fire (top of this file) */
	atomic_store(&t->active, false);
	while (atomic_load(&t->busy))
		irqc__backoff_sleep(&us);
	s->timer = NULL;
}

void irqc__timer_stats(struct irqc_src *s, struct irqcore_source_stats *st)
{
	struct irqc_timer *t = s->timer;

	/* relaxed: statistics */
	st->events = atomic_load_explicit(&t->events, memory_order_relaxed);
	st->missed = atomic_load_explicit(&t->missed, memory_order_relaxed);
	st->late_max_ns = atomic_load_explicit(&t->late_max, memory_order_relaxed);
	st->deadline_ns = atomic_load_explicit(&t->deadline, memory_order_relaxed);
	st->spin_ns = atomic_load_explicit(&t->spin_ns, memory_order_relaxed);
	st->lead_ns = atomic_load_explicit(&t->lead, memory_order_relaxed);
}

/* Shutdown or a new instance: no slot is active any more; waits for a
 * dispatcher that fires one. */
void irqc__timers_reset(void)
{
	for (unsigned int i = 0; i < IRQC_MAX_TIMERS; i++) {
		unsigned int us = 1;

		atomic_store(&timers[i].active, false);	/* seq_cst: as timer_del */
		while (atomic_load(&timers[i].busy))
			irqc__backoff_sleep(&us);
	}
	atomic_store_explicit(&timers_hi, 0, memory_order_relaxed);
}

/* Run timer t if it is due, as CPU cpu (its home). */
static void timer_fire(struct irqc_timer *t, struct irqc_cpu *cpu)
{
	uint64_t d, now, end, next, k, period;
	bool expected = false;
	unsigned int irq;
	int cur;

	/* seq_cst: the Dekker pair with timer_del (top of this file) */
	if (!atomic_compare_exchange_strong(&t->busy, &expected, true))
		return;
	if (!atomic_load(&t->active))
		goto out;
	/* relaxed: set before active, which we just loaded (seq_cst) */
	irq = atomic_load_explicit(&t->irq, memory_order_relaxed);
	period = atomic_load_explicit(&t->period, memory_order_relaxed);
	cur = irqc__src_line_cpu(irq);
	if (cur != (int)cpu->id) {		/* the line moved: hand it over */
		atomic_store_explicit(&t->home, cur, memory_order_relaxed);
		irqc__src_home_poke(cur);
		goto out;
	}
	d = atomic_load_explicit(&t->next, memory_order_relaxed);
	now = now_ns();
	if (now < d)
		goto out;
	if (!line_requested(irq)) {	/* no handler (yet, or any more): no tick */
		atomic_store_explicit(&t->next, (now / period + 1) * period, memory_order_relaxed);
		goto out;
	}
	k = (now - d) / period;		/* whole periods late: skipped */
	if (k) {
		add_relaxed(&t->missed, k);
		d += k * period;
	}
	atomic_store_explicit(&t->deadline, d, memory_order_relaxed);
	add_relaxed(&t->events, 1);
	now = now_ns();			/* the flow starts now */
	if (now - d > atomic_load_explicit(&t->late_max, memory_order_relaxed))
		atomic_store_explicit(&t->late_max, now - d, memory_order_relaxed);
	generic_handle_irq(irq);
	end = now_ns();
	next = d + period;
	if (end >= next) {		/* overrun: deadlines passed during the run */
		k = (end - next) / period + 1;
		add_relaxed(&t->missed, k);
		next += k * period;
	}
	atomic_store_explicit(&t->next, next, memory_order_relaxed);
out:
	/* release: our writes before the next holder's CAS */
	atomic_store_explicit(&t->busy, false, memory_order_release);
}

void irqc__timer_run(struct irqc_cpu *cpu)
{
	/* acquire: paired with the release store in timer_add */
	unsigned int hi = atomic_load_explicit(&timers_hi, memory_order_acquire);
	uint64_t now;

	if (likely(!hi))
		return;
	now = now_ns();
	for (unsigned int i = 0; i < hi; i++) {
		struct irqc_timer *t = &timers[i];

		/* relaxed: hints; timer_fire decides under busy */
		if (atomic_load_explicit(&t->active, memory_order_relaxed) &&
		    atomic_load_explicit(&t->home, memory_order_relaxed) == (int)cpu->id &&
		    atomic_load_explicit(&t->next, memory_order_relaxed) <= now)
			timer_fire(t, cpu);
	}
}

/* The timers cpu is home to: the earliest deadline (returned), and the one
 * that wants the CPU awake first (the least deadline minus lead: *tp, its
 * wake time in *wakep). */
static uint64_t earliest(struct irqc_cpu *cpu, struct irqc_timer **tp, uint64_t *wakep)
{
	/* acquire: paired with the release store in timer_add */
	unsigned int hi = atomic_load_explicit(&timers_hi, memory_order_acquire);
	uint64_t best = UINT64_MAX;

	*tp = NULL;
	*wakep = UINT64_MAX;
	for (unsigned int i = 0; i < hi; i++) {
		struct irqc_timer *t = &timers[i];
		uint64_t d, lead, wake;

		/* acquire: the slot's fields (period, lead) after active */
		if (!atomic_load_explicit(&t->active, memory_order_acquire) ||
		    atomic_load_explicit(&t->home, memory_order_relaxed) != (int)cpu->id)
			continue;
		d = atomic_load_explicit(&t->next, memory_order_relaxed);
		lead = atomic_load_explicit(&t->lead, memory_order_relaxed);
		wake = d > lead ? d - lead : 0;
		if (d < best)
			best = d;
		if (wake < *wakep) {
			*wakep = wake;
			*tp = t;
		}
	}
	return best;
}

static bool stopping(void)
{
	/* seq_cst: as dispatch.c's, paired with stop_threads */
	return atomic_load(&irqc.stop);
}

/* Sleep until the absolute CLOCK_MONOTONIC time `until`, or a raise, a
 * kick or stop: the protocol of dispatch.c's cpu_sleep (a Dekker pair
 * with irqc__cpu_kick, see core/raise.c), with a timeout. */
static void sleep_until(struct irqc_cpu *cpu, uint64_t until)
{
	struct timespec ts = { .tv_sec = (time_t)(until / 1000000000ull),
			       .tv_nsec = (long)(until % 1000000000ull) };

	uint32_t kicks = irqc__idle_kicks(cpu);	/* before the look at polled fds */

	if (irqc__poll_sleep(cpu, until, kicks))	/* polled fds: ppoll on them too */
		return;
	IRQC_DEBUG_POINT(IRQC_DBG_IDLE_SLEEP, ~0u);
	/* seq_cst: the store half of the Dekker pair with irqc__cpu_kick and
	 * with a poke (irqc__may_sleep) */
	atomic_store(&cpu->sleeping, 1);
	if (irqc__may_sleep(cpu, kicks))
		syscall(SYS_futex, &cpu->sleeping, FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG, 1, &ts,
			NULL, FUTEX_BITSET_MATCH_ANY);
	atomic_store_explicit(&cpu->sleeping, 0, memory_order_relaxed);
}

/* IRQCORE_IDLE_SPIN: spin as dispatch.c's cpu_spin does (loads only)
 * until `until`, work, a kick or stop. */
static void spin_until(struct irqc_cpu *cpu, uint64_t until)
{
	/* acquire: paired with the release add of a quiesce's kick */
	uint32_t kicks = atomic_load_explicit(&cpu->kicks, memory_order_acquire);

	for (unsigned int spins = 1;; spins++) {
		if (irqc__cpu_has_work(cpu) || stopping() ||
		    atomic_load_explicit(&cpu->kicks, memory_order_acquire) != kicks)
			return;
		if (!irqc__poll_run(cpu))	/* polled fds (poll.c) */
			irqc__cpu_relax();
		if (spins % 64 == 0 && now_ns() >= until)
			return;
	}
}

/* Adaptive lead: the home CPU woke `late` ns after the time it asked for. */
static void lead_adapt(struct irqc_timer *t, uint64_t late)
{
	/* relaxed, all: one writer at a time (the home CPU), and any lead
	 * between the bounds is a correct one */
	uint64_t est = atomic_load_explicit(&t->wake_late, memory_order_relaxed);
	uint64_t period = atomic_load_explicit(&t->period, memory_order_relaxed);
	uint64_t lead;

	if (late > est)
		est += LEAD_STEP_UP;
	else
		est = est > LEAD_STEP_DOWN ? est - LEAD_STEP_DOWN : 0;
	if (est > period)
		est = period;		/* bounded, so it comes back in time */
	atomic_store_explicit(&t->wake_late, est, memory_order_relaxed);
	lead = est + LEAD_MARGIN;
	if (lead < LEAD_MIN)
		lead = LEAD_MIN;
	if (lead > period / 2)
		lead = period / 2;
	atomic_store_explicit(&t->lead, lead, memory_order_relaxed);
}

bool irqc__timer_wait(struct irqc_cpu *cpu)
{
	struct irqc_timer *t;
	uint64_t d, now, t0, wake;

	/* relaxed: 0 until a timer is attached; the common case */
	if (likely(!atomic_load_explicit(&timers_hi, memory_order_relaxed)))
		return false;
	d = earliest(cpu, &t, &wake);
	if (!t)
		return false;
	now = now_ns();
	if (now >= d)
		return true;		/* due: the loop's timer_run fires it */
	if (now < wake) {
		if (irqc.cfg.idle != IRQCORE_IDLE_SPIN) {
			sleep_until(cpu, wake);
			now = now_ns();
			/* relaxed: set at attach; a wake before the time
			 * asked for (a raise, a kick) says nothing */
			if (atomic_load_explicit(&t->adaptive, memory_order_relaxed) &&
			    now >= wake)
				lead_adapt(t, now - wake);
		} else {
			spin_until(cpu, wake);
		}
		return true;
	}
	/* Within a lead: spin to the earliest deadline, loads of the clock
	 * only. Other work waits the lead at most (the deadline comes first). */
	t0 = now;
	while (now < d && !stopping()) {
		irqc__cpu_relax();
		now = now_ns();
	}
	/* relaxed: statistics, any home's; an atomic add: the timer's
	 * busy holder may be another CPU after a hand-over */
	atomic_fetch_add_explicit(&t->spin_ns, now - t0, memory_order_relaxed);
	return true;
}
