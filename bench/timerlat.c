/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * timerlat — M8: deadline -> handler-entry lateness of a periodic tick
 * (default 1 kHz), p50/p99/p99.9/max, for irqcore's deadline timer line
 * (IRQCORE_SRC_TIMER) against, in the same run and at the same scheduling
 * class,
 *   (a) a timerfd + epoll loop (an absolute, periodic timerfd), and
 *   (b) a clock_nanosleep(TIMER_ABSTIME) loop, as cyclictest measures.
 * Every series uses deadlines on multiples of the period on
 * CLOCK_MONOTONIC; lateness = clock_gettime() at handler entry (the loop
 * body for the baselines) - the deadline. The timer line also reports the
 * share of its dispatcher's time spent spinning before the deadlines (the
 * price of the lead), printed beside the figures and written in the JSON.
 *
 *   timerlat [-n TICKS] [-P PERIOD_US] [-L LEAD_US] [-p PRIO] [--json FILE] [-q]
 *
 * Ratios are irqcore / baseline (> 1: irqcore is later). The figure ids
 * are M8 with cases "timerfd" and "nanosleep" (the baseline each compares
 * with); the goal of issue 10 is p99 <= 1/10 of the best baseline's.
 */
#include "benchutil.h"
#include "hist.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "irqcore.h"

static struct {
	unsigned long n;		/* ticks per series */
	unsigned long period_ns, lead_ns;
	int prio;			/* SCHED_FIFO priority; 0: SCHED_OTHER */
	const char *json;
	bool quiet;
} opt = { .n = 5000, .period_ns = 1000000, .lead_ns = 0, .prio = 80 };

static struct bench_machine machine;
static struct hist h_line, h_tfd, h_ns;
static int got_policy = SCHED_OTHER;
static double spin_share, line_missed;
static unsigned long long line_late_max, line_lead;

static uint64_t first_deadline(void)
{
	/* two periods ahead, on a multiple of the period */
	return (bench_now_ns() / opt.period_ns + 2) * opt.period_ns;
}

static void sched_self(void)
{
	int err = bench_set_fifo(0, opt.prio);

	if (err && opt.prio) {
		if (!opt.quiet)
			fprintf(stderr, "timerlat: SCHED_FIFO %d refused (%s): every series "
				"runs SCHED_OTHER\n", opt.prio, strerror(err));
		opt.prio = 0;
		bench_set_fifo(0, 0);
	}
	got_policy = opt.prio ? SCHED_FIFO : SCHED_OTHER;
}

/* ---- (b) clock_nanosleep(TIMER_ABSTIME) ---- */

static void run_nanosleep(void)
{
	uint64_t d = first_deadline();

	for (unsigned long i = 0; i < opt.n; i++, d += opt.period_ns) {
		struct timespec ts = { (time_t)(d / 1000000000ull), (long)(d % 1000000000ull) };

		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
			;
		hist_record(&h_ns, bench_now_ns() - d);
	}
}

/* ---- (a) timerfd + epoll ---- */

static void run_timerfd(void)
{
	int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	int ep = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event ev = { .events = EPOLLIN };
	uint64_t d = first_deadline();
	struct itimerspec its = {
		.it_interval = { 0, (long)opt.period_ns },
		.it_value = { (time_t)(d / 1000000000ull), (long)(d % 1000000000ull) },
	};

	if (tfd < 0 || ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, tfd, &ev) ||
	    timerfd_settime(tfd, TFD_TIMER_ABSTIME, &its, NULL))
		bench_die("timerfd/epoll setup: %s", strerror(errno));
	for (unsigned long i = 0; i < opt.n;) {
		uint64_t exp, now;

		if (epoll_wait(ep, &ev, 1, -1) != 1)
			continue;
		now = bench_now_ns();
		if (read(tfd, &exp, sizeof(exp)) != sizeof(exp))
			continue;
		hist_record(&h_tfd, now - d);	/* the first expiration of this wake */
		d += exp * opt.period_ns;
		i += exp;
	}
	close(tfd);
	close(ep);
}

