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
 */
#include <irqcore.h>

#include "hist.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#define BENCH_IRQ	7u
#define WAIT_LIMIT_NS	2000000000ull	/* a sample that takes 2 s is a hang */

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

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield" ::: "memory");
#endif
}

static pid_t self_tid(void)
{
	return (pid_t)syscall(SYS_gettid);
}

static void sleep_ns(unsigned long ns)
{
	struct timespec ts = { .tv_sec = (time_t)(ns / 1000000000u),
			       .tv_nsec = (long)(ns % 1000000000u) };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static void die(const char *what)
{
	fprintf(stderr, "handoff: %s\n", what);
	exit(1);
}

static void progress(const char *fmt, const char *a, unsigned int r)
{
	if (!opt.quiet) {
		fprintf(stderr, fmt, a, r + 1, opt.rounds);
		fflush(stderr);
	}
}

/* Library messages go to stderr, each distinct one once. */
static void bench_log(int level, const char *msg, void *arg)
{
	static char seen[16][160];
	static unsigned int nseen;

	for (unsigned int i = 0; i < nseen; i++)
		if (!strncmp(seen[i], msg, sizeof(seen[i]) - 1))
			return;
	if (nseen < 16)
		snprintf(seen[nseen++], sizeof(seen[0]), "%s", msg);
	fprintf(stderr, "irqcore: %s\n", msg);
}

/* ---- the shared sample state: one writer per cache line ---- */

struct handoff {
	_Alignas(64) uint64_t t0;		/* raiser side only */
	_Alignas(64) _Atomic uint64_t t1;	/* woken side, published by done */
	_Atomic pid_t tid;			/* woken thread, as it sees itself */
	_Alignas(64) _Atomic uint32_t done;	/* woken side: one bump per sample */
	_Alignas(64) _Atomic uint32_t word;	/* baselines: what B waits on */
	_Atomic bool stop;
};

static struct handoff hs;

/* Spin until done moves past seen; acquire: paired with the release bump of
 * the woken side, so its t1 store is visible. */
static void wait_done(uint32_t seen)
{
	uint64_t start = 0;
	unsigned int spins = 0;

	while (atomic_load_explicit(&hs.done, memory_order_acquire) == seen) {
		cpu_relax();
		if (++spins % 4096 == 0) {
			if (!start)
				start = now_ns();
			else if (now_ns() - start > WAIT_LIMIT_NS)
				die("the woken thread did not run within 2 s");
		}
	}
}

static void woken(uint64_t t1)
{
	atomic_store_explicit(&hs.t1, t1, memory_order_relaxed);
	if (!atomic_load_explicit(&hs.tid, memory_order_relaxed))
		atomic_store_explicit(&hs.tid, self_tid(), memory_order_relaxed);
	/* release: t1 before the bump (paired with wait_done) */
	atomic_fetch_add_explicit(&hs.done, 1, memory_order_release);
}

/* ---- placement and per-thread counters ---- */

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

static void pin_self(const cpu_set_t *set)
{
	if (sched_setaffinity(0, sizeof(*set), set))
		perror("handoff: sched_setaffinity");
}

static int first_cpu(const cpu_set_t *set)
{
	for (int c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, set))
			return c;
	return -1;
}

static const char *policy_name(int policy)
{
	switch (policy) {
	case SCHED_FIFO: return "SCHED_FIFO";
	case SCHED_RR: return "SCHED_RR";
	case SCHED_OTHER: return "SCHED_OTHER";
	default: return "other";
	}
}

struct ctxsw {
	long long vol, invol;
};

/* voluntary (slept) and involuntary (preempted) context switches of a thread */
static struct ctxsw read_ctxsw(pid_t tid)
{
	struct ctxsw c = { -1, -1 };
	char path[64], line[128];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%d/status", (int)tid);
	f = fopen(path, "r");
	if (!f)
		return c;
	while (fgets(line, sizeof(line), f)) {
		sscanf(line, "voluntary_ctxt_switches: %lld", &c.vol);
		sscanf(line, "nonvoluntary_ctxt_switches: %lld", &c.invol);
	}
	fclose(f);
	return c;
}

