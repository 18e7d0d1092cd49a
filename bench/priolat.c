/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * priolat — M9: raise -> handler-entry latency of a "tick" line while N
 * bulk lines, raised just before it, are pending on the same CPU, with and
 * without priority classes (irq_set_priority), p50/p99/p99.9/max.
 *
 * One spinning dispatcher (CPU 0); the raiser (this thread) on another PU
 * when there is one. Each sample: irq_raise_many() of the N bulk lines
 * (class 0, each handler busy for -w ns), then irq_raise() of the tick
 * line, numbered after them; the tick's handler records now - the time
 * taken just before its raise. The raiser waits for every handler of the
 * sample before the next one. Three series, interleaved sample by sample:
 *   classes   the tick in class 7: it runs after the bulk handler running
 *             when it was raised (the drain yields to the higher class);
 *   flat      the tick in class 0, as without classes: behind all N;
 *   alone     the tick in class 7 with nothing else pending: the floor;
 *   after     the tick in class 0, raised as soon as the last bulk handler
 *             has returned: the dispatcher has just handled N events and
 *             waits min(N, 16) x coalesce_ns before its next look at class
 *             0 (interrupt coalescing, D10); the tick waits what is left.
 * Figures: M9/classes (classes vs flat: the gain, well below 1), M9/alone
 * (classes vs alone: what the pending bulk still costs the tick, at most
 * one bulk handler) and M9/after (after vs alone: what the coalescing wait
 * costs a class-0 line raised right after a burst; -c -1: no wait).
 *
 *   priolat [-n SAMPLES] [-N BULK] [-w WORK_NS] [--json FILE] [-q]
 */
#include "benchutil.h"
#include "hist.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "irqcore.h"

#define TICK		1000
#define MAX_BULK	960

static struct {
	unsigned long n;		/* samples per series */
	unsigned int bulk;		/* bulk lines pending before the tick */
	unsigned long work_ns;		/* each bulk handler's busy time */
	int coalesce_ns;		/* irqcore's; 0: its default */
	const char *json;
	bool quiet;
} opt = { .n = 2000, .bulk = 256, .work_ns = 1000 };

static struct bench_machine machine;
static struct hist h_classes, h_flat, h_alone, h_after;
static struct hist *cur;
static _Atomic uint64_t t_raise;
static _Atomic unsigned long done;	/* handlers run */
static unsigned int bulk_irqs[MAX_BULK];

static irqreturn_t on_bulk(int irq, void *dev)
{
	uint64_t end = bench_now_ns() + opt.work_ns;

	(void)irq;
	(void)dev;
	while (bench_now_ns() < end)
		;
	atomic_fetch_add_explicit(&done, 1, memory_order_release);
	return IRQ_HANDLED;
}

static irqreturn_t on_tick(int irq, void *dev)
{
	uint64_t now = bench_now_ns();

	(void)irq;
	(void)dev;
	hist_record(cur, now - atomic_load_explicit(&t_raise, memory_order_relaxed));
	atomic_fetch_add_explicit(&done, 1, memory_order_release);
	return IRQ_HANDLED;
}

enum bulk { NO_BULK, BULK_PENDING, BULK_DONE };

static void sample(struct hist *h, unsigned int prio, enum bulk bulk)
{
	unsigned long want;
	int ret;

	if ((ret = irq_set_priority(TICK, prio)))
		bench_die("irq_set_priority: %d", ret);
	cur = h;
	atomic_store(&done, 0);
	want = 1 + (bulk != NO_BULK ? opt.bulk : 0);
	if (bulk != NO_BULK && (ret = irq_raise_many(bulk_irqs, opt.bulk)))
		bench_die("irq_raise_many: %d", ret);
	if (bulk == BULK_DONE)		/* the tick right after the last bulk handler */
		while (atomic_load_explicit(&done, memory_order_acquire) < opt.bulk)
			;
	atomic_store_explicit(&t_raise, bench_now_ns(), memory_order_relaxed);
	if ((ret = irq_raise(TICK)))
		bench_die("irq_raise: %d", ret);
	while (atomic_load_explicit(&done, memory_order_acquire) < want)
		;
}

static void run(void)
{
	struct irqcore_config cfg;
	cpu_set_t m;
	int ret;

	irqcore_config_init(&cfg);
	cfg.nr_cpus = 1;
	cfg.idle = IRQCORE_IDLE_SPIN;
	cfg.flags = IRQCORE_F_NO_EXPORT;
	if (opt.coalesce_ns)
		cfg.coalesce_ns = opt.coalesce_ns;
	cfg.log = bench_log;
	if ((ret = irqcore_init(&cfg)))
		bench_die("irqcore_init: %d", ret);
	/* the raiser away from the dispatcher's PU where there is another */
	if (sysconf(_SC_NPROCESSORS_ONLN) > 1) {
		CPU_ZERO(&m);
		CPU_SET(1, &m);
		bench_pin_self(&m);
	}
	for (unsigned int i = 0; i < opt.bulk; i++) {
		bulk_irqs[i] = i;
		if ((ret = request_irq(i, on_bulk, 0, "bulk", NULL)))
			bench_die("request_irq: %d", ret);
	}
	if ((ret = request_irq(TICK, on_tick, 0, "tick", NULL)))
		bench_die("request_irq: %d", ret);
	for (unsigned long i = 0; i < 100; i++)		/* warm-up */
		sample(&h_alone, 7, BULK_PENDING);
	hist_init(&h_alone);
	for (unsigned long i = 0; i < opt.n; i++) {
		sample(&h_classes, 7, BULK_PENDING);
		sample(&h_flat, 0, BULK_PENDING);
		sample(&h_alone, 7, NO_BULK);
		sample(&h_after, 0, BULK_DONE);
	}
	for (unsigned int i = 0; i < opt.bulk; i++)
		free_irq(i, NULL);
	free_irq(TICK, NULL);
	irqcore_shutdown();
}

