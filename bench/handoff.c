/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * handoff — hard handler -> thread_fn hand-off latency, against a bare
 * wake-up between two threads measured in the same run.
 *
 * irqcore side: external-CPU mode with one CPU, driven by this program's main
 * thread (the "raiser"). A line is requested with a hard handler that takes
 * t0 just before it returns IRQ_WAKE_THREAD, and a thread_fn that takes t1 on
 * entry; one sample is t1 - t0. The raiser runs the flow inline with
 * generic_handle_irq() and waits (spinning) until thread_fn has run and the
 * ONESHOT line is unmasked again before the next sample.
 *
 * Two cases, each with its own baseline between the same two roles:
 *   sleeping  IRQCORE_IDLE_SLEEP and a gap between samples, so the irq
 *             thread sleeps in its futex when woken; baseline: thread B
 *             sleeps in FUTEX_WAIT, A takes t0, stores the word, FUTEX_WAKE,
 *             B takes t1.
 *   running   IRQCORE_IDLE_ADAPTIVE with a spin budget and samples back to
 *             back, so the irq thread is still awake when woken; baseline:
 *             B spins on the word (pause), A takes t0 and stores it, B takes
 *             t1 (a cache-line transfer: the physical limit).
 * Placement: the library pins the irq thread to its CPU's processing unit;
 * the program reads where it went (and its scheduling policy) and gives
 * baseline thread B the same CPUs and policy, and puts the raiser / A on
 * another CPU when there is one. The cases run in rounds, irqcore and
 * baseline alternating in ABBA order, so drift on a noisy machine hits both.
 * Every figure printed is measured in this run; ratios are irqcore/baseline.
 * --json writes the common figures JSON of the benchmarks (benchutil.h; the
 * figures are M4, case "sleeping" and "running") with handoff's own members
 * (benchmark, config, cases) beside it.
 */
#include <irqcore.h>

#include "benchutil.h"
#include "hist.h"

#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BENCH_IRQ	7u

/* ---- options ---- */

struct opts {
	unsigned long n;		/* measured samples per side per case */
	unsigned long warmup;		/* discarded samples per segment */
	unsigned int rounds;
	unsigned long gap_ns;		/* sleeping case: pause between samples */
	unsigned long spin_budget_ns;	/* running case: IRQCORE_IDLE_ADAPTIVE budget */
	const char *json;
	bool quiet, verbose;
};

static struct opts opt = {
	.n = 20000,
	.warmup = 500,
	.rounds = 4,
	.gap_ns = 200000,
	.spin_budget_ns = 200000,
};

/* ---- small helpers ---- */

static void progress(const char *fmt, const char *a, unsigned int r)
{
	if (!opt.quiet) {
		fprintf(stderr, fmt, a, r + 1, opt.rounds);
		fflush(stderr);
	}
}

/* the shared sample state (benchutil.h) */
static struct bench_sync hs;

/* ---- placement ---- */

struct placement {
	cpu_set_t all;		/* the process's CPUs at start */
	cpu_set_t woken;	/* where the irq thread went; B goes there too */
	cpu_set_t raiser;	/* the raiser / A */
	bool split;		/* raiser and woken side on different CPUs */
	int policy;		/* the irq thread's, copied to B */
	struct sched_param param;
	int b_policy;		/* what B actually got */
	struct sched_param b_param;
};

static struct placement pl;

/* ---- irqcore side ---- */

static irqreturn_t bench_hard(int irq, void *dev_id)
{
	struct bench_sync *h = dev_id;

	h->t0 = bench_now_ns();
	return IRQ_WAKE_THREAD;
}

static irqreturn_t bench_thread_fn(int irq, void *dev_id)
{
	bench_woken(&hs, bench_now_ns());
	return IRQ_HANDLED;
}

/* The line is quiet again: thread_fn finished and the ONESHOT unmask is
 * done, so the next generic_handle_irq() runs the flow at once instead of
 * latching the event on a masked line. */
/* A wait passed 2 s (benchutil): the woken thread, and the line as the
 * library sees it (-ENODEV in a baseline segment). */
