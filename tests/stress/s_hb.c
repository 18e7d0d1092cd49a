/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * s_hb — happens-before from a raiser to the handler run that covers its
 * event (finding 4). Meant for the ThreadSanitizer build; the normal build
 * runs the same scenarios and checks only the values.
 *
 * Invariant: every path by which an event reaches a hard handler or an irq
 * thread orders the raiser's prior plain (non-atomic) writes before the run
 * that covers the event, as an interrupt controller and the kernel's
 * spinlocks do. A driver may write its descriptor ring with plain stores,
 * raise, and rely on the handler seeing them.
 *
 * Method: the raiser writes a PLAIN variable, performs the event action,
 * and tells the test's other side so only with relaxed atomics (TSan does
 * not take relaxed atomics as synchronization; no join, mutex, barrier or
 * seq_cst between the write and the read). The handler (or thread_fn) reads
 * the variable with a plain load. If the library does not provide
 * happens-before on that path, TSan reports a data race on the variable; the
 * value itself is checked too (it is always right on x86).
 *
 * Every raiser thread first raises a warm-up line W (own action, same 256-line
 * counter chunk as L) BEFORE its plain write: a thread's first raise may
 * register per-thread state under a mutex (the raise counters did), and a
 * mutex taken after the write would hand the test a happens-before edge the
 * library's event path did not provide. Each plain variable is written once (one slot per event),
 * so no race can come from a reader-to-next-writer direction the library does
 * not order.
 *
 * Paths, one test each:
 *  a hb_direct_sleeping_dispatcher   raise to a sleeping dispatcher
 *  b hb_coalesced_into_set_bit       merged into a set pending bit (external CPU)
 *  c hb_latched_on_disabled_line     latched on a disabled line, replayed on enable
 *  d hb_merged_into_latched_pending  merged into an already latched PENDING
 *                                    (finding 4b: was a plain load)
 *  e hb_replayed_by_owner            latched PENDING behind a line running on
 *                                    another CPU, replayed by that owner
 *  f hb_thread_wake                  hard handler -> IRQ_WAKE_THREAD -> thread_fn
 *  g hb_thread_wake_coalesced        a wake-up merged into an already pending
 *                                    run (finding 4a: was a plain load)
 *  hb_thread_wake_litmus             f/g as a 1 s stress: each hard handler
 *                                    stores its slot plainly and wakes; the
 *                                    thread checks every slot in a run that
 *                                    certainly covers it
 *
 * On the code before the fix (d4c6183) TSan reported a data race in d, g and
 * the litmus, and the other paths were clean; the normal build passed all.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "irqcore.h"
#include "../harness.h"
#include "stress.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#define L	3u		/* the line under test */
#define W	4u		/* warm-up line: same counter chunk, own action */

#define HB_TIMEOUT	((int)(th_stress_seconds() * 4) + 120)

/* ---- relaxed signalling ------------------------------------------------- */

static inline int rl(atomic_int *p)
{
	return atomic_load_explicit(p, memory_order_relaxed);
}

static inline void rs(atomic_int *p, int v)
{
	atomic_store_explicit(p, v, memory_order_relaxed);
}

static inline void rinc(atomic_int *p)
{
	atomic_fetch_add_explicit(p, 1, memory_order_relaxed);
}

static void pause_us(long us)
{
	struct timespec ts = { 0, us * 1000 };

	nanosleep(&ts, NULL);
}

/* Wait (bounded: 20 s, generous for TSan) until *p >= v; relaxed loads only. */
static bool wait_ge(atomic_int *p, int v)
{
	double t0 = th_now();

	while (rl(p) < v) {
		if (th_now() - t0 > 20.0)
			return false;
		pause_us(50);
	}
	return true;
}

#define WAIT_GE(p, v) ASSERT_TRUE(wait_ge((p), (v)))

/* ---- shared state ------------------------------------------------------- */

