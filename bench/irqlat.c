/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * irqlat — interrupt latency in the style of cyclictest: the time from a
 * raise on one CPU to the entry of the hard handler on another, against
 * baselines measured in the same run.
 *
 * One sample: the raiser (this program's main thread, pinned to one CPU)
 * takes t0 and calls irq_raise(); the hard handler, run by the only
 * dispatcher, pinned to another CPU with cfg.cpu_map, takes t1 on entry
 * (both CLOCK_MONOTONIC). The raiser waits until the handler has run, then
 * pauses before the next sample (busy or asleep, per figure).
 *
 * Figures, each against baselines between two threads placed and scheduled
 * like the raiser and the dispatcher (B on the dispatcher's CPU, with its
 * policy):
 *   M2  spinning dispatcher (IRQCORE_IDLE_SPIN), a short busy gap; baseline:
 *       cache-line ping-pong (B spins on a word, A stores it): the physical
 *       limit of a cross-CPU notification.
 *   M3  sleeping dispatcher (IRQCORE_IDLE_SLEEP); the raiser sleeps between
 *       samples (200 us) so the dispatcher is asleep at each raise.
 *       Baselines: a bare futex wake; an eventfd + epoll loop (the design of
 *       DPDK's interrupt thread: A write()s the eventfd, B returns from
 *       epoll_wait, read()s it and takes t1); uv_async_send() to a libuv
 *       loop (t1 in the async callback).
 *   M6  M2's setting (--m6-idle picks another idle policy) on an IRQF_SHARED
 *       line while a churn thread requests and frees a second IRQF_SHARED
 *       handler on the same line in a loop, against the same without churn.
 *       The chains are read under an epoch (RCU-like) section, so the ratio
 *       should stay about 1. The raiser sleeps between samples, leaving its
 *       CPU to the churn thread when there is no third CPU for it. In the
 *       "no churn" control a thread on the same CPU only spins (unless
 *       --m6-control idle), so that both sides load the CPUs alike and only
 *       the requests and frees differ.
 *
 * Samples run in rounds (-r), each side of a figure once per round, in ABBA
 * order (forward in even rounds, backward in odd ones), so that drift on a
 * shared machine hits irqcore and its baselines alike; each segment starts
 * its machinery afresh (irqcore_init or the baseline thread) and discards
 * -w warm-up samples. -d splits a time budget evenly over the segments, -n
 * fixes the samples per side. Ratios are irqcore / baseline (M6: churn / no
 * churn) at the same percentile. "sleeps/sample" counts the woken thread's
 * voluntary context switches per sample: about 0 for M2 (it spun), about 1
 * for M3 (it slept).
 *
 * The raiser, the dispatcher and every B run SCHED_FIFO (-p, default 50 as
 * the kernel's irq threads) when the process may; --load threads, the churn
 * thread and its control run SCHED_OTHER. A SCHED_FIFO thread that spins
 * is throttled by the kernel for the rest of each second once it has run
 * sched_rt_runtime_us (default 950 ms) of it: that shows in the max of the
 * spinning figures (M2, M6), on both sides alike.
 */
#include <irqcore.h>

#include "benchutil.h"
#include "hist.h"

#include <errno.h>
#include <getopt.h>
#include <hwloc.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <unistd.h>
#include <uv.h>

#define LAT_IRQ		7u

enum { FIG_M2, FIG_M3, FIG_M6, NR_FIGS };

/* ---- options ---- */

struct opts {
	double duration_s;		/* measuring time, split over segments; 0: by -n */
	unsigned long n;		/* samples per side; 0: by time */
	unsigned long warmup;		/* discarded samples per segment */
	unsigned int rounds;
	unsigned long m2_gap_ns;	/* M2: busy-wait between samples */
	unsigned long m3_gap_ns;	/* M3: sleep between samples */
	unsigned long m6_gap_ns;	/* M6: sleep between samples */
	int m6_idle;			/* M6: the dispatcher's idle policy */
	bool m6_busy;			/* M6: "no churn" keeps the churn CPU busy */
	unsigned long spin_budget_ns;	/* IRQCORE_IDLE_ADAPTIVE */
	int coalesce_ns;		/* irqcore's; 0: its default */
	int prio;			/* SCHED_FIFO priority; 0: SCHED_OTHER */
	int raiser_cpu, disp_cpu, churn_cpu;	/* OS CPU numbers; -1: automatic */
	unsigned int load;		/* spinning background threads */
	bool figs[NR_FIGS];
	const char *json;
	bool quiet, verbose;
};

static struct opts opt = {
	.duration_s = 20.0,
	.warmup = 500,
	.rounds = 4,
	.m2_gap_ns = 5000,
	.m3_gap_ns = 200000,
	.m6_gap_ns = 20000,
	.m6_idle = IRQCORE_IDLE_SPIN,
	.m6_busy = true,
	.spin_budget_ns = 50000,
	.prio = 50,
	.raiser_cpu = -1,
	.disp_cpu = -1,
	.churn_cpu = -1,
	.figs = { true, true, true },
};

static const char *const idle_names[] = {
	[IRQCORE_IDLE_SLEEP] = "sleep",
	[IRQCORE_IDLE_SPIN] = "spin",
	[IRQCORE_IDLE_ADAPTIVE] = "adaptive",
};

/* the sample state shared by the raiser and every woken side */
static struct bench_sync hs;

/* ---- placement ---- */

struct placement {
	cpu_set_t all;		/* the process's CPUs at start */
	cpu_set_t raiser;	/* the main thread while it samples */
	cpu_set_t disp;		/* the dispatcher and every baseline B */
	cpu_set_t churn;	/* M6's churn thread */
	int disp_pu;		/* cfg.cpu_map[0]: the dispatcher CPU's index among
				   the PUs the process may use (hwloc order) */
	bool split;		/* raiser and dispatcher on different CPUs */
	int policy;		/* of the raiser, the dispatcher and B */
	struct sched_param param;
	int disp_policy, disp_prio;	/* what the dispatcher got */
	int base_policy, base_prio;	/* what B got */
	bool moved;		/* a dispatcher was not where cpu_map put it */
};

static struct placement pl;

static int nth_cpu(const cpu_set_t *set, int n)
{
	for (int c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, set) && n-- == 0)
			return c;
	return -1;
}

static void set_one(cpu_set_t *set, int cpu)
{
	CPU_ZERO(set);
	CPU_SET(cpu, set);
}

/* The index of OS CPU os_cpu among the PUs the library will see, in hwloc's
 * logical order (what cfg.cpu_map holds); -1 if it is not one of them.
 * Called while no thread of ours is pinned: the library takes the PUs the
 * process may use from the threads' bindings. */
static int pu_index_of(int os_cpu)
{
	hwloc_topology_t topo;
	hwloc_bitmap_t set;
	int idx = -1, n;

	if (hwloc_topology_init(&topo) < 0)
		return -1;
	if (hwloc_topology_load(topo) < 0) {
		hwloc_topology_destroy(topo);
		return -1;
	}
	set = hwloc_bitmap_alloc();
	if (set && (hwloc_get_cpubind(topo, set, HWLOC_CPUBIND_PROCESS) < 0 ||
		    hwloc_bitmap_iszero(set)))
		hwloc_bitmap_copy(set, hwloc_topology_get_allowed_cpuset(topo));
	n = set ? hwloc_get_nbobjs_inside_cpuset_by_type(topo, set, HWLOC_OBJ_PU) : 0;
	for (int i = 0; i < n; i++) {
		hwloc_obj_t pu = hwloc_get_obj_inside_cpuset_by_type(topo, set, HWLOC_OBJ_PU,
								     (unsigned int)i);

		if (pu && (int)pu->os_index == os_cpu) {
			idx = i;
			break;
		}
	}
	hwloc_bitmap_free(set);
	hwloc_topology_destroy(topo);
	return idx;
}

static int check_cpu(int cpu, const char *what)
{
	if (cpu >= 0 && (cpu >= CPU_SETSIZE || !CPU_ISSET(cpu, &pl.all)))
		bench_die("%s CPU %d is not one this process may use", what, cpu);
	return cpu;
}

/* the first CPU of the process other than a and b, or -1 */
static int other_cpu(int a, int b)
{
	for (int c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &pl.all) && c != a && c != b)
			return c;
	return -1;
}

