/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * t_bias — biased ownership of a line (src/core/bias.c), each step of its
 * argument made deterministic with the torture build's hook: a thread held
 * at a marked point, or a handler that blocks, stands for a thread
 * preempted there.
 *
 * CPU 1 (a worker thread, external CPU) runs the line LINE event after event
 * with generic_handle_irq() until it holds the line's bias; the test thread
 * is CPU 0; synchronize_irq() runs in threads that are no CPU. The handler
 * counts its runs and any overlap (two runs at once). Points:
 *   IRQC_DBG_BIAS_TAKE     the holder stored busy, has not looked at the
 *                          state word (between H1 and H3)
 *   IRQC_DBG_BIAS_REVOKE   a revoker set REVOKING, before its membarrier
 *   IRQC_DBG_BIAS_CONFIRM  a revoker saw the holder idle, before it clears
 *                          the bias (R4)
 * Tests:
 *   granted             after a streak the holder takes the fast path (and
 *                       never without membarrier:
 *                       IRQCORE_TORTURE_NO_MEMBARRIER=1)
 *   holder_held_at_take the holder held between H1 and H3: synchronize_irq
 *                       waits for it; CPU 0's event does not run beside it
 *                       but goes to CPU 1, which runs it later
 *   holder_running      the same with the holder inside its handler
 *   fenced_once         events that meet a revocation whose membarrier is
 *                       done issue none of their own (FENCED)
 *   revoker_held        a revoker held before its membarrier: CPU 0 still
 *                       does not run the line beside the running holder;
 *                       once the holder is done, CPU 0 revokes and runs it
 *   holder_after_revoker_look
 *                       a revoker held before R4, having seen the holder
 *                       idle: the holder's next event sees REVOKING and
 *                       runs under INPROGRESS, which synchronize_irq waits
 *                       for
 *   stale_revoker       a revoker held before R4 while the bias is revoked
 *                       by another, granted again to the same CPU and
 *                       being revoked by a third: it must not confirm the
 *                       new grant (GEN) and return while the holder runs.
 *                       Without GEN in R4's comparison this test fails.
 *   nested_never_biased a nested child line, run by a CPU many times in a
 *                       row, is never biased
 *   own_line_nested     the holder's handler raises its own line inline:
 *                       latched, replayed after the handler, not nested
 * Every test ends with: no overlap, raised == count + coalesced, the
 * handler's runs == count (no event folded into a replay but the nested
 * one).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "hold.h"
#include "../harness.h"

#include <sched.h>
#include <stdlib.h>

#define LINE	5u
#define WARM	400		/* events in a row: more than the first need (64) */

static struct th_hold hd;
static int hold_point;		/* the point to hold a thread at, 0 none */
static int hold_who;		/* the CPU whose thread is held; -1 a thread that is no CPU */
static atomic_int bias_takes, revokes_nocpu, revokes_cpu0;

static atomic_int inside, overlaps, runs;
static atomic_int block_cpu;	/* the next run on this CPU blocks; -1 none */
static atomic_bool blocked_now, unblock;
static atomic_bool nest_once;	/* the next run calls generic_handle_irq(LINE) */

static void hook(int point, unsigned int irq, void *arg)
{
	(void)arg;
	if (irq != LINE)
		return;
	if (point == IRQC_DBG_BIAS_TAKE)
		atomic_fetch_add(&bias_takes, 1);
	if (point == IRQC_DBG_BIAS_REVOKE && smp_processor_id() == -1)
		atomic_fetch_add(&revokes_nocpu, 1);
	if (point == IRQC_DBG_BIAS_REVOKE && smp_processor_id() == 0)
		atomic_fetch_add(&revokes_cpu0, 1);
	if (point == hold_point && smp_processor_id() == hold_who)
		th_hold_here(&hd);
}