#define SLOTS 256
static int slot[SLOTS];			/* plain: one write per event */
static atomic_int cur;			/* which slot the handler reads */
static atomic_int hcalls, hbad, wcalls;
static atomic_int sig1, sig2, go, entered;

static void reset_state(void)
{
	memset(slot, 0, sizeof(slot));
	rs(&cur, 0);
	rs(&hcalls, 0);
	rs(&hbad, 0);
	rs(&wcalls, 0);
	rs(&sig1, 0);
	rs(&sig2, 0);
	rs(&go, 0);
	rs(&entered, 0);
}

static void start(unsigned int nr_cpus, bool external)
{
	struct irqcore_config cfg;

	irqcore_config_init(&cfg);
	cfg.nr_cpus = nr_cpus;
	cfg.idle = IRQCORE_IDLE_SLEEP;
	cfg.flags = IRQCORE_F_NO_EXPORT | (external ? IRQCORE_F_EXTERNAL_CPUS : 0);
	cfg.thread_priority = -1;	/* SCHED_OTHER irq threads */
	cfg.log = th_log;
	reset_state();
	ASSERT_EQ(irqcore_init(&cfg), 0);
	if (external)
		ASSERT_EQ(irqcore_cpu_attach(0), 0);
}

static void drain(void)
{
	for (int i = 0; i < 1000; i++) {
		int n = irqcore_poll();

		ASSERT_GE(n, 0);
		if (n == 0)
			break;
	}
}

static irqreturn_t warm_handler(int irq, void *dev_id)
{
	(void)irq;
	(void)dev_id;
	rinc(&wcalls);
	return IRQ_HANDLED;
}

/* Reads slot[cur] plainly: must be cur + 1. */
static irqreturn_t read_handler(int irq, void *dev_id)
{
	int k = rl(&cur);

	(void)irq;
	(void)dev_id;
	if (k < 0 || k >= SLOTS || slot[k] != k + 1)
		rinc(&hbad);
	rinc(&hcalls);
	return IRQ_HANDLED;
}

static void warm_up(void)
{
	ASSERT_EQ(irq_raise(W), 0);
}

static void run_thread(void *(*fn)(void *), pthread_t *tid)
{
	ASSERT_EQ(pthread_create(tid, NULL, fn, NULL), 0);
}

static void finish(bool external)
{
	struct irq_status st;

	if (external)
		drain();
	ASSERT_EQ(irqcore_quiesce(10000), 0);
	if (external)
		drain();
	ASSERT_EQ(irq_get_status(L, &st), 0);
	ASSERT_EQ(st.raised, st.count + st.coalesced);
	ASSERT_TRUE(free_irq(L, NULL) != NULL);
	ASSERT_TRUE(free_irq(W, NULL) != NULL);
	if (external)
		ASSERT_EQ(irqcore_cpu_detach(), 0);
	irqcore_shutdown();
}

/* ---- a: direct raise to a sleeping dispatcher ---------------------------- */

#define A_ITERS 100

static void *a_raiser(void *arg)
{
	(void)arg;
	warm_up();
	for (int i = 0; i < A_ITERS; i++) {
		/* the dispatcher goes back to sleep meanwhile */
		pause_us(200);
		slot[i] = i + 1;				/* plain */
		rs(&cur, i);
		if (irq_raise(L) != 0)
			rinc(&hbad);
		if (!wait_ge(&hcalls, i + 1)) {
			rinc(&hbad);
			break;
		}
	}
	return NULL;
}

TEST_T(hb_direct_sleeping_dispatcher, HB_TIMEOUT)
{
	pthread_t t;

	start(1, false);
	ASSERT_EQ(request_irq(L, read_handler, 0, "hb", NULL), 0);
	ASSERT_EQ(request_irq(W, warm_handler, 0, "warm", NULL), 0);
	run_thread(a_raiser, &t);
	ASSERT_EQ(pthread_join(t, NULL), 0);
	ASSERT_EQ(rl(&hbad), 0);
	ASSERT_EQ(rl(&hcalls), A_ITERS);
	finish(false);
}

