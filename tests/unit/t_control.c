/* SPDX-License-Identifier: BSD-2-Clause */
/* Enable, disable, synchronize: SEMANTICS E1-E6. */
#include "util.h"

TEST(e1_nosync_depth_counting)
{
	struct irq_status st;
	struct ut_dev a;

	ut_dev_init(&a, 0, IRQ_HANDLED);
	ut_start_ext(1, 0);
	ASSERT_EQ(request_irq(5, ut_handler, 0, "d", &a), 0);
	disable_irq_nosync(5);
	st = ut_status(5);
	ASSERT_EQ(st.depth, 1);
	ASSERT_TRUE(st.disabled);
	disable_irq_nosync(5);
	ASSERT_EQ(ut_status(5).depth, 2);
	enable_irq(5);
	st = ut_status(5);
	ASSERT_EQ(st.depth, 1);
	ASSERT_TRUE(st.disabled);
	enable_irq(5);
	st = ut_status(5);
	ASSERT_EQ(st.depth, 0);
	ASSERT_FALSE(st.disabled);
	ASSERT_FALSE(st.masked);
	ASSERT_EQ(th_log_count("Unbalanced"), 0);
	irqcore_shutdown();
}

TEST(e1_events_while_disabled_latched_once)
{
	struct irq_status st;
	struct ut_dev a;

	ut_dev_init(&a, 0, IRQ_HANDLED);
	ut_start_ext(1, 0);
	ASSERT_EQ(request_irq(5, ut_handler, 0, "latch", &a), 0);
	disable_irq_nosync(5);
	for (int i = 0; i < 3; i++)
		ASSERT_EQ(irq_raise(5), 0);
	ASSERT_EQ(ut_drain(), 0);
	ASSERT_EQ(ut_calls(&a), 0);
	st = ut_status(5);
	ASSERT_TRUE(st.pending);
	ASSERT_EQ(st.raised, 3);
	ASSERT_EQ(st.count, 0);
	enable_irq(5);
	ut_drain();
	ASSERT_EQ(ut_calls(&a), 1);
	ut_drain();
	ASSERT_EQ(ut_calls(&a), 1);
	st = ut_status(5);
	ASSERT_FALSE(st.pending);
	ASSERT_EQ(st.count, 1);
	ASSERT_EQ(st.raised, st.count + st.coalesced);
	/* the line works normally afterwards */
	ut_fire(5);
	ASSERT_EQ(ut_calls(&a), 2);
	irqcore_shutdown();
}

TEST(e1_latched_in_dispatcher_mode)
{
	struct ut_dev a;

	ut_dev_init(&a, 0, IRQ_HANDLED);
	ut_start_disp(2, 0);
	ASSERT_EQ(request_irq(5, ut_handler, 0, "latch", &a), 0);
	disable_irq(5);
	for (int i = 0; i < 10; i++)
		ASSERT_EQ(irq_raise(5), 0);
	ut_quiesce();
	ASSERT_EQ(ut_calls(&a), 0);
	ASSERT_TRUE(ut_status(5).pending);
	enable_irq(5);
	ut_quiesce();
	ASSERT_EQ(ut_calls(&a), 1);
	ASSERT_FALSE(ut_status(5).pending);
	irqcore_shutdown();
}

TEST(e3_unbalanced_enable_warns_changes_nothing)
{
	struct irq_status st, st2;
	struct ut_dev a;

	ut_dev_init(&a, 0, IRQ_HANDLED);
	ut_start_ext(1, 0);
	ASSERT_EQ(request_irq(5, ut_handler, 0, "ub", &a), 0);
	ut_fire(5);
	st = ut_status(5);
	enable_irq(5);
	ASSERT_EQ(th_log_count("Unbalanced enable for IRQ 5"), 1);
	st2 = ut_status(5);
	ASSERT_EQ(st2.depth, 0);
	ASSERT_EQ(st2.disabled, st.disabled);
	ASSERT_EQ(st2.masked, st.masked);
	ASSERT_EQ(st2.pending, st.pending);
	ASSERT_EQ(st2.count, st.count);
	ASSERT_EQ(st2.nr_actions, 1);
	/* depth did not go negative: one disable disables */
	disable_irq_nosync(5);
	ASSERT_EQ(ut_status(5).depth, 1);
	ASSERT_TRUE(ut_status(5).disabled);
	ASSERT_EQ(irq_raise(5), 0);
	ut_drain();
	ASSERT_EQ(ut_calls(&a), 1);
	enable_irq(5);
	ut_drain();
	ASSERT_EQ(ut_calls(&a), 2);
	ASSERT_EQ(th_log_count("Unbalanced enable"), 1);
	irqcore_shutdown();
}

