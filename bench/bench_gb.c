/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * irqbench — Google Benchmark figures M1, M5 and M7 (bodies in C over
 * gbench_c.h). Names are M<id>/irqcore/<case> and M<id>/baseline/<case>, so
 * bench/gbench_figures.py can pair each figure with its baseline measured in
 * the same run.
 *
 * M1  inline dispatch. External-CPU mode, one CPU, the benchmark thread
 *     attached as CPU 0; generic_handle_irq(line) runs the edge flow and the
 *     line's chain inline. Cases: 1handler (one handler), 4shared (four
 *     IRQF_SHARED handlers). Baseline: the same handler(s) called through a
 *     volatile function pointer (not inlined): one call, or four in a loop
 *     over an array. ns per event.
 *
 * M5  raise throughput. K dispatcher threads (IRQCORE_IDLE_SPIN), 1..N raiser
 *     threads; each raiser owns 64 lines of its own (one bitmap word), line l
 *     routed to dispatcher l % K. No coalescing: a raiser raises a line again
 *     only after the handler of its previous event cleared the line's flag;
 *     it skips lines still pending and moves on, so raises/s is what the
 *     dispatchers really get through. After the timed loop: irqcore_quiesce,
 *     handled = sum of kstat_irqs_usr, coalesced fraction from
 *     irq_get_status (0 expected). Baseline: the same raisers and flags, a
 *     raise is one atomic OR into a 64-bit-word bitmap per consumer, K
 *     consumer threads spin on atomic exchanges of the words and clear the
 *     flags of the bits they take (no dispatch at all): the physical limit of
 *     the mechanism. Threads are pinned: consumer/dispatcher k on the k-th
 *     CPU this process may use, raiser t on CPU (K + t) modulo their number.
 *     Wall-clock time; counters raises (rate, = items/s), handled (rate),
 *     coalesced_frac, threads_per_cpu (busy threads per usable CPU: above 1
 *     the run also measures the scheduler's time slicing).
 *
 * M1E, M5E  the cost of the statistics export (issue 11): M1 1handler and M5
 *     dispatchers:1 with one raiser, irqcore against irqcore, same run. Case
 *     "export": the segment in /dev/shm (the default) against
 *     IRQCORE_F_NO_EXPORT; case "latency": IRQCORE_F_LATENCY (every raise
 *     stamped, every handler run timed) against IRQCORE_F_NO_EXPORT.
 *
 * M7  cost growth, one attached external CPU, raises and polls in the same
 *     thread. nr_irqs:N — irqcore with N lines, raise line N-1 and
 *     irqcore_poll(): ns per raise+poll. lines:L — 65536 lines, raise L lines
 *     spread over the range, then one irqcore_poll() that handles all of
 *     them: ns per handled line (items = lines). No baseline: a curve.
 *
 * Environment: IRQBENCH_M5_DISPATCHERS (default "1,2") and
 * IRQBENCH_M5_RAISERS (default "1,2") list the M5 configurations.
 * Every body checks what it measured (handler counts, poll results, the
 * accounting invariant) and fails the run with a message otherwise.
 */
#include <irqcore.h>

#include "gbench_c.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CACHELINE	64

/* ---- helpers ---- */

static int allowed_cpus[CPU_SETSIZE];	/* OS CPUs this process may use */
static int nr_allowed;
static cpu_set_t initial_mask;

static void cpus_init(void)
{
	if (sched_getaffinity(0, sizeof(initial_mask), &initial_mask)) {
		CPU_ZERO(&initial_mask);
		CPU_SET(0, &initial_mask);
	}
	for (int c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &initial_mask))
			allowed_cpus[nr_allowed++] = c;
}

/* Pin the calling thread to the nth allowed CPU (modulo their number). */
static void pin_self(unsigned int nth)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(allowed_cpus[nth % (unsigned int)nr_allowed], &set);
	(void)sched_setaffinity(0, sizeof(set), &set);	/* best effort */
}