static void stall_report(void)
{
	struct irq_status st;
	int ret;

	bench_print_woken(&hs);
	ret = irq_get_status(BENCH_IRQ, &st);
	if (!ret)
		fprintf(stderr, "  irq %u: raised %llu, flow runs %llu; masked %d, in progress "
			"%d, threads active %u, oneshot 0x%lx\n", BENCH_IRQ, st.raised, st.count,
			st.masked, st.in_progress, st.threads_active, st.threads_oneshot);
	fflush(stderr);
}

static bool wait_line_idle(void)
{
	struct bench_waiter w;
	struct irq_status st;

	bench_waiter_init(&w, "the line's return to idle");
	for (;;) {
		if (irq_get_status(BENCH_IRQ, &st))
			bench_die("irq_get_status failed");
		if (!st.masked && !st.threads_active && !st.in_progress)
			return bench_waiter_done(&w);
		bench_cpu_relax();
		bench_waiter_tick(&w);
	}
}

static void irqcore_start(int idle, unsigned long spin_budget_ns)
{
	struct irqcore_config cfg;
	int ret;

	/* hwloc takes the PUs the process may use from the threads' bindings:
	 * unpin the raiser while the library looks */
	bench_pin_self(&pl.all);
	irqcore_config_init(&cfg);
	cfg.nr_cpus = 1;
	cfg.nr_irqs = 64;
	cfg.flags = IRQCORE_F_EXTERNAL_CPUS | IRQCORE_F_NO_EXPORT;
	cfg.idle = idle;
	cfg.spin_budget_ns = spin_budget_ns;
	cfg.log = bench_log;
	ret = irqcore_init(&cfg);
	if (ret)
		bench_die("irqcore_init: %s", strerror(-ret));
	atomic_store(&hs.tid, 0);
	ret = request_threaded_irq(BENCH_IRQ, bench_hard, bench_thread_fn, IRQF_ONESHOT,
				   "bench", &hs);
	if (ret)
		bench_die("request_threaded_irq: %s", strerror(-ret));
	ret = irqcore_cpu_attach(0);
	if (ret)
		bench_die("irqcore_cpu_attach: %s", strerror(-ret));
	if (pl.split)
		bench_pin_self(&pl.raiser);
}

static void irqcore_stop(void)
{
	irqcore_cpu_detach();
	free_irq(BENCH_IRQ, &hs);
	irqcore_shutdown();
}

static void irqcore_samples(struct bench_side *s, unsigned long n, unsigned long gap_ns)
{
	for (unsigned long i = 0; i < n; i++) {
		uint32_t seen = atomic_load_explicit(&hs.done, memory_order_relaxed);
		int ret = generic_handle_irq(BENCH_IRQ);

		if (ret)
			bench_die("generic_handle_irq: %s", strerror(-ret));
		if (bench_wait_done(&hs, seen) && s)
			s->stalls++;
		if (s)
			bench_record(s, hs.t0, atomic_load_explicit(&hs.t1, memory_order_relaxed));
		if (wait_line_idle() && s)
			s->stalls++;
		if (gap_ns)
			bench_sleep_ns(gap_ns);
	}
}

/* One irqcore segment: start, warm up (the irq thread pins itself on its
 * first run), check where it runs, measure, stop. */
static void irqcore_segment(struct bench_side *s, int idle, unsigned long n, unsigned long gap_ns)
{
	static bool warned;
	struct bench_ctxsw a, b;
	cpu_set_t set;
	pid_t tid;

	irqcore_start(idle, opt.spin_budget_ns);
	irqcore_samples(NULL, opt.warmup ? opt.warmup : 1, gap_ns);
	tid = atomic_load(&hs.tid);
	if (pl.split && !warned && (sched_getaffinity(tid, sizeof(set), &set) ||
				    !CPU_EQUAL(&set, &pl.woken))) {
		fprintf(stderr, "handoff: warning: the irq thread moved off the CPUs "
			"found at start\n");
		warned = true;
	}
	a = bench_read_ctxsw(tid);
	irqcore_samples(s, n, gap_ns);
	b = bench_read_ctxsw(tid);
	bench_add_ctxsw(s, a, b);
	irqcore_stop();
}