/* ---- b: merged into a set pending bit (external CPU) --------------------- */

/* Raise L without writing anything: sets the bit, or latches PENDING. */
static void *raise_first(void *arg)
{
	(void)arg;
	warm_up();
	if (irq_raise(L) != 0)
		rinc(&hbad);
	rs(&sig1, 1);
	return NULL;
}

/* Write slot[0] (plain), then raise L: merges into the set bit, or into
 * the latched PENDING, of raise_first. */
static void *write_then_raise(void *arg)
{
	(void)arg;
	warm_up();
	slot[0] = 1;			/* plain */
	if (irq_raise(L) != 0)
		rinc(&hbad);
	rs(&sig2, 1);
	return NULL;
}

/* raise_first, then write_then_raise merging into its event: into the set
 * pending bit, or (latched) into the PENDING latched on the disabled line.
 * One handler run reads slot[0]: raised 2, count 1, coalesced 1. */
static void two_raisers_one_run(bool latched)
{
	pthread_t t1, t2;
	struct irq_status st;

	start(1, true);
	ASSERT_EQ(request_irq(L, read_handler, 0, "hb", NULL), 0);
	ASSERT_EQ(request_irq(W, warm_handler, 0, "warm", NULL), 0);
	if (latched)
		disable_irq_nosync(L);
	run_thread(raise_first, &t1);
	WAIT_GE(&sig1, 1);
	run_thread(write_then_raise, &t2);
	WAIT_GE(&sig2, 1);
	drain();
	if (latched) {
		ASSERT_EQ(rl(&hcalls), 0);	/* still latched */
		enable_irq(L);
		drain();
	}
	ASSERT_EQ(rl(&hcalls), 1);		/* the handler read slot[0] */
	ASSERT_EQ(rl(&hbad), 0);
	ASSERT_EQ(pthread_join(t1, NULL), 0);
	ASSERT_EQ(pthread_join(t2, NULL), 0);
	ASSERT_EQ(irq_get_status(L, &st), 0);
	ASSERT_EQ(st.raised, 2);
	ASSERT_EQ(st.count, 1);
	ASSERT_EQ(st.coalesced, 1);
	finish(true);
}

TEST_T(hb_coalesced_into_set_bit, HB_TIMEOUT)
{
	two_raisers_one_run(false);
}

/* ---- c: latched on a disabled line --------------------------------------- */

static void *c_raiser(void *arg)
{
	(void)arg;
	warm_up();
	slot[0] = 1;			/* plain */
	if (irq_raise(L) != 0)		/* latched (PENDING) */
		rinc(&hbad);
	rs(&sig1, 1);
	return NULL;
}

TEST_T(hb_latched_on_disabled_line, HB_TIMEOUT)
{
	pthread_t t;
	struct irq_status st;

	start(1, true);
	ASSERT_EQ(request_irq(L, read_handler, 0, "hb", NULL), 0);
	ASSERT_EQ(request_irq(W, warm_handler, 0, "warm", NULL), 0);
	disable_irq_nosync(L);
	run_thread(c_raiser, &t);
	WAIT_GE(&sig1, 1);
	drain();
	ASSERT_EQ(rl(&hcalls), 0);		/* still latched */
	enable_irq(L);
	drain();
	ASSERT_EQ(rl(&hcalls), 1);
	ASSERT_EQ(rl(&hbad), 0);
	ASSERT_EQ(pthread_join(t, NULL), 0);
	ASSERT_EQ(irq_get_status(L, &st), 0);
	ASSERT_EQ(st.raised, 1);
	ASSERT_EQ(st.count, 1);
	finish(true);
}

/* ---- d: merged into an already latched PENDING (finding 4b) --------------- */

TEST_T(hb_merged_into_latched_pending, HB_TIMEOUT)
{
	two_raisers_one_run(true);
}

/* ---- e: replayed by the owner on another CPU ----------------------------- */