static void choose_placement(void)
{
	int r, d, c;

	if (sched_getaffinity(0, sizeof(pl.all), &pl.all))
		bench_die("sched_getaffinity: %s", strerror(errno));
	r = check_cpu(opt.raiser_cpu, "raiser");
	d = check_cpu(opt.disp_cpu, "dispatcher");
	if (r < 0)
		r = other_cpu(d, d) >= 0 ? other_cpu(d, d) : d;
	if (d < 0)
		d = other_cpu(r, r) >= 0 ? other_cpu(r, r) : r;
	/* the churn thread: a third CPU when there is one, else the raiser's
	 * (which sleeps between M6 samples) */
	c = check_cpu(opt.churn_cpu, "churn");
	if (c < 0)
		c = other_cpu(r, d) >= 0 ? other_cpu(r, d) : r;
	set_one(&pl.raiser, r);
	set_one(&pl.disp, d);
	set_one(&pl.churn, c);
	pl.split = r != d;
	pl.disp_pu = pu_index_of(d);
	if (pl.disp_pu < 0)
		bench_die("CPU %d is not among the processing units hwloc reports", d);
}

/* The raiser's scheduling; B and the dispatcher get the same. */
static void choose_policy(void)
{
	pl.policy = SCHED_OTHER;
	pl.param.sched_priority = 0;
	if (opt.prio > 0 && !pl.split) {
		fprintf(stderr, "irqlat: raiser and dispatcher share a CPU: not using "
			"SCHED_FIFO (a spinning raiser would starve the dispatcher)\n");
	} else if (opt.prio > 0) {
		int err = bench_set_fifo(0, opt.prio);

		if (err) {
			fprintf(stderr, "irqlat: SCHED_FIFO priority %d not permitted (%s); "
				"running SCHED_OTHER\n", opt.prio, strerror(err));
		} else {
			pl.policy = SCHED_FIFO;
			pl.param.sched_priority = opt.prio;
		}
	}
	pl.disp_policy = pl.base_policy = pl.policy;
	pl.disp_prio = pl.base_prio = pl.param.sched_priority;
	/* exact sleeps between samples (SCHED_FIFO threads have no slack) */
	prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
}

/* ---- background load: spinning SCHED_OTHER threads, pinned round-robin ---- */

struct load {
	pthread_t *threads;
	unsigned int n;
	_Atomic bool stop;
};

static struct load load;

static void *load_main(void *arg)
{
	volatile uint64_t x = 0;

	pthread_setname_np(pthread_self(), "irqlat-load");
	while (!atomic_load_explicit(&load.stop, memory_order_relaxed))
		for (int i = 0; i < 1000; i++)
			x = x * 2862933555777941757ull + 3037000493ull;
	return NULL;
}

static void load_start(unsigned int n)
{
	load.n = n;
	if (!n)
		return;
	load.threads = calloc(n, sizeof(*load.threads));
	if (!load.threads)
		bench_die("out of memory");
	for (unsigned int i = 0; i < n; i++) {
		cpu_set_t set;

		set_one(&set, nth_cpu(&pl.all, (int)(i % (unsigned int)CPU_COUNT(&pl.all))));
		bench_thread_create(&load.threads[i], load_main, NULL, &set);
	}
}

static void load_stop(void)
{
	atomic_store(&load.stop, true);
	for (unsigned int i = 0; i < load.n; i++)
		pthread_join(load.threads[i], NULL);
	free(load.threads);
}

/* ---- sampling: one loop for irqcore and every baseline ---- */

struct gap {
	unsigned long ns;
	bool sleep;		/* nanosleep; otherwise busy-wait */
};

static void pause_gap(const struct gap *g)
{
	if (!g->ns)
		return;
	if (g->sleep)
		bench_sleep_ns(g->ns);
	else
		bench_spin_ns(g->ns);
}

/* Samples until n are taken (n > 0) or the deadline passes (deadline > 0);
 * s NULL: warm-up. */
