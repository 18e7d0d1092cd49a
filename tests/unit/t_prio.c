/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Priority classes and CPU levels (Q1-Q3): a CPU drains higher classes
 * first, a higher class raised while a lower one drains runs after the one
 * handler then running, a CPU's level defers the classes at or below it
 * without losing them, and bad input changes nothing.
 *
 * Order is recorded by ut_handler (ut_order[]); external-CPU mode makes a
 * drain pass happen exactly where the test polls.
 */
#include "util.h"

#define NR_BULK 200		/* lines 0..199, words 0-3 */
#define TICK 900		/* a line numbered after every bulk line */

static struct ut_dev bulk[NR_BULK], tick;

static void request_bulk(irq_handler_t fn)
{
	for (unsigned int i = 0; i < NR_BULK; i++) {
		ut_dev_init(&bulk[i], (int)i, IRQ_HANDLED);
		ASSERT_EQ(request_irq(i, fn, 0, "bulk", &bulk[i]), 0);
	}
	ut_dev_init(&tick, TICK, IRQ_HANDLED);
	ASSERT_EQ(request_irq(TICK, ut_handler, 0, "tick", &tick), 0);
}

static void raise_bulk(void)
{
	for (unsigned int i = 0; i < NR_BULK; i++)
		ASSERT_EQ(irq_raise(i), 0);
}

/* Where the tick ran in ut_order[], -1 if it did not. */
static int tick_position(void)
{
	int n = atomic_load(&ut_norder);

	for (int i = 0; i < n && i < UT_ORDER_MAX; i++)
		if (ut_order[i] == TICK)
			return i;
	return -1;
}

TEST(p_bad_input_changes_nothing)
{
	ut_start_ext(1, 0);
	ASSERT_EQ(irq_get_priority(5), 0);		/* class 0 by default */
	ASSERT_EQ(irq_set_priority(5, 3), 0);
	ASSERT_EQ(irq_set_priority(5, IRQ_NR_PRIO), -EINVAL);
	ASSERT_EQ(th_log_count("priority class 8 out of range"), 1);
	ASSERT_EQ(irq_get_priority(5), 3);
	ASSERT_EQ(irq_set_priority(1024, 1), -EINVAL);
	ASSERT_EQ(irq_get_priority(1024), -EINVAL);

	/* levels: range, direction */
	ASSERT_EQ(irqcore_raise_level(IRQ_NR_PRIO), -EINVAL);
	ASSERT_EQ(irqcore_raise_level(-2), -EINVAL);
	ASSERT_EQ(irqcore_raise_level(4), IRQCORE_LEVEL_PASSIVE);
	ASSERT_EQ(irqcore_raise_level(2), -EINVAL);		/* below the level */
	ASSERT_EQ(irqcore_restore_level(5), -EINVAL);		/* above it */
	ASSERT_EQ(irqcore_raise_level(4), 4);			/* same: allowed */
	ASSERT_EQ(irqcore_restore_level(IRQCORE_LEVEL_PASSIVE), 0);
	ASSERT_GE(th_log_count("irqcore_raise_level"), 3);
	irqcore_shutdown();
	ASSERT_EQ(irq_set_priority(5, 1), -ENODEV);
	ASSERT_EQ(irq_get_priority(5), -ENODEV);
	ASSERT_EQ(irqcore_raise_level(1), -ENODEV);
	ASSERT_EQ(irqcore_restore_level(-1), -ENODEV);
}

static void *not_a_cpu(void *arg)
{
	(void)arg;
	ASSERT_EQ(irqcore_raise_level(3), -ENXIO);
	ASSERT_EQ(irqcore_restore_level(-1), -ENXIO);
	return NULL;
}

TEST(p_level_needs_a_cpu)
{
	pthread_t t;

	ut_start_ext(1, 0);
	ASSERT_EQ(pthread_create(&t, NULL, not_a_cpu, NULL), 0);
	ASSERT_EQ(pthread_join(t, NULL), 0);
	ASSERT_EQ(th_log_count("not a CPU"), 2);
	irqcore_shutdown();
}

/* Without classes the tick, raised last and numbered last, runs last; with
 * a class above the bulk lines' it runs first (Q1). */
