/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The balancer (A8), irqbalance's job inside the process: off unless
 * cfg.balance_interval_ms is set; irqcore_balance_now() runs one pass on
 * demand either way.
 *
 * A pass measures, moves, and says what it did.
 *
 * Measure. The load of a line is the events its flows counted since the
 * previous pass (the kstat cells of the statistics segment, summed over the
 * CPUs), weighted by the line's average hard-handler time once enough of its
 * events were timed (one in IRQC_EXP_SAMPLE_EVERY is; BAL_TIME_SAMPLES timed
 * events make an average); a line without one weighs as the mean of the
 * lines that have one, and when none has, every event weighs 1. A CPU's load
 * is the sum over the lines effectively on it now: where they will run
 * during the next interval, whatever CPU ran them in the last.
 *
 * Move. While the busiest CPU carries more than balance_threshold_pct of the
 * average load (and saw at least BAL_MIN_EVENTS events: below that the
 * figures are noise), it gives one line to a CPU below the average, chosen
 * in the line's own mask, such that the move lowers the larger of the two
 * loads: nearest first (a shared cache, then the same NUMA node, then any:
 * irqc__topo_distance), then the split that leaves the lower maximum. At
 * most balance_max_moves moves a pass; a line moved stays put for
 * balance_cooldown passes, so that two CPUs never toss a line back and forth.
 * With external CPUs only CPUs a thread has attached take lines.
 * Never moved (A2): lines whose mask a caller set (irq_set_affinity, and so
 * irq_set_affinity_hint), lines with an IRQF_NOBALANCING or IRQF_PERCPU
 * action or the IRQ_NO_BALANCING or IRQ_PER_CPU status, and nested lines
 * (they run in their parent's thread, not on a CPU). Their load counts all
 * the same: it is there.
 *
 * A move is irq_set_affinity's change of the effective CPU without its
 * change of the mask: irqc__assign_effective() under desc->lock, with a mask
 * of the one target CPU, the line's mask and affinity_set untouched. Raisers
 * read the effective CPU relaxed and may route to either CPU during the
 * change; the line's ownership (INPROGRESS) keeps it single-threaded, and
 * the old CPU drains the bit already set there (A1). Threads follow at their
 * next wake-up (D6). Every check that allowed the move is made again under
 * the lock, so a caller's irq_set_affinity or free_irq in the meantime wins.
 * The chip's irq_set_affinity is not called: the mask it was told of stays.
 * Each pass reads nr_cpus counters of every line that ever existed, which is
 * why the interval is the program's to choose.
 *
 * Says. Every move logs "balance: irq N cpu A -> B (load x -> y)" (info; x
 * and y are CPU A's load before and after) and counts in
 * irqcore_balance_get_stats().
 *
 * Locking: bal.lock serializes passes (the thread's and callers') and guards
 * the per-line arrays; it is taken before any desc->lock, never under one.
 * The log callback runs under bal.lock, with no line's lock held. The thread is started
 * last at init and joined first at teardown: nothing it reads is freed under
 * it.
 */
#include "internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BAL_MIN_EVENTS		64u	/* events on the busiest CPU for a move */
#define BAL_TIME_SAMPLES	8u	/* timed events before time weighs */
#define BAL_NAME		"irqcore-balance"

/* One line of a pass: where it is and what it weighs. */
struct bal_line {
	unsigned int irq;
	int cpu;			/* its effective CPU; -1: out of the pass */
	uint64_t events;		/* since the previous pass */
	uint64_t load;			/* events, weighted */
	uint64_t avg_ns;		/* hard-handler time per event, 0 unknown */
};

static struct {
	pthread_mutex_t lock;		/* passes; the arrays below */
	uint64_t *prev;			/* [nr_irqs] handled total at the last pass */
	uint64_t *moved_at;		/* [nr_irqs] pass of the last move, 0 never */
	struct bal_line *lines;		/* [nr_irqs] the pass's lines */
	unsigned int nr;
	uint64_t *load, *events;	/* [nr_cpus] */
	double avg;			/* mean load of a CPU */
	_Atomic uint64_t passes, moves;	/* the statistics */

	/* the thread: tlock guards stop and started */
	pthread_mutex_t tlock;
	pthread_cond_t cond;		/* CLOCK_MONOTONIC */
	pthread_t thread;
	bool started, stop;
} bal;
static pthread_once_t bal_once = PTHREAD_ONCE_INIT;

static void bal_once_init(void)
{
	pthread_condattr_t attr;

	pthread_mutex_init(&bal.lock, NULL);
	pthread_mutex_init(&bal.tlock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&bal.cond, &attr);
	pthread_condattr_destroy(&attr);
}

/* ---- measure ---- */

static uint64_t handled_total(struct irq_desc *desc)
{
	uint64_t n = 0;

	/* relaxed: counters, each cell written by one CPU (T2) */
	for (unsigned int c = 0; c < irqc.nr_cpus; c++)
		n += atomic_load_explicit(irqc__kstat_slot(desc, c), memory_order_relaxed);
	return n;
}

/* Fill bal.lines with the requested lines; the mean known handler time. */
static uint64_t collect_lines(void)
{
	uint64_t sum_avg = 0, nr_avg = 0;
	struct irq_desc *desc;

	bal.nr = 0;
	irqc_for_each_desc(desc, it) {
		struct bal_line *l = &bal.lines[bal.nr];
		uint64_t total = handled_total(desc), hard, prev = bal.prev[desc->irq];

		bal.prev[desc->irq] = total;
		/* seq_cst loads without the lock: a first look, which
		 * movable_locked() repeats under desc->lock before a move */
		if (!atomic_load(&desc->nr_actions) ||
		    (atomic_load(&desc->status_flags) & IRQ_NESTED_THREAD))
			continue;
		l->irq = desc->irq;
		l->cpu = atomic_load_explicit(&desc->effective_cpu, memory_order_relaxed);
		l->events = total >= prev ? total - prev : total;
		/* relaxed: a counter (see irqc__exp_hard_time) */
		hard = atomic_load_explicit(&irqc_exp.hard_total[desc->irq], memory_order_relaxed);
		l->avg_ns = 0;
		if (hard && total >= (uint64_t)BAL_TIME_SAMPLES * irqc_exp.sample_every) {
			l->avg_ns = hard / total ? hard / total : 1;
			sum_avg += l->avg_ns;
			nr_avg++;
		}
		if (l->cpu >= 0 && (unsigned int)l->cpu < irqc.nr_cpus)
			bal.nr++;
	}
	return nr_avg ? sum_avg / nr_avg : 0;
}

static bool cpu_takes(unsigned int c);

static void measure(void)
{
	uint64_t mean_ns = collect_lines(), total = 0;
	unsigned int nr_takers;

	memset(bal.load, 0, irqc.nr_cpus * sizeof(*bal.load));
	memset(bal.events, 0, irqc.nr_cpus * sizeof(*bal.events));
	for (unsigned int i = 0; i < bal.nr; i++) {
		struct bal_line *l = &bal.lines[i];
		uint64_t w = l->avg_ns ? l->avg_ns : mean_ns ? mean_ns : 1;

		l->load = l->events * w;
		bal.load[l->cpu] += l->load;
		bal.events[l->cpu] += l->events;
		total += l->load;
	}
	/* the mean over the CPUs that may take lines (online, attached):
	 * an offline CPU's stray events count where they ran, not in it */
	nr_takers = 0;
	for (unsigned int c = 0; c < irqc.nr_cpus; c++)
		nr_takers += cpu_takes(c);
	bal.avg = (double)total / (nr_takers ? nr_takers : 1);
}

/* ---- move ---- */

/* A line the balancer may move (A2). desc->lock held. */
static bool movable_locked(struct irq_desc *desc)
{
	const unsigned int never = IRQ_NO_BALANCING | IRQ_PER_CPU | IRQ_NESTED_THREAD;

	if (!atomic_load(&desc->nr_actions) || desc->affinity_set ||
	    (atomic_load(&desc->status_flags) & never))
		return false;
	/* chain edits take desc->lock: the chain holds still */
	for (struct irqaction *a = atomic_load(&desc->action); a; a = atomic_load(&a->next))
		if (a->flags & (IRQF_NOBALANCING | IRQF_PERCPU))
			return false;
	return true;
}

/* The mask of line l if it may leave CPU src now. */
static bool line_mask(const struct bal_line *l, unsigned int src, cpu_set_t *mask)
{
	struct irq_desc *desc = irqc__desc_peek(l->irq);
	bool ok;

	if (!desc)
		return false;
	pthread_mutex_lock(&desc->lock);
	ok = movable_locked(desc) && atomic_load(&desc->effective_cpu) == (int)src;
	if (ok)
		*mask = desc->affinity;
	pthread_mutex_unlock(&desc->lock);
	return ok;
}

struct bal_choice {
	int line;			/* index in bal.lines, -1 none */
	unsigned int dst;
	int dist;
	uint64_t peak;			/* the larger load of src and dst after */
};

static bool better(const struct bal_choice *c, int dist, uint64_t peak)
{
	return c->line < 0 || dist < c->dist || (dist == c->dist && peak < c->peak);
}

/* A CPU that runs what it is given: with external CPUs, one a thread has
 * attached now (a line sent to a CPU nobody polls would wait forever). */
static bool cpu_driven(unsigned int c)
{
	if (!(irqc.cfg.flags & IRQCORE_F_EXTERNAL_CPUS))
		return true;
	/* relaxed: a hint; the program that attaches and detaches CPUs owns
	 * the rest (as when it sets a mask itself) */
	return atomic_load_explicit(&irqc.cpus[c].owner, memory_order_relaxed) != 0;
}

/* A CPU that may take a line: online (A6) and, with external CPUs,
 * attached. */
static bool cpu_takes(unsigned int c)
{
	return irqc__cpu_is_online(c) && cpu_driven(c);
}

/* The best target in mask for line i on CPU src, into *c if better. */
static void consider(unsigned int i, unsigned int src, const cpu_set_t *mask,
		     struct bal_choice *c)
{
	uint64_t l = bal.lines[i].load;

	for (unsigned int t = 0; t < irqc.nr_cpus; t++) {
		uint64_t peak;
		int dist;

		if (t == src || !CPU_ISSET(t, mask) || (double)bal.load[t] >= bal.avg ||
		    bal.load[t] + l >= bal.load[src] || !cpu_takes(t))
			continue;	/* not underloaded, or the peak would not drop */
		peak = bal.load[src] - l > bal.load[t] + l ? bal.load[src] - l : bal.load[t] + l;
		dist = irqc__topo_distance(src, t);
		if (better(c, dist, peak)) {
			c->line = (int)i;
			c->dst = t;
			c->dist = dist;
			c->peak = peak;
		}
	}
}

static unsigned int busiest(void)
{
	unsigned int b = 0;

	for (unsigned int c = 1; c < irqc.nr_cpus; c++)
		if (bal.load[c] > bal.load[b])
			b = c;
	return b;
}

/* Move line l from src to dst if it still may go: irq_set_affinity's
 * effective-CPU change, the mask left alone (see the top of the file). */
static bool move_line(struct bal_line *l, unsigned int src, unsigned int dst)
{
	struct irq_desc *desc = irqc__desc_peek(l->irq);
	bool ok;

	/* hotplug_lock, then desc->lock, as irqcore_cpu_offline takes them:
	 * dst stays online until the move is done (A6) */
	pthread_mutex_lock(&irqc.hotplug_lock);
	pthread_mutex_lock(&desc->lock);
	ok = movable_locked(desc) && atomic_load(&desc->effective_cpu) == (int)src &&
	     CPU_ISSET(dst, &desc->affinity) && irqc__cpu_is_online(dst);
	if (ok) {
		cpu_set_t one;

		CPU_ZERO(&one);
		CPU_SET(dst, &one);
		irqc__assign_effective(desc, &one);
		irqc__exp_publish(desc);
	}
	pthread_mutex_unlock(&desc->lock);
	pthread_mutex_unlock(&irqc.hotplug_lock);
	return ok;
}

enum { BAL_DONE, BAL_MOVED, BAL_RACED };

/* Moved less than balance_cooldown passes ago. */
static bool cooling(unsigned int irq, uint64_t pass)
{
	return bal.moved_at[irq] && pass - bal.moved_at[irq] < irqc.cfg.balance_cooldown;
}

/* One move off the busiest CPU, if one is worth it. */
static int move_one(uint64_t pass)
{
	struct bal_choice c = { .line = -1 };
	unsigned int src = busiest();
	uint64_t before;

	if (bal.events[src] < BAL_MIN_EVENTS ||
	    (double)bal.load[src] * 100.0 <= bal.avg * irqc.cfg.balance_threshold_pct)
		return BAL_DONE;
	for (unsigned int i = 0; i < bal.nr; i++) {
		struct bal_line *l = &bal.lines[i];
		cpu_set_t mask;

		if (l->cpu != (int)src || !l->load || cooling(l->irq, pass))
			continue;
		if (line_mask(l, src, &mask))
			consider(i, src, &mask, &c);
	}
	if (c.line < 0)
		return BAL_DONE;
	if (!move_line(&bal.lines[c.line], src, c.dst)) {
		bal.lines[c.line].cpu = -1;	/* changed under us: out of this pass */
		return BAL_RACED;
	}
	before = bal.load[src];
	bal.load[src] -= bal.lines[c.line].load;
	bal.load[c.dst] += bal.lines[c.line].load;
	bal.events[src] -= bal.lines[c.line].events;
	bal.events[c.dst] += bal.lines[c.line].events;
	bal.lines[c.line].cpu = (int)c.dst;
	bal.moved_at[bal.lines[c.line].irq] = pass;
	irqc__log(IRQCORE_LOG_INFO, "balance: irq %u cpu %u -> %u (load %llu -> %llu)",
		  bal.lines[c.line].irq, src, c.dst, (unsigned long long)before,
		  (unsigned long long)bal.load[src]);
	return BAL_MOVED;
}

/* One pass; the number of moves. */
static int balance_pass(void)
{
	unsigned int moves = 0, tries = 0, max = irqc.cfg.balance_max_moves;
	uint64_t pass;

	pthread_mutex_lock(&bal.lock);
	/* relaxed: written under bal.lock only; readers take a snapshot */
	pass = atomic_load_explicit(&bal.passes, memory_order_relaxed) + 1;
	measure();
	while (moves < max && tries++ < bal.nr + max) {	/* a race retires a line */
		int r = move_one(pass);

		if (r == BAL_DONE)
			break;
		if (r == BAL_MOVED)
			moves++;
	}
	/* relaxed: statistics, no data hangs on them */
	atomic_store_explicit(&bal.passes, pass, memory_order_relaxed);
	atomic_fetch_add_explicit(&bal.moves, moves, memory_order_relaxed);
	pthread_mutex_unlock(&bal.lock);
	return (int)moves;
}

/* ---- the thread ---- */

static void *bal_main(void *arg)
{
	(void)arg;
	pthread_setname_np(pthread_self(), BAL_NAME);
	pthread_mutex_lock(&bal.tlock);
	while (!bal.stop) {
		uint64_t at = irqc__mono_ns() + irqc.cfg.balance_interval_ms * 1000000ull;
		struct timespec ts = { (time_t)(at / 1000000000ull), (long)(at % 1000000000ull) };

		while (!bal.stop && pthread_cond_timedwait(&bal.cond, &bal.tlock, &ts) != ETIMEDOUT)
			;
		if (bal.stop)
			break;
		pthread_mutex_unlock(&bal.tlock);
		balance_pass();
		pthread_mutex_lock(&bal.tlock);
	}
	pthread_mutex_unlock(&bal.tlock);
	return NULL;
}

int irqc__balance_init(void)
{
	pthread_once(&bal_once, bal_once_init);
	bal.prev = calloc(irqc.nr_irqs, sizeof(*bal.prev));
	bal.moved_at = calloc(irqc.nr_irqs, sizeof(*bal.moved_at));
	bal.lines = calloc(irqc.nr_irqs, sizeof(*bal.lines));
	bal.load = calloc(irqc.nr_cpus, sizeof(*bal.load));
	bal.events = calloc(irqc.nr_cpus, sizeof(*bal.events));
	bal.nr = 0;
	atomic_store(&bal.passes, 0);
	atomic_store(&bal.moves, 0);
	if (!bal.prev || !bal.moved_at || !bal.lines || !bal.load || !bal.events) {
		irqc__balance_fini();
		return -ENOMEM;
	}
	return 0;
}

void irqc__balance_fini(void)
{
	free(bal.prev);
	free(bal.moved_at);
	free(bal.lines);
	free(bal.load);
	free(bal.events);
	bal.prev = bal.moved_at = bal.load = bal.events = NULL;
	bal.lines = NULL;
}

void irqc__balance_start(void)
{
	int ret;

	if (!irqc.cfg.balance_interval_ms)
		return;
	pthread_mutex_lock(&bal.tlock);
	bal.stop = false;
	ret = pthread_create(&bal.thread, NULL, bal_main, NULL);
	if (ret == 0) {
		bal.started = true;
		pthread_setname_np(bal.thread, BAL_NAME);	/* named when init returns */
	} else
		irqc_warn("balancer: cannot start its thread (%s): no balancing",
			  strerror(ret));
	pthread_mutex_unlock(&bal.tlock);
}

void irqc__balance_stop(void)
{
	pthread_once(&bal_once, bal_once_init);
	pthread_mutex_lock(&bal.tlock);
	if (!bal.started) {
		pthread_mutex_unlock(&bal.tlock);
		return;
	}
	bal.stop = true;
	pthread_cond_signal(&bal.cond);
	pthread_mutex_unlock(&bal.tlock);
	pthread_join(bal.thread, NULL);
	pthread_mutex_lock(&bal.tlock);
	bal.started = false;
	pthread_mutex_unlock(&bal.tlock);
}

/* ---- the public calls ---- */

int irqcore_balance_now(void)
{
	IRQC_API_GUARD(-ENODEV);

	if (irqc__in_handler_context()) {
		irqc_warn("irqcore_balance_now() from IRQ context refused");
		return -EPERM;
	}
	return balance_pass();
}

int irqcore_balance_get_stats(struct irqcore_balance_stats *st)
{
	IRQC_API_GUARD(-ENODEV);

	if (!st) {
		irqc_warn("irqcore_balance_get_stats: NULL stats");
		return -EINVAL;
	}
	memset(st, 0, sizeof(*st));
	/* relaxed: statistics (see balance_pass) */
	st->passes = atomic_load_explicit(&bal.passes, memory_order_relaxed);
	st->moves = atomic_load_explicit(&bal.moves, memory_order_relaxed);
	pthread_mutex_lock(&bal.tlock);
	st->interval_ms = bal.started ? irqc.cfg.balance_interval_ms : 0;
	pthread_mutex_unlock(&bal.tlock);
	return 0;
}