/* ---- the timer line ---- */

static atomic_ulong line_ticks;

static irqreturn_t on_tick(int irq, void *dev)
{
	uint64_t now = bench_now_ns();
	unsigned long n = atomic_load_explicit(&line_ticks, memory_order_relaxed);

	(void)irq;
	(void)dev;
	/* deadlines are multiples of the period; a run later than a period
	 * would have been skipped (and counted as missed) */
	if (n < opt.n)
		hist_record(&h_line, now % opt.period_ns);
	atomic_store_explicit(&line_ticks, n + 1, memory_order_release);
	return IRQ_HANDLED;
}

static void run_line(void)
{
	struct irqcore_config cfg;
	struct irqcore_source src = { .kind = IRQCORE_SRC_TIMER, .fd = -1,
				      .period_ns = opt.period_ns, .lead_ns = opt.lead_ns };
	struct irqcore_source_stats st;
	uint64_t t0, t1;
	int irq, ret;

	irqcore_config_init(&cfg);
	cfg.nr_cpus = 1;
	cfg.flags = IRQCORE_F_NO_EXPORT;
	cfg.log = bench_log;
	cfg.thread_priority = opt.prio ? opt.prio : -1;
	if ((ret = irqcore_init(&cfg)))
		bench_die("irqcore_init: %d", ret);
	irq = irqcore_source_attach(-1, &src);
	if (irq < 0)
		bench_die("irqcore_source_attach: %d", irq);
	if (opt.prio) {
		/* the dispatcher at the baselines' class: it is thread
		 * "irqcore/0" of this process */
		char path[64], comm[32];

		for (int tid = getpid(); tid < getpid() + 64; tid++) {
			FILE *f;

			snprintf(path, sizeof(path), "/proc/self/task/%d/comm", tid);
			if (!(f = fopen(path, "r")))
				continue;
			if (fgets(comm, sizeof(comm), f) && !strncmp(comm, "irqcore/0", 9))
				bench_set_fifo(tid, opt.prio);
			fclose(f);
		}
	}
	if ((ret = request_irq((unsigned int)irq, on_tick, 0, "tick", NULL)))
		bench_die("request_irq: %d", ret);
	t0 = bench_now_ns();
	while (atomic_load_explicit(&line_ticks, memory_order_acquire) < opt.n)
		bench_sleep_ns(10000000);
	t1 = bench_now_ns();
	irqcore_source_get_stats((unsigned int)irq, &st);
	spin_share = 100.0 * (double)st.spin_ns / (double)(t1 - t0);
	line_missed = (double)st.missed;
	line_late_max = st.late_max_ns;
	line_lead = st.lead_ns;
	free_irq((unsigned int)irq, NULL);
	irqcore_source_detach((unsigned int)irq);
	irqcore_shutdown();
}

static double ratio(uint64_t a, uint64_t b)
{
	return b ? (double)a / (double)b : 0;
}