/* ---- baseline side: thread B ---- */

enum wait_kind { WAIT_FUTEX, WAIT_SPIN };

static void peer_samples(struct bench_side *s, struct bench_peer *p, unsigned long n,
			 unsigned long gap_ns)
{
	for (unsigned long i = 0; i < n; i++) {
		uint32_t seen = atomic_load_explicit(&hs.done, memory_order_relaxed);
		uint64_t t0 = bench_now_ns();

		p->kick(p);
		if (bench_wait_done(&hs, seen) && s)
			s->stalls++;
		if (s)
			bench_record(s, t0, atomic_load_explicit(&hs.t1, memory_order_relaxed));
		if (gap_ns)
			bench_sleep_ns(gap_ns);
	}
}

static void peer_segment(struct bench_side *s, enum wait_kind kind, unsigned long n,
			 unsigned long gap_ns)
{
	struct bench_peer p = {
		.sync = &hs,
		.name = "handoff-peer",
		/* the irq thread's CPUs and policy */
		.cpus = pl.split ? &pl.woken : NULL,
		.policy = pl.policy,
		.param = pl.param,
	};
	struct bench_ctxsw a, b;

	if (kind == WAIT_FUTEX)
		bench_peer_futex(&p);
	else
		bench_peer_spin(&p);
	if (pl.split)
		bench_pin_self(&pl.raiser);
	bench_peer_start(&p);
	if (p.got_policy == pl.policy) {
		pl.b_policy = p.got_policy;
		pl.b_param = p.got_param;
	}
	peer_samples(NULL, &p, opt.warmup ? opt.warmup : 1, gap_ns);
	a = bench_read_ctxsw(p.tid);
	peer_samples(s, &p, n, gap_ns);
	b = bench_read_ctxsw(p.tid);
	bench_add_ctxsw(s, a, b);
	bench_peer_stop(&p);
}

/* ---- cases ---- */

struct bench_case {
	const char *name;	/* "sleeping", "running" */
	const char *title;
	int idle;		/* IRQCORE_IDLE_* */
	enum wait_kind kind;
	unsigned long gap_ns;
	struct bench_side irqc, base;
};

static struct bench_case cases[2];

static void run_case_round(struct bench_case *c, unsigned int r, unsigned long n)
{
	for (int k = 0; k < 2; k++) {
		/* ABBA: irqcore first in even rounds, the baseline first in odd */
		if ((k == 0) == (r % 2 == 0)) {
			progress("  %s: irqcore, round %u/%u\n", c->name, r);
			irqcore_segment(&c->irqc, c->idle, n, c->gap_ns);
		} else {
			progress("  %s: baseline, round %u/%u\n", c->name, r);
			peer_segment(&c->base, c->kind, n, c->gap_ns);
		}
	}
}

/* Find where the library puts the irq thread and with which policy. */
static void probe_placement(void)
{
	pid_t tid;
	int cpu;

	if (sched_getaffinity(0, sizeof(pl.all), &pl.all))
		bench_die("sched_getaffinity failed");
	irqcore_start(IRQCORE_IDLE_SLEEP, 0);
	irqcore_samples(NULL, 3, 0);
	tid = atomic_load(&hs.tid);
	if (sched_getaffinity(tid, sizeof(pl.woken), &pl.woken))
		pl.woken = pl.all;
	pl.policy = sched_getscheduler(tid);
	if (pl.policy < 0 || sched_getparam(tid, &pl.param)) {
		pl.policy = SCHED_OTHER;
		pl.param.sched_priority = 0;
	}
	irqcore_stop();
	pl.b_policy = SCHED_OTHER;
	pl.b_param.sched_priority = 0;

	/* the raiser goes to the first CPU the irq thread does not use */
	CPU_ZERO(&pl.raiser);
	for (cpu = 0; cpu < CPU_SETSIZE; cpu++)
		if (CPU_ISSET(cpu, &pl.all) && !CPU_ISSET(cpu, &pl.woken))
			break;
	if (cpu < CPU_SETSIZE && CPU_COUNT(&pl.woken) < CPU_COUNT(&pl.all)) {
		CPU_SET(cpu, &pl.raiser);
		pl.split = true;
	} else {
		pl.raiser = pl.all;
		pl.split = false;
	}
}