static void sample(struct bench_side *s, struct bench_peer *p, unsigned long n,
		   uint64_t deadline, const struct gap *g)
{
	if (!n && !deadline)
		return;
	for (unsigned long i = 0; !n || i < n; i++) {
		uint32_t seen = atomic_load_explicit(&hs.done, memory_order_relaxed);
		uint64_t t0 = bench_now_ns();

		if (deadline && t0 >= deadline)
			break;
		p->kick(p);
		if (bench_wait_done(&hs, seen) && s)
			s->stalls++;
		if (s)
			bench_record(s, t0, atomic_load_explicit(&hs.t1, memory_order_relaxed));
		pause_gap(g);
	}
}

/* ---- irqcore side ---- */

static irqreturn_t lat_handler(int irq, void *dev_id)
{
	bench_woken(dev_id, bench_now_ns());
	return IRQ_HANDLED;
}

static void raise_kick(struct bench_peer *p)
{
	int ret = irq_raise(LAT_IRQ);

	if (ret)
		bench_die("irq_raise: %s", strerror(-ret));
}

static void irqcore_start(int idle, unsigned long flags)
{
	struct irqcore_config cfg;
	int ret;

	/* hwloc takes the PUs the process may use from the threads' bindings:
	 * unpin the raiser while the library looks */
	bench_pin_self(&pl.all);
	irqcore_config_init(&cfg);
	cfg.nr_cpus = 1;
	cfg.nr_irqs = 64;
	cfg.flags = IRQCORE_F_NO_EXPORT;
	cfg.idle = idle;
	cfg.spin_budget_ns = opt.spin_budget_ns;
	if (opt.coalesce_ns)
		cfg.coalesce_ns = opt.coalesce_ns;
	cfg.cpu_map = &pl.disp_pu;
	cfg.thread_priority = pl.policy == SCHED_FIFO ? pl.param.sched_priority : -1;
	cfg.log = bench_log;
	ret = irqcore_init(&cfg);
	if (ret)
		bench_die("irqcore_init: %s", strerror(-ret));
	atomic_store(&hs.tid, 0);
	ret = request_irq(LAT_IRQ, lat_handler, flags, "irqlat", &hs);
	if (ret)
		bench_die("request_irq: %s", strerror(-ret));
	bench_pin_self(&pl.raiser);
}

static void irqcore_stop(void)
{
	free_irq(LAT_IRQ, &hs);
	irqcore_shutdown();
}

/* The dispatcher is known by its first handler run: check where cpu_map put
 * it, and give it the raiser's policy (the library leaves dispatchers at the
 * policy they inherit). */
static pid_t dispatcher_setup(void)
{
	pid_t tid = atomic_load(&hs.tid);
	cpu_set_t set;
	int policy;
	struct sched_param sp;

	if (!sched_getaffinity(tid, sizeof(set), &set) && !CPU_EQUAL(&set, &pl.disp) &&
	    !pl.moved) {
		fprintf(stderr, "irqlat: warning: the dispatcher runs on CPUs other than %d\n",
			bench_first_cpu(&pl.disp));
		pl.moved = true;
	}
	if (pl.policy == SCHED_FIFO)
		bench_set_fifo(tid, pl.param.sched_priority);
	else
		bench_set_fifo(tid, 0);
	policy = sched_getscheduler(tid);
	if (policy >= 0 && !sched_getparam(tid, &sp)) {
		pl.disp_policy = policy;
		pl.disp_prio = sp.sched_priority;
	}
	return tid;
}

/* ---- M6: request_irq/free_irq churn on the measured line ---- */

struct churn {
	pthread_t thread;
	bool requests;			/* false: the busy control, no request/free */
	_Atomic bool stop;
	_Atomic unsigned long pairs;	/* request/free pairs done */
	_Atomic unsigned long runs;	/* the churned handler ran: the dispatcher
					   walked a chain that was changing */
	int err;
};

static irqreturn_t churn_handler(int irq, void *dev_id)
{
	struct churn *c = dev_id;

	atomic_fetch_add_explicit(&c->runs, 1, memory_order_relaxed);
	return IRQ_NONE;		/* a shared line: not our device */
}

static void *churn_main(void *arg)
{
	struct churn *c = arg;

	pthread_setname_np(pthread_self(), "irqlat-churn");
	while (!atomic_load_explicit(&c->stop, memory_order_relaxed)) {
		int ret;

		if (!c->requests) {	/* the control: the same CPU, kept busy */
			bench_cpu_relax();
			continue;
		}
		ret = request_irq(LAT_IRQ, churn_handler, IRQF_SHARED, "irqlat-churn", c);

		if (ret) {
			c->err = -ret;
			break;
		}
		free_irq(LAT_IRQ, c);
		atomic_fetch_add_explicit(&c->pairs, 1, memory_order_relaxed);
	}
	return NULL;
}

/* ---- baseline peers beyond benchutil's futex and spin ---- */

/* eventfd + epoll: A write()s the eventfd; B returns from epoll_wait,
 * read()s the count (the callback's view) and takes t1 */
struct efd_peer {
	int efd, ep;
};

static void efd_loop(struct bench_peer *p)
{
	struct efd_peer *e = p->arg;

	for (;;) {
		struct epoll_event ev;
		uint64_t v, t1;
		int n = epoll_wait(e->ep, &ev, 1, -1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n != 1)
			bench_die("epoll_wait: %s", n < 0 ? strerror(errno) : "no event");
		if (read(e->efd, &v, sizeof(v)) != (ssize_t)sizeof(v))
			bench_die("read(eventfd): %s", strerror(errno));
		t1 = bench_now_ns();
		if (atomic_load_explicit(&p->sync->stop, memory_order_relaxed))
			return;
		bench_woken(p->sync, t1);
	}
}

static void efd_kick(struct bench_peer *p)
{
	struct efd_peer *e = p->arg;
	uint64_t one = 1;

	if (write(e->efd, &one, sizeof(one)) != (ssize_t)sizeof(one))
		bench_die("write(eventfd): %s", strerror(errno));
}

static void efd_open(struct efd_peer *e)
{
	struct epoll_event ev = { .events = EPOLLIN };

	e->efd = eventfd(0, EFD_CLOEXEC);
	e->ep = epoll_create1(EPOLL_CLOEXEC);
	if (e->efd < 0 || e->ep < 0 || epoll_ctl(e->ep, EPOLL_CTL_ADD, e->efd, &ev))
		bench_die("eventfd/epoll: %s", strerror(errno));
}