static void unpin_self(void)
{
	(void)sched_setaffinity(0, sizeof(initial_mask), &initial_mask);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield" ::: "memory");
#endif
}

static void failf(gb_state *st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void failf(gb_state *st, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!gb_error_occurred(st))
		gb_skip_with_error(st, msg);
}

/* The device of the cheap handlers: one counter, alone on its cache line. */
struct gb_dev {
	unsigned long long count;
} __attribute__((aligned(CACHELINE)));

/* The small fixed amount of work every M1/M7 handler does. */
static irqreturn_t count_handler(int irq, void *dev_id)
{
	struct gb_dev *dev = dev_id;

	dev->count++;
	return IRQ_HANDLED;
}

/* Single-threaded benchmarks run on the last CPU we may use: dispatchers of
 * other programs on a shared machine start at the first. */
#define SOLO_CPU	((unsigned int)nr_allowed - 1)

/* irqcore in external-CPU mode with one CPU, the calling thread attached and
 * pinned; flags: IRQCORE_F_NO_EXPORT (the figures' default), or export
 * options. 0 or a message for failf. */
static const char *external_up_flags(unsigned int nr_irqs, unsigned int flags)
{
	struct irqcore_config cfg;

	irqcore_config_init(&cfg);
	cfg.nr_irqs = nr_irqs;
	cfg.nr_cpus = 1;
	cfg.flags = IRQCORE_F_EXTERNAL_CPUS | flags;
	if (irqcore_init(&cfg))
		return "irqcore_init failed";
	if (irqcore_cpu_attach(0)) {
		irqcore_shutdown();
		return "irqcore_cpu_attach failed";
	}
	pin_self(SOLO_CPU);
	return NULL;
}

static const char *external_up(unsigned int nr_irqs)
{
	return external_up_flags(nr_irqs, IRQCORE_F_NO_EXPORT);
}

static void external_down(void)
{
	irqcore_cpu_detach();
	irqcore_shutdown();
	unpin_self();
}

/* ---- M1: inline dispatch against a direct call ---- */

#define M1_IRQ		5u
#define M1_MAX		4
#define M1_BATCH	64

struct m1_case {
	int nr_handlers;
	unsigned int flags;		/* irqcore_config.flags (but EXTERNAL_CPUS) */
};

static const char *const m1_names[M1_MAX] = { "gb-dev0", "gb-dev1", "gb-dev2", "gb-dev3" };

static void m1_check(gb_state *st, const struct gb_dev *dev, int n, long long calls)
{
	for (int h = 0; h < n; h++)
		if (dev[h].count != (unsigned long long)calls)
			failf(st, "handler %d ran %llu times for %lld events", h, dev[h].count,
			      calls);
}

static void m1_irqcore(gb_state *st, void *arg)
{
	const struct m1_case *c = arg;
	struct gb_dev dev[M1_MAX] = { { 0 } };
	unsigned long flags = c->nr_handlers > 1 ? IRQF_SHARED : 0;
	const char *err = external_up_flags(1024, c->flags);
	int ret = 0, h;

	if (err) {
		failf(st, "%s", err);
		return;
	}
	for (h = 0; h < c->nr_handlers; h++) {
		if (request_irq(M1_IRQ, count_handler, flags, m1_names[h], &dev[h])) {
			failf(st, "request_irq failed");
			goto out;
		}
	}
	while (gb_keep_running_batch(st, M1_BATCH))
		for (int i = 0; i < M1_BATCH; i++)
			ret |= generic_handle_irq(M1_IRQ);
	if (ret)
		failf(st, "generic_handle_irq: %d", ret);
	m1_check(st, dev, c->nr_handlers, gb_iterations(st));
	gb_set_items_processed(st, gb_iterations(st));
out:
	while (h-- > 0)
		free_irq(M1_IRQ, &dev[h]);
	external_down();
}