/* ---- output ---- */

static double ratio(uint64_t a, uint64_t b)
{
	return b ? (double)a / (double)b : 0.0;
}

static const struct { const char *key; double p; } cols[] = {
	{ "p50", 50.0 }, { "p99", 99.0 }, { "p99.9", 99.9 }, { "max", 100.0 },
};
#define NCOLS (sizeof(cols) / sizeof(cols[0]))

static void print_side(const struct bench_side *s)
{
	char buf[24];

	printf("  %-16s", s->name);
	for (size_t k = 0; k < NCOLS; k++)
		printf(" %10s", hist_fmt_ns(buf, sizeof(buf), hist_percentile(&s->hist, cols[k].p)));
	if (s->ctxsw_ok)
		printf(" %13.2f\n", bench_per_sample(s, s->sleeps));
	else
		printf(" %13s\n", "n/a");
}

static void print_case(const struct bench_case *c)
{
	printf("\n%s\n", c->title);
	printf("  %-16s", "");
	for (size_t k = 0; k < NCOLS; k++)
		printf(" %10s", cols[k].key);
	printf(" %13s\n", "sleeps/sample");
	print_side(&c->irqc);
	print_side(&c->base);
	printf("  %-16s", "ratio");
	for (size_t k = 0; k < NCOLS; k++)
		printf(" %10.2f", ratio(hist_percentile(&c->irqc.hist, cols[k].p),
					hist_percentile(&c->base.hist, cols[k].p)));
	printf("\n");
	if (opt.verbose) {
		printf("\n  %s, %s:\n", c->name, c->irqc.name);
		hist_print(stdout, &c->irqc.hist, "    ");
		printf("\n  %s, %s:\n", c->name, c->base.name);
		hist_print(stdout, &c->base.hist, "    ");
	}
}

static void json_side(FILE *f, const struct bench_side *s)
{
	fprintf(f, "{\n        \"name\": ");
	bench_json_string(f, s->name);
	fprintf(f, ",\n        \"woken_thread_sleeps\": %lld,", s->ctxsw_ok ? s->sleeps : -1);
	fprintf(f, "\n        \"woken_thread_preemptions\": %lld,",
		s->ctxsw_ok ? s->preempts : -1);
	fprintf(f, "\n        \"negative_samples\": %" PRIu64 ",", s->negative);
	fprintf(f, "\n        \"stalled_samples\": %" PRIu64 ",", s->stalls);
	fprintf(f, "\n        \"latency\": ");
	hist_write_json(f, &s->hist, 10);
	fprintf(f, "\n      }");
}

/* the old machine keys, kept next to the common ones */
static struct bench_machine machine;

static void machine_legacy(FILE *f)
{
	fprintf(f, ",\n    \"nproc\": %ld,\n    \"cpu_model\": ", machine.nproc);
	bench_json_string(f, machine.model);
}

/* The common figures JSON (benchutil.h: tool, machine, figures, histograms;
 * M4 = this hand-off) with handoff's own members (benchmark, config, cases). */
