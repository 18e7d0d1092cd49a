/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * srcpoll — an eventfd line's latency, write() to hard-handler entry, with
 * IRQCORE_SRC_F_POLL (the line's spinning CPU polls the fd) against the
 * same line watched by the source thread (epoll), in the same run.
 *
 * One sample: the writer (this program's main thread, pinned to the first
 * CPU the process may use) takes t0 and write()s 1 to the eventfd; the hard
 * handler, run by the only dispatcher (IRQCORE_IDLE_SPIN, on the second
 * CPU), takes t1 on entry (both CLOCK_MONOTONIC). The writer waits until
 * the handler has run, then busy-waits -g ns before the next sample. On the
 * epoll side the path is: the source thread wakes from epoll_wait, reads
 * the counter, raises the line, the spinning dispatcher sees the bit; on
 * the polled side: the dispatcher's poll() of the fd sees it readable,
 * reads it, raises and handles the line itself.
 *
 * Rounds (-r), each side once per round in ABBA order, each segment a fresh
 * irqcore_init with -w warm-up samples discarded; -n samples per side and
 * round. Ratios are polled / epoll at the same percentile. Every thread
 * runs SCHED_OTHER unless -p gives a SCHED_FIFO priority (the writer and
 * the dispatcher; the source thread stays SCHED_OTHER, as the library makes
 * it, and is not pinned: on a 2-CPU machine it then starves behind the two
 * spinning FIFO threads, so -p is for machines with a third CPU).
 */
#include <irqcore.h>

#include "benchutil.h"
#include "hist.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include <poll.h>

static struct {
	unsigned long n, rounds, warm, gap_ns;
	int prio;
	const char *json;
	bool quiet, verbose;
} opt = { .n = 20000, .rounds = 4, .warm = 500, .gap_ns = 20000 };

static _Atomic uint64_t t_entry;
static _Atomic uint32_t entries;

static irqreturn_t on_event(int irq, void *dev)
{
	(void)irq;
	(void)dev;
	/* release: t_entry before the count the writer waits on */
	atomic_store_explicit(&t_entry, bench_now_ns(), memory_order_relaxed);
	atomic_fetch_add_explicit(&entries, 1, memory_order_release);
	return IRQ_HANDLED;
}

static void usage(void)
{
	fprintf(stderr, "usage: srcpoll [-n SAMPLES] [-r ROUNDS] [-w WARMUP] [-g GAP_NS] "
		"[-p FIFO_PRIO] [-q] [-v: samples over 20 ms] [--json FILE]\n");
	exit(2);
}

/* The sample being waited for, for the stall report. */
static struct stalled {
	bool polled;
	int irq, efd;
	unsigned long sample;
} stalled;

/* A wait passed 2 s (benchutil): the source and the line as the library
 * sees them. */
static void stall_report(void)
{
	struct irqcore_source_stats st = { 0 };
	struct irq_status is = { 0 };
	struct pollfd p = { .fd = stalled.efd, .events = POLLIN };

	irqcore_source_get_stats((unsigned int)stalled.irq, &st);
	irq_get_status((unsigned int)stalled.irq, &is);
	fprintf(stderr, "  %s, sample %lu: events read %llu, errors %llu, fd readable %d, "
		"pending %d\n", stalled.polled ? "polled" : "epoll", stalled.sample, st.events,
		st.errors, poll(&p, 1, 0), (int)is.pending);
	fflush(stderr);
}

/* One segment: a fresh instance, the line polled or not, samples into h. */
static cpu_set_t allowed, writer_cpu;

static void segment(bool polled, struct hist *h, int cpu_disp)
{
	struct irqcore_config cfg;
	char list[16];
	int efd = eventfd(0, EFD_CLOEXEC), irq, ret;
	struct irqcore_source src = { .kind = IRQCORE_SRC_EVENTFD, .fd = efd, .ctl_fd = -1,
				      .flags = polled ? IRQCORE_SRC_F_POLL : 0 };
	uint64_t one = 1;

	if (efd < 0)
		bench_die("eventfd: %s", strerror(errno));
	irqcore_config_init(&cfg);
	cfg.nr_cpus = 1;
	cfg.flags = IRQCORE_F_NO_EXPORT;
	cfg.idle = IRQCORE_IDLE_SPIN;
	cfg.log = bench_log;
	cfg.dispatcher_priority = opt.prio;
	if (cpu_disp >= 0) {
		snprintf(list, sizeof(list), "%d", cpu_disp);
		cfg.cpu_list = list;
	}
	bench_pin_self(&allowed);	/* init checks the list against it */
	if ((ret = irqcore_init(&cfg)))
		bench_die("irqcore_init: %d", ret);
	irq = irqcore_source_attach(-1, &src);
	if (irq < 0)
		bench_die("irqcore_source_attach: %d", irq);
	if ((ret = request_irq((unsigned int)irq, on_event, 0, "srcpoll", NULL)))
		bench_die("request_irq: %d", ret);
	/* after attach: the source thread (started by it) may use every CPU */
	if (cpu_disp >= 0)
		bench_pin_self(&writer_cpu);	/* the dispatcher has a CPU of its own */
	for (unsigned long i = 0; i < opt.warm + opt.n; i++) {
		uint32_t seen = atomic_load_explicit(&entries, memory_order_relaxed);
		uint64_t t0 = bench_now_ns(), t1;
		struct bench_waiter w;

		if (write(efd, &one, sizeof(one)) != (ssize_t)sizeof(one))
			bench_die("write(eventfd): %s", strerror(errno));
		uint64_t tw = bench_now_ns();

		stalled = (struct stalled){ polled, irq, efd, i };
		bench_waiter_init(&w, "the handler's run");
		/* acquire: paired with the handler's release add */
		while (atomic_load_explicit(&entries, memory_order_acquire) == seen) {
			bench_cpu_relax();
			bench_waiter_tick(&w);
		}
		bench_waiter_done(&w);
		t1 = atomic_load_explicit(&t_entry, memory_order_relaxed);
		if (i >= opt.warm)
			hist_record(h, t1 > t0 ? t1 - t0 : 0);
		if (opt.verbose && t1 - t0 > 20000000)
			fprintf(stderr, "srcpoll: %s sample %lu: %.1f ms (write took %.1f ms)\n",
				polled ? "polled" : "epoll", i, (t1 - t0) / 1e6, (tw - t0) / 1e6);
		bench_spin_ns(opt.gap_ns);
	}
	free_irq((unsigned int)irq, NULL);
	irqcore_source_detach((unsigned int)irq);
	irqcore_shutdown();
	close(efd);
}

static void row(const char *name, const struct hist *h)
{
	char a[16], b[16], c[16], d[16];

	printf("  %-22s %10s %10s %10s %10s\n", name,
	       hist_fmt_ns(a, sizeof(a), hist_percentile(h, 50)),
	       hist_fmt_ns(b, sizeof(b), hist_percentile(h, 99)),
	       hist_fmt_ns(c, sizeof(c), hist_percentile(h, 99.9)),
	       hist_fmt_ns(d, sizeof(d), hist_max(h)));
}

static double ratio(const struct hist *a, const struct hist *b, double p)
{
	double x = (double)(p >= 100 ? hist_max(a) : hist_percentile(a, p));
	double y = (double)(p >= 100 ? hist_max(b) : hist_percentile(b, p));

	return y > 0 ? x / y : 0;
}

int main(int argc, char **argv)
{
	static struct hist h_poll, h_epoll;
	static const struct option lo[] = { { "json", required_argument, NULL, 'J' },
					    { NULL, 0, NULL, 0 } };
	static const double pct[] = { 50, 99, 99.9, 100 };
	int c, cpu_w, cpu_d = -1, k = 0;

	bench_prog = "srcpoll";
	bench_set_stall_report(stall_report);
	while ((c = getopt_long(argc, argv, "n:r:w:g:p:qvh", lo, NULL)) != -1) {
		switch (c) {
		case 'n': opt.n = bench_parse_ul(optarg, "-n"); break;
		case 'r': opt.rounds = bench_parse_ul(optarg, "-r"); break;
		case 'w': opt.warm = bench_parse_ul(optarg, "-w"); break;
		case 'g': opt.gap_ns = bench_parse_ul(optarg, "-g"); break;
		case 'p': opt.prio = (int)bench_parse_ul(optarg, "-p"); break;
		case 'q': opt.quiet = true; break;
		case 'v': opt.verbose = true; break;
		case 'J': opt.json = optarg; break;
		default: usage();
		}
	}
	if (sched_getaffinity(0, sizeof(allowed), &allowed))
		bench_die("sched_getaffinity: %s", strerror(errno));
	cpu_w = bench_first_cpu(&allowed);
	for (int i = cpu_w + 1; i < CPU_SETSIZE; i++)
		if (CPU_ISSET(i, &allowed)) {
			cpu_d = i;
			break;
		}
	CPU_ZERO(&writer_cpu);
	CPU_SET(cpu_w, &writer_cpu);
	if (opt.prio && bench_set_fifo(0, opt.prio)) {
		fprintf(stderr, "srcpoll: SCHED_FIFO %d refused: SCHED_OTHER\n", opt.prio);
		opt.prio = 0;
	}
	hist_init(&h_poll);
	hist_init(&h_epoll);
	for (unsigned long r = 0; r < opt.rounds; r++)
		for (int s = 0; s < 2; s++, k++) {
			bool polled = (r % 2 == 0) == (s == 0);	/* ABBA */

			segment(polled, polled ? &h_poll : &h_epoll, cpu_d);
		}
	printf("srcpoll: eventfd line, write -> hard handler, IDLE_SPIN, writer CPU %d, "
	       "dispatcher CPU %d, %lu x %lu samples per side, gap %lu ns, %s\n",
	       cpu_w, cpu_d, opt.rounds, opt.n, opt.gap_ns,
	       opt.prio ? "SCHED_FIFO" : "SCHED_OTHER");
	{
		char la[64];

		bench_loadavg(la, sizeof(la));
		printf("  load average %s\n", la);
	}
	printf("  %-22s %10s %10s %10s %10s\n", "series", "p50", "p99", "p99.9", "max");
	row("epoll (source thread)", &h_epoll);
	row("F_POLL (dispatcher)", &h_poll);
	printf("  %-22s", "ratio polled/epoll");
	for (unsigned int i = 0; i < 4; i++)
		printf(" %10.3f", ratio(&h_poll, &h_epoll, pct[i]));
	printf("\n");
	if (opt.json) {
		FILE *f = fopen(opt.json, "w");

		if (!f)
			bench_die("%s: %s", opt.json, strerror(errno));
		fprintf(f, "{\n  \"tool\": \"srcpoll\",\n  \"epoll\": ");
		hist_write_json(f, &h_epoll, 4);
		fprintf(f, ",\n  \"polled\": ");
		hist_write_json(f, &h_poll, 4);
		fprintf(f, ",\n  \"ratio\": { \"p50\": %.4f, \"p99\": %.4f, \"p99.9\": %.4f, "
			"\"max\": %.4f }\n}\n", ratio(&h_poll, &h_epoll, 50),
			ratio(&h_poll, &h_epoll, 99), ratio(&h_poll, &h_epoll, 99.9),
			ratio(&h_poll, &h_epoll, 100));
		fclose(f);
	}
	return 0;
}