static void m1_baseline(gb_state *st, void *arg)
{
	const struct m1_case *c = arg;
	struct gb_dev dev[M1_MAX] = { { 0 } };
	/* volatile: loaded at every call, so the compiler cannot inline it */
	irq_handler_t volatile fn[M1_MAX];
	const int n = c->nr_handlers;
	int ret = 0;

	for (int h = 0; h < M1_MAX; h++)
		fn[h] = count_handler;
	pin_self(SOLO_CPU);
	if (n == 1) {
		while (gb_keep_running_batch(st, M1_BATCH))
			for (int i = 0; i < M1_BATCH; i++)
				ret |= fn[0](M1_IRQ, &dev[0]);
	} else {
		while (gb_keep_running_batch(st, M1_BATCH))
			for (int i = 0; i < M1_BATCH; i++)
				for (int h = 0; h < n; h++)
					ret |= fn[h](M1_IRQ, &dev[h]);
	}
	if (ret != IRQ_HANDLED)
		failf(st, "handler returned %d", ret);
	m1_check(st, dev, n, gb_iterations(st));
	gb_set_items_processed(st, gb_iterations(st));
	unpin_self();
}

static const struct m1_case m1_one = { 1, IRQCORE_F_NO_EXPORT },
			   m1_four = { 4, IRQCORE_F_NO_EXPORT },
			   m1_export = { 1, 0 },
			   m1_latency = { 1, IRQCORE_F_LATENCY };

static void m1_register(void)
{
	gb_unit_ns(gb_register("M1/irqcore/1handler", m1_irqcore, (void *)&m1_one));
	gb_unit_ns(gb_register("M1/baseline/1handler", m1_baseline, (void *)&m1_one));
	gb_unit_ns(gb_register("M1/irqcore/4shared", m1_irqcore, (void *)&m1_four));
	gb_unit_ns(gb_register("M1/baseline/4shared", m1_baseline, (void *)&m1_four));
	/* the export's cost: irqcore against irqcore without it */
	gb_unit_ns(gb_register("M1E/irqcore/export", m1_irqcore, (void *)&m1_export));
	gb_unit_ns(gb_register("M1E/baseline/export", m1_irqcore, (void *)&m1_one));
	gb_unit_ns(gb_register("M1E/irqcore/latency", m1_irqcore, (void *)&m1_latency));
	gb_unit_ns(gb_register("M1E/baseline/latency", m1_irqcore, (void *)&m1_one));
}

/* ---- M5: raise throughput against an atomic OR and a spinning consumer ---- */

#define M5_LPR		64u		/* lines per raiser: one bitmap word */
#define M5_BATCH	16
#define M5_MAX_K	64
/* no line handled for 60 s: a hang (a loaded host can leave a runnable
 * dispatcher without a CPU for seconds; a lost wake-up never ends) */
#define M5_STALL_NS	60000000000ull

struct m5_case {
	unsigned int k;			/* dispatchers / consumers */
	bool baseline;
	bool batched;			/* raise M5_BATCH lines per call:
					   irq_raise_many / one OR per word */
	unsigned int flags;		/* irqcore: irqcore_config.flags */
};

struct m5_consumer {
	_Atomic uint64_t *words;	/* [m5.nr_words]: the bitmap */
	unsigned int id;
	pthread_t thread;
	bool started;
	unsigned long long handled;	/* read after join */
} __attribute__((aligned(CACHELINE)));

/* One run (one call of the body by Google Benchmark): set up by thread 0
 * before the timed loop, whose start barrier publishes it to the others. */
static struct {
	bool ok;			/* setup succeeded */
	unsigned int k, nr_lines, nr_words;
	_Atomic uint8_t *flags;		/* [nr_lines]: raised, not handled yet */
	struct m5_consumer cons[M5_MAX_K];
	_Atomic bool stop;		/* baseline: consumers exit */
	_Atomic unsigned long long coalesced;	/* baseline: OR found the bit set */
	bool up;			/* irqcore initialized */
	unsigned int requested;		/* lines requested */
} m5;