TEST(e3_nested_disable_needs_as_many_enables)
{
	struct ut_dev a;

	ut_dev_init(&a, 0, IRQ_HANDLED);
	ut_start_ext(1, 0);
	ASSERT_EQ(request_irq(5, ut_handler, 0, "nest", &a), 0);
	disable_irq_nosync(5);
	disable_irq(5);
	ASSERT_TRUE(disable_hardirq(5));
	ASSERT_EQ(ut_status(5).depth, 3);
	ASSERT_EQ(irq_raise(5), 0);
	ut_drain();
	enable_irq(5);
	ut_drain();
	ASSERT_EQ(ut_calls(&a), 0);
	enable_irq(5);
	ut_drain();
	ASSERT_EQ(ut_calls(&a), 0);
	ASSERT_TRUE(ut_status(5).disabled);
	enable_irq(5);
	ut_drain();
	ASSERT_EQ(ut_calls(&a), 1);
	ASSERT_EQ(ut_status(5).depth, 0);
	ASSERT_FALSE(ut_status(5).disabled);
	ASSERT_EQ(th_log_count("Unbalanced"), 0);
	irqcore_shutdown();
}

TEST(e2_e4_sync_forms_from_process_context)
{
	struct ut_dev a;

	ut_dev_init(&a, 0, IRQ_HANDLED);
	ut_start_ext(1, 0);
	ASSERT_EQ(request_irq(5, ut_handler, 0, "sync", &a), 0);
	ASSERT_TRUE(synchronize_hardirq(5));
	synchronize_irq(5);
	disable_irq(5);
	ASSERT_EQ(ut_status(5).depth, 1);
	enable_irq(5);
	ASSERT_TRUE(disable_hardirq(5));
	ASSERT_EQ(ut_status(5).depth, 1);
	ASSERT_TRUE(ut_status(5).disabled);
	enable_irq(5);
	ASSERT_EQ(ut_status(5).depth, 0);
	ASSERT_EQ(strlen(th_log_text()), 0);
	irqcore_shutdown();
}

/* disable_irq()/synchronize_*() wait for a handler running on a dispatcher. */
static atomic_int slow_state;	/* 0 idle, 1 inside, 2 done */

static irqreturn_t slow_handler(int irq, void *dev_id)
{
	(void)irq;
	(void)dev_id;
	atomic_store(&slow_state, 1);
	ut_sleep_ms(150);
	atomic_store(&slow_state, 2);
	return IRQ_HANDLED;
}

static void wait_inside(void)
{
	double t0 = th_now();

	while (atomic_load(&slow_state) != 1 && th_now() - t0 < 10)
		;
	ASSERT_EQ(atomic_load(&slow_state), 1);
}

TEST_T(e2_disable_irq_waits_for_running_handler, 30)
{
	int dummy;

	ut_start_disp(2, 0);
	ASSERT_EQ(request_irq(5, slow_handler, 0, "slow", &dummy), 0);

	atomic_store(&slow_state, 0);
	ASSERT_EQ(irq_raise(5), 0);
	wait_inside();
	disable_irq(5);
	ASSERT_EQ(atomic_load(&slow_state), 2);
	enable_irq(5);

	atomic_store(&slow_state, 0);
	ASSERT_EQ(irq_raise(5), 0);
	wait_inside();
	synchronize_irq(5);
	ASSERT_EQ(atomic_load(&slow_state), 2);

	atomic_store(&slow_state, 0);
	ASSERT_EQ(irq_raise(5), 0);
	wait_inside();
	ASSERT_TRUE(synchronize_hardirq(5));
	ASSERT_EQ(atomic_load(&slow_state), 2);

	atomic_store(&slow_state, 0);
	ASSERT_EQ(irq_raise(5), 0);
	wait_inside();
	ASSERT_TRUE(disable_hardirq(5));
	ASSERT_EQ(atomic_load(&slow_state), 2);
	enable_irq(5);
	ASSERT_TRUE(free_irq(5, &dummy) != NULL);
	irqcore_shutdown();
}