static void efd_close(struct efd_peer *e)
{
	close(e->ep);
	close(e->efd);
}

/* libuv: A calls uv_async_send(); the loop in B runs the callback */
struct uv_peer {
	uv_loop_t loop;
	uv_async_t async;
	struct bench_sync *sync;
};

static void uv_cb(uv_async_t *a)
{
	struct uv_peer *u = a->data;
	uint64_t t1 = bench_now_ns();

	if (atomic_load_explicit(&u->sync->stop, memory_order_relaxed)) {
		uv_close((uv_handle_t *)a, NULL);
		return;
	}
	bench_woken(u->sync, t1);
}

static void uvp_setup(struct bench_peer *p)
{
	struct uv_peer *u = p->arg;

	u->sync = p->sync;
	if (uv_loop_init(&u->loop) || uv_async_init(&u->loop, &u->async, uv_cb))
		bench_die("libuv: cannot set up the loop");
	u->async.data = u;
}

static void uvp_loop(struct bench_peer *p)
{
	struct uv_peer *u = p->arg;

	uv_run(&u->loop, UV_RUN_DEFAULT);	/* until the callback closes the handle */
	uv_loop_close(&u->loop);
}

static void uvp_kick(struct bench_peer *p)
{
	struct uv_peer *u = p->arg;

	uv_async_send(&u->async);
}

/* ---- figures and their sides ---- */

enum side_kind {
	K_IRQCORE,
	K_CHURN,	/* irqcore, a thread on the churn CPU requesting/freeing */
	K_BUSY,		/* irqcore, a thread on the churn CPU spinning (--m6-control busy) */
	K_SPIN, K_FUTEX, K_EPOLL, K_UV,		/* the baselines */
};

struct side {
	enum side_kind kind;
	struct bench_side s;
	unsigned long churn_pairs;	/* K_CHURN: request/free pairs */
	unsigned long churn_runs;	/* K_CHURN: runs of the churned handler */
	double seconds;			/* measuring time */
};

struct figure {
	const char *id;			/* "M2" */
	const char *case_name;		/* "spin", "sleep", ... */
	char title[200];
	int idle;			/* the dispatcher's IRQCORE_IDLE_* */
	unsigned long req_flags;	/* of the measured handler */
	struct gap gap;
	unsigned int nsides;		/* sides[0] is the value, the rest baselines */
	struct side sides[4];
	bool on;
};

static struct figure figs[NR_FIGS];

/* The segment running now, for the stall report. */
static struct {
	const struct figure *f;
	const struct side *sd;
	unsigned int round;
} cur;

/* A wait for the woken side passed 2 s (benchutil): what it is waiting for,
 * and, for irqcore, the line as the library sees it. A raise that was
 * accepted and neither handled nor coalesced with the dispatcher asleep
 * would be a lost wake-up; the dispatcher runnable but not running is the
 * host's doing. */
static void stall_report(void)
{
	if (cur.f)
		fprintf(stderr, "  in %s %s: %s, round %u/%u\n", cur.f->id, cur.f->case_name,
			cur.sd->s.name, cur.round + 1, opt.rounds);
	bench_print_woken(&hs);
	if (cur.sd && (cur.sd->kind == K_IRQCORE || cur.sd->kind == K_CHURN ||
		       cur.sd->kind == K_BUSY)) {
		struct irq_status is;
		int ret = irq_get_status(LAT_IRQ, &is);

		if (ret)
			fprintf(stderr, "  irq %u: irq_get_status: %s\n", LAT_IRQ, strerror(-ret));
		else
			fprintf(stderr, "  irq %u: raised %llu, coalesced %llu, flow runs %llu; "
				"pending %d, in progress %d, masked %d, disabled %d, "
				"actions %u, effective CPU %d\n", LAT_IRQ, is.raised,
				is.coalesced, is.count, is.pending, is.in_progress, is.masked,
				is.disabled, is.nr_actions, is.effective_cpu);
	}
	fflush(stderr);
}

static void progress(const struct figure *f, const struct side *sd, unsigned int r)
{
	cur.f = f;
	cur.sd = sd;
	cur.round = r;
	if (!opt.quiet) {
		fprintf(stderr, "  %s %s: %s, round %u/%u\n", f->id, f->case_name, sd->s.name,
			r + 1, opt.rounds);
		fflush(stderr);
	}
}

static void irqcore_segment(struct figure *f, struct side *sd, unsigned long n, uint64_t ns)
{
	struct bench_peer raiser = { .kick = raise_kick };
	struct churn churn = { .requests = sd->kind == K_CHURN };
	bool churning = sd->kind == K_CHURN || sd->kind == K_BUSY;
	struct bench_ctxsw a, b;
	uint64_t t;
	pid_t tid;

	irqcore_start(f->idle, f->req_flags);
	sample(NULL, &raiser, 1, 0, &f->gap);
	tid = dispatcher_setup();
	sample(NULL, &raiser, opt.warmup, 0, &f->gap);	/* none with -w 0 */
	if (churning)		/* process context work: SCHED_OTHER */
		bench_thread_create(&churn.thread, churn_main, &churn, &pl.churn);
	a = bench_read_ctxsw(tid);
	t = bench_now_ns();
	sample(&sd->s, &raiser, n, ns ? t + ns : 0, &f->gap);
	sd->seconds += (double)(bench_now_ns() - t) / 1e9;
	b = bench_read_ctxsw(tid);
	bench_add_ctxsw(&sd->s, a, b);
	if (churning) {
		atomic_store(&churn.stop, true);
		pthread_join(churn.thread, NULL);
		sd->churn_pairs += atomic_load(&churn.pairs);
		sd->churn_runs += atomic_load(&churn.runs);
		if (churn.err)
			bench_die("churn: request_irq: %s", strerror(churn.err));
	}
	irqcore_stop();
}

