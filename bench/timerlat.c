/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * timerlat — M8: deadline -> handler-entry lateness of a periodic tick
 * (default 1 kHz), p50/p99/p99.9/max, for irqcore's deadline timer line
 * (IRQCORE_SRC_TIMER) against, in the same run and at the same scheduling
 * class,
 *   (a) a timerfd + epoll loop (an absolute, periodic timerfd), and
 *   (b) a clock_nanosleep(TIMER_ABSTIME) loop, as cyclictest measures,
 * and what spinning through the deadlines gets:
 *   (c) a loop that spins on the clock through each deadline (90% of
 *       each period: see run_spin): its lateness is the time the CPU was
 *       not ours at the deadline (host preemption on a VM, interrupts, the
 *       guest's own tick), what a lead as long as the period would get.
 * Every series records every deadline: one reached late by k periods
 * records k + 1 samples (each deadline's own lateness), as a
 * clock_nanosleep loop does by itself; the timer line counts such ticks as
 * missed and runs its handler once, and the tool records the deadlines it
 * stepped over with the same lateness rule.
 * Every series uses deadlines on multiples of the period on
 * CLOCK_MONOTONIC; lateness = clock_gettime() at handler entry (the loop
 * body for the baselines) - the deadline. The timer line also reports the
 * share of its dispatcher's time spent spinning before the deadlines (the
 * price of the lead), printed beside the figures and written in the JSON.
 *
 *   timerlat [-n TICKS] [-b BLOCKS] [-P PERIOD_US] [-L LEAD_US] [-p PRIO] [-Q]
 *            [--json FILE] [-q]
 *
 * Ratios are irqcore / baseline (> 1: irqcore is later). The figure ids
 * are M8 with cases "timerfd", "nanosleep" and "spin" (the baseline each compares
 * with); the goal of issue 10 is p99 <= 1/10 of the best baseline's.
 */
#include "benchutil.h"
#include "hist.h"

#include <errno.h>
#include <fcntl.h>
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
	unsigned long blocks;		/* rounds the series are interleaved in */
	unsigned long period_ns, lead_ns;
	int prio;			/* SCHED_FIFO priority; 0: SCHED_OTHER */
	const char *json;
	bool quiet;
	bool pm_qos;			/* hold /dev/cpu_dma_latency at 0 (-Q) */
} opt = { .n = 5000, .blocks = 10, .period_ns = 1000000, .lead_ns = 0, .prio = 80 };

static struct bench_machine machine;
static struct hist h_line, h_tfd, h_ns, h_spin;
static int got_policy = SCHED_OTHER;
static double line_missed;
static uint64_t line_spin_ns, line_run_ns;
static unsigned long long line_late_max, line_lead;
static int line_irq = -1;

/*
 * -Q: a CPU wake-up latency requirement of 0 µs for the whole run (every
 * series alike), held by keeping /dev/cpu_dma_latency open, as cyclictest
 * does by default: the idle governor then polls instead of halting, so a
 * wake-up does not wait for a deep C-state's exit or, on a VM, for the host
 * to run a halted vCPU again. The kernel drops the requirement when the
 * file is closed (at exit at the latest).
 */
static void pm_qos_hold(void)
{
	int32_t zero = 0;
	int fd = open("/dev/cpu_dma_latency", O_RDWR | O_CLOEXEC);

	if (fd < 0 || write(fd, &zero, sizeof(zero)) != sizeof(zero)) {
		/* a machine without it (or without the right to it) still
		 * measures: the JSON and the header say it was not held */
		fprintf(stderr, "timerlat: -Q: /dev/cpu_dma_latency: %s: measuring without it\n",
			strerror(errno));
		opt.pm_qos = false;
		if (fd >= 0)
			close(fd);
	}
	/* else: open until exit */
}

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

static void run_nanosleep(unsigned long n)
{
	uint64_t d = first_deadline();

	for (unsigned long i = 0; i < n; i++, d += opt.period_ns) {
		struct timespec ts = { (time_t)(d / 1000000000ull), (long)(d % 1000000000ull) };

		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
			;
		hist_record(&h_ns, bench_now_ns() - d);
	}
}

/* ---- (c) spinning through each deadline ---- */

/* At the series' class, spinning from a tenth of a period after each
 * deadline through the next one (a SCHED_FIFO loop that spins all the time
 * is stopped by the kernel's real-time throttle, 5% of each second). Its
 * lateness is the time the CPU was taken away at the deadline, plus, in
 * the rare wake-up later than 0.9 periods, that wake-up's excess. It is no
 * floor on a shared host: a vCPU busy 90% of the time is preempted by the
 * host more often than one busy 5%. */