static void write_json(const char *path)
{
	struct bench_report rep;
	FILE *f = fopen(path, "w");

	if (!f) {
		perror(path);
		exit(1);
	}
	bench_report_init(&rep);
	for (size_t i = 0; i < 2; i++)
		bench_report_add(&rep, "M4", cases[i].name, cases[i].irqc.name, &cases[i].irqc.hist,
				 cases[i].base.name, &cases[i].base.hist);
	bench_json_open(f, "handoff", &machine, machine_legacy);
	fprintf(f, ",\n  \"benchmark\": \"handoff\"");
	fprintf(f, ",\n  \"config\": {\n    \"samples_per_side\": %lu,\n"
		"    \"warmup_per_segment\": %lu,\n    \"rounds\": %u,\n"
		"    \"gap_ns\": %lu,\n    \"spin_budget_ns\": %lu,\n"
		"    \"split_cpus\": %s,\n    \"raiser_cpu\": %d,\n    \"woken_cpu\": %d,\n"
		"    \"irq_thread_policy\": \"%s\",\n    \"irq_thread_priority\": %d,\n"
		"    \"baseline_thread_policy\": \"%s\",\n    \"baseline_thread_priority\": %d\n  },\n"
		"  \"cases\": [",
		opt.n, opt.warmup, opt.rounds, opt.gap_ns, opt.spin_budget_ns,
		pl.split ? "true" : "false", pl.split ? bench_first_cpu(&pl.raiser) : -1,
		pl.split ? bench_first_cpu(&pl.woken) : -1, bench_policy_name(pl.policy),
		pl.param.sched_priority, bench_policy_name(pl.b_policy), pl.b_param.sched_priority);
	for (size_t i = 0; i < 2; i++) {
		const struct bench_case *c = &cases[i];

		fprintf(f, "%s\n    {\n      \"name\": \"%s\",\n      \"title\": ", i ? "," : "",
			c->name);
		bench_json_string(f, c->title);
		fprintf(f, ",\n      \"irqcore\": ");
		json_side(f, &c->irqc);
		fprintf(f, ",\n      \"baseline\": ");
		json_side(f, &c->base);
		fprintf(f, ",\n      \"ratio\": {");
		for (size_t k = 0; k < NCOLS; k++)
			fprintf(f, "%s\"%s\": %.4f", k ? ", " : " ", cols[k].key,
				ratio(hist_percentile(&c->irqc.hist, cols[k].p),
				      hist_percentile(&c->base.hist, cols[k].p)));
		fprintf(f, " }\n    }");
	}
	fprintf(f, "\n  ]");
	bench_json_close(f, &rep);
	if (fclose(f)) {
		perror(path);
		exit(1);
	}
}

/* ---- main ---- */