static irqreturn_t handler(int irq, void *dev)
{
	int me = smp_processor_id();
	bool nest = true;

	(void)dev;
	if (atomic_fetch_add(&inside, 1) != 0)
		atomic_fetch_add(&overlaps, 1);
	if (me == atomic_load(&block_cpu)) {
		atomic_store(&block_cpu, -1);
		atomic_store(&blocked_now, true);
		for (int i = 0; i < 60000 && !atomic_load(&unblock); i++)
			ut_sleep_ms(1);
		atomic_store(&blocked_now, false);
	}
	if (atomic_compare_exchange_strong(&nest_once, &nest, false))
		generic_handle_irq((unsigned int)irq);	/* latched: our own line */
	atomic_fetch_add(&runs, 1);
	atomic_fetch_sub(&inside, 1);
	return IRQ_HANDLED;
}

/* ---- CPU 1: a worker thread that runs commands ---- */

enum { W_IDLE, W_RUN, W_DRAIN, W_EXIT };

struct worker {
	unsigned int cpu;
	pthread_t thread;
	atomic_int cmd;
	int n;
	atomic_bool attached;
};

static struct worker w1 = { .cpu = 1 };

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	if (irqcore_cpu_attach(w->cpu) != 0)
		return NULL;
	atomic_store(&w->attached, true);
	for (;;) {
		int c = atomic_load(&w->cmd);

		if (c == W_IDLE) {	/* a control loop: polls while idle */
			if (irqcore_poll() == 0)
				sched_yield();
			continue;
		}
		if (c == W_RUN)
			for (int i = 0; i < w->n; i++)
				generic_handle_irq(LINE);
		if (c == W_DRAIN)
			while (irqcore_poll() > 0)
				;
		if (c == W_EXIT)
			break;
		atomic_store(&w->cmd, W_IDLE);
	}
	irqcore_cpu_detach();
	return NULL;
}

static void worker_do(struct worker *w, int cmd, int n)
{
	w->n = n;
	atomic_store(&w->cmd, cmd);	/* seq_cst: n before the command */
}

static bool worker_idle(struct worker *w)
{
	for (int i = 0; i < 20000 && atomic_load(&w->cmd) != W_IDLE; i++)
		ut_sleep_ms(1);
	return atomic_load(&w->cmd) == W_IDLE;
}

static void worker_sync(struct worker *w, int cmd, int n)
{
	worker_do(w, cmd, n);
	ASSERT_TRUE(worker_idle(w));
}

/* ---- synchronize_irq() in a thread that is no CPU ---- */

struct syncer {
	pthread_t thread;
	atomic_bool done;
};

static void *sync_main(void *arg)
{
	struct syncer *s = arg;

	synchronize_irq(LINE);
	atomic_store(&s->done, true);
	return NULL;
}

static void sync_start(struct syncer *s)
{
	atomic_store(&s->done, false);
	ASSERT_EQ(pthread_create(&s->thread, NULL, sync_main, s), 0);
}

static void sync_join(struct syncer *s)
{
	ASSERT_TRUE(th_wait_true(&s->done));
	pthread_join(s->thread, NULL);
}

/* Wait until a thread that is no CPU has set REVOKING more than n times. */
static bool revoked_past(int n)
{
	for (int i = 0; i < 20000 && atomic_load(&revokes_nocpu) <= n; i++)
		ut_sleep_ms(1);
	return atomic_load(&revokes_nocpu) > n;
}

static bool no_membarrier(void)
{
	const char *e = getenv("IRQCORE_TORTURE_NO_MEMBARRIER");

	return e && e[0] == '1';
}

/* Everything drained, then the invariants; tear down. total: events;
 * folded: events replayed in a flow (the handler runs for them); merged:
 * events whose pending bit was set already (no run of their own). */