/* ---- one side of a case ---- */

struct side {
	const char *name;	/* "irqcore", "futex wake", "spin ping-pong" */
	struct hist hist;
	long long sleeps, preempts;	/* context switches of the woken thread */
	uint64_t negative;		/* samples with t1 < t0 (clock trouble) */
	bool ctxsw_ok;
};

static void record(struct side *s, uint64_t t0, uint64_t t1)
{
	if (t1 < t0) {
		s->negative++;
		hist_record(&s->hist, 0);
	} else {
		hist_record(&s->hist, t1 - t0);
	}
}

static void add_ctxsw(struct side *s, struct ctxsw a, struct ctxsw b)
{
	if (a.vol < 0 || b.vol < 0) {
		s->ctxsw_ok = false;
		return;
	}
	s->sleeps += b.vol - a.vol;
	s->preempts += b.invol - a.invol;
}

/* ---- irqcore side ---- */

static irqreturn_t bench_hard(int irq, void *dev_id)
{
	struct handoff *h = dev_id;

	h->t0 = now_ns();
	return IRQ_WAKE_THREAD;
}

static irqreturn_t bench_thread_fn(int irq, void *dev_id)
{
	woken(now_ns());
	return IRQ_HANDLED;
}

/* The line is quiet again: thread_fn finished and the ONESHOT unmask is
 * done, so the next generic_handle_irq() runs the flow at once instead of
 * latching the event on a masked line. */
static void wait_line_idle(void)
{
	struct irq_status st;
	uint64_t start = now_ns();

	for (;;) {
		if (irq_get_status(BENCH_IRQ, &st))
			die("irq_get_status failed");
		if (!st.masked && !st.threads_active && !st.in_progress)
			return;
		cpu_relax();
		if (now_ns() - start > WAIT_LIMIT_NS)
			die("the line did not become idle within 2 s");
	}
}

static void irqcore_start(int idle, unsigned long spin_budget_ns)
{
	struct irqcore_config cfg;
	int ret;

	/* hwloc takes the PUs the process may use from the threads' bindings:
	 * unpin the raiser while the library looks */
	pin_self(&pl.all);
	irqcore_config_init(&cfg);
	cfg.nr_cpus = 1;
	cfg.nr_irqs = 64;
	cfg.flags = IRQCORE_F_EXTERNAL_CPUS | IRQCORE_F_NO_EXPORT;
	cfg.idle = idle;
	cfg.spin_budget_ns = spin_budget_ns;
	cfg.log = bench_log;
	ret = irqcore_init(&cfg);
	if (ret) {
		fprintf(stderr, "handoff: irqcore_init: %s\n", strerror(-ret));
		exit(1);
	}
	atomic_store(&hs.tid, 0);
	ret = request_threaded_irq(BENCH_IRQ, bench_hard, bench_thread_fn, IRQF_ONESHOT,
				   "bench", &hs);
	if (ret) {
		fprintf(stderr, "handoff: request_threaded_irq: %s\n", strerror(-ret));
		exit(1);
	}
	ret = irqcore_cpu_attach(0);
	if (ret) {
		fprintf(stderr, "handoff: irqcore_cpu_attach: %s\n", strerror(-ret));
		exit(1);
	}
	if (pl.split)
		pin_self(&pl.raiser);
}

static void irqcore_stop(void)
{
	irqcore_cpu_detach();
	free_irq(BENCH_IRQ, &hs);
	irqcore_shutdown();
}

static void irqcore_samples(struct side *s, unsigned long n, unsigned long gap_ns)
{
	for (unsigned long i = 0; i < n; i++) {
		uint32_t seen = atomic_load_explicit(&hs.done, memory_order_relaxed);
		int ret = generic_handle_irq(BENCH_IRQ);

		if (ret) {
			fprintf(stderr, "handoff: generic_handle_irq: %s\n", strerror(-ret));
			exit(1);
		}
		wait_done(seen);
		if (s)
			record(s, hs.t0, atomic_load_explicit(&hs.t1, memory_order_relaxed));
		wait_line_idle();
		if (gap_ns)
			sleep_ns(gap_ns);
	}
}

