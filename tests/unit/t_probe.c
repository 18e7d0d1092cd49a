/* SPDX-License-Identifier: BSD-2-Clause */
/* Autoprobe: SEMANTICS P1. */
#include "util.h"

#define WORD_BITS ((unsigned int)(sizeof(unsigned long) * 8))

TEST(p1_single_line_found)
{
	unsigned long mask;
	struct ut_dev busy;

	ut_dev_init(&busy, 0, IRQ_HANDLED);
	ut_start_ext(1, 0);
	ASSERT_EQ(request_irq(3, ut_handler, 0, "busy", &busy), 0);
	mask = probe_irq_on();
	/* armed: lines without an action */
	ASSERT_TRUE(mask & (1UL << 5));
	ASSERT_TRUE(mask & (1UL << 7));
	ASSERT_FALSE(mask & (1UL << 3));
	ASSERT_EQ(irq_raise(5), 0);
	ut_drain();
	ASSERT_EQ(probe_irq_off(mask), 5);
	irqcore_shutdown();
}

TEST(p1_nothing_fired_is_zero)
{
	unsigned long mask;

	ut_start_ext(1, 0);
	mask = probe_irq_on();
	ut_drain();
	ASSERT_EQ(probe_irq_off(mask), 0);
	irqcore_shutdown();
}

TEST(p1_several_fired_is_negative_first)
{
	unsigned long mask;

	ut_start_ext(1, 0);
	mask = probe_irq_on();
	ASSERT_EQ(irq_raise(5), 0);
	ASSERT_EQ(irq_raise(7), 0);
	ut_drain();
	ASSERT_EQ(probe_irq_off(mask), -5);
	irqcore_shutdown();
}

TEST(p1_lines_with_actions_not_armed)
{
	unsigned long mask;
	struct ut_dev busy;

	ut_dev_init(&busy, 0, IRQ_HANDLED);
	ut_start_ext(1, 0);
	ASSERT_EQ(request_irq(3, ut_handler, 0, "busy", &busy), 0);
	mask = probe_irq_on();
	ASSERT_FALSE(mask & (1UL << 3));
	ASSERT_EQ(irq_raise(3), 0);
	ut_drain();
	/* handled normally, not recorded */
	ASSERT_EQ(ut_calls(&busy), 1);
	ASSERT_EQ(probe_irq_off(mask), 0);
	irqcore_shutdown();
}

TEST(p1_noprobe_lines_not_armed)
{
	unsigned long mask;

	ut_start_ext(1, 0);
	ASSERT_EQ(irq_set_status_flags(9, IRQ_NOPROBE), 0);
	mask = probe_irq_on();
	ASSERT_FALSE(mask & (1UL << 9));
	ASSERT_EQ(irq_raise(9), 0);
	ut_drain();
	ASSERT_EQ(probe_irq_off(mask), 0);
	irqcore_shutdown();
}

TEST(p1_line_above_word_size_found)
{
	unsigned long mask;
	unsigned int irq = WORD_BITS + 36;

	ut_start_ext(1, 0);
	mask = probe_irq_on();
	ASSERT_EQ(irq_raise(irq), 0);
	ut_drain();
	ASSERT_EQ(probe_irq_off(mask), (int)irq);
	irqcore_shutdown();
}

TEST(p1_probe_then_request_works)
{
	unsigned long mask;
	struct ut_dev d;
	int found;

	ut_dev_init(&d, 0, IRQ_HANDLED);
	ut_start_ext(1, 0);
	mask = probe_irq_on();
	ASSERT_EQ(irq_raise(11), 0);
	ut_drain();
	found = probe_irq_off(mask);
	ASSERT_EQ(found, 11);
	/* disarmed: the driver requests the line it found */
	ASSERT_EQ(request_irq((unsigned int)found, ut_handler, 0, "found", &d), 0);
	ut_drain();
	ut_fire(11);
	ASSERT_GE(ut_calls(&d), 1);
	ASSERT_EQ(ut_status(11).nr_actions, 1);
	/* a second probe round starts clean */
	mask = probe_irq_on();
	ASSERT_FALSE(mask & (1UL << 11));
	ASSERT_EQ(probe_irq_off(mask), 0);
	irqcore_shutdown();
}

TEST(p1_events_after_probe_off_are_not_recorded)
{
	unsigned long mask;

	ut_start_ext(1, 0);
	mask = probe_irq_on();
	ASSERT_EQ(probe_irq_off(mask), 0);
	ASSERT_EQ(irq_raise(13), 0);
	ut_drain();
	/* disarmed: an ordinary event without an action */
	ASSERT_EQ(ut_err_count(), 1);
	ASSERT_EQ(th_log_count("No irq handler for irq 13"), 1);
	irqcore_shutdown();
}

/* A line requested and freed earlier is probed again (its shutdown left it
 * disabled; the probe starts it, as the kernel's probe_irq_on does). */
TEST(p1_line_freed_earlier_is_found)
{
	unsigned long mask;
	struct ut_dev d;

	ut_dev_init(&d, 0, IRQ_HANDLED);
	ut_start_ext(1, 0);
	ASSERT_EQ(request_irq(5, ut_handler, 0, "once", &d), 0);
	ASSERT_TRUE(free_irq(5, &d) != NULL);
	mask = probe_irq_on();
	ASSERT_TRUE(mask & (1UL << 5));
	ASSERT_EQ(irq_raise(5), 0);
	ut_drain();
	ASSERT_EQ(probe_irq_off(mask), 5);
	/* shut down again after the probe, and requestable */
	ASSERT_TRUE(ut_status(5).disabled);
	ASSERT_EQ(request_irq(5, ut_handler, 0, "again", &d), 0);
	ut_fire(5);
	ASSERT_EQ(ut_calls(&d), 1);
	irqcore_shutdown();
}

/* An event raised but not yet dispatched counts: no CPU ran it when
 * probe_irq_off looks (the CPU here is the test thread, which has not
 * polled: a sleeping dispatcher that has not woken yet). */
TEST(p1_raised_not_yet_dispatched_counts)
{
	unsigned long mask;

	ut_start_ext(1, 0);
	mask = probe_irq_on();
	ASSERT_EQ(irq_raise(7), 0);
	ASSERT_EQ(probe_irq_off(mask), 7);
	irqcore_shutdown();
}

/* The classic probe with sleeping dispatchers: raise, a short wait, off. */
TEST(p1_sleeping_dispatchers_raise_wait_off)
{
	unsigned long mask;

	ut_start_disp(2, 0);
	for (int round = 0; round < 20; round++) {
		mask = probe_irq_on();
		ASSERT_EQ(irq_raise(9), 0);
		usleep(5);
		ASSERT_EQ(probe_irq_off(mask), 9);
	}
	irqcore_shutdown();
}

/* The same with spinning dispatchers, which pass only when there is work
 * or a kick: probe_irq_off must not wait for a pass that never comes. */
TEST(p1_spinning_dispatchers_raise_off)
{
	struct irqcore_config c;
	unsigned long mask;

	ut_config(&c, 2, 0);
	c.idle = IRQCORE_IDLE_SPIN;
	ASSERT_EQ(irqcore_init(&c), 0);
	for (int round = 0; round < 20; round++) {
		mask = probe_irq_on();
		ASSERT_EQ(irq_raise(9), 0);
		ASSERT_EQ(probe_irq_off(mask), 9);
		mask = probe_irq_on();
		ASSERT_EQ(probe_irq_off(mask), 0);
	}
	irqcore_shutdown();
}