/* First run: held until `go`; second run (the replay): reads slot[0]. */
static irqreturn_t e_handler(int irq, void *dev_id)
{
	int n = atomic_fetch_add_explicit(&hcalls, 1, memory_order_relaxed);

	(void)irq;
	(void)dev_id;
	if (n == 0) {
		rs(&entered, 1);
		if (!wait_ge(&go, 1))
			rinc(&hbad);
	} else if (slot[0] != 1) {
		rinc(&hbad);
	}
	return IRQ_HANDLED;
}

static void *e_raiser(void *arg)
{
	(void)arg;
	warm_up();			/* W lives on CPU 1 */
	slot[0] = 1;			/* plain */
	if (irq_raise(L) != 0)		/* to CPU 1: L runs on CPU 0, latches */
		rinc(&hbad);
	rs(&sig1, 1);
	return NULL;
}

TEST_T(hb_replayed_by_owner, HB_TIMEOUT)
{
	cpu_set_t m0, m1;
	pthread_t t;
	struct irq_status st;
	bool pending = false;
	double t0;

	CPU_ZERO(&m0);
	CPU_SET(0, &m0);
	CPU_ZERO(&m1);
	CPU_SET(1, &m1);
	start(2, false);
	ASSERT_EQ(request_irq(L, e_handler, 0, "hb", NULL), 0);
	ASSERT_EQ(request_irq(W, warm_handler, 0, "warm", NULL), 0);
	ASSERT_EQ(irq_set_affinity(L, &m0), 0);
	ASSERT_EQ(irq_set_affinity(W, &m1), 0);
	ASSERT_EQ(irq_raise(L), 0);		/* CPU 0 runs it and holds */
	WAIT_GE(&entered, 1);
	ASSERT_EQ(irq_set_affinity(L, &m1), 0);
	run_thread(e_raiser, &t);
	WAIT_GE(&sig1, 1);
	/* CPU 1 latches the event on the line CPU 0 owns */
	t0 = th_now();
	while (!pending && th_now() - t0 < 20.0) {
		ASSERT_EQ(irq_get_status(L, &st), 0);
		pending = st.pending;
		if (!pending)
			pause_us(50);
	}
	ASSERT_TRUE(pending);
	rs(&go, 1);				/* CPU 0 replays the latched event */
	WAIT_GE(&hcalls, 2);
	ASSERT_EQ(irqcore_quiesce(10000), 0);
	ASSERT_EQ(rl(&hcalls), 2);
	ASSERT_EQ(rl(&hbad), 0);
	ASSERT_EQ(pthread_join(t, NULL), 0);
	ASSERT_EQ(irq_get_status(L, &st), 0);
	ASSERT_EQ(st.raised, 2);		/* the test's first raise and the raiser's */
	ASSERT_EQ(st.count, 1);
	ASSERT_EQ(st.coalesced, 1);		/* folded into the replay */
	finish(false);
}

/* ---- f: hard handler -> thread_fn --------------------------------------- */

#define F_ITERS 50
static int ev;				/* plain: the event the CPU handles (main) */
static int trun;			/* plain: runs of thread_fn (irq thread only) */
static atomic_int tdone, tbad;

static irqreturn_t f_hard(int irq, void *dev_id)
{
	(void)irq;
	(void)dev_id;
	slot[ev] = ev + 1;		/* plain, in the hard handler */
	return IRQ_WAKE_THREAD;
}

static irqreturn_t f_thread(int irq, void *dev_id)
{
	(void)irq;
	(void)dev_id;
	if (slot[trun] != trun + 1)	/* plain */
		rinc(&tbad);
	trun++;
	rinc(&tdone);
	return IRQ_HANDLED;
}

static void threaded_finish(void)
{
	drain();
	synchronize_irq(L);
	ASSERT_EQ(irqcore_quiesce(10000), 0);
	ASSERT_TRUE(free_irq(L, NULL) != NULL);
	ASSERT_TRUE(free_irq(W, NULL) != NULL);
	ASSERT_EQ(irqcore_cpu_detach(), 0);
	irqcore_shutdown();
}