/* The irqcore handler: the event of line dev_id is handled. */
static irqreturn_t m5_handler(int irq, void *dev_id)
{
	/* release: paired with the raiser's acquire load of the flag */
	atomic_store_explicit((_Atomic uint8_t *)dev_id, 0, memory_order_release);
	return IRQ_HANDLED;
}

static void *m5_consumer_main(void *arg)
{
	struct m5_consumer *c = arg;
	unsigned long long handled = 0;
	unsigned int idle = 0;

	pin_self(c->id);
	for (;;) {
		bool any = false;

		for (unsigned int w = 0; w < m5.nr_words; w++) {
			uint64_t bits;

			if (!atomic_load_explicit(&c->words[w], memory_order_relaxed))
				continue;
			/* seq_cst: paired with the raisers' fetch_or (takes
			 * the bits and what the raisers wrote before them) */
			bits = atomic_exchange(&c->words[w], 0);
			while (bits) {
				unsigned int l = w * 64 + (unsigned int)__builtin_ctzll(bits);

				bits &= bits - 1;
				/* release: paired with the raiser's acquire load */
				atomic_store_explicit(&m5.flags[l], 0, memory_order_release);
				handled++;
			}
			any = true;
		}
		if (any) {
			idle = 0;
			continue;
		}
		/* acquire: paired with the release store in m5_baseline_down */
		if (atomic_load_explicit(&m5.stop, memory_order_acquire))
			break;
		/* as an IRQCORE_IDLE_SPIN dispatcher */
		cpu_relax();
		if (++idle % 4096 == 0)
			sched_yield();
	}
	c->handled = handled;
	return NULL;
}

static void m5_baseline_down(void)
{
	/* release: paired with the consumers' acquire load */
	atomic_store_explicit(&m5.stop, true, memory_order_release);
	for (unsigned int k = 0; k < m5.k; k++) {
		if (m5.cons[k].started)
			pthread_join(m5.cons[k].thread, NULL);
		m5.cons[k].started = false;
		free(m5.cons[k].words);
		m5.cons[k].words = NULL;
	}
}

static const char *m5_baseline_up(void)
{
	atomic_store(&m5.stop, false);
	atomic_store(&m5.coalesced, 0);
	for (unsigned int k = 0; k < m5.k; k++) {
		struct m5_consumer *c = &m5.cons[k];

		c->id = k;
		c->handled = 0;
		c->words = aligned_alloc(CACHELINE, (m5.nr_words * 8 + CACHELINE - 1) /
							    CACHELINE * CACHELINE);
		if (!c->words)
			return "out of memory";
		for (unsigned int w = 0; w < m5.nr_words; w++)
			atomic_init(&c->words[w], 0);
		if (pthread_create(&c->thread, NULL, m5_consumer_main, c))
			return "cannot start a consumer";
		c->started = true;
	}
	return NULL;
}

static const char *m5_irqcore_up(unsigned int flags)
{
	struct irqcore_config cfg;
	cpu_set_t one;

	irqcore_config_init(&cfg);
	cfg.nr_irqs = m5.nr_lines < 1024 ? 1024 : m5.nr_lines;
	cfg.nr_cpus = m5.k;
	cfg.idle = IRQCORE_IDLE_SPIN;
	cfg.flags = flags;
	if (irqcore_init(&cfg))
		return "irqcore_init failed";
	m5.up = true;
	for (unsigned int l = 0; l < m5.nr_lines; l++) {
		if (request_irq(l, m5_handler, 0, "gb-m5", (void *)&m5.flags[l]))
			return "request_irq failed";
		m5.requested++;
		CPU_ZERO(&one);
		CPU_SET(l % m5.k, &one);
		if (irq_set_affinity(l, &one))
			return "irq_set_affinity failed";
	}
	return NULL;
}