static void print_table(void)
{
	static const struct { const char *name; double p; } cols[] = {
		{ "p50", 50 }, { "p99", 99 }, { "p99.9", 99.9 }, { "max", 100 },
	};
	const struct { const char *name; const struct hist *h; } rows[] = {
		{ "timer line", &h_line },
		{ "timerfd+epoll", &h_tfd },
		{ "clock_nanosleep", &h_ns },
	};

	printf("M8 tick lateness (deadline -> handler entry), %lu ticks at %lu us, %s%s%d\n",
	       opt.n, opt.period_ns / 1000, bench_policy_name(got_policy),
	       got_policy == SCHED_FIFO ? " " : "", got_policy == SCHED_FIFO ? opt.prio : 0);
	printf("  %-16s", "");
	for (size_t c = 0; c < 4; c++)
		printf(" %10s", cols[c].name);
	printf("\n");
	for (size_t r = 0; r < 3; r++) {
		printf("  %-16s", rows[r].name);
		for (size_t c = 0; c < 4; c++)
			printf(" %8lluns", (unsigned long long)hist_percentile(rows[r].h, cols[c].p));
		printf("\n");
	}
	for (size_t r = 1; r < 3; r++) {
		printf("  ratio vs %-7s", r == 1 ? "timerfd" : "sleep");
		for (size_t c = 0; c < 4; c++)
			printf(" %9.3fx", ratio(hist_percentile(&h_line, cols[c].p),
					       hist_percentile(rows[r].h, cols[c].p)));
		printf("\n");
	}
	printf("  timer line: lead %s%llu us, dispatcher spinning %.1f%% of the run, "
	       "missed %.0f, late_max %llu ns\n", opt.lead_ns ? "" : "adaptive, at the end ",
	       line_lead / 1000, spin_share, line_missed, line_late_max);
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
	bench_report_add(&rep, "M8", "timerfd", "timer line", &h_line, "timerfd+epoll", &h_tfd);
	bench_report_add(&rep, "M8", "nanosleep", "timer line", &h_line, "clock_nanosleep", &h_ns);
	bench_json_open(f, "timerlat", &machine, machine_extra);
	fprintf(f, ",\n  \"benchmark\": \"timerlat\"");
	fprintf(f, ",\n  \"config\": { \"ticks\": %lu, \"period_ns\": %lu, \"lead_ns\": %lu, "
		"\"policy\": \"%s\", \"priority\": %d }", opt.n, opt.period_ns, opt.lead_ns,
		bench_policy_name(got_policy), opt.prio);
	fprintf(f, ",\n  \"timer_line\": { \"spin_percent\": %.2f, \"missed\": %.0f, "
		"\"late_max_ns\": %llu, \"lead_ns_end\": %llu }", spin_share, line_missed,
		line_late_max, line_lead);
	bench_json_close(f, &rep);
	if (fclose(f))
		bench_die("%s: %s", path, strerror(errno));
}

static void usage(int code)
{
	fprintf(code ? stderr : stdout,
		"usage: timerlat [-n TICKS] [-P PERIOD_US] [-L LEAD_US] [-p PRIO] [--json FILE] [-q]\n"
		"  -n TICKS     ticks per series (default 5000)\n"
		"  -P US        period in microseconds (default 1000: 1 kHz)\n"
		"  -L US        the timer line's lead (default 0: adaptive)\n"
		"  -p PRIO      SCHED_FIFO priority of every series (default 80; 0: SCHED_OTHER)\n"
		"  --json FILE  the figures JSON (bench/README.md)\n");
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

	bench_prog = "timerlat";
	while ((c = getopt_long(argc, argv, "n:P:L:p:qh", lopts, NULL)) != -1) {
		switch (c) {
		case 'n': opt.n = bench_parse_ul(optarg, "-n"); break;
		case 'P': opt.period_ns = bench_parse_ul(optarg, "-P") * 1000; break;
		case 'L': opt.lead_ns = bench_parse_ul(optarg, "-L") * 1000; break;
		case 'p': opt.prio = (int)bench_parse_ul(optarg, "-p"); break;
		case 'j': opt.json = optarg; break;
		case 'q': opt.quiet = true; break;
		case 'h': usage(0); break;
		default: usage(2);
		}
	}
	if (!opt.n || !opt.period_ns || opt.lead_ns > opt.period_ns)
		usage(2);
	bench_machine_read(&machine);
	hist_init(&h_line);
	hist_init(&h_tfd);
	hist_init(&h_ns);
	sched_self();
	/* interleaved order would be fairer on a noisy machine; one series
	 * after the other keeps each loop undisturbed by the others */
	run_nanosleep();
	run_timerfd();
	run_line();
	print_table();
	if (opt.json)
		write_json(opt.json);
	return 0;
}
