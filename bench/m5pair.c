/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * m5pair — M5 (distinct raises per second, 1 raiser -> 1 dispatcher) as a
 * paired comparison: short alternating slices of irqcore and its baseline,
 * and the median of the per-pair ratios.
 *
 * Why: on a shared VM, M5 is bimodal for both sides (the same binary gives
 * 4 or 20 M raises/s, depending on where the host runs the two vCPUs), and
 * the mode holds for tens of milliseconds to seconds. Google Benchmark's
 * M5 compares the medians of a few 0.2 s repetitions, which then compare
 * modes as often as costs. Here each pair is an irqcore slice and a
 * baseline slice of -s ms each (10 by default), back to back, in ABBA order
 * over the pairs; adjacent slices of one side measured 0.94-1.07 of each
 * other (quartiles) on the 2-vCPU CI VM, so a pair sees one mode, and the
 * median of -n pair ratios is the cost ratio in the modes the run met. It
 * still moves between runs (0.78-1.26 seen): the ratio itself depends on
 * the mode, which changes over seconds to minutes.
 *
 * Both sides are the M5 of bench/bench_gb.c: 64 lines in one bitmap word;
 * the raiser (this program's main thread, on the first CPU it may use)
 * sweeps them and raises each line whose flag the handler has cleared, so
 * every raise is distinct (no coalescing). irqcore: one dispatcher on the
 * second CPU, irq_raise(), a handler that clears the flag. Baseline: a
 * consumer thread on the same CPU exchanges the word with 0 and clears the
 * flags of its bits; the raiser sets the flag and ORs the bit in.
 *
 * Both stay up for the whole run and take turns: the dispatcher is
 * IRQCORE_IDLE_ADAPTIVE (it spins while raises come, sleeps 200 us after
 * they stop), the consumer sleeps on a futex while it is not its turn.
 * After each slice the raiser waits until every flag is clear, then 1 ms
 * so that the idle side is asleep; each slice starts with 1 ms of raising
 * that is not counted (the wake-up of the side whose turn it is).
 *
 * Output: the two series (median, quartiles) and the paired ratio
 * irqcore/baseline (median, quartiles, the share of pairs at or above
 * 0.95). --json writes one M5 figure in the common schema (bench/summarize):
 * value and baseline_value are the series' medians, ratio the median of
 * baseline/irqcore over the pairs (above 1: irqcore slower).
 *
 * What M5 measures on a VM whose cache-line transfer takes 100-150 ns: the
 * raiser and the consumer share two lines, the bitmap and the flags. A
 * consumer that comes back to the bitmap right after its handlers takes it
 * from the raiser at every raise (one or two events per exchange); one that
 * spends a little longer per event lets the raiser set more bits meanwhile,
 * which makes the next batch, and the time spent on it, longer: a feedback
 * that settles on batches of many events per transfer and several times the
 * throughput. The figure is then set by which side of that threshold each
 * side's per-event time falls, more than by its cost. irqcore's
 * dispatchers wait after a pass for this reason (interrupt coalescing, D10
 * in docs/semantics.md); -c -1 measures irqcore without the wait, -c NS
 * with another coalesce_ns. Two options measure the threshold itself in
 * the same run:
 *  -g LOOPS  adds a third side to every pair (order A B C, then C B A): the
 *            baseline whose consumer runs LOOPS iterations of a loop of
 *            volatile increments after each flag it clears; the output has
 *            gap/baseline and irqcore/gap, paired, and the loop's time
 *            (measured at the start, on the raiser's CPU);
 *  -G LOOPS  the same loop in irqcore's handler, after it clears its flag.
 */
#include <irqcore.h>

#include "benchutil.h"

#include <errno.h>
#include <getopt.h>
#include <linux/futex.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define NLINES		64u		/* one bitmap word, as M5 */
#define LINE0		64u		/* irqcore lines LINE0.. */
#define SETTLE_NS	1000000ul	/* after a slice: the idle side sleeps */
#define WARM_NS		1000000ul	/* before a slice's count starts */
#define SPIN_BUDGET_NS	200000ul

enum { TURN_SLEEP, TURN_CONSUME, TURN_EXIT };

static int cfg_coalesce_ns;		/* what irqcore ran with */

enum side { SIDE_IRQC, SIDE_BASE, SIDE_GAP, NR_SIDES };

static struct {
	unsigned long pairs, slice_ms, gap, handler_gap;
	int coalesce_ns;			/* -c: irqcore's, 0 its default */
	bool quiet;
	const char *json;
} opt = { .pairs = 200, .slice_ms = 10 };

/* what the -g loop increments: a store and a load per iteration that the
 * compiler must keep */
static volatile unsigned long gap_sink;

static inline void gap_work(unsigned long loops)
{
	for (unsigned long k = 0; k < loops; k++)
		gap_sink++;
}

/* raised and not handled yet: set by the raiser, cleared by the handler or
 * the consumer */
static _Alignas(64) _Atomic uint8_t flags[NLINES];

/* the baseline: its bitmap word, and the consumer's turn */
static struct {
	_Alignas(64) _Atomic uint64_t word;
	_Alignas(64) _Atomic uint32_t turn;	/* TURN_* (a futex word) */
	unsigned long gap;		/* loops after each flag clear; published
					   by the release store of the turn */
	pthread_t thread;
} bl;

static void futex(_Atomic uint32_t *w, int op, uint32_t v)
{
	syscall(SYS_futex, w, op | FUTEX_PRIVATE_FLAG, v, NULL, NULL, 0);
}

static void *consumer_main(void *arg)
{
	(void)arg;
	for (;;) {
		/* acquire: paired with the release store that gives the turn */
		uint32_t turn = atomic_load_explicit(&bl.turn, memory_order_acquire);
		uint64_t bits;

		if (turn == TURN_EXIT)
			return NULL;
		if (turn == TURN_SLEEP) {
			/* returns at once if the turn is no longer TURN_SLEEP */
			futex(&bl.turn, FUTEX_WAIT, TURN_SLEEP);
			continue;
		}
		if (!atomic_load_explicit(&bl.word, memory_order_relaxed)) {
			bench_cpu_relax();
			continue;
		}
		/* seq_cst: paired with the raiser's fetch_or */
		bits = atomic_exchange(&bl.word, 0);
		for (; bits; bits &= bits - 1) {
			/* release: paired with the raiser's acquire load */
			atomic_store_explicit(&flags[__builtin_ctzll(bits)], 0,
					      memory_order_release);
			gap_work(bl.gap);
		}
	}
}

static void consumer_turn(uint32_t turn)
{
	/* release: the flags' state before the consumer's turn */
	atomic_store_explicit(&bl.turn, turn, memory_order_release);
	if (turn != TURN_SLEEP)
		futex(&bl.turn, FUTEX_WAKE, 1);
}

static irqreturn_t handler(int irq, void *dev_id)
{
	(void)irq;
	/* release: paired with the raiser's acquire load of the flag */
	atomic_store_explicit((_Atomic uint8_t *)dev_id, 0, memory_order_release);
	gap_work(opt.handler_gap);
	return IRQ_HANDLED;
}

/* Raise until end_ns (checked once per sweep of the lines); the number of
 * raises. The same loop for both sides, inlined with a constant side. */
static inline __attribute__((always_inline)) uint64_t raise_until(bool irqc, uint64_t end_ns)
{
	uint64_t n = 0;

	do {
		for (unsigned int l = 0; l < NLINES; l++) {
			/* acquire: the handler's last run is over */
			if (atomic_load_explicit(&flags[l], memory_order_acquire))
				continue;
			/* relaxed: the raise publishes it (a seq_cst RMW) */
			atomic_store_explicit(&flags[l], 1, memory_order_relaxed);
			if (irqc) {
				if (irq_raise(LINE0 + l))
					bench_die("irq_raise failed");
			} else {
				/* seq_cst: paired with the consumer's exchange */
				atomic_fetch_or(&bl.word, 1ull << l);
			}
			n++;
		}
	} while (bench_now_ns() < end_ns);
	return n;
}

static void wait_flags_clear(void)
{
	struct bench_waiter w;

	bench_waiter_init(&w, "the last slice's handling");
	for (unsigned int l = 0; l < NLINES; l++)
		while (atomic_load_explicit(&flags[l], memory_order_acquire)) {
			bench_cpu_relax();
			bench_waiter_tick(&w);
		}
	bench_waiter_done(&w);
}

/* One slice of one side: raises per second over slice_ms. */
static double slice(enum side side)
{
	bool irqc = side == SIDE_IRQC;
	uint64_t t0, t1, n;

	if (!irqc) {
		bl.gap = side == SIDE_GAP ? opt.gap : 0;
		consumer_turn(TURN_CONSUME);
	}
	raise_until(irqc, bench_now_ns() + WARM_NS);
	t0 = bench_now_ns();
	n = raise_until(irqc, t0 + opt.slice_ms * 1000000ul);
	t1 = bench_now_ns();
	wait_flags_clear();
	if (!irqc)
		consumer_turn(TURN_SLEEP);
	bench_sleep_ns(SETTLE_NS);
	return (double)n * 1e9 / (double)(t1 - t0);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

struct quartiles {
	double p25, med, p75;
};

/* The quartiles of n values (nearest rank); sorts v. */
static struct quartiles quartiles(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return (struct quartiles){ v[(size_t)(0.25 * (double)(n - 1) + 0.5)],
				   v[(size_t)(0.5 * (double)(n - 1) + 0.5)],
				   v[(size_t)(0.75 * (double)(n - 1) + 0.5)] };
}

/* The series of a run: the sides' rates, then the paired ratios. */
enum { R_IRQC_BASE = NR_SIDES, R_BASE_IRQC, R_GAP_BASE, R_IRQC_GAP, NR_SERIES };

static void print_rate(const char *what, struct quartiles q)
{
	printf("  %-34s %8.2fM %8.2fM %8.2fM\n", what, q.p25 / 1e6, q.med / 1e6, q.p75 / 1e6);
}

static void print_ratio(const char *what, struct quartiles q)
{
	printf("  %-34s %9.3f %9.3f %9.3f\n", what, q.p25, q.med, q.p75);
}

/* Nanoseconds per gap of `loops` iterations: the best of 20 timings of
 * 10000 gaps on this (the raiser's) CPU. */
static double gap_calibrate(unsigned long loops)
{
	double best = 0;

	for (int t = 0; t < 20; t++) {
		uint64_t t0 = bench_now_ns();
		double ns;

		for (int i = 0; i < 10000; i++)
			gap_work(loops);
		ns = (double)(bench_now_ns() - t0) / 10000;
		if (!t || ns < best)
			best = ns;
	}
	return best;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: m5pair [-n PAIRS] [-s SLICE_MS] [-c NS] [-g LOOPS] [-G LOOPS] [-q]\n"
		"              [--json FILE]\n"
		"  -n  pairs of slices (default 200)\n"
		"  -s  milliseconds per slice (default 10)\n"
		"  -c  irqcore's coalesce_ns (-1: no coalescing; default: the library's)\n"
		"  -g  a third side: the baseline with LOOPS iterations of work after each\n"
		"      flag it clears (a threshold of M5, see bench/m5pair.c)\n"
		"  -G  LOOPS iterations of work in irqcore's handler (not M5: no --json)\n"
		"  -q  no table\n"
		"  --json FILE  the M5 figure in the common schema (bench/summarize)\n");
	exit(2);
}

static void write_json(const char *path, const struct bench_machine *m,
		       const struct quartiles *q, double gap_ns)
{
	FILE *f = fopen(path, "w");

	if (!f)
		bench_die("%s: %s", path, strerror(errno));
	bench_json_open(f, "m5pair", m, NULL);
	fprintf(f, ",\n  \"config\": {\"pairs\": %lu, \"slice_ms\": %lu, \"gap_loops\": %lu, "
		"\"handler_gap_loops\": %lu, \"coalesce_ns\": %d}", opt.pairs, opt.slice_ms, opt.gap,
		opt.handler_gap, cfg_coalesce_ns);
	fprintf(f, ",\n  \"figures\": [\n    {\"id\": \"M5\", \"case\": "
		"\"paired/dispatchers=1/threads=1\", \"metric\": \"raises/s\", "
		"\"unit\": \"raises/s\", \"value\": %.0f, \"baseline\": \"atomic OR into a "
		"bitmap + spinning consumer, paired %lu ms slices\", \"baseline_value\": %.0f, "
		"\"ratio\": %.4f, \"higher_is_better\": true, \"samples\": %lu, "
		"\"extra\": {\"paired_ratio_p25\": %.4f, \"paired_ratio_p75\": %.4f",
		q[SIDE_IRQC].med, opt.slice_ms, q[SIDE_BASE].med, q[R_BASE_IRQC].med, opt.pairs,
		q[R_IRQC_BASE].p25, q[R_IRQC_BASE].p75);
	if (opt.gap)
		fprintf(f, ", \"gap_ns\": %.2f, \"gap_value\": %.0f, "
			"\"paired_ratio_gap_baseline\": %.4f, \"paired_ratio_irqcore_gap\": %.4f",
			gap_ns, q[SIDE_GAP].med, q[R_GAP_BASE].med, q[R_IRQC_GAP].med);
	fprintf(f, "}}\n  ]\n}\n");
	if (fclose(f))
		bench_die("%s: %s", path, strerror(errno));
}

int main(int argc, char **argv)
{
	static const struct option lo[] = { { "json", required_argument, NULL, 'J' },
					    { NULL, 0, NULL, 0 } };
	struct irqcore_config cfg;
	struct bench_machine machine;
	cpu_set_t allowed, raiser, disp;
	double *v[NR_SERIES], ge = 0, gap_ns = 0;
	struct quartiles q[NR_SERIES] = { { 0, 0, 0 } };
	char list[16];
	int c, cpu_r, cpu_d = -1;

	bench_prog = "m5pair";
	while ((c = getopt_long(argc, argv, "n:s:g:G:c:qh", lo, NULL)) != -1) {
		switch (c) {
		case 'g': opt.gap = bench_parse_ul(optarg, "-g"); break;
		case 'G': opt.handler_gap = bench_parse_ul(optarg, "-G"); break;
		case 'c': opt.coalesce_ns = atoi(optarg); break;
		case 'n': opt.pairs = bench_parse_ul(optarg, "-n"); break;
		case 's': opt.slice_ms = bench_parse_ul(optarg, "-s"); break;
		case 'q': opt.quiet = true; break;
		case 'J': opt.json = optarg; break;
		default: usage();
		}
	}
	if (!opt.pairs || !opt.slice_ms)
		usage();
	if (opt.handler_gap && opt.json)
		bench_die("-G changes irqcore's handler: its figure is not M5 (no --json)");
	bench_machine_read(&machine);
	if (sched_getaffinity(0, sizeof(allowed), &allowed))
		bench_die("sched_getaffinity: %s", strerror(errno));
	cpu_r = bench_first_cpu(&allowed);
	for (int i = cpu_r + 1; i < CPU_SETSIZE && cpu_d < 0; i++)
		if (CPU_ISSET(i, &allowed))
			cpu_d = i;
	if (cpu_d < 0) {
		fprintf(stderr, "m5pair: warning: one CPU: the raiser and the handling side "
			"share it\n");
		cpu_d = cpu_r;
	}
	CPU_ZERO(&raiser);
	CPU_SET(cpu_r, &raiser);
	CPU_ZERO(&disp);
	CPU_SET(cpu_d, &disp);

	irqcore_config_init(&cfg);
	cfg.nr_cpus = 1;
	cfg.nr_irqs = 1024;		/* as M5 */
	cfg.idle = IRQCORE_IDLE_ADAPTIVE;
	cfg.spin_budget_ns = SPIN_BUDGET_NS;
	if (opt.coalesce_ns)
		cfg.coalesce_ns = opt.coalesce_ns;
	cfg.log = bench_log;
	snprintf(list, sizeof(list), "%d", cpu_d);
	cfg.cpu_list = list;
	cfg_coalesce_ns = cfg.coalesce_ns;
	if ((c = irqcore_init(&cfg)))
		bench_die("irqcore_init: %s", strerror(-c));
	for (unsigned int l = 0; l < NLINES; l++)
		if ((c = request_irq(LINE0 + l, handler, 0, "m5pair", (void *)&flags[l])))
			bench_die("request_irq: %s", strerror(-c));
	bench_thread_create(&bl.thread, consumer_main, NULL, &disp);
	bench_pin_self(&raiser);

	for (int k = 0; k < NR_SERIES; k++)
		if (!(v[k] = calloc(opt.pairs, sizeof(*v[k]))))
			bench_die("out of memory");
	if (opt.gap || opt.handler_gap)
		gap_ns = gap_calibrate(opt.gap ? opt.gap : opt.handler_gap);
	for (unsigned long i = 0; i < opt.pairs; i++) {
		/* A B (C), then (C) B A */
		static const enum side fwd[] = { SIDE_IRQC, SIDE_BASE, SIDE_GAP };
		unsigned int nsides = opt.gap ? 3 : 2;

		for (unsigned int k = 0; k < nsides; k++) {
			enum side sd = fwd[i % 2 ? nsides - 1 - k : k];

			v[sd][i] = slice(sd);
		}
		v[R_IRQC_BASE][i] = v[SIDE_IRQC][i] / v[SIDE_BASE][i];
		v[R_BASE_IRQC][i] = v[SIDE_BASE][i] / v[SIDE_IRQC][i];
		ge += v[R_IRQC_BASE][i] >= 0.95;
		if (opt.gap) {
			v[R_GAP_BASE][i] = v[SIDE_GAP][i] / v[SIDE_BASE][i];
			v[R_IRQC_GAP][i] = v[SIDE_IRQC][i] / v[SIDE_GAP][i];
		}
	}

	consumer_turn(TURN_EXIT);
	pthread_join(bl.thread, NULL);
	for (unsigned int l = 0; l < NLINES; l++)
		free_irq(LINE0 + l, (void *)&flags[l]);
	irqcore_shutdown();

	for (int k = 0; k < NR_SERIES; k++)
		if (opt.gap || (k != SIDE_GAP && k != R_GAP_BASE && k != R_IRQC_GAP))
			q[k] = quartiles(v[k], opt.pairs);
	if (!opt.quiet) {
		printf("m5pair: M5, 1 raiser (CPU %d) -> 1 dispatcher (CPU %d), 64 lines, "
		       "%lu pairs of %lu ms slices, ABBA; coalesce_ns %d\n", cpu_r, cpu_d,
		       opt.pairs, opt.slice_ms, cfg_coalesce_ns);
		printf("  %-34s %9s %9s %9s\n", "raises/s", "p25", "median", "p75");
		if (opt.handler_gap) {
			char what[64];

			snprintf(what, sizeof(what), "irqcore, %lu-loop handler (%.1f ns)",
				 opt.handler_gap, opt.gap ? gap_calibrate(opt.handler_gap) :
				 gap_ns);
			print_rate(what, q[SIDE_IRQC]);
		} else {
			print_rate("irqcore", q[SIDE_IRQC]);
		}
		print_rate("atomic OR + spinning consumer", q[SIDE_BASE]);
		if (opt.gap) {
			char what[64];

			snprintf(what, sizeof(what), "the same, %lu-loop gap (%.1f ns)",
				 opt.gap, gap_ns);
			print_rate(what, q[SIDE_GAP]);
		}
		print_ratio("paired ratio irqcore/baseline", q[R_IRQC_BASE]);
		if (opt.gap) {
			print_ratio("paired ratio gap/baseline", q[R_GAP_BASE]);
			print_ratio("paired ratio irqcore/gap", q[R_IRQC_GAP]);
		}
		printf("  pairs with irqcore at >= 0.95x of the baseline: %.0f%%\n",
		       100.0 * ge / (double)opt.pairs);
	}
	if (opt.json)
		write_json(opt.json, &machine, q, gap_ns);
	for (int k = 0; k < NR_SERIES; k++)
		free(v[k]);
	return 0;
}