/* One irqcore segment: start, warm up (the irq thread pins itself on its
 * first run), check where it runs, measure, stop. */
static void irqcore_segment(struct side *s, int idle, unsigned long n, unsigned long gap_ns)
{
	static bool warned;
	struct ctxsw a, b;
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
	a = read_ctxsw(tid);
	irqcore_samples(s, n, gap_ns);
	b = read_ctxsw(tid);
	add_ctxsw(s, a, b);
	irqcore_stop();
}

/* ---- baseline side: thread B ---- */

enum wait_kind { WAIT_FUTEX, WAIT_SPIN };

static void *peer_main(void *arg)
{
	enum wait_kind kind = (enum wait_kind)(intptr_t)arg;
	uint32_t last = atomic_load_explicit(&hs.word, memory_order_relaxed);

	if (pl.split)
		pin_self(&pl.woken);
	/* the irq thread's policy; fall back quietly (reported in the header) */
	if (sched_setscheduler(0, pl.policy, &pl.param) == 0) {
		pl.b_policy = pl.policy;
		pl.b_param = pl.param;
	}
	atomic_store_explicit(&hs.tid, self_tid(), memory_order_relaxed);
	/* release: the ready signal (paired with the starter's wait_done) */
	atomic_fetch_add_explicit(&hs.done, 1, memory_order_release);
	for (;;) {
		uint32_t v;
		uint64_t t1;

		/* acquire: paired with A's release store of the word */
		while ((v = atomic_load_explicit(&hs.word, memory_order_acquire)) == last) {
			if (kind == WAIT_FUTEX)
				syscall(SYS_futex, &hs.word, FUTEX_WAIT_PRIVATE, last, NULL, NULL, 0);
			else
				cpu_relax();
		}
		t1 = now_ns();
		last = v;
		if (atomic_load_explicit(&hs.stop, memory_order_relaxed))
			break;
		woken(t1);
	}
	return NULL;
}

/* A is the only writer of the word: a plain store, no read-modify-write */
static void bump_word(void)
{
	uint32_t w = atomic_load_explicit(&hs.word, memory_order_relaxed);

	/* release: paired with B's acquire load */
	atomic_store_explicit(&hs.word, w + 1u, memory_order_release);
}