static void finish3(int total, int folded, int merged)
{
	struct irq_status st;

	irqcore_debug_set_hook(NULL, NULL);
	worker_sync(&w1, W_DRAIN, 0);
	ut_drain();
	ASSERT_EQ(irqcore_quiesce(5000), 0);
	st = ut_status(LINE);
	ASSERT_EQ(atomic_load(&overlaps), 0);
	ASSERT_EQ(st.raised, (unsigned long long)total);
	ASSERT_EQ(st.raised, st.count + st.coalesced);
	ASSERT_EQ(st.coalesced, (unsigned long long)(folded + merged));
	ASSERT_EQ(atomic_load(&runs), total - merged);
	ASSERT_FALSE(st.pending);
	ASSERT_FALSE(st.in_progress);
	worker_do(&w1, W_EXIT, 0);
	pthread_join(w1.thread, NULL);
	ASSERT_TRUE(free_irq(LINE, NULL) != NULL);
	ASSERT_EQ(irqcore_cpu_detach(), 0);
	irqcore_shutdown();
}

static void finish(int total, int folded)
{
	finish3(total, folded, 0);
}

/* CPU 1 runs one event on its bias and blocks in the handler. */
static void block_holder(void)
{
	atomic_store(&block_cpu, 1);
	worker_do(&w1, W_RUN, 1);
	ASSERT_TRUE(th_wait_true(&blocked_now));
}

/*
 * Set up, and make CPU 1 the line's holder. Returns false where membarrier
 * is off (no bias is ever granted): then it has checked that and torn down.
 */
static bool setup(void)
{
	struct irqcore_config c;
	int before;

	hold_point = 0;
	hold_who = -2;
	atomic_store(&bias_takes, 0);
	atomic_store(&revokes_nocpu, 0);
	atomic_store(&revokes_cpu0, 0);
	atomic_store(&inside, 0);
	atomic_store(&overlaps, 0);
	atomic_store(&runs, 0);
	atomic_store(&block_cpu, -1);
	atomic_store(&blocked_now, false);
	atomic_store(&unblock, false);
	atomic_store(&nest_once, false);
	ut_config(&c, 2, 0);
	ut_start_cfg_ext(&c);		/* the test thread is CPU 0 */
	ASSERT_EQ(request_irq(LINE, handler, 0, "bias", NULL), 0);
	irqcore_debug_set_hook(hook, NULL);
	atomic_store(&w1.cmd, W_IDLE);
	atomic_store(&w1.attached, false);
	ASSERT_EQ(pthread_create(&w1.thread, NULL, worker_main, &w1), 0);
	ASSERT_TRUE(th_wait_true(&w1.attached));

	worker_sync(&w1, W_RUN, WARM);
	before = atomic_load(&bias_takes);
	worker_sync(&w1, W_RUN, 10);
	if (no_membarrier()) {
		/* the holder's fence would be a full one: never biased */
		ASSERT_EQ(atomic_load(&bias_takes), 0);
		finish(WARM + 10, 0);
		return false;
	}
	/* every one of the 10 took the fast path */
	ASSERT_EQ(atomic_load(&bias_takes) - before, 10);
	return true;
}

TEST(granted)
{
	if (!setup())
		return;
	/* CPU 0 takes the line: the bias is revoked, CPU 0 runs it */
	ASSERT_EQ(generic_handle_irq(LINE), 0);
	ASSERT_EQ(atomic_load(&runs), WARM + 11);
	finish(WARM + 11, 0);
}

TEST(holder_held_at_take)
{
	struct syncer s;
	int r;

	if (!setup())
		return;
	hold_point = IRQC_DBG_BIAS_TAKE;
	hold_who = 1;
	th_hold_arm(&hd);
	worker_do(&w1, W_RUN, 1);
	ASSERT_TRUE(th_wait_true(&hd.held));	/* busy = 1, state not looked at */
	sync_start(&s);
	ASSERT_TRUE(revoked_past(0));
	ut_sleep_ms(20);
	ASSERT_FALSE(atomic_load(&s.done));	/* it waits for the holder */
	r = atomic_load(&runs);
	ASSERT_EQ(generic_handle_irq(LINE), 0);	/* CPU 0: goes to CPU 1 */
	ASSERT_EQ(atomic_load(&runs), r);
	atomic_store(&hd.release, true);
	ASSERT_TRUE(worker_idle(&w1));		/* it backed off, then ran it */
	sync_join(&s);
	ASSERT_GE(atomic_load(&runs), r + 1);	/* and CPU 0's, once it polls */
	finish(WARM + 12, 0);
}