static void m5_irqcore_down(void)
{
	for (unsigned int l = 0; l < m5.requested; l++)
		free_irq(l, (void *)&m5.flags[l]);
	if (m5.up)
		irqcore_shutdown();
	m5.up = false;
	m5.requested = 0;
}

/* Sum of handled / raised / coalesced over the lines. */
static void m5_irqcore_counts(unsigned long long *handled, unsigned long long *raised,
			      unsigned long long *coalesced)
{
	struct irq_status s;

	*handled = *raised = *coalesced = 0;
	for (unsigned int l = 0; l < m5.nr_lines; l++) {
		*handled += kstat_irqs_usr(l);
		if (!irq_get_status(l, &s)) {
			*raised += s.raised;
			*coalesced += s.coalesced;
		}
	}
}

static inline void m5_baseline_raise(unsigned int l)
{
	uint64_t bit = 1ull << (l % 64);
	/* seq_cst: paired with the consumer's exchange */
	uint64_t old = atomic_fetch_or(&m5.cons[l % m5.k].words[l / 64], bit);

	if (old & bit)		/* never with the flag discipline: counted */
		atomic_fetch_add_explicit(&m5.coalesced, 1, memory_order_relaxed);
}

/* A batch of lines (all in the raiser's one word): one OR for the baseline,
 * one irq_raise_many for irqcore. */
static inline int m5_raise_batch(const unsigned int *ls, int n, bool baseline)
{
	uint64_t mask = 0;

	if (!baseline)
		return irq_raise_many(ls, (unsigned int)n);
	for (int i = 0; i < n; i++)
		mask |= 1ull << (ls[i] % 64);
	/* seq_cst: paired with the consumer's exchange */
	atomic_fetch_or(&m5.cons[ls[0] % m5.k].words[ls[0] / 64], mask);
	return 0;
}

/*
 * The raiser loop, the same for both sides (inlined into each with a
 * constant `baseline`). One iteration is one accepted raise. Returns false
 * when it gave up (a raise failed, or nothing was handled for M5_STALL_NS).
 */
static inline __attribute__((always_inline)) bool m5_raise_loop(gb_state *st, unsigned int first,
								bool baseline, bool batched)
{
	_Atomic uint8_t *flag;
	unsigned int cur = 0, misses = 0, batch[M5_BATCH];
	int nb = 0;
	uint64_t stall_since = 0;
	int err = 0;

	while (gb_keep_running_batch(st, M5_BATCH)) {
		/* m5 is thread 0's until the loop's start barrier */
		if (!m5.ok) {
			failf(st, "setup failed");
			continue;
		}
		flag = &m5.flags[first];
		for (int n = 0; n < M5_BATCH;) {
			unsigned int l = cur++ % M5_LPR;

			/* acquire: paired with the handler's release clear;
			 * its previous run is over before we raise again */
			if (atomic_load_explicit(&flag[l], memory_order_acquire)) {
				if (++misses % M5_LPR)
					continue;
				/* a whole sweep pending: wait as a spinning raiser */
				cpu_relax();
				if (misses % (M5_LPR * 64) == 0)
					sched_yield();
				if (misses % (M5_LPR * 4096) == 0) {
					if (!stall_since)
						stall_since = now_ns();
					else if (now_ns() - stall_since > M5_STALL_NS)
						goto stalled;
				}
				continue;
			}
			misses = 0;
			stall_since = 0;
			/* relaxed: the raise below publishes it (its fetch_or is
			 * a release, the dispatcher's exchange an acquire) */
			atomic_store_explicit(&flag[l], 1, memory_order_relaxed);
			if (batched)
				batch[nb++] = first + l;
			else if (baseline)
				m5_baseline_raise(first + l);
			else
				err |= irq_raise(first + l);
			n++;
		}
		if (batched) {		/* the M5_BATCH lines in one call */
			err |= m5_raise_batch(batch, nb, baseline);
			nb = 0;
		}
	}
	if (err) {
		failf(st, "irq_raise failed: %d", err);
		return false;
	}
	return true;
stalled:
	failf(st, "no event handled for %llu ms", M5_STALL_NS / 1000000ull);
	while (gb_keep_running_batch(st, M5_BATCH))
		;
	return false;
}

