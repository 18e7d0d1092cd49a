/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * t_preempt — a raiser preempted inside irq_raise() must not hide other
 * raisers' events (finding 1), made deterministic with the torture build's
 * debug hook (debug_hook.h): a hook that blocks the first raiser of line A
 * at a marked point of the raise path stands for that raiser being
 * preempted right there.
 *
 * Lines A = 1 and B = 2 share one 64-line pending word and one CPU (CPU 0,
 * irq_set_affinity). A raiser thread raises A and is held at
 *   IRQC_DBG_RAISE_WORD     after its OR into the pending word, before it
 *                           makes the word visible (summary), or at
 *   IRQC_DBG_RAISE_SUMMARY  after the summary, before the wake check (or,
 *                           with 65536 lines, before the top word),
 *   IRQC_DBG_RAISE_TOP      (65536 lines) after the top word, before the
 *                           wake check (or, for a class above 0, before
 *                           the levels word), or at
 *   IRQC_DBG_RAISE_LEVELS   (class above 0) after the class's bit in the
 *                           CPU's levels word, before the wake check.
 * While it is held, the test thread raises B. Invariants (after the fix):
 *  - irqcore_quiesce(5000) returns 0 and B's handler has run exactly once,
 *    A's raiser still held (dispatcher mode, sleeping and spinning idle
 *    policies);
 *  - with external CPUs (the test thread is CPU 0): a poll after B's raise
 *    runs B's handler, A's raiser still held;
 *  - a sleeping dispatcher is woken by B's raise itself: B's handler runs
 *    without any quiesce or other kick, A's raiser still held (B's raiser
 *    must not leave the summary bit nor the event count to A's raiser);
 *  - after A's raiser is released, A is delivered (its handler ran exactly
 *    once) and on both lines raised == count + coalesced, raised == 1.
 * A's handler may already run while A's raiser is held (its bit is in the
 * word B made visible); the tests do not care either way.
 *
 * On the code before the fix (d4c6183, the two hook points patched in by
 * hand) the four word_held tests and summary_held_b_wakes_sleeping_dispatcher
 * failed; the other summary_held tests passed there (B's bit is visible, only
 * the wake-up was left to A's raiser, and quiesce or a poll kicks the CPU).
 *
 * Built only against the torture library build, which exports
 * irqcore_debug_set_hook(). The hook is called by every thread reaching a
 * marked point for every line, so it filters on the point and line A and
 * blocks only the first time.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "irqcore.h"
#include "debug_hook.h"
#include "../harness.h"
#include "../unit/util.h"

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

/* Lines A and B: 1 and 2 (1024 lines, one summary word), or, in the wide
 * tests, two lines of word 69 among 65536 lines (summary word 1, so the
 * top word is used: IRQC_DBG_RAISE_TOP). */
static unsigned int LINE_A = 1, LINE_B = 2;
static bool wide;
static unsigned int klass;		/* A's and B's priority class (step 2c) */

enum mode { DISP_SLEEP, DISP_SPIN, EXTERNAL };

struct blocker {
	int point;			/* IRQC_DBG_RAISE_WORD, _SUMMARY or _TOP */
	atomic_bool armed;		/* the first raiser of A not seen yet */
	atomic_bool held;		/* A's raiser is held in the hook */
	atomic_bool release;
	atomic_bool released;		/* the hook returned */
};

static struct blocker blk;
static struct ut_dev dev_a, dev_b;
static atomic_int raise_a_rc = -1000;
static atomic_bool raise_a_done;

static void hook(int point, unsigned int irq, void *arg)
{
	struct blocker *b = arg;
	bool expected = true;

	if (point != b->point || irq != LINE_A)
		return;
	if (!atomic_compare_exchange_strong(&b->armed, &expected, false))
		return;			/* only the first raiser of A */
	atomic_store(&b->held, true);
	/* Held until the test lets go (bounded, so that a failed test ends). */
	for (int i = 0; i < 60000 && !atomic_load(&b->release); i++)
		ut_sleep_ms(1);
	atomic_store(&b->released, true);
}

static void *raise_a_main(void *arg)
{
	(void)arg;
	atomic_store(&raise_a_rc, irq_raise(LINE_A));
	atomic_store(&raise_a_done, true);
	return NULL;
}

/* Bounded wait (20 s, generous for sanitizers); never a timing assertion. */
static bool wait_true(atomic_bool *p)
{
	for (int i = 0; i < 20000 && !atomic_load(p); i++)
		ut_sleep_ms(1);
	return atomic_load(p);
}

static void setup(enum mode mode, int point)
{
	struct irqcore_config c;
	cpu_set_t m0 = ut_mask1(0);

	memset(&blk, 0, sizeof(blk));
	blk.point = point;
	atomic_store(&blk.armed, true);
	atomic_store(&raise_a_rc, -1000);
	atomic_store(&raise_a_done, false);
	ut_dev_init(&dev_a, 1, IRQ_HANDLED);
	ut_dev_init(&dev_b, 2, IRQ_HANDLED);

	LINE_A = wide ? 69 * 64 + 1 : 1;
	LINE_B = LINE_A + 1;
	if (mode == EXTERNAL) {
		ut_config(&c, 1, 0);
		if (wide)
			c.nr_irqs = 65536;
		ut_start_cfg_ext(&c);
	} else {
		ut_config(&c, 2, 0);
		if (wide)
			c.nr_irqs = 65536;
		c.idle = mode == DISP_SPIN ? IRQCORE_IDLE_SPIN : IRQCORE_IDLE_SLEEP;
		ASSERT_EQ(irqcore_init(&c), 0);
		th_log_reset();
	}
	ASSERT_EQ(request_irq(LINE_A, ut_handler, 0, "pre_a", &dev_a), 0);
	ASSERT_EQ(request_irq(LINE_B, ut_handler, 0, "pre_b", &dev_b), 0);
	ASSERT_EQ(irq_set_affinity(LINE_A, &m0), 0);
	ASSERT_EQ(irq_set_affinity(LINE_B, &m0), 0);
	ASSERT_EQ(irq_set_priority(LINE_A, klass), 0);
	ASSERT_EQ(irq_set_priority(LINE_B, klass), 0);
	ASSERT_EQ(ut_status(LINE_A).effective_cpu, 0);
	ASSERT_EQ(ut_status(LINE_B).effective_cpu, 0);
	irqcore_debug_set_hook(hook, &blk);
}

/* Start A's raiser and wait until it is held at the point. */
static pthread_t hold_raiser_of_a(void)
{
	pthread_t t;

	ASSERT_EQ(pthread_create(&t, NULL, raise_a_main, NULL), 0);
	ASSERT_TRUE(wait_true(&blk.held));
	ASSERT_FALSE(atomic_load(&raise_a_done));
	return t;
}

/* Let A's raiser go; A is delivered; the accounting is exact. */
static void release_and_check(pthread_t t, enum mode mode)
{
	struct irq_status sa, sb;

	atomic_store(&blk.release, true);
	ASSERT_EQ(pthread_join(t, NULL), 0);
	ASSERT_TRUE(atomic_load(&blk.released));
	ASSERT_EQ(atomic_load(&raise_a_rc), 0);
	irqcore_debug_set_hook(NULL, NULL);
	if (mode == EXTERNAL)
		ut_drain();
	ASSERT_EQ(irqcore_quiesce(5000), 0);
	if (mode == EXTERNAL)
		ut_drain();
	ASSERT_EQ(ut_calls(&dev_a), 1);
	ASSERT_EQ(ut_calls(&dev_b), 1);
	sa = ut_status(LINE_A);
	sb = ut_status(LINE_B);
	ASSERT_FALSE(sa.pending);
	ASSERT_FALSE(sb.pending);
	ASSERT_EQ(sa.raised, 1);
	ASSERT_EQ(sb.raised, 1);
	ASSERT_EQ(sa.raised, sa.count + sa.coalesced);
	ASSERT_EQ(sb.raised, sb.count + sb.coalesced);
	ASSERT_EQ(sa.count, 1);
	ASSERT_EQ(sb.count, 1);
	ASSERT_EQ(atomic_load(&dev_a.last_cpu), 0);
	ASSERT_TRUE(free_irq(LINE_A, &dev_a) != NULL);
	ASSERT_TRUE(free_irq(LINE_B, &dev_b) != NULL);
	if (mode == EXTERNAL)
		ASSERT_EQ(irqcore_cpu_detach(), 0);
	irqcore_shutdown();
}

/* Dispatcher mode: quiesce returns 0 with B handled, A's raiser held. */
static void run_quiesce(enum mode mode, int point)
{
	pthread_t t;

	setup(mode, point);
	t = hold_raiser_of_a();
	ASSERT_EQ(irq_raise(LINE_B), 0);
	ASSERT_EQ(irqcore_quiesce(5000), 0);
	ASSERT_EQ(ut_calls(&dev_b), 1);
	ASSERT_EQ(atomic_load(&dev_b.last_cpu), 0);
	ASSERT_TRUE(atomic_load(&blk.held));
	ASSERT_FALSE(atomic_load(&raise_a_done));	/* still held */
	release_and_check(t, mode);
}

/* External CPU: a poll after B's raise runs B, A's raiser held. */
static void run_poll(int point)
{
	pthread_t t;

	setup(EXTERNAL, point);
	t = hold_raiser_of_a();
	ASSERT_EQ(irq_raise(LINE_B), 0);
	ut_drain();
	ASSERT_EQ(ut_calls(&dev_b), 1);
	ASSERT_EQ(atomic_load(&dev_b.last_cpu), 0);
	ASSERT_FALSE(atomic_load(&raise_a_done));	/* still held */
	/* and quiesce agrees */
	ASSERT_EQ(irqcore_quiesce(5000), 0);
	ASSERT_EQ(ut_calls(&dev_b), 1);
	ASSERT_FALSE(atomic_load(&raise_a_done));
	release_and_check(t, EXTERNAL);
}

/* Sleeping dispatcher: B's raise alone wakes it (no quiesce, no kick). */
static void run_wake(int point)
{
	pthread_t t;

	setup(DISP_SLEEP, point);
	/* let the dispatchers go to sleep (not needed for correctness) */
	ut_sleep_ms(5);
	t = hold_raiser_of_a();
	ASSERT_EQ(irq_raise(LINE_B), 0);
	for (int i = 0; i < 5000 && ut_calls(&dev_b) == 0; i++)
		ut_sleep_ms(1);
	ASSERT_EQ(ut_calls(&dev_b), 1);
	ASSERT_FALSE(atomic_load(&raise_a_done));	/* still held */
	release_and_check(t, DISP_SLEEP);
}

/* ---- blocked after the OR into the word, before the summary ---- */

TEST(word_held_quiesce_dispatcher_sleep)
{
	run_quiesce(DISP_SLEEP, IRQC_DBG_RAISE_WORD);
}

TEST(word_held_quiesce_dispatcher_spin)
{
	run_quiesce(DISP_SPIN, IRQC_DBG_RAISE_WORD);
}

TEST(word_held_external_poll)
{
	run_poll(IRQC_DBG_RAISE_WORD);
}

TEST(word_held_b_wakes_sleeping_dispatcher)
{
	run_wake(IRQC_DBG_RAISE_WORD);
}

/* ---- blocked after the summary, before the wake check ---- */

TEST(summary_held_quiesce_dispatcher_sleep)
{
	run_quiesce(DISP_SLEEP, IRQC_DBG_RAISE_SUMMARY);
}

TEST(summary_held_quiesce_dispatcher_spin)
{
	run_quiesce(DISP_SPIN, IRQC_DBG_RAISE_SUMMARY);
}

TEST(summary_held_external_poll)
{
	run_poll(IRQC_DBG_RAISE_SUMMARY);
}

TEST(summary_held_b_wakes_sleeping_dispatcher)
{
	run_wake(IRQC_DBG_RAISE_SUMMARY);
}

/* ---- the same with 65536 lines: three levels (word, summary, top) ---- */

TEST(wide_word_held_quiesce_dispatcher_sleep)
{
	wide = true;
	run_quiesce(DISP_SLEEP, IRQC_DBG_RAISE_WORD);
}

TEST(wide_word_held_b_wakes_sleeping_dispatcher)
{
	wide = true;
	run_wake(IRQC_DBG_RAISE_WORD);
}

/* held after the summary, before the top word: B's raise must set it */
TEST(wide_summary_held_quiesce_dispatcher_spin)
{
	wide = true;
	run_quiesce(DISP_SPIN, IRQC_DBG_RAISE_SUMMARY);
}

TEST(wide_summary_held_external_poll)
{
	wide = true;
	run_poll(IRQC_DBG_RAISE_SUMMARY);
}

TEST(wide_summary_held_b_wakes_sleeping_dispatcher)
{
	wide = true;
	run_wake(IRQC_DBG_RAISE_SUMMARY);
}

/* held after the top word, before the wake check */
TEST(wide_top_held_quiesce_dispatcher_sleep)
{
	wide = true;
	run_quiesce(DISP_SLEEP, IRQC_DBG_RAISE_TOP);
}

TEST(wide_top_held_external_poll)
{
	wide = true;
	run_poll(IRQC_DBG_RAISE_TOP);
}

TEST(wide_top_held_b_wakes_sleeping_dispatcher)
{
	wide = true;
	run_wake(IRQC_DBG_RAISE_TOP);
}

/* ---- a class above 0: a fourth step, the class's bit in levels (2c) ---- */

/* held after the summary, before the levels bit: B's raise must set it */
TEST(class_summary_held_quiesce_dispatcher_sleep)
{
	wide = false;
	klass = 3;
	run_quiesce(DISP_SLEEP, IRQC_DBG_RAISE_SUMMARY);
}

TEST(class_summary_held_b_wakes_sleeping_dispatcher)
{
	wide = false;
	klass = 3;
	run_wake(IRQC_DBG_RAISE_SUMMARY);
}

TEST(class_summary_held_external_poll)
{
	wide = false;
	klass = 3;
	run_poll(IRQC_DBG_RAISE_SUMMARY);
}

/* held after the levels bit, before the wake check */
TEST(class_levels_held_quiesce_dispatcher_spin)
{
	wide = false;
	klass = 5;
	run_quiesce(DISP_SPIN, IRQC_DBG_RAISE_LEVELS);
}

TEST(class_levels_held_b_wakes_sleeping_dispatcher)
{
	wide = false;
	klass = 5;
	run_wake(IRQC_DBG_RAISE_LEVELS);
}

TEST(wide_class_top_held_external_poll)
{
	wide = true;
	klass = 2;
	run_poll(IRQC_DBG_RAISE_TOP);
}