static void peer_segment(struct figure *f, struct side *sd, unsigned long n, uint64_t ns)
{
	struct bench_peer p = {
		.sync = &hs,
		.name = "irqlat-peer",
		.cpus = pl.split ? &pl.disp : NULL,
		.policy = pl.policy,
		.param = pl.param,
	};
	struct efd_peer e;
	struct uv_peer u;
	struct bench_ctxsw a, b;
	uint64_t t;

	switch (sd->kind) {
	case K_SPIN: bench_peer_spin(&p); break;
	case K_FUTEX: bench_peer_futex(&p); break;
	case K_EPOLL:
		efd_open(&e);
		p.loop = efd_loop;
		p.kick = efd_kick;
		p.arg = &e;
		break;
	case K_UV:
		p.setup = uvp_setup;
		p.loop = uvp_loop;
		p.kick = uvp_kick;
		p.arg = &u;
		break;
	default:
		bench_die("not a baseline");
	}
	bench_pin_self(&pl.raiser);
	bench_peer_start(&p);
	pl.base_policy = p.got_policy;
	pl.base_prio = p.got_param.sched_priority;
	sample(NULL, &p, opt.warmup ? opt.warmup : 1, 0, &f->gap);
	a = bench_read_ctxsw(p.tid);
	t = bench_now_ns();
	sample(&sd->s, &p, n, ns ? t + ns : 0, &f->gap);
	sd->seconds += (double)(bench_now_ns() - t) / 1e9;
	b = bench_read_ctxsw(p.tid);
	bench_add_ctxsw(&sd->s, a, b);
	bench_peer_stop(&p);
	if (sd->kind == K_EPOLL)
		efd_close(&e);
}

static void run_segment(struct figure *f, struct side *sd, unsigned long n, uint64_t ns)
{
	if (sd->kind == K_IRQCORE || sd->kind == K_CHURN || sd->kind == K_BUSY)
		irqcore_segment(f, sd, n, ns);
	else
		peer_segment(f, sd, n, ns);
}

static void add_side(struct figure *f, enum side_kind kind, const char *name)
{
	struct side *sd = &f->sides[f->nsides++];

	sd->kind = kind;
	bench_side_init(&sd->s, name);
}

static void setup_figures(void)
{
	struct figure *f;

	f = &figs[FIG_M2];
	*f = (struct figure){ .id = "M2", .case_name = "spin", .idle = IRQCORE_IDLE_SPIN,
			      .gap = { opt.m2_gap_ns, false }, .on = opt.figs[FIG_M2] };
	snprintf(f->title, sizeof(f->title),
		 "M2  raise -> hard handler, spinning dispatcher (IRQCORE_IDLE_SPIN), %lu us "
		 "busy gap", opt.m2_gap_ns / 1000u);
	add_side(f, K_IRQCORE, "irqcore");
	add_side(f, K_SPIN, "cache-line ping-pong");

	f = &figs[FIG_M3];
	*f = (struct figure){ .id = "M3", .case_name = "sleep", .idle = IRQCORE_IDLE_SLEEP,
			      .gap = { opt.m3_gap_ns, true }, .on = opt.figs[FIG_M3] };
	snprintf(f->title, sizeof(f->title),
		 "M3  raise -> hard handler, sleeping dispatcher (IRQCORE_IDLE_SLEEP), %lu us "
		 "asleep between samples", opt.m3_gap_ns / 1000u);
	add_side(f, K_IRQCORE, "irqcore");
	add_side(f, K_FUTEX, "futex wake");
	add_side(f, K_EPOLL, "eventfd+epoll");
	add_side(f, K_UV, "uv_async_send");

	f = &figs[FIG_M6];
	*f = (struct figure){ .id = "M6", .case_name = idle_names[opt.m6_idle],
			      .idle = opt.m6_idle, .req_flags = IRQF_SHARED,
			      .gap = { opt.m6_gap_ns, true }, .on = opt.figs[FIG_M6] };
	snprintf(f->title, sizeof(f->title),
		 "M6  raise -> hard handler (IRQCORE_IDLE_%s, IRQF_SHARED, %lu us asleep between "
		 "samples) with request_irq/free_irq churn on the line, against %s",
		 opt.m6_idle == IRQCORE_IDLE_SPIN ? "SPIN" :
		 opt.m6_idle == IRQCORE_IDLE_SLEEP ? "SLEEP" : "ADAPTIVE", opt.m6_gap_ns / 1000u,
		 opt.m6_busy ? "a thread only spinning there" : "nothing there");
	add_side(f, K_CHURN, "churn");
	add_side(f, opt.m6_busy ? K_BUSY : K_IRQCORE, "no churn");
}

/* Round r of every figure: each side once, forward in even rounds and
 * backward in odd ones (ABBA). */
static void run_round(unsigned int r, unsigned long n, uint64_t ns)
{
	for (int i = 0; i < NR_FIGS; i++) {
		struct figure *f = &figs[i];

		if (!f->on)
			continue;
		for (unsigned int k = 0; k < f->nsides; k++) {
			struct side *sd = &f->sides[r % 2 ? f->nsides - 1 - k : k];

			progress(f, sd, r);
			run_segment(f, sd, n, ns);
		}
	}
}

/* ---- output ---- */

static const struct { const char *key; double p; } cols[] = {
	{ "p50", 50.0 }, { "p90", 90.0 }, { "p99", 99.0 }, { "p99.9", 99.9 },
	{ "p99.99", 99.99 }, { "max", 100.0 },
};
#define NCOLS (sizeof(cols) / sizeof(cols[0]))

static struct bench_machine machine;

static void print_side(const struct side *sd)
{
	const struct bench_side *s = &sd->s;
	char buf[24];

	printf("  %-22s %9" PRIu64, s->name, hist_count(&s->hist));
	for (size_t k = 0; k < NCOLS; k++)
		printf(" %9s", hist_fmt_ns(buf, sizeof(buf), hist_percentile(&s->hist, cols[k].p)));
	if (s->ctxsw_ok)
		printf(" %13.2f\n", bench_per_sample(s, s->sleeps));
	else
		printf(" %13s\n", "n/a");
}

static void print_ratio(const char *label, const struct side *v, const struct side *b)
{
	printf("  %-32s", label);
	for (size_t k = 0; k < NCOLS; k++) {
		uint64_t y = hist_percentile(&b->s.hist, cols[k].p);

		if (y)
			printf(" %9.2f", (double)hist_percentile(&v->s.hist, cols[k].p) / (double)y);
		else
			printf(" %9s", "-");
	}
	printf("\n");
}