/* Wait until every flag is clear (the baseline's quiesce). */
static bool m5_baseline_quiesce(void)
{
	uint64_t deadline = now_ns() + M5_STALL_NS;

	for (unsigned int l = 0; l < m5.nr_lines; l++)
		while (atomic_load_explicit(&m5.flags[l], memory_order_acquire))
			if (now_ns() > deadline)
				return false;
			else
				sched_yield();
	return true;
}

static void m5_body(gb_state *st, void *arg)
{
	const struct m5_case *c = arg;
	unsigned int t = (unsigned int)gb_thread_index(st);
	unsigned int nr = (unsigned int)gb_threads_count(st);
	const char *err = NULL;

	if (t == 0) {
		memset(&m5, 0, sizeof(m5));	/* no thread of the last run is left */
		m5.k = c->k;
		m5.nr_lines = nr * M5_LPR;
		m5.nr_words = (m5.nr_lines + 63) / 64;
		m5.flags = aligned_alloc(CACHELINE, m5.nr_lines);
		if (!m5.flags)
			err = "out of memory";
		else
			memset((void *)m5.flags, 0, m5.nr_lines);
		if (!err)
			err = c->baseline ? m5_baseline_up() : m5_irqcore_up(c->flags);
		m5.ok = !err;
		if (err)
			failf(st, "%s", err);
	}
	pin_self(c->k + t);
	if (c->k > 1 && c->batched)	/* one consumer per line % k: not one word */
		failf(st, "batched M5 needs one dispatcher");
	else if (c->batched)
		m5_raise_loop(st, t * M5_LPR, c->baseline, true);
	else
		m5_raise_loop(st, t * M5_LPR, c->baseline, false);
	/* raises accepted: items/s and the counter say the same (summed over
	 * the raisers, divided by the wall-clock time of the run) */
	gb_set_items_processed(st, gb_iterations(st));
	gb_counter(st, "raises", (double)gb_iterations(st), GB_COUNTER_RATE);

	if (t != 0)
		return;
	/* every raiser is past the loop's end barrier */
	/* busy threads (dispatchers or consumers, and raisers) per CPU we may
	 * use: above 1 the figure measures the scheduler's time slicing too */
	gb_counter(st, "threads_per_cpu", (double)(c->k + nr) / nr_allowed, GB_COUNTER_PLAIN);
	if (c->baseline) {
		unsigned long long handled = 0;
		bool quiet = m5.ok && m5_baseline_quiesce();

		m5_baseline_down();
		for (unsigned int k = 0; k < m5.k; k++)
			handled += m5.cons[k].handled;
		if (m5.ok && !quiet)
			failf(st, "baseline consumers did not drain");
		gb_counter(st, "handled", (double)handled, GB_COUNTER_RATE);
		gb_counter(st, "coalesced_frac",
			   handled ? (double)atomic_load(&m5.coalesced) / (double)handled : 0.0,
			   GB_COUNTER_PLAIN);
	} else if (m5.ok) {
		unsigned long long handled, raised, coalesced;
		long long expect = gb_iterations(st) * nr;
		int q = irqcore_quiesce(5000);

		m5_irqcore_counts(&handled, &raised, &coalesced);
		if (q)
			failf(st, "irqcore_quiesce: %d", q);
		else if (!gb_error_occurred(st) && (long long)raised != expect)
			failf(st, "raised %llu, raises made %lld", raised, expect);
		else if (raised != handled + coalesced)
			failf(st, "raised %llu != handled %llu + coalesced %llu", raised,
			      handled, coalesced);
		gb_counter(st, "handled", (double)handled, GB_COUNTER_RATE);
		gb_counter(st, "coalesced_frac", raised ? (double)coalesced / (double)raised : 0.0,
			   GB_COUNTER_PLAIN);
	}
	if (!c->baseline)
		m5_irqcore_down();
	free((void *)m5.flags);
	m5.flags = NULL;
	unpin_self();
}