TEST(p_higher_class_first)
{
	ut_start_ext(1, 0);
	request_bulk(ut_handler);
	ut_order_reset();
	raise_bulk();
	ASSERT_EQ(irq_raise(TICK), 0);
	ut_drain();
	ASSERT_EQ(tick_position(), NR_BULK);

	ASSERT_EQ(irq_set_priority(TICK, 7), 0);
	ut_order_reset();
	raise_bulk();
	ASSERT_EQ(irq_raise(TICK), 0);
	ut_drain();
	ASSERT_EQ(tick_position(), 0);
	for (unsigned int i = 0; i < NR_BULK; i++)
		ASSERT_EQ(ut_calls(&bulk[i]), 2);
	ASSERT_EQ(ut_calls(&tick), 2);
	irqcore_shutdown();
}

/* Classes 1, 3, 6 and 0 raised in mixed order run class by class, highest
 * first, each class in line order; irq_raise_many too. */
TEST(p_classes_in_order)
{
	static const unsigned int cls[8] = { 0, 3, 1, 6, 3, 0, 6, 1 };
	static const unsigned int want[8] = { 3, 6, 1, 4, 2, 7, 0, 5 };	/* by class, then line */
	unsigned int lines[8];
	struct ut_dev d[8];

	ut_start_ext(1, 0);
	for (unsigned int i = 0; i < 8; i++) {
		lines[i] = 100 * i + 7;		/* several words */
		ut_dev_init(&d[i], (int)i, IRQ_HANDLED);
		ASSERT_EQ(request_irq(lines[i], ut_handler, 0, "cls", &d[i]), 0);
		ASSERT_EQ(irq_set_priority(lines[i], cls[i]), 0);
	}
	for (int round = 0; round < 2; round++) {
		ut_order_reset();
		if (round == 0) {
			for (int i = 7; i >= 0; i--)
				ASSERT_EQ(irq_raise(lines[i]), 0);
		} else {
			ASSERT_EQ(irq_raise_many(lines, 8), 0);
		}
		ASSERT_EQ(ut_drain(), 8);
		ASSERT_EQ(atomic_load(&ut_norder), 8);
		for (unsigned int i = 0; i < 8; i++)
			ASSERT_EQ(ut_order[i], (int)want[i]);
	}
	for (unsigned int i = 0; i < 8; i++) {
		struct irq_status st = ut_status(lines[i]);

		ASSERT_EQ(st.raised, st.count + st.coalesced);
		ASSERT_EQ(st.count, 2);
	}
	irqcore_shutdown();
}

/* A bulk handler raises the tick: with the tick in a higher class it runs
 * right after that handler, before the rest of the bulk lines (the drain
 * yields, Q1); in the same class it waits for all of them. */
static unsigned int raise_from;

static irqreturn_t raising_handler(int irq, void *dev_id)
{
	if ((unsigned int)irq == raise_from)
		ASSERT_EQ(irq_raise(TICK), 0);
	return ut_handler(irq, dev_id);
}

static void run_preempt(unsigned int from, bool classes)
{
	ut_start_ext(1, 0);
	request_bulk(raising_handler);
	if (classes)
		ASSERT_EQ(irq_set_priority(TICK, 5), 0);
	raise_from = from;
	ut_order_reset();
	raise_bulk();
	ut_drain();
	ASSERT_EQ(atomic_load(&ut_norder), NR_BULK + 1);
	ASSERT_EQ(tick_position(), classes ? (int)from + 1 : NR_BULK);
	/* the rest of the bulk lines still ran, once each, in order */
	for (int i = 0, b = 0; i < NR_BULK + 1; i++)
		if (ut_order[i] != TICK)
			ASSERT_EQ(ut_order[i], b++);
	for (unsigned int i = 0; i < NR_BULK; i++) {
		struct irq_status st = ut_status(i);

		ASSERT_EQ(ut_calls(&bulk[i]), 1);
		ASSERT_EQ(st.raised, st.count + st.coalesced);
	}
	irqcore_shutdown();
}

TEST(p_tick_preempts_mid_word)	{ run_preempt(70, true); }	/* inside word 1 */
TEST(p_tick_preempts_word_end)	{ run_preempt(127, true); }	/* last bit of a word */
TEST(p_tick_preempts_first)	{ run_preempt(0, true); }
TEST(p_tick_waits_without_class) { run_preempt(70, false); }