static double ratio(uint64_t a, uint64_t b)
{
	return b ? (double)a / (double)b : 0;
}

static void print_table(void)
{
	static const double ps[4] = { 50, 99, 99.9, 100 };
	static const char *names[4] = { "p50", "p99", "p99.9", "max" };
	const struct { const char *name; const struct hist *h; } rows[] = {
		{ "tick, classes", &h_classes },
		{ "tick, flat", &h_flat },
		{ "tick alone", &h_alone },
		{ "tick after bulk", &h_after },
	};

	printf("M9 tick latency (raise -> handler entry) behind %u pending bulk lines "
	       "of %lu ns each, %lu samples\n", opt.bulk, opt.work_ns, opt.n);
	printf("  %-16s", "");
	for (size_t c = 0; c < 4; c++)
		printf(" %10s", names[c]);
	printf("\n");
	for (size_t r = 0; r < 4; r++) {
		printf("  %-16s", rows[r].name);
		for (size_t c = 0; c < 4; c++)
			printf(" %8lluns", (unsigned long long)hist_percentile(rows[r].h, ps[c]));
		printf("\n");
	}
	for (size_t r = 1; r < 3; r++) {
		printf("  classes / %-5s", r == 1 ? "flat" : "alone");
		for (size_t c = 0; c < 4; c++)
			printf(" %9.3fx", ratio(hist_percentile(&h_classes, ps[c]),
					       hist_percentile(rows[r].h, ps[c])));
		printf("\n");
	}
	printf("  %-16s", "after / alone");
	for (size_t c = 0; c < 4; c++)
		printf(" %9.3fx", ratio(hist_percentile(&h_after, ps[c]),
				       hist_percentile(&h_alone, ps[c])));
	printf("\n");
}

static void machine_extra(FILE *f)
{
	(void)f;
}

static void write_json(const char *path)
{
	struct bench_report rep;
	FILE *f = fopen(path, "w");

	if (!f)
		bench_die("%s: %s", path, strerror(errno));
	bench_report_init(&rep);
	bench_report_add(&rep, "M9", "classes", "tick class 7", &h_classes,
			 "tick class 0 (no classes)", &h_flat);
	bench_report_add(&rep, "M9", "alone", "tick class 7", &h_classes,
			 "tick with nothing pending", &h_alone);
	bench_report_add(&rep, "M9", "after", "tick class 0 right after the bulk", &h_after,
			 "tick with nothing pending", &h_alone);
	bench_json_open(f, "priolat", &machine, machine_extra);
	fprintf(f, ",\n  \"benchmark\": \"priolat\"");
	fprintf(f, ",\n  \"config\": { \"samples\": %lu, \"bulk_lines\": %u, \"work_ns\": %lu, "
		"\"coalesce_ns\": %d }", opt.n, opt.bulk, opt.work_ns, opt.coalesce_ns);
	bench_json_close(f, &rep);
	if (fclose(f))
		bench_die("%s: %s", path, strerror(errno));
}

static void usage(int code)
{
	fprintf(code ? stderr : stdout,
		"usage: priolat [-n SAMPLES] [-N BULK] [-w WORK_NS] [-c NS] [--json FILE] [-q]\n"
		"  -n SAMPLES   samples per series (default 2000)\n"
		"  -N BULK      bulk lines pending before the tick (default 256, at most %d)\n"
		"  -w NS        each bulk handler's busy time (default 1000)\n"
		"  -c NS        irqcore's coalesce_ns (-1: none; default: the library's)\n"
		"  --json FILE  the figures JSON (bench/README.md)\n", MAX_BULK);
	exit(code);
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "json", required_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0, 0, 0, 0 },
	};
	int c;

	bench_prog = "priolat";
	while ((c = getopt_long(argc, argv, "n:N:w:c:qh", lopts, NULL)) != -1) {
		switch (c) {
		case 'n': opt.n = bench_parse_ul(optarg, "-n"); break;
		case 'N': opt.bulk = (unsigned int)bench_parse_ul(optarg, "-N"); break;
		case 'w': opt.work_ns = bench_parse_ul(optarg, "-w"); break;
		case 'c': opt.coalesce_ns = atoi(optarg); break;
		case 'j': opt.json = optarg; break;
		case 'q': opt.quiet = true; break;
		case 'h': usage(0); break;
		default: usage(2);
		}
	}
	if (!opt.n || !opt.bulk || opt.bulk > MAX_BULK)
		usage(2);
	bench_machine_read(&machine);
	hist_init(&h_classes);
	hist_init(&h_flat);
	hist_init(&h_alone);
	hist_init(&h_after);
	run();
	print_table();
	if (opt.json)
		write_json(opt.json);
	return 0;
}