/* ---- E5: from the line's own hard handler ------------------------------ */

enum { OP_DISABLE, OP_SYNC, OP_SYNC_HARD, OP_DISABLE_HARD };
static int own_op;
static atomic_int own_returned;

static irqreturn_t own_line_handler(int irq, void *dev_id)
{
	(void)dev_id;
	switch (own_op) {
	case OP_DISABLE:
		disable_irq((unsigned int)irq);
		break;
	case OP_SYNC:
		synchronize_irq((unsigned int)irq);
		break;
	}
	atomic_fetch_add(&own_returned, 1);
	return IRQ_HANDLED;
}

static int log_lines(void)
{
	int n = 0;

	for (const char *p = th_log_text(); (p = strchr(p, '\n')); p++)
		n++;
	return n;
}

TEST_T(e5_disable_irq_from_own_handler_warns, 10)
{
	int dummy;

	ut_start_ext(1, 0);
	own_op = OP_DISABLE;
	ASSERT_EQ(request_irq(5, own_line_handler, 0, "own", &dummy), 0);
	ut_fire(5);
	ASSERT_EQ(atomic_load(&own_returned), 1);
	ASSERT_GE(log_lines(), 1);
	/* behaves as disable_irq_nosync */
	ASSERT_EQ(ut_status(5).depth, 1);
	ASSERT_TRUE(ut_status(5).disabled);
	enable_irq(5);
	ASSERT_EQ(ut_status(5).depth, 0);
	irqcore_shutdown();
}

TEST_T(e5_synchronize_irq_from_own_handler_warns, 10)
{
	int dummy;

	ut_start_ext(1, 0);
	own_op = OP_SYNC;
	ASSERT_EQ(request_irq(5, own_line_handler, 0, "own", &dummy), 0);
	ut_fire(5);
	ASSERT_EQ(atomic_load(&own_returned), 1);
	ASSERT_GE(log_lines(), 1);
	ASSERT_EQ(ut_status(5).depth, 0);
	ut_fire(5);
	ASSERT_EQ(atomic_load(&own_returned), 2);
	irqcore_shutdown();
}

TEST_T(e5_disable_irq_from_own_handler_dispatcher, 20)
{
	int dummy;

	ut_start_disp(2, 0);
	own_op = OP_DISABLE;
	ASSERT_EQ(request_irq(5, own_line_handler, 0, "own", &dummy), 0);
	ASSERT_EQ(irq_raise(5), 0);
	ut_quiesce();
	ASSERT_EQ(atomic_load(&own_returned), 1);
	ASSERT_GE(log_lines(), 1);
	ASSERT_EQ(ut_status(5).depth, 1);
	/* the dispatcher is not stuck: another line still runs */
	{
		struct ut_dev b;

		ut_dev_init(&b, 1, IRQ_HANDLED);
		ASSERT_EQ(request_irq(6, ut_handler, 0, "other", &b), 0);
		ASSERT_EQ(irq_raise(6), 0);
		ut_quiesce();
		ASSERT_EQ(ut_calls(&b), 1);
	}
	enable_irq(5);
	irqcore_shutdown();
}

/* ---- E6 ------------------------------------------------------------------ */

TEST(e6_invalid_lines_are_silent_noops)
{
	struct irqcore_config c;

	ut_config(&c, 1, 0);
	c.nr_irqs = 64;
	ut_start_cfg_ext(&c);
	{
		unsigned int bad[] = { 64, 65, 1000, 65536, 0xffffffffu };

		for (unsigned int i = 0; i < UT_ARRAY_SIZE(bad); i++) {
			disable_irq(bad[i]);
			disable_irq_nosync(bad[i]);
			(void)disable_hardirq(bad[i]);
			enable_irq(bad[i]);
			synchronize_irq(bad[i]);
			(void)synchronize_hardirq(bad[i]);
			ASSERT_EQ(irq_set_irq_type(bad[i], IRQ_TYPE_LEVEL_HIGH),
				  -EINVAL);
		}
	}
	ASSERT_STR_EQ(th_log_text(), "");
	/* the valid lines are untouched */
	for (unsigned int i = 0; i < 64; i += 21)
		ASSERT_EQ(ut_status(i).nr_actions, 0);
	irqcore_shutdown();
}