static void peer_samples(struct side *s, enum wait_kind kind, unsigned long n,
			 unsigned long gap_ns)
{
	for (unsigned long i = 0; i < n; i++) {
		uint32_t seen = atomic_load_explicit(&hs.done, memory_order_relaxed);
		uint64_t t0 = now_ns();

		bump_word();
		if (kind == WAIT_FUTEX)
			syscall(SYS_futex, &hs.word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
		wait_done(seen);
		if (s)
			record(s, t0, atomic_load_explicit(&hs.t1, memory_order_relaxed));
		if (gap_ns)
			sleep_ns(gap_ns);
	}
}

static void peer_segment(struct side *s, enum wait_kind kind, unsigned long n,
			 unsigned long gap_ns)
{
	uint32_t seen = atomic_load(&hs.done);
	struct ctxsw a, b;
	pthread_t t;
	pid_t tid;

	if (pl.split)
		pin_self(&pl.raiser);
	atomic_store(&hs.stop, false);
	atomic_store(&hs.tid, 0);
	if (pthread_create(&t, NULL, peer_main, (void *)(intptr_t)kind))
		die("pthread_create failed");
	wait_done(seen);		/* B is placed and about to wait */
	tid = atomic_load(&hs.tid);
	peer_samples(NULL, kind, opt.warmup ? opt.warmup : 1, gap_ns);
	a = read_ctxsw(tid);
	peer_samples(s, kind, n, gap_ns);
	b = read_ctxsw(tid);
	add_ctxsw(s, a, b);
	atomic_store(&hs.stop, true);
	bump_word();
	syscall(SYS_futex, &hs.word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
	pthread_join(t, NULL);
}

/* ---- cases ---- */

struct bench_case {
	const char *name;	/* "sleeping", "running" */
	const char *title;
	int idle;		/* IRQCORE_IDLE_* */
	enum wait_kind kind;
	unsigned long gap_ns;
	struct side irqc, base;
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
		die("sched_getaffinity failed");
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

static double per_sample(const struct side *s, long long v)
{
	return hist_count(&s->hist) ? (double)v / (double)hist_count(&s->hist) : 0.0;
}

static void print_side(const struct side *s)
{
	char buf[24];

	printf("  %-16s", s->name);
	for (size_t k = 0; k < NCOLS; k++)
		printf(" %10s", hist_fmt_ns(buf, sizeof(buf), hist_percentile(&s->hist, cols[k].p)));
	if (s->ctxsw_ok)
		printf(" %13.2f\n", per_sample(s, s->sleeps));
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

static void cpu_model(char *buf, size_t len)
{
	char line[256];
	FILE *f = fopen("/proc/cpuinfo", "r");

	snprintf(buf, len, "unknown");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *p = strchr(line, ':');

		if (strncmp(line, "model name", 10) || !p)
			continue;
		p += 1 + strspn(p + 1, " \t");
		p[strcspn(p, "\n")] = '\0';
		snprintf(buf, len, "%s", p);
		break;
	}
	fclose(f);
}

static void clocksource(char *buf, size_t len)
{
	FILE *f = fopen("/sys/devices/system/clocksource/clocksource0/current_clocksource", "r");

	snprintf(buf, len, "unknown");
	if (!f)
		return;
	if (fgets(buf, (int)len, f))
		buf[strcspn(buf, "\n")] = '\0';
	fclose(f);
}

static void json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(f, "\\u%04x", *s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

static void json_side(FILE *f, const struct side *s)
{
	fprintf(f, "{\n        \"name\": ");
	json_string(f, s->name);
	fprintf(f, ",\n        \"woken_thread_sleeps\": %lld,", s->ctxsw_ok ? s->sleeps : -1);
	fprintf(f, "\n        \"woken_thread_preemptions\": %lld,",
		s->ctxsw_ok ? s->preempts : -1);
	fprintf(f, "\n        \"negative_samples\": %" PRIu64 ",", s->negative);
	fprintf(f, "\n        \"latency\": ");
	hist_write_json(f, &s->hist, 10);
	fprintf(f, "\n      }");
}

static void write_json(const char *path, const char *model, const char *clk, long nproc)
{
	FILE *f = fopen(path, "w");

	if (!f) {
		perror(path);
		exit(1);
	}
	fprintf(f, "{\n  \"benchmark\": \"handoff\",\n  \"machine\": {\n    \"nproc\": %ld,\n"
		"    \"cpus_allowed\": %d,\n    \"cpu_model\": ", nproc, CPU_COUNT(&pl.all));
	json_string(f, model);
	fprintf(f, ",\n    \"clocksource\": ");
	json_string(f, clk);
	fprintf(f, "\n  },\n  \"config\": {\n    \"samples_per_side\": %lu,\n"
		"    \"warmup_per_segment\": %lu,\n    \"rounds\": %u,\n"
		"    \"gap_ns\": %lu,\n    \"spin_budget_ns\": %lu,\n"
		"    \"split_cpus\": %s,\n    \"raiser_cpu\": %d,\n    \"woken_cpu\": %d,\n"
		"    \"irq_thread_policy\": \"%s\",\n    \"irq_thread_priority\": %d,\n"
		"    \"baseline_thread_policy\": \"%s\",\n    \"baseline_thread_priority\": %d\n  },\n"
		"  \"cases\": [",
		opt.n, opt.warmup, opt.rounds, opt.gap_ns, opt.spin_budget_ns,
		pl.split ? "true" : "false", pl.split ? first_cpu(&pl.raiser) : -1,
		pl.split ? first_cpu(&pl.woken) : -1, policy_name(pl.policy),
		pl.param.sched_priority, policy_name(pl.b_policy), pl.b_param.sched_priority);
	for (size_t i = 0; i < 2; i++) {
		const struct bench_case *c = &cases[i];

		fprintf(f, "%s\n    {\n      \"name\": \"%s\",\n      \"title\": ", i ? "," : "",
			c->name);
		json_string(f, c->title);
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
	fprintf(f, "\n  ]\n}\n");
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

static unsigned long parse_ul(const char *s, const char *what)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-') {
		fprintf(stderr, "handoff: bad %s: %s\n", what, s);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "json", required_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char model[128], clk[64], title[2][160];
	long nproc = sysconf(_SC_NPROCESSORS_ONLN);
	int ch;

	while ((ch = getopt_long(argc, argv, "n:w:r:g:s:qvh", lopts, NULL)) != -1) {
		switch (ch) {
		case 'n': opt.n = parse_ul(optarg, "-n"); break;
		case 'w': opt.warmup = parse_ul(optarg, "-w"); break;
		case 'r': opt.rounds = (unsigned int)parse_ul(optarg, "-r"); break;
		case 'g': opt.gap_ns = parse_ul(optarg, "-g") * 1000u; break;
		case 's': opt.spin_budget_ns = parse_ul(optarg, "-s") * 1000u; break;
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

	cpu_model(model, sizeof(model));
	clocksource(clk, sizeof(clk));
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
		cases[i].irqc.name = "irqcore";
		cases[i].base.name = cases[i].kind == WAIT_FUTEX ? "futex wake" : "spin ping-pong";
		hist_init(&cases[i].irqc.hist);
		hist_init(&cases[i].base.hist);
		cases[i].irqc.ctxsw_ok = cases[i].base.ctxsw_ok = true;
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
	printf("machine: %ld CPUs online (%d usable), %s, clocksource %s\n", nproc,
	       CPU_COUNT(&pl.all), model, clk);
	if (pl.split)
		printf("placement: raiser/A on CPU %d; irq thread and B on CPU %d "
		       "(irq thread %s %d, B %s %d)\n",
		       first_cpu(&pl.raiser), first_cpu(&pl.woken), policy_name(pl.policy),
		       pl.param.sched_priority, policy_name(pl.b_policy),
		       pl.b_param.sched_priority);
	else
		printf("placement: all threads share the CPUs (one usable CPU, or the irq "
		       "thread is unpinned) (irq thread %s %d, B %s %d)\n",
		       policy_name(pl.policy), pl.param.sched_priority,
		       policy_name(pl.b_policy), pl.b_param.sched_priority);
	printf("samples: %lu per side and case, %u rounds in ABBA order, %lu warm-up "
	       "samples per segment discarded\n", opt.n, opt.rounds, opt.warmup);
	printf("ratio = irqcore / baseline at the same percentile; sleeps/sample = voluntary "
	       "context switches of the woken thread per sample\n");
	for (int i = 0; i < 2; i++)
		print_case(&cases[i]);
	for (int i = 0; i < 2; i++) {
		const struct side *s[2] = { &cases[i].irqc, &cases[i].base };

		for (int k = 0; k < 2; k++)
			if (s[k]->negative)
				printf("note: %s/%s: %" PRIu64 " samples had t1 < t0 (counted as 0)\n",
				       cases[i].name, s[k]->name, s[k]->negative);
	}
	if (cases[1].irqc.ctxsw_ok && per_sample(&cases[1].irqc, cases[1].irqc.sleeps) > 0.5)
		printf("note: in the running case the irq thread slept on %.0f%% of the samples: "
		       "it was not kept awake by IRQCORE_IDLE_ADAPTIVE\n",
		       100.0 * per_sample(&cases[1].irqc, cases[1].irqc.sleeps));
	fflush(stdout);
	if (opt.json) {
		write_json(opt.json, model, clk, nproc);
		if (!opt.quiet)
			fprintf(stderr, "handoff: wrote %s\n", opt.json);
	}
	return 0;
}