static void usage(FILE *out)
{
	fprintf(out,
		"usage: handoff [-n SAMPLES] [-w WARMUP] [-r ROUNDS] [-g GAP_US] [-s SPIN_US]\n"
		"               [--json FILE] [-q] [-v]\n"
		"  -n  measured samples per side and case (default 20000)\n"
		"  -w  discarded samples at the start of every segment (default 500)\n"
		"  -r  rounds; each runs n/r samples per side, ABBA order (default 4)\n"
		"  -g  sleeping case: microseconds between samples (default 200)\n"
		"  -s  running case: irq thread spin budget in microseconds (default 200)\n"
		"  --json FILE  write percentiles, ratios and histograms as JSON\n"
		"  -q  no progress on stderr;  -v  print text histograms\n");
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "json", required_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char title[2][160];
	int ch;

	bench_prog = "handoff";
	bench_set_stall_report(stall_report);

	while ((ch = getopt_long(argc, argv, "n:w:r:g:s:qvh", lopts, NULL)) != -1) {
		switch (ch) {
		case 'n': opt.n = bench_parse_ul(optarg, "-n"); break;
		case 'w': opt.warmup = bench_parse_ul(optarg, "-w"); break;
		case 'r': opt.rounds = (unsigned int)bench_parse_ul(optarg, "-r"); break;
		case 'g': opt.gap_ns = bench_parse_ul(optarg, "-g") * 1000u; break;
		case 's': opt.spin_budget_ns = bench_parse_ul(optarg, "-s") * 1000u; break;
		case 'j': opt.json = optarg; break;
		case 'q': opt.quiet = true; break;
		case 'v': opt.verbose = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc || !opt.n || !opt.rounds || opt.rounds > opt.n || !opt.spin_budget_ns) {
		usage(stderr);
		return 2;
	}

	bench_machine_read(&machine);
	probe_placement();

	snprintf(title[0], sizeof(title[0]),
		 "sleeping thread: IRQCORE_IDLE_SLEEP, %lu us between samples; baseline: bare futex wake",
		 opt.gap_ns / 1000u);
	snprintf(title[1], sizeof(title[1]),
		 "running thread: IRQCORE_IDLE_ADAPTIVE (spin %lu us), back to back; baseline: spin ping-pong",
		 opt.spin_budget_ns / 1000u);
	cases[0] = (struct bench_case){ .name = "sleeping", .title = title[0],
		.idle = IRQCORE_IDLE_SLEEP, .kind = WAIT_FUTEX, .gap_ns = opt.gap_ns };
	cases[1] = (struct bench_case){ .name = "running", .title = title[1],
		.idle = IRQCORE_IDLE_ADAPTIVE, .kind = WAIT_SPIN, .gap_ns = 0 };
	for (int i = 0; i < 2; i++) {
		bench_side_init(&cases[i].irqc, "irqcore");
		bench_side_init(&cases[i].base,
				cases[i].kind == WAIT_FUTEX ? "futex wake" : "spin ping-pong");
	}

	if (!opt.quiet)
		fprintf(stderr, "handoff: %lu samples per side and case in %u rounds\n",
			opt.n, opt.rounds);
	for (unsigned int r = 0; r < opt.rounds; r++) {
		/* the last round takes the remainder */
		unsigned long n = opt.n / opt.rounds +
				  (r + 1 == opt.rounds ? opt.n % opt.rounds : 0);

		for (int i = 0; i < 2; i++)
			run_case_round(&cases[i], r, n);
	}

	printf("irqcore hand-off latency: hard handler -> thread_fn, against a bare wake-up "
	       "in the same run\n");
	printf("machine: %ld CPUs online (%d usable), %s, clocksource %s, load average %s\n",
	       machine.nproc, CPU_COUNT(&pl.all), machine.model, machine.clocksource,
	       machine.load);
	if (pl.split)
		printf("placement: raiser/A on CPU %d; irq thread and B on CPU %d "
		       "(irq thread %s %d, B %s %d)\n",
		       bench_first_cpu(&pl.raiser), bench_first_cpu(&pl.woken),
		       bench_policy_name(pl.policy), pl.param.sched_priority, bench_policy_name(pl.b_policy),
		       pl.b_param.sched_priority);
	else
		printf("placement: all threads share the CPUs (one usable CPU, or the irq "
		       "thread is unpinned) (irq thread %s %d, B %s %d)\n",
		       bench_policy_name(pl.policy), pl.param.sched_priority,
		       bench_policy_name(pl.b_policy), pl.b_param.sched_priority);
	printf("samples: %lu per side and case, %u rounds in ABBA order, %lu warm-up "
	       "samples per segment discarded\n", opt.n, opt.rounds, opt.warmup);
	printf("ratio = irqcore / baseline at the same percentile; sleeps/sample = voluntary "
	       "context switches of the woken thread per sample\n");
	for (int i = 0; i < 2; i++)
		print_case(&cases[i]);
	for (int i = 0; i < 2; i++) {
		const struct bench_side *s[2] = { &cases[i].irqc, &cases[i].base };

		for (int k = 0; k < 2; k++) {
			if (s[k]->negative)
				printf("note: %s/%s: %" PRIu64 " samples had t1 < t0 (counted as 0)\n",
				       cases[i].name, s[k]->name, s[k]->negative);
			if (s[k]->stalls)
				printf("note: %s/%s: %" PRIu64 " samples waited more than 2 s "
				       "(the host stalled a thread; see stderr)\n",
				       cases[i].name, s[k]->name, s[k]->stalls);
		}
	}
	if (cases[1].irqc.ctxsw_ok && bench_per_sample(&cases[1].irqc, cases[1].irqc.sleeps) > 0.5)
		printf("note: in the running case the irq thread slept on %.0f%% of the samples: "
		       "it was not kept awake by IRQCORE_IDLE_ADAPTIVE\n",
		       100.0 * bench_per_sample(&cases[1].irqc, cases[1].irqc.sleeps));
	fflush(stdout);
	if (opt.json) {
		write_json(opt.json);
		if (!opt.quiet)
			fprintf(stderr, "handoff: wrote %s\n", opt.json);
	}
	return 0;
}