TEST(holder_running)
{
	struct syncer s;
	int r;

	if (!setup())
		return;
	block_holder();			/* in the handler, on the bias */
	r = atomic_load(&runs);
	sync_start(&s);
	ASSERT_TRUE(revoked_past(0));
	ut_sleep_ms(20);
	ASSERT_FALSE(atomic_load(&s.done));
	ASSERT_EQ(generic_handle_irq(LINE), 0);	/* CPU 0: goes to CPU 1 */
	ASSERT_EQ(atomic_load(&runs), r);
	ASSERT_EQ(atomic_load(&overlaps), 0);
	atomic_store(&unblock, true);
	ASSERT_TRUE(worker_idle(&w1));
	sync_join(&s);
	ASSERT_GE(atomic_load(&runs), r + 1);	/* CPU 0's runs once CPU 1 polls */
	finish(WARM + 12, 0);
}

TEST(fenced_once)
{
	struct syncer s;
	int r;

	if (!setup())
		return;
	block_holder();
	r = atomic_load(&runs);
	sync_start(&s);			/* revokes, fences, waits for CPU 1 */
	ASSERT_TRUE(revoked_past(0));
	/* its membarrier has returned once FENCED is set: wait for that by
	 * letting a CPU 0 event meet the revocation until it skips R2 */
	for (int i = 0; i < 3; i++) {
		ut_sleep_ms(20);
		ASSERT_EQ(generic_handle_irq(LINE), 0);	/* goes to CPU 1 */
	}
	ASSERT_EQ(atomic_load(&runs), r);
	/* three events met one revocation: at most the first fenced */
	ASSERT_LE(atomic_load(&revokes_cpu0), 1);
	atomic_store(&unblock, true);
	ASSERT_TRUE(worker_idle(&w1));
	sync_join(&s);
	finish3(WARM + 14, 0, 2);	/* CPU 0's three: one bit on CPU 1 */
}

TEST(revoker_held)
{
	struct syncer s;
	int r;

	if (!setup())
		return;
	hold_point = IRQC_DBG_BIAS_REVOKE;
	hold_who = -1;
	th_hold_arm(&hd);
	block_holder();
	r = atomic_load(&runs);
	sync_start(&s);
	ASSERT_TRUE(th_wait_true(&hd.held));	/* REVOKING set, no membarrier yet */
	ASSERT_EQ(generic_handle_irq(LINE), 0);	/* CPU 0: holder busy, goes to it */
	ASSERT_EQ(atomic_load(&runs), r);
	atomic_store(&unblock, true);
	ASSERT_TRUE(worker_idle(&w1));
	/* CPU 1 ran its event, and maybe already CPU 0's (it polls) */
	r = atomic_load(&runs);
	ASSERT_EQ(generic_handle_irq(LINE), 0);	/* holder idle: CPU 0 runs it */
	ASSERT_EQ(atomic_load(&runs), r + 1);
	atomic_store(&hd.release, true);
	sync_join(&s);
	finish(WARM + 13, 0);
}

TEST(holder_after_revoker_look)
{
	struct syncer s;

	if (!setup())
		return;
	/* the revoker saw CPU 1 idle and is held before R4 */
	hold_point = IRQC_DBG_BIAS_CONFIRM;
	hold_who = -1;
	th_hold_arm(&hd);
	sync_start(&s);
	ASSERT_TRUE(th_wait_true(&hd.held));
	/* CPU 1 comes now: it sees REVOKING and runs the line under
	 * INPROGRESS, not on its bias (blocked in the handler) */
	block_holder();
	atomic_store(&hd.release, true);
	ut_sleep_ms(20);
	ASSERT_FALSE(atomic_load(&s.done));	/* it waits for INPROGRESS */
	atomic_store(&unblock, true);
	sync_join(&s);
	finish(WARM + 11, 0);
}