static void run_spin(unsigned long n)
{
	uint64_t d = first_deadline(), now, rest = opt.period_ns / 10;

	for (unsigned long i = 0; i < n; i++, d += opt.period_ns) {
		struct timespec ts;

		while ((now = bench_now_ns()) < d)
			;
		hist_record(&h_spin, now - d);
		ts.tv_sec = (time_t)((d + rest) / 1000000000ull);
		ts.tv_nsec = (long)((d + rest) % 1000000000ull);
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
			;
	}
}

/* ---- (a) timerfd + epoll ---- */

static void run_timerfd(unsigned long n)
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
	for (unsigned long i = 0; i < n;) {
		uint64_t exp, now;

		if (epoll_wait(ep, &ev, 1, -1) != 1)
			continue;
		now = bench_now_ns();
		if (read(tfd, &exp, sizeof(exp)) != sizeof(exp))
			continue;
		for (uint64_t k = 0; k < exp && i < n; k++, i++, d += opt.period_ns)
			/* every expiration of this wake; the kernel's count may
			 * run a few hundred ns ahead of our clock read */
			hist_record(&h_tfd, now > d ? now - d : 0);
	}
	close(tfd);
	close(ep);
}

/* ---- the timer line ---- */

static atomic_ulong line_ticks;	/* deadlines recorded */
static unsigned long line_goal;		/* ... by the end of this block */
static uint64_t line_next;		/* the first deadline not recorded yet; 0: none yet */

static irqreturn_t on_tick(int irq, void *dev)
{
	uint64_t now = bench_now_ns();
	uint64_t last = now - now % opt.period_ns;	/* the deadline this run is for */
	unsigned long n = atomic_load_explicit(&line_ticks, memory_order_relaxed);

	(void)irq;
	(void)dev;
	/* deadlines are multiples of the period. The line runs once for
	 * deadlines it overran (counting them as missed); each of those is
	 * recorded here with its own lateness, as the baselines record them */
	if (!line_next || line_next > last)
		line_next = last;
	for (; line_next <= last && n < line_goal; line_next += opt.period_ns, n++)
		hist_record(&h_line, now - line_next);
	atomic_store_explicit(&line_ticks, n, memory_order_release);
	return IRQ_HANDLED;
}

static void line_setup(void)
{
	struct irqcore_config cfg;
	int ret;

	irqcore_config_init(&cfg);
	cfg.nr_cpus = 1;
	cfg.flags = IRQCORE_F_NO_EXPORT;
	cfg.log = bench_log;
	cfg.thread_priority = opt.prio ? opt.prio : -1;
	if ((ret = irqcore_init(&cfg)))
		bench_die("irqcore_init: %d", ret);
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
}

/* One block: the line attached afresh (an adaptive lead learns again, as
 * on any attach), n deadlines recorded, the line detached; the dispatcher
 * sleeps through the other series' blocks. */
static void run_line(unsigned long n)
{
	struct irqcore_source src = { .kind = IRQCORE_SRC_TIMER, .fd = -1,
				      .period_ns = opt.period_ns, .lead_ns = opt.lead_ns };
	struct irqcore_source_stats st;
	uint64_t t0, t1;
	int irq, ret;

	irq = irqcore_source_attach(line_irq, &src);
	if (irq < 0)
		bench_die("irqcore_source_attach: %d", irq);
	line_irq = irq;
	line_next = 0;
	line_goal = atomic_load_explicit(&line_ticks, memory_order_relaxed) + n;
	t0 = bench_now_ns();
	if ((ret = request_irq((unsigned int)irq, on_tick, 0, "tick", NULL)))
		bench_die("request_irq: %d", ret);
	/* acquire: the handler's recordings, paired with its release store */
	while (atomic_load_explicit(&line_ticks, memory_order_acquire) < line_goal)
		bench_sleep_ns(10000000);
	t1 = bench_now_ns();
	if ((ret = irqcore_source_get_stats((unsigned int)irq, &st)))
		bench_die("irqcore_source_get_stats: %d", ret);
	line_spin_ns += st.spin_ns;
	line_run_ns += t1 - t0;
	line_missed += (double)st.missed;
	if (st.late_max_ns > line_late_max)
		line_late_max = st.late_max_ns;
	line_lead = st.lead_ns;
	/* free_irq returns once the handler has returned; then the source */
	free_irq((unsigned int)irq, NULL);
	irqcore_source_detach((unsigned int)irq);
}