/* "1,2,4" -> values (at most max, each 1..limit); the default when unset. */
static int parse_list(const char *env, const char *def, unsigned int *v, int max,
		      unsigned int limit)
{
	const char *s = getenv(env);
	int n = 0;

	if (!s || !*s)
		s = def;
	while (*s && n < max) {
		char *end;
		unsigned long x = strtoul(s, &end, 10);

		if (end == s)
			break;
		if (x >= 1 && x <= limit)
			v[n++] = (unsigned int)x;
		s = *end == ',' ? end + 1 : end;
	}
	return n;
}

static struct m5_case m5_cases[16][2];
static struct m5_case m5_batch_cases[2];
/* M5E: dispatchers:1, one raiser; [case][side]: export, latency */
static struct m5_case m5e_cases[2][2] = {
	{ { .k = 1, .flags = 0 }, { .k = 1, .flags = IRQCORE_F_NO_EXPORT } },
	{ { .k = 1, .flags = IRQCORE_F_LATENCY }, { .k = 1, .flags = IRQCORE_F_NO_EXPORT } },
};

static void m5_register(void)
{
	unsigned int ks[16], rs[16];
	int nk = parse_list("IRQBENCH_M5_DISPATCHERS", "1,2", ks, 16, M5_MAX_K);
	int nr = parse_list("IRQBENCH_M5_RAISERS", "1,2", rs, 16, 256);
	char name[64], ctx[128];

	for (int i = 0; i < nk; i++) {
		for (int side = 0; side < 2; side++) {
			gb_bench *b;

			m5_cases[i][side] = (struct m5_case){ .k = ks[i], .baseline = side,
							      .flags = IRQCORE_F_NO_EXPORT };
			snprintf(name, sizeof(name), "M5/%s/dispatchers:%u",
				 side ? "baseline" : "irqcore", ks[i]);
			b = gb_use_real_time(gb_register(name, m5_body, &m5_cases[i][side]));
			for (int j = 0; j < nr; j++)
				gb_threads(b, (int)rs[j]);
		}
	}
	/* batched raising (irq_raise_many), 1 dispatcher, 1 raiser */
	for (int side = 0; side < 2; side++) {
		m5_batch_cases[side] = (struct m5_case){ .k = 1, .baseline = side,
							 .batched = true,
							 .flags = IRQCORE_F_NO_EXPORT };
		snprintf(name, sizeof(name), "M5/%s/dispatchers:1/batch:%u",
			 side ? "baseline" : "irqcore", M5_BATCH);
		gb_threads(gb_use_real_time(gb_register(name, m5_body, &m5_batch_cases[side])), 1);
	}
	/* the export's cost: irqcore against irqcore without it */
	for (int i = 0; i < 2; i++) {
		for (int side = 0; side < 2; side++) {
			snprintf(name, sizeof(name), "M5E/%s/%s/dispatchers:1",
				 side ? "baseline" : "irqcore", i ? "latency" : "export");
			gb_threads(gb_use_real_time(gb_register(name, m5_body, &m5e_cases[i][side])),
				   1);
		}
	}
	snprintf(ctx, sizeof(ctx), "IRQCORE_IDLE_SPIN dispatchers, %u lines per raiser, "
		 "no coalescing", M5_LPR);
	gb_add_context("irqbench_m5", ctx);
}

/* ---- M7: cost growth ---- */

#define M7_BATCH	64
#define M7_NR_IRQS	65536u