TEST_T(hb_thread_wake, HB_TIMEOUT)
{
	start(1, true);
	rs(&tdone, 0);
	rs(&tbad, 0);
	trun = 0;
	ASSERT_EQ(request_threaded_irq(L, f_hard, f_thread, 0, "hbt", NULL), 0);
	ASSERT_EQ(request_irq(W, warm_handler, 0, "warm", NULL), 0);
	for (int i = 0; i < F_ITERS; i++) {
		ev = i;
		ASSERT_EQ(irq_raise(L), 0);
		drain();
		WAIT_GE(&tdone, i + 1);
	}
	ASSERT_EQ(rl(&tbad), 0);
	ASSERT_EQ(rl(&tdone), F_ITERS);
	threaded_finish();
}

/* ---- g: a wake-up merged into a pending run (finding 4a) ------------------ */

static int tdata;			/* plain: written by event 3's hard handler */
static atomic_int g_runs;

static irqreturn_t g_hard(int irq, void *dev_id)
{
	(void)irq;
	(void)dev_id;
	if (ev == 3)
		tdata = 3;		/* plain */
	return IRQ_WAKE_THREAD;
}

static irqreturn_t g_thread(int irq, void *dev_id)
{
	int run = atomic_fetch_add_explicit(&g_runs, 1, memory_order_relaxed) + 1;

	(void)irq;
	(void)dev_id;
	if (run == 1) {
		/* Held inside the first run: RUNTHREAD is clear, so event 2
		 * sets it and event 3 merges into that pending run. */
		rs(&entered, 1);
		if (!wait_ge(&go, 1))
			rinc(&tbad);
	} else if (run == 2) {
		if (tdata != 3)		/* plain */
			rinc(&tbad);
		rs(&tdone, 1);
	}
	return IRQ_HANDLED;
}

TEST_T(hb_thread_wake_coalesced, HB_TIMEOUT)
{
	start(1, true);
	rs(&tdone, 0);
	rs(&tbad, 0);
	rs(&g_runs, 0);
	ASSERT_EQ(request_threaded_irq(L, g_hard, g_thread, 0, "hbt", NULL), 0);
	ASSERT_EQ(request_irq(W, warm_handler, 0, "warm", NULL), 0);

	ev = 1;
	ASSERT_EQ(irq_raise(L), 0);
	drain();				/* wakes run 1, which holds */
	WAIT_GE(&entered, 1);
	ev = 2;
	ASSERT_EQ(irq_raise(L), 0);
	drain();				/* sets RUNTHREAD: run 2 pending */
	ev = 3;
	ASSERT_EQ(irq_raise(L), 0);
	drain();				/* tdata = 3; merges into run 2 */
	rs(&go, 1);
	WAIT_GE(&tdone, 1);			/* run 2 read tdata */
	synchronize_irq(L);
	ASSERT_EQ(rl(&tbad), 0);
	ASSERT_EQ(rl(&g_runs), 2);		/* events 2 and 3: one run */
	ASSERT_EQ(kstat_irqs_usr(L), 3);
	threaded_finish();
}

/* ---- litmus: f and g under load ------------------------------------------ */

/*
 * The CPU (the test thread) handles events 0, 1, 2, ... one by one; event i's
 * hard handler stores lit_slot[i] = i + 1 plainly and returns IRQ_WAKE_THREAD.
 * thread_fn is slow at random, so many wake-ups merge into a pending run.
 *
 * Which run certainly covers event i? The run that clears the RUNTHREAD that
 * wake-up i set or found set, i.e. run number (runs whose RUNTHREAD clear
 * preceded wake-up i) + 1. After the poll that handled event i returns, the
 * CPU reads `started` (runs that entered thread_fn); at most one more run can
 * have cleared RUNTHREAD without having entered thread_fn yet, so every run
 * numbered started + 2 or later covers event i. The CPU publishes that bound
 * with relaxed stores; a run checks only the events whose bound it meets.
 * A last few events at the end make sure every earlier one gets checked.
 */