/* A level raised in a bulk handler (and restored) is harmless; one left
 * raised by a dispatcher's handler warns once and is undone (Q3). */
static irqreturn_t level_handler(int irq, void *dev_id)
{
	struct ut_dev *d = dev_id;
	int old = irqcore_raise_level(IRQ_NR_PRIO - 1);

	ASSERT_EQ(old, IRQCORE_LEVEL_PASSIVE);	/* the pass after a leak: reset */
	if (d->id == 0)			/* "forgets" to restore */
		return ut_handler(irq, dev_id);
	ASSERT_EQ(irqcore_restore_level(old), 0);
	return ut_handler(irq, dev_id);
}

TEST(p_leaked_level_on_dispatcher)
{
	struct ut_dev d0, d1;

	ut_start_disp(1, 0);
	ut_dev_init(&d0, 0, IRQ_HANDLED);
	ut_dev_init(&d1, 1, IRQ_HANDLED);
	ASSERT_EQ(request_irq(10, level_handler, 0, "leak", &d0), 0);
	ASSERT_EQ(request_irq(11, level_handler, 0, "ok", &d1), 0);
	ASSERT_EQ(irq_raise(11), 0);
	ut_quiesce();
	ASSERT_EQ(th_log_count("returned at level"), 0);
	ASSERT_EQ(irq_raise(10), 0);
	ut_quiesce();
	ASSERT_EQ(irq_raise(10), 0);
	ut_quiesce();
	ASSERT_EQ(irq_raise(11), 0);	/* finds the CPU passive again */
	ut_quiesce();
	ASSERT_EQ(ut_calls(&d0), 2);
	ASSERT_EQ(ut_calls(&d1), 2);
	ASSERT_EQ(th_log_count("returned at level"), 1);
	irqcore_shutdown();
}

/* An external CPU at level 3 runs classes 4 and 7 and keeps 0 and 3
 * pending; lowering the level runs them, highest first (Q2). */
TEST(p_level_defers_and_restores)
{
	static const unsigned int cls[4] = { 0, 3, 4, 7 };
	struct ut_dev d[4];
	int old;

	ut_start_ext(1, 0);
	for (unsigned int i = 0; i < 4; i++) {
		ut_dev_init(&d[i], (int)i, IRQ_HANDLED);
		ASSERT_EQ(request_irq(20 + i, ut_handler, 0, "lvl", &d[i]), 0);
		ASSERT_EQ(irq_set_priority(20 + i, cls[i]), 0);
	}
	old = irqcore_raise_level(3);
	ASSERT_EQ(old, IRQCORE_LEVEL_PASSIVE);
	ut_order_reset();
	for (unsigned int i = 0; i < 4; i++)
		ASSERT_EQ(irq_raise(20 + i), 0);
	ASSERT_EQ(ut_drain(), 2);
	ASSERT_EQ(ut_order[0], 3);
	ASSERT_EQ(ut_order[1], 2);
	ASSERT_EQ(ut_calls(&d[0]), 0);
	ASSERT_EQ(ut_calls(&d[1]), 0);
	/* more raises of deferred lines merge, counted as coalesced */
	ASSERT_EQ(irq_raise(20), 0);
	ASSERT_EQ(irqcore_poll(), 0);
	ASSERT_EQ(irqcore_restore_level(old), 0);	/* runs them inline */
	ASSERT_EQ(atomic_load(&ut_norder), 4);
	ASSERT_EQ(ut_order[2], 1);
	ASSERT_EQ(ut_order[3], 0);
	for (unsigned int i = 0; i < 4; i++) {
		struct irq_status st = ut_status(20 + i);

		ASSERT_EQ(ut_calls(&d[i]), 1);
		ASSERT_EQ(st.raised, st.count + st.coalesced);
	}
	ASSERT_EQ(ut_status(20).coalesced, 1);
	/* at the top level nothing runs; passive again, everything */
	old = irqcore_raise_level(IRQ_NR_PRIO - 1);
	for (unsigned int i = 0; i < 4; i++)
		ASSERT_EQ(irq_raise(20 + i), 0);
	ASSERT_EQ(ut_drain(), 0);
	ASSERT_EQ(irqcore_restore_level(old), 0);
	for (unsigned int i = 0; i < 4; i++)
		ASSERT_EQ(ut_calls(&d[i]), 2);
	irqcore_shutdown();
}