static double spin_share(void)
{
	return line_run_ns ? 100.0 * (double)line_spin_ns / (double)line_run_ns : 0;
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
		{ "spin 90%", &h_spin },
	};

	printf("M8 tick lateness (deadline -> handler entry), %lu ticks at %lu us, %s%s%d%s\n",
	       opt.n, opt.period_ns / 1000, bench_policy_name(got_policy),
	       got_policy == SCHED_FIFO ? " " : "", got_policy == SCHED_FIFO ? opt.prio : 0,
	       opt.pm_qos ? ", cpu_dma_latency 0" : "");
	printf("  %-16s", "");
	for (size_t c = 0; c < 4; c++)
		printf(" %10s", cols[c].name);
	printf("\n");
	for (size_t r = 0; r < 4; r++) {
		printf("  %-16s", rows[r].name);
		for (size_t c = 0; c < 4; c++)
			printf(" %8lluns", (unsigned long long)hist_percentile(rows[r].h, cols[c].p));
		printf("\n");
	}
	for (size_t r = 1; r < 4; r++) {
		printf("  ratio vs %-7s", r == 1 ? "timerfd" : r == 2 ? "sleep" : "spin");
		for (size_t c = 0; c < 4; c++)
			printf(" %9.3fx", ratio(hist_percentile(&h_line, cols[c].p),
					       hist_percentile(rows[r].h, cols[c].p)));
		printf("\n");
	}
	printf("  timer line: lead %s%llu us, dispatcher spinning %.1f%% of the run, "
	       "missed %.0f, late_max %llu ns\n", opt.lead_ns ? "" : "adaptive, at the end ",
	       line_lead / 1000, spin_share(), line_missed, line_late_max);
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
	bench_report_add(&rep, "M8", "spin", "timer line", &h_line, "spin 90%", &h_spin);
	bench_json_open(f, "timerlat", &machine, machine_extra);
	fprintf(f, ",\n  \"benchmark\": \"timerlat\"");
	fprintf(f, ",\n  \"config\": { \"ticks\": %lu, \"period_ns\": %lu, \"lead_ns\": %lu, "
		"\"policy\": \"%s\", \"priority\": %d, \"blocks\": %lu, \"pm_qos\": %s }", opt.n,
		opt.period_ns, opt.lead_ns, bench_policy_name(got_policy), opt.prio, opt.blocks,
		opt.pm_qos ? "true" : "false");
	fprintf(f, ",\n  \"timer_line\": { \"spin_percent\": %.2f, \"missed\": %.0f, "
		"\"late_max_ns\": %llu, \"lead_ns_end\": %llu }", spin_share(), line_missed,
		line_late_max, line_lead);
	bench_json_close(f, &rep);
	if (fclose(f))
		bench_die("%s: %s", path, strerror(errno));
}

static void usage(int code)
{
	fprintf(code ? stderr : stdout,
		"usage: timerlat [-n TICKS] [-b BLOCKS] [-P PERIOD_US] [-L LEAD_US] [-p PRIO] [-Q] [--json FILE] [-q]\n"
		"  -n TICKS     ticks per series (default 5000)\n"
		"  -b BLOCKS    rounds the series take turns in (default 10)\n"
		"  -P US        period in microseconds (default 1000: 1 kHz)\n"
		"  -L US        the timer line's lead (default 0: adaptive)\n"
		"  -p PRIO      SCHED_FIFO priority of every series (default 80; 0: SCHED_OTHER)\n"
		"  -Q           hold /dev/cpu_dma_latency at 0 for the run, as cyclictest does\n"
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
	while ((c = getopt_long(argc, argv, "n:b:P:L:p:Qqh", lopts, NULL)) != -1) {
		switch (c) {
		case 'n': opt.n = bench_parse_ul(optarg, "-n"); break;
		case 'b': opt.blocks = bench_parse_ul(optarg, "-b"); break;
		case 'P': opt.period_ns = bench_parse_ul(optarg, "-P") * 1000; break;
		case 'L': opt.lead_ns = bench_parse_ul(optarg, "-L") * 1000; break;
		case 'p': opt.prio = (int)bench_parse_ul(optarg, "-p"); break;
		case 'j': opt.json = optarg; break;
		case 'q': opt.quiet = true; break;
		case 'Q': opt.pm_qos = true; break;
		case 'h': usage(0); break;
		default: usage(2);
		}
	}
	if (!opt.n || !opt.blocks || opt.blocks > opt.n || !opt.period_ns ||
	    opt.lead_ns > opt.period_ns)
		usage(2);
	bench_machine_read(&machine);
	hist_init(&h_line);
	hist_init(&h_tfd);
	hist_init(&h_ns);
	hist_init(&h_spin);
	if (opt.pm_qos)
		pm_qos_hold();
	sched_self();
	line_setup();
	/* The series take turns, a block each per round: a host's noisy
	 * spells (seconds long on a shared VM) then fall on all of them
	 * alike. Within a block one loop runs alone on the machine. */
	for (unsigned long b = 0; b < opt.blocks; b++) {
		unsigned long n = opt.n / opt.blocks + (b < opt.n % opt.blocks);

		run_nanosleep(n);
		run_timerfd(n);
		run_spin(n);
		run_line(n);
	}
	irqcore_shutdown();
	print_table();
	if (opt.json)
		write_json(opt.json);
	return 0;
}