TEST(stale_revoker)
{
	struct syncer a, b;
	int r, takes;

	if (!setup())
		return;
	/* A: revokes grant 1, sees CPU 1 idle, is held before R4 */
	hold_point = IRQC_DBG_BIAS_CONFIRM;
	hold_who = -1;
	th_hold_arm(&hd);
	sync_start(&a);
	ASSERT_TRUE(th_wait_true(&hd.held));
	/* CPU 0 finishes that revocation and runs the line */
	r = atomic_load(&runs);
	ASSERT_EQ(generic_handle_irq(LINE), 0);
	ASSERT_EQ(atomic_load(&runs), r + 1);
	/* CPU 1 earns grant 2 (the need doubled: 128) */
	worker_sync(&w1, W_RUN, WARM);
	takes = atomic_load(&bias_takes);
	worker_sync(&w1, W_RUN, 10);
	ASSERT_EQ(atomic_load(&bias_takes) - takes, 10);
	/* CPU 1 runs it on grant 2, blocked in the handler */
	block_holder();
	/* B revokes grant 2 and waits for CPU 1 */
	sync_start(&b);
	ASSERT_TRUE(revoked_past(1));
	/* A goes on: its R4 must fail (GEN), and it must wait too */
	atomic_store(&hd.release, true);
	ut_sleep_ms(20);
	ASSERT_FALSE(atomic_load(&a.done));
	ASSERT_FALSE(atomic_load(&b.done));
	ASSERT_TRUE(atomic_load(&blocked_now));
	atomic_store(&unblock, true);
	sync_join(&a);
	sync_join(&b);
	finish(WARM + 10 + 1 + WARM + 10 + 1, 0);
}

TEST(own_line_nested)
{
	struct irq_status st;

	if (!setup())
		return;
	atomic_store(&nest_once, true);
	worker_sync(&w1, W_RUN, 1);	/* its handler raises LINE inline */
	st = ut_status(LINE);
	ASSERT_EQ(st.coalesced, 1);	/* replayed after the handler */
	ASSERT_EQ(atomic_load(&runs), WARM + 12);
	/* the one event folded into the replay runs the handler too */
	finish(WARM + 12, 1);
}

static irqreturn_t nested_thread_fn(int irq, void *dev)
{
	(void)irq;
	(void)dev;
	atomic_fetch_add(&runs, 1);
	return IRQ_HANDLED;
}

/* A nested child is never biased: handle_nested_irq latches its events for
 * its parent's thread, which a bias would send to a CPU's hard flow. */
TEST(nested_never_biased)
{
	struct irqcore_config c;

	atomic_store(&bias_takes, 0);
	ut_config(&c, 1, 0);
	ut_start_cfg_ext(&c);
	ASSERT_EQ(irq_set_nested_thread(LINE, true), 0);
	ASSERT_EQ(request_threaded_irq(LINE, NULL, nested_thread_fn, 0, "nested", NULL), 0);
	irqcore_debug_set_hook(hook, NULL);
	/* the hard flow of a nested line: its primary only warns */
	for (int i = 0; i < WARM; i++)
		ASSERT_EQ(generic_handle_irq(LINE), 0);
	ASSERT_EQ(atomic_load(&bias_takes), 0);
	irqcore_debug_set_hook(NULL, NULL);
	handle_nested_irq(LINE);	/* thread context: the child's thread_fn */
	ASSERT_EQ(atomic_load(&runs), 1);
	ASSERT_TRUE(free_irq(LINE, NULL) != NULL);
	ASSERT_EQ(irqcore_cpu_detach(), 0);
	irqcore_shutdown();
}