static void print_figure(const struct figure *f)
{
	char label[64];

	printf("\n%s\n  %-22s %9s", f->title, "", "samples");
	for (size_t k = 0; k < NCOLS; k++)
		printf(" %9s", cols[k].key);
	printf(" %13s\n", "sleeps/sample");
	for (unsigned int k = 0; k < f->nsides; k++)
		print_side(&f->sides[k]);
	for (unsigned int k = 1; k < f->nsides; k++) {
		snprintf(label, sizeof(label), "ratio vs %s", f->sides[k].s.name);
		print_ratio(f->nsides > 2 ? label : "ratio", &f->sides[0], &f->sides[k]);
	}
	if (opt.verbose) {
		for (unsigned int k = 0; k < f->nsides; k++) {
			printf("\n  %s, %s:\n", f->id, f->sides[k].s.name);
			hist_print(stdout, &f->sides[k].s.hist, "    ");
		}
	}
}

static double churn_rate(const struct figure *f)
{
	const struct side *sd = &f->sides[0];

	return sd->seconds > 0 ? (double)sd->churn_pairs / sd->seconds : 0.0;
}

/* What the run should have measured, checked: printed as notes. */
static void print_notes(void)
{
	const struct figure *m2 = &figs[FIG_M2], *m3 = &figs[FIG_M3], *m6 = &figs[FIG_M6];

	for (int i = 0; i < NR_FIGS; i++) {
		if (!figs[i].on)
			continue;
		for (unsigned int k = 0; k < figs[i].nsides; k++) {
			const struct bench_side *s = &figs[i].sides[k].s;

			if (s->negative)
				printf("note: %s/%s: %" PRIu64 " samples had t1 < t0 (counted as 0)\n",
				       figs[i].id, s->name, s->negative);
			if (s->stalls)
				printf("note: %s/%s: %" PRIu64 " samples waited more than 2 s for "
				       "the woken side (the host stalled it; see stderr)\n",
				       figs[i].id, s->name, s->stalls);
		}
	}
	if (m2->on && m2->sides[0].s.ctxsw_ok &&
	    bench_per_sample(&m2->sides[0].s, m2->sides[0].s.sleeps) > 0.1)
		printf("note: M2: the spinning dispatcher slept on %.0f%% of the samples\n",
		       100.0 * bench_per_sample(&m2->sides[0].s, m2->sides[0].s.sleeps));
	if (m3->on) {
		for (unsigned int k = 0; k < m3->nsides; k++) {
			const struct bench_side *s = &m3->sides[k].s;

			if (s->ctxsw_ok && bench_per_sample(s, s->sleeps) < 0.5)
				printf("note: M3/%s: the woken thread slept on only %.0f%% of the "
				       "samples (a longer -g makes sure it sleeps)\n", s->name,
				       100.0 * bench_per_sample(s, s->sleeps));
		}
	}
	if (m6->on)
		printf("note: M6: %.0f request_irq/free_irq pairs per second during the churn "
		       "segments (churn thread on CPU %d); the churned handler ran on %lu of "
		       "%" PRIu64 " samples\n", churn_rate(m6), bench_first_cpu(&pl.churn),
		       m6->sides[0].churn_runs, hist_count(&m6->sides[0].s.hist));
	if (pl.moved)
		printf("note: a dispatcher was not on the CPU that cfg.cpu_map named\n");
	if (opt.prio > 0 && pl.policy != SCHED_FIFO)
		printf("note: SCHED_FIFO was asked for but not used (see stderr)\n");
}

static void print_report(void)
{
	char load_end[64];

	bench_loadavg(load_end, sizeof(load_end));
	printf("irqlat: raise -> hard handler entry latency, against baselines in the same run\n");
	printf("machine: %ld CPUs online (%d usable), %s, clocksource %s\n", machine.nproc,
	       machine.cpus_allowed, machine.model, machine.clocksource);
	printf("load average: %s at start, %s at the end; background load: %u spinning "
	       "thread%s\n", machine.load, load_end, opt.load, opt.load == 1 ? "" : "s");
	printf("placement: raiser on CPU %d (%s %d); dispatcher and baseline threads on "
	       "CPU %d (dispatcher %s %d, baselines %s %d)%s\n",
	       bench_first_cpu(&pl.raiser), bench_policy_name(pl.policy),
	       pl.param.sched_priority, bench_first_cpu(&pl.disp),
	       bench_policy_name(pl.disp_policy), pl.disp_prio,
	       bench_policy_name(pl.base_policy), pl.base_prio,
	       pl.split ? "" : "; one CPU: raiser and woken side share it");
	if (opt.duration_s > 0)
		printf("time: %.0f s of sampling", opt.duration_s);
	else
		printf("samples: %lu per side", opt.n);
	printf(" in %u rounds, ABBA order; %lu warm-up samples per segment discarded\n",
	       opt.rounds, opt.warmup);
	printf("ratio = irqcore / baseline (M6: churn / no churn) at the same percentile; "
	       "sleeps/sample = voluntary context switches of the woken thread per sample\n");
	for (int i = 0; i < NR_FIGS; i++)
		if (figs[i].on)
			print_figure(&figs[i]);
	printf("\n");
	print_notes();
	fflush(stdout);
}

static void json_config(FILE *f)
{
	fprintf(f, ",\n  \"config\": {\n    \"duration_s\": %.3f,\n    \"samples_per_side\": %lu,\n"
		"    \"warmup_per_segment\": %lu,\n    \"rounds\": %u,\n    \"m2_gap_ns\": %lu,\n"
		"    \"m3_gap_ns\": %lu,\n    \"m6_gap_ns\": %lu,\n    \"m6_idle\": \"%s\",\n"
		"    \"m6_control\": \"%s\",\n"
		"    \"spin_budget_ns\": %lu,\n    \"priority\": %d,\n    \"load_threads\": %u\n  }",
		opt.duration_s, opt.n, opt.warmup, opt.rounds, opt.m2_gap_ns, opt.m3_gap_ns,
		opt.m6_gap_ns, idle_names[opt.m6_idle], opt.m6_busy ? "busy" : "idle",
		opt.spin_budget_ns, opt.prio, opt.load);
	fprintf(f, ",\n  \"placement\": {\n    \"split_cpus\": %s,\n    \"raiser_cpu\": %d,\n"
		"    \"dispatcher_cpu\": %d,\n    \"churn_cpu\": %d,\n"
		"    \"raiser_policy\": \"%s\",\n    \"raiser_priority\": %d,\n"
		"    \"dispatcher_policy\": \"%s\",\n    \"dispatcher_priority\": %d,\n"
		"    \"baseline_policy\": \"%s\",\n    \"baseline_priority\": %d,\n"
		"    \"dispatcher_moved\": %s\n  }",
		pl.split ? "true" : "false", bench_first_cpu(&pl.raiser),
		bench_first_cpu(&pl.disp), bench_first_cpu(&pl.churn),
		bench_policy_name(pl.policy), pl.param.sched_priority,
		bench_policy_name(pl.disp_policy), pl.disp_prio,
		bench_policy_name(pl.base_policy), pl.base_prio, pl.moved ? "true" : "false");
}