/* Detaching at a raised level warns and leaves the CPU passive for the
 * next thread that attaches. */
TEST(p_detach_resets_level)
{
	struct ut_dev d;

	ut_start_ext(1, 0);
	ut_dev_init(&d, 0, IRQ_HANDLED);
	ASSERT_EQ(request_irq(30, ut_handler, 0, "det", &d), 0);
	ASSERT_EQ(irqcore_raise_level(5), IRQCORE_LEVEL_PASSIVE);
	ASSERT_EQ(irqcore_cpu_detach(), 0);
	ASSERT_EQ(th_log_count("left at level 5"), 1);
	ASSERT_EQ(irqcore_cpu_attach(0), 0);
	ASSERT_EQ(irqcore_raise_level(0), IRQCORE_LEVEL_PASSIVE);
	ASSERT_EQ(irqcore_restore_level(IRQCORE_LEVEL_PASSIVE), 0);
	ut_fire(30);
	ASSERT_EQ(ut_calls(&d), 1);
	irqcore_shutdown();
}

/* Changing a line's class while it is pending loses nothing: the event in
 * the old class's bitmap is drained there. */
TEST(p_class_change_while_pending)
{
	struct ut_dev d;

	ut_start_ext(1, 0);
	ut_dev_init(&d, 0, IRQ_HANDLED);
	ASSERT_EQ(request_irq(40, ut_handler, 0, "chg", &d), 0);
	ASSERT_EQ(irq_raise(40), 0);			/* class 0 bitmap */
	ASSERT_EQ(irq_set_priority(40, 6), 0);
	ASSERT_EQ(irq_raise(40), 0);			/* class 6 bitmap */
	ASSERT_EQ(ut_drain(), 2);
	ASSERT_EQ(ut_calls(&d), 2);
	ASSERT_EQ(irq_set_priority(40, 0), 0);
	ut_fire(40);
	ASSERT_EQ(ut_calls(&d), 3);
	irqcore_shutdown();
}

/* With 65536 lines (top words in use) the order and the yield hold too. */
TEST(p_wide_bitmap)
{
	struct irqcore_config c;
	struct ut_dev lo[3], hi;
	static const unsigned int lol[3] = { 5, 4100, 65000 };

	ut_config(&c, 1, 0);
	c.nr_irqs = 65536;
	ut_start_cfg_ext(&c);
	for (unsigned int i = 0; i < 3; i++) {
		ut_dev_init(&lo[i], (int)i, IRQ_HANDLED);
		ASSERT_EQ(request_irq(lol[i], ut_handler, 0, "lo", &lo[i]), 0);
	}
	ut_dev_init(&hi, 9, IRQ_HANDLED);
	ASSERT_EQ(request_irq(65535, ut_handler, 0, "hi", &hi), 0);
	ASSERT_EQ(irq_set_priority(65535, 2), 0);
	ut_order_reset();
	for (unsigned int i = 0; i < 3; i++)
		ASSERT_EQ(irq_raise(lol[i]), 0);
	ASSERT_EQ(irq_raise(65535), 0);
	ASSERT_EQ(ut_drain(), 4);
	ASSERT_EQ(ut_order[0], 9);
	ASSERT_EQ(ut_order[1], 0);
	ASSERT_EQ(ut_order[2], 1);
	ASSERT_EQ(ut_order[3], 2);
	irqcore_shutdown();
}

/* irqcore_quiesce() does not wait for what a CPU's level defers (Q2): it
 * returns, the line still pending; restoring the level runs it. */
TEST(p_quiesce_leaves_deferred_lines)
{
	struct ut_dev d;
	int old;

	ut_start_ext(1, 0);
	ut_dev_init(&d, 0, IRQ_HANDLED);
	ASSERT_EQ(request_irq(60, ut_handler, 0, "q", &d), 0);
	old = irqcore_raise_level(IRQ_NR_PRIO - 1);
	ASSERT_EQ(irq_raise(60), 0);
	ASSERT_EQ(irqcore_quiesce(1000), 0);
	ASSERT_EQ(ut_calls(&d), 0);
	ASSERT_EQ(irqcore_restore_level(old), 0);
	ASSERT_EQ(ut_calls(&d), 1);
	ASSERT_EQ(ut_status(60).raised, ut_status(60).count);
	irqcore_shutdown();
}