/* nr_irqs:N — raise line N-1 and poll, per iteration. */
static void m7_nr_irqs(gb_state *st, void *arg)
{
	unsigned int nr = (unsigned int)gb_get_arg(st, 0), line = nr - 1;
	struct gb_dev dev = { 0 };
	long long polled = 0;
	int ret = 0;
	const char *err = external_up(nr);

	if (err) {
		failf(st, "%s", err);
		return;
	}
	if (request_irq(line, count_handler, 0, "gb-m7", &dev)) {
		failf(st, "request_irq failed");
		external_down();
		return;
	}
	while (gb_keep_running_batch(st, M7_BATCH)) {
		for (int i = 0; i < M7_BATCH; i++) {
			ret |= irq_raise(line);
			polled += irqcore_poll();
		}
	}
	if (ret)
		failf(st, "irq_raise: %d", ret);
	else if (polled != gb_iterations(st) || dev.count != (unsigned long long)polled)
		failf(st, "%lld raises, %lld polled, %llu handled", gb_iterations(st), polled,
		      dev.count);
	gb_set_items_processed(st, gb_iterations(st));
	free_irq(line, &dev);
	external_down();
}

/* lines:L — raise L lines spread over 65536, one poll handles them all. */
static void m7_lines(gb_state *st, void *arg)
{
	unsigned int nl = (unsigned int)gb_get_arg(st, 0), stride = M7_NR_IRQS / nl;
	unsigned int reps = nl >= M7_BATCH ? 1 : M7_BATCH / nl, *lines, r = 0;
	struct gb_dev dev = { 0 };
	long long polled = 0, polls = 0;
	int ret = 0;
	const char *err;

	lines = malloc(nl * sizeof(*lines));
	if (!lines) {
		failf(st, "out of memory");
		return;
	}
	err = external_up(M7_NR_IRQS);
	if (err) {
		failf(st, "%s", err);
		free(lines);
		return;
	}
	for (; r < nl; r++) {
		lines[r] = r * stride + stride / 2;
		if (request_irq(lines[r], count_handler, 0, "gb-m7", &dev)) {
			failf(st, "request_irq failed");
			goto out;
		}
	}
	while (gb_keep_running_batch(st, reps)) {
		for (unsigned int i = 0; i < reps; i++) {
			for (unsigned int j = 0; j < nl; j++)
				ret |= irq_raise(lines[j]);
			polled += irqcore_poll();
			polls++;
		}
	}
	if (ret)
		failf(st, "irq_raise: %d", ret);
	else if (polled != polls * nl || dev.count != (unsigned long long)polled)
		failf(st, "%lld polls of %u lines handled %lld (handlers: %llu)", polls, nl,
		      polled, dev.count);
	gb_set_items_processed(st, gb_iterations(st) * nl);
	gb_counter(st, "lines_per_poll", nl, GB_COUNTER_PLAIN);
out:
	while (r-- > 0)
		free_irq(lines[r], &dev);
	external_down();
	free(lines);
}

static void m7_register(void)
{
	gb_bench *b;

	b = gb_unit_ns(gb_arg_name(gb_register("M7/irqcore", m7_nr_irqs, NULL), "nr_irqs"));
	gb_arg(gb_arg(gb_arg(gb_arg(b, 64), 1024), 16384), 65536);
	b = gb_unit_ns(gb_arg_name(gb_register("M7/irqcore", m7_lines, NULL), "lines"));
	gb_arg(gb_arg(gb_arg(gb_arg(gb_arg(b, 1), 8), 64), 512), 4096);
}

int main(int argc, char **argv)
{
	char buf[64];
	int len = 0;

	cpus_init();
	for (int i = 0; i < nr_allowed && len < (int)sizeof(buf) - 8; i++)
		len += snprintf(buf + len, sizeof(buf) - (size_t)len, "%s%d", i ? "," : "",
				allowed_cpus[i]);
	gb_add_context("irqbench_allowed_cpus", buf);
	m1_register();
	m5_register();
	m7_register();
	return gb_main(argc, argv);
}