static void json_runs(FILE *f)
{
	const char *sep = "";

	fprintf(f, ",\n  \"runs\": [");
	for (int i = 0; i < NR_FIGS; i++) {
		if (!figs[i].on)
			continue;
		for (unsigned int k = 0; k < figs[i].nsides; k++) {
			const struct side *sd = &figs[i].sides[k];

			fprintf(f, "%s\n    {\"id\": \"%s\", \"case\": \"%s\", \"series\": ", sep,
				figs[i].id, figs[i].case_name);
			bench_json_string(f, sd->s.name);
			fprintf(f, ", \"samples\": %" PRIu64 ", \"seconds\": %.3f, "
				"\"woken_thread_sleeps\": %lld, \"woken_thread_preemptions\": %lld, "
				"\"negative_samples\": %" PRIu64 ", \"stalled_samples\": %" PRIu64,
				hist_count(&sd->s.hist), sd->seconds,
				sd->s.ctxsw_ok ? sd->s.sleeps : -1,
				sd->s.ctxsw_ok ? sd->s.preempts : -1, sd->s.negative, sd->s.stalls);
			if (sd->kind == K_CHURN)
				fprintf(f, ", \"churn_pairs\": %lu, \"churn_pairs_per_s\": %.1f, "
					"\"churned_handler_runs\": %lu", sd->churn_pairs,
					churn_rate(&figs[i]), sd->churn_runs);
			fprintf(f, "}");
			sep = ",";
		}
	}
	fprintf(f, "\n  ]");
}

static void write_json(const char *path)
{
	struct bench_report rep;
	FILE *f = fopen(path, "w");

	if (!f)
		bench_die("%s: %s", path, strerror(errno));
	bench_report_init(&rep);
	for (int i = 0; i < NR_FIGS; i++) {
		const struct figure *fg = &figs[i];

		if (!fg->on)
			continue;
		for (unsigned int k = 1; k < fg->nsides; k++)
			bench_report_add(&rep, fg->id, fg->case_name, fg->sides[0].s.name,
					 &fg->sides[0].s.hist, fg->sides[k].s.name,
					 &fg->sides[k].s.hist);
	}
	bench_json_open(f, "irqlat", &machine, NULL);
	json_config(f);
	json_runs(f);
	bench_json_close(f, &rep);
	if (fclose(f))
		bench_die("%s: %s", path, strerror(errno));
}

/* ---- main ---- */

static void usage(FILE *out)
{
	fprintf(out,
		"usage: irqlat [-d SECONDS | -n SAMPLES] [-r ROUNDS] [-w WARMUP] [-c [RAISER,]DISP]\n"
		"              [-p PRIO] [-l THREADS] [-f M2,M3,M6] [-g US] [-G US] [--m6-gap US]\n"
		"              [--m6-idle spin|sleep|adaptive] [--m6-control busy|idle]\n"
		"              [-b US] [--churn-cpu CPU] [--coalesce NS]\n"
		"              [--json FILE] [-q] [-v]\n"
		"  -d  seconds of sampling, split evenly over all segments (default 20)\n"
		"  -n  samples per side and figure instead (with -d: whichever comes first)\n"
		"  -r  rounds, sides in ABBA order (default 4)\n"
		"  -w  warm-up samples discarded at the start of every segment (default 500)\n"
		"  -c  OS CPUs of the raiser and of the dispatcher and baseline threads;\n"
		"      one number: the dispatcher's (default: the first two CPUs allowed)\n"
		"  -p  SCHED_FIFO priority of the raiser, the dispatcher and the baseline\n"
		"      threads, when permitted (default 50, as irq threads; 0: SCHED_OTHER)\n"
		"  -l  background load: spinning SCHED_OTHER threads pinned round-robin\n"
		"  -f  figures to measure (default M2,M3,M6)\n"
		"  -G  M2: busy-wait between samples, us (default 5)\n"
		"  -g  M3: sleep between samples, us (default 200)\n"
		"  --m6-gap US    M6: sleep between samples (default 20)\n"
		"  --m6-idle P    M6: the dispatcher's idle policy (default spin)\n"
		"  --m6-control C M6 \"no churn\": busy (a thread spins where the churn thread\n"
		"                 ran; default) or idle (no thread)\n"
		"  -b  spin budget of the adaptive policy, us (default 50)\n"
		"  --coalesce NS  irqcore's coalesce_ns (-1: none; default: the library's)\n"
		"  --churn-cpu C  M6: the churn thread's CPU (default: a third CPU, else the raiser's)\n"
		"  --json FILE    figures and histograms in the common benchmark schema\n"
		"  -q  no progress on stderr;  -v  text histograms\n");
}

static void parse_cpus(const char *s)
{
	char *end;
	long r, d;

	errno = 0;
	r = strtol(s, &end, 10);
	if (errno || end == s || r < 0 || (*end != ',' && *end))
		bench_die("bad -c: %s (RAISER,DISPATCHER)", s);
	if (!*end) {			/* one number: the dispatcher's CPU */
		opt.disp_cpu = (int)r;
		return;
	}
	s = end + 1;
	d = strtol(s, &end, 10);
	if (errno || end == s || d < 0 || *end)
		bench_die("bad -c: %s (RAISER,DISPATCHER)", s);
	opt.raiser_cpu = (int)r;
	opt.disp_cpu = (int)d;
}