#define LIT_MAX (1 << 16)
static int lit_slot[LIT_MAX];		/* plain: one write per event */
static atomic_uint lit_bound[LIT_MAX];	/* first run that covers event i */
static atomic_int lit_npub;		/* events published */
static atomic_int lit_started;		/* thread_fn entries */
static atomic_int lit_next;		/* first unchecked event */
static atomic_int lit_bad;
static int lit_ev;			/* plain: the CPU's current event */
static unsigned long long lit_seed = 88172645463325252ULL;	/* irq thread */

static irqreturn_t lit_hard(int irq, void *dev_id)
{
	(void)irq;
	(void)dev_id;
	lit_slot[lit_ev] = lit_ev + 1;	/* plain */
	return IRQ_WAKE_THREAD;
}

static irqreturn_t lit_thread(int irq, void *dev_id)
{
	unsigned int run = (unsigned int)atomic_fetch_add_explicit(&lit_started, 1,
							  memory_order_relaxed) + 1;
	int k = rl(&lit_next), n = rl(&lit_npub);
	unsigned long long x = xorshift(&lit_seed);

	(void)irq;
	(void)dev_id;
	for (; k < n; k++) {
		if (atomic_load_explicit(&lit_bound[k], memory_order_relaxed) > run)
			break;
		if (lit_slot[k] != k + 1)	/* plain */
			rinc(&lit_bad);
	}
	rs(&lit_next, k);
	/* slow now and then: wake-ups pile up on a pending run */
	if (x % 4 == 0)
		spin(2000 + (unsigned int)((x >> 8) % 20000));
	else if (x % 16 == 1)
		sched_yield();
	return IRQ_HANDLED;
}

static void lit_event(void)
{
	ASSERT_EQ(irq_raise(L), 0);
	drain();			/* the hard handler ran and woke */
	atomic_store_explicit(&lit_bound[lit_ev],
			      (unsigned int)rl(&lit_started) + 2, memory_order_relaxed);
	rs(&lit_npub, lit_ev + 1);
	lit_ev++;
}

TEST_T(hb_thread_wake_litmus, HB_TIMEOUT)
{
	double deadline;
	int events;

	start(1, true);
	for (int i = 0; i < LIT_MAX; i++)
		atomic_store_explicit(&lit_bound[i], UINT_MAX, memory_order_relaxed);
	rs(&lit_npub, 0);
	rs(&lit_started, 0);
	rs(&lit_next, 0);
	rs(&lit_bad, 0);
	lit_ev = 0;
	ASSERT_EQ(request_threaded_irq(L, lit_hard, lit_thread, 0, "hbl", NULL), 0);
	ASSERT_EQ(request_irq(W, warm_handler, 0, "warm", NULL), 0);

	deadline = th_now() + th_stress_seconds() * 0.5;
	while (th_now() < deadline && lit_ev < LIT_MAX - 64) {
		lit_event();
		if ((lit_ev & 7) == 0)
			sched_yield();
	}
	events = lit_ev;
	/* A few more events, each waiting for a run that started after it,
	 * until every event of the loop has been checked. */
	for (int i = 0; i < 32 && rl(&lit_next) < events && lit_ev < LIT_MAX; i++) {
		int s = rl(&lit_started);

		lit_event();
		WAIT_GE(&lit_started, s + 1);
		synchronize_irq(L);
	}
	synchronize_irq(L);
	printf("  hb_thread_wake_litmus: %d events, %d thread runs, %d checked\n",
	       events, rl(&lit_started), rl(&lit_next));
	fflush(stdout);
	ASSERT_GE(rl(&lit_next), events);
	ASSERT_EQ(rl(&lit_bad), 0);
	ASSERT_EQ(kstat_irqs_usr(L), (unsigned int)lit_ev);
	threaded_finish();
}