static void parse_figs(const char *s)
{
	char buf[64], *tok, *save = NULL;

	snprintf(buf, sizeof(buf), "%s", s);
	memset(opt.figs, 0, sizeof(opt.figs));
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (!strcasecmp(tok, "M2"))
			opt.figs[FIG_M2] = true;
		else if (!strcasecmp(tok, "M3"))
			opt.figs[FIG_M3] = true;
		else if (!strcasecmp(tok, "M6"))
			opt.figs[FIG_M6] = true;
		else
			bench_die("bad -f: %s (M2, M3, M6)", tok);
	}
}

static int parse_idle(const char *s)
{
	for (int i = 0; i < 3; i++)
		if (!strcmp(s, idle_names[i]))
			return i;
	bench_die("bad --m6-idle: %s (spin, sleep, adaptive)", s);
}

static void parse_args(int argc, char **argv)
{
	enum { O_M6_GAP = 256, O_M6_IDLE, O_M6_CONTROL, O_CHURN_CPU, O_COALESCE };
	static const struct option lopts[] = {
		{ "duration", required_argument, NULL, 'd' },
		{ "samples", required_argument, NULL, 'n' },
		{ "rounds", required_argument, NULL, 'r' },
		{ "warmup", required_argument, NULL, 'w' },
		{ "cpus", required_argument, NULL, 'c' },
		{ "priority", required_argument, NULL, 'p' },
		{ "load", required_argument, NULL, 'l' },
		{ "figures", required_argument, NULL, 'f' },
		{ "gap", required_argument, NULL, 'g' },
		{ "spin-gap", required_argument, NULL, 'G' },
		{ "budget", required_argument, NULL, 'b' },
		{ "m6-gap", required_argument, NULL, O_M6_GAP },
		{ "m6-idle", required_argument, NULL, O_M6_IDLE },
		{ "m6-control", required_argument, NULL, O_M6_CONTROL },
		{ "churn-cpu", required_argument, NULL, O_CHURN_CPU },
		{ "coalesce", required_argument, NULL, O_COALESCE },
		{ "json", required_argument, NULL, 'j' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool n_given = false, d_given = false;
	char *end;
	int ch;

	while ((ch = getopt_long(argc, argv, "d:n:r:w:c:p:l:f:g:G:b:qvh", lopts, NULL)) != -1) {
		switch (ch) {
		case 'd':
			opt.duration_s = strtod(optarg, &end);
			if (end == optarg || *end || !(opt.duration_s > 0))
				bench_die("bad -d: %s", optarg);
			d_given = true;
			break;
		case 'n': opt.n = bench_parse_ul(optarg, "-n"); n_given = true; break;
		case 'r': opt.rounds = (unsigned int)bench_parse_ul(optarg, "-r"); break;
		case 'w': opt.warmup = bench_parse_ul(optarg, "-w"); break;
		case 'c': parse_cpus(optarg); break;
		case 'p': opt.prio = (int)bench_parse_ul(optarg, "-p"); break;
		case 'l': opt.load = (unsigned int)bench_parse_ul(optarg, "-l"); break;
		case 'f': parse_figs(optarg); break;
		case 'g': opt.m3_gap_ns = bench_parse_ul(optarg, "-g") * 1000u; break;
		case 'G': opt.m2_gap_ns = bench_parse_ul(optarg, "-G") * 1000u; break;
		case 'b': opt.spin_budget_ns = bench_parse_ul(optarg, "-b") * 1000u; break;
		case O_M6_GAP: opt.m6_gap_ns = bench_parse_ul(optarg, "--m6-gap") * 1000u; break;
		case O_M6_IDLE: opt.m6_idle = parse_idle(optarg); break;
		case O_M6_CONTROL:
			if (strcmp(optarg, "busy") && strcmp(optarg, "idle"))
				bench_die("bad --m6-control: %s (busy, idle)", optarg);
			opt.m6_busy = !strcmp(optarg, "busy");
			break;
		case O_CHURN_CPU:
			opt.churn_cpu = (int)bench_parse_ul(optarg, "--churn-cpu");
			break;
		case O_COALESCE: opt.coalesce_ns = atoi(optarg); break;
		case 'j': opt.json = optarg; break;
		case 'q': opt.quiet = true; break;
		case 'v': opt.verbose = true; break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); exit(2);
		}
	}
	if (n_given && !d_given)
		opt.duration_s = 0;		/* by samples only */
	if (optind != argc || !opt.rounds || opt.prio > 99 || !opt.spin_budget_ns ||
	    (opt.n && opt.rounds > opt.n)) {
		usage(stderr);
		exit(2);
	}
	if (!opt.figs[FIG_M2] && !opt.figs[FIG_M3] && !opt.figs[FIG_M6])
		bench_die("no figure to measure");
}

int main(int argc, char **argv)
{
	unsigned int nseg = 0;
	uint64_t seg_ns;

	bench_prog = "irqlat";
	bench_set_stall_report(stall_report);
	parse_args(argc, argv);
	bench_machine_read(&machine);
	choose_placement();
	setup_figures();
	for (int i = 0; i < NR_FIGS; i++)
		if (figs[i].on)
			nseg += figs[i].nsides * opt.rounds;
	seg_ns = (uint64_t)(opt.duration_s * 1e9 / nseg);
	if (opt.duration_s > 0 && seg_ns < 1000000)
		seg_ns = 1000000;	/* at least 1 ms per segment */

	load_start(opt.load);
	choose_policy();
	if (!opt.quiet)
		fprintf(stderr, "irqlat: %s in %u segments of %s; raiser on CPU %d, "
			"dispatcher on CPU %d\n", opt.duration_s > 0 ? "time split" : "samples",
			nseg, opt.duration_s > 0 ? "equal time" : "n/rounds samples",
			bench_first_cpu(&pl.raiser), bench_first_cpu(&pl.disp));
	for (unsigned int r = 0; r < opt.rounds; r++) {
		/* the last round takes the remainder */
		unsigned long n = opt.n ? opt.n / opt.rounds +
					  (r + 1 == opt.rounds ? opt.n % opt.rounds : 0) : 0;

		run_round(r, n, seg_ns);
	}
	bench_set_fifo(0, 0);
	load_stop();

	print_report();
	if (opt.json) {
		write_json(opt.json);
		if (!opt.quiet)
			fprintf(stderr, "irqlat: wrote %s\n", opt.json);
	}
	return 0;
}
